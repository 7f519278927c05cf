//! iCalendar (RFC 5545) output for calendar feeds and single-event `.ics` downloads.
//!
//! Pure formatting: callers turn events and circle meetings into [`CalendarEntry`] values and
//! [`calendar`] writes the text. An entry planned in a known IANA zone is written on that
//! zone's clock (`DTSTART;TZID=…`) with a `VTIMEZONE` for the zone, as docs/events.md
//! promises; others (and `DTSTAMP`, `LAST-MODIFIED`) are written in UTC.

mod vtimezone;

use chrono::{DateTime, Utc};

/// The `PRODID` of every calendar we publish (RFC 5545 §3.7.3).
const PRODUCT_ID: &str = "-//Men's Circles//Circles Platform//EN";

/// How often subscribed clients should poll the feed. One hour keeps changes (cancellations,
/// moved meetings) visible the same day without clients hammering the server.
const REFRESH_INTERVAL: &str = "PT1H";

/// RFC 5545 §3.1: content lines SHOULD NOT be longer than 75 octets, line break excluded.
const MAX_LINE_OCTETS: usize = 75;

/// `DATE-TIME` in UTC, "FORM #2" of RFC 5545 §3.3.5.
const UTC_FORMAT: &str = "%Y%m%dT%H%M%SZ";

/// Whether an entry is going ahead, maybe going ahead, or called off (RFC 5545 §3.8.1.11).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryStatus {
    /// The event will take place.
    Confirmed,
    /// The event is planned but not yet certain.
    Tentative,
    /// The event was called off. Kept in the feed (rather than dropped) so that clients which
    /// already imported it mark it cancelled instead of silently keeping a stale copy.
    Cancelled,
}

impl EntryStatus {
    fn as_ical(self) -> &'static str {
        match self {
            EntryStatus::Confirmed => "CONFIRMED",
            EntryStatus::Tentative => "TENTATIVE",
            EntryStatus::Cancelled => "CANCELLED",
        }
    }
}

/// One event as it appears in a calendar: becomes one `VEVENT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarEntry {
    /// Globally unique and stable across feed refreshes, e.g. `event-<uuid>@<host>`: clients
    /// match updates to what they already hold by this value alone.
    pub uid: String,
    /// Start of the event. Sub-second precision is dropped.
    pub starts_at: DateTime<Utc>,
    /// End of the event. When it is not after `starts_at` no `DTEND` is written, which RFC 5545
    /// §3.6.1 reads as an event ending at its start.
    pub ends_at: DateTime<Utc>,
    /// Title shown in the calendar.
    pub summary: String,
    /// Longer free text; may contain newlines.
    pub description: Option<String>,
    /// Where the event happens, as free text (an address or "Online").
    pub location: Option<String>,
    /// Link back to the event's page on the platform.
    pub url: Option<String>,
    /// Whether the event is going ahead.
    pub status: EntryStatus,
    /// Revision number (RFC 5545 §3.8.7.4); raise it on every significant change so clients
    /// replace their copy.
    pub sequence: u32,
    /// When the event was last changed; written as `LAST-MODIFIED`.
    pub updated_at: DateTime<Utc>,
    /// The IANA zone it is planned in; its times are written on that clock. None, or a
    /// zone the database does not know: written in UTC.
    pub time_zone: Option<String>,
}

