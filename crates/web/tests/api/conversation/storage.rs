//! What the server keeps of a conversation: exactly the opaque fields a browser sends —
//! there is no column a message's words could be in — and nothing of them anywhere else:
//! not in another table, not in the audit log or the job queue, not in the logs.

use super::talking_circle;
use crate::helpers::conversation::{message_body, signature};
use crate::helpers::logs::{watch_logs, WATCHED};
use crate::helpers::{ok_json, Backend, TestApp};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use db::sea_orm::{ConnectionTrait, EntityTrait, Statement};
use reqwest::StatusCode;

/// The words a member "wrote". A browser would encrypt them; this test sends them merely
/// encoded, so that finding them anywhere on the server would be easy — and must not happen.
const SENTENCE: &str = "My father is ill and I have told nobody but you.";

async fn the_server_stores_only_opaque_fields(app: TestApp) {
    watch_logs();
    let t = talking_circle(&app).await;
    let ciphertext = URL_SAFE_NO_PAD.encode(SENTENCE);
    let sig = signature();
    WATCHED
        .lock()
        .unwrap()
        .0
        .extend([ciphertext.clone(), sig.clone(), SENTENCE.to_owned()]);
    let mut body = message_body(1, t.fac_device, 1);
    body["ciphertext"] = ciphertext.clone().into();
    body["signature"] = sig.clone().into();
    let res = app.post_message(&t.fac, &t.circle, body.clone()).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let page = app.messages(&t.member, &t.circle, "after=0").await;
    assert_eq!(page["messages"][0]["ciphertext"], ciphertext);

    // The row holds what was sent, and the table has no other column.
    let mut expected = [
        "circle_id",
        "client_id",
        "ciphertext",
        "deleted_at",
        "device_seq",
        "epoch",
        "pinned",
        "sender_device_id",
        "sender_user_id",
        "seq",
        "sent_at",
        "signature",
    ]
    .map(str::to_owned)
    .to_vec();
    expected.sort();
    assert_eq!(message_columns(&app).await, expected);
    let rows = db::main_db::conversation_messages::Entity::find()
        .all(&app.ctx.main)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row.ciphertext.as_deref(), Some(ciphertext.as_str()));
    assert_eq!(row.signature.as_deref(), Some(sig.as_str()));
    assert_eq!(
        (row.epoch, row.device_seq, row.sender_device_id),
        (1, 1, t.fac_device)
    );
    assert_eq!(
        row.client_id.to_string(),
        body["client_id"].as_str().unwrap()
    );

    // Nowhere else: not the audit log, not the job queue.
    let audit = db::main_db::audit_log::Entity::find()
        .all(&app.ctx.main)
        .await
        .unwrap();
    let jobs = db::main_db::jobs::Entity::find()
        .all(&app.ctx.main)
        .await
        .unwrap();
    let elsewhere = format!("{audit:?}{jobs:?}");
    assert!(!elsewhere.contains(&ciphertext) && !elsewhere.contains(SENTENCE));

    // Deleting it removes the ciphertext from the row.
    let res = app
        .conv(
            &t.fac,
            reqwest::Method::DELETE,
            &format!("/api/v1/circles/{}/conversation/messages/1", t.circle),
            None,
        )
        .await;
    assert_eq!(ok_json(res).await["deleted"], true);
    let rows = db::main_db::conversation_messages::Entity::find()
        .all(&app.ctx.main)
        .await
        .unwrap();
    assert_eq!(
        (rows[0].ciphertext.clone(), rows[0].signature.clone()),
        (None, None)
    );
    assert_eq!(WATCHED.lock().unwrap().1, 0, "a log line held the message");
}

/// The columns of `conversation_messages`, sorted.
async fn message_columns(app: &TestApp) -> Vec<String> {
    let sql = match app.backend {
        Backend::Sqlite => "SELECT name FROM pragma_table_info('conversation_messages')",
        Backend::Postgres => {
            "SELECT column_name AS name FROM information_schema.columns WHERE table_name = 'conversation_messages'"
        }
    };
    let db = &app.ctx.main;
    let rows = db
        .query_all(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap();
    let mut names: Vec<String> = rows
        .iter()
        .map(|r| r.try_get::<String>("", "name").unwrap())
        .collect();
    names.sort();
    names
}

crate::on_both_backends!(the_server_stores_only_opaque_fields);
