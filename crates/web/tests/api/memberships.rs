//! Paid memberships, on SQLite and PostgreSQL: plans (Admins define them, members read
//! those on offer) and their validation; a membership paid offline, recorded by an Admin,
//! becomes a payment and a ledger row with its plan, an emailed receipt and an audit
//! record, and the member sees it; the hourly sweep lapses a membership after its grace
//! period and tells him once; and what a lapse blocks at registration.

use crate::helpers::pages::Person;
use crate::helpers::{ok_json, refused, validation_errors, workshop, TestApp, User};
use chrono::{DateTime, Duration, Utc};
use db::main_db::{ledger_entries as ledger, memberships, payments};
use db::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use domain::membership::LapsedMembershipBlocks;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use uuid::Uuid;

fn plan(name: &str, amount_minor: i64, interval: &str) -> Value {
    json!({ "name": name, "amount_minor": amount_minor, "currency": "EUR", "interval": interval })
}

async fn create_plan(app: &TestApp, admin: &User, body: Value) -> String {
    let res = app
        .post_as(&admin.access_token, "/api/v1/membership-plans", body)
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    ok_json(res).await["id"].as_str().unwrap().to_owned()
}

async fn record(app: &TestApp, admin: &User, member: Uuid, body: Value) -> reqwest::Response {
    app.post_as(
        &admin.access_token,
        &format!("/api/v1/users/{member}/memberships"),
        body,
    )
    .await
}

fn at(t: DateTime<Utc>) -> String {
    t.to_rfc3339()
}

