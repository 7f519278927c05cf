//! Stripe's billing objects, as memberships paid by card use them: a Customer per member,
//! a SetupIntent that saves his card (Stripe.js confirms it in his browser), a Plan per
//! price of one of our plans, the Subscription, and the invoices it pays. Like the rest of
//! the client, every POST carries an idempotency key the caller derives from our own ids.

use super::client::{checked_id, Client, StripeError};
use serde::Deserialize;
use std::collections::HashMap;

/// The parts of a Customer the platform reads.
#[derive(Debug, Clone, Deserialize)]
pub struct Customer {
    pub id: String,
}

/// The parts of a SetupIntent the platform reads.
#[derive(Debug, Clone, Deserialize)]
pub struct SetupIntent {
    pub id: String,
    /// `succeeded` once the card is saved.
    pub status: String,
    pub client_secret: Option<String>,
    pub customer: Option<String>,
    pub payment_method: Option<String>,
    #[serde(default)]
    pub metadata: HashMap<String, String>,
}

/// The parts of a Subscription the platform reads.
#[derive(Debug, Clone, Deserialize)]
pub struct Subscription {
    pub id: String,
    /// `active`, `past_due`, `canceled`, `incomplete`, …
    pub status: String,
    #[serde(default)]
    pub cancel_at_period_end: bool,
    pub latest_invoice: Option<String>,
    #[serde(default)]
    pub metadata: HashMap<String, String>,
}

/// The parts of an Invoice the platform reads.
#[derive(Debug, Clone, Deserialize)]
pub struct Invoice {
    pub id: String,
    /// `draft`, `open`, `paid`, `void` or `uncollectible`.
    pub status: Option<String>,
    pub subscription: Option<String>,
    /// The PaymentIntent that paid it (refunds go through it).
    pub payment_intent: Option<String>,
    #[serde(default)]
    pub amount_paid: i64,
    pub currency: String,
    /// Whether Stripe tried to collect it (an open attempted invoice was declined).
    #[serde(default)]
    pub attempted: bool,
}

impl Invoice {
    /// Paid in full.
    pub fn is_paid(&self) -> bool {
        self.status.as_deref() == Some("paid")
    }

    /// Stripe tried to charge it and could not: still open after an attempt.
    pub fn payment_failed(&self) -> bool {
        self.attempted && self.status.as_deref() == Some("open")
    }
}

#[derive(Deserialize)]
struct InvoiceList {
    data: Vec<Invoice>,
}

/// A Stripe Plan: what one of our plans costs, at one price (a Plan's price cannot change,
/// so a new price is a new Plan).
#[derive(Debug, Clone)]
pub struct PlanPrice<'a> {
    pub id: String,
    pub product_name: &'a str,
    pub amount_minor: i64,
    pub currency: &'a str,
    /// `month` or `year`.
    pub interval: &'a str,
}

fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

impl Client {
    /// Creates the Customer for one of our members.
    pub async fn create_customer(
        &self,
        email: &str,
        name: &str,
        user_id: &str,
        idempotency_key: &str,
    ) -> Result<Customer, StripeError> {
        let f = form(&[
            ("email", email),
            ("name", name),
            ("metadata[user_id]", user_id),
        ]);
        self.post("/v1/customers", &f, idempotency_key).await
    }

    /// Creates a SetupIntent to save a card of `customer` for later charges.
    pub async fn create_setup_intent(
        &self,
        customer: &str,
        metadata: &[(&str, String)],
        idempotency_key: &str,
    ) -> Result<SetupIntent, StripeError> {
        let mut f = form(&[
            ("customer", checked_id(customer, "cus_")?),
            ("usage", "off_session"),
            ("payment_method_types[]", "card"),
        ]);
        f.extend(
            metadata
                .iter()
                .map(|(k, v)| (format!("metadata[{k}]"), v.clone())),
        );
        self.post("/v1/setup_intents", &f, idempotency_key).await
    }

    /// Confirms SetupIntent `setup_intent` with the card behind a Stripe.js `token`: the card
    /// page's form sends only the token, so the server learns at once whether the bank
    /// saved the card, declined it (402) or asks for 3-D Secure (`requires_action`).
    pub async fn confirm_setup_with_card_token(
        &self,
        setup_intent: &str,
        token: &str,
        idempotency_key: &str,
    ) -> Result<SetupIntent, StripeError> {
        let path = format!(
            "/v1/setup_intents/{}/confirm",
            checked_id(setup_intent, "seti_")?
        );
        let f = form(&[
            ("payment_method_data[type]", "card"),
            (
                "payment_method_data[card][token]",
                checked_id(token, "tok_")?,
            ),
        ]);
        self.post(&path, &f, idempotency_key).await
    }

