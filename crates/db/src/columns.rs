//! Column shapes the migrations of both databases share.

use sea_orm_migration::prelude::*;

/// A required UTC timestamp (`timestamptz` on PostgreSQL, text on SQLite).
pub(crate) fn ts(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

/// An optional UTC timestamp.
pub(crate) fn ts_null(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .null()
        .to_owned()
}
