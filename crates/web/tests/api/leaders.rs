//! Pages for what only the API offered to leaders and the Program Team: a circle's
//! co-facilitators (add, end) and the facilitators' list with certifications running out,
//! on SQLite and PostgreSQL.

use crate::helpers::pages::Person;
use crate::helpers::{circle_body, ok_json, refused, TestApp};
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::json;

async fn co_facilitators_through_the_pages(app: TestApp) {
    let admin = app.admin().await;
    let frank_user = app.facilitator(&admin, "Frank Facilitator").await;
    let carl_user = app.facilitator(&admin, "Carl Cofac").await;
    let joe_user = app.named("Joe Member").await;
    let id = app
        .create_circle(&frank_user, circle_body("Tuesday Men", 8))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.join(&frank_user, &joe_user, &id).await;
    let frank = Person::of(&app, &frank_user).await;
    let joe = Person::of(&app, &joe_user).await;
    let page = format!("/circles/{id}/co-facilitators");

    assert!(frank
        .page(&format!("/circles/{id}"))
        .await
        .contains(&format!("href=\"{page}\"")));
    assert_eq!(joe.get(&page).await.status(), StatusCode::FORBIDDEN);
    let html = frank.page(&page).await;
    assert!(
        html.contains(&format!(
            "<option value=\"{}\">Carl Cofac</option>",
            carl_user.id
        )),
        "{html}"
    );
    assert!(
        !html.contains(&format!("<option value=\"{}\"", frank_user.id)),
        "not himself"
    );
    assert!(
        !html.contains(&format!("<option value=\"{}\"", joe_user.id)),
        "only facilitators"
    );

    // A crafted form naming a non-facilitator gets the use case's refusal.
    let html = frank
        .submit_refused(&page, &page, &[("user_id", &joe_user.id.to_string())])
        .await;
    assert!(html.contains("Only a certified facilitator"), "{html}");

    let (_, html) = frank
        .submit_ok(&page, &page, &[("user_id", &carl_user.id.to_string())])
        .await;
    assert!(html.contains("The co-facilitator is added"), "{html}");
    assert!(
        html.contains("Carl Cofac <span class=\"tag\">Co-facilitator</span>"),
        "{html}"
    );
    assert!(!html.contains(&format!("<option value=\"{}\"", carl_user.id)));
    let members = ok_json(
        app.get_as(
            &joe_user.access_token,
            &format!("/api/v1/circles/{id}/members"),
        )
        .await,
    )
    .await;
    assert!(members
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["user_id"] == carl_user.id.to_string() && p["role"] == "co_facilitator"));
    app.run_pending_jobs().await;
    assert!(!app.emails_to(&carl_user.email).is_empty(), "he is told");

    let (_, html) = frank
        .submit_ok(&page, &format!("{page}/{}/remove", carl_user.id), &[])
        .await;
    assert!(html.contains("no longer leads the circle"), "{html}");
    assert!(html.contains(&format!(
        "<option value=\"{}\">Carl Cofac</option>",
        carl_user.id
    )));
}

