//! "Are you coming?" to circle meetings, the leaders' view of the answers, everyone's next
//! meeting (API, Home and My circles) and "Mark all present", on SQLite and PostgreSQL.

use crate::helpers::pages::Person;
use crate::helpers::{circle_body, ok_json, refused, TestApp};
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{json, Value};

fn answer_of<'a>(lines: &'a Value, user_id: &str) -> &'a Value {
    &lines
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["user_id"] == user_id)
        .unwrap_or_else(|| panic!("{user_id} in {lines}"))["answer"]
}

async fn members_answer_and_leaders_see_who_comes(app: TestApp) {
    let admin = app.admin().await;
    let fac = app.facilitator(&admin, "Frank Facilitator").await;
    let joe = app.named("Joe Member").await;
    let sam = app.named("Sam Member").await;
    let outsider = app.named("Otto Outsider").await;
    let id = app.create_circle(&fac, circle_body("Tuesday Men", 8)).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.join(&fac, &joe, &id).await;
    app.join(&fac, &sam, &id).await;
    let later = app
        .meeting_at(&fac, &id, app.now() + Duration::days(3))
        .await;
    let next = app
        .meeting_at(&fac, &id, app.now() + Duration::days(1))
        .await;

    // Each member sees the soonest meeting of his circle, unanswered; outsiders see none.
    let mine = app.next_meetings(&joe).await;
    assert_eq!(mine.as_array().unwrap().len(), 1, "{mine}");
    assert_eq!(mine[0]["meeting_id"], next.as_str());
    assert_eq!(mine[0]["circle_name"], "Tuesday Men");
    assert_eq!(mine[0]["circle_time_zone"], "Europe/Berlin");
    assert!(mine[0]["my_answer"].is_null());
    assert_eq!(mine[0]["rsvp_open"], true);
    assert_eq!(app.next_meetings(&outsider).await, json!([]));

    // Answering, and changing the answer.
    let said = ok_json(app.rsvp(&joe, &next, "not_coming").await).await;
    assert_eq!(said["answer"], "not_coming");
    let said = ok_json(app.rsvp(&joe, &next, "coming").await).await;
    assert_eq!(said["answer"], "coming");
    ok_json(app.rsvp(&sam, &next, "not_coming").await).await;
    assert_eq!(app.next_meetings(&joe).await[0]["my_answer"], "coming");

    // Refusals: a bad answer, an outsider, an Admin who is not in the circle.
    let res = app.rsvp(&joe, &next, "maybe").await;
    assert_eq!(
        refused(res, StatusCode::UNPROCESSABLE_ENTITY).await,
        "validation_failed"
    );
    for who in [&outsider, &admin] {
        let res = app.rsvp(who, &next, "coming").await;
        assert_eq!(refused(res, StatusCode::FORBIDDEN).await, "forbidden");
    }

    // Who said what is for the circle's leaders only (circle-private).
    for who in [&joe, &outsider, &admin] {
        let res = app.rsvps_of(who, &next).await;
        assert_eq!(refused(res, StatusCode::FORBIDDEN).await, "forbidden");
    }
    let lines = ok_json(app.rsvps_of(&fac, &next).await).await;
    assert_eq!(answer_of(&lines, &joe.id.to_string()), "coming");
    assert_eq!(answer_of(&lines, &sam.id.to_string()), "not_coming");
    assert!(answer_of(&lines, &fac.id.to_string()).is_null());
    let other = ok_json(app.rsvps_of(&fac, &later).await).await;
    assert!(answer_of(&other, &joe.id.to_string()).is_null());

    // Once the meeting has started the answer is closed.
    app.advance(Duration::days(1) + Duration::minutes(5));
    let (sam, joe, fac) = (
        app.signed_in_again(&sam).await,
        app.signed_in_again(&joe).await,
        app.signed_in_again(&fac).await,
    );
    let res = app.rsvp(&sam, &next, "coming").await;
    assert_eq!(refused(res, StatusCode::CONFLICT).await, "rsvp_closed");
    let mine = app.next_meetings(&sam).await;
    assert_eq!(
        mine[0]["meeting_id"],
        next.as_str(),
        "still on, until it ends"
    );
    assert_eq!(mine[0]["rsvp_open"], false);
    assert_eq!(mine[0]["my_answer"], "not_coming");
    // After it ended, the next one is shown.
    app.advance(Duration::hours(3));
    let (sam, joe, fac) = (
        app.signed_in_again(&sam).await,
        app.signed_in_again(&joe).await,
        app.signed_in_again(&fac).await,
    );
    assert_eq!(
        app.next_meetings(&sam).await[0]["meeting_id"],
        later.as_str()
    );

    // A cancelled meeting takes no answer.
    ok_json(
        app.post_as(
            &fac.access_token,
            &format!("/api/v1/meetings/{later}/cancel"),
            json!({}),
        )
        .await,
    )
    .await;
    let res = app.rsvp(&joe, &later, "coming").await;
    assert_eq!(
        refused(res, StatusCode::CONFLICT).await,
        "meeting_cancelled"
    );
    assert_eq!(app.next_meetings(&joe).await, json!([]));
}

