//! Outgoing email: files in an outbox folder (the default) or SMTP. Only the job worker
//! sends; use cases enqueue a job in the same transaction as their change.

use crate::config::OrganisationSettings;
use crate::config::{EmailTransportKind, Settings, SmtpTls};
use crate::Context;
use anyhow::{anyhow, Context as _};
use chrono::{DateTime, Utc};
use db::main_db::users;
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Mailbox, MultiPart, SinglePart};
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
    Outbox {
        dir: PathBuf,
        from: Mailbox,
        brand: OrganisationSettings,
    },
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        from: Mailbox,
        brand: OrganisationSettings,
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
                brand: s.organisation.clone(),
            }),
            EmailTransportKind::Smtp => Ok(Mailer::Smtp {
                transport: smtp_transport(s)?,
                from,
                brand: s.organisation.clone(),
            }),
        }
    }

    /// Sends `email`. `message_id` makes retries idempotent where the transport allows
    /// (the outbox overwrites the same file).
    #[tracing::instrument(skip_all, fields(message_id = %message_id), err)]
    pub async fn send(&self, message_id: Uuid, email: &OutgoingEmail) -> anyhow::Result<()> {
        let (from, brand) = match self {
            Mailer::Outbox { from, brand, .. } | Mailer::Smtp { from, brand, .. } => {
                (from.clone(), brand)
            }
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
            .multipart(
                // Quoted-printable in both parts: readable in any mail program's source
                // view, and one decoding for tests and tools.
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_PLAIN)
                            .header(ContentTransferEncoding::QuotedPrintable)
                            .body(plain_text(brand, &email.body)),
                    )
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_HTML)
                            .header(ContentTransferEncoding::QuotedPrintable)
                            .body(html(brand, &email.subject, &email.body)),
                    ),
            )
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

/// The plain-text part: the message, signed with the organisation's name.
fn plain_text(brand: &OrganisationSettings, body: &str) -> String {
    format!("{body}\n\n— {}\n", brand.name.trim())
}

/// Escapes text for HTML: every interpolated value goes through this.
fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The HTML part: the same words in a simple layout headed by the organisation's name in
/// its colour (validated as `#rrggbb` at start, so it cannot break out of the style).
fn html(brand: &OrganisationSettings, subject: &str, body: &str) -> String {
    let name = escape_html(brand.name.trim());
    let colour = &brand.colour;
    let paragraphs: String = body
        .split("\n\n")
        .map(|p| format!("<p>{}</p>\n", escape_html(p).replace('\n', "<br>\n")))
        .collect();
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title></head>\n\
         <body style=\"margin:0;padding:16px;font-family:sans-serif;line-height:1.5;color:#1a1a1a\">\n\
         <div style=\"max-width:560px;margin:0 auto;border-top:6px solid {colour};padding-top:8px\">\n\
         <p style=\"font-weight:bold;color:{colour}\">{name}</p>\n{paragraphs}</div>\n</body></html>\n",
        title = escape_html(subject),
    )
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_html_part_escapes_everything_it_shows() {
        let brand = OrganisationSettings {
            name: "Men & <Circles>".into(),
            colour: "#123abc".into(),
            ..OrganisationSettings::default()
        };
        let page = html(
            &brand,
            "Hi \"you\"",
            "Line <b>one</b>\nline two\n\nNext 'para'",
        );
        assert!(page.contains("Men &amp; &lt;Circles&gt;"), "{page}");
        assert!(page.contains("<title>Hi &quot;you&quot;</title>"));
        assert!(
            page.contains("<p>Line &lt;b&gt;one&lt;/b&gt;<br>\nline two</p>"),
            "{page}"
        );
        assert!(page.contains("<p>Next &#39;para&#39;</p>"));
        assert!(page.contains("border-top:6px solid #123abc"));
        assert!(!page.contains("<b>"));
        assert_eq!(plain_text(&brand, "Hello"), "Hello\n\n— Men & <Circles>\n");
    }
}
