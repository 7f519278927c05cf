//! Join-request messages inside the boundary (issue 12): sealed to the leaders' devices by
//! the requester's browser, or encrypted at rest with the server's field key; never stored,
//! mailed or echoed in plain text. And signing out revokes the browser's device.

use super::talking_circle;
use crate::helpers::conversation::{b64, spki};
use crate::helpers::pages::Person;
use crate::helpers::{ok_json, refused, TestApp};
use db::main_db::circle_memberships as memberships;
use db::sea_orm::sea_query::Expr;
use db::sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Statement};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use uuid::Uuid;

const PLAIN_WORDS: &str = "My father is dying and I cannot say it at home.";
const LEGACY_WORDS: &str = "Written before messages were sealed, in 2025.";

fn sealed_to(devices: &[Uuid]) -> Value {
    json!({
        "ephemeral_public": spki(),
        "ciphertext": b64(12 + 60 + 16),
        "envelopes": devices.iter().map(|d| json!({ "device_id": d, "wrapped": b64(40) })).collect::<Vec<_>>(),
    })
}

/// Every message-bearing text of `circle_memberships`, read with raw SQL.
async fn stored_texts(app: &TestApp) -> String {
    let db = &app.ctx.main;
    let sql = "SELECT message, message_sealed, message_encrypted, reason FROM circle_memberships";
    let rows = db
        .query_all(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap();
    let mut out = String::new();
    for row in rows {
        for col in ["message", "message_sealed", "message_encrypted", "reason"] {
            if let Some(text) = row.try_get::<Option<String>>("", col).unwrap() {
                out.push_str(&text);
                out.push('\n');
            }
        }
    }
    out
}

async fn sealed_messages_reach_only_the_leaders_devices(app: TestApp) {
    let t = talking_circle(&app).await;
    let asker = app.named("Anton Asker").await;
    let path = format!("/api/v1/circles/{}/leader-devices", t.circle);
    let listed = app.get_json(&asker.access_token, &path).await;
    let list = listed.as_array().unwrap();
    assert_eq!(list.len(), 1, "the facilitator's device only: {listed}");
    let mut fields: Vec<&String> = list[0].as_object().unwrap().keys().collect();
    fields.sort();
    assert_eq!(
        fields,
        [
            "certificate",
            "device_id",
            "ecdh_public",
            "identity_public",
            "signing_public",
            "user_id"
        ],
        "public keys and the certificate, nothing else"
    );
    assert_eq!(list[0]["device_id"], t.fac_device.to_string());

    let join = format!("/api/v1/circles/{}/join-requests", t.circle);
    for (bad, why) in [
        (sealed_to(&[t.member_device]), "a member's device"),
        (sealed_to(&[Uuid::new_v4()]), "no device"),
        (sealed_to(&[t.fac_device, t.fac_device]), "twice"),
        (sealed_to(&[]), "none"),
    ] {
        let res = app
            .post_as(&asker.access_token, &join, json!({ "message_sealed": bad }))
            .await;
        assert_eq!(
            refused(res, StatusCode::UNPROCESSABLE_ENTITY).await,
            "validation_failed",
            "{why}"
        );
    }
    let both = json!({ "message": "hello", "message_sealed": sealed_to(&[t.fac_device]) });
    let res = app.post_as(&asker.access_token, &join, both).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "both");

    let sealed = sealed_to(&[t.fac_device]);
    let res = app
        .post_as(
            &asker.access_token,
            &join,
            json!({ "message_sealed": sealed }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let made = ok_json(res).await;
    assert_eq!(made["has_message"], true);
    assert!(made.get("message").is_none(), "{made}");
    let queue = app.get_json(&t.fac.access_token, &join).await;
    let request = &queue["requests"][0];
    assert_eq!(
        request["message_sealed"], sealed,
        "the leaders' browsers get it"
    );
    assert!(request["message"].is_null());

    // A revoked leader device is sealed to no more.
    let res = app
        .conv(
            &t.fac,
            Method::DELETE,
            &format!("/api/v1/me/devices/{}", t.fac_device),
            None,
        )
        .await;
    ok_json(res).await;
    let listed = app.get_json(&asker.access_token, &path).await;
    assert_eq!(listed, json!([]));
}

async fn plain_messages_are_encrypted_at_rest(app: TestApp) {
    let t = talking_circle(&app).await;
    let asker = app.named("Paul Plain").await;
    let join = format!("/api/v1/circles/{}/join-requests", t.circle);
    // Without JavaScript the page posts the text: the server encrypts it.
    let browser = Person::of(&app, &asker).await;
    let (_, html) = browser
        .submit_ok(
            &format!("/circles/{}", t.circle),
            &format!("/circles/{}/join", t.circle),
            &[("message", PLAIN_WORDS), ("message_sealed", "")],
        )
        .await;
    assert!(html.contains("You asked to join"), "{html}");
    let texts = stored_texts(&app).await;
    assert!(
        !texts.contains(PLAIN_WORDS),
        "stored in plain text: {texts}"
    );
    assert!(!texts.contains("father"), "{texts}");
    // The leaders read it, on the API and the page.
    let queue = app.get_json(&t.fac.access_token, &join).await;
    assert_eq!(queue["requests"][0]["message"], PLAIN_WORDS);
    let leader = Person::of(&app, &t.fac).await;
    let page = leader
        .page(&format!("/circles/{}/requests", t.circle))
        .await;
    assert!(page.contains(PLAIN_WORDS), "{page}");
    // The email to the leaders points to the page and carries no word of it.
    app.run_pending_jobs().await;
    let mails = app.emails_to(&t.fac.email);
    let notice = mails
        .iter()
        .find(|m| m.subject.starts_with("Someone asked to join"))
        .expect("the leaders hear of it");
    assert!(notice.body.contains("requests page"), "{}", notice.body);
    for m in &mails {
        assert!(!m.body.contains(PLAIN_WORDS), "mailed: {}", m.body);
    }
    // The person's own answer says a message is there, not what it is.
    let mine = app
        .get_json(&asker.access_token, "/api/v1/me/circles")
        .await;
    assert!(!mine.to_string().contains(PLAIN_WORDS));
}

async fn plain_messages_from_before_are_encrypted_at_start(app: TestApp) {
    let t = talking_circle(&app).await;
    let asker = app.named("Larry Legacy").await;
    let made = ok_json(app.ask_to_join(&asker, &t.circle).await).await;
    let id = made["id"].as_str().unwrap().to_owned();
    // As a row written before migration m0010 was: the message in plain text.
    let res = memberships::Entity::update_many()
        .col_expr(memberships::Column::Message, Expr::value(LEGACY_WORDS))
        .filter(memberships::Column::Id.eq(id.parse::<Uuid>().unwrap()))
        .exec(&app.ctx.main)
        .await
        .unwrap();
    assert_eq!(res.rows_affected, 1);
    assert!(stored_texts(&app).await.contains(LEGACY_WORDS));

    let moved = app::circles::membership::encrypt_plain_messages(&app.ctx)
        .await
        .unwrap();
    assert_eq!(moved, 1);
    let again = app::circles::membership::encrypt_plain_messages(&app.ctx)
        .await
        .unwrap();
    assert_eq!(again, 0, "idempotent");
    assert!(!stored_texts(&app).await.contains(LEGACY_WORDS));
    let join = format!("/api/v1/circles/{}/join-requests", t.circle);
    let queue = app.get_json(&t.fac.access_token, &join).await;
    assert_eq!(
        queue["requests"][0]["message"], LEGACY_WORDS,
        "still readable"
    );
}

async fn only_those_who_may_ask_read_the_leaders_keys(app: TestApp) {
    let t = talking_circle(&app).await;
    let asker = app.named("Otto Outsider").await;
    let path = format!("/api/v1/circles/{}/leader-devices", t.circle);
    // An invitation-only circle takes no requests: its leaders' keys are no one's business.
    let res = app
        .call(
            Method::PATCH,
            &format!("/api/v1/circles/{}", t.circle),
            Some(&t.fac.access_token),
            Some(json!({ "visibility": "invitation_only" })),
        )
        .await;
    ok_json(res).await;
    let res = app.get_as(&asker.access_token, &path).await;
    assert_eq!(refused(res, StatusCode::FORBIDDEN).await, "forbidden");
    let res = app
        .get_as(
            &asker.access_token,
            &format!("/api/v1/circles/{}/leader-devices", Uuid::now_v7()),
        )
        .await;
    assert_eq!(refused(res, StatusCode::NOT_FOUND).await, "not_found");
    let res = app.get(&path).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

async fn signing_out_revokes_this_browsers_device(app: TestApp) {
    let t = talking_circle(&app).await;
    let browser = Person::of(&app, &t.member).await;
    let device = t.member_device.to_string();
    // Another's device id is not his to revoke: the sign-out goes on, nothing else.
    let other = t.fac_device.to_string();
    let res = browser
        .submit("/home", "/logout", &[("device_id", other.as_str())])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let browser = Person::of(&app, &t.member).await;
    let res = browser
        .submit("/home", "/logout", &[("device_id", device.as_str())])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        res.headers()["clear-site-data"],
        "\"storage\"",
        "the browser's keys are erased too"
    );
    let mine = app
        .get_json(&t.member.access_token, "/api/v1/me/devices")
        .await;
    let d = mine
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == device.as_str())
        .unwrap();
    assert!(!d["revoked_at"].is_null(), "revoked: {d}");
    let theirs = app
        .get_json(&t.fac.access_token, "/api/v1/me/devices")
        .await;
    assert!(theirs[0]["revoked_at"].is_null(), "the facilitator's stays");
    // The epoch his device could read is closed, as for any revocation.
    let state = app.conversation(&t.fac, &t.circle, t.fac_device).await;
    assert_eq!(state["epoch"]["closed_reason"], "device_revoked", "{state}");
    // Without a device id (no JavaScript) nothing is revoked.
    let again = app.new_device(&t.member, "Phone").await;
    let browser = Person::of(&app, &t.member).await;
    let res = browser.submit("/home", "/logout", &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let mine = app
        .get_json(&t.member.access_token, "/api/v1/me/devices")
        .await;
    let phone = mine
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == again.to_string().as_str())
        .unwrap();
    assert!(phone["revoked_at"].is_null());
}

crate::on_both_backends!(
    sealed_messages_reach_only_the_leaders_devices,
    plain_messages_are_encrypted_at_rest,
    plain_messages_from_before_are_encrypted_at_start,
    only_those_who_may_ask_read_the_leaders_keys,
    signing_out_revokes_this_browsers_device,
);
