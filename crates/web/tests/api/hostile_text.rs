//! Text with NUL bytes, terminal escapes or bidirectional overrides is refused at the edge
//! as a 422 naming the field: never a 500 (PostgreSQL cannot store NUL) and never stored
//! (on SQLite it would be, and an admin would later read it).

use crate::helpers::pages::Person;
use crate::helpers::{circle_body, invalid_fields, TestApp};
use reqwest::StatusCode;
use serde_json::json;

/// Control characters no text field may hold.
const HOSTILE: [&str; 4] = [
    "a\0b",
    "\u{1b}[2J\u{1b}[31mred",
    "x\u{9b}y",
    "\u{202e}gnp.exe",
];
/// The same, percent-encoded for a query string.
const HOSTILE_QUERY: [&str; 3] = ["a%00b", "%1B%5B2J", "%E2%80%AEx"];

async fn hostile_text_is_refused_with_a_field_error(app: TestApp) {
    let admin = app.admin().await;
    let member = app.named("Member").await;
    let facilitator = app.facilitator(&admin, "Facilitator").await;
    let circle = app
        .create_circle(&facilitator, circle_body("Tuesday circle", 8))
        .await;
    let circle_id = circle["id"].as_str().unwrap();

    for bad in HOSTILE {
        let res = app.suspend(&admin, member.id, bad).await;
        assert_eq!(invalid_fields(res).await, ["reason"], "suspend {bad:?}");

        let res = app
            .post_as(
                &admin.access_token,
                "/api/v1/certifications",
                json!({ "user_id": member.id, "note": bad }),
            )
            .await;
        assert_eq!(invalid_fields(res).await, ["note"], "certify {bad:?}");

        let mut body = circle_body("Another circle", 8);
        body["location"] = json!(bad);
        let res = app
            .post_as(&facilitator.access_token, "/api/v1/circles", body)
            .await;
        assert_eq!(invalid_fields(res).await, ["location"], "create {bad:?}");

        let res = app
            .edit_circle(&facilitator, circle_id, json!({ "location": bad }))
            .await;
        assert_eq!(invalid_fields(res).await, ["location"], "edit {bad:?}");
    }

    for bad in HOSTILE_QUERY {
        for (token, path, field) in [
            (&member.access_token, "/api/v1/circles?q=", "q"),
            (&member.access_token, "/api/v1/circles?city=", "city"),
            (&member.access_token, "/api/v1/events?q=", "q"),
            (&admin.access_token, "/api/v1/audit?action=", "action"),
            (&admin.access_token, "/api/v1/admin/users?q=", "q"),
        ] {
            let res = app.get_as(token, &format!("{path}{bad}")).await;
            assert_eq!(invalid_fields(res).await, [field], "{path}{bad}");
        }
    }

    // Nothing was stored: the member is not suspended, holds no certification, and the
    // circle's location is as created.
    let detail = app
        .get_json(
            &admin.access_token,
            &format!("/api/v1/admin/users/{}", member.id),
        )
        .await;
    assert_eq!(detail["status"], "active", "{detail}");
    let res = app
        .get_as(
            &admin.access_token,
            &format!("/api/v1/certifications?user_id={}", member.id),
        )
        .await;
    assert!(!res.text().await.unwrap().contains('\0'));
    let shown = app
        .get_json(
            &facilitator.access_token,
            &format!("/api/v1/circles/{circle_id}"),
        )
        .await;
    assert_eq!(shown["location"], circle["location"]);
    assert!(app.server_errors().is_empty(), "{:?}", app.server_errors());
}

/// Line breaks stay where a field takes several lines, and a CRLF becomes LF.
async fn multi_line_text_keeps_its_lines(app: TestApp) {
    let admin = app.admin().await;
    let member = app.named("Member").await;
    let res = app
        .suspend(&admin, member.id, "Repeated abuse.\r\nSee the report.")
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let detail = app
        .get_json(
            &admin.access_token,
            &format!("/api/v1/admin/users/{}", member.id),
        )
        .await;
    assert_eq!(
        detail["suspended_reason"], "Repeated abuse.\nSee the report.",
        "{detail}"
    );
}

/// Page forms and filters take the same checked text: a suspension reason with a NUL is
/// refused (422, nothing stored), a search filter with an escape is noted beside its field.
async fn page_forms_refuse_hostile_text(app: TestApp) {
    let admin = app.admin().await;
    let member = app.named("Member").await;
    let person = Person::of(&app, &admin).await;
    let user_path = format!("/admin/users/{}", member.id);
    let res = person
        .submit(
            &user_path,
            &format!("{user_path}/suspend"),
            &[("reason", "a\0b")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("control characters"), "{html}");
    let detail = app
        .get_json(
            &admin.access_token,
            &format!("/api/v1/admin/users/{}", member.id),
        )
        .await;
    assert_eq!(detail["status"], "active", "{detail}");

    let html = person.page("/audit?action=%1B%5B2J").await;
    assert!(html.contains("control characters"), "{html}");
    assert!(app.server_errors().is_empty(), "{:?}", app.server_errors());
}

crate::on_both_backends!(
    hostile_text_is_refused_with_a_field_error,
    multi_line_text_keeps_its_lines,
    page_forms_refuse_hostile_text
);
