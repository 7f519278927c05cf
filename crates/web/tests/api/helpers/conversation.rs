//! Circle conversations through the API, with opaque but well-formed key material: random
//! bytes of the right sizes, base64url. The server checks shape and size only, so a test
//! can play every device of every member without doing the browsers' cryptography.

use super::{ok_json, TestApp, User};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};
use uuid::Uuid;

/// `n` random bytes, base64url without padding.
pub fn b64(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    rand::thread_rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A P-256 SPKI's size.
pub fn spki() -> String {
    b64(91)
}

/// An IEEE P1363 ECDSA P-256 signature's size.
pub fn signature() -> String {
    b64(64)
}

/// A member's device as a browser would register it.
pub fn device_body(name: &str, certified: bool) -> Value {
    let mut body = json!({
        "id": Uuid::new_v4(),
        "name": name,
        "ecdh_public": spki(),
        "signing_public": spki(),
    });
    if certified {
        body["certificate"] = json!(signature());
    }
    body
}

/// A message's body, under `epoch` from `device`, its `device_seq`-th.
pub fn message_body(epoch: i64, device: Uuid, device_seq: i64) -> Value {
    json!({
        "client_id": Uuid::new_v4(),
        "epoch": epoch,
        "sender_device_id": device,
        "device_seq": device_seq,
        "ciphertext": b64(12 + 40 + 16),
        "signature": signature(),
    })
}

impl TestApp {
    /// `method path` as `who`, with a JSON body when given.
    pub async fn conv(
        &self,
        who: &User,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Response {
        self.call(method, path, Some(&who.access_token), body).await
    }

    /// `who` sets up his identity key, backup and one approved device; its id.
    pub async fn conversation_keys(&self, who: &User) -> Uuid {
        let res = self
            .conv(
                who,
                Method::PUT,
                "/api/v1/me/conversation-identity",
                Some(json!({ "identity_public": spki(), "backup": r#"{"v":1}"# })),
            )
            .await;
        assert_eq!(
            res.status(),
            StatusCode::CREATED,
            "identity of {}",
            who.email
        );
        self.new_device(who, "Laptop").await
    }

    /// Another approved device of `who`'s; its id.
    pub async fn new_device(&self, who: &User, name: &str) -> Uuid {
        let res = self
            .conv(
                who,
                Method::POST,
                "/api/v1/me/devices",
                Some(device_body(name, true)),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED, "device of {}", who.email);
        ok_json(res).await["id"].as_str().unwrap().parse().unwrap()
    }

    /// The circle's conversation as `who`'s `device` reads it.
    pub async fn conversation(&self, who: &User, circle: &str, device: Uuid) -> Value {
        self.get_json(
            &who.access_token,
            &format!("/api/v1/circles/{circle}/conversation?device={device}"),
        )
        .await
    }

    /// The next roster of the circle as its members and keys are now, signed by `device`.
    pub async fn sign_roster(&self, leader: &User, circle: &str, device: Uuid) -> Response {
        let state = self.conversation(leader, circle, device).await;
        let version = state["roster"]["version"].as_i64().unwrap_or(0) + 1;
        let body = roster_body(circle, version, &state["members"]);
        self.conv(
            leader,
            Method::PUT,
            &format!("/api/v1/circles/{circle}/conversation/roster"),
            Some(json!({
                "version": version,
                "body": body,
                "signer_device_id": device,
                "signature": signature(),
            })),
        )
        .await
    }

    /// Starts the circle's next epoch from `device`, wrapping its key for every approved,
    /// unrevoked device of the members the server lists.
    pub async fn start_epoch(&self, who: &User, circle: &str, device: Uuid) -> Response {
        let state = self.conversation(who, circle, device).await;
        let number = state["epoch"]["number"].as_i64().unwrap_or(0) + 1;
        let envelopes: Vec<Value> = usable_devices(&state)
            .into_iter()
            .map(|d| json!({ "recipient_device_id": d, "wrapped": b64(40), "signature": signature() }))
            .collect();
        self.conv(
            who,
            Method::POST,
            &format!("/api/v1/circles/{circle}/conversation/epochs"),
            Some(json!({ "number": number, "creator_device_id": device, "envelopes": envelopes })),
        )
        .await
    }

    /// Posts `body` to the circle's conversation as `who`.
    pub async fn post_message(&self, who: &User, circle: &str, body: Value) -> Response {
        self.conv(
            who,
            Method::POST,
            &format!("/api/v1/circles/{circle}/conversation/messages"),
            Some(body),
        )
        .await
    }

    /// The messages `who` reads with `query` (`after=3&limit=2`, …).
    pub async fn messages(&self, who: &User, circle: &str, query: &str) -> Value {
        self.get_json(
            &who.access_token,
            &format!("/api/v1/circles/{circle}/conversation/messages?{query}"),
        )
        .await
    }
}

/// The approved, unrevoked devices of the members in a conversation state.
pub fn usable_devices(state: &Value) -> Vec<String> {
    state["members"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| !m["identity_public"].is_null())
        .flat_map(|m| m["devices"].as_array().unwrap().clone())
        .filter(|d| d["revoked"] == false && !d["certificate"].is_null())
        .map(|d| d["id"].as_str().unwrap().to_owned())
        .collect()
}

/// The canonical roster body: members sorted by user id, fields in order, no spaces.
pub fn roster_body(circle: &str, version: i64, members: &Value) -> String {
    let mut list: Vec<&Value> = members.as_array().unwrap().iter().collect();
    list.sort_by_key(|m| m["user_id"].as_str().unwrap().to_owned());
    let members: Vec<String> = list
        .iter()
        .map(|m| {
            format!(
                r#"{{"user":"{}","role":"{}","identity":{}}}"#,
                m["user_id"].as_str().unwrap(),
                m["role"].as_str().unwrap(),
                m["identity_public"]
            )
        })
        .collect();
    format!(
        r#"{{"t":"roster","circle":"{circle}","version":{version},"members":[{}]}}"#,
        members.join(",")
    )
}
