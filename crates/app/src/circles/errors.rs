//! Why a change to a circle, its members, meetings, invitations or step-ins is refused.

use crate::codes::error_codes;

error_codes! {
    /// The circles feature's refusals, with their stable codes.
    pub enum CircleError in "Circles" {
        Archived = Conflict("circle_archived", "This circle is archived and can no longer be changed."),
        NotAcceptingMembers = Conflict("not_accepting_members", "This circle is not taking new members."),
        Full = Conflict("circle_full", "This circle is full. The request stays in the queue until a seat frees up."),
        CannotArchive = Conflict("invalid_status_change", "This circle cannot be archived."),
        /// Worded with the two statuses: "A closed circle cannot become forming."
        StatusChange = Conflict("invalid_status_change", "The circle cannot move from its status to the one asked for."),
        ArchiveSeparately = Conflict("archive_separately", "Archiving is a step of its own (it removes personal details): use \"Archive circle\"."),
        /// Worded with the number of active members.
        CapacityBelowMembers = Conflict("capacity_below_members", "The capacity cannot be lower than the circle's active members."),
        CertificationRequired = Forbidden("certification_required", "Only a certified facilitator can create a circle; ask the Program Team about certification."),
        InvitationOnly = Conflict("invitation_only", "This circle takes members by invitation only."),
        AlreadyMember = Conflict("already_member", "You are already in this circle."),
        InviteeAlreadyMember = Conflict("already_member", "This person is already in the circle."),
        AlreadyRequested = Conflict("already_requested", "You already asked to join; the facilitators will decide soon."),
        RequestNotPending = Conflict("request_not_pending", "This request has already been decided or withdrawn."),
        FacilitatorCannotLeave = Conflict("facilitator_cannot_leave", "The facilitator cannot leave their own circle; close it instead."),
        CannotRemoveLeader = Conflict("cannot_remove_leader", "Facilitators are not removed this way; remove a co-facilitator through the co-facilitator list."),
        CannotAddSelf = Forbidden("cannot_add_self", "Nobody makes himself a co-facilitator: another leader of the circle adds you."),
        NotAFacilitator = Conflict("not_a_facilitator", "Only a certified facilitator (with the Facilitator role) can co-facilitate a circle."),
        AlreadyLeader = Conflict("already_leader", "This person already leads the circle."),
        MeetingAlreadyPlanned = Conflict("meeting_already_planned", "This circle already has a meeting planned at that time. Choose another time, or move or cancel that meeting first."),
        MeetingCancelled = Conflict("meeting_cancelled", "This meeting has been cancelled."),
        MeetingNotStarted = Conflict("meeting_not_started", "Attendance can be recorded once the meeting has started."),
        RsvpClosed = Conflict("rsvp_closed", "This meeting has started: answers can be given or changed only before it starts."),
        NotAMember = Conflict("not_a_member", "Attendance can only be recorded for active members of this circle."),
        AlreadyInvited = Conflict("already_invited", "This address already has a pending invitation to this circle."),
        InvitationNotPending = Conflict("invitation_not_pending", "This invitation was already accepted, revoked or has expired."),
        /// Accepting an invitation into a full circle: nobody is admitted or queued.
        FullForInvitation = Conflict("circle_full", "This circle is full right now, so you could not join. Your invitation stays valid until it expires: open the link again when a seat frees up, or ask the facilitator."),
        InvitationForSomeoneElse = Forbidden("invitation_for_someone_else", "This invitation was sent to another email address. Sign in with that address to accept it."),
        AlreadyInCircle = Conflict("already_in_circle", "You are in this circle already; there is nothing to step in to."),
        AlreadySteppedIn = Conflict("already_stepped_in", "You have already stepped in to this circle."),
    }
}