async fn plans_are_defined_by_admins_and_read_by_members(app: TestApp) {
    let admin = app.admin().await;
    let joe = app.signed_up("joe@example.org").await;
    let mut bad = plan(" ", 0, "monthly");
    bad["currency"] = json!("E1R");
    let res = app
        .post_as(&admin.access_token, "/api/v1/membership-plans", bad)
        .await;
    let errors = validation_errors(res).await;
    let fields: Vec<&str> = errors
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"name") && fields.contains(&"currency"),
        "{errors}"
    );
    let res = app
        .post_as(
            &admin.access_token,
            "/api/v1/membership-plans",
            plan("Zero", 0, "yearly"),
        )
        .await;
    assert_eq!(validation_errors(res).await[0]["field"], "amount_minor");
    let res = app
        .post_as(
            &joe.access_token,
            "/api/v1/membership-plans",
            plan("Mine", 100, "monthly"),
        )
        .await;
    assert_eq!(refused(res, StatusCode::FORBIDDEN).await, "forbidden");

    let monthly = create_plan(&app, &admin, plan("Supporter", 1000, "monthly")).await;
    let yearly = create_plan(&app, &admin, plan("Patron", 9000, "yearly")).await;
    let seen = app
        .get_json(&joe.access_token, "/api/v1/membership-plans")
        .await;
    assert_eq!(seen.as_array().unwrap().len(), 2, "{seen}");
    assert_eq!(seen[0]["price_label"], "EUR 10.00 per month");
    assert_eq!(seen[1]["price_label"], "EUR 90.00 per year");

    // Archived: offered no more, and only Admins see it.
    let mut archived = plan("Patron", 9500, "yearly");
    archived["archived"] = json!(true);
    let res = app
        .call(
            Method::PUT,
            &format!("/api/v1/membership-plans/{yearly}"),
            Some(&admin.access_token),
            Some(archived),
        )
        .await;
    let changed = ok_json(res).await;
    assert_eq!(
        (changed["archived"].clone(), changed["amount_minor"].clone()),
        (json!(true), json!(9500))
    );
    let seen = app
        .get_json(&joe.access_token, "/api/v1/membership-plans")
        .await;
    assert_eq!(seen.as_array().unwrap().len(), 1);
    let res = app
        .get_as(
            &joe.access_token,
            "/api/v1/membership-plans?include_archived=true",
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app
        .get_as(
            &joe.access_token,
            &format!("/api/v1/membership-plans/{yearly}"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let all = app
        .get_json(
            &admin.access_token,
            "/api/v1/membership-plans?include_archived=true",
        )
        .await;
    assert_eq!(all.as_array().unwrap().len(), 2);
    // A membership on an archived plan is refused; a plan in use cannot be deleted.
    let body = json!({ "plan_id": yearly, "method": "bank_transfer" });
    let res = record(&app, &admin, joe.id, body).await;
    assert_eq!(refused(res, StatusCode::CONFLICT).await, "plan_archived");
    let body = json!({ "plan_id": monthly, "method": "bank_transfer" });
    assert_eq!(
        record(&app, &admin, joe.id, body).await.status(),
        StatusCode::CREATED
    );
    let delete = |id: String| {
        let path = format!("/api/v1/membership-plans/{id}");
        let token = admin.access_token.clone();
        let app = &app;
        async move { app.call(Method::DELETE, &path, Some(&token), None).await }
    };
    assert_eq!(
        refused(delete(monthly).await, StatusCode::CONFLICT).await,
        "plan_in_use"
    );
    assert_eq!(
        delete(yearly.clone()).await.status(),
        StatusCode::NO_CONTENT
    );
    let all = app
        .get_json(
            &admin.access_token,
            "/api/v1/membership-plans?include_archived=true",
        )
        .await;
    assert_eq!(all.as_array().unwrap().len(), 1);
    assert_eq!(app.audit_records("membership_plan_created").await.len(), 2);
}

async fn an_offline_membership_is_a_payment_with_its_plan_in_the_ledger(app: TestApp) {
    let admin = app.admin().await;
    let joe = app
        .signed_up_as("Joe Member", "joe@example.org", crate::helpers::PASSWORD)
        .await;
    let sam = app.signed_up("sam@example.org").await;
    let plan_id = create_plan(&app, &admin, plan("Patron", 6000, "yearly")).await;
    let mut card = json!({ "plan_id": plan_id, "method": "card" });
    let res = record(&app, &admin, joe.id, card.clone()).await;
    assert_eq!(validation_errors(res).await[0]["field"], "method");
    card["method"] = json!("bank_transfer");
    let res = record(&app, &sam, joe.id, card.clone()).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = record(&app, &admin, Uuid::now_v7(), card).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // Whole seconds: PostgreSQL keeps microseconds.
    let start = DateTime::from_timestamp(app.now().timestamp(), 0).unwrap();
    let body = json!({ "plan_id": plan_id, "method": "bank_transfer", "note": "Transfer M-12",
        "period_start": at(start) });
    let send = |key: &str| {
        app.client
            .post(app.url(&format!("/api/v1/users/{}/memberships", joe.id)))
            .bearer_auth(&admin.access_token)
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
    };
    let first = send("m-1").await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    let again: Value = send("m-1").await.unwrap().json().await.unwrap();
    assert_eq!(again, first, "a retry gets the first answer");
    assert_eq!(first["amount_label"], "EUR 60.00");
    assert_eq!(first["status"], "active");
    assert_eq!(first["method"], "bank_transfer");
    let end: DateTime<Utc> = first["period_end"].as_str().unwrap().parse().unwrap();
    assert_eq!(end, start + chrono::Months::new(12), "one yearly interval");

    // One payment, one ledger row, both with the plan.
    let paid = payments::Entity::find().all(&app.ctx.main).await.unwrap();
    assert_eq!(paid.len(), 1);
    let plan_uuid: Uuid = plan_id.parse().unwrap();
    assert_eq!(
        (paid[0].plan_id, paid[0].event_id, paid[0].user_id),
        (Some(plan_uuid), None, joe.id)
    );
    let rows = ledger::Entity::find().all(&app.ctx.main).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].plan_id, rows[0].amount_minor, rows[0].payment_id),
        (Some(plan_uuid), 6000, Some(paid[0].id))
    );
    assert_eq!(rows[0].recorded_by, Some(admin.id));
    let audit = app.audit_records("membership_recorded").await;
    assert_eq!(audit.len(), 1);

    // He sees it: standing, history, his payments, a receipt by email.
    let mine = app
        .get_json(&joe.access_token, "/api/v1/me/membership")
        .await;
    assert_eq!(mine["standing"]["status"], "active", "{mine}");
    assert_eq!(mine["history"][0]["plan_name"], "Patron");
    assert_eq!(mine["plans"].as_array().unwrap().len(), 1);
    let payments = app.get_json(&joe.access_token, "/api/v1/me/payments").await;
    assert_eq!(payments[0]["amount_label"], "EUR 60.00");
    app.run_pending_jobs().await;
    let mails = app.emails_to("joe@example.org");
    let receipt = mails
        .iter()
        .find(|m| m.subject == "Membership recorded: Patron")
        .expect("a receipt");
    assert!(receipt.body.contains("EUR 60.00"), "{}", receipt.body);
    assert!(receipt.body.contains(&format!("/payments/{}", paid[0].id)));
    let page = Person::of(&app, &joe).await.page("/membership").await;
    assert!(page.contains("Active") && page.contains("Patron"), "{page}");
    // Sam has none; the Admin sees Joe's.
    let sams = app
        .get_json(&sam.access_token, "/api/v1/me/membership")
        .await;
    assert_eq!(sams["standing"]["status"], "none");
    assert_eq!(sams["history"], json!([]));
    let joes = app
        .get_json(
            &admin.access_token,
            &format!("/api/v1/users/{}/memberships", joe.id),
        )
        .await;
    assert_eq!(joes["history"].as_array().unwrap().len(), 1);
    let res = app
        .get_as(
            &sam.access_token,
            &format!("/api/v1/users/{}/memberships", joe.id),
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // A renewal without a start carries on where the period ends.
    let renewal = ok_json(
        record(
            &app,
            &admin,
            joe.id,
            json!({ "plan_id": plan_id, "method": "cash", "amount_minor": 5000 }),
        )
        .await,
    )
    .await;
    assert_eq!(renewal["period_start"], first["period_end"]);
    assert_eq!(renewal["amount_minor"], 5000);
}

