//! Rate limits and lockouts, the job worker, how long an Admin's step-in lasts, and how
//! long an archived circle's conversation is kept.

use super::Settings;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitSettings {
    /// Length of each counting window, in seconds.
    pub window_secs: u64,
    pub login_per_ip: u32,
    pub mfa_per_ip: u32,
    pub register_per_ip: u32,
    pub reset_per_ip: u32,
    pub reset_per_account: u32,
    pub verification_per_account: u32,
    /// Failed logins (or MFA codes) allowed before an account locks.
    pub lockout_free_attempts: u32,
    pub lockout_base_secs: u64,
    pub lockout_max_secs: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JobSettings {
    /// Run the job worker inside `circles serve` (the embedded default).
    pub in_process_worker: bool,
    pub poll_interval_ms: u64,
    pub max_attempts: i32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CircleSettings {
    /// How long an Admin's safeguarding step-in into one circle lasts, in days (1–30).
    pub step_in_days: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConversationSettings {
    /// Days an archived circle's conversation ciphertext is kept before a job deletes it
    /// (1–3650). Its keys go at once, when the circle is archived.
    pub archive_retention_days: u32,
}

impl Default for ConversationSettings {
    fn default() -> Self {
        Self {
            archive_retention_days: 90,
        }
    }
}

/// Paid events (`[payments]`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PaymentSettings {
    /// How long a seat on a paid event is held for payment after registering, in minutes
    /// (1–10080); then it passes to the waitlist.
    pub hold_minutes: u32,
    /// Card payments through Stripe (`[payments.stripe]`); off without keys.
    pub stripe: super::StripeSettings,
    /// Days after a membership period ends before it lapses (0–365): time to renew
    /// without losing anything.
    pub membership_grace_days: u32,
}

impl Default for PaymentSettings {
    fn default() -> Self {
        Self {
            hold_minutes: 30,
            stripe: super::StripeSettings::default(),
            membership_grace_days: 7,
        }
    }
}

impl PaymentSettings {
    /// How long a seat awaiting payment is held.
    pub fn hold(&self) -> chrono::Duration {
        chrono::Duration::minutes(i64::from(self.hold_minutes))
    }

    /// How long after its period a membership stays in grace.
    pub fn membership_grace(&self) -> chrono::Duration {
        chrono::Duration::days(i64::from(self.membership_grace_days))
    }
}

impl Default for CircleSettings {
    fn default() -> Self {
        Self { step_in_days: 7 }
    }
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        Self {
            window_secs: 15 * 60,
            login_per_ip: 50,
            mfa_per_ip: 50,
            register_per_ip: 30,
            reset_per_ip: 20,
            reset_per_account: 5,
            verification_per_account: 5,
            lockout_free_attempts: 5,
            lockout_base_secs: 60,
            lockout_max_secs: 3600,
        }
    }
}

impl Default for JobSettings {
    fn default() -> Self {
        Settings::default().jobs
    }
}
