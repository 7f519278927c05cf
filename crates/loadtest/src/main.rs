//! `loadtest`: drives a running server over HTTP at a fixed request rate and reports, per
//! scenario, the rate achieved and the latency percentiles (README, "Benchmark").
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

use anyhow::{bail, Result};
use clap::Parser;
use std::sync::Arc;

mod conversation;
mod report;
mod scenarios;
mod setup;

use report::print_table;
use scenarios::run_scenario;
use setup::prepare;

/// The scenarios run by default, in order.
const SCENARIOS: [&str; 10] = [
    "home",
    "circles",
    "circle",
    "events",
    "event",
    "api-events",
    "api-event",
    "api-circle",
    "api-mine",
    "register",
];
/// Run only when asked for: it needs PostgreSQL and Redis behind two instances to measure
/// what it is for (`scripts/bench.sh` with `SCENARIOS=conversation`).
const ON_REQUEST: [&str; 1] = ["conversation"];

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
    /// Scenarios to run, comma-separated: the pages home, circles, circle, events, event;
    /// the JSON API reads api-events, api-event, api-circle, api-mine (my registrations);
    /// register (register + cancel through the API) — by default all of these — and
    /// conversation.
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
    /// conversation: a second instance of the same platform (same databases and Redis);
    /// half the members connect and post there.
    #[arg(long)]
    second_url: Option<String>,
    /// conversation: how many circles talk at once.
    #[arg(long, default_value_t = 10)]
    circles: usize,
    /// conversation: people per circle (a facilitator and members), each connected (2–10).
    #[arg(long, default_value_t = 10)]
    circle_size: usize,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
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
        if !SCENARIOS.contains(&s.as_str()) && !ON_REQUEST.contains(&s.as_str()) {
            bail!(
                "unknown scenario {s:?}; choose from {}, {}",
                SCENARIOS.join(", "),
                ON_REQUEST.join(", ")
            );
        }
    }
    if !(2..=10).contains(&args.circle_size) || args.circles == 0 {
        bail!("--circle-size must be between 2 and 10, and --circles at least 1");
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
        if s == "conversation" {
            reports.extend(conversation::run(&args, &setup).await?);
        } else {
            reports.extend(run_scenario(&args, &setup, s).await?);
        }
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
    } else {
        print_table(&reports);
    }
    Ok(())
}
