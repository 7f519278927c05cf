//! A circle: its details, cadence and a running count of active members.

use domain::cadence::Frequency;
use domain::circle::{CircleStatus, Visibility};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "circles")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    pub description: String,
    /// 2–10 (`domain::circle::CircleCapacity`).
    pub capacity: i32,
    pub visibility: Visibility,
    pub status: CircleStatus,
    pub frequency: Frequency,
    /// `mon` … `sun`.
    pub weekday: String,
    /// Local time of day, `HH:MM`.
    pub meeting_time: String,
    pub duration_minutes: i32,
    /// IANA time zone the cadence is kept in (so meetings survive DST).
    pub time_zone: String,
    /// The first meeting's date; fortnightly and monthly cadences count from it.
    pub anchor_date: Date,
    pub city: Option<String>,
    pub location: Option<String>,
    pub online_url: Option<String>,
    /// Active members (not facilitators); only changed by conditional updates.
    pub active_members: i32,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub archived_at: Option<DateTimeUtc>,
    /// Since when no leader of the circle holds a current certification (members and the
    /// Program Team were told then); cleared when a certified leader leads it again.
    pub needs_facilitator_since: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
