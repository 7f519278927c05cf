//! Scholarships, the scholarship fund and donations, on SQLite and PostgreSQL: asking on a
//! held seat, granting part or all of the price or declining, paying what was granted, the
//! fund as a plain sum of ledger rows, paying it forward, who may review (nobody else reads
//! a request or its reason), reasons encrypted at rest and absent from the audit log, and
//! clear refusals of bad input.

use crate::helpers::pages::Person;
use crate::helpers::stripe::held_seat;
use crate::helpers::{ok_json, refused, validation_errors, workshop};
use crate::helpers::{Backend, TestApp, User};
use db::main_db::{audit_log, jobs, ledger_entries as ledger, scholarship_requests};
use db::sea_orm::{ConnectionTrait, EntityTrait, Statement};
use domain::payment::LedgerKind;
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

const REASON: &str = "I lost my job in March and cannot pay the full price";

fn retreat(title: &str, price_minor: i64) -> Value {
    let mut body = workshop(title, 10);
    body["price_minor"] = json!(price_minor);
    body["currency"] = json!("EUR");
    body
}

/// A published retreat at `price_minor` EUR, organised by a PTM; (ptm, event id).
async fn paid_event(app: &TestApp, admin: &User, price_minor: i64) -> (User, String) {
    let ptm = app.user_with_roles(admin, &["program_team_member"]).await;
    let id = app
        .publish_event(&ptm, retreat("Retreat", price_minor))
        .await;
    (ptm, id)
}

fn scholarship_path(event: &str, registration: &str) -> String {
    format!("/api/v1/events/{event}/registrations/{registration}/scholarship")
}

async fn ask(app: &TestApp, who: &User, event: &str, registration: &str) -> Response {
    app.post_as(
        &who.access_token,
        &scholarship_path(event, registration),
        json!({ "reason": REASON }),
    )
    .await
}

/// Asks as `who` and returns the request's id.
async fn asked(app: &TestApp, who: &User, event: &str, registration: &str) -> String {
    let res = ask(app, who, event, registration).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let view = ok_json(res).await;
    assert_eq!(view["status"], "open");
    view["id"].as_str().unwrap().to_owned()
}

async fn grant(app: &TestApp, by: &User, request: &str, body: Value) -> Response {
    app.post_as(
        &by.access_token,
        &format!("/api/v1/scholarships/{request}/grant"),
        body,
    )
    .await
}

fn eur(amount_minor: i64) -> Value {
    json!({ "amount_minor": amount_minor, "currency": "EUR", "note": "Welcome, brother" })
}

async fn pay(app: &TestApp, by: &User, event: &str, registration: &str, body: Value) -> Response {
    app.post_as(
        &by.access_token,
        &format!("/api/v1/events/{event}/registrations/{registration}/payments"),
        body,
    )
    .await
}

fn cash(amount_minor: i64) -> Value {
    json!({ "method": "cash", "amount_minor": amount_minor, "currency": "EUR" })
}

async fn my_status(app: &TestApp, who: &User, event: &str) -> Value {
    ok_json(
        app.get_as(&who.access_token, &format!("/api/v1/events/{event}"))
            .await,
    )
    .await
}

async fn registration(app: &TestApp, id: &str) -> db::main_db::event_registrations::Model {
    db::main_db::event_registrations::Entity::find_by_id(id.parse::<uuid::Uuid>().unwrap())
        .one(&app.ctx.main)
        .await
        .unwrap()
        .unwrap()
}

async fn ledger_rows(app: &TestApp, kind: LedgerKind) -> Vec<ledger::Model> {
    ledger::Entity::find()
        .all(&app.ctx.main)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.kind == kind)
        .collect()
}

