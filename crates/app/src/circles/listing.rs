//! Which circles a person finds by browsing, and in which order. An invitation-only
//! circle's name, place and time are not for strangers: it is listed only to people with a
//! pending invitation to it and to its current members and leaders.

use crate::{Context, Result};
use chrono::{DateTime, Utc};
use db::main_db::meetings;
use db::main_db::{circle_invitations as invitations, circle_memberships as memberships};
use db::main_db::{circles, users};
use db::sea_orm::sea_query::{Expr, Query};
use db::sea_orm::sea_query::{Func, NullOrdering, Order, SimpleExpr, SubQueryStatement};
use db::sea_orm::{ColumnTrait, Condition, EntityTrait};
use db::sea_orm::{QueryOrder, Select};
use domain::circle::{MembershipStatus, Visibility};
use domain::meeting::MeetingStatus;
use serde::Deserialize;
use uuid::Uuid;

/// The condition on `circles` rows that `user_id` may see in a listing.
pub(super) async fn listable_to(ctx: &Context, user_id: Uuid) -> Result<Condition> {
    let email = users::Entity::find_by_id(user_id)
        .one(&ctx.main)
        .await?
        .map(|u| u.email)
        .unwrap_or_default();
    let invited = Query::select()
        .column(invitations::Column::CircleId)
        .from(invitations::Entity)
        .and_where(invitations::Column::Email.eq(email))
        .and_where(invitations::Column::AcceptedAt.is_null())
        .and_where(invitations::Column::RevokedAt.is_null())
        .and_where(invitations::Column::ExpiresAt.gt(ctx.now()))
        .to_owned();
    let belongs = Query::select()
        .column(memberships::Column::CircleId)
        .from(memberships::Entity)
        .and_where(memberships::Column::UserId.eq(user_id))
        .and_where(memberships::Column::Status.eq(MembershipStatus::Active))
        .to_owned();
    Ok(Condition::any()
        .add(circles::Column::Visibility.eq(Visibility::Open))
        .add(circles::Column::Id.in_subquery(invited))
        .add(circles::Column::Id.in_subquery(belongs)))
}

/// The order of the circle list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CircleOrder {
    /// Oldest circle first (the default; pages by `cursor` after the last id).
    #[default]
    Oldest,
    /// The circle meeting soonest first; circles with no meeting planned last.
    NextMeeting,
}

/// Orders `q` by each circle's next scheduled meeting after `now` (none planned: last),
/// then by id so the order is stable.
pub(super) fn by_next_meeting(
    q: Select<circles::Entity>,
    now: DateTime<Utc>,
) -> Select<circles::Entity> {
    let next = Query::select()
        .expr(Func::min(Expr::col((
            meetings::Entity,
            meetings::Column::StartsAt,
        ))))
        .from(meetings::Entity)
        .and_where(
            Expr::col((meetings::Entity, meetings::Column::CircleId))
                .equals((circles::Entity, circles::Column::Id)),
        )
        .and_where(
            Expr::col((meetings::Entity, meetings::Column::Status)).eq(MeetingStatus::Scheduled),
        )
        .and_where(Expr::col((meetings::Entity, meetings::Column::StartsAt)).gt(now))
        .to_owned();
    q.order_by_with_nulls(
        SimpleExpr::SubQuery(None, Box::new(SubQueryStatement::SelectStatement(next))),
        Order::Asc,
        NullOrdering::Last,
    )
    .order_by_asc(circles::Column::Id)
}

/// The cursor of a list in meeting order: how many circles came before (`at:40`).
pub(super) fn offset_of(cursor: Option<&str>) -> Result<u64> {
    match cursor {
        None => Ok(0),
        Some(c) => c
            .strip_prefix("at:")
            .and_then(|n| n.parse().ok())
            .ok_or_else(crate::page::invalid_cursor),
    }
}
