//! Email delivery over SMTP to a real SMTP server (aiosmtpd, started by `testkit::smtp`)
//! on loopback, with STARTTLS (a self-signed certificate the app is told to trust) and AUTH.
//!
//! These run on SQLite only: delivery goes through the job queue, whose storage is covered
//! on both backends elsewhere (`ops`); the SMTP conversation does not depend on the
//! database.
//!
//! Needs `python3` with `aiosmtpd` (`python3 -m pip install aiosmtpd`). Without them the
//! tests are skipped loudly — or fail when `REQUIRE_POSTGRES=1` (CI mode).

use crate::helpers::{sqlite_app_with, TestApp, PASSWORD};
use app::config::{EmailTransportKind, Secret, SmtpTls};
use reqwest::StatusCode;
use testkit::smtp::SmtpServer;

const SMTP_USER: &str = "circles-mailer";
const SMTP_PASSWORD: &str = "s3cret smtp pässword";

async fn app_sending_through(server: &SmtpServer, password: &str) -> TestApp {
    let (port, ca_file, password) = (server.port, server.ca_file.clone(), password.to_owned());
    sqlite_app_with(move |s| {
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verification_email_is_delivered_over_starttls_with_auth() {
    let Some(server) = SmtpServer::start(SMTP_USER, SMTP_PASSWORD) else {
        return;
    };
    let app = app_sending_through(&server, SMTP_PASSWORD).await;
    let to = "smtp-reader@example.org";
    let res = app.register(to, PASSWORD, "Smtp Reader").await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);

    let stats = app.run_pending_jobs().await;
    assert_eq!((stats.succeeded, stats.failed), (1, 0), "{stats:?}");

    let mails = server.received();
    assert_eq!(mails.len(), 1, "{mails:#?}");
    let mail = &mails[0];
    assert_eq!(mail["rcpt_tos"], serde_json::json!([to]), "{mail:#}");
    assert_eq!(mail["mail_from"], "no-reply@localhost", "{mail:#}");
    assert_eq!(mail["tls"], true, "delivered without STARTTLS: {mail:#}");
    assert_eq!(mail["authenticated_as"], SMTP_USER, "{mail:#}");
    let raw = mail["raw"].as_str().unwrap();
    assert!(raw.contains("Subject: Confirm your email address"), "{raw}");
    // The body may be quoted-printable ("=3D", soft line breaks): read it decoded.
    let body = testkit::mail::parse(raw).body;
    let text = mail["text"].as_str().unwrap();
    for b in [body.as_str(), text] {
        assert!(b.contains("/verify-email?token="), "no link in: {b}");
    }

    // The link works: the token in the delivered mail verifies the address.
    let token = testkit::mail::link_token(text, "verify-email").unwrap();
    let res = app
        .post(
            "/api/v1/auth/verify-email",
            serde_json::json!({ "token": token }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    app.signed_in(to, PASSWORD).await;

    let jobs = app.jobs().await;
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].status, domain::job::JobStatus::Done);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_retried_after_a_crash_delivers_its_email_once() {
    let Some(server) = SmtpServer::start(SMTP_USER, SMTP_PASSWORD) else {
        return;
    };
    let app = app_sending_through(&server, SMTP_PASSWORD).await;
    let res = app
        .register("smtp-once@example.org", PASSWORD, "Once")
        .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let lease = app::jobs::claim(&app.ctx)
        .await
        .unwrap()
        .expect("the verification job");
    lease.run(&app.ctx).await.expect("delivered");
    assert_eq!(server.received().len(), 1);

    // Its worker dies before marking the job done; another takes it up after the lease.
    app.advance(chrono::Duration::seconds(31));
    let stats = app.run_pending_jobs().await;
    assert_eq!((stats.succeeded, stats.failed), (1, 0), "{stats:?}");
    let mails = server.received();
    assert_eq!(mails.len(), 1, "delivered twice: {mails:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_smtp_login_fails_the_job_and_keeps_it_for_retry() {
    let Some(server) = SmtpServer::start(SMTP_USER, SMTP_PASSWORD) else {
        return;
    };
    let app = app_sending_through(&server, "not the password").await;
    let res = app
        .register("smtp-refused@example.org", PASSWORD, "Refused")
        .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);

    let stats = app.run_pending_jobs().await;
    assert_eq!((stats.succeeded, stats.failed), (0, 1), "{stats:?}");
    assert!(server.received().is_empty());

    let jobs = app.jobs().await;
    assert_eq!(jobs.len(), 1);
    let job = &jobs[0];
    assert_eq!(job.status, domain::job::JobStatus::Pending, "{job:?}");
    assert_eq!(job.attempts, 1, "{job:?}");
    assert!(job.run_at > chrono::Utc::now(), "no backoff: {job:?}");
    let error = job.last_error.as_deref().unwrap_or_default();
    assert!(error.contains("SMTP") && error.contains("535"), "{job:?}");
    assert!(
        !error.contains("not the password"),
        "the SMTP password leaked into last_error: {error}"
    );
    // Not due again yet.
    let stats = app.run_pending_jobs().await;
    assert_eq!((stats.succeeded, stats.failed), (0, 0));
}
