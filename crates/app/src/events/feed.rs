//! Calendars: an `.ics` file per event, and a personal feed (a secret, revocable address a
//! calendar app subscribes to) with the person's registered events and circle meetings.
//!
//! The feed's address is a bearer secret, so only its hash is kept, in the credentials
//! database; making a new one revokes the old. The feed shows what a calendar needs and
//! nothing of other people: no names, no notes.

use super::view::get;
use crate::authz::Actor;
use crate::calendar::{calendar, CalendarEntry, EntryStatus};
use crate::{token, Context, Error, Result};
use chrono::Duration;
use db::credentials::calendar_feeds as feeds;
use db::main_db::{circle_memberships as memberships, circles, event_registrations as regs};
use db::main_db::{events, meetings, users, venues};
use db::sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use domain::circle::MembershipStatus;
use domain::event::{EventStatus, RegistrationStatus};
use domain::meeting::MeetingStatus;
use std::collections::HashMap;
use uuid::Uuid;

/// How far back and ahead the feed reaches.
const FEED_PAST_DAYS: i64 = 31;
const FEED_AHEAD_DAYS: i64 = 400;

fn base(ctx: &Context) -> &str {
    ctx.settings.server.public_url.trim_end_matches('/')
}

fn host(ctx: &Context) -> String {
    url::Url::parse(base(ctx))
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| "circles.local".to_owned())
}

fn event_entry(ctx: &Context, e: &events::Model, venue: Option<&venues::Model>) -> CalendarEntry {
    let location = match venue {
        Some(v) => Some(match &v.address {
            Some(a) => format!("{}, {a}", v.name),
            None => v.name.clone(),
        }),
        None => e
            .location
            .clone()
            .or_else(|| e.online_url.as_ref().map(|_| "Online".to_owned())),
    };
    CalendarEntry {
        uid: format!("event-{}@{}", e.id, host(ctx)),
        starts_at: e.starts_at,
        ends_at: e.ends_at,
        summary: e.title.clone(),
        description: (!e.description.is_empty()).then(|| e.description.clone()),
        location,
        url: Some(format!("{}/events/{}", base(ctx), e.id)),
        status: match e.status {
            EventStatus::Cancelled => EntryStatus::Cancelled,
            EventStatus::Draft | EventStatus::Published | EventStatus::Completed => {
                EntryStatus::Confirmed
            }
        },
        sequence: e.sequence.max(0) as u32,
        updated_at: e.updated_at,
        time_zone: Some(e.time_zone.clone()),
    }
}

/// One event as an `.ics` file, for anyone who may see the event.
#[tracing::instrument(skip_all, fields(actor_id = %actor.id(), event_id = %event_id), err(level = "info"))]
pub async fn event_ics(ctx: &Context, actor: &Actor, event_id: Uuid) -> Result<String> {
    get(ctx, actor, event_id).await?;
    let e = super::find_event(&ctx.main, event_id).await?;
    let venue = match e.venue_id {
        Some(v) => venues::Entity::find_by_id(v).one(&ctx.main).await?,
        None => None,
    };
    let entry = event_entry(ctx, &e, venue.as_ref());
    Ok(calendar(&e.title, &[entry], ctx.now()))
}

/// Makes a new feed address for the actor (the old one stops working) and returns it.
#[tracing::instrument(skip_all, fields(actor_id = %actor.id()), err(level = "info"))]
pub async fn renew_feed(ctx: &Context, actor: &Actor) -> Result<String> {
    let raw = token::new_token();
    feeds::Entity::delete_by_id(actor.id())
        .exec(&ctx.creds)
        .await?;
    feeds::ActiveModel {
        user_id: Set(actor.id()),
        token_hash: Set(token::hash(&raw)),
        created_at: Set(ctx.now()),
    }
    .insert(&ctx.creds)
    .await?;
    Ok(format!("{}/calendar/{raw}.ics", base(ctx)))
}

/// Revokes the actor's feed address; calendar apps stop getting updates.
#[tracing::instrument(skip_all, fields(actor_id = %actor.id()), err(level = "info"))]
pub async fn revoke_feed(ctx: &Context, actor: &Actor) -> Result<()> {
    feeds::Entity::delete_by_id(actor.id())
        .exec(&ctx.creds)
        .await?;
    Ok(())
}

