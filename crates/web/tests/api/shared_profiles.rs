//! Phone, city, bio and photo are "shared only with the facilitators of your circles and
//! the organisers of events you join": the circle's member list and join queue show them
//! to its leaders, the door list to the event's organisers, and nobody else sees them —
//! not fellow members, not outsiders, not global roles.

use crate::helpers::pages::Person;
use crate::helpers::{circle_body, ok_json, png, workshop, TestApp, User};
use reqwest::StatusCode;
use serde_json::json;

/// A member called `name` who filled in his profile, with a photo; his phone number.
async fn with_profile(app: &TestApp, name: &str, phone: &str) -> User {
    let user = app.named(name).await;
    let res = app
        .patch_me(
            &user,
            json!({ "phone": phone, "city": "Leipzig", "bio": format!("{name} likes long walks.") }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app.put_photo(&user, "image/png", png(64, 64)).await;
    assert_eq!(res.status(), StatusCode::OK);
    user
}

async fn leaders_and_organisers_see_profiles_nobody_else(app: TestApp) {
    let admin = app.admin().await;
    let fac_user = app.facilitator(&admin, "Frank Facilitator").await;
    let circle = app
        .create_circle(&fac_user, circle_body("Tuesday Men", 6))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let ali = with_profile(&app, "Ali Haddad", "+49 30 111111").await;
    app.join(&fac_user, &ali, &circle).await;
    let ben = with_profile(&app, "Ben Olsen", "+49 30 222222").await;
    assert_eq!(
        app.ask_to_join(&ben, &circle).await.status(),
        StatusCode::CREATED
    );
    let jon = app.named("Jon Berg").await;
    app.join(&fac_user, &jon, &circle).await;

    // The facilitator sees his members' and the asker's details.
    let fac = Person::of(&app, &fac_user).await;
    let page = fac.page(&format!("/circles/{circle}")).await;
    assert!(
        page.contains("+49 30 111111") && page.contains("Ali Haddad likes long walks."),
        "{page}"
    );
    assert!(page.contains(&format!("/users/{}/photo", ali.id)));
    let queue = fac.page(&format!("/circles/{circle}/requests")).await;
    assert!(
        queue.contains("+49 30 222222") && queue.contains("Leipzig"),
        "{queue}"
    );
    let photo = queue
        .split("src=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .replace("&amp;", "&");
    assert_eq!(fac.get(&photo).await.status(), StatusCode::OK, "{photo}");
    let api = app
        .get_json(&fac_user.access_token, &format!("/api/v1/circles/{circle}"))
        .await;
    assert!(api.to_string().contains("+49 30 111111"), "{api}");

    // A fellow member, an outsider and the Admin see names at most.
    let outsider = app.named("Ola Nordmann").await;
    for (who, path) in [
        (&jon, format!("/circles/{circle}")),
        (&outsider, format!("/circles/{circle}")),
        (&admin, format!("/circles/{circle}")),
    ] {
        let html = Person::of(&app, who).await.page(&path).await;
        assert!(
            !html.contains("+49 30 111111") && !html.contains("long walks"),
            "{html}"
        );
    }
    for path in [
        format!("/api/v1/circles/{circle}"),
        format!("/api/v1/circles/{circle}/members"),
    ] {
        let body = app
            .get_as(&jon.access_token, &path)
            .await
            .text()
            .await
            .unwrap();
        assert!(
            !body.contains("+49 30 111111") && !body.contains("profile"),
            "{body}"
        );
    }

    // The organiser sees who comes at the door; another guest sees no details.
    let ptm_user = app.user_with_roles(&admin, &["program_team_member"]).await;
    let event = app
        .publish_event(&ptm_user, workshop("Drumming Night", 5))
        .await;
    assert!(app.register_for(&ali, &event).await.status().is_success());
    assert!(app.register_for(&jon, &event).await.status().is_success());
    let ptm = Person::of(&app, &ptm_user).await;
    let door = ptm.page(&format!("/events/{event}/door")).await;
    assert!(
        door.contains("+49 30 111111") && door.contains("Ali Haddad likes long walks."),
        "{door}"
    );
    let roster = ok_json(
        app.get_as(
            &ptm_user.access_token,
            &format!("/api/v1/events/{event}/registrations"),
        )
        .await,
    )
    .await;
    assert!(roster.to_string().contains("+49 30 111111"), "{roster}");
    let guest = Person::of(&app, &jon).await;
    let html = guest.page(&format!("/events/{event}")).await;
    assert!(!html.contains("+49 30 111111"));
    assert_ne!(
        guest.get(&format!("/events/{event}/door")).await.status(),
        StatusCode::OK
    );
}

crate::on_both_backends!(leaders_and_organisers_see_profiles_nobody_else);
