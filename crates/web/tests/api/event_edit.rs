//! Editing an event from its page: drafts and published events, programme and circle
//! events, saved unchanged with and without JavaScript, keep every stored field.

use crate::helpers::pages::{form_fields, Person};
use crate::helpers::{circle_body, local, TestApp, User, PASSWORD};
use serde_json::{json, Value};
use testkit::browser::{Browser, DESKTOP};

/// A programme event with every optional field filled in; its id.
async fn full_workshop(app: &TestApp, ptm: &User, publish: bool) -> String {
    let body = json!({
        "kind": "workshop", "title": "Fathers and Sons",
        "description": "A day about our fathers.\nBring a photo.",
        "starts_at": local(20, 10), "ends_at": local(20, 16), "time_zone": "Europe/Berlin",
        "location": "Community hall", "online_url": "https://meet.example.org/w",
        "capacity": 12, "price_minor": 2500, "currency": "EUR", "waitlist_enabled": true,
        "offer_hours": 24,
        "registration_opens_at": format!("{}:00Z", local(2, 9)),
        "registration_closes_at": format!("{}:00Z", local(18, 18)),
        "cancellation_policy": "Cancel up to a day before."
    });
    if publish {
        app.publish_event(ptm, body).await
    } else {
        app.create_event(ptm, body).await["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

/// A circle's own movie night (a draft); its id.
async fn circle_event(app: &TestApp, fac: &User) -> String {
    let c = app.create_circle(fac, circle_body("Tuesday Men", 8)).await;
    let mut body = crate::helpers::workshop("Circle movie night", 8);
    body["kind"] = json!("movie_night");
    body["circle_id"] = c["id"].clone();
    app.create_event(fac, body).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The event as the API shows it, without what a save may touch (its change time).
async fn stored(app: &TestApp, who: &User, id: &str) -> Value {
    let mut v = app
        .get_json(&who.access_token, &format!("/api/v1/events/{id}"))
        .await;
    v.as_object_mut().unwrap().remove("updated_at");
    v
}

async fn saved_unchanged_without_javascript(app: TestApp) {
    let admin = app.admin().await;
    let ptm_user = app.user_with_roles(&admin, &["program_team_member"]).await;
    let fac_user = app.facilitator(&admin, "Sam Reed").await;
    let ptm = Person::of(&app, &ptm_user).await;
    let fac = Person::of(&app, &fac_user).await;
    let draft = full_workshop(&app, &ptm_user, false).await;
    let published = full_workshop(&app, &ptm_user, true).await;
    let own = circle_event(&app, &fac_user).await;

    for (who, user, id) in [
        (&ptm, &ptm_user, &draft),
        (&ptm, &ptm_user, &published),
        (&fac, &fac_user, &own),
    ] {
        let before = stored(&app, user, id).await;
        let edit = format!("/events/{id}/edit");
        let html = who.page(&edit).await;
        // Exactly what the browser sends: the disabled audience picker is not among it.
        let form = form_fields(&html, &format!("form[action='{edit}']"));
        let to = who.send_form_ok(&edit, &form).await;
        assert!(to.ends_with("?done=saved"), "{to}");
        assert_eq!(stored(&app, user, id).await, before, "nothing changed");
    }

    // A changed title is saved too, and the audience stays what it was.
    let edit = format!("/events/{own}/edit");
    let html = fac.page(&edit).await;
    let mut form = form_fields(&html, &format!("form[action='{edit}']"));
    form.iter_mut().find(|(k, _)| k == "title").unwrap().1 = "Circle film night".into();
    form.retain(|(k, _)| k != "audience");
    fac.send_form_ok(&edit, &form).await;
    let after = stored(&app, &fac_user, &own).await;
    assert_eq!(after["title"], "Circle film night");
    assert_eq!(after["open_to_all"], false);
}
crate::on_both_backends!(saved_unchanged_without_javascript);

async fn saved_in_a_browser(app: TestApp) {
    let admin = app.admin().await;
    let ptm = app.user_with_roles(&admin, &["program_team_member"]).await;
    let fac = app.facilitator(&admin, "Sam Reed").await;
    let published = full_workshop(&app, &ptm, true).await;
    let own = circle_event(&app, &fac).await;

    for (user, id) in [(&ptm, &published), (&fac, &own)] {
        let before = stored(&app, user, id).await;
        let Some(b) = Browser::open(&app.address, DESKTOP).await else {
            return;
        };
        b.sign_in(&user.email, PASSWORD).await;
        b.goto(&format!("/events/{id}/edit")).await;
        b.click("main form.event-form button[type=submit]").await;
        b.wait_for_text("main [role=status]", "saved").await;
        assert_eq!(stored(&app, user, id).await, before, "nothing changed");

        // A change is kept.
        b.goto(&format!("/events/{id}/edit")).await;
        b.fill("#title", "Renamed in the browser").await;
        b.click("main form.event-form button[type=submit]").await;
        b.wait_for_text("main h1", "Renamed in the browser").await;
        b.close().await;
    }
}
crate::on_both_backends!(saved_in_a_browser);
