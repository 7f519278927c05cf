//! Stripe's REST API over plain HTTP: form-encoded requests, a pinned `Stripe-Version`,
//! an `Idempotency-Key` on every POST (derived by the caller from our own ids, so a retry
//! of the same work reuses it and Stripe does it once), and typed failures.

use crate::config::{Secret, StripeSettings};
use serde::Deserialize;
use std::collections::HashMap;
use std::time::Duration;

/// The API version every request is made with: the shapes read below are this version's.
pub const STRIPE_VERSION: &str = "2024-06-20";

/// How often a request that did not reach Stripe is tried in all. A POST carries its
/// idempotency key, so a repeat cannot charge or refund twice.
const ATTEMPTS: usize = 3;

/// Why a call to Stripe failed.
#[derive(Debug, thiserror::Error)]
pub enum StripeError {
    /// The card was declined (HTTP 402): the person can try another card.
    #[error("the card was declined: {message}")]
    Declined {
        code: Option<String>,
        message: String,
    },
    /// Stripe could not be reached, or failed on its side: try again later.
    #[error("Stripe could not be reached: {0}")]
    Unreachable(String),
    /// Stripe refused the request (a bad parameter, an unknown object, a bad key): a bug
    /// or a configuration problem on our side, not something the person can fix.
    #[error("Stripe refused the request ({status}): {message}")]
    Refused {
        status: u16,
        code: Option<String>,
        message: String,
    },
}

impl From<StripeError> for crate::Error {
    fn from(e: StripeError) -> Self {
        match e {
            StripeError::Unreachable(why) => {
                tracing::warn!(%why, "Stripe unreachable");
                crate::Error::Busy {
                    retry_after_secs: 30,
                }
            }
            other => crate::Error::Internal(other.into()),
        }
    }
}

/// Where a PaymentIntent stands at Stripe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntentStatus {
    RequiresPaymentMethod,
    RequiresConfirmation,
    RequiresAction,
    Processing,
    RequiresCapture,
    Canceled,
    Succeeded,
    /// A status newer than the pinned version knows: treated as still pending.
    #[serde(other)]
    Unknown,
}

/// Why the last attempt to pay failed (a declined card, failed 3-D Secure).
#[derive(Debug, Clone, Deserialize)]
pub struct LastPaymentError {
    pub code: Option<String>,
    pub message: Option<String>,
}

/// The parts of a PaymentIntent the platform reads.
#[derive(Debug, Clone, Deserialize)]
pub struct PaymentIntent {
    pub id: String,
    /// Minor units, as Stripe counts them.
    pub amount: i64,
    /// Lower case at Stripe (`eur`).
    pub currency: String,
    pub status: IntentStatus,
    pub client_secret: Option<String>,
    #[serde(default)]
    pub metadata: HashMap<String, String>,
    pub last_payment_error: Option<LastPaymentError>,
}

impl PaymentIntent {
    /// Whether a card can still pay it: waiting for a card, a confirmation or 3-D Secure,
    /// and no earlier attempt failed on it.
    pub fn can_be_paid(&self) -> bool {
        matches!(
            self.status,
            IntentStatus::RequiresPaymentMethod
                | IntentStatus::RequiresConfirmation
                | IntentStatus::RequiresAction
        ) && self.last_payment_error.is_none()
    }
}

/// A refund Stripe made.
#[derive(Debug, Clone, Deserialize)]
pub struct Refund {
    pub id: String,
    pub amount: i64,
    pub currency: String,
    pub status: Option<String>,
}

/// A charge, as far as refunds need it.
#[derive(Debug, Clone, Deserialize)]
pub struct Charge {
    pub id: String,
    pub payment_intent: Option<String>,
}

#[derive(Deserialize)]
struct RefundList {
    data: Vec<Refund>,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    code: Option<String>,
    message: Option<String>,
}

