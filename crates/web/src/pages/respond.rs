//! Small helpers the signed-in pages share: rendering a page that must not be cached,
//! Post/Redirect/Get with a success notice, and filing use-case errors under the names a
//! page gives its fields.

use super::{PageError, PageResult};
use askama::Template;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};

/// Renders a page that holds personal or account data: browsers must not keep it.
pub fn render(t: impl Template) -> PageResult<Response> {
    let html = t.render().map_err(|e| PageError::Internal(e.into()))?;
    let mut res = Html(html).into_response();
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(res)
}

/// A file to download (a calendar, a spreadsheet) holding personal data: not kept.
pub fn attachment(content_type: &'static str, filename: &str, body: String) -> Response {
    let disposition = format!("attachment; filename=\"{filename}\"");
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(content_type),
    );
    if let Ok(v) = header::HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    res
}

/// Sends the browser back to `path` after a change, with `done` naming the notice to show.
/// `path` may carry a query already; `anchor` is the section to scroll to.
pub fn done(path: &str, done: &str, anchor: &str) -> PageResult<Response> {
    let sep = if path.contains('?') { '&' } else { '?' };
    let anchor = if anchor.is_empty() {
        String::new()
    } else {
        format!("#{anchor}")
    };
    Ok(super::redirect(&format!("{path}{sep}done={done}{anchor}")))
}

/// The plain-language notice for a `done` code from `known`; unknown codes show nothing,
/// so a crafted link cannot put words on the page.
pub fn notice(done: Option<&str>, known: &[(&str, &'static str)]) -> Option<&'static str> {
    let done = done?;
    known.iter().find(|(k, _)| *k == done).map(|(_, m)| *m)
}

/// Files problems a use case reports under `from` as belonging to field `to` (a page with
/// several forms gives each input its own name).
pub fn rename_field(e: app::Error, from: &str, to: &'static str) -> app::Error {
    match e {
        app::Error::Invalid(mut problems) => {
            for p in &mut problems {
                if p.field == from {
                    p.field = to;
                }
            }
            app::Error::Invalid(problems)
        }
        other => other,
    }
}

/// A form with nothing but its CSRF token (a button).
#[derive(serde::Deserialize)]
pub struct Empty {}

/// `?done=<code>` after a Post/Redirect/Get, naming the notice to show.
#[derive(serde::Deserialize)]
pub struct DoneQuery {
    pub done: Option<String>,
}

/// An optional text input: blank means "not given".
pub fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// A page form's free text that a use case checks for length itself (reasons, notes,
/// messages): control characters are refused at the edge, but the length rule is left
/// to the use case, whose message the page shows beside the field. The bound here only
/// stops abuse.
pub type FormText = domain::MultiLine<20_000>;

/// An optional text input through the one checked text type (`domain::text`): blank
/// means "not given"; text the type refuses (control characters, too long) is noted
/// beside its field and treated as not given, so the page shows the problem instead of
/// sending it on.
pub fn checked_text<T>(form: &mut super::FormState, field: &str, v: &Option<String>) -> Option<T>
where
    T: for<'a> TryFrom<&'a str, Error = domain::TextError>,
{
    match T::try_from(given(v)?) {
        Ok(t) => Some(t),
        Err(e) => {
            *form = std::mem::take(form).field_error(field, &e.to_string());
            None
        }
    }
}

/// A `YYYY-MM-DD` date input as the start of that day in UTC, or what to tell the person.
pub fn parse_date(raw: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    let date = chrono::NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map_err(|_| "Enter a date like 2027-06-30.".to_owned())?;
    let date = domain::dates::date("date", date).map_err(|e| e.message)?;
    Ok(date.and_time(chrono::NaiveTime::MIN).and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_notices_are_shown() {
        let known = [("saved", "Saved.")];
        assert_eq!(notice(Some("saved"), &known), Some("Saved."));
        assert_eq!(notice(Some("<script>"), &known), None);
        assert_eq!(notice(None, &known), None);
    }

    #[test]
    fn dates_are_read_as_utc_midnight() {
        assert_eq!(
            parse_date("2030-01-31").unwrap().to_rfc3339(),
            "2030-01-31T00:00:00+00:00"
        );
        assert!(parse_date("31/01/2030").is_err());
        assert!(parse_date("").is_err());
        assert!(parse_date("0203-01-31").unwrap_err().contains("1900"));
    }
}
