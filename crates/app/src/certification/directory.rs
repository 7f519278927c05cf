//! Who is a certified facilitator now: the Program Team's list (with the circles each
//! leads, by name only, and when his certification runs out) and the choice a circle's
//! leaders pick a co-facilitator from.
//!
//! Circle names are public to the organisation; nothing circle-private (members, notes,
//! attendance) is read here.

use super::current_filter;
use crate::authz::circle::Leading;
use crate::authz::{can, Granted};
use crate::{Context, Result};
use chrono::{DateTime, Duration, Utc};
use db::main_db::{
    circle_memberships as memberships, circles, facilitator_certifications as certs, user_roles,
    users,
};
use db::sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use domain::circle::{CircleRole, MembershipStatus};
use domain::Role;
use serde::Serialize;
use std::collections::HashMap;
use uuid::Uuid;

/// Certifications running out within this many days are flagged on the list.
pub const EXPIRING_WITHIN_DAYS: i64 = 60;

/// One certified facilitator as the Program Team sees him.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FacilitatorEntry {
    pub user_id: Uuid,
    pub display_name: String,
    pub email: String,
    /// When his certification runs out (the latest of his current ones); none: it does not.
    pub expires_at: Option<DateTime<Utc>>,
    /// It runs out within the next 60 days.
    pub expiring_soon: bool,
    /// The names of the circles he leads (facilitator or co-facilitator).
    pub circles: Vec<String>,
}

/// People with the Facilitator role and a current certification, with its latest expiry
/// (`None`: one that never expires), by user.
async fn certified(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<HashMap<Uuid, Option<DateTime<Utc>>>> {
    let with_role: Vec<Uuid> = user_roles::Entity::find()
        .filter(user_roles::Column::Role.eq(Role::Facilitator))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.user_id)
        .collect();
    let mut out: HashMap<Uuid, Option<DateTime<Utc>>> = HashMap::new();
    for c in certs::Entity::find()
        .filter(certs::Column::UserId.is_in(with_role))
        .filter(current_filter(now))
        .all(db)
        .await?
    {
        let latest = out.entry(c.user_id).or_insert(c.expires_at);
        *latest = match (*latest, c.expires_at) {
            (None, _) | (_, None) => None,
            (Some(a), Some(b)) => Some(a.max(b)),
        };
    }
    Ok(out)
}

/// Every certified facilitator, by name, with his circles; those whose certification runs
/// out within 60 days only, when `expiring_only`. For the Program Team and Admins.
#[tracing::instrument(skip_all, fields(actor_id = %_g.actor_id()), err(level = "info"))]
pub async fn facilitators(
    ctx: &Context,
    _g: Granted<can::CertifyFacilitators>,
    expiring_only: bool,
) -> Result<Vec<FacilitatorEntry>> {
    let now = ctx.now();
    let soon = now + Duration::days(EXPIRING_WITHIN_DAYS);
    let certified = certified(&ctx.main, now).await?;
    let people = users::Entity::find()
        .filter(users::Column::Id.is_in(certified.keys().copied()))
        .all(&ctx.main)
        .await?;
    let leading = memberships::Entity::find()
        .filter(memberships::Column::UserId.is_in(certified.keys().copied()))
        .filter(memberships::Column::Status.eq(MembershipStatus::Active))
        .filter(memberships::Column::Role.is_in(CircleRole::leading()))
        .all(&ctx.main)
        .await?;
    let names: HashMap<Uuid, String> = circles::Entity::find()
        .filter(circles::Column::Id.is_in(leading.iter().map(|m| m.circle_id)))
        .all(&ctx.main)
        .await?
        .into_iter()
        .filter(|c| !c.status.is_read_only())
        .map(|c| (c.id, c.name))
        .collect();
    let mut circles_of: HashMap<Uuid, Vec<String>> = HashMap::new();
    for m in leading {
        if let Some(name) = names.get(&m.circle_id) {
            circles_of.entry(m.user_id).or_default().push(name.clone());
        }
    }
    let mut out: Vec<FacilitatorEntry> = people
        .into_iter()
        .map(|u| {
            let expires_at = certified.get(&u.id).copied().flatten();
            let mut circles = circles_of.remove(&u.id).unwrap_or_default();
            circles.sort();
            FacilitatorEntry {
                expiring_soon: expires_at.is_some_and(|e| e <= soon),
                user_id: u.id,
                display_name: u.display_name,
                email: u.email,
                expires_at,
                circles,
            }
        })
        .filter(|f| !expiring_only || f.expiring_soon)
        .collect();
    out.sort_by(|a, b| {
        a.display_name
            .cmp(&b.display_name)
            .then(a.user_id.cmp(&b.user_id))
    });
    Ok(out)
}

/// The certified facilitators a leader can make co-facilitator of his circle: everyone
/// certified but himself and those leading it already, as (id, name), by name.
#[tracing::instrument(skip_all, fields(actor_id = %lead.actor_id(), circle_id = %lead.circle_id()), err(level = "info"))]
pub async fn co_facilitator_choices(ctx: &Context, lead: &Leading) -> Result<Vec<(Uuid, String)>> {
    let certified = certified(&ctx.main, ctx.now()).await?;
    let leaders: Vec<Uuid> = crate::circles::leader_ids(&ctx.main, lead.circle_id()).await?;
    let mut out: Vec<(Uuid, String)> = users::Entity::find()
        .filter(users::Column::Id.is_in(certified.keys().copied()))
        .all(&ctx.main)
        .await?
        .into_iter()
        .filter(|u| u.id != lead.actor_id() && !leaders.contains(&u.id))
        .map(|u| (u.id, u.display_name))
        .collect();
    out.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
    Ok(out)
}
