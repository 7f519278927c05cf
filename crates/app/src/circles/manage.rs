//! Creating, editing, viewing and browsing circles.

use super::errors::CircleError;
use super::listing::CircleOrder;
use super::membership::insert_active;
use super::{escape_like, find_circle, lock_circle, refuse_if_archived, standing};
use crate::accounts::SharedProfile;
use crate::audit::{self, Action, Entry};
use crate::authz::circle::{InCircle, Leading, Standing};
use crate::authz::{can, Actor, Granted};
use crate::page::{Page, PageRequest};
use crate::{certification, Checks, Context, Error, RequestMeta, Result};
use chrono::{DateTime, NaiveDate, Utc};
use db::main_db::{circle_memberships as memberships, circles, users};
use db::sea_orm::sea_query::{Expr, Func, LikeExpr};
use db::sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Set,
};
use domain::cadence::{weekday_as_str, Cadence, Frequency};
use domain::circle::{
    CircleCapacity, CircleDescription, CircleName, CircleRole, CircleStatus, MembershipStatus,
    Visibility,
};
use domain::{City, DomainError, MultiLine, Permission, SingleLine};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use uuid::Uuid;

/// A circle as its creator describes it.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
pub struct CircleInput {
    #[schema(min_length = 3, max_length = 80)]
    pub name: String,
    #[serde(default)]
    pub description: MultiLine<2000>,
    /// Member seats (facilitators not counted).
    #[schema(minimum = 2, maximum = 10)]
    pub capacity: i64,
    #[schema(value_type = crate::api_schema::Visibility)]
    pub visibility: Visibility,
    /// `weekly`, `every_two_weeks` or `monthly`.
    pub frequency: String,
    /// `mon` … `sun`.
    pub weekday: String,
    /// Local start time, `HH:MM` (24-hour clock).
    pub meeting_time: String,
    #[schema(minimum = 30, maximum = 480)]
    pub duration_minutes: i64,
    /// IANA time zone, e.g. `Europe/Berlin`.
    pub time_zone: String,
    /// The first meeting, `YYYY-MM-DD`, on `weekday`.
    pub anchor_date: String,
    pub city: Option<SingleLine<100>>,
    /// Where the circle meets in person (visible to everyone).
    pub location: Option<SingleLine<500>>,
    /// An `https://` link for online meetings (shown to members only).
    pub online_url: Option<SingleLine<500>>,
}

/// A change to a circle: only the fields given change. For `city`, `location` and
/// `online_url`, an empty string clears the value.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct CirclePatch {
    #[schema(min_length = 3, max_length = 80)]
    pub name: Option<String>,
    pub description: Option<MultiLine<2000>>,
    pub capacity: Option<i64>,
    #[schema(value_type = Option<crate::api_schema::Visibility>)]
    pub visibility: Option<Visibility>,
    pub frequency: Option<String>,
    pub weekday: Option<String>,
    pub meeting_time: Option<String>,
    pub duration_minutes: Option<i64>,
    pub time_zone: Option<String>,
    pub anchor_date: Option<String>,
    pub city: Option<SingleLine<100>>,
    pub location: Option<SingleLine<500>>,
    pub online_url: Option<SingleLine<500>>,
    /// `forming`, `active` or `closed` (archiving is a separate step).
    #[schema(value_type = Option<crate::api_schema::CircleStatus>)]
    pub status: Option<CircleStatus>,
}

/// Someone named on a circle's page.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Person {
    pub user_id: Uuid,
    pub display_name: String,
    #[schema(value_type = crate::api_schema::CircleRole)]
    pub role: CircleRole,
    pub joined_at: Option<DateTime<Utc>>,
    /// Phone, city, bio and photo: for the circle's leaders only (the profile promises
    /// them to "the facilitators of your circles"), absent for everyone else.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<SharedProfile>,
}

/// The people as a reader who does not lead the circle sees them: without profiles.
fn without_profiles(mut people: Vec<Person>) -> Vec<Person> {
    for p in &mut people {
        p.profile = None;
    }
    people
}

