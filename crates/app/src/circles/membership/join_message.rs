//! The message a person writes when asking to join, kept out of the server's reach (issue
//! 12): his browser seals it to the circle leaders' devices, so only they read it; without
//! JavaScript, or while no leader has a device, the server encrypts it at rest with its
//! field key (a stolen database then holds no plain message, though the server itself could
//! read it). Plain messages from before migration m0010 are encrypted at start-up.

use super::Asking;
use crate::{certification, Context, Error, Result};
use db::main_db::{
    circle_memberships as memberships, conversation_devices as devices,
    conversation_identities as identities,
};
use db::sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use domain::circle::{CircleRole, MembershipStatus};
use domain::conversation::{PublicKey, SealedRequest, WrappedKey, MAX_REQUEST_ENVELOPES};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// A message sealed in the requester's browser: a random content key encrypts the text
/// (AES-256-GCM, AAD `circles/join-request/v1|<circle>|<requester>`), and is wrapped for
/// each leader device with AES-KW under HKDF-SHA256 of ECDH(ephemeral, device), info
/// `circles/join-request/v1|<circle>|<requester>|<device>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SealedJoinMessage {
    /// The ephemeral ECDH P-256 public key (SPKI) the browser made for this message.
    pub ephemeral_public: PublicKey,
    /// IV ‖ AES-GCM output of the message's UTF-8 text.
    pub ciphertext: SealedRequest,
    /// The content key wrapped for each leader device it was sealed to.
    pub envelopes: Vec<JoinEnvelope>,
}

/// The content key of a sealed message, wrapped for one leader device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JoinEnvelope {
    pub device_id: Uuid,
    pub wrapped: WrappedKey,
}

/// What a person sends with his request.
#[derive(Debug, Clone)]
pub enum JoinMessage {
    /// Typed without JavaScript (or with no leader device to seal to): encrypted at rest.
    Plain(String),
    /// Sealed in his browser to the leaders' devices.
    Sealed(SealedJoinMessage),
}

impl JoinMessage {
    /// The message from a form or request body: a plain text, a sealed one, or none; never
    /// both (the browser empties the text box once it has sealed what was in it).
    pub fn from_parts(
        plain: Option<&str>,
        sealed: Option<SealedJoinMessage>,
    ) -> Result<Option<JoinMessage>> {
        let plain = crate::circles::optional_text(plain, "message", 500)?;
        match (plain, sealed) {
            (Some(_), Some(_)) => Err(Error::invalid(
                "message",
                "Send the message either sealed or as plain text, not both.",
            )),
            (Some(text), None) => Ok(Some(JoinMessage::Plain(text))),
            (None, Some(sealed)) => Ok(Some(JoinMessage::Sealed(sealed))),
            (None, None) => Ok(None),
        }
    }

    /// Reads the sealed form a browser put in the join form's hidden field.
    pub fn parse_sealed(json: &str) -> Result<Option<SealedJoinMessage>> {
        let json = json.trim();
        if json.is_empty() {
            return Ok(None);
        }
        serde_json::from_str(json).map(Some).map_err(|_| {
            Error::invalid(
                "message",
                "The sealed message could not be read: reload the page and send it again.",
            )
        })
    }
}

/// A leader device a requester's browser seals his message to: public keys and the
/// certificate his browser checks against the leader's identity key. Nothing else.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LeaderDevice {
    pub user_id: Uuid,
    pub device_id: Uuid,
    /// The leader's identity key, which signed the certificate.
    pub identity_public: String,
    pub ecdh_public: String,
    pub signing_public: String,
    pub certificate: String,
}

/// The certified, unrevoked devices of the circle's current leaders (facilitator and
/// co-facilitators with a current certification), for someone who may ask to join.
#[tracing::instrument(skip_all, fields(actor_id = %asking.actor_id(), circle_id = %asking.circle_id()), err(level = "info"))]
pub async fn leader_devices(ctx: &Context, asking: &Asking) -> Result<Vec<LeaderDevice>> {
    current_leader_devices(&ctx.main, ctx, asking.circle_id()).await
}

async fn current_leader_devices(
    db: &impl ConnectionTrait,
    ctx: &Context,
    circle_id: Uuid,
) -> Result<Vec<LeaderDevice>> {
    let mut leaders = Vec::new();
    for m in memberships::Entity::find()
        .filter(memberships::Column::CircleId.eq(circle_id))
        .filter(memberships::Column::Status.eq(MembershipStatus::Active))
        .filter(memberships::Column::Role.is_in(CircleRole::leading()))
        .all(db)
        .await?
    {
        if certification::is_current(db, m.user_id, ctx.now()).await? {
            leaders.push(m.user_id);
        }
    }
    let keys: HashMap<Uuid, String> = identities::Entity::find()
        .filter(identities::Column::UserId.is_in(leaders.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|i| (i.user_id, i.identity_public))
        .collect();
    let rows = devices::Entity::find()
        .filter(devices::Column::UserId.is_in(leaders))
        .filter(devices::Column::RevokedAt.is_null())
        .filter(devices::Column::Certificate.is_not_null())
        .order_by_asc(devices::Column::Id)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|d| {
            Some(LeaderDevice {
                identity_public: keys.get(&d.user_id)?.clone(),
                certificate: d.certificate?,
                user_id: d.user_id,
                device_id: d.id,
                ecdh_public: d.ecdh_public,
                signing_public: d.signing_public,
            })
        })
        .collect())
}

