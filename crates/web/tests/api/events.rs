//! Events and registration end to end, on SQLite and PostgreSQL: who may create what,
//! validation, publishing and cancelling, registering with a waitlist and automatic
//! promotion, seat offers on paid events, `Idempotency-Key`, venues and double booking,
//! reminders, editing events, and capacity under 200 simultaneous registrations.

use crate::helpers::pages::between;
use crate::helpers::{circle_body, local, ok_json, refused, validation_errors, workshop};
use crate::helpers::{TestApp, User};
use chrono::{DateTime, Duration, Utc};
use db::main_db::event_registrations as regs;
use db::sea_orm::{self as sea_orm, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use domain::event::RegistrationStatus;
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};
use uuid::Uuid;

async fn creating_is_validated_and_for_the_right_roles(app: TestApp) {
    let admin = app.admin().await;
    let ptm = app.user_with_roles(&admin, &["program_team_member"]).await;
    let fac = app.user_with_roles(&admin, &["facilitator"]).await;
    let member = app.signed_up("member@example.org").await;

    // Every problem at once, each under its field.
    let bad = json!({
        "kind": "workshop", "title": "W", "starts_at": local(10, 16), "ends_at": local(10, 10),
        "time_zone": "Europe/Berlin", "capacity": 0, "price_minor": 2500,
        "online_url": "http://insecure.example.org"
    });
    let res = app.post_as(&ptm.access_token, "/api/v1/events", bad).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = res.json().await.unwrap();
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    for f in ["title", "ends_at", "capacity", "currency", "online_url"] {
        assert!(fields.contains(&f), "{f} missing in {body}");
    }
    let mut retreat = workshop("Long weekend", 20);
    retreat["kind"] = json!("day_retreat");
    retreat["ends_at"] = json!(local(11, 12));
    let res = app
        .post_as(&ptm.access_token, "/api/v1/events", retreat.clone())
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    retreat["kind"] = json!("multi_day_retreat");
    assert_eq!(
        app.create_event(&ptm, retreat).await["kind"],
        "multi_day_retreat"
    );

    // Programme events need the Program Team or Admins; members and facilitators cannot.
    for who in [&member, &fac] {
        let res = app
            .post_as(&who.access_token, "/api/v1/events", workshop("Mine", 10))
            .await;
        assert_eq!(refused(res, StatusCode::FORBIDDEN).await, "forbidden");
    }
    // A facilitator creates events for a circle he leads, not for another's.
    let c = app.create_circle(&fac, circle_body("Tuesday Men", 8)).await;
    let mut own = workshop("Circle movie night", 8);
    own["kind"] = json!("movie_night");
    own["circle_id"] = c["id"].clone();
    let e = app.create_event(&fac, own.clone()).await;
    assert_eq!(e["open_to_all"], false);
    let other = app.user_with_roles(&admin, &["facilitator"]).await;
    let res = app
        .post_as(&other.access_token, "/api/v1/events", own)
        .await;
    assert_eq!(refused(res, StatusCode::FORBIDDEN).await, "forbidden");
    let mut meeting = workshop("Meeting", 8);
    meeting["kind"] = json!("circle_meeting");
    let res = app
        .post_as(&ptm.access_token, "/api/v1/events", meeting)
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Drafts are for their organisers; the lifecycle is enforced.
    let draft = app.create_event(&ptm, workshop("Draft", 10)).await;
    let id = draft["id"].as_str().unwrap();
    let path = format!("/api/v1/events/{id}");
    assert_eq!(
        app.get_as(&member.access_token, &path).await.status(),
        StatusCode::NOT_FOUND
    );
    let res = app.register_for(&member, id).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = app.set_event_status(&member, id, "published").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    ok_json(app.set_event_status(&ptm, id, "published").await).await;
    let seen = ok_json(app.get_as(&member.access_token, &path).await).await;
    assert_eq!(seen["status"], "published");
    assert!(seen["online_url"].is_null(), "link only once registered");
    let listed = ok_json(app.get_as(&member.access_token, "/api/v1/events").await).await;
    assert!(listed.to_string().contains(id));
    ok_json(app.set_event_status(&ptm, id, "cancelled").await).await;
    let res = app.set_event_status(&ptm, id, "published").await;
    assert_eq!(
        refused(res, StatusCode::CONFLICT).await,
        "invalid_status_change"
    );
    assert!(app
        .audit_actions()
        .await
        .contains(&"event_created".to_owned()));
}

