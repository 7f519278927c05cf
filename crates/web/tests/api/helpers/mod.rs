//! The one test harness: spawns the real application on a random port with fresh databases
//! (a temporary SQLite folder, or two new PostgreSQL databases from `testkit`), and offers
//! one helper per endpoint so tests read like the stories they check:
//! `app.create_circle(..)`, `app.register_for(..)`, `app.run_pending_jobs()`.
//!
//! Helpers are grouped by feature, each group an `impl TestApp` block of its own module;
//! response checks (`ok_json`, `refused`, `problem_code`, …) are free functions in
//! [`responses`], and the cookie-keeping page client is [`pages::Person`].
//!
//! PostgreSQL comes from `TEST_DATABASE_URL` (default postgres://postgres@127.0.0.1:5432/postgres).
//! When it cannot be reached the PostgreSQL half of each test is skipped loudly — or fails,
//! when `REQUIRE_POSTGRES=1` (as in CI).

mod accounts;
mod circles;
pub mod conversation;
mod events;
pub mod logs;
mod mail;
mod mfa;
pub mod pages;
mod records;
mod responses;
mod roles;
pub mod stripe;

pub use accounts::{png, unique_email, User};
pub use circles::{circle_body, led_circle, Led};
pub use events::{local, workshop};
pub use mfa::{next_code, recovery_codes, totp_for, unix_now};
pub use responses::validation_errors;
pub use responses::{invalid_fields, location, ok_json, problem, problem_code, refused};

use app::config::Settings;
use reqwest::{Method, RequestBuilder, Response};
use serde_json::Value;
use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use testkit::postgres::ScratchDatabases;

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

/// Runs `scenario` against a new app on `backend`, unless that backend is skipped.
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
    /// The app's clock: [`TestApp::advance`] moves it.
    clock: app::Clock,
    outbox: PathBuf,
    /// Every 5xx answer this app gave the harness, as "METHOD /path: status".
    server_errors: Mutex<Vec<String>>,
    /// The settings it was built with, so [`TestApp::second_instance`] can start another
    /// instance on the same databases, data folder and Redis.
    settings: Settings,
    /// Shared with every other instance on the same data (kept until the last one goes).
    _dir: Arc<tempfile::TempDir>,
    _pg: Option<Arc<ScratchDatabases>>,
    server: tokio::task::JoinHandle<()>,
}

/// Settings for a test app: a random port, a temporary data folder, no background worker
/// (tests drain the queue with [`TestApp::run_pending_jobs`]).
pub fn test_settings(dir: &std::path::Path) -> Settings {
    let mut s = Settings::default();
    s.server.port = 0;
    s.data.dir = dir.to_path_buf();
    s.jobs.in_process_worker = false;
    s.database.max_connections = 8;
    s.log.level = "warn".into();
    // Tests count statements per request (`statements_of`).
    s.metrics.statements_header = true;
    s
}

/// A new app on `backend` with settings `configure` adjusts; `None` when the backend is
/// skipped (PostgreSQL unreachable outside CI).
pub async fn spawn_app_with(
    backend: Backend,
    configure: impl FnOnce(&mut Settings),
) -> Option<TestApp> {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut settings = test_settings(dir.path());
    let pg = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => {
            let pg = ScratchDatabases::create_prepared("circles_test", Box::new(migrate_template))
                .await?;
            settings.database.main_url = Some(app::config::Secret::new(pg.main_url()));
            settings.database.credentials_url =
                Some(app::config::Secret::new(pg.credentials_url()));
            Some(pg)
        }
    };
    configure(&mut settings);
    let shared = Shared {
        backend,
        clock: app::Clock::adjustable(),
        dir: Arc::new(dir),
        pg: pg.map(Arc::new),
    };
    Some(start_instance(settings, shared).await)
}

/// Brings the test process's template databases up to date once; every PostgreSQL test
/// then starts from a copy (the application's own migration finds nothing left to do).
fn migrate_template(
    main_url: String,
    credentials_url: String,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), String>> + Send>> {
    Box::pin(async move {
        let main = db::connect(&main_url, 1).await.map_err(|e| e.to_string())?;
        let credentials = db::connect(&credentials_url, 1)
            .await
            .map_err(|e| e.to_string())?;
        db::migrate(&main, &credentials)
            .await
            .map_err(|e| e.to_string())?;
        main.close().await.map_err(|e| e.to_string())?;
        credentials.close().await.map_err(|e| e.to_string())
    })
}

/// What every instance on the same data shares: databases, data folder and clock.
struct Shared {
    backend: Backend,
    clock: app::Clock,
    dir: Arc<tempfile::TempDir>,
    pg: Option<Arc<ScratchDatabases>>,
}

