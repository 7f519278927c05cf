//! The end-to-end encrypted circle conversation in headless Chromium: the browser's own
//! unit tests (the self-test page), and members on separate browser profiles (one Chromium
//! each) setting up keys, confirming the member list, talking live, leaving, recovering
//! and searching — with the server checked afterwards for any trace of what they said.

mod approval;
mod leading;
mod notes;
mod plaintext;
mod recovery;
mod requests;
mod talking;

use crate::helpers::{circle_body, TestApp, User, PASSWORD};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use testkit::browser::{Browser, DESKTOP, PHONE};

/// Crypto work can take seconds on a busy two-core machine (PBKDF2 alone runs 600,000
/// rounds), and live delivery crosses a reconnect in some tests.
const PATIENCE: Duration = Duration::from_secs(60);

/// Waits until `script` returns something other than null; returns it.
pub async fn wait_for(browser: &Browser, script: &str, what: &str) -> Value {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let v = browser.script(script).await;
        if !v.is_null() {
            return v;
        }
        if Instant::now() > deadline {
            let page = browser
                .script("return document.querySelector('main').innerText;")
                .await;
            panic!("timed out waiting for {what}; the page shows:\n{page}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A circle with a certified facilitator and two members, each signed in on a browser of
/// his own (a fresh Chromium profile).
pub struct Circle {
    pub id: String,
    pub people: Vec<(User, Browser)>,
}

impl Circle {
    /// With `second`, the first member (index 1) uses that instance instead of `app`.
    pub async fn new(app: &TestApp, members: &[&str], second: Option<&TestApp>) -> Option<Circle> {
        let admin = app.admin().await;
        let fac = app.facilitator(&admin, "Frank Facilitator").await;
        let id = app.create_circle(&fac, circle_body("Tuesday Men", 6)).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let mut users = vec![fac];
        for name in members {
            let who = app.named(name).await;
            app.join(&users[0], &who, &id).await;
            users.push(who);
        }
        let mut people = Vec::new();
        for (i, user) in users.into_iter().enumerate() {
            let viewport = if i == 1 { PHONE } else { DESKTOP };
            let base = match second {
                Some(other) if i == 1 => &other.address,
                _ => &app.address,
            };
            let browser = Browser::open(base, viewport).await?;
            browser.sign_in(&user.email, PASSWORD).await;
            people.push((user, browser));
        }
        Some(Circle { id, people })
    }

    pub fn browser(&self, i: usize) -> &Browser {
        &self.people[i].1
    }

    pub fn user(&self, i: usize) -> &User {
        &self.people[i].0
    }

    /// Everyone sets up keys, the facilitator confirms the member list (which starts the
    /// first epoch), and everyone opens the conversation.
    pub async fn start_talking(&self) {
        self.start_talking_with(&[]).await;
    }

    /// [`Circle::start_talking`], person `i` choosing `passphrases[i]` (if any) at set-up;
    /// returns everyone's recovery key.
    pub async fn start_talking_with(&self, passphrases: &[Option<&str>]) -> Vec<String> {
        let mut recovery = Vec::new();
        for (i, (_, b)) in self.people.iter().enumerate() {
            recovery.push(set_up_keys(b, passphrases.get(i).copied().flatten()).await);
        }
        let fac = self.browser(0);
        open_conversation(fac, &self.id).await;
        confirm_member_list(fac).await;
        for (_, b) in &self.people[1..] {
            open_conversation(b, &self.id).await;
            wait_until_writable(b).await;
        }
        recovery
    }

    pub async fn close(self) {
        for (_, b) in self.people {
            b.close().await;
        }
    }
}

/// First-time set-up on /account/devices; returns the recovery key it showed once.
pub async fn set_up_keys(b: &Browser, passphrase: Option<&str>) -> String {
    b.goto("/account/devices").await;
    wait_for(
        b,
        "return document.getElementById('keys').dataset.status || null;",
        "the keys page",
    )
    .await;
    b.fill("#setup-name", "Test browser").await;
    if let Some(p) = passphrase {
        b.fill("#setup-passphrase", p).await;
        b.fill("#setup-passphrase-again", p).await;
    }
    b.click("#setup-form button[type=submit]").await;
    let key = wait_for(
        b,
        "const k = document.getElementById('recovery-key').textContent; return k ? k : null;",
        "the recovery key",
    )
    .await;
    b.click("#recovery-done").await;
    wait_for(
        b,
        "return document.getElementById('keys').dataset.status === 'ready' ? true : null;",
        "the keys to be ready",
    )
    .await;
    key.as_str().unwrap().to_owned()
}

pub async fn open_conversation(b: &Browser, circle: &str) {
    b.goto(&format!("/circles/{circle}/conversation")).await;
    let ready = wait_for(
        b,
        "const r = document.getElementById('conversation').dataset.ready; return r || null;",
        "the conversation to open",
    )
    .await;
    assert_eq!(ready, json!("true"), "the conversation opened");
}

/// A leader confirms the member list the page shows him.
pub async fn confirm_member_list(b: &Browser) {
    wait_for(
        b,
        "return document.getElementById('roster-confirm').hidden ? null : true;",
        "the member list to confirm",
    )
    .await;
    b.click("#roster-sign").await;
    wait_until_writable(b).await;
}

/// Waits until the page holds the circle's current key (it says the messages are end-to-end
/// encrypted instead of why it cannot write yet).
pub async fn wait_until_writable(b: &Browser) {
    wait_for(
        b,
        "return document.getElementById('conv-status').textContent.includes('end-to-end encrypted') ? true : null;",
        "the circle's key to reach this device",
    )
    .await;
}

/// Sends `text` and waits until the page shows it as sent.
pub async fn send(b: &Browser, text: &str) {
    b.fill("#message-input", text).await;
    b.click("#send-form button[type=submit]").await;
    wait_for_message(b, text).await;
}

/// Waits until a message reading `text` is shown (decrypted and verified).
pub async fn wait_for_message(b: &Browser, text: &str) {
    let script = format!(
        "return [...document.querySelectorAll('#messages .message .body')].some(p => p.textContent === {}) ? true : null;",
        json!(text)
    );
    wait_for(b, &script, &format!("the message {text:?}")).await;
}

/// How many messages the page shows as "could not be verified".
pub async fn unverified_count(b: &Browser) -> u64 {
    b.script("return document.querySelectorAll('#messages .message .unverified').length;")
        .await
        .as_u64()
        .unwrap()
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
    assert_eq!(
        done[1],
        0,
        "failed self-tests:\n{}",
        failures.as_str().unwrap_or("")
    );
    assert!(
        done[0].as_u64().unwrap() >= 14,
        "every self-test ran: {done}"
    );
    // The search test reports its slowest query; the page keeps it visible for people.
    let timings = browser
        .script("return document.getElementById('selftest-results').innerText;")
        .await;
    let timings = timings.as_str().unwrap();
    assert!(timings.contains("slowest query"), "{timings}");
    // Shown with --nocapture: the figures the docs quote.
    println!("{timings}");
    browser.close().await;
}

crate::on_both_backends!(the_self_test_page_passes_in_chromium);
