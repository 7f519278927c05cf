//! Before the scenarios run: signing in and finding circle and event ids to ask for.

use crate::Args;
use anyhow::{anyhow, bail, Context as _, Result};
use chrono::{DateTime, Duration as TimeDelta, Utc};
use reqwest::{Client, StatusCode};
use serde_json::Value;
use std::time::Duration;
use tokio::sync::Mutex;

/// What the scenarios need, found once before they run.
pub(crate) struct Setup {
    pub(crate) api: Client,
    pub(crate) pages: Client,
    pub(crate) base: String,
    /// The reading account's bearer token, for the JSON API scenarios.
    pub(crate) token: String,
    pub(crate) circle_id: Option<String>,
    pub(crate) event_ids: Vec<String>,
    /// (bearer token, event id) pairs for register+cancel; each in use by one request at
    /// a time, so a person never races himself.
    pub(crate) slots: Mutex<Vec<(String, String)>>,
}

pub(crate) fn client(cookies: bool, concurrency: usize) -> Result<Client> {
    Client::builder()
        .cookie_store(cookies)
        // Pages answer a sign-in with a redirect; the test wants to see it, not follow it.
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(concurrency)
        .timeout(Duration::from_secs(30))
        .build()
        .context("cannot build the HTTP client")
}

/// Signs in through the JSON API and returns the bearer token.
pub(crate) async fn api_login(
    api: &Client,
    base: &str,
    email: &str,
    password: &str,
) -> Result<String> {
    let res = api
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({ "email": email, "password": password }))
        .send()
        .await
        .with_context(|| format!("cannot reach {base}"))?;
    let status = res.status();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    if status == StatusCode::TOO_MANY_REQUESTS {
        bail!(
            "signing in as {email} was rate-limited; start the server with \
             CIRCLES_RATE_LIMIT__LOGIN_PER_IP=100000"
        );
    }
    if !status.is_success() {
        bail!("signing in as {email} failed with {status}: {body}");
    }
    body.get("access_token")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("signing in as {email} gave no access token: {body}"))
}

/// Signs in through the sign-in form, as a browser does; the session stays in the jar.
pub(crate) async fn page_login(
    pages: &Client,
    base: &str,
    email: &str,
    password: &str,
) -> Result<()> {
    let html = pages
        .get(format!("{base}/login"))
        .send()
        .await?
        .text()
        .await?;
    let csrf = hidden_value(&html, "csrf_token")
        .ok_or_else(|| anyhow!("the sign-in page has no csrf_token field"))?;
    let res = pages
        .post(format!("{base}/login"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("email", email),
            ("password", password),
            ("next", "/home"),
        ])
        .send()
        .await?;
    if res.status() != StatusCode::SEE_OTHER {
        bail!(
            "signing in through /login as {email} answered {} instead of a redirect",
            res.status()
        );
    }
    Ok(())
}

/// The value of the hidden input `name` in `html`.
pub(crate) fn hidden_value(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{name}\""))?;
    let rest = &html[at..];
    let start = rest.find("value=\"")? + "value=\"".len();
    let end = rest[start..].find('"')?;
    Some(rest[start..start + end].to_owned())
}

pub(crate) async fn get_json(api: &Client, url: &str, token: &str) -> Result<Value> {
    let res = api.get(url).bearer_auth(token).send().await?;
    let status = res.status();
    if !status.is_success() {
        bail!("GET {url} answered {status}");
    }
    Ok(res.json().await?)
}

pub(crate) fn time_of(v: &Value, field: &str) -> Option<DateTime<Utc>> {
    v.get(field)?.as_str()?.parse().ok()
}

/// Whether `e` (an event from the API) takes a registration from this viewer for a while
/// yet: published, his status unset, registration open now and for at least an hour.
pub(crate) fn open_for_registration(e: &Value, now: DateTime<Utc>) -> bool {
    let soon = now + TimeDelta::hours(1);
    e.get("status").and_then(Value::as_str) == Some("published")
        && e.get("my_status").is_none_or(Value::is_null)
        && e.get("viewer_organises").and_then(Value::as_bool) != Some(true)
        && time_of(e, "starts_at").is_some_and(|t| t > soon)
        && time_of(e, "registration_opens_at").is_none_or(|t| t <= now)
        && time_of(e, "registration_closes_at").is_none_or(|t| t > soon)
}

pub(crate) async fn prepare(args: &Args, scenarios: &[String]) -> Result<Setup> {
    let base = args.base_url.trim_end_matches('/').to_owned();
    let api = client(false, args.concurrency)?;
    let pages = client(true, args.concurrency)?;
    let token = api_login(&api, &base, &args.email, &args.password).await?;
    let wants = |s: &str| scenarios.iter().any(|x| x == s);
    if ["home", "circles", "circle", "events", "event"]
        .iter()
        .any(|s| wants(s))
    {
        page_login(&pages, &base, &args.email, &args.password).await?;
    }
    let mine = get_json(&api, &format!("{base}/api/v1/me/circles"), &token).await?;
    let circle_id = mine.as_array().and_then(|all| {
        all.iter()
            .find(|c| c.get("membership_status").and_then(Value::as_str) == Some("active"))
            .and_then(|c| c.get("circle_id")?.as_str().map(str::to_owned))
    });
    if (wants("circle") || wants("api-circle")) && circle_id.is_none() {
        bail!(
            "{} is in no circle; the circle scenario needs one",
            args.email
        );
    }
    let events = get_json(&api, &format!("{base}/api/v1/events?limit=200"), &token).await?;
    let event_ids: Vec<String> = events
        .as_array()
        .map(|all| {
            all.iter()
                .filter_map(|e| e.get("id")?.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    if (wants("event") || wants("api-event")) && event_ids.is_empty() {
        bail!("no upcoming events are visible to {}", args.email);
    }
    let mut slots = Vec::new();
    if wants("register") {
        let now = Utc::now();
        for n in 1..=args.register_accounts {
            let email = format!("member{n:05}@demo.example.org");
            let t = api_login(&api, &base, &email, &args.password).await?;
            let list = get_json(&api, &format!("{base}/api/v1/events?limit=200"), &t).await?;
            let open: Vec<String> = list
                .as_array()
                .map(|all| {
                    all.iter()
                        .filter(|e| open_for_registration(e, now))
                        .filter_map(|e| e.get("id")?.as_str().map(str::to_owned))
                        .take(8)
                        .collect()
                })
                .unwrap_or_default();
            slots.extend(open.into_iter().map(|e| (t.clone(), e)));
        }
        if slots.is_empty() {
            bail!("no open events to register for among the next 200 of each account");
        }
    }
    Ok(Setup {
        token,
        api,
        pages,
        base,
        circle_id,
        event_ids,
        slots: Mutex::new(slots),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_hidden_values() {
        let html = r#"<form><input type="hidden" name="csrf_token" value="abc123"></form>"#;
        assert_eq!(hidden_value(html, "csrf_token").as_deref(), Some("abc123"));
        assert_eq!(hidden_value(html, "other"), None);
    }

    #[test]
    fn registration_needs_an_open_window() {
        let now = Utc::now();
        let later = (now + TimeDelta::days(3)).to_rfc3339();
        let open =
            serde_json::json!({"status": "published", "starts_at": later, "my_status": null});
        assert!(open_for_registration(&open, now));
        let mine = serde_json::json!({"status": "published", "starts_at": later, "my_status": "confirmed"});
        assert!(!open_for_registration(&mine, now));
        let closed = serde_json::json!({"status": "published", "starts_at": later,
            "registration_closes_at": now.to_rfc3339()});
        assert!(!open_for_registration(&closed, now));
    }
}
