//! The text of circle emails: notices about requests, decisions and departures, moved or
//! cancelled meetings, and invitations (sent by [`super::jobs`]).

use super::jobs::{CircleNotice, MeetingNotice};
use crate::email::{local_time, site_url as base, OutgoingEmail};
use crate::Context;
use chrono::{DateTime, Utc};
use db::main_db::{
    circle_invitations, circle_memberships, circle_step_ins, circles, events, meetings, users,
};
use db::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

/// The notice for `user` about `circle_id`, or `None` when the circle no longer exists.
pub(super) async fn notice(
    ctx: &Context,
    user: &users::Model,
    circle_id: Uuid,
    notice: CircleNotice,
) -> anyhow::Result<Option<OutgoingEmail>> {
    let Some(circle) = circles::Entity::find_by_id(circle_id)
        .one(&ctx.main)
        .await?
    else {
        return Ok(None);
    };
    let reason = || async {
        let m = circle_memberships::Entity::find()
            .filter(circle_memberships::Column::CircleId.eq(circle_id))
            .filter(circle_memberships::Column::UserId.eq(user.id))
            .one(&ctx.main)
            .await?;
        anyhow::Ok(
            m.and_then(|m| m.reason)
                .map(|r| format!("\n\nThe reason given: {r}"))
                .unwrap_or_default(),
        )
    };
    let name = &circle.name;
    let page = format!("{}/circles/{}", base(ctx), circle.id);
    let (subject, what) = match notice {
        CircleNotice::JoinRequestReceived => (
            format!("Your request to join {name}"),
            format!("Your request to join the circle \"{name}\" reached its facilitators. We will email you when they decide."),
        ),
        CircleNotice::NewJoinRequest => (
            format!("Someone asked to join {name}"),
            // Never the message itself: it is sealed to the leaders' devices (or encrypted at
            // rest), and an email would carry it in plain text.
            format!("Someone asked to join the circle \"{name}\". Read their request and its message on the requests page: {page}/requests"),
        ),
        CircleNotice::RequestApproved => (
            format!("Welcome to {name}"),
            format!("Your request to join the circle \"{name}\" was approved. See the circle at {page}."),
        ),
        CircleNotice::RequestDeclined => (
            format!("Your request to join {name}"),
            format!("Your request to join the circle \"{name}\" was not accepted this time.{}", reason().await?),
        ),
        CircleNotice::Removed => (
            format!("You are no longer a member of {name}"),
            format!("A facilitator removed you from the circle \"{name}\".{}", reason().await?),
        ),
        CircleNotice::MemberLeft => (
            format!("A member left {name}"),
            format!("A member left the circle \"{name}\"; a seat is free again. See {page}."),
        ),
        CircleNotice::InvitationAccepted => (
            format!("A new member joined {name}"),
            format!("Someone accepted an invitation and joined the circle \"{name}\". See {page}."),
        ),
        CircleNotice::CoFacilitatorAdded => (
            format!("You co-facilitate {name}"),
            format!("You were made a co-facilitator of the circle \"{name}\". See {page}."),
        ),
        CircleNotice::CoFacilitatorRemoved => (
            format!("You no longer co-facilitate {name}"),
            format!("You are no longer a co-facilitator of the circle \"{name}\"."),
        ),
        CircleNotice::Archived => (
            format!("{name} has been archived"),
            format!("The circle \"{name}\" has been archived: it no longer meets or takes requests. Thank you for the time you gave it."),
        ),
        CircleNotice::NewCoFacilitator { user_id } => (
            format!("{name} has a new co-facilitator"),
            format!("{} now co-facilitates the circle \"{name}\": they see who is in the circle and help run it. See {page}.", display_name(ctx, user_id).await?),
        ),
        CircleNotice::StepInStarted { step_in_id } => {
            let Some(s) = circle_step_ins::Entity::find_by_id(step_in_id).one(&ctx.main).await? else {
                return Ok(None);
            };
            (
                format!("An administrator has stepped in to {name}"),
                format!(
                    "{admin}, an administrator, has stepped in to the circle \"{name}\" until {until}, for this reason:\n\n  {reason}\n\n\
                     Until then they can see what the circle's members see (who is in it, meeting notes and attendance) and act as a facilitator. \
                     Every member is told, and it is recorded. Nobody outside the circle can do this without you knowing. See {page}.",
                    admin = display_name(ctx, s.admin_id).await?,
                    until = local_time(s.expires_at, &circle.time_zone),
                    reason = s.reason,
                ),
            )
        }
        CircleNotice::NeedsFacilitator => (
            format!("{name} needs a facilitator"),
            format!("No certified facilitator leads the circle \"{name}\" at the moment. The Program Team has been told and will help; the circle and its members stay as they are. See {page}."),
        ),
        CircleNotice::NeedsFacilitatorAlert => (
            format!("{name} needs a certified facilitator"),
            format!("No leader of the circle \"{name}\" holds a current facilitator certification any more, so nobody can run it. Renew a certification, or ask an Admin to step in and add a certified co-facilitator. See {page}."),
        ),
        CircleNotice::EventOffered { event_id } => {
            let Some(e) = events::Entity::find_by_id(event_id).one(&ctx.main).await? else {
                return Ok(None);
            };
            (
                format!("Offer \"{}\" to {name}?", e.title),
                format!(
                    "{organiser} would like to offer the event \"{title}\" to the members of \"{name}\". \
                     It is shown to them only once a facilitator of the circle accepts. Accept or decline at {page}.",
                    organiser = display_name(ctx, e.organiser_id).await?,
                    title = e.title,
                ),
            )
        }
    };
    Ok(Some(OutgoingEmail::to_user(
        user,
        &subject,
        format!("Hello {},\n\n{what}\n", user.display_name),
    )))
}

