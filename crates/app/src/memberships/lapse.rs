//! The sweep that closes membership periods once they and their grace period are over: a
//! period continued by a later one is marked `renewed`; the member's last one `lapsed`,
//! and he is emailed. The change is a conditional update from `active`, so a sweep that
//! runs twice (or on two workers at once) tells him once.

use super::jobs::{MembershipNotice, SendMembershipNotice};
use crate::audit::{self, Action, Entry};
use crate::jobs::Job;
use crate::{Context, RequestMeta, Result};
use db::main_db::memberships;
use db::sea_orm::sea_query::Expr;
use db::sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};
use domain::membership::MembershipStatus;

/// Closes every active period whose grace period is over; returns how many lapsed.
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn lapse_ended(ctx: &Context) -> Result<usize> {
    let grace = ctx.settings.payments.membership_grace();
    let cutoff = ctx.now() - grace;
    let ended = memberships::Entity::find()
        .filter(memberships::Column::Status.eq(MembershipStatus::Active))
        .filter(memberships::Column::PeriodEnd.lte(cutoff))
        .all(&ctx.main)
        .await?;
    let mut lapsed = 0;
    for m in ended {
        let txn = db::begin_write(&ctx.main).await?;
        let next = if renewed(&txn, &m, grace).await? {
            MembershipStatus::Renewed
        } else {
            MembershipStatus::Lapsed
        };
        let changed = memberships::Entity::update_many()
            .col_expr(memberships::Column::Status, Expr::value(next))
            .col_expr(
                memberships::Column::LapsedAt,
                Expr::value((next == MembershipStatus::Lapsed).then(|| ctx.now())),
            )
            .filter(memberships::Column::Id.eq(m.id))
            .filter(memberships::Column::Status.eq(MembershipStatus::Active))
            .exec(&txn)
            .await?
            .rows_affected;
        if changed == 1 && next == MembershipStatus::Lapsed {
            tell(&txn, ctx, &m).await?;
            lapsed += 1;
        }
        txn.commit().await?;
    }
    Ok(lapsed)
}

/// Whether a later period of the same member continues `m`: it ends later and starts
/// before `m`'s grace period was over.
async fn renewed(
    txn: &impl ConnectionTrait,
    m: &memberships::Model,
    grace: chrono::Duration,
) -> Result<bool> {
    let later = memberships::Entity::find()
        .filter(memberships::Column::UserId.eq(m.user_id))
        .filter(memberships::Column::Id.ne(m.id))
        .filter(memberships::Column::PeriodEnd.gt(m.period_end))
        .filter(memberships::Column::PeriodStart.lte(m.period_end + grace))
        .count(txn)
        .await?;
    Ok(later > 0)
}

async fn tell(txn: &impl ConnectionTrait, ctx: &Context, m: &memberships::Model) -> Result<()> {
    SendMembershipNotice {
        user_id: m.user_id,
        membership_id: m.id,
        notice: MembershipNotice::Lapsed,
    }
    .enqueue(txn, ctx)
    .await?;
    audit::record(
        txn,
        &RequestMeta::system(),
        Entry::new(Action::MembershipLapsed)
            .user(m.user_id)
            .on("membership", m.id)
            .details(serde_json::json!({ "plan_id": m.plan_id, "period_end": m.period_end })),
    )
    .await?;
    Ok(())
}
