//! A member's new device: unlocked with his passphrase, and with his recovery key, it reads
//! the history his first device read. And search, on the device, finds an old message.

use super::{open_conversation, send, set_up_keys, wait_for, wait_for_message, Circle};
use crate::helpers::{TestApp, PASSWORD};
use serde_json::json;
use testkit::browser::{Browser, PHONE};

const MEMBERS: &[&str] = &["Ali Haddad", "Jon Berg"];
const PASSPHRASE: &str = "a river runs through the old forest";

/// Ali's new browser (a fresh profile), signed in, on the keys page as it first shows.
async fn new_device(app: &TestApp, c: &Circle) -> Option<Browser> {
    let b = Browser::open(&app.address, PHONE).await?;
    b.sign_in(&c.user(1).email, PASSWORD).await;
    b.goto("/account/devices").await;
    let status = wait_for(
        &b,
        "return document.getElementById('keys').dataset.status || null;",
        "the keys page",
    )
    .await;
    assert_eq!(status, json!("locked"), "a new browser has no keys yet");
    Some(b)
}

async fn wait_ready(b: &Browser) {
    wait_for(
        b,
        "return document.getElementById('keys').dataset.status === 'ready' ? true : null;",
        "the device to be unlocked",
    )
    .await;
}

async fn a_new_device_recovers_with_the_passphrase_and_with_the_recovery_key(app: TestApp) {
    let Some(c) = Circle::new(&app, MEMBERS, None).await else {
        return;
    };
    let keys = c.start_talking_with(&[None, Some(PASSPHRASE)]).await;
    let history = format!("Our first evening together {}", uuid::Uuid::new_v4());
    send(c.browser(0), &history).await;
    open_conversation(c.browser(1), &c.id).await;
    wait_for_message(c.browser(1), &history).await;

    let Some(by_passphrase) = new_device(&app, &c).await else {
        return;
    };
    by_passphrase.screenshot("conversation-unlock", PHONE).await;
    by_passphrase.fill("#passphrase-input", PASSPHRASE).await;
    by_passphrase
        .click("#unlock-passphrase button[type=submit]")
        .await;
    wait_ready(&by_passphrase).await;
    open_conversation(&by_passphrase, &c.id).await;
    wait_for_message(&by_passphrase, &history).await;
    by_passphrase.close().await;

    let Some(by_key) = new_device(&app, &c).await else {
        return;
    };
    // Typed as a person would: lower case, dashes instead of spaces.
    let typed = keys[1].to_lowercase().replace(' ', "-");
    by_key.fill("#recovery-input", &typed).await;
    by_key.click("#unlock-recovery button[type=submit]").await;
    wait_ready(&by_key).await;
    open_conversation(&by_key, &c.id).await;
    wait_for_message(&by_key, &history).await;
    // His devices page now lists three devices, each with a safety fingerprint.
    by_key.goto("/account/devices").await;
    wait_for(
        &by_key,
        "return document.querySelectorAll('#device-list .fingerprint').length === 3 ? true : null;",
        "three devices",
    )
    .await;
    by_key.screenshot("conversation-devices", PHONE).await;
    by_key.close().await;
    c.close().await;
}

async fn the_recovery_key_is_shown_once_with_the_warning(app: TestApp) {
    let Some(b) = Browser::open(&app.address, PHONE).await else {
        return;
    };
    let who = app.named("Sam Stone").await;
    b.sign_in(&who.email, PASSWORD).await;
    b.goto("/account/devices").await;
    wait_for(
        &b,
        "return document.getElementById('keys').dataset.status || null;",
        "the keys page",
    )
    .await;
    let warning = b.text("#setup .warning").await;
    assert!(warning.contains("history is gone"), "{warning}");
    b.screenshot("conversation-setup", PHONE).await;
    let key = set_up_keys(&b, None).await;
    assert_eq!(key.split(' ').count(), 13, "{key}");
    // Back on the page later, the key is not shown again.
    b.goto("/account/devices").await;
    wait_for(
        &b,
        "return document.getElementById('keys').dataset.status === 'ready' ? true : null;",
        "ready",
    )
    .await;
    let html = b.script("return document.body.innerHTML;").await;
    assert!(!html.as_str().unwrap().contains(&key));
    b.close().await;
}

async fn search_finds_an_old_message(app: TestApp) {
    let Some(c) = Circle::new(&app, MEMBERS, None).await else {
        return;
    };
    c.start_talking().await;
    let old = format!("The retreat is at Hollow Oak farm {}", uuid::Uuid::new_v4());
    send(c.browser(0), &old).await;
    for i in 0..5 {
        send(c.browser(0), &format!("Later news number {i}")).await;
    }
    // On another visit the index comes back from this device's encrypted store.
    open_conversation(c.browser(1), &c.id).await;
    let b = c.browser(1);
    b.fill("#search-input", "hollow oa").await;
    let found = wait_for(
        b,
        "const r = [...document.querySelectorAll('#search-results .body')].map(p => p.textContent); return r.length ? r : null;",
        "search results",
    )
    .await;
    assert_eq!(found, json!([old]));
    b.screenshot("conversation-search", PHONE).await;
    c.close().await;
}

crate::on_both_backends!(
    a_new_device_recovers_with_the_passphrase_and_with_the_recovery_key,
    the_recovery_key_is_shown_once_with_the_warning,
    search_finds_an_old_message,
);
