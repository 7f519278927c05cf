//! Destructive actions ask first, without JavaScript too: the page's button leads to a
//! page saying what will happen, and only the form on that page (with `confirm=yes`) does
//! it. Cancelling a meeting or an event, removing a member, revoking a certification,
//! resetting someone's two-step verification.

use crate::helpers::pages::{form_fields, Person};
use crate::helpers::{circle_body, ok_json, workshop, TestApp, User};
use chrono::{Duration, Utc};
use serde_json::{json, Value};

/// Presses the button of `action` on page `from` (without confirming): the confirmation
/// page, which must say each of `says`. Its HTML.
async fn asked(
    who: &Person,
    from: &str,
    action: &str,
    fields: &[(&str, &str)],
    says: &[&str],
) -> String {
    let html = who.submit_refused(from, action, fields).await;
    assert!(html.contains("name=\"confirm\" value=\"yes\""), "{html}");
    for words in says {
        assert!(
            html.contains(words),
            "the confirmation lacks {words:?}:\n{html}"
        );
    }
    html
}

/// Sends the confirmation page's form as it is; where it led.
async fn confirm(who: &Person, html: &str, action: &str) -> String {
    let form = form_fields(html, &format!("main form[action='{action}']"));
    assert!(form.iter().any(|(k, v)| k == "confirm" && v == "yes"));
    who.send_form_ok(action, &form).await
}

async fn json_of(app: &TestApp, who: &User, path: &str) -> Value {
    app.get_json(&who.access_token, path).await
}

