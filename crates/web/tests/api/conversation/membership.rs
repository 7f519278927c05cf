//! What membership and key changes do to a conversation: a newcomer waits for a roster
//! that names him, leaving and removal close the epoch at once, a revoked device and a
//! reset identity lose their keys, and history before a join stays closed unless shared.

use super::talking_circle;
use crate::helpers::conversation::{b64, message_body, signature, usable_devices};
use crate::helpers::{ok_json, refused, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn a_new_member_joins_and_a_removed_one_is_shut_out(app: TestApp) {
    let t = talking_circle(&app).await;
    let res = app
        .post_message(&t.fac, &t.circle, message_body(1, t.fac_device, 1))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);

    let newcomer = app.named("Neil Newcomer").await;
    let mut bell = app.ctx.bus.subscribe(app::bus::Channel::Conversation);
    app.join(&t.fac, &newcomer, &t.circle).await;
    // The members' browsers hear of the join: the roster must be signed anew.
    let heard = tokio::time::timeout(std::time::Duration::from_secs(5), bell.next()).await;
    assert_eq!(
        heard.unwrap(),
        Some(app::bus::Signal::Changed(t.circle.clone()))
    );
    let device = app.conversation_keys(&newcomer).await;
    // Not on roster v1: nobody may wrap a key for him yet, and epoch 1 is still current.
    let share = format!("/api/v1/circles/{}/conversation/envelopes", t.circle);
    let envelope =
        json!({ "recipient_device_id": device, "wrapped": b64(40), "signature": signature() });
    let body = json!({ "epoch": 1, "sender_device_id": t.fac_device, "envelopes": [envelope] });
    let res = app
        .conv(&t.fac, Method::POST, &share, Some(body.clone()))
        .await;
    assert_eq!(
        refused(res, StatusCode::CONFLICT).await,
        "recipient_not_allowed"
    );
    let state = app.conversation(&newcomer, &t.circle, device).await;
    assert_eq!(state["envelopes"], json!([]));
    // Nobody is asked to give him a key before a roster names him.
    assert_eq!(state["devices_missing_envelope"], json!([]));
    let res = app
        .post_message(&newcomer, &t.circle, message_body(1, device, 1))
        .await;
    assert_eq!(refused(res, StatusCode::CONFLICT).await, "epoch_closed");
    // A roster with the newcomer (v2), then a new epoch wrapped for all three.
    let res = app.sign_roster(&t.fac, &t.circle, t.fac_device).await;
    assert_eq!(ok_json(res).await["version"], 2);
    let state = app
        .conversation(&t.member, &t.circle, t.member_device)
        .await;
    assert_eq!(state["devices_missing_envelope"], json!([device]));
    let epoch = ok_json(app.start_epoch(&t.member, &t.circle, t.member_device).await).await;
    assert_eq!(
        (epoch["number"].as_i64(), epoch["roster_version"].as_i64()),
        (Some(2), Some(2))
    );
    let state = app.conversation(&newcomer, &t.circle, device).await;
    assert_eq!(state["envelopes"].as_array().unwrap().len(), 1);
    let res = app
        .post_message(&newcomer, &t.circle, message_body(2, device, 1))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    // He reads from his join on: not epoch 1's message.
    let page = app.messages(&newcomer, &t.circle, "after=0").await;
    assert_eq!(page["messages"].as_array().unwrap().len(), 1, "{page}");
    assert_eq!(page["messages"][0]["epoch"], 2);
    // Epoch 1 is closed and history is not shared: nobody hands him its key.
    let res = app.conv(&t.fac, Method::POST, &share, Some(body)).await;
    assert_eq!(
        refused(res, StatusCode::FORBIDDEN).await,
        "history_not_shared"
    );

    // Removed: the epoch closes in the same step; posting under it is refused; he sees nothing.
    let res = app
        .post_as(
            &t.fac.access_token,
            &format!(
                "/api/v1/circles/{}/members/{}/remove",
                t.circle, newcomer.id
            ),
            json!({ "reason": "Asked to leave." }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let state = app
        .conversation(&t.member, &t.circle, t.member_device)
        .await;
    assert_eq!(state["epoch"]["closed"], true);
    assert_eq!(state["epoch"]["closed_reason"], "member_removed");
    assert_eq!(state["members"].as_array().unwrap().len(), 2);
    let res = app
        .post_message(&t.member, &t.circle, message_body(2, t.member_device, 1))
        .await;
    assert_eq!(refused(res, StatusCode::CONFLICT).await, "epoch_closed");
    for path in [
        format!("/api/v1/circles/{}/conversation", t.circle),
        format!("/api/v1/circles/{}/conversation/messages", t.circle),
        format!("/api/v1/me/key-archive?circle={}", t.circle),
    ] {
        let res = app.get_as(&newcomer.access_token, &path).await;
        assert_eq!(
            refused(res, StatusCode::FORBIDDEN).await,
            "forbidden",
            "{path}"
        );
    }
    let res = app
        .post_message(&newcomer, &t.circle, message_body(2, device, 2))
        .await;
    assert_eq!(refused(res, StatusCode::FORBIDDEN).await, "forbidden");
    // The next epoch leaves him out: his device may not be given the key.
    let epochs = format!("/api/v1/circles/{}/conversation/epochs", t.circle);
    let mut envelopes: Vec<_> = [t.fac_device, t.member_device]
        .iter()
        .map(|d| json!({ "recipient_device_id": d, "wrapped": b64(40), "signature": signature() }))
        .collect();
    let mut all_three = envelopes.clone();
    all_three.push(
        json!({ "recipient_device_id": device, "wrapped": b64(40), "signature": signature() }),
    );
    let with_him =
        json!({ "number": 3, "creator_device_id": t.fac_device, "envelopes": all_three });
    let res = app
        .conv(&t.fac, Method::POST, &epochs, Some(with_him))
        .await;
    assert_eq!(
        refused(res, StatusCode::CONFLICT).await,
        "recipient_not_allowed"
    );
    let res = app.conv(&t.fac, Method::POST, &epochs, Some(json!({ "number": 3, "creator_device_id": t.fac_device, "envelopes": [envelopes[1]] }))).await;
    assert_eq!(
        refused(res, StatusCode::CONFLICT).await,
        "own_envelope_missing"
    );
    let res = app
        .conv(
            &t.fac,
            Method::POST,
            &epochs,
            Some(json!({ "number": 4, "creator_device_id": t.fac_device, "envelopes": envelopes })),
        )
        .await;
    assert_eq!(
        refused(res, StatusCode::CONFLICT).await,
        "epoch_out_of_date"
    );
    envelopes.truncate(2);
    let res = app
        .conv(
            &t.fac,
            Method::POST,
            &epochs,
            Some(json!({ "number": 3, "creator_device_id": t.fac_device, "envelopes": envelopes })),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);

    // Leaving closes it too.
    let res = app
        .post_as(
            &t.member.access_token,
            &format!("/api/v1/circles/{}/leave", t.circle),
            json!({}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK, "leave");
    let state = app.conversation(&t.fac, &t.circle, t.fac_device).await;
    assert_eq!(state["epoch"]["closed_reason"], "member_left");
}

async fn a_revoked_device_and_a_fresh_identity_lose_their_keys(app: TestApp) {
    let t = talking_circle(&app).await;
    let phone = app.new_device(&t.member, "Phone").await;
    // A second device of a member on the roster is given the current key.
    let share = format!("/api/v1/circles/{}/conversation/envelopes", t.circle);
    let envelope =
        json!({ "recipient_device_id": phone, "wrapped": b64(40), "signature": signature() });
    let body = json!({ "epoch": 1, "sender_device_id": t.member_device, "envelopes": [envelope] });
    assert_eq!(
        ok_json(
            app.conv(&t.member, Method::POST, &share, Some(body.clone()))
                .await
        )
        .await["envelopes"],
        1
    );
    let res = app.conv(&t.member, Method::POST, &share, Some(body)).await;
    assert_eq!(refused(res, StatusCode::CONFLICT).await, "envelope_exists");
    let res = app
        .post_message(&t.member, &t.circle, message_body(1, phone, 1))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);

    // Revoking the phone closes the epoch; it holds no key any more and cannot post.
    let res = app
        .conv(
            &t.member,
            Method::DELETE,
            &format!("/api/v1/me/devices/{phone}"),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let state = app.conversation(&t.member, &t.circle, phone).await;
    assert_eq!(state["envelopes"], json!([]));
    assert_eq!(state["epoch"]["closed_reason"], "device_revoked");
    assert!(!usable_devices(&state).contains(&phone.to_string()));
    let res = app
        .post_message(&t.member, &t.circle, message_body(1, phone, 2))
        .await;
    assert_eq!(refused(res, StatusCode::CONFLICT).await, "device_revoked");
    let epoch = ok_json(app.start_epoch(&t.fac, &t.circle, t.fac_device).await).await;
    assert_eq!(epoch["number"], 2);
    let epochs = format!("/api/v1/circles/{}/conversation/epochs", t.circle);
    let to_phone = json!({ "number": 3, "creator_device_id": t.member_device, "envelopes": [
        { "recipient_device_id": t.member_device, "wrapped": b64(40), "signature": signature() },
        { "recipient_device_id": phone, "wrapped": b64(40), "signature": signature() }] });
    let res = app
        .conv(&t.member, Method::POST, &epochs, Some(to_phone))
        .await;
    assert_eq!(refused(res, StatusCode::CONFLICT).await, "epoch_not_due");

    // Fresh keys: every device revoked, identity and archive gone, the epoch closed.
    let archive = json!({ "circle_id": t.circle, "epoch": 2, "sealed": b64(60) });
    let res = app
        .conv(
            &t.member,
            Method::PUT,
            "/api/v1/me/key-archive",
            Some(archive.clone()),
        )
        .await;
    assert_eq!(ok_json(res).await, archive);
    let kept = app
        .get_json(
            &t.member.access_token,
            &format!("/api/v1/me/key-archive?circle={}", t.circle),
        )
        .await;
    assert_eq!(kept, json!([archive]));
    let report = ok_json(
        app.conv(
            &t.member,
            Method::POST,
            "/api/v1/me/conversation-identity/reset",
            None,
        )
        .await,
    )
    .await;
    assert_eq!(report["devices_revoked"], 1);
    assert_eq!(report["circles"], json!([t.circle]));
    let res = app
        .conv(
            &t.member,
            Method::GET,
            "/api/v1/me/conversation-identity",
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        app.get_json(&t.member.access_token, "/api/v1/me/key-archive")
            .await,
        json!([])
    );
    let state = app.conversation(&t.fac, &t.circle, t.fac_device).await;
    assert_eq!(state["epoch"]["closed_reason"], "identity_reset");
    let res = app
        .post_message(&t.member, &t.circle, message_body(2, t.member_device, 1))
        .await;
    assert_eq!(refused(res, StatusCode::CONFLICT).await, "device_revoked");
    // The old roster names his old key: it no longer matches until a leader signs anew.
    let new_device = app.conversation_keys(&t.member).await;
    let stale = state["roster"]["body"]
        .as_str()
        .unwrap()
        .replace("\"version\":1", "\"version\":2");
    let res = app
        .conv(&t.fac, Method::PUT, &format!("/api/v1/circles/{}/conversation/roster", t.circle),
            Some(json!({ "version": 2, "body": stale, "signer_device_id": t.fac_device, "signature": signature() })))
        .await;
    assert_eq!(refused(res, StatusCode::CONFLICT).await, "roster_mismatch");
    assert_eq!(
        app.sign_roster(&t.fac, &t.circle, t.fac_device)
            .await
            .status(),
        StatusCode::CREATED
    );
    assert_eq!(
        app.start_epoch(&t.fac, &t.circle, t.fac_device)
            .await
            .status(),
        StatusCode::CREATED
    );
    let res = app
        .post_message(&t.member, &t.circle, message_body(3, new_device, 1))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(
        app.audit_records("conversation_identity_reset").await.len(),
        1
    );
}

async fn shared_history_reaches_a_newcomer(app: TestApp) {
    let t = talking_circle(&app).await;
    let res = app
        .post_message(&t.fac, &t.circle, message_body(1, t.fac_device, 1))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let settings = format!("/api/v1/circles/{}/conversation/settings", t.circle);
    let res = app
        .conv(
            &t.fac,
            Method::PUT,
            &settings,
            Some(json!({ "share_history": true, "disappearing_days": null })),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let newcomer = app.named("Nils Newcomer").await;
    app.join(&t.fac, &newcomer, &t.circle).await;
    let device = app.conversation_keys(&newcomer).await;
    assert_eq!(
        app.sign_roster(&t.fac, &t.circle, t.fac_device)
            .await
            .status(),
        StatusCode::CREATED
    );
    assert_eq!(
        app.start_epoch(&t.fac, &t.circle, t.fac_device)
            .await
            .status(),
        StatusCode::CREATED
    );
    // Epoch 1 is closed (rotated), but the circle shares its history.
    let share = format!("/api/v1/circles/{}/conversation/envelopes", t.circle);
    let envelope =
        json!({ "recipient_device_id": device, "wrapped": b64(40), "signature": signature() });
    let res = app
        .conv(
            &t.fac,
            Method::POST,
            &share,
            Some(json!({ "epoch": 1, "sender_device_id": t.fac_device, "envelopes": [envelope] })),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let page = app.messages(&newcomer, &t.circle, "after=0").await;
    assert_eq!(page["messages"].as_array().unwrap().len(), 1, "{page}");
    let archive = json!({ "circle_id": t.circle, "epoch": 1, "sealed": b64(60) });
    let res = app
        .conv(
            &newcomer,
            Method::PUT,
            "/api/v1/me/key-archive",
            Some(archive),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
}

async fn archiving_deletes_the_keys(app: TestApp) {
    let t = talking_circle(&app).await;
    let res = app
        .post_message(&t.fac, &t.circle, message_body(1, t.fac_device, 1))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = app
        .post_as(
            &t.fac.access_token,
            &format!("/api/v1/circles/{}/archive", t.circle),
            json!({}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK, "archive");
    let state = app
        .conversation(&t.member, &t.circle, t.member_device)
        .await;
    assert_eq!(state["envelopes"], json!([]));
    assert_eq!(state["epoch"]["closed_reason"], "circle_archived");
    let res = app
        .post_message(&t.member, &t.circle, message_body(1, t.member_device, 1))
        .await;
    assert_eq!(refused(res, StatusCode::CONFLICT).await, "circle_archived");
    assert_eq!(
        app.get_json(&t.member.access_token, "/api/v1/me/conversations")
            .await,
        json!([])
    );
}

crate::on_both_backends!(
    a_new_member_joins_and_a_removed_one_is_shut_out,
    a_revoked_device_and_a_fresh_identity_lose_their_keys,
    shared_history_reaches_a_newcomer,
    archiving_deletes_the_keys,
);