/// A Stripe account's API, as configured in `[payments.stripe]`.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    api_base: String,
    secret_key: Secret,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("api_base", &self.api_base)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// The client for the configured account; `None` when card payments are not set up.
    pub fn from_settings(s: &StripeSettings) -> anyhow::Result<Option<Client>> {
        if !s.enabled() {
            return Ok(None);
        }
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .build()?;
        Ok(Some(Client {
            http,
            api_base: s.api_base.trim_end_matches('/').to_owned(),
            secret_key: s.secret_key.clone(),
        }))
    }

    /// Creates a PaymentIntent for a card payment of `amount_minor` in `currency`.
    pub async fn create_payment_intent(
        &self,
        amount_minor: i64,
        currency: &str,
        metadata: &[(&str, String)],
        idempotency_key: &str,
    ) -> Result<PaymentIntent, StripeError> {
        let mut form = vec![
            ("amount".to_owned(), amount_minor.to_string()),
            ("currency".to_owned(), currency.to_ascii_lowercase()),
            ("payment_method_types[]".to_owned(), "card".to_owned()),
        ];
        form.extend(
            metadata
                .iter()
                .map(|(k, v)| (format!("metadata[{k}]"), v.clone())),
        );
        self.post("/v1/payment_intents", &form, idempotency_key)
            .await
    }

    /// Reads a PaymentIntent back: what Stripe says, never what a caller claims.
    pub async fn payment_intent(&self, id: &str) -> Result<PaymentIntent, StripeError> {
        let path = format!("/v1/payment_intents/{}", checked_id(id, "pi_")?);
        self.send(|| self.http.get(self.url(&path))).await
    }

    /// A charge: which PaymentIntent it belongs to.
    pub async fn charge(&self, id: &str) -> Result<Charge, StripeError> {
        let path = format!("/v1/charges/{}", checked_id(id, "ch_")?);
        self.send(|| self.http.get(self.url(&path))).await
    }

    /// The refunds of a PaymentIntent, whoever made them (us, or someone in Stripe's
    /// dashboard); the 100 newest, far more than a payment ever has.
    pub async fn refunds_of(&self, payment_intent: &str) -> Result<Vec<Refund>, StripeError> {
        let path = format!(
            "/v1/refunds?limit=100&payment_intent={}",
            checked_id(payment_intent, "pi_")?
        );
        let list: RefundList = self.send(|| self.http.get(self.url(&path))).await?;
        Ok(list.data)
    }

    /// Confirms a PaymentIntent with the card behind a Stripe.js token (`tok_…`, made in
    /// the payer's browser: the card details never pass through here). Stripe answers with
    /// the PaymentIntent (succeeded, or `requires_action` when the bank asks for 3-D
    /// Secure), or [`StripeError::Declined`].
    pub async fn confirm_with_card_token(
        &self,
        payment_intent: &str,
        token: &str,
        idempotency_key: &str,
    ) -> Result<PaymentIntent, StripeError> {
        let path = format!(
            "/v1/payment_intents/{}/confirm",
            checked_id(payment_intent, "pi_")?
        );
        let form = vec![
            ("payment_method_data[type]".to_owned(), "card".to_owned()),
            (
                "payment_method_data[card][token]".to_owned(),
                checked_id(token, "tok_")?.to_owned(),
            ),
        ];
        self.post(&path, &form, idempotency_key).await
    }

    /// Cancels a PaymentIntent so it can never succeed later.
    pub async fn cancel_payment_intent(
        &self,
        id: &str,
        idempotency_key: &str,
    ) -> Result<PaymentIntent, StripeError> {
        let path = format!("/v1/payment_intents/{}/cancel", checked_id(id, "pi_")?);
        self.post(&path, &[], idempotency_key).await
    }

    /// Refunds `amount_minor` of a PaymentIntent's charge.
    pub async fn refund(
        &self,
        payment_intent: &str,
        amount_minor: i64,
        idempotency_key: &str,
    ) -> Result<Refund, StripeError> {
        let form = vec![
            (
                "payment_intent".to_owned(),
                checked_id(payment_intent, "pi_")?.to_owned(),
            ),
            ("amount".to_owned(), amount_minor.to_string()),
        ];
        self.post("/v1/refunds", &form, idempotency_key).await
    }

    pub(super) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.api_base)
    }

    pub(super) async fn post<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        form: &[(String, String)],
        idempotency_key: &str,
    ) -> Result<T, StripeError> {
        self.send(|| {
            self.http
                .post(self.url(path))
                .header("Idempotency-Key", idempotency_key)
                .form(form)
        })
        .await
    }

    /// A GET of `path` (already checked by the caller).
    pub(super) async fn get<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
    ) -> Result<T, StripeError> {
        self.send(|| self.http.get(self.url(path))).await
    }

    /// Sends a request, trying again while Stripe cannot be reached.
    pub(super) async fn send<T: serde::de::DeserializeOwned>(
        &self,
        build: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<T, StripeError> {
        let mut last = StripeError::Unreachable("no attempt made".into());
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(200 * attempt as u64)).await;
            }
            let sent = build()
                .bearer_auth(self.secret_key.expose())
                .header("Stripe-Version", STRIPE_VERSION)
                .send()
                .await;
            match sent {
                Ok(res) => match read(res).await {
                    Err(e @ StripeError::Unreachable(_)) => last = e,
                    done => return done,
                },
                Err(e) => last = StripeError::Unreachable(e.without_url().to_string()),
            }
        }
        Err(last)
    }
}

