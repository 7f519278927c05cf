//! Messages in a circle's conversation: the roster and first epoch, posting and paging,
//! retries and repeated sequence numbers, deleting, pinning, settings, mute and read.

use super::talking_circle;
use crate::helpers::conversation::{b64, message_body, signature};
use crate::helpers::{ok_json, refused, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use uuid::Uuid;

fn seqs(page: &Value) -> Vec<i64> {
    page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["seq"].as_i64().unwrap())
        .collect()
}

async fn the_roster_and_first_epoch(app: TestApp) {
    let t = talking_circle(&app).await;
    let state = app
        .conversation(&t.member, &t.circle, t.member_device)
        .await;
    assert_eq!(state["my_role"], "member");
    assert_eq!(state["roster"]["version"], 1);
    assert_eq!(state["epoch"]["number"], 1);
    assert_eq!(state["epoch"]["closed"], false);
    assert_eq!(state["epoch"]["roster_version"], 1);
    assert_eq!(state["envelopes"].as_array().unwrap().len(), 1, "{state}");
    assert_eq!(state["envelopes"][0]["epoch"], 1);
    assert_eq!(
        state["envelopes"][0]["sender_device_id"],
        t.fac_device.to_string()
    );
    assert_eq!(state["devices_missing_envelope"], json!([]));
    assert_eq!(state["members"].as_array().unwrap().len(), 2);
    assert_eq!(
        state["settings"],
        json!({ "share_history": false, "disappearing_days": null })
    );
    assert_eq!(
        app.audit_records("conversation_roster_signed").await.len(),
        1
    );

    // Only a leader signs; the same version twice, or one that lists someone else, is refused.
    let res = app.sign_roster(&t.member, &t.circle, t.member_device).await;
    assert_eq!(refused(res, StatusCode::FORBIDDEN).await, "leaders_only");
    let roster = format!("/api/v1/circles/{}/conversation/roster", t.circle);
    let stale = json!({ "version": 1, "body": state["roster"]["body"], "signer_device_id": t.fac_device, "signature": signature() });
    let res = app.conv(&t.fac, Method::PUT, &roster, Some(stale)).await;
    assert_eq!(
        refused(res, StatusCode::CONFLICT).await,
        "roster_out_of_date"
    );
    let mut members = state["members"].clone();
    members[1]["user_id"] = json!(t.admin.id);
    let body = crate::helpers::conversation::roster_body(&t.circle, 2, &members);
    let wrong = json!({ "version": 2, "body": body, "signer_device_id": t.fac_device, "signature": signature() });
    let res = app.conv(&t.fac, Method::PUT, &roster, Some(wrong)).await;
    assert_eq!(refused(res, StatusCode::CONFLICT).await, "roster_mismatch");
    let spaced = state["roster"]["body"]
        .as_str()
        .unwrap()
        .replace(",\"version\":1", ", \"version\":2");
    let res = app
        .conv(&t.fac, Method::PUT, &roster, Some(json!({ "version": 2, "body": spaced, "signer_device_id": t.fac_device, "signature": signature() })))
        .await;
    assert_eq!(crate::helpers::invalid_fields(res).await, ["body"]);

    // Epoch 1 is open, current and young: no second one yet.
    let res = app.start_epoch(&t.member, &t.circle, t.member_device).await;
    assert_eq!(refused(res, StatusCode::CONFLICT).await, "epoch_not_due");
    // …until it is 30 days old.
    app.advance(chrono::Duration::days(31));
    let t_member = app.signed_in_again(&t.member).await;
    let res = app.start_epoch(&t_member, &t.circle, t.member_device).await;
    let epoch = ok_json(res).await;
    assert_eq!(epoch["number"], 2);
    let epochs = format!("/api/v1/circles/{}/conversation/epochs", t.circle);
    let again = json!({ "number": 3, "creator_device_id": t.member_device,
        "envelopes": [{ "recipient_device_id": t.fac_device, "wrapped": b64(40), "signature": signature() }] });
    let res = app
        .conv(&t_member, Method::POST, &epochs, Some(again))
        .await;
    assert_eq!(refused(res, StatusCode::CONFLICT).await, "epoch_not_due");
}

