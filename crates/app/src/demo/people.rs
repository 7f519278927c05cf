//! The accounts: the known ones, the facilitators (certified) and the members, created
//! over the last two years.

use super::dice::Dice;
use super::names::{ADMIN, CITIES, FIRST, KNOWN, LAST, MEMBER, PTM};
use super::{member_email, Plan, SeedOptions, DEMO_DOMAIN};
use chrono::{DateTime, Duration, Utc};
use db::main_db::{facilitator_certifications, user_roles, users};
use domain::{Role, UserStatus};
use rand::seq::SliceRandom;
use uuid::Uuid;

/// The generated people the circles and events are made of.
pub(super) struct People {
    /// Every account, in creation order; the known accounts first.
    pub ids: Vec<Uuid>,
    /// The certified facilitators, the known one first.
    pub facilitators: Vec<Uuid>,
    /// Who joins circles next.
    pub pool: Pool,
}

/// The members in the order they are handed to circles, round and round.
pub(super) struct Pool {
    ids: Vec<Uuid>,
    cursor: usize,
}

impl Pool {
    pub fn next_member(&mut self) -> Uuid {
        let id = self.ids[self.cursor % self.ids.len()];
        self.cursor += 1;
        id
    }
}

/// Generates the accounts, their roles and the facilitators' certifications.
pub(super) fn people(
    dice: &mut Dice,
    p: &mut Plan,
    opts: &SeedOptions,
    now: DateTime<Utc>,
    two_years_ago: DateTime<Utc>,
) -> People {
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
    People {
        ids,
        facilitators,
        pool: Pool {
            ids: pool,
            cursor: 0,
        },
    }
}
