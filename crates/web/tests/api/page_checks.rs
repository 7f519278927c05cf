//! Checks every page a visitor and a signed-in admin can reach against the rules all pages
//! share: nothing the Content Security Policy would block (inline scripts, event-handler
//! or style attributes), the landmarks and labels assistive technology needs, and headings
//! in order. Also checks what makes the site an installable, offline-capable app: the
//! manifest and its icons, the service worker and the offline page, and asset caching.

use crate::helpers::pages::{browser, Person};
use crate::helpers::{circle_body, local, ok_json, workshop, TestApp, User};
use reqwest::header::{
    ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_SECURITY_POLICY, CONTENT_TYPE,
    SET_COOKIE,
};
use reqwest::{Client, StatusCode};
use scraper::{ElementRef, Html, Selector};
use serde_json::{json, Value};
use std::collections::HashSet;
use uuid::Uuid;

/// Pages a visitor can open.
const VISITOR_PAGES: &[&str] = &[
    "/",
    "/register",
    "/login",
    "/forgot-password",
    "/reset-password?token=x",
    "/verify-email?token=x",
    "/check-email",
    "/check-email?email=someone%40example.org&resent=1",
    "/offline",
    "/conversation/self-test",
];

/// Pages a signed-in admin can open (`{id}` is the admin's own id, `{other}` someone
/// else's: nobody assists his own account through the support pages).
const ADMIN_PAGES: &[&str] = &[
    "/home",
    "/profile",
    "/security",
    "/admin/users",
    "/admin/users/{id}",
    "/certifications",
    "/facilitators",
    "/facilitators?expiring=1",
    "/venues",
    "/support",
    "/support/accounts/{other}",
    "/audit",
    "/audit/integrity",
    "/offline",
    "/account/devices",
    "/conversations/announce",
    "/conversation/self-test",
];

/// Circle pages, for a circle the admin runs (`{circle}`) with a member, a waiting request,
/// an invitation and a meeting that has taken place (`{meeting}`): see [`seed_circle`].
const CIRCLE_PAGES: &[&str] = &[
    "/circles",
    "/circles/new",
    "/circles/{circle}",
    "/circles/{circle}/conversation",
    "/circles/{circle}/edit",
    "/circles/{circle}/requests",
    "/circles/{circle}/invitations",
    "/circles/{circle}/co-facilitators",
    "/circles/{circle}/meetings",
    "/meetings/{meeting}/attendance",
    "/me/circles",
    "/circles/invitations/accept?token=x",
    "/circles/{circle}/health",
    "/circles/{circle}/archive",
    "/reports/circles",
];

/// Event pages, for an event the admin organises (`{event}`) with people registered and
/// waiting: see [`seed_event`].
const EVENT_PAGES: &[&str] = &[
    "/events",
    "/events?q=checked&kind=workshop",
    "/events/new",
    "/events/{event}",
    "/events/{event}/edit",
    "/events/{event}/door",
    "/events/{event}/door?q=event",
    "/me/events",
];

fn sel(s: &str) -> Selector {
    Selector::parse(s).expect("valid selector")
}