async fn facilitators_list_for_the_program_team(app: TestApp) {
    let admin = app.admin().await;
    let ptm_user = app.user_with_roles(&admin, &["program_team_member"]).await;
    let member = app.named("Mo Member").await;
    let lasting = app.facilitator(&admin, "Lasting Leader").await;
    app.create_circle(&lasting, circle_body("Tuesday Men", 8))
        .await;
    let soon = app.named("Soon Expiring").await;
    let res = app
        .post_as(
            &admin.access_token,
            "/api/v1/certifications",
            json!({ "user_id": soon.id, "expires_at": (app.now() + Duration::days(30)).to_rfc3339() }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(
        app.put_role(&admin, soon.id, "facilitator").await.status(),
        StatusCode::OK
    );

    let res = app
        .get_as(&member.access_token, "/api/v1/facilitators")
        .await;
    assert_eq!(refused(res, StatusCode::FORBIDDEN).await, "forbidden");
    let all = app
        .get_json(&ptm_user.access_token, "/api/v1/facilitators")
        .await;
    let names: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["display_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Lasting Leader", "Soon Expiring"]);
    assert_eq!(all[0]["circles"], json!(["Tuesday Men"]));
    assert_eq!(all[0]["expiring_soon"], false);
    assert_eq!(all[1]["expiring_soon"], true);
    let expiring = app
        .get_json(&ptm_user.access_token, "/api/v1/facilitators?expiring=true")
        .await;
    assert_eq!(expiring.as_array().unwrap().len(), 1);
    assert_eq!(expiring[0]["display_name"], "Soon Expiring");

    let mo = Person::of(&app, &member).await;
    assert_eq!(
        mo.get("/facilitators").await.status(),
        StatusCode::FORBIDDEN
    );
    let ptm = Person::of(&app, &ptm_user).await;
    let html = ptm.page("/facilitators").await;
    assert!(
        html.contains("Lasting Leader") && html.contains("Tuesday Men"),
        "{html}"
    );
    assert!(html.contains("Runs out soon"));
    assert!(html.contains("href=\"/facilitators\"") || html.contains("Facilitators</a>"));
    let html = ptm.page("/facilitators?expiring=1").await;
    assert!(
        html.contains("Soon Expiring") && !html.contains("Lasting Leader"),
        "{html}"
    );
}

async fn venues_through_the_pages(app: TestApp) {
    let admin = app.admin().await;
    let ptm_user = app.user_with_roles(&admin, &["program_team_member"]).await;
    let member = app.named("Mo Member").await;
    let ptm = Person::of(&app, &ptm_user).await;
    let mo = Person::of(&app, &member).await;
    assert_eq!(mo.get("/venues").await.status(), StatusCode::FORBIDDEN);
    assert!(ptm.page("/events").await.contains("href=\"/venues\""));

    // Every problem at once, what was typed kept.
    let html = ptm
        .submit_refused(
            "/venues",
            "/venues",
            &[
                ("name", "x"),
                ("address", "Mill lane 1"),
                ("capacity", "lots"),
            ],
        )
        .await;
    assert!(
        html.contains("id=\"name-error\"") && html.contains("id=\"capacity-error\""),
        "{html}"
    );
    assert!(html.contains("value=\"Mill lane 1\""));
    let (_, html) = ptm
        .submit_ok(
            "/venues",
            "/venues",
            &[
                ("name", "Old Mill"),
                ("address", "Mill lane 1"),
                ("capacity", "30"),
            ],
        )
        .await;
    assert!(
        html.contains("The venue is added") && html.contains("Old Mill"),
        "{html}"
    );
    let venues = app.get_json(&ptm_user.access_token, "/api/v1/venues").await;
    let id = venues[0]["id"].as_str().unwrap().to_owned();

    let edit = format!("/venues/{id}/edit");
    let html = ptm.page(&edit).await;
    assert!(html.contains("value=\"Old Mill\"") && html.contains("value=\"30\""));
    let (_, html) = ptm
        .submit_ok(
            &edit,
            &edit,
            &[
                ("name", "New Mill"),
                ("address", "Mill lane 2"),
                ("capacity", "45"),
            ],
        )
        .await;
    assert!(
        html.contains("The venue is saved") && html.contains("New Mill"),
        "{html}"
    );
    let venues = app.get_json(&ptm_user.access_token, "/api/v1/venues").await;
    assert_eq!(venues[0]["capacity"], 45);
    assert_eq!(venues[0]["address"], "Mill lane 2");

    let res = app
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/venues/{id}"),
            Some(&member.access_token),
            Some(json!({ "name": "Mine", "capacity": 3 })),
        )
        .await;
    assert_eq!(refused(res, StatusCode::FORBIDDEN).await, "forbidden");
    assert!(app
        .audit_actions()
        .await
        .contains(&"venue_updated".to_owned()));
}

crate::on_both_backends!(
    venues_through_the_pages,
    co_facilitators_through_the_pages,
    facilitators_list_for_the_program_team,
);
