//! Two-step verification: an authenticator app's codes, and turning it on through the API.

use super::{TestApp, User};
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};
use totp_rs::{Algorithm, Secret, TOTP};

/// The authenticator for a base32 `secret` (as shown on the page or in the API).
pub fn totp_for(secret: &str) -> TOTP {
    let bytes = Secret::Encoded(secret.trim().to_owned())
        .to_bytes()
        .expect("a base32 secret");
    TOTP::new_unchecked(Algorithm::SHA1, 6, 1, 30, bytes, None, String::new())
}

pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The code of the next 30-second step (accepted thanks to the ±1 step skew), for when
/// the current one has just been used.
pub fn next_code(totp: &TOTP) -> String {
    totp.generate(unix_now() + 30)
}

impl TestApp {
    /// Starts setting up TOTP for `user`; the secret, its URI and QR code.
    pub async fn start_mfa_setup(&self, user: &User) -> Value {
        let res = self
            .post_as(&user.access_token, "/api/v1/me/mfa/totp", json!({}))
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        res.json().await.unwrap()
    }

    /// Confirms the set-up with `code` from the authenticator.
    pub async fn confirm_mfa(&self, user: &User, code: &str) -> Response {
        self.post_as(
            &user.access_token,
            "/api/v1/me/mfa/totp/confirm",
            json!({ "code": code }),
        )
        .await
    }

    /// Turns MFA on for `user`; the authenticator and the recovery codes.
    pub async fn enable_mfa(&self, user: &User) -> (TOTP, Vec<String>) {
        let setup = self.start_mfa_setup(user).await;
        let totp = totp_for(setup["secret"].as_str().unwrap());
        let res = self
            .confirm_mfa(user, &totp.generate_current().unwrap())
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        let codes = recovery_codes(&res.json().await.unwrap());
        (totp, codes)
    }
}

/// The recovery codes in an answer that hands out new ones (shown only this once).
pub fn recovery_codes(body: &Value) -> Vec<String> {
    body["recovery_codes"]
        .as_array()
        .unwrap_or_else(|| panic!("no recovery codes in {body}"))
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect()
}