/// Turns an answer into the object or a typed failure.
async fn read<T: serde::de::DeserializeOwned>(res: reqwest::Response) -> Result<T, StripeError> {
    let status = res.status();
    let body = res
        .bytes()
        .await
        .map_err(|e| StripeError::Unreachable(e.without_url().to_string()))?;
    if status.is_success() {
        return serde_json::from_slice(&body).map_err(|e| StripeError::Refused {
            status: status.as_u16(),
            code: None,
            message: format!("unreadable answer: {e}"),
        });
    }
    let detail = serde_json::from_slice::<ErrorBody>(&body)
        .map(|b| b.error)
        .unwrap_or(ErrorDetail {
            code: None,
            message: None,
        });
    let message = detail.message.unwrap_or_else(|| format!("HTTP {status}"));
    if status.as_u16() == 402 {
        Err(StripeError::Declined {
            code: detail.code,
            message,
        })
    } else if status.is_server_error() || status.as_u16() == 429 {
        Err(StripeError::Unreachable(format!(
            "HTTP {status}: {message}"
        )))
    } else {
        Err(StripeError::Refused {
            status: status.as_u16(),
            code: detail.code,
            message,
        })
    }
}

/// An object id as it may go into a URL path: Stripe's prefix, then letters, digits and
/// underscores. Anything else (a caller's `../`, a query) is refused before it is sent.
pub fn checked_id<'a>(id: &'a str, prefix: &str) -> Result<&'a str, StripeError> {
    let rest = id.strip_prefix(prefix).unwrap_or_default();
    if !rest.is_empty()
        && id.len() <= 255
        && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        Ok(id)
    } else {
        Err(StripeError::Refused {
            status: 400,
            code: Some("bad_id".into()),
            message: format!("{id:?} is not a Stripe {prefix}… id"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_ids_reach_a_url() {
        assert!(checked_id("pi_3Nabc_123", "pi_").is_ok());
        for bad in [
            "",
            "pi_",
            "ch_1",
            "pi_1/../refunds",
            "pi_1?expand=x",
            "pi_é",
        ] {
            assert!(checked_id(bad, "pi_").is_err(), "{bad}");
        }
    }

    #[test]
    fn unknown_statuses_read_as_unknown() {
        let pi: PaymentIntent = serde_json::from_str(
            r#"{"id":"pi_1","amount":2500,"currency":"eur","status":"something_new","client_secret":null}"#,
        )
        .unwrap();
        assert_eq!(pi.status, IntentStatus::Unknown);
        assert!(pi.metadata.is_empty());
    }
}