/// Writes a complete `VCALENDAR` named `name` holding one `VEVENT` per entry.
///
/// `now` becomes each event's `DTSTAMP`, the moment this copy of the calendar was produced;
/// it is a parameter so that output is reproducible in tests. The result uses CRLF line
/// endings and folds lines longer than 75 octets, as RFC 5545 §3.1 requires; serve it as
/// `text/calendar; charset=utf-8`.
pub fn calendar(name: &str, entries: &[CalendarEntry], now: DateTime<Utc>) -> String {
    // Roughly what one event takes, so the string rarely reallocates.
    let mut out = String::with_capacity(400 + entries.len() * 600);
    push_line(&mut out, "BEGIN:VCALENDAR");
    push_line(&mut out, "VERSION:2.0");
    push_text(&mut out, "PRODID", PRODUCT_ID);
    push_line(&mut out, "CALSCALE:GREGORIAN");
    push_line(&mut out, "METHOD:PUBLISH");
    // `NAME` is the standard property (RFC 7986); `X-WR-CALNAME` is what Apple, Google and
    // Outlook actually read. Writing both costs one line.
    push_text(&mut out, "NAME", name);
    push_text(&mut out, "X-WR-CALNAME", name);
    // Same pairing: `REFRESH-INTERVAL` is RFC 7986, `X-PUBLISHED-TTL` the de-facto original.
    push_line(
        &mut out,
        &format!("REFRESH-INTERVAL;VALUE=DURATION:{REFRESH_INTERVAL}"),
    );
    push_line(&mut out, &format!("X-PUBLISHED-TTL:{REFRESH_INTERVAL}"));
    let mut zones = vtimezone::ZonesUsed::default();
    for entry in entries {
        if let Some((name, tz)) = entry_zone(entry) {
            zones.note(name, tz, entry.starts_at);
            zones.note(name, tz, entry.ends_at);
        }
    }
    for line in zones.components() {
        push_line(&mut out, &line);
    }
    for entry in entries {
        push_event(&mut out, entry, now);
    }
    push_line(&mut out, "END:VCALENDAR");
    out
}

fn push_event(out: &mut String, entry: &CalendarEntry, now: DateTime<Utc>) {
    push_line(out, "BEGIN:VEVENT");
    push_text(out, "UID", &entry.uid);
    push_time(out, "DTSTAMP", now);
    let zone = entry_zone(entry);
    push_zoned(out, "DTSTART", entry.starts_at, zone);
    // RFC 5545 §3.8.2.2 requires DTEND to be later than DTSTART; a client may reject the whole
    // event otherwise. Leaving it out is valid and shows a zero-length event instead.
    if entry.ends_at > entry.starts_at {
        push_zoned(out, "DTEND", entry.ends_at, zone);
    }
    push_text(out, "SUMMARY", &entry.summary);
    if let Some(description) = non_empty(&entry.description) {
        push_text(out, "DESCRIPTION", description);
    }
    if let Some(location) = non_empty(&entry.location) {
        push_text(out, "LOCATION", location);
    }
    if let Some(url) = non_empty(&entry.url) {
        // URL has the URI value type, not TEXT: commas and semicolons are part of the address
        // and must not be backslash-escaped. Only control characters, which would break the
        // line structure, are removed.
        let url: String = url.chars().filter(|c| !c.is_control()).collect();
        push_line(out, &format!("URL:{url}"));
    }
    push_line(out, &format!("STATUS:{}", entry.status.as_ical()));
    push_line(out, &format!("SEQUENCE:{}", entry.sequence));
    push_time(out, "LAST-MODIFIED", entry.updated_at);
    push_line(out, "END:VEVENT");
}

/// The entry's zone, when it names one the time-zone database knows.
fn entry_zone(entry: &CalendarEntry) -> Option<(&str, chrono_tz::Tz)> {
    let name = entry.time_zone.as_deref()?;
    Some((name, vtimezone::zone(name)?))
}

/// A start or end on the clock of its zone (`NAME;TZID=Europe/Berlin:20261205T190000`), or
/// in UTC without one.
fn push_zoned(
    out: &mut String,
    name: &str,
    at: DateTime<Utc>,
    zone: Option<(&str, chrono_tz::Tz)>,
) {
    match zone {
        Some((zone_name, tz)) => push_line(
            out,
            &format!("{name};TZID={zone_name}:{}", vtimezone::local(tz, at)),
        ),
        None => push_time(out, name, at),
    }
}

/// `None` for an absent or empty value: an empty `DESCRIPTION:` line says nothing.
fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.is_empty())
}

fn push_time(out: &mut String, name: &str, at: DateTime<Utc>) {
    push_line(out, &format!("{name}:{}", at.format(UTC_FORMAT)));
}

fn push_text(out: &mut String, name: &str, value: &str) {
    push_line(out, &format!("{name}:{}", escape_text(value)));
}

