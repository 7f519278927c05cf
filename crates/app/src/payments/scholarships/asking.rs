//! A member asking for a scholarship on his own registration, and reading its answer.

use super::errors::ScholarshipError;
use super::sealed::{self, Words};
use super::{label, offered_on, ScholarshipAsk, ScholarshipView};
use crate::audit::{self, Action, Entry};
use crate::authz::Actor;
use crate::events::lock_event;
use crate::payments::{holds, price_of};
use crate::{Context, Error, RequestMeta, Result};
use db::main_db::{event_registrations as regs, scholarship_requests as requests};
use db::sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use domain::event::RegistrationStatus;
use domain::scholarship::ScholarshipStatus;
use uuid::Uuid;

/// Asks for a scholarship on the actor's own registration `registration_id` at event
/// `event_id`, whose seat is held for payment. The seat stays held until the event starts
/// while the request is open. Someone else's registration does not exist for him.
#[tracing::instrument(skip_all, fields(actor_id = %actor.id(), registration_id = %registration_id), err(level = "info"))]
pub async fn ask(
    ctx: &Context,
    meta: &RequestMeta,
    actor: &Actor,
    event_id: Uuid,
    registration_id: Uuid,
    input: &ScholarshipAsk,
) -> Result<ScholarshipView> {
    let txn = db::begin_write(&ctx.main).await?;
    let e = lock_event(&txn, event_id).await?;
    let r = regs::Entity::find_by_id(registration_id)
        .filter(regs::Column::EventId.eq(e.id))
        .filter(regs::Column::UserId.eq(actor.id()))
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("registration"))?;
    if !offered_on(&e) {
        return Err(ScholarshipError::NotOffered.into());
    }
    let now = ctx.now();
    let held = r.status == RegistrationStatus::PaymentRequired
        && r.hold_expires_at.is_none_or(|at| at > now);
    let minimum = price_of(&e)?.minimum();
    let Some(minimum) = minimum.filter(|_| held) else {
        return Err(ScholarshipError::NotAwaitingPayment.into());
    };
    let asked = requests::Entity::find()
        .filter(requests::Column::RegistrationId.eq(r.id))
        .one(&txn)
        .await?;
    if asked.is_some() {
        return Err(ScholarshipError::AlreadyAsked.into());
    }
    let id = Uuid::now_v7();
    let reason = input.reason.as_ref().map(|r| r.as_str());
    let (reason_at_rest, reason_key_version) = sealed::seal(ctx, id, Words::Reason, reason);
    let request = requests::ActiveModel {
        id: Set(id),
        registration_id: Set(r.id),
        event_id: Set(e.id),
        user_id: Set(actor.id()),
        status: Set(ScholarshipStatus::Open),
        reason_at_rest: Set(reason_at_rest),
        reason_key_version: Set(reason_key_version),
        amount_due_minor: Set(None),
        covered_minor: Set(None),
        currency: Set(minimum.currency().as_str().to_owned()),
        decision_note_at_rest: Set(None),
        decision_note_key_version: Set(None),
        decided_by: Set(None),
        decided_at: Set(None),
        ledger_entry_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    // Held until the event starts while he waits for the answer (see the module docs).
    let mut row: regs::ActiveModel = r.into();
    row.hold_expires_at = Set(Some(e.starts_at));
    row.updated_at = Set(now);
    row.update(&txn).await?;
    holds::plan_release(&txn, ctx, registration_id, e.starts_at).await?;
    audit::record(
        &txn,
        meta,
        Entry::new(Action::ScholarshipRequested).on("scholarship", id),
    )
    .await?;
    txn.commit().await?;
    member_view(ctx, &request)
}

/// The actor's own request on his registration, if he made one.
#[tracing::instrument(skip_all, fields(actor_id = %actor.id(), registration_id = %registration_id), err(level = "info"))]
pub async fn for_registration(
    ctx: &Context,
    actor: &Actor,
    event_id: Uuid,
    registration_id: Uuid,
) -> Result<Option<ScholarshipView>> {
    let found = requests::Entity::find()
        .filter(requests::Column::RegistrationId.eq(registration_id))
        .filter(requests::Column::EventId.eq(event_id))
        .filter(requests::Column::UserId.eq(actor.id()))
        .one(&ctx.main)
        .await?;
    found.map(|r| member_view(ctx, &r)).transpose()
}

/// The request in words, for the member who made it or a reviewer.
pub(super) fn member_view(ctx: &Context, r: &requests::Model) -> Result<ScholarshipView> {
    let reason = sealed::open(
        ctx,
        r.id,
        Words::Reason,
        r.reason_at_rest.as_deref(),
        r.reason_key_version,
    )?;
    let decision_note = sealed::open(
        ctx,
        r.id,
        Words::DecisionNote,
        r.decision_note_at_rest.as_deref(),
        r.decision_note_key_version,
    )?;
    Ok(ScholarshipView {
        id: r.id,
        event_id: r.event_id,
        registration_id: r.registration_id,
        status: r.status,
        reason,
        amount_due_minor: r.amount_due_minor,
        currency: r.currency.clone(),
        amount_due_label: r.amount_due_minor.map(|m| label(m, &r.currency)),
        decision_note,
        created_at: r.created_at,
        decided_at: r.decided_at,
    })
}
