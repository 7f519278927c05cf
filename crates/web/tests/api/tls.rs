//! Direct HTTPS: with `server.tls_cert_file` and `server.tls_key_file` the app terminates
//! TLS itself, sends HSTS and marks its cookies Secure; half a TLS configuration, or
//! files that are not what they claim, stop start-up with a message naming the settings.

use crate::helpers::pages::{browser_builder, sign_in};
use crate::helpers::{test_settings, Backend, TestApp};
use reqwest::header::{SET_COOKIE, STRICT_TRANSPORT_SECURITY};
use reqwest::StatusCode;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// A self-signed certificate for `localhost` and 127.0.0.1, written as PEM files.
struct SelfSigned {
    cert_pem: String,
    cert_file: PathBuf,
    key_file: PathBuf,
    _dir: tempfile::TempDir,
}

fn self_signed() -> SelfSigned {
    let dir = tempfile::tempdir().unwrap();
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .unwrap();
    let cert_file = dir.path().join("cert.pem");
    let key_file = dir.path().join("key.pem");
    std::fs::write(&cert_file, certified.cert.pem()).unwrap();
    std::fs::write(&key_file, certified.key_pair.serialize_pem()).unwrap();
    SelfSigned {
        cert_pem: certified.cert.pem(),
        cert_file,
        key_file,
        _dir: dir,
    }
}

/// A cookie-keeping client that trusts only `cert` and reaches `localhost` on the app's
/// loopback port.
fn https_client(cert: &SelfSigned, port: u16) -> reqwest::Client {
    browser_builder()
        .add_root_certificate(reqwest::Certificate::from_pem(cert.cert_pem.as_bytes()).unwrap())
        .tls_built_in_root_certs(false)
        .resolve("localhost", SocketAddr::from(([127, 0, 0, 1], port)))
        .build()
        .unwrap()
}

async fn https_app(backend: Backend) {
    let cert = self_signed();
    let (cert_file, key_file) = (cert.cert_file.clone(), cert.key_file.clone());
    crate::helpers::run(
        backend,
        move |s| {
            s.server.tls_cert_file = Some(cert_file);
            s.server.tls_key_file = Some(key_file);
        },
        |mut app: TestApp| async move {
            // The harness's helpers then speak HTTPS too.
            app.address = format!("https://localhost:{}", app.port);
            app.client = https_client(&cert, app.port);
            serves_https(app, &cert).await
        },
    )
    .await;
}

async fn serves_https(app: TestApp, cert: &SelfSigned) {
    let res = app.get("/health/live").await;
    assert_eq!(res.status(), StatusCode::OK);
    let hsts = res
        .headers()
        .get(STRICT_TRANSPORT_SECURITY)
        .expect("HSTS on a TLS response")
        .to_str()
        .unwrap();
    assert!(hsts.contains("max-age="), "{hsts}");

    // Plain HTTP on the same port is refused rather than served.
    let plain = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{}/health/live", app.port))
        .send()
        .await;
    assert!(
        plain.map(|r| !r.status().is_success()).unwrap_or(true),
        "plain HTTP must not be served on the TLS port"
    );

    // A person signing in through the form gets Secure cookies.
    let user = app.signed_up("tls@example.org").await;
    let client = https_client(cert, app.port);
    let res = sign_in(&client, &app.address, &user.email, &user.password).await;
    let cookies: Vec<&str> = res
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    // Named `__Host-`: browsers take it only from this host, Secure, for Path=/ and with
    // no Domain, so a sibling subdomain cannot plant one.
    let session = cookies
        .iter()
        .find(|c| c.starts_with("__Host-circles_session="))
        .unwrap_or_else(|| panic!("no session cookie in {cookies:?}"));
    assert!(session.contains("; Secure"), "{session}");
    assert!(session.contains("HttpOnly"), "{session}");
    assert!(
        session.contains("Path=/;") && !session.contains("Domain"),
        "{session}"
    );
    let page = https_client(cert, app.port)
        .get(app.url("/login"))
        .send()
        .await
        .unwrap();
    let csrf = page
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("__Host-circles_csrf="))
        .expect("a __Host- CSRF cookie");
    assert!(
        csrf.contains("; Secure") && csrf.contains("Path=/;"),
        "{csrf}"
    );

    // …and the session works over HTTPS.
    let home = client.get(app.url("/home")).send().await.unwrap();
    assert_eq!(home.status(), StatusCode::OK);
    assert!(home.headers().contains_key(STRICT_TRANSPORT_SECURITY));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_sqlite() {
    https_app(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_postgres() {
    https_app(Backend::Postgres).await
}

async fn start_up_error(configure: impl FnOnce(&mut app::config::Settings)) -> String {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = test_settings(dir.path());
    configure(&mut settings);
    match web::Application::build(settings).await {
        Ok(_) => panic!("start-up should fail"),
        Err(e) => format!("{e:#}"),
    }
}

#[tokio::test]
async fn a_certificate_without_a_key_stops_start_up_naming_both_settings() {
    let cert = self_signed();
    let err = start_up_error(|s| s.server.tls_cert_file = Some(cert.cert_file.clone())).await;
    assert!(
        err.contains("server.tls_cert_file") && err.contains("server.tls_key_file"),
        "{err}"
    );
    // The same problem is reported by configuration loading.
    let mut settings = app::config::Settings::default();
    settings.server.tls_key_file = Some(cert.key_file.clone());
    let err = settings.validate().unwrap_err().to_string();
    assert!(
        err.contains("server.tls_cert_file") && err.contains("server.tls_key_file"),
        "{err}"
    );
}

#[tokio::test]
async fn unreadable_or_mismatched_files_are_named() {
    let cert = self_signed();
    let other = self_signed();
    let missing = Path::new("/nonexistent/key.pem").to_path_buf();
    let err = start_up_error(|s| {
        s.server.tls_cert_file = Some(cert.cert_file.clone());
        s.server.tls_key_file = Some(missing);
    })
    .await;
    assert!(err.contains("server.tls_key_file"), "{err}");

    // A key file that holds a certificate instead.
    let err = start_up_error(|s| {
        s.server.tls_cert_file = Some(cert.cert_file.clone());
        s.server.tls_key_file = Some(cert.cert_file.clone());
    })
    .await;
    assert!(err.contains("server.tls_key_file"), "{err}");

    // A key that belongs to another certificate.
    let err = start_up_error(|s| {
        s.server.tls_cert_file = Some(cert.cert_file.clone());
        s.server.tls_key_file = Some(other.key_file.clone());
    })
    .await;
    assert!(err.contains("does not match"), "{err}");
}
