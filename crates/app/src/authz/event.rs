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

/// Whether `actor` organises `e` now.
pub(crate) async fn organises(ctx: &Context, actor: &Actor, e: &events::Model) -> Result<bool> {
    let led = circles_led_by(&ctx.main, actor.id(), None, ctx.now()).await?;
    let audience = if e.circle_id.is_none() && !e.open_to_all {
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
