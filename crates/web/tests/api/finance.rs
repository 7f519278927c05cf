//! Financial reports, on SQLite and PostgreSQL: totals by month, quarter and year across a
//! year boundary, by kind (refunds negative), method, event and plan; two currencies kept
//! apart; every grouping adding up to the plain sum of the ledger; the CSV export; and who
//! may read them — Leadership and Admins, totals only, never a person's name or a
//! scholarship's reason.

use crate::helpers::pages::Person;
use crate::helpers::{ok_json, refused, workshop, TestApp, User};
use chrono::{DateTime, Utc};
use db::main_db::ledger_entries as ledger;
use db::sea_orm::{ActiveModelTrait, EntityTrait, Set};
use domain::payment::{LedgerKind, PaymentMethod};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::HashMap;
use uuid::Uuid;

/// One ledger row, written directly: the report reads the ledger whoever wrote it.
struct Row {
    kind: LedgerKind,
    amount: i64,
    currency: &'static str,
    method: PaymentMethod,
    event: Option<Uuid>,
    plan: Option<Uuid>,
    at: &'static str,
}

async fn write(app: &TestApp, who: Uuid, rows: &[Row]) {
    for r in rows {
        ledger::ActiveModel {
            id: Set(Uuid::now_v7()),
            kind: Set(r.kind),
            payment_id: Set(None),
            user_id: Set(Some(who)),
            event_id: Set(r.event),
            amount_minor: Set(r.amount),
            currency: Set(r.currency.to_owned()),
            method: Set(r.method),
            provider: Set(r.method.provider()),
            provider_reference: Set(None),
            recorded_by: Set(None),
            reason: Set(Some("Hardship: lost his job in March".to_owned())),
            created_at: Set(r.at.parse::<DateTime<Utc>>().unwrap()),
            plan_id: Set(r.plan),
            refund_id: Set(None),
        }
        .insert(&app.ctx.main)
        .await
        .unwrap();
    }
}

/// A ledger spanning Nov 2025 – May 2026 in EUR and USD, for an event and a plan.
async fn seeded(app: &TestApp) -> (User, Uuid, Uuid, Uuid) {
    use LedgerKind::*;
    use PaymentMethod::*;
    let admin = app.admin().await;
    let ptm = app.user_with_roles(&admin, &["program_team_member"]).await;
    let payer = app
        .signed_up_as("Joe Payer", "joe@example.org", crate::helpers::PASSWORD)
        .await;
    let event: Uuid = app
        .publish_event(&ptm, workshop("=HYPERLINK(\"x\") Retreat", 10))
        .await
        .parse()
        .unwrap();
    let plan = ok_json(
        app.post_as(
            &admin.access_token,
            "/api/v1/membership-plans",
            json!({ "name": "Patron", "amount_minor": 6000, "currency": "EUR", "interval": "yearly" }),
        )
        .await,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let row = |kind, amount, currency, method, event, plan, at| Row {
        kind,
        amount,
        currency,
        method,
        event,
        plan,
        at,
    };
    let e = Some(event);
    let p = Some(plan);
    write(
        app,
        payer.id,
        &[
            // Outside the range asked for: counted in the fund balance only.
            row(
                Donation,
                700,
                "EUR",
                Cash,
                None,
                None,
                "2025-10-20T10:00:00Z",
            ),
            row(
                Payment,
                12000,
                "EUR",
                BankTransfer,
                e,
                None,
                "2025-11-03T09:00:00Z",
            ),
            row(
                Payment,
                6000,
                "EUR",
                BankTransfer,
                None,
                p,
                "2025-12-31T23:59:59Z",
            ),
            row(
                Refund,
                -2500,
                "EUR",
                BankTransfer,
                e,
                None,
                "2026-01-01T00:00:00Z",
            ),
            row(
                Donation,
                1500,
                "EUR",
                Cash,
                None,
                None,
                "2026-02-14T12:00:00Z",
            ),
            row(
                Scholarship,
                -2000,
                "EUR",
                Cash,
                e,
                None,
                "2026-02-15T12:00:00Z",
            ),
            row(Payment, 4000, "EUR", Card, e, None, "2026-04-01T08:00:00Z"),
            row(
                Payment,
                3000,
                "USD",
                Card,
                None,
                None,
                "2026-05-31T22:00:00Z",
            ),
            // After the range.
            row(
                Payment,
                999,
                "EUR",
                Cash,
                None,
                None,
                "2026-06-01T00:00:00Z",
            ),
        ],
    )
    .await;
    (admin, event, plan, payer.id)
}

const RANGE: &str = "from=2025-11-01&to=2026-05-31";

async fn report(app: &TestApp, who: &User, period: &str) -> Value {
    app.get_json(
        &who.access_token,
        &format!("/api/v1/reports/finance?period={period}&{RANGE}"),
    )
    .await
}

fn section<'a>(r: &'a Value, currency: &str) -> &'a Value {
    r["currencies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["currency"] == currency)
        .unwrap_or_else(|| panic!("no {currency} in {r}"))
}

