//! Card payments through Stripe (`[payments.stripe]`). Without keys (the default) the
//! platform takes offline payments only and says so on paid events.

use super::{Environment, Secret};
use serde::{Deserialize, Serialize};

/// The Stripe account the platform charges cards through.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct StripeSettings {
    /// The secret API key (`sk_live_…`, `sk_test_…` or a restricted `rk_…`); empty turns
    /// card payments off.
    pub secret_key: Secret,
    /// The publishable key (`pk_…`) Stripe.js is started with in the member's browser.
    pub publishable_key: String,
    /// The webhook endpoint's signing secrets (`whsec_…`). Several may be listed while one
    /// is rotated: a delivery signed with any of them is accepted.
    pub webhook_secrets: Vec<Secret>,
    /// Where Stripe's REST API answers (a test double such as localstripe in tests).
    pub api_base: String,
    /// Where the payment page loads Stripe.js from; the page's CSP allows this origin only.
    pub js_url: String,
}

impl Default for StripeSettings {
    fn default() -> Self {
        Self {
            secret_key: Secret::default(),
            publishable_key: String::new(),
            webhook_secrets: Vec::new(),
            api_base: "https://api.stripe.com".into(),
            js_url: "https://js.stripe.com/v3/".into(),
        }
    }
}

impl StripeSettings {
    /// Whether card payments are set up (both keys given).
    pub fn enabled(&self) -> bool {
        !self.secret_key.is_empty() && !self.publishable_key.is_empty()
    }

    /// The origin Stripe.js is loaded from (`https://js.stripe.com`), for the payment
    /// page's CSP; `None` if the address does not parse (refused at start-up anyway).
    pub fn js_origin(&self) -> Option<String> {
        origin(&self.js_url)
    }

    /// The origin of Stripe's API, which Stripe.js calls from the payment page.
    pub fn api_origin(&self) -> Option<String> {
        origin(&self.api_base)
    }

    pub(super) fn problems(&self, env: Environment) -> Vec<String> {
        let mut p = Vec::new();
        for (name, value) in [
            ("payments.stripe.api_base", &self.api_base),
            ("payments.stripe.js_url", &self.js_url),
        ] {
            match url::Url::parse(value) {
                Ok(u) if u.scheme() == "https" => {}
                Ok(u) if u.scheme() == "http" && env == Environment::Development => {}
                _ => p.push(format!(
                    "{name} = {value:?}: must be an absolute https:// URL (http:// only in development)"
                )),
            }
        }
        let secret = self.secret_key.expose();
        let secret_kind_ok =
            secret.is_empty() || secret.starts_with("sk_") || secret.starts_with("rk_");
        if !secret_kind_ok {
            p.push("payments.stripe.secret_key: must be a secret key starting sk_ or rk_".into());
        }
        if !self.publishable_key.is_empty() && !self.publishable_key.starts_with("pk_") {
            p.push(format!(
                "payments.stripe.publishable_key = {:?}: must start with pk_",
                self.publishable_key
            ));
        }
        if secret.is_empty() != self.publishable_key.is_empty() {
            p.push("payments.stripe: set both secret_key and publishable_key, or neither (offline payments only)".into());
        }
        if self.webhook_secrets.iter().any(Secret::is_empty) {
            p.push("payments.stripe.webhook_secrets: an empty secret would accept any signature; remove it".into());
        }
        if env == Environment::Production && self.enabled() && self.webhook_secrets.is_empty() {
            p.push("payments.stripe.webhook_secrets: production requires the webhook endpoint's signing secret (whsec_…) so payments confirm even when a member closes the page".into());
        }
        p
    }
}

fn origin(address: &str) -> Option<String> {
    let u = url::Url::parse(address).ok()?;
    matches!(u.scheme(), "http" | "https").then(|| u.origin().ascii_serialization())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_valid_and_offline_only() {
        let s = StripeSettings::default();
        assert!(s.problems(Environment::Production).is_empty());
        assert!(!s.enabled());
    }

    #[test]
    fn keys_come_in_pairs_of_the_right_kind() {
        let s = StripeSettings {
            secret_key: Secret::new("pk_oops"),
            ..StripeSettings::default()
        };
        let p = s.problems(Environment::Development).join("\n");
        assert!(p.contains("secret_key: must be a secret key"), "{p}");
        assert!(p.contains("both secret_key and publishable_key"), "{p}");
    }

    #[test]
    fn production_wants_https_and_a_signing_secret() {
        let s = StripeSettings {
            secret_key: Secret::new("sk_test_1"),
            publishable_key: "pk_test_1".into(),
            api_base: "http://127.0.0.1:8420".into(),
            ..StripeSettings::default()
        };
        assert!(s.problems(Environment::Development).is_empty());
        let p = s.problems(Environment::Production).join("\n");
        assert!(p.contains("payments.stripe.api_base"), "{p}");
        assert!(p.contains("webhook_secrets"), "{p}");
    }

    #[test]
    fn origins_drop_the_path() {
        let s = StripeSettings::default();
        assert_eq!(s.js_origin().as_deref(), Some("https://js.stripe.com"));
        assert_eq!(s.api_origin().as_deref(), Some("https://api.stripe.com"));
        let local = StripeSettings {
            js_url: "http://127.0.0.1:8420/js.stripe.com/v3/".into(),
            ..StripeSettings::default()
        };
        assert_eq!(local.js_origin().as_deref(), Some("http://127.0.0.1:8420"));
    }

    #[test]
    fn an_empty_signing_secret_is_refused() {
        let s = StripeSettings {
            webhook_secrets: vec![Secret::new("whsec_a"), Secret::default()],
            ..StripeSettings::default()
        };
        let p = s.problems(Environment::Development).join("\n");
        assert!(p.contains("empty secret"), "{p}");
    }
}
