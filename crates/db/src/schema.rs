//! Building blocks the migrations of both databases share: the column shapes, foreign keys
//! and indexes they repeat, and the write gate every database has.
//!
//! Landed migrations call these, so what a helper produces is part of their effect: never
//! change the DDL a helper emits (the schema snapshot test catches it). A new shape gets a
//! new helper. Each column helper is NOT NULL unless its name ends in `_null`.

use sea_orm_migration::prelude::*;

/// A table's own id: `uuid NOT NULL PRIMARY KEY` (UUIDv7, stored as text on SQLite).
pub(crate) fn uuid_pk(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .uuid()
        .not_null()
        .primary_key()
        .to_owned()
}

/// A required uuid, usually a reference to another row.
pub(crate) fn uuid(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).uuid().not_null().to_owned()
}

/// An optional uuid.
pub(crate) fn uuid_null(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).uuid().null().to_owned()
}

/// A required UTC timestamp (`timestamptz` on PostgreSQL, text on SQLite).
pub(crate) fn timestamp(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

/// An optional UTC timestamp.
pub(crate) fn timestamp_null(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .null()
        .to_owned()
}

/// Required text of any length.
pub(crate) fn text(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).text().not_null().to_owned()
}

/// Optional text of any length.
pub(crate) fn text_null(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).text().null().to_owned()
}

/// A required string of at most `len` characters: `varchar(len)`.
pub(crate) fn varchar(col: impl IntoIden, len: u32) -> ColumnDef {
    ColumnDef::new(col).string_len(len).not_null().to_owned()
}

/// An optional string of at most `len` characters.
pub(crate) fn varchar_null(col: impl IntoIden, len: u32) -> ColumnDef {
    ColumnDef::new(col).string_len(len).null().to_owned()
}

/// A required 32-bit integer.
pub(crate) fn int(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).integer().not_null().to_owned()
}

/// An optional 32-bit integer.
pub(crate) fn int_null(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).integer().null().to_owned()
}

/// A required 64-bit integer (money in minor units, positions, sequence numbers).
pub(crate) fn bigint(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).big_integer().not_null().to_owned()
}

/// An optional 64-bit integer.
pub(crate) fn bigint_null(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).big_integer().null().to_owned()
}

/// A required boolean.
pub(crate) fn boolean(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).boolean().not_null().to_owned()
}

/// An unnamed foreign key from `(table, column)` to `(table, column)`; the database names
/// it (`<table>_<column>_fkey` on PostgreSQL).
pub(crate) fn fk(
    from: (impl IntoIden + 'static, impl IntoIden + 'static),
    to: (impl IntoIden + 'static, impl IntoIden + 'static),
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(on_delete)
        .to_owned()
}

/// An index on `columns`, in that order.
pub(crate) fn index<C: IntoIden>(
    name: &str,
    table: impl IntoIden + 'static,
    columns: impl IntoIterator<Item = C>,
) -> IndexCreateStatement {
    let mut index = Index::create().name(name).table(table).to_owned();
    for column in columns {
        index.col(column);
    }
    index
}

/// A unique index on `columns`, in that order.
pub(crate) fn unique_index<C: IntoIden>(
    name: &str,
    table: impl IntoIden + 'static,
    columns: impl IntoIterator<Item = C>,
) -> IndexCreateStatement {
    index(name, table, columns).unique().to_owned()
}

#[derive(DeriveIden)]
enum WriteGate {
    Table,
    Id,
    Turns,
}

/// One-row table whose update takes SQLite's write lock at the start of a write
/// transaction (see `connect::begin_write`). Both databases create it in their first
/// migration.
pub(crate) async fn create_write_gate(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    m.create_table(
        Table::create()
            .table(WriteGate::Table)
            .col(int(WriteGate::Id).primary_key())
            .col(bigint(WriteGate::Turns))
            .to_owned(),
    )
    .await?;
    m.exec_stmt(
        Query::insert()
            .into_table(WriteGate::Table)
            .columns([WriteGate::Id, WriteGate::Turns])
            .values_panic([1.into(), 0.into()])
            .to_owned(),
    )
    .await
}

/// Fails unless the i-th migration is named `m{i+1:04}_<snake_case>`: numbered in order,
/// without gaps or repeats, and in the form its file name takes.
#[cfg(test)]
pub(crate) fn assert_numbered_in_order(migrations: &[Box<dyn MigrationTrait>]) {
    for (i, migration) in migrations.iter().enumerate() {
        let name = migration.name();
        let prefix = format!("m{:04}_", i + 1);
        let rest = name.strip_prefix(&prefix).unwrap_or_else(|| {
            panic!(
                "migration {} is named {name}; expected {prefix}<name>",
                i + 1
            )
        });
        assert!(
            !rest.is_empty()
                && rest
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
            "migration name {name} is not snake_case"
        );
    }
}
