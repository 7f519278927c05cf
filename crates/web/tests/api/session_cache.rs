//! Sessions trusted from memory (issue 14): a request whose session was read recently runs
//! no statement to authenticate, and whatever ends or changes a session takes effect at
//! once on the instance that changed it, and on every other instance through Redis — or,
//! without Redis, within the cache's 5 s bound.

use crate::helpers::pages::Person;
use crate::helpers::{problem_code, unique_email, Backend, TestApp, User, PASSWORD};
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

/// What `GET /me` runs besides authentication: the MFA lookup.
const ME_STATEMENTS: u64 = 1;
/// What authenticating from the database costs: the session, the user, the roles.
const AUTH_STATEMENTS: u64 = 3;

async fn me_statements(app: &TestApp, user: &User) -> u64 {
    let res = app.get_as(&user.access_token, "/api/v1/me").await;
    assert_eq!(res.status(), StatusCode::OK);
    TestApp::statements_of(&res)
}

async fn a_cached_session_costs_no_statement(app: TestApp) {
    let user = app.signed_up(&unique_email("cached")).await;
    assert_eq!(
        me_statements(&app, &user).await,
        ME_STATEMENTS + AUTH_STATEMENTS,
        "the first request reads the session"
    );
    for _ in 0..3 {
        assert_eq!(
            me_statements(&app, &user).await,
            ME_STATEMENTS,
            "a cached session runs no authentication statement"
        );
    }
    // The same for a browser's session cookie.
    let person = Person::of(&app, &user).await;
    let first = TestApp::statements_of(&person.get("/security").await);
    let again = TestApp::statements_of(&person.get("/security").await);
    assert_eq!(first - again, AUTH_STATEMENTS, "{first} then {again}");
}

async fn me_status(app: &TestApp, user: &User) -> StatusCode {
    app.get_as(&user.access_token, "/api/v1/me").await.status()
}

/// Waits until `check` holds on `app`, for at most `within`.
async fn holds_within<F, Fut>(within: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let until = tokio::time::Instant::now() + within;
    loop {
        if check().await {
            return true;
        }
        if tokio::time::Instant::now() > until {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn roles_of(app: &TestApp, user: &User) -> serde_json::Value {
    app.me(user).await["roles"].clone()
}

/// A logout, a suspension, a role change and a password change made on `a`: `a` obeys at
/// once; `b` within `catch_up` (which moves the clock when no Redis carries the news).
async fn changes_reach_both(a: &TestApp, b: &TestApp, catch_up: impl AsyncFn()) {
    let admin = a.admin().await;
    let leaving = a.signed_up(&unique_email("leaving")).await;
    let suspended = a.signed_up(&unique_email("suspended")).await;
    let promoted = a.signed_up(&unique_email("promoted")).await;
    let changing = a.signed_up(&unique_email("changing")).await;
    let other_device = a.signed_in(&changing.email, PASSWORD).await;
    for user in [&leaving, &suspended, &promoted, &changing, &other_device] {
        for app in [a, b] {
            // Twice: the second answer comes from the cache.
            assert_eq!(me_status(app, user).await, StatusCode::OK);
            assert_eq!(me_status(app, user).await, StatusCode::OK);
        }
    }
    let before = roles_of(b, &promoted).await;

    let res = a
        .call(
            reqwest::Method::POST,
            "/api/v1/auth/logout",
            Some(&leaving.access_token),
            None,
        )
        .await;
    assert!(res.status().is_success(), "{}", res.status());
    assert_eq!(
        a.suspend(&admin, suspended.id, "testing").await.status(),
        StatusCode::OK
    );
    assert_eq!(
        a.put_role(&admin, promoted.id, "program_team_member")
            .await
            .status(),
        StatusCode::OK
    );
    let res = a
        .post_as(
            &changing.access_token,
            "/api/v1/me/password",
            json!({ "current_password": PASSWORD, "new_password": "a brand new passphrase 42" }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);

    // At once on the instance that made the change.
    assert_eq!(me_status(a, &leaving).await, StatusCode::UNAUTHORIZED);
    let res = a.get_as(&suspended.access_token, "/api/v1/me").await;
    assert_eq!(problem_code(res).await, "account_suspended");
    assert_ne!(roles_of(a, &promoted).await, before);
    assert_eq!(me_status(a, &other_device).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        me_status(a, &changing).await,
        StatusCode::OK,
        "the changing session stays"
    );

    // On the other instance, within the bound.
    catch_up().await;
    let caught_up = holds_within(Duration::from_secs(3), || async {
        me_status(b, &leaving).await == StatusCode::UNAUTHORIZED
            && me_status(b, &suspended).await == StatusCode::FORBIDDEN
            && me_status(b, &other_device).await == StatusCode::UNAUTHORIZED
            && roles_of(b, &promoted).await != before
    })
    .await;
    assert!(caught_up, "instance B still trusts what instance A changed");
    assert_eq!(me_status(b, &changing).await, StatusCode::OK);
}

async fn instances_sharing_redis_hear_changes_at_once(backend: Backend) {
    let url = testkit::redis::url();
    if !testkit::redis::available(&url).await {
        return;
    }
    let prefix = format!("test:{}:", uuid::Uuid::new_v4().simple());
    let configure = |s: &mut app::config::Settings| {
        s.redis.url = Some(app::config::Secret::new(url.clone()));
        s.redis.key_prefix = prefix.clone();
    };
    let Some(a) = crate::helpers::spawn_app_with(backend, configure).await else {
        return;
    };
    let b = a.second_instance().await;
    // Redis carries the news: nothing to wait for but the publication.
    changes_reach_both(&a, &b, async || {}).await;
    testkit::redis::delete_keys(&url, &prefix).await;
}

async fn instances_without_redis_catch_up_within_the_bound(app: TestApp) {
    let b = app.second_instance().await;
    let user = app.signed_up(&unique_email("alone")).await;
    assert_eq!(me_status(&b, &user).await, StatusCode::OK);
    let res = app
        .call(
            reqwest::Method::POST,
            "/api/v1/auth/logout",
            Some(&user.access_token),
            None,
        )
        .await;
    assert!(res.status().is_success());
    assert_eq!(me_status(&app, &user).await, StatusCode::UNAUTHORIZED);
    // B cannot hear A without Redis: it trusts what it read for at most the bound…
    assert_eq!(me_status(&b, &user).await, StatusCode::OK);
    // …and no longer.
    let bound = app::accounts::TTL_ALONE + chrono::Duration::seconds(1);
    let clock = &app;
    changes_reach_both(&app, &b, async || clock.advance(bound)).await;
    assert_eq!(me_status(&b, &user).await, StatusCode::UNAUTHORIZED);
}

crate::on_both_backends!(
    a_cached_session_costs_no_statement,
    instances_without_redis_catch_up_within_the_bound,
);

mod instances_sharing_redis_hear_changes_at_once {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::instances_sharing_redis_hear_changes_at_once(crate::helpers::Backend::Sqlite).await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::instances_sharing_redis_hear_changes_at_once(crate::helpers::Backend::Postgres).await
    }
}