async fn waitlist_promotion_and_cancellation(app: TestApp) {
    let admin = app.admin().await;
    let ptm = app.user_with_roles(&admin, &["program_team_member"]).await;
    let id = app
        .publish_event(&ptm, workshop("Fathers and sons", 2))
        .await;
    let mut people = Vec::new();
    for n in 0..4 {
        people.push(app.signed_up(&format!("p{n}@example.org")).await);
    }
    let mut statuses = Vec::new();
    for p in &people {
        let res = app.register_for(p, &id).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let r = ok_json(res).await;
        statuses.push((
            r["registration"]["status"].as_str().unwrap().to_owned(),
            r["registration"]["waitlist_position"].as_u64(),
        ));
    }
    assert_eq!(
        statuses,
        [
            ("confirmed".into(), None),
            ("confirmed".into(), None),
            ("waitlisted".into(), Some(1)),
            ("waitlisted".into(), Some(2)),
        ]
    );
    let res = app.register_for(&people[0], &id).await;
    assert_eq!(
        refused(res, StatusCode::CONFLICT).await,
        "already_registered"
    );
    let path = format!("/api/v1/events/{id}");
    let seen = ok_json(app.get_as(&people[0].access_token, &path).await).await;
    assert_eq!(seen["online_url"], "https://meet.example.org/w");
    assert_eq!(seen["seats_left"], 0);
    assert_eq!(seen["waitlisted"], 2);

    // A freed seat goes to the first in line at once.
    let c = ok_json(app.cancel_registration(&people[0], &id).await).await;
    assert_eq!(c["status"], "cancelled");
    let roster = ok_json(
        app.get_as(
            &ptm.access_token,
            &format!("/api/v1/events/{id}/registrations"),
        )
        .await,
    )
    .await;
    let by_email: Vec<(String, String)> = roster
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["email"].as_str().unwrap().to_owned(),
                r["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        by_email,
        [
            ("p0@example.org".to_owned(), "cancelled".to_owned()),
            ("p1@example.org".to_owned(), "confirmed".to_owned()),
            ("p2@example.org".to_owned(), "confirmed".to_owned()),
            ("p3@example.org".to_owned(), "waitlisted".to_owned()),
        ]
    );
    let mine = ok_json(
        app.get_as(&people[3].access_token, "/api/v1/me/registrations")
            .await,
    )
    .await;
    assert_eq!(mine["items"][0]["registration"]["waitlist_position"], 1);
    let res = app
        .get_as(
            &people[3].access_token,
            &format!("/api/v1/events/{id}/registrations"),
        )
        .await;
    assert_eq!(refused(res, StatusCode::FORBIDDEN).await, "forbidden");
    let res = app.cancel_registration(&people[0], &id).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // Everyone hears about each step; cancelling the event tells all still in.
    ok_json(app.set_event_status(&ptm, &id, "cancelled").await).await;
    app.run_pending_jobs().await;
    assert!(app
        .subjects_to("p2@example.org")
        .contains(&"A seat opened up: Fathers and sons".to_owned()));
    assert!(app
        .subjects_to("p3@example.org")
        .contains(&"On the waitlist: Fathers and sons".to_owned()));
    for who in ["p1@example.org", "p2@example.org", "p3@example.org"] {
        assert!(
            app.subjects_to(who)
                .contains(&"Cancelled: Fathers and sons".to_owned()),
            "{who}"
        );
    }
    assert!(!app
        .subjects_to("p0@example.org")
        .contains(&"Cancelled: Fathers and sons".to_owned()));
    let res = app.register_for(&people[0], &id).await;
    assert_eq!(refused(res, StatusCode::CONFLICT).await, "not_open");
}

async fn full_events_windows_and_paid_offers(app: TestApp) {
    let admin = app.admin().await;
    let ptm = app.user_with_roles(&admin, &["program_team_member"]).await;
    let a = app.signed_up("a@example.org").await;
    let b = app.signed_up("b@example.org").await;
    let c = app.signed_up("c@example.org").await;

    let mut no_waitlist = workshop("Small", 1);
    no_waitlist["waitlist_enabled"] = json!(false);
    let id = app.publish_event(&ptm, no_waitlist).await;
    ok_json(app.register_for(&a, &id).await).await;
    let res = app.register_for(&b, &id).await;
    assert_eq!(refused(res, StatusCode::CONFLICT).await, "event_full");

    let mut closed = workshop("Closed", 10);
    closed["registration_closes_at"] = json!((app.now() + Duration::seconds(2)).to_rfc3339());
    let id = app.publish_event(&ptm, closed).await;
    app.advance(Duration::seconds(3));
    let res = app.register_for(&a, &id).await;
    assert_eq!(refused(res, StatusCode::CONFLICT).await, "closed");

    // A paid event holds seats for payment; a freed seat is offered for a while.
    let mut paid = workshop("Paid", 1);
    paid["price_minor"] = json!(2500);
    paid["currency"] = json!("eur");
    paid["offer_hours"] = json!(12);
    let id = app.publish_event(&ptm, paid).await;
    let seen = ok_json(
        app.get_as(&a.access_token, &format!("/api/v1/events/{id}"))
            .await,
    )
    .await;
    assert_eq!(seen["price_label"], "EUR 25.00");
    let r = ok_json(app.register_for(&a, &id).await).await;
    assert_eq!(r["registration"]["status"], "payment_required");
    ok_json(app.register_for(&b, &id).await).await;
    ok_json(app.register_for(&c, &id).await).await;
    ok_json(app.cancel_registration(&a, &id).await).await;
    let mine = ok_json(
        app.get_as(&b.access_token, "/api/v1/me/registrations")
            .await,
    )
    .await;
    assert_eq!(mine["items"][0]["registration"]["status"], "offered");
    assert!(mine["items"][0]["registration"]["offer_expires_at"].is_string());
    // The offer email says until when, on the event's clock.
    app.run_pending_jobs().await;
    let offer = app
        .emails_to("b@example.org")
        .into_iter()
        .find(|m| m.subject == "A seat is offered to you: Paid")
        .expect("the offer email");
    let until = between(&offer.body, "held for you until ", ". Accept").unwrap();
    assert!(until.ends_with("(Europe/Berlin)"), "{}", offer.body);
    let accept = format!("/api/v1/events/{id}/registration/accept-offer");
    let res = app.post_as(&c.access_token, &accept, json!({})).await;
    assert_eq!(refused(res, StatusCode::CONFLICT).await, "no_offer");

    // An offer not taken in time passes to the next in line.
    app.advance(Duration::hours(12) + Duration::minutes(1));
    app.run_pending_jobs().await;
    let (b, c) = (app.signed_in_again(&b).await, app.signed_in_again(&c).await);
    let mine = ok_json(
        app.get_as(&b.access_token, "/api/v1/me/registrations")
            .await,
    )
    .await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 0, "{mine}");
    let r = ok_json(app.post_as(&c.access_token, &accept, json!({})).await).await;
    assert_eq!(r["status"], "payment_required");
    app.run_pending_jobs().await;
    let subjects = app.subjects_to("b@example.org");
    assert!(
        subjects.contains(&"Your seat offer ran out: Paid".to_owned()),
        "{subjects:?}"
    );
}

