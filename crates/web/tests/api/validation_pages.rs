//! Forms show every problem at once, on the first submit, with and without JavaScript:
//! the server's messages are the truth, and the page's own hints neither hide them nor
//! stop the form from being sent.

use crate::helpers::pages::{browser, csrf_token, Person};
use crate::helpers::{circle_body, TestApp};
use testkit::browser::{Browser, DESKTOP};

/// Asserts that `html` carries a server message next to each of `fields`.
fn shows_all(html: &str, fields: &[&str]) {
    for f in fields {
        assert!(
            html.contains(&format!("id=\"{f}-error\"")),
            "no message next to {f}:\n{html}"
        );
    }
}

async fn every_problem_at_once_without_javascript(app: TestApp) {
    let admin = app.admin().await;
    let ptm = Person::of(
        &app,
        &app.user_with_roles(&admin, &["program_team_member"]).await,
    )
    .await;
    let fac_user = app.facilitator(&admin, "Sam Reed").await;
    let fac = Person::of(&app, &fac_user).await;

    // An event: seats the page cannot read, and a title the rules refuse.
    let html = ptm
        .submit_refused(
            "/events/new",
            "/events/new",
            &[
                ("kind", "workshop"),
                ("title", "ab"),
                ("audience", "everyone"),
                ("capacity", "lots"),
                ("time_zone", "Europe/Berlin"),
                ("currency", "EUR"),
            ],
        )
        .await;
    shows_all(&html, &["capacity", "title", "starts_at"]);

    // A circle: the same.
    let html = fac
        .submit_refused(
            "/circles/new",
            "/circles/new",
            &[
                ("name", ""),
                ("capacity", "many"),
                ("duration_minutes", "120"),
            ],
        )
        .await;
    shows_all(&html, &["capacity", "name"]);

    // A meeting: a date and a length that cannot be read, both at once.
    let id = app
        .create_circle(&fac_user, circle_body("Tuesday Men", 8))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let meetings = format!("/circles/{id}/meetings");
    let html = fac
        .submit_refused(
            &meetings,
            &format!("{meetings}/add"),
            &[
                ("date", "someday"),
                ("time", "19:30"),
                ("duration_minutes", "long"),
                ("note", ""),
            ],
        )
        .await;
    shows_all(&html, &["date", "duration_minutes"]);

    // Registering: every field at once.
    let visitor = browser();
    let page = visitor.get(app.url("/register")).send().await.unwrap();
    let token = csrf_token(&page.text().await.unwrap());
    let res = visitor
        .post(app.url("/register"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("display_name", ""),
            ("email", "not an address"),
            ("password", "short"),
        ])
        .send()
        .await
        .unwrap();
    shows_all(
        &res.text().await.unwrap(),
        &["display_name", "email", "password"],
    );
}
crate::on_both_backends!(every_problem_at_once_without_javascript);

/// How many messages the server wrote on the page (the page's own hints are marked).
async fn server_messages(b: &Browser) -> u64 {
    b.script("return document.querySelectorAll('p.error:not([data-client])').length;")
        .await
        .as_u64()
        .unwrap()
}

/// Waits until the server's answer, with at least `n` messages, is on screen.
async fn wait_for_server_messages(b: &Browser, n: u64) {
    for _ in 0..200 {
        if server_messages(b).await >= n {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the server's messages never showed on {}", b.path().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_problem_at_once_in_a_browser() {
    let app = crate::helpers::sqlite_app().await;
    let admin = app.admin().await;
    let ptm = app.user_with_roles(&admin, &["program_team_member"]).await;
    let Some(b) = Browser::open(&app.address, DESKTOP).await else {
        return;
    };

    // Registering with an empty name, a bad address and a short password: the first
    // submit reaches the server, which names all three.
    b.goto("/register").await;
    b.fill("#email", "not an address").await;
    b.fill("#password", "short").await;
    b.click("form[action='/register'] button[type=submit]")
        .await;
    wait_for_server_messages(&b, 3).await;
    assert_eq!(server_messages(&b).await, 3);
    for id in ["display_name", "email", "password"] {
        assert!(
            b.has(&format!("#{id}-error:not([data-client])")).await,
            "{id}"
        );
    }
    // Leaving a corrected field does not take the server's message away.
    b.fill("#display_name", "Kim Novak").await;
    b.click("#email").await;
    assert!(b.has("#display_name-error").await);

    // Creating an event with required fields empty and a too-short title.
    b.sign_in(&ptm.email, crate::helpers::PASSWORD).await;
    b.goto("/events/new").await;
    b.fill("#title", "ab").await;
    b.set_value("capacity", "").await;
    b.click("main form.event-form button[type=submit]").await;
    wait_for_server_messages(&b, 3).await;
    for id in ["title", "starts_at", "capacity"] {
        assert!(
            b.has(&format!("#{id}-error:not([data-client])")).await,
            "{id}"
        );
    }
    b.close().await;
}
