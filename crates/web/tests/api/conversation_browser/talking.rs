//! Members talking: live delivery on one instance and across two, a removed member locked
//! out of what follows, a tampered ciphertext refused, and a message that waits for a member
//! who was away.

use super::plaintext::{assert_nowhere_on_server, watch};
use super::{open_conversation, send, unverified_count, wait_for, wait_for_message, Circle};
use crate::helpers::{spawn_app_with_redis, Backend, TestApp};
use db::main_db::conversation_messages as messages;
use db::sea_orm::{ActiveModelTrait, ActiveValue, EntityTrait, QueryOrder};
use reqwest::StatusCode;
use serde_json::{json, Value};
use testkit::browser::PHONE;

const MEMBERS: &[&str] = &["Ali Haddad", "Jon Berg"];

async fn members_talk_live(app: TestApp) {
    let Some(c) = Circle::new(&app, MEMBERS, None).await else {
        return;
    };
    c.start_talking().await;
    let sentence = format!(
        "Thank you all for Tuesday, it meant a lot {}",
        uuid::Uuid::new_v4()
    );
    let logged = watch(&sentence);
    send(c.browser(0), &sentence).await;
    // Ali and Jon have the page open: it arrives without a reload.
    wait_for_message(c.browser(1), &sentence).await;
    wait_for_message(c.browser(2), &sentence).await;
    let reply = format!("Same here, see you next week {}", uuid::Uuid::new_v4());
    let logged_reply = watch(&reply);
    send(c.browser(1), &reply).await;
    wait_for_message(c.browser(0), &reply).await;
    wait_for_message(c.browser(2), &reply).await;
    c.browser(1).screenshot("conversation", PHONE).await;
    assert_nowhere_on_server(&app, &sentence, logged).await;
    assert_nowhere_on_server(&app, &reply, logged_reply).await;
    c.close().await;
}

/// Frank and Jon on one instance, Ali on another, both on one PostgreSQL and Redis: the
/// bell rings across instances and messages arrive live either way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_on_two_instances_talk_live() {
    let Some(app) = spawn_app_with_redis(Backend::Postgres).await else {
        return;
    };
    let second = app.second_instance().await;
    let Some(c) = Circle::new(&app, MEMBERS, Some(&second)).await else {
        return;
    };
    c.start_talking().await;
    let sentence = format!("Across two servers, still just us {}", uuid::Uuid::new_v4());
    let logged = watch(&sentence);
    send(c.browser(0), &sentence).await;
    wait_for_message(c.browser(1), &sentence).await;
    let reply = format!("Heard you from the other side {}", uuid::Uuid::new_v4());
    send(c.browser(1), &reply).await;
    wait_for_message(c.browser(0), &reply).await;
    wait_for_message(c.browser(2), &reply).await;
    assert_nowhere_on_server(&app, &sentence, logged).await;
    c.close().await;
}

/// The messages of the circle, oldest first, as a member's API client sees them.
async fn stored(app: &TestApp, c: &Circle) -> Vec<Value> {
    let res = app
        .get_as(
            &c.user(0).access_token,
            &format!("/api/v1/circles/{}/conversation/messages?after=0", c.id),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let page: Value = res.json().await.unwrap();
    page["messages"].as_array().unwrap().clone()
}

/// Tries every epoch key Jon's browser holds for the circle on `message`, through the
/// page's own modules; returns the texts it could open.
async fn open_with_stored_keys(c: &Circle, who: usize, message: &Value) -> Vec<String> {
    let script = format!(
        "return (async () => {{
           const c = await import({crypto});
           const s = await import({store});
           const store = await s.openStore({user});
           const m = {message};
           const signer = (await store.trust('device:' + m.sender_device_id)).signing;
           const opened = [];
           for (const [epoch, raw] of await store.epochKeysRaw({circle})) {{
             try {{
               const out = await c.decryptMessage({{ epochKey: await c.importEpochKey(raw), senderSigning: signer,
                 circle: {circle}, epoch: m.epoch, deviceSeq: m.device_seq, device: m.sender_device_id,
                 ciphertext: m.ciphertext, signature: m.signature }});
               opened.push(out.body);
             }} catch (e) {{}}
           }}
           store.close();
           return opened;
         }})();",
        crypto = json!(web::pages::assets::url("e2e/crypto.js")),
        store = json!(web::pages::assets::url("e2e/store.js")),
        user = json!(c.user(who).id.to_string()),
        circle = json!(c.id),
        message = message,
    );
    let v = c.browser(who).script(&script).await;
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect()
}