/// Everything wrong with one page, one line per problem.
fn page_problems(html: &str) -> Vec<String> {
    let doc = Html::parse_document(html);
    let mut problems = Vec::new();

    for script in doc.select(&sel("script")) {
        if script.value().attr("src").is_none_or(str::is_empty) {
            problems.push(format!("inline <script>: {}", script.html()));
        } else if !script.text().collect::<String>().trim().is_empty() {
            problems.push("<script src> with a body".into());
        }
    }
    if doc.select(&sel("style")).next().is_some() {
        problems.push("a <style> element (CSP allows only style sheets)".into());
    }
    for el in doc.select(&sel("*")) {
        for (name, _) in el.value().attrs() {
            if name.starts_with("on") {
                problems.push(format!(
                    "event-handler attribute {name} on <{}>",
                    el.value().name()
                ));
            }
            if name == "style" {
                problems.push(format!("style attribute on <{}>", el.value().name()));
            }
        }
    }

    let title: String = doc
        .select(&sel("title"))
        .next()
        .map(|t| t.text().collect())
        .unwrap_or_default();
    if title.trim().is_empty() {
        problems.push("no <title> or an empty one".into());
    }
    let lang = doc
        .select(&sel("html"))
        .next()
        .and_then(|h| h.value().attr("lang"))
        .unwrap_or("");
    if lang.trim().is_empty() {
        problems.push("<html> without lang".into());
    }
    let mains = doc.select(&sel("main")).count();
    if mains != 1 {
        problems.push(format!("{mains} <main> elements, want exactly one"));
    }

    let mut ids = HashSet::new();
    for el in doc.select(&sel("[id]")) {
        let id = el.value().attr("id").unwrap_or("");
        if !ids.insert(id.to_owned()) {
            problems.push(format!(
                "duplicate id {id:?} (labels would point at the wrong field)"
            ));
        }
    }
    let labelled: HashSet<&str> = doc
        .select(&sel("label[for]"))
        .filter_map(|l| l.value().attr("for"))
        .collect();
    for field in doc.select(&sel("input, select, textarea")) {
        let kind = field
            .value()
            .attr("type")
            .unwrap_or("")
            .to_ascii_lowercase();
        if matches!(
            kind.as_str(),
            "hidden" | "submit" | "button" | "reset" | "image"
        ) {
            continue;
        }
        if !has_label(&field, &labelled) {
            problems.push(format!("field without a label: {}", field.html()));
        }
    }

    let levels: Vec<u8> = doc
        .select(&sel("h1, h2, h3, h4, h5, h6"))
        .map(|h| h.value().name()[1..].parse().unwrap())
        .collect();
    match levels.first() {
        None => problems.push("no heading".into()),
        Some(&first) if first != 1 => problems.push(format!("first heading is h{first}, not h1")),
        _ => {}
    }
    for pair in levels.windows(2) {
        if pair[1] > pair[0] + 1 {
            problems.push(format!("heading jumps from h{} to h{}", pair[0], pair[1]));
        }
    }
    problems
}

fn has_label(field: &ElementRef, labelled: &HashSet<&str>) -> bool {
    let attr = |name| {
        field
            .value()
            .attr(name)
            .is_some_and(|v| !v.trim().is_empty())
    };
    attr("aria-label")
        || attr("aria-labelledby")
        || field
            .value()
            .attr("id")
            .is_some_and(|id| labelled.contains(id))
}

/// Fetches `path` and returns its problems (none for a good page).
async fn check_page(client: &Client, app: &TestApp, path: &str) -> Vec<String> {
    let res = client.get(app.url(path)).send().await.unwrap();
    let status = res.status();
    let mut problems = Vec::new();
    if status != StatusCode::OK {
        problems.push(format!("status {status}"));
    }
    match res
        .headers()
        .get(CONTENT_SECURITY_POLICY)
        .map(|v| v.to_str().unwrap())
    {
        None => problems.push("no Content-Security-Policy header".into()),
        Some(csp) if csp.contains("unsafe-inline") || csp.contains("unsafe-eval") => {
            problems.push(format!("CSP allows unsafe code: {csp}"))
        }
        Some(_) => {}
    }
    let is_html = res
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|v| v.to_str().unwrap().starts_with("text/html"));
    if !is_html {
        problems.push("not text/html".into());
    }
    problems.extend(page_problems(&res.text().await.unwrap()));
    problems
}

