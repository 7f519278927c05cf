//! A member's new device approved from one he already has: the new browser asks, the old
//! one shows the same safety fingerprint and approves, and the new one then reads the
//! circle's history and what is said after, and writes. No recovery key or passphrase is
//! typed.

use super::{open_conversation, send, wait_for, wait_for_message, Circle};
use crate::helpers::{TestApp, PASSWORD};
use serde_json::json;
use testkit::browser::{Browser, PHONE};

const MEMBERS: &[&str] = &["Ali Haddad"];

async fn status(b: &Browser) -> serde_json::Value {
    wait_for(
        b,
        "return document.getElementById('keys').dataset.status || null;",
        "the keys page",
    )
    .await
}

async fn a_new_device_is_approved_from_an_old_one(app: TestApp) {
    let Some(c) = Circle::new(&app, MEMBERS, None).await else {
        return;
    };
    c.start_talking().await;
    let history = format!("Before the new phone {}", uuid::Uuid::new_v4());
    send(c.browser(0), &history).await;
    let old = c.browser(1);
    wait_for_message(old, &history).await;

    // Profile 2: Ali signs in on a new browser and asks for approval.
    let Some(new) = Browser::open(&app.address, PHONE).await else {
        return;
    };
    new.sign_in(&c.user(1).email, PASSWORD).await;
    new.goto("/account/devices").await;
    assert_eq!(status(&new).await, json!("locked"));
    new.fill("#unlock-name", "New phone").await;
    new.click("#request-approval").await;
    let shown = wait_for(
        &new,
        "const f = document.getElementById('pending-fingerprint').textContent; return f ? f : null;",
        "the new device's fingerprint",
    )
    .await;
    assert_eq!(
        new.script("return document.getElementById('keys').dataset.status;")
            .await,
        json!("pending")
    );

    // Profile 1 sees the waiting device with the same fingerprint, and approves it.
    old.goto("/account/devices").await;
    wait_for(
        old,
        "return document.querySelector('#device-list button.approve') ? true : null;",
        "the device waiting for approval",
    )
    .await;
    old.click("#device-list button.approve").await;
    let offered = wait_for(
        old,
        "const c = document.querySelector('#device-list .confirm code.fingerprint'); return c ? c.textContent : null;",
        "the fingerprint to compare",
    )
    .await;
    assert_eq!(offered, shown, "both browsers show the same fingerprint");
    old.click("#device-list .confirm-approve").await;
    wait_for(
        old,
        "return document.getElementById('keys-notice').textContent.includes('is approved') ? true : null;",
        "the approval",
    )
    .await;

    // Profile 2 picks the approval up (it polls) and reads the circle's messages.
    wait_for(
        &new,
        "return document.getElementById('keys').dataset.status === 'ready' ? true : null;",
        "the new device to be approved",
    )
    .await;
    open_conversation(&new, &c.id).await;
    wait_for_message(&new, &history).await;
    // And what is said after the approval, live.
    let after = format!("Welcome to the new phone {}", uuid::Uuid::new_v4());
    send(c.browser(0), &after).await;
    wait_for_message(&new, &after).await;
    // And it writes at once: its key came from Ali's archive, so it gives itself the
    // envelope it lacks instead of waiting for another device to share one.
    let reply = format!("Sent from the new phone {}", uuid::Uuid::new_v4());
    send(&new, &reply).await;
    wait_for_message(c.browser(0), &reply).await;
    new.close().await;
    c.close().await;
}

crate::on_both_backends!(a_new_device_is_approved_from_an_old_one);
