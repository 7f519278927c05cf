//! Where a queued job (the transactional outbox, docs/architecture.md, "Background work") stands.

use crate::vocabulary::text_enum;
use serde::{Deserialize, Serialize};

/// Where a job stands. A job runs at least once: it stays pending, retried with backoff,
/// until it succeeds or runs out of attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// Waiting to run, or to run again.
    Pending,
    /// Ran to completion.
    Done,
    /// Gave up after its last attempt; kept for an operator to look at.
    Failed,
}

text_enum!(JobStatus {
    Pending => "pending",
    Done => "done",
    Failed => "failed",
});

#[cfg(test)]
mod tests {
    use super::JobStatus;
    use crate::vocabulary::assert_text_round_trips;

    #[test]
    fn stored_names_round_trip() {
        assert_text_round_trips(&JobStatus::ALL, JobStatus::as_str, JobStatus::parse);
        assert_eq!(JobStatus::Failed.to_string(), "failed");
    }
}
