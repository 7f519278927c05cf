//! The `conversation` scenario (issue 12): circles of members each holding a live
//! connection (WebSocket) — half on one instance, half on the other when `--second-url`
//! names one — while messages of opaque ciphertext are posted at the given rate, spread over
//! the circles and their members and both instances. It reports the time from each post's
//! due moment to its arrival on every member's socket (the poster's own included), the
//! posts themselves, and loading 1,000 messages of one circle through the list endpoint.

mod population;

use crate::report::{summarise, Report};
use crate::scenarios::Sample;
use crate::setup::Setup;
use crate::Args;
use anyhow::{anyhow, Context as _, Result};
use futures_util::StreamExt;
use population::{b64, Circle};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, Mutex, Semaphore};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use uuid::Uuid;

/// A message is known by its sender device and that device's own counter.
type Key = (Uuid, i64);

/// Runs the scenario: rows `conversation` (delivery), `conv-post` and `list-1000`.
pub(crate) async fn run(args: &Args, setup: &Setup) -> Result<Vec<Report>> {
    let mut bases = vec![setup.base.clone()];
    bases.extend(
        args.second_url
            .iter()
            .map(|u| u.trim_end_matches('/').to_owned()),
    );
    eprintln!(
        "making {} circles of {} people on {} instance(s)…",
        args.circles,
        args.circle_size,
        bases.len()
    );
    let circles = population::circles(
        &setup.api,
        &bases,
        &args.password,
        args.circles,
        args.circle_size,
    )
    .await?;
    let (arrived, mut arrivals) = mpsc::unbounded_channel::<(Key, Instant)>();
    let mut sockets = Vec::new();
    for c in &circles {
        for p in &c.people {
            sockets.push(listen(&bases[p.instance], &c.id, &p.cookie, arrived.clone()).await?);
        }
    }
    eprintln!("{} live connections open; posting…", sockets.len());
    let (due, posts, elapsed) = post_at_rate(args, setup, &bases, &circles).await?;
    let expected = due.len() * args.circle_size;
    let mut latencies = Vec::with_capacity(expected);
    let wait_until = Instant::now() + Duration::from_secs(10);
    while latencies.len() < expected {
        let Ok(Some((key, at))) = tokio::time::timeout_at(wait_until.into(), arrivals.recv()).await
        else {
            break;
        };
        if let Some(sent) = due.get(&key) {
            latencies.push(Sample {
                latency: at.saturating_duration_since(*sent),
                status: Some(StatusCode::OK),
                ok: true,
                // A delivery on a socket is not a request: nothing to count.
                statements: None,
            });
        }
    }
    for s in sockets {
        s.abort();
    }
    let refs: Vec<&Sample> = latencies.iter().collect();
    let mut delivery = summarise("conversation", args.rate, &refs, elapsed);
    delivery.requests = expected;
    delivery.errors = expected - latencies.len();
    delivery.achieved_rps = due.len() as f64 / elapsed;
    let post_refs: Vec<&Sample> = posts.iter().collect();
    let post = summarise("conv-post", args.rate, &post_refs, elapsed);
    let list = load_thousand(setup, &bases[0], &circles[0]).await?;
    Ok(vec![delivery, post, list])
}

