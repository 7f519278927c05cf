//! How many statements the main reads run (issue 14), pinned: a change that adds one to
//! the event list, one event, one circle or my registrations (API or page) fails here.
//! The session is cached before counting, so authentication adds none.

use crate::helpers::pages::Person;
use crate::helpers::{led_circle, workshop, TestApp, User};
use reqwest::StatusCode;
use serde_json::json;

/// Event list: the events, their organisers' names, waitlists and the viewer's status
/// (one grouped query), their circles.
const EVENT_LIST: u64 = 4;
/// One event: the event, then its view as in the list.
const ONE_EVENT: u64 = 4;
/// One circle: the circle, the viewer's standing, its people with their names.
const ONE_CIRCLE: u64 = 3;
/// My registrations: registrations with their events, the views' three, and the places
/// in line of those waiting (one grouped query however many wait).
const MY_REGISTRATIONS: u64 = 5;
/// The circle page for a member: the circle as above, entering it (circle, standing),
/// its next meetings and their answers, a running step-in.
const CIRCLE_PAGE: u64 = 7;

async fn count(app: &TestApp, user: &User, path: &str) -> u64 {
    let res = app.get_as(&user.access_token, path).await;
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    TestApp::statements_of(&res)
}

async fn main_reads_run_few_statements(app: TestApp) {
    let led = led_circle(&app).await;
    let member = &led.member;
    let open = app.publish_event(&led.ptm, workshop("Counted", 10)).await;
    let mut full = workshop("Full", 1);
    full["waitlist_enabled"] = json!(true);
    let full = app.publish_event(&led.ptm, full).await;
    assert!(app
        .register_for(&led.fac, &full)
        .await
        .status()
        .is_success());
    for event in [&open, &full] {
        assert!(app.register_for(member, event).await.status().is_success());
    }
    // The first request reads the session; those counted below find it cached.
    count(&app, member, "/api/v1/me").await;
    let circle = &led.id;
    for (path, expected) in [
        ("/api/v1/events".to_owned(), EVENT_LIST),
        (format!("/api/v1/events/{open}"), ONE_EVENT),
        (format!("/api/v1/circles/{circle}"), ONE_CIRCLE),
        ("/api/v1/me/registrations".to_owned(), MY_REGISTRATIONS),
    ] {
        assert_eq!(count(&app, member, &path).await, expected, "{path}");
    }
    let mine = app
        .get_json(&member.access_token, "/api/v1/me/registrations")
        .await;
    assert_eq!(
        mine["items"][1]["registration"]["waitlist_position"], 1,
        "{mine}"
    );

    let person = Person::of(&app, member).await;
    person.get("/events").await;
    let page = person.get(&format!("/circles/{circle}")).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(TestApp::statements_of(&page), CIRCLE_PAGE);
}

crate::on_both_backends!(main_reads_run_few_statements);
