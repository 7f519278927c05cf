//! The main reads use indexes (issue 14): every statement the event list, one event, one
//! circle and my registrations run is explained on both backends, and a full scan of a
//! table that grows with the organisation fails the test.
//!
//! On PostgreSQL the planner is told to avoid sequential scans (`enable_seqscan = off`),
//! so on a small test database a sequential scan remains only where no index can serve
//! the query. SQLite's planner has no statistics here and picks indexes by their shape; a
//! plan step `SCAN <table>` without an index is a full scan. On SQLite the event list
//! must also come out of its index in order, without a temporary B-tree to sort it.

use crate::helpers::{led_circle, workshop, Backend, TestApp};
use app::events::EventFilter;
use db::sea_orm::{ConnectionTrait, DatabaseTransaction, Statement, TransactionTrait};
use uuid::Uuid;

/// Tables whose size follows the number of people, circles and events.
const GROWING: [&str; 9] = [
    "users",
    "user_roles",
    "circles",
    "circle_memberships",
    "events",
    "event_circles",
    "event_registrations",
    "meetings",
    "attendance",
];

/// The lines of the plan of `statement`.
async fn plan(txn: &DatabaseTransaction, statement: &Statement) -> Vec<String> {
    let backend = txn.get_database_backend();
    let explain = match backend {
        db::sea_orm::DbBackend::Sqlite => "EXPLAIN QUERY PLAN ",
        _ => "EXPLAIN ",
    };
    let explained = Statement {
        sql: format!("{explain}{}", statement.sql),
        ..statement.clone()
    };
    let rows = txn.query_all(explained).await.expect("EXPLAIN runs");
    rows.iter()
        .map(|row| match backend {
            db::sea_orm::DbBackend::Sqlite => row.try_get::<String>("", "detail"),
            _ => row.try_get::<String>("", "QUERY PLAN"),
        })
        .map(|line| line.expect("a plan line"))
        .collect()
}

/// The full scans of growing tables in the plan of `statement`.
async fn full_scans(txn: &DatabaseTransaction, statement: &Statement) -> Vec<String> {
    let backend = txn.get_database_backend();
    plan(txn, statement)
        .await
        .into_iter()
        .filter(|line| {
            GROWING.iter().any(|table| match backend {
                db::sea_orm::DbBackend::Sqlite => {
                    let step = line.trim();
                    step == format!("SCAN {table}")
                        || step.starts_with(&format!("SCAN {table} ")) && !step.contains("USING")
                }
                _ => line.contains(&format!("Seq Scan on {table} ")),
            })
        })
        .collect()
}

async fn main_reads_use_indexes(app: TestApp) {
    let led = led_circle(&app).await;
    let event = app.publish_event(&led.ptm, workshop("Plans", 10)).await;
    assert!(app
        .register_for(&led.member, &event)
        .await
        .status()
        .is_success());
    // A place in line, so that its grouped count is explained too.
    let mut full = workshop("Full", 1);
    full["waitlist_enabled"] = serde_json::json!(true);
    let full = app.publish_event(&led.ptm, full).await;
    for who in [&led.fac, &led.member] {
        assert!(app.register_for(who, &full).await.status().is_success());
    }
    let actor = app::accounts::authenticate(&app.ctx, &led.member.access_token)
        .await
        .expect("the member is signed in");
    let event_id: Uuid = event.parse().expect("event id");
    let circle_id: Uuid = led.id.parse().expect("circle id");
    let ctx = &app.ctx;
    let (_, list) = db::statements::recorded(async {
        app::events::view::browse(ctx, &actor, &EventFilter::default())
            .await
            .expect("event list");
    })
    .await;
    let (_, mut statements) = db::statements::recorded(async {
        app::events::view::get(ctx, &actor, event_id)
            .await
            .expect("one event");
        app::circles::manage::get(ctx, &actor, circle_id)
            .await
            .expect("one circle");
        let filter = app::events::registration::MineFilter::default();
        let first = app::page::PageRequest::default();
        let page = app::events::registration::mine(ctx, &actor, &filter, &first)
            .await
            .expect("my registrations");
        // The next page's statement, with its (start, id) condition.
        let after = app::page::PageRequest {
            limit: Some(1),
            cursor: Some(
                app::page::time_key(page.items[0].0.starts_at, page.items[0].1.id)
                    .as_str()
                    .try_into()
                    .expect("a cursor"),
            ),
        };
        app::events::registration::mine(ctx, &actor, &filter, &after)
            .await
            .expect("my next registrations");
    })
    .await;
    let list_query = list
        .iter()
        .find(|s| s.sql.contains("ORDER BY"))
        .expect("the event list's query")
        .clone();
    statements.extend(list);
    statements.retain(|s| s.sql.trim_start().to_uppercase().starts_with("SELECT"));
    assert!(statements.len() >= 4, "{} statements", statements.len());
    let txn = app.ctx.main.begin().await.expect("a transaction");
    if app.backend == Backend::Postgres {
        txn.execute_unprepared("SET LOCAL enable_seqscan = off")
            .await
            .expect("planner setting");
    }
    // The detector itself: a filter on a column no index covers is a full scan.
    let unindexed = Statement::from_string(
        txn.get_database_backend(),
        "SELECT id FROM events WHERE title = 'x'",
    );
    assert!(!full_scans(&txn, &unindexed).await.is_empty());
    let mut scans = Vec::new();
    for statement in &statements {
        for line in full_scans(&txn, statement).await {
            scans.push(format!("{line}\n    in: {}", statement.sql));
        }
    }
    assert!(scans.is_empty(), "full scans:\n{}", scans.join("\n"));
    if app.backend == Backend::Sqlite {
        // The index on (status, starts_at, id) gives the list in its order: no sort.
        let sorts: Vec<String> = plan(&txn, &list_query)
            .await
            .into_iter()
            .filter(|line| line.contains("TEMP B-TREE") && line.contains("ORDER BY"))
            .collect();
        assert!(sorts.is_empty(), "{sorts:?}\n    in: {}", list_query.sql);
    }
}

crate::on_both_backends!(main_reads_use_indexes);
