//! The time-zone picker: current zones by region with their offset from UTC at the
//! app's "now", no legacy aliases, and a stored alias still shown selected and kept.

use crate::helpers::pages::{csrf_token, Person};
use crate::helpers::{location, TestApp};
use chrono::{DateTime, Datelike, TimeZone as _, Utc};
use reqwest::StatusCode;
use serde_json::json;

/// The first `month`/15 noon UTC after the app's "now", so the test can move time there.
fn next(app: &TestApp, month: u32) -> DateTime<Utc> {
    let now = app.now();
    (now.year()..)
        .map(|y| Utc.with_ymd_and_hms(y, month, 15, 12, 0, 0).unwrap())
        .find(|t| *t > now)
        .unwrap()
}

async fn offsets_follow_the_app_clock_and_aliases_are_kept(app: TestApp) {
    // Each season signs in afresh: months pass between them, and sessions end.
    app.advance_to(next(&app, 1));
    let user = app.signed_up("winter@example.org").await;
    let person = Person::of(&app, &user).await;
    let html = person.page("/profile").await;
    assert!(html.contains("<optgroup label=\"Europe\">"));
    assert!(
        html.contains("<option value=\"Europe/Berlin\">Europe/Berlin (UTC+01:00)</option>"),
        "winter offset shown"
    );
    assert!(html.contains(">America/New York (UTC-05:00)</option>"));
    assert!(html.contains(">Asia/Kolkata (UTC+05:30)</option>"));
    for alias in [
        "Asia/Calcutta",
        "Europe/Kiev",
        "US/Eastern",
        "Etc/GMT+5",
        "GB",
    ] {
        assert!(
            !html.contains(&format!("value=\"{alias}\"")),
            "{alias} offered"
        );
    }

    // Summer time comes with the clock, not with the server's start.
    app.advance_to(next(&app, 7));
    let user = app.signed_up("summer@example.org").await;
    let person = Person::of(&app, &user).await;
    let html = person.page("/profile").await;
    assert!(html.contains(">Europe/Berlin (UTC+02:00)</option>"));

    // Someone who saved an alias before keeps it: shown selected, with its offset...
    let res = app
        .patch_me(&user, json!({ "time_zone": "Asia/Calcutta" }))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = person.page("/profile").await;
    assert!(
        html.contains(
            "<option value=\"Asia/Calcutta\" selected>Asia/Calcutta (UTC+05:30)</option>"
        ),
        "stored alias shown selected"
    );
    assert!(!html.contains("not recognised"));

    // ...and saving the page unchanged keeps it.
    let form = [
        ("csrf_token", csrf_token(&html)),
        ("display_name", "Zones".to_owned()),
        ("time_zone", "Asia/Calcutta".to_owned()),
    ];
    let res = person
        .client
        .post(app.url("/profile"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/profile?done=saved");
    assert_eq!(app.me(&user).await["time_zone"], "Asia/Calcutta");
}

crate::on_both_backends!(offsets_follow_the_app_clock_and_aliases_are_kept);
