//! localstripe, a stateful Stripe fake, on loopback: one per test process, started when a
//! test first asks for it and shared by every test after (its objects have unique ids, so
//! tests do not see each other's). It ends with the test process: it watches its stdin,
//! which this process holds open, and exits when that closes.
//!
//! Needs `localstripe` for python3 (`python3 -m pip install localstripe`). What it does
//! not emulate — idempotency keys, the `charge.refunded` event, Checkout — the tests cover
//! with their own signed deliveries and checks. One thing Stripe does that the card page
//! relies on is taught to it at start: confirming a PaymentIntent with the card behind a
//! Stripe.js token (`payment_method_data[card][token]`), and a SetupIntent likewise.

use serde_json::Value;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The shared localstripe.
pub struct LocalStripe {
    /// `http://127.0.0.1:<port>`: the API base and, under `/js.stripe.com/v3/`, its Stripe.js.
    pub base: String,
    _process: Mutex<(Child, ChildStdin)>,
}

/// The secret key tests configure (localstripe accepts any `sk_…`).
pub const SECRET_KEY: &str = "sk_test_circles";
/// The publishable key tests configure.
pub const PUBLISHABLE_KEY: &str = "pk_test_circles";

/// The process's localstripe, started on first use; `None` after [`crate::unavailable`]
/// when it cannot be run outside CI.
pub fn shared() -> Option<&'static LocalStripe> {
    static SHARED: OnceLock<Option<LocalStripe>> = OnceLock::new();
    let found = SHARED.get_or_init(|| match start() {
        Ok(s) => Some(s),
        Err(why) => {
            crate::unavailable(
                "localstripe",
                &format!("{why}; install it with `python3 -m pip install localstripe`"),
            );
            None
        }
    });
    found.as_ref()
}

fn start() -> Result<LocalStripe, String> {
    let check = Command::new("python3")
        .args(["-c", "import localstripe"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|e| format!("python3 cannot be run: {e}"))?;
    if !check.success() {
        return Err("python3 has no localstripe module".into());
    }
    for _ in 0..crate::PORT_ATTEMPTS {
        let port = crate::free_port();
        let mut child = Command::new("python3")
            .arg("-c")
            .arg(SCRIPT)
            .arg(port.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("localstripe cannot start: {e}"))?;
        let stdin = child.stdin.take().ok_or("no stdin")?;
        if listening(port, &mut child) {
            return Ok(LocalStripe {
                base: format!("http://127.0.0.1:{port}"),
                _process: Mutex::new((child, stdin)),
            });
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    Err(format!(
        "localstripe did not listen on any of {} ports",
        crate::PORT_ATTEMPTS
    ))
}

/// Runs localstripe from scratch on the port given, exiting when stdin closes (this test
/// process ended, however it ended).
const SCRIPT: &str = r#"
import os, sys, threading
def watch():
    sys.stdin.read()
    os._exit(0)
threading.Thread(target=watch, daemon=True).start()
# Stripe confirms a PaymentIntent with the card behind a Stripe.js token given as
# payment_method_data[card][token]; localstripe only knows payment methods set beforehand.
from localstripe import resources as r
plain_confirm = r.PaymentIntent._api_confirm
def confirm(id, payment_method_data=None, **kwargs):
    if payment_method_data is not None:
        token = r.Token._api_retrieve((payment_method_data.get('card') or {}).get('token', ''))
        r.PaymentIntent._api_retrieve(id).payment_method = token.card.id
    return plain_confirm(id, **kwargs)
# The same for a SetupIntent (the membership card page): the token's card becomes a
# PaymentMethod, which the subscription then charges.
plain_setup_confirm = r.SetupIntent._api_confirm
def setup_confirm(id, payment_method_data=None, **kwargs):
    token = ((payment_method_data or {}).get('card') or {}).get('token')
    if token is None:
        return plain_setup_confirm(id, payment_method_data=payment_method_data, **kwargs)
    card = r.Token._api_retrieve(token).card
    pm = r.PaymentMethod(type='card', card={'number': card._card_number, 'cvc': '123',
        'exp_month': card.exp_month, 'exp_year': card.exp_year})
    return plain_setup_confirm(id, payment_method=pm.id, **kwargs)
patched = {plain_confirm: confirm, plain_setup_confirm: setup_confirm}
r.extra_apis[:] = [(m, u, patched.get(f, f)) for (m, u, f) in r.extra_apis]
sys.argv = ["localstripe", "--port", sys.argv[1], "--from-scratch"]
from localstripe.server import start
start()
"#;

fn listening(port: u16, child: &mut Child) -> bool {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if matches!(child.try_wait(), Ok(Some(_))) {
            return false;
        }
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

impl LocalStripe {
    /// Where its Stripe.js is served.
    pub fn js_url(&self) -> String {
        format!("{}/js.stripe.com/v3/", self.base)
    }

    /// A form POST to its API as the platform's account; the JSON answer and status.
    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
        let res = reqwest::Client::new()
            .post(format!("{}{path}", self.base))
            .bearer_auth(SECRET_KEY)
            .form(form)
            .send()
            .await
            .expect("localstripe answers");
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// A GET from its API; the JSON answer.
    pub async fn get(&self, path: &str) -> Value {
        reqwest::Client::new()
            .get(format!("{}{path}", self.base))
            .bearer_auth(SECRET_KEY)
            .send()
            .await
            .expect("localstripe answers")
            .json()
            .await
            .expect("JSON")
    }

    /// A card PaymentMethod with a test number (`4242424242424242` pays,
    /// `4000000000000341` is declined when charged, `4000002760003184` asks for 3-D Secure).
    pub async fn card(&self, number: &str) -> String {
        let (status, pm) = self
            .post(
                "/v1/payment_methods",
                &[
                    ("type", "card"),
                    ("card[number]", number),
                    ("card[exp_month]", "12"),
                    ("card[exp_year]", "2040"),
                    ("card[cvc]", "123"),
                ],
            )
            .await;
        assert_eq!(status, 200, "{pm}");
        pm["id"].as_str().expect("a payment method id").to_owned()
    }

    /// Pays PaymentIntent `pi` with a card numbered `number`, as Stripe.js would in the
    /// member's browser: attach the card, then confirm. The confirmation's status code
    /// (402 for a declined card) and the PaymentIntent after it.
    pub async fn pay(&self, pi: &str, number: &str) -> (u16, Value) {
        let pm = self.card(number).await;
        let (status, body) = self
            .post(
                &format!("/v1/payment_intents/{pi}"),
                &[("payment_method", &pm)],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let (status, _) = self
            .post(&format!("/v1/payment_intents/{pi}/confirm"), &[])
            .await;
        (status, self.get(&format!("/v1/payment_intents/{pi}")).await)
    }
}
