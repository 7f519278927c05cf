//! m0002: profile details people add themselves, and their photo (resized, stored in the
//! database so every instance serves it).

use crate::schema::{bigint_null, fk, text_null, timestamp, uuid_pk, varchar, varchar_null};
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0002_profiles"
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    FullName,
    Phone,
    City,
    TimeZone,
    Bio,
    PhotoVersion,
}

#[derive(DeriveIden)]
enum UserPhotos {
    Table,
    UserId,
    ContentType,
    Bytes,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let columns = [
            varchar_null(Users::FullName, 128),
            varchar_null(Users::Phone, 32),
            varchar_null(Users::City, 96),
            varchar_null(Users::TimeZone, 64),
            text_null(Users::Bio),
            bigint_null(Users::PhotoVersion),
        ];
        // SQLite adds one column per ALTER TABLE.
        for column in columns {
            m.alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(column)
                    .to_owned(),
            )
            .await?;
        }
        m.create_table(user_photos()).await
    }
}

fn user_photos() -> TableCreateStatement {
    Table::create()
        .table(UserPhotos::Table)
        .col(uuid_pk(UserPhotos::UserId))
        .col(varchar(UserPhotos::ContentType, 32))
        .col(ColumnDef::new(UserPhotos::Bytes).binary().not_null())
        .col(timestamp(UserPhotos::UpdatedAt))
        .foreign_key(&mut fk(
            (UserPhotos::Table, UserPhotos::UserId),
            (Users::Table, Users::Id),
            ForeignKeyAction::Cascade,
        ))
        .to_owned()
}
