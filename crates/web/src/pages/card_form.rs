//! Stripe's card form, as every page that takes a card shows it (a seat, a membership, a
//! gift to the scholarship fund): Stripe.js and `pay.js`, the form they drive, and the
//! answer's CSP, which allows Stripe's origins on these pages only. The page around it
//! says what is paid for; `templates/macros.html` draws the form (`card_scripts`,
//! `card_form`).

use crate::pages::assets;
use crate::pages::respond::render;
use crate::pages::PageResult;
use crate::state::AppState;
use app::config::StripeSettings;
use askama::Template;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;

/// What the card form confirms: a PaymentIntent (paying now) or a SetupIntent (saving the
/// card for a subscription's charges).
#[derive(Debug, Clone)]
pub enum CardIntent {
    Payment(String),
    Setup(String),
}

/// One card form.
#[derive(Debug, Clone)]
pub struct CardForm {
    /// Where the form posts the Stripe.js token of the card typed.
    pub action: &'static str,
    /// Where Stripe.js sends the browser after 3-D Secure.
    pub return_url: &'static str,
    pub publishable_key: String,
    pub client_secret: String,
    pub intent: CardIntent,
    /// Where Stripe.js is loaded from.
    pub js_url: String,
    pub pay_js: assets::Script,
    /// The submit button's words ("Pay EUR 25.00").
    pub button: String,
    /// The bank asks for 3-D Secure: the script hands over to Stripe.js at once.
    pub authenticate: bool,
    /// Why the last card did not pay (Stripe's words and what to do now).
    pub error: Option<String>,
}

impl CardForm {
    /// `payment` or `setup`: names the form's hidden field and data attribute.
    pub fn intent_kind(&self) -> &'static str {
        match self.intent {
            CardIntent::Payment(_) => "payment",
            CardIntent::Setup(_) => "setup",
        }
    }

    pub fn intent_id(&self) -> &str {
        match &self.intent {
            CardIntent::Payment(id) | CardIntent::Setup(id) => id,
        }
    }

    /// Stripe.js starts a form in 3-D Secure mode with these words.
    pub fn authenticate_hint(&self) -> &'static str {
        match self.intent {
            CardIntent::Payment(_) => "Your bank asks you to confirm this payment (3-D Secure). Follow what it shows; if nothing appears, reload this page.",
            CardIntent::Setup(_) => "Your bank asks you to confirm your card (3-D Secure). Follow what it shows; if nothing appears, reload this page.",
        }
    }

    /// The page's script, checked by its integrity hash.
    pub fn pay_js() -> assets::Script {
        assets::module("pay.js").0
    }
}

/// Renders `page` (which shows a card form) with the CSP Stripe.js needs; a card just
/// declined answers 422, so the browser and tests see the form came back with an error.
pub fn respond(s: &AppState, page: impl Template, declined: bool) -> PageResult<Response> {
    let mut res = render(page)?;
    if declined {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    if let Ok(csp) = HeaderValue::from_str(&card_page_csp(&s.ctx.settings.payments.stripe)) {
        res.headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    Ok(res)
}

/// The site's CSP with Stripe's origins added where Stripe.js needs them: its script,
/// its card-field and 3-D Secure frames, and its calls to Stripe's API.
fn card_page_csp(stripe: &StripeSettings) -> String {
    let js = stripe.js_origin().unwrap_or_default();
    let api = stripe.api_origin().unwrap_or_default();
    // Real Stripe.js shows 3-D Secure in a frame from hooks.stripe.com.
    let hooks = if js == "https://js.stripe.com" {
        " https://hooks.stripe.com"
    } else {
        ""
    };
    let connect = if api == js {
        js.clone()
    } else {
        format!("{js} {api}")
    };
    format!(
        "default-src 'self'; script-src 'self' {js}; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'; frame-src {js}{hooks}; connect-src 'self' {connect}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_card_page_allows_only_stripe_origins() {
        let csp = card_page_csp(&StripeSettings::default());
        assert!(
            csp.contains("script-src 'self' https://js.stripe.com;"),
            "{csp}"
        );
        assert!(
            csp.contains("frame-src https://js.stripe.com https://hooks.stripe.com;"),
            "{csp}"
        );
        assert!(
            csp.contains("connect-src 'self' https://js.stripe.com https://api.stripe.com"),
            "{csp}"
        );
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        let local = StripeSettings {
            js_url: "http://127.0.0.1:9000/js.stripe.com/v3/".into(),
            api_base: "http://127.0.0.1:9000".into(),
            ..StripeSettings::default()
        };
        let csp = card_page_csp(&local);
        assert!(
            csp.contains("script-src 'self' http://127.0.0.1:9000;"),
            "{csp}"
        );
        assert!(
            csp.contains("connect-src 'self' http://127.0.0.1:9000"),
            "{csp}"
        );
        assert!(!csp.contains("hooks.stripe.com"), "{csp}");
    }
}
