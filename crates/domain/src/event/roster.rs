//! The seat-allocation model: seats, the waitlist, and who is promoted when a seat frees.

use crate::DomainError;
use std::collections::VecDeque;

/// Where a registration landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// A seat is held.
    Confirmed,
    /// No seat free: in line at `position` (1 = next to get a seat).
    Waitlisted { position: usize },
    /// The person already holds a seat or a place in line; nothing changed.
    AlreadyRegistered,
}

/// A waitlisted person who just got a seat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Promoted<Id>(pub Id);

/// Seats and waitlist of one event: the model the database's registration code follows.
///
/// Invariants, after every operation: at most `capacity` confirmed; nobody both confirmed
/// and waiting, nor twice in either; the waitlist in arrival order; and no seat idle while
/// someone waits (a freed seat goes to the head of the waitlist at once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roster<Id> {
    capacity: u32,
    confirmed: Vec<Id>,
    waitlist: VecDeque<Id>,
}

impl<Id: Clone + Eq> Roster<Id> {
    /// An empty roster with `capacity` seats.
    pub fn new(capacity: u32) -> Self {
        Roster {
            capacity,
            confirmed: Vec::new(),
            waitlist: VecDeque::new(),
        }
    }

    pub fn capacity(&self) -> u32 {
        self.capacity
    }

    /// Who holds a seat, in the order they got it.
    pub fn confirmed(&self) -> &[Id] {
        &self.confirmed
    }

    /// Who is waiting, first in line first.
    pub fn waitlist(&self) -> &VecDeque<Id> {
        &self.waitlist
    }

    /// Registers `id`: a seat if one is free, otherwise the end of the waitlist. Someone
    /// already registered keeps their place, so a double-submitted form is harmless.
    pub fn register(&mut self, id: Id) -> Placement {
        if self.confirmed.contains(&id) || self.waitlist.contains(&id) {
            return Placement::AlreadyRegistered;
        }
        if self.has_free_seat() {
            self.confirmed.push(id);
            Placement::Confirmed
        } else {
            self.waitlist.push_back(id);
            Placement::Waitlisted {
                position: self.waitlist.len(),
            }
        }
    }

    /// Cancels `id`'s registration. A freed seat goes to the head of the waitlist, who is
    /// returned; leaving the waitlist, or cancelling someone not registered, promotes
    /// nobody.
    pub fn cancel(&mut self, id: &Id) -> Option<Promoted<Id>> {
        if let Some(i) = self.waitlist.iter().position(|w| w == id) {
            self.waitlist.remove(i);
            return None;
        }
        let i = self.confirmed.iter().position(|c| c == id)?;
        self.confirmed.remove(i);
        self.fill_seats().into_iter().next()
    }

    /// Changes the number of seats. More seats go to the head of the waitlist at once (the
    /// promoted are returned, first in line first). Fewer seats than are already confirmed
    /// is refused under `capacity`: taking a confirmed seat away is a decision for a
    /// person (cancel someone), not a side effect of editing a number.
    pub fn set_capacity(&mut self, capacity: u32) -> Result<Vec<Promoted<Id>>, DomainError> {
        if seats(capacity) < self.confirmed.len() {
            return Err(DomainError::new(
                "capacity",
                format!(
                    "{} people already have a seat, so the capacity cannot go below {}. \
                     Cancel registrations first if fewer places are needed.",
                    self.confirmed.len(),
                    self.confirmed.len()
                ),
            ));
        }
        self.capacity = capacity;
        Ok(self.fill_seats())
    }

    fn has_free_seat(&self) -> bool {
        self.confirmed.len() < seats(self.capacity)
    }

    /// Moves people from the head of the waitlist into free seats.
    fn fill_seats(&mut self) -> Vec<Promoted<Id>> {
        let mut promoted = Vec::new();
        while self.has_free_seat() {
            let Some(next) = self.waitlist.pop_front() else {
                break;
            };
            self.confirmed.push(next.clone());
            promoted.push(Promoted(next));
        }
        promoted
    }
}

