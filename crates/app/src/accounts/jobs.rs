//! The account emails, sent by the job worker: verification and reset links, "you already
//! have an account", and notices about changes to an account.

use super::{find_user, issue_token, Purpose};
use crate::email::{site_url, OutgoingEmail};
use crate::jobs::{Job, JobRun, Registration};
use crate::{Context, Error};
use db::main_db::users;
use domain::local_path::LocalPath;
use serde::{Deserialize, Serialize};
use std::future::Future;
use uuid::Uuid;

/// The account jobs the worker runs.
pub fn jobs() -> Vec<Registration> {
    vec![
        Registration::of::<SendVerificationEmail>(),
        Registration::of::<SendAlreadyRegisteredEmail>(),
        Registration::of::<SendPasswordResetEmail>(),
        Registration::of::<SendAccountNotice>(),
    ]
}

/// Emails the person `user_id` what `compose` writes to him, once for this job (see
/// [`JobRun::once`]). Nothing is sent when his account is gone, or when `compose` finds
/// nothing left to tell (`None`: what the email was about is gone). Composing is part of
/// the effect, so a link issued while composing is issued once too: a repeat must not
/// void the link already mailed.
pub(crate) async fn mail_person<F, Fut>(
    ctx: &Context,
    run: &JobRun,
    user_id: Uuid,
    compose: F,
) -> anyhow::Result<()>
where
    F: FnOnce(users::Model) -> Fut,
    Fut: Future<Output = anyhow::Result<Option<OutgoingEmail>>>,
{
    let user = match find_user(&ctx.main, user_id).await {
        Ok(user) => user,
        Err(Error::NotFound(_)) => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    let mail = async {
        match compose(user).await? {
            Some(email) => ctx.mailer.send(run.id(), &email).await,
            None => Ok(()),
        }
    };
    run.once(ctx, "email", mail).await
}

/// Issue a fresh verification link and email it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendVerificationEmail {
    pub user_id: Uuid,
    /// A page of this site to continue on after confirming (an invitation someone
    /// registered from); checked as a [`LocalPath`] again when the link is written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

impl Job for SendVerificationEmail {
    const KIND: &'static str = "send_verification_email";

    async fn run(self, ctx: &Context, run: &JobRun) -> anyhow::Result<()> {
        mail_person(ctx, run, self.user_id, |user| async move {
            if user.email_verified_at.is_some() {
                return Ok(None);
            }
            let token = issue_token(ctx, user.id, Purpose::VerifyEmail).await?;
            let next = self.next.as_deref().and_then(LocalPath::parse);
            Ok(Some(verification(ctx, &user, &token, next.as_ref())))
        })
        .await
    }
}

/// Someone tried to register with an address that already has an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendAlreadyRegisteredEmail {
    pub user_id: Uuid,
}

impl Job for SendAlreadyRegisteredEmail {
    const KIND: &'static str = "send_already_registered_email";

    async fn run(self, ctx: &Context, run: &JobRun) -> anyhow::Result<()> {
        mail_person(ctx, run, self.user_id, |user| async move {
            Ok(Some(already_registered(ctx, &user)))
        })
        .await
    }
}

/// Issue a password-reset link and email it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendPasswordResetEmail {
    pub user_id: Uuid,
}

impl Job for SendPasswordResetEmail {
    const KIND: &'static str = "send_password_reset_email";

    async fn run(self, ctx: &Context, run: &JobRun) -> anyhow::Result<()> {
        mail_person(ctx, run, self.user_id, |user| async move {
            let token = issue_token(ctx, user.id, Purpose::ResetPassword).await?;
            Ok(Some(password_reset(ctx, &user, &token)))
        })
        .await
    }
}

/// Tell the user something changed on their account (password, MFA, suspension …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendAccountNotice {
    pub user_id: Uuid,
    pub notice: AccountNotice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountNotice {
    PasswordChanged,
    MfaEnabled,
    MfaDisabled,
    MfaResetBySupport,
    UnlockedBySupport,
    Suspended,
    Reactivated,
    RoleGranted,
}

impl Job for SendAccountNotice {
    const KIND: &'static str = "send_account_notice";

    async fn run(self, ctx: &Context, run: &JobRun) -> anyhow::Result<()> {
        mail_person(ctx, run, self.user_id, |user| async move {
            Ok(Some(account_notice(ctx, &user, self.notice)))
        })
        .await
    }
}

fn link(ctx: &Context, path: &str, token: &str) -> String {
    format!("{}/{path}?token={token}", site_url(ctx))
}

fn verification(
    ctx: &Context,
    user: &users::Model,
    token: &str,
    next: Option<&LocalPath>,
) -> OutgoingEmail {
    let hours = ctx.settings.auth.verification_ttl_hours;
    let mut url = link(ctx, "verify-email", token);
    if let Some(next) = next {
        url.push_str("&next=");
        url.extend(url::form_urlencoded::byte_serialize(
            next.as_str().as_bytes(),
        ));
    }
    OutgoingEmail::to_user(
        user,
        "Confirm your email address",
        format!(
            "Hello {name},\n\nWelcome! Please confirm your email address by opening this link:\n\n{url}\n\n\
             The link works once and expires in {hours} hours. If you did not create an account, ignore this email.\n",
            name = user.display_name,
        ),
    )
}

fn already_registered(ctx: &Context, user: &users::Model) -> OutgoingEmail {
    OutgoingEmail::to_user(
        user,
        "Someone tried to register with your address",
        format!(
            "Hello {name},\n\nSomeone (perhaps you) tried to create an account with this email address, \
             but you already have one.\n\nSign in at {base}/login, or reset your password at {base}/forgot-password.\n\n\
             If this was not you, you can ignore this email; your account is unchanged.\n",
            name = user.display_name,
            base = site_url(ctx),
        ),
    )
}

fn password_reset(ctx: &Context, user: &users::Model, token: &str) -> OutgoingEmail {
    let minutes = ctx.settings.auth.reset_ttl_minutes;
    OutgoingEmail::to_user(
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
    OutgoingEmail::to_user(
        user,
        subject,
        format!(
            "Hello {name},\n\n{what}\n\nIf this was not you or you did not expect it, reset your password at {base}/forgot-password \
             and contact support.\n",
            name = user.display_name,
            base = site_url(ctx),
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::assert_reads_as_before;

    /// Payloads exactly as the release before jobs moved into features wrote them.
    #[test]
    fn payloads_queued_by_the_previous_release_still_read() {
        let user_id = Uuid::from_u128(1);
        let id = user_id;
        assert_reads_as_before(
            &format!(r#"{{"kind":"send_verification_email","user_id":"{id}"}}"#),
            SendVerificationEmail {
                user_id,
                next: None,
            },
        );
        assert_reads_as_before(
            &format!(r#"{{"kind":"send_already_registered_email","user_id":"{id}"}}"#),
            SendAlreadyRegisteredEmail { user_id },
        );
        assert_reads_as_before(
            &format!(r#"{{"kind":"send_password_reset_email","user_id":"{id}"}}"#),
            SendPasswordResetEmail { user_id },
        );
        assert_reads_as_before(
            &format!(
                r#"{{"kind":"send_account_notice","user_id":"{id}","notice":"mfa_reset_by_support"}}"#
            ),
            SendAccountNotice {
                user_id,
                notice: AccountNotice::MfaResetBySupport,
            },
        );
    }
}
