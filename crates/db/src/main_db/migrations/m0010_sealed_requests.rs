//! Migration m0010: join-request messages leave the plain `message` column (issue 12).
//! A message is either sealed in the requester's browser to the circle leaders' devices
//! (`message_sealed`, JSON the server cannot open) or, without JavaScript or before any
//! leader has a device, encrypted at rest with the server's field key
//! (`message_encrypted` under key `message_key_version`). Plain messages stored before this
//! migration are encrypted at start-up (`app::circles::membership::encrypt_plain_messages`),
//! which needs the field key and so cannot run here.

use crate::schema::{int_null, text_null};
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0010_sealed_requests"
    }
}

#[derive(DeriveIden)]
enum CircleMemberships {
    Table,
    MessageSealed,
    MessageEncrypted,
    MessageKeyVersion,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement.
        for column in [
            text_null(CircleMemberships::MessageSealed),
            text_null(CircleMemberships::MessageEncrypted),
            int_null(CircleMemberships::MessageKeyVersion),
        ] {
            m.alter_table(
                Table::alter()
                    .table(CircleMemberships::Table)
                    .add_column(column)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
