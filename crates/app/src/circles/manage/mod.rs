//! Creating, editing, viewing and browsing circles.

mod editing;
mod input;
mod viewing;

pub use editing::{create, may_create, update};
pub use input::check;
pub use viewing::{browse, get, members};

use crate::accounts::SharedProfile;
use chrono::{DateTime, NaiveDate, Utc};
use domain::cadence::Frequency;
use domain::circle::{CircleRole, CircleStatus, Visibility};
use domain::{MultiLine, SingleLine};
use serde::{Deserialize, Serialize};
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
