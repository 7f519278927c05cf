//! The vocabularies as SeaORM column types (the `sea-orm` feature, which only `db`
//! enables), and the one column each is stored in.
//!
//! Each value is stored as its `as_str` text, exactly as before these types existed, so no
//! data changes. A stored text that names no value is an error that says where it was
//! found — `unknown value "x" in event_registrations.status` — never a quiet fallback to
//! some other status. These are written out rather than derived (`DeriveValueType`)
//! because the derived error cannot name the column.

use sea_orm::sea_query::{ArrayType, ColumnType, Nullable, StringLen, ValueType, ValueTypeErr};
use sea_orm::{ColIdx, DbErr, QueryResult, TryFromU64, TryGetError, TryGetable, Value};

/// The error for a stored text that names no value of the column's vocabulary.
pub fn unknown_value(column: &str, text: &str) -> DbErr {
    DbErr::Type(format!("unknown value {text:?} in {column}"))
}

/// Implements the SeaORM value traits for a `text_enum!` type stored in `column`.
macro_rules! stored_as_text {
    ($t:ty => $column:literal) => {
        impl From<$t> for Value {
            fn from(v: $t) -> Value {
                v.as_str().into()
            }
        }

        impl TryGetable for $t {
            fn try_get_by<I: ColIdx>(res: &QueryResult, idx: I) -> Result<Self, TryGetError> {
                let text = String::try_get_by(res, idx)?;
                <$t>::parse(&text).ok_or_else(|| TryGetError::DbErr(unknown_value($column, &text)))
            }
        }

        impl ValueType for $t {
            fn try_from(v: Value) -> Result<Self, ValueTypeErr> {
                let text = <String as ValueType>::try_from(v)?;
                <$t>::parse(&text).ok_or(ValueTypeErr)
            }

            fn type_name() -> String {
                stringify!($t).to_owned()
            }

            fn array_type() -> ArrayType {
                ArrayType::String
            }

            fn column_type() -> ColumnType {
                ColumnType::String(StringLen::None)
            }
        }

        impl Nullable for $t {
            fn null() -> Value {
                Value::String(None)
            }
        }

        /// Needed to be part of a primary key; a text is never an auto-increment id.
        impl TryFromU64 for $t {
            fn try_from_u64(_: u64) -> Result<Self, DbErr> {
                Err(DbErr::ConvertFromU64(stringify!($t)))
            }
        }
    };
}

stored_as_text!(crate::account::UserStatus => "users.status");
stored_as_text!(crate::role::Role => "user_roles.role");
stored_as_text!(crate::circle::CircleStatus => "circles.status");
stored_as_text!(crate::circle::Visibility => "circles.visibility");
stored_as_text!(crate::cadence::Frequency => "circles.frequency");
stored_as_text!(crate::circle::CircleRole => "circle_memberships.role");
stored_as_text!(crate::circle::MembershipStatus => "circle_memberships.status");
stored_as_text!(crate::meeting::MeetingStatus => "meetings.status");
stored_as_text!(crate::meeting::AttendanceStatus => "attendance.status");
stored_as_text!(crate::meeting::RsvpAnswer => "meeting_rsvps.answer");
stored_as_text!(crate::event::EventKind => "events.kind");
stored_as_text!(crate::event::EventStatus => "events.status");
stored_as_text!(crate::event::RegistrationStatus => "event_registrations.status");
stored_as_text!(crate::job::JobStatus => "jobs.status");
stored_as_text!(crate::payment::PaymentMethod => "payments.method");
stored_as_text!(crate::payment::PaymentProvider => "payments.provider");
stored_as_text!(crate::payment::PaymentStatus => "payments.status");
stored_as_text!(crate::payment::LedgerKind => "ledger_entries.kind");
stored_as_text!(crate::refund::RefundStatus => "refunds.status");
stored_as_text!(crate::refund::RefundKind => "refunds.kind");
stored_as_text!(crate::scholarship::ScholarshipStatus => "scholarship_requests.status");
stored_as_text!(crate::membership::PlanInterval => "membership_plans.interval");
stored_as_text!(crate::membership::MembershipStatus => "memberships.status");
stored_as_text!(crate::audit::Classification => "audit_log.classification");
stored_as_text!(crate::conversation::ClosedReason => "conversation_epochs.closed_reason");
