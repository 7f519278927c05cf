//! What operators rely on: health checks, metrics, request ids, security headers,
//! compression, the OpenAPI document (complete and committed), and job retries.

use crate::helpers::{problem_code, sqlite_app, TestApp, PASSWORD};
use app::config::{EmailTransportKind, Settings, SmtpTls};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// Every path under `/api/v1` the router serves.
const API_PATHS: &[&str] = &[
    "/api/v1/auth/register",
    "/api/v1/auth/login",
    "/api/v1/auth/login/mfa",
    "/api/v1/auth/refresh",
    "/api/v1/auth/logout",
    "/api/v1/auth/verify-email",
    "/api/v1/auth/resend-verification",
    "/api/v1/auth/password/forgot",
    "/api/v1/auth/password/reset",
    "/api/v1/me",
    "/api/v1/me/photo",
    "/api/v1/me/password",
    "/api/v1/me/sessions",
    "/api/v1/me/sessions/{id}",
    "/api/v1/me/mfa/totp",
    "/api/v1/me/mfa/totp/confirm",
    "/api/v1/me/mfa/totp/disable",
    "/api/v1/me/mfa/recovery-codes",
    "/api/v1/admin/users",
    "/api/v1/admin/users/{id}",
    "/api/v1/admin/users/{id}/roles/{role}",
    "/api/v1/admin/users/{id}/suspend",
    "/api/v1/admin/users/{id}/reactivate",
    "/api/v1/support/accounts",
    "/api/v1/support/accounts/{id}",
    "/api/v1/support/accounts/{id}/resend-verification",
    "/api/v1/support/accounts/{id}/unlock",
    "/api/v1/support/accounts/{id}/reset-mfa",
    "/api/v1/certifications",
    "/api/v1/users/{id}/certifications",
    "/api/v1/certifications/{id}/revoke",
    "/api/v1/facilitators",
    "/api/v1/audit",
    "/api/v1/audit/verify",
    "/api/v1/circles",
    "/api/v1/circles/{id}",
    "/api/v1/circles/{id}/members",
    "/api/v1/circles/{id}/co-facilitators",
    "/api/v1/circles/{id}/step-in",
    "/api/v1/circles/{id}/step-in/end",
    "/api/v1/circles/{id}/event-offers",
    "/api/v1/circles/{id}/event-offers/{event_id}/accept",
    "/api/v1/circles/{id}/event-offers/{event_id}/decline",
    "/api/v1/circles/{id}/co-facilitators/{user_id}/remove",
    "/api/v1/circles/{id}/join-requests",
    "/api/v1/circles/{id}/leader-devices",
    "/api/v1/circles/{id}/join-requests/{membership_id}/approve",
    "/api/v1/circles/{id}/join-requests/{membership_id}/decline",
    "/api/v1/circles/{id}/leave",
    "/api/v1/circles/{id}/members/{user_id}/remove",
    "/api/v1/circles/{id}/invitations",
    "/api/v1/circles/{id}/invitations/{invitation_id}/revoke",
    "/api/v1/circle-invitations/accept",
    "/api/v1/me/circles",
    "/api/v1/circles/{id}/meetings/generate",
    "/api/v1/circles/{id}/meetings",
    "/api/v1/meetings/{id}/move",
    "/api/v1/meetings/{id}/cancel",
    "/api/v1/meetings/{id}/attendance",
    "/api/v1/me/attendance",
    "/api/v1/meetings/{id}/rsvp",
    "/api/v1/meetings/{id}/rsvps",
    "/api/v1/me/next-meetings",
    "/api/v1/meetings/{id}/attendance/all-present",
    "/api/v1/circles/{id}/archive",
    "/api/v1/circles/{id}/health",
    "/api/v1/reports/circles",
    "/api/v1/events",
    "/api/v1/events/{id}",
    "/api/v1/events/{id}/status",
    "/api/v1/events/{id}/registrations",
    "/api/v1/events/{id}/registration/cancel",
    "/api/v1/events/{id}/registration/accept-offer",
    "/api/v1/me/registrations",
    "/api/v1/venues",
    "/api/v1/venues/{id}",
    "/api/v1/events/{id}/registrations.csv",
    "/api/v1/events/{id}/registrations/{registration_id}/note",
    "/api/v1/events/{id}/registrations/{registration_id}/move-to-front",
    "/api/v1/events/{id}/registrations/{registration_id}/check-in",
    "/api/v1/events/{id}/registrations/{registration_id}/payments",
    "/api/v1/events/{id}/registrations/{registration_id}/payment-intent",
    "/api/v1/me/payments",
    "/api/v1/me/payments/{id}",
    "/api/v1/payments/{id}",
    "/api/v1/payments/{id}/refunds",
    "/api/v1/events/{id}/registration/refund",
    // Scholarships, the fund and donations.
    "/api/v1/events/{id}/registrations/{registration_id}/scholarship",
    "/api/v1/scholarships",
    "/api/v1/scholarships/fund",
    "/api/v1/scholarships/{id}",
    "/api/v1/scholarships/{id}/grant",
    "/api/v1/scholarships/{id}/decline",
    "/api/v1/donations",
    "/api/v1/me/donations",
    "/api/v1/me/donations/card",
    // Memberships and financial reports.
    "/api/v1/membership-plans",
    "/api/v1/membership-plans/{id}",
    "/api/v1/users/{id}/memberships",
    "/api/v1/memberships",
    "/api/v1/me/membership",
    "/api/v1/me/membership/subscription",
    "/api/v1/me/membership/subscription/confirm",
    "/api/v1/membership-subscriptions/{id}/cancel",
    "/api/v1/reports/finance",
    "/api/v1/events/{id}/counts",
    "/api/v1/events/{id}/calendar.ics",
    "/api/v1/me/calendar-feed",
    // The circle's end-to-end encrypted conversation.
    "/api/v1/me/conversation-identity",
    "/api/v1/me/conversation-identity/backup",
    "/api/v1/me/conversation-identity/reset",
    "/api/v1/me/devices",
    "/api/v1/me/devices/{id}",
    "/api/v1/me/devices/{id}/approval",
    "/api/v1/me/key-archive",
    "/api/v1/me/conversations",
    "/api/v1/circles/{id}/conversation",
    "/api/v1/circles/{id}/conversation/roster",
    "/api/v1/circles/{id}/conversation/epochs",
    "/api/v1/circles/{id}/conversation/envelopes",
    "/api/v1/circles/{id}/conversation/messages",
    "/api/v1/circles/{id}/conversation/messages/{seq}",
    "/api/v1/circles/{id}/conversation/messages/{seq}/pin",
    "/api/v1/circles/{id}/conversation/settings",
    "/api/v1/circles/{id}/conversation/mute",
    "/api/v1/circles/{id}/conversation/read",
    "/api/v1/meetings/{id}/note/sealed",
];