/// Whether the actor has a feed address (the address itself cannot be shown again).
#[tracing::instrument(skip_all, fields(actor_id = %actor.id()), err(level = "info"))]
pub async fn has_feed(ctx: &Context, actor: &Actor) -> Result<bool> {
    Ok(feeds::Entity::find_by_id(actor.id())
        .one(&ctx.creds)
        .await?
        .is_some())
}

/// The feed behind a secret address: `NotFound` for an unknown or revoked one, or for an
/// account that is no longer active.
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn feed(ctx: &Context, raw_token: &str) -> Result<String> {
    let row = feeds::Entity::find()
        .filter(feeds::Column::TokenHash.eq(token::hash(raw_token)))
        .one(&ctx.creds)
        .await?
        .ok_or(Error::NotFound("calendar"))?;
    let user = users::Entity::find_by_id(row.user_id)
        .one(&ctx.main)
        .await?
        .filter(|u| u.status.may_sign_in())
        .ok_or(Error::NotFound("calendar"))?;
    let mut entries = registered_events(ctx, user.id).await?;
    entries.extend(circle_meetings(ctx, user.id).await?);
    entries.sort_by_key(|e| e.starts_at);
    Ok(calendar("Men's circles", &entries, ctx.now()))
}

async fn registered_events(ctx: &Context, user_id: Uuid) -> Result<Vec<CalendarEntry>> {
    let mine = regs::Entity::find()
        .filter(regs::Column::UserId.eq(user_id))
        .filter(regs::Column::Status.ne(RegistrationStatus::Cancelled))
        .all(&ctx.main)
        .await?;
    let since = ctx.now() - Duration::days(FEED_PAST_DAYS);
    let list: Vec<events::Model> = events::Entity::find()
        .filter(events::Column::Id.is_in(mine.iter().map(|r| r.event_id)))
        .filter(events::Column::Status.ne(EventStatus::Draft))
        .all(&ctx.main)
        .await?
        .into_iter()
        .filter(|e| e.ends_at >= since)
        .collect();
    let venues: HashMap<Uuid, venues::Model> = venues::Entity::find()
        .filter(venues::Column::Id.is_in(list.iter().filter_map(|e| e.venue_id)))
        .all(&ctx.main)
        .await?
        .into_iter()
        .map(|v| (v.id, v))
        .collect();
    Ok(list
        .iter()
        .map(|e| event_entry(ctx, e, e.venue_id.and_then(|v| venues.get(&v))))
        .collect())
}

async fn circle_meetings(ctx: &Context, user_id: Uuid) -> Result<Vec<CalendarEntry>> {
    let circle_ids: Vec<Uuid> = memberships::Entity::find()
        .filter(memberships::Column::UserId.eq(user_id))
        .filter(memberships::Column::Status.eq(MembershipStatus::Active))
        .all(&ctx.main)
        .await?
        .into_iter()
        .map(|m| m.circle_id)
        .collect();
    let names: HashMap<Uuid, circles::Model> = circles::Entity::find()
        .filter(circles::Column::Id.is_in(circle_ids.clone()))
        .all(&ctx.main)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let (since, until) = (
        ctx.now() - Duration::days(FEED_PAST_DAYS),
        ctx.now() + Duration::days(FEED_AHEAD_DAYS),
    );
    Ok(meetings::Entity::find()
        .filter(meetings::Column::CircleId.is_in(circle_ids))
        .all(&ctx.main)
        .await?
        .into_iter()
        .filter(|m| m.starts_at >= since && m.starts_at <= until)
        .filter_map(|m| {
            let c = names.get(&m.circle_id)?;
            Some(CalendarEntry {
                uid: format!("meeting-{}@{}", m.id, host(ctx)),
                starts_at: m.starts_at,
                ends_at: m.starts_at + Duration::minutes(i64::from(m.duration_minutes)),
                summary: c.name.clone(),
                description: Some("Circle meeting".to_owned()),
                location: m.location.clone().or_else(|| c.location.clone()),
                url: Some(format!("{}/circles/{}", base(ctx), c.id)),
                status: match m.status {
                    MeetingStatus::Cancelled => EntryStatus::Cancelled,
                    MeetingStatus::Scheduled => EntryStatus::Confirmed,
                },
                sequence: 0,
                updated_at: m.updated_at,
                time_zone: Some(c.time_zone.clone()),
            })
        })
        .collect())
}
