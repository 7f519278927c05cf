//! What leaders do in the conversation: confirm a new member before he gets the circle's
//! key, and send one announcement, encrypted separately, to every circle they lead.

use super::{
    confirm_member_list, open_conversation, send, set_up_keys, wait_for, wait_for_message,
    wait_until_writable, Circle,
};
use crate::helpers::{circle_body, TestApp, PASSWORD};
use serde_json::json;
use testkit::browser::{Browser, DESKTOP};

const MEMBERS: &[&str] = &["Ali Haddad", "Jon Berg"];

async fn a_new_member_waits_for_a_leader_then_reads_what_follows(app: TestApp) {
    let Some(c) = Circle::new(&app, MEMBERS, None).await else {
        return;
    };
    c.start_talking().await;
    let before = format!("Said before Sam joined {}", uuid::Uuid::new_v4());
    send(c.browser(0), &before).await;

    let sam = app.named("Sam Stone").await;
    app.join(c.user(0), &sam, &c.id).await;
    let Some(b) = Browser::open(&app.address, DESKTOP).await else {
        return;
    };
    b.sign_in(&sam.email, PASSWORD).await;
    set_up_keys(&b, None).await;
    open_conversation(&b, &c.id).await;
    let status = b.text("#conv-status").await;
    assert!(status.contains("leader"), "he waits for a leader: {status}");

    // Frank's open page hears of the join and asks him to confirm, naming who joined.
    let fac = c.browser(0);
    open_conversation(fac, &c.id).await;
    let changes = wait_for(
        fac,
        "const r = document.getElementById('roster-confirm'); return r.hidden ? null : r.innerText;",
        "the member list to confirm",
    )
    .await;
    assert!(
        changes.as_str().unwrap().contains("Joined: Sam Stone"),
        "{changes}"
    );
    confirm_member_list(fac).await;

    open_conversation(&b, &c.id).await;
    wait_until_writable(&b).await;
    let after = format!("Welcome, Sam {}", uuid::Uuid::new_v4());
    send(fac, &after).await;
    wait_for_message(&b, &after).await;
    // The circle does not share its history: what was said before he joined stays closed.
    let shown = b
        .script("return document.getElementById('messages').innerText;")
        .await;
    assert!(!shown.as_str().unwrap().contains(&before));
    b.close().await;
    c.close().await;
}

async fn a_facilitator_announces_to_two_circles(app: TestApp) {
    let Some(c) = Circle::new(&app, &["Ali Haddad"], None).await else {
        return;
    };
    let other = app
        .create_circle(c.user(0), circle_body("Thursday Men", 6))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let kim = app.named("Kim Novak").await;
    app.join(c.user(0), &kim, &other).await;
    let Some(kb) = Browser::open(&app.address, DESKTOP).await else {
        return;
    };
    kb.sign_in(&kim.email, PASSWORD).await;
    set_up_keys(&kb, None).await;
    c.start_talking().await;
    let fac = c.browser(0);
    open_conversation(fac, &other).await;
    confirm_member_list(fac).await;

    fac.goto("/conversations/announce").await;
    wait_for(
        fac,
        "return document.getElementById('announce').dataset.ready || null;",
        "the announce page",
    )
    .await;
    let text = format!(
        "No meetings in the week of the retreat {}",
        uuid::Uuid::new_v4()
    );
    fac.fill("#announce-text", &text).await;
    fac.click("#announce-form button[type=submit]").await;
    let sent = wait_for(
        fac,
        "const n = document.querySelectorAll('#announce-results li.sent').length; return n === 2 ? n : null;",
        "both circles to be sent to",
    )
    .await;
    assert_eq!(sent, json!(2));

    for (b, circle) in [(c.browser(1), &c.id), (&kb, &other)] {
        open_conversation(b, circle).await;
        let pinned = wait_for(
            b,
            "const p = document.getElementById('pinned-list'); return p.innerText.length ? p.innerText : null;",
            "the pinned announcement",
        )
        .await;
        assert!(pinned.as_str().unwrap().contains(&text), "{pinned}");
    }
    kb.close().await;
    c.close().await;
}

crate::on_both_backends!(
    a_new_member_waits_for_a_leader_then_reads_what_follows,
    a_facilitator_announces_to_two_circles,
);
