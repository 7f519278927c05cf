//! Reviewing scholarship requests: the queue of open ones, and granting or declining one.
//! Reviewers are Program Team Members and Admins; on a programme event for chosen circles
//! only its organiser among them reviews (anyone else would learn who is in those circles).

use super::asking::member_view;
use super::errors::ScholarshipError;
use super::fund::{draw_for_seat, fund_balance, FundBalance};
use super::jobs::{ScholarshipNotice, SendScholarshipNotice};
use super::sealed::{self, Words};
use super::{ScholarshipDecline, ScholarshipGrant, ScholarshipReview};
use crate::audit::{self, Action, Entry};
use crate::authz::ReviewingScholarships;
use crate::events::{lock_event, registration};
use crate::jobs::Job;
use crate::payments::{holds, price_of};
use crate::{Checks, Context, Error, RequestMeta, Result};
use db::main_db::{event_registrations as regs, events, scholarship_requests as requests, users};
use db::sea_orm::sea_query::Expr;
use db::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use domain::event::RegistrationStatus;
use domain::scholarship::{check_grant, GrantRefused, ScholarshipStatus};
use domain::{DomainError, Money};
use serde::Serialize;
use std::collections::HashMap;
use uuid::Uuid;

/// What granting did: the request, the fund afterwards, and a warning when the fund does
/// not hold what is now promised (the grant stands; the organisation covers the rest).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GrantOutcome {
    pub scholarship: ScholarshipReview,
    pub fund: Vec<FundBalance>,
    pub warning: Option<String>,
}

fn reviewable(proof: &ReviewingScholarships, e: &events::Model) -> bool {
    e.circle_id.is_none() && (e.open_to_all || e.organiser_id == proof.actor_id())
}

/// The open requests the reviewer may decide, oldest first.
#[tracing::instrument(skip_all, fields(actor_id = %proof.actor_id()), err(level = "info"))]
pub async fn queue(ctx: &Context, proof: &ReviewingScholarships) -> Result<Vec<ScholarshipReview>> {
    let open = requests::Entity::find()
        .filter(requests::Column::Status.eq(ScholarshipStatus::Open))
        .order_by_asc(requests::Column::CreatedAt)
        .all(&ctx.main)
        .await?;
    let found: HashMap<Uuid, events::Model> = events::Entity::find()
        .filter(events::Column::Id.is_in(open.iter().map(|r| r.event_id)))
        .all(&ctx.main)
        .await?
        .into_iter()
        .map(|e| (e.id, e))
        .collect();
    let mut out = Vec::new();
    for r in open {
        if let Some(e) = found.get(&r.event_id).filter(|e| reviewable(proof, e)) {
            out.push(review_view(ctx, &ctx.main, &r, e).await?);
        }
    }
    Ok(out)
}

/// One request, for a reviewer who may decide it.
#[tracing::instrument(skip_all, fields(actor_id = %proof.actor_id(), request_id = %id), err(level = "info"))]
pub async fn review_one(
    ctx: &Context,
    proof: &ReviewingScholarships,
    id: Uuid,
) -> Result<ScholarshipReview> {
    let r = requests::Entity::find_by_id(id)
        .one(&ctx.main)
        .await?
        .ok_or(Error::NotFound("scholarship"))?;
    let e = events::Entity::find_by_id(r.event_id)
        .one(&ctx.main)
        .await?
        .filter(|e| reviewable(proof, e))
        .ok_or(Error::NotFound("scholarship"))?;
    review_view(ctx, &ctx.main, &r, &e).await
}

/// Grants request `id`: the member pays `input.amount_minor` from now on. A zero amount
/// confirms his seat at once (and takes the price out of the fund); otherwise his seat is
/// held for payment afresh. He is emailed either way.
#[tracing::instrument(skip_all, fields(actor_id = %proof.actor_id(), request_id = %id), err(level = "info"))]
pub async fn grant(
    ctx: &Context,
    meta: &RequestMeta,
    proof: &ReviewingScholarships,
    id: Uuid,
    input: &ScholarshipGrant,
) -> Result<GrantOutcome> {
    let to_pay = grant_amount(input)?;
    let txn = db::begin_write(&ctx.main).await?;
    let (req, e, r) = open_request(&txn, proof, id).await?;
    let covered = check_grant(&price_of(&e)?, to_pay).map_err(|why| refused(&why))?;
    let decision = Decision {
        status: ScholarshipStatus::Granted,
        amounts: Some((to_pay.amount_minor(), covered.amount_minor())),
        note: input.note.as_ref().map(|n| n.as_str()),
    };
    decide(&txn, ctx, proof, id, &decision).await?;
    if to_pay.is_free() {
        registration::confirm_paid(&txn, ctx, r).await?;
        draw_for_seat(&txn, ctx, &e, req.registration_id).await?;
    } else {
        hold_afresh(&txn, ctx, &e, r).await?;
    }
    decided_and_told(
        &txn,
        meta,
        id,
        Action::ScholarshipGranted,
        ScholarshipNotice::Granted,
        ctx,
    )
    .await?;
    let fund = fund_balance(&txn).await?;
    let scholarship = reviewed(ctx, &txn, id, &e).await?;
    txn.commit().await?;
    let warning = fund
        .iter()
        .find(|f| f.currency == to_pay.currency().as_str() && f.available_minor < 0)
        .map(|f| {
            format!(
                "The scholarship fund does not hold what is now granted: {} available. The grant stands; the organisation covers the difference.",
                f.available_label
            )
        });
    Ok(GrantOutcome {
        scholarship,
        fund,
        warning,
    })
}

