//! The circle's end-to-end encrypted conversation through the API (issue 12): keys and
//! devices, the roster, epochs and envelopes, messages, and what membership changes do to
//! them; what the server stores. The confidentiality rows are in `confidentiality.rs`.

mod keys;
mod membership;
mod messages;
mod notes;
mod requests;
mod storage;

use crate::helpers::{led_circle, TestApp, User};
use uuid::Uuid;

/// A circle whose conversation has begun: its facilitator and a member with keys, roster
/// version 1 and epoch 1 with keys for both their devices.
pub struct Talking {
    pub circle: String,
    pub admin: User,
    pub fac: User,
    pub fac_device: Uuid,
    pub member: User,
    pub member_device: Uuid,
}

pub async fn talking_circle(app: &TestApp) -> Talking {
    let led = led_circle(app).await;
    let fac_device = app.conversation_keys(&led.fac).await;
    let member_device = app.conversation_keys(&led.member).await;
    let res = app.sign_roster(&led.fac, &led.id, fac_device).await;
    assert_eq!(res.status(), reqwest::StatusCode::CREATED, "roster v1");
    let res = app.start_epoch(&led.fac, &led.id, fac_device).await;
    assert_eq!(res.status(), reqwest::StatusCode::CREATED, "epoch 1");
    Talking {
        circle: led.id,
        admin: led.admin,
        fac: led.fac,
        fac_device,
        member: led.member,
        member_device,
    }
}
