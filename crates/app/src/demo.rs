//! A demo organisation: thousands of members, circles with their meetings and attendance,
//! events with registrations and waitlists, and a few known accounts to sign in with.
//!
//! It exists so a person can look around a platform that feels used, and so load tests
//! (DESIGN.md §10) run against realistic volumes. Everything is generated in memory first
//! ([`plan`], a pure function of the options, the RNG seed and the clock) and then written
//! with multi-row INSERTs inside one transaction per database: row-by-row inserts through
//! the use cases would take many minutes, and all-or-nothing keeps a failed seed from
//! leaving half an organisation behind.
//!
//! The rows keep the invariants the use cases keep: no circle holds more active members
//! than its capacity and `circles.active_members` counts them; no event holds more seats
//! than its capacity, `events.confirmed_count` counts the seat holders and
//! `events.last_position` the arrivals; a waitlist exists only behind a full event. Per-row
//! audit entries are skipped, but one `demo_seeded` entry is chained through
//! [`audit::record`], so `circles admin verify-audit` keeps passing.

use crate::audit::{self, Action, Entry};
use crate::codes::error_codes;
use crate::config::Environment;
use crate::{accounts, Context, Error, RequestMeta, Result};
use chrono::{
    DateTime, Datelike, Days, Duration, NaiveDate, NaiveDateTime, NaiveTime, SubsecRound,
    TimeZone as _, Utc, Weekday,
};
use chrono_tz::Tz;
use db::credentials::password_credentials;
use db::main_db::{
    attendance, circle_memberships, circles, event_circles, event_registrations, events,
    facilitator_certifications, meetings, user_roles, users, venues,
};
use db::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, IntoActiveModel,
    Iterable, PaginatorTrait, QueryFilter,
};
use domain::cadence::{weekday_as_str, Cadence, Frequency};
use domain::circle::{CircleRole, CircleStatus, MembershipStatus, Visibility};
use domain::event::{EventKind, EventStatus, RegistrationStatus};
use domain::meeting::{AttendanceStatus, MeetingStatus};
use domain::{Role, UserStatus};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use std::time::Instant;
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

