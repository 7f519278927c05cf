//! Meetings and attendance end to end over HTTP, on SQLite and PostgreSQL: generation
//! from the cadence (idempotent), listing, adding, moving, cancelling, recording
//! attendance, a member's own history, and every refusal.

use crate::helpers::{problem_code, TestApp, User};
use chrono::{DateTime, Duration, Timelike, Utc};
use db::main_db::circles;
use db::sea_orm::sea_query::Expr;
use db::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};
use uuid::Uuid;

async fn ok_json(res: Response) -> Value {
    let status = res.status();
    let text = res.text().await.unwrap();
    assert!(status.is_success(), "{status}: {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

async fn refused(res: Response, status: StatusCode) -> String {
    assert_eq!(res.status(), status);
    problem_code(res).await
}

async fn create_circle(app: &TestApp, by: &User) -> String {
    let body = json!({
        "name": "Tuesday Men",
        "description": "Men meeting to listen and speak honestly.",
        "capacity": 8,
        "visibility": "open",
        "frequency": "weekly",
        "weekday": "tue",
        "meeting_time": "19:30",
        "duration_minutes": 120,
        "time_zone": "Europe/Berlin",
        "anchor_date": "2026-03-03",
        "city": "Berlin",
        "location": "Community hall"
    });
    let res = app.post_as(&by.access_token, "/api/v1/circles", body).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    ok_json(res).await["id"].as_str().unwrap().to_owned()
}

async fn join(app: &TestApp, fac: &User, who: &User, circle: &str) {
    let req = ok_json(
        app.post_as(
            &who.access_token,
            &format!("/api/v1/circles/{circle}/join-requests"),
            json!({}),
        )
        .await,
    )
    .await;
    let mid = req["id"].as_str().unwrap();
    ok_json(
        app.post_as(
            &fac.access_token,
            &format!("/api/v1/circles/{circle}/join-requests/{mid}/approve"),
            json!({}),
        )
        .await,
    )
    .await;
}

async fn set_status(app: &TestApp, circle: &str, status: &str) {
    circles::Entity::update_many()
        .col_expr(circles::Column::Status, Expr::value(status))
        .filter(circles::Column::Id.eq(circle.parse::<Uuid>().unwrap()))
        .exec(&app.ctx.main)
        .await
        .unwrap();
}

fn at(v: &Value) -> DateTime<Utc> {
    v["starts_at"].as_str().unwrap().parse().unwrap()
}

async fn list(app: &TestApp, who: &User, circle: &str) -> Response {
    app.get_as(
        &who.access_token,
        &format!("/api/v1/circles/{circle}/meetings"),
    )
    .await
}

async fn attendance(app: &TestApp, by: &User, meeting: &str, entries: Value) -> Response {
    app.call(
        Method::PUT,
        &format!("/api/v1/meetings/{meeting}/attendance"),
        Some(&by.access_token),
        Some(json!({ "entries": entries })),
    )
    .await
}

async fn generation_listing_and_changes(app: TestApp) {
    let admin = app.admin().await;
    let fac = app.user_with_roles(&admin, &["facilitator"]).await;
    let joe = app.signed_up("joe@example.org").await;
    let outsider = app.signed_up("outsider@example.org").await;
    let id = create_circle(&app, &fac).await;
    join(&app, &fac, &joe, &id).await;

    let gen_path = format!("/api/v1/circles/{id}/meetings/generate");
    let until = (Utc::now() + Duration::weeks(10)).to_rfc3339();
    // Only leaders generate.
    let res = app
        .post_as(&joe.access_token, &gen_path, json!({ "until": until }))
        .await;
    assert_eq!(refused(res, StatusCode::FORBIDDEN).await, "forbidden");
    let first = ok_json(
        app.post_as(&fac.access_token, &gen_path, json!({ "until": until }))
            .await,
    )
    .await;
    let created = first["created"].as_u64().unwrap();
    assert!((9..=10).contains(&created), "{first}");
    // Idempotent: a second call creates nothing.
    let again = ok_json(
        app.post_as(&fac.access_token, &gen_path, json!({ "until": until }))
            .await,
    )
    .await;
    assert_eq!(again["created"], 0);

    // Outsiders cannot list; members and leaders can.
    let res = list(&app, &outsider, &id).await;
    assert_eq!(refused(res, StatusCode::FORBIDDEN).await, "forbidden");
    let listed = ok_json(list(&app, &joe, &id).await).await;
    let meetings = listed.as_array().unwrap().clone();
    assert_eq!(meetings.len() as u64, created);
    assert_eq!(
        ok_json(list(&app, &fac, &id).await)
            .await
            .as_array()
            .unwrap()
            .len() as u64,
        created
    );
    // Weekly, Tuesday 19:30 Berlin time: 18:30 UTC in winter, 17:30 in summer.
    for pair in meetings.windows(2) {
        let gap = at(&pair[1]) - at(&pair[0]);
        assert!(
            (gap - Duration::weeks(1)).num_minutes().abs() <= 60,
            "{gap}"
        );
    }
    for m in &meetings {
        let t = at(m);
        assert_eq!(t.minute(), 30);
        assert!(matches!(t.hour(), 17 | 18), "{t}");
        assert_eq!(m["status"], "scheduled");
        assert_eq!(m["duration_minutes"], 120);
    }

    // Non-leaders cannot add, move or cancel.
    let first_id = meetings[0]["id"].as_str().unwrap().to_owned();
    let add_path = format!("/api/v1/circles/{id}/meetings");
    let past = (Utc::now() - Duration::hours(1)).to_rfc3339();
    let res = app
        .post_as(&joe.access_token, &add_path, json!({ "starts_at": past }))
        .await;
    assert_eq!(refused(res, StatusCode::FORBIDDEN).await, "forbidden");
    let move_path = format!("/api/v1/meetings/{first_id}/move");
    let cancel_path = format!("/api/v1/meetings/{first_id}/cancel");
    let moved_to = at(&meetings[0]) + Duration::days(1);
    let res = app
        .post_as(
            &joe.access_token,
            &move_path,
            json!({ "starts_at": moved_to.to_rfc3339() }),
        )
        .await;
    assert_eq!(refused(res, StatusCode::FORBIDDEN).await, "forbidden");
    let res = app
        .post_as(&joe.access_token, &cancel_path, json!({}))
        .await;
    assert_eq!(refused(res, StatusCode::FORBIDDEN).await, "forbidden");

    // Bad duration.
    let res = app
        .post_as(
            &fac.access_token,
            &add_path,
            json!({ "starts_at": past, "duration_minutes": 10 }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Move keeps one meeting (and generating again does not bring the old time back).
    let moved = ok_json(
        app.post_as(
            &fac.access_token,
            &move_path,
            json!({ "starts_at": moved_to.to_rfc3339() }),
        )
        .await,
    )
    .await;
    assert_eq!(at(&moved), moved_to);
    assert_eq!(moved["origin_at"], meetings[0]["origin_at"]);
    let again = ok_json(
        app.post_as(&fac.access_token, &gen_path, json!({ "until": until }))
            .await,
    )
    .await;
    assert_eq!(again["created"], 0);
    let after = ok_json(list(&app, &fac, &id).await).await;
    assert_eq!(after.as_array().unwrap().len() as u64, created);

    // Attendance before the meeting starts is refused.
    let res = attendance(
        &app,
        &fac,
        &first_id,
        json!([{ "user_id": joe.id, "status": "present" }]),
    )
    .await;
    assert_eq!(
        refused(res, StatusCode::CONFLICT).await,
        "meeting_not_started"
    );

    // Cancel; a cancelled meeting takes no attendance.
    let c = ok_json(
        app.post_as(&fac.access_token, &cancel_path, json!({}))
            .await,
    )
    .await;
    assert_eq!(c["status"], "cancelled");
    // Members hear about both changes, in the circle's time zone; the leader who made
    // them does not.
    app.run_jobs().await;
    let mails = app.emails_to("joe@example.org");
    let moved_mail = mails
        .iter()
        .find(|m| m.subject == "Tuesday Men: a meeting has moved")
        .expect("a moved-meeting email");
    assert!(
        moved_mail.body.contains("(Europe/Berlin)"),
        "{}",
        moved_mail.body
    );
    assert!(moved_mail.body.contains(&format!("/circles/{id}/meetings")));
    assert!(mails
        .iter()
        .any(|m| m.subject == "Tuesday Men: a meeting is cancelled"));
    assert!(!app
        .emails_to(&fac.email)
        .iter()
        .any(|m| m.subject.contains("a meeting")));
    let res = attendance(
        &app,
        &fac,
        &first_id,
        json!([{ "user_id": joe.id, "status": "present" }]),
    )
    .await;
    assert_eq!(
        refused(res, StatusCode::CONFLICT).await,
        "meeting_cancelled"
    );

    // A meeting that has started: attendance for members only, upserted.
    let past_meeting = ok_json(
        app.post_as(
            &fac.access_token,
            &add_path,
            json!({ "starts_at": past, "duration_minutes": 90, "note": "Extra session" }),
        )
        .await,
    )
    .await;
    let pid = past_meeting["id"].as_str().unwrap().to_owned();
    let res = attendance(
        &app,
        &fac,
        &pid,
        json!([{ "user_id": outsider.id, "status": "present" }]),
    )
    .await;
    assert_eq!(refused(res, StatusCode::CONFLICT).await, "not_a_member");
    let res = attendance(
        &app,
        &fac,
        &pid,
        json!([{ "user_id": joe.id, "status": "late" }]),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = attendance(
        &app,
        &joe,
        &pid,
        json!([{ "user_id": joe.id, "status": "present" }]),
    )
    .await;
    assert_eq!(refused(res, StatusCode::FORBIDDEN).await, "forbidden");
    ok_json(
        attendance(
            &app,
            &fac,
            &pid,
            json!([{ "user_id": joe.id, "status": "absent" }]),
        )
        .await,
    )
    .await;
    ok_json(
        attendance(
            &app,
            &fac,
            &pid,
            json!([{ "user_id": joe.id, "status": "present" }]),
        )
        .await,
    )
    .await;

    // Joe sees his own history.
    let mine = ok_json(app.get_as(&joe.access_token, "/api/v1/me/attendance").await).await;
    let mine = mine.as_array().unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["meeting_id"], pid.as_str());
    assert_eq!(mine[0]["circle_name"], "Tuesday Men");
    assert_eq!(mine[0]["status"], "present");
    let theirs = ok_json(
        app.get_as(&outsider.access_token, "/api/v1/me/attendance")
            .await,
    )
    .await;
    assert_eq!(theirs.as_array().unwrap().len(), 0);

    let actions = app.audit_actions().await;
    for a in [
        "meetings_generated",
        "meeting_added",
        "meeting_moved",
        "meeting_cancelled",
        "attendance_recorded",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a}: {actions:?}");
    }

    // An archived circle refuses every change.
    set_status(&app, &id, "archived").await;
    let res = app
        .post_as(&fac.access_token, &gen_path, json!({ "until": until }))
        .await;
    assert_eq!(refused(res, StatusCode::CONFLICT).await, "circle_archived");
    let res = app
        .post_as(&fac.access_token, &add_path, json!({ "starts_at": past }))
        .await;
    assert_eq!(refused(res, StatusCode::CONFLICT).await, "circle_archived");
    let res = attendance(
        &app,
        &fac,
        &pid,
        json!([{ "user_id": joe.id, "status": "excused" }]),
    )
    .await;
    assert_eq!(refused(res, StatusCode::CONFLICT).await, "circle_archived");
    let second = meetings[1]["id"].as_str().unwrap();
    let res = app
        .post_as(
            &fac.access_token,
            &format!("/api/v1/meetings/{second}/cancel"),
            json!({}),
        )
        .await;
    assert_eq!(refused(res, StatusCode::CONFLICT).await, "circle_archived");
    // Members can still read.
    ok_json(list(&app, &joe, &id).await).await;
}

crate::on_both_backends!(generation_listing_and_changes);
