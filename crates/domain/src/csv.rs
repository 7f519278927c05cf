//! Fields of CSV exports that spreadsheets open safely.
//!
//! A cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is run as a
//! formula by Excel, LibreOffice and Google Sheets ("CSV injection"); a leading `'` makes
//! it text, and quoting keeps the `'` inside the cell. Fields holding a separator are
//! quoted for both locales: `,` and `;` (where the decimal mark is a comma).

/// One field, quoted and defused as needed.
pub fn field(raw: &str) -> String {
    let formula = raw.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let text = if formula {
        format!("'{raw}")
    } else {
        raw.to_owned()
    };
    if formula || text.contains([',', ';', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// A number the program computed (an integer or a decimal such as `-12.50`), written as
/// it is so spreadsheets read it as a number: digits with at most one `.` and a leading
/// `-` cannot be a formula. Anything else is treated as text, through [`field`].
pub fn number(text: &str) -> String {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, "0"));
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if all_digits(whole) && all_digits(fraction) {
        text.to_owned()
    } else {
        field(text)
    }
}

/// One CSV line (without its line ending) of `fields`.
pub fn line<S: AsRef<str>>(fields: &[S]) -> String {
    fields
        .iter()
        .map(|f| field(f.as_ref()))
        .collect::<Vec<_>>()
        .join(",")
}

/// A download's file name made from a title and a date: lowercase ASCII letters and
/// digits joined by single hyphens ("drumming-night-2026-12-08.csv"), so it is safe in a
/// `Content-Disposition` header and on every file system. A title with no such letters
/// leaves `fallback`.
pub fn file_name(title: &str, date: &str, fallback: &str) -> String {
    let mut slug = String::new();
    for c in title.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug: String = slug.trim_end_matches('-').chars().take(60).collect();
    let slug = slug.trim_end_matches('-');
    let stem = if slug.is_empty() { fallback } else { slug };
    format!("{stem}-{date}.csv")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_stays_as_it_is() {
        assert_eq!(field("Joe"), "Joe");
        assert_eq!(field(""), "");
        assert_eq!(
            field("2026-03-03T19:30:00+00:00"),
            "2026-03-03T19:30:00+00:00"
        );
        assert_eq!(field("a=b"), "a=b");
    }

    #[test]
    fn formulas_are_defused_and_quoted() {
        assert_eq!(field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(field("=1+1"), "\"'=1+1\"");
        assert_eq!(field("+31 6 1234"), "\"'+31 6 1234\"");
        assert_eq!(field("-1"), "\"'-1\"");
        assert_eq!(field("@SUM(A1)"), "\"'@SUM(A1)\"");
        assert_eq!(field("\t=1"), "\"'\t=1\"");
        assert_eq!(field("\r=1"), "\"'\r=1\"");
    }

    #[test]
    fn separators_quotes_and_newlines_are_quoted() {
        assert_eq!(field("Smith, Joe"), "\"Smith, Joe\"");
        assert_eq!(field("Smith; Joe"), "\"Smith; Joe\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
        assert_eq!(field("two\r\nlines"), "\"two\r\nlines\"");
    }

    #[test]
    fn computed_numbers_stay_numbers_and_anything_else_is_text() {
        assert_eq!(number("-12.50"), "-12.50");
        assert_eq!(number("1200"), "1200");
        assert_eq!(number("-1+1"), "\"'-1+1\"");
        assert_eq!(number("-"), "\"'-\"");
        assert_eq!(number("1."), "1.");
        assert_eq!(number("=1"), "\"'=1\"");
    }

    #[test]
    fn lines_join_fields_with_commas() {
        assert_eq!(line(&["1", "Smith; Joe", "=x"]), "1,\"Smith; Joe\",\"'=x\"");
    }

    #[test]
    fn file_names_are_safe_slugs_of_the_title() {
        assert_eq!(
            file_name("Drumming Night: \"Fathers\" & Sons", "2026-12-08", "event"),
            "drumming-night-fathers-sons-2026-12-08.csv"
        );
        assert_eq!(
            file_name("日本の夜", "2026-12-08", "event"),
            "event-2026-12-08.csv"
        );
        assert_eq!(
            file_name("../x\r\n", "2026-01-01", "event"),
            "x-2026-01-01.csv"
        );
    }
}