async fn idempotency_key_makes_a_retry_safe(app: TestApp) {
    let admin = app.admin().await;
    let ptm = app.user_with_roles(&admin, &["program_team_member"]).await;
    let joe = app.signed_up("joe@example.org").await;
    let id = app.publish_event(&ptm, workshop("Retried", 5)).await;
    let other = app.publish_event(&ptm, workshop("Other", 5)).await;
    let send = |event: &str, key: &str| {
        app.client
            .post(app.url(&format!("/api/v1/events/{event}/registrations")))
            .bearer_auth(&joe.access_token)
            .header("Idempotency-Key", key)
            .send()
    };
    let first = send(&id, "key-1").await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    let first = first.text().await.unwrap();
    let again = send(&id, "key-1").await.unwrap();
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(again.text().await.unwrap(), first);
    let rows = regs::Entity::find()
        .filter(regs::Column::UserId.eq(joe.id))
        .all(&app.ctx.main)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    let res = send(&other, "key-1").await.unwrap();
    assert_eq!(
        refused(res, StatusCode::CONFLICT).await,
        "idempotency_key_reused"
    );
    let res = send(&other, "bad key with spaces").await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Without a key, a second registration is refused rather than replayed.
    let res = app.register_for(&joe, &id).await;
    assert_eq!(
        refused(res, StatusCode::CONFLICT).await,
        "already_registered"
    );
}

/// Twenty copies of one request sent at once: one registration, and every answer is the
/// first answer (or, were the first still running after the wait, `in_progress`).
async fn idempotency_key_holds_under_20_simultaneous_requests(app: TestApp) {
    let admin = app.admin().await;
    let ptm = app.user_with_roles(&admin, &["program_team_member"]).await;
    let joe = app.signed_up("joe@example.org").await;
    let id = app.publish_event(&ptm, workshop("Stormed", 5)).await;
    let url = app.url(&format!("/api/v1/events/{id}/registrations"));
    let answers = futures::future::join_all((0..20).map(|_| {
        app.client
            .post(&url)
            .bearer_auth(&joe.access_token)
            .header("Idempotency-Key", "storm-1")
            .send()
    }))
    .await;
    let mut bodies = Vec::new();
    for res in answers {
        let res = res.unwrap();
        match res.status() {
            StatusCode::CREATED => bodies.push(res.text().await.unwrap()),
            StatusCode::CONFLICT => {
                let body: Value = res.json().await.unwrap();
                assert_eq!(body["code"], "in_progress", "{body}");
            }
            other => panic!("unexpected {other}: {}", res.text().await.unwrap()),
        }
    }
    assert!(!bodies.is_empty());
    assert!(bodies.iter().all(|b| b == &bodies[0]), "{bodies:?}");
    let rows = regs::Entity::find()
        .filter(regs::Column::UserId.eq(joe.id))
        .all(&app.ctx.main)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    // Once answered, the key keeps answering the same, and a refused first attempt
    // gives its key back: a closed event refuses, and the retry is judged afresh.
    let again = app
        .client
        .post(&url)
        .bearer_auth(&joe.access_token)
        .header("Idempotency-Key", "storm-1")
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(again.text().await.unwrap(), bodies[0]);
    let res = app.register_for(&joe, &id).await;
    assert_eq!(
        refused(res, StatusCode::CONFLICT).await,
        "already_registered"
    );
    let refusal = app
        .client
        .post(&url)
        .bearer_auth(&joe.access_token)
        .header("Idempotency-Key", "storm-2")
        .send()
        .await
        .unwrap();
    assert_eq!(
        refused(refusal, StatusCode::CONFLICT).await,
        "already_registered"
    );
    let kept = db::main_db::idempotency_keys::Entity::find()
        .filter(db::main_db::idempotency_keys::Column::Key.eq("storm-2"))
        .all(&app.ctx.main)
        .await
        .unwrap();
    assert!(kept.is_empty(), "a refusal keeps no key: {kept:?}");

    // A first request still running past the wait: the duplicate is told `in_progress`;
    // one abandoned long ago (a server that stopped mid-request) is taken over.
    let other = app.publish_event(&ptm, workshop("Other", 5)).await;
    let other_url = app.url(&format!("/api/v1/events/{other}/registrations"));
    let send = || {
        app.client
            .post(&other_url)
            .bearer_auth(&joe.access_token)
            .header("Idempotency-Key", "stuck")
            .send()
    };
    let pending = |created_at: DateTime<Utc>| db::main_db::idempotency_keys::ActiveModel {
        user_id: sea_orm::Set(joe.id),
        key: sea_orm::Set("stuck".into()),
        request_hash: sea_orm::Set(app::token::hash(&format!(
            "POST /api/v1/events/{other}/registrations\n"
        ))),
        status: sea_orm::Set(0),
        body: sea_orm::Set(String::new()),
        created_at: sea_orm::Set(created_at),
    };
    sea_orm::ActiveModelTrait::insert(pending(app.ctx.now()), &app.ctx.main)
        .await
        .unwrap();
    assert_eq!(
        refused(send().await.unwrap(), StatusCode::CONFLICT).await,
        "in_progress"
    );
    db::main_db::idempotency_keys::Entity::delete_many()
        .exec(&app.ctx.main)
        .await
        .unwrap();
    sea_orm::ActiveModelTrait::insert(pending(app.ctx.now() - Duration::hours(1)), &app.ctx.main)
        .await
        .unwrap();
    assert_eq!(send().await.unwrap().status(), StatusCode::CREATED);
}

