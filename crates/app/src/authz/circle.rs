//! How an actor stands in one circle, from the state as it is now.
//!
//! - A circle's *leaders* are its facilitator and co-facilitators: active memberships with
//!   a leading role, held by someone whose facilitator certification is current. A leader
//!   whose certification lapses stops leading at that moment (he stays a member).
//! - Its *members* are the other active memberships.
//! - An Admin who has *stepped in* (explicitly, with a reason, for a limited time, announced
//!   to every member; see `circles::step_in`) acts as a leader until it ends.
//! - Everyone else, every global role included, is an outsider: the public description,
//!   never who is in it, what they said or where they meet online.

use crate::authz::Actor;
use crate::circles::find_circle;
use crate::{certification, Context, Error, Result};
use chrono::{DateTime, Utc};
use db::main_db::{circle_memberships as memberships, circle_step_ins as step_ins, circles};
use db::sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use domain::circle::{CircleRole, MembershipStatus};
use domain::Permission;
use uuid::Uuid;

/// How the actor stands in one circle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Facilitator or co-facilitator with a current certification.
    Leader,
    /// An Admin during a safeguarding step-in.
    SteppedIn,
    /// An active member (or a leader whose certification has lapsed).
    Member,
    Outsider,
}

impl Standing {
    /// Members, leaders and a stepped-in Admin read the circle's private data: who is in
    /// it, their contacts, notes, per-person attendance, messages and reasons, the link.
    pub fn reads_private(self) -> bool {
        !matches!(self, Standing::Outsider)
    }

    /// Leaders and a stepped-in Admin run the circle.
    pub fn leads(self) -> bool {
        matches!(self, Standing::Leader | Standing::SteppedIn)
    }
}

/// Proof that the actor leads this circle now (or has stepped in to it): the circle's
/// management use cases take it, so they cannot be reached without the check.
#[derive(Debug, Clone)]
pub struct Leading {
    actor_id: Uuid,
    circle: circles::Model,
    stepped_in: bool,
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

    /// Whether this is an Admin's step-in rather than a leader of the circle.
    pub fn is_step_in(&self) -> bool {
        self.stepped_in
    }

    /// Leading a circle includes reading it.
    pub fn in_circle(&self) -> InCircle {
        InCircle {
            actor_id: self.actor_id,
            circle_id: self.circle.id,
            standing: if self.stepped_in {
                Standing::SteppedIn
            } else {
                Standing::Leader
            },
        }
    }
}

/// Proof that the actor may read this circle's private data now.
#[derive(Debug, Clone, Copy)]
pub struct InCircle {
    actor_id: Uuid,
    circle_id: Uuid,
    standing: Standing,
}

impl InCircle {
    pub fn actor_id(&self) -> Uuid {
        self.actor_id
    }

    pub fn circle_id(&self) -> Uuid {
        self.circle_id
    }

    pub fn standing(&self) -> Standing {
        self.standing
    }
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
        .filter(memberships::Column::Status.eq(MembershipStatus::Active))
        .one(db)
        .await?)
}

/// Whether the user is an active member (of any role) of the circle.
#[tracing::instrument(skip_all, fields(circle_id = %circle_id, user_id = %user_id), err(level = "info"))]
pub async fn is_member(db: &impl ConnectionTrait, circle_id: Uuid, user_id: Uuid) -> Result<bool> {
    Ok(active_membership(db, circle_id, user_id).await?.is_some())
}