async fn a_membership_lapses_after_its_grace_period_and_he_is_told_once(app: TestApp) {
    let admin = app.admin().await;
    let joe = app.signed_up("joe@example.org").await;
    let ann = app.signed_up("ann@example.org").await;
    let plan_id = create_plan(&app, &admin, plan("Supporter", 1000, "monthly")).await;
    let now = app.now();
    let period = |from: DateTime<Utc>, to: DateTime<Utc>| {
        json!({ "plan_id": plan_id, "method": "bank_transfer",
            "period_start": at(from), "period_end": at(to) })
    };
    let one_day = period(now, now + Duration::days(1));
    assert_eq!(
        record(&app, &admin, joe.id, one_day.clone()).await.status(),
        StatusCode::CREATED
    );
    // Ann renewed: her first period is followed by a second.
    assert_eq!(
        record(&app, &admin, ann.id, one_day).await.status(),
        StatusCode::CREATED
    );
    let next = period(now + Duration::days(1), now + Duration::days(40));
    assert_eq!(
        record(&app, &admin, ann.id, next).await.status(),
        StatusCode::CREATED
    );
    app::jobs::ensure_recurring(&app.ctx).await.unwrap();

    app.advance(Duration::days(2));
    app.run_pending_jobs().await;
    let joe = app.signed_in_again(&joe).await;
    let mine = app
        .get_json(&joe.access_token, "/api/v1/me/membership")
        .await;
    assert_eq!(mine["standing"]["status"], "in_grace", "{mine}");
    assert!(!app
        .subjects_to("joe@example.org")
        .contains(&"Your membership has lapsed".to_owned()));

    app.advance(Duration::days(7));
    app.run_pending_jobs().await;
    app.advance(Duration::hours(2));
    app.run_pending_jobs().await;
    let joe = app.signed_in_again(&joe).await;
    let mine = app
        .get_json(&joe.access_token, "/api/v1/me/membership")
        .await;
    assert_eq!(mine["standing"]["status"], "lapsed", "{mine}");
    assert_eq!(mine["history"][0]["status"], "lapsed");
    let lapsed: Vec<String> = app
        .subjects_to("joe@example.org")
        .into_iter()
        .filter(|s| s == "Your membership has lapsed")
        .collect();
    assert_eq!(lapsed.len(), 1, "told once");
    assert!(app
        .subjects_to("ann@example.org")
        .iter()
        .all(|s| s != "Your membership has lapsed"));
    let anns: Vec<memberships::Model> = memberships::Entity::find()
        .filter(memberships::Column::UserId.eq(ann.id))
        .all(&app.ctx.main)
        .await
        .unwrap();
    let statuses: Vec<&str> = anns.iter().map(|m| m.status.as_str()).collect();
    assert!(
        statuses.contains(&"renewed") && statuses.contains(&"active"),
        "{statuses:?}"
    );
    assert_eq!(app.audit_records("membership_lapsed").await.len(), 1);

    // The Admin's list shows it, with where each member stands now.
    let admin = app.signed_in_again(&admin).await;
    let list = app
        .get_json(&admin.access_token, "/api/v1/memberships?status=lapsed")
        .await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{list}");
    assert_eq!(items[0]["membership"]["user_id"], json!(joe.id));
    assert_eq!(items[0]["standing"]["status"], "lapsed");
    let all = app
        .get_json(&admin.access_token, "/api/v1/memberships")
        .await;
    assert_eq!(all["items"].as_array().unwrap().len(), 3);
    let html = Person::of(&app, &admin)
        .await
        .page("/admin/memberships")
        .await;
    assert!(
        html.contains("Lapsed") && html.contains("renewed"),
        "{html}"
    );
}

