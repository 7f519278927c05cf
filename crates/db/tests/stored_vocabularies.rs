//! Statuses, roles and kinds are stored as the same text as ever and read back as the
//! domain's enums; a stored text that names no value is an error naming the column and the
//! value, never a quiet fallback to another status. Runs on SQLite and PostgreSQL.

use chrono::{TimeZone, Utc};
use db::main_db::{event_registrations as regs, events, user_roles, users};
use db::sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, EntityTrait, Set, Statement,
};
use domain::event::{EventKind, EventStatus, RegistrationStatus};
use domain::{Role, UserStatus};
use uuid::Uuid;

#[tokio::test]
async fn sqlite_reads_known_values_and_names_unknown_ones() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = |file: &str| format!("sqlite://{}?mode=rwc", dir.path().join(file).display());
    let main = db::connect(&url("main.db"), 1).await.expect("open main.db");
    let credentials = db::connect(&url("credentials.db"), 1)
        .await
        .expect("open credentials.db");
    db::migrate(&main, &credentials).await.expect("migrate");
    known_and_unknown_values(&main).await;
}

#[tokio::test]
async fn postgres_reads_known_values_and_names_unknown_ones() {
    let Some(pg) = testkit::postgres::ScratchDatabases::create("stored_vocabularies").await else {
        return;
    };
    let main = db::connect(&pg.main_url(), 2).await.expect("connect main");
    let credentials = db::connect(&pg.credentials_url(), 2)
        .await
        .expect("connect credentials");
    db::migrate(&main, &credentials).await.expect("migrate");
    known_and_unknown_values(&main).await;
    // Close the pools before the databases are dropped.
    let _ = main.close().await;
    let _ = credentials.close().await;
}

