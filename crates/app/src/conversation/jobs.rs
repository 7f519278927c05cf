//! The conversation's background work: the "New message in <circle>" notice for members who
//! are away (at most one per circle per member per hour, never to the muted or the online,
//! never with a word of what was written), and retention — disappearing messages and the
//! conversation of a circle archived longer than `conversation.archive_retention_days`.

use super::presence::is_online;
use crate::accounts::jobs::mail_person;
use crate::bus::Channel;
use crate::email::{site_url, OutgoingEmail};
use crate::jobs::{Job, JobRun, Registration};
use crate::Context;
use chrono::{DateTime, Duration, Utc};
use db::main_db::{
    circle_memberships as memberships, circles, conversation_messages as messages,
    conversation_participants as participants, conversation_settings as settings_rows, users,
};
use db::sea_orm::sea_query::{Expr, OnConflict};
use db::sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, Set};
use domain::circle::MembershipStatus;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The conversation jobs the worker runs.
pub fn jobs() -> Vec<Registration> {
    vec![
        Registration::of::<NoticeNewMessages>(),
        Registration::of::<SendConversationNotice>(),
        Registration::recurring::<ExpireConversations>(Duration::hours(1)),
    ]
}

/// How long after a message its notices wait: members who read it meanwhile, live or
/// not, get none, and a burst of messages makes one round of notices.
pub const NOTICE_DELAY: Duration = Duration::minutes(1);
/// At most one notice per circle per member in this time.
pub const NOTICE_EVERY: Duration = Duration::hours(1);

/// A message was posted (called in the posting transaction): queues the circle's notice
/// round unless one is already waiting to start.
pub(crate) async fn message_posted(
    txn: &impl ConnectionTrait,
    ctx: &Context,
    circle_id: Uuid,
) -> crate::Result<()> {
    let job = NoticeNewMessages { circle_id };
    // A round already running may have read the circle before this message: only a round
    // that has not started yet covers it.
    if !crate::jobs::is_waiting(txn, &job).await? {
        job.enqueue_at(txn, ctx, ctx.now() + NOTICE_DELAY).await?;
    }
    Ok(())
}

/// Decide who of a circle's members gets a notice about its new messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeNewMessages {
    pub circle_id: Uuid,
}

impl Job for NoticeNewMessages {
    const KIND: &'static str = "conversation_notice_round";

    /// Claims each member's hourly notice with a conditional update and queues his email in
    /// the same transaction, so a repeated round mails nobody twice.
    async fn run(self, ctx: &Context, _run: &JobRun) -> anyhow::Result<()> {
        let now = ctx.now();
        let txn = db::begin_write(&ctx.main).await?;
        // The circle first, then participant rows: the order posting keeps.
        let circle = match crate::circles::lock_circle(&txn, self.circle_id).await {
            Ok(circle) => circle,
            Err(crate::Error::NotFound(_)) => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        if circle.archived_at.is_some() {
            return Ok(());
        }
        let last_seq = super::messages::last_seq(&txn, circle.id).await?;
        for user_id in active_members(&txn, circle.id).await? {
            let place = participant(&txn, circle.id, user_id).await?;
            if !is_due(&place, last_seq, now) {
                continue;
            }
            if claim_notice(&txn, circle.id, user_id, now).await? {
                SendConversationNotice {
                    user_id,
                    circle_id: circle.id,
                }
                .enqueue(&txn, ctx)
                .await?;
            }
        }
        txn.commit().await?;
        Ok(())
    }
}

/// Whether a member with this place in the conversation is owed a notice now: unread
/// messages, not muted, not online, not told within the hour.
fn is_due(place: &participants::Model, last_seq: i64, now: DateTime<Utc>) -> bool {
    place.last_read_seq < last_seq
        && !place.muted
        && !is_online(place.online_until, now)
        && place
            .last_notified_at
            .is_none_or(|at| at <= now - NOTICE_EVERY)
}

async fn active_members(db: &impl ConnectionTrait, circle_id: Uuid) -> anyhow::Result<Vec<Uuid>> {
    Ok(memberships::Entity::find()
        .filter(memberships::Column::CircleId.eq(circle_id))
        .filter(memberships::Column::Status.eq(MembershipStatus::Active))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.user_id)
        .collect())
}

/// The member's place in the conversation; a fresh one (nothing read) when he has none.
async fn participant(
    db: &impl ConnectionTrait,
    circle_id: Uuid,
    user_id: Uuid,
) -> anyhow::Result<participants::Model> {
    participants::Entity::insert(participants::ActiveModel {
        circle_id: Set(circle_id),
        user_id: Set(user_id),
        last_read_seq: Set(0),
        muted: Set(false),
        last_notified_at: Set(None),
        online_until: Set(None),
    })
    .on_conflict(
        OnConflict::columns([participants::Column::CircleId, participants::Column::UserId])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    participants::Entity::find_by_id((circle_id, user_id))
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the participant row was just ensured"))
}

/// Marks the member notified now, unless another round did within the hour; whether this
/// round got him.
async fn claim_notice(
    db: &impl ConnectionTrait,
    circle_id: Uuid,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let claimed = participants::Entity::update_many()
        .col_expr(participants::Column::LastNotifiedAt, Expr::value(now))
        .filter(participants::Column::CircleId.eq(circle_id))
        .filter(participants::Column::UserId.eq(user_id))
        .filter(
            Condition::any()
                .add(participants::Column::LastNotifiedAt.is_null())
                .add(participants::Column::LastNotifiedAt.lte(now - NOTICE_EVERY)),
        )
        .exec(db)
        .await?;
    Ok(claimed.rows_affected == 1)
}

/// Email one member "New message in <circle>".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendConversationNotice {
    pub user_id: Uuid,
    pub circle_id: Uuid,
}

