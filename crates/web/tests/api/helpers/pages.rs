//! Driving the server-rendered pages the way a browser without JavaScript does: a client
//! that keeps cookies and does not follow redirects, the CSRF token out of a page, signing
//! in through the sign-in form, and [`Person`], one person's browser.

use super::{location, TestApp, User};
use reqwest::{Client, Response, StatusCode};

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
/// returns the answer, a redirect to the dashboard that sets the session cookie.
pub async fn sign_in(client: &Client, base: &str, email: &str, password: &str) -> Response {
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
    assert_eq!(location(&res), "/home", "POST /login for {email}");
    res
}

/// The text between `start` and the next `end` after it.
pub fn between<'a>(html: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = html.find(start)? + start.len();
    let len = html[from..].find(end)?;
    Some(&html[from..from + len])
}

/// The rows of an audit log page whose records have `classification` (`security`,
/// `administration`, `circle`), each up to its `</tr>`.
pub fn audit_rows<'a>(html: &'a str, classification: &str) -> Vec<&'a str> {
    let open = format!("<tr data-classification=\"{classification}\">");
    html.match_indices(&open)
        .map(|(i, _)| {
            let row = &html[i..];
            &row[..row.find("</tr>").unwrap_or(row.len())]
        })
        .collect()
}

/// Form fields as [`Person::submit`] takes them.
pub fn fields<'a>(v: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    v.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// The id in a path such as `/circles/<id>/edit?done=saved`, after `prefix` (`/circles/`).
pub fn id_in(path: &str, prefix: &str) -> String {
    path.trim_start_matches(prefix)
        .split(['?', '/', '#'])
        .next()
        .unwrap()
        .to_owned()
}

/// One person's cookie-keeping browser, on a device the user agent names.
pub struct Person {
    pub client: Client,
    pub base: String,
    pub user: User,
}

impl Person {
    /// `user`'s browser on `device`, not signed in yet.
    pub fn signed_out_on(app: &TestApp, user: &User, device: &str) -> Person {
        Person::with_agent(app, user, &format!("PagesTest/1.0 ({device})"))
    }

    /// `user`'s browser sending `user_agent` (a real browser's), not signed in yet.
    pub fn with_agent(app: &TestApp, user: &User, user_agent: &str) -> Person {
        let client = browser_builder()
            .user_agent(user_agent)
            .build()
            .expect("client builds");
        Person {
            client,
            base: app.address.clone(),
            user: user.clone(),
        }
    }

    /// The browser of someone with no account yet (who may register through the pages).
    pub fn visitor(app: &TestApp) -> Person {
        let nobody = User {
            id: uuid::Uuid::nil(),
            email: String::new(),
            password: String::new(),
            access_token: String::new(),
            refresh_token: String::new(),
        };
        Person::signed_out_on(app, &nobody, "phone")
    }

    /// `user`'s browser on `device`, signed in through the form.
    pub async fn signed_in_on(app: &TestApp, user: &User, device: &str) -> Person {
        let person = Person::signed_out_on(app, user, device);
        sign_in(&person.client, &person.base, &user.email, &user.password).await;
        person
    }

    /// `user`'s browser on a desktop, signed in through the form.
    pub async fn of(app: &TestApp, user: &User) -> Person {
        Person::signed_in_on(app, user, "desktop").await
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("GET sent")
    }

    /// A page that must load; its HTML.
    pub async fn page(&self, path: &str) -> String {
        let res = self.get(path).await;
        let status = res.status();
        let html = res.text().await.unwrap();
        assert_eq!(status, StatusCode::OK, "GET {path}:\n{html}");
        html
    }

    /// Sends a form of the page at `from` (whose CSRF token it uses) to `action`.
    pub async fn submit(&self, from: &str, action: &str, fields: &[(&str, &str)]) -> Response {
        let token = csrf_token(&self.page(from).await);
        let mut form = vec![("csrf_token", token.as_str())];
        form.extend_from_slice(fields);
        self.client
            .post(format!("{}{action}", self.base))
            .form(&form)
            .send()
            .await
            .expect("POST sent")
    }

    /// Submits and expects Post/Redirect/Get; returns where it led and that page.
    pub async fn submit_ok(
        &self,
        from: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> (String, String) {
        let res = self.submit(from, action, fields).await;
        let status = res.status();
        let to = location(&res);
        assert_eq!(
            status,
            StatusCode::SEE_OTHER,
            "POST {action}: {}",
            res.text().await.unwrap()
        );
        let html = self.page(&to).await;
        (to, html)
    }

    /// Sends fields read from a page (see [`form_fields`]) to `action` and expects
    /// Post/Redirect/Get; where it led.
    pub async fn send_form_ok(&self, action: &str, form: &[(String, String)]) -> String {
        let res = self
            .client
            .post(format!("{}{action}", self.base))
            .form(form)
            .send()
            .await
            .expect("POST sent");
        let status = res.status();
        let to = location(&res);
        assert_eq!(
            status,
            StatusCode::SEE_OTHER,
            "POST {action}: {}",
            res.text().await.unwrap()
        );
        to
    }

    /// Submits and expects the page again (200) with a problem on it; its HTML.
    pub async fn submit_refused(
        &self,
        from: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> String {
        let res = self.submit(from, action, fields).await;
        let status = res.status();
        let html = res.text().await.unwrap();
        assert_eq!(status, StatusCode::OK, "POST {action} re-renders:\n{html}");
        html
    }
}

/// What a browser without JavaScript sends when the form matching `form_css` in `html` is
/// submitted unchanged: named, enabled controls; ticked checkboxes; the selected option (or
/// the first) of each select. The CSRF token is among them.
pub fn form_fields(html: &str, form_css: &str) -> Vec<(String, String)> {
    use scraper::{Html, Selector};
    let doc = Html::parse_document(html);
    let form_sel = Selector::parse(form_css).expect("form selector");
    let form = doc
        .select(&form_sel)
        .next()
        .unwrap_or_else(|| panic!("no form {form_css} in page:\n{html}"));
    let controls = Selector::parse("input, select, textarea").unwrap();
    let option = Selector::parse("option").unwrap();
    let mut out = Vec::new();
    for c in form.select(&controls) {
        let el = c.value();
        let (Some(name), false) = (el.attr("name"), el.attr("disabled").is_some()) else {
            continue;
        };
        let value = match el.name() {
            "textarea" => c.text().collect::<String>(),
            "select" => {
                let options: Vec<_> = c.select(&option).collect();
                let chosen = options
                    .iter()
                    .find(|o| o.value().attr("selected").is_some())
                    .or(options.first());
                match chosen {
                    Some(o) => o
                        .value()
                        .attr("value")
                        .map_or_else(|| o.text().collect(), str::to_owned),
                    None => continue,
                }
            }
            _ => match el.attr("type").unwrap_or("text") {
                "checkbox" | "radio" if el.attr("checked").is_none() => continue,
                "submit" | "button" | "reset" | "file" => continue,
                _ => el.attr("value").unwrap_or("").to_owned(),
            },
        };
        out.push((name.to_owned(), value));
    }
    out
}
