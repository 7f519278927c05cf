//! The scholarship feature's refusals, with their stable codes.

use crate::codes::error_codes;

error_codes! {
    /// Why a scholarship cannot be asked for or decided.
    pub enum ScholarshipError in "Scholarships" {
        NotOffered = Conflict("scholarship_not_offered", "Scholarships are offered on paid programme events; for a circle's own event, speak to its facilitator."),
        NotAwaitingPayment = Conflict("scholarship_not_awaiting_payment", "Only a seat held for payment can get a scholarship (it may be paid already, cancelled, or its hold ran out)."),
        AlreadyAsked = Conflict("scholarship_already_asked", "A scholarship was already asked for on this registration; its answer is on the event page."),
        AlreadyDecided = Conflict("scholarship_already_decided", "This request is already granted or declined; a decision is final."),
    }
}
