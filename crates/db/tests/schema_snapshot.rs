//! The schema the migrations build, compared with the snapshots committed in
//! `tests/schema_snapshots/`.
//!
//! Each test migrates a fresh `main` and `credentials` database and writes its schema out as
//! text: on SQLite every `sqlite_master` entry (the DDL exactly as it was issued); on
//! PostgreSQL `information_schema.columns`, `pg_indexes`, constraints (foreign keys and
//! their `ON DELETE`), triggers and functions. Both also list the migrations recorded as
//! applied and the rows each table holds. Any difference from the snapshot fails, so
//! reshaping migration code cannot change what an existing database has without notice.
//!
//! A new migration changes the schema on purpose. Regenerate the snapshots with
//!
//! ```sh
//! UPDATE_SCHEMA_SNAPSHOT=1 REQUIRE_POSTGRES=1 cargo test -p db --test schema_snapshot
//! ```
//!
//! then read their diff (it should show exactly what the migration adds) and commit them
//! with the migration.

use db::sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use sqlx::{Connection, Executor, PgConnection};
use std::path::{Path, PathBuf};

const UPDATE_VAR: &str = "UPDATE_SCHEMA_SNAPSHOT";

#[tokio::test]
async fn sqlite_schema_matches_snapshot() {
    let dir = tempfile::tempdir().expect("temp dir");
    let main = db::connect(&sqlite_url(dir.path(), "main.db"), 1)
        .await
        .expect("open main.db");
    let credentials = db::connect(&sqlite_url(dir.path(), "credentials.db"), 1)
        .await
        .expect("open credentials.db");
    db::migrate(&main, &credentials).await.expect("migrate");

    let mut report = Report::default();
    let main_schema = sqlite_schema(&main, "seaql_migrations").await;
    report.check("main.sqlite.txt", &main_schema);
    let credentials_schema = sqlite_schema(&credentials, "seaql_migrations_credentials").await;
    report.check("credentials.sqlite.txt", &credentials_schema);
    report.finish();
}

#[tokio::test]
async fn postgres_schema_matches_snapshot() {
    let Some(pg) = TempPgDatabases::create("schema_snapshot").await else {
        return;
    };
    let main = db::connect(&pg.url(&pg.main), 2)
        .await
        .expect("connect main");
    let credentials = db::connect(&pg.url(&pg.credentials), 2)
        .await
        .expect("connect credentials");
    db::migrate(&main, &credentials).await.expect("migrate");

    let mut report = Report::default();
    let main_schema = postgres_schema(&main, "seaql_migrations").await;
    report.check("main.postgres.txt", &main_schema);
    let credentials_schema = postgres_schema(&credentials, "seaql_migrations_credentials").await;
    report.check("credentials.postgres.txt", &credentials_schema);
    // Close the pools before the databases are dropped.
    let _ = main.close().await;
    let _ = credentials.close().await;
    report.finish();
}

// ------------------------------------------------------------------------------ SQLite

fn sqlite_url(dir: &Path, file: &str) -> String {
    format!("sqlite://{}?mode=rwc", dir.join(file).display())
}

async fn sqlite_schema(db: &DatabaseConnection, migrations_table: &str) -> String {
    let mut out = header("sqlite_master, in (type, name) order");
    let entries = text_rows(
        db,
        "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name",
    )
    .await;
    for row in entries {
        let [kind, name, table, sql] = <[String; 4]>::try_from(row).expect("four columns");
        out.push_str(&format!("-- {kind} {name} on {table}\n{sql}\n"));
    }
    let tables = text_rows(
        db,
        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
    )
    .await;
    out.push_str(&applied_and_rows(db, migrations_table, tables).await);
    out
}

// -------------------------------------------------------------------------- PostgreSQL

const PG_COLUMNS: &str = "SELECT table_name::text, column_name::text, data_type::text, \
     character_maximum_length::text, is_nullable::text, column_default::text \
     FROM information_schema.columns WHERE table_schema = 'public' \
     ORDER BY table_name, ordinal_position";
const PG_INDEXES: &str = "SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' \
     ORDER BY tablename, indexname";
