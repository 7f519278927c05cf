//! Invitations for people who have no account yet, and into full circles, through the
//! pages: who invited whom is said on the page and in the email, registering from the
//! link leads back to it through verification and sign-in, and a full circle is named
//! as such to the facilitator and to the invited person.

use crate::helpers::pages::{between, Person};
use crate::helpers::{circle_body, location, ok_json, unique_email, TestApp, User, PASSWORD};
use reqwest::StatusCode;
use serde_json::json;

async fn invitation_circle(app: &TestApp, fac: &User, capacity: i64) -> String {
    let mut body = circle_body("Quiet Fathers", capacity);
    body["visibility"] = json!("invitation_only");
    app.create_circle(fac, body).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn a_new_person_registers_from_the_link(app: TestApp) {
    let admin = app.admin().await;
    let fac = app.facilitator(&admin, "Frank Facilitator").await;
    let id = invitation_circle(&app, &fac, 6).await;
    let email = unique_email("sam");
    let sent = ok_json(app.invite(&fac, &id, &email).await).await;
    assert_eq!(sent["circle_full"], false);

    // The email names who invited.
    let token = app
        .token_from_email(&email, "circles/invitations/accept")
        .await;
    let mail = app.emails_to(&email).pop().unwrap();
    assert!(
        mail.subject.contains("Frank Facilitator invited you"),
        "{}",
        mail.subject
    );
    assert!(mail
        .body
        .contains("Frank Facilitator invited you to join the circle \"Quiet Fathers\""));
    let link = format!("/circles/invitations/accept?token={token}");

    // Signed out, the link says who invited him where, and offers an account.
    let sam = Person::visitor(&app);
    let html = sam.page(&link).await;
    assert!(
        html.contains("Frank Facilitator invited you to Quiet Fathers"),
        "{html}"
    );
    assert!(!html.contains("Accept the invitation"));
    let register = format!(
        "/register?next={}",
        between(&html, "href=\"/register?next=", "\"").unwrap()
    );
    let html = sam.page(&register).await;
    assert_eq!(
        between(&html, "name=\"next\" value=\"", "\""),
        Some(link.as_str())
    );
    let res = sam
        .submit(
            &register,
            "/register",
            &[
                ("display_name", "Sam Okafor"),
                ("email", &email),
                ("password", PASSWORD),
                ("next", &link),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(location(&res).starts_with("/check-email"));

    // The confirmation link carries the invitation along, and so does signing in.
    let verify_token = app.token_from_email(&email, "verify-email").await;
    let encoded = format!("%2Fcircles%2Finvitations%2Faccept%3Ftoken%3D{token}");
    let verify = format!("/verify-email?token={verify_token}&next={encoded}");
    let mail = app.emails_to(&email).pop().unwrap();
    assert!(mail.body.contains(&verify), "{}", mail.body);
    let html = sam.page(&verify).await;
    assert_eq!(
        between(&html, "name=\"next\" value=\"", "\""),
        Some(link.as_str())
    );
    let res = sam
        .submit(
            &verify,
            "/verify-email",
            &[("token", &verify_token), ("next", &link)],
        )
        .await;
    let html = res.text().await.unwrap();
    assert!(html.contains("Your email address is confirmed"), "{html}");
    let login = format!(
        "/login?next={}",
        between(&html, "href=\"/login?next=", "\"").unwrap()
    );
    let html = sam.page(&login).await;
    assert_eq!(
        between(&html, "name=\"next\" value=\"", "\""),
        Some(link.as_str())
    );
    let res = sam
        .submit(
            &login,
            "/login",
            &[("email", &email), ("password", PASSWORD), ("next", &link)],
        )
        .await;
    assert_eq!(location(&res), link);

    // Back on the invitation, signed in, he accepts.
    let (to, html) = sam
        .submit_ok(&link, "/circles/invitations/accept", &[("token", &token)])
        .await;
    assert_eq!(to, format!("/circles/{id}?done=joined"));
    assert!(html.contains("Sam Okafor (you)"), "{html}");
}

async fn full_circles_are_named_as_such(app: TestApp) {
    let admin = app.admin().await;
    let fac_user = app.facilitator(&admin, "Frank Facilitator").await;
    let id = invitation_circle(&app, &fac_user, 2).await;
    for name in ["Ali Haddad", "Jon Berg"] {
        let email = unique_email("member");
        app.invite(&fac_user, &id, &email).await;
        let token = app
            .token_from_email(&email, "circles/invitations/accept")
            .await;
        let who = app.signed_up_as(name, &email, PASSWORD).await;
        assert_eq!(
            app.accept_invitation(&who, &token).await.status(),
            StatusCode::OK
        );
    }

    // The facilitator is warned before and after inviting into the full circle.
    let fac = Person::of(&app, &fac_user).await;
    let page = format!("/circles/{id}/invitations");
    let html = fac.page(&page).await;
    assert!(
        html.contains("The circle is full: anyone you invite"),
        "{html}"
    );
    let kim_email = unique_email("kim");
    let (_, html) = fac.submit_ok(&page, &page, &[("email", &kim_email)]).await;
    assert!(
        html.contains("The invitation is sent by email, but the circle is full"),
        "{html}"
    );
    // The API says so too.
    let lee_email = unique_email("lee");
    let sent = ok_json(app.invite(&fac_user, &id, &lee_email).await).await;
    assert_eq!(sent["circle_full"], true);

    // The invited person is told the circle is full before and after pressing accept,
    // and that his invitation still holds: nobody queues him.
    let token = app
        .token_from_email(&kim_email, "circles/invitations/accept")
        .await;
    let link = format!("/circles/invitations/accept?token={token}");
    let kim_user = app.signed_up_as("Kim Novak", &kim_email, PASSWORD).await;
    let kim = Person::of(&app, &kim_user).await;
    let html = kim.page(&link).await;
    assert!(html.contains("The circle is full right now"), "{html}");
    let html = kim
        .submit_refused(&link, "/circles/invitations/accept", &[("token", &token)])
        .await;
    assert!(
        html.contains("Your invitation stays valid until it expires"),
        "{html}"
    );
    assert!(!html.contains("stays in the queue"));
}

crate::on_both_backends!(
    a_new_person_registers_from_the_link,
    full_circles_are_named_as_such,
);
