//! The circle pages in a real browser (headless Chromium through ChromeDriver): a
//! facilitator creates a circle with the form on a desktop, a member asks to join from a
//! phone, the facilitator approves, then takes attendance on a phone in a few taps.
//! Screenshots go to `test-artifacts/screenshots/circle-*.png`.

use crate::helpers::pages::id_in;
use crate::helpers::{TestApp, PASSWORD};
use serde_json::json;
use testkit::browser::{Browser, DESKTOP, PHONE};
use uuid::Uuid;

async fn create_join_approve_and_take_attendance(app: TestApp) {
    let admin = app.admin().await;
    let fac = app.facilitator(&admin, "Frank Facilitator").await;
    let member = app.named("Jordan Lee").await;

    // 1. The facilitator creates the circle with the form, on a desktop.
    let Some(desk) = Browser::open(&app.address, DESKTOP).await else {
        return;
    };
    desk.sign_in(&fac.email, PASSWORD).await;
    desk.click("header nav a[href='/circles']").await;
    desk.wait_for_text("main h1", "Circles").await;
    desk.click("main a[href='/circles/new']").await;
    desk.wait_for_text("main h1", "Create a circle").await;
    desk.fill("#name", "Tuesday Men").await;
    desk.fill("#description", "Men meeting to listen and speak honestly.")
        .await;
    desk.fill("#capacity", "6").await;
    desk.set_value("weekday", "tue").await;
    desk.set_value("time_zone", "Europe/Berlin").await;
    desk.set_value("anchor_date", "2026-03-03").await;
    desk.fill("#city", "Berlin").await;
    desk.screenshot("circle-form", DESKTOP).await;
    desk.click("form[action='/circles/new'] button[type=submit]")
        .await;
    desk.wait_for_text("main [role=status]", "The circle is created")
        .await;
    let id = id_in(&desk.path().await, "/circles/");
    assert!(id.parse::<Uuid>().is_ok(), "on the circle's page: {id}");
    desk.screenshot("circle-page", DESKTOP).await;

    // 2. A member finds it on a phone and asks to join.
    let Some(phone) = Browser::open(&app.address, PHONE).await else {
        return;
    };
    phone.sign_in(&member.email, PASSWORD).await;
    phone.goto("/circles?weekday=tue").await;
    phone.wait_for_text("main", "Tuesday Men").await;
    phone.screenshot("circle-browse", PHONE).await;
    phone.click(&format!("main a[href='/circles/{id}']")).await;
    phone.wait_for_text("main h1", "Tuesday Men").await;
    phone.fill("#message", "I moved to Berlin in May.").await;
    phone
        .click(&format!(
            "form[action='/circles/{id}/join'] button[type=submit]"
        ))
        .await;
    phone
        .wait_for_text("main [role=status]", "Your request is sent")
        .await;
    phone.screenshot("circle-requested", PHONE).await;
    phone.close().await;

    // 3. The facilitator approves it from the queue.
    desk.goto(&format!("/circles/{id}/requests")).await;
    desk.wait_for_text("main", "I moved to Berlin in May.")
        .await;
    desk.screenshot("circle-requests", DESKTOP).await;
    desk.click("main form[action$='/approve'] button[type=submit]")
        .await;
    desk.wait_for_text("main [role=status]", "The request is approved")
        .await;

    // A meeting that has already started: added by hand for yesterday.
    desk.goto(&format!("/circles/{id}/meetings")).await;
    let yesterday = (chrono::Utc::now() - chrono::Duration::days(1)).date_naive();
    desk.set_value("date", &yesterday.to_string()).await;
    desk.set_value("time", "19:30").await;
    desk.click(&format!(
        "form[action='/circles/{id}/meetings/add'] button[type=submit]"
    ))
    .await;
    desk.wait_for_text("main [role=status]", "The meeting is added")
        .await;
    desk.close().await;

    // 4. On a phone, the facilitator takes attendance in a few taps.
    let Some(phone) = Browser::open(&app.address, PHONE).await else {
        return;
    };
    phone.sign_in(&fac.email, PASSWORD).await;
    phone.goto(&format!("/circles/{id}/meetings")).await;
    phone.wait_for_text("main h1", "Meetings").await;
    phone.screenshot("circle-meetings", PHONE).await;
    phone.click("main a[href$='/attendance']").await;
    phone.wait_for_text("main h1", "Attendance").await;
    phone.wait_for_text("main legend", "Jordan Lee").await;
    let present = format!("label[for='mark-{}-present']", member.id);
    let (width, height) = phone.size_of(&present).await;
    assert!(
        width >= 44.0 && height >= 44.0,
        "touch target too small: {width} × {height}"
    );
    phone.click(&present).await;
    phone.screenshot("circle-attendance", PHONE).await;
    phone.click("form.attendance button[type=submit]").await;
    phone
        .wait_for_text("main [role=status]", "Attendance is saved")
        .await;
    let checked = phone
        .script(&format!(
            "return document.getElementById({}).checked;",
            json!(format!("mark-{}-present", member.id))
        ))
        .await;
    assert_eq!(checked, true, "the saved mark is shown again");
    let overflow = phone.sideways_overflow().await;
    assert!(
        overflow <= 0.0,
        "the attendance page scrolls sideways by {overflow} px on a phone"
    );
    phone.screenshot("circle-attendance-saved", PHONE).await;

    // The health page shows the attendance just taken as a bar of the chart.
    phone.goto(&format!("/circles/{id}/health")).await;
    phone.wait_for_text("main h1", "Circle health").await;
    let bars = phone
        .script("return document.querySelectorAll('svg.chart .chart-bar').length;")
        .await;
    assert_eq!(bars, json!(1), "one meeting with attendance, one bar");
    let (width, height) = phone.size_of("svg.chart").await;
    assert!(
        width > 200.0 && height > 80.0,
        "the chart is drawn at a readable size: {width} × {height}"
    );
    phone.screenshot("circle-health", PHONE).await;
    phone
        .script("document.getElementById('attendance-heading').scrollIntoView(); return null;")
        .await;
    phone.screenshot("circle-health-chart", PHONE).await;

    phone.close().await;
}

crate::on_both_backends!(create_join_approve_and_take_attendance);
