//! The conversation's background work: notices for members who are away, and retention
//! (disappearing messages, archived circles).

use super::delivery::Talking;
use super::socket::{session_cookie, Open, Socket};
use crate::helpers::TestApp;
use chrono::Duration;
use db::main_db::conversation_messages as messages;
use db::sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use reqwest::{Method, StatusCode};
use serde_json::json;
use uuid::Uuid;

/// A little more than the notice round's delay after a message.
fn after_the_delay() -> Duration {
    app::conversation::jobs::NOTICE_DELAY + Duration::seconds(5)
}

async fn an_away_member_gets_one_notice_an_hour_and_never_the_content(app: TestApp) {
    let mut talk = Talking::set_up(&app).await;
    let (fac, member) = (talk.led.fac.clone(), talk.led.member.clone());
    let notices = |app: &TestApp, to: &str| {
        app.subjects_to(to)
            .into_iter()
            .filter(|s| s == "New message in Monday Men")
            .count()
    };
    talk.post(&app, &fac, talk.fac_device).await;
    app.run_pending_jobs().await;
    assert_eq!(notices(&app, &member.email), 0, "not before the delay");
    app.advance(after_the_delay());
    app.run_pending_jobs().await;
    assert_eq!(notices(&app, &member.email), 1);
    assert_eq!(notices(&app, &fac.email), 0, "the sender has read his own");
    let mail = app
        .emails_to(&member.email)
        .into_iter()
        .find(|m| m.subject == "New message in Monday Men")
        .unwrap();
    let page = format!("/circles/{}/conversation", talk.circle);
    assert!(mail.body.contains(&page), "{}", mail.body);
    let stored = stored(&app, &talk.circle).await;
    for m in &stored {
        let ciphertext = m.ciphertext.as_deref().unwrap();
        assert!(!mail.body.contains(ciphertext));
    }
    assert!(!mail.body.contains("Frank"), "not who wrote: {}", mail.body);

    // More within the hour: no second notice.
    talk.post(&app, &fac, talk.fac_device).await;
    app.advance(Duration::minutes(30));
    app.run_pending_jobs().await;
    assert_eq!(notices(&app, &member.email), 1, "one an hour");
    talk.sign_in_again(&app).await;
    let member = talk.led.member.clone();

    // An hour on, muted: none.
    let mute = format!("/api/v1/circles/{}/conversation/mute", talk.circle);
    let res = app
        .conv(&member, Method::PUT, &mute, Some(json!({ "muted": true })))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    app.advance(Duration::minutes(61));
    talk.sign_in_again(&app).await;
    let (fac, member) = (talk.led.fac.clone(), talk.led.member.clone());
    talk.post(&app, &fac, talk.fac_device).await;
    app.advance(after_the_delay());
    app.run_pending_jobs().await;
    assert_eq!(notices(&app, &member.email), 1, "muted");
    let res = app
        .conv(&member, Method::PUT, &mute, Some(json!({ "muted": false })))
        .await;
    assert_eq!(res.status(), StatusCode::OK);

    // Online (a live connection open): none.
    let cookie = session_cookie(&app, &member).await;
    let socket = Socket::open(&app, &talk.circle, Open::with(&cookie))
        .await
        .expect("connects");
    let online = talk.post(&app, &fac, talk.fac_device).await;
    let mut socket = socket;
    socket.messages_until(online).await;
    app.advance(after_the_delay());
    app.run_pending_jobs().await;
    assert_eq!(notices(&app, &member.email), 1, "online");

    // Gone again: the next message brings the second notice.
    socket.leave().await;
    wait_offline(&app, &talk.circle, member.id).await;
    talk.post(&app, &fac, talk.fac_device).await;
    app.advance(after_the_delay());
    app.run_pending_jobs().await;
    assert_eq!(notices(&app, &member.email), 2);
}

