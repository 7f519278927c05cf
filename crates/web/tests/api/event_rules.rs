//! When an event may start and end: never created to start in the past, an edit keeps a
//! past start only when it leaves it unchanged, and "Mark as completed" exists only once
//! the event has started.

use crate::helpers::pages::Person;
use crate::helpers::{invalid_fields, local, refused, workshop, TestApp};
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::json;

async fn events_start_from_now_and_complete_after_starting(app: TestApp) {
    let admin = app.admin().await;
    let ptm_user = app.user_with_roles(&admin, &["program_team_member"]).await;

    // Yesterday is no time to start.
    let mut past = workshop("Too Late", 5);
    past["starts_at"] = json!(local(-1, 10));
    past["ends_at"] = json!(local(-1, 16));
    let res = app
        .post_as(&ptm_user.access_token, "/api/v1/events", past)
        .await;
    assert_eq!(invalid_fields(res).await, ["starts_at"]);

    let body = workshop("Drumming Night", 5);
    let id = app.publish_event(&ptm_user, body.clone()).await;
    let ptm = Person::of(&app, &ptm_user).await;
    let page = format!("/events/{id}");
    let html = ptm.page(&page).await;
    assert!(!html.contains("Mark as completed"), "{html}");
    let res = app.set_event_status(&ptm_user, &id, "completed").await;
    assert_eq!(refused(res, StatusCode::CONFLICT).await, "not_started");

    // Once it has begun, it can be completed, and edited without moving its start.
    app.advance(Duration::days(10) + Duration::hours(13));
    let ptm_user = app.signed_in_again(&ptm_user).await;
    let ptm = Person::of(&app, &ptm_user).await;
    let html = ptm.page(&page).await;
    assert!(html.contains("Mark as completed"), "{html}");
    let mut edit = body.clone();
    edit["title"] = json!("Drumming Night (live)");
    let put = format!("/api/v1/events/{id}");
    let res = app
        .send(
            app.client
                .put(app.url(&put))
                .bearer_auth(&ptm_user.access_token)
                .json(&edit),
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
    edit["starts_at"] = json!(local(10, 9));
    let res = app
        .send(
            app.client
                .put(app.url(&put))
                .bearer_auth(&ptm_user.access_token)
                .json(&edit),
        )
        .await;
    assert_eq!(invalid_fields(res).await, ["starts_at"]);
    let res = app.set_event_status(&ptm_user, &id, "completed").await;
    assert_eq!(res.status(), StatusCode::OK);
}

crate::on_both_backends!(events_start_from_now_and_complete_after_starting);
