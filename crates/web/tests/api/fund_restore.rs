//! A scholarship's share going back to the fund, on SQLite and PostgreSQL: when a seat the
//! fund helped pay for is refunded in full, or cancelled, one positive `scholarship` ledger
//! row (naming no one) returns what the fund covered, once, and the fund's balance shows it.

use crate::helpers::{ok_json, workshop, TestApp, User};
use db::main_db::ledger_entries as ledger;
use db::sea_orm::EntityTrait;
use domain::payment::LedgerKind;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// A published retreat at 120 EUR; (its organiser, its id).
async fn paid_event(app: &TestApp, admin: &User) -> (User, String) {
    let ptm = app.user_with_roles(admin, &["program_team_member"]).await;
    let mut body = workshop("Retreat", 10);
    body["price_minor"] = json!(12000);
    body["currency"] = json!("EUR");
    let id = app.publish_event(&ptm, body).await;
    (ptm, id)
}

/// Joe holds a seat, asks for a scholarship, and `reviewer` grants `due_minor`; the
/// registration's id.
async fn granted(
    app: &TestApp,
    reviewer: &User,
    joe: &User,
    event: &str,
    due_minor: i64,
) -> String {
    let r = ok_json(app.register_for(joe, event).await).await;
    let rid = r["registration"]["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/events/{event}/registrations/{rid}/scholarship");
    let asked = ok_json(app.post_as(&joe.access_token, &path, json!({})).await).await;
    let request = asked["id"].as_str().unwrap();
    let res = app
        .post_as(
            &reviewer.access_token,
            &format!("/api/v1/scholarships/{request}/grant"),
            json!({ "amount_minor": due_minor, "currency": "EUR" }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    rid
}

async fn fund_rows(app: &TestApp) -> Vec<ledger::Model> {
    ledger::Entity::find()
        .all(&app.ctx.main)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.kind == LedgerKind::Scholarship)
        .collect()
}

async fn fund(app: &TestApp, who: &User) -> Value {
    let all = ok_json(
        app.get_as(&who.access_token, "/api/v1/scholarships/fund")
            .await,
    )
    .await;
    all[0].clone()
}

async fn a_full_refund_gives_the_scholarship_back_to_the_fund_once(app: TestApp) {
    let admin = app.admin().await;
    let (ptm, id) = paid_event(&app, &admin).await;
    let joe = app.signed_up("joe@example.org").await;
    let rid = granted(&app, &ptm, &joe, &id, 4000).await;
    let paid = ok_json(
        app.post_as(
            &ptm.access_token,
            &format!("/api/v1/events/{id}/registrations/{rid}/payments"),
            json!({ "method": "cash", "amount_minor": 4000, "currency": "EUR" }),
        )
        .await,
    )
    .await;
    let pid = paid["id"].as_str().unwrap().to_owned();
    assert_eq!(fund(&app, &admin).await["balance_minor"], -8000);

    // A partial refund leaves the fund's share where it is.
    let refund = |amount: Value| {
        let path = format!("/api/v1/payments/{pid}/refunds");
        let token = admin.access_token.clone();
        let app = &app;
        async move {
            let body = json!({ "reason": "He could not come", "amount_minor": amount });
            app.post_as(&token, &path, body).await.status()
        }
    };
    assert_eq!(refund(json!(1000)).await, StatusCode::CREATED);
    assert_eq!(fund_rows(&app).await.len(), 1);
    // Refunded in full: what the fund covered goes back, naming no one.
    assert_eq!(refund(Value::Null).await, StatusCode::CREATED);
    let rows = fund_rows(&app).await;
    assert_eq!(rows.len(), 2, "{rows:?}");
    let back = rows
        .iter()
        .find(|r| r.amount_minor > 0)
        .expect("a return row");
    assert_eq!(back.amount_minor, 8000);
    assert_eq!(back.user_id, None);
    assert_eq!(back.payment_id, None);
    let f = fund(&app, &admin).await;
    assert_eq!(f["balance_minor"], 0);
    assert_eq!(f["scholarships_minor"], 0);

    // Cancelling the seat afterwards gives nothing back a second time.
    let res = app.cancel_registration(&joe, &id).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(fund_rows(&app).await.len(), 2);
    assert_eq!(fund(&app, &admin).await["balance_minor"], 0);
}

async fn cancelling_a_free_scholarship_seat_gives_it_back_to_the_fund(app: TestApp) {
    let admin = app.admin().await;
    let (ptm, id) = paid_event(&app, &admin).await;
    let joe = app.signed_up("joe@example.org").await;
    granted(&app, &ptm, &joe, &id, 0).await;
    assert_eq!(fund(&app, &ptm).await["balance_minor"], -12000);

    let res = app.cancel_registration(&joe, &id).await;
    assert_eq!(res.status(), StatusCode::OK);
    let rows = fund_rows(&app).await;
    let amounts: Vec<i64> = rows.iter().map(|r| r.amount_minor).collect();
    assert_eq!(amounts.len(), 2, "{amounts:?}");
    assert!(amounts.contains(&-12000) && amounts.contains(&12000));
    let f = fund(&app, &ptm).await;
    assert_eq!(f["balance_minor"], 0);
    assert_eq!(f["balance_label"], "EUR 0.00");
}

crate::on_both_backends!(
    a_full_refund_gives_the_scholarship_back_to_the_fund_once,
    cancelling_a_free_scholarship_seat_gives_it_back_to_the_fund,
);
