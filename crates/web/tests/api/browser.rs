//! The pages in a real browser: headless Chromium driven through ChromeDriver against the
//! real server. These check what HTTP-level tests cannot: that the forms, links, buttons
//! and the small script behave for a person, and how heavy the pages are on a cold load.
//! They also leave screenshots in `test-artifacts/screenshots/`.

use crate::helpers::{next_code, sqlite_app, totp_for, unique_email, TestApp, PASSWORD};
use testkit::browser::{Browser, Viewport, DESKTOP, PHONE};

// --- 1. Register, confirm the address, sign in ---------------------------------------

async fn register_confirm_and_sign_in(app: TestApp) {
    let Some(b) = Browser::open(&app.address, DESKTOP).await else {
        return;
    };
    let email = unique_email("sam");

    b.goto("/").await;
    b.click("a.button[href='/register']").await;
    b.wait_for_text("main h1", "Create your account").await;
    b.fill("#display_name", "Sam Rivera").await;
    b.fill("#email", &email).await;
    b.fill("#password", PASSWORD).await;
    b.click("form[action='/register'] button[type=submit]")
        .await;

    b.wait_for_text("main h1", "Check your email").await;
    assert!(b.text("main").await.contains(&email));

    // The link from the email opens a page with a button (scanners must not use it up).
    let token = app.token_from_email(&email, "verify-email").await;
    b.goto(&format!("/verify-email?token={token}")).await;
    b.click("form[action='/verify-email'] button[type=submit]")
        .await;
    b.wait_for_text("main [role=status]", "Your email address is confirmed")
        .await;

    b.click("main a.button[href='/login']").await;
    b.wait_for_text("main h1", "Sign in").await;
    b.fill("#email", &email).await;
    b.fill("#password", PASSWORD).await;
    b.click("form[action='/login'] button[type=submit]").await;

    b.wait_for_text("main h1", "Welcome, Sam Rivera").await;
    assert_eq!(b.path().await, "/home");
    assert_eq!(b.text("header .who").await, "Sam Rivera");
    b.close().await;
}

crate::on_both_backends!(register_confirm_and_sign_in);

// --- Installable: Chromium's own installability rules --------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_considers_the_app_installable() {
    let app = sqlite_app().await;
    let Some(b) = Browser::open(&app.address, DESKTOP).await else {
        return;
    };
    b.goto("/").await;
    // The browser fetches the manifest and registers the service worker after the load.
    let mut report = serde_json::Value::Null;
    for _ in 0..40 {
        report = b
            .cdp("Page.getInstallabilityErrors", serde_json::json!({}))
            .await;
        if report["installabilityErrors"]
            .as_array()
            .is_some_and(|e| e.is_empty())
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert_eq!(
        report["installabilityErrors"],
        serde_json::json!([]),
        "Chromium's installability errors: {report}"
    );
    let manifest = b.cdp("Page.getAppManifest", serde_json::json!({})).await;
    assert_eq!(
        manifest["errors"],
        serde_json::json!([]),
        "manifest errors: {manifest}"
    );
    assert!(
        manifest["url"]
            .as_str()
            .is_some_and(|u| u.ends_with("/manifest.webmanifest")),
        "{manifest}"
    );
    b.close().await;
}

// --- 2. Two-step verification: turn it on, then sign in with a code -----------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn turning_on_two_step_verification_then_signing_in_with_a_code() {
    let app = sqlite_app().await;
    let user = app.signed_up(&unique_email("mfa")).await;
    let Some(b) = Browser::open(&app.address, PHONE).await else {
        return;
    };
    b.sign_in(&user.email, PASSWORD).await;

    b.goto("/security").await;
    b.click("form[action='/security/mfa/start'] button[type=submit]")
        .await;
    let secret = b.text("#totp-secret").await;
    assert!(b.has("img.qr").await, "no QR code next to the key");
    let totp = totp_for(&secret);
    b.fill("#setup_code", &totp.generate_current().unwrap())
        .await;
    b.click("form[action='/security/mfa/confirm'] button[type=submit]")
        .await;
    b.wait_for_text("#mfa", "Two-step verification is on").await;
    let codes = b.count("ol.codes li").await;
    assert!(codes >= 8, "{codes} recovery codes shown");

    b.click("header form.signout button[type=submit]").await;
    b.wait_for_text("header nav", "Sign in").await;
    assert!(!b.has("header .who").await, "still signed in");

    b.goto("/login").await;
    b.fill("#email", &user.email).await;
    b.fill("#password", PASSWORD).await;
    b.click("form[action='/login'] button[type=submit]").await;
    b.wait_for_text("main h1", "Two-step verification").await;
    // The next step's code: the one used to turn it on may not be replayed.
    b.fill("#code", &next_code(&totp)).await;
    b.click("form[action='/login/mfa'] button[type=submit]")
        .await;
    b.wait_for_text("main h1", "Welcome, Test Person").await;
    b.wait_for_text("main .facts", "On").await;
    b.close().await;
}

