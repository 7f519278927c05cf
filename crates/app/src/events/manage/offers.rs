//! Programme events offered to circles, and their leaders' answers.

use crate::audit::{self, Action, Entry};
use crate::circles;
use crate::events::lock_event;
use crate::{Context, Error, RequestMeta, Result};
use chrono::{DateTime, Utc};
use db::main_db::{event_circles, events};
use db::sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use domain::event::{EventKind, EventStatus};
use serde::Serialize;
use uuid::Uuid;

/// A programme event offered to a circle, as its leaders see it while deciding.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EventOffer {
    pub event_id: Uuid,
    pub title: String,
    #[schema(value_type = crate::api_schema::EventKind)]
    pub kind: EventKind,
    pub starts_at: DateTime<Utc>,
    pub organiser_name: String,
}

/// Programme events offered to the led circle that its leaders have not yet accepted.
#[tracing::instrument(skip_all, fields(actor_id = %lead.actor_id(), circle_id = %lead.circle_id()), err(level = "info"))]
pub async fn offers(ctx: &Context, lead: &circles::Leading) -> Result<Vec<EventOffer>> {
    let pending: Vec<Uuid> = event_circles::Entity::find()
        .filter(event_circles::Column::CircleId.eq(lead.circle_id()))
        .filter(event_circles::Column::AcceptedAt.is_null())
        .all(&ctx.main)
        .await?
        .into_iter()
        .map(|r| r.event_id)
        .collect();
    let rows = events::Entity::find()
        .filter(events::Column::Id.is_in(pending))
        .filter(events::Column::Status.is_in(EventStatus::not_final()))
        .all(&ctx.main)
        .await?;
    let names =
        crate::accounts::display_names(&ctx.main, rows.iter().map(|e| e.organiser_id)).await?;
    let mut out: Vec<EventOffer> = rows
        .into_iter()
        .map(|e| EventOffer {
            event_id: e.id,
            kind: e.kind,
            organiser_name: names.get(&e.organiser_id).cloned().unwrap_or_default(),
            title: e.title,
            starts_at: e.starts_at,
        })
        .collect();
    out.sort_by_key(|o| o.starts_at);
    Ok(out)
}

/// A leader of the circle accepts (the event is shown to its members from now on) or
/// declines (the circle is taken off the event) an offered programme event.
#[tracing::instrument(skip_all, fields(actor_id = %lead.actor_id(), circle_id = %lead.circle_id(), event_id = %event_id), err(level = "info"))]
pub async fn answer_offer(
    ctx: &Context,
    meta: &RequestMeta,
    lead: &circles::Leading,
    event_id: Uuid,
    accept: bool,
) -> Result<()> {
    let txn = db::begin_write(&ctx.main).await?;
    lock_event(&txn, event_id).await?;
    let row = event_circles::Entity::find_by_id((event_id, lead.circle_id()))
        .one(&txn)
        .await?
        .filter(|r| r.accepted_at.is_none())
        .ok_or(Error::NotFound("event offer"))?;
    let action = if accept {
        event_circles::ActiveModel {
            event_id: Set(row.event_id),
            circle_id: Set(row.circle_id),
            accepted_at: Set(Some(ctx.now())),
            accepted_by: Set(Some(lead.actor_id())),
        }
        .update(&txn)
        .await?;
        Action::EventCircleAccepted
    } else {
        event_circles::Entity::delete_by_id((row.event_id, row.circle_id))
            .exec(&txn)
            .await?;
        Action::EventCircleDeclined
    };
    audit::record(
        &txn,
        meta,
        Entry::new(action)
            .by(lead.actor_id())
            .on("event", event_id)
            .details(serde_json::json!({ "circle_id": lead.circle_id() })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