/// A circle as the viewer may see it: never member names for outsiders, and the online
/// link only for members and leaders.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CircleView {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub capacity: i32,
    pub active_members: i32,
    pub open_seats: i32,
    #[schema(value_type = crate::api_schema::Visibility)]
    pub visibility: Visibility,
    #[schema(value_type = crate::api_schema::CircleStatus)]
    pub status: CircleStatus,
    #[schema(value_type = String)]
    pub frequency: Frequency,
    pub weekday: String,
    pub meeting_time: String,
    pub duration_minutes: i32,
    pub time_zone: String,
    pub anchor_date: NaiveDate,
    pub city: Option<String>,
    pub location: Option<String>,
    /// Members and leaders only.
    pub online_url: Option<String>,
    pub has_online_meetings: bool,
    /// Facilitator and co-facilitators.
    pub facilitators: Vec<Person>,
    /// Members and leaders only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub members: Option<Vec<Person>>,
    /// Whether the viewer leads this circle (or has stepped in to it).
    pub viewer_leads: bool,
    /// Whether the viewer is an Admin stepped in for safeguarding.
    pub viewer_stepped_in: bool,
    /// No leader holds a current certification: the Program Team has been told.
    pub needs_facilitator: bool,
    /// Whether the viewer is an active member (of any role).
    pub viewer_is_member: bool,
}