const PG_CONSTRAINTS: &str = "SELECT conrelid::regclass::text, conname::text, \
     pg_get_constraintdef(oid) FROM pg_constraint \
     WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2";
const PG_TRIGGERS: &str = "SELECT pg_get_triggerdef(oid) FROM pg_trigger \
     WHERE NOT tgisinternal ORDER BY tgrelid::regclass::text, tgname";
const PG_FUNCTIONS: &str = "SELECT pg_get_functiondef(oid) FROM pg_proc \
     WHERE pronamespace = 'public'::regnamespace ORDER BY proname";
const PG_TABLES: &str = "SELECT table_name::text FROM information_schema.tables \
     WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name";

async fn postgres_schema(db: &DatabaseConnection, migrations_table: &str) -> String {
    let mut out = header("PostgreSQL catalogues of schema public");
    out.push_str("-- columns: table.column type nullability [default]\n");
    for row in text_rows(db, PG_COLUMNS).await {
        let [table, column, kind, length, nullable, default] =
            <[String; 6]>::try_from(row).expect("six columns");
        let length = if length == "NULL" {
            String::new()
        } else {
            format!("({length})")
        };
        let nullable = if nullable == "YES" {
            "NULL"
        } else {
            "NOT NULL"
        };
        let default = if default == "NULL" {
            String::new()
        } else {
            format!(" DEFAULT {default}")
        };
        out.push_str(&format!(
            "{table}.{column} {kind}{length} {nullable}{default}\n"
        ));
    }
    out.push_str("-- indexes\n");
    push_rows(&mut out, text_rows(db, PG_INDEXES).await);
    out.push_str("-- constraints\n");
    push_rows(&mut out, text_rows(db, PG_CONSTRAINTS).await);
    out.push_str("-- triggers\n");
    push_rows(&mut out, text_rows(db, PG_TRIGGERS).await);
    out.push_str("-- functions\n");
    push_rows(&mut out, text_rows(db, PG_FUNCTIONS).await);
    let tables = text_rows(db, PG_TABLES).await;
    out.push_str(&applied_and_rows(db, migrations_table, tables).await);
    out
}

fn push_rows(out: &mut String, rows: Vec<Vec<String>>) {
    for row in rows {
        out.push_str(&row.join(" "));
        out.push('\n');
    }
}

/// A pair of databases on the PostgreSQL server of `TEST_DATABASE_URL`, dropped at the end.
struct TempPgDatabases {
    admin_url: String,
    main: String,
    credentials: String,
}

impl TempPgDatabases {
    /// None (after saying so loudly) when PostgreSQL is unreachable, unless
    /// `REQUIRE_POSTGRES=1` makes that a failure.
    async fn create(prefix: &str) -> Option<TempPgDatabases> {
        let admin_url = std::env::var("TEST_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let mut conn = match PgConnection::connect(&admin_url).await {
            Ok(conn) => conn,
            Err(e) if postgres_required() => {
                panic!("REQUIRE_POSTGRES=1 but PostgreSQL at {admin_url} cannot be reached: {e}")
            }
            Err(e) => {
                eprintln!(
                    "\n!!! SKIPPED the PostgreSQL schema snapshot: {admin_url} unreachable ({e}).\
                     \n!!! Set TEST_DATABASE_URL or start PostgreSQL; CI sets REQUIRE_POSTGRES=1.\n"
                );
                return None;
            }
        };
        let base = format!("circles_{prefix}_{}", uuid::Uuid::new_v4().simple());
        let dbs = TempPgDatabases {
            admin_url,
            main: format!("{base}_main"),
            credentials: format!("{base}_creds"),
        };
        for name in [&dbs.main, &dbs.credentials] {
            conn.execute(format!("CREATE DATABASE \"{name}\"").as_str())
                .await
                .expect("create test database");
        }
        Some(dbs)
    }

    fn url(&self, database: &str) -> String {
        let mut url = url::Url::parse(&self.admin_url).expect("TEST_DATABASE_URL is a URL");
        url.set_path(&format!("/{database}"));
        url.to_string()
    }
}

