//! Changing a venue (Program Team and Admins): its name, address and capacity. Events
//! already planned there keep their own capacity.

use super::manage::{checked_venue, NewVenue, Venue};
use crate::audit::{self, Action, Entry};
use crate::authz::{can, Actor};
use crate::{Context, Error, RequestMeta, Result};
use db::main_db::venues;
use db::sea_orm::{ActiveModelTrait, EntityTrait, Set};
use uuid::Uuid;

/// One venue (anyone who may create events), to fill the edit form.
#[tracing::instrument(skip_all, fields(actor_id = %actor.id(), venue_id = %venue_id), err(level = "info"))]
pub async fn venue(ctx: &Context, actor: &Actor, venue_id: Uuid) -> Result<Venue> {
    actor.require::<can::CreateProgrammeEvents>()?;
    Ok(venues::Entity::find_by_id(venue_id)
        .one(&ctx.main)
        .await?
        .ok_or(Error::NotFound("venue"))?
        .into())
}

/// Replaces a venue's name, address and capacity, under the same rules as a new one.
#[tracing::instrument(skip_all, fields(actor_id = %actor.id(), venue_id = %venue_id), err(level = "info"))]
pub async fn update_venue(
    ctx: &Context,
    meta: &RequestMeta,
    actor: &Actor,
    venue_id: Uuid,
    input: &NewVenue,
) -> Result<Venue> {
    actor.require::<can::CreateProgrammeEvents>()?;
    let (name, address, capacity) = checked_venue(input)?;
    let txn = db::begin_write(&ctx.main).await?;
    let before = venues::Entity::find_by_id(venue_id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("venue"))?;
    let mut row: venues::ActiveModel = before.into();
    row.name = Set(name);
    row.address = Set(address);
    row.capacity = Set(capacity);
    row.updated_at = Set(ctx.now());
    let venue = row.update(&txn).await?;
    audit::record(
        &txn,
        meta,
        Entry::new(Action::VenueUpdated)
            .by(actor.id())
            .on("venue", venue.id),
    )
    .await?;
    txn.commit().await?;
    Ok(venue.into())
}