async fn a_partial_grant_is_what_he_pays(app: TestApp) {
    let admin = app.admin().await;
    let (ptm, id) = paid_event(&app, &admin, 12000).await;
    let joe = app
        .signed_up_as("Joe Asker", "joe@example.org", crate::helpers::PASSWORD)
        .await;
    let rid = held_seat(&app, &joe, &id).await;
    let request = asked(&app, &joe, &id, &rid).await;

    // While it is open his seat stays held until the event starts.
    let starts_at = db::main_db::events::Entity::find_by_id(id.parse::<uuid::Uuid>().unwrap())
        .one(&app.ctx.main)
        .await
        .unwrap()
        .unwrap()
        .starts_at;
    assert_eq!(
        registration(&app, &rid).await.hold_expires_at,
        Some(starts_at)
    );

    // He sees his own request and its state; the reviewer sees who and why.
    let mine = ok_json(
        app.get_as(&joe.access_token, &scholarship_path(&id, &rid))
            .await,
    )
    .await;
    assert_eq!(mine["status"], "open");
    assert_eq!(mine["reason"], REASON);
    let queue = ok_json(app.get_as(&ptm.access_token, "/api/v1/scholarships").await).await;
    assert_eq!(queue.as_array().unwrap().len(), 1, "{queue}");
    assert_eq!(queue[0]["request"]["reason"], REASON);
    assert_eq!(queue[0]["requester_name"], "Joe Asker");
    assert_eq!(queue[0]["price_minimum_minor"], 12000);

    // The fund is empty: the grant stands, with a warning.
    let outcome = ok_json(grant(&app, &ptm, &request, eur(4000)).await).await;
    assert_eq!(outcome["scholarship"]["request"]["status"], "granted");
    assert_eq!(outcome["scholarship"]["covered_minor"], 8000);
    assert!(
        outcome["warning"].as_str().unwrap().contains("EUR -80.00"),
        "{outcome}"
    );
    assert_eq!(outcome["fund"][0]["promised_minor"], 8000);
    let queue = ok_json(app.get_as(&ptm.access_token, "/api/v1/scholarships").await).await;
    assert_eq!(
        queue.as_array().unwrap().len(),
        0,
        "decided requests leave the queue"
    );

    // He owes the granted amount: no less, and not the full price.
    let res = pay(&app, &ptm, &id, &rid, cash(3999)).await;
    assert_eq!(
        validation_errors(res).await[0]["message"],
        "The price is at least EUR 40.00."
    );
    let res = pay(&app, &ptm, &id, &rid, cash(12000)).await;
    assert_eq!(validation_errors(res).await[0]["field"], "amount_minor");
    let paid = ok_json(pay(&app, &ptm, &id, &rid, cash(4000)).await).await;
    assert_eq!(paid["amount_label"], "EUR 40.00");
    assert_eq!(my_status(&app, &joe, &id).await["my_status"], "confirmed");

    // The fund covered the rest: one scholarship row, naming no one.
    let drawn = ledger_rows(&app, LedgerKind::Scholarship).await;
    assert_eq!(drawn.len(), 1);
    assert_eq!(drawn[0].amount_minor, -8000);
    assert_eq!(drawn[0].user_id, None);
    assert_eq!(
        ledger_rows(&app, LedgerKind::Payment).await[0].amount_minor,
        4000
    );
    app.run_pending_jobs().await;
    let mails = app.emails_to("joe@example.org");
    let granted = mails
        .iter()
        .find(|m| m.subject == "Scholarship granted: Retreat")
        .expect("granted email");
    assert!(
        granted.body.contains("you pay EUR 40.00"),
        "{}",
        granted.body
    );
    assert!(granted.body.contains("Welcome, brother"));
    assert!(!granted.body.contains(REASON));
}

