//! Test harness: spawns the real application on a random port with fresh databases
//! (a temporary SQLite folder, or two new PostgreSQL databases), and offers one helper per
//! endpoint so tests read like the stories they check.
//!
//! PostgreSQL comes from `TEST_DATABASE_URL` (default postgres://postgres@127.0.0.1:5432/postgres).
//! When it cannot be reached the PostgreSQL half of each test is skipped loudly — or fails,
//! when `REQUIRE_POSTGRES=1` (as in CI).
#![allow(dead_code)]

pub mod pages;

use app::config::Settings;
use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};
use std::future::Future;
use std::path::PathBuf;
use testkit::mail::{self, Mail};
use testkit::postgres::ScratchDatabases;
use uuid::Uuid;

pub const PASSWORD: &str = "correct horse battery staple";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Writes one scenario as two tests, `<name>::sqlite` and `<name>::postgres`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $crate::helpers::run($crate::helpers::Backend::Sqlite, |_| {}, super::$name).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                $crate::helpers::run($crate::helpers::Backend::Postgres, |_| {}, super::$name).await
            }
        }
    )+};
}

/// Like `on_both_backends!`, with a function that adjusts the settings first.
#[macro_export]
macro_rules! on_both_backends_with {
    ($configure:path => $($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                // `$configure` may be a bare name from the calling module, or a path.
                #[allow(unused_imports)]
                use super::*;
                $crate::helpers::run($crate::helpers::Backend::Sqlite, $configure, super::$name).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                // `$configure` may be a bare name from the calling module, or a path.
                #[allow(unused_imports)]
                use super::*;
                $crate::helpers::run($crate::helpers::Backend::Postgres, $configure, super::$name).await
            }
        }
    )+};
}

pub async fn run<F, Fut>(backend: Backend, configure: impl FnOnce(&mut Settings), scenario: F)
where
    F: FnOnce(TestApp) -> Fut,
    Fut: Future<Output = ()>,
{
    if let Some(app) = spawn_app_with(backend, configure).await {
        scenario(app).await;
    }
}

pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub client: reqwest::Client,
    pub ctx: app::Context,
    pub backend: Backend,
    pub outbox: PathBuf,
    pub data_dir: PathBuf,
    _dir: tempfile::TempDir,
    _pg: Option<ScratchDatabases>,
    server: tokio::task::JoinHandle<()>,
}

/// A signed-in user of a test.
#[derive(Debug, Clone)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub password: String,
    pub access_token: String,
    pub refresh_token: String,
}

/// Settings for a test app: a random port, a temporary data folder, no background worker
/// (tests drain the queue with [`TestApp::run_jobs`]).
pub fn test_settings(dir: &std::path::Path) -> Settings {
    let mut s = Settings::default();
    s.server.port = 0;
    s.data.dir = dir.to_path_buf();
    s.jobs.in_process_worker = false;
    s.database.max_connections = 8;
    s.log.level = "warn".into();
    s
}

pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |_| {}).await
}

