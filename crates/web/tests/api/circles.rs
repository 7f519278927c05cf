//! Circles and membership end to end over HTTP, on SQLite and PostgreSQL: creating and
//! editing circles, browsing, join requests and the queue, invitations, leaving, removal,
//! every refusal, the emails and audit records, and the capacity invariant under load.

use crate::helpers::{circle_body, ok_json, problem_code, refused, TestApp};
use db::main_db::{circle_memberships, circles};
use db::sea_orm::sea_query::Expr;
use db::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use domain::audit::Classification;
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

fn id_of(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

async fn circle_row(app: &TestApp, circle: &str) -> circles::Model {
    circles::Entity::find_by_id(circle.parse::<Uuid>().unwrap())
        .one(&app.ctx.main)
        .await
        .unwrap()
        .unwrap()
}

async fn create_and_browse(app: TestApp) {
    let admin = app.admin().await;
    let fac = app.user_with_roles(&admin, &["facilitator"]).await;
    let member = app.signed_up("reader@example.org").await;

    // Only Facilitators and Admins may create; a plain member is refused.
    let res = app
        .post_as(
            &member.access_token,
            "/api/v1/circles",
            circle_body("Nope", 5),
        )
        .await;
    assert_eq!(refused(res, StatusCode::FORBIDDEN).await, "forbidden");

    let c = app.create_circle(&fac, circle_body("Tuesday Men", 8)).await;
    assert_eq!(c["status"], "forming");
    assert_eq!(c["open_seats"], 8);
    assert_eq!(c["facilitators"][0]["user_id"], fac.id.to_string());
    assert_eq!(c["facilitators"][0]["role"], "facilitator");
    assert_eq!(c["viewer_leads"], true);
    let id = id_of(&c);
    // The facilitator does not take a seat.
    assert_eq!(circle_row(&app, &id).await.active_members, 0);
    assert!(app
        .audit_actions()
        .await
        .contains(&"circle_created".to_owned()));

    // Leading a circle is never a global role's privilege: an Admin without a current
    // certification is refused like anyone else.
    let online_body = json!({ "name": "Online Thursdays", "capacity": 4, "visibility": "invitation_only",
            "frequency": "every_two_weeks", "weekday": "thu", "meeting_time": "20:00",
            "duration_minutes": 90, "time_zone": "America/New_York", "anchor_date": "2026-03-05",
            "online_url": "https://meet.example.org/thu" });
    let res = app
        .post_as(&admin.access_token, "/api/v1/circles", online_body.clone())
        .await;
    assert_eq!(
        refused(res, StatusCode::FORBIDDEN).await,
        "certification_required"
    );
    let online = app.create_circle(&fac, online_body).await;
    let mut in_person = circle_body("Hamburg Fathers", 6);
    in_person["city"] = json!("Hamburg");
    in_person["weekday"] = json!("mon");
    in_person["anchor_date"] = json!("2026-03-02");
    in_person["online_url"] = Value::Null;
    let hamburg = app.create_circle(&fac, in_person).await;
    // Invitation-only circles are listed only to those invited (and their people).
    let res = app
        .post_as(
            &fac.access_token,
            &format!("/api/v1/circles/{}/invitations", id_of(&online)),
            json!({ "email": member.email }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);

    // An outsider sees the description, cadence and facilitators — no members, no link.
    let seen = ok_json(
        app.get_as(&member.access_token, &format!("/api/v1/circles/{id}"))
            .await,
    )
    .await;
    assert_eq!(seen["name"], "Tuesday Men");
    assert_eq!(seen["meeting_time"], "19:30");
    assert_eq!(seen["time_zone"], "Europe/Berlin");
    assert_eq!(seen["city"], "Berlin");
    assert!(seen["online_url"].is_null());
    assert_eq!(seen["has_online_meetings"], true);
    assert!(seen.get("members").is_none(), "{seen}");
    assert_eq!(seen["facilitators"].as_array().unwrap().len(), 1);

    let names = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_owned())
            .collect()
    };
    // By default the list holds only circles one can ask to join: full and
    // invitation-only circles are left out unless asked for.
    let plain = ok_json(app.get_as(&member.access_token, "/api/v1/circles").await).await;
    assert_eq!(names(&plain), ["Tuesday Men", "Hamburg Fathers"]);
    let list = |q: &'static str| {
        let app = &app;
        let token = member.access_token.clone();
        let all = "include_full_and_invitation_only=true";
        let q = if q.is_empty() {
            format!("?{all}")
        } else {
            format!("{q}&{all}")
        };
        async move { ok_json(app.get_as(&token, &format!("/api/v1/circles{q}")).await).await }
    };
    assert_eq!(
        names(&list("").await),
        ["Tuesday Men", "Online Thursdays", "Hamburg Fathers"]
    );
    assert_eq!(names(&list("?q=fathers").await), ["Hamburg Fathers"]);
    assert_eq!(
        names(&list("?q=HONESTLY").await),
        ["Tuesday Men", "Hamburg Fathers"]
    );
    assert_eq!(names(&list("?city=hamburg").await), ["Hamburg Fathers"]);
    assert_eq!(names(&list("?online=false").await), ["Hamburg Fathers"]);
    assert_eq!(
        names(&list("?online=true").await),
        ["Tuesday Men", "Online Thursdays"]
    );
    assert_eq!(names(&list("?weekday=thu").await), ["Online Thursdays"]);
    let listed = list("?weekday=tue").await;
    assert!(listed["items"][0]["online_url"].is_null());
    assert!(listed["items"][0].get("members").is_none());
    let res = app
        .get_as(&member.access_token, "/api/v1/circles?weekday=someday")
        .await;
    assert_eq!(
        refused(res, StatusCode::UNPROCESSABLE_ENTITY).await,
        "validation_failed"
    );

    // Paging by cursor.
    let first = list("?limit=2").await;
    assert_eq!(names(&first), ["Tuesday Men", "Online Thursdays"]);
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let rest = ok_json(
        app.get_as(
            &member.access_token,
            &format!(
                "/api/v1/circles?limit=2&cursor={cursor}&include_full_and_invitation_only=true"
            ),
        )
        .await,
    )
    .await;
    assert_eq!(names(&rest), ["Hamburg Fathers"]);
    assert!(rest["next_cursor"].is_null());

    // Closed circles only with a filter; full circles drop out of has_open_seats.
    let res = app
        .edit_circle(&fac, &id_of(&hamburg), json!({ "status": "closed" }))
        .await;
    assert_eq!(ok_json(res).await["status"], "closed");
    assert_eq!(names(&list("").await), ["Tuesday Men", "Online Thursdays"]);
    assert_eq!(names(&list("?status=closed").await), ["Hamburg Fathers"]);
    circles::Entity::update_many()
        .col_expr(circles::Column::ActiveMembers, Expr::value(4))
        .filter(circles::Column::Id.eq(id_of(&online).parse::<Uuid>().unwrap()))
        .exec(&app.ctx.main)
        .await
        .unwrap();
    assert_eq!(names(&list("?has_open_seats=true").await), ["Tuesday Men"]);
    assert_eq!(
        names(&list("?has_open_seats=false").await),
        ["Online Thursdays"]
    );
}

