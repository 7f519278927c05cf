//! The people of the conversation benchmark: circles made through the API by demo
//! facilitators, demo members who join them, each with a conversation identity and one
//! device, a roster and an open epoch — with opaque key material of the right sizes, since
//! the server only checks shapes — and a browser session for each live connection.

use crate::setup::{api_login, hidden_value};
use anyhow::{anyhow, bail, Context as _, Result};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use uuid::Uuid;

/// One person of a benchmark circle.
pub(crate) struct Person {
    pub(crate) token: String,
    pub(crate) device: Uuid,
    /// `name=value` of his browser session.
    pub(crate) cookie: String,
    /// Which instance his live connection and posts go to.
    pub(crate) instance: usize,
}

pub(crate) struct Circle {
    pub(crate) id: String,
    pub(crate) epoch: i64,
    pub(crate) people: Vec<Person>,
}

/// `n` random bytes, base64url.
pub(crate) fn b64(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    rand::thread_rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

async fn call(
    api: &Client,
    method: reqwest::Method,
    url: &str,
    token: &str,
    body: Value,
) -> Result<Value> {
    let res = api
        .request(method.clone(), url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await?;
    let status = res.status();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        bail!("{method} {url} answered {status}: {body}");
    }
    Ok(body)
}

fn circle_body(n: usize) -> Value {
    json!({
        "name": format!("Benchmark circle {n}"),
        "description": "Made by the conversation benchmark.",
        "capacity": 10,
        "visibility": "open",
        "frequency": "weekly",
        "weekday": "tue",
        "meeting_time": "19:30",
        "duration_minutes": 120,
        "time_zone": "Europe/Berlin",
        "anchor_date": "2026-03-03",
    })
}

/// Makes `count` circles of `size` people (a facilitator and `size - 1` members), spread
/// over the instances at `bases`.
pub(crate) async fn circles(
    api: &Client,
    bases: &[String],
    password: &str,
    count: usize,
    size: usize,
) -> Result<Vec<Circle>> {
    let base = &bases[0];
    let mut made = Vec::with_capacity(count);
    for n in 0..count {
        let fac_email = format!("facilitator{:04}@demo.example.org", n + 1);
        let fac = api_login(api, base, &fac_email, password).await?;
        let circle = call(
            api,
            reqwest::Method::POST,
            &format!("{base}/api/v1/circles"),
            &fac,
            circle_body(n),
        )
        .await?;
        let id = circle["id"]
            .as_str()
            .ok_or_else(|| anyhow!("a circle without id"))?
            .to_owned();
        let mut tokens = vec![(fac_email, fac.clone())];
        for m in 0..size - 1 {
            let email = format!("member{:05}@demo.example.org", n * size + m + 1);
            let token = api_login(api, base, &email, password).await?;
            let request = call(
                api,
                reqwest::Method::POST,
                &format!("{base}/api/v1/circles/{id}/join-requests"),
                &token,
                json!({ "message": "Benchmark" }),
            )
            .await?;
            let membership = request["id"]
                .as_str()
                .ok_or_else(|| anyhow!("a request without id"))?;
            call(
                api,
                reqwest::Method::POST,
                &format!("{base}/api/v1/circles/{id}/join-requests/{membership}/approve"),
                &fac,
                json!({}),
            )
            .await?;
            tokens.push((email, token));
        }
        let mut people = Vec::with_capacity(size);
        for (i, (email, token)) in tokens.into_iter().enumerate() {
            let device = keys(api, base, &token).await?;
            let instance = i % bases.len();
            let cookie = browser_session(&bases[instance], &email, password).await?;
            people.push(Person {
                token,
                device,
                cookie,
                instance,
            });
        }
        let epoch = open_epoch(api, base, &id, &people[0]).await?;
        made.push(Circle { id, epoch, people });
        eprintln!("  circle {}/{count} ready", n + 1);
    }
    Ok(made)
}

/// His identity key and one approved device; the device id.
async fn keys(api: &Client, base: &str, token: &str) -> Result<Uuid> {
    let identity = json!({ "identity_public": b64(91), "backup": r#"{"v":1}"# });
    let res = api
        .put(format!("{base}/api/v1/me/conversation-identity"))
        .bearer_auth(token)
        .json(&identity)
        .send()
        .await?;
    // A second run against the same databases finds it there.
    if !(res.status().is_success() || res.status() == StatusCode::CONFLICT) {
        bail!("creating a conversation identity answered {}", res.status());
    }
    let device = Uuid::new_v4();
    let body = json!({
        "id": device, "name": "Benchmark", "ecdh_public": b64(91),
        "signing_public": b64(91), "certificate": b64(64),
    });
    call(
        api,
        reqwest::Method::POST,
        &format!("{base}/api/v1/me/devices"),
        token,
        body,
    )
    .await?;
    Ok(device)
}

/// The leader signs the roster of the circle as it is and opens the next epoch with a key
/// wrapped for every device; its number.
async fn open_epoch(api: &Client, base: &str, circle: &str, leader: &Person) -> Result<i64> {
    let url = format!(
        "{base}/api/v1/circles/{circle}/conversation?device={}",
        leader.device
    );
    let res = api.get(&url).bearer_auth(&leader.token).send().await?;
    if !res.status().is_success() {
        bail!("GET {url} answered {}", res.status());
    }
    let state: Value = res.json().await?;
    let version = state["roster"]["version"].as_i64().unwrap_or(0) + 1;
    let mut members: Vec<&Value> = state["members"]
        .as_array()
        .ok_or_else(|| anyhow!("no members: {state}"))?
        .iter()
        .collect();
    members.sort_by_key(|m| m["user_id"].as_str().unwrap_or_default().to_owned());
    let listed: Vec<String> = members
        .iter()
        .map(|m| {
            format!(
                r#"{{"user":"{}","role":"{}","identity":{}}}"#,
                m["user_id"].as_str().unwrap_or_default(),
                m["role"].as_str().unwrap_or_default(),
                m["identity_public"]
            )
        })
        .collect();
    let body = format!(
        r#"{{"t":"roster","circle":"{circle}","version":{version},"members":[{}]}}"#,
        listed.join(",")
    );
    let roster = json!({ "version": version, "body": body, "signer_device_id": leader.device, "signature": b64(64) });
    call(
        api,
        reqwest::Method::PUT,
        &format!("{base}/api/v1/circles/{circle}/conversation/roster"),
        &leader.token,
        roster,
    )
    .await?;
    let devices: Vec<Value> = members
        .iter()
        .flat_map(|m| m["devices"].as_array().cloned().unwrap_or_default())
        .map(
            |d| json!({ "recipient_device_id": d["id"], "wrapped": b64(40), "signature": b64(64) }),
        )
        .collect();
    let number = state["epoch"]["number"].as_i64().unwrap_or(0) + 1;
    let epoch =
        json!({ "number": number, "creator_device_id": leader.device, "envelopes": devices });
    call(
        api,
        reqwest::Method::POST,
        &format!("{base}/api/v1/circles/{circle}/conversation/epochs"),
        &leader.token,
        epoch,
    )
    .await?;
    Ok(number)
}

/// A browser session on the instance at `at`, through the sign-in form: its cookie.
async fn browser_session(at: &str, email: &str, password: &str) -> Result<String> {
    let browser = Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let html = browser
        .get(format!("{at}/login"))
        .send()
        .await?
        .text()
        .await?;
    let csrf =
        hidden_value(&html, "csrf_token").ok_or_else(|| anyhow!("no csrf_token on /login"))?;
    let res = browser
        .post(format!("{at}/login"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("email", email),
            ("password", password),
            ("next", "/home"),
        ])
        .send()
        .await
        .context("signing in through the form")?;
    let cookie = res
        .cookies()
        .find(|c| c.name().ends_with("circles_session"))
        .map(|c| format!("{}={}", c.name(), c.value()));
    cookie.ok_or_else(|| {
        anyhow!(
            "signing in through {at}/login set no session cookie ({})",
            res.status()
        )
    })
}
