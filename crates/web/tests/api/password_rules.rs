//! A password may not contain the person's email address, the part before its `@`, or
//! their display name — refused with a clear message when registering, changing a password
//! (the page) and resetting one.

use crate::helpers::pages::{between, Person};
use crate::helpers::{validation_errors, TestApp, PASSWORD};
use serde_json::json;

/// Strong enough on its own; refused only because it holds the person's own details.
fn holding(detail: &str) -> String {
    format!("seven quiet lanterns {detail} river")
}

const RULE: &str = "your email address or your name";

async fn own_details_are_refused_everywhere(app: TestApp) {
    // Registering: the name, and the part of the address before the @.
    for password in [holding("Robin Hale"), holding("robin.hale")] {
        let res = app
            .register("robin.hale@example.org", &password, "Robin Hale")
            .await;
        let errors = validation_errors(res).await;
        assert!(errors.to_string().contains(RULE), "{password}: {errors}");
    }

    // Changing the password on the Security page.
    let user = app.named("Jordan Lee").await;
    let person = Person::of(&app, &user).await;
    let html = person
        .submit_refused(
            "/security",
            "/security/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", &holding("jordan lee")),
            ],
        )
        .await;
    let error = between(&html, "id=\"new_password-error\" role=\"alert\">", "<");
    assert!(error.is_some_and(|e| e.contains(RULE)), "{html}");

    // Resetting it with the emailed link.
    let res = app
        .post(
            "/api/v1/auth/password/forgot",
            json!({ "email": user.email }),
        )
        .await;
    assert!(res.status().is_success());
    app.run_pending_jobs().await;
    let token = app.token_from_email(&user.email, "reset-password").await;
    let local = user.email.split('@').next().unwrap().to_owned();
    let res = app
        .post(
            "/api/v1/auth/password/reset",
            json!({ "token": token, "new_password": holding(&local) }),
        )
        .await;
    let errors = validation_errors(res).await;
    assert_eq!(errors[0]["field"], "new_password", "{errors}");
    assert!(errors.to_string().contains(RULE), "{errors}");
}
crate::on_both_backends!(own_details_are_refused_everywhere);
