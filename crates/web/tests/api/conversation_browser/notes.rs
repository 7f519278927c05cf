//! Meeting notes on the meetings page: a pending note (written without keys) is sealed by
//! the leader's browser as soon as he opens the page with his keys, a note he writes there
//! is sealed before it leaves his browser, and a member's browser opens both. Neither text
//! is ever stored where the server could read it.

use super::plaintext::{assert_nowhere_on_server, watch};
use super::{wait_for, Circle};
use crate::helpers::{ok_json, TestApp};
use chrono::Duration;
use serde_json::json;
use testkit::browser::Browser;

/// Opens the meetings page and waits until its script has opened (and sealed) the notes.
async fn open_meetings(b: &Browser, circle: &str) {
    b.goto(&format!("/circles/{circle}/meetings")).await;
    wait_for(
        b,
        "return document.getElementById('meeting-notes').dataset.ready || null;",
        "the meeting notes to open",
    )
    .await;
}

/// Waits until meeting `id`'s note box shows `text` opened from its sealed form.
async fn wait_for_open_note(b: &Browser, id: &str, text: &str) {
    let script = format!(
        "const n = document.getElementById('note-{id}'); \
         return n.dataset.state === 'open' && n.querySelector('.note-text').textContent === {} ? true : null;",
        json!(text)
    );
    wait_for(b, &script, &format!("the note {text:?} to open")).await;
}

async fn a_leader_seals_notes_that_a_member_reads(app: TestApp) {
    let Some(c) = Circle::new(&app, &["Ali Haddad"], None).await else {
        return;
    };
    let pending = format!("Bring the talking stick {}", uuid::Uuid::new_v4());
    let written = format!("We meet in the garden this time {}", uuid::Uuid::new_v4());
    let (logged_pending, logged_written) = (watch(&pending), watch(&written));
    let add = |days: i64, note: Option<&str>| {
        let body = json!({ "starts_at": app.now() + Duration::days(days), "note": note });
        app.add_meeting(c.user(0), &c.id, body)
    };
    let first = ok_json(add(3, Some(&pending)).await).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let second = ok_json(add(5, None).await).await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Without keys on this browser the leader is told where to set them up; the note waits.
    let fac = c.browser(0);
    open_meetings(fac, &c.id).await;
    let said = fac.text("#notes-notice").await;
    assert!(said.contains("Set up or unlock your keys"), "{said}");
    assert!(
        fac.has(&format!(
            "#notes-notice a[href='/circles/{}/conversation']",
            c.id
        ))
        .await
    );
    assert_eq!(
        fac.text(&format!("#note-{first} .note-text")).await,
        pending
    );

    c.start_talking().await;
    open_meetings(fac, &c.id).await;
    wait_for_open_note(fac, &first, &pending).await;
    let listed = ok_json(app.meetings_of(c.user(1), &c.id).await).await;
    let sealed = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == first)
        .unwrap();
    assert!(
        sealed["note"].is_null() && sealed["note_sealed"].is_string(),
        "{sealed}"
    );

    fac.click(&format!(".note-edit[data-meeting='{second}']"))
        .await;
    fac.fill(&format!("#note-input-{second}"), &written).await;
    fac.click(&format!(
        "form.note-editor[data-meeting='{second}'] button[type=submit]"
    ))
    .await;
    wait_for_open_note(fac, &second, &written).await;

    let ali = c.browser(1);
    open_meetings(ali, &c.id).await;
    wait_for_open_note(ali, &first, &pending).await;
    wait_for_open_note(ali, &second, &written).await;
    assert!(!ali.has(".note-edit").await, "members do not write notes");

    assert_nowhere_on_server(&app, &pending, logged_pending).await;
    assert_nowhere_on_server(&app, &written, logged_written).await;
    c.close().await;
}

crate::on_both_backends!(a_leader_seals_notes_that_a_member_reads);
