//! The job queue, driven by the app's clock: a job whose worker died is taken up again once
//! its 30-second lease runs out (and not while the lease is renewed), a retry after a crash
//! sends no second email, and recurring jobs keep one run queued.

use crate::helpers::{TestApp, PASSWORD};
use chrono::Duration;
use db::main_db::{job_effects, jobs};
use db::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use domain::job::JobStatus;
use reqwest::StatusCode;
use serde_json::json;

/// A new account's verification email, queued and not yet sent; the job's id.
async fn queued_verification(app: &TestApp, email: &str) -> uuid::Uuid {
    let res = app.register(email, PASSWORD, "Queued").await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let rows = app.jobs().await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    rows[0].id
}

async fn claim(app: &TestApp) -> Option<app::jobs::Lease> {
    app::jobs::claim(&app.ctx).await.expect("claim")
}

async fn job(app: &TestApp, id: uuid::Uuid) -> jobs::Model {
    jobs::Entity::find_by_id(id)
        .one(&app.ctx.main)
        .await
        .unwrap()
        .expect("job row")
}

async fn a_job_whose_worker_died_is_taken_up_again_after_its_lease(app: TestApp) {
    let id = queued_verification(&app, "lease@example.org").await;
    let first = claim(&app).await.expect("a due job");
    assert_eq!(
        (first.id, first.kind.as_str()),
        (id, "send_verification_email")
    );
    // The worker holding it dies here: it never finishes. Others keep off for 30 s.
    assert!(claim(&app).await.is_none(), "claimed twice at once");
    app.advance(Duration::seconds(29));
    assert!(claim(&app).await.is_none(), "the lease ended early");
    app.advance(Duration::seconds(2));
    let second = claim(&app).await.expect("taken up again after 31 s");
    assert_eq!(second.id, id);
    assert_eq!(job(&app, id).await.attempts, 2);

    // The new holder runs and finishes it; the dead one, should it wake, changes nothing.
    let outcome = second.run(&app.ctx).await;
    assert!(outcome.is_ok(), "{outcome:?}");
    second.finish(&app.ctx, &outcome).await.unwrap();
    assert!(
        !first.renew(&app.ctx).await.unwrap(),
        "a lost lease renewed"
    );
    let stale: anyhow::Result<()> = Err(anyhow::anyhow!("woke up late"));
    first.finish(&app.ctx, &stale).await.unwrap();
    let row = job(&app, id).await;
    assert_eq!(row.status, JobStatus::Done, "{row:?}");
    assert_eq!(row.last_error, None, "{row:?}");
    assert_eq!(app.emails_to("lease@example.org").len(), 1);
}

async fn a_renewed_lease_keeps_the_job_with_its_worker(app: TestApp) {
    let id = queued_verification(&app, "renew@example.org").await;
    let lease = claim(&app).await.expect("a due job");
    app.advance(Duration::seconds(20));
    assert!(lease.renew(&app.ctx).await.unwrap(), "renewed while held");
    app.advance(Duration::seconds(20));
    assert!(
        claim(&app).await.is_none(),
        "taken while its lease was renewed"
    );
    app.advance(Duration::seconds(11));
    let again = claim(&app).await.expect("taken up once renewals stop");
    assert_eq!(again.id, id);
    assert!(
        !lease.renew(&app.ctx).await.unwrap(),
        "the old holder lost it"
    );
}

