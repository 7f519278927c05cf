//! Wording and times on the pages: every time names its zone, the profile's time zone is
//! used for that reader, empty states fit what was asked, a message is said once, and
//! password hints read as plain sentences.

use crate::helpers::pages::{between, Person};
use crate::helpers::{circle_body, workshop, TestApp};
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::json;

async fn times_name_their_zone_and_follow_the_profile(app: TestApp) {
    let admin = app.admin().await;
    let fac_user = app.facilitator(&admin, "Frank Facilitator").await;
    let circle = app
        .create_circle(&fac_user, circle_body("Tuesday Men", 6))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = app
        .generate_meetings(
            &fac_user,
            &circle,
            json!({ "until": (app.now() + Duration::weeks(3)).to_rfc3339() }),
        )
        .await;
    assert!(res.status().is_success(), "{}", res.text().await.unwrap());
    let fac = Person::of(&app, &fac_user).await;
    // Meeting times on the circle's clock say which clock: "19:30 CET" or "CEST".
    let html = fac.page(&format!("/circles/{circle}")).await;
    assert!(
        html.contains("19:30 CET") || html.contains("19:30 CEST"),
        "{html}"
    );

    // Without a zone in the profile, account times say UTC; with one, they are on his clock.
    let html = fac.page("/security").await;
    assert!(html.contains(" UTC</time>"), "{html}");
    let res = app
        .patch_me(&fac_user, json!({ "time_zone": "America/New_York" }))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = fac.page("/security").await;
    assert!(html.contains("(America/New_York)</time>"), "{html}");

    // An event in Berlin also shows its times on his New York clock.
    let ptm = app.user_with_roles(&admin, &["program_team_member"]).await;
    let event = app.publish_event(&ptm, workshop("Drumming Night", 5)).await;
    let html = fac.page(&format!("/events/{event}")).await;
    assert!(html.contains("(Europe/Berlin)"), "{html}");
    let yours = between(&html, "In your time zone</dt><dd>", "</dd>").unwrap();
    assert!(yours.ends_with("(America/New_York)"), "{yours}");
}

async fn empty_states_messages_and_hints_read_plainly(app: TestApp) {
    // No circle yet and no filter set: nothing to "try fewer filters" on.
    let ali = Person::of(&app, &app.named("Ali Haddad").await).await;
    let html = ali.page("/circles").await;
    assert!(html.contains("No circle is open to look at yet"), "{html}");
    assert!(!html.contains("fewer filters"));
    let html = ali.page("/circles?q=drums").await;
    assert!(html.contains("Try fewer filters"), "{html}");

    // Starting two-step set-up says "scan the code" once, not in a banner and again below.
    let (_, html) = ali.submit_ok("/security", "/security/mfa/start", &[]).await;
    assert_eq!(html.matches("Scan ").count(), 1, "{html}");

    // A weak password's hint has no brackets inside its sentence.
    let visitor = Person::visitor(&app);
    let html = visitor
        .submit_refused(
            "/register",
            "/register",
            &[
                ("display_name", "Sam Okafor"),
                ("email", "sam@example.org"),
                ("password", "password1234"),
            ],
        )
        .await;
    assert!(
        html.contains("This password is too easy to guess. "),
        "{html}"
    );
    assert!(!html.contains("guess ("));
}

crate::on_both_backends!(
    times_name_their_zone_and_follow_the_profile,
    empty_states_messages_and_hints_read_plainly,
);
