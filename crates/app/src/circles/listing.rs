//! Which circles a person finds by browsing. An invitation-only circle's name, place and
//! time are not for strangers: it is listed only to people with a pending invitation to
//! it and to its current members and leaders.

use crate::{Context, Result};
use db::main_db::{circle_invitations as invitations, circle_memberships as memberships};
use db::main_db::{circles, users};
use db::sea_orm::sea_query::Query;
use db::sea_orm::{ColumnTrait, Condition, EntityTrait};
use domain::circle::{MembershipStatus, Visibility};
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