/// Fills the configured databases with a demo organisation.
///
/// Refuses in production mode, when the options are out of range, when the database
/// already has accounts (unless `force`), and always when a demo organisation is already
/// there (its addresses would collide).
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn seed(ctx: &Context, opts: &SeedOptions) -> Result<SeedReport> {
    if ctx.settings.env == Environment::Production {
        return Err(DemoError::Production.into());
    }
    check_options(opts)?;
    let existing = users::Entity::find().count(&ctx.main).await?;
    let demo_there = users::Entity::find()
        .filter(users::Column::Email.ends_with(format!("@{DEMO_DOMAIN}")))
        .count(&ctx.main)
        .await?;
    if demo_there > 0 {
        return Err(DemoError::DemoPresent.with(format!(
                "This database already holds a demo organisation ({demo_there} accounts @{DEMO_DOMAIN}); \
                 seed into a fresh data folder or databases instead."
            )));
    }
    if existing > 0 && !opts.force {
        return Err(DemoError::DatabaseNotEmpty.with(format!(
                "This database already has {existing} accounts; pass --force to add a demo organisation anyway."
            )));
    }

    let started = Instant::now();
    let now = ctx.now().trunc_subsecs(0);
    let plan = plan(opts, now)?;
    let plan_ms = started.elapsed().as_millis();

    let started = Instant::now();
    // One hash for everyone: argon2 is deliberately slow, 10,000 of them would take minutes.
    let hash = accounts::hash_password(DEMO_PASSWORD).await?;
    let creds: Vec<password_credentials::Model> = plan
        .users
        .iter()
        .map(|u| password_credentials::Model {
            user_id: u.id,
            password_hash: hash.clone(),
            updated_at: now,
        })
        .collect();
    let user_ids: Vec<Uuid> = plan.users.iter().map(|u| u.id).collect();
    // Credentials first, as registration does: should the main write fail, the hashes are
    // unreachable and deleted again below.
    let txn = db::begin_write(&ctx.creds).await?;
    insert_all::<password_credentials::Entity>(&txn, creds).await?;
    txn.commit().await?;
    let counts = plan.counts();
    if let Err(e) = write_main(ctx, plan, &counts, opts.seed).await {
        for chunk in user_ids.chunks(1000) {
            // Best effort: the original error is the one worth reporting.
            let _ = password_credentials::Entity::delete_many()
                .filter(password_credentials::Column::UserId.is_in(chunk.iter().copied()))
                .exec(&ctx.creds)
                .await;
        }
        return Err(e);
    }
    Ok(SeedReport {
        counts,
        known: known_accounts(),
        password: DEMO_PASSWORD,
        plan_ms,
        write_ms: started.elapsed().as_millis(),
    })
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

async fn write_main(ctx: &Context, plan: Plan, counts: &SeedCounts, seed: u64) -> Result<()> {
    let txn = db::begin_write(&ctx.main).await?;
    let admin_id = plan.admin_id;
    insert_all::<users::Entity>(&txn, plan.users).await?;
    insert_all::<user_roles::Entity>(&txn, plan.roles).await?;
    insert_all::<facilitator_certifications::Entity>(&txn, plan.certifications).await?;
    insert_all::<venues::Entity>(&txn, plan.venues).await?;
    insert_all::<circles::Entity>(&txn, plan.circles).await?;
    insert_all::<circle_memberships::Entity>(&txn, plan.memberships).await?;
    insert_all::<meetings::Entity>(&txn, plan.meetings).await?;
    insert_all::<attendance::Entity>(&txn, plan.attendance).await?;
    insert_all::<events::Entity>(&txn, plan.events).await?;
    insert_all::<event_circles::Entity>(&txn, plan.event_circles).await?;
    insert_all::<event_registrations::Entity>(&txn, plan.registrations).await?;
    audit::record(
        &txn,
        &RequestMeta::system(),
        Entry::new(Action::DemoSeeded)
            .by(admin_id)
            .details(serde_json::json!({
                "seed": seed,
                "counts": counts,
            })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Inserts `rows` with multi-row INSERTs, each under the backend's bound-parameter limit
/// (SQLite: 32766, PostgreSQL: 65535) and small enough that building the statement stays
/// cheap.
async fn insert_all<E>(txn: &impl ConnectionTrait, rows: Vec<E::Model>) -> Result<()>
where
    E: EntityTrait,
    E::Model: IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
{
    let columns = E::Column::iter().count().max(1);
    let budget = match txn.get_database_backend() {
        DbBackend::Postgres => 60_000,
        _ => 30_000,
    };
    let per_statement = (budget / columns).clamp(1, 2_000);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<E::ActiveModel> = rows
            .by_ref()
            .take(per_statement)
            .map(IntoActiveModel::into_active_model)
            .collect();
        E::insert_many(chunk).exec_without_returning(txn).await?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------- the plan

/// Every row of the demo organisation, before it is written.
#[derive(Debug, Default)]
pub struct Plan {
    pub users: Vec<users::Model>,
    pub roles: Vec<user_roles::Model>,
    pub certifications: Vec<facilitator_certifications::Model>,
    pub venues: Vec<venues::Model>,
    pub circles: Vec<circles::Model>,
    pub memberships: Vec<circle_memberships::Model>,
    pub meetings: Vec<meetings::Model>,
    pub attendance: Vec<attendance::Model>,
    pub events: Vec<events::Model>,
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

const KNOWN: [(&str, Option<Role>); 5] = [
    ("admin", Some(Role::Admin)),
    ("ptm", Some(Role::ProgramTeamMember)),
    ("leadership", Some(Role::Leadership)),
    ("facilitator", Some(Role::Facilitator)),
    ("member", None),
];
const ADMIN: usize = 0;
const PTM: usize = 1;
const MEMBER: usize = 4;

struct City {
    name: &'static str,
    tz: Tz,
    currency: &'static str,
    districts: [&'static str; 3],
}

const CITIES: [City; 8] = [
    City {
        name: "Berlin",
        tz: chrono_tz::Europe::Berlin,
        currency: "EUR",
        districts: ["Kreuzberg", "Prenzlauer Berg", "Neukölln"],
    },
    City {
        name: "Amsterdam",
        tz: chrono_tz::Europe::Amsterdam,
        currency: "EUR",
        districts: ["De Pijp", "Jordaan", "Oost"],
    },
    City {
        name: "Vienna",
        tz: chrono_tz::Europe::Vienna,
        currency: "EUR",
        districts: ["Neubau", "Leopoldstadt", "Wieden"],
    },
    City {
        name: "Zürich",
        tz: chrono_tz::Europe::Zurich,
        currency: "CHF",
        districts: ["Altstadt", "Wiedikon", "Oerlikon"],
    },
    City {
        name: "London",
        tz: chrono_tz::Europe::London,
        currency: "GBP",
        districts: ["Hackney", "Islington", "Brixton"],
    },
    City {
        name: "New York",
        tz: chrono_tz::America::New_York,
        currency: "USD",
        districts: ["Brooklyn", "Harlem", "Queens"],
    },
    City {
        name: "Chicago",
        tz: chrono_tz::America::Chicago,
        currency: "USD",
        districts: ["Logan Square", "Hyde Park", "Pilsen"],
    },
    City {
        name: "San Francisco",
        tz: chrono_tz::America::Los_Angeles,
        currency: "USD",
        districts: ["Mission", "Sunset", "Oakland"],
    },
];

const FIRST: [&str; 40] = [
    "Adam", "Ben", "Carlos", "David", "Elias", "Felix", "Georg", "Hugo", "Ivan", "Jonas", "Karim",
    "Lars", "Marco", "Noah", "Oskar", "Paul", "Rafael", "Samuel", "Tom", "Umar", "Viktor",
    "William", "Yusuf", "Anton", "Bram", "Daan", "Emil", "Finn", "Henrik", "Jakob", "Leon", "Mats",
    "Niels", "Pieter", "Ruben", "Stefan", "Theo", "James", "Michael", "Daniel",
];
const LAST: [&str; 40] = [
    "Becker",
    "Jansen",
    "Smith",
    "Müller",
    "Novak",
    "García",
    "Rossi",
    "Dubois",
    "Nowak",
    "Johansson",
    "Hansen",
    "de Vries",
    "Keller",
    "Wagner",
    "Brown",
    "Wilson",
    "Taylor",
    "Moore",
    "Martin",
    "Bauer",
    "Fischer",
    "Weber",
    "Schulz",
    "Hoffmann",
    "Visser",
    "Bakker",
    "Peeters",
    "Lambert",
    "Silva",
    "Costa",
    "Murphy",
    "Kelly",
    "O'Brien",
    "Walsh",
    "Andersson",
    "Nilsson",
    "Lindqvist",
    "Horvat",
    "Kovač",
    "Meyer",
];
const TREES: [&str; 16] = [
    "Oak", "Birch", "Cedar", "Willow", "Alder", "Rowan", "Pine", "Maple", "Ash", "Elm", "Hazel",
    "Linden", "Juniper", "Spruce", "Yew", "Chestnut",
];
const QUALITIES: [&str; 12] = [
    "Quiet", "Open", "Steady", "Honest", "Early", "Evening", "Deep", "Brave", "Warm", "Clear",
    "Still", "Rooted",
];
const FILMS: [&str; 10] = [
    "Stand by Me",
    "Good Will Hunting",
    "The Straight Story",
    "Dead Poets Society",
    "Into the Wild",
    "Paterson",
    "Nebraska",
    "Manchester by the Sea",
    "The Station Agent",
    "Captain Fantastic",
];
const TOPICS: [&str; 10] = [
    "Listening without fixing",
    "Fathers and sons",
    "Anger as information",
    "Grief and loss",
    "Friendship after forty",
    "Saying no",
    "Work and worth",
    "Facilitation basics",
    "Conflict in the circle",
    "Vulnerability at work",
];

/// Our RNG wrapped with the few draws the plan needs.
struct Dice(StdRng);

impl Dice {
    fn chance(&mut self, p: f64) -> bool {
        self.0.gen_bool(p.clamp(0.0, 1.0))
    }
    fn range(&mut self, lo: i64, hi_inclusive: i64) -> i64 {
        if hi_inclusive <= lo {
            lo
        } else {
            self.0.gen_range(lo..=hi_inclusive)
        }
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.0.gen_range(0..items.len())]
    }
    /// A time-ordered id (UUIDv7 layout) for a row created at `at`, from the seeded RNG
    /// rather than the OS, so the same seed gives the same ids for the same clock.
    fn id(&mut self, at: DateTime<Utc>) -> Uuid {
        let bytes: [u8; 10] = self.0.gen();
        uuid::Builder::from_unix_timestamp_millis(at.timestamp_millis().max(0) as u64, &bytes)
            .into_uuid()
    }
    /// A moment uniformly in `[from, until]`.
    fn between(&mut self, from: DateTime<Utc>, until: DateTime<Utc>) -> DateTime<Utc> {
        let span = (until - from).num_seconds();
        from + Duration::seconds(self.range(0, span))
    }
}

fn time(h: u32, m: u32) -> Result<NaiveTime> {
    NaiveTime::from_hms_opt(h, m, 0)
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("invalid time of day {h}:{m}")))
}

/// The instant of a wall-clock time; a time the clocks skip moves on by an hour.
fn instant(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    tz.from_local_datetime(&local)
        .earliest()
        .or_else(|| {
            tz.from_local_datetime(&(local + Duration::hours(1)))
                .earliest()
        })
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&local))
}

/// The first `weekday` on or after `date`.
fn next_weekday(date: NaiveDate, weekday: Weekday) -> NaiveDate {
    let ahead = (7 + weekday.num_days_from_monday() - date.weekday().num_days_from_monday()) % 7;
    date + Days::new(u64::from(ahead))
}

/// A generated circle and the people in it, kept for meetings and events.
struct CircleInfo {
    id: Uuid,
    facilitator: Uuid,
    /// Active members (not the facilitator) with when they joined.
    members: Vec<(Uuid, DateTime<Utc>)>,
    city: Option<usize>,
    tz: Tz,
    capacity: i32,
    status: CircleStatus,
}

/// Generates the whole organisation in memory. Pure apart from the arithmetic on `now`:
/// the same options and `now` give the same rows.
pub fn plan(opts: &SeedOptions, now: DateTime<Utc>) -> Result<Plan> {
    check_options(opts)?;
    let mut dice = Dice(StdRng::seed_from_u64(opts.seed));
    let mut p = Plan::default();
    let two_years_ago = now - Duration::days(730);

    // ------------------------------------------------------------------ people
    let n_circles = opts.circles as usize;
    // Most facilitators lead one circle, some two.
    let n_facilitators = (n_circles * 4 / 5).max(1);
    let total = opts.members as usize;
    let mut ids = Vec::with_capacity(total);
    let mut facilitators = Vec::with_capacity(n_facilitators);
    let mut pool = Vec::with_capacity(total);
    // Accounts created over two years, in id order.
    let mut created: Vec<DateTime<Utc>> = (0..total)
        .map(|_| dice.between(two_years_ago, now - Duration::days(1)))
        .collect();
    created.sort();
    for (i, at) in created.into_iter().enumerate() {
        let id = dice.id(at);
        let (email, role) = if i < KNOWN.len() {
            (format!("{}@{DEMO_DOMAIN}", KNOWN[i].0), KNOWN[i].1)
        } else if i < KNOWN.len() + n_facilitators - 1 {
            let n = i - KNOWN.len() + 1;
            (
                format!("facilitator{n:04}@{DEMO_DOMAIN}"),
                Some(Role::Facilitator),
            )
        } else {
            let n = (i - KNOWN.len() - (n_facilitators - 1) + 1) as u32;
            (member_email(n), None)
        };
        let first = *dice.pick(&FIRST);
        let last = *dice.pick(&LAST);
        let city = dice
            .chance(0.6)
            .then(|| dice.range(0, CITIES.len() as i64 - 1) as usize);
        p.users.push(users::Model {
            id,
            email,
            display_name: format!("{first} {}.", last.chars().next().unwrap_or('X')),
            status: UserStatus::Active,
            email_verified_at: Some(at + Duration::minutes(dice.range(2, 600))),
            last_login_at: dice
                .chance(0.7)
                .then(|| dice.between(now - Duration::days(60), now)),
            suspended_at: None,
            suspended_reason: None,
            created_at: at,
            updated_at: at,
            full_name: dice.chance(0.5).then(|| format!("{first} {last}")),
            phone: None,
            city: city.map(|c| CITIES[c].name.to_owned()),
            time_zone: city.map(|c| CITIES[c].tz.name().to_owned()),
            bio: None,
            photo_version: None,
        });
        let mut roles = vec![Role::Member];
        roles.extend(role);
        for r in roles {
            p.roles.push(user_roles::Model {
                user_id: id,
                role: r,
                granted_by: None,
                granted_at: at,
            });
        }
        if role == Some(Role::Facilitator) {
            facilitators.push(id);
        } else if i >= KNOWN.len() || i == MEMBER {
            pool.push(id);
        }
        ids.push(id);
    }
    p.admin_id = ids[ADMIN];
    let ptm = ids[PTM];
    for (n, f) in facilitators.iter().enumerate() {
        let since = p
            .users
            .iter()
            .find(|u| u.id == *f)
            .map_or(two_years_ago, |u| u.created_at);
        let at = dice.between(since, now.max(since));
        p.certifications.push(facilitator_certifications::Model {
            id: dice.id(at),
            user_id: *f,
            certified_by: Some(ptm),
            certified_at: at,
            expires_at: (n % 3 == 0).then(|| now + Duration::days(dice.range(90, 720))),
            revoked_at: None,
            revoked_by: None,
            note: Some("Completed the facilitator training (demo data).".to_owned()),
        });
    }
    // The known member goes first, so he lands in the known facilitator's circle.
    let mut rest: Vec<Uuid> = pool.split_off(1);
    rest.shuffle(&mut dice.0);
    pool.extend(rest);
    let mut cursor = 0usize;
    let mut next_member = || {
        let id = pool[cursor % pool.len()];
        cursor += 1;
        id
    };

    // ------------------------------------------------------------------ venues
    let n_venues = (opts.events as usize / 150).clamp(3, 40);
    let mut venue_city = Vec::with_capacity(n_venues);
    for v in 0..n_venues {
        let c = v % CITIES.len();
        let city = &CITIES[c];
        let at = dice.between(two_years_ago, now - Duration::days(200));
        p.venues.push(venues::Model {
            id: dice.id(at),
            name: format!(
                "{} {} {}",
                dice.pick(&city.districts),
                dice.pick(&[
                    "Community Hall",
                    "Friends House",
                    "Retreat Centre",
                    "Studio"
                ]),
                v / CITIES.len() + 1
            ),
            address: Some(format!(
                "{} {}, {}",
                dice.range(1, 120),
                "Main Street",
                city.name
            )),
            capacity: *dice.pick(&[20, 30, 40, 60, 80, 120, 200]),
            created_by: Some(ptm),
            created_at: at,
            updated_at: at,
        });
        venue_city.push(c);
    }

    // ------------------------------------------------------------------ circles
    let mut infos: Vec<CircleInfo> = Vec::with_capacity(n_circles);
    for i in 0..n_circles {
        let facilitator = facilitators[i % facilitators.len()];
        let online = i != 0 && dice.chance(0.2);
        let c = dice.range(0, CITIES.len() as i64 - 1) as usize;
        let city = &CITIES[c];
        let status = if i == 0 {
            CircleStatus::Active
        } else {
            match dice.range(0, 99) {
                0..=7 => CircleStatus::Forming,
                8..=11 => CircleStatus::Closed,
                _ => CircleStatus::Active,
            }
        };
        let frequency = match dice.range(0, 9) {
            0..=4 => Frequency::Weekly,
            5..=7 => Frequency::EveryTwoWeeks,
            _ => Frequency::Monthly,
        };
        let weekday = *dice.pick(&[
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Thu,
            Weekday::Sun,
        ]);
        let (h, m) = *dice.pick(&[(7, 0), (18, 30), (19, 0), (19, 30), (19, 30), (20, 0)]);
        let local_time = time(h, m)?;
        let capacity = dice.range(4, 10) as i32;
        let (created_at, anchor, closed_at) = match status {
            CircleStatus::Forming => {
                let created = dice.between(now - Duration::days(28), now - Duration::days(1));
                let first = (now + Duration::days(dice.range(3, 28))).with_timezone(&city.tz);
                (created, next_weekday(first.date_naive(), weekday), None)
            }
            CircleStatus::Closed => {
                let created = dice.between(now - Duration::days(540), now - Duration::days(300));
                let first = (created + Duration::days(7)).with_timezone(&city.tz);
                let closed = dice.between(now - Duration::days(90), now - Duration::days(20));
                (
                    created,
                    next_weekday(first.date_naive(), weekday),
                    Some(closed),
                )
            }
            CircleStatus::Active | CircleStatus::Archived => {
                let created = dice.between(now - Duration::days(540), now - Duration::days(30));
                let first = (created + Duration::days(dice.range(3, 14))).with_timezone(&city.tz);
                (created, next_weekday(first.date_naive(), weekday), None)
            }
        };
        let id = dice.id(created_at);
        let name = format!(
            "{} {} Circle {} #{}",
            dice.pick(&QUALITIES),
            dice.pick(&TREES),
            if online { "Online" } else { city.name },
            i + 1
        );
        let duration = *dice.pick(&[90, 120, 120, 150]);
        let location = (!online).then(|| {
            format!(
                "{} community room, {}",
                dice.pick(&city.districts),
                city.name
            )
        });
        // Memberships: the facilitator, active members, and some history and requests.
        p.memberships.push(circle_memberships::Model {
            id: dice.id(created_at),
            circle_id: id,
            user_id: facilitator,
            role: CircleRole::Facilitator,
            status: MembershipStatus::Active,
            message: None,
            reason: None,
            requested_at: created_at,
            decided_at: Some(created_at),
            decided_by: Some(facilitator),
            joined_at: Some(created_at),
            ended_at: None,
        });
        let wanted = match status {
            CircleStatus::Forming => dice.range(2, i64::from(capacity).min(4)),
            _ if dice.chance(0.3) => i64::from(capacity),
            _ => dice.range(2, i64::from(capacity)),
        } as usize;
        let until = closed_at.unwrap_or(now);
        let mut members = Vec::with_capacity(wanted);
        for _ in 0..wanted {
            let user = next_member();
            let joined = dice.between(created_at, created_at + (until - created_at) / 2);
            let requested = (joined - Duration::days(dice.range(0, 5))).max(created_at);
            p.memberships.push(circle_memberships::Model {
                id: dice.id(requested),
                circle_id: id,
                user_id: user,
                role: CircleRole::Member,
                status: MembershipStatus::Active,
                message: dice
                    .chance(0.4)
                    .then(|| "I would like to join; Tuesdays work well for me.".to_owned()),
                reason: None,
                requested_at: requested,
                decided_at: Some(joined),
                decided_by: Some(facilitator),
                joined_at: Some(joined),
                ended_at: None,
            });
            members.push((user, joined));
        }
        if status != CircleStatus::Forming && dice.chance(0.15) {
            let user = next_member();
            let joined = dice.between(created_at, created_at + (until - created_at) / 3);
            let ended = dice.between(joined, until);
            p.memberships.push(circle_memberships::Model {
                id: dice.id(joined),
                circle_id: id,
                user_id: user,
                role: CircleRole::Member,
                status: MembershipStatus::Left,
                message: None,
                reason: None,
                requested_at: joined,
                decided_at: Some(joined),
                decided_by: Some(facilitator),
                joined_at: Some(joined),
                ended_at: Some(ended),
            });
        }
        let open = i == 0 || dice.chance(0.7);
        if open && status != CircleStatus::Closed && dice.chance(0.25) {
            for _ in 0..dice.range(1, 3) {
                let at = dice.between(now - Duration::days(14), now);
                p.memberships.push(circle_memberships::Model {
                    id: dice.id(at),
                    circle_id: id,
                    user_id: next_member(),
                    role: CircleRole::Member,
                    status: MembershipStatus::Requested,
                    message: Some("Could I join this circle?".to_owned()),
                    reason: None,
                    requested_at: at,
                    decided_at: None,
                    decided_by: None,
                    joined_at: None,
                    ended_at: None,
                });
            }
        }
        p.circles.push(circles::Model {
            id,
            name,
            description: format!(
                "A circle of men meeting {} to listen and be heard. What is said here stays here.",
                match frequency {
                    Frequency::Weekly => "every week",
                    Frequency::EveryTwoWeeks => "every other week",
                    Frequency::Monthly => "once a month",
                }
            ),
            capacity,
            visibility: if open {
                Visibility::Open
            } else {
                Visibility::InvitationOnly
            },
            status,
            frequency,
            weekday: weekday_as_str(weekday).to_owned(),
            meeting_time: local_time.format("%H:%M").to_string(),
            duration_minutes: duration,
            time_zone: city.tz.name().to_owned(),
            anchor_date: anchor,
            city: (!online).then(|| city.name.to_owned()),
            location: location.clone(),
            online_url: online.then(|| format!("https://meet.example.org/circle-{}", i + 1)),
            active_members: members.len() as i32,
            created_by: Some(facilitator),
            created_at,
            updated_at: closed_at.unwrap_or(created_at),
            archived_at: None,
            needs_facilitator_since: None,
        });

        // Meetings from six months back (or the first one) to two months ahead.
        let cadence = Cadence {
            frequency,
            weekday,
            local_time,
            time_zone: city.tz,
            anchor,
        };
        let from = now - Duration::days(182);
        let to = closed_at.unwrap_or(now + Duration::days(61));
        for at in cadence.occurrences(from, to) {
            let made = (at - Duration::days(28)).max(created_at).min(now);
            let cancelled = dice.chance(0.03);
            let meeting_id = dice.id(made);
            p.meetings.push(meetings::Model {
                id: meeting_id,
                circle_id: id,
                starts_at: at,
                duration_minutes: duration,
                status: if cancelled {
                    MeetingStatus::Cancelled
                } else {
                    MeetingStatus::Scheduled
                },
                origin_at: Some(at),
                location: location.clone(),
                note: cancelled.then(|| "Cancelled: public holiday.".to_owned()),
                present_count: None,
                absent_count: None,
                excused_count: None,
                created_at: made,
                updated_at: made,
            });
            if cancelled || at >= now {
                continue;
            }
            let recorded = (at + Duration::minutes(i64::from(duration) + 60)).min(now);
            for (user, joined) in &members {
                if *joined > at {
                    continue;
                }
                let status = match dice.range(0, 99) {
                    0..=77 => AttendanceStatus::Present,
                    78..=89 => AttendanceStatus::Excused,
                    _ => AttendanceStatus::Absent,
                };
                p.attendance.push(attendance::Model {
                    meeting_id,
                    user_id: *user,
                    status,
                    recorded_by: Some(facilitator),
                    recorded_at: recorded,
                });
            }
        }
        infos.push(CircleInfo {
            id,
            facilitator,
            members,
            city: (!online).then_some(c),
            tz: city.tz,
            capacity,
            status,
        });
    }

    // ------------------------------------------------------------------ events
    let organisers = [ids[PTM], ids[ADMIN]];
    let meeting_circles: Vec<usize> = (0..infos.len())
        .filter(|i| infos[*i].status != CircleStatus::Forming)
        .collect();
    // Booked intervals per venue: a venue holds one event at a time.
    let mut booked: Vec<Vec<(DateTime<Utc>, DateTime<Utc>)>> = vec![Vec::new(); n_venues];
    for i in 0..opts.events as usize {
        let kind = match dice.range(0, 99) {
            0..=24 if !meeting_circles.is_empty() => EventKind::CircleMeeting,
            0..=44 => EventKind::MovieNight,
            45..=74 => EventKind::Workshop,
            75..=89 => EventKind::DayRetreat,
            _ => EventKind::MultiDayRetreat,
        };
        let circle =
            (kind == EventKind::CircleMeeting).then(|| &infos[*dice.pick(&meeting_circles)]);
        let online = match circle {
            Some(c) => c.city.is_none(),
            None => dice.chance(0.12) && kind != EventKind::MultiDayRetreat,
        };
        let city_ix = match circle {
            Some(c) => c.city.unwrap_or(0),
            None => dice.range(0, CITIES.len() as i64 - 1) as usize,
        };
        let city = &CITIES[city_ix];
        let tz = circle.map_or(city.tz, |c| c.tz);
        let day = (now + Duration::days(dice.range(-182, 182))).with_timezone(&tz);
        let date = day.date_naive();
        let (start_local, end_local) = match kind {
            EventKind::CircleMeeting => {
                let t = time(19, 0)?;
                (date.and_time(t), date.and_time(time(21, 0)?))
            }
            EventKind::MovieNight => {
                let (h, m) = *dice.pick(&[(19, 0), (19, 30), (20, 0)]);
                (date.and_time(time(h, m)?), date.and_time(time(h + 3, m)?))
            }
            EventKind::Workshop => {
                let (h, len) = *dice.pick(&[(10, 3), (14, 3), (10, 6), (18, 3)]);
                (date.and_time(time(h, 0)?), date.and_time(time(h + len, 0)?))
            }
            EventKind::DayRetreat => (date.and_time(time(9, 0)?), date.and_time(time(17, 30)?)),
            EventKind::MultiDayRetreat => {
                let nights = dice.range(1, 3) as u64;
                (
                    date.and_time(time(17, 0)?),
                    (date + Days::new(nights)).and_time(time(14, 0)?),
                )
            }
        };
        let starts_at = instant(tz, start_local);
        let ends_at = instant(tz, end_local).max(starts_at + Duration::hours(1));
        let created_at = (starts_at - Duration::days(dice.range(20, 90))).min(now);
        let past = starts_at <= now;
        let status = if past {
            match dice.range(0, 99) {
                0..=79 => EventStatus::Completed,
                80..=91 => EventStatus::Published,
                _ => EventStatus::Cancelled,
            }
        } else {
            match dice.range(0, 99) {
                0..=84 => EventStatus::Published,
                85..=92 => EventStatus::Draft,
                _ => EventStatus::Cancelled,
            }
        };
        // Audience: a circle's own meeting, some programme events only for chosen circles.
        let mut audience: Vec<usize> = Vec::new();
        if let Some(c) = circle {
            audience.push(infos.iter().position(|x| x.id == c.id).unwrap_or(0));
        } else if dice.chance(0.1) {
            for _ in 0..dice.range(1, 3) {
                let c = dice.range(0, infos.len() as i64 - 1) as usize;
                if !audience.contains(&c) {
                    audience.push(c);
                }
            }
        }
        let mut capacity = match kind {
            EventKind::CircleMeeting => circle.map_or(10, |c| c.capacity + 2),
            EventKind::MovieNight => dice.range(20, 80) as i32,
            EventKind::Workshop => dice.range(12, 40) as i32,
            EventKind::DayRetreat => dice.range(15, 60) as i32,
            EventKind::MultiDayRetreat => dice.range(10, 30) as i32,
        };
        // About half the in-person programme events are at a venue of their city that is
        // free then (venues cannot be double-booked by drafts or published events).
        let mut venue_id = None;
        if circle.is_none() && !online && dice.chance(0.5) {
            let candidates: Vec<usize> = (0..n_venues)
                .filter(|v| venue_city[*v] == city_ix)
                .collect();
            if !candidates.is_empty() {
                let v = *dice.pick(&candidates);
                let holds = matches!(status, EventStatus::Draft | EventStatus::Published);
                let clash = holds
                    && booked[v]
                        .iter()
                        .any(|(s, e)| domain::event::overlaps(starts_at, ends_at, *s, *e));
                if !clash {
                    if holds {
                        booked[v].push((starts_at, ends_at));
                    }
                    capacity = capacity.min(p.venues[v].capacity);
                    venue_id = Some(p.venues[v].id);
                }
            }
        }
        let paid_share = match kind {
            EventKind::CircleMeeting => 0.0,
            EventKind::MovieNight => 0.2,
            EventKind::Workshop => 0.5,
            EventKind::DayRetreat => 0.7,
            EventKind::MultiDayRetreat => 0.95,
        };
        let price_minor = if dice.chance(paid_share) {
            let (lo, hi) = match kind {
                EventKind::MovieNight => (1, 3),
                EventKind::Workshop => (5, 18),
                EventKind::DayRetreat => (9, 30),
                _ => (38, 130),
            };
            dice.range(lo, hi) * 500
        } else {
            0
        };
        let paid = price_minor > 0;
        let opens_at = dice
            .chance(0.3)
            .then(|| (starts_at - Duration::days(dice.range(30, 60))).max(created_at))
            .filter(|o| *o < starts_at);
        let closes_at = (matches!(kind, EventKind::DayRetreat | EventKind::MultiDayRetreat)
            && dice.chance(0.5))
        .then(|| starts_at - Duration::days(1))
        .filter(|c| opens_at.is_none_or(|o| *c > o));
        let organiser = circle.map_or_else(|| *dice.pick(&organisers), |c| c.facilitator);
        let id = dice.id(created_at);
        let cancelled_at = (status == EventStatus::Cancelled)
            .then(|| dice.between(created_at, starts_at.min(now)));
        let title = match kind {
            EventKind::CircleMeeting => format!(
                "Open evening of {}",
                p.circles
                    .iter()
                    .find(|c| Some(c.id) == circle.map(|x| x.id))
                    .map_or("the circle", |c| c.name.as_str())
            ),
            EventKind::MovieNight => format!("Movie night: {}", dice.pick(&FILMS)),
            EventKind::Workshop => format!("Workshop: {}", dice.pick(&TOPICS)),
            EventKind::DayRetreat => format!("Day retreat in {}", city.name),
            EventKind::MultiDayRetreat => format!("Weekend retreat near {}", city.name),
        };
        let waitlist_enabled = dice.chance(0.85);

        // Registrations: arrivals in order; the first `capacity` who did not cancel hold
        // seats, the rest wait (or were never let in without a waitlist).
        let mut regs: Vec<event_registrations::Model> = Vec::new();
        let mut seats = 0;
        let mut arrivals = 0i64;
        if status != EventStatus::Draft {
            let eligible: Vec<Uuid> = if audience.is_empty() {
                ids.iter().copied().filter(|u| *u != organiser).collect()
            } else {
                let mut v: Vec<Uuid> = audience
                    .iter()
                    .flat_map(|c| infos[*c].members.iter().map(|m| m.0))
                    .collect();
                v.sort();
                v.dedup();
                v
            };
            let cap = capacity as usize;
            let want = if audience.is_empty() {
                if dice.chance(0.35) {
                    cap + dice.range(0, (cap / 3) as i64) as usize
                } else {
                    (cap as f64 * dice.0.gen_range(0.2..0.95)) as usize
                }
            } else {
                (eligible.len() as f64 * dice.0.gen_range(0.4..1.0)).ceil() as usize
            };
            let window_start = opens_at.unwrap_or(created_at);
            let window_end = closes_at.unwrap_or(starts_at).min(now) - Duration::minutes(1);
            // Registrations fall inside the window, so an event opening later has none yet.
            let want = if window_start < window_end {
                want.min(eligible.len())
            } else {
                0
            };
            let chosen = rand::seq::index::sample(&mut dice.0, eligible.len(), want);
            let mut times: Vec<DateTime<Utc>> = (0..want)
                .map(|_| dice.between(window_start, window_end))
                .collect();
            times.sort();
            for (k, ix) in chosen.into_iter().enumerate() {
                let at = times[k];
                let cancelled = dice.chance(0.07);
                let status = if cancelled {
                    RegistrationStatus::Cancelled
                } else if seats < cap {
                    seats += 1;
                    RegistrationStatus::seated(paid && !past && dice.chance(0.25))
                } else if waitlist_enabled {
                    RegistrationStatus::Waitlisted
                } else {
                    continue;
                };
                arrivals += 1;
                let holds = status.holds_seat();
                let cancelled_at = cancelled.then(|| dice.between(at, window_end.max(at)));
                let checked_in =
                    status == RegistrationStatus::Confirmed && past && dice.chance(0.85);
                regs.push(event_registrations::Model {
                    id: dice.id(at),
                    event_id: id,
                    user_id: eligible[ix],
                    status,
                    position: arrivals,
                    note: None,
                    offer_expires_at: None,
                    checked_in_at: checked_in.then_some(starts_at),
                    checked_in_by: checked_in.then_some(organiser),
                    registered_at: at,
                    confirmed_at: holds.then_some(at),
                    cancelled_at,
                    updated_at: cancelled_at.unwrap_or(at),
                });
            }
        }
        p.events.push(events::Model {
            id,
            kind,
            title,
            description: format!(
                "A {} for men of every age and background{}. Bring curiosity; leave advice at home.",
                kind.label(),
                if online { ", online" } else { "" }
            ),
            status,
            starts_at,
            ends_at,
            time_zone: tz.name().to_owned(),
            venue_id,
            location: (venue_id.is_none() && !online).then(|| match circle {
                Some(c) => p
                    .circles
                    .iter()
                    .find(|x| x.id == c.id)
                    .and_then(|x| x.location.clone())
                    .unwrap_or_else(|| city.name.to_owned()),
                None => format!("{}, {}", dice.pick(&city.districts), city.name),
            }),
            online_url: online.then(|| format!("https://meet.example.org/event-{}", i + 1)),
            capacity,
            price_minor,
            currency: paid.then(|| city.currency.to_owned()),
            waitlist_enabled,
            offer_hours: (paid && dice.chance(0.4)).then_some(24),
            registration_opens_at: opens_at,
            registration_closes_at: closes_at,
            cancellation_policy: paid
                .then(|| "Full refund up to 7 days before the event; none after.".to_owned()),
            circle_id: circle.map(|c| c.id),
            open_to_all: audience.is_empty(),
            organiser_id: organiser,
            confirmed_count: seats as i32,
            last_position: arrivals,
            sequence: i32::from(status == EventStatus::Cancelled),
            created_at,
            updated_at: cancelled_at.unwrap_or(created_at),
            cancelled_at,
        });
        for c in &audience {
            p.event_circles.push(event_circles::Model {
                event_id: id,
                circle_id: infos[*c].id,
                accepted_at: Some(created_at),
                accepted_by: Some(organiser),
            });
        }
        p.registrations.extend(regs);
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;
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