/// The circles `user_id` leads now (only `circle`, when given): active leading
/// memberships, and none at all unless his certification is current.
pub(crate) async fn circles_led_by(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    circle: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<Vec<Uuid>> {
    if !certification::is_current(db, user_id, now).await? {
        return Ok(Vec::new());
    }
    let mut q = memberships::Entity::find()
        .filter(memberships::Column::UserId.eq(user_id))
        .filter(memberships::Column::Status.eq(MembershipStatus::Active))
        .filter(memberships::Column::Role.is_in(CircleRole::leading()));
    if let Some(c) = circle {
        q = q.filter(memberships::Column::CircleId.eq(c));
    }
    Ok(q.all(db).await?.into_iter().map(|m| m.circle_id).collect())
}

/// The step-in of this Admin in this circle that is running at `now`, if any.
#[tracing::instrument(skip_all, fields(circle_id = %circle_id, admin_id = ?admin_id), err(level = "info"))]
pub async fn running_step_in(
    db: &impl ConnectionTrait,
    circle_id: Uuid,
    admin_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<Option<step_ins::Model>> {
    let mut q = step_ins::Entity::find()
        .filter(step_ins::Column::CircleId.eq(circle_id))
        .filter(step_ins::Column::ExpiresAt.gt(now))
        .filter(step_ins::Column::EndedAt.is_null())
        .order_by_desc(step_ins::Column::ExpiresAt);
    if let Some(admin) = admin_id {
        q = q.filter(step_ins::Column::AdminId.eq(admin));
    }
    Ok(q.one(db).await?)
}

#[tracing::instrument(skip_all, fields(actor_id = %actor.id(), circle_id = %circle_id), err(level = "info"))]
pub async fn standing(ctx: &Context, actor: &Actor, circle_id: Uuid) -> Result<Standing> {
    let now = ctx.now();
    let m = active_membership(&ctx.main, circle_id, actor.id()).await?;
    let leading_role = m.as_ref().is_some_and(|m| m.role.leads());
    if leading_role && certification::is_current(&ctx.main, actor.id(), now).await? {
        return Ok(Standing::Leader);
    }
    if m.is_some() {
        return Ok(Standing::Member);
    }
    if actor.can(Permission::StepInToCircles)
        && running_step_in(&ctx.main, circle_id, Some(actor.id()), now)
            .await?
            .is_some()
    {
        return Ok(Standing::SteppedIn);
    }
    Ok(Standing::Outsider)
}

/// The proof that `actor` leads the circle now, or `Forbidden` (`NotFound` when there is
/// no such circle).
#[tracing::instrument(skip_all, fields(actor_id = %actor.id(), circle_id = %circle_id), err(level = "info"))]
pub async fn lead(ctx: &Context, actor: &Actor, circle_id: Uuid) -> Result<Leading> {
    let circle = find_circle(&ctx.main, circle_id).await?;
    let s = standing(ctx, actor, circle_id).await?;
    if s.leads() {
        Ok(Leading {
            actor_id: actor.id(),
            circle,
            stepped_in: s == Standing::SteppedIn,
        })
    } else {
        Err(Error::Forbidden)
    }
}

/// The proof that `actor` may read the circle's private data now, or `Forbidden`
/// (`NotFound` when there is no such circle).
#[tracing::instrument(skip_all, fields(actor_id = %actor.id(), circle_id = %circle_id), err(level = "info"))]
pub async fn enter(ctx: &Context, actor: &Actor, circle_id: Uuid) -> Result<InCircle> {
    find_circle(&ctx.main, circle_id).await?;
    let s = standing(ctx, actor, circle_id).await?;
    if s.reads_private() {
        Ok(InCircle {
            actor_id: actor.id(),
            circle_id,
            standing: s,
        })
    } else {
        Err(Error::Forbidden)
    }
}

/// Proof that the actor takes part in the circle's conversation now: an active member or
/// one of its current leaders. Unlike [`InCircle`], a stepped-in Admin does not: the
/// conversation is end-to-end encrypted, only the circle's own people hold its keys, and no
/// global role may read its ciphertext or add a device, key or message to it.
#[derive(Debug, Clone, Copy)]
pub struct Conversing {
    actor_id: Uuid,
    circle_id: Uuid,
    leads: bool,
}

impl Conversing {
    pub fn actor_id(&self) -> Uuid {
        self.actor_id
    }

    pub fn circle_id(&self) -> Uuid {
        self.circle_id
    }

    /// Whether the actor leads the circle now (signs its roster, pins, changes settings).
    pub fn leads(&self) -> bool {
        self.leads
    }
}

/// The proof that `actor` takes part in the circle's conversation now, or `Forbidden`
/// (`NotFound` when there is no such circle).
#[tracing::instrument(skip_all, fields(actor_id = %actor.id(), circle_id = %circle_id), err(level = "info"))]
pub async fn converse(ctx: &Context, actor: &Actor, circle_id: Uuid) -> Result<Conversing> {
    find_circle(&ctx.main, circle_id).await?;
    match standing(ctx, actor, circle_id).await? {
        s @ (Standing::Leader | Standing::Member) => Ok(Conversing {
            actor_id: actor.id(),
            circle_id,
            leads: s == Standing::Leader,
        }),
        Standing::SteppedIn | Standing::Outsider => Err(Error::Forbidden),
    }
}

/// Proof that the actor may ask to join this circle now: he may take part in circles at
/// all, and the circle is open to requests and takes members. It lets him read what asking
/// needs, the public keys of the leaders' devices to seal his message to, and nothing else.
#[derive(Debug, Clone, Copy)]
pub struct Asking {
    actor_id: Uuid,
    circle_id: Uuid,
}

impl Asking {
    pub fn actor_id(&self) -> Uuid {
        self.actor_id
    }

    pub fn circle_id(&self) -> Uuid {
        self.circle_id
    }
}

/// The proof that `actor` may ask to join the circle now, or `Forbidden` (an
/// invitation-only circle, or one that takes no members); `NotFound` when there is no
/// such circle.
#[tracing::instrument(skip_all, fields(actor_id = %actor.id(), circle_id = %circle_id), err(level = "info"))]
pub async fn ask(ctx: &Context, actor: &Actor, circle_id: Uuid) -> Result<Asking> {
    actor.require::<crate::authz::can::Participate>()?;
    let circle = find_circle(&ctx.main, circle_id).await?;
    if circle.visibility != domain::circle::Visibility::Open || !circle.status.accepts_members() {
        return Err(Error::Forbidden);
    }
    Ok(Asking {
        actor_id: actor.id(),
        circle_id,
    })
}