fn by(section: &Value, grouping: &str) -> HashMap<String, i64> {
    section[grouping]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["key"].as_str().unwrap().to_owned(),
                l["amount_minor"].as_i64().unwrap(),
            )
        })
        .collect()
}

/// The plain sum of the ledger's rows in the range, per currency.
async fn ledger_sums(app: &TestApp) -> HashMap<String, i64> {
    let from: DateTime<Utc> = "2025-11-01T00:00:00Z".parse().unwrap();
    let to: DateTime<Utc> = "2026-06-01T00:00:00Z".parse().unwrap();
    let mut sums = HashMap::new();
    for r in ledger::Entity::find().all(&app.ctx.main).await.unwrap() {
        if r.created_at >= from && r.created_at < to {
            *sums.entry(r.currency).or_insert(0) += r.amount_minor;
        }
    }
    sums
}

async fn every_grouping_adds_up_to_the_ledger(app: TestApp) {
    let (admin, event, plan, _) = seeded(&app).await;
    let sums = ledger_sums(&app).await;
    for period in ["month", "quarter", "year"] {
        let r = report(&app, &admin, period).await;
        assert_eq!(r["period"], period);
        let currencies: Vec<&str> = r["currencies"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["currency"].as_str().unwrap())
            .collect();
        assert_eq!(currencies, ["EUR", "USD"], "never added together");
        for code in ["EUR", "USD"] {
            let s = section(&r, code);
            let total = s["total"]["amount_minor"].as_i64().unwrap();
            assert_eq!(total, sums[code], "{code} total is the ledger's sum");
            for grouping in ["by_period", "by_kind", "by_method", "by_event", "by_plan"] {
                let added: i64 = by(s, grouping).values().sum();
                assert_eq!(added, total, "{code} {grouping} adds up ({period})");
            }
        }
    }
    let eur = |period: &str| {
        let app = &app;
        let admin = &admin;
        let period = period.to_owned();
        async move { section(&report(app, admin, &period).await, "EUR").clone() }
    };
    let months = eur("month").await;
    assert_eq!(months["total"]["amount_minor"], 19000);
    assert_eq!(months["total"]["label"], "EUR 190.00");
    let keys: Vec<&str> = months["by_period"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        ["2025-11", "2025-12", "2026-01", "2026-02", "2026-03", "2026-04", "2026-05"],
        "every month, empty ones too"
    );
    let m = by(&months, "by_period");
    assert_eq!((m["2025-12"], m["2026-01"], m["2026-03"]), (6000, -2500, 0));
    let q = by(&eur("quarter").await, "by_period");
    assert_eq!(
        q,
        HashMap::from([
            ("2025-Q4".to_owned(), 18000),
            ("2026-Q1".to_owned(), -3000),
            ("2026-Q2".to_owned(), 4000),
        ])
    );
    let y = by(&eur("year").await, "by_period");
    assert_eq!(
        y,
        HashMap::from([("2025".to_owned(), 18000), ("2026".to_owned(), 1000)])
    );

    let kinds = by(&months, "by_kind");
    assert_eq!(
        (
            kinds["payment"],
            kinds["refund"],
            kinds["donation"],
            kinds["scholarship"]
        ),
        (22000, -2500, 1500, -2000)
    );
    let methods = by(&months, "by_method");
    assert_eq!(
        (methods["bank_transfer"], methods["cash"], methods["card"]),
        (15500, -500, 4000)
    );
    let events = by(&months, "by_event");
    assert_eq!((events[&event.to_string()], events["none"]), (11500, 7500));
    let plans = by(&months, "by_plan");
    assert_eq!((plans[&plan.to_string()], plans["none"]), (6000, 13000));
    // The fund: every donation (also before the range) less every scholarship granted.
    let fund = &months["scholarship_fund"];
    assert_eq!(fund["donations"]["amount_minor"], 2200);
    assert_eq!(fund["scholarships"]["amount_minor"], 2000);
    assert_eq!(fund["balance"]["label"], "EUR 2.00");
    let usd = section(&report(&app, &admin, "month").await, "USD").clone();
    assert_eq!(usd["total"]["label"], "USD 30.00");
    assert_eq!(by(&usd, "by_period")["2026-05"], 3000);

    let res = app
        .get_as(
            &admin.access_token,
            "/api/v1/reports/finance?from=2026-02-01&to=2026-01-01",
        )
        .await;
    assert_eq!(
        refused(res, StatusCode::UNPROCESSABLE_ENTITY).await,
        "validation_failed"
    );
}

