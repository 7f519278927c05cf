//! Circle health, the organisation overview and archiving, over HTTP on SQLite and
//! PostgreSQL: the figures are right, only the right roles see them, no figure names a
//! person, and archiving keeps the counts while removing the personal details.

use crate::helpers::pages::Person;
use crate::helpers::{circle_body, ok_json, refused, TestApp, User};
use chrono::{Duration, Utc};
use db::main_db::{attendance, circle_invitations, circle_memberships, meetings};
use db::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use domain::circle::MembershipStatus;
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

/// A circle of 8 with two members, a request waiting, an invitation out and two past
/// meetings with attendance: 2 of 2 present 8 days ago, 1 of 2 an hour ago.
struct Story {
    admin: User,
    fac: User,
    joe: User,
    sam: User,
    applicant: User,
    circle: String,
}

async fn story(app: &TestApp) -> Story {
    let admin = app.admin().await;
    let fac = app.user_with_roles(&admin, &["facilitator"]).await;
    let joe = app.signed_up("joe@example.org").await;
    let sam = app.signed_up("sam@example.org").await;
    let applicant = app.signed_up("applicant@example.org").await;
    let circle = app.create_circle(&fac, circle_body("Tuesday Men", 8)).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for who in [&joe, &sam] {
        app.join(&fac, who, &circle).await;
    }
    let path = format!("/api/v1/circles/{circle}/join-requests");
    let body = json!({ "message": "I moved to Berlin last month." });
    ok_json(app.post_as(&applicant.access_token, &path, body).await).await;
    ok_json(app.invite(&fac, &circle, "guest@example.org").await).await;
    for (days, sam_status) in [(8, "present"), (0, "absent")] {
        let starts = Utc::now() - Duration::days(days) - Duration::hours(1);
        let body = json!({ "starts_at": starts.to_rfc3339(), "note": "Topic: fathers" });
        let m = ok_json(app.add_meeting(&fac, &circle, body).await).await;
        let entries = json!([
            { "user_id": joe.id, "status": "present" },
            { "user_id": sam.id, "status": sam_status },
        ]);
        let meeting = m["id"].as_str().unwrap();
        ok_json(app.record_attendance(&fac, meeting, entries).await).await;
    }
    Story {
        admin,
        fac,
        joe,
        sam,
        applicant,
        circle,
    }
}

fn health_path(circle: &str) -> String {
    format!("/api/v1/circles/{circle}/health")
}

/// No figure may carry a member's name or address.
fn assert_names_no_one(body: &Value) {
    let text = body.to_string();
    for who in ["joe", "sam", "applicant", "guest", "Joe", "Sam"] {
        assert!(!text.contains(who), "{who} named in {text}");
    }
}