pub async fn spawn_app_with(
    backend: Backend,
    configure: impl FnOnce(&mut Settings),
) -> Option<TestApp> {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut settings = test_settings(dir.path());
    let pg = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => {
            let pg = ScratchDatabases::create("circles_test").await?;
            settings.database.main_url = Some(app::config::Secret::new(pg.main_url()));
            settings.database.credentials_url =
                Some(app::config::Secret::new(pg.credentials_url()));
            Some(pg)
        }
    };
    configure(&mut settings);
    let outbox = settings.outbox_dir();
    let data_dir = settings.data.dir.clone();
    let application = web::Application::build(settings)
        .await
        .expect("application builds");
    let port = application.port();
    let ctx = application.context().clone();
    let server = tokio::spawn(async move {
        application
            .run_until_stopped(std::future::pending())
            .await
            .expect("server runs");
    });
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    Some(TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        client,
        ctx,
        backend,
        outbox,
        data_dir,
        _dir: dir,
        _pg: pg,
        server,
    })
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Sends a request; `body` is JSON when given.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Response {
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send().await.expect("request sent")
    }

    pub async fn post(&self, path: &str, body: Value) -> Response {
        self.call(Method::POST, path, None, Some(body)).await
    }

    pub async fn post_as(&self, token: &str, path: &str, body: Value) -> Response {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn get_as(&self, token: &str, path: &str) -> Response {
        self.call(Method::GET, path, Some(token), None).await
    }

    /// Runs every due background job now.
    pub async fn run_jobs(&self) -> app::jobs::JobStats {
        app::jobs::run_due_jobs(&self.ctx).await.expect("jobs run")
    }

    pub async fn register(&self, email: &str, password: &str, display_name: &str) -> Response {
        self.post(
            "/api/v1/auth/register",
            json!({ "email": email, "password": password, "display_name": display_name }),
        )
        .await
    }

    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.post(
            "/api/v1/auth/login",
            json!({ "email": email, "password": password }),
        )
        .await
    }

    /// The token in the newest link to `path` (`verify-email`, `reset-password`) mailed to `to`.
    pub async fn token_from_email(&self, to: &str, path: &str) -> String {
        self.run_jobs().await;
        let mails = mail::read_outbox(&self.outbox);
        mails
            .iter()
            .rev()
            .filter(|m| m.to.contains(to))
            .find_map(|m| mail::link_token(&m.body, path))
            .unwrap_or_else(|| panic!("no {path} link mailed to {to}; mails: {mails:#?}"))
    }

    /// Registers, verifies and signs in a new Member.
    pub async fn signed_up(&self, email: &str) -> User {
        let res = self.register(email, PASSWORD, "Test Person").await;
        assert_eq!(
            res.status(),
            StatusCode::ACCEPTED,
            "register {email}: {}",
            res.text().await.unwrap()
        );
        let token = self.token_from_email(email, "verify-email").await;
        let res = self
            .post("/api/v1/auth/verify-email", json!({ "token": token }))
            .await;
        assert_eq!(res.status(), StatusCode::OK, "verify {email}");
        self.signed_in(email, PASSWORD).await
    }

    pub async fn signed_in(&self, email: &str, password: &str) -> User {
        let res = self.login(email, password).await;
        assert_eq!(res.status(), StatusCode::OK, "login {email}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["status"], "signed_in", "{body}");
        let id = self.user_id(email).await;
        User {
            id,
            email: email.to_owned(),
            password: password.to_owned(),
            access_token: body["access_token"].as_str().unwrap().to_owned(),
            refresh_token: body["refresh_token"].as_str().unwrap().to_owned(),
        }
    }

    pub async fn user_id(&self, email: &str) -> Uuid {
        use db::main_db::users;
        use db::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        users::Entity::find()
            .filter(users::Column::Email.eq(email))
            .one(&self.ctx.main)
            .await
            .unwrap()
            .expect("user exists")
            .id
    }

    /// An Admin created the way an operator does (`circles admin create`), signed in.
    pub async fn admin(&self) -> User {
        let email = format!("admin-{}@example.org", Uuid::new_v4().simple());
        app::admin::create_admin(&self.ctx, &email, "Admin", PASSWORD)
            .await
            .expect("admin created");
        self.signed_in(&email, PASSWORD).await
    }

    /// A verified, signed-in member called `name` (names are what the pages show).
    pub async fn named(&self, name: &str) -> User {
        let first = name.split(' ').next().unwrap_or("person").to_lowercase();
        let email = format!("{first}-{}@example.org", Uuid::new_v4().simple());
        let res = self.register(&email, PASSWORD, name).await;
        assert_eq!(res.status(), StatusCode::ACCEPTED, "register {email}");
        let token = self.token_from_email(&email, "verify-email").await;
        let res = self
            .post("/api/v1/auth/verify-email", json!({ "token": token }))
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        self.signed_in(&email, PASSWORD).await
    }

    /// A signed-in user holding `roles` (granted by `admin` through the API; Facilitator
    /// gets a certification first).
    pub async fn user_with_roles(&self, admin: &User, roles: &[&str]) -> User {
        let email = format!(
            "{}-{}@example.org",
            roles.join("-"),
            Uuid::new_v4().simple()
        );
        let user = self.signed_up(&email).await;
        for role in roles {
            if *role == "member" {
                continue;
            }
            if *role == "facilitator" {
                let res = self
                    .post_as(
                        &admin.access_token,
                        "/api/v1/certifications",
                        json!({ "user_id": user.id }),
                    )
                    .await;
                assert_eq!(res.status(), StatusCode::CREATED);
            }
            let res = self
                .call(
                    Method::PUT,
                    &format!("/api/v1/admin/users/{}/roles/{role}", user.id),
                    Some(&admin.access_token),
                    None,
                )
                .await;
            assert_eq!(res.status(), StatusCode::OK, "grant {role}");
        }
        user
    }

    /// Actions in the audit log, oldest first.
    pub async fn audit_actions(&self) -> Vec<String> {
        use db::main_db::audit_log;
        use db::sea_orm::{EntityTrait, QueryOrder};
        audit_log::Entity::find()
            .order_by_asc(audit_log::Column::Seq)
            .all(&self.ctx.main)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.action)
            .collect()
    }

    pub fn emails_to(&self, to: &str) -> Vec<Mail> {
        mail::read_outbox(&self.outbox)
            .into_iter()
            .filter(|m| m.to.contains(to))
            .collect()
    }
}

/// Reads a problem document and checks its shape; returns its `code`.
pub async fn problem_code(res: Response) -> String {
    let ct = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    assert!(
        ct.starts_with("application/problem+json"),
        "not a problem document: {ct}"
    );
    let status = res.status().as_u16();
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], status, "{body}");
    assert!(
        body["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{body}"
    );
    assert!(body["request_id"].as_str().is_some(), "{body}");
    body["code"].as_str().expect("code").to_owned()
}
