//! What a member's browser reads to take part: the circle's people and their devices'
//! public keys, the signed roster, the open epoch and the keys wrapped for his device,
//! pinned messages, and his own place; and the list of his conversations.

use super::epochs::Epoch;
use super::errors::ConversationError;
use super::messages::{last_seq, Message};
use super::reading::{pinned, readable};
use super::roster::{Roster, RosterBody};
use super::settings::{participation, Settings};
use super::{active_members, latest_epoch, latest_roster, settings_of};
use crate::authz::circle::Conversing;
use crate::authz::{can, Actor};
use crate::{Context, Result};
use chrono::{DateTime, Utc};
use db::main_db::{
    circles, conversation_devices as devices, conversation_envelopes as envelopes,
    conversation_identities as identities, conversation_rosters as rosters, users,
};
use db::sea_orm::sea_query::Expr;
use db::sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use domain::circle::{CircleRole, CircleStatus};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// A device of a member, as the other members' browsers need it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MemberDevice {
    pub id: Uuid,
    pub name: String,
    pub ecdh_public: String,
    pub signing_public: String,
    pub certificate: Option<String>,
    pub revoked: bool,
}

/// A person of the circle with his keys.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MemberKeys {
    pub user_id: Uuid,
    pub display_name: String,
    #[schema(value_type = crate::api_schema::CircleRole)]
    pub role: CircleRole,
    pub joined_at: Option<DateTime<Utc>>,
    pub identity_public: Option<String>,
    pub devices: Vec<MemberDevice>,
}

/// The key of one epoch wrapped for the asking device.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Envelope {
    pub epoch: i32,
    pub sender_device_id: Uuid,
    pub wrapped: String,
    pub signature: String,
}

/// Everything a member's browser needs to take part in the circle's conversation.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ConversationView {
    pub circle_id: Uuid,
    #[schema(value_type = crate::api_schema::CircleRole)]
    pub my_role: CircleRole,
    pub settings: Settings,
    pub members: Vec<MemberKeys>,
    pub roster: Option<Roster>,
    pub epoch: Option<Epoch>,
    /// The keys wrapped for the device named in the request (none when no device was named).
    pub envelopes: Vec<Envelope>,
    /// Approved, unrevoked devices of current members that lack the open epoch's key.
    pub devices_missing_envelope: Vec<Uuid>,
    pub pinned: Vec<Message>,
    pub last_seq: i64,
    pub last_read_seq: i64,
    pub muted: bool,
}

/// The conversation as the actor's `device` (one of his own) sees it.
#[tracing::instrument(skip_all, fields(actor_id = %conv.actor_id(), circle_id = %conv.circle_id()), err(level = "info"))]
pub async fn conversation(
    ctx: &Context,
    conv: &Conversing,
    device: Option<Uuid>,
) -> Result<ConversationView> {
    let db = &ctx.main;
    let circle_id = conv.circle_id();
    if let Some(id) = device {
        seen(ctx, conv, id).await?;
    }
    let members = member_keys(db, circle_id).await?;
    let my_role = members
        .iter()
        .find(|m| m.user_id == conv.actor_id())
        .map_or(CircleRole::Member, |m| m.role);
    let epoch = latest_epoch(db, circle_id).await?;
    let roster = latest_roster(db, circle_id).await?;
    let missing = match epoch.as_ref().filter(|e| e.is_open()) {
        Some(open) => {
            let on_roster = keys_on(roster.as_ref(), &members);
            missing_envelope(db, circle_id, open.number, &on_roster).await?
        }
        None => Vec::new(),
    };
    let can_read = readable(db, circle_id, conv.actor_id()).await?;
    let mine = participation(db, circle_id, conv.actor_id()).await?;
    Ok(ConversationView {
        circle_id,
        my_role,
        settings: Settings::from_row(&settings_of(db, circle_id).await?),
        roster: roster.map(Roster::from),
        epoch: epoch.map(Epoch::from),
        envelopes: envelopes_for(db, circle_id, device).await?,
        devices_missing_envelope: missing,
        pinned: pinned(db, circle_id, &can_read).await?,
        last_seq: last_seq(db, circle_id).await?,
        last_read_seq: mine.last_read_seq,
        muted: mine.muted,
        members,
    })
}

/// How stale a device's "last seen" may grow before reading the conversation renews it
/// (a write on every read would be wasted).
const SEEN_EVERY_MINUTES: i64 = 10;

/// Checks that `id` is one of the actor's devices and notes that it was seen.
async fn seen(ctx: &Context, conv: &Conversing, id: Uuid) -> Result<()> {
    let device = devices::Entity::find_by_id(id)
        .one(&ctx.main)
        .await?
        .filter(|d| d.user_id == conv.actor_id())
        .ok_or(ConversationError::NotYourDevice)?;
    let now = ctx.now();
    if device.last_seen_at < now - chrono::Duration::minutes(SEEN_EVERY_MINUTES) {
        devices::Entity::update_many()
            .col_expr(devices::Column::LastSeenAt, Expr::value(now))
            .filter(devices::Column::Id.eq(id))
            .exec(&ctx.main)
            .await?;
    }
    Ok(())
}

