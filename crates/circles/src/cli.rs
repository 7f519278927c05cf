//! Command-line interface.

use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// The Men's Circle Management Platform.
///
/// Configuration comes from defaults, then `circles.toml` (or --config), then `CIRCLES_*`
/// environment variables such as CIRCLES_SERVER__PORT=9000. See the README for every
/// setting.
#[derive(Debug, Parser)]
#[command(
    name = "circles",
    version,
    about,
    long_about,
    disable_version_flag = true
)]
pub struct Cli {
    /// Configuration file (default: circles.toml in the working folder, or $CIRCLES_CONFIG).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Print the version and exit.
    #[arg(short = 'V', long)]
    pub version: bool,

    /// With --version: also every script the server serves, with its content-hashed name
    /// and Subresource Integrity hash, to compare with a release you trust.
    #[arg(long, requires = "version")]
    pub verbose: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What `circles --version [--verbose]` prints: the version line, then with `verbose` one
/// line per served script, `<name> <hashed URL> <integrity>`, from the same catalogue the
/// pages link from (`web::pages::assets`).
pub fn version_text(verbose: bool) -> String {
    let mut out = format!("circles {}\n", env!("CARGO_PKG_VERSION"));
    if verbose {
        for (name, script) in web::pages::assets::scripts() {
            out.push_str(&format!("{name} {} {}\n", script.url, script.integrity));
        }
    }
    out
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web app and API (the default). Migrates both databases first and runs
    /// the job worker in the same process unless jobs.in_process_worker = false.
    Serve,
    /// Bring both databases up to date and exit.
    Migrate,
    /// Run only the job worker (email and other background work), for scale-out set-ups
    /// where `serve` runs with jobs.in_process_worker = false.
    Worker,
    /// Administration from the terminal.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Payments from the terminal.
    Payments {
        #[command(subcommand)]
        command: PaymentsCommand,
    },
    /// Demo data for trying the platform out and for load tests.
    Demo {
        #[command(subcommand)]
        command: DemoCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum DemoCommand {
    /// Fill the configured databases with a realistic demo organisation (members, circles
    /// with meetings and attendance, events with registrations) and print a few accounts
    /// to sign in with. Refuses in production mode, and on a database that already has
    /// accounts unless --force is given.
    Seed {
        /// Accounts in all, the printed known accounts included.
        #[arg(long, default_value_t = 10_000)]
        members: u32,
        /// Circles, each with a certified facilitator and 2–10 members.
        #[arg(long, default_value_t = 1_000)]
        circles: u32,
        /// Events over the past and the next six months.
        #[arg(long, default_value_t = 5_000)]
        events: u32,
        /// Seed of the random generator: the same seed gives the same organisation.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Seed even though the database already has accounts.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum PaymentsCommand {
    /// Bring payments in line with Stripe now (the job does it hourly): confirm card
    /// payments whose webhook was missed, record refunds made in Stripe's dashboard, retry
    /// refunds Stripe could not be reached for, and free seats whose hold for payment
    /// ended. Prints what it corrected. Without Stripe keys it says so and only frees
    /// stale holds. Exits with status 1 when something could not be checked.
    Reconcile,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create the first admin (or make an existing account an admin). The password is
    /// asked for twice at a prompt, or read from one line of standard input when it is
    /// not a terminal or --password-stdin is given.
    Create {
        /// The admin's email address.
        #[arg(long)]
        email: String,
        /// The name other people see.
        #[arg(long, default_value = "Administrator")]
        display_name: String,
        /// Read the password from standard input instead of prompting.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Walk the audit log's hash chain and report whether any record was changed or
    /// removed. Exits with status 1 when the chain is broken.
    VerifyAudit,
}