fn paid_events_blocked(s: &mut app::config::Settings) {
    s.organisation.lapsed_membership_blocks = LapsedMembershipBlocks::PaidEvents;
}

async fn a_lapsed_membership_blocks_what_the_organisation_says(app: TestApp) {
    let admin = app.admin().await;
    let ptm = app.user_with_roles(&admin, &["program_team_member"]).await;
    let joe = app.signed_up("joe@example.org").await;
    let new = app.signed_up("new@example.org").await;
    let plan_id = create_plan(&app, &admin, plan("Supporter", 1000, "monthly")).await;
    let now = app.now();
    let old = json!({ "plan_id": plan_id, "method": "bank_transfer",
        "period_start": at(now - Duration::days(60)), "period_end": at(now - Duration::days(30)) });
    assert_eq!(
        record(&app, &admin, joe.id, old).await.status(),
        StatusCode::CREATED
    );
    let mut retreat = workshop("Retreat", 10);
    retreat["price_minor"] = json!(5000);
    retreat["currency"] = json!("EUR");
    let paid = app.publish_event(&ptm, retreat).await;
    let free = app.publish_event(&ptm, workshop("Open evening", 10)).await;

    let res = app.register_for(&joe, &paid).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let problem: Value = res.json().await.unwrap();
    assert_eq!(problem["code"], "membership_lapsed");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("renew it to register for paid events"),
        "{problem}"
    );
    // A free event is open to him; someone who never had a membership is not blocked.
    assert_eq!(
        app.register_for(&joe, &free).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        app.register_for(&new, &paid).await.status(),
        StatusCode::CREATED
    );
    // Renewed, he registers.
    let renew = json!({ "plan_id": plan_id, "method": "cash" });
    assert_eq!(
        record(&app, &admin, joe.id, renew).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        app.register_for(&joe, &paid).await.status(),
        StatusCode::CREATED
    );
}

async fn by_default_a_lapse_blocks_nothing(app: TestApp) {
    let admin = app.admin().await;
    let ptm = app.user_with_roles(&admin, &["program_team_member"]).await;
    let joe = app.signed_up("joe@example.org").await;
    let plan_id = create_plan(&app, &admin, plan("Supporter", 1000, "monthly")).await;
    let now = app.now();
    let old = json!({ "plan_id": plan_id, "method": "bank_transfer",
        "period_start": at(now - Duration::days(60)), "period_end": at(now - Duration::days(30)) });
    assert_eq!(
        record(&app, &admin, joe.id, old).await.status(),
        StatusCode::CREATED
    );
    let mut retreat = workshop("Retreat", 10);
    retreat["price_minor"] = json!(5000);
    retreat["currency"] = json!("EUR");
    let paid = app.publish_event(&ptm, retreat).await;
    assert_eq!(
        app.register_for(&joe, &paid).await.status(),
        StatusCode::CREATED
    );
}

crate::on_both_backends!(
    plans_are_defined_by_admins_and_read_by_members,
    an_offline_membership_is_a_payment_with_its_plan_in_the_ledger,
    a_membership_lapses_after_its_grace_period_and_he_is_told_once,
    by_default_a_lapse_blocks_nothing,
);

crate::on_both_backends_with!(paid_events_blocked =>
    a_lapsed_membership_blocks_what_the_organisation_says,
);
