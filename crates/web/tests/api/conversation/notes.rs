//! Meeting notes move inside the circle's boundary: a leader's browser seals a note under
//! the epoch key and the pending note is deleted; a stepped-in Admin never gets the sealed
//! one. Until it is sealed a note is kept encrypted with the server's field key: the
//! database never holds it in plain text.

use super::talking_circle;
use crate::helpers::conversation::b64;
use crate::helpers::pages::Person;
use crate::helpers::{ok_json, refused, TestApp};
use chrono::Duration;
use db::sea_orm::{ConnectionTrait, Statement};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const NOTE: &str = "Talked about fathers; check on Tom before next week.";

async fn a_leader_seals_a_plain_note(app: TestApp) {
    let t = talking_circle(&app).await;
    let starts_at = app.now() + Duration::days(3);
    let meeting = ok_json(
        app.add_meeting(
            &t.fac,
            &t.circle,
            json!({ "starts_at": starts_at, "note": NOTE }),
        )
        .await,
    )
    .await;
    let id = meeting["id"].as_str().unwrap();
    assert_eq!(meeting["note"], NOTE);
    assert!(meeting["note_sealed"].is_null());

    let seal = format!("/api/v1/meetings/{id}/note/sealed");
    let sealed = b64(12 + 60 + 16);
    let body = json!({ "note_sealed": sealed, "epoch": 1 });
    let res = app
        .conv(&t.member, Method::PUT, &seal, Some(body.clone()))
        .await;
    assert_eq!(refused(res, StatusCode::FORBIDDEN).await, "leaders_only");
    let res = app
        .conv(
            &t.fac,
            Method::PUT,
            &seal,
            Some(json!({ "note_sealed": sealed, "epoch": 9 })),
        )
        .await;
    assert_eq!(refused(res, StatusCode::NOT_FOUND).await, "not_found");
    let res = app
        .conv(
            &t.fac,
            Method::PUT,
            &seal,
            Some(json!({ "note_sealed": "plain words", "epoch": 1 })),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let done = ok_json(app.conv(&t.fac, Method::PUT, &seal, Some(body)).await).await;
    assert!(done["note"].is_null(), "the plain note is deleted: {done}");
    assert_eq!(
        (done["note_sealed"].as_str(), done["note_epoch"].as_i64()),
        (Some(sealed.as_str()), Some(1))
    );

    // Members read the sealed note; the plain words are gone from storage.
    let list = ok_json(app.meetings_of(&t.member, &t.circle).await).await;
    let seen = list
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == id)
        .unwrap();
    assert_eq!(seen["note_sealed"], sealed);
    let stored = {
        use db::sea_orm::EntityTrait;
        db::main_db::meetings::Entity::find_by_id(id.parse::<uuid::Uuid>().unwrap())
            .one(&app.ctx.main)
            .await
            .unwrap()
            .unwrap()
    };
    assert_eq!(stored.note, None);
    assert_eq!((stored.note_at_rest, stored.note_key_version), (None, None));

    // A stepped-in Admin reads the circle's meetings, never its sealed notes.
    app.step_in(
        &t.admin,
        &t.circle,
        "A member asked for help with the facilitator.",
    )
    .await;
    let list = ok_json(app.meetings_of(&t.admin, &t.circle).await).await;
    let seen = list
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == id)
        .unwrap();
    assert!(seen["note_sealed"].is_null(), "{seen}");
}

crate::on_both_backends!(a_leader_seals_a_plain_note);

/// Every meeting row's note columns, read with raw SQL: (id, note, note_at_rest,
/// note_key_version, note_sealed).
type RawNote = (
    String,
    Option<String>,
    Option<String>,
    Option<i32>,
    Option<String>,
);

async fn raw_notes(app: &TestApp) -> Vec<RawNote> {
    let db = &app.ctx.main;
    let sql = "SELECT id, note, note_at_rest, note_key_version, note_sealed FROM meetings";
    db.query_all(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .into_iter()
        .map(|r| {
            (
                r.try_get::<uuid::Uuid>("", "id").unwrap().to_string(),
                r.try_get("", "note").unwrap(),
                r.try_get("", "note_at_rest").unwrap(),
                r.try_get("", "note_key_version").unwrap(),
                r.try_get("", "note_sealed").unwrap(),
            )
        })
        .collect()
}

/// Fails if any stored note column holds `text` or any plain note is left.
async fn assert_never_plain(app: &TestApp, text: &str) {
    let rows = raw_notes(app).await;
    assert!(!rows.is_empty());
    for (id, note, at_rest, _, sealed) in rows {
        assert_eq!(note, None, "meeting {id} holds a plain note");
        for stored in [at_rest, sealed].into_iter().flatten() {
            assert!(!stored.contains(text), "meeting {id} holds the note");
        }
    }
}

fn the_note_of(list: &Value, id: &str) -> Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == id)
        .unwrap_or_else(|| panic!("meeting {id} listed: {list}"))["note"]
        .clone()
}