fn header(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
}

async fn live_and_ready(app: TestApp) {
    let res = app.get("/health/live").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({ "status": "ok" })
    );

    let res = app.get("/health/ready").await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ok", "{body}");
    for check in ["main_database", "credentials_database", "rate_limiter"] {
        assert_eq!(body["checks"][check], "ok", "{check}: {body}");
    }
}

/// `/metrics` is served only to the scraper holding this token.
const METRICS_TOKEN: &str = "scraper-token-for-the-ops-tests";

fn with_metrics_token(s: &mut Settings) {
    s.metrics.token = Some(app::config::Secret::new(METRICS_TOKEN));
}

async fn metrics_count_requests_and_show_the_job_queue(app: TestApp) {
    // A route with a path parameter is counted under its template, not the raw path.
    let res = app.get("/health/live").await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app
        .register("metrics@example.org", PASSWORD, "Metrics")
        .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);

    let res = app
        .call(Method::GET, "/metrics", Some(METRICS_TOKEN), None)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(header(&res, "content-type")
        .unwrap()
        .starts_with("text/plain"));
    let text = res.text().await.unwrap();
    let counted = |path: &str, status: &str| {
        text.lines().any(|l| {
            l.starts_with("http_requests_total{")
                && l.contains(&format!("path=\"{path}\""))
                && l.contains(&format!("status=\"{status}\""))
        })
    };
    assert!(counted("/health/live", "200"), "{text}");
    assert!(counted("/api/v1/auth/register", "202"), "{text}");
    assert!(
        text.lines().any(|l| l.starts_with("circles_jobs_pending")),
        "{text}"
    );
    assert!(
        text.contains("# TYPE http_requests_total counter"),
        "{text}"
    );
}

