//! The second sign-in step on the pages: a recovery code (which has letters) has its own
//! field with a full keyboard, with and without JavaScript.

use crate::helpers::pages::{browser, csrf_token, form_fields};
use crate::helpers::{location, TestApp, PASSWORD};
use reqwest::StatusCode;
use testkit::browser::{Browser, PHONE};

async fn recovery_code_without_javascript(app: TestApp) {
    let user = app.named("Test Person").await;
    let (_, codes) = app.enable_mfa(&user).await;
    let client = browser();
    let login = client.get(app.url("/login")).send().await.unwrap();
    let token = csrf_token(&login.text().await.unwrap());
    let res = client
        .post(app.url("/login"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", user.email.as_str()),
            ("password", PASSWORD),
            ("next", "/home"),
        ])
        .send()
        .await
        .unwrap();
    let html = res.text().await.unwrap();
    assert!(html.contains("Use a recovery code"), "{html}");
    // The app code is digits; the recovery code field takes letters.
    let code_field = crate::helpers::pages::between(&html, "id=\"code\"", ">").unwrap();
    assert!(code_field.contains("inputmode=\"numeric\""));
    let recovery_field =
        crate::helpers::pages::between(&html, "id=\"recovery_code\"", ">").unwrap();
    assert!(!recovery_field.contains("numeric"), "{recovery_field}");

    // A wrong recovery code: the recovery form is shown open again.
    let mut form = form_fields(&html, "form[data-step=recovery]");
    form.iter_mut().find(|(k, _)| k == "code").unwrap().1 = "wrong-code-1".into();
    let res = client
        .post(app.url("/login/mfa"))
        .form(&form)
        .send()
        .await
        .unwrap();
    let html = res.text().await.unwrap();
    assert!(html.contains("<details class=\"recovery\" open>"), "{html}");

    let mut form = form_fields(&html, "form[data-step=recovery]");
    form.iter_mut().find(|(k, _)| k == "code").unwrap().1 = codes[0].clone();
    let res = client
        .post(app.url("/login/mfa"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/home");
}
crate::on_both_backends!(recovery_code_without_javascript);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recovery_code_on_a_phone() {
    let app = crate::helpers::sqlite_app().await;
    let user = app.named("Test Person").await;
    let (_, codes) = app.enable_mfa(&user).await;
    let Some(b) = Browser::open(&app.address, PHONE).await else {
        return;
    };
    b.goto("/login").await;
    b.fill("#email", &user.email).await;
    b.fill("#password", PASSWORD).await;
    b.click("form[action='/login'] button[type=submit]").await;
    b.wait_for_text("main h1", "Two-step verification").await;
    b.click("details.recovery summary").await;
    let mode = b
        .script("return document.getElementById('recovery_code').inputMode;")
        .await;
    assert_eq!(mode, "text");
    b.fill("#recovery_code", &codes[1]).await;
    b.click("form[data-step=recovery] button[type=submit]")
        .await;
    b.wait_for_text("main h1", "Welcome, Test Person").await;
    b.close().await;
}