async fn pending_notes_are_encrypted_with_the_field_key(app: TestApp) {
    let t = talking_circle(&app).await;
    let circle = &t.circle;
    // Written through the page form (no JavaScript) and through the API.
    let from_form = format!("Form note {}", uuid::Uuid::new_v4());
    let fac = Person::of(&app, &t.fac).await;
    let page = format!("/circles/{circle}/meetings");
    let date = (app.now() + Duration::days(10)).date_naive().to_string();
    let (_, html) = fac
        .submit_ok(
            &page,
            &format!("{page}/add"),
            &[("date", &date), ("time", "19:30"), ("note", &from_form)],
        )
        .await;
    assert!(html.contains(&from_form), "the leader reads it back");
    assert!(
        html.contains("Pending sealing"),
        "and sees it is not sealed yet"
    );
    let from_api = format!("API note {}", uuid::Uuid::new_v4());
    let starts_at = app.now() + Duration::days(3);
    let api_meeting = ok_json(
        app.add_meeting(
            &t.fac,
            circle,
            json!({ "starts_at": starts_at, "note": from_api }),
        )
        .await,
    )
    .await;
    let api_id = api_meeting["id"].as_str().unwrap().to_owned();
    assert_eq!(api_meeting["note"], from_api.as_str());
    assert_never_plain(&app, &from_form).await;
    assert_never_plain(&app, &from_api).await;
    let held = raw_notes(&app).await;
    assert_eq!(
        held.iter()
            .filter(|r| r.2.is_some() && r.3.is_some())
            .count(),
        2
    );

    // Members and leaders read them decrypted, on the API and the page.
    let list = ok_json(app.meetings_of(&t.member, circle).await).await;
    assert_eq!(the_note_of(&list, &api_id), from_api.as_str());
    assert!(list.to_string().contains(&from_form), "{list}");
    let member = Person::of(&app, &t.member).await;
    let html = member.page(&page).await;
    assert!(html.contains(&from_form) && html.contains(&from_api));

    // A note stored in plain text before m0009 is encrypted at start-up, once.
    let legacy = format!("Legacy note {}", uuid::Uuid::new_v4());
    let db = &app.ctx.main;
    let backend = db.get_database_backend();
    db.execute(Statement::from_sql_and_values(
        backend,
        match backend {
            db::sea_orm::DbBackend::Postgres => "UPDATE meetings SET note = $1, note_at_rest = NULL, note_key_version = NULL WHERE id = $2",
            _ => "UPDATE meetings SET note = ?, note_at_rest = NULL, note_key_version = NULL WHERE id = ?",
        },
        [legacy.clone().into(), api_id.parse::<uuid::Uuid>().unwrap().into()],
    ))
    .await
    .unwrap();
    let plain = raw_notes(&app).await;
    assert!(
        plain
            .iter()
            .any(|r| r.1.as_deref() == Some(legacy.as_str())),
        "the plain note is in place"
    );
    assert_eq!(
        app::circles::meetings::encrypt_plain_notes(&app.ctx)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        app::circles::meetings::encrypt_plain_notes(&app.ctx)
            .await
            .unwrap(),
        0
    );
    assert_never_plain(&app, &legacy).await;
    let list = ok_json(app.meetings_of(&t.fac, circle).await).await;
    assert_eq!(the_note_of(&list, &api_id), legacy.as_str());

    // Sealing deletes the field-encrypted note.
    let sealed = b64(12 + 40 + 16);
    let seal = format!("/api/v1/meetings/{api_id}/note/sealed");
    ok_json(
        app.conv(
            &t.fac,
            Method::PUT,
            &seal,
            Some(json!({ "note_sealed": sealed, "epoch": 1 })),
        )
        .await,
    )
    .await;
    let row = raw_notes(&app)
        .await
        .into_iter()
        .find(|r| r.0 == api_id)
        .unwrap();
    assert_eq!(
        (row.1, row.2, row.3),
        (None, None, None),
        "the pending note is gone"
    );
    assert_eq!(row.4.as_deref(), Some(sealed.as_str()));
}

crate::on_both_backends!(pending_notes_are_encrypted_with_the_field_key);