async fn member_keys(db: &impl ConnectionTrait, circle_id: Uuid) -> Result<Vec<MemberKeys>> {
    let memberships = active_members(db, circle_id).await?;
    let ids: Vec<Uuid> = memberships.iter().map(|m| m.user_id).collect();
    let names: HashMap<Uuid, String> = users::Entity::find()
        .filter(users::Column::Id.is_in(ids.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect();
    let keys: HashMap<Uuid, String> = identities::Entity::find()
        .filter(identities::Column::UserId.is_in(ids.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|i| (i.user_id, i.identity_public))
        .collect();
    let mut by_user: HashMap<Uuid, Vec<MemberDevice>> = HashMap::new();
    for d in devices::Entity::find()
        .filter(devices::Column::UserId.is_in(ids))
        .order_by_asc(devices::Column::CreatedAt)
        .all(db)
        .await?
    {
        by_user.entry(d.user_id).or_default().push(MemberDevice {
            revoked: d.revoked_at.is_some(),
            id: d.id,
            name: d.name,
            ecdh_public: d.ecdh_public,
            signing_public: d.signing_public,
            certificate: d.certificate,
        });
    }
    Ok(memberships
        .into_iter()
        .map(|m| MemberKeys {
            display_name: names.get(&m.user_id).cloned().unwrap_or_default(),
            identity_public: keys.get(&m.user_id).cloned(),
            devices: by_user.remove(&m.user_id).unwrap_or_default(),
            user_id: m.user_id,
            role: m.role,
            joined_at: m.joined_at,
        })
        .collect())
}

/// The members whose current identity key the roster names: only their devices may be
/// given the circle's key.
fn keys_on<'m>(roster: Option<&rosters::Model>, members: &'m [MemberKeys]) -> Vec<&'m MemberKeys> {
    let Some(body) = roster.and_then(|r| RosterBody::parse(&r.body)) else {
        return Vec::new();
    };
    members
        .iter()
        .filter(|m| {
            body.members.iter().any(|r| {
                r.user == m.user_id && r.identity.is_some() && r.identity == m.identity_public
            })
        })
        .collect()
}

async fn missing_envelope(
    db: &impl ConnectionTrait,
    circle_id: Uuid,
    epoch: i32,
    members: &[&MemberKeys],
) -> Result<Vec<Uuid>> {
    let holding: HashSet<Uuid> = envelopes::Entity::find()
        .filter(envelopes::Column::CircleId.eq(circle_id))
        .filter(envelopes::Column::Epoch.eq(epoch))
        .all(db)
        .await?
        .into_iter()
        .map(|e| e.recipient_device_id)
        .collect();
    Ok(members
        .iter()
        .flat_map(|m| &m.devices)
        .filter(|d| !d.revoked && d.certificate.is_some() && !holding.contains(&d.id))
        .map(|d| d.id)
        .collect())
}

async fn envelopes_for(
    db: &impl ConnectionTrait,
    circle_id: Uuid,
    device: Option<Uuid>,
) -> Result<Vec<Envelope>> {
    let Some(device) = device else {
        return Ok(Vec::new());
    };
    Ok(envelopes::Entity::find()
        .filter(envelopes::Column::CircleId.eq(circle_id))
        .filter(envelopes::Column::RecipientDeviceId.eq(device))
        .order_by_asc(envelopes::Column::Epoch)
        .all(db)
        .await?
        .into_iter()
        .map(|e| Envelope {
            epoch: e.epoch,
            sender_device_id: e.sender_device_id,
            wrapped: e.wrapped,
            signature: e.signature,
        })
        .collect())
}

/// One of the actor's conversations in the list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MyConversation {
    pub circle_id: Uuid,
    pub circle_name: String,
    pub last_seq: i64,
    pub last_read_seq: i64,
    /// `last_seq - last_read_seq`: an upper bound, as the server cannot tell which of
    /// them are his own or unreadable to him.
    pub unread: i64,
    pub muted: bool,
}

/// The conversations of the circles the actor is in now (archived circles excepted).
#[tracing::instrument(skip_all, fields(actor_id = %actor.id()), err(level = "info"))]
pub async fn my_conversations(ctx: &Context, actor: &Actor) -> Result<Vec<MyConversation>> {
    actor.require::<can::Participate>()?;
    let db = &ctx.main;
    let ids = super::identity::circles_of(db, actor.id()).await?;
    let list = circles::Entity::find()
        .filter(circles::Column::Id.is_in(ids))
        .filter(circles::Column::Status.ne(CircleStatus::Archived))
        .order_by_asc(circles::Column::Name)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(list.len());
    for c in list {
        let last = last_seq(db, c.id).await?;
        let mine = participation(db, c.id, actor.id()).await?;
        out.push(MyConversation {
            circle_id: c.id,
            circle_name: c.name,
            last_seq: last,
            last_read_seq: mine.last_read_seq,
            unread: (last - mine.last_read_seq).max(0),
            muted: mine.muted,
        });
    }
    Ok(out)
}
