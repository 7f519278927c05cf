//! Who is in the conversation right now: while a live connection is open its member is
//! online until a little after its next renewal, so a connection that dies without a word
//! (a phone losing signal) stops counting soon. Online members get no notice emails.

use super::Conversing;
use crate::circles::lock_circle;
use crate::{Context, Result};
use chrono::{DateTime, Duration, Utc};
use db::main_db::conversation_participants as participants;
use db::sea_orm::sea_query::{Expr, OnConflict};
use db::sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

/// How long one renewal keeps a member online.
pub const ONLINE_FOR: Duration = Duration::seconds(90);
/// How often an open connection renews its member's presence (well inside [`ONLINE_FOR`]).
pub const RENEW_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

/// The member of `conv` has a live connection: online for [`ONLINE_FOR`] from now.
pub async fn online(ctx: &Context, conv: &Conversing) -> Result<()> {
    let until = ctx.now() + ONLINE_FOR;
    set_online_until(&ctx.main, conv.circle_id(), conv.actor_id(), until).await
}

/// The member's connection closed: online no longer (another open connection of his
/// renews it within [`RENEW_EVERY`]).
pub async fn offline(ctx: &Context, conv: &Conversing) -> Result<()> {
    set_online_until(&ctx.main, conv.circle_id(), conv.actor_id(), ctx.now()).await
}

/// Whether a participant counts as online at `now`.
pub fn is_online(online_until: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    online_until.is_some_and(|until| until > now)
}

/// Sets the participant's `online_until`, creating his row on first use.
///
/// Creating it takes the circle's lock first, the order every conversation write keeps
/// (circle, then participant rows): an insert checks its circle (a key-share lock on the
/// circle row), and done without the circle's lock it could deadlock with the member's own
/// first post (circle locked, then his row).
async fn set_online_until(
    db: &DatabaseConnection,
    circle_id: Uuid,
    user_id: Uuid,
    until: DateTime<Utc>,
) -> Result<()> {
    let updated = participants::Entity::update_many()
        .col_expr(participants::Column::OnlineUntil, Expr::value(until))
        .filter(participants::Column::CircleId.eq(circle_id))
        .filter(participants::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    if updated.rows_affected > 0 {
        return Ok(());
    }
    let txn = db::begin_write(db).await?;
    lock_circle(&txn, circle_id).await?;
    participants::Entity::insert(participants::ActiveModel {
        circle_id: Set(circle_id),
        user_id: Set(user_id),
        last_read_seq: Set(0),
        muted: Set(false),
        last_notified_at: Set(None),
        online_until: Set(Some(until)),
    })
    .on_conflict(
        OnConflict::columns([participants::Column::CircleId, participants::Column::UserId])
            .update_column(participants::Column::OnlineUntil)
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    txn.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn online_until_a_moment_in_the_future() {
        let now = Utc::now();
        assert!(is_online(Some(now + Duration::seconds(1)), now));
        assert!(!is_online(Some(now), now));
        assert!(!is_online(None, now));
    }
}
