//! Creating and editing circles.

use super::input::{input_of, validate};
use super::viewing::get;
use super::{CircleInput, CirclePatch, CircleView};
use crate::audit::{self, Action, Entry};
use crate::authz::circle::Leading;
use crate::authz::{can, Actor, Granted};
use crate::circles::errors::CircleError;
use crate::circles::membership::insert_active;
use crate::circles::{lock_circle, refuse_if_archived};
use crate::{certification, Context, RequestMeta, Result};
use db::main_db::circles;
use db::sea_orm::{ActiveModelTrait, Set};
use domain::circle::{CircleRole, CircleStatus};
use domain::Permission;
use uuid::Uuid;

/// Creates a circle; its creator becomes its facilitator (not counted against capacity).
/// Everyone, Admins included, needs a current certification: leading a circle is never a
/// global role's privilege.
#[tracing::instrument(skip_all, fields(actor_id = %actor.id()), err(level = "info"))]
pub async fn create(
    ctx: &Context,
    meta: &RequestMeta,
    actor: &Actor,
    g: Granted<can::CreateCircles>,
    input: &CircleInput,
) -> Result<CircleView> {
    let v = validate(input)?;
    let now = ctx.now();
    let id = Uuid::now_v7();
    let txn = db::begin_write(&ctx.main).await?;
    if !certification::is_current_locked(&txn, g.actor_id(), now).await? {
        return Err(CircleError::CertificationRequired.into());
    }
    circles::ActiveModel {
        id: Set(id),
        name: Set(v.name),
        description: Set(v.description),
        capacity: Set(v.capacity),
        visibility: Set(v.visibility),
        status: Set(CircleStatus::Forming),
        frequency: Set(v.frequency),
        weekday: Set(v.weekday),
        meeting_time: Set(v.meeting_time),
        duration_minutes: Set(v.duration_minutes),
        time_zone: Set(v.time_zone),
        anchor_date: Set(v.anchor_date),
        city: Set(v.city),
        location: Set(v.location),
        online_url: Set(v.online_url),
        active_members: Set(0),
        created_by: Set(Some(g.actor_id())),
        created_at: Set(now),
        updated_at: Set(now),
        archived_at: Set(None),
        needs_facilitator_since: Set(None),
    }
    .insert(&txn)
    .await?;
    insert_active(
        &txn,
        id,
        g.actor_id(),
        CircleRole::Facilitator,
        Some(g.actor_id()),
        now,
    )
    .await?;
    audit::record(
        &txn,
        meta,
        Entry::new(Action::CircleCreated)
            .by(g.actor_id())
            .on("circle", id),
    )
    .await?;
    txn.commit().await?;
    get(ctx, actor, id).await
}

/// Whether the actor may create circles: the permission and a current certification
/// (what [`create`] checks).
#[tracing::instrument(skip_all, fields(actor_id = %actor.id()), err(level = "info"))]
pub async fn may_create(ctx: &Context, actor: &Actor) -> Result<bool> {
    if !actor.can(Permission::CreateCircles) {
        return Ok(false);
    }
    certification::is_current(&ctx.main, actor.id(), ctx.now()).await
}

/// Edits a circle (leaders). Capacity cannot drop below the active members; status moves
/// only as `CircleStatus::can_become` allows; archived circles refuse every change.
#[tracing::instrument(skip_all, fields(actor_id = %actor.id(), circle_id = %lead.circle_id()), err(level = "info"))]
pub async fn update(
    ctx: &Context,
    meta: &RequestMeta,
    actor: &Actor,
    lead: &Leading,
    patch: &CirclePatch,
) -> Result<CircleView> {
    let txn = db::begin_write(&ctx.main).await?;
    // Locked, so an approval cannot slip a member in between the capacity check and the write.
    let current = lock_circle(&txn, lead.circle_id()).await?;
    refuse_if_archived(&current)?;
    let mut input = input_of(&current);
    macro_rules! apply {
        ($($f:ident),+) => {$( if let Some(v) = &patch.$f { input.$f = v.clone(); } )+};
    }
    apply!(
        name,
        description,
        frequency,
        weekday,
        meeting_time,
        time_zone,
        anchor_date
    );
    if let Some(v) = patch.capacity {
        input.capacity = v;
    }
    if let Some(v) = patch.visibility {
        input.visibility = v;
    }
    if let Some(v) = patch.duration_minutes {
        input.duration_minutes = v;
    }
    macro_rules! apply_optional {
        ($($f:ident),+) => {$( if let Some(v) = &patch.$f { input.$f = Some(v.clone()); } )+};
    }
    apply_optional!(city, location, online_url);
    let v = validate(&input)?;
    if v.capacity < current.active_members {
        return Err(CircleError::CapacityBelowMembers.with(format!(
            "The circle has {} active members; capacity cannot be lower.",
            current.active_members
        )));
    }
    let from = current.status;
    let to = patch.status.unwrap_or(from);
    if to == CircleStatus::Archived {
        return Err(CircleError::ArchiveSeparately.into());
    }
    if !from.can_become(to) {
        return Err(CircleError::StatusChange.with(format!(
            "A {} circle cannot become {}.",
            from.as_str(),
            to.as_str()
        )));
    }
    circles::ActiveModel {
        id: Set(current.id),
        name: Set(v.name),
        description: Set(v.description),
        capacity: Set(v.capacity),
        visibility: Set(v.visibility),
        status: Set(to),
        frequency: Set(v.frequency),
        weekday: Set(v.weekday),
        meeting_time: Set(v.meeting_time),
        duration_minutes: Set(v.duration_minutes),
        time_zone: Set(v.time_zone),
        anchor_date: Set(v.anchor_date),
        city: Set(v.city),
        location: Set(v.location),
        online_url: Set(v.online_url),
        updated_at: Set(ctx.now()),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    let mut changed: Vec<&str> = Vec::new();
    macro_rules! seen {
        ($($f:ident),+) => {$( if patch.$f.is_some() { changed.push(stringify!($f)); } )+};
    }
    seen!(
        name,
        description,
        capacity,
        visibility,
        frequency,
        weekday,
        meeting_time
    );
    seen!(
        duration_minutes,
        time_zone,
        anchor_date,
        city,
        location,
        online_url,
        status
    );
    audit::record(
        &txn,
        meta,
        Entry::new(Action::CircleUpdated)
            .by(lead.actor_id())
            .on("circle", current.id)
            .details(serde_json::json!({ "fields": changed, "status": to })),
    )
    .await?;
    txn.commit().await?;
    get(ctx, actor, current.id).await
}