impl Job for SendConversationNotice {
    const KIND: &'static str = "send_conversation_notice";

    async fn run(self, ctx: &Context, run: &JobRun) -> anyhow::Result<()> {
        mail_person(ctx, run, self.user_id, |user| async move {
            notice_email(ctx, &user, self.circle_id).await
        })
        .await
    }
}

/// The notice, or `None` when it no longer applies (he left, muted the conversation, or
/// the circle is gone). It names the circle and nothing else: not who wrote, not when,
/// not a word of it.
async fn notice_email(
    ctx: &Context,
    user: &users::Model,
    circle_id: Uuid,
) -> anyhow::Result<Option<OutgoingEmail>> {
    let Some(circle) = circles::Entity::find_by_id(circle_id)
        .one(&ctx.main)
        .await?
    else {
        return Ok(None);
    };
    let still_member = active_members(&ctx.main, circle_id)
        .await?
        .contains(&user.id);
    let muted = participants::Entity::find_by_id((circle_id, user.id))
        .one(&ctx.main)
        .await?
        .is_some_and(|p| p.muted);
    if !still_member || muted || circle.archived_at.is_some() {
        return Ok(None);
    }
    let name = &circle.name;
    let page = format!("{}/circles/{}/conversation", site_url(ctx), circle.id);
    let body = format!(
        "Hello {},\n\nThere is a new message in the conversation of the circle \"{name}\". \
         Read it at {page}.\n\nMessages are encrypted on your circle's devices, so this email \
         cannot say what was written or by whom. You get at most one such email an hour for \
         each circle; to stop them, mute the conversation on its page.\n",
        user.display_name
    );
    Ok(Some(OutgoingEmail::to_user(
        user,
        &format!("New message in {name}"),
        body,
    )))
}

/// Blank the ciphertext of messages past their circle's disappearing time, and the whole
/// conversation of circles archived longer than the retention.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpireConversations {}

impl Job for ExpireConversations {
    const KIND: &'static str = "expire_conversations";

    async fn run(self, ctx: &Context, _run: &JobRun) -> anyhow::Result<()> {
        let now = ctx.now();
        let mut changed = Vec::new();
        let disappearing = settings_rows::Entity::find()
            .filter(settings_rows::Column::DisappearingDays.is_not_null())
            .all(&ctx.main)
            .await?;
        for s in disappearing {
            let days = i64::from(s.disappearing_days.unwrap_or_default());
            let older =
                Condition::all().add(messages::Column::SentAt.lt(now - Duration::days(days)));
            if blank(ctx, s.circle_id, older).await? > 0 {
                changed.push(s.circle_id);
            }
        }
        let retention = i64::from(ctx.settings.conversation.archive_retention_days);
        let archived = circles::Entity::find()
            .filter(circles::Column::ArchivedAt.lt(now - Duration::days(retention)))
            .all(&ctx.main)
            .await?;
        for circle in archived {
            if blank(ctx, circle.id, Condition::all()).await? > 0 {
                changed.push(circle.id);
            }
        }
        for circle_id in changed {
            ctx.bus
                .ring(Channel::Conversation, circle_id.to_string())
                .await;
        }
        Ok(())
    }
}

/// Deletes the ciphertext and signature of the circle's messages that match `which`;
/// tombstones (sequence, sender, time) stay, so the order has no holes. How many.
async fn blank(ctx: &Context, circle_id: Uuid, which: Condition) -> anyhow::Result<u64> {
    let txn = db::begin_write(&ctx.main).await?;
    let done = messages::Entity::update_many()
        .col_expr(
            messages::Column::Ciphertext,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            messages::Column::Signature,
            Expr::value(Option::<String>::None),
        )
        .col_expr(messages::Column::Pinned, Expr::value(false))
        .filter(messages::Column::CircleId.eq(circle_id))
        .filter(messages::Column::Ciphertext.is_not_null())
        .filter(which)
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(done.rows_affected)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place() -> participants::Model {
        participants::Model {
            circle_id: Uuid::nil(),
            user_id: Uuid::nil(),
            last_read_seq: 3,
            muted: false,
            last_notified_at: None,
            online_until: None,
        }
    }

    #[test]
    fn a_notice_is_due_only_for_unread_messages_of_an_away_unmuted_member() {
        let now = Utc::now();
        assert!(is_due(&place(), 4, now));
        assert!(!is_due(&place(), 3, now), "nothing unread");
        let muted = participants::Model {
            muted: true,
            ..place()
        };
        assert!(!is_due(&muted, 4, now));
        let online = participants::Model {
            online_until: Some(now + Duration::seconds(30)),
            ..place()
        };
        assert!(!is_due(&online, 4, now));
        let told = participants::Model {
            last_notified_at: Some(now - Duration::minutes(59)),
            ..place()
        };
        assert!(!is_due(&told, 4, now), "told within the hour");
        let told_long_ago = participants::Model {
            last_notified_at: Some(now - Duration::minutes(61)),
            ..place()
        };
        assert!(is_due(&told_long_ago, 4, now));
    }

    #[test]
    fn stored_payloads_read_as_before() {
        let id = Uuid::nil();
        crate::jobs::assert_reads_as_before(
            r#"{"kind":"conversation_notice_round","circle_id":"00000000-0000-0000-0000-000000000000"}"#,
            NoticeNewMessages { circle_id: id },
        );
        crate::jobs::assert_reads_as_before(
            r#"{"kind":"send_conversation_notice","user_id":"00000000-0000-0000-0000-000000000000","circle_id":"00000000-0000-0000-0000-000000000000"}"#,
            SendConversationNotice {
                user_id: id,
                circle_id: id,
            },
        );
    }
}
