//! Why a change to one's own account is refused (beyond the common codes).

use crate::codes::error_codes;

error_codes! {
    /// The accounts feature's refusals, with their stable codes.
    pub enum AccountError in "Accounts" {
        NoMfaSetupToCancel = Conflict("mfa_setup_not_started", "There is no two-step verification set-up to cancel."),
        MfaSetupNotStarted = Conflict("mfa_setup_not_started", "Start two-step verification set-up first."),
    }
}
