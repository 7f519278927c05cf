//! The event pages in a real browser (headless Chromium through ChromeDriver): a member
//! finds an event on a phone, registers, sees it on his dashboard and downloads its `.ics`;
//! the organiser checks him in at the door on a phone. Screenshots go to
//! `test-artifacts/screenshots/event-*.png`.

use crate::helpers::{local, TestApp, PASSWORD};
use serde_json::json;
use std::path::Path;
use testkit::browser::{artifacts_dir, Browser, DESKTOP, PHONE};

/// Waits for a finished download called `name` in `dir`; its contents.
async fn downloaded(dir: &Path, name: &str) -> String {
    let path = dir.join(name);
    for _ in 0..200 {
        if let Ok(text) = std::fs::read_to_string(&path) {
            if text.trim_end().ends_with("END:VCALENDAR") {
                return text;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{} was never downloaded", path.display());
}

async fn find_register_and_check_in(app: TestApp) {
    let admin = app.admin().await;
    let ptm = app.user_with_roles(&admin, &["program_team_member"]).await;
    let member = app.named("Jordan Lee").await;
    let id = app
        .publish_event(
            &ptm,
            json!({
                "kind": "movie_night", "title": "Movie Night: Twelve Angry Men",
                "description": "A film about listening, then tea and talk.",
                "starts_at": local(7, 19), "ends_at": local(7, 22),
                "time_zone": "Europe/Berlin", "location": "Community hall, Kastanienallee 12",
                "capacity": 20, "cancellation_policy": "Cancel any time; someone else will be glad of the seat."
            }),
        )
        .await;

    // 1. On his phone the member finds the event by a word and registers.
    let Some(phone) = Browser::open(&app.address, PHONE).await else {
        return;
    };
    phone.sign_in(&member.email, PASSWORD).await;
    phone.goto("/events").await;
    phone.wait_for_text("main h1", "Events").await;
    phone.fill("#q", "angry").await;
    phone.click("form[role=search] button[type=submit]").await;
    phone
        .wait_for_text("main .event-card", "Twelve Angry Men")
        .await;
    phone.screenshot("event-browse", PHONE).await;
    phone.click(&format!("main a[href='/events/{id}']")).await;
    phone.wait_for_text("main h1", "Twelve Angry Men").await;
    phone
        .click(&format!("form[action='/events/{id}/register'] button"))
        .await;
    phone
        .wait_for_text("main [role=status]", "You are registered")
        .await;
    phone.screenshot("event-registered", PHONE).await;

    // 2. It is on his dashboard.
    phone.click("header nav a[href='/home']").await;
    phone.wait_for_text("main h1", "Welcome").await;
    phone
        .wait_for_text("main section", "Movie Night: Twelve Angry Men")
        .await;
    phone.screenshot("event-dashboard", PHONE).await;
    phone.close().await;

    // 3. He downloads the .ics on his desktop, and it is the event.
    let Some(desk) = Browser::open(&app.address, DESKTOP).await else {
        return;
    };
    let downloads = artifacts_dir().join(format!("downloads-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&downloads).unwrap();
    // Chromium wants a plain absolute path (no `..`).
    let downloads = downloads.canonicalize().unwrap();
    let answer = desk
        .cdp(
            "Page.setDownloadBehavior",
            json!({ "behavior": "allow", "downloadPath": downloads.to_string_lossy() }),
        )
        .await;
    assert!(answer.get("error").is_none(), "{answer}");
    desk.sign_in(&member.email, PASSWORD).await;
    desk.goto(&format!("/events/{id}")).await;
    desk.wait_for_text("main h1", "Twelve Angry Men").await;
    desk.screenshot("event-page", DESKTOP).await;
    desk.click(&format!("main a[href='/events/{id}/calendar.ics']"))
        .await;
    let ics = downloaded(&downloads, "event.ics").await;
    assert!(ics.starts_with("BEGIN:VCALENDAR"), "{ics}");
    assert!(
        ics.contains("SUMMARY:Movie Night: Twelve Angry Men"),
        "{ics}"
    );
    let _ = std::fs::remove_dir_all(&downloads);
    desk.close().await;

    // 4. At the door, the organiser finds him by name on a phone and checks him in.
    let Some(door) = Browser::open(&app.address, PHONE).await else {
        return;
    };
    door.sign_in(&ptm.email, PASSWORD).await;
    door.goto(&format!("/events/{id}")).await;
    door.click(&format!("main a[href='/events/{id}/door']"))
        .await;
    door.wait_for_text("main h1", "Door list").await;
    door.fill("#q", "jordan").await;
    door.click("form[role=search] button[type=submit]").await;
    door.wait_for_text("main .door-row", "Jordan Lee").await;
    let button = "main button.checkin";
    let (width, height) = door.size_of(button).await;
    assert!(
        width >= 44.0 && height >= 44.0,
        "touch target too small: {width} × {height}"
    );
    door.screenshot("event-door", PHONE).await;
    door.click(button).await;
    door.wait_for_text("main [role=status]", "Checked in.")
        .await;
    door.wait_for_text("main .door-row", "In at ").await;
    door.wait_for_text("[data-count=checked_in]", "1").await;
    let overflow = door.sideways_overflow().await;
    assert!(
        overflow <= 0.0,
        "the door list scrolls sideways by {overflow} px on a phone"
    );
    door.screenshot("event-checked-in", PHONE).await;
    door.close().await;
}
crate::on_both_backends!(find_register_and_check_in);
