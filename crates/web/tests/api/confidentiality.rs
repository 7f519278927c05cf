//! What is said in a circle stays in the circle (issue 9): every piece of circle-private
//! data × every global role outside the circle × the API and the pages is refused, while
//! the circle's own members and leaders read it; and an Admin's safeguarding step-in is the
//! one, announced, expiring exception. The money side — scholarships and the finance
//! report — is in [`money`]. On SQLite and PostgreSQL.

mod money;

use crate::helpers::conversation::{b64, message_body, signature, spki};
use crate::helpers::pages::{audit_rows, Person};
use crate::helpers::{circle_body, ok_json, refused, TestApp, User};
use chrono::{Duration, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// Words that exist only inside the circle; none may reach anyone outside it.
const JOIN_MESSAGE: &str = "My brother died in March and I need somewhere to talk.";
const MEETING_NOTE: &str = "Daniel spoke about his divorce; follow up gently.";
const DECLINE_REASON: &str = "We are holding space for Daniel right now.";
const REMOVAL_REASON: &str = "Repeated what Daniel shared outside the circle.";
const ONLINE_LINK: &str = "https://meet.example.org/secret-room-4711";

/// A circle with something private of every kind, and people inside and outside it.
struct Circle {
    id: String,
    meeting: String,
    admin: User,
    fac: User,
    member: User,
    asker: User,
    /// A member removed with a reason: no longer inside.
    removed: User,
    /// Leadership, Program Team, Support and Admin, none of them in the circle.
    outsiders: Vec<(&'static str, User)>,
}

async fn private_circle(app: &TestApp) -> Circle {
    let admin = app.admin().await;
    let fac = app.user_with_roles(&admin, &["facilitator"]).await;
    let mut body = circle_body("Thursday Brothers", 8);
    body["online_url"] = json!(ONLINE_LINK);
    let id = app.create_circle(&fac, body).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let member = app.named("Daniel Member").await;
    app.join(&fac, &member, &id).await;
    let removed = app.named("Ralf Removed").await;
    app.join(&fac, &removed, &id).await;
    let res = app
        .post_as(
            &fac.access_token,
            &format!("/api/v1/circles/{id}/members/{}/remove", removed.id),
            json!({ "reason": REMOVAL_REASON }),
        )
        .await;
    ok_json(res).await;
    let declined = app.named("Dirk Declined").await;
    let mid = ok_json(app.ask_to_join(&declined, &id).await).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = app
        .post_as(
            &fac.access_token,
            &format!("/api/v1/circles/{id}/join-requests/{mid}/decline"),
            json!({ "reason": DECLINE_REASON }),
        )
        .await;
    ok_json(res).await;
    let asker = app.named("Anton Asker").await;
    let res = app
        .post_as(
            &asker.access_token,
            &format!("/api/v1/circles/{id}/join-requests"),
            json!({ "message": JOIN_MESSAGE }),
        )
        .await;
    ok_json(res).await;
    ok_json(app.invite(&fac, &id, "invited-friend@example.org").await).await;
    let yesterday = Utc::now() - Duration::days(1);
    let meeting = ok_json(
        app.add_meeting(
            &fac,
            &id,
            json!({ "starts_at": yesterday, "note": MEETING_NOTE }),
        )
        .await,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let present = json!([{ "user_id": member.id, "status": "present" }]);
    ok_json(app.record_attendance(&fac, &meeting, present).await).await;
    let mut outsiders = vec![("admin", admin.clone())];
    for role in ["leadership", "program_team_member", "support"] {
        outsiders.push((role, app.user_with_roles(&admin, &[role]).await));
    }
    Circle {
        id,
        meeting,
        admin,
        fac,
        member,
        asker,
        removed,
        outsiders,
    }
}

/// Fails if any of the circle's private words is in `text`.
fn assert_no_circle_words(who: &str, what: &str, text: &str) {
    for secret in [
        JOIN_MESSAGE,
        MEETING_NOTE,
        DECLINE_REASON,
        REMOVAL_REASON,
        ONLINE_LINK,
        "invited-friend@example.org",
    ] {
        assert!(!text.contains(secret), "{who} read {secret:?} in {what}");
    }
}

/// Fails if any of the circle's private words or its members' names is in `text`.
fn assert_tells_nothing(who: &str, what: &str, text: &str) {
    assert_no_circle_words(who, what, text);
    for secret in ["Daniel Member", "Anton Asker"] {
        assert!(!text.contains(secret), "{who} read {secret:?} in {what}");
    }
}

/// The API paths that answer with circle-private data.
fn private_api(c: &Circle) -> Vec<String> {
    let id = &c.id;
    vec![
        format!("/api/v1/circles/{id}/members"),
        format!("/api/v1/circles/{id}/meetings"),
        format!("/api/v1/circles/{id}/join-requests"),
        format!("/api/v1/circles/{id}/invitations"),
        format!("/api/v1/circles/{id}/event-offers"),
        format!("/api/v1/circles/{id}/step-in"),
        // Who said they are coming to a meeting is per-person circle activity.
        format!("/api/v1/meetings/{}/rsvps", c.meeting),
    ]
}

/// The pages that show circle-private data.
fn private_pages(c: &Circle) -> Vec<String> {
    let id = &c.id;
    vec![
        format!("/circles/{id}/meetings"),
        format!("/circles/{id}/requests"),
        format!("/circles/{id}/invitations"),
        format!("/meetings/{}/attendance", c.meeting),
        format!("/circles/{id}/edit"),
        format!("/circles/{id}/archive"),
        format!("/circles/{id}/co-facilitators"),
    ]
}

async fn no_global_role_reads_a_circle(app: TestApp) {
    let c = private_circle(&app).await;
    app.run_pending_jobs().await;
    for (role, who) in &c.outsiders {
        for path in private_api(&c) {
            let res = app.get_as(&who.access_token, &path).await;
            assert_eq!(
                refused(res, StatusCode::FORBIDDEN).await,
                "forbidden",
                "{role} GET {path}"
            );
        }
        // Nor does any global role write a circle's per-person activity.
        for (path, body) in [(
            format!("/api/v1/meetings/{}/attendance/all-present", c.meeting),
            json!({}),
        )] {
            let res = app.post_as(&who.access_token, &path, body).await;
            assert_eq!(
                refused(res, StatusCode::FORBIDDEN).await,
                "forbidden",
                "{role} POST {path}"
            );
        }
        let next = app
            .get_json(&who.access_token, "/api/v1/me/next-meetings")
            .await;
        assert_tells_nothing(role, "next meetings", &next.to_string());
        // The circle itself: its public description only.
        let seen = app
            .get_json(&who.access_token, &format!("/api/v1/circles/{}", c.id))
            .await;
        assert!(seen.get("members").is_none(), "{role}: {seen}");
        assert!(seen["online_url"].is_null(), "{role}: {seen}");
        assert_eq!(seen["viewer_leads"], false, "{role}");
        assert_tells_nothing(role, "the circle", &seen.to_string());

        let browser = Person::of(&app, who).await;
        for path in private_pages(&c) {
            let res = browser.get(&path).await;
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{role} page {path}");
            assert_tells_nothing(role, &path, &res.text().await.unwrap());
        }
        let html = browser.page(&format!("/circles/{}", c.id)).await;
        assert_tells_nothing(role, "the circle's page", &html);
        assert!(!html.contains("Who is in the circle"), "{role}");
    }
}

async fn the_audit_log_and_reports_name_no_one(app: TestApp) {
    let c = private_circle(&app).await;
    let readers = c
        .outsiders
        .iter()
        .filter(|(role, _)| matches!(*role, "admin" | "leadership"));
    for (role, who) in readers {
        let mut cursor = String::new();
        loop {
            let page = app
                .get_json(
                    &who.access_token,
                    &format!("/api/v1/audit?limit=200{cursor}"),
                )
                .await;
            let text = page.to_string();
            assert_tells_nothing(role, "the audit log", &text);
            for person in [&c.member, &c.asker, &c.removed] {
                let circle_entries: Vec<&Value> = page["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|e| e["classification"] == "circle")
                    .collect();
                for e in &circle_entries {
                    assert!(e["actor_id"].is_null(), "{role}: {e}");
                    assert!(e["ip"].is_null(), "{role}: {e}");
                    assert!(!e.to_string().contains(&person.id.to_string()), "{e}");
                }
            }
            match page["next_cursor"].as_str() {
                Some(next) => cursor = format!("&cursor={next}"),
                None => break,
            }
        }
        // The page names people in their own security and administration records (a
        // member's sign-in says nothing about any circle); its circle records name no one.
        let html = Person::of(&app, who).await.page("/audit").await;
        assert_no_circle_words(role, "the audit page", &html);
        let circle_rows = audit_rows(&html, "circle");
        assert!(
            !circle_rows.is_empty(),
            "{role}: no circle record on the page"
        );
        for row in circle_rows {
            assert_tells_nothing(role, "a circle record on the audit page", row);
            for person in [&c.member, &c.asker, &c.removed] {
                assert!(!row.contains(&person.id.to_string()), "{role}: {row}");
            }
        }
        // The circle's own records still hold what its leaders need.
        let overview = app
            .get_json(&who.access_token, "/api/v1/reports/circles")
            .await;
        assert_tells_nothing(role, "the overview", &overview.to_string());
        assert_eq!(overview["circles"][0]["requests_waiting"], Value::Null);
    }
    // Even storage keeps no person and no words in circle entries (a stolen database).
    use db::main_db::audit_log;
    use db::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let rows = audit_log::Entity::find()
        .filter(audit_log::Column::Classification.eq("circle"))
        .all(&app.ctx.main)
        .await
        .unwrap();
    assert!(
        rows.len() >= 5,
        "join, approve, remove, decline, invite: {rows:?}"
    );
    for r in rows {
        assert_eq!((r.actor_id, r.ip.as_deref()), (None, None), "{r:?}");
        assert_tells_nothing("storage", "an audit row", &r.details);
    }
}

async fn the_circle_reads_its_own_secrets(app: TestApp) {
    let c = private_circle(&app).await;
    // Its leader reads everything private.
    for path in private_api(&c) {
        let res = app.get_as(&c.fac.access_token, &path).await;
        assert_eq!(res.status(), StatusCode::OK, "facilitator GET {path}");
    }
    let queue = app
        .get_json(
            &c.fac.access_token,
            &format!("/api/v1/circles/{}/join-requests", c.id),
        )
        .await;
    assert!(queue.to_string().contains(JOIN_MESSAGE), "{queue}");
    let leader = Person::of(&app, &c.fac).await;
    for path in private_pages(&c) {
        assert_eq!(leader.get(&path).await.status(), StatusCode::OK, "{path}");
    }
    let attendance = leader
        .page(&format!("/meetings/{}/attendance", c.meeting))
        .await;
    assert!(attendance.contains("Daniel Member"));

    // A member reads who is in it, the link and the notes — not the leaders' queue.
    let circle = app
        .get_json(&c.member.access_token, &format!("/api/v1/circles/{}", c.id))
        .await;
    assert_eq!(circle["online_url"], ONLINE_LINK);
    assert!(circle["members"].to_string().contains("Daniel Member"));
    let meetings = app
        .get_json(
            &c.member.access_token,
            &format!("/api/v1/circles/{}/meetings", c.id),
        )
        .await;
    assert!(meetings.to_string().contains(MEETING_NOTE), "{meetings}");
    let res = app
        .get_as(
            &c.member.access_token,
            &format!("/api/v1/circles/{}/join-requests", c.id),
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // The removed member lost it all at once.
    for path in [
        format!("/api/v1/circles/{}/members", c.id),
        format!("/api/v1/circles/{}/meetings", c.id),
    ] {
        let res = app.get_as(&c.removed.access_token, &path).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "removed GET {path}");
    }
}

async fn a_step_in_is_announced_and_expires(app: TestApp) {
    let c = private_circle(&app).await;
    app.run_pending_jobs().await;
    let before = app.emails_to(&c.member.email).len();
    let reason = "A member reported that the facilitator has stopped answering.";
    let step = app.step_in(&c.admin, &c.id, reason).await;
    assert_eq!(step["reason"], reason);
    let until: chrono::DateTime<Utc> = step["expires_at"].as_str().unwrap().parse().unwrap();
    let days = (until - Utc::now()).num_hours();
    assert!(
        (7 * 24 - 1..=7 * 24).contains(&days),
        "seven days by default: {days} h"
    );

    // Everyone in the circle is told at once: who, why, until when.
    app.run_pending_jobs().await;
    for who in [&c.member, &c.fac] {
        let mails = app.emails_to(&who.email);
        let told = mails.iter().find(|m| m.subject.contains("stepped in"));
        let told = told.unwrap_or_else(|| panic!("{} not told: {mails:#?}", who.email));
        assert!(told.body.contains(reason), "{}", told.body);
    }
    assert_eq!(app.emails_to(&c.member.email).len(), before + 1);
    assert!(
        app.emails_to(&c.asker.email)
            .iter()
            .all(|m| !m.subject.contains("stepped in")),
        "someone only asking to join is not in the circle"
    );

    // While it lasts the Admin reads inside, and every page of the circle says so.
    let members = app
        .get_json(
            &c.admin.access_token,
            &format!("/api/v1/circles/{}/members", c.id),
        )
        .await;
    assert!(members.to_string().contains("Daniel Member"));
    for who in [&c.member, &c.admin] {
        let html = Person::of(&app, who)
            .await
            .page(&format!("/circles/{}", c.id))
            .await;
        assert!(html.contains("has stepped in to this circle"), "{html}");
        assert!(html.contains(reason));
    }
    let running = app
        .get_json(
            &c.member.access_token,
            &format!("/api/v1/circles/{}/step-in", c.id),
        )
        .await;
    assert_eq!(running["reason"], reason);
    // It is a security entry, with its reason, for Leadership to review.
    let entries = app.audit_records("circle_step_in_started").await;
    assert_eq!(entries.len(), 1);
    assert_eq!(
        entries[0].classification,
        domain::audit::Classification::Security
    );
    assert_eq!(entries[0].actor_id, Some(c.admin.id));
    assert!(entries[0].details.contains(reason));
    // Stepping in twice is refused; no other role may at all.
    let res = app
        .post_as(
            &c.admin.access_token,
            &format!("/api/v1/circles/{}/step-in", c.id),
            json!({ "reason": reason }),
        )
        .await;
    assert_eq!(
        refused(res, StatusCode::CONFLICT).await,
        "already_stepped_in"
    );
    for (role, who) in c.outsiders.iter().filter(|(r, _)| *r != "admin") {
        let res = app
            .post_as(
                &who.access_token,
                &format!("/api/v1/circles/{}/step-in", c.id),
                json!({ "reason": reason }),
            )
            .await;
        assert_eq!(
            refused(res, StatusCode::FORBIDDEN).await,
            "forbidden",
            "{role}"
        );
    }

    // Seven days later it is over: no view, no banner.
    app.advance(Duration::days(7) + Duration::minutes(1));
    let mut c = c;
    c.admin = app.signed_in_again(&c.admin).await;
    c.member = app.signed_in_again(&c.member).await;
    let res = app
        .get_as(
            &c.admin.access_token,
            &format!("/api/v1/circles/{}/members", c.id),
        )
        .await;
    assert_eq!(refused(res, StatusCode::FORBIDDEN).await, "forbidden");
    let html = Person::of(&app, &c.member)
        .await
        .page(&format!("/circles/{}", c.id))
        .await;
    assert!(!html.contains("has stepped in"), "{html}");
    let running = app
        .get_json(
            &c.member.access_token,
            &format!("/api/v1/circles/{}/step-in", c.id),
        )
        .await;
    assert_eq!(running, Value::Null);
}

async fn stepping_out_ends_it_early(app: TestApp) {
    let c = private_circle(&app).await;
    let res = app
        .post_as(
            &c.admin.access_token,
            &format!("/api/v1/circles/{}/step-in", c.id),
            json!({ "reason": "too short" }),
        )
        .await;
    let errors = crate::helpers::validation_errors(res).await;
    assert_eq!(errors[0]["field"], "reason", "{errors}");
    assert!(errors.to_string().contains("every member"), "{errors}");
    app.step_in(&c.admin, &c.id, "Checking on a complaint about a meeting.")
        .await;
    let res = app
        .post_as(
            &c.admin.access_token,
            &format!("/api/v1/circles/{}/step-in/end", c.id),
            json!({}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = app
        .get_as(
            &c.admin.access_token,
            &format!("/api/v1/circles/{}/meetings", c.id),
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.audit_records("circle_step_in_ended").await.len(), 1);
    // The page form asks first and explains what happens.
    let admin = Person::of(&app, &c.admin).await;
    let html = admin.page(&format!("/circles/{}/step-in", c.id)).await;
    assert!(html.contains("Every member and facilitator of the circle is emailed"));
    let (to, html) = admin
        .submit_ok(
            &format!("/circles/{}/step-in", c.id),
            &format!("/circles/{}/step-in", c.id),
            &[(
                "reason",
                "Stepping in again from the page to check it works.",
            )],
        )
        .await;
    assert!(to.starts_with(&format!("/circles/{}", c.id)), "{to}");
    assert!(html.contains("has stepped in to this circle"), "{html}");
}

/// Every endpoint of the circle's end-to-end encrypted conversation, read and write, as
/// someone with a device of his own (`device`) would call it.
fn conversation_api(c: &Circle, device: &str) -> Vec<(Method, String, Option<Value>)> {
    let id = &c.id;
    let base = format!("/api/v1/circles/{id}/conversation");
    let envelope =
        json!([{ "recipient_device_id": device, "wrapped": b64(40), "signature": signature() }]);
    vec![
        (Method::GET, format!("{base}?device={device}"), None),
        (Method::GET, format!("{base}/messages?after=0"), None),
        (
            Method::GET,
            format!("/api/v1/me/key-archive?circle={id}"),
            None,
        ),
        (
            Method::PUT,
            format!("{base}/roster"),
            Some(
                json!({ "version": 2, "body": "{}", "signer_device_id": device, "signature": signature() }),
            ),
        ),
        (
            Method::POST,
            format!("{base}/epochs"),
            Some(json!({ "number": 2, "creator_device_id": device, "envelopes": envelope })),
        ),
        (
            Method::POST,
            format!("{base}/envelopes"),
            Some(json!({ "epoch": 1, "sender_device_id": device, "envelopes": envelope })),
        ),
        (
            Method::POST,
            format!("{base}/messages"),
            Some(message_body(1, device.parse().unwrap(), 1)),
        ),
        (Method::DELETE, format!("{base}/messages/1"), None),
        (
            Method::PUT,
            format!("{base}/messages/1/pin"),
            Some(json!({ "pinned": true })),
        ),
        (
            Method::PUT,
            format!("{base}/settings"),
            Some(json!({ "share_history": true, "disappearing_days": null })),
        ),
        (
            Method::PUT,
            format!("{base}/mute"),
            Some(json!({ "muted": true })),
        ),
        (
            Method::PUT,
            format!("{base}/read"),
            Some(json!({ "seq": 1 })),
        ),
        (
            Method::PUT,
            "/api/v1/me/key-archive".into(),
            Some(json!({ "circle_id": id, "epoch": 1, "sealed": b64(60) })),
        ),
        (
            Method::PUT,
            format!("/api/v1/meetings/{}/note/sealed", c.meeting),
            Some(json!({ "note_sealed": b64(60), "epoch": 1 })),
        ),
    ]
}

/// The conversation is end-to-end encrypted and its keys are the circle's own: no global
/// role — not even an Admin who has stepped in — reads its ciphertext, envelopes, roster or
/// devices, or adds a device, key, roster or message to it.
async fn no_global_role_takes_part_in_the_conversation(app: TestApp) {
    let c = private_circle(&app).await;
    let fac_device = app.conversation_keys(&c.fac).await;
    app.conversation_keys(&c.member).await;
    assert_eq!(
        app.sign_roster(&c.fac, &c.id, fac_device).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        app.start_epoch(&c.fac, &c.id, fac_device).await.status(),
        StatusCode::CREATED
    );
    let res = app
        .post_message(&c.fac, &c.id, message_body(1, fac_device, 1))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let refuse_all = |who: &User, role: &'static str, device: String| {
        let app = &app;
        let c = &c;
        let who = who.clone();
        async move {
            for (method, path, body) in conversation_api(c, &device) {
                let res = app.conv(&who, method.clone(), &path, body).await;
                assert_eq!(
                    refused(res, StatusCode::FORBIDDEN).await,
                    "forbidden",
                    "{role} {method} {path}"
                );
            }
            let mine = app
                .get_json(&who.access_token, "/api/v1/me/conversations")
                .await;
            assert_eq!(mine, json!([]), "{role}");
        }
    };
    for (role, who) in &c.outsiders {
        let device = app.conversation_keys(who).await;
        refuse_all(who, role, device.to_string()).await;
    }
    // A safeguarding step-in opens the circle's records, never its conversation.
    app.step_in(
        &c.admin,
        &c.id,
        "A member reported that the facilitator has stopped answering.",
    )
    .await;
    let admin_device = app.new_device(&c.admin, "Office").await;
    refuse_all(&c.admin, "stepped-in admin", admin_device.to_string()).await;
    // The member's view is untouched by it all.
    let page = app
        .get_json(
            &c.member.access_token,
            &format!("/api/v1/circles/{}/conversation/messages?after=0", c.id),
        )
        .await;
    assert_eq!(page["last_seq"], 1);
    let state = app
        .get_json(
            &c.fac.access_token,
            &format!("/api/v1/circles/{}/conversation", c.id),
        )
        .await;
    assert_eq!(state["roster"]["version"], 1);
    assert_eq!(state["epoch"]["number"], 1);
}

/// The leaders' device keys, which anyone who may ask to join reads to seal his message:
/// a global role outside the circle gets exactly what an ordinary joiner gets (public keys
/// and certificates), and no sealed message, its ciphertext or anything of the circle.
async fn the_leaders_keys_are_all_a_joiner_gets(app: TestApp) {
    let c = private_circle(&app).await;
    let fac_device = app.conversation_keys(&c.fac).await;
    let sealed_ciphertext = b64(12 + 80 + 16);
    let sealer = app.named("Sam Sealer").await;
    let res = app
        .post_as(
            &sealer.access_token,
            &format!("/api/v1/circles/{}/join-requests", c.id),
            json!({ "message_sealed": {
                "ephemeral_public": spki(),
                "ciphertext": sealed_ciphertext,
                "envelopes": [{ "device_id": fac_device, "wrapped": b64(40) }],
            } }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let path = format!("/api/v1/circles/{}/leader-devices", c.id);
    let joiner = app.named("Jakob Joiner").await;
    let what_a_joiner_gets = app.get_json(&joiner.access_token, &path).await;
    assert_eq!(what_a_joiner_gets[0]["device_id"], fac_device.to_string());
    for (role, who) in &c.outsiders {
        let seen = app.get_json(&who.access_token, &path).await;
        assert_eq!(seen, what_a_joiner_gets, "{role}");
        let text = seen.to_string();
        assert_tells_nothing(role, "the leaders' keys", &text);
        assert!(
            !text.contains(&sealed_ciphertext),
            "{role} read a sealed message"
        );
        // The queue, where sealed messages are, stays closed to them.
        let res = app
            .get_as(
                &who.access_token,
                &format!("/api/v1/circles/{}/join-requests", c.id),
            )
            .await;
        assert_eq!(
            refused(res, StatusCode::FORBIDDEN).await,
            "forbidden",
            "{role}"
        );
    }
}

crate::on_both_backends!(
    the_leaders_keys_are_all_a_joiner_gets,
    no_global_role_takes_part_in_the_conversation,
    no_global_role_reads_a_circle,
    the_audit_log_and_reports_name_no_one,
    the_circle_reads_its_own_secrets,
    a_step_in_is_announced_and_expires,
    stepping_out_ends_it_early,
);
