//! `circles`: the whole Men's Circle platform in one binary.
//!
//! CLI → configuration → telemetry → the chosen command. `serve` (the default) migrates
//! both databases and serves the web app and API with an in-process job worker.

mod cli;
mod telemetry;

use anyhow::Context as _;
use app::config::Settings;
use clap::Parser;
use cli::{AdminCommand, Cli, Command, DemoCommand, PaymentsCommand};
use std::io::{BufRead, IsTerminal};

/// mimalloc instead of glibc's malloc, with `--features mimalloc`: a release profile of
/// the event list spent about a fifth of its samples in malloc and free (README, "Reads
/// before and after issue 14"). Opt-in until measured.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    if cli.version {
        print!("{}", cli::version_text(cli.verbose));
        return std::process::ExitCode::SUCCESS;
    }
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("circles: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    telemetry::init(&settings);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("circles: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command.unwrap_or(Command::Serve), settings)) {
        Ok(code) => code,
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "circles failed");
            eprintln!("circles: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, settings: Settings) -> anyhow::Result<std::process::ExitCode> {
    match command {
        Command::Serve => {
            let app = web::Application::build(settings).await?;
            app.run_until_stopped(shutdown_signal()).await?;
        }
        Command::Migrate => {
            app::Context::build(settings).await?;
            println!("Both databases are up to date.");
        }
        Command::Worker => {
            let ctx = app::Context::build(settings).await?;
            app::jobs::run_worker(ctx, shutdown_signal()).await;
        }
        Command::Admin {
            command:
                AdminCommand::Create {
                    email,
                    display_name,
                    password_stdin,
                },
        } => {
            let password = read_password(password_stdin)?;
            let ctx = app::Context::build(settings).await?;
            let id = app::admin::create_admin(&ctx, &email, &display_name, &password)
                .await
                .map_err(describe)?;
            println!(
                "Admin {email} is ready (user id {id}). Sign in with that address and password."
            );
        }
        Command::Admin {
            command: AdminCommand::VerifyAudit,
        } => {
            let ctx = app::Context::build(settings).await?;
            let report = app::audit::verify(&ctx.main).await.map_err(describe)?;
            if report.intact {
                println!("Audit log intact: {} records checked.", report.records);
            } else {
                println!(
                    "Audit log BROKEN at record {}: {} ({} records before it are intact).",
                    report.first_broken_seq.unwrap_or_default(),
                    report.problem.unwrap_or_default(),
                    report.records
                );
                return Ok(std::process::ExitCode::from(1));
            }
        }
        Command::Payments {
            command: PaymentsCommand::Reconcile,
        } => {
            let ctx = app::Context::build(settings).await?;
            let report = app::payments::reconciliation::reconcile(&ctx)
                .await
                .map_err(describe)?;
            print_reconciliation(&report);
            if !report.problems.is_empty() {
                return Ok(std::process::ExitCode::from(1));
            }
        }
        Command::Demo {
            command:
                DemoCommand::Seed {
                    members,
                    circles,
                    events,
                    seed,
                    force,
                },
        } => {
            // Checked before connecting, so production databases are not even migrated.
            anyhow::ensure!(
                settings.env != app::config::Environment::Production,
                "refusing to seed demo data in production mode (CIRCLES_ENV=production)"
            );
            let ctx = app::Context::build(settings).await?;
            let opts = app::demo::SeedOptions {
                members,
                circles,
                events,
                seed,
                force,
            };
            let started = std::time::Instant::now();
            let report = app::demo::seed(&ctx, &opts).await.map_err(describe)?;
            print_seed_report(&report, started.elapsed());
        }
    }
    Ok(std::process::ExitCode::SUCCESS)
}

fn print_seed_report(report: &app::demo::SeedReport, elapsed: std::time::Duration) {
    let c = &report.counts;
    println!(
        "Demo organisation seeded in {:.1} s (generating {} ms, writing {} ms):",
        elapsed.as_secs_f64(),
        report.plan_ms,
        report.write_ms
    );
    for (what, n) in [
        ("users", c.users),
        ("roles", c.roles),
        ("certifications", c.certifications),
        ("venues", c.venues),
        ("circles", c.circles),
        ("memberships", c.memberships),
        ("meetings", c.meetings),
        ("attendance records", c.attendance),
        ("events", c.events),
        ("event audiences", c.event_circles),
        ("registrations", c.registrations),
    ] {
        println!("  {n:>8}  {what}");
    }
    println!();
    println!("Sign in as any of these, password \"{}\":", report.password);
    for k in &report.known {
        println!("  {:<12} {}", k.kind, k.email);
    }
    println!(
        "  (and every generated account, e.g. {})",
        app::demo::member_email(1)
    );
}

/// What `circles payments reconcile` prints: the counts, then one line per correction
/// (ids only), then what could not be checked.
fn print_reconciliation(report: &app::payments::reconciliation::Report) {
    if !report.stripe_checked {
        eprintln!(
            "circles: Stripe is not configured (payments.stripe): card payments and refunds were not checked; only stale holds were."
        );
    }
    println!("Payments reconciled:");
    for (n, what) in [
        (report.payments_checked, "card payments checked at Stripe"),
        (report.payments_confirmed, "card payments confirmed"),
        (report.payments_ended, "card payments failed or cancelled"),
        (
            report.gifts_recorded,
            "gifts to the scholarship fund recorded",
        ),
        (report.gifts_ended, "gifts failed or cancelled"),
        (report.refunds_found, "refunds found at Stripe and recorded"),
        (report.refunds_retried, "refunds retried"),
        (
            report.refunds_still_retrying,
            "refunds still waiting for Stripe",
        ),
        (report.holds_ended, "expired holds freed"),
        (
            report.memberships_corrected,
            "membership subscriptions and invoices corrected",
        ),
    ] {
        println!("  {n:>6}  {what}");
    }
    if report.is_empty() {
        println!("Nothing to correct.");
    }
    for c in &report.changes {
        let reference = c.reference.as_deref().unwrap_or("-");
        println!("  {} {} {reference}", c.kind, c.id);
    }
    for p in &report.problems {
        println!("  not checked: {p}");
    }
}

/// Turns a use-case error into a message for the terminal, with field-level detail.
fn describe(e: app::Error) -> anyhow::Error {
    match e {
        app::Error::Invalid(problems) => {
            anyhow::anyhow!(problems
                .iter()
                .map(|p| format!("{}: {}", p.field, p.message))
                .collect::<Vec<_>>()
                .join("\n"))
        }
        other => anyhow::anyhow!(other.to_string()),
    }
}

fn read_password(from_stdin: bool) -> anyhow::Result<String> {
    if from_stdin || !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_owned());
    }
    let first = rpassword::prompt_password("Password for the new admin: ")?;
    let second = rpassword::prompt_password("Repeat it: ")?;
    anyhow::ensure!(first == second, "the two passwords differ");
    Ok(first)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
}
