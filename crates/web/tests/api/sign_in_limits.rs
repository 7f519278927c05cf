//! Sign-in limits under pressure, on SQLite and PostgreSQL: simultaneous guesses are
//! checked no more often than the lockout policy allows; rate limits count failures, not
//! people signing in; and a client cannot dodge the per-address limit by writing its own
//! `X-Forwarded-For`.

use crate::helpers::{problem_code, TestApp, User, PASSWORD};
use app::config::Settings;
use db::credentials::password_credentials;
use db::main_db::{audit_log, users};
use db::sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use futures::stream::{self, StreamExt};
use reqwest::StatusCode;
use serde_json::{json, Value};
use totp_rs::{Algorithm, Secret, TOTP};
use uuid::Uuid;

const WRONG: &str = "not the password at all";

async fn audit_count(app: &TestApp, action: &str) -> u64 {
    audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq(action))
        .count(&app.ctx.main)
        .await
        .unwrap()
}

/// Sends `n` requests at once (as many in flight as there are requests) and answers
/// their statuses.
async fn all_at_once<F, Fut>(n: usize, request: F) -> Vec<StatusCode>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = reqwest::Response>,
{
    futures::future::join_all((0..n).map(request))
        .await
        .into_iter()
        .map(|r| r.status())
        .collect()
}

// ---------------------------------------------------------------------------------------
// 1. Simultaneous guesses cannot outrun the lockout.

async fn simultaneous_wrong_passwords_are_checked_at_most_the_limit(app: TestApp) {
    let user = app.signed_up("target@example.org").await;
    let statuses = all_at_once(40, |_| app.login(&user.email, WRONG)).await;
    let evaluated = audit_count(&app, "login_failed").await;
    // The default policy allows five failures before it locks.
    assert!(
        (1..=5).contains(&evaluated),
        "{evaluated} wrong passwords were checked"
    );
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(refused as u64, 40 - evaluated, "{statuses:?}");
    assert_eq!(audit_count(&app, "account_locked").await, 1);

    // Locked: the right password is refused too.
    let res = app.login(&user.email, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(problem_code(res).await, "too_many_attempts");
}

fn totp_of(secret: &str) -> TOTP {
    let bytes = Secret::Encoded(secret.to_owned()).to_bytes().unwrap();
    TOTP::new_unchecked(Algorithm::SHA1, 6, 1, 30, bytes, None, String::new())
}

/// A six-digit code valid in no step near now.
fn wrong_code(totp: &TOTP) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let valid: Vec<String> = [now - 60, now - 30, now, now + 30, now + 60]
        .iter()
        .map(|t| totp.generate(*t))
        .collect();
    (0..10)
        .map(|n| format!("{n}{n}{n}{n}{n}{n}"))
        .find(|c| !valid.contains(c))
        .unwrap()
}