/// Closing the socket marks its member offline (the server notices the close a moment
/// after the browser sends it).
async fn wait_offline(app: &TestApp, circle: &str, user: Uuid) {
    use db::main_db::conversation_participants as participants;
    let circle: Uuid = circle.parse().unwrap();
    for _ in 0..100 {
        let place = participants::Entity::find_by_id((circle, user))
            .one(&app.ctx.main)
            .await
            .unwrap()
            .expect("a participant");
        if place.online_until.is_some_and(|t| t <= app.now()) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("still online after the socket closed");
}

async fn stored(app: &TestApp, circle: &str) -> Vec<messages::Model> {
    let circle: Uuid = circle.parse().unwrap();
    messages::Entity::find()
        .filter(messages::Column::CircleId.eq(circle))
        .order_by_asc(messages::Column::Seq)
        .all(&app.ctx.main)
        .await
        .unwrap()
}

async fn disappearing_messages_lose_their_ciphertext_on_time(app: TestApp) {
    let mut talk = Talking::set_up(&app).await;
    let fac = talk.led.fac.clone();
    let settings = format!("/api/v1/circles/{}/conversation/settings", talk.circle);
    let body = json!({ "share_history": false, "disappearing_days": 30 });
    let res = app.conv(&fac, Method::PUT, &settings, Some(body)).await;
    assert_eq!(res.status(), StatusCode::OK, "settings");
    let old = talk.post(&app, &fac, talk.fac_device).await;
    app.advance(Duration::days(29));
    talk.sign_in_again(&app).await;
    let fac = talk.led.fac.clone();
    let young = talk.post(&app, &fac, talk.fac_device).await;
    app::jobs::ensure_recurring(&app.ctx).await.unwrap();
    app.advance(Duration::days(1) + Duration::hours(1));
    app.run_pending_jobs().await;
    talk.sign_in_again(&app).await;

    let rows = stored(&app, &talk.circle).await;
    let by_seq = |seq| rows.iter().find(|m| m.seq == seq).unwrap();
    assert!(by_seq(old).ciphertext.is_none() && by_seq(old).signature.is_none());
    assert!(by_seq(young).ciphertext.is_some(), "29 days old is kept");
    let listed = app
        .messages(&talk.led.member, &talk.circle, "after=0")
        .await;
    let first = &listed["messages"][0];
    assert_eq!(first["seq"], old);
    assert_eq!(first["deleted"], true, "a tombstone stays");
    assert!(first["ciphertext"].is_null());

    app.advance(Duration::days(30));
    app.run_pending_jobs().await;
    assert!(stored(&app, &talk.circle)
        .await
        .iter()
        .all(|m| m.ciphertext.is_none()));
}

async fn an_archived_circles_conversation_goes_after_the_retention(app: TestApp) {
    let mut talk = Talking::set_up(&app).await;
    let fac = talk.led.fac.clone();
    talk.post(&app, &fac, talk.fac_device).await;
    talk.post(&app, &fac, talk.fac_device).await;
    let archive = format!("/api/v1/circles/{}/archive", talk.circle);
    let res = app.post_as(&fac.access_token, &archive, json!({})).await;
    assert_eq!(res.status(), StatusCode::OK, "archived");
    app::jobs::ensure_recurring(&app.ctx).await.unwrap();
    app.advance(Duration::days(89));
    app.run_pending_jobs().await;
    let kept = stored(&app, &talk.circle).await;
    assert_eq!(kept.len(), 2);
    assert!(
        kept.iter().all(|m| m.ciphertext.is_some()),
        "within 90 days"
    );

    app.advance(Duration::days(1) + Duration::hours(2));
    app.run_pending_jobs().await;
    let gone = stored(&app, &talk.circle).await;
    assert_eq!(gone.len(), 2, "tombstones stay");
    assert!(gone
        .iter()
        .all(|m| m.ciphertext.is_none() && m.signature.is_none()));
}

crate::on_both_backends!(
    an_away_member_gets_one_notice_an_hour_and_never_the_content,
    disappearing_messages_lose_their_ciphertext_on_time,
    an_archived_circles_conversation_goes_after_the_retention,
);