async fn creation_is_validated_and_needs_certification(app: TestApp) {
    let admin = app.admin().await;
    let fac = app.user_with_roles(&admin, &["facilitator"]).await;
    for capacity in [1, 11, 0] {
        let res = app
            .post_as(
                &fac.access_token,
                "/api/v1/circles",
                circle_body("Too odd", capacity),
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["errors"][0]["field"], "capacity", "{body}");
    }
    let bad = json!({ "name": "x", "capacity": 5, "visibility": "open", "frequency": "daily",
        "weekday": "tuesday", "meeting_time": "7pm", "duration_minutes": 10, "time_zone": "Mars/Base",
        "anchor_date": "03/03/2026", "online_url": "http://meet.example.org/" });
    let res = app.post_as(&fac.access_token, "/api/v1/circles", bad).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = res.json().await.unwrap();
    let mut fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    fields.sort();
    assert_eq!(
        fields,
        [
            "anchor_date",
            "duration_minutes",
            "frequency",
            "meeting_time",
            "name",
            "online_url",
            "time_zone",
            "weekday"
        ]
    );
    // The first meeting must fall on the weekday.
    let mut wrong_day = circle_body("Wrong day", 5);
    wrong_day["weekday"] = json!("wed");
    let res = app
        .post_as(&fac.access_token, "/api/v1/circles", wrong_day)
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // A Facilitator whose certification is gone (the role left behind) cannot create.
    db::main_db::facilitator_certifications::Entity::delete_many()
        .filter(db::main_db::facilitator_certifications::Column::UserId.eq(fac.id))
        .exec(&app.ctx.main)
        .await
        .unwrap();
    let res = app
        .post_as(
            &fac.access_token,
            "/api/v1/circles",
            circle_body("Uncertified", 5),
        )
        .await;
    assert_eq!(
        refused(res, StatusCode::FORBIDDEN).await,
        "certification_required"
    );
    assert_eq!(
        circles::Entity::find()
            .all(&app.ctx.main)
            .await
            .unwrap()
            .len(),
        0
    );
}

