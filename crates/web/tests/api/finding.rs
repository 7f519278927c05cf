//! Finding events and circles: events by city and online/in person (API and page), and
//! the circle list leaving out full and invitation-only circles unless asked, on SQLite
//! and PostgreSQL.

use crate::helpers::pages::Person;
use crate::helpers::{circle_body, ok_json, refused, workshop, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

fn titles(list: &Value) -> Vec<String> {
    let mut t: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["title"].as_str().unwrap().to_owned())
        .collect();
    t.sort();
    t
}

async fn events_by_city_and_online(app: TestApp) {
    let admin = app.admin().await;
    let ptm = app.user_with_roles(&admin, &["program_team_member"]).await;
    let member = app.named("Mo Member").await;
    let venue = ok_json(
        app.post_as(
            &ptm.access_token,
            "/api/v1/venues",
            json!({ "name": "Harbour Hall", "address": "Kai 3, 20457 Hamburg", "capacity": 40 }),
        )
        .await,
    )
    .await;
    let mut berlin = workshop("Berlin workshop", 10);
    berlin["location"] = json!("Community hall, Berlin-Mitte");
    berlin["online_url"] = Value::Null;
    app.publish_event(&ptm, berlin).await;
    let mut online = workshop("Online evening", 10);
    online["location"] = Value::Null;
    app.publish_event(&ptm, online).await;
    let mut hamburg = workshop("Hamburg day", 10);
    hamburg["location"] = Value::Null;
    hamburg["online_url"] = Value::Null;
    hamburg["venue_id"] = venue["id"].clone();
    app.publish_event(&ptm, hamburg).await;

    let find = |q: &'static str| {
        let (app, token) = (&app, member.access_token.clone());
        async move { titles(&app.get_json(&token, &format!("/api/v1/events{q}")).await) }
    };
    assert_eq!(find("?city=BERLIN").await, ["Berlin workshop"]);
    assert_eq!(
        find("?city=hamburg").await,
        ["Hamburg day"],
        "by the venue's address"
    );
    assert_eq!(find("?online=true").await, ["Online evening"]);
    assert_eq!(
        find("?online=false").await,
        ["Berlin workshop", "Hamburg day"]
    );
    assert!(find("?city=hamburg&online=true").await.is_empty());
    let res = app
        .get_as(
            &member.access_token,
            &format!("/api/v1/events?city={}", "x".repeat(101)),
        )
        .await;
    assert_eq!(
        refused(res, StatusCode::UNPROCESSABLE_ENTITY).await,
        "validation_failed"
    );

    let mo = Person::of(&app, &member).await;
    let html = mo.page("/events?city=hamburg").await;
    assert!(
        html.contains("Hamburg day") && !html.contains("Berlin workshop"),
        "{html}"
    );
    assert!(
        html.contains("value=\"hamburg\""),
        "the filter keeps what was typed"
    );
    let html = mo.page("/events?place=online").await;
    assert!(
        html.contains("Online evening") && !html.contains("Hamburg day"),
        "{html}"
    );
    assert!(html.contains("<option value=\"online\" selected>"));
}

async fn full_and_invitation_only_circles_only_when_asked(app: TestApp) {
    let admin = app.admin().await;
    let fac = app.facilitator(&admin, "Frank Facilitator").await;
    let joe = app.named("Joe Member").await;
    let reader = app.named("Rita Reader").await;
    app.create_circle(&fac, circle_body("Open Tuesdays", 8))
        .await;
    let full = app
        .create_circle(&fac, circle_body("Small Full Circle", 2))
        .await;
    let full_id = full["id"].as_str().unwrap().to_owned();
    app.join(&fac, &joe, &full_id).await;
    app.join(&fac, &app.named("Sam Member").await, &full_id)
        .await;
    let mut private = circle_body("Invited Only", 8);
    private["visibility"] = json!("invitation_only");
    let private = app.create_circle(&fac, private).await;
    let res = app
        .invite(&fac, private["id"].as_str().unwrap(), &reader.email)
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);

    let rita = Person::of(&app, &reader).await;
    let html = rita.page("/circles").await;
    assert!(html.contains("Open Tuesdays"), "{html}");
    assert!(!html.contains("Small Full Circle") && !html.contains("Invited Only"));
    assert!(html.contains("Show full and invitation-only circles too"));
    let html = rita.page("/circles?all=1").await;
    assert!(
        html.contains("Small Full Circle") && html.contains("Invited Only"),
        "{html}"
    );
    assert!(html.contains("id=\"all\" name=\"all\" type=\"checkbox\" value=\"1\" checked"));
}

