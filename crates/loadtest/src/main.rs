//! `loadtest`: drives a running server over HTTP at a fixed request rate and reports, per
//! scenario, the rate achieved and the latency percentiles (DESIGN.md §10).
//!
//! The load is open-loop: requests are sent on a fixed schedule whether or not earlier ones
//! have answered, and each latency is measured from the moment its request was *due*. A
//! closed loop (send the next request when the last one returns) slows down with the
//! server and so hides exactly the queueing a slow endpoint causes. `--concurrency` caps
//! requests in flight; when the cap is hit, requests go out late and the wait shows in
//! their latency.
//!
//! It signs in with the accounts `circles demo seed` creates, discovers circle and event
//! ids through the JSON API, and leaves the data as it found it (every registration it
//! makes it cancels again).

use anyhow::{anyhow, bail, Context as _, Result};
use chrono::{DateTime, Duration as TimeDelta, Utc};
use clap::Parser;
use reqwest::{Client, StatusCode};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, Semaphore};

/// Every scenario, in the order they run by default.
const SCENARIOS: [&str; 6] = ["home", "circles", "circle", "events", "event", "register"];

/// HTTP benchmark for the Men's Circle platform (run `circles demo seed` first).
#[derive(Debug, Parser)]
#[command(name = "loadtest", version, about)]
struct Args {
    /// The server to drive.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    base_url: String,
    /// Requests per second to send (per scenario; register+cancel counts both requests).
    #[arg(long, default_value_t = 200.0)]
    rate: f64,
    /// Seconds each scenario runs.
    #[arg(long, default_value_t = 20.0)]
    duration: f64,
    /// Most requests in flight at once.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Scenarios to run, comma-separated: home, circles, circle, events, event, register
    /// (default: all of them).
    #[arg(long, value_delimiter = ',')]
    scenario: Vec<String>,
    /// The account the read scenarios sign in as (a member of a circle).
    #[arg(long, default_value = "member@demo.example.org")]
    email: String,
    /// The demo accounts' password.
    #[arg(long, default_value = "circles demo passphrase")]
    password: String,
    /// Accounts the register scenario uses (member00001… from the demo seed).
    #[arg(long, default_value_t = 16)]
    register_accounts: u32,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// What one scenario measured.
#[derive(Debug, Serialize)]
struct Report {
    scenario: String,
    target_rps: f64,
    requests: usize,
    /// Answers with the expected status.
    ok: usize,
    errors: usize,
    achieved_rps: f64,
    p50_ms: f64,
    p95_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    /// How many answers had each status (`error` for no answer at all).
    statuses: BTreeMap<String, usize>,
}

/// One measured request: latency from when it was due, and its status.
struct Sample {
    latency: Duration,
    status: Option<StatusCode>,
    ok: bool,
}

/// What the scenarios need, found once before they run.
struct Setup {
    api: Client,
    pages: Client,
    base: String,
    circle_id: Option<String>,
    event_ids: Vec<String>,
    /// (bearer token, event id) pairs for register+cancel; each in use by one request at
    /// a time, so a person never races himself.
    slots: Mutex<Vec<(String, String)>>,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    match run(args).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("loadtest: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<()> {
    if !(args.rate > 0.0 && args.rate <= 100_000.0) {
        bail!("--rate must be between 0 and 100000 requests per second");
    }
    if !(args.duration > 0.0 && args.duration <= 3600.0) {
        bail!("--duration must be between 0 and 3600 seconds");
    }
    if args.concurrency == 0 {
        bail!("--concurrency must be at least 1");
    }
    let scenarios: Vec<String> = if args.scenario.is_empty() {
        SCENARIOS.iter().map(|s| s.to_string()).collect()
    } else {
        args.scenario.clone()
    };
    for s in &scenarios {
        if !SCENARIOS.contains(&s.as_str()) {
            bail!(
                "unknown scenario {s:?}; choose from {}",
                SCENARIOS.join(", ")
            );
        }
    }
    let setup = Arc::new(prepare(&args, &scenarios).await?);
    let mut reports = Vec::new();
    for s in &scenarios {
        if !args.json {
            eprintln!(
                "running {s} at {} req/s for {} s…",
                args.rate, args.duration
            );
        }
        reports.extend(run_scenario(&args, &setup, s).await?);
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
    } else {
        print_table(&reports);
    }
    Ok(())
}

fn client(cookies: bool, concurrency: usize) -> Result<Client> {
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
async fn api_login(api: &Client, base: &str, email: &str, password: &str) -> Result<String> {
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
async fn page_login(pages: &Client, base: &str, email: &str, password: &str) -> Result<()> {
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
fn hidden_value(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{name}\""))?;
    let rest = &html[at..];
    let start = rest.find("value=\"")? + "value=\"".len();
    let end = rest[start..].find('"')?;
    Some(rest[start..start + end].to_owned())
}

async fn get_json(api: &Client, url: &str, token: &str) -> Result<Value> {
    let res = api.get(url).bearer_auth(token).send().await?;
    let status = res.status();
    if !status.is_success() {
        bail!("GET {url} answered {status}");
    }
    Ok(res.json().await?)
}

fn time_of(v: &Value, field: &str) -> Option<DateTime<Utc>> {
    v.get(field)?.as_str()?.parse().ok()
}

/// Whether `e` (an event from the API) takes a registration from this viewer for a while
/// yet: published, his status unset, registration open now and for at least an hour.
fn open_for_registration(e: &Value, now: DateTime<Utc>) -> bool {
    let soon = now + TimeDelta::hours(1);
    e.get("status").and_then(Value::as_str) == Some("published")
        && e.get("my_status").is_none_or(Value::is_null)
        && e.get("viewer_organises").and_then(Value::as_bool) != Some(true)
        && time_of(e, "starts_at").is_some_and(|t| t > soon)
        && time_of(e, "registration_opens_at").is_none_or(|t| t <= now)
        && time_of(e, "registration_closes_at").is_none_or(|t| t > soon)
}

async fn prepare(args: &Args, scenarios: &[String]) -> Result<Setup> {
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
    if wants("circle") && circle_id.is_none() {
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
    if wants("event") && event_ids.is_empty() {
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
        api,
        pages,
        base,
        circle_id,
        event_ids,
        slots: Mutex::new(slots),
    })
}

/// Runs one scenario on the open-loop schedule; register+cancel reports two rows.
async fn run_scenario(args: &Args, setup: &Arc<Setup>, scenario: &str) -> Result<Vec<Report>> {
    // register+cancel sends two requests per operation: half the operations keep the
    // request rate what was asked.
    let pairs = scenario == "register";
    let op_rate = if pairs { args.rate / 2.0 } else { args.rate };
    let total = ((op_rate * args.duration).round() as usize).max(1);
    let interval = Duration::from_secs_f64(1.0 / op_rate);
    let limit = Arc::new(Semaphore::new(args.concurrency));
    let samples: Arc<Mutex<Vec<(usize, Sample)>>> =
        Arc::new(Mutex::new(Vec::with_capacity(total * 2)));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..total {
        let due = started + interval.mul_f64(i as f64);
        tokio::time::sleep_until(due.into()).await;
        let permit = limit.clone().acquire_owned().await?;
        let setup = setup.clone();
        let samples = samples.clone();
        let scenario = scenario.to_owned();
        tasks.spawn(async move {
            let measured = one(&setup, &scenario, i, due).await;
            samples.lock().await.extend(measured);
            drop(permit);
        });
    }
    while tasks.join_next().await.is_some() {}
    let elapsed = started.elapsed().as_secs_f64();
    let samples = std::mem::take(&mut *samples.lock().await);
    let names: Vec<&str> = if pairs {
        vec!["register", "cancel"]
    } else {
        vec![scenario]
    };
    Ok(names
        .iter()
        .enumerate()
        .map(|(k, name)| {
            let mine: Vec<&Sample> = samples
                .iter()
                .filter(|(step, _)| *step == k)
                .map(|(_, s)| s)
                .collect();
            summarise(name, op_rate, &mine, elapsed)
        })
        .collect())
}

/// One operation of `scenario`, due at `due`: (step, sample) per request sent.
async fn one(setup: &Setup, scenario: &str, i: usize, due: Instant) -> Vec<(usize, Sample)> {
    let base = &setup.base;
    match scenario {
        "home" => vec![(0, fetch(setup.pages.get(format!("{base}/home")), due).await)],
        "circles" => vec![(
            0,
            fetch(setup.pages.get(format!("{base}/circles")), due).await,
        )],
        "circle" => {
            let id = setup.circle_id.as_deref().unwrap_or_default();
            vec![(
                0,
                fetch(setup.pages.get(format!("{base}/circles/{id}")), due).await,
            )]
        }
        "events" => vec![(
            0,
            fetch(setup.pages.get(format!("{base}/events")), due).await,
        )],
        "event" => {
            let id = &setup.event_ids[i % setup.event_ids.len()];
            vec![(
                0,
                fetch(setup.pages.get(format!("{base}/events/{id}")), due).await,
            )]
        }
        _ => register_and_cancel(setup, due).await,
    }
}

async fn register_and_cancel(setup: &Setup, due: Instant) -> Vec<(usize, Sample)> {
    // Take a free (person, event) pair; the wait counts in the latency, as any other
    // client-side queueing does.
    let slot = loop {
        if let Some(s) = setup.slots.lock().await.pop() {
            break s;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    };
    let (token, event) = &slot;
    let base = &setup.base;
    let registered = fetch(
        setup
            .api
            .post(format!("{base}/api/v1/events/{event}/registrations"))
            .bearer_auth(token),
        due,
    )
    .await;
    let cancel_due = Instant::now();
    let cancelled = fetch(
        setup
            .api
            .post(format!("{base}/api/v1/events/{event}/registration/cancel"))
            .bearer_auth(token),
        cancel_due,
    )
    .await;
    // Insert at the front so the pair just used rests while the others take turns.
    setup.slots.lock().await.insert(0, slot);
    vec![(0, registered), (1, cancelled)]
}

/// Sends a request and reads the whole answer; the latency runs from `due`.
async fn fetch(req: reqwest::RequestBuilder, due: Instant) -> Sample {
    let result = async {
        let res = req.send().await?;
        let status = res.status();
        res.bytes().await?;
        Ok::<_, reqwest::Error>(status)
    }
    .await;
    let latency = due.elapsed();
    match result {
        Ok(status) => Sample {
            latency,
            status: Some(status),
            ok: status.is_success(),
        },
        Err(_) => Sample {
            latency,
            status: None,
            ok: false,
        },
    }
}

fn summarise(name: &str, target: f64, samples: &[&Sample], elapsed: f64) -> Report {
    let mut micros: Vec<u128> = samples.iter().map(|s| s.latency.as_micros()).collect();
    micros.sort_unstable();
    // Nearest-rank percentile over every sample: there are few enough to keep them all.
    let pct = |p: f64| -> f64 {
        if micros.is_empty() {
            return 0.0;
        }
        let rank = ((p / 100.0) * micros.len() as f64).ceil() as usize;
        micros[rank.clamp(1, micros.len()) - 1] as f64 / 1000.0
    };
    let mut statuses = BTreeMap::new();
    for s in samples {
        let key = s
            .status
            .map_or_else(|| "error".to_owned(), |c| c.as_u16().to_string());
        *statuses.entry(key).or_insert(0) += 1;
    }
    let ok = samples.iter().filter(|s| s.ok).count();
    Report {
        scenario: name.to_owned(),
        target_rps: target,
        requests: samples.len(),
        ok,
        errors: samples.len() - ok,
        achieved_rps: if elapsed > 0.0 {
            samples.len() as f64 / elapsed
        } else {
            0.0
        },
        p50_ms: pct(50.0),
        p95_ms: pct(95.0),
        p99_ms: pct(99.0),
        max_ms: micros.last().map_or(0.0, |m| *m as f64 / 1000.0),
        statuses,
    }
}

fn print_table(reports: &[Report]) {
    println!(
        "{:<10} {:>8} {:>8} {:>7} {:>8} {:>8} {:>8} {:>8} {:>9}  statuses",
        "scenario",
        "target/s",
        "req/s",
        "errors",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "max ms",
        "requests"
    );
    for r in reports {
        let statuses: Vec<String> = r
            .statuses
            .iter()
            .map(|(code, n)| format!("{code}×{n}"))
            .collect();
        println!(
            "{:<10} {:>8.0} {:>8.1} {:>7} {:>8.1} {:>8.1} {:>8.1} {:>8.1} {:>9}  {}",
            r.scenario,
            r.target_rps,
            r.achieved_rps,
            r.errors,
            r.p50_ms,
            r.p95_ms,
            r.p99_ms,
            r.max_ms,
            r.requests,
            statuses.join(" ")
        );
    }
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
    fn percentiles_are_nearest_rank() {
        let samples: Vec<Sample> = (1..=100)
            .map(|ms| Sample {
                latency: Duration::from_millis(ms),
                status: Some(StatusCode::OK),
                ok: true,
            })
            .collect();
        let refs: Vec<&Sample> = samples.iter().collect();
        let r = summarise("x", 100.0, &refs, 1.0);
        assert_eq!(r.p50_ms, 50.0);
        assert_eq!(r.p95_ms, 95.0);
        assert_eq!(r.p99_ms, 99.0);
        assert_eq!(r.max_ms, 100.0);
        assert_eq!(r.errors, 0);
        assert_eq!(r.statuses.get("200"), Some(&100));
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
