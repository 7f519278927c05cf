//! One circle as the viewer may see it, its members, and browsing circles.

use super::input::WEEKDAYS;
use super::{without_profiles, CircleFilter, CircleView, Person};
use crate::accounts::SharedProfile;
use crate::authz::circle::{InCircle, Standing};
use crate::authz::{can, Actor, Granted};
use crate::circles::listing::CircleOrder;
use crate::circles::{escape_like, find_circle, standing};
use crate::page::{Page, PageRequest};
use crate::{Context, Error, Result};
use db::main_db::{circle_memberships as memberships, circles, users};
use db::sea_orm::sea_query::{Expr, Func, LikeExpr};
use db::sea_orm::{
    ColumnTrait, Condition, EntityTrait, JoinType, QueryFilter, QueryOrder, QuerySelect,
};
use domain::circle::{CircleRole, CircleStatus, MembershipStatus, Visibility};
use std::collections::HashMap;
use uuid::Uuid;

/// People with an active membership in the circles, by circle, leaders first.
async fn people_of(
    ctx: &Context,
    circle_ids: &[Uuid],
    leaders_only: bool,
) -> Result<HashMap<Uuid, Vec<Person>>> {
    let mut q = memberships::Entity::find()
        .filter(memberships::Column::CircleId.is_in(circle_ids.iter().copied()))
        .filter(memberships::Column::Status.eq(MembershipStatus::Active))
        .order_by_asc(memberships::Column::JoinedAt)
        .order_by_asc(memberships::Column::Id);
    if leaders_only {
        q = q.filter(memberships::Column::Role.ne(CircleRole::Member));
    }
    // The people with their memberships, in the same statement.
    let rows = q
        .join(
            JoinType::LeftJoin,
            memberships::Entity::belongs_to(users::Entity)
                .from(memberships::Column::UserId)
                .to(users::Column::Id)
                .into(),
        )
        .select_also(users::Entity)
        .all(&ctx.main)
        .await?;
    let mut out: HashMap<Uuid, Vec<Person>> = HashMap::new();
    for (m, user) in rows {
        let user = user.as_ref();
        out.entry(m.circle_id).or_default().push(Person {
            user_id: m.user_id,
            display_name: user.map(|u| u.display_name.clone()).unwrap_or_default(),
            role: m.role,
            joined_at: m.joined_at,
            profile: user.map(SharedProfile::of),
        });
    }
    for people in out.values_mut() {
        people.sort_by_key(|p| match p.role {
            CircleRole::Facilitator => 0,
            CircleRole::CoFacilitator => 1,
            CircleRole::Member => 2,
        });
    }
    Ok(out)
}

fn view(c: circles::Model, people: Vec<Person>, standing: Standing, me: Uuid) -> CircleView {
    let sees = standing.reads_private();
    let people = if standing.leads() {
        people
    } else {
        without_profiles(people)
    };
    let facilitators = people.iter().filter(|p| p.role.leads()).cloned().collect();
    let accepting = c.status.accepts_members();
    CircleView {
        id: c.id,
        open_seats: if accepting {
            (c.capacity - c.active_members).max(0)
        } else {
            0
        },
        has_online_meetings: c.online_url.is_some(),
        online_url: if sees { c.online_url } else { None },
        members: sees.then_some(people.clone()),
        viewer_leads: standing.leads(),
        viewer_stepped_in: standing == Standing::SteppedIn,
        needs_facilitator: c.needs_facilitator_since.is_some(),
        viewer_is_member: people.iter().any(|p| p.user_id == me),
        name: c.name,
        description: c.description,
        capacity: c.capacity,
        active_members: c.active_members,
        visibility: c.visibility,
        status: c.status,
        frequency: c.frequency,
        weekday: c.weekday,
        meeting_time: c.meeting_time,
        duration_minutes: c.duration_minutes,
        time_zone: c.time_zone,
        anchor_date: c.anchor_date,
        city: c.city,
        location: c.location,
        facilitators,
    }
}

/// One circle as the actor may see it. Archived circles are shown to their members only.
#[tracing::instrument(skip_all, fields(actor_id = %actor.id(), circle_id = %circle_id), err(level = "info"))]
pub async fn get(ctx: &Context, actor: &Actor, circle_id: Uuid) -> Result<CircleView> {
    let c = find_circle(&ctx.main, circle_id).await?;
    let s = standing(ctx, actor, circle_id).await?;
    if c.status == CircleStatus::Archived && s == Standing::Outsider {
        return Err(Error::NotFound("circle"));
    }
    let people = people_of(ctx, &[c.id], false)
        .await?
        .remove(&c.id)
        .unwrap_or_default();
    Ok(view(c, people, s, actor.id()))
}

