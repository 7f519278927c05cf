//! Error answers as a browser sees them: a page in the site's layout, with the header of
//! whoever is signed in, saying what happened and what to do next; API clients keep
//! `application/problem+json`.

use crate::helpers::pages::{browser, Person};
use crate::helpers::TestApp;
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use reqwest::{Client, Method, StatusCode};

const BROWSER_ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

/// A browser's request: its status, content type and body.
async fn open(
    client: &Client,
    base: &str,
    method: Method,
    path: &str,
) -> (StatusCode, String, String) {
    let res = client
        .request(method, format!("{base}{path}"))
        .header(ACCEPT, BROWSER_ACCEPT)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let ct = res.headers()[CONTENT_TYPE].to_str().unwrap().to_owned();
    (status, ct, res.text().await.unwrap())
}

async fn browsers_get_pages_api_clients_get_problems(app: TestApp) {
    let admin = app.admin().await;
    let member_user = app.named("Jordan Lee").await;
    let member = Person::of(&app, &member_user).await;
    let visitor = browser();

    // An unknown address, signed out: a page with the visitor's header, not JSON.
    let (status, ct, html) = open(&visitor, &app.address, Method::GET, "/circle").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(ct.starts_with("text/html"), "{ct}: {html}");
    assert!(html.contains("<h1>Page not found</h1>"), "{html}");
    assert!(
        html.contains("href=\"/login\""),
        "the visitor's header: {html}"
    );
    assert!(html.contains("href=\"/\">Go to the start page"), "{html}");

    // Signed in: the same page with his navigation and the sign-out form.
    let (status, ct, html) = open(&member.client, &app.address, Method::GET, "/circle").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(ct.starts_with("text/html"));
    for part in [
        "Jordan Lee",
        "action=\"/logout\"",
        "href=\"/circles\"",
        "Go to your home page",
    ] {
        assert!(html.contains(part), "signed-in header lacks {part}: {html}");
    }
    assert!(!html.contains("href=\"/register\""), "{html}");

    // A page he may not open (403) and one that does not exist (404): his header too.
    let (status, _, html) = open(&member.client, &app.address, Method::GET, "/events/new").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        html.contains("<h1>You cannot open this page</h1>"),
        "{html}"
    );
    assert!(html.contains("action=\"/logout\""), "{html}");
    let missing = format!("/events/{}", uuid::Uuid::now_v7());
    let (status, _, html) = open(&member.client, &app.address, Method::GET, &missing).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("<h1>Page not found</h1>"), "{html}");
    assert!(html.contains("action=\"/logout\""), "{html}");
    let (status, _, html) = open(&member.client, &app.address, Method::GET, "/admin/users").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("Jordan Lee"), "{html}");

    // A method the address does not take.
    let (status, ct, html) = open(&member.client, &app.address, Method::DELETE, "/home").await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(ct.starts_with("text/html"), "{ct}");
    assert!(html.contains("<h1>That cannot be done here</h1>"), "{html}");

    // API clients keep problem documents: under /api/, or asking for JSON.
    for (path, accept) in [
        ("/api/v1/nothing-here", BROWSER_ACCEPT),
        ("/circle", "application/json"),
        ("/circle", "application/problem+json, text/html;q=0.5"),
    ] {
        let res = app
            .client
            .get(app.url(path))
            .header(ACCEPT, accept)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
        assert_eq!(
            res.headers()[CONTENT_TYPE],
            "application/problem+json",
            "{path} {accept}"
        );
    }
    let res = app
        .get_as(&admin.access_token, "/api/v1/admin/users/not-an-id")
        .await;
    assert!(res.status().is_client_error());
    assert_eq!(res.headers()[CONTENT_TYPE], "application/problem+json");
}
crate::on_both_backends!(browsers_get_pages_api_clients_get_problems);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mistyped_address_in_a_browser() {
    let app = crate::helpers::sqlite_app().await;
    let user = app.named("Jordan Lee").await;
    let Some(b) = testkit::browser::Browser::open(&app.address, testkit::browser::PHONE).await
    else {
        return;
    };
    b.goto("/circle").await;
    b.wait_for_text("main h1", "Page not found").await;
    assert!(b.has("header a[href='/login']").await);
    b.sign_in(&user.email, crate::helpers::PASSWORD).await;
    b.goto("/circle").await;
    b.wait_for_text("main h1", "Page not found").await;
    b.wait_for_text("header .who", "Jordan Lee").await;
    assert!(b.has("header nav a[href='/circles']").await);
    // The way on from here leads home.
    b.click("main a[href='/home']").await;
    b.wait_for_text("main h1", "Welcome").await;
    b.close().await;
}
