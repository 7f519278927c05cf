//! Messages delivered live: at once, after a disconnect from the last sequence number,
//! across two instances, and never to someone who is not (or no longer) in the circle.

use super::socket::{session_cookie, Open, Socket};
use crate::helpers::conversation::message_body;
use crate::helpers::{led_circle, ok_json, spawn_app_with_redis, Backend, Led, TestApp, User};
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::time::Duration;
use uuid::Uuid;

/// A circle whose facilitator and member both have keys, a signed roster and an open epoch.
pub struct Talking {
    pub led: Led,
    pub circle: String,
    pub fac_device: Uuid,
    pub member_device: Uuid,
    /// Each device's next `device_seq`.
    counters: std::collections::HashMap<Uuid, i64>,
}

impl Talking {
    pub async fn set_up(app: &TestApp) -> Talking {
        let led = led_circle(app).await;
        let fac_device = app.conversation_keys(&led.fac).await;
        let member_device = app.conversation_keys(&led.member).await;
        let circle = led.id.clone();
        let res = app.sign_roster(&led.fac, &circle, fac_device).await;
        assert_eq!(res.status(), StatusCode::CREATED, "roster v1");
        let res = app.start_epoch(&led.fac, &circle, fac_device).await;
        assert_eq!(res.status(), StatusCode::CREATED, "epoch 1");
        Talking {
            led,
            circle,
            fac_device,
            member_device,
            counters: Default::default(),
        }
    }

    /// The facilitator and the member sign in again (after the clock moved past their
    /// access tokens).
    pub async fn sign_in_again(&mut self, app: &TestApp) {
        self.led.fac = app.signed_in_again(&self.led.fac).await;
        self.led.member = app.signed_in_again(&self.led.member).await;
    }

    /// `who` posts one message from `device` under the open epoch; its sequence number.
    pub async fn post(&mut self, app: &TestApp, who: &User, device: Uuid) -> i64 {
        let epoch = app.conversation(who, &self.circle, device).await["epoch"]["number"]
            .as_i64()
            .expect("an open epoch");
        let n = self.counters.entry(device).or_insert(0);
        *n += 1;
        let res = app
            .post_message(who, &self.circle, message_body(epoch, device, *n))
            .await;
        assert_eq!(res.status(), StatusCode::CREATED, "post");
        ok_json(res).await["seq"].as_i64().expect("a seq")
    }
}

