//! Email delivery over SMTP to a real SMTP server (aiosmtpd, `tests/support/smtp_server.py`)
//! on loopback, with STARTTLS (a self-signed certificate the app is told to trust) and AUTH.
//!
//! These run on SQLite only: delivery goes through the job queue, whose storage is covered
//! on both backends elsewhere (tests/ops.rs); the SMTP conversation does not depend on the
//! database.
//!
//! Needs `python3` with `aiosmtpd` (`python3 -m pip install aiosmtpd`). Without them the
//! tests are skipped loudly — or fail when `REQUIRE_POSTGRES=1` (CI mode).

use crate::helpers::{Backend, TestApp, PASSWORD};
use app::config::{EmailTransportKind, Secret, SmtpTls};
use reqwest::StatusCode;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const SMTP_USER: &str = "circles-mailer";
const SMTP_PASSWORD: &str = "s3cret smtp pässword";

fn ci_mode() -> bool {
    std::env::var("REQUIRE_POSTGRES").is_ok_and(|v| v == "1" || v == "true")
}

/// A running `smtp_server.py`; killed when dropped.
struct SmtpServer {
    child: Child,
    port: u16,
    ca_file: PathBuf,
    received: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn python_with_aiosmtpd() -> Result<(), String> {
    match Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
    {
        Ok(s) if s.success() => Ok(()),
        Ok(_) => Err("python3 has no aiosmtpd module".into()),
        Err(e) => Err(format!("python3 cannot be run: {e}")),
    }
}

/// Starts the SMTP server, or returns `None` (after saying so loudly) when python3 or
/// aiosmtpd is missing outside CI.
fn start_smtp_server() -> Option<SmtpServer> {
    if let Err(why) = python_with_aiosmtpd() {
        if ci_mode() {
            panic!("REQUIRE_POSTGRES=1 (CI mode) but the SMTP test server cannot run: {why}. Install it with `python3 -m pip install aiosmtpd`.");
        }
        eprintln!("\n!!! SKIPPED this SMTP test: {why}.\n!!! Install it with `python3 -m pip install aiosmtpd`; CI (REQUIRE_POSTGRES=1) fails instead.\n");
        return None;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()])
        .expect("self-signed certificate");
    let ca_file = dir.path().join("cert.pem");
    let key_file = dir.path().join("key.pem");
    std::fs::write(&ca_file, cert.cert.pem()).unwrap();
    std::fs::write(&key_file, cert.key_pair.serialize_pem()).unwrap();
    let received = dir.path().join("received");
    std::fs::create_dir_all(&received).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/smtp_server.py");
    let mut child = Command::new("python3")
        .arg(script)
        .arg(port.to_string())
        .arg(&ca_file)
        .arg(&key_file)
        .arg(SMTP_USER)
        .arg(SMTP_PASSWORD)
        .arg(&received)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start smtp_server.py");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        let first = lines.next().and_then(Result::ok);
        let _ = tx.send(first);
        // Keep draining so the server never blocks on a full pipe.
        for _ in lines {}
    });
    let server = SmtpServer {
        child,
        port,
        ca_file,
        received,
        _dir: dir,
    };
    match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(Some(line)) if line.trim() == "READY" => Some(server),
        other => panic!("smtp_server.py did not get ready: {other:?}"),
    }
}

async fn app_sending_through(server: &SmtpServer, password: &str) -> TestApp {
    let (port, ca_file, password) = (server.port, server.ca_file.clone(), password.to_owned());
    crate::helpers::spawn_app_with(Backend::Sqlite, move |s| {
        s.email.transport = EmailTransportKind::Smtp;
        s.email.smtp.host = "localhost".into();
        s.email.smtp.port = port;
        s.email.smtp.tls = SmtpTls::Starttls;
        s.email.smtp.username = Some(SMTP_USER.into());
        s.email.smtp.password = Some(Secret::new(password));
        s.email.smtp.ca_file = Some(ca_file);
        s.email.smtp.timeout_secs = 10;
    })
    .await
    .expect("SQLite app starts")
}