async fn health_figures_and_who_sees_them(app: TestApp) {
    let s = story(&app).await;
    let h = ok_json(
        app.get_as(&s.fac.access_token, &health_path(&s.circle))
            .await,
    )
    .await;
    assert_names_no_one(&h);
    assert_eq!(h["active_members"], 2);
    assert_eq!(h["open_seats"], 6);
    assert_eq!(h["requests_waiting"], 1);
    assert_eq!(h["days_since_last_meeting"], 0);
    assert_eq!(h["attendance_rate"], 0.75);
    let rates: Vec<f64> = h["attendance"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["rate"].as_f64().unwrap())
        .collect();
    assert_eq!(rates, [1.0, 0.5], "oldest first");
    assert_eq!(h["attendance"][1]["absent"], 1);
    assert_eq!(h["retention"]["members_last_year"], 2);
    assert_eq!(h["retention"]["rate"], 1.0);
    assert_eq!(h["retention"]["joined_recently"], 2);
    let months = h["members_by_month"].as_array().unwrap();
    assert_eq!(months.len(), 1, "no month before the circle was created");
    assert_eq!(months.last().unwrap()["active"], 2);

    assert_eq!(h["suppressed"], false, "its facilitator sees it in full");

    // Organisation-report roles see it from outside: nothing about fewer than 5 people.
    let ptm = app
        .user_with_roles(&s.admin, &["program_team_member"])
        .await;
    let leadership = app.user_with_roles(&s.admin, &["leadership"]).await;
    for who in [&ptm, &leadership, &s.admin] {
        let o = ok_json(app.get_as(&who.access_token, &health_path(&s.circle)).await).await;
        assert_eq!(o["suppressed"], true, "{o}");
        assert_eq!(o["active_members"], 2, "public on the circle's page anyway");
        assert_eq!(o["requests_waiting"], Value::Null, "{o}");
        assert_eq!(o["attendance_rate"], Value::Null, "{o}");
        assert_eq!(o["attendance"], json!([]), "{o}");
        assert_eq!(o["retention"]["members_last_year"], Value::Null, "{o}");
        assert_eq!(o["retention"]["rate"], Value::Null, "{o}");
        let months = o["members_by_month"].as_array().unwrap();
        assert!(months.iter().all(|m| m["active"] != 2), "{o}");
    }
    let other_fac = app.user_with_roles(&s.admin, &["facilitator"]).await;
    for who in [&s.joe, &other_fac, &s.applicant] {
        let res = app.get_as(&who.access_token, &health_path(&s.circle)).await;
        assert_eq!(refused(res, StatusCode::FORBIDDEN).await, "forbidden");
    }
    let res = app
        .get_as(
            &s.fac.access_token,
            &health_path(&Uuid::now_v7().to_string()),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}
crate::on_both_backends!(health_figures_and_who_sees_them);

async fn the_overview_is_aggregates_for_report_roles(app: TestApp) {
    let s = story(&app).await;
    let leadership = app.user_with_roles(&s.admin, &["leadership"]).await;
    let o = ok_json(
        app.get_as(&leadership.access_token, "/api/v1/reports/circles")
            .await,
    )
    .await;
    assert_names_no_one(&o);
    let t = &o["totals"];
    assert_eq!(t["circles"], 1);
    assert_eq!(t["forming"], 1);
    assert_eq!(t["active_members"], 2);
    // One request and a rate over two members describe fewer than five people: withheld.
    assert_eq!(t["requests_waiting"], Value::Null);
    assert_eq!(t["open_seats"], 6);
    assert_eq!(t["attendance_rate"], Value::Null);
    assert_eq!(t["quiet_circles"], 0);
    assert_eq!(o["circles"][0]["name"], "Tuesday Men");
    assert_eq!(o["circles"][0]["requests_waiting"], Value::Null);
    assert_eq!(o["circles"][0]["attendance_rate"], Value::Null);
    for who in [&s.fac, &s.joe] {
        let res = app
            .get_as(&who.access_token, "/api/v1/reports/circles")
            .await;
        assert_eq!(refused(res, StatusCode::FORBIDDEN).await, "forbidden");
    }

    // The pages: the overview table and the health page with its charts.
    let reader = Person::of(&app, &leadership).await;
    let html = reader.page("/reports/circles").await;
    assert!(
        html.contains("Tuesday Men") && html.contains("fewer than 5"),
        "{html}"
    );
    assert!(!html.contains("75%"), "a rate over two members is withheld");
    assert!(!html.contains("joe@example.org"));
    // Sortable by its columns, and downloadable as CSV in the order shown.
    assert!(
        html.contains("href=\"/reports/circles?sort=members"),
        "{html}"
    );
    let sorted = reader.page("/reports/circles?sort=members").await;
    assert!(
        sorted.contains("<strong aria-current=\"true\">Members</strong>"),
        "{sorted}"
    );
    let res = reader.get("/reports/circles.csv?sort=members").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()["content-disposition"].to_str().unwrap(),
        "attachment; filename=\"circles.csv\""
    );
    let csv = res.text().await.unwrap();
    assert!(csv.starts_with("circle,status,members,capacity,"), "{csv}");
    assert!(
        csv.contains("Tuesday Men,forming,2,8,6,fewer than 5,–,"),
        "{csv}"
    );
    let member = Person::of(&app, &s.joe).await;
    assert_ne!(
        member.get("/reports/circles.csv").await.status(),
        StatusCode::OK
    );
    let html = reader.page(&format!("/circles/{}/health", s.circle)).await;
    assert_eq!(html.matches("<svg class=\"chart\"").count(), 2, "{html}");
    // Each meeting had fewer than five people recorded: no bar shows it from outside.
    assert_eq!(html.matches("class=\"chart-bar\"").count(), 0);
    assert!(
        html.contains("no figure about fewer than 5 people is shown"),
        "{html}"
    );
    assert!(html.contains("Attendance per meeting"));
    // Its facilitator still sees both meetings in full.
    let leader = Person::of(&app, &s.fac).await;
    let html = leader.page(&format!("/circles/{}/health", s.circle)).await;
    assert_eq!(html.matches("class=\"chart-bar\"").count(), 2);
    assert!(html.contains("75%"), "{html}");

    let member = Person::of(&app, &s.joe).await;
    for path in [
        "/reports/circles".to_owned(),
        format!("/circles/{}/health", s.circle),
    ] {
        let res = member.get(&path).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
    }
}
crate::on_both_backends!(the_overview_is_aggregates_for_report_roles);

