//! What a live connection to a circle's conversation reads when the bell rings: the new
//! messages after its own last sequence number (through [`super::messages::list`], so
//! exactly what the member may read), and a small summary of everything else that can
//! change — roster, epoch, envelopes, settings, pins, deletions — so it can tell its
//! browser *what* changed without the bell carrying anything.

use super::messages::{self, MessagePage, PageQuery, MAX_PAGE};
use super::Conversing;
use crate::{Context, Result};
use db::sea_orm::{ConnectionTrait, FromQueryResult, Statement};
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
    roster_version: i64,
    epoch_number: i64,
    epochs_closed: i64,
    envelopes: i64,
    share_history: i64,
    disappearing_days: i64,
    pinned_count: i64,
    pinned_sum: i64,
    deleted: i64,
}

impl Summary {
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

/// The circle's summary now, in one statement (it runs on every bell of every connection).
pub async fn summary(ctx: &Context, conv: &Conversing) -> Result<Summary> {
    summary_of(&ctx.main, conv.circle_id()).await
}

async fn summary_of(db: &impl ConnectionTrait, circle_id: Uuid) -> Result<Summary> {
    // Every aggregate is cast to BIGINT so both backends hand back the same type.
    let sql = "SELECT \
        CAST((SELECT COALESCE(MAX(version), 0) FROM conversation_rosters WHERE circle_id = $1) AS BIGINT) AS roster_version, \
        CAST((SELECT COALESCE(MAX(number), 0) FROM conversation_epochs WHERE circle_id = $1) AS BIGINT) AS epoch_number, \
        CAST((SELECT COUNT(*) FROM conversation_epochs WHERE circle_id = $1 AND closed_at IS NOT NULL) AS BIGINT) AS epochs_closed, \
        CAST((SELECT COUNT(*) FROM conversation_envelopes WHERE circle_id = $1) AS BIGINT) AS envelopes, \
        CAST((SELECT COALESCE(MAX(CASE WHEN share_history THEN 1 ELSE 0 END), 0) FROM conversation_settings WHERE circle_id = $1) AS BIGINT) AS share_history, \
        CAST((SELECT COALESCE(MAX(disappearing_days), 0) FROM conversation_settings WHERE circle_id = $1) AS BIGINT) AS disappearing_days, \
        CAST((SELECT COUNT(*) FROM conversation_messages WHERE circle_id = $1 AND pinned) AS BIGINT) AS pinned_count, \
        CAST((SELECT COALESCE(SUM(seq), 0) FROM conversation_messages WHERE circle_id = $1 AND pinned) AS BIGINT) AS pinned_sum, \
        CAST((SELECT COUNT(*) FROM conversation_messages WHERE circle_id = $1 AND ciphertext IS NULL) AS BIGINT) AS deleted";
    let stmt = Statement::from_sql_and_values(db.get_database_backend(), sql, [circle_id.into()]);
    Ok(Summary::find_by_statement(stmt)
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("a summary query returns one row"))?)
}

/// The next page of messages after `after` that the member may read, at most [`MAX_PAGE`].
/// An empty page with `last_seq` beyond `after` means the messages in between are not his
/// (epochs his devices hold no key for).
pub async fn messages_after(ctx: &Context, conv: &Conversing, after: i64) -> Result<MessagePage> {
    let page = PageQuery {
        after: Some(after),
        before: None,
        limit: Some(MAX_PAGE),
    };
    messages::list(ctx, conv, page).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quiet() -> Summary {
        Summary {
            roster_version: 1,
            epoch_number: 1,
            epochs_closed: 0,
            envelopes: 3,
            share_history: 0,
            disappearing_days: 0,
            pinned_count: 0,
            pinned_sum: 0,
            deleted: 0,
        }
    }

    #[test]
    fn nothing_changed_means_no_change() {
        assert!(quiet().changes_to(&quiet()).is_empty());
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