async fn every_page_follows_the_shared_rules(app: TestApp) {
    let admin = app.admin().await;
    let mut report = Vec::new();

    let visitor = browser();
    for path in VISITOR_PAGES {
        let problems = check_page(&visitor, &app, path).await;
        report.extend(problems.into_iter().map(|p| format!("visitor {path}: {p}")));
    }

    let signed_in = Person::of(&app, &admin).await.client;
    let other = app.signed_up("someone-else@example.org").await;
    for path in ADMIN_PAGES {
        let path = path
            .replace("{id}", &admin.id.to_string())
            .replace("{other}", &other.id.to_string());
        let problems = check_page(&signed_in, &app, &path).await;
        report.extend(problems.into_iter().map(|p| format!("admin {path}: {p}")));
    }

    let (circle, meeting) = seed_circle(&app, &admin).await;
    for path in CIRCLE_PAGES {
        let path = path
            .replace("{circle}", &circle)
            .replace("{meeting}", &meeting);
        let problems = check_page(&signed_in, &app, &path).await;
        report.extend(problems.into_iter().map(|p| format!("admin {path}: {p}")));
    }
    let event = seed_event(&app, &admin).await;
    for path in EVENT_PAGES {
        let path = path.replace("{event}", &event);
        let problems = check_page(&signed_in, &app, &path).await;
        report.extend(problems.into_iter().map(|p| format!("admin {path}: {p}")));
    }

    assert!(report.is_empty(), "page problems:\n{}", report.join("\n"));
}

/// A published one-seat paid workshop `admin` organises, with one person holding the seat
/// and one waiting; its id.
async fn seed_event(app: &TestApp, admin: &User) -> String {
    let mut body = workshop("Checked Workshop", 1);
    body["starts_at"] = json!(local(5, 10));
    body["ends_at"] = json!(local(5, 16));
    body["price_minor"] = json!(2500);
    body["currency"] = json!("EUR");
    body["cancellation_policy"] = json!("Any time.");
    let event = app.publish_event(admin, body).await;
    for email in ["event-seated@example.org", "event-waiting@example.org"] {
        let who = app.signed_up(email).await;
        ok_json(app.register_for(&who, &event).await).await;
    }
    event
}

/// A circle `admin` runs (as its certified facilitator: no global role leads a circle),
/// with every kind of row its pages list; its id and the id of a meeting that has taken
/// place, with attendance.
async fn seed_circle(app: &TestApp, admin: &User) -> (String, String) {
    // Leading a circle takes a current certification, which someone else records.
    let ptm = app.user_with_roles(admin, &["program_team_member"]).await;
    assert_eq!(
        app.certify(&ptm, admin.id).await.status(),
        StatusCode::CREATED
    );
    let circle = app
        .create_circle(admin, circle_body("Checked Circle", 4))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let member = app.signed_up("circle-member@example.org").await;
    let asker = app.signed_up("circle-asker@example.org").await;
    app.join(admin, &member, &circle).await;
    ok_json(app.ask_to_join(&asker, &circle).await).await;
    ok_json(app.invite(admin, &circle, "invited@example.org").await).await;
    ok_json(app.generate_meetings(admin, &circle, json!({})).await).await;
    let yesterday = chrono::Utc::now() - chrono::Duration::days(1);
    let past = ok_json(
        app.add_meeting(admin, &circle, json!({ "starts_at": yesterday }))
            .await,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let present = json!([{ "user_id": member.id, "status": "present" }]);
    ok_json(app.record_attendance(admin, &past, present).await).await;
    (circle, past)
}

/// The width and height in a PNG's header, after checking its signature.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert!(
        bytes.len() > 24 && bytes.starts_with(b"\x89PNG\r\n\x1a\n") && &bytes[12..16] == b"IHDR",
        "not a PNG"
    );
    let be = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    (be(16), be(20))
}

async fn fetch_png(app: &TestApp, src: &str) -> (u32, u32) {
    let res = app.get(src).await;
    assert_eq!(res.status(), StatusCode::OK, "{src}");
    assert_eq!(res.headers()[CONTENT_TYPE], "image/png", "{src}");
    assert!(
        res.headers()[CACHE_CONTROL]
            .to_str()
            .unwrap()
            .contains("immutable"),
        "{src} is hashed and cached for long"
    );
    png_size(&res.bytes().await.unwrap())
}