/// Opens one member's live connection; the task reading it reports each message's arrival,
/// and reconnects from the last sequence number it saw whenever the connection drops, as a
/// browser does.
async fn listen(
    base: &str,
    circle: &str,
    cookie: &str,
    arrived: mpsc::UnboundedSender<(Key, Instant)>,
) -> Result<tokio::task::JoinHandle<()>> {
    let url = format!(
        "{}/circles/{circle}/conversation/live",
        base.replacen("http", "ws", 1)
    );
    let (base, cookie) = (base.to_owned(), cookie.to_owned());
    let mut ws = connect(&url, &base, &cookie, 0).await?;
    Ok(tokio::spawn(async move {
        let mut last_seq = 0;
        loop {
            while let Some(Ok(frame)) = ws.next().await {
                let at = Instant::now();
                let Message::Text(text) = frame else { continue };
                let Ok(v) = serde_json::from_str::<Value>(text.as_str()) else {
                    continue;
                };
                for m in v["messages"].as_array().into_iter().flatten() {
                    last_seq = last_seq.max(m["seq"].as_i64().unwrap_or(0));
                    let device = m["sender_device_id"].as_str().and_then(|d| d.parse().ok());
                    if let (Some(device), Some(seq)) = (device, m["device_seq"].as_i64()) {
                        let _ = arrived.send(((device, seq), at));
                    }
                }
            }
            eprintln!("a live connection dropped; reconnecting after {last_seq}");
            loop {
                tokio::time::sleep(Duration::from_millis(100)).await;
                if let Ok(again) = connect(&url, &base, &cookie, last_seq).await {
                    ws = again;
                    break;
                }
            }
        }
    }))
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(url: &str, origin: &str, cookie: &str, after: i64) -> Result<Socket> {
    let mut req = format!("{url}?after={after}").into_client_request()?;
    req.headers_mut()
        .insert("origin", HeaderValue::from_str(origin)?);
    req.headers_mut()
        .insert("cookie", HeaderValue::from_str(cookie)?);
    let (ws, _) = tokio_tungstenite::connect_async(req)
        .await
        .with_context(|| format!("opening {url}"))?;
    Ok(ws)
}

/// Posts on the open-loop schedule; when each message was due, the posts' samples, and
/// how long posting took.
async fn post_at_rate(
    args: &Args,
    setup: &Setup,
    bases: &[String],
    circles: &[Circle],
) -> Result<(HashMap<Key, Instant>, Vec<Sample>, f64)> {
    let total = ((args.rate * args.duration).round() as usize).max(1);
    let interval = Duration::from_secs_f64(1.0 / args.rate);
    let limit = Arc::new(Semaphore::new(args.concurrency));
    let samples = Arc::new(Mutex::new(Vec::with_capacity(total)));
    let mut due = HashMap::with_capacity(total);
    let mut counters: HashMap<Uuid, i64> = HashMap::new();
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for k in 0..total {
        let at = started + interval.mul_f64(k as f64);
        tokio::time::sleep_until(at.into()).await;
        let circle = &circles[k % circles.len()];
        let person = &circle.people[(k / circles.len()) % circle.people.len()];
        let seq = counters.entry(person.device).or_insert(0);
        *seq += 1;
        due.insert((person.device, *seq), at);
        let url = format!(
            "{}/api/v1/circles/{}/conversation/messages",
            bases[person.instance], circle.id
        );
        let body = message(circle.epoch, person.device, *seq);
        let req = setup.api.post(url).bearer_auth(&person.token).json(&body);
        let permit = limit.clone().acquire_owned().await?;
        let samples = samples.clone();
        tasks.spawn(async move {
            let res = req.send().await;
            let status = res.as_ref().ok().map(|r| r.status());
            samples.lock().await.push(Sample {
                latency: at.elapsed(),
                status,
                ok: status == Some(StatusCode::CREATED),
                statements: None,
            });
            drop(permit);
        });
    }
    while tasks.join_next().await.is_some() {}
    let elapsed = started.elapsed().as_secs_f64();
    let samples = std::mem::take(&mut *samples.lock().await);
    Ok((due, samples, elapsed))
}

/// A message body: ciphertext the size of a short text message (IV, a hundred bytes, tag).
fn message(epoch: i64, device: Uuid, device_seq: i64) -> Value {
    json!({
        "client_id": Uuid::new_v4(),
        "epoch": epoch,
        "sender_device_id": device,
        "device_seq": device_seq,
        "ciphertext": b64(12 + 100 + 16),
        "signature": b64(64),
    })
}

/// Brings the first circle to at least 1,000 messages, then times loading them through
/// the list endpoint (two pages of 500) twenty times.
async fn load_thousand(setup: &Setup, base: &str, circle: &Circle) -> Result<Report> {
    let poster = &circle.people[0];
    let list = |after: i64| {
        setup
            .api
            .get(format!(
                "{base}/api/v1/circles/{}/conversation/messages?after={after}&limit=500",
                circle.id
            ))
            .bearer_auth(&poster.token)
    };
    let have: Value = list(0).send().await?.json().await?;
    let mut count = have["last_seq"].as_i64().unwrap_or(0);
    // Far above any device counter the timed run used.
    let mut seq = 1_000_000;
    while count < 1000 {
        seq += 1;
        let res = setup
            .api
            .post(format!(
                "{base}/api/v1/circles/{}/conversation/messages",
                circle.id
            ))
            .bearer_auth(&poster.token)
            .json(&message(circle.epoch, poster.device, seq))
            .send()
            .await?;
        if res.status() != StatusCode::CREATED {
            return Err(anyhow!("filling the circle answered {}", res.status()));
        }
        count += 1;
    }
    let mut samples = Vec::new();
    let started = Instant::now();
    for _ in 0..20 {
        let at = Instant::now();
        let first: Value = list(0).send().await?.json().await?;
        let after = first["messages"][499]["seq"].as_i64().unwrap_or(0);
        let second: Value = list(after).send().await?.json().await?;
        let loaded = first["messages"].as_array().map_or(0, Vec::len)
            + second["messages"].as_array().map_or(0, Vec::len);
        samples.push(Sample {
            latency: at.elapsed(),
            status: Some(StatusCode::OK),
            ok: loaded == 1000,
            statements: None,
        });
    }
    let refs: Vec<&Sample> = samples.iter().collect();
    Ok(summarise(
        "list-1000",
        0.0,
        &refs,
        started.elapsed().as_secs_f64(),
    ))
}
