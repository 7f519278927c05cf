//! Helpers for driving the server-rendered pages the way a browser without JavaScript
//! does: a client that keeps cookies and does not follow redirects, the CSRF token out of
//! a page, and signing in through the sign-in form.

use reqwest::{Client, StatusCode};

/// A browser-like client: keeps cookies, shows redirects instead of following them.
pub fn browser() -> Client {
    browser_builder().build().expect("client builds")
}

/// The builder behind [`browser`], for tests that need more (a trusted certificate).
pub fn browser_builder() -> reqwest::ClientBuilder {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
}

/// The value of the first `csrf_token` hidden input in `html`.
pub fn csrf_token(html: &str) -> String {
    let at = html
        .find("name=\"csrf_token\"")
        .unwrap_or_else(|| panic!("no csrf_token field in page:\n{html}"));
    let rest = &html[at..];
    let start = rest.find("value=\"").expect("csrf_token has a value") + "value=\"".len();
    let end = rest[start..].find('"').expect("value is quoted");
    rest[start..start + end].to_owned()
}

/// Signs `email` in through the sign-in form at `base` (e.g. `http://127.0.0.1:1234`);
/// returns the sign-in response (a redirect that sets the session cookie).
pub async fn sign_in(
    client: &Client,
    base: &str,
    email: &str,
    password: &str,
) -> reqwest::Response {
    let page = client
        .get(format!("{base}/login"))
        .send()
        .await
        .expect("sign-in page loads");
    assert_eq!(page.status(), StatusCode::OK, "GET /login");
    let token = csrf_token(&page.text().await.unwrap());
    let res = client
        .post(format!("{base}/login"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", email),
            ("password", password),
            ("next", "/home"),
        ])
        .send()
        .await
        .expect("sign-in form sent");
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "POST /login for {email}"
    );
    res
}
