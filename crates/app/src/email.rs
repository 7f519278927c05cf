//! Outgoing email: files in an outbox folder (the default) or SMTP. Only the job worker
//! sends; use cases enqueue a job in the same transaction as their change.

use crate::config::{EmailTransportKind, Settings, SmtpTls};
use crate::Context;
use anyhow::{anyhow, Context as _};
use chrono::{DateTime, Utc};
use db::main_db::users;
use lettre::message::{header::ContentType, Mailbox};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;
use uuid::Uuid;

#[derive(Clone)]
pub enum Mailer {
    /// Each message becomes `<dir>/<message id>.eml`.
    Outbox { dir: PathBuf, from: Mailbox },
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        from: Mailbox,
    },
}

/// A plain-text message to one person.
#[derive(Debug, Clone)]
pub struct OutgoingEmail {
    pub to_address: String,
    pub to_name: String,
    pub subject: String,
    pub body: String,
}

impl OutgoingEmail {
    /// `body` under `subject` to a person with an account.
    pub(crate) fn to_user(user: &users::Model, subject: &str, body: String) -> OutgoingEmail {
        OutgoingEmail {
            to_address: user.email.clone(),
            to_name: user.display_name.clone(),
            subject: subject.to_owned(),
            body,
        }
    }
}

/// The site's address without a trailing slash, for the links in emails.
pub(crate) fn site_url(ctx: &Context) -> &str {
    ctx.settings.server.public_url.trim_end_matches('/')
}

/// `at` as a reader in `zone` sees it: "Tuesday 3 March 2026, 19:30 (Europe/Berlin)".
pub(crate) fn local_time(at: DateTime<Utc>, zone: &str) -> String {
    match zone.parse::<chrono_tz::Tz>() {
        Ok(tz) => format!(
            "{} ({zone})",
            at.with_timezone(&tz).format("%A %-d %B %Y, %H:%M")
        ),
        Err(_) => format!("{} (UTC)", at.format("%A %-d %B %Y, %H:%M")),
    }
}

impl Mailer {
    pub fn from_settings(s: &Settings) -> anyhow::Result<Mailer> {
        let from: Mailbox = s
            .email
            .from
            .parse()
            .context("email.from is not a valid address")?;
        match s.email.transport {
            EmailTransportKind::Outbox => Ok(Mailer::Outbox {
                dir: s.outbox_dir(),
                from,
            }),
            EmailTransportKind::Smtp => Ok(Mailer::Smtp {
                transport: smtp_transport(s)?,
                from,
            }),
        }
    }

    /// Sends `email`. `message_id` makes retries idempotent where the transport allows
    /// (the outbox overwrites the same file).
    #[tracing::instrument(skip_all, fields(message_id = %message_id), err)]
    pub async fn send(&self, message_id: Uuid, email: &OutgoingEmail) -> anyhow::Result<()> {
        let from = match self {
            Mailer::Outbox { from, .. } | Mailer::Smtp { from, .. } => from.clone(),
        };
        let to = Mailbox::new(
            Some(email.to_name.clone()),
            email.to_address.parse().context("recipient address")?,
        );
        let domain = from.email.domain().to_owned();
        let message = Message::builder()
            .from(from)
            .to(to)
            .subject(email.subject.clone())
            .message_id(Some(format!("<{message_id}@{domain}>")))
            .header(ContentType::TEXT_PLAIN)
            .body(email.body.clone())
            .context("cannot build the email")?;
        match self {
            Mailer::Outbox { dir, .. } => {
                write_to_outbox(dir, message_id, &message.formatted()).await
            }
            Mailer::Smtp { transport, .. } => {
                transport
                    .send(message)
                    .await
                    .map_err(|e| anyhow!("SMTP delivery failed: {e}"))?;
                Ok(())
            }
        }
    }
}

async fn write_to_outbox(dir: &Path, id: Uuid, bytes: &[u8]) -> anyhow::Result<()> {
    let (dir, bytes) = (dir.to_path_buf(), bytes.to_vec());
    // The outbox holds live sign-in and reset links: owner-only, like the databases.
    tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        db::private_fs::ensure_dir(&dir)
            .with_context(|| format!("cannot create outbox {}", dir.display()))?;
        // Write then rename, so a reader never sees half a message.
        let tmp = dir.join(format!(".{id}.tmp"));
        let mut file = db::private_fs::create_file(&tmp)?;
        file.write_all(&bytes)?;
        std::fs::rename(&tmp, dir.join(format!("{id}.eml")))?;
        Ok(())
    })
    .await?
}

fn smtp_transport(s: &Settings) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
    let smtp = &s.email.smtp;
    let tls_params = || -> anyhow::Result<TlsParameters> {
        let mut b = TlsParameters::builder(smtp.host.clone());
        if let Some(ca) = &smtp.ca_file {
            let pem = std::fs::read(ca)
                .with_context(|| format!("email.smtp.ca_file: cannot read {}", ca.display()))?;
            b = b.add_root_certificate(
                Certificate::from_pem(&pem)
                    .context("email.smtp.ca_file is not a PEM certificate")?,
            );
        }
        Ok(b.build_rustls()?)
    };
    let tls = match smtp.tls {
        SmtpTls::Starttls => Tls::Required(tls_params()?),
        SmtpTls::Tls => Tls::Wrapper(tls_params()?),
        SmtpTls::None => Tls::None,
    };
    let mut b = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host)
        .port(smtp.port)
        .tls(tls)
        .timeout(Some(Duration::from_secs(smtp.timeout_secs)));
    let password = match (&smtp.password, &smtp.password_file) {
        (Some(p), _) => Some(p.expose().to_owned()),
        (None, Some(f)) => Some(
            std::fs::read_to_string(f)
                .with_context(|| format!("cannot read {}", f.display()))?
                .trim()
                .to_owned(),
        ),
        (None, None) => None,
    };
    if let (Some(user), Some(pass)) = (&smtp.username, password) {
        b = b.credentials(Credentials::new(user.clone(), pass));
    }
    Ok(b.build())
}