async fn the_report_downloads_as_csv(app: TestApp) {
    let (admin, event, _, _) = seeded(&app).await;
    let res = app
        .get_as(
            &admin.access_token,
            &format!("/api/v1/reports/finance?period=quarter&{RANGE}&format=csv"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("finance-2025-11-01-to-2026-05-31.csv"));
    let csv = res.text().await.unwrap();
    let lines: Vec<&str> = csv.split("\r\n").collect();
    assert_eq!(lines[0], "currency,grouping,key,label,amount_minor,amount");
    for expected in [
        "EUR,total,all,All money,19000,190.00",
        "EUR,period,2026-Q1,Q1 2026,-3000,-30.00",
        "EUR,kind,refund,Refunds,-2500,-25.00",
        "EUR,method,bank_transfer,Bank transfer,15500,155.00",
        "EUR,scholarship_fund,balance,Fund balance,200,2.00",
        "USD,total,all,All money,3000,30.00",
    ] {
        assert!(lines.contains(&expected), "{expected} in\n{csv}");
    }
    // A title that looks like a formula opens as text.
    let title = format!("EUR,event,{event},\"'=HYPERLINK(\"\"x\"\") Retreat\",11500,115.00");
    assert!(lines.contains(&title.as_str()), "{csv}");
    // The page offers the same download.
    let person = Person::of(&app, &admin).await;
    let res = person
        .get(&format!("/reports/finance.csv?period=quarter&{RANGE}"))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text().await.unwrap(), csv);
}

async fn leadership_reads_totals_and_members_are_refused(app: TestApp) {
    let (admin, _, _, payer) = seeded(&app).await;
    let leader = app.user_with_roles(&admin, &["leadership"]).await;
    let fac = app.user_with_roles(&admin, &["facilitator"]).await;
    let ptm = app.user_with_roles(&admin, &["program_team_member"]).await;
    let member = app.signed_up("member@example.org").await;
    let r = report(&app, &leader, "month").await;
    assert_eq!(section(&r, "EUR")["total"]["amount_minor"], 19000);
    let text = r.to_string();
    for secret in [
        "Joe Payer",
        "joe@example.org",
        "Hardship",
        &payer.to_string(),
    ] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
    for who in [&fac, &ptm, &member] {
        let res = app
            .get_as(
                &who.access_token,
                &format!("/api/v1/reports/finance?{RANGE}"),
            )
            .await;
        assert_eq!(
            refused(res, StatusCode::FORBIDDEN).await,
            "forbidden",
            "{}",
            who.email
        );
        let page = Person::of(&app, who).await.get("/reports/finance").await;
        assert_eq!(page.status(), StatusCode::FORBIDDEN);
    }
    // The page: the figures, a chart per currency, no name.
    let html = Person::of(&app, &leader)
        .await
        .page(&format!("/reports/finance?period=month&{RANGE}"))
        .await;
    assert!(
        html.contains("EUR 190.00") && html.contains("USD 30.00"),
        "{html}"
    );
    assert_eq!(html.matches("<svg class=\"chart\"").count(), 2, "{html}");
    assert!(html.contains("Money per period, EUR"));
    assert!(!html.contains("Joe Payer") && !html.contains("Hardship"));
}

async fn circle_events_are_summed_as_one_line(app: TestApp) {
    let admin = app.admin().await;
    let fac = app.user_with_roles(&admin, &["facilitator"]).await;
    let circle = app
        .create_circle(&fac, crate::helpers::circle_body("Quiet Circle", 8))
        .await;
    let mut body = workshop("Our circle weekend", 8);
    body["circle_id"] = circle["id"].clone();
    body["kind"] = json!("movie_night");
    let made = app.create_event(&fac, body).await;
    assert_eq!(made["open_to_all"], false);
    let id = made["id"].as_str().unwrap().to_owned();
    write(
        &app,
        admin.id,
        &[Row {
            kind: LedgerKind::Payment,
            amount: 2500,
            currency: "EUR",
            method: PaymentMethod::Cash,
            event: Some(id.parse().unwrap()),
            plan: None,
            at: "2026-01-10T10:00:00Z",
        }],
    )
    .await;
    let r = report(&app, &admin, "month").await;
    let text = r.to_string();
    assert!(!text.contains("Our circle weekend"), "{text}");
    assert_eq!(by(section(&r, "EUR"), "by_event")["circle_events"], 2500);
}

crate::on_both_backends!(
    every_grouping_adds_up_to_the_ledger,
    the_report_downloads_as_csv,
    leadership_reads_totals_and_members_are_refused,
    circle_events_are_summed_as_one_line,
);
