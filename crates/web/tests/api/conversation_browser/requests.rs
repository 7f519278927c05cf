//! A join request's message, sealed in the requester's browser to the facilitator's device
//! and opened on the facilitator's queue; the server holds only the sealed form. Then the
//! facilitator signs out, and his browser's device is revoked with its keys.

use super::{set_up_keys, wait_for, Circle};
use crate::helpers::{TestApp, PASSWORD};
use db::main_db::circle_memberships as memberships;
use db::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use testkit::browser::{Browser, DESKTOP};

async fn a_sealed_message_is_read_on_the_leaders_device_only(app: TestApp) {
    let Some(c) = Circle::new(&app, &[], None).await else {
        return;
    };
    let fac = c.browser(0);
    set_up_keys(fac, None).await;
    let asker = app.named("Anton Asker").await;
    let Some(b) = Browser::open(&app.address, DESKTOP).await else {
        return;
    };
    b.sign_in(&asker.email, PASSWORD).await;
    b.goto(&format!("/circles/{}", c.id)).await;
    let words = format!("I lost my job and my nerve {}", uuid::Uuid::new_v4());
    b.fill("#message", &words).await;
    b.click("#join-form button[type=submit]").await;
    b.wait_for_text("#join", "You asked to join").await;

    // The server holds the sealed form only.
    let row = memberships::Entity::find()
        .filter(memberships::Column::UserId.eq(asker.id))
        .one(&app.ctx.main)
        .await
        .unwrap()
        .unwrap();
    assert!(row.message.is_none() && row.message_encrypted.is_none());
    let sealed = row.message_sealed.expect("sealed in the browser");
    assert!(!sealed.contains("nerve"), "{sealed}");

    // The facilitator's browser opens it on the queue.
    fac.goto(&format!("/circles/{}/requests", c.id)).await;
    let opened = wait_for(
        fac,
        "const q = document.querySelector('.sealed-message blockquote.opened'); return q && !q.hidden ? q.textContent : null;",
        "the sealed message to open",
    )
    .await;
    assert_eq!(opened, json!(words));
    // A browser of his without keys says so honestly, and shows no text.
    let Some(other) = Browser::open(&app.address, DESKTOP).await else {
        return;
    };
    other.sign_in(&c.user(0).email, PASSWORD).await;
    other.goto(&format!("/circles/{}/requests", c.id)).await;
    wait_for(
        &other,
        "return document.querySelector('.sealed-status').textContent.includes('no conversation keys') ? true : null;",
        "the note for a browser without keys",
    )
    .await;
    other.close().await;

    // Signing out revokes the facilitator's device as its keys are erased.
    fac.click("form.signout button[type=submit]").await;
    wait_for(
        fac,
        "return document.querySelector('form.signout') ? null : true;",
        "the sign-out",
    )
    .await;
    let devices = app
        .get_json(&c.user(0).access_token, "/api/v1/me/devices")
        .await;
    assert_eq!(devices.as_array().unwrap().len(), 1, "{devices}");
    assert!(!devices[0]["revoked_at"].is_null(), "revoked: {devices}");
    b.close().await;
    c.close().await;
}

crate::on_both_backends!(a_sealed_message_is_read_on_the_leaders_device_only);