async fn a_removed_member_cannot_read_what_is_sent_after(app: TestApp) {
    let Some(c) = Circle::new(&app, MEMBERS, None).await else {
        return;
    };
    c.start_talking().await;
    let before = format!("Before Jon leaves {}", uuid::Uuid::new_v4());
    send(c.browser(0), &before).await;
    wait_for_message(c.browser(2), &before).await;

    let res = app
        .post_as(
            &c.user(0).access_token,
            &format!("/api/v1/circles/{}/members/{}/remove", c.id, c.user(2).id),
            json!({ "reason": "Asked to leave." }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let after = format!("After Jon left {}", uuid::Uuid::new_v4());
    send(c.browser(0), &after).await;
    wait_for_message(c.browser(1), &after).await;

    let all = stored(&app, &c).await;
    let (old, new) = (&all[0], all.last().unwrap());
    assert!(
        new["epoch"].as_i64() > old["epoch"].as_i64(),
        "a new epoch began: {all:?}"
    );
    // His browser's stored keys open the message from before, and nothing after.
    assert_eq!(
        open_with_stored_keys(&c, 2, old).await,
        vec![before.clone()]
    );
    assert!(open_with_stored_keys(&c, 2, new).await.is_empty());
    // And his page no longer opens the conversation.
    c.browser(2)
        .goto(&format!("/circles/{}/conversation", c.id))
        .await;
    assert!(!c.browser(2).has("#conversation").await);
    c.close().await;
}

async fn a_tampered_ciphertext_could_not_be_verified(app: TestApp) {
    let Some(c) = Circle::new(&app, MEMBERS, None).await else {
        return;
    };
    c.start_talking().await;
    let honest = format!("This one stays as it was {}", uuid::Uuid::new_v4());
    let target = format!("Someone will change this one {}", uuid::Uuid::new_v4());
    send(c.browser(0), &honest).await;
    send(c.browser(0), &target).await;
    open_conversation(c.browser(1), &c.id).await;
    wait_for_message(c.browser(1), &target).await;

    // Whoever holds the database flips one character of the stored ciphertext.
    let row = messages::Entity::find()
        .order_by_desc(messages::Column::Seq)
        .one(&app.ctx.main)
        .await
        .unwrap()
        .unwrap();
    let mut text: Vec<char> = row.ciphertext.clone().unwrap().chars().collect();
    let at = text.len() / 2;
    text[at] = if text[at] == 'A' { 'B' } else { 'A' };
    let mut changed: messages::ActiveModel = row.into();
    changed.ciphertext = ActiveValue::Set(Some(text.into_iter().collect()));
    changed.update(&app.ctx.main).await.unwrap();

    open_conversation(c.browser(1), &c.id).await;
    wait_for_message(c.browser(1), &honest).await;
    let page = c
        .browser(1)
        .script("return document.getElementById('messages').innerText;")
        .await;
    let page = page.as_str().unwrap();
    assert!(page.contains("could not be verified"), "{page}");
    assert!(
        !page.contains(&target),
        "the changed message is never shown as text"
    );
    assert_eq!(unverified_count(c.browser(1)).await, 1);
    c.close().await;
}

async fn a_message_sent_while_away_arrives_on_return(app: TestApp) {
    let Some(c) = Circle::new(&app, MEMBERS, None).await else {
        return;
    };
    c.start_talking().await;
    // Jon leaves the page (his live connection closes) …
    c.browser(2).goto("/home").await;
    let while_away = format!("Jon, call me when you are back {}", uuid::Uuid::new_v4());
    send(c.browser(0), &while_away).await;
    // … and finds it when he comes back.
    open_conversation(c.browser(2), &c.id).await;
    wait_for_message(c.browser(2), &while_away).await;
    // A live connection that drops resumes from its last sequence number: Ali's browser
    // goes offline, a message is sent, and it arrives once he is back online.
    let ali = c.browser(1);
    ali.cdp("Network.enable", json!({})).await;
    ali.cdp(
        "Network.emulateNetworkConditions",
        json!({ "offline": true, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1 }),
    )
    .await;
    let offline = format!("Sent while Ali was offline {}", uuid::Uuid::new_v4());
    send(c.browser(0), &offline).await;
    ali.cdp(
        "Network.emulateNetworkConditions",
        json!({ "offline": false, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1 }),
    )
    .await;
    wait_for_message(ali, &offline).await;
    let live = wait_for(
        ali,
        "return document.getElementById('conversation').dataset.live === 'open' ? true : null;",
        "the live connection",
    )
    .await;
    assert_eq!(live, json!(true));
    c.close().await;
}

crate::on_both_backends!(
    members_talk_live,
    a_removed_member_cannot_read_what_is_sent_after,
    a_tampered_ciphertext_could_not_be_verified,
    a_message_sent_while_away_arrives_on_return,
);
