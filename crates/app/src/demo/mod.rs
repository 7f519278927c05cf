//! A demo organisation: thousands of members, circles with their meetings and attendance,
//! events with registrations and waitlists, and a few known accounts to sign in with.
//!
//! It exists so a person can look around a platform that feels used, and so load tests
//! (README, "Benchmark") run against realistic volumes. Everything is generated in memory
//! first ([`plan`], a pure function of the options, the RNG seed and the clock) and then
//! written with multi-row INSERTs inside one transaction per database: row-by-row inserts
//! through the use cases would take many minutes, and all-or-nothing keeps a failed seed
//! from leaving half an organisation behind.
//!
//! The rows keep the invariants the use cases keep: no circle holds more active members
//! than its capacity and `circles.active_members` counts them; no event holds more seats
//! than its capacity, `events.confirmed_count` counts the seat holders and
//! `events.last_position` the arrivals; a waitlist exists only behind a full event. Per-row
//! audit entries are skipped, but one `demo_seeded` entry is chained through
//! [`audit::record`], so `circles admin verify-audit` keeps passing.

mod circles;
mod dice;
mod events;
mod meetings;
mod names;
mod people;
mod venues;
mod write;

pub use write::seed;

use crate::codes::error_codes;
use crate::{Error, Result};
use chrono::{DateTime, Duration, Utc};
use db::main_db::{
    attendance, circle_memberships, circles as circle_rows, event_circles, event_registrations,
    events as event_rows, facilitator_certifications, meetings as meeting_rows, user_roles, users,
    venues as venue_rows,
};
use dice::Dice;
use names::{KNOWN, PTM};
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde::Serialize;
use uuid::Uuid;

error_codes! {
    /// Why `circles seed-demo` refuses to seed.
    pub enum DemoError in "Demo data" {
        Production = Forbidden("production", "Refusing to seed demo data in production mode (CIRCLES_ENV=production)."),
        /// Worded with the number of demo accounts found.
        DemoPresent = Conflict("demo_present", "The database already holds a demo organisation: seed into fresh databases instead."),
        /// Worded with the number of accounts found.
        DatabaseNotEmpty = Conflict("database_not_empty", "The database already has accounts: pass --force to add a demo organisation anyway."),
    }
}

/// Every demo address ends in this domain, so a second seed can tell one is there.
pub const DEMO_DOMAIN: &str = "demo.example.org";

/// The password of every demo account. Public by design: this is demo data.
pub const DEMO_PASSWORD: &str = "circles demo passphrase";

/// How big an organisation to generate.
#[derive(Debug, Clone)]
pub struct SeedOptions {
    /// Accounts in all, the known accounts included.
    pub members: u32,
    pub circles: u32,
    pub events: u32,
    /// The same seed (and day) gives the same organisation.
    pub seed: u64,
    /// Seed even though the database already has accounts.
    pub force: bool,
}

impl Default for SeedOptions {
    fn default() -> Self {
        SeedOptions {
            members: 10_000,
            circles: 1_000,
            events: 5_000,
            seed: 42,
            force: false,
        }
    }
}

/// An account printed at the end, so a person can sign in as each kind of user.
#[derive(Debug, Clone, Serialize)]
pub struct KnownAccount {
    /// What the account is for: `admin`, `facilitator`, `member`, …
    pub kind: &'static str,
    pub email: String,
}

/// Rows written, per table, and how long it took.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SeedCounts {
    pub users: u64,
    pub roles: u64,
    pub certifications: u64,
    pub venues: u64,
    pub circles: u64,
    pub memberships: u64,
    pub meetings: u64,
    pub attendance: u64,
    pub events: u64,
    pub event_circles: u64,
    pub registrations: u64,
}

/// What [`seed`] did.
#[derive(Debug, Clone, Serialize)]
pub struct SeedReport {
    pub counts: SeedCounts,
    pub known: Vec<KnownAccount>,
    /// The one password of every demo account.
    pub password: &'static str,
    /// Generating the rows in memory, in milliseconds.
    pub plan_ms: u128,
    /// Writing them (both databases, hashing the password included), in milliseconds.
    pub write_ms: u128,
}