async fn posting_and_reading(app: TestApp) {
    let t = talking_circle(&app).await;
    let mut bell = app.ctx.bus.subscribe(app::bus::Channel::Conversation);
    let mut sent = Vec::new();
    for n in 1..=5 {
        let body = message_body(1, t.fac_device, n);
        let res = app.post_message(&t.fac, &t.circle, body.clone()).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let m = ok_json(res).await;
        assert_eq!(m["seq"], n);
        assert_eq!(m["ciphertext"], body["ciphertext"]);
        assert_eq!(m["sender_user_id"], t.fac.id.to_string());
        sent.push(body);
        // Live connections are told after the commit: the circle's id, nothing else.
        let heard = tokio::time::timeout(std::time::Duration::from_secs(5), bell.next()).await;
        assert_eq!(
            heard.unwrap(),
            Some(app::bus::Signal::Changed(t.circle.clone()))
        );
    }
    // A retry with the same client id gets the first message, not a new one.
    let res = app.post_message(&t.fac, &t.circle, sent[4].clone()).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(ok_json(res).await["seq"], 5);
    // A device never repeats its sequence number within an epoch.
    let res = app
        .post_message(&t.fac, &t.circle, message_body(1, t.fac_device, 3))
        .await;
    assert_eq!(
        refused(res, StatusCode::CONFLICT).await,
        "duplicate_sequence"
    );
    // Nobody posts from someone else's device, or under an epoch that is not the open one.
    let res = app
        .post_message(&t.member, &t.circle, message_body(1, t.fac_device, 9))
        .await;
    assert_eq!(refused(res, StatusCode::FORBIDDEN).await, "not_your_device");
    let res = app
        .post_message(&t.member, &t.circle, message_body(2, t.member_device, 1))
        .await;
    assert_eq!(refused(res, StatusCode::CONFLICT).await, "epoch_closed");
    let res = app
        .post_message(&t.member, &t.circle, message_body(1, t.member_device, 1))
        .await;
    assert_eq!(ok_json(res).await["seq"], 6);
    let mut too_big = message_body(1, t.member_device, 2);
    too_big["ciphertext"] = json!("A".repeat(64 * 1024 + 4));
    let res = app.post_message(&t.member, &t.circle, too_big).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Pages: after, before, the newest; always ascending.
    let page = app.messages(&t.member, &t.circle, "after=2&limit=2").await;
    assert_eq!(seqs(&page), [3, 4]);
    assert_eq!(page["last_seq"], 6);
    assert_eq!(
        seqs(&app.messages(&t.member, &t.circle, "before=4&limit=2").await),
        [2, 3]
    );
    assert_eq!(
        seqs(&app.messages(&t.member, &t.circle, "limit=3").await),
        [4, 5, 6]
    );
    assert_eq!(
        seqs(&app.messages(&t.member, &t.circle, "after=0").await),
        [1, 2, 3, 4, 5, 6]
    );
    let res = app
        .get_as(
            &t.member.access_token,
            &format!(
                "/api/v1/circles/{}/conversation/messages?limit=501",
                t.circle
            ),
        )
        .await;
    assert_eq!(crate::helpers::invalid_fields(res).await, ["limit"]);

    // Deleting: the sender only; a tombstone stays in its place.
    let one = format!("/api/v1/circles/{}/conversation/messages/2", t.circle);
    let res = app.conv(&t.member, Method::DELETE, &one, None).await;
    assert_eq!(
        refused(res, StatusCode::FORBIDDEN).await,
        "not_your_message"
    );
    let gone = ok_json(app.conv(&t.fac, Method::DELETE, &one, None).await).await;
    assert_eq!(gone["deleted"], true);
    assert!(gone["ciphertext"].is_null() && gone["signature"].is_null());
    let page = app.messages(&t.member, &t.circle, "after=1&limit=1").await;
    assert_eq!(page["messages"][0]["seq"], 2);
    assert_eq!(page["messages"][0]["deleted"], true);
    assert!(page["messages"][0]["ciphertext"].is_null());

    // Pinning: leaders; a deleted message cannot be pinned.
    let pin = |seq: i64| {
        format!(
            "/api/v1/circles/{}/conversation/messages/{seq}/pin",
            t.circle
        )
    };
    let res = app
        .conv(
            &t.member,
            Method::PUT,
            &pin(1),
            Some(json!({ "pinned": true })),
        )
        .await;
    assert_eq!(refused(res, StatusCode::FORBIDDEN).await, "leaders_only");
    let res = app
        .conv(
            &t.fac,
            Method::PUT,
            &pin(2),
            Some(json!({ "pinned": true })),
        )
        .await;
    assert_eq!(refused(res, StatusCode::CONFLICT).await, "message_deleted");
    let pinned = ok_json(
        app.conv(
            &t.fac,
            Method::PUT,
            &pin(1),
            Some(json!({ "pinned": true })),
        )
        .await,
    )
    .await;
    assert_eq!(pinned["pinned"], true);
    let state = app
        .conversation(&t.member, &t.circle, t.member_device)
        .await;
    assert_eq!(state["pinned"].as_array().unwrap().len(), 1);
    assert_eq!(state["pinned"][0]["seq"], 1);
    assert_eq!(state["last_seq"], 6);
}