async fn circle_actions_ask_first(app: TestApp) {
    let admin = app.admin().await;
    let fac_user = app.facilitator(&admin, "Sam Reed").await;
    let jordan = app.named("Jordan Lee").await;
    let fac = Person::of(&app, &fac_user).await;
    let id = app
        .create_circle(&fac_user, circle_body("Tuesday Men", 8))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.join(&fac_user, &jordan, &id).await;
    let at = Utc::now() + Duration::days(5);
    let meeting = ok_json(
        app.add_meeting(&fac_user, &id, json!({ "starts_at": at.to_rfc3339() }))
            .await,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Cancelling a meeting: every member is emailed, and it cannot be brought back.
    let page = format!("/circles/{id}/meetings");
    let action = format!("/meetings/{meeting}/cancel");
    let html = asked(
        &fac,
        &page,
        &action,
        &[],
        &[
            "Every member of Tuesday Men is emailed",
            "cannot be brought back",
        ],
    )
    .await;
    let status = |v: Value| {
        v.as_array().unwrap()[0]["status"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(
        status(ok_json(app.meetings_of(&fac_user, &id).await).await),
        "scheduled"
    );
    let to = confirm(&fac, &html, &action).await;
    assert!(to.contains("done=cancelled"), "{to}");
    assert_eq!(
        status(ok_json(app.meetings_of(&fac_user, &id).await).await),
        "cancelled"
    );

    // Removing a member: who, that they lose access, and the reason they are told.
    let circle = format!("/circles/{id}");
    let action = format!("{circle}/members/{}/remove", jordan.id);
    let html = asked(
        &fac,
        &circle,
        &action,
        &[("reason", "Moved to another city.")],
        &[
            "Remove Jordan Lee from Tuesday Men?",
            "Moved to another city.",
            "emailed",
        ],
    )
    .await;
    let members = |v: Value| v["members"].as_array().map_or(0, Vec::len);
    let path = format!("/api/v1/circles/{id}");
    assert_eq!(members(json_of(&app, &fac_user, &path).await), 2);
    confirm(&fac, &html, &action).await;
    assert_eq!(members(json_of(&app, &fac_user, &path).await), 1);
}
crate::on_both_backends!(circle_actions_ask_first);

async fn event_cancellation_asks_first(app: TestApp) {
    let admin = app.admin().await;
    let ptm_user = app.user_with_roles(&admin, &["program_team_member"]).await;
    let ptm = Person::of(&app, &ptm_user).await;
    let id = app
        .publish_event(&ptm_user, workshop("Sweat Lodge", 5))
        .await;
    let finn = app.named("Finn Moss").await;
    assert!(app.register_for(&finn, &id).await.status().is_success());

    let show = format!("/events/{id}");
    let action = format!("/events/{id}/status");
    let html = asked(
        &ptm,
        &show,
        &action,
        &[("to", "cancelled")],
        &[
            "Cancel Sweat Lodge?",
            "Everyone registered (1)",
            "cannot be undone",
        ],
    )
    .await;
    let path = format!("/api/v1/events/{id}");
    assert_eq!(json_of(&app, &ptm_user, &path).await["status"], "published");
    confirm(&ptm, &html, &action).await;
    assert_eq!(json_of(&app, &ptm_user, &path).await["status"], "cancelled");
}
crate::on_both_backends!(event_cancellation_asks_first);

async fn account_actions_ask_first(app: TestApp) {
    let admin_user = app.admin().await;
    let admin = Person::of(&app, &admin_user).await;
    let fac = app.facilitator(&admin_user, "Sam Reed").await;

    // Revoking a certification: it ends, and the Facilitator role may go with it.
    let certs = format!("/certifications?email={}", fac.email.replace('@', "%40"));
    let html = admin.page(&certs).await;
    let start = html
        .find("action=\"/certifications/")
        .expect("a revoke form")
        + "action=\"".len();
    let action = html[start..start + html[start..].find('"').unwrap()].to_owned();
    assert!(action.ends_with("/revoke"), "{action}");
    let html = asked(
        &admin,
        &certs,
        &action,
        &[("email", fac.email.as_str())],
        &["Revoke the certification of", "Facilitator role is removed"],
    )
    .await;
    let roles = |v: Value| v["roles"].to_string();
    let path = format!("/api/v1/support/accounts/{}", fac.id);
    assert!(roles(json_of(&app, &admin_user, &path).await).contains("facilitator"));
    confirm(&admin, &html, &action).await;
    assert!(!roles(json_of(&app, &admin_user, &path).await).contains("facilitator"));

    // Resetting two-step verification: what stops working, and that they are told.
    let member = app.named("Jordan Lee").await;
    app.enable_mfa(&member).await;
    let account = format!("/support/accounts/{}", member.id);
    let action = format!("{account}/reset-mfa");
    let html = asked(
        &admin,
        &account,
        &action,
        &[],
        &[
            "Reset two-step verification for Jordan Lee?",
            "recovery codes stop working",
        ],
    )
    .await;
    let path = format!("/api/v1/support/accounts/{}", member.id);
    assert_eq!(json_of(&app, &admin_user, &path).await["mfa_enabled"], true);
    confirm(&admin, &html, &action).await;
    assert_eq!(
        json_of(&app, &admin_user, &path).await["mfa_enabled"],
        false
    );
}
crate::on_both_backends!(account_actions_ask_first);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_an_event_in_a_browser_asks_first() {
    let app = crate::helpers::sqlite_app().await;
    let admin = app.admin().await;
    let ptm = app.user_with_roles(&admin, &["program_team_member"]).await;
    let id = app.publish_event(&ptm, workshop("Sweat Lodge", 5)).await;
    let Some(b) = testkit::browser::Browser::open(&app.address, testkit::browser::PHONE).await
    else {
        return;
    };
    b.sign_in(&ptm.email, crate::helpers::PASSWORD).await;
    b.goto(&format!("/events/{id}")).await;
    b.click(&format!(
        "main details:has(form[action='/events/{id}/status']) summary"
    ))
    .await;
    b.click(&format!(
        "main form[action='/events/{id}/status'] button.danger"
    ))
    .await;
    b.wait_for_text("main h1", "Cancel Sweat Lodge?").await;
    b.wait_for_text("main .consequences", "emailed").await;
    let path = format!("/api/v1/events/{id}");
    assert_eq!(json_of(&app, &ptm, &path).await["status"], "published");
    // "Keep the event" goes back with nothing changed.
    b.click("main .confirm a.button.secondary").await;
    b.wait_for_text("main h1", "Sweat Lodge").await;
    assert_eq!(json_of(&app, &ptm, &path).await["status"], "published");
    b.click(&format!(
        "main details:has(form[action='/events/{id}/status']) summary"
    ))
    .await;
    b.click(&format!(
        "main form[action='/events/{id}/status'] button.danger"
    ))
    .await;
    b.click("main .confirm button.danger").await;
    b.wait_for_text("main [role=status]", "").await;
    assert_eq!(json_of(&app, &ptm, &path).await["status"], "cancelled");
    b.close().await;
}
