//! Running a scenario on its open-loop schedule and timing each request.

use crate::report::{summarise, Report};
use crate::setup::Setup;
use crate::Args;
use anyhow::Result;
use reqwest::StatusCode;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, Semaphore};

/// One measured request: latency from when it was due, and its status.
pub(crate) struct Sample {
    pub(crate) latency: Duration,
    pub(crate) status: Option<StatusCode>,
    pub(crate) ok: bool,
    /// What the server said the request cost (`X-Db-Statements`, when it reports it).
    pub(crate) statements: Option<u64>,
}
/// Runs one scenario on the open-loop schedule; register+cancel reports two rows.
pub(crate) async fn run_scenario(
    args: &Args,
    setup: &Arc<Setup>,
    scenario: &str,
) -> Result<Vec<Report>> {
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
pub(crate) async fn one(
    setup: &Setup,
    scenario: &str,
    i: usize,
    due: Instant,
) -> Vec<(usize, Sample)> {
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
        "api-events" => vec![(0, api_get(setup, "/api/v1/events", due).await)],
        "api-event" => {
            let id = &setup.event_ids[i % setup.event_ids.len()];
            vec![(
                0,
                api_get(setup, &format!("/api/v1/events/{id}"), due).await,
            )]
        }
        "api-circle" => {
            let id = setup.circle_id.as_deref().unwrap_or_default();
            vec![(
                0,
                api_get(setup, &format!("/api/v1/circles/{id}"), due).await,
            )]
        }
        "api-mine" => vec![(0, api_get(setup, "/api/v1/me/registrations", due).await)],
        _ => register_and_cancel(setup, due).await,
    }
}

/// A JSON API read as the reading account.
async fn api_get(setup: &Setup, path: &str, due: Instant) -> Sample {
    let req = setup
        .api
        .get(format!("{}{path}", setup.base))
        .bearer_auth(&setup.token);
    fetch(req, due).await
}

pub(crate) async fn register_and_cancel(setup: &Setup, due: Instant) -> Vec<(usize, Sample)> {
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
pub(crate) async fn fetch(req: reqwest::RequestBuilder, due: Instant) -> Sample {
    let result = async {
        let res = req.send().await?;
        let status = res.status();
        let statements = res
            .headers()
            .get("x-db-statements")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        res.bytes().await?;
        Ok::<_, reqwest::Error>((status, statements))
    }
    .await;
    let latency = due.elapsed();
    match result {
        Ok((status, statements)) => Sample {
            latency,
            status: Some(status),
            ok: status.is_success(),
            statements,
        },
        Err(_) => Sample {
            latency,
            status: None,
            ok: false,
            statements: None,
        },
    }
}
