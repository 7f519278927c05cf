//! The scholarship emails the job worker sends: the answer to a request, granted or
//! declined (the text is in [`super::mail`]).

use super::mail;
use crate::accounts::jobs::mail_person;
use crate::jobs::{Job, JobRun};
use crate::Context;
use db::main_db::scholarship_requests as requests;
use db::sea_orm::EntityTrait;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Tell a member the answer to his request. The payload carries only the request's id:
/// its words stay encrypted in the database, never in the queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendScholarshipNotice {
    pub request_id: Uuid,
    pub notice: ScholarshipNotice,
}

/// What a scholarship email tells its reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScholarshipNotice {
    Granted,
    Declined,
}

impl Job for SendScholarshipNotice {
    const KIND: &'static str = "send_scholarship_notice";

    async fn run(self, ctx: &Context, run: &JobRun) -> anyhow::Result<()> {
        let Some(request) = requests::Entity::find_by_id(self.request_id)
            .one(&ctx.main)
            .await?
        else {
            return Ok(());
        };
        mail_person(ctx, run, request.user_id, |user| async move {
            mail::notice(ctx, &user, &request, self.notice).await
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::assert_reads_as_before;

    /// The payload names the request only: its words never enter the queue.
    #[test]
    fn the_payload_carries_the_request_and_nothing_else() {
        let request_id = Uuid::from_u128(7);
        assert_reads_as_before(
            &format!(
                r#"{{"kind":"send_scholarship_notice","request_id":"{request_id}","notice":"granted"}}"#
            ),
            SendScholarshipNotice {
                request_id,
                notice: ScholarshipNotice::Granted,
            },
        );
    }
}