impl Drop for TempPgDatabases {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let names = [self.main.clone(), self.credentials.clone()];
        // Drop cannot await; a small runtime on its own thread does the clean-up.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                if let Ok(mut conn) = PgConnection::connect(&admin_url).await {
                    for name in names {
                        let drop = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                        let _ = conn.execute(drop.as_str()).await;
                    }
                }
            });
        })
        .join();
    }
}

fn postgres_required() -> bool {
    std::env::var("REQUIRE_POSTGRES").is_ok_and(|v| v == "1" || v == "true")
}

// ------------------------------------------------------------------------------ shared

fn header(source: &str) -> String {
    format!(
        "-- Schema snapshot from {source}. Written by crates/db/tests/schema_snapshot.rs:\n\
         -- regenerate with {UPDATE_VAR}=1 after adding a migration, never by hand.\n"
    )
}

/// The migrations recorded as applied, and how many rows each other table holds (a
/// migration may insert rows, like the write gate's single row).
async fn applied_and_rows(
    db: &DatabaseConnection,
    migrations_table: &str,
    tables: Vec<Vec<String>>,
) -> String {
    let mut out = format!("-- applied migrations ({migrations_table})\n");
    let applied = format!("SELECT version FROM \"{migrations_table}\" ORDER BY version");
    push_rows(&mut out, text_rows(db, &applied).await);
    out.push_str("-- rows per table\n");
    for table in tables.into_iter().flatten() {
        if table == migrations_table {
            continue;
        }
        let count = format!("SELECT CAST(COUNT(*) AS TEXT) FROM \"{table}\"");
        let rows = text_rows(db, &count).await;
        out.push_str(&format!("{table}: {}\n", rows[0][0]));
    }
    out
}

/// Every row of a query whose columns are all text, NULL written as `NULL`.
async fn text_rows(db: &DatabaseConnection, sql: &str) -> Vec<Vec<String>> {
    let stmt = Statement::from_string(db.get_database_backend(), sql);
    let rows = db
        .query_all(stmt)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    rows.iter()
        .map(|row| {
            (0..row.column_names().len())
                .map(|i| {
                    row.try_get_by_index::<Option<String>>(i)
                        .unwrap_or_else(|e| panic!("{sql}, column {i}: {e}"))
                        .unwrap_or_else(|| "NULL".into())
                })
                .collect()
        })
        .collect()
}

/// Compares schemas with their snapshots, or rewrites the snapshots when asked to.
#[derive(Default)]
struct Report {
    failures: Vec<String>,
}

impl Report {
    fn check(&mut self, file: &str, actual: &str) {
        let path = snapshot_path(file);
        if std::env::var(UPDATE_VAR).is_ok_and(|v| v == "1") {
            std::fs::write(&path, actual).expect("write snapshot");
            eprintln!("updated {}", path.display());
            return;
        }
        let expected = std::fs::read_to_string(&path).unwrap_or_default();
        if expected != actual {
            self.failures.push(format!(
                "{} differs from the migrated schema:\n{}",
                path.display(),
                line_diff(&expected, actual)
            ));
        }
    }

    fn finish(self) {
        assert!(
            self.failures.is_empty(),
            "{}\nIf a new migration changed the schema on purpose, rerun with {UPDATE_VAR}=1 \
             (and REQUIRE_POSTGRES=1), review the snapshot diff and commit it.",
            self.failures.join("\n")
        );
    }
}

fn snapshot_path(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/schema_snapshots")
        .join(file)
}

/// Lines only in the snapshot (`-`) and lines only in the migrated schema (`+`).
fn line_diff(expected: &str, actual: &str) -> String {
    let expected_lines: Vec<&str> = expected.lines().collect();
    let actual_lines: Vec<&str> = actual.lines().collect();
    let gone = expected_lines
        .iter()
        .filter(|l| !actual_lines.contains(l))
        .map(|l| format!("- {l}"));
    let new = actual_lines
        .iter()
        .filter(|l| !expected_lines.contains(l))
        .map(|l| format!("+ {l}"));
    let diff: Vec<String> = gone.chain(new).collect();
    if diff.is_empty() {
        "  (the same lines in another order)".into()
    } else {
        diff.join("\n")
    }
}