async fn a_zero_grant_confirms_the_seat_at_once(app: TestApp) {
    let admin = app.admin().await;
    let (ptm, id) = paid_event(&app, &admin, 12000).await;
    let joe = app.signed_up("joe@example.org").await;
    let rid = held_seat(&app, &joe, &id).await;
    let request = asked(&app, &joe, &id, &rid).await;
    let seen = my_status(&app, &joe, &id).await;
    assert_eq!(seen["online_url"], Value::Null, "no link before the grant");

    // The usual hold runs out meanwhile: an open request keeps the seat.
    app.advance(chrono::Duration::minutes(31));
    app.run_pending_jobs().await;
    let (admin, joe) = (
        app.signed_in_again(&admin).await,
        app.signed_in_again(&joe).await,
    );
    let ptm = app.signed_in_again(&ptm).await;
    assert_eq!(
        my_status(&app, &joe, &id).await["my_status"],
        "payment_required"
    );

    // An Admin reviews too.
    let outcome = ok_json(grant(&app, &admin, &request, eur(0)).await).await;
    assert_eq!(outcome["scholarship"]["request"]["amount_due_minor"], 0);
    let seen = my_status(&app, &joe, &id).await;
    assert_eq!(seen["my_status"], "confirmed");
    assert_eq!(seen["online_url"], "https://meet.example.org/w");
    let res = pay(&app, &ptm, &id, &rid, cash(12000)).await;
    assert_eq!(
        refused(res, StatusCode::CONFLICT).await,
        "not_awaiting_payment"
    );
    let drawn = ledger_rows(&app, LedgerKind::Scholarship).await;
    assert_eq!(drawn.len(), 1);
    assert_eq!(drawn[0].amount_minor, -12000);
    app.run_pending_jobs().await;
    let subjects = app.subjects_to("joe@example.org");
    assert!(
        subjects.contains(&"Scholarship granted: Retreat".to_owned()),
        "{subjects:?}"
    );
    let mine = ok_json(
        app.get_as(&joe.access_token, &scholarship_path(&id, &rid))
            .await,
    )
    .await;
    assert_eq!(mine["status"], "granted");
    assert_eq!(mine["amount_due_label"], "EUR 0.00");
}

async fn a_declined_request_leaves_the_full_price(app: TestApp) {
    let admin = app.admin().await;
    let (ptm, id) = paid_event(&app, &admin, 12000).await;
    let joe = app.signed_up("joe@example.org").await;
    let rid = held_seat(&app, &joe, &id).await;
    let request = asked(&app, &joe, &id, &rid).await;
    let res = app
        .post_as(
            &ptm.access_token,
            &format!("/api/v1/scholarships/{request}/decline"),
            json!({ "note": "The fund is empty this season" }),
        )
        .await;
    let declined = ok_json(res).await;
    assert_eq!(declined["request"]["status"], "declined");
    // A decision is final.
    let res = grant(&app, &ptm, &request, eur(0)).await;
    assert_eq!(
        refused(res, StatusCode::CONFLICT).await,
        "scholarship_already_decided"
    );
    // He holds his seat afresh, at the full price.
    let reg = registration(&app, &rid).await;
    assert!(reg.hold_expires_at.unwrap() <= app.now() + chrono::Duration::minutes(30));
    let res = pay(&app, &ptm, &id, &rid, cash(4000)).await;
    assert_eq!(validation_errors(res).await[0]["field"], "amount_minor");
    ok_json(pay(&app, &ptm, &id, &rid, cash(12000)).await).await;
    assert!(ledger_rows(&app, LedgerKind::Scholarship).await.is_empty());
    app.run_pending_jobs().await;
    let mails = app.emails_to("joe@example.org");
    let answer = mails
        .iter()
        .find(|m| m.subject == "About your scholarship request: Retreat")
        .expect("declined email");
    assert!(answer.body.contains("The fund is empty this season"));
    let mine = ok_json(
        app.get_as(&joe.access_token, &scholarship_path(&id, &rid))
            .await,
    )
    .await;
    assert_eq!(mine["status"], "declined");
    assert_eq!(mine["decision_note"], "The fund is empty this season");
}

