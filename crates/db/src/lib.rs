//! Storage for the Men's Circle platform.
//!
//! Two databases, by design (DESIGN.md §4): `main` holds everything except secrets, and
//! `credentials` holds only secrets (password hashes, MFA secrets, token hashes, attempt
//! counters). A breach of `main` must not yield a credential. Both run on SQLite (the
//! embedded default) or PostgreSQL (scale-out) through the same SeaORM code.

mod columns;
pub mod connect;
pub mod credentials;
pub mod main_db;
pub mod private_fs;

pub use connect::{begin_write, connect, is_unique_violation, redact_url, Backend};
pub use sea_orm;

/// Applies pending migrations to both databases (forward-only).
pub async fn migrate(
    main: &sea_orm::DatabaseConnection,
    credentials: &sea_orm::DatabaseConnection,
) -> anyhow::Result<()> {
    use sea_orm_migration::MigratorTrait;
    main_db::Migrator::up(main, None)
        .await
        .map_err(|e| anyhow::anyhow!("main database: {e}"))?;
    credentials::Migrator::up(credentials, None)
        .await
        .map_err(|e| anyhow::anyhow!("credentials database: {e}"))?;
    Ok(())
}
