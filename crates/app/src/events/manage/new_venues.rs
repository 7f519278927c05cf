//! Adding venues and listing them.

use super::input::text;
use super::{NewVenue, Venue};
use crate::audit::{self, Action, Entry};
use crate::authz::{can, Actor};
use crate::{Checks, Context, RequestMeta, Result};
use db::main_db::venues;
use db::sea_orm::{ActiveModelTrait, EntityTrait, Set};
use domain::{DomainError, Permission};
use uuid::Uuid;

/// A venue's name, address and capacity as given, or every rule broken.
pub(in crate::events) fn checked_venue(input: &NewVenue) -> Result<(String, Option<String>, i32)> {
    let mut c = Checks::default();
    let name = input.name.trim();
    if !(2..=120).contains(&name.chars().count()) || name.chars().any(char::is_control) {
        c.check::<()>(Err(DomainError::new(
            "name",
            "A venue's name has 2 to 120 characters.",
        )));
    }
    if !(1..=10_000).contains(&input.capacity) {
        c.check::<()>(Err(DomainError::new(
            "capacity",
            "A venue holds between 1 and 10000 people.",
        )));
    }
    let address = text(&mut c, input.address.as_deref(), "address", 500);
    c.finish()?;
    Ok((name.to_owned(), address, input.capacity as i32))
}

/// Adds a venue (Program Team and Admins).
#[tracing::instrument(skip_all, fields(actor_id = %actor.id()), err(level = "info"))]
pub async fn create_venue(
    ctx: &Context,
    meta: &RequestMeta,
    actor: &Actor,
    input: &NewVenue,
) -> Result<Venue> {
    actor.require::<can::CreateProgrammeEvents>()?;
    let (name, address, capacity) = checked_venue(input)?;
    let now = ctx.now();
    let txn = db::begin_write(&ctx.main).await?;
    let venue = venues::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(name),
        address: Set(address),
        capacity: Set(capacity),
        created_by: Set(Some(actor.id())),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        meta,
        Entry::new(Action::VenueCreated)
            .by(actor.id())
            .on("venue", venue.id),
    )
    .await?;
    txn.commit().await?;
    Ok(venue.into())
}

/// Every venue, by name (anyone who may create events).
#[tracing::instrument(skip_all, fields(actor_id = %actor.id()), err(level = "info"))]
pub async fn venues(ctx: &Context, actor: &Actor) -> Result<Vec<Venue>> {
    if !actor.can(Permission::CreateProgrammeEvents) {
        actor.require::<can::CreateCircles>()?;
    }
    let mut all: Vec<Venue> = venues::Entity::find()
        .all(&ctx.main)
        .await?
        .into_iter()
        .map(Venue::from)
        .collect();
    all.sort_by_key(|v| v.name.to_lowercase());
    Ok(all)
}