async fn known_and_unknown_values(db: &DatabaseConnection) {
    let (user_id, event_id, registration_id) = seed(db).await;

    // Written through the entities, the text is what it always was.
    assert_eq!(stored(db, "users", "status", user_id).await, "active");
    assert_eq!(
        stored(db, "events", "kind", event_id).await,
        "multi_day_retreat"
    );
    assert_eq!(stored(db, "events", "status", event_id).await, "published");
    let status = stored(db, "event_registrations", "status", registration_id).await;
    assert_eq!(status, "payment_required");
    let reg = regs::Entity::find_by_id(registration_id)
        .one(db)
        .await
        .expect("read")
        .expect("row");
    assert_eq!(reg.status, RegistrationStatus::PaymentRequired);

    // Text written by anything else (an old release, a hand edit) that names no value.
    overwrite(
        db,
        "event_registrations",
        "status",
        "reserved",
        registration_id,
    )
    .await;
    let err = regs::Entity::find_by_id(registration_id)
        .one(db)
        .await
        .expect_err("an unknown status is an error");
    assert!(
        err.to_string()
            .contains(r#"unknown value "reserved" in event_registrations.status"#),
        "{err}"
    );
    // A list fails too, rather than dropping or re-labelling the row.
    let err = regs::Entity::find().all(db).await.expect_err("list fails");
    assert!(
        err.to_string().contains("event_registrations.status"),
        "{err}"
    );

    overwrite(db, "users", "status", "frozen", user_id).await;
    let err = users::Entity::find_by_id(user_id)
        .one(db)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains(r#"unknown value "frozen" in users.status"#),
        "{err}"
    );

    overwrite(db, "events", "kind", "Workshop", event_id).await;
    let err = events::Entity::find_by_id(event_id)
        .one(db)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains(r#"unknown value "Workshop" in events.kind"#),
        "{err}"
    );

    let sql = "UPDATE user_roles SET role = 'root'";
    db.execute_unprepared(sql).await.expect("overwrite role");
    let err = user_roles::Entity::find().all(db).await.unwrap_err();
    assert!(
        err.to_string()
            .contains(r#"unknown value "root" in user_roles.role"#),
        "{err}"
    );
}

/// A user with a role, his event and his registration for it, written through the entities.
async fn seed(db: &DatabaseConnection) -> (Uuid, Uuid, Uuid) {
    let now = Utc.with_ymd_and_hms(2026, 5, 1, 8, 0, 0).unwrap();
    let user_id = Uuid::now_v7();
    users::ActiveModel {
        id: Set(user_id),
        email: Set("ann@example.org".into()),
        display_name: Set("Ann".into()),
        status: Set(UserStatus::Active),
        email_verified_at: Set(Some(now)),
        last_login_at: Set(None),
        suspended_at: Set(None),
        suspended_reason: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        full_name: Set(None),
        phone: Set(None),
        city: Set(None),
        time_zone: Set(None),
        bio: Set(None),
        photo_version: Set(None),
    }
    .insert(db)
    .await
    .expect("user");
    user_roles::ActiveModel {
        user_id: Set(user_id),
        role: Set(Role::ProgramTeamMember),
        granted_by: Set(None),
        granted_at: Set(now),
    }
    .insert(db)
    .await
    .expect("role");
    let event_id = Uuid::now_v7();
    events::ActiveModel {
        id: Set(event_id),
        kind: Set(EventKind::MultiDayRetreat),
        title: Set("Spring retreat".into()),
        description: Set(String::new()),
        status: Set(EventStatus::Published),
        starts_at: Set(now + chrono::Duration::days(30)),
        ends_at: Set(now + chrono::Duration::days(32)),
        time_zone: Set("Europe/Berlin".into()),
        venue_id: Set(None),
        location: Set(None),
        online_url: Set(None),
        capacity: Set(10),
        price_minor: Set(25_000),
        currency: Set(Some("EUR".into())),
        price_suggested_minor: Set(None),
        price_maximum_minor: Set(None),
        waitlist_enabled: Set(true),
        offer_hours: Set(None),
        registration_opens_at: Set(None),
        registration_closes_at: Set(None),
        cancellation_policy: Set(None),
        refund_full_days_before: Set(None),
        refund_later_percent: Set(None),
        circle_id: Set(None),
        open_to_all: Set(true),
        organiser_id: Set(user_id),
        confirmed_count: Set(1),
        last_position: Set(1),
        sequence: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        cancelled_at: Set(None),
    }
    .insert(db)
    .await
    .expect("event");
    let registration_id = Uuid::now_v7();
    regs::ActiveModel {
        id: Set(registration_id),
        event_id: Set(event_id),
        user_id: Set(user_id),
        status: Set(RegistrationStatus::PaymentRequired),
        position: Set(1),
        note: Set(None),
        offer_expires_at: Set(None),
        hold_expires_at: Set(None),
        checked_in_at: Set(None),
        checked_in_by: Set(None),
        registered_at: Set(now),
        confirmed_at: Set(Some(now)),
        cancelled_at: Set(None),
        updated_at: Set(now),
    }
    .insert(db)
    .await
    .expect("registration");
    (user_id, event_id, registration_id)
}

/// The raw text in one column of the row with this id.
async fn stored(db: &DatabaseConnection, table: &str, column: &str, id: Uuid) -> String {
    let sql = format!("SELECT {column} FROM {table} WHERE id = $1");
    let stmt = Statement::from_sql_and_values(db.get_database_backend(), sql, [id.into()]);
    let row = db.query_one(stmt).await.expect("select").expect("row");
    row.try_get_by_index::<String>(0).expect("text")
}

/// Writes `text` into one column of the row with this id, bypassing the entities.
async fn overwrite(db: &DatabaseConnection, table: &str, column: &str, text: &str, id: Uuid) {
    let sql = format!("UPDATE {table} SET {column} = $1 WHERE id = $2");
    let stmt =
        Statement::from_sql_and_values(db.get_database_backend(), sql, [text.into(), id.into()]);
    db.execute(stmt).await.expect("overwrite");
}
