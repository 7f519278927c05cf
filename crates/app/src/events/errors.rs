//! Why registering, organising or editing an event is refused.

use crate::codes::error_codes;
use domain::event::RegistrationClosed;

error_codes! {
    /// The events feature's refusals, with their stable codes.
    pub enum EventError in "Events" {
        AlreadyRegistered = Conflict("already_registered", "You are already registered for this event (or on its waitlist)."),
        Full = Conflict("event_full", "This event is full and keeps no waitlist."),
        NotOpen = Conflict("not_open", "This event is not open for registration."),
        NotYetOpen = Conflict("not_yet_open", "Registration for this event has not opened yet."),
        RegistrationClosed = Conflict("closed", "Registration for this event has closed."),
        Started = Conflict("started", "This event has already started."),
        NoOffer = Conflict("no_offer", "There is no seat on offer for you (an offer may have run out)."),
        NotWaitlisted = Conflict("not_waitlisted", "Only someone on the waitlist can be moved to its front."),
        NoSeat = Conflict("no_seat", "Only someone holding a seat can be checked in."),
        /// Worded with the venue and the event that holds it.
        VenueBooked = Conflict("venue_booked", "The venue is already booked at that time."),
        /// Worded with the two statuses: "A cancelled event cannot become published."
        StatusChange = Conflict("invalid_status_change", "The event cannot move from its status to the one asked for."),
        NotStartedYet = Conflict("not_started", "An event can be marked as completed only once it has started."),
        PriceLocked = Conflict("price_locked", "People have registered at the current price, so it can no longer change."),
        /// Worded with the event's status.
        Closed = Conflict("event_closed", "A cancelled or completed event can no longer be edited."),
    }
}

impl From<RegistrationClosed> for EventError {
    fn from(why: RegistrationClosed) -> Self {
        match why {
            RegistrationClosed::NotYetOpen { .. } => EventError::NotYetOpen,
            RegistrationClosed::Closed { .. } => EventError::RegistrationClosed,
            RegistrationClosed::Started => EventError::Started,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_registration_keeps_the_domain_code() {
        let now = chrono::Utc::now();
        for why in [
            RegistrationClosed::NotYetOpen { opens_at: now },
            RegistrationClosed::Closed { closed_at: now },
            RegistrationClosed::Started,
        ] {
            assert_eq!(EventError::from(why).code().as_str(), why.as_str());
            assert_eq!(EventError::from(why).message(), why.to_string());
        }
    }
}
