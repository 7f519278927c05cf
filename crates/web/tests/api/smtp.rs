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
    // Plain text and simple HTML, both signed with the organisation's name.
    assert!(raw.contains("Content-Type: multipart/alternative"), "{raw}");
    let parsed = testkit::mail::parse(raw);
    let html = parsed.html.clone().expect("an HTML part");
    assert!(
        html.contains("Men&#39;s Circles") && html.contains("/verify-email?token="),
        "{html}"
    );
    assert!(parsed.body.contains("— Men's Circles"), "{}", parsed.body);
    // The body may be quoted-printable ("=3D", soft line breaks): read it decoded.
    let body = parsed.body;
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

/// The organisation's name and colour from the settings head the HTML part, escaped; the
/// plain part carries the name too (written to the outbox, as by default).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emails_carry_the_organisations_name_and_colour() {
    let app = sqlite_app_with(|s| {
        s.organisation.name = "Brothers & <Sons>".into();
        s.organisation.colour = "#123abc".into();
    })
    .await;
    let to = "outbox-reader@example.org";
    let res = app.register(to, PASSWORD, "Outbox <Reader>").await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    app.run_pending_jobs().await;
    let mails = app.emails_to(to);
    assert_eq!(mails.len(), 1, "{mails:#?}");
    let mail = &mails[0];
    let html = mail.html.as_deref().expect("an HTML part");
    assert!(html.contains("Brothers &amp; &lt;Sons&gt;"), "{html}");
    assert!(!html.contains("<Sons>"), "nothing unescaped: {html}");
    assert!(html.contains("border-top:6px solid #123abc"), "{html}");
    assert!(html.contains("/verify-email?token="), "{html}");
    assert!(mail.body.contains("— Brothers & <Sons>"), "{}", mail.body);
    assert!(mail.body.contains("/verify-email?token="));
    let raw = std::fs::read_to_string(&mail.file).unwrap();
    assert!(raw.contains("multipart/alternative"), "{raw}");
}