// --- 3. An admin grants a role; the person's navigation follows ---------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_granted_by_an_admin_shows_in_the_persons_navigation() {
    let app = sqlite_app().await;
    let admin_email = unique_email("admin");
    app.create_admin(&admin_email, "Alex Admin").await;
    let member = app.signed_up(&unique_email("helper")).await;

    let Some(person) = Browser::open(&app.address, PHONE).await else {
        return;
    };
    person.sign_in(&member.email, PASSWORD).await;
    assert!(!person.text("header nav").await.contains("Support"));

    let Some(admin) = Browser::open(&app.address, DESKTOP).await else {
        return;
    };
    admin.sign_in(&admin_email, PASSWORD).await;
    admin.click("header nav .nav-more > summary").await;
    admin.click("header nav a[href='/admin/users']").await;
    admin
        .click(&format!("main a[href='/admin/users/{}']", member.id))
        .await;
    admin.wait_for_text("main h1", "Test Person").await;
    admin
        .click(&format!(
            "form[action='/admin/users/{}/roles/support/grant'] button[type=submit]",
            member.id
        ))
        .await;
    // The role now has a Remove button instead.
    admin
        .find(&format!(
            "form[action='/admin/users/{}/roles/support/remove']",
            member.id
        ))
        .await;
    admin.close().await;

    person.client.refresh().await.expect("reload");
    // The role's link sits in the More menu.
    person.wait_for_text("header nav", "More").await;
    person.click("header nav .nav-more > summary").await;
    person.wait_for_text("header nav", "Support").await;
    person.click("header nav a[href='/support']").await;
    person.wait_for_text("main h1", "Account support").await;
    person.close().await;
}

// --- 4. Form errors keep what was typed; the script checks before sending ---------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_error_keeps_the_input_and_the_server_checks_every_field() {
    let app = sqlite_app().await;
    let Some(b) = Browser::open(&app.address, PHONE).await else {
        return;
    };

    // The server refuses an address the browser's own check lets through.
    b.goto("/register").await;
    b.fill("#display_name", "Jamie Fox").await;
    b.fill("#email", "jamie@localhost").await;
    b.fill("#password", PASSWORD).await;
    b.click("form[action='/register'] button[type=submit]")
        .await;
    let error = b.text("#email-error").await;
    assert!(!error.is_empty(), "no message next to the email field");
    // The message sits in the email field's block and is announced with it.
    assert!(b.has(".field.invalid #email-error").await);
    let described = b
        .find("#email")
        .await
        .attr("aria-describedby")
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(described.contains("email-error"), "{described}");
    assert_eq!(b.value("#display_name").await, "Jamie Fox");
    assert_eq!(b.value("#email").await, "jamie@localhost");
    // Passwords are never sent back to the page.
    assert_eq!(b.value("#password").await, "");
    // Only the email is at fault.
    assert!(!b.has("#display_name-error").await);

    // Leaving a field checks it without a round trip (a mark left on the page survives);
    // submitting then goes to the server.
    b.goto("/register").await;
    b.script("window.stillHere = true; return null;").await;
    b.fill("#email", "not an address").await;
    // Leaving the field checks it.
    b.click("#display_name").await;
    b.wait_for_text("#email-error", "email address").await;
    assert_eq!(
        b.find("#email-error")
            .await
            .attr("data-client")
            .await
            .unwrap(),
        Some("1".into())
    );
    // Submitting with a required field empty is not stopped: the server checks every
    // field and its message (not the script's) stands by the field.
    b.fill("#email", "jamie@example.org").await;
    b.click("form[action='/register'] button[type=submit]")
        .await;
    b.wait_for_text(
        "#display_name-error",
        "Enter the name other members will see",
    )
    .await;
    assert!(!b.has("#display_name-error[data-client]").await);
    assert!(
        !b.has("#email-error").await,
        "a corrected field keeps no stale message"
    );
    assert_eq!(
        b.find("#email")
            .await
            .attr("aria-describedby")
            .await
            .unwrap(),
        None,
        "a corrected field points at no removed message"
    );
    assert_eq!(
        b.find("#display_name")
            .await
            .attr("aria-describedby")
            .await
            .unwrap()
            .as_deref(),
        Some("display_name-error display_name-hint"),
        "the message and the hint are both announced"
    );
    assert_eq!(
        b.script("return window.stillHere === true;").await,
        false,
        "the form went to the server"
    );
    assert_eq!(b.path().await, "/register");
    // Focus goes to the first field to fix.
    assert_eq!(
        b.script("return document.activeElement.id;").await,
        "display_name"
    );
    b.close().await;
}

// --- Page weight and first contentful paint ----------------------------------------------

/// What a cold load of the dashboard costs: bytes over the wire and first contentful paint.
struct ColdLoad {
    bytes: u64,
    fcp_ms: f64,
    resources: Vec<String>,
}

