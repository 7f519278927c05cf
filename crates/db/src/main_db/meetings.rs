//! One meeting of a circle, generated from its cadence or added by hand.

use domain::meeting::MeetingStatus;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "meetings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub circle_id: Uuid,
    pub starts_at: DateTimeUtc,
    pub duration_minutes: i32,
    pub status: MeetingStatus,
    /// The cadence occurrence it was generated for; none when added by hand.
    pub origin_at: Option<DateTimeUtc>,
    pub location: Option<String>,
    /// A note readable by the circle's members only: IV ‖ AES-GCM output under the key of
    /// epoch `note_epoch`, base64url. Once it exists the plain `note` is gone.
    pub note_sealed: Option<String>,
    pub note_epoch: Option<i32>,
    /// The note as stored before m0009, in plain text: encrypted into `note_at_rest` (and
    /// emptied) when the application starts; nothing writes it any more.
    pub note: Option<String>,
    /// A note waiting to be sealed by a leader's browser (written without the circle's
    /// keys), encrypted with the server's field key version `note_key_version`, bound to
    /// the circle and meeting (see `app::circles::meetings`). Deleted when it is sealed.
    pub note_at_rest: Option<String>,
    pub note_key_version: Option<i32>,
    /// Attendance counts kept when the circle was archived (the per-person rows are
    /// deleted then); `None` while the circle is not archived.
    pub present_count: Option<i32>,
    pub absent_count: Option<i32>,
    pub excused_count: Option<i32>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
