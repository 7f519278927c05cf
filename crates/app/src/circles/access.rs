//! Who may do what in one circle: the resource checks that build on the global grants
//! (`crate::authz`). Every circle use case asks here; none decides by itself.
//!
//! - A circle's *leaders* are its facilitator and co-facilitators (active memberships with a
//!   leading role). Admins may act as leaders of any circle ([`oversees_all_circles`]),
//!   so a circle whose facilitator is gone can still be run; see docs/security.md.
//! - Its *members* are active memberships of any role.
//! - Everyone else is an outsider: they see the public description, never who is in it.

use super::find_circle;
use crate::authz::Actor;
use crate::{Context, Error, Result};
use db::main_db::{circle_memberships as memberships, circles};
use db::sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use domain::circle::{CircleRole, MembershipStatus};
use domain::Role;
use uuid::Uuid;

/// Proof that the actor leads this circle (or oversees all circles): the circle's
/// management use cases take it, so they cannot be reached without the check.
#[derive(Debug, Clone)]
pub struct Leading {
    actor_id: Uuid,
    circle: circles::Model,
}

impl Leading {
    pub fn actor_id(&self) -> Uuid {
        self.actor_id
    }

    /// The circle as read when the check was made.
    pub fn circle(&self) -> &circles::Model {
        &self.circle
    }

    pub fn circle_id(&self) -> Uuid {
        self.circle.id
    }
}

/// How the actor stands in one circle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Facilitator, co-facilitator, or an Admin overseeing the circle.
    Leader,
    /// An active member.
    Member,
    Outsider,
}

impl Standing {
    /// Members and leaders see who is in the circle and its online link.
    pub fn sees_members(self) -> bool {
        matches!(self, Standing::Leader | Standing::Member)
    }
}

/// Admins may manage every circle (edit, approve, invite, remove). This grants no access
/// to a circle's messages, which no global role has.
pub fn oversees_all_circles(actor: &Actor) -> bool {
    actor.roles.contains(&Role::Admin)
}

/// The active membership of `user_id` in the circle, if any.
pub(crate) async fn active_membership(
    db: &impl ConnectionTrait,
    circle_id: Uuid,
    user_id: Uuid,
) -> Result<Option<memberships::Model>> {
    Ok(memberships::Entity::find()
        .filter(memberships::Column::CircleId.eq(circle_id))
        .filter(memberships::Column::UserId.eq(user_id))
        .filter(memberships::Column::Status.eq(MembershipStatus::Active.as_str()))
        .one(db)
        .await?)
}

/// Whether the user is an active member (of any role) of the circle.
pub async fn is_member(db: &impl ConnectionTrait, circle_id: Uuid, user_id: Uuid) -> Result<bool> {
    Ok(active_membership(db, circle_id, user_id).await?.is_some())
}

pub async fn standing(ctx: &Context, actor: &Actor, circle_id: Uuid) -> Result<Standing> {
    let m = active_membership(&ctx.main, circle_id, actor.id()).await?;
    let role = m.and_then(|m| CircleRole::parse(&m.role));
    Ok(match role {
        Some(r) if r.leads() => Standing::Leader,
        _ if oversees_all_circles(actor) => Standing::Leader,
        Some(_) => Standing::Member,
        None => Standing::Outsider,
    })
}

/// The proof that `actor` leads the circle, or `Forbidden` (`NotFound` when there is no
/// such circle).
pub async fn lead(ctx: &Context, actor: &Actor, circle_id: Uuid) -> Result<Leading> {
    let circle = find_circle(&ctx.main, circle_id).await?;
    if standing(ctx, actor, circle_id).await? == Standing::Leader {
        Ok(Leading {
            actor_id: actor.id(),
            circle,
        })
    } else {
        Err(Error::Forbidden)
    }
}
