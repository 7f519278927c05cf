//! A browser profile a user talks from: its public keys, and the certificate his identity
//! key signed for it (none while it waits for approval).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "conversation_devices")]
pub struct Model {
    /// Chosen by the browser (UUID v4), so it can be signed before it is registered.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub ecdh_public: String,
    pub signing_public: String,
    pub certificate: Option<String>,
    /// The backup's plaintext encrypted to this device by the device that approved it.
    pub transfer: Option<String>,
    pub created_at: DateTimeUtc,
    pub last_seen_at: DateTimeUtc,
    pub revoked_at: Option<DateTimeUtc>,
}

impl Model {
    /// A device that may receive epoch keys and post: certified and not revoked.
    pub fn is_usable(&self) -> bool {
        self.certificate.is_some() && self.revoked_at.is_none()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
