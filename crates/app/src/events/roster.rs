//! The organiser's side of registration: the list of people (searchable by name, as CSV),
//! notes, moving someone to the front of the waitlist, check-in at the door, live counts
//! and the after-event report.

use super::errors::EventError;
use super::lock_event;
use super::registration::fill_freed_seats;
use crate::accounts::SharedProfile;
use crate::audit::{self, Action, Entry};
use crate::authz::event::Organising;
use crate::{Context, Error, RequestMeta, Result};
use chrono::{DateTime, Utc};
use db::main_db::{event_registrations as regs, users};
use db::sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use domain::event::RegistrationStatus;
use serde::Serialize;
use std::collections::HashMap;
use uuid::Uuid;

/// A line of the organiser's list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RosterEntry {
    pub registration_id: Uuid,
    pub user_id: Uuid,
    pub display_name: String,
    pub email: String,
    /// `confirmed`, `payment_required`, `offered`, `waitlisted` or `cancelled`.
    #[schema(value_type = String)]
    pub status: RegistrationStatus,
    pub position: i64,
    pub registered_at: DateTime<Utc>,
    pub checked_in_at: Option<DateTime<Utc>>,
    pub note: Option<String>,
    /// Phone, city, bio and photo, which the profile shares with the organisers of
    /// events one joins.
    pub profile: SharedProfile,
}

/// Where an event stands, for the door and for the report afterwards.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct Counts {
    pub capacity: i32,
    /// People holding a seat (confirmed, awaiting payment, or offered one).
    pub registered: u32,
    pub checked_in: u32,
    pub waitlisted: u32,
    pub cancelled: u32,
    /// Seat holders not checked in; counted once the event has ended.
    pub no_shows: u32,
    pub ended: bool,
}

/// Everyone registered, waiting or cancelled, in arrival order (its organisers);
/// `name` narrows to people whose name or address contains it.
#[tracing::instrument(skip_all, fields(actor_id = %org.actor_id(), event_id = %org.event_id()), err(level = "info"))]
pub async fn roster(
    ctx: &Context,
    org: &Organising,
    name: Option<&str>,
) -> Result<Vec<RosterEntry>> {
    let event_id = org.event_id();
    let rows = regs::Entity::find()
        .filter(regs::Column::EventId.eq(event_id))
        .order_by_asc(regs::Column::Position)
        .all(&ctx.main)
        .await?;
    let people: HashMap<Uuid, users::Model> = users::Entity::find()
        .filter(users::Column::Id.is_in(rows.iter().map(|r| r.user_id)))
        .all(&ctx.main)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let wanted = name
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_lowercase);
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let u = people.get(&r.user_id)?;
            let matches = wanted.as_deref().is_none_or(|w| {
                u.display_name.to_lowercase().contains(w) || u.email.to_lowercase().contains(w)
            });
            matches.then(|| RosterEntry {
                registration_id: r.id,
                user_id: r.user_id,
                display_name: u.display_name.clone(),
                email: u.email.clone(),
                status: r.status,
                position: r.position,
                registered_at: r.registered_at,
                checked_in_at: r.checked_in_at,
                note: r.note,
                profile: SharedProfile::of(u),
            })
        })
        .collect())
}

/// The list as CSV (UTF-8, a header row, RFC 4180 quoting), for spreadsheets. Times are
/// on the event's clock to the minute ("2026-12-08 19:04"), the zone named in the header.
#[tracing::instrument(skip_all, fields(actor_id = %org.actor_id(), event_id = %org.event_id()), err(level = "info"))]
pub async fn roster_csv(ctx: &Context, org: &Organising) -> Result<String> {
    let rows = roster(ctx, org, None).await?;
    let zone = &org.event().time_zone;
    let tz = domain::TimeZone::parse(zone).ok();
    let at = |t: DateTime<Utc>| match &tz {
        Some(z) => t
            .with_timezone(&z.tz())
            .format("%Y-%m-%d %H:%M")
            .to_string(),
        None => t.format("%Y-%m-%d %H:%M").to_string(),
    };
    let zone = if tz.is_some() { zone.as_str() } else { "UTC" };
    let mut out = format!(
        "position,name,email,status,registered_at ({zone}),checked_in_at ({zone}),note\r\n"
    );
    for r in rows {
        let fields = [
            r.position.to_string(),
            r.display_name,
            r.email,
            r.status.as_str().to_owned(),
            at(r.registered_at),
            r.checked_in_at.map(at).unwrap_or_default(),
            r.note.unwrap_or_default(),
        ];
        out.push_str(&domain::csv::line(&fields));
        out.push_str("\r\n");
    }
    Ok(out)
}

/// The name a download of the list is saved under: the event's title and its day on its
/// own clock ("drumming-night-2026-12-08.csv"), in characters safe in a header.
pub fn roster_file_name(org: &Organising) -> String {
    let e = org.event();
    let day = match domain::TimeZone::parse(&e.time_zone) {
        Ok(z) => e
            .starts_at
            .with_timezone(&z.tz())
            .format("%Y-%m-%d")
            .to_string(),
        Err(_) => e.starts_at.format("%Y-%m-%d").to_string(),
    };
    domain::csv::file_name(&e.title, &day, "registrations")
}