async fn the_manifest_makes_the_app_installable(app: TestApp) {
    let res = app.get("/manifest.webmanifest").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[CONTENT_TYPE], "application/manifest+json");
    let manifest: Value = res.json().await.expect("the manifest is JSON");
    assert_eq!(manifest["name"], "Men's Circles");
    assert!(!manifest["short_name"].as_str().unwrap().is_empty());
    assert_eq!(manifest["start_url"], "/home");
    assert_eq!(manifest["scope"], "/");
    assert_eq!(manifest["display"], "standalone");
    for colour in ["theme_color", "background_color"] {
        let c = manifest[colour].as_str().unwrap();
        assert!(c.starts_with('#') && c.len() == 7, "{colour} = {c}");
    }

    let icons = manifest["icons"].as_array().expect("icons");
    let mut seen = HashSet::new();
    for icon in icons {
        let src = icon["src"].as_str().unwrap();
        let sizes = icon["sizes"].as_str().unwrap();
        let purpose = icon["purpose"].as_str().unwrap_or("any");
        assert_eq!(icon["type"], "image/png");
        let (w, h) = fetch_png(&app, src).await;
        assert_eq!(format!("{w}x{h}"), sizes, "{src} is the size it claims");
        for p in purpose.split_whitespace() {
            seen.insert((p.to_owned(), sizes.to_owned()));
        }
    }
    for need in [
        ("any", "192x192"),
        ("any", "512x512"),
        ("maskable", "512x512"),
    ] {
        assert!(
            seen.contains(&(need.0.to_owned(), need.1.to_owned())),
            "no {need:?} icon in {icons:?}"
        );
    }

    // Every page links the manifest, a theme colour and the home-screen icon for iOS.
    let page = app.get("/login").await;
    let doc = Html::parse_document(&page.text().await.unwrap());
    let manifest_link = doc
        .select(&sel("link[rel=manifest]"))
        .next()
        .expect("manifest link");
    assert_eq!(
        manifest_link.value().attr("href"),
        Some("/manifest.webmanifest")
    );
    let theme = doc
        .select(&sel("meta[name=theme-color]"))
        .next()
        .expect("theme-color");
    assert_eq!(
        theme.value().attr("content"),
        manifest["theme_color"].as_str()
    );
    let apple = doc
        .select(&sel("link[rel=apple-touch-icon]"))
        .next()
        .expect("apple-touch-icon");
    assert_eq!(
        fetch_png(&app, apple.value().attr("href").unwrap()).await,
        (180, 180)
    );
}

async fn the_service_worker_and_offline_page_are_served(app: TestApp) {
    let res = app.get("/sw.js").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()[CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/javascript"));
    assert_eq!(res.headers()[CACHE_CONTROL], "no-cache");
    let source = res.text().await.unwrap();
    assert!(!source.contains("__VERSION__") && !source.contains("__ASSETS__"));

    // What it precaches exists: the offline page and the hashed assets.
    let line = source
        .lines()
        .find(|l| l.starts_with("const ASSETS = "))
        .expect("ASSETS line");
    let list = line["const ASSETS = ".len()..].trim_end_matches(';');
    let assets: Vec<String> = serde_json::from_str(list).expect("a JSON list of URLs");
    assert!(
        assets.iter().any(|a| a.ends_with(".css")) && assets.iter().any(|a| a.ends_with(".js"))
    );
    for asset in &assets {
        let res = app.get(asset).await;
        assert_eq!(res.status(), StatusCode::OK, "{asset}");
        assert!(res.headers()[CACHE_CONTROL]
            .to_str()
            .unwrap()
            .contains("immutable"));
    }

    // The offline page is the same for everyone: no cookie for the worker to store.
    let res = app.get("/offline").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().get(SET_COOKIE).is_none());
    let html = res.text().await.unwrap();
    assert!(html.contains("You are offline"));
    assert!(html.contains("data-offline-list"));

    // The dashboard and profile are marked for offline reading; pages with one-time
    // tokens, other people's data or a pending notice are not.
    let user = app.signed_up("offline@example.org").await;
    let person = Person::of(&app, &user).await;
    let home = person.get("/home").await;
    assert_eq!(home.status(), StatusCode::OK);
    assert_eq!(home.headers()["circles-offline"], "keep");
    let profile = person.get("/profile").await;
    assert_eq!(profile.headers()["circles-offline"], "keep");
    for path in [
        "/profile?done=saved",
        "/admin/users",
        "/login",
        "/security",
        "/reset-password?token=x",
        "/verify-email?token=x",
    ] {
        let res = person.get(path).await;
        assert!(res.headers().get("circles-offline").is_none(), "{path}");
    }

    // Signing out tells the browser to drop what was saved.
    let res = person.submit("/home", "/logout", &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["clear-site-data"], "\"storage\"");
}

