//! Authority follows the current state, and nobody promotes himself (issue 9): a removed
//! co-facilitator loses his events, a lapsed certification ends leading at once, Support
//! helps only ordinary accounts, programme events wait for a circle leader's yes, photos
//! are for people who know each other, and the audit chain survives an erasure. On SQLite
//! and PostgreSQL.

use crate::helpers::pages::Person;
use crate::helpers::{
    circle_body, led_circle, ok_json, png, refused, workshop, Led, TestApp, User,
};
use chrono::{Duration, Utc};
use reqwest::StatusCode;
use serde_json::json;

async fn leads(app: &TestApp, who: &User, circle: &str) -> bool {
    let res = app
        .get_as(
            &who.access_token,
            &format!("/api/v1/circles/{circle}/join-requests"),
        )
        .await;
    match res.status() {
        StatusCode::OK => true,
        StatusCode::FORBIDDEN => false,
        other => panic!("unexpected {other}"),
    }
}

async fn a_removed_co_facilitator_loses_his_events(app: TestApp) {
    let c = led_circle(&app).await;
    let co = app.user_with_roles(&c.admin, &["facilitator"]).await;
    let res = app
        .post_as(
            &c.fac.access_token,
            &format!("/api/v1/circles/{}/co-facilitators", c.id),
            json!({ "user_id": co.id }),
        )
        .await;
    ok_json(res).await;
    let mut body = workshop("Circle supper", 10);
    body["circle_id"] = json!(c.id);
    body["kind"] = json!("movie_night");
    let event = app.publish_event(&co, body).await;
    let roster = format!("/api/v1/events/{event}/registrations");
    assert_eq!(
        app.get_as(&co.access_token, &roster).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.register_for(&c.member, &event).await.status(),
        StatusCode::CREATED
    );
    let mine = Person::of(&app, &co).await.page("/me/events").await;
    assert!(mine.contains("Circle supper"), "{mine}");

    let res = app
        .post_as(
            &c.fac.access_token,
            &format!("/api/v1/circles/{}/co-facilitators/{}/remove", c.id, co.id),
            json!({}),
        )
        .await;
    ok_json(res).await;
    // At once: no roster, no edits, no cancelling of the event he created for the circle.
    let res = app.get_as(&co.access_token, &roster).await;
    assert!(
        matches!(res.status(), StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "{}",
        res.status()
    );
    let res = app.set_event_status(&co, &event, "cancelled").await;
    assert!(matches!(
        res.status(),
        StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
    ));
    let mine = Person::of(&app, &co).await.page("/me/events").await;
    assert!(
        !mine.contains("Circle supper"),
        "no longer his to organise: {mine}"
    );
    // Whoever leads the circle now organises it.
    assert_eq!(
        app.get_as(&c.fac.access_token, &roster).await.status(),
        StatusCode::OK
    );
}

async fn a_revoked_certification_ends_leading_at_once(app: TestApp) {
    let c = led_circle(&app).await;
    assert!(leads(&app, &c.fac, &c.id).await);
    let certs = app
        .get_json(
            &c.ptm.access_token,
            &format!("/api/v1/users/{}/certifications", c.fac.id),
        )
        .await;
    let cert = certs[0]["id"].as_str().unwrap().to_owned();
    let res = app
        .post_as(
            &c.ptm.access_token,
            &format!("/api/v1/certifications/{cert}/revoke"),
            json!({}),
        )
        .await;
    ok_json(res).await;
    assert!(!leads(&app, &c.fac, &c.id).await, "stops leading at once");
    // He is still in the circle as a member, and the circle says it needs a facilitator.
    let seen = app
        .get_json(&c.fac.access_token, &format!("/api/v1/circles/{}", c.id))
        .await;
    assert_eq!(seen["needs_facilitator"], true, "{seen}");
    assert_eq!(seen["viewer_leads"], false);
    assert!(seen["members"].is_array());
    app.run_pending_jobs().await;
    let told = |to: &str| {
        app.emails_to(to)
            .iter()
            .any(|m| m.subject.contains("needs a"))
    };
    assert!(told(&c.member.email), "members are told");
    assert!(told(&c.ptm.email), "the Program Team is alerted");
    assert_eq!(app.audit_records("circle_needs_facilitator").await.len(), 1);

    // Certified again, he leads again and the mark goes.
    ok_json(app.certify(&c.ptm, c.fac.id).await).await;
    assert!(leads(&app, &c.fac, &c.id).await);
    let seen = app
        .get_json(&c.member.access_token, &format!("/api/v1/circles/{}", c.id))
        .await;
    assert_eq!(seen["needs_facilitator"], false);
}

async fn an_expired_certification_is_found_by_the_hourly_sweep(app: TestApp) {
    let admin = app.admin().await;
    let ptm = app.user_with_roles(&admin, &["program_team_member"]).await;
    let fac = app.named("Eric Expiring").await;
    let expires = Utc::now() + Duration::days(1);
    let res = app
        .post_as(
            &ptm.access_token,
            "/api/v1/certifications",
            json!({ "user_id": fac.id, "expires_at": expires }),
        )
        .await;
    ok_json(res).await;
    ok_json(app.put_role(&admin, fac.id, "facilitator").await).await;
    let id = app.create_circle(&fac, circle_body("Expiring", 6)).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let member = app.named("Mats Member").await;
    app.join(&fac, &member, &id).await;
    app::jobs::ensure_recurring(&app.ctx).await.unwrap();
    app.run_pending_jobs().await;

    app.advance(Duration::days(2));
    // Two days on, everyone signs in again (access tokens last minutes).
    let (fac, member, ptm) = (
        app.signed_in_again(&fac).await,
        app.signed_in_again(&member).await,
        app.signed_in_again(&ptm).await,
    );
    // Leading ends the moment it expires, before any job has run.
    assert!(!leads(&app, &fac, &id).await);
    app.run_pending_jobs().await;
    let roles = app.me(&fac).await["roles"].clone();
    assert_eq!(roles, json!(["member"]), "the Facilitator role goes");
    assert_eq!(
        app.audit_records("facilitator_certification_expired")
            .await
            .len(),
        1
    );
    let seen = app
        .get_json(&member.access_token, &format!("/api/v1/circles/{id}"))
        .await;
    assert_eq!(seen["needs_facilitator"], true);
    app.run_pending_jobs().await;
    assert!(app
        .emails_to(&member.email)
        .iter()
        .any(|m| m.subject.contains("needs a facilitator")));
    assert!(app
        .emails_to(&ptm.email)
        .iter()
        .any(|m| m.subject.contains("needs a certified facilitator")));
    // The sweep runs again an hour later and changes nothing.
    app.advance(Duration::hours(2));
    app.run_pending_jobs().await;
    assert_eq!(
        app.audit_records("facilitator_certification_expired")
            .await
            .len(),
        1
    );
    assert_eq!(app.audit_records("circle_needs_facilitator").await.len(), 1);
}

async fn nobody_promotes_himself(app: TestApp) {
    let c = led_circle(&app).await;
    let res = app.certify(&c.ptm, c.ptm.id).await;
    assert_eq!(
        refused(res, StatusCode::FORBIDDEN).await,
        "cannot_certify_self"
    );
    let res = app.certify(&c.admin, c.admin.id).await;
    assert_eq!(
        refused(res, StatusCode::FORBIDDEN).await,
        "cannot_certify_self"
    );
    let res = app.put_role(&c.admin, c.admin.id, "leadership").await;
    assert_eq!(
        refused(res, StatusCode::FORBIDDEN).await,
        "cannot_grant_self"
    );
    assert_eq!(app.me(&c.admin).await["roles"], json!(["member", "admin"]));

    // An Admin who stepped in still cannot make himself a co-facilitator.
    app.step_in(
        &c.admin,
        &c.id,
        "Looking for a new facilitator for this circle.",
    )
    .await;
    let add = format!("/api/v1/circles/{}/co-facilitators", c.id);
    let res = app
        .post_as(
            &c.admin.access_token,
            &add,
            json!({ "user_id": c.admin.id }),
        )
        .await;
    assert_eq!(refused(res, StatusCode::FORBIDDEN).await, "cannot_add_self");

    // Adding a co-facilitator tells every member who now leads with them.
    let co = app.facilitator(&c.admin, "Carl Cofacilitator").await;
    app.run_pending_jobs().await;
    let before = app.emails_to(&c.member.email).len();
    let res = app
        .post_as(&c.fac.access_token, &add, json!({ "user_id": co.id }))
        .await;
    ok_json(res).await;
    app.run_pending_jobs().await;
    let mails = app.emails_to(&c.member.email);
    assert_eq!(mails.len(), before + 1, "{mails:#?}");
    let last = mails.last().unwrap();
    assert!(
        last.subject.contains("new co-facilitator"),
        "{}",
        last.subject
    );
    assert!(last.body.contains("Carl Cofacilitator"), "{}", last.body);
}

async fn support_helps_ordinary_accounts_only(app: TestApp) {
    let admin = app.admin().await;
    let support = app.user_with_roles(&admin, &["support"]).await;
    let plain = app.named("Paul Plain").await;
    let fac = app.user_with_roles(&admin, &["facilitator"]).await;
    for who in [&plain, &fac] {
        app.enable_mfa(who).await;
        let res = app
            .post_as(
                &support.access_token,
                &format!("/api/v1/support/accounts/{}/reset-mfa", who.id),
                json!({}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::NO_CONTENT, "{}", who.email);
    }
    app.run_pending_jobs().await;
    let told = app.emails_to(&plain.email);
    let notice = told
        .iter()
        .find(|m| m.subject == "Support reset your two-step verification")
        .unwrap_or_else(|| panic!("{told:#?}"));
    assert!(
        notice.body.contains("If this was not you"),
        "{}",
        notice.body
    );

    let mut above = vec![admin.clone()];
    for role in ["leadership", "program_team_member", "support"] {
        above.push(app.user_with_roles(&admin, &[role]).await);
    }
    for who in &above[1..] {
        app.enable_mfa(who).await;
    }
    for who in &above {
        for action in ["reset-mfa", "unlock"] {
            let res = app
                .post_as(
                    &support.access_token,
                    &format!("/api/v1/support/accounts/{}/{action}", who.id),
                    json!({}),
                )
                .await;
            assert_eq!(
                refused(res, StatusCode::FORBIDDEN).await,
                "admin_only_account",
                "{action} {}",
                who.email
            );
        }
    }
    // An Admin helps them (never himself).
    let res = app.unlock_account(&admin, above[1].id).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    app.run_pending_jobs().await;
    assert!(app
        .emails_to(&above[1].email)
        .iter()
        .any(|m| m.subject == "Support unlocked your account"));
    let res = app.unlock_account(&admin, admin.id).await;
    assert_eq!(
        refused(res, StatusCode::FORBIDDEN).await,
        "cannot_assist_self"
    );
}

async fn programme_events_for_circles_wait_for_a_leaders_yes(app: TestApp) {
    let c = led_circle(&app).await;
    let mut body = workshop("Fathers and sons", 20);
    body["circle_ids"] = json!([c.id]);
    let event = app.publish_event(&c.ptm, body.clone()).await;
    let path = format!("/api/v1/events/{event}");
    // Not shown to the circle until one of its leaders accepts.
    assert_eq!(
        app.get_as(&c.member.access_token, &path).await.status(),
        StatusCode::NOT_FOUND
    );
    let listed = app.get_json(&c.member.access_token, "/api/v1/events").await;
    assert!(!listed.to_string().contains(&event));
    app.run_pending_jobs().await;
    assert!(app
        .emails_to(&c.fac.email)
        .iter()
        .any(|m| m.subject.contains("Fathers and sons")));
    let offers = app
        .get_json(
            &c.fac.access_token,
            &format!("/api/v1/circles/{}/event-offers", c.id),
        )
        .await;
    assert_eq!(offers[0]["event_id"], event.as_str(), "{offers}");
    let organiser_view = app.get_json(&c.ptm.access_token, &path).await;
    assert_eq!(organiser_view["circle_ids"], json!([]));
    assert_eq!(organiser_view["pending_circle_ids"], json!([c.id]));

    let accept = format!("/api/v1/circles/{}/event-offers/{event}/accept", c.id);
    let res = app
        .post_as(&c.member.access_token, &accept, json!({}))
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "members do not decide");
    let res = app.post_as(&c.fac.access_token, &accept, json!({})).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.register_for(&c.member, &event).await.status(),
        StatusCode::CREATED
    );
    let roster = format!("/api/v1/events/{event}/registrations");
    let seen = app.get_json(&c.ptm.access_token, &roster).await;
    assert_eq!(seen.as_array().unwrap().len(), 1);
    // Another Program Team Member was not given that view.
    let other = app
        .user_with_roles(&c.admin, &["program_team_member"])
        .await;
    let res = app.get_as(&other.access_token, &roster).await;
    assert!(matches!(
        res.status(),
        StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
    ));
    let res = app.get_as(&c.admin.access_token, &roster).await;
    assert!(matches!(
        res.status(),
        StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
    ));

    // Declined: the circle is taken off the event, and its members never see it.
    body["title"] = json!("Declined evening");
    let declined = app.publish_event(&c.ptm, body).await;
    let res = app
        .post_as(
            &c.fac.access_token,
            &format!("/api/v1/circles/{}/event-offers/{declined}/decline", c.id),
            json!({}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = app
        .get_as(
            &c.member.access_token,
            &format!("/api/v1/events/{declined}"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // A leader offering an event to his own circles needs nobody's yes.
    let mut own = workshop("Our circle's day out", 10);
    own["kind"] = json!("day_retreat");
    own["circle_ids"] = json!([c.id]);
    let own = app.publish_event(&c.fac, own).await;
    let res = app
        .get_as(&c.member.access_token, &format!("/api/v1/events/{own}"))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    // The page lists the offer with its buttons for the leader.
    body_of_offers_page(&app, &c).await;
}

async fn body_of_offers_page(app: &TestApp, c: &Led) {
    let mut body = workshop("Page offer", 5);
    body["circle_ids"] = json!([c.id]);
    let event = app.publish_event(&c.ptm, body).await;
    let leader = Person::of(app, &c.fac).await;
    let page = format!("/circles/{}", c.id);
    let html = leader.page(&page).await;
    assert!(html.contains("Events offered to this circle") && html.contains("Page offer"));
    let (_, html) = leader
        .submit_ok(
            &page,
            &format!("/circles/{}/offers/{event}/accept", c.id),
            &[],
        )
        .await;
    assert!(html.contains("its members see it now"), "{html}");
}

async fn photos_are_for_people_who_know_each_other(app: TestApp) {
    let c = led_circle(&app).await;
    let res = app.put_photo(&c.member, "image/png", png(64, 64)).await;
    let url = ok_json(res).await["photo_url"].as_str().unwrap().to_owned();
    let stranger = app.named("Sam Stranger").await;
    let support = app.user_with_roles(&c.admin, &["support"]).await;
    let leadership = app.user_with_roles(&c.admin, &["leadership"]).await;
    for (who, expected) in [
        (&c.member, StatusCode::OK),
        (&c.fac, StatusCode::OK),
        (&c.admin, StatusCode::OK),
        (&support, StatusCode::OK),
        (&stranger, StatusCode::NOT_FOUND),
        (&leadership, StatusCode::NOT_FOUND),
        (&c.ptm, StatusCode::NOT_FOUND),
    ] {
        let res = app.get_as(&who.access_token, &url).await;
        assert_eq!(res.status(), expected, "{}", who.email);
    }
}

async fn the_audit_chain_survives_an_erasure(app: TestApp) {
    let c = led_circle(&app).await;
    let report = app
        .get_json(&c.admin.access_token, "/api/v1/audit/verify")
        .await;
    assert_eq!(report["intact"], true, "{report}");
    let txn = db::begin_write(&app.ctx.main).await.unwrap();
    let (erased, legacy) = app::audit::erase_person(&txn, c.member.id).await.unwrap();
    txn.commit().await.unwrap();
    assert!(erased >= 2, "sign-up, verification, sign-in: {erased}");
    assert_eq!(legacy, 0);
    let report = app
        .get_json(&c.admin.access_token, "/api/v1/audit/verify")
        .await;
    assert_eq!(report["intact"], true, "erasing keeps the chain: {report}");
    let page = app
        .get_json(&c.admin.access_token, "/api/v1/audit?limit=200")
        .await;
    assert!(
        !page.to_string().contains(&c.member.id.to_string()),
        "{page}"
    );
    assert!(page.to_string().contains("\"erased\":true"));

    // Anything but an erasure is still refused by the database itself.
    use db::sea_orm::ConnectionTrait;
    for sql in [
        "UPDATE audit_log SET hash = 'forged' WHERE seq = 1",
        "UPDATE audit_log SET details = '{\"x\":1}' WHERE seq = 2",
        "DELETE FROM audit_log WHERE seq = 3",
    ] {
        let tried = app.ctx.main.execute_unprepared(sql).await;
        assert!(tried.is_err(), "{sql} was allowed");
    }
    let report = app
        .get_json(&c.admin.access_token, "/api/v1/audit/verify")
        .await;
    assert_eq!(report["intact"], true);
}

crate::on_both_backends!(
    a_removed_co_facilitator_loses_his_events,
    a_revoked_certification_ends_leading_at_once,
    an_expired_certification_is_found_by_the_hourly_sweep,
    nobody_promotes_himself,
    support_helps_ordinary_accounts_only,
    programme_events_for_circles_wait_for_a_leaders_yes,
    photos_are_for_people_who_know_each_other,
    the_audit_chain_survives_an_erasure,
);
