//! Card payments against localstripe: settings that point the app at the shared fake,
//! and webhook deliveries signed as Stripe signs them.

use super::{ok_json, TestApp, User};
use app::config::{Secret, Settings};
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

/// The first webhook signing secret tests configure.
pub const WEBHOOK_SECRET: &str = "whsec_test_current";
/// A second one, as while a secret is rotated.
pub const WEBHOOK_SECRET_NEXT: &str = "whsec_test_next";

/// Points the app at the shared localstripe, with two webhook signing secrets. Without
/// localstripe (said loudly; CI fails) card payments stay off and the scenario returns.
pub fn with_stripe(s: &mut Settings) {
    if let Some(fake) = testkit::localstripe::shared() {
        let stripe = &mut s.payments.stripe;
        stripe.secret_key = Secret::new(testkit::localstripe::SECRET_KEY);
        stripe.publishable_key = testkit::localstripe::PUBLISHABLE_KEY.into();
        stripe.api_base = fake.base.clone();
        stripe.js_url = fake.js_url();
        stripe.webhook_secrets = vec![
            Secret::new(WEBHOOK_SECRET),
            Secret::new(WEBHOOK_SECRET_NEXT),
        ];
    }
}

/// A Stripe event of `kind` about PaymentIntent `pi`, as Stripe sends it.
pub fn stripe_event(id: &str, kind: &str, pi: &str) -> String {
    json!({
        "id": id, "object": "event", "type": kind, "api_version": app::payments::stripe::STRIPE_VERSION,
        "data": { "object": { "id": pi, "object": "payment_intent" } }
    })
    .to_string()
}

impl TestApp {
    /// Starts a card payment for `registration`; the answer.
    pub async fn start_card_payment(
        &self,
        who: &User,
        event: &str,
        registration: &str,
        body: Value,
    ) -> Response {
        self.post_as(
            &who.access_token,
            &format!("/api/v1/events/{event}/registrations/{registration}/payment-intent"),
            body,
        )
        .await
    }

    /// Starts a card payment that must be created; its PaymentIntent id.
    pub async fn payment_intent_for(&self, who: &User, event: &str, registration: &str) -> String {
        let res = self
            .start_card_payment(who, event, registration, json!({}))
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        ok_json(res).await["payment_intent_id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Delivers `body` to the webhook endpoint with `signature` as its header.
    pub async fn deliver_webhook(&self, body: &str, signature: Option<&str>) -> Response {
        let mut req = self
            .client
            .post(self.url("/webhooks/stripe"))
            .header("content-type", "application/json")
            .body(body.to_owned());
        if let Some(sig) = signature {
            req = req.header("stripe-signature", sig);
        }
        self.send(req).await
    }

    /// Delivers `body` signed with `secret` at the app's now; the status.
    pub async fn deliver_signed(&self, body: &str, secret: &str) -> StatusCode {
        let sig =
            app::payments::stripe::signature::sign(secret, self.now().timestamp(), body.as_bytes());
        self.deliver_webhook(body, Some(&sig)).await.status()
    }
}

/// A workshop with a price in euros (minor units): the paid event the money tests use.
pub fn retreat(title: &str, capacity: i64, price_minor: i64) -> Value {
    let mut body = super::workshop(title, capacity);
    body["price_minor"] = json!(price_minor);
    body["currency"] = json!("EUR");
    body
}

/// The shared localstripe, or `None` (said loudly; CI fails) when it cannot run.
pub fn fake() -> Option<&'static testkit::localstripe::LocalStripe> {
    testkit::localstripe::shared()
}

/// A Program Team member who organises paid events.
pub async fn organiser(app: &TestApp) -> User {
    let admin = app.admin().await;
    app.user_with_roles(&admin, &["program_team_member"]).await
}

/// Registers `who` for the paid `event`, which must hold him a seat until he pays; the
/// registration's id.
pub async fn held_seat(app: &TestApp, who: &User, event: &str) -> String {
    let r = ok_json(app.register_for(who, event).await).await;
    assert_eq!(r["registration"]["status"], "payment_required", "{r}");
    r["registration"]["id"].as_str().unwrap().to_owned()
}
