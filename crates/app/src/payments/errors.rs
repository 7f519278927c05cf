//! The payments feature's refusals, with their stable codes.

use crate::codes::error_codes;

error_codes! {
    /// Why a payment cannot be recorded.
    pub enum PaymentError in "Payments" {
        NotAwaitingPayment = Conflict("not_awaiting_payment", "This registration is not waiting for a payment (it may be paid already, or its hold ran out)."),
        AlreadyPaid = Conflict("already_paid", "This registration is already paid; a second payment is not recorded for it."),
        CardPaymentsNotSetUp = Conflict("card_payments_unavailable", "Card payments are not set up: pay the organiser by cash or transfer."),
    }
}
