//! "Are you coming?" in a real browser (headless Chromium): a member answers from his
//! phone's home page, the facilitator sees the answer and marks everyone present after
//! the meeting. Screenshots go to `test-artifacts/screenshots/rsvp-*.png`.

use crate::helpers::{circle_body, TestApp, PASSWORD};
use chrono::Duration;
use testkit::browser::{Browser, PHONE};

async fn answer_on_a_phone_and_mark_all_present(app: TestApp) {
    let admin = app.admin().await;
    let fac = app.facilitator(&admin, "Frank Facilitator").await;
    let member = app.named("Jordan Lee").await;
    let id = app.create_circle(&fac, circle_body("Tuesday Men", 8)).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.join(&fac, &member, &id).await;
    let meeting = app
        .meeting_at(&fac, &id, app.now() + Duration::hours(2))
        .await;

    let Some(phone) = Browser::open(&app.address, PHONE).await else {
        return;
    };
    phone.sign_in(&member.email, PASSWORD).await;
    phone.goto("/home").await;
    phone.wait_for_text("#next-meetings", "Tuesday Men").await;
    assert!(phone
        .text("#next-meetings")
        .await
        .contains("(Europe/Berlin)"));
    phone
        .click(&format!(
            "form[action='/meetings/{meeting}/rsvp'] button[value=coming]"
        ))
        .await;
    phone
        .wait_for_text("main [role=status]", "Your answer is saved.")
        .await;
    phone
        .wait_for_text("#next-meetings .rsvp-answer", "Coming")
        .await;
    assert_eq!(phone.sideways_overflow().await, 0.0, "fits the phone");
    phone.screenshot("rsvp-home", PHONE).await;
    phone.close().await;

    let Some(fac_phone) = Browser::open(&app.address, PHONE).await else {
        return;
    };
    fac_phone.sign_in(&fac.email, PASSWORD).await;
    fac_phone.goto(&format!("/circles/{id}/meetings")).await;
    fac_phone
        .wait_for_text(".rsvp-summary", "Coming: Jordan Lee")
        .await;
    fac_phone.screenshot("rsvp-meetings", PHONE).await;
    fac_phone.close().await;

    // After the meeting, one tap marks everyone present.
    app.advance(Duration::hours(3));
    let Some(fac_phone) = Browser::open(&app.address, PHONE).await else {
        return;
    };
    fac_phone.sign_in(&fac.email, PASSWORD).await;
    fac_phone
        .goto(&format!("/meetings/{meeting}/attendance"))
        .await;
    fac_phone
        .click(&format!(
            "form[action='/meetings/{meeting}/attendance/all-present'] button"
        ))
        .await;
    fac_phone
        .wait_for_text("main [role=status]", "marked present")
        .await;
    let checked = fac_phone
        .script(
            "return document.querySelectorAll('input[type=radio][value=present]:checked').length;",
        )
        .await;
    assert_eq!(checked, serde_json::json!(1));
    fac_phone.screenshot("rsvp-all-present", PHONE).await;
    fac_phone.close().await;
}

crate::on_both_backends!(answer_on_a_phone_and_mark_all_present);
