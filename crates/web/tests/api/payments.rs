//! Paid events with offline payments, on SQLite and PostgreSQL: prices (fixed and sliding
//! scale) and their validation, seats held for payment that expire to the waitlist,
//! recording a payment (who may, once per registration, one ledger row), the online link
//! only once paid, and each member's own payments and receipts.

use crate::helpers::pages::Person;
use crate::helpers::stripe::retreat;
use crate::helpers::{ok_json, refused, validation_errors, workshop};
use crate::helpers::{TestApp, User};
use chrono::Duration;
use db::main_db::{event_registrations as regs, ledger_entries as ledger, payments};
use db::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};
use uuid::Uuid;

async fn pay(app: &TestApp, by: &User, event: &str, registration: &str, body: Value) -> Response {
    app.post_as(
        &by.access_token,
        &format!("/api/v1/events/{event}/registrations/{registration}/payments"),
        body,
    )
    .await
}

fn cash(amount_minor: i64) -> Value {
    json!({ "method": "cash", "amount_minor": amount_minor, "currency": "EUR", "note": "Paid at the door" })
}

async fn registration_id(app: &TestApp, who: &User, event: &str) -> String {
    let r = ok_json(app.register_for(who, event).await).await;
    assert_eq!(r["registration"]["status"], "payment_required", "{r}");
    r["registration"]["id"].as_str().unwrap().to_owned()
}

async fn prices_are_fixed_or_a_checked_sliding_scale(app: TestApp) {
    let admin = app.admin().await;
    let ptm = app.user_with_roles(&admin, &["program_team_member"]).await;
    let mut bad = retreat("Scale", 10, 2000);
    bad["price_suggested_minor"] = json!(1000);
    bad["price_maximum_minor"] = json!(4000);
    let errors =
        validation_errors(app.post_as(&ptm.access_token, "/api/v1/events", bad).await).await;
    assert_eq!(errors[0]["field"], "price_suggested_minor", "{errors}");
    let mut bad = retreat("Scale", 10, 1000);
    bad["price_suggested_minor"] = json!(3000);
    bad["price_maximum_minor"] = json!(2000);
    let errors =
        validation_errors(app.post_as(&ptm.access_token, "/api/v1/events", bad).await).await;
    assert_eq!(errors[0]["field"], "price_maximum_minor", "{errors}");
    let mut bad = retreat("Scale", 10, -5);
    bad["price_maximum_minor"] = json!(2000);
    let errors =
        validation_errors(app.post_as(&ptm.access_token, "/api/v1/events", bad).await).await;
    assert!(
        errors
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["field"] == "amount"),
        "{errors}"
    );
    let mut bad = retreat("Scale", 10, 1000);
    bad["currency"] = json!("euro");
    let errors =
        validation_errors(app.post_as(&ptm.access_token, "/api/v1/events", bad).await).await;
    assert_eq!(errors[0]["field"], "currency", "{errors}");

    let mut scale = retreat("Scale", 10, 1000);
    scale["price_suggested_minor"] = json!(2500);
    scale["price_maximum_minor"] = json!(4000);
    let made = app.create_event(&ptm, scale).await;
    assert_eq!(
        made["price_label"],
        "EUR 10.00–40.00 (sliding scale, suggested 25.00)"
    );
    assert_eq!(made["price_maximum_minor"], 4000);
    assert_eq!(made["is_paid"], true);
    let free = app.create_event(&ptm, workshop("Free", 10)).await;
    assert_eq!(free["price_label"], "Free");
    assert_eq!(free["is_paid"], false);

    // On a sliding scale any amount from the minimum to the maximum pays for a seat.
    let id = made["id"].as_str().unwrap().to_owned();
    assert_eq!(
        app.set_event_status(&ptm, &id, "published").await.status(),
        StatusCode::OK
    );
    let joe = app.signed_up("joe@example.org").await;
    let rid = registration_id(&app, &joe, &id).await;
    let res = pay(&app, &ptm, &id, &rid, cash(999)).await;
    let errors = validation_errors(res).await;
    assert_eq!(errors[0]["field"], "amount_minor");
    assert_eq!(errors[0]["message"], "The price is at least EUR 10.00.");
    let res = pay(&app, &ptm, &id, &rid, cash(4001)).await;
    assert_eq!(
        validation_errors(res).await[0]["message"],
        "The price is at most EUR 40.00."
    );
    let paid = ok_json(pay(&app, &ptm, &id, &rid, cash(1500)).await).await;
    assert_eq!(paid["amount_label"], "EUR 15.00");
}