async fn settings_mute_and_read(app: TestApp) {
    let t = talking_circle(&app).await;
    for n in 1..=3 {
        let res = app
            .post_message(&t.fac, &t.circle, message_body(1, t.fac_device, n))
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    let settings = format!("/api/v1/circles/{}/conversation/settings", t.circle);
    let body = json!({ "share_history": true, "disappearing_days": 90 });
    let res = app
        .conv(&t.member, Method::PUT, &settings, Some(body.clone()))
        .await;
    assert_eq!(refused(res, StatusCode::FORBIDDEN).await, "leaders_only");
    assert_eq!(
        ok_json(
            app.conv(&t.fac, Method::PUT, &settings, Some(body.clone()))
                .await
        )
        .await,
        body
    );
    let res = app
        .conv(
            &t.fac,
            Method::PUT,
            &settings,
            Some(json!({ "share_history": false, "disappearing_days": 45 })),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let state = app
        .conversation(&t.member, &t.circle, t.member_device)
        .await;
    assert_eq!(state["settings"], body);
    let entries = app.audit_records("conversation_settings_changed").await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].actor_id, None, "a circle entry names no one");

    // The sender has read his own; the member has three unread until he reads them.
    let mine = app
        .get_json(&t.member.access_token, "/api/v1/me/conversations")
        .await;
    assert_eq!(mine[0]["circle_id"], t.circle);
    assert_eq!(
        (mine[0]["unread"].as_i64(), mine[0]["muted"].as_bool()),
        (Some(3), Some(false))
    );
    let theirs = app
        .get_json(&t.fac.access_token, "/api/v1/me/conversations")
        .await;
    assert_eq!(theirs[0]["unread"], 0);
    let read = format!("/api/v1/circles/{}/conversation/read", t.circle);
    let marker = ok_json(
        app.conv(&t.member, Method::PUT, &read, Some(json!({ "seq": 2 })))
            .await,
    )
    .await;
    assert_eq!(marker["last_read_seq"], 2);
    // Never back, never past the newest.
    let marker = ok_json(
        app.conv(&t.member, Method::PUT, &read, Some(json!({ "seq": 1 })))
            .await,
    )
    .await;
    assert_eq!(marker["last_read_seq"], 2);
    let marker = ok_json(
        app.conv(&t.member, Method::PUT, &read, Some(json!({ "seq": 99 })))
            .await,
    )
    .await;
    assert_eq!(marker["last_read_seq"], 3);
    let mute = format!("/api/v1/circles/{}/conversation/mute", t.circle);
    let muted = ok_json(
        app.conv(
            &t.member,
            Method::PUT,
            &mute,
            Some(json!({ "muted": true })),
        )
        .await,
    )
    .await;
    assert_eq!(muted, json!({ "last_read_seq": 3, "muted": true }));
    let mine = app
        .get_json(&t.member.access_token, "/api/v1/me/conversations")
        .await;
    assert_eq!(
        (mine[0]["unread"].as_i64(), mine[0]["muted"].as_bool()),
        (Some(0), Some(true))
    );
}

/// A device a member adds later has the key from his own archive but no envelope: it may
/// give itself one and write at once. Someone none of whose devices held the key may not.
async fn a_later_device_gives_itself_the_key(app: TestApp) {
    let t = talking_circle(&app).await;
    let phone = app.new_device(&t.member, "Phone").await;
    let res = app
        .post_message(&t.member, &t.circle, message_body(1, phone, 1))
        .await;
    assert_eq!(refused(res, StatusCode::CONFLICT).await, "epoch_closed");
    let share = format!("/api/v1/circles/{}/conversation/envelopes", t.circle);
    let own = |device: Uuid| {
        json!({ "epoch": 1, "sender_device_id": device, "envelopes": [
            { "recipient_device_id": device, "wrapped": b64(40), "signature": signature() }] })
    };
    let res = app
        .conv(&t.member, Method::POST, &share, Some(own(phone)))
        .await;
    assert_eq!(ok_json(res).await["envelopes"], 1);
    let res = app
        .post_message(&t.member, &t.circle, message_body(1, phone, 1))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);

    // A newcomer named on the next roster holds no key of epoch 1 on any device.
    let newcomer = app.named("Neil Newcomer").await;
    app.join(&t.fac, &newcomer, &t.circle).await;
    let device = app.conversation_keys(&newcomer).await;
    let res = app.sign_roster(&t.fac, &t.circle, t.fac_device).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = app
        .conv(&newcomer, Method::POST, &share, Some(own(device)))
        .await;
    assert_eq!(refused(res, StatusCode::CONFLICT).await, "epoch_closed");
}

crate::on_both_backends!(
    the_roster_and_first_epoch,
    posting_and_reading,
    settings_mute_and_read,
    a_later_device_gives_itself_the_key
);