async fn start_instance(settings: Settings, shared: Shared) -> TestApp {
    let outbox = settings.outbox_dir();
    let application = web::Application::build_with_clock(settings.clone(), shared.clock.clone())
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
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        client,
        ctx,
        backend: shared.backend,
        clock: shared.clock,
        outbox,
        server_errors: Mutex::default(),
        settings,
        _dir: shared.dir,
        _pg: shared.pg,
        server,
    }
}

/// Settings that give an app (and every [`TestApp::second_instance`] of it) Redis, under a
/// key prefix of its own; `None` when Redis cannot be reached (said loudly; CI fails).
pub async fn with_redis() -> Option<impl FnOnce(&mut Settings)> {
    let url = testkit::redis::url();
    if !testkit::redis::available(&url).await {
        return None;
    }
    let prefix = format!("test:{}:", uuid::Uuid::new_v4().simple());
    Some(move |s: &mut Settings| {
        s.redis.url = Some(app::config::Secret::new(url));
        s.redis.key_prefix = prefix;
    })
}

/// A new app on `backend` with Redis configured, ready for [`TestApp::second_instance`];
/// `None` when PostgreSQL or Redis is skipped.
pub async fn spawn_app_with_redis(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, with_redis().await?).await
}

/// A new app on SQLite, for tests whose subject does not depend on the database.
pub async fn sqlite_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_with(Backend::Sqlite, configure)
        .await
        .expect("SQLite needs no peer")
}

pub async fn sqlite_app() -> TestApp {
    sqlite_app_with(|_| {}).await
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

    /// Sends a request built on any client, noting a 5xx answer (see
    /// [`TestApp::server_errors`]); `Err` only when the request cannot be sent at all.
    pub async fn try_send(&self, req: RequestBuilder) -> reqwest::Result<Response> {
        let (client, req) = req.build_split();
        let req = req?;
        let what = format!("{} {}", req.method(), req.url().path());
        let res = client.execute(req).await?;
        if res.status().is_server_error() {
            let mut seen = self.server_errors.lock().unwrap();
            seen.push(format!("{what}: {}", res.status()));
        }
        Ok(res)
    }

    pub async fn send(&self, req: RequestBuilder) -> Response {
        self.try_send(req).await.expect("request sent")
    }

    /// The 5xx answers this app has given so far. The metrics count them too, but for the
    /// whole process, which every test shares.
    pub fn server_errors(&self) -> Vec<String> {
        self.server_errors.lock().unwrap().clone()
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
        self.send(req).await
    }

    /// Sends raw bytes with an optional content type, for bodies JSON cannot express.
    pub async fn send_raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        content_type: Option<&str>,
        body: impl Into<reqwest::Body>,
    ) -> Response {
        let mut req = self.client.request(method, self.url(path)).body(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        self.send(req).await
    }

    pub async fn get(&self, path: &str) -> Response {
        self.call(Method::GET, path, None, None).await
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

    /// GET that must succeed; its JSON.
    pub async fn get_json(&self, token: &str, path: &str) -> Value {
        ok_json(self.get_as(token, path).await).await
    }

    /// Moves the app's time forward by `by`: offers, holds, links and sessions expire,
    /// and jobs planned for then come due, without touching a row.
    pub fn advance(&self, by: chrono::Duration) {
        self.clock.advance(by);
    }

    /// Moves the app's time forward to `at` (which must not be in its past).
    pub fn advance_to(&self, at: chrono::DateTime<chrono::Utc>) {
        self.advance(at - self.now());
    }

    /// The app's "now" (the machine's time plus every [`TestApp::advance`]).
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// Another instance of the platform on the same databases, data folder (keys, outbox),
    /// clock and Redis as this one: its own port, context, bus and connection pools, as a
    /// second `circles serve` behind a load balancer would have. Signals cross between the
    /// two only through Redis, so build the first app with [`with_redis`] to test that.
    /// (Deployments run several instances on PostgreSQL; on SQLite both open the same files,
    /// which works but is not how the platform is run.)
    pub async fn second_instance(&self) -> TestApp {
        let shared = Shared {
            backend: self.backend,
            clock: self.clock.clone(),
            dir: self._dir.clone(),
            pg: self._pg.clone(),
        };
        start_instance(self.settings.clone(), shared).await
    }

    /// How many database statements the server ran to answer `res`.
    pub fn statements_of(res: &Response) -> u64 {
        res.headers()
            .get("x-db-statements")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .expect("the test server reports X-Db-Statements")
    }

    /// Runs every due background job now (the tests' app has no worker of its own).
    pub async fn run_pending_jobs(&self) -> app::jobs::JobStats {
        app::jobs::run_due_jobs(&self.ctx).await.expect("jobs run")
    }
}