fn check_options(opts: &SeedOptions) -> Result<()> {
    let mut problems = Vec::new();
    if !(1..=100_000).contains(&opts.circles) {
        problems.push(domain::DomainError::new(
            "circles",
            "Seed between 1 and 100000 circles.",
        ));
    }
    if opts.events > 500_000 {
        problems.push(domain::DomainError::new(
            "events",
            "Seed at most 500000 events.",
        ));
    }
    // Facilitators come out of the accounts, and every circle needs members besides.
    let needed = u64::from(opts.circles) + 40;
    if u64::from(opts.members) < needed || opts.members > 2_000_000 {
        problems.push(domain::DomainError::new(
            "members",
            format!(
                "Seed between {needed} and 2000000 members for {} circles.",
                opts.circles
            ),
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(problems))
    }
}

/// Every row of the demo organisation, before it is written.
#[derive(Debug, Default)]
pub struct Plan {
    pub users: Vec<users::Model>,
    pub roles: Vec<user_roles::Model>,
    pub certifications: Vec<facilitator_certifications::Model>,
    pub venues: Vec<venue_rows::Model>,
    pub circles: Vec<circle_rows::Model>,
    pub memberships: Vec<circle_memberships::Model>,
    pub meetings: Vec<meeting_rows::Model>,
    pub attendance: Vec<attendance::Model>,
    pub events: Vec<event_rows::Model>,
    pub event_circles: Vec<event_circles::Model>,
    pub registrations: Vec<event_registrations::Model>,
    /// The known admin, the actor of the `demo_seeded` audit entry.
    pub admin_id: Uuid,
}

impl Plan {
    /// Rows per table.
    pub fn counts(&self) -> SeedCounts {
        let n = |len: usize| len as u64;
        SeedCounts {
            users: n(self.users.len()),
            roles: n(self.roles.len()),
            certifications: n(self.certifications.len()),
            venues: n(self.venues.len()),
            circles: n(self.circles.len()),
            memberships: n(self.memberships.len()),
            meetings: n(self.meetings.len()),
            attendance: n(self.attendance.len()),
            events: n(self.events.len()),
            event_circles: n(self.event_circles.len()),
            registrations: n(self.registrations.len()),
        }
    }
}

/// The known accounts, in the order they are printed.
pub fn known_accounts() -> Vec<KnownAccount> {
    KNOWN
        .iter()
        .map(|(kind, _)| KnownAccount {
            kind,
            email: format!("{kind}@{DEMO_DOMAIN}"),
        })
        .collect()
}

/// The address of the `n`th generated member (1-based), e.g. for load tests.
pub fn member_email(n: u32) -> String {
    format!("member{n:05}@{DEMO_DOMAIN}")
}

/// Generates the whole organisation in memory. Pure apart from the arithmetic on `now`:
/// the same options and `now` give the same rows.
pub fn plan(opts: &SeedOptions, now: DateTime<Utc>) -> Result<Plan> {
    check_options(opts)?;
    let mut dice = Dice(StdRng::seed_from_u64(opts.seed));
    let mut p = Plan::default();
    let two_years_ago = now - Duration::days(730);
    let people::People {
        ids,
        facilitators,
        mut pool,
    } = people::people(&mut dice, &mut p, opts, now, two_years_ago);
    let venue_city = venues::venues(&mut dice, &mut p, opts, now, two_years_ago, ids[PTM]);
    let infos = circles::circles(
        &mut dice,
        &mut p,
        opts.circles as usize,
        now,
        &facilitators,
        &mut pool,
    )?;
    events::events(
        &mut dice,
        &mut p,
        opts.events as usize,
        now,
        &ids,
        &infos,
        &venue_city,
    )?;
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::SubsecRound;
    use domain::circle::{CircleRole, MembershipStatus};
    use domain::Role;
    use std::collections::{HashMap, HashSet};

    fn small() -> SeedOptions {
        SeedOptions {
            members: 300,
            circles: 30,
            events: 120,
            seed: 7,
            force: false,
        }
    }

    #[test]
    fn same_seed_same_organisation() {
        let now = Utc::now().trunc_subsecs(0);
        let a = plan(&small(), now).unwrap();
        let b = plan(&small(), now).unwrap();
        assert_eq!(a.users, b.users);
        assert_eq!(a.registrations, b.registrations);
        let c = plan(&SeedOptions { seed: 8, ..small() }, now).unwrap();
        assert_ne!(a.users, c.users);
    }

    #[test]
    fn the_plan_keeps_the_invariants() {
        let now = Utc::now().trunc_subsecs(0);
        let p = plan(&small(), now).unwrap();
        assert_eq!(p.users.len(), 300);
        assert_eq!(p.circles.len(), 30);
        assert_eq!(p.events.len(), 120);
        let emails: HashSet<_> = p.users.iter().map(|u| &u.email).collect();
        assert_eq!(emails.len(), p.users.len(), "addresses are unique");
        for k in known_accounts() {
            assert!(emails.contains(&k.email), "{} missing", k.email);
        }

        let mut pairs = HashSet::new();
        for m in &p.memberships {
            assert!(pairs.insert((m.circle_id, m.user_id)), "one row per person");
        }
        for c in &p.circles {
            let active = p
                .memberships
                .iter()
                .filter(|m| {
                    m.circle_id == c.id
                        && m.status == MembershipStatus::Active
                        && m.role == CircleRole::Member
                })
                .count() as i32;
            assert_eq!(active, c.active_members, "{}", c.name);
            assert!((2..=c.capacity).contains(&active), "{}", c.name);
            assert!((2..=10).contains(&c.capacity));
            assert_eq!(
                p.memberships
                    .iter()
                    .filter(|m| m.circle_id == c.id && m.role == CircleRole::Facilitator)
                    .count(),
                1
            );
        }
        let certified: HashSet<_> = p.certifications.iter().map(|c| c.user_id).collect();
        for c in &p.circles {
            assert!(certified.contains(&c.created_by.unwrap()));
        }

        let mut by_event: HashMap<Uuid, Vec<&event_registrations::Model>> = HashMap::new();
        for r in &p.registrations {
            by_event.entry(r.event_id).or_default().push(r);
        }
        let mut origins = HashSet::new();
        for m in &p.meetings {
            assert!(origins.insert((m.circle_id, m.origin_at)));
        }
        for e in &p.events {
            let regs = by_event.remove(&e.id).unwrap_or_default();
            let seats = regs.iter().filter(|r| r.status.holds_seat()).count() as i32;
            assert_eq!(seats, e.confirmed_count);
            assert!(seats <= e.capacity);
            assert_eq!(regs.len() as i64, e.last_position);
            if regs.iter().any(|r| r.status.is_waiting()) {
                assert_eq!(seats, e.capacity, "a waitlist only behind a full event");
            }
            let users: HashSet<_> = regs.iter().map(|r| r.user_id).collect();
            assert_eq!(users.len(), regs.len(), "one registration per person");
            assert!(e.ends_at > e.starts_at);
            if let Some(c) = e.registration_closes_at {
                assert!(c <= e.starts_at);
            }
        }
        assert!(p.events.iter().any(|e| e.price_minor > 0));
        assert!(p.events.iter().any(|e| !e.open_to_all));
        assert!(p.events.iter().any(|e| e.venue_id.is_some()));
        assert!(p.registrations.iter().any(|r| r.status.is_waiting()));
        assert!(!p.attendance.is_empty());
    }

    #[test]
    fn every_kind_of_user_has_a_known_account() {
        let p = plan(&small(), Utc::now().trunc_subsecs(0)).unwrap();
        let role_of = |kind: &str| {
            let email = format!("{kind}@{DEMO_DOMAIN}");
            let user = p.users.iter().find(|u| u.email == email).unwrap();
            let mut roles: Vec<Role> = p
                .roles
                .iter()
                .filter(|r| r.user_id == user.id)
                .map(|r| r.role)
                .collect();
            roles.sort();
            roles
        };
        assert_eq!(role_of("support"), [Role::Member, Role::Support]);
        assert_eq!(role_of("admin"), [Role::Member, Role::Admin]);
        assert_eq!(role_of("member"), [Role::Member]);
        let kinds: Vec<_> = known_accounts().iter().map(|k| k.kind).collect();
        assert!(kinds.contains(&"support"), "{kinds:?}");
    }

    #[test]
    fn out_of_range_options_are_refused() {
        let now = Utc::now();
        assert!(plan(
            &SeedOptions {
                members: 30,
                ..small()
            },
            now
        )
        .is_err());
        assert!(plan(
            &SeedOptions {
                circles: 0,
                ..small()
            },
            now
        )
        .is_err());
    }
}
