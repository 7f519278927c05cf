//! The real peers the integration tests run against, each on loopback: scratch PostgreSQL
//! databases, Redis, an SMTP server (aiosmtpd), localstripe and headless Chromium — and the one rule for
//! a peer that is not there: the test says so loudly and skips, or, in CI
//! (`REQUIRE_POSTGRES=1`), fails.
//!
//! Nothing here knows the application; the harness of each crate's tests builds on it.

pub mod browser;
pub mod link;
pub mod localstripe;
pub mod mail;
pub mod postgres;
pub mod redis;
pub mod smtp;

/// Whether a missing peer fails the tests instead of skipping them (CI sets
/// `REQUIRE_POSTGRES=1` for every peer, not only PostgreSQL).
pub fn peers_required() -> bool {
    std::env::var("REQUIRE_POSTGRES").is_ok_and(|v| v == "1" || v == "true")
}

/// Reports a peer that cannot be used: panics in CI, otherwise says so loudly so that the
/// caller can skip its test.
pub fn unavailable(peer: &str, why: &str) {
    if peers_required() {
        panic!("REQUIRE_POSTGRES=1 (CI) but {peer} cannot be used: {why}");
    }
    eprintln!(
        "\n!!! SKIPPED a test that needs {peer}: {why}.\n!!! CI sets REQUIRE_POSTGRES=1 and fails instead.\n"
    );
}

/// A loopback port that was free a moment ago, for a peer process to listen on. Another
/// listener may take it before the peer does, so starters retry with a new one.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// How many ports a peer process is offered before its start counts as failed.
const PORT_ATTEMPTS: usize = 3;
