//! Where one person's registration for an event stands, and how it may move. The seat
//! counting itself follows [`crate::event::Roster`]; this is the status a stored
//! registration carries through it.

use crate::vocabulary::text_enum;
use serde::{Deserialize, Serialize};

/// Where a registration stands. Every `match` on it is exhaustive, so a new status must be
/// placed wherever seats, the waitlist or notices are decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegistrationStatus {
    /// A seat on a free event (or, later, a paid one that is paid for).
    Confirmed,
    /// A seat held on a paid event until payment.
    PaymentRequired,
    /// A freed seat held for someone from the waitlist until the offer runs out.
    Offered,
    /// In line for a seat, served in arrival order.
    Waitlisted,
    /// Given up, or an offer that ran out; the row is reused if the person comes back.
    Cancelled,
}

text_enum!(RegistrationStatus {
    Confirmed => "confirmed",
    PaymentRequired => "payment_required",
    Offered => "offered",
    Waitlisted => "waitlisted",
    Cancelled => "cancelled",
});

impl RegistrationStatus {
    /// The status of a seat just given: paid events wait for payment, free ones are
    /// confirmed at once.
    pub fn seated(paid: bool) -> Self {
        if paid {
            Self::PaymentRequired
        } else {
            Self::Confirmed
        }
    }

    /// Whether the registration holds one of the event's seats (and so counts towards its
    /// capacity, may be checked in, and frees a seat when cancelled).
    pub fn holds_seat(self) -> bool {
        match self {
            Self::Confirmed | Self::PaymentRequired | Self::Offered => true,
            Self::Waitlisted | Self::Cancelled => false,
        }
    }

    /// Whether the person is in line for a seat.
    pub fn is_waiting(self) -> bool {
        match self {
            Self::Waitlisted => true,
            Self::Confirmed | Self::PaymentRequired | Self::Offered | Self::Cancelled => false,
        }
    }

    /// Whether the registration was given up (or its offer ran out).
    pub fn is_cancelled(self) -> bool {
        match self {
            Self::Cancelled => true,
            Self::Confirmed | Self::PaymentRequired | Self::Offered | Self::Waitlisted => false,
        }
    }

    /// Whether the person sees what registrants see (an online event's link): only a
    /// confirmed seat — on a paid event, a paid one. A seat held for payment or on offer,
    /// someone in line or gone see the public page only (an unpaid hold must not be a way
    /// to the link).
    pub fn sees_event_details(self) -> bool {
        match self {
            Self::Confirmed => true,
            Self::PaymentRequired | Self::Offered | Self::Waitlisted | Self::Cancelled => false,
        }
    }

    /// The registrations that hold a seat, for queries over stored rows.
    pub fn seat_holders() -> impl Iterator<Item = Self> {
        Self::ALL.into_iter().filter(|s| s.holds_seat())
    }

    /// Allowed changes of a stored registration:
    ///
    /// - a seat (confirmed, awaiting payment) can only be given up; payment will confirm
    ///   a seat that awaits it;
    /// - an offered seat is accepted (then awaits payment) or given up;
    /// - someone in line gets a seat, an offer of one, or leaves the line;
    /// - someone who cancelled registers again: a seat or the end of the line.
    ///
    /// Staying the same is not a change.
    pub fn can_become(self, next: RegistrationStatus) -> bool {
        use RegistrationStatus::*;
        match self {
            Confirmed => next == Cancelled,
            PaymentRequired => matches!(next, Confirmed | Cancelled),
            Offered => matches!(next, PaymentRequired | Cancelled),
            Waitlisted => matches!(next, Confirmed | PaymentRequired | Offered | Cancelled),
            Cancelled => matches!(next, Confirmed | PaymentRequired | Waitlisted),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RegistrationStatus::{self, *};
    use crate::vocabulary::assert_text_round_trips;

    #[test]
    fn stored_names_round_trip() {
        assert_text_round_trips(
            &RegistrationStatus::ALL,
            RegistrationStatus::as_str,
            RegistrationStatus::parse,
        );
        assert_eq!(PaymentRequired.as_str(), "payment_required");
        assert_eq!(RegistrationStatus::parse("canceled"), None);
        assert_eq!(Waitlisted.to_string(), "waitlisted");
    }

    #[test]
    fn seats_are_held_while_confirmed_awaiting_payment_or_offered() {
        let held: Vec<_> = RegistrationStatus::seat_holders().collect();
        assert_eq!(held, [Confirmed, PaymentRequired, Offered]);
        assert!(!Waitlisted.holds_seat() && !Cancelled.holds_seat());
        assert_eq!(RegistrationStatus::seated(true), PaymentRequired);
        assert_eq!(RegistrationStatus::seated(false), Confirmed);
        for s in RegistrationStatus::ALL {
            // Exactly one of: a seat, in line, gone.
            let roles = [s.holds_seat(), s.is_waiting(), s.is_cancelled()];
            assert_eq!(roles.iter().filter(|r| **r).count(), 1, "{s:?}");
            assert_eq!(s.sees_event_details(), s == Confirmed);
        }
    }

    #[test]
    fn changes_follow_the_life_of_a_registration() {
        let allowed = [
            (Confirmed, Cancelled),
            (PaymentRequired, Confirmed),
            (PaymentRequired, Cancelled),
            (Offered, PaymentRequired),
            (Offered, Cancelled),
            (Waitlisted, Confirmed),
            (Waitlisted, PaymentRequired),
            (Waitlisted, Offered),
            (Waitlisted, Cancelled),
            (Cancelled, Confirmed),
            (Cancelled, PaymentRequired),
            (Cancelled, Waitlisted),
        ];
        for from in RegistrationStatus::ALL {
            for to in RegistrationStatus::ALL {
                let expected = allowed.contains(&(from, to));
                assert_eq!(from.can_become(to), expected, "{from:?} → {to:?}");
            }
        }
        // Whatever a seat holder does, giving it up is always possible.
        for s in RegistrationStatus::seat_holders() {
            assert!(s.can_become(Cancelled));
        }
        // Nobody goes back into line while holding a seat.
        for s in RegistrationStatus::seat_holders() {
            assert!(!s.can_become(Waitlisted));
        }
    }
}
