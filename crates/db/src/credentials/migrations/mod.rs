//! Forward-only migrations of the `credentials` database, one file each, applied in the
//! order listed. Never edit one that has landed: add the next `mNNNN_<name>.rs` instead
//! (see the crate documentation).

mod m0001_credentials;
mod m0002_cookie_sessions;
mod m0003_invitation_tokens;
mod m0004_calendar_feeds;

use sea_orm_migration::prelude::*;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_credentials::Migration),
            Box::new(m0002_cookie_sessions::Migration),
            Box::new(m0003_invitation_tokens::Migration),
            Box::new(m0004_calendar_feeds::Migration),
        ]
    }

    // Its own table, so that both databases may share one PostgreSQL database in a pinch.
    fn migration_table_name() -> DynIden {
        Alias::new("seaql_migrations_credentials").into_iden()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_in_order() {
        crate::schema::assert_numbered_in_order(&Migrator::migrations());
    }
}