async fn request_ids_are_issued_and_echoed(app: TestApp) {
    let res = app.get("/health/live").await;
    let issued = header(&res, "x-request-id").expect("x-request-id issued");
    assert!(uuid::Uuid::parse_str(&issued).is_ok(), "{issued}");
    let res = app.get("/health/live").await;
    assert_ne!(header(&res, "x-request-id").unwrap(), issued, "ids repeat");

    let mine = "req-test-1234";
    let res = app
        .client
        .get(app.url("/health/live"))
        .header("x-request-id", mine)
        .send()
        .await
        .unwrap();
    assert_eq!(header(&res, "x-request-id").as_deref(), Some(mine));

    // Problem documents quote the same id, generated or supplied.
    let res = app
        .client
        .get(app.url("/api/v1/me"))
        .header("x-request-id", mine)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(header(&res, "x-request-id").as_deref(), Some(mine));
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["request_id"], mine, "{body}");

    let res = app.get("/api/v1/nowhere").await;
    let id = header(&res, "x-request-id").expect("x-request-id on a 404");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["request_id"], id.as_str(), "{body}");
}

/// Security headers on every kind of response: JSON, problem, text, 404, 405.
async fn assert_security_headers(app: &TestApp, hsts: bool) {
    let user = app.signed_up("headers@example.org").await;
    let responses = vec![
        app.get("/health/live").await,
        app.get("/health/ready").await,
        app.get("/metrics").await,
        app.get("/api/openapi.json").await,
        app.get_as(&user.access_token, "/api/v1/me").await,
        app.get("/api/v1/me").await,
        app.get("/nowhere").await,
        app.call(Method::DELETE, "/api/v1/auth/login", None, None)
            .await,
        app.post("/api/v1/auth/login", json!({ "email": 5 })).await,
    ];
    for res in responses {
        let what = format!("{} {}", res.status(), res.url().path());
        assert!(header(&res, "x-request-id").is_some(), "{what}");
        assert_eq!(
            header(&res, "x-content-type-options").as_deref(),
            Some("nosniff"),
            "{what}"
        );
        assert_eq!(
            header(&res, "x-frame-options").as_deref(),
            Some("DENY"),
            "{what}"
        );
        assert!(header(&res, "referrer-policy").is_some(), "{what}");
        let csp = header(&res, "content-security-policy").expect("CSP");
        assert!(!csp.contains("unsafe-inline"), "{what}: {csp}");
        assert!(!csp.contains("unsafe-eval"), "{what}: {csp}");
        assert!(csp.contains("default-src 'self'"), "{what}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
        let sts = header(&res, "strict-transport-security");
        if hsts {
            let sts = sts.unwrap_or_else(|| panic!("no HSTS under https: {what}"));
            assert!(sts.contains("max-age="), "{what}: {sts}");
        } else {
            assert_eq!(sts, None, "HSTS over plain http: {what}");
        }
    }
}

async fn security_headers_without_hsts_over_http(app: TestApp) {
    assert!(app.ctx.settings.server.public_url.starts_with("http://"));
    assert_security_headers(&app, false).await;
}

fn behind_https(s: &mut Settings) {
    s.server.public_url = "https://circles.example.org".into();
}

async fn security_headers_with_hsts_over_https(app: TestApp) {
    assert_security_headers(&app, true).await;
}

async fn responses_are_gzipped_when_asked(app: TestApp) {
    let plain = app.get("/api/openapi.json").await;
    assert_eq!(header(&plain, "content-encoding"), None);
    let plain_len = plain.bytes().await.unwrap().len();

    let res = app
        .client
        .get(app.url("/api/openapi.json"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(header(&res, "content-encoding").as_deref(), Some("gzip"));
    let bytes = res.bytes().await.unwrap();
    assert_eq!(&bytes[..2], &[0x1f, 0x8b], "not gzip data");
    assert!(
        bytes.len() < plain_len / 2,
        "{} of {plain_len} bytes",
        bytes.len()
    );
}

async fn openapi_documents_every_api_route(app: TestApp) {
    let res = app.get("/api/openapi.json").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(header(&res, "content-type")
        .unwrap()
        .starts_with("application/json"));
    let doc: Value = res.json().await.expect("valid JSON");
    assert!(
        doc["openapi"]
            .as_str()
            .unwrap_or_default()
            .starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    let paths = doc["paths"].as_object().expect("paths");
    let missing: Vec<_> = API_PATHS
        .iter()
        .filter(|p| !paths.contains_key(**p))
        .collect();
    assert!(missing.is_empty(), "undocumented: {missing:?}");
    let unexpected: Vec<_> = paths
        .keys()
        .filter(|p| !API_PATHS.contains(&p.as_str()))
        .collect();
    assert!(
        unexpected.is_empty(),
        "documented but not in this test's list (add them here): {unexpected:?}"
    );

    // And each documented operation is really served: anonymous calls are refused or
    // questioned, never "no such route" or "wrong method".
    let some_id = uuid::Uuid::now_v7().to_string();
    for (path, item) in paths {
        let concrete = path.replace("{id}", &some_id).replace("{role}", "member");
        for (method, op) in item.as_object().unwrap() {
            let Ok(m) = Method::from_bytes(method.to_uppercase().as_bytes()) else {
                continue;
            };
            if !["GET", "POST", "PUT", "PATCH", "DELETE"].contains(&m.as_str()) {
                continue;
            }
            assert!(op["responses"].is_object(), "{method} {path}: no responses");
            let res = app.call(m.clone(), &concrete, None, None).await;
            let status = res.status();
            assert!(
                status != StatusCode::NOT_FOUND && status != StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path} is documented but answers {status}"
            );
            assert!(status.is_client_error(), "{method} {path}: {status}");
            problem_code(res).await;
        }
    }
}

/// The served OpenAPI document equals the committed `docs/openapi.json`. Run with
/// `UPDATE_OPENAPI=1` to rewrite the file after changing the API. SQLite only: the
/// document does not depend on the database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn committed_openapi_document_is_up_to_date() {
    let app = sqlite_app().await;
    let res = app.get("/api/openapi.json").await;
    assert_eq!(res.status(), StatusCode::OK);
    let served: Value = res.json().await.unwrap();
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.json");
    let pretty = serde_json::to_string_pretty(&served).unwrap() + "\n";
    if std::env::var("UPDATE_OPENAPI").is_ok_and(|v| v == "1") {
        std::fs::write(file, pretty).expect("write docs/openapi.json");
        return;
    }
    let committed = std::fs::read_to_string(file).unwrap_or_default();
    let committed: Value = serde_json::from_str(&committed).unwrap_or(Value::Null);
    assert!(
        committed == served,
        "docs/openapi.json is out of date with the served document; regenerate it with \
         `UPDATE_OPENAPI=1 cargo test -p web --test api ops::committed_openapi_document_is_up_to_date`"
    );
}

fn smtp_to_a_closed_port(s: &mut Settings) {
    s.email.transport = EmailTransportKind::Smtp;
    s.email.smtp.host = "127.0.0.1".into();
    s.email.smtp.port = 1;
    s.email.smtp.tls = SmtpTls::None;
    s.email.smtp.timeout_secs = 2;
    with_metrics_token(s);
}

async fn a_failing_job_waits_for_its_retry(app: TestApp) {
    use domain::job::JobStatus;
    let res = app.register("retry@example.org", PASSWORD, "Retry").await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);

    let before = chrono::Utc::now();
    let stats = app.run_pending_jobs().await;
    assert_eq!((stats.succeeded, stats.failed), (0, 1), "{stats:?}");

    let rows = app.jobs().await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    let job = &rows[0];
    assert_eq!(job.kind, "send_verification_email");
    assert_eq!(job.status, JobStatus::Pending, "{job:?}");
    assert_eq!(job.attempts, 1, "{job:?}");
    assert!(
        job.last_error
            .as_deref()
            .is_some_and(|e| e.contains("SMTP")),
        "{job:?}"
    );
    assert!(job.run_at > before, "not pushed back: {job:?}");
    assert!(
        job.run_at > chrono::Utc::now(),
        "due again at once: {job:?}"
    );
    assert_eq!(job.locked_until, None, "still leased: {job:?}");

    // Not due yet: the next pass leaves it alone.
    let stats = app.run_pending_jobs().await;
    assert_eq!((stats.succeeded, stats.failed), (0, 0), "{stats:?}");
    let rows = app.jobs().await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].attempts, 1);

    // The queue depth shows it.
    let text = app
        .call(Method::GET, "/metrics", Some(METRICS_TOKEN), None)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        text.lines().any(|l| l.starts_with("circles_jobs_pending")),
        "{text}"
    );
}

crate::on_both_backends!(
    live_and_ready,
    request_ids_are_issued_and_echoed,
    security_headers_without_hsts_over_http,
    responses_are_gzipped_when_asked,
    openapi_documents_every_api_route,
);
crate::on_both_backends_with!(behind_https => security_headers_with_hsts_over_https);
crate::on_both_backends_with!(with_metrics_token => metrics_count_requests_and_show_the_job_queue);
crate::on_both_backends_with!(smtp_to_a_closed_port => a_failing_job_waits_for_its_retry);
