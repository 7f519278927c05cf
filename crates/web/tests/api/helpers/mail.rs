//! The mail people received: what the outbox transport wrote, after the queue ran.

use super::TestApp;
use testkit::mail::{self, Mail};

impl TestApp {
    /// The token in the newest link to `path` (`verify-email`, `reset-password`,
    /// `circles/invitations/accept`) mailed to `to`, after running the due jobs.
    pub async fn token_from_email(&self, to: &str, path: &str) -> String {
        self.run_pending_jobs().await;
        let mails = mail::read_outbox(&self.outbox);
        mails
            .iter()
            .rev()
            .filter(|m| m.to.contains(to))
            .find_map(|m| mail::link_token(&m.body, path))
            .unwrap_or_else(|| panic!("no {path} link mailed to {to}; mails: {mails:#?}"))
    }

    /// Mail written to `to` so far, oldest first (run the jobs first).
    pub fn emails_to(&self, to: &str) -> Vec<Mail> {
        mail::read_outbox(&self.outbox)
            .into_iter()
            .filter(|m| m.to.contains(to))
            .collect()
    }

    pub fn subjects_to(&self, to: &str) -> Vec<String> {
        self.emails_to(to).into_iter().map(|m| m.subject).collect()
    }
}