async fn an_unpaid_hold_expires_and_its_seat_goes_to_the_waitlist(app: TestApp) {
    let admin = app.admin().await;
    let ptm = app.user_with_roles(&admin, &["program_team_member"]).await;
    let a = app.signed_up("a@example.org").await;
    let b = app.signed_up("b@example.org").await;
    let id = app.publish_event(&ptm, retreat("Retreat", 1, 5000)).await;
    let before = app.now();
    let r = ok_json(app.register_for(&a, &id).await).await;
    let until: chrono::DateTime<chrono::Utc> = r["registration"]["hold_expires_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(until >= before + Duration::minutes(30) && until <= app.now() + Duration::minutes(30));
    let w = ok_json(app.register_for(&b, &id).await).await;
    assert_eq!(w["registration"]["status"], "waitlisted");

    // Before the hold ends the job changes nothing.
    app.run_pending_jobs().await;
    let seat = |who: &User| {
        let token = who.access_token.clone();
        let path = format!("/api/v1/events/{id}");
        let app = &app;
        async move { ok_json(app.get_as(&token, &path).await).await["my_status"].clone() }
    };
    assert_eq!(seat(&a).await, "payment_required");
    app.advance(Duration::minutes(31));
    app.run_pending_jobs().await;
    // Access tokens last 15 minutes: sign in again on the moved clock.
    let (a, b) = (app.signed_in_again(&a).await, app.signed_in_again(&b).await);
    let ptm = app.signed_in_again(&ptm).await;
    assert_eq!(seat(&a).await, Value::Null, "a's hold was released");
    assert_eq!(
        seat(&b).await,
        "payment_required",
        "the head of the line got the seat"
    );
    let subjects = app.subjects_to("a@example.org");
    assert!(
        subjects.contains(&"Your held seat was released: Retreat".to_owned()),
        "{subjects:?}"
    );
    let subjects = app.subjects_to("b@example.org");
    assert!(
        subjects.contains(&"A seat opened up: Retreat".to_owned()),
        "{subjects:?}"
    );
    // b's own hold runs from when he got the seat; paying in time keeps it.
    let b_reg = regs::Entity::find()
        .filter(regs::Column::UserId.eq(b.id))
        .one(&app.ctx.main)
        .await
        .unwrap()
        .unwrap();
    assert!(b_reg.hold_expires_at.unwrap() > app.now() + Duration::minutes(29));
    ok_json(pay(&app, &ptm, &id, &b_reg.id.to_string(), cash(5000)).await).await;
    app.advance(Duration::minutes(31));
    app.run_pending_jobs().await;
    let b = app.signed_in_again(&b).await;
    assert_eq!(seat(&b).await, "confirmed", "a paid seat is not released");
}

async fn an_offline_payment_confirms_the_seat_once_with_one_ledger_row(app: TestApp) {
    let admin = app.admin().await;
    let ptm = app.user_with_roles(&admin, &["program_team_member"]).await;
    let joe = app.signed_up("joe@example.org").await;
    let id = app.publish_event(&ptm, retreat("Retreat", 5, 12000)).await;
    let rid = registration_id(&app, &joe, &id).await;

    // Held, not paid: no online link, and no "you're in".
    let seen = ok_json(
        app.get_as(&joe.access_token, &format!("/api/v1/events/{id}"))
            .await,
    )
    .await;
    assert_eq!(seen["online_url"], Value::Null, "{seen}");
    assert_eq!(seen["is_online"], true);
    let joe_pages = Person::of(&app, &joe).await;
    let html = joe_pages.page(&format!("/events/{id}")).await;
    assert!(
        html.contains("Card payments are not set up: pay the organiser on site or by transfer"),
        "{html}"
    );
    assert!(!html.contains("https://meet.example.org/w"));
    assert!(!html.contains("You're in"));

    let res = pay(&app, &ptm, &id, &rid, cash(11999)).await;
    assert_eq!(validation_errors(res).await[0]["field"], "amount_minor");
    let mut card = cash(12000);
    card["method"] = json!("card");
    let res = pay(&app, &ptm, &id, &rid, card).await;
    assert_eq!(validation_errors(res).await[0]["field"], "method");

    let send = |key: &str| {
        app.client
            .post(app.url(&format!("/api/v1/events/{id}/registrations/{rid}/payments")))
            .bearer_auth(&ptm.access_token)
            .header("Idempotency-Key", key)
            .json(&cash(12000))
            .send()
    };
    let first = send("pay-1").await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    assert_eq!(first["amount_minor"], 12000);
    assert_eq!(first["method"], "cash");
    assert_eq!(first["status"], "succeeded");
    // The same request again gets the same answer; a new one is refused: paid once.
    let again: Value = send("pay-1").await.unwrap().json().await.unwrap();
    assert_eq!(again, first);
    let res = pay(&app, &ptm, &id, &rid, cash(12000)).await;
    assert_eq!(refused(res, StatusCode::CONFLICT).await, "already_paid");

    let rows = payments::Entity::find().all(&app.ctx.main).await.unwrap();
    assert_eq!(rows.len(), 1);
    let entries = ledger::Entity::find().all(&app.ctx.main).await.unwrap();
    assert_eq!(entries.len(), 1, "one ledger row");
    let entry = &entries[0];
    assert_eq!(entry.amount_minor, 12000);
    assert_eq!(entry.currency, "EUR");
    assert_eq!(entry.payment_id, Some(rows[0].id));
    assert_eq!(entry.user_id, Some(joe.id));
    assert_eq!(entry.recorded_by, Some(ptm.id));
    assert_eq!(
        entry.reason.as_deref(),
        Some("Cash for a seat at \"Retreat\"")
    );
    // The ledger is append-only: the database refuses changes and deletions.
    let update = ledger::Entity::update_many()
        .col_expr(
            ledger::Column::AmountMinor,
            db::sea_orm::sea_query::Expr::value(1),
        )
        .exec(&app.ctx.main)
        .await;
    assert!(update.is_err(), "a ledger row cannot be changed");
    assert!(ledger::Entity::delete_many()
        .exec(&app.ctx.main)
        .await
        .is_err());

    // Paid: confirmed, the link shows, he is told, and it is audited.
    let seen = ok_json(
        app.get_as(&joe.access_token, &format!("/api/v1/events/{id}"))
            .await,
    )
    .await;
    assert_eq!(seen["my_status"], "confirmed");
    assert_eq!(seen["online_url"], "https://meet.example.org/w");
    let html = joe_pages.page(&format!("/events/{id}")).await;
    assert!(html.contains("You're in"), "{html}");
    app.run_pending_jobs().await;
    let subjects = app.subjects_to("joe@example.org");
    assert!(
        subjects.contains(&"Payment received: Retreat".to_owned()),
        "{subjects:?}"
    );
    let audit = ok_json(
        app.get_as(&admin.access_token, "/api/v1/audit?action=payment_recorded")
            .await,
    )
    .await;
    assert!(audit.to_string().contains("payment_recorded"), "{audit}");
}

async fn only_organisers_and_admins_record_payments(app: TestApp) {
    let admin = app.admin().await;
    let ptm = app.user_with_roles(&admin, &["program_team_member"]).await;
    let fac = app.user_with_roles(&admin, &["facilitator"]).await;
    let joe = app.signed_up("joe@example.org").await;
    let sam = app.signed_up("sam@example.org").await;
    let id = app.publish_event(&ptm, retreat("Retreat", 5, 3000)).await;
    let rid = registration_id(&app, &joe, &id).await;
    for who in [&joe, &sam, &fac] {
        let res = pay(&app, who, &id, &rid, cash(3000)).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{}", who.email);
    }
    let res = pay(&app, &ptm, &id, &Uuid::now_v7().to_string(), cash(3000)).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // A waitlisted or free registration has nothing to pay.
    let free = app.publish_event(&ptm, workshop("Free", 5)).await;
    let r = ok_json(app.register_for(&sam, &free).await).await;
    let free_rid = r["registration"]["id"].as_str().unwrap();
    let res = pay(&app, &ptm, &free, free_rid, cash(3000)).await;
    assert_eq!(
        refused(res, StatusCode::CONFLICT).await,
        "not_awaiting_payment"
    );
    // An Admin may record one for any event.
    let paid = ok_json(pay(&app, &admin, &id, &rid, cash(3000)).await).await;
    assert_eq!(paid["status"], "succeeded");
}

async fn members_see_their_own_payments_and_receipts_only(app: TestApp) {
    let admin = app.admin().await;
    let ptm = app.user_with_roles(&admin, &["program_team_member"]).await;
    let joe = app
        .signed_up_as("Joe Payer", "joe@example.org", crate::helpers::PASSWORD)
        .await;
    let sam = app.signed_up("sam@example.org").await;
    let id = app.publish_event(&ptm, retreat("Retreat", 5, 4500)).await;
    let rid = registration_id(&app, &joe, &id).await;
    let mut transfer = cash(4500);
    transfer["method"] = json!("bank_transfer");
    transfer["note"] = json!("Reference RT-77");
    let paid = ok_json(pay(&app, &ptm, &id, &rid, transfer).await).await;
    let pid = paid["id"].as_str().unwrap();

    let mine = ok_json(app.get_as(&joe.access_token, "/api/v1/me/payments").await).await;
    assert_eq!(mine.as_array().unwrap().len(), 1);
    assert_eq!(mine[0]["amount_label"], "EUR 45.00");
    assert_eq!(mine[0]["event_title"], "Retreat");
    let receipt = ok_json(
        app.get_as(&joe.access_token, &format!("/api/v1/me/payments/{pid}"))
            .await,
    )
    .await;
    assert_eq!(receipt["payer_name"], "Joe Payer");
    assert_eq!(receipt["payment"]["note"], "Reference RT-77");

    // Nobody else sees it: not another member, not an Admin, not the recorder.
    for other in [&sam, &admin, &ptm] {
        let theirs = ok_json(app.get_as(&other.access_token, "/api/v1/me/payments").await).await;
        assert_eq!(theirs.as_array().unwrap().len(), 0);
        let res = app
            .get_as(&other.access_token, &format!("/api/v1/me/payments/{pid}"))
            .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
    }

    // The pages: his list, and a printable receipt.
    let joe_pages = Person::of(&app, &joe).await;
    let list = joe_pages.page("/payments").await;
    assert!(
        list.contains("EUR 45.00") && list.contains("Retreat") && list.contains("Bank transfer"),
        "{list}"
    );
    let html = joe_pages.page(&format!("/payments/{pid}")).await;
    assert!(
        html.contains("Receipt") && html.contains("Joe Payer") && html.contains("Reference RT-77"),
        "{html}"
    );
    let sam_pages = Person::of(&app, &sam).await;
    assert!(!sam_pages.page("/payments").await.contains("EUR 45.00"));
    assert_eq!(
        sam_pages.get(&format!("/payments/{pid}")).await.status(),
        StatusCode::NOT_FOUND
    );
}

async fn the_door_list_records_a_payment(app: TestApp) {
    let admin = app.admin().await;
    let ptm = app.user_with_roles(&admin, &["program_team_member"]).await;
    let joe = app.signed_up("joe@example.org").await;
    let id = app.publish_event(&ptm, retreat("Retreat", 5, 2000)).await;
    let rid = registration_id(&app, &joe, &id).await;
    let door = format!("/events/{id}/door");
    let organiser = Person::of(&app, &ptm).await;
    let html = organiser.page(&door).await;
    assert!(html.contains("Record a payment"), "{html}");
    let action = format!("/events/{id}/door/{rid}/payment");
    let res = organiser
        .submit(
            &door,
            &action,
            &[("method", "cash"), ("amount", "15"), ("payment_note", "")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("The price is at least EUR 20.00."));
    let (_, html) = organiser
        .submit_ok(
            &door,
            &action,
            &[
                ("method", "cash"),
                ("amount", "20.00"),
                ("payment_note", "At the door"),
            ],
        )
        .await;
    assert!(html.contains("Payment recorded"), "{html}");
    assert!(!html.contains("Record a payment"));
    let seen = ok_json(
        app.get_as(&joe.access_token, &format!("/api/v1/events/{id}"))
            .await,
    )
    .await;
    assert_eq!(seen["my_status"], "confirmed");
}

crate::on_both_backends!(
    prices_are_fixed_or_a_checked_sliding_scale,
    an_unpaid_hold_expires_and_its_seat_goes_to_the_waitlist,
    an_offline_payment_confirms_the_seat_once_with_one_ledger_row,
    only_organisers_and_admins_record_payments,
    members_see_their_own_payments_and_receipts_only,
    the_door_list_records_a_payment,
);
