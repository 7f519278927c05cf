//! Connecting to SQLite or PostgreSQL, and the transaction helper that keeps SQLite's
//! single writer from failing under concurrency.

use crate::private_fs;
use anyhow::Context;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    SqlxPostgresConnector, SqlxSqliteConnector, Statement, TransactionTrait,
};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgSslMode};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

/// Which database engine a URL points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of_url(url: &str) -> Option<Backend> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }
}

/// How big a pool is and how long a request waits for one of its connections.
#[derive(Debug, Clone, Copy)]
pub struct PoolSize {
    pub max_connections: u32,
    /// `None`: 30 s on SQLite, 10 s on PostgreSQL. When it passes, queries fail with
    /// `DbErr::ConnectionAcquire(Timeout)`, which the app answers as "busy" (503).
    pub acquire_timeout: Option<Duration>,
}

/// Opens a pool of `max_connections` with the default acquire timeout.
pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<DatabaseConnection> {
    connect_pool(
        url,
        PoolSize {
            max_connections,
            acquire_timeout: None,
        },
    )
    .await
}

/// Opens a pool. SQLite files (and their folder) are created when missing and run in WAL
/// mode with foreign keys on; a busy writer is waited for rather than failed.
pub async fn connect_pool(url: &str, size: PoolSize) -> anyhow::Result<DatabaseConnection> {
    let PoolSize {
        max_connections,
        acquire_timeout,
    } = size;
    let shown = redact_url(url);
    match Backend::of_url(url) {
        Some(Backend::Sqlite) => {
            let options = SqliteConnectOptions::from_str(url)
                .with_context(|| format!("invalid SQLite URL {shown}"))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(15));
            prepare_sqlite_file(options.get_filename())
                .with_context(|| format!("cannot prepare {shown}"))?;
            let pool = SqlitePoolOptions::new()
                .max_connections(max_connections.max(1))
                .acquire_timeout(acquire_timeout.unwrap_or(Duration::from_secs(30)))
                .connect_with(options)
                .await
                .with_context(|| format!("cannot open SQLite database {shown}"))?;
            Ok(counting(SqlxSqliteConnector::from_sqlx_sqlite_pool(pool)))
        }
        Some(Backend::Postgres) => {
            let mut options = PgConnectOptions::from_str(url)
                .with_context(|| format!("invalid PostgreSQL URL {shown}"))?;
            if is_local_postgres(url) && !names_tls_mode(url) {
                // TLS to a server on this machine protects nothing and costs much of the
                // throughput of short queries; a URL that asks for it still gets it.
                options = options.ssl_mode(PgSslMode::Disable);
            }
            let pool = PgPoolOptions::new()
                .max_connections(max_connections.max(1))
                .acquire_timeout(acquire_timeout.unwrap_or(Duration::from_secs(10)))
                .connect_with(options)
                .await
                .with_context(|| format!("cannot connect to PostgreSQL at {shown}"))?;
            Ok(counting(SqlxPostgresConnector::from_sqlx_postgres_pool(
                pool,
            )))
        }
        None => anyhow::bail!("unsupported database URL {shown}: use sqlite://… or postgres://…"),
    }
}

/// The connection, reporting every statement to [`crate::statements`].
fn counting(mut db: DatabaseConnection) -> DatabaseConnection {
    db.set_metric_callback(|info| crate::statements::note_statement(info.statement));
    db
}

/// Creates the database file owner-only before SQLite opens it: SQLite gives its `-wal`
/// and `-shm` files the database file's permissions. Files from before are tightened.
fn prepare_sqlite_file(file: &Path) -> anyhow::Result<()> {
    if file.as_os_str().is_empty() || file == Path::new(":memory:") {
        return Ok(());
    }
    if let Some(parent) = file.parent().filter(|p| !p.as_os_str().is_empty()) {
        if !parent.exists() {
            private_fs::ensure_dir(parent)?;
        }
    }
    private_fs::ensure_file(file)?;
    for suffix in ["-wal", "-shm"] {
        let mut side = file.as_os_str().to_owned();
        side.push(suffix);
        private_fs::tighten_if_present(Path::new(&side))?;
    }
    Ok(())
}

