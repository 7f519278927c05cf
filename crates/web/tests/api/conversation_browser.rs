//! The end-to-end encrypted circle conversation in headless Chromium: the browser's own
//! unit tests (the self-test page), and members on separate browser profiles talking.

use crate::helpers::TestApp;
use serde_json::Value;
use std::time::{Duration, Instant};
use testkit::browser::{Browser, DESKTOP};

/// Waits until `script` returns something other than null (crypto work can take seconds
/// on a busy two-core machine: PBKDF2 alone runs 600,000 rounds).
pub async fn wait_for(browser: &Browser, script: &str, what: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let v = browser.script(script).await;
        if !v.is_null() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn the_self_test_page_passes_in_chromium(app: TestApp) {
    let Some(browser) = Browser::open(&app.address, DESKTOP).await else {
        return;
    };
    browser.goto("/conversation/self-test").await;
    browser.wait_for_text("main h1", "self-test").await;
    let done = wait_for(
        &browser,
        "const s = document.getElementById('selftest-summary'); \
         return s.dataset.done ? [Number(s.dataset.passed), Number(s.dataset.failed)] : null;",
        "the self-test to finish",
    )
    .await;
    let failures = browser
        .script(
            "return [...document.querySelectorAll('#selftest-results tr.fail')] \
             .map(r => r.innerText).join('\\n');",
        )
        .await;
    browser.screenshot("conversation-self-test", DESKTOP).await;
    assert_eq!(done[1], 0, "failed self-tests:\n{}", failures.as_str().unwrap_or(""));
    assert!(done[0].as_u64().unwrap() >= 14, "every self-test ran: {done}");
    // The search test reports its slowest query; the page keeps it visible for people.
    let timings = browser
        .script("return document.getElementById('selftest-results').innerText;")
        .await;
    assert!(
        timings.as_str().unwrap().contains("slowest query"),
        "{timings}"
    );
    browser.close().await;
}

crate::on_both_backends!(the_self_test_page_passes_in_chromium);
