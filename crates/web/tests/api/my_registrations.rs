//! `GET /me/registrations` a page at a time (issue 14): the cursor walks every live
//! registration once, in (start, registration) order, undisturbed by registrations made
//! meanwhile; past events list separately, the most recent first; the places in line are
//! right; a cursor the list did not make is refused.

use crate::helpers::{
    ok_json, problem_code, unique_email, validation_errors, workshop, TestApp, User,
};
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// Every page of `path` (which has a query string), `limit` at a time: the items' titles.
async fn walk(app: &TestApp, who: &User, path: &str, limit: u32) -> Vec<String> {
    let mut titles = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("{path}&limit={limit}&cursor={c}"),
            None => format!("{path}&limit={limit}"),
        };
        let page = app.get_json(&who.access_token, &url).await;
        let items = page["items"].as_array().expect("items");
        assert!(items.len() <= limit as usize, "{page}");
        titles.extend(
            items
                .iter()
                .map(|i| i["event"]["title"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return titles,
        }
    }
}

fn on_day(title: &str, days: i64, capacity: i64) -> Value {
    let mut body = workshop(title, capacity);
    let day = (chrono::Utc::now() + Duration::days(days)).date_naive();
    body["starts_at"] = json!(format!("{day}T10:00"));
    body["ends_at"] = json!(format!("{day}T16:00"));
    body["waitlist_enabled"] = json!(true);
    body
}

async fn my_registrations_are_paged(app: TestApp) {
    let admin = app.admin().await;
    let ptm = app.user_with_roles(&admin, &["program_team_member"]).await;
    let me = app.signed_up(&unique_email("pager")).await;
    let first = app.signed_up(&unique_email("first")).await;
    // Two on the same day (the registration id breaks the tie), one full, one cancelled.
    let mut ids = Vec::new();
    for (title, days, capacity) in [
        ("Day 5", 5, 10),
        ("Day 3 full", 3, 1),
        ("Day 8 a", 8, 10),
        ("Day 8 b", 8, 10),
        ("Day 2", 2, 10),
        ("Day 4 cancelled", 4, 10),
    ] {
        let id = app.publish_event(&ptm, on_day(title, days, capacity)).await;
        if capacity == 1 {
            ok_json(app.register_for(&first, &id).await).await;
        }
        ok_json(app.register_for(&me, &id).await).await;
        ids.push(id);
    }
    ok_json(app.cancel_registration(&me, &ids[5]).await).await;

    let all = app
        .get_json(&me.access_token, "/api/v1/me/registrations")
        .await;
    assert!(all["next_cursor"].is_null(), "{all}");
    let items = all["items"].as_array().unwrap();
    let titles: Vec<&str> = items
        .iter()
        .map(|i| i["event"]["title"].as_str().unwrap())
        .collect();
    assert_eq!(&titles[..3], ["Day 2", "Day 3 full", "Day 5"], "{all}");
    let mut same_day: Vec<(&str, &str)> = items[3..]
        .iter()
        .map(|i| {
            (
                i["registration"]["id"].as_str().unwrap(),
                i["event"]["title"].as_str().unwrap(),
            )
        })
        .collect();
    let shown = same_day.clone();
    same_day.sort();
    assert_eq!(shown, same_day, "same start: by registration id");
    assert_eq!(items[1]["registration"]["status"], "waitlisted");
    assert_eq!(items[1]["registration"]["waitlist_position"], 1);
    assert!(items[0]["registration"]["waitlist_position"].is_null());
    let expected: Vec<String> = titles.iter().map(|t| t.to_string()).collect();

    // Page by page, whatever the page size, the same list once.
    for limit in [1, 2, 4] {
        assert_eq!(
            walk(&app, &me, "/api/v1/me/registrations?when=upcoming", limit).await,
            expected
        );
    }

    // A registration made between two pages: rows before the cursor stay put, the new
    // one appears in its place after it.
    let page = app
        .get_json(&me.access_token, "/api/v1/me/registrations?limit=2")
        .await;
    let cursor = page["next_cursor"].as_str().unwrap().to_owned();
    let late = app.publish_event(&ptm, on_day("Day 9", 9, 10)).await;
    let early = app.publish_event(&ptm, on_day("Day 1", 1, 10)).await;
    ok_json(app.register_for(&me, &late).await).await;
    ok_json(app.register_for(&me, &early).await).await;
    let rest = app
        .get_json(
            &me.access_token,
            &format!("/api/v1/me/registrations?cursor={cursor}"),
        )
        .await;
    let rest: Vec<&str> = rest["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["event"]["title"].as_str().unwrap())
        .collect();
    assert_eq!(rest.len(), 4, "{rest:?}");
    assert_eq!(rest[0], "Day 5");
    assert_eq!(rest[3], "Day 9");

    // After the first three events: they are past, the most recent first.
    app.advance(Duration::days(4));
    let me = app.signed_in_again(&me).await;
    let past = walk(&app, &me, "/api/v1/me/registrations?when=past", 2).await;
    assert_eq!(past, ["Day 3 full", "Day 2", "Day 1"]);
    let upcoming = walk(&app, &me, "/api/v1/me/registrations?when=upcoming", 3).await;
    assert_eq!(upcoming[0], "Day 5");
    assert_eq!(upcoming.len(), 4);

    // A cursor this list did not make, or a bad filter, is a clear client error.
    for bad in [
        "cursor=not-a-cursor",
        "cursor=2026-01-01T00:00:00Z_nope",
        "limit=0",
        "limit=201",
    ] {
        let res = app
            .get_as(&me.access_token, &format!("/api/v1/me/registrations?{bad}"))
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        let errors = validation_errors(res).await;
        let field = if bad.starts_with("cursor") {
            "cursor"
        } else {
            "limit"
        };
        assert_eq!(errors[0]["field"], field, "{bad}: {errors}");
    }
    let res = app
        .get_as(&me.access_token, "/api/v1/me/registrations?when=tomorrow")
        .await;
    assert!(res.status().is_client_error(), "{}", res.status());
    problem_code(res).await;
}

crate::on_both_backends!(my_registrations_are_paged);
