//! What the audit log records: every action by name, with its classification (who may read
//! the entry and how much of it) and a label a person can read. The stored names never
//! change; a new action is a new variant, which every `match` below must then place.

pub use domain::audit::Classification;

macro_rules! actions {
    ($($variant:ident => $name:literal, $class:ident, $label:literal;)+) => {
        /// Every action the audit log knows.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Action { $($variant,)+ }

        impl Action {
            pub const ALL: &'static [Action] = &[$(Action::$variant,)+];

            /// The name stored in the log.
            pub fn as_str(self) -> &'static str {
                match self { $(Action::$variant => $name,)+ }
            }

            pub fn classification(self) -> Classification {
                match self { $(Action::$variant => Classification::$class,)+ }
            }

            /// What happened, in words.
            pub fn label(self) -> &'static str {
                match self { $(Action::$variant => $label,)+ }
            }

            pub fn parse(s: &str) -> Option<Action> {
                match s { $($name => Some(Action::$variant),)+ _ => None }
            }
        }
    };
}

actions! {
    // Accounts and signing in.
    UserRegistered => "user_registered", Administration, "Account created";
    RegistrationForExistingEmail => "registration_for_existing_email", Security, "Sign-up tried with an existing address";
    VerificationEmailRequested => "verification_email_requested", Security, "Verification email sent again";
    EmailVerified => "email_verified", Security, "Email address confirmed";
    LoginSucceeded => "login_succeeded", Security, "Signed in";
    LoginFailed => "login_failed", Security, "Sign-in failed";
    LoginRefusedSuspended => "login_refused_suspended", Security, "Sign-in refused: account suspended";
    LoginMfaChallenged => "login_mfa_challenged", Security, "Asked for the second step";
    AccountLocked => "account_locked", Security, "Account locked after failed sign-ins";
    Logout => "logout", Security, "Signed out";
    SessionRevoked => "session_revoked", Security, "Session ended";
    OtherSessionsRevoked => "other_sessions_revoked", Security, "Other sessions ended";
    RefreshTokenReused => "refresh_token_reused", Security, "Reused sign-in token: sessions ended";
    PasswordChanged => "password_changed", Security, "Password changed";
    PasswordChangeFailed => "password_change_failed", Security, "Password change refused";
    PasswordResetRequested => "password_reset_requested", Security, "Password reset asked for";
    PasswordResetRequestedUnknown => "password_reset_requested_unknown", Security, "Password reset asked for an unknown address";
    PasswordResetCompleted => "password_reset_completed", Security, "Password reset";
    MfaEnabled => "mfa_enabled", Security, "Two-step verification turned on";
    MfaDisabled => "mfa_disabled", Security, "Two-step verification turned off";
    MfaSetupCancelled => "mfa_setup_cancelled", Security, "Two-step set-up cancelled";
    MfaFailed => "mfa_failed", Security, "Wrong second-step code";
    MfaLocked => "mfa_locked", Security, "Second step locked after wrong codes";
    RecoveryCodesRegenerated => "recovery_codes_regenerated", Security, "New recovery codes made";
    ProfileUpdated => "profile_updated", Administration, "Profile changed";
    ProfilePhotoUpdated => "profile_photo_updated", Administration, "Profile photo changed";
    ProfilePhotoRemoved => "profile_photo_removed", Administration, "Profile photo removed";
    // Administration of people.
    AdminCreatedFromTerminal => "admin_created_from_terminal", Security, "Admin made from the terminal";
    RoleGranted => "role_granted", Security, "Role given";
    RoleRemoved => "role_removed", Security, "Role taken away";
    UserSuspended => "user_suspended", Security, "Account suspended";
    UserReactivated => "user_reactivated", Security, "Account reactivated";
    SupportViewedAccount => "support_viewed_account", Security, "Support looked up an account";
    SupportUnlockedAccount => "support_unlocked_account", Security, "Support unlocked an account";
    SupportResetMfa => "support_reset_mfa", Security, "Support reset two-step verification";
    FacilitatorCertified => "facilitator_certified", Administration, "Facilitator certified";
    FacilitatorCertificationRevoked => "facilitator_certification_revoked", Administration, "Certification revoked";
    FacilitatorCertificationExpired => "facilitator_certification_expired", Administration, "Certification expired";
    PersonalDetailsErased => "personal_details_erased", Security, "Personal details erased from the log";
    DemoSeeded => "demo_seeded", Administration, "Demo organisation created";
    // Circles.
    CircleCreated => "circle_created", Administration, "Circle created";
    CircleUpdated => "circle_updated", Administration, "Circle changed";
    CircleArchived => "circle_archived", Administration, "Circle archived";
    CircleNeedsFacilitator => "circle_needs_facilitator", Administration, "Circle left without a certified facilitator";
    CircleStepInStarted => "circle_step_in_started", Security, "Admin stepped in to a circle";
    CircleStepInEnded => "circle_step_in_ended", Security, "Admin stepped out of a circle";
    CircleCoFacilitatorAdded => "circle_co_facilitator_added", Administration, "Co-facilitator added";
    CircleCoFacilitatorRemoved => "circle_co_facilitator_removed", Administration, "Co-facilitator removed";
    CircleJoinRequested => "circle_join_requested", Circle, "Someone asked to join";
    CircleRequestWithdrawn => "circle_request_withdrawn", Circle, "A request to join was withdrawn";
    CircleRequestDeclined => "circle_request_declined", Circle, "A request to join was declined";
    CircleMemberApproved => "circle_member_approved", Circle, "A member was let in";
    CircleMemberRemoved => "circle_member_removed", Circle, "A member was removed";
    CircleLeft => "circle_left", Circle, "A member left";
    CircleInvitationSent => "circle_invitation_sent", Circle, "Someone was invited";
    CircleInvitationRevoked => "circle_invitation_revoked", Circle, "An invitation was withdrawn";
    CircleInvitationAccepted => "circle_invitation_accepted", Circle, "An invitation was accepted";
    MeetingsGenerated => "meetings_generated", Administration, "Meetings planned";
    MeetingAdded => "meeting_added", Administration, "Meeting added";
    MeetingMoved => "meeting_moved", Administration, "Meeting moved";
    MeetingCancelled => "meeting_cancelled", Administration, "Meeting cancelled";
    AttendanceRecorded => "attendance_recorded", Circle, "Attendance taken";
    MeetingRsvp => "meeting_rsvp", Circle, "Said whether he is coming to a meeting";
    // Circle conversations (end-to-end encrypted: never a word of a message).
    ConversationDeviceRegistered => "conversation_device_registered", Security, "Conversation device added";
    ConversationDeviceApproved => "conversation_device_approved", Security, "Conversation device approved";
    ConversationDeviceRevoked => "conversation_device_revoked", Security, "Conversation device revoked";
    ConversationIdentityReset => "conversation_identity_reset", Security, "Conversation keys started afresh";
    ConversationRosterSigned => "conversation_roster_signed", Circle, "A circle's roster was signed";
    ConversationSettingsChanged => "conversation_settings_changed", Circle, "A circle's conversation settings changed";
    // Events.
    VenueCreated => "venue_created", Administration, "Venue added";
    VenueUpdated => "venue_updated", Administration, "Venue changed";
    EventCreated => "event_created", Administration, "Event created";
    EventUpdated => "event_updated", Administration, "Event changed";
    EventStatusChanged => "event_status_changed", Administration, "Event published, cancelled or completed";
    EventCircleAccepted => "event_circle_accepted", Administration, "A circle accepted an event";
    EventCircleDeclined => "event_circle_declined", Administration, "A circle declined an event";
    EventRegistered => "event_registered", Administration, "Registered for an event";
    EventRegistrationCancelled => "event_registration_cancelled", Administration, "Event registration cancelled";
    EventOfferAccepted => "event_offer_accepted", Administration, "Offered seat taken";
    EventRegistrationNoted => "event_registration_noted", Administration, "Organiser's note changed";
    EventWaitlistReordered => "event_waitlist_reordered", Administration, "Waitlist reordered";
    EventCheckedIn => "event_checked_in", Administration, "Checked in at the door";
    EventCheckInUndone => "event_check_in_undone", Administration, "Check-in undone";
    // Payments.
    PaymentRecorded => "payment_recorded", Administration, "Payment recorded";
    PaymentHoldExpired => "payment_hold_expired", Administration, "Seat held for payment released: not paid in time";
    CardPaymentStarted => "card_payment_started", Administration, "Card payment started";
    CardPaymentSucceeded => "card_payment_succeeded", Administration, "Card payment received";
    CardPaymentFailed => "card_payment_failed", Administration, "Card payment declined or cancelled";
    LatePaymentRefunded => "late_payment_refunded", Administration, "Card payment refunded: it came after the seat was gone";
    RefundIssued => "refund_issued", Administration, "Refund made";
    PaymentsReconciled => "payments_reconciled", Administration, "Payments reconciled with Stripe: corrections made";
    // Scholarships name nobody in the log (Leadership reads it): only the request and sums.
    ScholarshipRequested => "scholarship_requested", Circle, "Scholarship asked for";
    ScholarshipGranted => "scholarship_granted", Circle, "Scholarship granted";
    ScholarshipDeclined => "scholarship_declined", Circle, "Scholarship declined";
    ScholarshipRestored => "scholarship_restored", Administration, "Scholarship returned to the fund: its seat was refunded or cancelled";
    DonationRecorded => "donation_recorded", Administration, "Donation to the scholarship fund recorded";
    // Memberships.
    MembershipPlanCreated => "membership_plan_created", Administration, "Membership plan added";
    MembershipPlanUpdated => "membership_plan_updated", Administration, "Membership plan changed";
    MembershipPlanDeleted => "membership_plan_deleted", Administration, "Membership plan deleted";
    MembershipRecorded => "membership_recorded", Administration, "Membership payment recorded";
    MembershipLapsed => "membership_lapsed", Administration, "Membership lapsed: not renewed in time";
    MembershipSubscribed => "membership_subscribed", Administration, "Membership subscription by card started";
    MembershipCardPaid => "membership_card_paid", Administration, "Membership paid by card";
    MembershipRenewalFailed => "membership_renewal_failed", Administration, "Membership renewal by card declined";
    MembershipSubscriptionCancelled => "membership_subscription_cancelled", Administration, "Membership subscription cancelled at the end of its period";
    MembershipSubscriptionEnded => "membership_subscription_ended", Administration, "Membership subscription ended";
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_are_unique_and_parse_back() {
        let mut seen = HashSet::new();
        for a in Action::ALL {
            assert!(seen.insert(a.as_str()), "{} twice", a.as_str());
            assert_eq!(Action::parse(a.as_str()), Some(*a));
            assert!(!a.label().is_empty());
        }
    }

    #[test]
    fn one_persons_place_in_a_circle_is_circle_business() {
        for a in [
            Action::CircleJoinRequested,
            Action::CircleMemberRemoved,
            Action::CircleLeft,
            Action::CircleRequestDeclined,
            Action::CircleInvitationSent,
            Action::CircleInvitationAccepted,
        ] {
            assert_eq!(a.classification(), Classification::Circle, "{a:?}");
        }
        assert_eq!(
            Action::CircleStepInStarted.classification(),
            Classification::Security
        );
    }
}