/// Escapes a value of the TEXT type (RFC 5545 §3.3.11).
///
/// Backslash, semicolon and comma get a backslash; any line break (CRLF, LF or a lone CR)
/// becomes the two characters `\n`. A tab becomes a space, and every other control character
/// is dropped: they are not allowed in TEXT and some clients reject the whole file over one.
fn escape_text(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len() + value.len() / 8);
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => escaped.push_str("\\\\"),
            ';' => escaped.push_str("\\;"),
            ',' => escaped.push_str("\\,"),
            '\n' => escaped.push_str("\\n"),
            '\r' => {
                // A CRLF pair is one line break, not two.
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                escaped.push_str("\\n");
            }
            '\t' => escaped.push(' '),
            c if c.is_control() => {}
            c => escaped.push(c),
        }
    }
    escaped
}

/// Appends one content line, folded so that no physical line exceeds 75 octets, ending in
/// CRLF.
///
/// Folding counts bytes but only breaks between characters: splitting a multi-byte UTF-8
/// sequence would leave both halves invalid for any client that decodes lines one at a time.
/// A continuation line starts with a single space, which the reader removes when unfolding
/// and which counts towards that line's 75 octets.
fn push_line(out: &mut String, line: &str) {
    let mut octets = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if octets + len > MAX_LINE_OCTETS {
            out.push_str("\r\n ");
            octets = 1;
        }
        out.push(c);
        octets += len;
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    fn entry(uid: &str, summary: &str) -> CalendarEntry {
        CalendarEntry {
            uid: uid.to_owned(),
            starts_at: at(2025, 3, 14, 18, 30),
            ends_at: at(2025, 3, 14, 21, 0),
            summary: summary.to_owned(),
            description: None,
            location: None,
            url: None,
            status: EntryStatus::Confirmed,
            sequence: 0,
            updated_at: at(2025, 3, 1, 9, 15),
            time_zone: None,
        }
    }

    fn folded(line: &str) -> String {
        let mut out = String::new();
        push_line(&mut out, line);
        out
    }

    /// Reverses folding the way a reader does: drop every CRLF followed by one space.
    fn unfold(text: &str) -> String {
        text.replace("\r\n ", "")
    }

    /// Each physical line as raw bytes, CRLF removed, so tests see exactly what was written.
    fn physical_lines(text: &str) -> Vec<&[u8]> {
        let body = text.strip_suffix("\r\n").expect("output ends with CRLF");
        body.split("\r\n").map(str::as_bytes).collect()
    }

    fn assert_well_formed(text: &str) {
        for line in physical_lines(text) {
            assert!(
                line.len() <= MAX_LINE_OCTETS,
                "{} octets: {:?}",
                line.len(),
                String::from_utf8_lossy(line)
            );
            assert!(
                std::str::from_utf8(line).is_ok(),
                "a fold split a UTF-8 character: {line:?}"
            );
            assert!(!line.contains(&b'\n') && !line.contains(&b'\r'));
        }
    }

    #[test]
    fn escapes_text_specials() {
        assert_eq!(escape_text(r"a\b"), r"a\\b");
        assert_eq!(escape_text("a;b,c"), r"a\;b\,c");
        assert_eq!(escape_text("one\ntwo"), r"one\ntwo");
        // A backslash before an `n` must stay a backslash, not turn into a newline.
        assert_eq!(escape_text(r"C:\new"), r"C:\\new");
        // Colons and quotes need no escaping in a value.
        assert_eq!(escape_text(r#"Time: 7pm "sharp""#), r#"Time: 7pm "sharp""#);
    }

    #[test]
    fn every_line_break_form_becomes_one_escaped_newline() {
        assert_eq!(escape_text("a\r\nb"), r"a\nb");
        assert_eq!(escape_text("a\rb"), r"a\nb");
        assert_eq!(escape_text("a\n\nb"), r"a\n\nb");
        assert_eq!(escape_text("a\r\n\r\nb"), r"a\n\nb");
        assert_eq!(escape_text("end\r"), r"end\n");
    }

    #[test]
    fn strips_other_control_characters() {
        assert_eq!(
            escape_text("a\u{0}b\u{7}c\u{1b}[0m\u{7f}d\u{85}e"),
            "abc[0mde"
        );
        assert_eq!(escape_text("col1\tcol2"), "col1 col2");
    }

    #[test]
    fn leaves_non_ascii_alone() {
        assert_eq!(
            escape_text("Männerkreis – Zürich 🔥"),
            "Männerkreis – Zürich 🔥"
        );
    }

    #[test]
    fn short_lines_are_not_folded() {
        assert_eq!(folded("SUMMARY:Hello"), "SUMMARY:Hello\r\n");
        let exactly = "X".repeat(MAX_LINE_OCTETS);
        assert_eq!(folded(&exactly), format!("{exactly}\r\n"));
    }

    #[test]
    fn folds_at_75_octets_with_a_leading_space() {
        let line = "X".repeat(MAX_LINE_OCTETS + 1);
        assert_eq!(
            folded(&line),
            format!("{}\r\n X\r\n", "X".repeat(MAX_LINE_OCTETS))
        );

        // Continuation lines hold 74 octets of content, the space making 75.
        let long = "Y".repeat(75 + 74 + 10);
        let out = folded(&long);
        let lines = physical_lines(&out);
        assert_eq!(
            lines.iter().map(|l| l.len()).collect::<Vec<_>>(),
            [75, 75, 11]
        );
        assert!(lines[1..].iter().all(|l| l[0] == b' '));
        assert_eq!(unfold(&out), format!("{long}\r\n"));
    }

    #[test]
    fn never_splits_a_two_byte_character_at_the_boundary() {
        // 74 ASCII octets, then "é" (2 octets) would straddle octet 75.
        let line = format!("{}é and more", "A".repeat(74));
        let out = folded(&line);
        let lines = physical_lines(&out);
        assert_eq!(lines[0], "A".repeat(74).as_bytes());
        assert_eq!(lines[1], " é and more".as_bytes());
        assert_well_formed(&out);
        assert_eq!(unfold(&out), format!("{line}\r\n"));
    }

    #[test]
    fn a_character_ending_exactly_at_75_octets_stays_on_the_line() {
        let line = format!("{}é!", "A".repeat(73));
        let out = folded(&line);
        let lines = physical_lines(&out);
        assert_eq!(lines[0], format!("{}é", "A".repeat(73)).as_bytes());
        assert_eq!(lines[1], b" !");
    }

    #[test]
    fn never_splits_emoji_or_three_byte_characters() {
        // Every offset of a 4-byte emoji and a 3-byte character against the fold point.
        for prefix in 70..=76 {
            for tail in ["🔥🙏🏽👨‍👩‍👦", "€€€€€", "日本語のテキスト"]
            {
                let line = format!("{}{}", "B".repeat(prefix), tail.repeat(12));
                let out = folded(&line);
                assert_well_formed(&out);
                assert_eq!(unfold(&out), format!("{line}\r\n"));
            }
        }
    }

    #[test]
    fn uses_crlf_line_endings_only() {
        let mut e = entry("event-1@example.org", "Line one\nline two");
        e.description = Some("Paragraph\r\n\r\nanother\rand\nmore ".repeat(10));
        let out = calendar("Mine", &[e], at(2025, 3, 2, 0, 0));
        assert!(out.ends_with("END:VCALENDAR\r\n"));
        let bytes = out.as_bytes();
        for (i, &b) in bytes.iter().enumerate() {
            if b == b'\n' {
                assert!(i > 0 && bytes[i - 1] == b'\r', "bare LF at {i}");
            }
            if b == b'\r' {
                assert_eq!(bytes.get(i + 1), Some(&b'\n'), "bare CR at {i}");
            }
        }
        assert_well_formed(&out);
    }

    #[test]
    fn empty_calendar() {
        let out = calendar("Circles", &[], at(2025, 3, 2, 0, 0));
        assert_eq!(
            out,
            "BEGIN:VCALENDAR\r\n\
             VERSION:2.0\r\n\
             PRODID:-//Men's Circles//Circles Platform//EN\r\n\
             CALSCALE:GREGORIAN\r\n\
             METHOD:PUBLISH\r\n\
             NAME:Circles\r\n\
             X-WR-CALNAME:Circles\r\n\
             REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n\
             X-PUBLISHED-TTL:PT1H\r\n\
             END:VCALENDAR\r\n"
        );
    }

    #[test]
    fn writes_one_event_exactly() {
        let e = CalendarEntry {
            description: Some("Bring a friend, water; and an open mind".to_owned()),
            location: Some("Hall 2, Main St. 5".to_owned()),
            url: Some("https://circles.example/events/1?a=1,2;b".to_owned()),
            status: EntryStatus::Tentative,
            sequence: 3,
            ..entry("event-1@circles.example", "Full moon circle")
        };
        let out = calendar("Mine", &[e], at(2025, 3, 2, 8, 0));
        let event = out
            .split_once("BEGIN:VEVENT\r\n")
            .and_then(|(_, rest)| rest.split_once("END:VEVENT\r\n"))
            .map(|(event, _)| event)
            .expect("one VEVENT");
        assert_eq!(
            event,
            "UID:event-1@circles.example\r\n\
             DTSTAMP:20250302T080000Z\r\n\
             DTSTART:20250314T183000Z\r\n\
             DTEND:20250314T210000Z\r\n\
             SUMMARY:Full moon circle\r\n\
             DESCRIPTION:Bring a friend\\, water\\; and an open mind\r\n\
             LOCATION:Hall 2\\, Main St. 5\r\n\
             URL:https://circles.example/events/1?a=1,2;b\r\n\
             STATUS:TENTATIVE\r\n\
             SEQUENCE:3\r\n\
             LAST-MODIFIED:20250301T091500Z\r\n"
        );
    }

    #[test]
    fn leaves_out_absent_and_empty_optional_properties() {
        let e = CalendarEntry {
            description: Some(String::new()),
            ..entry("event-1@circles.example", "Circle")
        };
        let out = calendar("Mine", &[e], at(2025, 3, 2, 8, 0));
        for name in ["DESCRIPTION", "LOCATION", "URL"] {
            assert!(!out.contains(&format!("\r\n{name}")), "{name} written");
        }
    }

    #[test]
    fn leaves_out_dtend_unless_after_the_start() {
        let mut e = entry("event-1@circles.example", "Circle");
        e.ends_at = e.starts_at;
        let out = calendar("Mine", &[e.clone()], at(2025, 3, 2, 8, 0));
        assert!(out.contains("DTSTART:"));
        assert!(!out.contains("DTEND:"));

        e.ends_at = e.starts_at - Duration::hours(1);
        let out = calendar("Mine", &[e], at(2025, 3, 2, 8, 0));
        assert!(!out.contains("DTEND:"));
    }

    #[test]
    fn drops_sub_second_precision_without_rounding() {
        let mut e = entry("event-1@circles.example", "Circle");
        e.starts_at = at(2025, 3, 14, 18, 30) + Duration::milliseconds(999);
        let out = calendar("Mine", &[e], at(2025, 3, 2, 8, 0));
        assert!(out.contains("\r\nDTSTART:20250314T183000Z\r\n"));
    }

    #[test]
    fn escapes_the_calendar_name_and_uid() {
        let out = calendar(
            "Tom, Dick; Harry\\",
            &[entry("a,b@x", "S")],
            at(2025, 3, 2, 8, 0),
        );
        assert!(out.contains("\r\nX-WR-CALNAME:Tom\\, Dick\\; Harry\\\\\r\n"));
        assert!(out.contains("\r\nUID:a\\,b@x\r\n"));
    }

    /// Reads the output back with an independent parser (the `icalendar` crate) and checks
    /// that every property survives: escaping, folding and time formats are only right if a
    /// real reader gets the original values back.
    #[test]
    fn round_trips_through_an_icalendar_parser() {
        use icalendar::{
            Calendar, CalendarDateTime, Component, DatePerhapsTime, EventLike, EventStatus,
        };

        let now = at(2025, 3, 2, 8, 0) + Duration::seconds(42);
        let entries = vec![
            CalendarEntry {
                uid: "event-0195b3a2-7c1e-7d3a-9f00-1a2b3c4d5e6f@circles.example".to_owned(),
                starts_at: at(2025, 3, 14, 18, 30),
                ends_at: at(2025, 3, 14, 21, 0),
                summary: "Full moon circle, Zürich; «Männer» 🔥\nsecond line \\ backslash"
                    .to_owned(),
                description: Some(
                    "Bring: water, a blanket; and yourself.\r\n\r\nC:\\new paths stay.\n".repeat(4)
                        + "Ende – 日本語 🙏🏽",
                ),
                location: Some("Gemeinschaftsraum, Hauptstraße 5; 8000 Zürich".to_owned()),
                url: Some("https://circles.example/events/0195b3a2?ref=feed,ics".to_owned()),
                status: EntryStatus::Confirmed,
                sequence: 0,
                updated_at: at(2025, 3, 1, 9, 15),
                time_zone: None,
            },
            CalendarEntry {
                uid: "event-0195b3a2-0000-7000-8000-000000000002@circles.example".to_owned(),
                // A weekend retreat spanning three days and a month boundary.
                starts_at: at(2025, 5, 30, 16, 0),
                ends_at: at(2025, 6, 1, 14, 0),
                summary: "Wochenend-Retreat im Wald 🌲".repeat(4),
                description: None,
                location: Some("Waldhütte".to_owned()),
                url: None,
                status: EntryStatus::Tentative,
                sequence: 7,
                updated_at: at(2025, 4, 20, 12, 5),
                time_zone: None,
            },
            CalendarEntry {
                uid: "meeting-0195b3a2-0000-7000-8000-000000000003@circles.example".to_owned(),
                starts_at: at(2025, 4, 2, 19, 0),
                ends_at: at(2025, 4, 2, 21, 30),
                summary: "Circle meeting".to_owned(),
                description: Some("Called off: host is ill".to_owned()),
                location: None,
                url: Some("https://circles.example/circles/7/meetings/3".to_owned()),
                status: EntryStatus::Cancelled,
                sequence: 2,
                updated_at: at(2025, 4, 1, 7, 0),
                time_zone: None,
            },
        ];
        let text = calendar("Mein Kalender – Circles", &entries, now);
        assert_well_formed(&text);

        let parsed: Calendar = text.parse().expect("output parses");
        assert_eq!(parsed.property_value("VERSION"), Some("2.0"));
        assert_eq!(parsed.property_value("PRODID"), Some(PRODUCT_ID));
        assert_eq!(parsed.property_value("CALSCALE"), Some("GREGORIAN"));
        assert_eq!(parsed.property_value("METHOD"), Some("PUBLISH"));
        assert_eq!(parsed.get_name(), Some("Mein Kalender – Circles"));
        assert_eq!(
            parsed.property_value("X-WR-CALNAME"),
            Some("Mein Kalender – Circles")
        );
        assert_eq!(parsed.get_ttl(), Some(Duration::hours(1)));
        assert_eq!(parsed.property_value("X-PUBLISHED-TTL"), Some("PT1H"));

        let events: Vec<_> = parsed
            .components
            .iter()
            .filter_map(|c| c.as_event())
            .collect();
        assert_eq!(events.len(), entries.len());

        let utc = |t: DateTime<Utc>| Some(DatePerhapsTime::DateTime(CalendarDateTime::Utc(t)));
        for (event, want) in events.iter().zip(&entries) {
            assert_eq!(event.get_uid(), Some(want.uid.as_str()));
            assert_eq!(event.get_timestamp(), Some(now));
            assert_eq!(event.get_start(), utc(want.starts_at));
            assert_eq!(event.get_end(), utc(want.ends_at));
            // The parser hands back the text with line breaks as plain LF.
            let summary = want.summary.replace("\r\n", "\n");
            assert_eq!(event.get_summary(), Some(summary.as_str()));
            let description = want.description.as_ref().map(|d| d.replace("\r\n", "\n"));
            assert_eq!(event.get_description(), description.as_deref());
            assert_eq!(event.get_location(), want.location.as_deref());
            assert_eq!(event.get_url(), want.url.as_deref());
            let status = match want.status {
                EntryStatus::Confirmed => EventStatus::Confirmed,
                EntryStatus::Tentative => EventStatus::Tentative,
                EntryStatus::Cancelled => EventStatus::Cancelled,
            };
            assert_eq!(event.get_status(), Some(status));
            assert_eq!(event.get_sequence(), Some(want.sequence));
            assert_eq!(event.get_last_modified(), Some(want.updated_at));
        }
    }
}
