//! Who an event may be for, decided once for the form that offers the choice and the use
//! case that creates the event.

use crate::authz::circle::circles_led_by;
use crate::authz::Actor;
use crate::{Context, Result};
use db::main_db::circles;
use db::sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use domain::Permission;
use uuid::Uuid;

/// One audience an event can be created for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// Everyone: a programme event.
    Everyone,
    /// The members of one circle.
    Circle { id: Uuid, name: String },
}

/// The audiences `actor` may create an event for now, as `manage::create` judges them:
/// everyone for the Program Team and Admins, and each circle he leads now (an active
/// leader's membership and a current certification) that can still change. Circles come
/// in the order of their names.
#[tracing::instrument(skip_all, fields(actor_id = %actor.id()), err(level = "info"))]
pub async fn audiences_for(ctx: &Context, actor: &Actor) -> Result<Vec<Audience>> {
    let mut all = Vec::new();
    if actor.can(Permission::CreateProgrammeEvents) {
        all.push(Audience::Everyone);
    }
    let led = circles_led_by(&ctx.main, actor.id(), None, ctx.now()).await?;
    let led = circles::Entity::find()
        .filter(circles::Column::Id.is_in(led))
        .order_by_asc(circles::Column::Name)
        .all(&ctx.main)
        .await?;
    all.extend(
        led.into_iter()
            .filter(|c| !c.status.is_read_only())
            .map(|c| Audience::Circle {
                id: c.id,
                name: c.name,
            }),
    );
    Ok(all)
}

/// Whether `actor` may create any event at all.
#[tracing::instrument(skip_all, fields(actor_id = %actor.id()), err(level = "info"))]
pub async fn may_create(ctx: &Context, actor: &Actor) -> Result<bool> {
    Ok(!audiences_for(ctx, actor).await?.is_empty())
}

/// The circles `actor` may open a programme event to, as (id, name) in name order: every
/// circle that can still change for the Program Team and Admins (whose events wait for
/// each circle's leaders to accept them), the circles he leads now for a facilitator.
/// Only names: nothing circle-private is read.
#[tracing::instrument(skip_all, fields(actor_id = %actor.id()), err(level = "info"))]
pub async fn circles_to_choose(ctx: &Context, actor: &Actor) -> Result<Vec<(Uuid, String)>> {
    let mut query = circles::Entity::find();
    if !actor.can(Permission::CreateProgrammeEvents) {
        let led = circles_led_by(&ctx.main, actor.id(), None, ctx.now()).await?;
        query = query.filter(circles::Column::Id.is_in(led));
    }
    let rows = query
        .order_by_asc(circles::Column::Name)
        .all(&ctx.main)
        .await?;
    Ok(rows
        .into_iter()
        .filter(|c| !c.status.is_read_only())
        .map(|c| (c.id, c.name))
        .collect())
}

/// The names of these circles, in name order (an organiser's list of the circles that have
/// not yet accepted his event).
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn circle_names(ctx: &Context, ids: &[Uuid]) -> Result<Vec<String>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(circles::Entity::find()
        .filter(circles::Column::Id.is_in(ids.iter().copied()))
        .order_by_asc(circles::Column::Name)
        .all(&ctx.main)
        .await?
        .into_iter()
        .map(|c| c.name)
        .collect())
}
