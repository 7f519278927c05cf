//! The circle's roster: who is in it, with which identity key, as a leader's device signed
//! it. Browsers wrap keys only for people on a roster they verified; the server accepts a
//! new version only when it lists exactly the circle's current members with their current
//! identity keys, so a roster never names someone the circle does not hold.

use super::errors::ConversationError;
use super::{active_members, latest_roster, lock_for_write, notify_changed, usable_device};
use crate::audit::{self, Action, Entry};
use crate::authz::circle::Conversing;
use crate::{Context, Error, RequestMeta, Result};
use chrono::{DateTime, Utc};
use db::main_db::{conversation_identities as identities, conversation_rosters as rosters};
use db::sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use domain::circle::CircleRole;
use domain::conversation::{Signature, MAX_ROSTER_CHARS};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use uuid::Uuid;

/// A roster as stored and sent.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Roster {
    pub version: i32,
    /// The canonical JSON text that was signed.
    pub body: String,
    pub signer_device_id: Uuid,
    pub signature: String,
    pub created_at: DateTime<Utc>,
}

impl From<rosters::Model> for Roster {
    fn from(r: rosters::Model) -> Self {
        Roster {
            version: r.version,
            body: r.body,
            signer_device_id: r.signer_device_id,
            signature: r.signature,
            created_at: r.created_at,
        }
    }
}

/// A leader's device sends the next roster.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct SignedRoster {
    /// The latest version plus one (1 for the first).
    pub version: i32,
    /// Canonical JSON: `{"t":"roster","circle":…,"version":N,"members":[{"user","role","identity"}…]}`,
    /// members sorted by user id, no spaces.
    #[schema(max_length = 32768)]
    pub body: String,
    pub signer_device_id: Uuid,
    pub signature: Signature,
}

/// The roster body's fields, in their canonical order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RosterBody {
    pub t: String,
    pub circle: Uuid,
    pub version: i32,
    pub members: Vec<RosterMember>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RosterMember {
    pub user: Uuid,
    pub role: CircleRole,
    /// The member's identity key; none for a member who has not set up keys yet (his
    /// devices get no circle key until a roster names it).
    pub identity: Option<String>,
}

impl RosterBody {
    /// Reads a stored or sent body; `None` when it is not a roster body at all.
    pub(super) fn parse(text: &str) -> Option<RosterBody> {
        serde_json::from_str(text).ok()
    }

    /// The members with an identity key on this roster.
    pub(super) fn keyed_members(&self) -> impl Iterator<Item = Uuid> + '_ {
        self.members
            .iter()
            .filter(|m| m.identity.is_some())
            .map(|m| m.user)
    }
}

/// Stores the next version of the circle's roster, signed by one of the actor's devices
/// (leaders only).
#[tracing::instrument(skip_all, fields(actor_id = %conv.actor_id(), circle_id = %conv.circle_id()), err(level = "info"))]
pub async fn sign_roster(
    ctx: &Context,
    meta: &RequestMeta,
    conv: &Conversing,
    input: SignedRoster,
) -> Result<Roster> {
    if !conv.leads() {
        return Err(ConversationError::LeadersOnly.into());
    }
    let circle_id = conv.circle_id();
    let body = check_body(&input, circle_id)?;
    let now = ctx.now();
    let txn = db::begin_write(&ctx.main).await?;
    lock_for_write(&txn, circle_id).await?;
    let latest = latest_roster(&txn, circle_id)
        .await?
        .map_or(0, |r| r.version);
    if input.version != latest + 1 {
        return Err(ConversationError::RosterOutOfDate.into());
    }
    usable_device(&txn, conv.actor_id(), input.signer_device_id).await?;
    matches_the_circle(&txn, circle_id, &body).await?;
    let row = rosters::ActiveModel {
        circle_id: Set(circle_id),
        version: Set(input.version),
        body: Set(input.body),
        signer_device_id: Set(input.signer_device_id),
        signature: Set(input.signature.into_inner()),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        meta,
        Entry::new(Action::ConversationRosterSigned)
            .on("circle", circle_id)
            .details(serde_json::json!({ "version": row.version })),
    )
    .await?;
    txn.commit().await?;
    notify_changed(ctx, circle_id).await;
    Ok(row.into())
}

/// The body must be this circle's roster of this version, in canonical form.
fn check_body(input: &SignedRoster, circle_id: Uuid) -> Result<RosterBody> {
    let refuse = |why: &str| Error::invalid("body", why.to_owned());
    if input.body.chars().count() > MAX_ROSTER_CHARS {
        return Err(refuse("The roster body is too long."));
    }
    let body = RosterBody::parse(&input.body).ok_or_else(|| {
        refuse("The body is not a roster: {\"t\":\"roster\",\"circle\",\"version\",\"members\"}.")
    })?;
    if body.t != "roster" || body.circle != circle_id || body.version != input.version {
        return Err(refuse(
            "The body must be the roster of this circle, of the version sent.",
        ));
    }
    let sorted = body
        .members
        .windows(2)
        .all(|w| w[0].user.to_string() < w[1].user.to_string());
    if !sorted {
        return Err(refuse("List each member once, sorted by user id."));
    }
    let canonical = serde_json::to_string(&body).map_err(anyhow::Error::from)?;
    if canonical != input.body {
        return Err(refuse(
            "The body is not in canonical form (fields in order, no spaces).",
        ));
    }
    Ok(body)
}

/// The roster lists exactly the circle's active members, in their roles, with the identity
/// key each has registered (or none yet).
async fn matches_the_circle(
    txn: &impl ConnectionTrait,
    circle_id: Uuid,
    body: &RosterBody,
) -> Result<()> {
    let members = active_members(txn, circle_id).await?;
    let ids: Vec<Uuid> = members.iter().map(|m| m.user_id).collect();
    let keys: HashMap<Uuid, String> = identities::Entity::find()
        .filter(identities::Column::UserId.is_in(ids))
        .all(txn)
        .await?
        .into_iter()
        .map(|i| (i.user_id, i.identity_public))
        .collect();
    let roles: HashMap<Uuid, CircleRole> = members.iter().map(|m| (m.user_id, m.role)).collect();
    if body.members.len() != roles.len() {
        return Err(ConversationError::RosterMismatch.with(format!(
            "The circle has {} members and leaders; the roster lists {}.",
            roles.len(),
            body.members.len()
        )));
    }
    for m in &body.members {
        let Some(role) = roles.get(&m.user) else {
            return Err(
                ConversationError::RosterMismatch.with(format!("{} is not in the circle.", m.user))
            );
        };
        if *role != m.role {
            return Err(ConversationError::RosterMismatch.with(format!(
                "{} is a {} of the circle.",
                m.user,
                role.as_str()
            )));
        }
        if m.identity.is_some() && m.identity.as_ref() != keys.get(&m.user) {
            return Err(ConversationError::RosterMismatch
                .with(format!("{}'s identity key is not the one listed.", m.user)));
        }
    }
    Ok(())
}
