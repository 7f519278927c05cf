//! Why a refund cannot be made, with the stable codes clients depend on.

use crate::codes::error_codes;

error_codes! {
    /// Why a refund is refused.
    pub enum RefundError in "Refunds" {
        PaymentNotRefundable = Conflict("payment_not_refundable", "Only a payment that succeeded can be refunded; this one is pending, failed or canceled."),
        NothingLeftToRefund = Conflict("nothing_left_to_refund", "Everything paid has been refunded already (or is being refunded)."),
        CardRefundsUnavailable = Conflict("card_refunds_unavailable", "Card refunds need Stripe to be configured; nothing was refunded."),
        ProviderRefused = Conflict("refund_refused_by_provider", "The payment provider refused the refund; nothing was refunded."),
    }
}