async fn a_retry_after_a_crash_does_not_send_the_email_twice(app: TestApp) {
    let to = "once@example.org";
    let id = queued_verification(&app, to).await;
    // A worker sends the email, then dies before marking the job done.
    let lease = claim(&app).await.expect("a due job");
    lease.run(&app.ctx).await.expect("the email is sent");
    let mails = app.emails_to(to);
    assert_eq!(mails.len(), 1);
    let sent = testkit::mail::link_token(&mails[0].body, "verify-email").expect("a link");
    assert_eq!(job(&app, id).await.status, JobStatus::Pending);

    // Another worker takes the job up after the lease: it finishes without sending again,
    // and without issuing a new link that would void the one mailed.
    app.advance(Duration::seconds(31));
    let stats = app.run_pending_jobs().await;
    assert_eq!((stats.succeeded, stats.failed), (1, 0), "{stats:?}");
    let row = job(&app, id).await;
    assert_eq!((row.status, row.attempts), (JobStatus::Done, 2));
    let mails = app.emails_to(to);
    assert_eq!(mails.len(), 1, "{mails:#?}");
    let token = testkit::mail::link_token(&mails[0].body, "verify-email");
    assert_eq!(token.as_deref(), Some(sent.as_str()), "a second email");
    let effects = job_effects::Entity::find()
        .filter(job_effects::Column::JobId.eq(id))
        .all(&app.ctx.main)
        .await
        .unwrap();
    assert_eq!(effects.len(), 1, "{effects:?}");
    assert_eq!(effects[0].effect, "email");
    assert_eq!(app.verify_email(&sent).await.status(), StatusCode::OK);
}

async fn recurring_jobs_keep_one_run_queued(app: TestApp) {
    const KIND: &str = "lapse_expired_certifications";
    let queued = |rows: Vec<jobs::Model>, status: JobStatus| {
        rows.into_iter()
            .filter(|j| j.kind == KIND && j.status == status)
            .collect::<Vec<_>>()
    };
    app::jobs::ensure_recurring(&app.ctx).await.unwrap();
    app::jobs::ensure_recurring(&app.ctx).await.unwrap();
    let pending = queued(app.jobs().await, JobStatus::Pending);
    assert_eq!(pending.len(), 1, "{pending:?}");
    let first_run = pending[0].run_at;
    assert!(first_run > app.now() + Duration::minutes(59), "{first_run}");
    assert_eq!(app.run_pending_jobs().await.succeeded, 0, "due in an hour");

    app.advance(Duration::hours(1) + Duration::seconds(1));
    // Every recurring kind ran once; this one is counted below.
    assert!(app.run_pending_jobs().await.succeeded >= 1);
    let rows = app.jobs().await;
    assert_eq!(queued(rows.clone(), JobStatus::Done).len(), 1);
    let next = queued(rows, JobStatus::Pending);
    assert_eq!(next.len(), 1, "{next:?}");
    assert!(next[0].run_at >= first_run + Duration::hours(1), "{next:?}");
}

async fn an_expired_certification_lapses_on_the_hourly_sweep(app: TestApp) {
    let admin = app.admin().await;
    let user = app.signed_up("lapsing@example.org").await;
    let expires = app.now() + Duration::days(2);
    let res = app
        .post_as(
            &admin.access_token,
            "/api/v1/certifications",
            json!({ "user_id": user.id, "expires_at": expires }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = app.put_role(&admin, user.id, "facilitator").await;
    assert_eq!(res.status(), StatusCode::OK);
    app::jobs::ensure_recurring(&app.ctx).await.unwrap();

    app.advance(Duration::days(1));
    app.run_pending_jobs().await;
    let roles = app.me(&app.signed_in_again(&user).await).await["roles"].clone();
    assert_eq!(roles, json!(["member", "facilitator"]), "still certified");

    app.advance(Duration::days(1) + Duration::hours(1));
    app.run_pending_jobs().await;
    let roles = app.me(&app.signed_in_again(&user).await).await["roles"].clone();
    assert_eq!(roles, json!(["member"]), "the sweep lapsed him");
    let lapsed = app.audit_records("facilitator_certification_expired").await;
    assert_eq!(lapsed.len(), 1);
}

crate::on_both_backends!(
    a_job_whose_worker_died_is_taken_up_again_after_its_lease,
    a_renewed_lease_keeps_the_job_with_its_worker,
    a_retry_after_a_crash_does_not_send_the_email_twice,
    recurring_jobs_keep_one_run_queued,
    an_expired_certification_lapses_on_the_hourly_sweep,
);