async fn the_fund_is_donations_less_scholarships(app: TestApp) {
    let admin = app.admin().await;
    let (ptm, id) = paid_event(&app, &admin, 12000).await;
    let sam = app.signed_up("sam@example.org").await;
    let joe = app.signed_up("joe@example.org").await;
    let ann = app.signed_up("ann@example.org").await;

    // A donation on its own, recorded by an Admin, thanked by email.
    let body = json!({ "amount_minor": 30000, "currency": "EUR", "method": "bank_transfer",
        "donor_id": sam.id, "note": "Ref GIFT-1" });
    let res = app
        .post_as(&admin.access_token, "/api/v1/donations", body.clone())
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = app
        .post_as(&ptm.access_token, "/api/v1/donations", body)
        .await;
    assert_eq!(
        res.status(),
        StatusCode::FORBIDDEN,
        "PTMs do not record money"
    );

    // Paying it forward: the price is the payment, the rest a donation, one receipt.
    let rid = held_seat(&app, &ann, &id).await;
    let res = pay(&app, &ptm, &id, &rid, cash(15000)).await;
    assert_eq!(
        validation_errors(res).await[0]["message"],
        "The price is at most EUR 120.00.",
        "above the price only when he pays it forward"
    );
    let mut forward = cash(15000);
    forward["pay_it_forward"] = json!(true);
    let paid = ok_json(pay(&app, &ptm, &id, &rid, forward).await).await;
    assert_eq!(paid["amount_minor"], 12000);
    let receipt = ok_json(
        app.get_as(
            &ann.access_token,
            &format!("/api/v1/me/payments/{}", paid["id"].as_str().unwrap()),
        )
        .await,
    )
    .await;
    assert_eq!(
        receipt["donation"]["amount_label"], "EUR 30.00",
        "{receipt}"
    );

    // A zero grant draws the whole price.
    let rid = held_seat(&app, &joe, &id).await;
    let request = asked(&app, &joe, &id, &rid).await;
    let outcome = ok_json(grant(&app, &ptm, &request, eur(0)).await).await;
    assert_eq!(outcome["warning"], Value::Null, "the fund held enough");

    let fund = ok_json(
        app.get_as(&ptm.access_token, "/api/v1/scholarships/fund")
            .await,
    )
    .await;
    assert_eq!(fund[0]["currency"], "EUR");
    assert_eq!(fund[0]["donations_minor"], 33000);
    assert_eq!(fund[0]["scholarships_minor"], 12000);
    assert_eq!(fund[0]["balance_minor"], 21000);
    assert_eq!(fund[0]["balance_label"], "EUR 210.00");
    // Exactly the plain sum of the fund's ledger rows.
    let rows = ledger::Entity::find().all(&app.ctx.main).await.unwrap();
    let sum: i64 = rows
        .iter()
        .filter(|r| r.kind.moves_the_fund())
        .map(|r| r.amount_minor)
        .sum();
    assert_eq!(fund[0]["balance_minor"], sum);
    let payments: i64 = rows
        .iter()
        .filter(|r| r.kind == LedgerKind::Payment)
        .map(|r| r.amount_minor)
        .sum();
    assert_eq!(payments, 12000, "the payment row is the price only");

    // Donors see their own gifts; others see none of them.
    let mine = ok_json(app.get_as(&sam.access_token, "/api/v1/me/donations").await).await;
    assert_eq!(mine[0]["amount_label"], "EUR 300.00");
    assert_eq!(mine[0]["note"], "Ref GIFT-1");
    let anns = ok_json(app.get_as(&ann.access_token, "/api/v1/me/donations").await).await;
    assert_eq!(anns.as_array().unwrap().len(), 1);
    let joes = ok_json(app.get_as(&joe.access_token, "/api/v1/me/donations").await).await;
    assert_eq!(joes.as_array().unwrap().len(), 0);
    app.run_pending_jobs().await;
    for who in ["sam@example.org", "ann@example.org"] {
        let subjects = app.subjects_to(who);
        assert!(
            subjects.contains(&"Thank you for your donation".to_owned()),
            "{who}: {subjects:?}"
        );
    }
    // Leadership and members do not read the fund here (Leadership's reports show it).
    let leader = app.user_with_roles(&admin, &["leadership"]).await;
    for who in [&leader, &sam] {
        let res = app
            .get_as(&who.access_token, "/api/v1/scholarships/fund")
            .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
    }
}