/// Turns on two-step verification; answers a wrong code and the recovery codes.
async fn with_mfa(app: &TestApp, user: &User) -> (String, Vec<String>) {
    let setup: Value = app
        .post_as(&user.access_token, "/api/v1/me/mfa/totp", json!({}))
        .await
        .json()
        .await
        .unwrap();
    let totp = totp_of(setup["secret"].as_str().unwrap());
    let res = app
        .post_as(
            &user.access_token,
            "/api/v1/me/mfa/totp/confirm",
            json!({ "code": totp.generate_current().unwrap() }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    let recovery = body["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    (wrong_code(&totp), recovery)
}

/// The password step of a sign-in with two-step verification on: its challenge token.
async fn challenge(app: &TestApp, user: &User) -> String {
    let body: Value = app.login(&user.email, PASSWORD).await.json().await.unwrap();
    assert_eq!(body["status"], "mfa_required", "{body}");
    body["mfa_token"].as_str().unwrap().to_owned()
}

async fn second_step(app: &TestApp, mfa_token: &str, code: &str) -> reqwest::Response {
    app.post(
        "/api/v1/auth/login/mfa",
        json!({ "mfa_token": mfa_token, "code": code }),
    )
    .await
}

async fn simultaneous_wrong_codes_are_checked_at_most_the_limit(app: TestApp) {
    let user = app.signed_up("twostep@example.org").await;
    let (wrong, recovery) = with_mfa(&app, &user).await;
    let token = challenge(&app, &user).await;
    // Recovery-code guesses and TOTP guesses share the account's one counter.
    let statuses = all_at_once(40, |i| {
        let guess = if i % 2 == 0 {
            wrong.as_str()
        } else {
            "guess-guess"
        };
        second_step(&app, &token, guess)
    })
    .await;
    let evaluated = audit_count(&app, "mfa_failed").await;
    assert!(
        (1..=5).contains(&evaluated),
        "{evaluated} codes were checked"
    );
    assert!(
        statuses.contains(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    assert_eq!(audit_count(&app, "mfa_locked").await, 1);
    // Locked: a good recovery code is refused, and not spent.
    let res = second_step(&app, &token, &recovery[0]).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
}

// ---------------------------------------------------------------------------------------
// 2. Rate limits count failures, not successful sign-ins.

/// `n` verified accounts with the test password, written straight to the databases (the
/// hash computed once): registering them through the API would meet its own limit.
async fn verified_people(app: &TestApp, n: usize) -> Vec<String> {
    let hash = app::accounts::hash_password(PASSWORD).await.unwrap();
    let now = chrono::Utc::now();
    let mut emails = Vec::new();
    for i in 0..n {
        let id = Uuid::now_v7();
        let email = format!("person-{i}@example.org");
        users::Entity::insert(users::ActiveModel {
            id: Set(id),
            email: Set(email.clone()),
            display_name: Set(format!("Person {i}")),
            status: Set(domain::UserStatus::Active),
            email_verified_at: Set(Some(now)),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .exec_without_returning(&app.ctx.main)
        .await
        .unwrap();
        password_credentials::Entity::insert(password_credentials::ActiveModel {
            user_id: Set(id),
            password_hash: Set(hash.clone()),
            updated_at: Set(now),
        })
        .exec_without_returning(&app.ctx.creds)
        .await
        .unwrap();
        emails.push(email);
    }
    emails
}

async fn a_crowd_signing_in_from_one_address_all_get_in(app: TestApp) {
    // 200 people behind one address (a venue's wifi), four times the default limit of 50.
    let limit = app.ctx.settings.rate_limit.login_per_ip as usize;
    assert_eq!(limit, 50);
    let people = verified_people(&app, 200).await;
    let statuses: Vec<StatusCode> = stream::iter(&people)
        .map(|email| async { app.login(email, PASSWORD).await.status() })
        .buffer_unordered(8)
        .collect()
        .await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );

    // Guessing from the same address is still stopped at the limit (each guess on another
    // account, so no account lockout interferes).
    for i in 0..limit {
        let res = app.login(&format!("guess-{i}@example.org"), WRONG).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "guess {i}");
    }
    let res = app.login("one-more@example.org", WRONG).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(problem_code(res).await, "too_many_attempts");
}

fn three_codes_per_address(s: &mut Settings) {
    s.rate_limit.mfa_per_ip = 3;
    s.rate_limit.lockout_free_attempts = 20;
}

async fn the_second_step_counts_failures_not_successes(app: TestApp) {
    let user = app.signed_up("steady@example.org").await;
    let (wrong, recovery) = with_mfa(&app, &user).await;
    // Five sign-ins with good codes, over the limit of three: all get in.
    for code in &recovery[..5] {
        let token = challenge(&app, &user).await;
        let res = second_step(&app, &token, code).await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    // Three wrong codes are checked; the fourth is refused by the address's limit.
    let token = challenge(&app, &user).await;
    for _ in 0..3 {
        let res = second_step(&app, &token, &wrong).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let res = second_step(&app, &token, &wrong).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(audit_count(&app, "mfa_failed").await, 3);
}

/// The same as above with the counts shared in Redis: refunds reach Redis too.
async fn redis_counts_failures_not_successes(backend: crate::helpers::Backend) {
    let url = testkit::redis::url();
    if !testkit::redis::available(&url).await {
        return;
    }
    let prefix = format!("test:{}:", Uuid::new_v4().simple());
    let configure = |s: &mut Settings| {
        s.redis.url = Some(app::config::Secret::new(url.clone()));
        s.redis.key_prefix = prefix.clone();
        s.rate_limit.login_per_ip = 3;
    };
    crate::helpers::run(backend, configure, |app: TestApp| async move {
        let user = app.signed_up("shared@example.org").await;
        for _ in 0..6 {
            assert_eq!(
                app.login(&user.email, PASSWORD).await.status(),
                StatusCode::OK
            );
        }
        for i in 0..3 {
            let res = app.login(&format!("guess-{i}@example.org"), WRONG).await;
            assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        }
        let res = app.login("one-more@example.org", WRONG).await;
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    })
    .await;
}

mod redis_counts_failures_not_successes {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::redis_counts_failures_not_successes(crate::helpers::Backend::Sqlite).await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::redis_counts_failures_not_successes(crate::helpers::Backend::Postgres).await
    }
}

// ---------------------------------------------------------------------------------------
// 3. A spoofed left-most X-Forwarded-For does not dodge the per-address limit.

fn behind_a_local_proxy(s: &mut Settings) {
    s.server.trusted_proxies = vec!["127.0.0.1".parse().unwrap(), "10.0.0.0/8".parse().unwrap()];
    s.rate_limit.login_per_ip = 3;
}

async fn login_via_proxy(app: &TestApp, forwarded_for: &str, email: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/auth/login"))
        .header("x-forwarded-for", forwarded_for)
        .json(&json!({ "email": email, "password": WRONG }))
        .send()
        .await
        .unwrap()
}

async fn a_spoofed_forwarded_for_does_not_dodge_the_limit(app: TestApp) {
    // The client invents a new left-most address each time; our proxies (10.0.0.5, then
    // the test's 127.0.0.1 peer) append the address they really saw.
    for i in 0..3 {
        let header = format!("198.51.100.{i}, 203.0.113.9, 10.0.0.5");
        let res = login_via_proxy(&app, &header, &format!("a{i}@example.org")).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let res = login_via_proxy(
        &app,
        "198.51.100.77, 203.0.113.9, 10.0.0.5",
        "b@example.org",
    )
    .await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);

    // The audit log names the real client, not the invented one.
    let ips: Vec<Option<String>> = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("login_failed"))
        .all(&app.ctx.main)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.ip)
        .collect();
    assert_eq!(ips, vec![Some("203.0.113.9".to_owned()); 3]);

    // Another client behind the same proxy has its own count.
    let res = login_via_proxy(&app, "203.0.113.10, 10.0.0.5", "c@example.org").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

crate::on_both_backends!(
    simultaneous_wrong_passwords_are_checked_at_most_the_limit,
    simultaneous_wrong_codes_are_checked_at_most_the_limit,
    a_crowd_signing_in_from_one_address_all_get_in,
);

crate::on_both_backends_with!(three_codes_per_address => the_second_step_counts_failures_not_successes);
crate::on_both_backends_with!(behind_a_local_proxy => a_spoofed_forwarded_for_does_not_dodge_the_limit);
