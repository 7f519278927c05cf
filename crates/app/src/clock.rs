//! Time as a dependency: every use case asks the context's [`Clock`] for "now" instead of
//! calling `Utc::now()`, so tests can move time forward (expiring step-ins, holds, offers
//! and certifications) instead of rewriting rows.

use chrono::{DateTime, Duration, Utc};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// The source of "now" shared by the server, the worker and the commands.
#[derive(Clone, Debug)]
pub struct Clock(Arc<Kind>);

#[derive(Debug)]
enum Kind {
    /// The machine's clock.
    System,
    /// The machine's clock shifted by a number of microseconds that only grows: tests move
    /// time forward with [`Clock::advance`].
    Shifted(AtomicI64),
}

impl Clock {
    /// The machine's clock; what every deployment uses.
    pub fn system() -> Self {
        Clock(Arc::new(Kind::System))
    }

    /// A clock that starts at the machine's time and can be moved forward, for tests.
    pub fn adjustable() -> Self {
        Clock(Arc::new(Kind::Shifted(AtomicI64::new(0))))
    }

    pub fn now(&self) -> DateTime<Utc> {
        match &*self.0 {
            Kind::System => Utc::now(),
            Kind::Shifted(offset) => {
                Utc::now() + Duration::microseconds(offset.load(Ordering::SeqCst))
            }
        }
    }

    /// Moves an adjustable clock forward by `by` (every clone sees the change).
    ///
    /// # Panics
    /// On the system clock: production time is never moved.
    pub fn advance(&self, by: Duration) {
        match &*self.0 {
            Kind::System => panic!("the system clock cannot be moved"),
            Kind::Shifted(offset) => {
                let micros = by.num_microseconds().expect("a duration of sane length");
                assert!(micros >= 0, "time only moves forward");
                offset.fetch_add(micros, Ordering::SeqCst);
            }
        }
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::system()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_adjustable_clock_moves_forward_for_every_clone() {
        let clock = Clock::adjustable();
        let other = clock.clone();
        let before = other.now();
        clock.advance(Duration::days(8));
        let after = other.now();
        assert!(after - before >= Duration::days(8));
        assert!(after - before < Duration::days(8) + Duration::seconds(5));
    }

    #[test]
    #[should_panic(expected = "cannot be moved")]
    fn the_system_clock_cannot_be_moved() {
        Clock::system().advance(Duration::seconds(1));
    }
}
