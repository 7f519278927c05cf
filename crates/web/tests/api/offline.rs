//! The service worker in a real browser (headless Chromium): a page the server marks for
//! offline reading stays readable when the server cannot be reached, other pages fall
//! back to the offline page listing what is saved, and signing out removes the saved
//! pages. "Offline" here is the link between browser and server being cut
//! ([`testkit::link::Link`]): every connection drops and new ones fail, which is what a
//! browser without signal sees too.

use crate::helpers::{sqlite_app, PASSWORD};
use serde_json::Value;
use std::time::{Duration, Instant};
use testkit::browser::{Browser, DESKTOP};
use testkit::link::Link;

/// Polls `script` (which may start async work and report through `window`) until it
/// returns something `done` accepts.
async fn wait_for(b: &Browser, what: &str, script: &str, done: impl Fn(&Value) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut last = Value::Null;
    while Instant::now() < deadline {
        last = b.script(script).await;
        if done(&last) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what}: never happened (last: {last})");
}

/// The URLs of the pages saved for offline reading, as the page's script sees them.
const SAVED_PAGES: &str = "caches.has('circles-pages').then(function (has) {
        if (!has) { window.__saved = []; return; }
        return caches.open('circles-pages').then(function (c) { return c.keys(); })
          .then(function (keys) { window.__saved = keys.map(function (k) { return new URL(k.url).pathname; }); });
      });
      return window.__saved === undefined ? null : window.__saved;";

fn contains(v: &Value, path: &str) -> bool {
    v.as_array()
        .is_some_and(|a| a.iter().any(|p| p.as_str() == Some(path)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saved_pages_stay_readable_offline_until_sign_out() {
    let app = sqlite_app().await;
    let link = Link::to(app.port).await;
    let Some(b) = Browser::open(&link.address(), DESKTOP).await else {
        return;
    };
    let email = "offline-reader@example.org";
    app.create_admin(email, "Offline Reader").await;

    b.sign_in(email, PASSWORD).await;
    wait_for(
        &b,
        "the service worker controls the page",
        "return !!navigator.serviceWorker.controller;",
        |v| v == &Value::Bool(true),
    )
    .await;

    // Opened while the worker runs: the dashboard is saved, the security page is not.
    b.goto("/home").await;
    b.goto("/security").await;
    wait_for(&b, "the dashboard is saved", SAVED_PAGES, |v| {
        contains(v, "/home")
    })
    .await;
    b.script("window.__saved = undefined; return null;").await;
    let saved = {
        wait_for(&b, "the saved list is read", SAVED_PAGES, Value::is_array).await;
        b.script("return window.__saved;").await
    };
    assert!(!contains(&saved, "/security"), "{saved}");

    // Without the server: the saved dashboard still shows, other pages give the offline
    // page, which lists what is saved.
    link.cut();
    b.goto("/home").await;
    b.wait_for_text("main h1", "Welcome").await;
    b.goto("/security").await;
    b.wait_for_text("main h1", "You are offline").await;
    b.wait_for_text("#saved-pages", "Home").await;

    // Back online, signing out removes the saved pages.
    link.restore();
    b.goto("/home").await;
    b.wait_for_text("main h1", "Welcome").await;
    b.click("form.signout button[type=submit]").await;
    b.wait_for_text("main h1", "Men's circles").await;
    b.script("window.__saved = undefined; return null;").await;
    wait_for(&b, "the saved pages are gone", SAVED_PAGES, |v| {
        v.as_array().is_some_and(Vec::is_empty)
    })
    .await;

    // Clear-Site-Data also removed the worker; the page signed out to registers it again.
    // Once it controls the page, going offline shows the offline page with nothing saved.
    wait_for(
        &b,
        "the service worker controls the signed-out page",
        "return !!navigator.serviceWorker.controller;",
        |v| v == &Value::Bool(true),
    )
    .await;
    link.cut();
    b.goto("/home").await;
    b.wait_for_text("main h1", "You are offline").await;
    let shown = b
        .script("return document.body ? document.body.innerText : '';")
        .await;
    assert!(
        !shown.as_str().unwrap_or("").contains("Offline Reader"),
        "a signed-out browser still shows the person's page offline: {shown}"
    );
    b.close().await;
}