/// Declines request `id`: the full price applies, and his seat is held for payment afresh
/// (if it still awaits payment). He is emailed.
#[tracing::instrument(skip_all, fields(actor_id = %proof.actor_id(), request_id = %id), err(level = "info"))]
pub async fn decline(
    ctx: &Context,
    meta: &RequestMeta,
    proof: &ReviewingScholarships,
    id: Uuid,
    input: &ScholarshipDecline,
) -> Result<ScholarshipReview> {
    let txn = db::begin_write(&ctx.main).await?;
    let (e, r) = match open_request(&txn, proof, id).await {
        Err(Error::Rule { code, .. }) if code == ScholarshipError::NotAwaitingPayment.code() => {
            // A seat no longer held can still be told no: nothing else changes.
            let (_, e) = request_and_event(&txn, proof, id).await?;
            (e, None)
        }
        other => other.map(|(_, e, r)| (e, Some(r)))?,
    };
    let decision = Decision {
        status: ScholarshipStatus::Declined,
        amounts: None,
        note: input.note.as_ref().map(|n| n.as_str()),
    };
    decide(&txn, ctx, proof, id, &decision).await?;
    if let Some(r) = r {
        hold_afresh(&txn, ctx, &e, r).await?;
    }
    decided_and_told(
        &txn,
        meta,
        id,
        Action::ScholarshipDeclined,
        ScholarshipNotice::Declined,
        ctx,
    )
    .await?;
    let view = reviewed(ctx, &txn, id, &e).await?;
    txn.commit().await?;
    Ok(view)
}

/// A reviewer's decision on an open request.
struct Decision<'a> {
    status: ScholarshipStatus,
    /// When granted: (what he pays, what the fund covers), in minor units.
    amounts: Option<(i64, i64)>,
    /// The note to the member, sealed before it is stored.
    note: Option<&'a str>,
}

/// Writes a decision on request `id` if it is still open (who, when, the sealed note);
/// refused when another reviewer decided it first. Grant and decline differ only in what
/// `decision` carries.
async fn decide(
    txn: &impl ConnectionTrait,
    ctx: &Context,
    proof: &ReviewingScholarships,
    id: Uuid,
    decision: &Decision<'_>,
) -> Result<()> {
    let (note_at_rest, note_version) = sealed::seal(ctx, id, Words::DecisionNote, decision.note);
    let now = ctx.now();
    let mut update = requests::Entity::update_many()
        .col_expr(requests::Column::Status, Expr::value(decision.status))
        .col_expr(
            requests::Column::DecisionNoteAtRest,
            Expr::value(note_at_rest),
        )
        .col_expr(
            requests::Column::DecisionNoteKeyVersion,
            Expr::value(note_version),
        )
        .col_expr(requests::Column::DecidedBy, Expr::value(proof.actor_id()))
        .col_expr(requests::Column::DecidedAt, Expr::value(now))
        .col_expr(requests::Column::UpdatedAt, Expr::value(now));
    if let Some((due, covered)) = decision.amounts {
        update = update
            .col_expr(requests::Column::AmountDueMinor, Expr::value(due))
            .col_expr(requests::Column::CoveredMinor, Expr::value(covered));
    }
    let decided = update
        .filter(requests::Column::Id.eq(id))
        .filter(requests::Column::Status.eq(ScholarshipStatus::Open))
        .exec(txn)
        .await?;
    if decided.rows_affected != 1 {
        return Err(ScholarshipError::AlreadyDecided.into());
    }
    Ok(())
}

