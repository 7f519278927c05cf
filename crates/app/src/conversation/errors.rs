//! Why a change to a circle's conversation, a user's keys or devices is refused.

use crate::codes::error_codes;

error_codes! {
    /// The conversation feature's refusals, with their stable codes.
    pub enum ConversationError in "Conversations" {
        IdentityExists = Conflict("identity_exists", "You already have conversation keys; reset them to start fresh."),
        IdentityMissing = Conflict("identity_missing", "Set up your conversation keys first."),
        DeviceExists = Conflict("device_exists", "A device with this id is already registered."),
        DeviceRevoked = Conflict("device_revoked", "This device has been revoked; it can no longer receive keys or post."),
        DeviceNotApproved = Conflict("device_not_approved", "This device has not been approved yet: approve it from another of your devices, or unlock it with your recovery key or passphrase."),
        DeviceAlreadyApproved = Conflict("device_already_approved", "This device is approved already."),
        NotYourDevice = Forbidden("not_your_device", "Use one of your own devices."),
        RosterOutOfDate = Conflict("roster_out_of_date", "The roster has a newer version than the one signed: read it again and sign the next version."),
        /// Worded with what differs.
        RosterMismatch = Conflict("roster_mismatch", "The signed roster does not list exactly the circle's current members with their current keys."),
        RosterRequired = Conflict("roster_required", "A leader has not signed the circle's roster yet."),
        EpochOutOfDate = Conflict("epoch_out_of_date", "The conversation has moved to another epoch: read it again and use the next number."),
        EpochNotDue = Conflict("epoch_not_due", "The current epoch is still open and current; use its key."),
        EpochClosed = Conflict("epoch_closed", "This epoch is closed or this device holds no key for it: fetch the conversation again and use the current epoch."),
        /// Worded with the device it is about.
        RecipientNotAllowed = Conflict("recipient_not_allowed", "Keys are wrapped only for approved, unrevoked devices of the circle's current members."),
        OwnEnvelopeMissing = Conflict("own_envelope_missing", "A new epoch's keys include one for the device that starts it."),
        EnvelopeExists = Conflict("envelope_exists", "That device already holds a key for this epoch."),
        HistoryNotShared = Forbidden("history_not_shared", "This circle does not share its history with new members."),
        DuplicateSequence = Conflict("duplicate_sequence", "This device already sent a message with this sequence number in this epoch."),
        ClientIdReused = Conflict("client_id_reused", "Another message already uses this client id."),
        NotYourMessage = Forbidden("not_your_message", "Only its sender deletes a message."),
        MessageDeleted = Conflict("message_deleted", "This message has been deleted."),
        LeadersOnly = Forbidden("leaders_only", "Only the circle's facilitators sign its roster, pin messages and change its settings."),
    }
}
