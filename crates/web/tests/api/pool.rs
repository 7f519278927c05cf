//! When every pooled database connection is taken for longer than the acquire timeout,
//! the API answers 503 `busy` with `Retry-After` (a load problem that passes), not a 500.

use crate::helpers::{problem_code, TestApp};
use app::config::Settings;
use db::sea_orm::TransactionTrait;
use reqwest::{header, StatusCode};

fn tiny_pool(s: &mut Settings) {
    s.database.max_connections = 1;
    s.database.acquire_timeout_secs = Some(1);
}

async fn an_exhausted_pool_answers_busy_with_retry_after(app: TestApp) {
    let member = app.named("Member").await;
    let res = app.get_as(&member.access_token, "/api/v1/circles").await;
    assert_eq!(res.status(), StatusCode::OK);

    // Hold the main database's only connection, as a long request would.
    let held = app.ctx.main.begin().await.expect("take the connection");
    let res = app.get_as(&member.access_token, "/api/v1/circles").await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let retry_after = res.headers().get(header::RETRY_AFTER).cloned();
    assert_eq!(
        res.headers()[header::CONTENT_TYPE],
        "application/problem+json"
    );
    assert_eq!(problem_code(res).await, "busy");
    let secs: u64 = retry_after
        .expect("Retry-After")
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&secs), "{secs}");

    held.rollback().await.unwrap();
    let res = app.get_as(&member.access_token, "/api/v1/circles").await;
    assert_eq!(res.status(), StatusCode::OK);
}

crate::on_both_backends_with!(tiny_pool => an_exhausted_pool_answers_busy_with_retry_after);