/// A capacity as a count of seats; saturating so a huge capacity on a 16-bit target
/// still means "plenty" rather than wrapping.
fn seats(capacity: u32) -> usize {
    usize::try_from(capacity).unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roster_confirms_then_waitlists() {
        let mut r = Roster::new(2);
        assert_eq!(r.register("ann"), Placement::Confirmed);
        assert_eq!(r.register("bob"), Placement::Confirmed);
        assert_eq!(r.register("cal"), Placement::Waitlisted { position: 1 });
        assert_eq!(r.register("dan"), Placement::Waitlisted { position: 2 });
        assert_eq!(r.register("ann"), Placement::AlreadyRegistered);
        assert_eq!(r.register("dan"), Placement::AlreadyRegistered);
        assert_eq!(r.confirmed(), ["ann", "bob"]);
        assert_eq!(r.waitlist(), &["cal", "dan"]);
        assert_eq!(r.capacity(), 2);
    }

    #[test]
    fn a_freed_seat_goes_to_the_head_of_the_waitlist() {
        let mut r = Roster::new(1);
        r.register(1);
        r.register(2);
        r.register(3);
        r.register(4);
        // Leaving the waitlist frees no seat.
        assert_eq!(r.cancel(&3), None);
        assert_eq!(r.waitlist(), &[2, 4]);
        assert_eq!(r.cancel(&1), Some(Promoted(2)));
        assert_eq!(r.confirmed(), [2]);
        assert_eq!(r.waitlist(), &[4]);
        // Not registered (any more): nothing happens.
        assert_eq!(r.cancel(&1), None);
        assert_eq!(r.cancel(&99), None);
        assert_eq!(r.cancel(&2), Some(Promoted(4)));
        assert_eq!(r.cancel(&4), None);
        assert!(r.confirmed().is_empty() && r.waitlist().is_empty());
        // Someone who cancelled joins the end of the line when they come back.
        r.register(5);
        r.register(6);
        r.register(1);
        assert_eq!(r.waitlist(), &[6, 1]);
    }

    #[test]
    fn capacity_changes_promote_or_are_refused() {
        let mut r = Roster::new(1);
        for id in 1..=4 {
            r.register(id);
        }
        assert_eq!(r.set_capacity(3).unwrap(), [Promoted(2), Promoted(3)]);
        assert_eq!(r.confirmed(), [1, 2, 3]);
        assert_eq!(r.waitlist(), &[4]);
        assert_eq!(
            r.set_capacity(2).unwrap_err(),
            DomainError::new(
                "capacity",
                "3 people already have a seat, so the capacity cannot go below 3. \
                 Cancel registrations first if fewer places are needed."
            )
        );
        assert_eq!(r.capacity(), 3);
        assert!(r.set_capacity(3).unwrap().is_empty());
        assert_eq!(r.set_capacity(10).unwrap(), [Promoted(4)]);
        assert!(r.set_capacity(4).unwrap().is_empty());
        // A capacity of 0 puts everyone in line.
        let mut none = Roster::new(0);
        assert_eq!(none.register('a'), Placement::Waitlisted { position: 1 });
        assert_eq!(none.set_capacity(1).unwrap(), [Promoted('a')]);
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        #[derive(Debug, Clone)]
        enum Op {
            Register(u8),
            Cancel(u8),
            SetCapacity(u32),
        }

        fn op() -> impl Strategy<Value = Op> {
            // Few ids so the same person registers, cancels and comes back often.
            prop_oneof![
                4 => (0u8..10).prop_map(Op::Register),
                3 => (0u8..10).prop_map(Op::Cancel),
                1 => (0u32..7).prop_map(Op::SetCapacity),
            ]
        }
        proptest! {
            #[test]
            fn roster_invariants_hold_under_any_interleaving(
                capacity in 0u32..5,
                ops in prop::collection::vec(op(), 0..80),
            ) {
                let mut r = Roster::new(capacity);
                // When each id last joined (register after a cancel is a new arrival).
                let mut arrival: std::collections::HashMap<u8, usize> = Default::default();
                for (step, op) in ops.into_iter().enumerate() {
                    let waiting_before: Vec<u8> = r.waitlist().iter().copied().collect();
                    match op {
                        Op::Register(id) => {
                            let known = r.confirmed().contains(&id) || r.waitlist().contains(&id);
                            let placement = r.register(id);
                            if known {
                                prop_assert_eq!(placement, Placement::AlreadyRegistered);
                            } else {
                                arrival.insert(id, step);
                                match placement {
                                    Placement::Confirmed => prop_assert!(waiting_before.is_empty()),
                                    Placement::Waitlisted { position } => {
                                        prop_assert_eq!(position, r.waitlist().len());
                                        prop_assert_eq!(r.waitlist().back(), Some(&id));
                                    }
                                    Placement::AlreadyRegistered => prop_assert!(false, "new id {id}"),
                                }
                            }
                        }
                        Op::Cancel(id) => {
                            let was_confirmed = r.confirmed().contains(&id);
                            let promoted = r.cancel(&id);
                            prop_assert!(!r.confirmed().contains(&id) && !r.waitlist().contains(&id));
                            match promoted {
                                Some(Promoted(p)) => {
                                    prop_assert!(was_confirmed);
                                    // The earliest still waiting, by arrival.
                                    let head = waiting_before.iter().min_by_key(|w| arrival[*w]);
                                    prop_assert_eq!(Some(&p), head);
                                }
                                None => prop_assert!(!was_confirmed || waiting_before.is_empty()),
                            }
                        }
                        Op::SetCapacity(n) => {
                            let held = r.confirmed().len();
                            match r.set_capacity(n) {
                                Ok(promoted) => {
                                    let ids: Vec<u8> = promoted.into_iter().map(|p| p.0).collect();
                                    prop_assert_eq!(&ids[..], &waiting_before[..ids.len()]);
                                    prop_assert_eq!(r.capacity(), n);
                                }
                                Err(e) => {
                                    prop_assert!((n as usize) < held);
                                    prop_assert_eq!(e.field, "capacity");
                                }
                            }
                        }
                    }
                    let seats = r.capacity() as usize;
                    prop_assert!(r.confirmed().len() <= seats);
                    prop_assert!(r.waitlist().is_empty() || r.confirmed().len() == seats);
                    for id in r.confirmed() {
                        prop_assert!(!r.waitlist().contains(id));
                        prop_assert_eq!(r.confirmed().iter().filter(|c| *c == id).count(), 1);
                    }
                    let order: Vec<usize> = r.waitlist().iter().map(|w| arrival[w]).collect();
                    prop_assert!(order.windows(2).all(|w| w[0] < w[1]), "{:?}", order);
                }
            }
        }
    }
}