/// Signs a new member in through the form, then loads the dashboard in a second browser
/// with a fresh profile (empty cache) carrying only the session cookie.
async fn cold_dashboard_load(app: &TestApp, user_email: &str) -> Option<ColdLoad> {
    let warm = Browser::open(&app.address, DESKTOP).await?;
    warm.sign_in(user_email, PASSWORD).await;
    let session = warm
        .client
        .get_named_cookie("circles_session")
        .await
        .expect("session cookie");
    warm.close().await;

    let cold = Browser::open(&app.address, DESKTOP).await?;
    // Cookies can only be set on a page of the site; a missing asset is a bare 404 that
    // loads nothing else.
    cold.goto("/static/none").await;
    cold.client.add_cookie(session).await.expect("add cookie");
    cold.goto("/home").await;
    cold.wait_for_text("main h1", "Welcome").await;
    // The manifest and its icon are fetched after the load event: wait until nothing more
    // is coming, so the sum covers everything the page asks for.
    let settled = "return document.readyState === 'complete' \
        ? performance.getEntriesByType('resource').length : -1;";
    let mut seen = cold.script(settled).await;
    for _ in 0..20 {
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        let now = cold.script(settled).await;
        if now == seen && now != -1 {
            break;
        }
        seen = now;
    }
    let measured = cold
        .script(
            r#"
            const nav = performance.getEntriesByType('navigation')[0];
            const resources = performance.getEntriesByType('resource');
            const fcp = performance.getEntriesByName('first-contentful-paint')[0];
            return {
                bytes: nav.transferSize + resources.reduce((sum, r) => sum + r.transferSize, 0),
                fcp: fcp ? fcp.startTime : null,
                resources: resources.map(r => r.name + ' ' + r.transferSize),
            };
            "#,
        )
        .await;
    cold.close().await;
    Some(ColdLoad {
        bytes: measured["bytes"].as_u64().expect("bytes"),
        fcp_ms: measured["fcp"].as_f64().expect("a first contentful paint"),
        resources: measured["resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap().to_owned())
            .collect(),
    })
}

/// The budget is in bytes, which do not vary between runs; the paint time is printed, not
/// asserted (timings belong to benchmarks: see `scripts/measure-fcp.sh`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_weighs_under_100_kb_on_a_cold_load() {
    let app = sqlite_app().await;
    let user = app.signed_up(&unique_email("weight")).await;
    let Some(load) = cold_dashboard_load(&app, &user.email).await else {
        return;
    };
    println!(
        "cold dashboard load: {} bytes transferred, first contentful paint {:.0} ms\n  {}",
        load.bytes,
        load.fcp_ms,
        load.resources.join("\n  ")
    );
    assert!(load.bytes > 0, "nothing measured");
    assert!(
        load.bytes < 100 * 1024,
        "the dashboard transfers {} bytes on a cold load (budget 100 KB): {:#?}",
        load.bytes,
        load.resources
    );
}

/// Cold loads of the dashboard, for `scripts/measure-fcp.sh` (run by hand, in release).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement, run by scripts/measure-fcp.sh"]
async fn measure_dashboard_first_contentful_paint() {
    let runs: usize = std::env::var("FCP_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(7);
    let app = sqlite_app().await;
    let user = app.signed_up(&unique_email("fcp")).await;
    let mut fcps = Vec::new();
    let mut bytes = 0;
    for _ in 0..runs {
        let Some(load) = cold_dashboard_load(&app, &user.email).await else {
            return;
        };
        fcps.push(load.fcp_ms);
        bytes = load.bytes;
    }
    fcps.sort_by(f64::total_cmp);
    println!(
        "FCP over {runs} cold loads of /home: min {:.0} ms, median {:.0} ms, max {:.0} ms; {bytes} bytes transferred",
        fcps[0],
        fcps[fcps.len() / 2],
        fcps[fcps.len() - 1]
    );
}

// --- Screenshots --------------------------------------------------------------------------

/// The main pages at a phone and a desktop size, for people reviewing the design.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn screenshots_of_the_main_pages() {
    let app = sqlite_app().await;
    // Plain addresses: each test has databases of its own, and these end up in the docs.
    let email = "sam@example.org";
    app.create_admin(email, "Sam Rivera").await;
    for (who, name) in [("jordan", "Jordan Lee"), ("ali", "Ali Haddad")] {
        let e = format!("{who}@example.org");
        app.register(&e, PASSWORD, name).await;
        app.confirm_email_of(&e).await;
    }
    for viewport in [PHONE, DESKTOP] {
        shoot(&app, email, viewport).await;
    }
}

async fn shoot(app: &TestApp, admin_email: &str, viewport: Viewport) {
    let Some(b) = Browser::open(&app.address, viewport).await else {
        return;
    };
    for (path, name) in [
        ("/", "landing"),
        ("/register", "register"),
        ("/login", "login"),
    ] {
        b.goto(path).await;
        b.screenshot(name, viewport).await;
    }
    b.sign_in(admin_email, PASSWORD).await;
    b.screenshot("dashboard", viewport).await;
    for (path, name) in [("/security", "security"), ("/admin/users", "admin-users")] {
        b.goto(path).await;
        b.screenshot(name, viewport).await;
    }
    b.close().await;
}
