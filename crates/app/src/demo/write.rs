//! Writing the planned organisation into both databases.

use super::{
    check_options, known_accounts, plan, DemoError, Plan, SeedCounts, SeedOptions, SeedReport,
    DEMO_DOMAIN, DEMO_PASSWORD,
};
use crate::audit::{self, Action, Entry};
use crate::config::Environment;
use crate::{accounts, Context, RequestMeta, Result};
use chrono::SubsecRound;
use db::credentials::password_credentials;
use db::main_db::{
    attendance, circle_memberships, circles, event_circles, event_registrations, events,
    facilitator_certifications, meetings, user_roles, users, venues,
};
use db::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, IntoActiveModel,
    Iterable, PaginatorTrait, QueryFilter,
};
use std::time::Instant;
use uuid::Uuid;

/// Fills the configured databases with a demo organisation.
///
/// Refuses in production mode, when the options are out of range, when the database
/// already has accounts (unless `force`), and always when a demo organisation is already
/// there (its addresses would collide).
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn seed(ctx: &Context, opts: &SeedOptions) -> Result<SeedReport> {
    if ctx.settings.env == Environment::Production {
        return Err(DemoError::Production.into());
    }
    check_options(opts)?;
    let existing = users::Entity::find().count(&ctx.main).await?;
    let demo_there = users::Entity::find()
        .filter(users::Column::Email.ends_with(format!("@{DEMO_DOMAIN}")))
        .count(&ctx.main)
        .await?;
    if demo_there > 0 {
        return Err(DemoError::DemoPresent.with(format!(
                "This database already holds a demo organisation ({demo_there} accounts @{DEMO_DOMAIN}); \
                 seed into a fresh data folder or databases instead."
            )));
    }
    if existing > 0 && !opts.force {
        return Err(DemoError::DatabaseNotEmpty.with(format!(
                "This database already has {existing} accounts; pass --force to add a demo organisation anyway."
            )));
    }

    let started = Instant::now();
    let now = ctx.now().trunc_subsecs(0);
    let plan = plan(opts, now)?;
    let plan_ms = started.elapsed().as_millis();

    let started = Instant::now();
    // One hash for everyone: argon2 is deliberately slow, 10,000 of them would take minutes.
    let hash = accounts::hash_password(DEMO_PASSWORD).await?;
    let creds: Vec<password_credentials::Model> = plan
        .users
        .iter()
        .map(|u| password_credentials::Model {
            user_id: u.id,
            password_hash: hash.clone(),
            updated_at: now,
        })
        .collect();
    let user_ids: Vec<Uuid> = plan.users.iter().map(|u| u.id).collect();
    // Credentials first, as registration does: should the main write fail, the hashes are
    // unreachable and deleted again below.
    let txn = db::begin_write(&ctx.creds).await?;
    insert_all::<password_credentials::Entity>(&txn, creds).await?;
    txn.commit().await?;
    let counts = plan.counts();
    if let Err(e) = write_main(ctx, plan, &counts, opts.seed).await {
        for chunk in user_ids.chunks(1000) {
            // Best effort: the original error is the one worth reporting.
            let _ = password_credentials::Entity::delete_many()
                .filter(password_credentials::Column::UserId.is_in(chunk.iter().copied()))
                .exec(&ctx.creds)
                .await;
        }
        return Err(e);
    }
    Ok(SeedReport {
        counts,
        known: known_accounts(),
        password: DEMO_PASSWORD,
        plan_ms,
        write_ms: started.elapsed().as_millis(),
    })
}

async fn write_main(ctx: &Context, plan: Plan, counts: &SeedCounts, seed: u64) -> Result<()> {
    let txn = db::begin_write(&ctx.main).await?;
    let admin_id = plan.admin_id;
    insert_all::<users::Entity>(&txn, plan.users).await?;
    insert_all::<user_roles::Entity>(&txn, plan.roles).await?;
    insert_all::<facilitator_certifications::Entity>(&txn, plan.certifications).await?;
    insert_all::<venues::Entity>(&txn, plan.venues).await?;
    insert_all::<circles::Entity>(&txn, plan.circles).await?;
    let mut memberships = plan.memberships;
    for m in &mut memberships {
        crate::circles::membership::join_message::encrypt_row(ctx, m);
    }
    insert_all::<circle_memberships::Entity>(&txn, memberships).await?;
    // Demo notes are pending sealing, so kept encrypted like any other.
    let meetings = plan
        .meetings
        .into_iter()
        .map(|m| crate::circles::meetings::protect_note(ctx, m))
        .collect();
    insert_all::<meetings::Entity>(&txn, meetings).await?;
    insert_all::<attendance::Entity>(&txn, plan.attendance).await?;
    insert_all::<events::Entity>(&txn, plan.events).await?;
    insert_all::<event_circles::Entity>(&txn, plan.event_circles).await?;
    insert_all::<event_registrations::Entity>(&txn, plan.registrations).await?;
    audit::record(
        &txn,
        &RequestMeta::system(),
        Entry::new(Action::DemoSeeded)
            .by(admin_id)
            .details(serde_json::json!({
                "seed": seed,
                "counts": counts,
            })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Inserts `rows` with multi-row INSERTs, each under the backend's bound-parameter limit
/// (SQLite: 32766, PostgreSQL: 65535) and small enough that building the statement stays
/// cheap.
async fn insert_all<E>(txn: &impl ConnectionTrait, rows: Vec<E::Model>) -> Result<()>
where
    E: EntityTrait,
    E::Model: IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
{
    let columns = E::Column::iter().count().max(1);
    let budget = match txn.get_database_backend() {
        DbBackend::Postgres => 60_000,
        _ => 30_000,
    };
    let per_statement = (budget / columns).clamp(1, 2_000);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<E::ActiveModel> = rows
            .by_ref()
            .take(per_statement)
            .map(IntoActiveModel::into_active_model)
            .collect();
        E::insert_many(chunk).exec_without_returning(txn).await?;
    }
    Ok(())
}
