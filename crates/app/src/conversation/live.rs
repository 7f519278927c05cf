//! What a live connection to a circle's conversation reads when the bell rings: a
//! one-statement summary of the circle's state — its newest sequence number, roster,
//! epochs, envelopes, settings, pins, deletions and memberships — and the new messages
//! after the connection's own last sequence number that the member may read.
//!
//! A [`Reader`] keeps the member's standing and what he may read between rings and
//! re-derives both whenever anything but the messages changed: leaving, removal, a revoked
//! device and new keys all change the summary (an epoch closes, envelopes go or come, the
//! memberships count differently). So an ordinary message costs a connection two small
//! queries, while a change of standing is still noticed on the very ring that announces it.

use super::messages::{Message, MAX_PAGE};
use super::reading::{readable, Readable};
use super::{converse, Conversing};
use crate::authz::Actor;
use crate::{Context, Result};
use db::main_db::conversation_messages as messages;
use db::sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, Statement,
};
use serde::Serialize;
use uuid::Uuid;

/// Something about the conversation other than new messages changed; the browser
/// re-reads that part (`GET /circles/{id}/conversation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Roster,
    Epoch,
    Envelopes,
    Settings,
    Pins,
    /// A message was deleted by its sender or expired.
    Deleted,
}

/// A summary of the conversation's state besides its messages: two summaries differ
/// where something changed. Counts and sums, never content.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct Summary {
    /// The circle's newest sequence number (0 before the first message).
    last_seq: i64,
    roster_version: i64,
    epoch_number: i64,
    epochs_closed: i64,
    envelopes: i64,
    share_history: i64,
    disappearing_days: i64,
    pinned_count: i64,
    pinned_sum: i64,
    deleted: i64,
    members_active: i64,
    members_gone: i64,
}

impl Summary {
    /// Whether anything but the messages changed (then standing and keys are re-read).
    fn state_differs(&self, now: &Summary) -> bool {
        Summary {
            last_seq: 0,
            ..self.clone()
        } != Summary {
            last_seq: 0,
            ..now.clone()
        }
    }

    /// What changed from `self` to `now`, in the order a browser best re-reads them.
    pub fn changes_to(&self, now: &Summary) -> Vec<Change> {
        let mut changed = Vec::new();
        if self.roster_version != now.roster_version {
            changed.push(Change::Roster);
        }
        if (self.epoch_number, self.epochs_closed) != (now.epoch_number, now.epochs_closed) {
            changed.push(Change::Epoch);
        }
        if self.envelopes != now.envelopes {
            changed.push(Change::Envelopes);
        }
        if (self.share_history, self.disappearing_days)
            != (now.share_history, now.disappearing_days)
        {
            changed.push(Change::Settings);
        }
        if (self.pinned_count, self.pinned_sum) != (now.pinned_count, now.pinned_sum) {
            changed.push(Change::Pins);
        }
        if self.deleted != now.deleted {
            changed.push(Change::Deleted);
        }
        changed
    }
}

/// The circle's summary now, in one statement (it runs on every ring of every connection).
async fn summary_of(db: &impl ConnectionTrait, circle_id: Uuid) -> Result<Summary> {
    // Every value is cast to BIGINT so both backends hand back the same type.
    let sql = "SELECT \
        CAST((SELECT COALESCE(MAX(seq), 0) FROM conversation_messages WHERE circle_id = $1) AS BIGINT) AS last_seq, \
        CAST((SELECT COALESCE(MAX(version), 0) FROM conversation_rosters WHERE circle_id = $1) AS BIGINT) AS roster_version, \
        CAST((SELECT COALESCE(MAX(number), 0) FROM conversation_epochs WHERE circle_id = $1) AS BIGINT) AS epoch_number, \
        CAST((SELECT COUNT(*) FROM conversation_epochs WHERE circle_id = $1 AND closed_at IS NOT NULL) AS BIGINT) AS epochs_closed, \
        CAST((SELECT COUNT(*) FROM conversation_envelopes WHERE circle_id = $1) AS BIGINT) AS envelopes, \
        CAST((SELECT COALESCE(MAX(CASE WHEN share_history THEN 1 ELSE 0 END), 0) FROM conversation_settings WHERE circle_id = $1) AS BIGINT) AS share_history, \
        CAST((SELECT COALESCE(MAX(disappearing_days), 0) FROM conversation_settings WHERE circle_id = $1) AS BIGINT) AS disappearing_days, \
        CAST((SELECT COUNT(*) FROM conversation_messages WHERE circle_id = $1 AND pinned) AS BIGINT) AS pinned_count, \
        CAST((SELECT COALESCE(SUM(seq), 0) FROM conversation_messages WHERE circle_id = $1 AND pinned) AS BIGINT) AS pinned_sum, \
        CAST((SELECT COUNT(*) FROM conversation_messages WHERE circle_id = $1 AND ciphertext IS NULL) AS BIGINT) AS deleted, \
        CAST((SELECT COUNT(*) FROM circle_memberships WHERE circle_id = $1 AND status = 'active') AS BIGINT) AS members_active, \
        CAST((SELECT COUNT(*) FROM circle_memberships WHERE circle_id = $1 AND status IN ('left', 'removed')) AS BIGINT) AS members_gone";
    let stmt = Statement::from_sql_and_values(db.get_database_backend(), sql, [circle_id.into()]);
    Ok(Summary::find_by_statement(stmt)
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("a summary query returns one row"))?)
}

