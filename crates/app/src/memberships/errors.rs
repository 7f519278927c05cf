//! The memberships feature's refusals, with their stable codes.

use crate::codes::error_codes;

error_codes! {
    /// Why a plan or a membership cannot be changed, or a lapsed member cannot register.
    pub enum MembershipError in "Memberships" {
        PlanInUse = Conflict("plan_in_use", "Memberships were recorded on this plan, so it cannot be deleted: archive it instead."),
        PlanArchived = Conflict("plan_archived", "This plan is archived: record the membership on a plan that is offered."),
        AlreadySubscribed = Conflict("already_subscribed", "You already pay for your membership by card: cancel that subscription before starting another."),
        CardNotSaved = Conflict("card_not_saved", "Your card is not saved yet: enter it again and confirm it with your bank if asked."),
        CardSubscriptionsUnavailable = Conflict("card_subscriptions_unavailable", "Paying for a membership by card is not set up: pay by transfer as the organisation asks, and an Admin records your membership."),
        MembershipLapsed = Forbidden("membership_lapsed", "Your membership has lapsed: renew it to register for this event."),
    }
}