/// A registration of this event, read inside the caller's transaction.
async fn registration_of(
    txn: &impl db::sea_orm::ConnectionTrait,
    event_id: Uuid,
    registration_id: Uuid,
) -> Result<regs::Model> {
    regs::Entity::find_by_id(registration_id)
        .one(txn)
        .await?
        .filter(|r| r.event_id == event_id)
        .ok_or(Error::NotFound("registration"))
}

/// Sets or clears the organiser's note on a registration (at most 500 characters).
#[tracing::instrument(skip_all, fields(actor_id = %org.actor_id(), event_id = %org.event_id(), registration_id = %registration_id), err(level = "info"))]
pub async fn set_note(
    ctx: &Context,
    meta: &RequestMeta,
    org: &Organising,
    registration_id: Uuid,
    note: Option<&str>,
) -> Result<()> {
    let event_id = org.event_id();
    let note = crate::circles::optional_text(note, "note", 500)?;
    let txn = db::begin_write(&ctx.main).await?;
    let r = registration_of(&txn, event_id, registration_id).await?;
    let mut row: regs::ActiveModel = r.into();
    row.note = Set(note);
    row.updated_at = Set(ctx.now());
    row.update(&txn).await?;
    audit::record(
        &txn,
        meta,
        Entry::new(Action::EventRegistrationNoted)
            .by(org.actor_id())
            .on("event", event_id),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Moves a waitlisted person to the front of the line by hand; if a seat is free (an
/// offer ran out, or capacity grew), he gets it at once.
#[tracing::instrument(skip_all, fields(actor_id = %org.actor_id(), event_id = %org.event_id(), registration_id = %registration_id), err(level = "info"))]
pub async fn move_to_front(
    ctx: &Context,
    meta: &RequestMeta,
    org: &Organising,
    registration_id: Uuid,
) -> Result<()> {
    let event_id = org.event_id();
    let txn = db::begin_write(&ctx.main).await?;
    let e = lock_event(&txn, event_id).await?;
    let r = registration_of(&txn, event_id, registration_id).await?;
    if !r.status.is_waiting() {
        return Err(EventError::NotWaitlisted.into());
    }
    let head = regs::Entity::find()
        .filter(regs::Column::EventId.eq(event_id))
        .filter(regs::Column::Status.eq(RegistrationStatus::Waitlisted))
        .order_by_asc(regs::Column::Position)
        .one(&txn)
        .await?
        .map_or(r.position, |h| h.position);
    let front = head.min(r.position) - 1;
    let mut row: regs::ActiveModel = r.into();
    row.position = Set(front);
    row.updated_at = Set(ctx.now());
    row.update(&txn).await?;
    fill_freed_seats(&txn, ctx, &e).await?;
    audit::record(
        &txn,
        meta,
        Entry::new(Action::EventWaitlistReordered)
            .by(org.actor_id())
            .on("event", event_id),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Checks a seat holder in at the door (or undoes it, for a mistaken tap).
#[tracing::instrument(skip_all, fields(actor_id = %org.actor_id(), event_id = %org.event_id(), registration_id = %registration_id), err(level = "info"))]
pub async fn check_in(
    ctx: &Context,
    meta: &RequestMeta,
    org: &Organising,
    registration_id: Uuid,
    present: bool,
) -> Result<Counts> {
    let event_id = org.event_id();
    let txn = db::begin_write(&ctx.main).await?;
    let r = registration_of(&txn, event_id, registration_id).await?;
    if !r.status.holds_seat() {
        return Err(EventError::NoSeat.into());
    }
    let now = ctx.now();
    let mut row: regs::ActiveModel = r.into();
    row.checked_in_at = Set(present.then_some(now));
    row.checked_in_by = Set(present.then_some(org.actor_id()));
    row.updated_at = Set(now);
    row.update(&txn).await?;
    let action = if present {
        Action::EventCheckedIn
    } else {
        Action::EventCheckInUndone
    };
    audit::record(
        &txn,
        meta,
        Entry::new(action).by(org.actor_id()).on("event", event_id),
    )
    .await?;
    txn.commit().await?;
    counts(ctx, org).await
}

/// Live counts for the door, and the report once the event has ended.
#[tracing::instrument(skip_all, fields(actor_id = %org.actor_id(), event_id = %org.event_id()), err(level = "info"))]
pub async fn counts(ctx: &Context, org: &Organising) -> Result<Counts> {
    let e = org.event();
    let event_id = e.id;
    let rows = regs::Entity::find()
        .filter(regs::Column::EventId.eq(event_id))
        .all(&ctx.main)
        .await?;
    let ended = e.ends_at <= ctx.now();
    let mut c = Counts {
        capacity: e.capacity,
        ended,
        ..Counts::default()
    };
    for r in &rows {
        match r.status {
            RegistrationStatus::Confirmed
            | RegistrationStatus::PaymentRequired
            | RegistrationStatus::Offered => {
                c.registered += 1;
                if r.checked_in_at.is_some() {
                    c.checked_in += 1;
                } else if ended {
                    c.no_shows += 1;
                }
            }
            RegistrationStatus::Waitlisted => c.waitlisted += 1,
            RegistrationStatus::Cancelled => c.cancelled += 1,
        }
    }
    Ok(c)
}