impl CircleView {
    /// Whether someone outside may ask to join now: the circle is open to requests and
    /// forming or active (what `membership::request_join` asks of the circle).
    pub fn open_to_requests(&self) -> bool {
        self.visibility == Visibility::Open && self.status.accepts_members()
    }
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CircleFilter {
    /// Words in the name or description.
    #[param(inline)]
    pub q: Option<SingleLine<100>>,
    #[param(inline)]
    pub city: Option<SingleLine<100>>,
    /// Only circles that meet online (true) or only in person (false).
    pub online: Option<bool>,
    /// `mon` … `sun`.
    #[param(inline)]
    pub weekday: Option<SingleLine<16>>,
    /// Only circles taking members that have a free seat.
    pub has_open_seats: Option<bool>,
    /// `forming`, `active` or `closed`; by default forming and active circles.
    #[param(value_type = Option<crate::api_schema::CircleStatus>)]
    pub status: Option<CircleStatus>,
    /// Also list full circles and invitation-only ones (those the viewer may see: he is
    /// invited or in them). Left out, the list holds only circles one can ask to join.
    pub include_full_and_invitation_only: Option<bool>,
    /// `oldest` (default) or `next_meeting`: soonest meeting first.
    #[param(value_type = Option<super::listing::CircleOrder>)]
    pub sort: Option<super::listing::CircleOrder>,
}

struct Valid {
    name: String,
    description: String,
    capacity: i32,
    visibility: Visibility,
    frequency: Frequency,
    weekday: String,
    meeting_time: String,
    duration_minutes: i32,
    time_zone: String,
    anchor_date: NaiveDate,
    city: Option<String>,
    location: Option<String>,
    online_url: Option<String>,
}

const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// The cadence fields, checked by the domain (`Cadence::parse`), each problem under its
/// own field name; the normalised cadence when all are valid.
fn check_cadence(input: &CircleInput, checks: &mut Checks) -> Option<Cadence> {
    match Cadence::parse(
        &input.frequency,
        &input.weekday,
        &input.meeting_time,
        &input.time_zone,
        &input.anchor_date,
    ) {
        Ok(c) => Some(c),
        Err(errors) => {
            for e in errors {
                checks.check::<()>(Err(e));
            }
            None
        }
    }
}

/// Every problem with `input` at once, touching nothing: a form that could not read some
/// of its fields still shows what is wrong with the others.
pub fn check(input: &CircleInput) -> Result<()> {
    validate(input).map(|_| ())
}

fn validate(input: &CircleInput) -> Result<Valid> {
    let mut c = Checks::default();
    let name = c.check(CircleName::parse(&input.name));
    let description = c.check(CircleDescription::parse(&input.description));
    let capacity = c.check(CircleCapacity::try_from(input.capacity));
    let cadence = check_cadence(input, &mut c);
    if !(30..=480).contains(&input.duration_minutes) {
        c.check::<()>(Err(DomainError::new(
            "duration_minutes",
            "A meeting lasts between 30 and 480 minutes.",
        )));
    }
    let blank = |s: Option<&str>| {
        s.map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let city =
        blank(input.city.as_deref()).and_then(|s| c.check(City::parse(&s)).map(City::into_inner));
    let location = blank(input.location.as_deref());
    if location.as_ref().is_some_and(|l| l.chars().count() > 500) {
        c.check::<()>(Err(DomainError::new(
            "location",
            "Keep the location to 500 characters.",
        )));
    }
    let online_url = blank(input.online_url.as_deref());
    if let Some(u) = &online_url {
        let ok = u.len() <= 500
            && url::Url::parse(u).is_ok_and(|p| p.scheme() == "https" && p.host_str().is_some());
        if !ok {
            c.check::<()>(Err(DomainError::new(
                "online_url",
                "Give a full https:// link of up to 500 characters, for example https://meet.example.org/circle.",
            )));
        }
    }
    c.finish()?;
    let (Some(name), Some(description), Some(capacity), Some(cadence)) =
        (name, description, capacity, cadence)
    else {
        return Err(Error::invalid("name", "Some input is invalid."));
    };
    Ok(Valid {
        name: name.as_str().to_owned(),
        description: description.as_str().to_owned(),
        capacity: capacity.get() as i32,
        visibility: input.visibility,
        frequency: cadence.frequency,
        weekday: weekday_as_str(cadence.weekday).to_owned(),
        meeting_time: cadence.meeting_time_str(),
        duration_minutes: input.duration_minutes as i32,
        time_zone: cadence.time_zone.name().to_owned(),
        anchor_date: cadence.anchor,
        city,
        location,
        online_url,
    })
}

/// Creates a circle; its creator becomes its facilitator (not counted against capacity).
/// Everyone, Admins included, needs a current certification: leading a circle is never a
/// global role's privilege.
#[tracing::instrument(skip_all, fields(actor_id = %actor.id()), err(level = "info"))]
pub async fn create(
    ctx: &Context,
    meta: &RequestMeta,
    actor: &Actor,
    g: Granted<can::CreateCircles>,
    input: &CircleInput,
) -> Result<CircleView> {
    let v = validate(input)?;
    let now = ctx.now();
    let id = Uuid::now_v7();
    let txn = db::begin_write(&ctx.main).await?;
    if !certification::is_current_locked(&txn, g.actor_id(), now).await? {
        return Err(CircleError::CertificationRequired.into());
    }
    circles::ActiveModel {
        id: Set(id),
        name: Set(v.name),
        description: Set(v.description),
        capacity: Set(v.capacity),
        visibility: Set(v.visibility),
        status: Set(CircleStatus::Forming),
        frequency: Set(v.frequency),
        weekday: Set(v.weekday),
        meeting_time: Set(v.meeting_time),
        duration_minutes: Set(v.duration_minutes),
        time_zone: Set(v.time_zone),
        anchor_date: Set(v.anchor_date),
        city: Set(v.city),
        location: Set(v.location),
        online_url: Set(v.online_url),
        active_members: Set(0),
        created_by: Set(Some(g.actor_id())),
        created_at: Set(now),
        updated_at: Set(now),
        archived_at: Set(None),
        needs_facilitator_since: Set(None),
    }
    .insert(&txn)
    .await?;
    insert_active(
        &txn,
        id,
        g.actor_id(),
        CircleRole::Facilitator,
        Some(g.actor_id()),
        now,
    )
    .await?;
    audit::record(
        &txn,
        meta,
        Entry::new(Action::CircleCreated)
            .by(g.actor_id())
            .on("circle", id),
    )
    .await?;
    txn.commit().await?;
    get(ctx, actor, id).await
}

/// Whether the actor may create circles: the permission and a current certification
/// (what [`create`] checks).
#[tracing::instrument(skip_all, fields(actor_id = %actor.id()), err(level = "info"))]
pub async fn may_create(ctx: &Context, actor: &Actor) -> Result<bool> {
    if !actor.can(Permission::CreateCircles) {
        return Ok(false);
    }
    certification::is_current(&ctx.main, actor.id(), ctx.now()).await
}

fn input_of(c: &circles::Model) -> CircleInput {
    CircleInput {
        name: c.name.clone(),
        description: MultiLine::from_stored(&c.description),
        capacity: c.capacity as i64,
        visibility: c.visibility,
        frequency: c.frequency.as_str().to_owned(),
        weekday: c.weekday.clone(),
        meeting_time: c.meeting_time.clone(),
        duration_minutes: c.duration_minutes as i64,
        time_zone: c.time_zone.clone(),
        anchor_date: c.anchor_date.format("%Y-%m-%d").to_string(),
        city: c.city.as_deref().map(SingleLine::from_stored),
        location: c.location.as_deref().map(SingleLine::from_stored),
        online_url: c.online_url.as_deref().map(SingleLine::from_stored),
    }
}

/// Edits a circle (leaders). Capacity cannot drop below the active members; status moves
/// only as `CircleStatus::can_become` allows; archived circles refuse every change.
#[tracing::instrument(skip_all, fields(actor_id = %actor.id(), circle_id = %lead.circle_id()), err(level = "info"))]
pub async fn update(
    ctx: &Context,
    meta: &RequestMeta,
    actor: &Actor,
    lead: &Leading,
    patch: &CirclePatch,
) -> Result<CircleView> {
    let txn = db::begin_write(&ctx.main).await?;
    // Locked, so an approval cannot slip a member in between the capacity check and the write.
    let current = lock_circle(&txn, lead.circle_id()).await?;
    refuse_if_archived(&current)?;
    let mut input = input_of(&current);
    macro_rules! apply {
        ($($f:ident),+) => {$( if let Some(v) = &patch.$f { input.$f = v.clone(); } )+};
    }
    apply!(
        name,
        description,
        frequency,
        weekday,
        meeting_time,
        time_zone,
        anchor_date
    );
    if let Some(v) = patch.capacity {
        input.capacity = v;
    }
    if let Some(v) = patch.visibility {
        input.visibility = v;
    }
    if let Some(v) = patch.duration_minutes {
        input.duration_minutes = v;
    }
    macro_rules! apply_optional {
        ($($f:ident),+) => {$( if let Some(v) = &patch.$f { input.$f = Some(v.clone()); } )+};
    }
    apply_optional!(city, location, online_url);
    let v = validate(&input)?;
    if v.capacity < current.active_members {
        return Err(CircleError::CapacityBelowMembers.with(format!(
            "The circle has {} active members; capacity cannot be lower.",
            current.active_members
        )));
    }
    let from = current.status;
    let to = patch.status.unwrap_or(from);
    if to == CircleStatus::Archived {
        return Err(CircleError::ArchiveSeparately.into());
    }
    if !from.can_become(to) {
        return Err(CircleError::StatusChange.with(format!(
            "A {} circle cannot become {}.",
            from.as_str(),
            to.as_str()
        )));
    }
    circles::ActiveModel {
        id: Set(current.id),
        name: Set(v.name),
        description: Set(v.description),
        capacity: Set(v.capacity),
        visibility: Set(v.visibility),
        status: Set(to),
        frequency: Set(v.frequency),
        weekday: Set(v.weekday),
        meeting_time: Set(v.meeting_time),
        duration_minutes: Set(v.duration_minutes),
        time_zone: Set(v.time_zone),
        anchor_date: Set(v.anchor_date),
        city: Set(v.city),
        location: Set(v.location),
        online_url: Set(v.online_url),
        updated_at: Set(ctx.now()),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    let mut changed: Vec<&str> = Vec::new();
    macro_rules! seen {
        ($($f:ident),+) => {$( if patch.$f.is_some() { changed.push(stringify!($f)); } )+};
    }
    seen!(
        name,
        description,
        capacity,
        visibility,
        frequency,
        weekday,
        meeting_time
    );
    seen!(
        duration_minutes,
        time_zone,
        anchor_date,
        city,
        location,
        online_url,
        status
    );
    audit::record(
        &txn,
        meta,
        Entry::new(Action::CircleUpdated)
            .by(lead.actor_id())
            .on("circle", current.id)
            .details(serde_json::json!({ "fields": changed, "status": to })),
    )
    .await?;
    txn.commit().await?;
    get(ctx, actor, current.id).await
}

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
    let rows = q.all(&ctx.main).await?;
    let users: HashMap<Uuid, users::Model> = users::Entity::find()
        .filter(users::Column::Id.is_in(rows.iter().map(|m| m.user_id)))
        .all(&ctx.main)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let mut out: HashMap<Uuid, Vec<Person>> = HashMap::new();
    for m in rows {
        let user = users.get(&m.user_id);
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
    let mut q =
        circles::Entity::find().filter(super::listing::listable_to(ctx, g.actor_id()).await?);
    let mut skip = 0;
    match order {
        CircleOrder::Oldest => q = q.order_by_asc(circles::Column::Id),
        CircleOrder::NextMeeting => {
            skip = super::listing::offset_of(page.cursor.as_deref())?;
            q = super::listing::by_next_meeting(q, ctx.now());
        }
    }
    if let (Some(cursor), CircleOrder::Oldest) = (&page.cursor, order) {
        let id: Uuid = cursor.parse().map_err(|_| {
            Error::invalid(
                "cursor",
                "This cursor is not valid; start from the first page.",
            )
        })?;
        q = q.filter(circles::Column::Id.gt(id));
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