    /// Reads a SetupIntent back.
    pub async fn setup_intent(&self, id: &str) -> Result<SetupIntent, StripeError> {
        self.get(&format!("/v1/setup_intents/{}", checked_id(id, "seti_")?))
            .await
    }

    /// Makes sure the Plan `p.id` exists (creating it the first time).
    pub async fn ensure_plan(&self, p: &PlanPrice<'_>) -> Result<(), StripeError> {
        let path = format!("/v1/plans/{}", checked_id(&p.id, "circles_")?);
        match self.get::<serde_json::Value>(&path).await {
            Ok(_) => return Ok(()),
            Err(StripeError::Refused { status: 404, .. }) => {}
            Err(e) => return Err(e),
        }
        let amount = p.amount_minor.to_string();
        let currency = p.currency.to_ascii_lowercase();
        let f = form(&[
            ("id", &p.id),
            ("amount", &amount),
            ("currency", &currency),
            ("interval", p.interval),
            ("product[name]", p.product_name),
        ]);
        match self
            .post::<serde_json::Value>("/v1/plans", &f, &format!("circles-plan-{}", p.id))
            .await
        {
            // Made meanwhile by a concurrent subscriber: it exists, which is all we need.
            Ok(_)
            | Err(StripeError::Refused {
                status: 400 | 409, ..
            }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Attaches a saved card to `customer` and makes it the one his invoices are charged to.
    pub async fn make_default_card(
        &self,
        customer: &str,
        payment_method: &str,
        idempotency_key: &str,
    ) -> Result<(), StripeError> {
        let customer = checked_id(customer, "cus_")?;
        let pm = checked_id(payment_method, "pm_")?;
        let attach = form(&[("customer", customer)]);
        self.post::<serde_json::Value>(
            &format!("/v1/payment_methods/{pm}/attach"),
            &attach,
            &format!("{idempotency_key}-attach"),
        )
        .await?;
        let default = form(&[("invoice_settings[default_payment_method]", pm)]);
        self.post::<serde_json::Value>(
            &format!("/v1/customers/{customer}"),
            &default,
            &format!("{idempotency_key}-default"),
        )
        .await?;
        Ok(())
    }

    /// Subscribes `customer` to Plan `plan_id`; Stripe charges the first invoice at once.
    pub async fn create_subscription(
        &self,
        customer: &str,
        plan_id: &str,
        metadata: &[(&str, String)],
        idempotency_key: &str,
    ) -> Result<Subscription, StripeError> {
        let mut f = form(&[
            ("customer", checked_id(customer, "cus_")?),
            ("items[0][plan]", checked_id(plan_id, "circles_")?),
        ]);
        f.extend(
            metadata
                .iter()
                .map(|(k, v)| (format!("metadata[{k}]"), v.clone())),
        );
        self.post("/v1/subscriptions", &f, idempotency_key).await
    }

    /// Reads a Subscription back.
    pub async fn subscription(&self, id: &str) -> Result<Subscription, StripeError> {
        self.get(&format!("/v1/subscriptions/{}", checked_id(id, "sub_")?))
            .await
    }

    /// Ends a Subscription when its current period ends: no renewal after it.
    pub async fn cancel_at_period_end(
        &self,
        id: &str,
        idempotency_key: &str,
    ) -> Result<Subscription, StripeError> {
        let path = format!("/v1/subscriptions/{}", checked_id(id, "sub_")?);
        let f = form(&[("cancel_at_period_end", "true")]);
        self.post(&path, &f, idempotency_key).await
    }

    /// Reads an Invoice back.
    pub async fn invoice(&self, id: &str) -> Result<Invoice, StripeError> {
        self.get(&format!("/v1/invoices/{}", checked_id(id, "in_")?))
            .await
    }

    /// The newest invoices of a Subscription (at most `limit`).
    pub async fn invoices_of(
        &self,
        subscription: &str,
        limit: u8,
    ) -> Result<Vec<Invoice>, StripeError> {
        let path = format!(
            "/v1/invoices?limit={limit}&subscription={}",
            checked_id(subscription, "sub_")?
        );
        let list: InvoiceList = self.get(&path).await?;
        Ok(list.data)
    }
}