async fn only_reviewers_read_requests(app: TestApp) {
    let admin = app.admin().await;
    let (ptm, id) = paid_event(&app, &admin, 12000).await;
    let joe = app.signed_up("joe@example.org").await;
    let sam = app.signed_up("sam@example.org").await;
    let fac = app.user_with_roles(&admin, &["facilitator"]).await;
    let leader = app.user_with_roles(&admin, &["leadership"]).await;
    let rid = held_seat(&app, &joe, &id).await;
    let sam_rid = held_seat(&app, &sam, &id).await;
    let request = asked(&app, &joe, &id, &rid).await;

    for who in [&sam, &fac, &leader] {
        for path in [
            "/api/v1/scholarships".to_owned(),
            format!("/api/v1/scholarships/{request}"),
        ] {
            let res = app.get_as(&who.access_token, &path).await;
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{} {path}", who.email);
        }
        let res = grant(&app, who, &request, eur(0)).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{}", who.email);
        // Someone else's registration does not exist for him.
        let res = app
            .get_as(&who.access_token, &scholarship_path(&id, &rid))
            .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{}", who.email);
    }
    let res = ask(&app, &sam, &id, &rid).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "not his registration");
    let res = app
        .get_as(&sam.access_token, &scholarship_path(&id, &sam_rid))
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "he asked for nothing");

    // The pages: other attendees, the organiser's roster and Leadership see no reason.
    let sam_page = Person::of(&app, &sam)
        .await
        .page(&format!("/events/{id}"))
        .await;
    assert!(!sam_page.contains(REASON));
    let roster = app
        .get_as(
            &ptm.access_token,
            &format!("/api/v1/events/{id}/registrations"),
        )
        .await;
    assert!(!roster.text().await.unwrap().contains(REASON));

    // The audit log names nobody and carries no words; Leadership reads only that.
    let grant_res = ok_json(grant(&app, &ptm, &request, eur(2000)).await).await;
    assert_eq!(grant_res["scholarship"]["request"]["status"], "granted");
    let audit = ok_json(
        app.get_as(
            &leader.access_token,
            "/api/v1/audit?action=scholarship_requested",
        )
        .await,
    )
    .await;
    let text = audit.to_string();
    assert!(text.contains("scholarship_requested"), "{text}");
    assert!(
        !text.contains(REASON) && !text.contains(&joe.id.to_string()),
        "{text}"
    );
    let rows = app.audit_records("scholarship_granted").await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].actor_id, None);
    let audit_page = Person::of(&app, &leader).await.page("/audit").await;
    assert!(!audit_page.contains(REASON));
}