/// Request `id` as the reviewer sees it after his decision.
async fn reviewed(
    ctx: &Context,
    txn: &impl ConnectionTrait,
    id: Uuid,
    e: &events::Model,
) -> Result<ScholarshipReview> {
    let request = requests::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or(Error::NotFound("scholarship"))?;
    review_view(ctx, txn, &request, e).await
}

/// The amount to grant, checked: every problem at once, under `amount_minor`/`currency`.
fn grant_amount(input: &ScholarshipGrant) -> Result<Money> {
    Money::parse(input.amount_minor, input.currency.as_str()).map_err(|errors| {
        let mut c = Checks::default();
        for e in errors {
            let field = if e.field == "amount" {
                "amount_minor"
            } else {
                e.field
            };
            c.check::<()>(Err(DomainError::new(field, e.message)));
        }
        c.into_error()
    })
}

fn refused(why: &GrantRefused) -> Error {
    match why {
        GrantRefused::Free => Error::invalid(
            "amount_minor",
            "This event is free: there is nothing to reduce.",
        ),
        GrantRefused::OtherCurrency => {
            Error::invalid("currency", "Grant the scholarship in the event's currency.")
        }
        GrantRefused::NotBelowPrice(min) => Error::invalid(
            "amount_minor",
            format!("A scholarship lowers the price: grant less than {min} (0 for a free seat)."),
        ),
    }
}

/// The request, its event (locked) and its registration, when the reviewer may decide it
/// now: still open, and the seat still held for payment.
async fn open_request(
    txn: &impl ConnectionTrait,
    proof: &ReviewingScholarships,
    id: Uuid,
) -> Result<(requests::Model, events::Model, regs::Model)> {
    let (req, e) = request_and_event(txn, proof, id).await?;
    if req.status != ScholarshipStatus::Open {
        return Err(ScholarshipError::AlreadyDecided.into());
    }
    let r = regs::Entity::find_by_id(req.registration_id)
        .one(txn)
        .await?
        .filter(|r| r.status == RegistrationStatus::PaymentRequired)
        .ok_or(ScholarshipError::NotAwaitingPayment)?;
    Ok((req, e, r))
}

async fn request_and_event(
    txn: &impl ConnectionTrait,
    proof: &ReviewingScholarships,
    id: Uuid,
) -> Result<(requests::Model, events::Model)> {
    let req = requests::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or(Error::NotFound("scholarship"))?;
    let e = lock_event(txn, req.event_id).await?;
    if !reviewable(proof, &e) {
        return Err(Error::NotFound("scholarship"));
    }
    let req = requests::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or(Error::NotFound("scholarship"))?;
    Ok((req, e))
}

/// A decision that still asks for money gives the seat a fresh hold from now.
async fn hold_afresh(
    txn: &impl ConnectionTrait,
    ctx: &Context,
    e: &events::Model,
    r: regs::Model,
) -> Result<()> {
    let until = holds::hold_until(ctx, e);
    let id = r.id;
    let mut row: regs::ActiveModel = r.into();
    row.hold_expires_at = Set(Some(until));
    row.updated_at = Set(ctx.now());
    row.update(txn).await?;
    holds::plan_release(txn, ctx, id, until).await
}

/// Emails the member and audits the decision (the request only: no person, no words).
async fn decided_and_told(
    txn: &impl ConnectionTrait,
    meta: &RequestMeta,
    id: Uuid,
    action: Action,
    notice: ScholarshipNotice,
    ctx: &Context,
) -> Result<()> {
    SendScholarshipNotice {
        request_id: id,
        notice,
    }
    .enqueue(txn, ctx)
    .await?;
    audit::record(txn, meta, Entry::new(action).on("scholarship", id)).await?;
    Ok(())
}

async fn review_view(
    ctx: &Context,
    db: &impl ConnectionTrait,
    r: &requests::Model,
    e: &events::Model,
) -> Result<ScholarshipReview> {
    let price = price_of(e)?;
    let requester_name = users::Entity::find_by_id(r.user_id)
        .one(db)
        .await?
        .map(|u| u.display_name)
        .unwrap_or_default();
    let registration_status = regs::Entity::find_by_id(r.registration_id)
        .one(db)
        .await?
        .map_or_else(|| "cancelled".to_owned(), |reg| reg.status.to_string());
    Ok(ScholarshipReview {
        request: member_view(ctx, r)?,
        event_title: e.title.clone(),
        event_starts_at: e.starts_at,
        price_label: price.label(),
        price_minimum_minor: price.minimum().map_or(0, |m| m.amount_minor()),
        requester_id: r.user_id,
        requester_name,
        registration_status,
        covered_minor: r.covered_minor,
    })
}