/// Begins a transaction that will write.
///
/// SQLite allows one writer; a transaction that reads first and writes later fails with
/// "database is locked" when another writer committed in between, and the busy timeout
/// cannot help it. Taking the write lock as the first statement makes such transactions
/// queue instead. PostgreSQL needs nothing here: its transactions use row locks and
/// conditional updates.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    let txn = db.begin().await?;
    if db.get_database_backend() == DbBackend::Sqlite {
        txn.execute(Statement::from_string(
            DbBackend::Sqlite,
            "UPDATE write_gate SET turns = turns + 1 WHERE id = 1",
        ))
        .await?;
    }
    Ok(txn)
}

/// Whether an error is a unique-constraint violation (on either backend).
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

/// Whether a PostgreSQL URL reaches a server on this machine: a loopback address,
/// `localhost`, or a Unix socket (no host, or a `host=/path` parameter).
pub fn is_local_postgres(url: &str) -> bool {
    let Ok(parsed) = url::Url::parse(url) else {
        return false;
    };
    let socket_param = parsed
        .query_pairs()
        .any(|(k, v)| k == "host" && v.starts_with('/'));
    match parsed.host() {
        _ if socket_param => true,
        None => true,
        // `postgres:` is not a scheme the URL standard knows, so hosts stay text.
        Some(url::Host::Domain(d)) => {
            d.is_empty()
                || d.eq_ignore_ascii_case("localhost")
                || d.starts_with("%2F")
                || d.starts_with("%2f")
                || d.parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
    }
}

/// Whether the URL says how to use TLS (`sslmode=…`), which is then obeyed as written.
fn names_tls_mode(url: &str) -> bool {
    url::Url::parse(url).is_ok_and(|u| {
        u.query_pairs()
            .any(|(k, _)| k == "sslmode" || k == "ssl-mode")
    })
}

/// Why a PostgreSQL URL would travel a network unencrypted, if it would: a remote host
/// whose URL does not require TLS (`sslmode=require`, `verify-ca` or `verify-full`).
/// `None` for SQLite, for servers on this machine and for URLs that require TLS.
pub fn unencrypted_remote(url: &str) -> Option<String> {
    if Backend::of_url(url) != Some(Backend::Postgres) || is_local_postgres(url) {
        return None;
    }
    let mode = url::Url::parse(url).ok().and_then(|u| {
        u.query_pairs()
            .find(|(k, _)| k == "sslmode" || k == "ssl-mode")
            .map(|(_, v)| v.to_ascii_lowercase())
    });
    match mode.as_deref() {
        Some("require" | "verify-ca" | "verify-full") => None,
        Some(other) => Some(format!("{} uses sslmode={other}", redact_url(url))),
        None => Some(format!("{} does not set sslmode=require", redact_url(url))),
    }
}

/// The URL with any password replaced, for logs and error messages.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("****"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_logs() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db.example.org/main"),
            "postgres://app:****@db.example.org/main"
        );
        assert_eq!(redact_url("sqlite://data/main.db"), "sqlite://data/main.db");
    }

    #[test]
    fn servers_on_this_machine_are_told_from_remote_ones() {
        for local in [
            "postgres://postgres@127.0.0.1:5432/main",
            "postgres://postgres@localhost/main",
            "postgres://postgres@[::1]:5432/main",
            "postgres:///main?host=/var/run/postgresql",
            "postgresql://%2Fvar%2Frun%2Fpostgresql/main",
        ] {
            assert!(is_local_postgres(local), "{local}");
            assert_eq!(unencrypted_remote(local), None, "{local}");
        }
        let remote = "postgres://app:pw@db.example.org/main";
        assert!(!is_local_postgres(remote));
        assert!(unencrypted_remote(remote).is_some_and(|w| !w.contains("pw")));
        assert!(unencrypted_remote("postgres://db.example.org/main?sslmode=prefer").is_some());
        assert_eq!(
            unencrypted_remote("postgres://db.example.org/main?sslmode=verify-full"),
            None
        );
        assert!(names_tls_mode("postgres://127.0.0.1/main?sslmode=require"));
        assert!(!names_tls_mode("postgres://127.0.0.1/main"));
    }

    #[test]
    fn backends_are_told_apart() {
        assert_eq!(
            Backend::of_url("sqlite://x.db?mode=rwc"),
            Some(Backend::Sqlite)
        );
        assert_eq!(
            Backend::of_url("postgresql://h/db"),
            Some(Backend::Postgres)
        );
        assert_eq!(Backend::of_url("mysql://h/db"), None);
    }
}