fn received(dir: &Path) -> Vec<Value> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
        .collect()
}

/// Undoes quoted-printable: soft line breaks (`=` at a line end) and `=XX` escapes.
fn decode_quoted_printable(s: &str) -> String {
    let joined = s.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            if let Some(v) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn job_rows(app: &TestApp) -> Vec<db::main_db::jobs::Model> {
    use db::sea_orm::EntityTrait;
    db::main_db::jobs::Entity::find()
        .all(&app.ctx.main)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verification_email_is_delivered_over_starttls_with_auth() {
    let Some(server) = start_smtp_server() else {
        return;
    };
    let app = app_sending_through(&server, SMTP_PASSWORD).await;
    let to = "smtp-reader@example.org";
    let res = app.register(to, PASSWORD, "Smtp Reader").await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);

    let stats = app.run_jobs().await;
    assert_eq!((stats.succeeded, stats.failed), (1, 0), "{stats:?}");

    let mails = received(&server.received);
    assert_eq!(mails.len(), 1, "{mails:#?}");
    let mail = &mails[0];
    assert_eq!(mail["rcpt_tos"], serde_json::json!([to]), "{mail:#}");
    assert_eq!(mail["mail_from"], "no-reply@localhost", "{mail:#}");
    assert_eq!(mail["tls"], true, "delivered without STARTTLS: {mail:#}");
    assert_eq!(mail["authenticated_as"], SMTP_USER, "{mail:#}");
    let raw = mail["raw"].as_str().unwrap();
    assert!(raw.contains("Subject: Confirm your email address"), "{raw}");
    // The body may be quoted-printable ("=3D", soft line breaks): read it decoded.
    let (_, raw_body) = raw
        .split_once("\r\n\r\n")
        .or_else(|| raw.split_once("\n\n"))
        .expect("headers and body");
    let body = if raw
        .to_ascii_lowercase()
        .contains("content-transfer-encoding: quoted-printable")
    {
        decode_quoted_printable(raw_body)
    } else {
        raw_body.to_owned()
    };
    let text = mail["text"].as_str().unwrap();
    for b in [body.as_str(), text] {
        assert!(b.contains("/verify-email?token="), "no link in: {b}");
    }

    // The link works: the token in the delivered mail verifies the address.
    let token = crate::helpers::email::link_token(text, "verify-email").unwrap();
    let res = app
        .post(
            "/api/v1/auth/verify-email",
            serde_json::json!({ "token": token }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    app.signed_in(to, PASSWORD).await;

    let jobs = job_rows(&app).await;
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].status, db::main_db::jobs::STATUS_DONE);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_smtp_login_fails_the_job_and_keeps_it_for_retry() {
    let Some(server) = start_smtp_server() else {
        return;
    };
    let app = app_sending_through(&server, "not the password").await;
    let res = app
        .register("smtp-refused@example.org", PASSWORD, "Refused")
        .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);

    let stats = app.run_jobs().await;
    assert_eq!((stats.succeeded, stats.failed), (0, 1), "{stats:?}");
    assert!(received(&server.received).is_empty());

    let jobs = job_rows(&app).await;
    assert_eq!(jobs.len(), 1);
    let job = &jobs[0];
    assert_eq!(job.status, db::main_db::jobs::STATUS_PENDING, "{job:?}");
    assert_eq!(job.attempts, 1, "{job:?}");
    assert!(job.run_at > chrono::Utc::now(), "no backoff: {job:?}");
    let error = job.last_error.as_deref().unwrap_or_default();
    assert!(error.contains("SMTP") && error.contains("535"), "{job:?}");
    assert!(
        !error.contains("not the password"),
        "the SMTP password leaked into last_error: {error}"
    );
    // Not due again yet.
    let stats = app.run_jobs().await;
    assert_eq!((stats.succeeded, stats.failed), (0, 0));
}
