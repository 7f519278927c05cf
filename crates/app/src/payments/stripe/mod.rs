//! Card payments through Stripe: the REST client ([`Client`]), starting a payment for a
//! held seat ([`start_card_payment`]), paying it with the card the member typed
//! ([`pay_with_card`]), the one idempotent [`confirm_payment`] the return page, the webhook
//! job and reconciliation share, webhook deliveries ([`webhooks`]), and the refund of a
//! payment that came after its seat was gone ([`late`]).
//!
//! Card details never reach our server: Stripe.js takes them in the member's browser and
//! gives us a token for them; we create PaymentIntents, confirm them with such tokens and
//! read them back.

pub mod attempt;
pub mod billing;
pub mod client;
pub mod confirming;
pub mod late;
pub mod paying;
pub mod signature;
pub mod webhooks;

pub use attempt::{pay_with_card, CardAttempt};
pub use client::{Client, StripeError, STRIPE_VERSION};
pub use confirming::{confirm_payment, Confirmation};
pub use paying::{start_card_payment, CardPayment, CardPaymentRequest};
pub use webhooks::Delivery;
