//! The recurring sweep that lapses facilitators whose certification expired.

use crate::jobs::{Job, JobRun, Registration};
use crate::Context;
use chrono::Duration;
use serde::{Deserialize, Serialize};

/// The certification jobs the worker runs.
pub fn jobs() -> Vec<Registration> {
    vec![Registration::recurring::<LapseExpiredCertifications>(
        Duration::hours(1),
    )]
}

/// Recurring, hourly: people whose last certification expired stop being Facilitators,
/// and circles left without a certified leader are marked and told. Running it twice
/// changes nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LapseExpiredCertifications {}

impl Job for LapseExpiredCertifications {
    const KIND: &'static str = "lapse_expired_certifications";

    async fn run(self, ctx: &Context, _: &JobRun) -> anyhow::Result<()> {
        super::lapse_expired(ctx).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::assert_reads_as_before;

    #[test]
    fn the_payload_queued_by_the_previous_release_still_reads() {
        assert_reads_as_before(
            r#"{"kind":"lapse_expired_certifications"}"#,
            LapseExpiredCertifications {},
        );
    }
}