async fn messages_arrive_live_and_a_reconnect_misses_nothing(app: TestApp) {
    let mut talk = Talking::set_up(&app).await;
    let (fac, member) = (talk.led.fac.clone(), talk.led.member.clone());
    let cookie = session_cookie(&app, &member).await;
    let first = talk.post(&app, &fac, talk.fac_device).await;

    // On connect: what came before.
    let mut socket = Socket::open(&app, &talk.circle, Open::with(&cookie))
        .await
        .expect("the member connects");
    let frames = socket.messages_until(first).await;
    assert_eq!(frames[0]["last_seq"], first);
    let m = &frames[0]["messages"][0];
    assert_eq!(m["sender_device_id"], talk.fac_device.to_string());
    assert!(m["ciphertext"].is_string() && m["signature"].is_string());

    // Live: each message as it is posted, his own included.
    let second = talk.post(&app, &fac, talk.fac_device).await;
    socket.messages_until(second).await;
    let own = talk.post(&app, &member, talk.member_device).await;
    socket.messages_until(own).await;
    assert_eq!(socket.seqs, vec![first, second, own]);

    // Gone for a while: three messages while away arrive on reconnecting after the last.
    let last_seen = *socket.seqs.last().unwrap();
    socket.leave().await;
    let mut missed = Vec::new();
    for _ in 0..3 {
        missed.push(talk.post(&app, &fac, talk.fac_device).await);
    }
    let mut socket = Socket::open(&app, &talk.circle, Open::with(&cookie).after(last_seen))
        .await
        .expect("reconnects");
    socket.messages_until(*missed.last().unwrap()).await;
    assert_eq!(socket.seqs, missed, "every missed message, once, in order");

    // What else changes is named, never shown: a pin, a deletion.
    let path = format!(
        "/api/v1/circles/{}/conversation/messages/{}/pin",
        talk.circle, missed[0]
    );
    let res = app
        .conv(&fac, Method::PUT, &path, Some(json!({ "pinned": true })))
        .await;
    assert_eq!(res.status(), StatusCode::OK, "pin");
    socket.changed_until("pins").await;
    let path = format!(
        "/api/v1/circles/{}/conversation/messages/{}",
        talk.circle, missed[1]
    );
    let res = app.conv(&fac, Method::DELETE, &path, None).await;
    assert!(res.status().is_success(), "delete: {}", res.status());
    socket.changed_until("deleted").await;

    // The read marker from the socket is the member's.
    socket
        .send(json!({ "type": "read", "seq": missed[2] }))
        .await;
    socket.send(json!({ "type": "pong" })).await;
    let state = async {
        loop {
            let view = app
                .conversation(&member, &talk.circle, talk.member_device)
                .await;
            if view["last_read_seq"] == missed[2] {
                return view;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(10), state)
        .await
        .expect("the read marker moves");
}

async fn a_removed_member_is_closed_out_and_hears_nothing_more(app: TestApp) {
    let mut talk = Talking::set_up(&app).await;
    let (fac, member) = (talk.led.fac.clone(), talk.led.member.clone());
    let cookie = session_cookie(&app, &member).await;
    let mut socket = Socket::open(&app, &talk.circle, Open::with(&cookie))
        .await
        .expect("the member connects");
    let before = talk.post(&app, &fac, talk.fac_device).await;
    socket.messages_until(before).await;

    let path = format!(
        "/api/v1/circles/{}/members/{}/remove",
        talk.circle, member.id
    );
    let res = app
        .post_as(&fac.access_token, &path, json!({ "reason": "Moved away" }))
        .await;
    assert_eq!(res.status(), StatusCode::OK, "removed");
    // A new epoch for those who stay; the removed member's socket closes and receives
    // nothing of it.
    let res = app.sign_roster(&fac, &talk.circle, talk.fac_device).await;
    assert_eq!(res.status(), StatusCode::CREATED, "roster without him");
    let res = app.start_epoch(&fac, &talk.circle, talk.fac_device).await;
    assert_eq!(res.status(), StatusCode::CREATED, "epoch 2");
    let after = talk.post(&app, &fac, talk.fac_device).await;
    assert_eq!(socket.closed().await, Some(4403));
    assert!(!socket.seqs.contains(&after), "nothing after the removal");

    // Coming back is refused as well.
    let mut again = Socket::open(&app, &talk.circle, Open::with(&cookie))
        .await
        .expect("upgraded, then closed");
    assert_eq!(again.closed().await, Some(4403));
    assert!(again.seqs.is_empty());
}

async fn only_members_and_leaders_get_a_socket(app: TestApp) {
    let talk = Talking::set_up(&app).await;
    let led = &talk.led;
    let outsider = app.named("Otto Outsider").await;
    for who in [&outsider, &led.admin, &led.ptm] {
        let cookie = session_cookie(&app, who).await;
        let mut socket = Socket::open(&app, &talk.circle, Open::with(&cookie))
            .await
            .expect("upgraded, then closed");
        assert_eq!(socket.closed().await, Some(4403), "{}", who.email);
        assert!(socket.seqs.is_empty());
    }
    // An Admin who stepped in stands in the circle, but not in its conversation.
    app.step_in(
        &led.admin,
        &talk.circle,
        "A safeguarding concern was raised.",
    )
    .await;
    let cookie = session_cookie(&app, &led.admin).await;
    let mut socket = Socket::open(&app, &talk.circle, Open::with(&cookie))
        .await
        .expect("upgraded, then closed");
    assert_eq!(socket.closed().await, Some(4403), "stepped-in Admin");

    // Nobody signed in, or a made-up session.
    for cookie in [None, Some("circles_session=not-a-session")] {
        let how = Open {
            cookie,
            origin: None,
            after: 0,
            headers: Vec::new(),
        };
        let mut socket = Socket::open(&app, &talk.circle, how)
            .await
            .expect("upgraded, then closed");
        assert_eq!(socket.closed().await, Some(4401), "{cookie:?}");
    }
}

async fn another_sites_page_cannot_open_a_socket(app: TestApp) {
    let talk = Talking::set_up(&app).await;
    let cookie = session_cookie(&app, &talk.led.member).await;
    let evil = Open {
        origin: Some("https://evil.example"),
        ..Open::with(&cookie)
    };
    assert_eq!(
        Socket::open(&app, &talk.circle, evil).await.err(),
        Some(403)
    );
    // The right host under another scheme or port is another origin too.
    let port = format!("http://127.0.0.1:{}", app.port + 1);
    let other_port = Open {
        origin: Some(&port),
        ..Open::with(&cookie)
    };
    assert_eq!(
        Socket::open(&app, &talk.circle, other_port).await.err(),
        Some(403)
    );
}

async fn signing_out_closes_the_socket(app: TestApp) {
    let talk = Talking::set_up(&app).await;
    let member = &talk.led.member;
    let cookie = session_cookie(&app, member).await;
    let mut socket = Socket::open(&app, &talk.circle, Open::with(&cookie))
        .await
        .expect("the member connects");
    // He signs out of that browser from another device.
    let sessions = app
        .get_json(&member.access_token, "/api/v1/me/sessions")
        .await;
    for s in sessions.as_array().unwrap() {
        if s["current"] == false {
            let path = format!("/api/v1/me/sessions/{}", s["id"].as_str().unwrap());
            let res = app.conv(member, Method::DELETE, &path, None).await;
            assert_eq!(res.status(), StatusCode::NO_CONTENT);
        }
    }
    assert_eq!(socket.closed().await, Some(4403));
}

/// The router's layers (timeout, compression, body limit) are for requests: a socket
/// outlives the timeout, its frames are plain JSON text whatever the browser accepts, and a
/// catch-up larger than the body limit passes.
async fn the_routers_layers_leave_sockets_alone(app: TestApp) {
    let mut talk = Talking::set_up(&app).await;
    let fac = talk.led.fac.clone();
    let mut last = 0;
    for _ in 0..12 {
        last = talk.post(&app, &fac, talk.fac_device).await;
    }
    let cookie = session_cookie(&app, &talk.led.member).await;
    let how = Open {
        headers: vec![("accept-encoding", "gzip, br")],
        ..Open::with(&cookie)
    };
    let mut socket = Socket::open(&app, &talk.circle, how)
        .await
        .expect("upgraded through every layer");
    let frames = socket.messages_until(last).await;
    let size = frames[0].to_string().len();
    assert!(size > 2048, "one catch-up frame of {size} bytes");
    // Longer than this app's request timeout (1 s), and still delivering.
    assert!(socket
        .next_within(Duration::from_millis(2500))
        .await
        .is_none());
    let seq = talk.post(&app, &fac, talk.fac_device).await;
    let frames = socket.messages_until(seq).await;
    assert_eq!(frames[0]["type"], "messages");
}

fn small_requests(s: &mut app::config::Settings) {
    s.server.request_timeout_secs = 1;
    s.server.body_limit_bytes = 2048;
}

crate::on_both_backends!(
    messages_arrive_live_and_a_reconnect_misses_nothing,
    a_removed_member_is_closed_out_and_hears_nothing_more,
    only_members_and_leaders_get_a_socket,
    another_sites_page_cannot_open_a_socket,
    signing_out_closes_the_socket,
);

crate::on_both_backends_with!(small_requests => the_routers_layers_leave_sockets_alone);

/// Instance A takes the post, instance B's socket delivers it: one PostgreSQL, one Redis.
async fn a_message_posted_on_one_instance_arrives_on_the_other(backend: Backend) {
    let Some(a) = spawn_app_with_redis(backend).await else {
        return;
    };
    let b = a.second_instance().await;
    let mut talk = Talking::set_up(&a).await;
    let (fac, member) = (talk.led.fac.clone(), talk.led.member.clone());
    let cookie = session_cookie(&b, &member).await;
    let mut on_b = Socket::open(&b, &talk.circle, Open::with(&cookie))
        .await
        .expect("the member connects to B");
    let fac_cookie = session_cookie(&a, &fac).await;
    let mut on_a = Socket::open(&a, &talk.circle, Open::with(&fac_cookie))
        .await
        .expect("the facilitator connects to A");
    for _ in 0..3 {
        let seq = talk.post(&a, &fac, talk.fac_device).await;
        on_b.messages_until(seq).await;
        on_a.messages_until(seq).await;
    }
    let seq = talk.post(&b, &member, talk.member_device).await;
    on_a.messages_until(seq).await;
    on_b.messages_until(seq).await;
    assert_eq!(on_a.seqs, on_b.seqs);
    assert_eq!(on_a.seqs.len(), 4);

    // A removal on A closes the socket on B.
    let path = format!(
        "/api/v1/circles/{}/members/{}/remove",
        talk.circle, member.id
    );
    let res = a
        .post_as(&fac.access_token, &path, json!({ "reason": "Moved away" }))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(on_b.closed().await, Some(4403));
}

mod a_message_posted_on_one_instance_arrives_on_the_other {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::a_message_posted_on_one_instance_arrives_on_the_other(
            crate::helpers::Backend::Postgres,
        )
        .await
    }
}
