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
