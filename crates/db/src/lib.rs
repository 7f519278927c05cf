//! Storage for the Men's Circle platform.
//!
//! Two databases, by design (docs/architecture.md, "Two databases"): `main` holds everything except secrets, and
//! `credentials` holds only secrets (password hashes, MFA secrets, token hashes, attempt
//! counters). A breach of `main` must not yield a credential. Both run on SQLite (the
//! embedded default) or PostgreSQL (scale-out) through the same SeaORM code.
//!
//! # Migrations
//!
//! Each database's migrations have one home, one file per migration:
//! `main_db/migrations/mNNNN_<name>.rs` and `credentials/migrations/mNNNN_<name>.rs`, listed
//! in order in that folder's `mod.rs`. They run at start-up and with `circles migrate`,
//! forward-only, on SQLite and PostgreSQL alike. To add one:
//!
//! 1. Create `<database>/migrations/mNNNN_<what_it_does>.rs` with the next number. Start
//!    from the latest file: a `pub struct Migration`, its `name()` returning the file name
//!    without `.rs` (written out, not derived: it is what `seaql_migrations` records, so
//!    it must never change), and `up`. Say in the first line of the file what it adds.
//! 2. Declare the tables and columns it touches as `DeriveIden` enums in that file, even
//!    when an earlier migration declares them too: a landed migration depends on nothing
//!    that may change later, entities included.
//! 3. Build tables from the helpers in `crate::schema`: `uuid_pk`, `uuid`, `timestamp`,
//!    `text`, `varchar`, `int`, `bigint`, `boolean` (NOT NULL; `_null` variants for
//!    optional columns), `fk`, `index`, `unique_index`. SQLite adds one column per
//!    `ALTER TABLE`, so add columns in a loop (see `main_db` m0002). Raw SQL (triggers) goes
//!    through `execute_unprepared`, one branch per backend.
//! 4. Append `mod mNNNN_…;` and `Box::new(mNNNN_….Migration)` to `migrations/mod.rs`.
//!    A unit test there checks the numbering.
//! 5. Add or update the entity beside it (`<database>/<table>.rs`). Secrets go in
//!    `credentials` only.
//! 6. Regenerate the schema snapshots and commit them with the migration, after reading
//!    their diff:
//!    `UPDATE_SCHEMA_SNAPSHOT=1 REQUIRE_POSTGRES=1 cargo test -p db --test schema_snapshot`.
//!
//! Never edit a landed migration, nor change the DDL a `schema` helper emits: either would
//! give new databases a schema that existing ones lack. The snapshot test
//! (`tests/schema_snapshot.rs`) fails when that happens. To change the schema, add a
//! migration.

pub mod connect;
pub mod credentials;
pub mod main_db;
pub mod private_fs;
mod schema;
pub mod statements;

pub use connect::{
    begin_write, connect, connect_pool, is_local_postgres, is_unique_violation, redact_url,
    unencrypted_remote, Backend, PoolSize,
};
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
