//! Migration m0008: circle conversations, end-to-end encrypted (issue 12). The server keeps
//! public keys, signed rosters, wrapped epoch keys and ciphertext: nothing a member wrote
//! is stored in a form the server can read (there is no body column anywhere).

use crate::schema::{
    bigint, boolean, fk, index, int, int_null, text, text_null, timestamp, timestamp_null,
    unique_index, uuid, uuid_pk, varchar, varchar_null,
};
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0008_conversations"
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Circles {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Meetings {
    Table,
    NoteSealed,
    NoteEpoch,
}

#[derive(DeriveIden)]
enum ConversationIdentities {
    Table,
    UserId,
    IdentityPublic,
    Backup,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ConversationDevices {
    Table,
    Id,
    UserId,
    Name,
    EcdhPublic,
    SigningPublic,
    Certificate,
    Transfer,
    CreatedAt,
    LastSeenAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum ConversationKeyArchive {
    Table,
    UserId,
    CircleId,
    Epoch,
    Sealed,
}

#[derive(DeriveIden)]
enum ConversationRosters {
    Table,
    CircleId,
    Version,
    Body,
    SignerDeviceId,
    Signature,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ConversationEpochs {
    Table,
    CircleId,
    Number,
    RosterVersion,
    CreatedByDevice,
    StartedAt,
    ClosedAt,
    ClosedReason,
}

#[derive(DeriveIden)]
enum ConversationEnvelopes {
    Table,
    CircleId,
    Epoch,
    RecipientDeviceId,
    SenderDeviceId,
    Wrapped,
    Signature,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ConversationMessages {
    Table,
    CircleId,
    Seq,
    Epoch,
    SenderDeviceId,
    SenderUserId,
    DeviceSeq,
    Ciphertext,
    Signature,
    SentAt,
    DeletedAt,
    Pinned,
    ClientId,
}

#[derive(DeriveIden)]
enum ConversationSettings {
    Table,
    CircleId,
    ShareHistory,
    DisappearingDays,
}

#[derive(DeriveIden)]
enum ConversationParticipants {
    Table,
    CircleId,
    UserId,
    LastReadSeq,
    Muted,
    LastNotifiedAt,
    OnlineUntil,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        identities_and_devices(m).await?;
        rosters_and_epochs(m).await?;
        messages(m).await?;
        settings_and_participants(m).await?;
        sealed_notes(m).await
    }

    async fn down(&self, _m: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration("migrations are forward-only".into()))
    }
}

async fn identities_and_devices(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    use ConversationDevices as D;
    use ConversationIdentities as I;
    use ConversationKeyArchive as K;
    m.create_table(
        Table::create()
            .table(I::Table)
            .col(uuid(I::UserId).primary_key())
            .col(text(I::IdentityPublic))
            .col(text(I::Backup))
            .col(timestamp(I::CreatedAt))
            .col(timestamp(I::UpdatedAt))
            // A user's keys are his: erasing the user erases them.
            .foreign_key(&mut fk(
                (I::Table, I::UserId),
                (Users::Table, Users::Id),
                ForeignKeyAction::Cascade,
            ))
            .to_owned(),
    )
    .await?;
    m.create_table(
        Table::create()
            .table(D::Table)
            .col(uuid_pk(D::Id))
            .col(uuid(D::UserId))
            .col(varchar(D::Name, 60))
            .col(text(D::EcdhPublic))
            .col(text(D::SigningPublic))
            .col(text_null(D::Certificate))
            .col(text_null(D::Transfer))
            .col(timestamp(D::CreatedAt))
            .col(timestamp(D::LastSeenAt))
            .col(timestamp_null(D::RevokedAt))
            .foreign_key(&mut fk(
                (D::Table, D::UserId),
                (Users::Table, Users::Id),
                ForeignKeyAction::Cascade,
            ))
            .to_owned(),
    )
    .await?;
    m.create_index(index("ix_conversation_devices_user", D::Table, [D::UserId]))
        .await?;
    m.create_table(
        Table::create()
            .table(K::Table)
            .col(uuid(K::UserId))
            .col(uuid(K::CircleId))
            .col(int(K::Epoch))
            .col(text(K::Sealed))
            .primary_key(
                Index::create()
                    .col(K::UserId)
                    .col(K::CircleId)
                    .col(K::Epoch),
            )
            .foreign_key(&mut fk(
                (K::Table, K::UserId),
                (Users::Table, Users::Id),
                ForeignKeyAction::Cascade,
            ))
            .foreign_key(&mut fk(
                (K::Table, K::CircleId),
                (Circles::Table, Circles::Id),
                ForeignKeyAction::Cascade,
            ))
            .to_owned(),
    )
    .await
}

async fn rosters_and_epochs(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    use ConversationEnvelopes as V;
    use ConversationEpochs as E;
    use ConversationRosters as R;
    m.create_table(
        Table::create()
            .table(R::Table)
            .col(uuid(R::CircleId))
            .col(int(R::Version))
            .col(text(R::Body))
            .col(uuid(R::SignerDeviceId))
            .col(text(R::Signature))
            .col(timestamp(R::CreatedAt))
            .primary_key(Index::create().col(R::CircleId).col(R::Version))
            .foreign_key(&mut fk(
                (R::Table, R::CircleId),
                (Circles::Table, Circles::Id),
                ForeignKeyAction::Cascade,
            ))
            .to_owned(),
    )
    .await?;
    m.create_table(
        Table::create()
            .table(E::Table)
            .col(uuid(E::CircleId))
            .col(int(E::Number))
            .col(int(E::RosterVersion))
            .col(uuid(E::CreatedByDevice))
            .col(timestamp(E::StartedAt))
            .col(timestamp_null(E::ClosedAt))
            .col(varchar_null(E::ClosedReason, 32))
            .primary_key(Index::create().col(E::CircleId).col(E::Number))
            .foreign_key(&mut fk(
                (E::Table, E::CircleId),
                (Circles::Table, Circles::Id),
                ForeignKeyAction::Cascade,
            ))
            .to_owned(),
    )
    .await?;
    m.create_table(
        Table::create()
            .table(V::Table)
            .col(uuid(V::CircleId))
            .col(int(V::Epoch))
            .col(uuid(V::RecipientDeviceId))
            .col(uuid(V::SenderDeviceId))
            .col(text(V::Wrapped))
            .col(text(V::Signature))
            .col(timestamp(V::CreatedAt))
            .primary_key(
                Index::create()
                    .col(V::CircleId)
                    .col(V::Epoch)
                    .col(V::RecipientDeviceId),
            )
            .foreign_key(&mut fk(
                (V::Table, V::CircleId),
                (Circles::Table, Circles::Id),
                ForeignKeyAction::Cascade,
            ))
            // A device that is erased takes the keys wrapped for it along.
            .foreign_key(&mut fk(
                (V::Table, V::RecipientDeviceId),
                (ConversationDevices::Table, ConversationDevices::Id),
                ForeignKeyAction::Cascade,
            ))
            .to_owned(),
    )
    .await?;
    m.create_index(index(
        "ix_conversation_envelopes_recipient",
        V::Table,
        [V::RecipientDeviceId],
    ))
    .await
}

async fn messages(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    use ConversationMessages as M;
    m.create_table(
        Table::create()
            .table(M::Table)
            .col(uuid(M::CircleId))
            .col(bigint(M::Seq))
            .col(int(M::Epoch))
            // No foreign keys to the sender: a message outlives its sender's device and
            // account (erasure blanks the ciphertext; the tombstone stays in order).
            .col(uuid(M::SenderDeviceId))
            .col(uuid(M::SenderUserId))
            .col(bigint(M::DeviceSeq))
            .col(text_null(M::Ciphertext))
            .col(text_null(M::Signature))
            .col(timestamp(M::SentAt))
            .col(timestamp_null(M::DeletedAt))
            .col(boolean(M::Pinned))
            .col(uuid(M::ClientId))
            .primary_key(Index::create().col(M::CircleId).col(M::Seq))
            .foreign_key(&mut fk(
                (M::Table, M::CircleId),
                (Circles::Table, Circles::Id),
                ForeignKeyAction::Cascade,
            ))
            .to_owned(),
    )
    .await?;
    m.create_index(unique_index(
        "ux_conversation_messages_device_seq",
        M::Table,
        [M::CircleId, M::Epoch, M::SenderDeviceId, M::DeviceSeq],
    ))
    .await?;
    m.create_index(unique_index(
        "ux_conversation_messages_client_id",
        M::Table,
        [M::CircleId, M::ClientId],
    ))
    .await?;
    // The retention jobs find old ciphertext by time.
    m.create_index(index(
        "ix_conversation_messages_sent",
        M::Table,
        [M::CircleId, M::SentAt],
    ))
    .await
}

async fn settings_and_participants(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    use ConversationParticipants as P;
    use ConversationSettings as S;
    m.create_table(
        Table::create()
            .table(S::Table)
            .col(uuid(S::CircleId).primary_key())
            .col(boolean(S::ShareHistory))
            .col(int_null(S::DisappearingDays))
            .foreign_key(&mut fk(
                (S::Table, S::CircleId),
                (Circles::Table, Circles::Id),
                ForeignKeyAction::Cascade,
            ))
            .to_owned(),
    )
    .await?;
    m.create_table(
        Table::create()
            .table(P::Table)
            .col(uuid(P::CircleId))
            .col(uuid(P::UserId))
            .col(bigint(P::LastReadSeq))
            .col(boolean(P::Muted))
            .col(timestamp_null(P::LastNotifiedAt))
            .col(timestamp_null(P::OnlineUntil))
            .primary_key(Index::create().col(P::CircleId).col(P::UserId))
            .foreign_key(&mut fk(
                (P::Table, P::CircleId),
                (Circles::Table, Circles::Id),
                ForeignKeyAction::Cascade,
            ))
            .foreign_key(&mut fk(
                (P::Table, P::UserId),
                (Users::Table, Users::Id),
                ForeignKeyAction::Cascade,
            ))
            .to_owned(),
    )
    .await?;
    m.create_index(index(
        "ix_conversation_participants_user",
        P::Table,
        [P::UserId],
    ))
    .await
}

/// Meeting notes move inside the circle's boundary: sealed under an epoch key by a
/// leader's browser, after which the plain note is deleted. (SQLite adds one column per
/// statement.)
async fn sealed_notes(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    m.alter_table(
        Table::alter()
            .table(Meetings::Table)
            .add_column(text_null(Meetings::NoteSealed))
            .to_owned(),
    )
    .await?;
    m.alter_table(
        Table::alter()
            .table(Meetings::Table)
            .add_column(int_null(Meetings::NoteEpoch))
            .to_owned(),
    )
    .await
}