async fn editing_is_for_leaders(app: TestApp) {
    let admin = app.admin().await;
    let fac = app.user_with_roles(&admin, &["facilitator"]).await;
    let other_fac = app.user_with_roles(&admin, &["facilitator"]).await;
    let member = app.signed_up("m1@example.org").await;
    let id = id_of(&app.create_circle(&fac, circle_body("Edit me", 3)).await);

    let res = app
        .edit_circle(&other_fac, &id, json!({ "name": "Hijacked" }))
        .await;
    assert_eq!(refused(res, StatusCode::FORBIDDEN).await, "forbidden");
    let res = app
        .edit_circle(&member, &id, json!({ "name": "Hijacked" }))
        .await;
    assert_eq!(refused(res, StatusCode::FORBIDDEN).await, "forbidden");

    let edited = ok_json(
        app.edit_circle(
            &fac,
            &id,
            json!({ "name": "Edited circle", "capacity": 4, "city": "", "status": "active",
                    "meeting_time": "18:00" }),
        )
        .await,
    )
    .await;
    assert_eq!(edited["name"], "Edited circle");
    assert_eq!(edited["capacity"], 4);
    assert!(edited["city"].is_null());
    assert_eq!(edited["status"], "active");
    assert_eq!(edited["meeting_time"], "18:00");
    assert_eq!(edited["weekday"], "tue", "untouched fields stay");
    let rows = app.audit_records("circle_updated").await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].actor_id, Some(fac.id));

    let res = app.edit_circle(&fac, &id, json!({ "capacity": 12 })).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // An Admin is no leader of every circle: only an announced step-in lets him act.
    let res = app
        .edit_circle(&admin, &id, json!({ "description": "By an admin." }))
        .await;
    assert_eq!(refused(res, StatusCode::FORBIDDEN).await, "forbidden");
    app.step_in(
        &admin,
        &id,
        "The facilitator asked for help with the description.",
    )
    .await;
    let res = app
        .edit_circle(&admin, &id, json!({ "description": "By an admin." }))
        .await;
    assert_eq!(ok_json(res).await["description"], "By an admin.");

    // Capacity cannot drop below the active members.
    for who in ["a@example.org", "b@example.org", "c@example.org"] {
        let u = app.signed_up(who).await;
        app.join(&fac, &u, &id).await;
    }
    let res = app.edit_circle(&fac, &id, json!({ "capacity": 2 })).await;
    assert_eq!(
        refused(res, StatusCode::CONFLICT).await,
        "capacity_below_members"
    );
    ok_json(app.edit_circle(&fac, &id, json!({ "capacity": 3 })).await).await;

    // Status changes follow the lifecycle; archiving is not done here.
    ok_json(
        app.edit_circle(&fac, &id, json!({ "status": "closed" }))
            .await,
    )
    .await;
    let res = app
        .edit_circle(&fac, &id, json!({ "status": "forming" }))
        .await;
    assert_eq!(
        refused(res, StatusCode::CONFLICT).await,
        "invalid_status_change"
    );
    let res = app
        .edit_circle(&fac, &id, json!({ "status": "archived" }))
        .await;
    assert_eq!(
        refused(res, StatusCode::CONFLICT).await,
        "archive_separately"
    );

    // An archived circle refuses every change.
    app.force_circle_status(&id, "archived").await;
    let res = app
        .edit_circle(&fac, &id, json!({ "name": "Still here" }))
        .await;
    assert_eq!(refused(res, StatusCode::CONFLICT).await, "circle_archived");
    let res = app.invite(&fac, &id, "late@example.org").await;
    assert_eq!(refused(res, StatusCode::CONFLICT).await, "circle_archived");
    let late = app.signed_up("late@example.org").await;
    let res = app.ask_to_join(&late, &id).await;
    assert_eq!(
        refused(res, StatusCode::CONFLICT).await,
        "not_accepting_members"
    );
    // Archived circles are not browsable and hidden from outsiders.
    let res = app
        .get_as(&late.access_token, &format!("/api/v1/circles/{id}"))
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

