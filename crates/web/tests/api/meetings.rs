//! Meetings and attendance end to end over HTTP, on SQLite and PostgreSQL: generation
//! from the cadence (idempotent), listing, adding, moving, cancelling, recording
//! attendance, a member's own history, and every refusal.

use crate::helpers::{circle_body, ok_json, refused, TestApp};
use chrono::{DateTime, Duration, Timelike, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};

fn at(v: &Value) -> DateTime<Utc> {
    v["starts_at"].as_str().unwrap().parse().unwrap()
}

async fn generation_listing_and_changes(app: TestApp) {
    let admin = app.admin().await;
    let fac = app.user_with_roles(&admin, &["facilitator"]).await;
    let joe = app.signed_up("joe@example.org").await;
    let outsider = app.signed_up("outsider@example.org").await;
    let id = app.create_circle(&fac, circle_body("Tuesday Men", 8)).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.join(&fac, &joe, &id).await;

    let until = (Utc::now() + Duration::weeks(10)).to_rfc3339();
    // Only leaders generate.
    let res = app
        .generate_meetings(&joe, &id, json!({ "until": until }))
        .await;
    assert_eq!(refused(res, StatusCode::FORBIDDEN).await, "forbidden");
    let first = ok_json(
        app.generate_meetings(&fac, &id, json!({ "until": until }))
            .await,
    )
    .await;
    let created = first["created"].as_u64().unwrap();
    assert!((9..=10).contains(&created), "{first}");
    // Idempotent: a second call creates nothing.
    let again = ok_json(
        app.generate_meetings(&fac, &id, json!({ "until": until }))
            .await,
    )
    .await;
    assert_eq!(again["created"], 0);

    // Outsiders cannot list; members and leaders can.
    let res = app.meetings_of(&outsider, &id).await;
    assert_eq!(refused(res, StatusCode::FORBIDDEN).await, "forbidden");
    let listed = ok_json(app.meetings_of(&joe, &id).await).await;
    let meetings = listed.as_array().unwrap().clone();
    assert_eq!(meetings.len() as u64, created);
    assert_eq!(
        ok_json(app.meetings_of(&fac, &id).await)
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
    let past = (Utc::now() - Duration::hours(1)).to_rfc3339();
    let res = app
        .add_meeting(&joe, &id, json!({ "starts_at": past }))
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
        .add_meeting(
            &fac,
            &id,
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
        app.generate_meetings(&fac, &id, json!({ "until": until }))
            .await,
    )
    .await;
    assert_eq!(again["created"], 0);
    let after = ok_json(app.meetings_of(&fac, &id).await).await;
    assert_eq!(after.as_array().unwrap().len() as u64, created);

    // Attendance before the meeting starts is refused.
    let res = app
        .record_attendance(
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
    app.run_pending_jobs().await;
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
    let res = app
        .record_attendance(
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
        app.add_meeting(
            &fac,
            &id,
            json!({ "starts_at": past, "duration_minutes": 90, "note": "Extra session" }),
        )
        .await,
    )
    .await;
    let pid = past_meeting["id"].as_str().unwrap().to_owned();
    let res = app
        .record_attendance(
            &fac,
            &pid,
            json!([{ "user_id": outsider.id, "status": "present" }]),
        )
        .await;
    assert_eq!(refused(res, StatusCode::CONFLICT).await, "not_a_member");
    let res = app
        .record_attendance(&fac, &pid, json!([{ "user_id": joe.id, "status": "late" }]))
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = app
        .record_attendance(
            &joe,
            &pid,
            json!([{ "user_id": joe.id, "status": "present" }]),
        )
        .await;
    assert_eq!(refused(res, StatusCode::FORBIDDEN).await, "forbidden");
    ok_json(
        app.record_attendance(
            &fac,
            &pid,
            json!([{ "user_id": joe.id, "status": "absent" }]),
        )
        .await,
    )
    .await;
    ok_json(
        app.record_attendance(
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
    app.force_circle_status(&id, "archived").await;
    let res = app
        .generate_meetings(&fac, &id, json!({ "until": until }))
        .await;
    assert_eq!(refused(res, StatusCode::CONFLICT).await, "circle_archived");
    let res = app
        .add_meeting(&fac, &id, json!({ "starts_at": past }))
        .await;
    assert_eq!(refused(res, StatusCode::CONFLICT).await, "circle_archived");
    let res = app
        .record_attendance(
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
    ok_json(app.meetings_of(&joe, &id).await).await;
}

crate::on_both_backends!(generation_listing_and_changes);

// --- A second meeting at a time already planned -------------------------------------------

async fn a_time_already_planned_is_refused(app: TestApp) {
    let admin = app.admin().await;
    let fac = app.user_with_roles(&admin, &["facilitator"]).await;
    let id = app.create_circle(&fac, circle_body("Tuesday Men", 8)).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let day = (Utc::now() + Duration::days(9)).date_naive();
    let when = day.and_hms_opt(18, 0, 0).unwrap().and_utc();
    let first = ok_json(
        app.add_meeting(&fac, &id, json!({ "starts_at": when.to_rfc3339() }))
            .await,
    )
    .await;
    // The same start again, through the API: refused with its code.
    let res = app
        .add_meeting(&fac, &id, json!({ "starts_at": when.to_rfc3339() }))
        .await;
    assert_eq!(
        refused(res, StatusCode::CONFLICT).await,
        "meeting_already_planned"
    );
    // Moving another meeting onto it: refused too.
    let later = ok_json(
        app.add_meeting(
            &fac,
            &id,
            json!({ "starts_at": (when + Duration::hours(1)).to_rfc3339() }),
        )
        .await,
    )
    .await;
    let res = app
        .post_as(
            &fac.access_token,
            &format!("/api/v1/meetings/{}/move", later["id"].as_str().unwrap()),
            json!({ "starts_at": when.to_rfc3339() }),
        )
        .await;
    assert_eq!(
        refused(res, StatusCode::CONFLICT).await,
        "meeting_already_planned"
    );

    // Through the page: the form comes back with the reason.
    let page = crate::helpers::pages::Person::of(&app, &fac).await;
    let meetings = format!("/circles/{id}/meetings");
    let berlin = domain::TimeZone::parse("Europe/Berlin").unwrap();
    let local = when.with_timezone(&berlin.tz());
    let html = page
        .submit_refused(
            &meetings,
            &format!("{meetings}/add"),
            &[
                ("date", &local.format("%Y-%m-%d").to_string()),
                ("time", &local.format("%H:%M").to_string()),
                ("duration_minutes", ""),
                ("note", ""),
            ],
        )
        .await;
    assert!(
        html.contains("already has a meeting planned at that time"),
        "{html}"
    );
    let listed = ok_json(app.meetings_of(&fac, &id).await).await;
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.iter().filter(|m| at(m) == when).count(), 1);

    // Once that meeting is cancelled, the time is free again.
    let res = app
        .post_as(
            &fac.access_token,
            &format!("/api/v1/meetings/{}/cancel", first["id"].as_str().unwrap()),
            json!({}),
        )
        .await;
    assert!(res.status().is_success());
    let res = app
        .add_meeting(&fac, &id, json!({ "starts_at": when.to_rfc3339() }))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
}
crate::on_both_backends!(a_time_already_planned_is_refused);
