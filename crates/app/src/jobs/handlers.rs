//! What each job does. Each handler is idempotent or harmless to repeat: a job may run
//! more than once.

use super::{AccountNotice, Job};
use crate::accounts::{self, Purpose};
use crate::email::OutgoingEmail;
use crate::{Context, Error};
use db::main_db::users;
use uuid::Uuid;

pub(super) async fn run(ctx: &Context, job_id: Uuid, job: &Job) -> anyhow::Result<()> {
    let user_id = match job {
        Job::SendVerificationEmail { user_id }
        | Job::SendAlreadyRegisteredEmail { user_id }
        | Job::SendPasswordResetEmail { user_id }
        | Job::SendAccountNotice { user_id, .. }
        | Job::SendCircleNotice { user_id, .. }
        | Job::SendMeetingNotice { user_id, .. }
        | Job::SendEventNotice { user_id, .. } => *user_id,
        Job::SendCircleInvitation { invitation_id } => {
            return super::circle_mail::invitation(ctx, job_id, *invitation_id).await;
        }
        Job::SendEventReminders {
            event_id,
            starts_at,
        } => return super::event_mail::reminders(ctx, job_id, *event_id, *starts_at).await,
        Job::ExpireSeatOffer { registration_id } => {
            return Ok(crate::events::registration::expire_offer(ctx, *registration_id).await?);
        }
        Job::LapseExpiredCertifications => {
            crate::certification::lapse_expired(ctx).await?;
            return super::queue::schedule_next(ctx, job).await;
        }
    };
    let user = match accounts::find_user(&ctx.main, user_id).await {
        Ok(u) => u,
        // The account is gone: nothing left to tell anyone.
        Err(Error::NotFound(_)) => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    let email = match job {
        Job::SendVerificationEmail { .. } => {
            if user.email_verified_at.is_some() {
                return Ok(());
            }
            let token = accounts::issue_token(ctx, user.id, Purpose::VerifyEmail).await?;
            verification(ctx, &user, &token)
        }
        Job::SendAlreadyRegisteredEmail { .. } => already_registered(ctx, &user),
        Job::SendPasswordResetEmail { .. } => {
            let token = accounts::issue_token(ctx, user.id, Purpose::ResetPassword).await?;
            password_reset(ctx, &user, &token)
        }
        Job::SendAccountNotice { notice, .. } => account_notice(ctx, &user, *notice),
        Job::SendCircleNotice {
            circle_id, notice, ..
        } => match super::circle_mail::notice(ctx, &user, *circle_id, *notice).await? {
            Some(email) => email,
            // The circle is gone: nothing left to tell.
            None => return Ok(()),
        },
        Job::SendMeetingNotice {
            meeting_id, notice, ..
        } => match super::circle_mail::meeting_notice(ctx, &user, *meeting_id, *notice).await? {
            Some(email) => email,
            None => return Ok(()),
        },
        Job::SendEventNotice {
            event_id, notice, ..
        } => match super::event_mail::notice(ctx, &user, *event_id, *notice).await? {
            Some(email) => email,
            None => return Ok(()),
        },
        // Handled by the first match above.
        Job::SendCircleInvitation { .. }
        | Job::SendEventReminders { .. }
        | Job::ExpireSeatOffer { .. }
        | Job::LapseExpiredCertifications => return Ok(()),
    };
    ctx.mailer.send(job_id, &email).await
}

fn link(ctx: &Context, path: &str, token: &str) -> String {
    format!(
        "{}/{path}?token={token}",
        ctx.settings.server.public_url.trim_end_matches('/')
    )
}

pub(super) fn to(user: &users::Model, subject: &str, body: String) -> OutgoingEmail {
    OutgoingEmail {
        to_address: user.email.clone(),
        to_name: user.display_name.clone(),
        subject: subject.to_owned(),
        body,
    }
}

fn verification(ctx: &Context, user: &users::Model, token: &str) -> OutgoingEmail {
    let hours = ctx.settings.auth.verification_ttl_hours;
    to(
        user,
        "Confirm your email address",
        format!(
            "Hello {name},\n\nWelcome! Please confirm your email address by opening this link:\n\n{url}\n\n\
             The link works once and expires in {hours} hours. If you did not create an account, ignore this email.\n",
            name = user.display_name,
            url = link(ctx, "verify-email", token),
        ),
    )
}

fn already_registered(ctx: &Context, user: &users::Model) -> OutgoingEmail {
    to(
        user,
        "Someone tried to register with your address",
        format!(
            "Hello {name},\n\nSomeone (perhaps you) tried to create an account with this email address, \
             but you already have one.\n\nSign in at {base}/login, or reset your password at {base}/forgot-password.\n\n\
             If this was not you, you can ignore this email; your account is unchanged.\n",
            name = user.display_name,
            base = ctx.settings.server.public_url.trim_end_matches('/'),
        ),
    )
}

fn password_reset(ctx: &Context, user: &users::Model, token: &str) -> OutgoingEmail {
    let minutes = ctx.settings.auth.reset_ttl_minutes;
    to(
        user,
        "Reset your password",
        format!(
            "Hello {name},\n\nWe received a request to reset your password. Choose a new one here:\n\n{url}\n\n\
             The link works once and expires in {minutes} minutes. If you did not ask for this, ignore this email; \
             your password stays the same.\n",
            name = user.display_name,
            url = link(ctx, "reset-password", token),
        ),
    )
}

fn account_notice(ctx: &Context, user: &users::Model, notice: AccountNotice) -> OutgoingEmail {
    let (subject, what) = match notice {
        AccountNotice::PasswordChanged => ("Your password was changed", "Your password was just changed, and your other sessions were signed out."),
        AccountNotice::MfaEnabled => ("Two-step verification is on", "Two-step verification was turned on for your account."),
        AccountNotice::MfaDisabled => ("Two-step verification is off", "Two-step verification was turned off for your account."),
        AccountNotice::MfaResetBySupport => (
            "Support reset your two-step verification",
            "Our support team reset two-step verification on your account, so you can sign in with your password alone and set it up again in your security settings. If this was not you asking for help, change your password now and tell us: someone may be trying to take over your account.",
        ),
        AccountNotice::UnlockedBySupport => (
            "Support unlocked your account",
            "Our support team lifted the lock that failed sign-ins had put on your account. If this was not you asking for help, change your password now and tell us: someone may be guessing it.",
        ),
        AccountNotice::Suspended => ("Your account is suspended", "Your account has been suspended by an administrator. Contact support if you think this is a mistake."),
        AccountNotice::Reactivated => ("Your account is active again", "Your account has been reactivated; you can sign in again."),
        AccountNotice::RoleGranted => ("You have a new role", "An administrator gave your account a new role. Sign in to see what it lets you do."),
    };
    to(
        user,
        subject,
        format!(
            "Hello {name},\n\n{what}\n\nIf this was not you or you did not expect it, reset your password at {base}/forgot-password \
             and contact support.\n",
            name = user.display_name,
            base = ctx.settings.server.public_url.trim_end_matches('/'),
        ),
    )
}