async fn joining_approving_leaving_and_removal(app: TestApp) {
    let admin = app.admin().await;
    let fac = app.user_with_roles(&admin, &["facilitator"]).await;
    let other_fac = app.user_with_roles(&admin, &["facilitator"]).await;
    let joe = app.signed_up("joe@example.org").await;
    let outsider = app.signed_up("outsider@example.org").await;
    let id = id_of(&app.create_circle(&fac, circle_body("Join me", 5)).await);

    let req = ok_json(app.ask_to_join(&joe, &id).await).await;
    assert_eq!(req["status"], "requested");
    // The answer says a message came along, never what it says (it is for the leaders).
    assert_eq!(req["has_message"], true);
    assert!(req.get("message").is_none(), "{req}");
    let mid = req["id"].as_str().unwrap().to_owned();
    let res = app.ask_to_join(&joe, &id).await;
    assert_eq!(
        refused(res, StatusCode::CONFLICT).await,
        "already_requested"
    );
    let res = app
        .post_as(
            &joe.access_token,
            &format!("/api/v1/circles/{id}/join-requests"),
            json!({ "message": "x".repeat(501) }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Only the circle's leaders see the queue and decide.
    let path = format!("/api/v1/circles/{id}/join-requests");
    let res = app.get_as(&other_fac.access_token, &path).await;
    assert_eq!(refused(res, StatusCode::FORBIDDEN).await, "forbidden");
    let res = app.get_as(&joe.access_token, &path).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app.approve(&other_fac, &id, &mid).await;
    assert_eq!(refused(res, StatusCode::FORBIDDEN).await, "forbidden");
    let q = ok_json(app.get_as(&fac.access_token, &path).await).await;
    assert_eq!(q["circle_full"], false);
    assert_eq!(q["requests"][0]["membership_id"], mid.as_str());
    assert_eq!(q["requests"][0]["display_name"], "Test Person");

    let m = ok_json(app.approve(&fac, &id, &mid).await).await;
    assert_eq!(m["status"], "active");
    assert_eq!(circle_row(&app, &id).await.active_members, 1);
    let res = app.approve(&fac, &id, &mid).await;
    assert_eq!(
        refused(res, StatusCode::CONFLICT).await,
        "request_not_pending"
    );
    let res = app.ask_to_join(&joe, &id).await;
    assert_eq!(refused(res, StatusCode::CONFLICT).await, "already_member");

    app.run_pending_jobs().await;
    let joe_mail = app.subjects_to("joe@example.org");
    assert!(
        joe_mail.contains(&"Your request to join Join me".to_owned()),
        "{joe_mail:?}"
    );
    assert!(
        joe_mail.contains(&"Welcome to Join me".to_owned()),
        "{joe_mail:?}"
    );
    assert!(app
        .subjects_to(&fac.email)
        .contains(&"Someone asked to join Join me".to_owned()));

    // Members see who is in the circle; outsiders do not.
    let members_path = format!("/api/v1/circles/{id}/members");
    let people = ok_json(app.get_as(&joe.access_token, &members_path).await).await;
    let ids: Vec<&str> = people
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["user_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [fac.id.to_string(), joe.id.to_string()]);
    let res = app.get_as(&outsider.access_token, &members_path).await;
    assert_eq!(refused(res, StatusCode::FORBIDDEN).await, "forbidden");
    let seen = ok_json(
        app.get_as(&joe.access_token, &format!("/api/v1/circles/{id}"))
            .await,
    )
    .await;
    assert_eq!(seen["online_url"], "https://meet.example.org/tuesday");
    assert_eq!(seen["members"].as_array().unwrap().len(), 2);
    assert_eq!(seen["viewer_is_member"], true);
    let mine = ok_json(app.get_as(&joe.access_token, "/api/v1/me/circles").await).await;
    assert_eq!(mine[0]["circle_id"], id.as_str());
    assert_eq!(mine[0]["membership_status"], "active");

    // Leaving frees the seat; asking again reuses the same row.
    let left = ok_json(
        app.post_as(
            &joe.access_token,
            &format!("/api/v1/circles/{id}/leave"),
            json!({}),
        )
        .await,
    )
    .await;
    assert_eq!(left["status"], "left");
    assert_eq!(circle_row(&app, &id).await.active_members, 0);
    let res = app
        .post_as(
            &fac.access_token,
            &format!("/api/v1/circles/{id}/leave"),
            json!({}),
        )
        .await;
    assert_eq!(
        refused(res, StatusCode::CONFLICT).await,
        "facilitator_cannot_leave"
    );
    let again = ok_json(app.ask_to_join(&joe, &id).await).await;
    assert_eq!(again["id"], mid.as_str());

    // Declining tells the reason.
    let declined = ok_json(
        app.post_as(
            &fac.access_token,
            &format!("/api/v1/circles/{id}/join-requests/{mid}/decline"),
            json!({ "reason": "The group is settling in for now." }),
        )
        .await,
    )
    .await;
    assert_eq!(declined["status"], "declined");
    app.run_pending_jobs().await;
    let mail = app.emails_to("joe@example.org");
    assert!(mail
        .iter()
        .any(|m| m.body.contains("The group is settling in for now.")));

    // Asked again, approved, then removed with a reason (required).
    ok_json(app.ask_to_join(&joe, &id).await).await;
    ok_json(app.approve(&fac, &id, &mid).await).await;
    let remove_path = format!("/api/v1/circles/{id}/members/{}/remove", joe.id);
    let res = app
        .post_as(&fac.access_token, &remove_path, json!({ "reason": "  " }))
        .await;
    assert_eq!(
        refused(res, StatusCode::UNPROCESSABLE_ENTITY).await,
        "validation_failed"
    );
    let res = app
        .post_as(
            &other_fac.access_token,
            &remove_path,
            json!({ "reason": "x" }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let removed = ok_json(
        app.post_as(
            &fac.access_token,
            &remove_path,
            json!({ "reason": "Broke confidentiality." }),
        )
        .await,
    )
    .await;
    assert_eq!(removed["status"], "removed");
    assert_eq!(circle_row(&app, &id).await.active_members, 0);
    // The audit log says that someone was removed from the circle — not who, by whom or
    // why: the reason stays with the membership, where the person and the circle see it.
    let rows = app.audit_records("circle_member_removed").await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].classification, Classification::Circle);
    assert_eq!(rows[0].actor_id, None);
    assert_eq!(rows[0].ip, None);
    assert!(!rows[0].details.contains("Broke confidentiality."));
    assert!(!rows[0].details.contains(&joe.id.to_string()));
    assert_eq!(rows[0].target_id.as_deref(), Some(id.as_str()));
    assert_eq!(removed["reason"], "Broke confidentiality.");
    app.run_pending_jobs().await;
    let mail = app.emails_to("joe@example.org");
    assert!(mail
        .iter()
        .any(|m| m.subject == "You are no longer a member of Join me"
            && m.body.contains("Broke confidentiality.")));
    let res = app.get_as(&joe.access_token, &members_path).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    for action in [
        "circle_join_requested",
        "circle_member_approved",
        "circle_left",
        "circle_request_declined",
    ] {
        assert!(!app.audit_records(action).await.is_empty(), "{action}");
    }

    // Invitation-only circles take no requests.
    let closed = id_of(
        &app.create_circle(&fac, {
            let mut b = circle_body("By invitation", 5);
            b["visibility"] = json!("invitation_only");
            b
        })
        .await,
    );
    let res = app.ask_to_join(&outsider, &closed).await;
    assert_eq!(refused(res, StatusCode::CONFLICT).await, "invitation_only");
}

async fn co_facilitators_lead_too(app: TestApp) {
    let admin = app.admin().await;
    let fac = app.user_with_roles(&admin, &["facilitator"]).await;
    let co = app.user_with_roles(&admin, &["facilitator"]).await;
    let plain = app.signed_up("plain@example.org").await;
    let id = id_of(&app.create_circle(&fac, circle_body("Shared lead", 5)).await);
    let path = format!("/api/v1/circles/{id}/co-facilitators");
    let res = app
        .post_as(&fac.access_token, &path, json!({ "user_id": plain.id }))
        .await;
    assert_eq!(
        refused(res, StatusCode::CONFLICT).await,
        "not_a_facilitator"
    );
    let res = app
        .post_as(&co.access_token, &path, json!({ "user_id": co.id }))
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let m = ok_json(
        app.post_as(&fac.access_token, &path, json!({ "user_id": co.id }))
            .await,
    )
    .await;
    assert_eq!(m["role"], "co_facilitator");
    assert_eq!(circle_row(&app, &id).await.active_members, 0);
    let view = ok_json(
        app.get_as(&plain.access_token, &format!("/api/v1/circles/{id}"))
            .await,
    )
    .await;
    assert_eq!(view["facilitators"].as_array().unwrap().len(), 2);
    // The co-facilitator can now run the queue.
    app.join(&co, &plain, &id).await;
    let res = app
        .post_as(
            &fac.access_token,
            &format!("{path}/{}/remove", co.id),
            json!({}),
        )
        .await;
    assert_eq!(ok_json(res).await["status"], "removed");
    let res = app
        .get_as(
            &co.access_token,
            &format!("/api/v1/circles/{id}/join-requests"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.audit_records("circle_co_facilitator_added").await.len(),
        1
    );
}

async fn a_full_circle_keeps_the_queue(app: TestApp) {
    let admin = app.admin().await;
    let fac = app.user_with_roles(&admin, &["facilitator"]).await;
    let id = id_of(&app.create_circle(&fac, circle_body("Small", 2)).await);
    let mut requests = Vec::new();
    for n in 0..3 {
        let u = app.signed_up(&format!("q{n}@example.org")).await;
        requests.push(
            ok_json(app.ask_to_join(&u, &id).await).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    // Approve the last two first; the earliest waits.
    ok_json(app.approve(&fac, &id, &requests[2]).await).await;
    ok_json(app.approve(&fac, &id, &requests[1]).await).await;
    let res = app.approve(&fac, &id, &requests[0]).await;
    assert_eq!(refused(res, StatusCode::CONFLICT).await, "circle_full");
    let q = ok_json(
        app.get_as(
            &fac.access_token,
            &format!("/api/v1/circles/{id}/join-requests"),
        )
        .await,
    )
    .await;
    assert_eq!(q["circle_full"], true);
    assert_eq!(q["requests"][0]["membership_id"], requests[0].as_str());
    assert_eq!(circle_row(&app, &id).await.active_members, 2);
}

async fn invitations_by_email(app: TestApp) {
    let admin = app.admin().await;
    let fac = app.user_with_roles(&admin, &["facilitator"]).await;
    let member = app.signed_up("someone@example.org").await;
    let mut body = circle_body("Invited", 2);
    body["visibility"] = json!("invitation_only");
    let id = id_of(&app.create_circle(&fac, body).await);
    let path = format!("/api/v1/circles/{id}/invitations");

    let res = app.invite(&member, &id, "guest@example.org").await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let inv = ok_json(app.invite(&fac, &id, "Guest@Example.org").await).await;
    assert_eq!(inv["email"], "guest@example.org");
    let res = app.invite(&fac, &id, "guest@example.org ").await;
    assert_eq!(refused(res, StatusCode::CONFLICT).await, "already_invited");
    let pending = ok_json(app.get_as(&fac.access_token, &path).await).await;
    assert_eq!(pending.as_array().unwrap().len(), 1);
    let res = app.get_as(&member.access_token, &path).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    let token = app
        .token_from_email("guest@example.org", "circles/invitations/accept")
        .await;
    // Someone else cannot use it.
    let res = app.accept_invitation(&member, &token).await;
    assert_eq!(
        refused(res, StatusCode::FORBIDDEN).await,
        "invitation_for_someone_else"
    );
    let guest = app.signed_up("guest@example.org").await;
    let m = ok_json(app.accept_invitation(&guest, &token).await).await;
    assert_eq!(m["status"], "active");
    assert_eq!(m["role"], "member");
    assert_eq!(circle_row(&app, &id).await.active_members, 1);
    // Single use.
    let res = app.accept_invitation(&guest, &token).await;
    assert_eq!(
        refused(res, StatusCode::BAD_REQUEST).await,
        "invalid_or_expired_token"
    );
    app.run_pending_jobs().await;
    assert!(app
        .subjects_to(&fac.email)
        .contains(&"A new member joined Invited".to_owned()));
    assert_eq!(
        app.audit_records("circle_invitation_accepted").await.len(),
        1
    );

    // A revoked invitation's link stops working.
    let inv = ok_json(app.invite(&fac, &id, "revoked@example.org").await).await;
    let revoked_token = app
        .token_from_email("revoked@example.org", "circles/invitations/accept")
        .await;
    let res = app
        .post_as(
            &fac.access_token,
            &format!("{path}/{}/revoke", id_of(&inv)),
            json!({}),
        )
        .await;
    assert!(!ok_json(res).await["revoked_at"].is_null());
    let res = app
        .post_as(
            &fac.access_token,
            &format!("{path}/{}/revoke", id_of(&inv)),
            json!({}),
        )
        .await;
    assert_eq!(
        refused(res, StatusCode::CONFLICT).await,
        "invitation_not_pending"
    );
    let revoked_user = app.signed_up("revoked@example.org").await;
    let res = app.accept_invitation(&revoked_user, &revoked_token).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);

    // An expired invitation's link stops working.
    ok_json(app.invite(&fac, &id, "slow@example.org").await).await;
    let slow_token = app
        .token_from_email("slow@example.org", "circles/invitations/accept")
        .await;
    app.advance(chrono::Duration::days(
        app::circles::invitations::INVITATION_DAYS + 1,
    ));
    let fac = app.signed_in_again(&fac).await;
    let pending = ok_json(app.get_as(&fac.access_token, &path).await).await;
    assert_eq!(
        pending,
        json!([]),
        "an expired invitation is no longer pending"
    );
    let slow = app.signed_up("slow@example.org").await;
    let res = app.accept_invitation(&slow, &slow_token).await;
    assert_eq!(
        refused(res, StatusCode::BAD_REQUEST).await,
        "invalid_or_expired_token"
    );
    // …and a new invitation can then be sent to the same address.
    ok_json(app.invite(&fac, &id, "slow@example.org").await).await;

    // A full circle keeps the invitation valid until a seat frees up.
    let res = app.invite(&fac, &id, "filler@example.org").await;
    ok_json(res).await;
    let filler_token = app
        .token_from_email("filler@example.org", "circles/invitations/accept")
        .await;
    let filler = app.signed_up("filler@example.org").await;
    ok_json(app.accept_invitation(&filler, &filler_token).await).await;
    let slow_token = app
        .token_from_email("slow@example.org", "circles/invitations/accept")
        .await;
    let res = app.accept_invitation(&slow, &slow_token).await;
    assert_eq!(refused(res, StatusCode::CONFLICT).await, "circle_full");
    ok_json(
        app.post_as(
            &filler.access_token,
            &format!("/api/v1/circles/{id}/leave"),
            json!({}),
        )
        .await,
    )
    .await;
    let m = ok_json(app.accept_invitation(&slow, &slow_token).await).await;
    assert_eq!(m["status"], "active");
    assert_eq!(circle_row(&app, &id).await.active_members, 2);
}

async fn capacity_holds_under_concurrent_approvals(app: TestApp) {
    let admin = app.admin().await;
    let fac = app.user_with_roles(&admin, &["facilitator"]).await;
    let meta = app::RequestMeta::system();
    let mut invitees = Vec::new();
    for n in 0..3 {
        invitees.push(app.signed_up(&format!("rush{n}@example.org")).await);
    }
    for round in 0..3 {
        let id = id_of(
            &app.create_circle(&fac, circle_body(&format!("Rush {round}"), 8))
                .await,
        );
        let circle_id: Uuid = id.parse().unwrap();
        let mut requests = Vec::new();
        for n in 0..50 {
            let user = app.quiet_member(round * 100 + n).await;
            // Signed in without the HTTP round trip; the proof still comes from authz.
            let actor = app::authz::Actor {
                user,
                roles: vec![domain::Role::Member],
                session_id: Uuid::nil(),
            };
            let g = actor.require().unwrap();
            let m = app::circles::membership::request_join(&app.ctx, &meta, g, circle_id, None)
                .await
                .unwrap();
            requests.push(m.id.to_string());
        }
        let mut tokens = Vec::new();
        for who in &invitees {
            ok_json(app.invite(&fac, &id, &who.email).await).await;
            tokens.push(
                app.token_from_email(&who.email, "circles/invitations/accept")
                    .await,
            );
        }
        let approvals = requests.iter().map(|m| app.approve(&fac, &id, m));
        let accepts = invitees
            .iter()
            .zip(&tokens)
            .map(|(who, t)| app.accept_invitation(who, t));
        let (approved, accepted) = futures::future::join(
            futures::future::join_all(approvals),
            futures::future::join_all(accepts),
        )
        .await;
        let mut admitted = 0;
        for res in approved.into_iter().chain(accepted) {
            match res.status() {
                StatusCode::OK => admitted += 1,
                StatusCode::CONFLICT => assert_eq!(problem_code(res).await, "circle_full"),
                other => panic!("unexpected {other}: {}", res.text().await.unwrap()),
            }
        }
        assert_eq!(admitted, 8, "round {round}");
        assert_eq!(circle_row(&app, &id).await.active_members, 8);
        let active = circle_memberships::Entity::find()
            .filter(circle_memberships::Column::CircleId.eq(circle_id))
            .filter(circle_memberships::Column::Status.eq("active"))
            .filter(circle_memberships::Column::Role.eq("member"))
            .all(&app.ctx.main)
            .await
            .unwrap();
        assert_eq!(active.len(), 8);
        // Everyone not admitted is still queued, in arrival order.
        let q = ok_json(
            app.get_as(
                &fac.access_token,
                &format!("/api/v1/circles/{id}/join-requests"),
            )
            .await,
        )
        .await;
        assert_eq!(q["circle_full"], true);
        let queued: Vec<String> = q["requests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["membership_id"].as_str().unwrap().to_owned())
            .collect();
        let expected: Vec<String> = requests
            .iter()
            .filter(|r| !active.iter().any(|a| a.id.to_string() == **r))
            .cloned()
            .collect();
        assert_eq!(queued, expected);
    }
}

crate::on_both_backends!(
    create_and_browse,
    creation_is_validated_and_needs_certification,
    editing_is_for_leaders,
    joining_approving_leaving_and_removal,
    co_facilitators_lead_too,
    a_full_circle_keeps_the_queue,
    invitations_by_email,
    capacity_holds_under_concurrent_approvals,
);
