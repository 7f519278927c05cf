//! The text of scholarship emails. The member's reason is never in them; the reviewer's
//! note, written to him, is.

use super::jobs::ScholarshipNotice;
use super::label;
use super::sealed::{self, Words};
use crate::email::{local_time, site_url, OutgoingEmail};
use crate::Context;
use db::main_db::{event_registrations as regs, events, scholarship_requests as requests, users};
use db::sea_orm::EntityTrait;

/// The email answering `request`; `None` when its event no longer exists.
pub(super) async fn notice(
    ctx: &Context,
    user: &users::Model,
    request: &requests::Model,
    notice: ScholarshipNotice,
) -> anyhow::Result<Option<OutgoingEmail>> {
    let Some(e) = events::Entity::find_by_id(request.event_id)
        .one(&ctx.main)
        .await?
    else {
        return Ok(None);
    };
    let title = &e.title;
    let page = format!("{}/events/{}", site_url(ctx), e.id);
    let held = regs::Entity::find_by_id(request.registration_id)
        .one(&ctx.main)
        .await?
        .and_then(|r| r.hold_expires_at)
        .map_or_else(
            || "for a limited time".to_owned(),
            |at| format!("until {}", local_time(at, &e.time_zone)),
        );
    let pay = format!("Your seat is held for you {held}: pay on site or by transfer, and the organiser confirms your seat once the payment is recorded.");
    let (subject, what) = match (notice, request.amount_due_minor) {
        (ScholarshipNotice::Granted, Some(0)) => (
            format!("Scholarship granted: {title}"),
            format!("Your scholarship for \"{title}\" is granted: your seat is free and confirmed, so you're in. Details: {page}"),
        ),
        (ScholarshipNotice::Granted, due) => (
            format!("Scholarship granted: {title}"),
            format!(
                "Your scholarship for \"{title}\" is granted: you pay {} for your seat. {pay} Details: {page}",
                label(due.unwrap_or(0), &request.currency)
            ),
        ),
        (ScholarshipNotice::Declined, _) => (
            format!("About your scholarship request: {title}"),
            format!("We could not grant a scholarship for \"{title}\" this time, so its usual price applies. {pay} Details: {page}"),
        ),
    };
    let note = sealed::open(
        ctx,
        request.id,
        Words::DecisionNote,
        request.decision_note_at_rest.as_deref(),
        request.decision_note_key_version,
    )?
    .map(|n| format!("\n\nA note from the reviewer:\n{n}"))
    .unwrap_or_default();
    Ok(Some(OutgoingEmail::to_user(
        user,
        &subject,
        format!("Hello {},\n\n{what}{note}\n", user.display_name),
    )))
}
