//! Who organises an event, from the state as it is now.
//!
//! - A circle's own event is organised by whoever leads that circle now (a co-facilitator
//!   who is removed, or whose certification lapses, loses the events he created for it).
//! - A programme event open to everyone is organised by the Program Team (and Admins).
//! - A programme event for chosen circles is organised by its creator only, while he still
//!   may: he holds `CreateProgrammeEvents`, or he leads every one of its circles. Nobody
//!   else reads its roster — that would show who is in those circles.

use super::circle::circles_led_by;
use super::Actor;
use crate::events::{circles_of, find_event};
use crate::{Context, Error, Result};
use db::main_db::events;
use domain::Permission;
use uuid::Uuid;

/// Proof that the actor organises this event now: the roster, door list, edits and status
/// changes take it.
#[derive(Debug, Clone)]
pub struct Organising {
    actor_id: Uuid,
    event: events::Model,
}

impl Organising {
    pub fn actor_id(&self) -> Uuid {
        self.actor_id
    }

    /// The event as read when the check was made.
    pub fn event(&self) -> &events::Model {
        &self.event
    }

    pub fn event_id(&self) -> Uuid {
        self.event.id
    }
}

/// What deciding needs to know about one event besides the actor: the circles he leads
/// now, and for a programme event for chosen circles, those circles.
pub(crate) struct Known<'a> {
    pub led: &'a [Uuid],
    pub audience: &'a [Uuid],
}

/// The rule, given what the actor leads and the event's audience.
pub(crate) fn organises_given(actor: &Actor, e: &events::Model, known: Known<'_>) -> bool {
    match e.circle_id {
        Some(circle) => known.led.contains(&circle),
        None if e.open_to_all => actor.can(Permission::CreateProgrammeEvents),
        None => {
            e.organiser_id == actor.id()
                && (actor.can(Permission::CreateProgrammeEvents)
                    || (!known.audience.is_empty()
                        && known.audience.iter().all(|c| known.led.contains(c))))
        }
    }
}

/// Whether [`organises_given`] needs the circles `actor` leads to judge `e`: for a
/// circle's event, or a restricted one he created without the programme permission.
/// Otherwise the answer follows from the event and his permissions, and reading what he
/// leads would be a statement for nothing.
pub(crate) fn needs_led(actor: &Actor, e: &events::Model) -> bool {
    e.circle_id.is_some() || needs_audience(actor, e)
}

/// Whether [`organises_given`] needs the event's circles (its audience) to judge `e`.
pub(crate) fn needs_audience(actor: &Actor, e: &events::Model) -> bool {
    e.circle_id.is_none()
        && !e.open_to_all
        && e.organiser_id == actor.id()
        && !actor.can(Permission::CreateProgrammeEvents)
}

/// Whether `actor` organises `e` now.
pub(crate) async fn organises(ctx: &Context, actor: &Actor, e: &events::Model) -> Result<bool> {
    let led = if needs_led(actor, e) {
        circles_led_by(&ctx.main, actor.id(), None, ctx.now()).await?
    } else {
        Vec::new()
    };
    let audience = if needs_audience(actor, e) {
        circles_of(&ctx.main, e.id, false).await?
    } else {
        Vec::new()
    };
    Ok(organises_given(
        actor,
        e,
        Known {
            led: &led,
            audience: &audience,
        },
    ))
}

/// The proof that `actor` organises the event, or `Forbidden` (`NotFound` when there is
/// no such event or he may not see it).
#[tracing::instrument(skip_all, fields(actor_id = %actor.id(), event_id = %event_id), err(level = "info"))]
pub async fn organise(ctx: &Context, actor: &Actor, event_id: Uuid) -> Result<Organising> {
    let event = find_event(&ctx.main, event_id).await?;
    if organises(ctx, actor, &event).await? {
        return Ok(Organising {
            actor_id: actor.id(),
            event,
        });
    }
    // Seeing the event is not organising it; not seeing it at all is "no such event".
    crate::events::visible_event(ctx, actor, event_id).await?;
    Err(Error::Forbidden)
}

/// Proof that the actor may record payments for this event: he organises it now (the
/// roster and door list are his), or he holds `RecordPayments` (Admins).
#[derive(Debug, Clone)]
pub struct RecordingPayments {
    actor_id: Uuid,
    event: events::Model,
}