/// The message columns of a request row: at most one of them holds the message.
pub(super) struct StoredMessage {
    pub sealed: Option<String>,
    pub encrypted: Option<String>,
    pub key_version: Option<i32>,
}

impl StoredMessage {
    pub fn apply(self, row: &mut memberships::ActiveModel) {
        row.message = Set(None);
        row.message_sealed = Set(self.sealed);
        row.message_encrypted = Set(self.encrypted);
        row.message_key_version = Set(self.key_version);
    }
}

/// What to store for `message` sent by `user_id` to `circle_id`. A sealed message must be
/// sealed only to current leader devices of this circle, each once.
pub(super) async fn to_store(
    db: &impl ConnectionTrait,
    ctx: &Context,
    circle_id: Uuid,
    user_id: Uuid,
    message: Option<JoinMessage>,
) -> Result<StoredMessage> {
    let stored = match message {
        None => StoredMessage {
            sealed: None,
            encrypted: None,
            key_version: None,
        },
        Some(JoinMessage::Plain(text)) => {
            let (ct, version) = ctx
                .keys
                .fields
                .encrypt(text.as_bytes(), &aad(circle_id, user_id));
            StoredMessage {
                sealed: None,
                encrypted: Some(ct),
                key_version: Some(version),
            }
        }
        Some(JoinMessage::Sealed(sealed)) => {
            check_envelopes(db, ctx, circle_id, &sealed).await?;
            StoredMessage {
                sealed: Some(serde_json::to_string(&sealed).map_err(anyhow::Error::from)?),
                encrypted: None,
                key_version: None,
            }
        }
    };
    Ok(stored)
}

async fn check_envelopes(
    db: &impl ConnectionTrait,
    ctx: &Context,
    circle_id: Uuid,
    sealed: &SealedJoinMessage,
) -> Result<()> {
    let refuse = |why: &str| Error::invalid("message", why.to_owned());
    if sealed.envelopes.is_empty() || sealed.envelopes.len() > MAX_REQUEST_ENVELOPES {
        return Err(refuse(&format!(
            "Seal the message to 1 to {MAX_REQUEST_ENVELOPES} leader devices."
        )));
    }
    let current: HashSet<Uuid> = current_leader_devices(db, ctx, circle_id)
        .await?
        .into_iter()
        .map(|d| d.device_id)
        .collect();
    let mut seen = HashSet::new();
    for e in &sealed.envelopes {
        if !seen.insert(e.device_id) {
            return Err(refuse("Seal the message to each leader device once."));
        }
        if !current.contains(&e.device_id) {
            return Err(refuse(
                "The circle's leaders' devices changed: reload the page and send it again.",
            ));
        }
    }
    Ok(())
}

/// The associated data that binds an at-rest message to its circle and author.
fn aad(circle_id: Uuid, user_id: Uuid) -> Vec<u8> {
    format!("circles/join-request/v1|{circle_id}|{user_id}").into_bytes()
}

/// The message of a request as its circle's leaders get it: the plain text of one encrypted
/// at rest, or the sealed form their browsers open.
pub(super) fn for_leaders(
    ctx: &Context,
    m: &memberships::Model,
) -> Result<(Option<String>, Option<SealedJoinMessage>)> {
    let plain = match (&m.message_encrypted, m.message_key_version) {
        (Some(ct), Some(version)) => {
            let bytes = ctx
                .keys
                .fields
                .decrypt(ct, version, &aad(m.circle_id, m.user_id))?;
            Some(String::from_utf8(bytes).map_err(anyhow::Error::from)?)
        }
        _ => None,
    };
    let sealed = match &m.message_sealed {
        Some(json) => Some(serde_json::from_str(json).map_err(anyhow::Error::from)?),
        None => None,
    };
    Ok((plain, sealed))
}

/// Moves a plain message of `row` into its at-rest form (start-up and the demo seed).
pub(crate) fn encrypt_row(ctx: &Context, row: &mut memberships::Model) {
    if let Some(text) = row.message.take() {
        let (ct, version) = ctx
            .keys
            .fields
            .encrypt(text.as_bytes(), &aad(row.circle_id, row.user_id));
        row.message_encrypted = Some(ct);
        row.message_key_version = Some(version);
    }
}

/// Encrypts every plain message left from before migration m0010 with the field key and
/// empties the plain column: idempotent (a row already moved has no plain message), and a
/// row is only changed while it still holds the text that was encrypted. Returns how many
/// rows were moved.
#[tracing::instrument(skip_all, err)]
pub async fn encrypt_plain_messages(ctx: &Context) -> Result<u64> {
    let rows = memberships::Entity::find()
        .filter(memberships::Column::Message.is_not_null())
        .all(&ctx.main)
        .await?;
    let mut moved = 0;
    for mut row in rows {
        let Some(text) = row.message.clone() else {
            continue;
        };
        encrypt_row(ctx, &mut row);
        let res = memberships::Entity::update_many()
            .set(memberships::ActiveModel {
                message: Set(None),
                message_sealed: Set(None),
                message_encrypted: Set(row.message_encrypted),
                message_key_version: Set(row.message_key_version),
                ..Default::default()
            })
            .filter(memberships::Column::Id.eq(row.id))
            .filter(memberships::Column::Message.eq(text))
            .exec(&ctx.main)
            .await?;
        moved += res.rows_affected;
    }
    if moved > 0 {
        tracing::info!(moved, "join-request messages encrypted at rest");
    }
    Ok(moved)
}