async fn circles_in_the_order_of_their_next_meeting(app: TestApp) {
    let admin = app.admin().await;
    let fac = app.facilitator(&admin, "Frank Facilitator").await;
    let reader = app.named("Rita Reader").await;
    let mut ids = Vec::new();
    for name in ["Alpha Circle", "Bravo Circle", "Charlie Circle"] {
        let c = app.create_circle(&fac, circle_body(name, 8)).await;
        ids.push(c["id"].as_str().unwrap().to_owned());
    }
    // Alpha plans nothing; Charlie meets before Bravo; a cancelled meeting does not count.
    app.meeting_at(&fac, &ids[1], app.now() + chrono::Duration::days(5))
        .await;
    app.meeting_at(&fac, &ids[2], app.now() + chrono::Duration::days(2))
        .await;
    let soon = app
        .meeting_at(&fac, &ids[1], app.now() + chrono::Duration::days(1))
        .await;
    ok_json(
        app.post_as(
            &fac.access_token,
            &format!("/api/v1/meetings/{soon}/cancel"),
            json!({}),
        )
        .await,
    )
    .await;
    let names = |v: &Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let list = |q: String| {
        let (app, token) = (&app, reader.access_token.clone());
        async move { app.get_json(&token, &format!("/api/v1/circles{q}")).await }
    };
    assert_eq!(
        names(&list(String::new()).await),
        ["Alpha Circle", "Bravo Circle", "Charlie Circle"]
    );
    let first = list("?sort=next_meeting&limit=2".into()).await;
    assert_eq!(names(&first), ["Charlie Circle", "Bravo Circle"]);
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let rest = list(format!("?sort=next_meeting&limit=2&cursor={cursor}")).await;
    assert_eq!(names(&rest), ["Alpha Circle"]);
    assert!(rest["next_cursor"].is_null());
    let res = app
        .get_as(
            &reader.access_token,
            "/api/v1/circles?sort=next_meeting&cursor=x",
        )
        .await;
    assert_eq!(
        refused(res, StatusCode::UNPROCESSABLE_ENTITY).await,
        "validation_failed"
    );

    let rita = Person::of(&app, &reader).await;
    let html = rita.page("/circles?sort=next_meeting").await;
    let at = |name: &str| {
        html.find(name)
            .unwrap_or_else(|| panic!("{name} in {html}"))
    };
    assert!(at("Charlie Circle") < at("Bravo Circle") && at("Bravo Circle") < at("Alpha Circle"));
    assert!(html.contains("<option value=\"next_meeting\" selected>"));
}

crate::on_both_backends!(
    circles_in_the_order_of_their_next_meeting,
    events_by_city_and_online,
    full_and_invitation_only_circles_only_when_asked,
);

/// The landing page promises only what the product does: there is no messaging, so no
/// encrypted messages are promised.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_landing_page_promises_only_what_works() {
    let app = crate::helpers::sqlite_app().await;
    let html = app.get("/").await.text().await.unwrap();
    for promise in ["Messages are encrypted", "stay in touch"] {
        assert!(
            !html.contains(promise),
            "{promise:?} is not a feature: {html}"
        );
    }
    for feature in ["ask to join", "say whether you are coming", "calendar feed"] {
        assert!(html.contains(feature), "{feature:?} in {html}");
    }
}