async fn venues_refuse_double_booking_and_organisers_are_warned(app: TestApp) {
    let admin = app.admin().await;
    let ptm = app.user_with_roles(&admin, &["program_team_member"]).await;
    let member = app.signed_up("member@example.org").await;
    let venue = json!({ "name": "Old Mill", "address": "Mill lane 1", "capacity": 30 });
    let res = app
        .post_as(&member.access_token, "/api/v1/venues", venue.clone())
        .await;
    assert_eq!(refused(res, StatusCode::FORBIDDEN).await, "forbidden");
    let v = ok_json(
        app.post_as(&ptm.access_token, "/api/v1/venues", venue)
            .await,
    )
    .await;
    let mut at_mill = workshop("At the mill", 30);
    at_mill["venue_id"] = v["id"].clone();
    app.create_event(&ptm, at_mill.clone()).await;
    // The same afternoon at the same place is refused; a bigger event does not fit.
    at_mill["title"] = json!("Clash");
    let res = app
        .post_as(&ptm.access_token, "/api/v1/events", at_mill.clone())
        .await;
    assert_eq!(refused(res, StatusCode::CONFLICT).await, "venue_booked");
    at_mill["starts_at"] = json!(local(12, 10));
    at_mill["ends_at"] = json!(local(12, 16));
    at_mill["capacity"] = json!(31);
    let res = app
        .post_as(&ptm.access_token, "/api/v1/events", at_mill.clone())
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    at_mill["capacity"] = json!(30);
    app.create_event(&ptm, at_mill).await;
    let listed = ok_json(app.get_as(&ptm.access_token, "/api/v1/venues").await).await;
    assert_eq!(listed[0]["name"], "Old Mill");

    // A member is warned about registering for two events at once.
    let one = app.publish_event(&ptm, workshop("Morning", 10)).await;
    let two = app.publish_event(&ptm, workshop("Same time", 10)).await;
    ok_json(app.register_for(&member, &one).await).await;
    let r = ok_json(app.register_for(&member, &two).await).await;
    assert_eq!(r["warnings"][0]["code"], "overlaps_registration");

    // Reminders go to seat holders a day before, once.
    let (starts, _) = event_times(&app, &member, &one).await;
    app.advance_to(starts - Duration::hours(25));
    app.run_pending_jobs().await;
    assert_eq!(reminders_to(&app, "member@example.org"), 0, "not yet");
    app.advance(Duration::hours(2));
    app.run_pending_jobs().await;
    assert_eq!(reminders_to(&app, "member@example.org"), 2);
    app.advance(Duration::days(1));
    app.run_pending_jobs().await;
    assert_eq!(reminders_to(&app, "member@example.org"), 2, "once");
}

/// When `event` starts and ends, as `who` sees it.
async fn event_times(app: &TestApp, who: &User, event: &str) -> (DateTime<Utc>, DateTime<Utc>) {
    let e = app
        .get_json(&who.access_token, &format!("/api/v1/events/{event}"))
        .await;
    let at = |field: &str| e[field].as_str().unwrap().parse().unwrap();
    (at("starts_at"), at("ends_at"))
}

/// How many day-before reminders `to` received.
fn reminders_to(app: &TestApp, to: &str) -> usize {
    app.emails_to(to)
        .into_iter()
        .filter(|m| m.subject.starts_with("Tomorrow: "))
        .count()
}

/// An active member straight in storage (no sign-up emails), as the app layer sees him.
async fn quiet_actor(app: &TestApp, n: usize) -> app::authz::Actor {
    app::authz::Actor {
        user: app.quiet_member(n).await,
        roles: vec![domain::Role::Member],
        session_id: Uuid::now_v7(),
    }
}