async fn archiving_keeps_counts_and_removes_personal_details(app: TestApp) {
    let s = story(&app).await;
    let circle_id: Uuid = s.circle.parse().unwrap();
    let archive = format!("/api/v1/circles/{}/archive", s.circle);
    let res = app.post_as(&s.joe.access_token, &archive, json!({})).await;
    assert_eq!(refused(res, StatusCode::FORBIDDEN).await, "forbidden");
    let before = ok_json(
        app.get_as(&s.fac.access_token, &health_path(&s.circle))
            .await,
    )
    .await;

    let report = ok_json(app.post_as(&s.fac.access_token, &archive, json!({})).await).await;
    assert_eq!(report["requests_declined"], 1);
    assert_eq!(report["invitations_deleted"], 1);
    assert_eq!(report["meetings_summarised"], 2);
    assert_eq!(report["attendance_records_deleted"], 4);

    // The history stays: the same attendance figures, now from the counts.
    let after = ok_json(
        app.get_as(&s.fac.access_token, &health_path(&s.circle))
            .await,
    )
    .await;
    assert_eq!(after["attendance"], before["attendance"]);
    assert_eq!(after["status"], "archived");
    assert_eq!(after["requests_waiting"], 0);

    // The personal details are gone.
    let db = &app.ctx.main;
    let held: Vec<meetings::Model> = meetings::Entity::find()
        .filter(meetings::Column::CircleId.eq(circle_id))
        .all(db)
        .await
        .unwrap();
    let ids: Vec<Uuid> = held.iter().map(|m| m.id).collect();
    let left = attendance::Entity::find()
        .filter(attendance::Column::MeetingId.is_in(ids))
        .all(db)
        .await
        .unwrap();
    assert!(left.is_empty(), "per-person attendance kept: {left:?}");
    assert!(held
        .iter()
        .all(|m| m.note.is_none() && m.location.is_none()));
    let invitations = circle_invitations::Entity::find()
        .filter(circle_invitations::Column::CircleId.eq(circle_id))
        .all(db)
        .await
        .unwrap();
    assert!(invitations.is_empty());
    let people = circle_memberships::Entity::find()
        .filter(circle_memberships::Column::CircleId.eq(circle_id))
        .all(db)
        .await
        .unwrap();
    assert!(people
        .iter()
        .all(|m| m.message.is_none() && m.reason.is_none()));
    assert!(people
        .iter()
        .any(|m| m.user_id == s.applicant.id && m.status == MembershipStatus::Declined));

    // Read-only for good, hidden from outsiders, still open to those who were in it.
    let circle_path = format!("/api/v1/circles/{}", s.circle);
    let seen = ok_json(app.get_as(&s.sam.access_token, &circle_path).await).await;
    assert_eq!(seen["status"], "archived");
    assert!(seen["online_url"].is_null() && seen["location"].is_null());
    let outsider = app.signed_up("outsider@example.org").await;
    let res = app.get_as(&outsider.access_token, &circle_path).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = app.post_as(&s.fac.access_token, &archive, json!({})).await;
    assert_eq!(refused(res, StatusCode::CONFLICT).await, "circle_archived");
    let res = app
        .edit_circle(&s.fac, &s.circle, json!({ "name": "Again" }))
        .await;
    assert_eq!(refused(res, StatusCode::CONFLICT).await, "circle_archived");
    let listed = ok_json(app.get_as(&outsider.access_token, "/api/v1/circles").await).await;
    assert!(!listed.to_string().contains(&s.circle), "{listed}");

    // Everyone still in it or waiting is told; the audit log has the step.
    app.run_pending_jobs().await;
    for who in [&s.joe, &s.sam, &s.applicant] {
        assert!(
            app.emails_to(&who.email)
                .iter()
                .any(|m| m.subject == "Tuesday Men has been archived"),
            "{}",
            who.email
        );
    }
    assert!(app
        .audit_actions()
        .await
        .contains(&"circle_archived".to_owned()));
}
crate::on_both_backends!(archiving_keeps_counts_and_removes_personal_details);

async fn archiving_from_the_circle_page(app: TestApp) {
    let s = story(&app).await;
    let page = format!("/circles/{}/archive", s.circle);
    let member = Person::of(&app, &s.joe).await;
    let res = member.get(&page).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    let fac = Person::of(&app, &s.fac).await;
    let html = fac.page(&format!("/circles/{}", s.circle)).await;
    assert!(html.contains(&page), "no archive link");
    let html = fac.page(&page).await;
    assert!(html.contains("Archive this circle?") && html.contains("cannot be undone"));
    let (to, html) = fac.submit_ok(&page, &page, &[]).await;
    assert!(to.ends_with("done=archived"), "{to}");
    assert!(html.contains("The circle is archived."));
    assert!(!html.contains("Edit circle") && !html.contains("Join requests"));
    assert!(html.contains("Circle health"));
    // Again: the page explains the refusal instead of failing.
    let html = fac.submit_refused(&page, &page, &[]).await;
    assert!(html.contains("archived and can no longer be changed"));
}
crate::on_both_backends!(archiving_from_the_circle_page);
