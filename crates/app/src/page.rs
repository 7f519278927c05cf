//! Cursor pagination shared by every list endpoint.

use chrono::{DateTime, SecondsFormat, Utc};
use domain::SingleLine;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub const DEFAULT_LIMIT: u64 = 50;
pub const MAX_LIMIT: u64 = 200;

/// `limit` and `cursor` from a query string.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageRequest {
    /// How many items to return (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    #[param(inline)]
    pub cursor: Option<SingleLine<200>>,
}

impl PageRequest {
    pub fn limit(&self) -> crate::Result<u64> {
        match self.limit {
            None => Ok(DEFAULT_LIMIT),
            Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            Some(_) => Err(crate::Error::invalid(
                "limit",
                "Choose a limit between 1 and 200.",
            )),
        }
    }

    /// The cursor read as `T` (an id, a sequence number), if one was given.
    pub fn cursor_as<T: std::str::FromStr>(&self) -> crate::Result<Option<T>> {
        self.cursor
            .as_deref()
            .map(|c| c.parse().map_err(|_| invalid_cursor()))
            .transpose()
    }

    /// The cursor of a list in (instant, id) order, made by [`time_key`], if one was given.
    pub fn cursor_time_key(&self) -> crate::Result<Option<(DateTime<Utc>, Uuid)>> {
        let Some(cursor) = self.cursor.as_deref() else {
            return Ok(None);
        };
        let (at, id) = cursor.split_once('_').ok_or_else(invalid_cursor)?;
        let at = DateTime::parse_from_rfc3339(at).map_err(|_| invalid_cursor())?;
        let id = id.parse().map_err(|_| invalid_cursor())?;
        Ok(Some((at.with_timezone(&Utc), id)))
    }
}

/// The cursor of the item at instant `at` with id `id`, in a list ordered by both: the
/// instant to the nanosecond, so the next page starts exactly after it.
pub fn time_key(at: DateTime<Utc>, id: Uuid) -> String {
    format!("{}_{id}", at.to_rfc3339_opts(SecondsFormat::Nanos, true))
}

/// What every list answers to a cursor it did not make (or one from another list).
pub fn invalid_cursor() -> crate::Error {
    crate::Error::invalid(
        "cursor",
        "This cursor is not valid; start from the first page.",
    )
}

/// One page of results; `next_cursor` is absent on the last page.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` rows: the extra row only proves there is more.
    pub fn from_rows(mut rows: Vec<T>, limit: u64, cursor_of: impl Fn(&T) -> String) -> Page<T> {
        let more = rows.len() as u64 > limit;
        rows.truncate(limit as usize);
        let next_cursor = if more {
            rows.last().map(cursor_of)
        } else {
            None
        };
        Page {
            items: rows,
            next_cursor,
        }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }
}