async fn reasons_are_encrypted_at_rest(app: TestApp) {
    let admin = app.admin().await;
    let (ptm, id) = paid_event(&app, &admin, 12000).await;
    let joe = app.signed_up("joe@example.org").await;
    let rid = held_seat(&app, &joe, &id).await;
    let request = asked(&app, &joe, &id, &rid).await;
    let res = app
        .post_as(
            &ptm.access_token,
            &format!("/api/v1/scholarships/{request}/decline"),
            json!({ "note": "Secret reviewer words" }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    app.run_pending_jobs().await;

    let stored = scholarship_requests::Entity::find()
        .all(&app.ctx.main)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    let row = format!("{:?}", stored[0]);
    assert!(stored[0].reason_at_rest.is_some());
    assert!(
        !row.contains(REASON) && !row.contains("Secret reviewer words"),
        "{row}"
    );
    for audit in audit_log::Entity::find().all(&app.ctx.main).await.unwrap() {
        assert!(!format!("{audit:?}").contains("lost my job"));
    }
    for job in jobs::Entity::find().all(&app.ctx.main).await.unwrap() {
        assert!(!format!("{job:?}").contains("lost my job"));
    }
    // The database itself, as a thief would read it.
    let raw = match app.backend {
        Backend::Sqlite => {
            let db = &app.ctx.main;
            db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
                .await
                .unwrap();
            let file = app.ctx.settings.data.dir.join("main.db");
            String::from_utf8_lossy(&std::fs::read(file).unwrap()).into_owned()
        }
        Backend::Postgres => {
            let mut all = String::new();
            for table in [
                "scholarship_requests",
                "audit_log",
                "jobs",
                "event_registrations",
            ] {
                let sql = format!(
                    "SELECT COALESCE(string_agg(t::text, ' '), '') AS all_rows FROM {table} t"
                );
                let row = app
                    .ctx
                    .main
                    .query_one(Statement::from_string(
                        db::sea_orm::DbBackend::Postgres,
                        sql,
                    ))
                    .await
                    .unwrap()
                    .unwrap();
                all.push_str(&row.try_get::<String>("", "all_rows").unwrap());
            }
            all
        }
    };
    assert!(
        raw.contains(&request) || app.backend == Backend::Sqlite,
        "the rows were read"
    );
    assert!(
        !raw.contains("lost my job"),
        "the reason is stored in clear"
    );
    assert!(!raw.contains("Secret reviewer words"));
}

async fn bad_input_is_refused_clearly(app: TestApp) {
    let admin = app.admin().await;
    let (ptm, id) = paid_event(&app, &admin, 12000).await;
    let joe = app.signed_up("joe@example.org").await;
    let rid = held_seat(&app, &joe, &id).await;
    let request = asked(&app, &joe, &id, &rid).await;
    let res = ask(&app, &joe, &id, &rid).await;
    assert_eq!(
        refused(res, StatusCode::CONFLICT).await,
        "scholarship_already_asked"
    );

    let errors = validation_errors(grant(&app, &ptm, &request, eur(12000)).await).await;
    assert_eq!(errors[0]["field"], "amount_minor");
    assert_eq!(
        errors[0]["message"],
        "A scholarship lowers the price: grant less than EUR 120.00 (0 for a free seat)."
    );
    let errors = validation_errors(grant(&app, &ptm, &request, eur(-1)).await).await;
    assert_eq!(errors[0]["field"], "amount_minor");
    let usd = json!({ "amount_minor": 100, "currency": "USD" });
    let errors = validation_errors(grant(&app, &ptm, &request, usd).await).await;
    assert_eq!(errors[0]["field"], "currency");
    let bad = json!({ "amount_minor": 100, "currency": "euro" });
    let errors = validation_errors(grant(&app, &ptm, &request, bad).await).await;
    assert_eq!(errors[0]["field"], "currency");
    // Nothing was decided by the refusals.
    let mine = ok_json(
        app.get_as(&joe.access_token, &scholarship_path(&id, &rid))
            .await,
    )
    .await;
    assert_eq!(mine["status"], "open");

    // A sliding scale is reduced below its minimum.
    let mut scale = retreat("Scale", 1000);
    scale["price_suggested_minor"] = json!(2500);
    scale["price_maximum_minor"] = json!(4000);
    let scale_id = app.publish_event(&ptm, scale).await;
    let sam = app.signed_up("sam@example.org").await;
    let sam_rid = held_seat(&app, &sam, &scale_id).await;
    let sam_request = asked(&app, &sam, &scale_id, &sam_rid).await;
    let errors = validation_errors(grant(&app, &ptm, &sam_request, eur(1000)).await).await;
    assert_eq!(errors[0]["field"], "amount_minor");
    let outcome = ok_json(grant(&app, &ptm, &sam_request, eur(500)).await).await;
    assert_eq!(outcome["scholarship"]["covered_minor"], 500);
    ok_json(pay(&app, &ptm, &scale_id, &sam_rid, cash(500)).await).await;

    // A free event, or a seat no longer held, has nothing to reduce.
    let free = app.publish_event(&ptm, workshop("Free", 5)).await;
    let r = ok_json(app.register_for(&joe, &free).await).await;
    let free_rid = r["registration"]["id"].as_str().unwrap().to_owned();
    let res = ask(&app, &joe, &free, &free_rid).await;
    assert_eq!(
        refused(res, StatusCode::CONFLICT).await,
        "scholarship_not_awaiting_payment"
    );

    // Donations: more than zero, cash or transfer, a known donor.
    let donate = |body: Value| app.post_as(&admin.access_token, "/api/v1/donations", body);
    let errors = validation_errors(
        donate(json!({ "amount_minor": 0, "currency": "EUR", "method": "cash" })).await,
    )
    .await;
    assert_eq!(errors[0]["field"], "amount_minor");
    let errors = validation_errors(
        donate(json!({ "amount_minor": 100, "currency": "EUR", "method": "card" })).await,
    )
    .await;
    assert_eq!(errors[0]["field"], "method");
    let errors = validation_errors(
        donate(json!({ "amount_minor": 100, "currency": "EUR", "method": "cash", "donor_id": uuid::Uuid::now_v7() }))
            .await,
    )
    .await;
    assert_eq!(errors[0]["field"], "donor_id");
    let mut fund_method = cash(12000);
    fund_method["method"] = json!("scholarship_fund");
    let res = pay(&app, &ptm, &id, &rid, fund_method).await;
    assert_eq!(validation_errors(res).await[0]["field"], "method");
}

async fn the_pages_ask_review_and_answer(app: TestApp) {
    let admin = app.admin().await;
    let (ptm, id) = paid_event(&app, &admin, 12000).await;
    let joe = app
        .signed_up_as("Joe Asker", "joe@example.org", crate::helpers::PASSWORD)
        .await;
    let sam = app.signed_up("sam@example.org").await;
    let leader = app.user_with_roles(&admin, &["leadership"]).await;
    let rid = held_seat(&app, &joe, &id).await;
    held_seat(&app, &sam, &id).await;

    // He asks from the event page and sees that he did.
    let joe_pages = Person::of(&app, &joe).await;
    let event_page = format!("/events/{id}");
    assert!(joe_pages
        .page(&event_page)
        .await
        .contains("Ask for a scholarship"));
    let (_, html) = joe_pages
        .submit_ok(
            &event_page,
            &format!("/events/{id}/scholarship"),
            &[("registration_id", rid.as_str()), ("reason", REASON)],
        )
        .await;
    assert!(html.contains("Your request is sent"), "{html}");
    assert!(html.contains("Your scholarship request") && !html.contains("Ask for a scholarship"));

    // The reviewer's queue shows who and why, and the fund; nobody else opens it.
    let reviewer = Person::of(&app, &ptm).await;
    let queue = reviewer.page("/scholarships").await;
    assert!(
        queue.contains("Joe Asker") && queue.contains(REASON),
        "{queue}"
    );
    assert!(
        queue.contains("href=\"/scholarships\""),
        "the reviewer's menu links the queue"
    );
    for who in [&sam, &leader] {
        let pages = Person::of(&app, who).await;
        let res = pages.get("/scholarships").await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{}", who.email);
        assert!(!res.text().await.unwrap().contains(REASON));
        assert!(!pages.page(&event_page).await.contains(REASON));
    }
    let request = scholarship_requests::Entity::find()
        .all(&app.ctx.main)
        .await
        .unwrap()[0]
        .id;
    let action = format!("/scholarships/{request}/grant");
    let res = reviewer
        .submit(
            "/scholarships",
            &action,
            &[("amount", "150"), ("currency", "EUR"), ("note", "")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("grant less than EUR 120.00"));
    let (_, html) = reviewer
        .submit_ok(
            "/scholarships",
            &action,
            &[("amount", "40"), ("currency", "EUR"), ("note", "Go well")],
        )
        .await;
    assert!(
        html.contains("Granted.") && !html.contains(REASON),
        "{html}"
    );

    // He sees the answer on the event page.
    let html = joe_pages.page(&event_page).await;
    assert!(html.contains("Granted: you pay EUR 40.00"), "{html}");
    assert!(html.contains("once your payment (EUR 40.00, as granted) is recorded"));
    assert!(html.contains("Go well"));
}

crate::on_both_backends!(
    the_pages_ask_review_and_answer,
    a_partial_grant_is_what_he_pays,
    a_zero_grant_confirms_the_seat_at_once,
    a_declined_request_leaves_the_full_price,
    the_fund_is_donations_less_scholarships,
    only_reviewers_read_requests,
    reasons_are_encrypted_at_rest,
    bad_input_is_refused_clearly,
);
