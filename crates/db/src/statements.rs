//! Counts the statements each request sends to the databases.
//!
//! Every connection [`crate::connect_pool`] opens reports each statement it runs (SeaORM's
//! metric callback, which runs on the task that awaited the statement). A request that
//! runs inside [`counted`] adds them to its own tally; the process-wide total feeds
//! `/metrics`. What is counted is every statement SeaORM sends through a connection or a
//! transaction, reads and writes alike; `BEGIN` and `COMMIT` are not.

use sea_orm::Statement;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

tokio::task_local! {
    static TALLY: Arc<Tally>;
}

#[derive(Default)]
struct Tally {
    count: AtomicU64,
    /// The statements themselves, when [`recorded`] asked for them.
    kept: Option<Mutex<Vec<Statement>>>,
}

/// Statements run since the process started, on every connection.
static TOTAL: AtomicU64 = AtomicU64::new(0);

/// Called by the connections for every statement they run.
pub(crate) fn note_statement(statement: &Statement) {
    TOTAL.fetch_add(1, Ordering::Relaxed);
    // Outside a counted future (jobs, start-up) there is no tally to add to.
    let _ = TALLY.try_with(|tally| {
        tally.count.fetch_add(1, Ordering::Relaxed);
        if let Some(kept) = &tally.kept {
            kept.lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(statement.clone());
        }
    });
}

/// Runs `work` and answers what it returned with the number of statements it ran on this
/// task (work it spawned onto other tasks is not counted).
pub async fn counted<F: Future>(work: F) -> (F::Output, u64) {
    let tally = Arc::new(Tally::default());
    let output = TALLY.scope(tally.clone(), work).await;
    (output, tally.count.load(Ordering::Relaxed))
}

/// Runs `work` and answers what it returned with the statements it ran on this task, in
/// order (tests look at their query plans).
pub async fn recorded<F: Future>(work: F) -> (F::Output, Vec<Statement>) {
    let tally = Arc::new(Tally {
        kept: Some(Mutex::default()),
        ..Tally::default()
    });
    let output = TALLY.scope(tally.clone(), work).await;
    let kept = tally
        .kept
        .as_ref()
        .map(|k| std::mem::take(&mut *k.lock().unwrap_or_else(|p| p.into_inner())))
        .unwrap_or_default();
    (output, kept)
}

/// Statements run so far in the counted future this is called from (`None` outside one).
pub fn so_far() -> Option<u64> {
    TALLY
        .try_with(|tally| tally.count.load(Ordering::Relaxed))
        .ok()
}

/// Statements run since the process started.
pub fn total() -> u64 {
    TOTAL.load(Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn select_one() -> Statement {
        Statement::from_string(sea_orm::DbBackend::Sqlite, "SELECT 1")
    }

    #[tokio::test]
    async fn a_counted_future_sees_only_its_own_statements() {
        let (_, outside) = counted(async {
            note_statement(&select_one());
            note_statement(&select_one());
            let ((), inner) = counted(async { note_statement(&select_one()) }).await;
            assert_eq!(inner, 1);
            assert_eq!(so_far(), Some(2));
        })
        .await;
        assert_eq!(outside, 2);
        assert_eq!(so_far(), None);
    }

    #[tokio::test]
    async fn statements_on_a_real_connection_are_counted() {
        use sea_orm::{ConnectionTrait, DbBackend, Statement};
        let db = crate::connect("sqlite::memory:", 1)
            .await
            .expect("in-memory SQLite");
        let (_, n) = counted(async {
            for _ in 0..3 {
                db.query_one(Statement::from_string(DbBackend::Sqlite, "SELECT 1"))
                    .await
                    .expect("select");
            }
        })
        .await;
        assert_eq!(n, 3);
    }
}