/// New messages for a live connection: a page, ascending, and the circle's newest
/// sequence number (beyond the page's last when the messages in between are not his).
#[derive(Debug, Clone)]
pub struct Page {
    pub messages: Vec<Message>,
    pub last_seq: i64,
}

/// One live connection's view of a circle's conversation.
pub struct Reader {
    conv: Conversing,
    can_read: Readable,
    summary: Summary,
    /// The newest sequence number this connection has looked at.
    seen: i64,
}

impl Reader {
    /// Opens the conversation for `actor` (a member or leader: see [`converse`]), with
    /// everything after `after` still to read.
    pub async fn open(ctx: &Context, actor: &Actor, circle_id: Uuid, after: i64) -> Result<Reader> {
        let conv = converse(ctx, actor, circle_id).await?;
        let summary = summary_of(&ctx.main, circle_id).await?;
        let can_read = readable(&ctx.main, circle_id, actor.id()).await?;
        Ok(Reader {
            conv,
            can_read,
            summary,
            seen: after.max(0),
        })
    }

    pub fn conversing(&self) -> &Conversing {
        &self.conv
    }

    /// The bell rang: what changed besides the messages. When anything did, the member's
    /// standing is checked again (`Forbidden` once he is out) and what he may read re-read.
    pub async fn changes(&mut self, ctx: &Context, actor: &Actor) -> Result<Vec<Change>> {
        let circle_id = self.conv.circle_id();
        let now = summary_of(&ctx.main, circle_id).await?;
        let changed = self.summary.changes_to(&now);
        if self.summary.state_differs(&now) {
            self.recheck(ctx, actor).await?;
        }
        self.summary = now;
        Ok(changed)
    }

    /// Checks his standing and what he may read again (also done on a timer).
    pub async fn recheck(&mut self, ctx: &Context, actor: &Actor) -> Result<()> {
        self.conv = converse(ctx, actor, self.conv.circle_id()).await?;
        self.can_read = readable(&ctx.main, self.conv.circle_id(), actor.id()).await?;
        Ok(())
    }

    /// The next page of messages he may read after the last one this connection saw, or
    /// `None` when there is nothing new.
    pub async fn next_page(&mut self, ctx: &Context) -> Result<Option<Page>> {
        if self.seen >= self.summary.last_seq {
            return Ok(None);
        }
        let rows = messages::Entity::find()
            .filter(messages::Column::CircleId.eq(self.conv.circle_id()))
            .filter(messages::Column::Seq.gt(self.seen))
            .filter(self.can_read.condition())
            .order_by_asc(messages::Column::Seq)
            .limit(MAX_PAGE)
            .all(&ctx.main)
            .await?;
        let Some(newest) = rows.last().map(|m| m.seq) else {
            // Nothing he may read up to the newest message: no need to look again.
            self.seen = self.summary.last_seq;
            return Ok(None);
        };
        self.seen = newest;
        Ok(Some(Page {
            messages: rows.into_iter().map(Message::from).collect(),
            last_seq: self.summary.last_seq.max(newest),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quiet() -> Summary {
        Summary {
            last_seq: 4,
            roster_version: 1,
            epoch_number: 1,
            epochs_closed: 0,
            envelopes: 3,
            share_history: 0,
            disappearing_days: 0,
            pinned_count: 0,
            pinned_sum: 0,
            deleted: 0,
            members_active: 3,
            members_gone: 0,
        }
    }

    #[test]
    fn nothing_changed_means_no_change() {
        assert!(quiet().changes_to(&quiet()).is_empty());
        let more = Summary {
            last_seq: 9,
            ..quiet()
        };
        assert!(
            quiet().changes_to(&more).is_empty(),
            "messages are not a change"
        );
        assert!(!quiet().state_differs(&more));
    }

    #[test]
    fn a_membership_change_makes_the_reader_look_again() {
        let removed = Summary {
            members_active: 2,
            members_gone: 1,
            ..quiet()
        };
        assert!(
            quiet().changes_to(&removed).is_empty(),
            "nothing to tell the browser"
        );
        assert!(quiet().state_differs(&removed));
    }

    #[test]
    fn each_part_is_named_once() {
        let before = quiet();
        let after = Summary {
            epochs_closed: 1,
            epoch_number: 2,
            envelopes: 6,
            pinned_count: 1,
            pinned_sum: 7,
            deleted: 2,
            ..quiet()
        };
        assert_eq!(
            before.changes_to(&after),
            vec![
                Change::Epoch,
                Change::Envelopes,
                Change::Pins,
                Change::Deleted
            ]
        );
        let moved_pin = Summary {
            pinned_count: 1,
            pinned_sum: 9,
            ..after.clone()
        };
        assert_eq!(after.changes_to(&moved_pin), vec![Change::Pins]);
        let settings = Summary {
            disappearing_days: 30,
            roster_version: 2,
            ..quiet()
        };
        assert_eq!(
            quiet().changes_to(&settings),
            vec![Change::Roster, Change::Settings]
        );
    }
}