async fn mark_all_present_keeps_given_marks(app: TestApp) {
    let admin = app.admin().await;
    let fac = app.facilitator(&admin, "Frank Facilitator").await;
    let joe = app.named("Joe Member").await;
    let sam = app.named("Sam Member").await;
    let id = app.create_circle(&fac, circle_body("Tuesday Men", 8)).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.join(&fac, &joe, &id).await;
    app.join(&fac, &sam, &id).await;
    let coming = app
        .meeting_at(&fac, &id, app.now() + Duration::days(1))
        .await;
    let res = app.mark_all_present(&fac, &coming).await;
    assert_eq!(
        refused(res, StatusCode::CONFLICT).await,
        "meeting_not_started"
    );

    let past = app
        .meeting_at(&fac, &id, app.now() - Duration::hours(3))
        .await;
    let res = app.mark_all_present(&joe, &past).await;
    assert_eq!(refused(res, StatusCode::FORBIDDEN).await, "forbidden");
    ok_json(
        app.record_attendance(
            &fac,
            &past,
            json!([{ "user_id": sam.id, "status": "excused" }]),
        )
        .await,
    )
    .await;
    let done = ok_json(app.mark_all_present(&fac, &past).await).await;
    assert_eq!(done["marked"], 1, "only Joe was unmarked");
    let again = ok_json(app.mark_all_present(&fac, &past).await).await;
    assert_eq!(again["marked"], 0);
    let joe_history = app
        .get_json(&joe.access_token, "/api/v1/me/attendance")
        .await;
    assert_eq!(joe_history[0]["status"], "present");
    let sam_history = app
        .get_json(&sam.access_token, "/api/v1/me/attendance")
        .await;
    assert_eq!(sam_history[0]["status"], "excused", "a given mark stays");
}

async fn next_meeting_and_rsvp_on_the_pages(app: TestApp) {
    let admin = app.admin().await;
    let fac_user = app.facilitator(&admin, "Frank Facilitator").await;
    let joe_user = app.named("Joe Member").await;
    let id = app
        .create_circle(&fac_user, circle_body("Tuesday Men", 8))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.join(&fac_user, &joe_user, &id).await;
    let meeting = app
        .meeting_at(&fac_user, &id, app.now() + Duration::days(2))
        .await;
    // Joe lives in New York: his pages show the meeting on his clock, naming the zone.
    ok_json(
        app.patch_me(&joe_user, json!({ "time_zone": "America/New_York" }))
            .await,
    )
    .await;
    let joe = Person::of(&app, &joe_user).await;
    let fac = Person::of(&app, &fac_user).await;

    let home = joe.page("/home").await;
    assert!(home.contains("Next circle meetings"), "{home}");
    assert!(home.contains("(America/New_York)"), "{home}");
    assert!(home.contains("Not answered yet"));
    let (to, html) = joe
        .submit_ok(
            "/home",
            &format!("/meetings/{meeting}/rsvp"),
            &[("answer", "coming"), ("back", "home")],
        )
        .await;
    assert!(to.starts_with("/home"), "{to}");
    assert!(html.contains("Your answer is saved."));
    assert!(
        html.contains("Your answer: <span class=\"tag ok\">Coming</span>"),
        "{html}"
    );

    let (to, html) = joe
        .submit_ok(
            "/me/circles",
            &format!("/meetings/{meeting}/rsvp"),
            &[("answer", "not_coming"), ("back", "circles")],
        )
        .await;
    assert!(to.starts_with("/me/circles"), "{to}");
    assert!(html.contains("Next circle meetings") && html.contains("Not coming"));

    // The facilitator sees who said what on the meetings page; the member does not.
    let page = fac.page(&format!("/circles/{id}/meetings")).await;
    assert!(page.contains("Not coming: Joe Member"), "{page}");
    let page = joe.page(&format!("/circles/{id}/meetings")).await;
    assert!(!page.contains("Not coming: Joe Member"), "{page}");

    // "Mark all present" once it has taken place.
    app.advance(Duration::days(2) + Duration::minutes(1));
    let fac = Person::of(&app, &fac.user).await;
    let sheet = format!("/meetings/{meeting}/attendance");
    let html = fac.page(&sheet).await;
    assert!(html.contains("Mark all present"), "{html}");
    let (_, html) = fac
        .submit_ok(&sheet, &format!("{sheet}/all-present"), &[])
        .await;
    assert!(html.contains("Everyone not marked yet is marked present."));
    assert!(html.contains("checked"), "{html}");
    assert!(
        !html.contains("Mark all present</button>"),
        "nobody left to mark"
    );
}

crate::on_both_backends!(
    members_answer_and_leaders_see_who_comes,
    mark_all_present_keeps_given_marks,
    next_meeting_and_rsvp_on_the_pages,
);