/// The circle's members and leaders: for those inside it only.
#[tracing::instrument(skip_all, fields(actor_id = %inside.actor_id(), circle_id = %inside.circle_id()), err(level = "info"))]
pub async fn members(ctx: &Context, inside: &InCircle) -> Result<Vec<Person>> {
    let people = people_of(ctx, &[inside.circle_id()], false)
        .await?
        .remove(&inside.circle_id())
        .unwrap_or_default();
    Ok(if inside.standing().leads() {
        people
    } else {
        without_profiles(people)
    })
}

/// Circles to browse, oldest first, with search and filters; never archived ones.
#[tracing::instrument(skip_all, fields(actor_id = %g.actor_id()), err(level = "info"))]
pub async fn browse(
    ctx: &Context,
    g: Granted<can::Participate>,
    filter: &CircleFilter,
    page: &PageRequest,
) -> Result<Page<CircleView>> {
    let limit = page.limit()?;
    let order = filter.sort.unwrap_or_default();
    let mut q = circles::Entity::find()
        .filter(crate::circles::listing::listable_to(ctx, g.actor_id()).await?);
    let mut skip = 0;
    match order {
        CircleOrder::Oldest => q = q.order_by_asc(circles::Column::Id),
        CircleOrder::NextMeeting => {
            skip = crate::circles::listing::offset_of(page.cursor.as_deref())?;
            q = crate::circles::listing::by_next_meeting(q, ctx.now());
        }
    }
    if order == CircleOrder::Oldest {
        if let Some(id) = page.cursor_as::<Uuid>()? {
            q = q.filter(circles::Column::Id.gt(id));
        }
    }
    q = match filter.status {
        None => q.filter(circles::Column::Status.is_in(CircleStatus::accepting())),
        Some(CircleStatus::Archived) => {
            return Err(Error::invalid("status", "Archived circles are not listed."))
        }
        Some(s) => q.filter(circles::Column::Status.eq(s)),
    };
    if let Some(text) = filter.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        if text.chars().count() > 100 {
            return Err(Error::invalid("q", "Search for at most 100 characters."));
        }
        let pattern = format!("%{}%", escape_like(&text.to_lowercase()));
        let lower = |c: circles::Column| Expr::expr(Func::lower(Expr::col((circles::Entity, c))));
        q = q.filter(
            Condition::any()
                .add(lower(circles::Column::Name).like(LikeExpr::new(pattern.clone()).escape('\\')))
                .add(lower(circles::Column::Description).like(LikeExpr::new(pattern).escape('\\'))),
        );
    }
    if let Some(city) = filter
        .city
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        q = q.filter(
            Expr::expr(Func::lower(Expr::col((
                circles::Entity,
                circles::Column::City,
            ))))
            .eq(city.to_lowercase()),
        );
    }
    match filter.online {
        Some(true) => q = q.filter(circles::Column::OnlineUrl.is_not_null()),
        Some(false) => q = q.filter(circles::Column::OnlineUrl.is_null()),
        None => {}
    }
    if let Some(day) = filter.weekday.as_deref() {
        if !WEEKDAYS.contains(&day) {
            return Err(Error::invalid("weekday", "Choose a weekday: mon … sun."));
        }
        q = q.filter(circles::Column::Weekday.eq(day));
    }
    let seats_free =
        Expr::col(circles::Column::ActiveMembers).lt(Expr::col(circles::Column::Capacity));
    match filter.has_open_seats {
        Some(true) => {
            q = q
                .filter(seats_free.clone())
                .filter(circles::Column::Status.is_in(CircleStatus::accepting()))
        }
        Some(false) => q = q.filter(seats_free.clone().not()),
        None => {}
    }
    // Asking for full circles (`has_open_seats=false`) is asking to see them.
    let hide = !filter.include_full_and_invitation_only.unwrap_or(false);
    if hide {
        q = q.filter(circles::Column::Visibility.eq(Visibility::Open));
        if filter.has_open_seats != Some(false) {
            q = q.filter(seats_free);
        }
    }
    let rows = q.offset(skip).limit(limit + 1).all(&ctx.main).await?;
    let page = match order {
        CircleOrder::Oldest => Page::from_rows(rows, limit, |c| c.id.to_string()),
        CircleOrder::NextMeeting => {
            let next = format!("at:{}", skip + limit);
            Page::from_rows(rows, limit, |_| next.clone())
        }
    };
    let ids: Vec<Uuid> = page.items.iter().map(|c| c.id).collect();
    let mut leaders = people_of(ctx, &ids, true).await?;
    Ok(page.map(|c| {
        let people = leaders.remove(&c.id).unwrap_or_default();
        // A listing never carries member names or online links, whoever asks.
        view(c, people, Standing::Outsider, Uuid::nil())
    }))
}
