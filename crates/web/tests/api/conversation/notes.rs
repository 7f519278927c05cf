//! Meeting notes move inside the circle's boundary: a leader's browser seals a note under
//! the epoch key and the plain note is deleted; a stepped-in Admin never gets the sealed one.

use super::talking_circle;
use crate::helpers::conversation::b64;
use crate::helpers::{ok_json, refused, TestApp};
use chrono::Duration;
use reqwest::{Method, StatusCode};
use serde_json::json;

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