/// The notice for `user` that a meeting moved or was cancelled, with times in the circle's
/// time zone; `None` when the meeting or its circle no longer exists.
pub(super) async fn meeting_notice(
    ctx: &Context,
    user: &users::Model,
    meeting_id: Uuid,
    notice: MeetingNotice,
) -> anyhow::Result<Option<OutgoingEmail>> {
    let Some(meeting) = meetings::Entity::find_by_id(meeting_id)
        .one(&ctx.main)
        .await?
    else {
        return Ok(None);
    };
    let Some(circle) = circles::Entity::find_by_id(meeting.circle_id)
        .one(&ctx.main)
        .await?
    else {
        return Ok(None);
    };
    let local = |at: DateTime<Utc>| local_time(at, &circle.time_zone);
    let name = &circle.name;
    let page = format!("{}/circles/{}/meetings", base(ctx), circle.id);
    let (subject, what) = match notice {
        MeetingNotice::Moved { from } => (
            format!("{name}: a meeting has moved"),
            format!(
                "The meeting of \"{name}\" planned for {} now takes place on {}. See {page}.",
                local(from),
                local(meeting.starts_at)
            ),
        ),
        MeetingNotice::Cancelled => (
            format!("{name}: a meeting is cancelled"),
            format!(
                "The meeting of \"{name}\" on {} is cancelled. See {page}.",
                local(meeting.starts_at)
            ),
        ),
    };
    Ok(Some(OutgoingEmail::to_user(
        user,
        &subject,
        format!("Hello {},\n\n{what}\n", user.display_name),
    )))
}

async fn display_name(ctx: &Context, user_id: Uuid) -> anyhow::Result<String> {
    Ok(users::Entity::find_by_id(user_id)
        .one(&ctx.main)
        .await?
        .map_or_else(|| "Someone".to_owned(), |u| u.display_name))
}

/// The invitation to `circle`, with its link `raw_token`, to the invited address. It
/// names who invited, so a stranger's email is not a mystery.
pub(super) async fn invitation(
    ctx: &Context,
    inv: &circle_invitations::Model,
    circle: &circles::Model,
    raw_token: &str,
) -> anyhow::Result<OutgoingEmail> {
    let url = format!("{}/circles/invitations/accept?token={raw_token}", base(ctx));
    let inviter = match inv.invited_by {
        Some(id) => display_name(ctx, id).await?,
        None => "A facilitator".to_owned(),
    };
    Ok(OutgoingEmail {
        to_address: inv.email.clone(),
        to_name: String::new(),
        subject: format!("{inviter} invited you to join {}", circle.name),
        body: format!(
            "Hello,\n\n{inviter} invited you to join the circle \"{name}\". Open this link to see the invitation; \
             if you have no account yet, you can create one there with this email address:\n\n{url}\n\n\
             The invitation expires on {expires}. If you do not want to join, ignore this email.\n",
            name = circle.name,
            expires = local_time(inv.expires_at, &circle.time_zone),
        ),
    })
}