impl RecordingPayments {
    pub fn actor_id(&self) -> Uuid {
        self.actor_id
    }

    pub fn event_id(&self) -> Uuid {
        self.event.id
    }
}

/// The proof that `actor` may record payments for the event, or `Forbidden` (`NotFound`
/// when there is no such event or he may not see it).
#[tracing::instrument(skip_all, fields(actor_id = %actor.id(), event_id = %event_id), err(level = "info"))]
pub async fn record_payments(
    ctx: &Context,
    actor: &Actor,
    event_id: Uuid,
) -> Result<RecordingPayments> {
    let event = if actor.can(Permission::RecordPayments) {
        find_event(&ctx.main, event_id).await?
    } else {
        organise(ctx, actor, event_id).await?.event
    };
    Ok(RecordingPayments {
        actor_id: actor.id(),
        event,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use domain::Role;

    fn actor(roles: &[Role]) -> Actor {
        Actor::for_tests(Uuid::now_v7(), roles, Uuid::nil(), Utc::now())
    }

    fn event(organiser: Uuid, circle_id: Option<Uuid>, open_to_all: bool) -> events::Model {
        let now = Utc::now();
        events::Model {
            id: Uuid::now_v7(),
            kind: domain::event::EventKind::Workshop,
            title: "Workshop".into(),
            description: String::new(),
            status: domain::event::EventStatus::Published,
            starts_at: now,
            ends_at: now,
            time_zone: "UTC".into(),
            venue_id: None,
            location: None,
            online_url: None,
            capacity: 10,
            price_minor: 0,
            price_suggested_minor: None,
            price_maximum_minor: None,
            currency: None,
            waitlist_enabled: true,
            offer_hours: None,
            registration_opens_at: None,
            registration_closes_at: None,
            cancellation_policy: None,
            refund_full_days_before: None,
            refund_later_percent: None,
            circle_id,
            open_to_all,
            organiser_id: organiser,
            confirmed_count: 0,
            last_position: 0,
            sequence: 0,
            created_at: now,
            updated_at: now,
            cancelled_at: None,
        }
    }

    fn decides(actor: &Actor, e: &events::Model, led: &[Uuid], audience: &[Uuid]) -> bool {
        organises_given(actor, e, Known { led, audience })
    }

    #[test]
    fn a_circle_event_is_organised_by_whoever_leads_the_circle_now() {
        let circle = Uuid::now_v7();
        let creator = actor(&[Role::Member, Role::Facilitator]);
        let e = event(creator.id(), Some(circle), false);
        assert!(decides(&creator, &e, &[circle], &[]));
        // Removed, or his certification lapsed: he created it, but no longer organises it.
        assert!(!decides(&creator, &e, &[], &[]));
        // No global role organises a circle's event.
        let admin = actor(&Role::ALL);
        assert!(!decides(&admin, &e, &[], &[]));
    }

    #[test]
    fn an_event_for_everyone_is_organised_by_the_programme_team() {
        let ptm = actor(&[Role::Member, Role::ProgramTeamMember]);
        let other_ptm = actor(&[Role::Member, Role::ProgramTeamMember]);
        let e = event(ptm.id(), None, true);
        assert!(decides(&other_ptm, &e, &[], &[]));
        assert!(!decides(
            &actor(&[Role::Member, Role::Leadership]),
            &e,
            &[],
            &[]
        ));
    }

    #[test]
    fn an_event_for_chosen_circles_is_organised_by_its_creator_alone() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let ptm = actor(&[Role::Member, Role::ProgramTeamMember]);
        let e = event(ptm.id(), None, false);
        assert!(decides(&ptm, &e, &[], &[a, b]));
        // Another Program Team Member would read who in those circles registered.
        let other = actor(&[Role::Member, Role::ProgramTeamMember]);
        assert!(!decides(&other, &e, &[], &[a, b]));
        // A facilitator's own event for his circles, while he leads them all.
        let facilitator = actor(&[Role::Member, Role::Facilitator]);
        let mine = event(facilitator.id(), None, false);
        assert!(decides(&facilitator, &mine, &[a, b], &[a, b]));
        assert!(!decides(&facilitator, &mine, &[a], &[a, b]));
    }
}