async fn text_assets_are_compressed_and_cached_for_long(app: TestApp) {
    let page = app.get("/").await;
    let doc = Html::parse_document(&page.text().await.unwrap());
    let css = doc
        .select(&sel("link[rel=stylesheet]"))
        .next()
        .and_then(|l| l.value().attr("href"))
        .expect("a style sheet")
        .to_owned();
    let js = doc
        .select(&sel("script[src]"))
        .next()
        .and_then(|s| s.value().attr("src"))
        .expect("a script")
        .to_owned();
    for url in [
        css.as_str(),
        js.as_str(),
        "/manifest.webmanifest",
        "/sw.js",
        "/",
    ] {
        let res = app
            .client
            .get(app.url(url))
            .header(ACCEPT_ENCODING, "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{url}");
        assert_eq!(
            res.headers()
                .get(CONTENT_ENCODING)
                .map(|v| v.to_str().unwrap()),
            Some("gzip"),
            "{url} is compressed"
        );
    }
    for url in [&css, &js] {
        assert!(url.starts_with("/static/"), "{url}");
        let res = app.get(url).await;
        assert_eq!(
            res.headers()[CACHE_CONTROL],
            "public, max-age=31536000, immutable",
            "{url}"
        );
    }
}

/// An address whose id is not an id names no page: the 404 page, whatever the handler.
async fn malformed_ids_get_the_not_found_page(app: TestApp) {
    let admin = app.admin().await;
    let b = Person::of(&app, &admin).await;
    let mut paths: Vec<String> = [
        "/circles/{}",
        "/circles/{}/edit",
        "/circles/{}/meetings",
        "/circles/{}/health",
        "/events/{}",
        "/events/{}/edit",
        "/events/{}/door",
        "/events/{}/calendar.ics",
        "/meetings/{}/attendance",
        "/admin/users/{}",
        "/support/accounts/{}",
        "/users/{}/photo",
    ]
    .iter()
    .map(|p| p.replace("{}", "not-an-id"))
    .collect();
    paths.push(format!("/circles/{}/requests/12345/approve", Uuid::nil()));
    for path in &paths {
        let res = if path.ends_with("/approve") {
            b.submit("/home", path, &[]).await
        } else {
            b.get(path).await
        };
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
        let html = res.text().await.unwrap();
        assert!(html.contains("Page not found"), "{path}: {html}");
    }
}

crate::on_both_backends!(
    every_page_follows_the_shared_rules,
    the_manifest_makes_the_app_installable,
    the_service_worker_and_offline_page_are_served,
    text_assets_are_compressed_and_cached_for_long,
    malformed_ids_get_the_not_found_page,
);

#[test]
fn the_checks_catch_what_they_look_for() {
    let bad = r#"<!doctype html><html><head><title> </title><script>alert(1)</script></head>
        <body><h2>x</h2><main></main><main><h4 onclick="x()" style="color:red">y</h4>
        <input id="a" name="a"><input type="hidden" name="t"></main></body></html>"#;
    let problems = page_problems(bad).join("\n");
    for needle in [
        "inline <script>",
        "onclick",
        "style attribute",
        "<title>",
        "without lang",
        "2 <main>",
        "field without a label",
        "first heading is h2",
        "jumps from h2 to h4",
    ] {
        assert!(
            problems.contains(needle),
            "{needle} not caught in:\n{problems}"
        );
    }
    let good = r#"<!doctype html><html lang="en"><head><title>t</title><script src="/a.js"></script></head>
        <body><main><h1>a</h1><h2>b</h2><label for="e">E</label><input id="e" name="e">
        <input aria-label="Search" name="q"><button type="submit">Go</button></main></body></html>"#;
    assert_eq!(page_problems(good), Vec::<String>::new());
}
