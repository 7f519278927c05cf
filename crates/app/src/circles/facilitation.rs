//! Circles that lose their last certified leader: marked "needs a facilitator", with their
//! members and the Program Team told once; the mark clears when a certified leader leads
//! the circle again. Leading itself needs no mark: `authz::circle` checks the
//! certification on every request, so a lapsed facilitator stops leading at once.

use super::jobs::CircleNotice;
use super::notify;
use crate::audit::{self, Action, Entry};
use crate::{certification, Context, RequestMeta, Result};
use db::main_db::{
    circle_memberships as memberships, circles, facilitator_certifications as certs, user_roles,
};
use db::sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use domain::circle::{CircleRole, CircleStatus, MembershipStatus};
use domain::Role;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// Active leading memberships (certified or not), optionally of one person.
async fn leading_memberships(
    db: &impl ConnectionTrait,
    user_id: Option<Uuid>,
    circle_ids: Option<&[Uuid]>,
) -> Result<Vec<memberships::Model>> {
    let mut q = memberships::Entity::find()
        .filter(memberships::Column::Status.eq(MembershipStatus::Active))
        .filter(memberships::Column::Role.is_in(CircleRole::leading()));
    if let Some(u) = user_id {
        q = q.filter(memberships::Column::UserId.eq(u));
    }
    if let Some(ids) = circle_ids {
        q = q.filter(memberships::Column::CircleId.is_in(ids.iter().copied()));
    }
    Ok(q.all(db).await?)
}

/// Of `circle_ids`, those that no certified person leads at the moment.
async fn without_certified_leader(
    ctx: &Context,
    db: &impl ConnectionTrait,
    circle_ids: &[Uuid],
) -> Result<Vec<Uuid>> {
    let leaders = leading_memberships(db, None, Some(circle_ids)).await?;
    let certified: HashSet<Uuid> = certs::Entity::find()
        .filter(certs::Column::UserId.is_in(leaders.iter().map(|m| m.user_id)))
        .filter(certification::current_filter(ctx.now()))
        .all(db)
        .await?
        .into_iter()
        .map(|c| c.user_id)
        .collect();
    let mut led: HashMap<Uuid, bool> = circle_ids.iter().map(|c| (*c, false)).collect();
    for m in leaders {
        if certified.contains(&m.user_id) {
            led.insert(m.circle_id, true);
        }
    }
    Ok(led
        .into_iter()
        .filter(|(_, l)| !l)
        .map(|(c, _)| c)
        .collect())
}

/// Marks the circle as needing a facilitator, once, and tells its members and the Program
/// Team. Does nothing to an archived or already marked circle.
async fn mark(
    ctx: &Context,
    txn: &impl ConnectionTrait,
    meta: &RequestMeta,
    circle_id: Uuid,
) -> Result<()> {
    let res = circles::Entity::update_many()
        .set(circles::ActiveModel {
            needs_facilitator_since: Set(Some(ctx.now())),
            ..Default::default()
        })
        .filter(circles::Column::Id.eq(circle_id))
        .filter(circles::Column::NeedsFacilitatorSince.is_null())
        .filter(circles::Column::Status.ne(CircleStatus::Archived))
        .exec(txn)
        .await?;
    if res.rows_affected == 0 {
        return Ok(());
    }
    audit::record(
        txn,
        meta,
        Entry::new(Action::CircleNeedsFacilitator).on("circle", circle_id),
    )
    .await?;
    let members = memberships::Entity::find()
        .filter(memberships::Column::CircleId.eq(circle_id))
        .filter(memberships::Column::Status.eq(MembershipStatus::Active))
        .all(txn)
        .await?;
    for m in members {
        notify(
            txn,
            ctx,
            m.user_id,
            circle_id,
            CircleNotice::NeedsFacilitator,
        )
        .await?;
    }
    let team = user_roles::Entity::find()
        .filter(user_roles::Column::Role.eq(Role::ProgramTeamMember))
        .all(txn)
        .await?;
    for p in team {
        notify(
            txn,
            ctx,
            p.user_id,
            circle_id,
            CircleNotice::NeedsFacilitatorAlert,
        )
        .await?;
    }
    Ok(())
}

/// `user_id` no longer holds a current certification: marks each circle he led that no
/// other certified person leads.
pub(crate) async fn leader_lapsed(
    ctx: &Context,
    txn: &impl ConnectionTrait,
    meta: &RequestMeta,
    user_id: Uuid,
) -> Result<()> {
    let led: Vec<Uuid> = leading_memberships(txn, Some(user_id), None)
        .await?
        .into_iter()
        .map(|m| m.circle_id)
        .collect();
    if led.is_empty() {
        return Ok(());
    }
    for circle_id in without_certified_leader(ctx, txn, &led).await? {
        mark(ctx, txn, meta, circle_id).await?;
    }
    Ok(())
}

/// Marks every running circle that no certified person leads and is not marked yet (the
/// recurring sweep, after certifications expired).
pub(crate) async fn mark_leaderless(ctx: &Context) -> Result<()> {
    let unmarked: Vec<Uuid> = circles::Entity::find()
        .filter(circles::Column::NeedsFacilitatorSince.is_null())
        .filter(circles::Column::Status.ne(CircleStatus::Archived))
        .all(&ctx.main)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    let meta = RequestMeta::system();
    for chunk in unmarked.chunks(500) {
        for circle_id in without_certified_leader(ctx, &ctx.main, chunk).await? {
            let txn = db::begin_write(&ctx.main).await?;
            mark(ctx, &txn, &meta, circle_id).await?;
            txn.commit().await?;
        }
    }
    Ok(())
}

/// Clears the mark of every circle `user_id` leads (he is certified again).
pub(crate) async fn certified_again(txn: &impl ConnectionTrait, user_id: Uuid) -> Result<()> {
    let led: Vec<Uuid> = leading_memberships(txn, Some(user_id), None)
        .await?
        .into_iter()
        .map(|m| m.circle_id)
        .collect();
    clear(txn, &led).await
}

/// Clears the mark of these circles (a certified leader leads them now).
pub(crate) async fn clear(txn: &impl ConnectionTrait, circle_ids: &[Uuid]) -> Result<()> {
    if circle_ids.is_empty() {
        return Ok(());
    }
    circles::Entity::update_many()
        .set(circles::ActiveModel {
            needs_facilitator_since: Set(None),
            ..Default::default()
        })
        .filter(circles::Column::Id.is_in(circle_ids.iter().copied()))
        .exec(txn)
        .await?;
    Ok(())
}
