//! The memberships feature's refusals, with their stable codes.

use crate::codes::error_codes;

error_codes! {
    /// Why a plan or a membership cannot be changed, or a lapsed member cannot register.
    pub enum MembershipError in "Memberships" {
        PlanInUse = Conflict("plan_in_use", "Memberships were recorded on this plan, so it cannot be deleted: archive it instead."),
        PlanArchived = Conflict("plan_archived", "This plan is archived: record the membership on a plan that is offered."),
        MembershipLapsed = Forbidden("membership_lapsed", "Your membership has lapsed: renew it to register for this event."),
    }
}