async fn capacity_holds_under_200_simultaneous_registrations(app: TestApp) {
    let admin = app.admin().await;
    let ptm = app.user_with_roles(&admin, &["program_team_member"]).await;
    let id: Uuid = app
        .publish_event(&ptm, workshop("Popular", 30))
        .await
        .parse()
        .unwrap();
    let mut actors = Vec::new();
    for n in 0..200 {
        actors.push(quiet_actor(&app, n).await);
    }
    let meta = app::RequestMeta::system();
    let outcomes = futures::future::join_all(
        actors
            .iter()
            .map(|a| app::events::registration::register(&app.ctx, &meta, a, id)),
    )
    .await;
    let mut confirmed = 0;
    for o in outcomes {
        match o.unwrap().registration.status.as_str() {
            "confirmed" => confirmed += 1,
            "waitlisted" => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(confirmed, 30);
    let rows = regs::Entity::find()
        .filter(regs::Column::EventId.eq(id))
        .order_by_asc(regs::Column::Position)
        .all(&app.ctx.main)
        .await
        .unwrap();
    assert_eq!(rows.len(), 200);
    // Arrival order: positions 1..=200; the first 30 arrivals hold the seats.
    let positions: Vec<i64> = rows.iter().map(|r| r.position).collect();
    assert_eq!(positions, (1..=200).collect::<Vec<_>>());
    assert!(rows[..30]
        .iter()
        .all(|r| r.status == RegistrationStatus::Confirmed));
    assert!(rows[30..]
        .iter()
        .all(|r| r.status == RegistrationStatus::Waitlisted));
    assert!(rows
        .windows(2)
        .all(|w| w[0].registered_at <= w[1].registered_at));

    // Five cancel: the first five waiting take their seats.
    for r in &rows[..5] {
        let who = actors.iter().find(|a| a.id() == r.user_id).unwrap();
        app::events::registration::cancel(&app.ctx, &meta, who, id)
            .await
            .unwrap();
    }
    let after = regs::Entity::find()
        .filter(regs::Column::EventId.eq(id))
        .order_by_asc(regs::Column::Position)
        .all(&app.ctx.main)
        .await
        .unwrap();
    let status: Vec<&str> = after.iter().map(|r| r.status.as_str()).collect();
    assert!(status[..5].iter().all(|s| *s == "cancelled"));
    assert!(
        status[5..35].iter().all(|s| *s == "confirmed"),
        "{status:?}"
    );
    assert!(status[35..].iter().all(|s| *s == "waitlisted"));
    let event = ok_json(
        app.get_as(&ptm.access_token, &format!("/api/v1/events/{id}"))
            .await,
    )
    .await;
    assert_eq!(event["seats_left"], 0);
    assert_eq!(event["waitlisted"], 165);
}

async fn browsing_finds_what_is_meant_for_you(app: TestApp) {
    let admin = app.admin().await;
    let ptm = app.user_with_roles(&admin, &["program_team_member"]).await;
    let fac = app.user_with_roles(&admin, &["facilitator"]).await;
    let inside = app.signed_up("inside@example.org").await;
    let outside = app.signed_up("outside@example.org").await;
    let c = app.create_circle(&fac, circle_body("Tuesday Men", 8)).await;
    let cid = c["id"].as_str().unwrap();
    app.join(&fac, &inside, cid).await;

    let mut movie = workshop("Movie night: Twelve Angry Men", 20);
    movie["kind"] = json!("movie_night");
    movie["starts_at"] = json!(local(3, 19));
    movie["ends_at"] = json!(local(3, 22));
    let movie = app.publish_event(&ptm, movie).await;
    let open = app.publish_event(&ptm, workshop("Open workshop", 20)).await;
    let mut own = workshop("Circle walk", 8);
    own["circle_id"] = json!(cid);
    own["starts_at"] = json!(local(5, 10));
    own["ends_at"] = json!(local(5, 12));
    let own = app.publish_event(&fac, own).await;

    let ids = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let list = |who: &User, query: &str| {
        let path = format!("/api/v1/events{query}");
        let token = who.access_token.clone();
        let app = &app;
        async move { ok_json(app.get_as(&token, &path).await).await }
    };
    // Soonest first; a circle's own event only for its members.
    assert_eq!(
        ids(&list(&inside, "").await),
        [movie.clone(), own.clone(), open.clone()]
    );
    assert_eq!(
        ids(&list(&outside, "").await),
        [movie.clone(), open.clone()]
    );
    let res = app
        .get_as(&outside.access_token, &format!("/api/v1/events/{own}"))
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = app.register_for(&outside, &own).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    ok_json(app.register_for(&inside, &own).await).await;
    // Search, kind, and pages.
    assert_eq!(ids(&list(&outside, "?q=ANGRY").await), [movie.as_str()]);
    assert_eq!(
        ids(&list(&outside, "?kind=workshop").await),
        [open.as_str()]
    );
    let first = list(&inside, "?limit=1").await;
    assert_eq!(ids(&first), [movie.as_str()]);
    let after = first[0]["starts_at"].as_str().unwrap().replace('+', "%2B");
    assert_eq!(
        ids(&list(&inside, &format!("?limit=1&after={after}")).await),
        [own.as_str()]
    );
    let res = app
        .get_as(&inside.access_token, "/api/v1/events?limit=0")
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

async fn door_list_check_in_counts_and_csv(app: TestApp) {
    let admin = app.admin().await;
    let ptm = app.user_with_roles(&admin, &["program_team_member"]).await;
    let id = app.publish_event(&ptm, workshop("At the door", 2)).await;
    let a = app.signed_up("alan@example.org").await;
    let b = app.signed_up("bert@example.org").await;
    let c = app.signed_up("carl@example.org").await;
    for who in [&a, &b, &c] {
        ok_json(app.register_for(who, &id).await).await;
    }
    let base = format!("/api/v1/events/{id}/registrations");
    let list = ok_json(
        app.get_as(&ptm.access_token, &format!("{base}?name=ALAN"))
            .await,
    )
    .await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    let reg_of = |v: &Value| v[0]["registration_id"].as_str().unwrap().to_owned();
    let alan = reg_of(&list);
    let carl = reg_of(
        &ok_json(
            app.get_as(&ptm.access_token, &format!("{base}?name=carl"))
                .await,
        )
        .await,
    );

    // Notes, and a note that would be a spreadsheet formula is defused in the CSV.
    let res = app
        .post_as(
            &ptm.access_token,
            &format!("{base}/{alan}/note"),
            json!({ "note": "=needs, a lift" }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = app
        .get_as(
            &ptm.access_token,
            &format!("/api/v1/events/{id}/registrations.csv"),
        )
        .await;
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let csv = res.text().await.unwrap();
    let lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 4, "{csv}");
    assert!(lines[0].starts_with("position,name,email,status"));
    assert!(
        lines[1].contains("alan@example.org") && lines[1].contains("\"'=needs, a lift\""),
        "{csv}"
    );
    assert!(lines[3].contains("waitlisted"));

    // One tap per person; only seat holders; the counts follow; a tap can be undone.
    let tap = |reg: String, present: bool| {
        let path = format!("{base}/{reg}/check-in");
        let token = ptm.access_token.clone();
        let app = &app;
        async move {
            app.post_as(&token, &path, json!({ "present": present }))
                .await
        }
    };
    let counts = ok_json(tap(alan.clone(), true).await).await;
    assert_eq!(
        (
            counts["registered"].as_u64(),
            counts["checked_in"].as_u64(),
            counts["waitlisted"].as_u64()
        ),
        (Some(2), Some(1), Some(1))
    );
    let res = tap(carl.clone(), true).await;
    assert_eq!(refused(res, StatusCode::CONFLICT).await, "no_seat");
    let res = app
        .post_as(
            &a.access_token,
            &format!("{base}/{alan}/check-in"),
            json!({}),
        )
        .await;
    assert_eq!(refused(res, StatusCode::FORBIDDEN).await, "forbidden");
    let counts = ok_json(tap(alan.clone(), false).await).await;
    assert_eq!(counts["checked_in"], 0);
    ok_json(tap(alan.clone(), true).await).await;

    // Moving Carl to the front keeps him waiting (no free seat) until one frees.
    let res = app
        .post_as(
            &ptm.access_token,
            &format!("{base}/{carl}/move-to-front"),
            json!({}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = app
        .post_as(
            &ptm.access_token,
            &format!("{base}/{alan}/move-to-front"),
            json!({}),
        )
        .await;
    assert_eq!(refused(res, StatusCode::CONFLICT).await, "not_waitlisted");
    ok_json(app.cancel_registration(&b, &id).await).await;
    let mine = ok_json(
        app.get_as(&c.access_token, "/api/v1/me/registrations")
            .await,
    )
    .await;
    assert_eq!(mine["items"][0]["registration"]["status"], "confirmed");

    // After the event, those who held a seat and never came are no-shows.
    let counts = format!("/api/v1/events/{id}/counts");
    let report = app.get_json(&ptm.access_token, &counts).await;
    assert_eq!(
        (&report["ended"], &report["no_shows"]),
        (&json!(false), &json!(0))
    );
    let (_, ends) = event_times(&app, &ptm, &id).await;
    app.advance_to(ends + Duration::hours(1));
    let ptm = app.signed_in_again(&ptm).await;
    let report = ok_json(
        app.get_as(&ptm.access_token, &format!("/api/v1/events/{id}/counts"))
            .await,
    )
    .await;
    assert_eq!(report["ended"], true);
    assert_eq!(report["checked_in"], 1);
    assert_eq!(report["no_shows"], 1);
    assert_eq!(report["cancelled"], 1);
}

async fn calendar_files_and_private_feeds(app: TestApp) {
    use icalendar::{Calendar, Component};
    let admin = app.admin().await;
    let ptm = app.user_with_roles(&admin, &["program_team_member"]).await;
    let joe = app.signed_up("joe@example.org").await;
    let mut body = workshop("Retreat; fathers, sons", 10);
    body["kind"] = json!("multi_day_retreat");
    body["ends_at"] = json!(local(12, 14));
    let id = app.publish_event(&ptm, body).await;
    ok_json(app.register_for(&joe, &id).await).await;

    let res = app
        .get_as(
            &joe.access_token,
            &format!("/api/v1/events/{id}/calendar.ics"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/calendar"));
    let text = res.text().await.unwrap();
    let parsed: Calendar = text.parse().expect("the .ics parses");
    let event = parsed
        .components
        .iter()
        .find_map(|c| c.as_event())
        .expect("one event");
    assert_eq!(event.get_summary(), Some("Retreat; fathers, sons"));
    // On the event's own clock, with its zone described (docs/events.md).
    let starts = local(10, 10).replace(['-', ':'], "");
    let want = format!("{starts}00");
    match event.get_start() {
        Some(icalendar::DatePerhapsTime::DateTime(icalendar::CalendarDateTime::WithTimezone {
            date_time,
            tzid,
        })) => {
            assert_eq!(tzid, "Europe/Berlin");
            assert_eq!(date_time.format("%Y%m%dT%H%M%S").to_string(), want);
        }
        other => panic!("DTSTART without its zone: {other:?}\n{text}"),
    }
    assert!(
        text.contains("BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\n"),
        "{text}"
    );
    assert!(text.contains("TZOFFSETTO:+0200") && text.contains("TZOFFSETTO:+0100"));
    assert!(text.contains("DTEND;TZID=Europe/Berlin:"), "{text}");
    assert!(event
        .get_uid()
        .unwrap()
        .starts_with(&format!("event-{id}@")));

    // A private feed: works without signing in, stops when renewed or revoked.
    let feed = ok_json(
        app.post_as(&joe.access_token, "/api/v1/me/calendar-feed", json!({}))
            .await,
    )
    .await;
    let url = feed["url"].as_str().unwrap().to_owned();
    let path = url::Url::parse(&url).unwrap().path().to_owned();
    let res = app.get(&path).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "private, no-store");
    let parsed: Calendar = res.text().await.unwrap().parse().expect("the feed parses");
    let summaries: Vec<String> = parsed
        .components
        .iter()
        .filter_map(|c| c.as_event())
        .filter_map(|e| e.get_summary().map(str::to_owned))
        .collect();
    assert_eq!(summaries, ["Retreat; fathers, sons"]);
    let renewed = ok_json(
        app.post_as(&joe.access_token, "/api/v1/me/calendar-feed", json!({}))
            .await,
    )
    .await;
    let res = app.get(&path).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let new_path = url::Url::parse(renewed["url"].as_str().unwrap())
        .unwrap()
        .path()
        .to_owned();
    let res = app
        .call(
            reqwest::Method::DELETE,
            "/api/v1/me/calendar-feed",
            Some(&joe.access_token),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = app.get(&new_path).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = app.get("/calendar/not-a-token.ics").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

async fn edit(app: &TestApp, by: &User, id: &str, body: Value) -> Response {
    app.call(
        reqwest::Method::PUT,
        &format!("/api/v1/events/{id}"),
        Some(&by.access_token),
        Some(body),
    )
    .await
}

/// The event's `.ics` file as its organiser downloads it.
async fn ics_of(app: &TestApp, by: &User, id: &str) -> String {
    let res = app
        .get_as(
            &by.access_token,
            &format!("/api/v1/events/{id}/calendar.ics"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    res.text().await.unwrap()
}

async fn editing_replaces_the_event_for_its_organisers_only(app: TestApp) {
    let admin = app.admin().await;
    let ptm = app.user_with_roles(&admin, &["program_team_member"]).await;
    let colleague = app.user_with_roles(&admin, &["program_team_member"]).await;
    let fac = app.user_with_roles(&admin, &["facilitator"]).await;
    let member = app.signed_up("member@example.org").await;
    let draft = app.create_event(&ptm, workshop("Draft", 10)).await;
    let id = draft["id"].as_str().unwrap().to_owned();
    assert!(ics_of(&app, &ptm, &id).await.contains("SEQUENCE:0"));

    // Title and times are replaced; the calendar's SEQUENCE goes up.
    let mut body = workshop("Fathers and sons, revised", 10);
    body["starts_at"] = json!(local(11, 9));
    body["ends_at"] = json!(local(11, 12));
    let e = ok_json(edit(&app, &ptm, &id, body.clone()).await).await;
    assert_eq!(e["title"], "Fathers and sons, revised");
    assert_eq!(e["status"], "draft");
    assert_ne!(e["starts_at"], draft["starts_at"]);
    let ics = ics_of(&app, &ptm, &id).await;
    assert!(ics.contains("SEQUENCE:1"), "{ics}");
    assert!(ics.contains("SUMMARY:Fathers and sons\\, revised"), "{ics}");
    // Saving the same again changes nothing, so calendars keep their version.
    ok_json(edit(&app, &ptm, &id, body.clone()).await).await;
    assert!(ics_of(&app, &ptm, &id).await.contains("SEQUENCE:1"));
    let updates = app.audit_records("event_updated").await;
    assert_eq!(updates.len(), 1);
    let details: Value = serde_json::from_str(&updates[0].details).unwrap();
    assert_eq!(
        details,
        json!({ "changed": ["title", "starts_at", "ends_at"] })
    );

    // Others cannot: a draft does not exist for them; a published event is not theirs.
    // The Program Team organises programme events together.
    let res = edit(&app, &member, &id, body.clone()).await;
    assert_eq!(refused(res, StatusCode::NOT_FOUND).await, "not_found");
    ok_json(app.set_event_status(&ptm, &id, "published").await).await;
    for who in [&member, &fac] {
        let res = edit(&app, who, &id, body.clone()).await;
        assert_eq!(refused(res, StatusCode::FORBIDDEN).await, "forbidden");
    }
    body["description"] = json!("Fathers and sons, with lunch.");
    let e = ok_json(edit(&app, &colleague, &id, body.clone()).await).await;
    assert_eq!(e["description"], "Fathers and sons, with lunch.");
    let res = edit(&app, &ptm, &Uuid::now_v7().to_string(), body.clone()).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // The input is checked as on creation.
    let mut bad = body.clone();
    bad["title"] = json!("W");
    bad["ends_at"] = json!(local(11, 8));
    let errors = validation_errors(edit(&app, &ptm, &id, bad).await).await;
    assert!(errors.to_string().contains("\"title\""), "{errors}");
    assert!(errors.to_string().contains("\"ends_at\""), "{errors}");

    // The audience is fixed: no circles added to a programme event…
    let mut narrowed = body.clone();
    narrowed["circle_ids"] = json!([Uuid::now_v7()]);
    let errors = validation_errors(edit(&app, &ptm, &id, narrowed).await).await;
    assert_eq!(errors[0]["field"], "circle_id", "{errors}");
    // …and a circle's own event cannot become one for everyone.
    let c = app.create_circle(&fac, circle_body("Tuesday Men", 8)).await;
    let mut own = workshop("Circle walk", 8);
    own["circle_id"] = c["id"].clone();
    let walk = app.create_event(&fac, own.clone()).await;
    let walk = walk["id"].as_str().unwrap();
    own["title"] = json!("Circle walk by the river");
    let e = ok_json(edit(&app, &fac, walk, own.clone()).await).await;
    assert_eq!(e["circle_id"], c["id"]);
    own["circle_id"] = Value::Null;
    let errors = validation_errors(edit(&app, &fac, walk, own).await).await;
    assert_eq!(errors[0]["field"], "circle_id");
    assert!(errors[0]["message"].as_str().unwrap().contains("fixed"));

    // Cancelled events are closed.
    ok_json(app.set_event_status(&ptm, &id, "cancelled").await).await;
    let res = edit(&app, &ptm, &id, body).await;
    assert_eq!(refused(res, StatusCode::CONFLICT).await, "event_closed");
}

async fn editing_keeps_seats_price_and_tells_people_of_a_new_time(app: TestApp) {
    let admin = app.admin().await;
    let ptm = app.user_with_roles(&admin, &["program_team_member"]).await;
    let id = app
        .publish_event(&ptm, workshop("Fathers and sons", 2))
        .await;
    let mut people = Vec::new();
    for n in 0..4 {
        let p = app.signed_up(&format!("p{n}@example.org")).await;
        ok_json(app.register_for(&p, &id).await).await;
        people.push(p);
    }
    let mut body = workshop("Fathers and sons", 2);

    // Capacity cannot drop below the seats held.
    body["capacity"] = json!(1);
    let errors = validation_errors(edit(&app, &ptm, &id, body.clone()).await).await;
    assert_eq!(errors[0]["field"], "capacity", "{errors}");
    assert!(
        errors[0]["message"].as_str().unwrap().contains('2'),
        "{errors}"
    );
    // A seat more goes to the first in line.
    body["capacity"] = json!(3);
    let e = ok_json(edit(&app, &ptm, &id, body.clone()).await).await;
    assert_eq!(
        (e["seats_left"].as_i64(), e["waitlisted"].as_u64()),
        (Some(0), Some(1))
    );
    let status_of = |who: &User| {
        let (app, token) = (&app, who.access_token.clone());
        async move {
            let mine = ok_json(app.get_as(&token, "/api/v1/me/registrations").await).await;
            mine["items"][0]["registration"]["status"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    assert_eq!(status_of(&people[2]).await, "confirmed");
    assert_eq!(status_of(&people[3]).await, "waitlisted");

    // The price is fixed once people registered; before that it may change.
    let mut priced = body.clone();
    priced["price_minor"] = json!(2500);
    priced["currency"] = json!("EUR");
    let res = edit(&app, &ptm, &id, priced.clone()).await;
    assert_eq!(refused(res, StatusCode::CONFLICT).await, "price_locked");
    let empty = app.create_event(&ptm, workshop("Not yet priced", 3)).await;
    let empty = empty["id"].as_str().unwrap();
    priced["title"] = json!("Not yet priced");
    let e = ok_json(edit(&app, &ptm, empty, priced).await).await;
    assert_eq!(e["price_label"], "EUR 25.00");

    // A new time: everyone registered or waiting hears it, with the time in the event's
    // zone and the place; the reminder follows the new start, the old one does nothing.
    body["starts_at"] = json!(local(13, 9));
    body["ends_at"] = json!(local(13, 12));
    ok_json(edit(&app, &ptm, &id, body.clone()).await).await;
    app.run_pending_jobs().await;
    let day = (Utc::now() + Duration::days(13))
        .date_naive()
        .format("%-d %B %Y")
        .to_string();
    for who in [
        "p0@example.org",
        "p1@example.org",
        "p2@example.org",
        "p3@example.org",
    ] {
        let mails: Vec<_> = app
            .emails_to(who)
            .into_iter()
            .filter(|m| m.subject == "New time: Fathers and sons")
            .collect();
        assert_eq!(mails.len(), 1, "{who}");
        let text = &mails[0].body;
        assert!(
            text.contains(&format!("{day}, 09:00 (Europe/Berlin)")),
            "{text}"
        );
        assert!(
            text.contains(&format!("{day}, 12:00 (Europe/Berlin)")),
            "{text}"
        );
        assert!(text.contains("Community hall"), "{text}");
    }
    let promoted = app.emails_to("p2@example.org");
    assert!(
        promoted
            .iter()
            .any(|m| m.subject == "A seat opened up: Fathers and sons"),
        "the usual notice for a seat from the waitlist"
    );
    let reminders = app
        .jobs()
        .await
        .into_iter()
        .filter(|j| j.kind == "send_event_reminders")
        .count();
    assert_eq!(reminders, 2, "one for the old start, one for the new");
    let (new_start, _) = event_times(&app, &ptm, &id).await;
    app.advance_to(new_start - Duration::hours(23));
    app.run_pending_jobs().await;
    for who in ["p0@example.org", "p1@example.org", "p2@example.org"] {
        let tomorrow = app
            .emails_to(who)
            .into_iter()
            .filter(|m| m.subject.starts_with("Tomorrow: "))
            .count();
        assert_eq!(tomorrow, 1, "{who}");
    }
    // A change that does not move the event tells nobody.
    let ptm = app.signed_in_again(&ptm).await;
    body["description"] = json!("Bring a packed lunch.");
    ok_json(edit(&app, &ptm, &id, body).await).await;
    app.run_pending_jobs().await;
    let moved = app
        .emails_to("p0@example.org")
        .into_iter()
        .filter(|m| m.subject.starts_with("New time: "))
        .count();
    assert_eq!(moved, 1);
}

async fn editing_rechecks_the_venue_but_not_against_itself(app: TestApp) {
    let admin = app.admin().await;
    let ptm = app.user_with_roles(&admin, &["program_team_member"]).await;
    let venue = json!({ "name": "Old Mill", "address": "Mill lane 1", "capacity": 30 });
    let v = ok_json(
        app.post_as(&ptm.access_token, "/api/v1/venues", venue)
            .await,
    )
    .await;
    let mut at_mill = workshop("At the mill", 20);
    at_mill["venue_id"] = v["id"].clone();
    let first = app.create_event(&ptm, at_mill.clone()).await;
    let first = first["id"].as_str().unwrap().to_owned();
    // Its own slot is no clash: saved again, or a little longer, at the same place.
    ok_json(edit(&app, &ptm, &first, at_mill.clone()).await).await;
    at_mill["ends_at"] = json!(local(10, 17));
    ok_json(edit(&app, &ptm, &first, at_mill.clone()).await).await;

    // Another event moved onto that afternoon is refused; a bigger one does not fit.
    let mut later = at_mill.clone();
    later["title"] = json!("Later at the mill");
    later["starts_at"] = json!(local(12, 10));
    later["ends_at"] = json!(local(12, 16));
    let second = app.create_event(&ptm, later.clone()).await;
    let second = second["id"].as_str().unwrap().to_owned();
    later["starts_at"] = json!(local(10, 15));
    later["ends_at"] = json!(local(10, 18));
    let res = edit(&app, &ptm, &second, later.clone()).await;
    assert_eq!(refused(res, StatusCode::CONFLICT).await, "venue_booked");
    later["starts_at"] = json!(local(12, 10));
    later["ends_at"] = json!(local(12, 16));
    later["capacity"] = json!(31);
    let errors = validation_errors(edit(&app, &ptm, &second, later).await).await;
    assert_eq!(errors[0]["field"], "capacity");
}

crate::on_both_backends!(
    door_list_check_in_counts_and_csv,
    calendar_files_and_private_feeds,
    browsing_finds_what_is_meant_for_you,
    creating_is_validated_and_for_the_right_roles,
    waitlist_promotion_and_cancellation,
    full_events_windows_and_paid_offers,
    idempotency_key_makes_a_retry_safe,
    idempotency_key_holds_under_20_simultaneous_requests,
    venues_refuse_double_booking_and_organisers_are_warned,
    capacity_holds_under_200_simultaneous_registrations,
    editing_replaces_the_event_for_its_organisers_only,
    editing_keeps_seats_price_and_tells_people_of_a_new_time,
    editing_rechecks_the_venue_but_not_against_itself,
);
