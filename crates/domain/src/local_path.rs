//! Where a page may send a browser back to after signing in: a path on this site only.
//!
//! Browsers are lenient in ways an attacker uses: they drop tabs and newlines anywhere in
//! a URL, read `\` as `/`, and take `//host` as another site. So only printable ASCII is
//! accepted, the path must start with exactly one `/` followed by neither `/` nor `\`, and
//! no `\` or percent-encoded control character may appear at all. Anything else is refused,
//! and the caller falls back to a page of its own.

use std::fmt;

/// The longest path accepted; longer ones are not ours.
const MAX_LEN: usize = 2048;

/// A same-site path (with optional query and fragment), safe to put in `Location`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalPath(String);

impl LocalPath {
    /// The path if it is certainly on this site; `None` otherwise.
    pub fn parse(raw: &str) -> Option<LocalPath> {
        let b = raw.as_bytes();
        let shape_ok = b.len() <= MAX_LEN
            && b.first() == Some(&b'/')
            && !matches!(b.get(1), Some(b'/' | b'\\'))
            && b.iter().all(|c| (0x21..=0x7E).contains(c) && *c != b'\\');
        (shape_ok && !has_encoded_control(b) && !encoded_slash_first(b))
            .then(|| LocalPath(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LocalPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `/%2F…` or `/%5C…`: one decoding away from `//` or `/\`.
fn encoded_slash_first(b: &[u8]) -> bool {
    b.get(1..4)
        .is_some_and(|w| w.eq_ignore_ascii_case(b"%2f") || w.eq_ignore_ascii_case(b"%5c"))
}

/// `%00`–`%1F` or `%7F` anywhere: a later decoding step could turn them into the very
/// characters browsers strip.
fn has_encoded_control(b: &[u8]) -> bool {
    b.windows(3).any(|w| {
        w[0] == b'%'
            && std::str::from_utf8(&w[1..])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .is_some_and(|v| v < 0x20 || v == 0x7F)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn site_paths_are_kept() {
        for ok in [
            "/",
            "/home",
            "/circles/0190a7e2-0000-7000-8000-000000000000?tab=people#join",
            "/admin/users%3Fq%3Da%20b",
            "/events/%2F",
        ] {
            assert_eq!(
                LocalPath::parse(ok).map(|p| p.0),
                Some(ok.to_owned()),
                "{ok}"
            );
        }
    }

    #[test]
    fn anything_that_may_leave_the_site_is_refused() {
        for bad in [
            "",
            "home",
            "//evil.example",
            "/\\evil.example",
            "\\/evil.example",
            "https://evil.example",
            "javascript:alert(1)",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r/x",
            "/%09/evil.example",
            "/%0d/x",
            "/%0A/x",
            "/%7f",
            "/%2F/evil.example",
            "/%5c/evil.example",
            "/a\\b",
            "/ /x",
            "/caf\u{e9}",
            " /home",
        ] {
            assert_eq!(LocalPath::parse(bad), None, "{bad:?}");
        }
        assert_eq!(LocalPath::parse(&format!("/{}", "a".repeat(MAX_LEN))), None);
    }

    /// How a browser reads a `Location` value: tabs and newlines go, `\` is `/`. A leading
    /// `//` after that means another host.
    fn browser_leaves_site(location: &str) -> bool {
        let cleaned: String = location
            .chars()
            .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
            .map(|c| if c == '\\' { '/' } else { c })
            .collect();
        let cleaned = cleaned.trim_start_matches(|c: char| c <= ' ');
        !cleaned.starts_with('/') || cleaned.starts_with("//")
    }

    fn percent_decoded(s: &str) -> String {
        let b = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            let hex = b
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok());
            match (b[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
                (b'%', Some(v)) => {
                    out.push(v);
                    i += 3;
                }
                (c, _) => {
                    out.push(c);
                    i += 1;
                }
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    fn nasty() -> impl Strategy<Value = String> {
        let piece = prop::sample::select(vec![
            "/",
            "//",
            "\\",
            "\t",
            "\n",
            "\r",
            "%09",
            "%0d",
            "%0A",
            "%2F",
            "%5C",
            "%25",
            ":",
            "https:",
            "evil.example",
            "@",
            ".",
            "..",
            " ",
            "\u{0}",
            "\u{7f}",
            "\u{e9}",
            "?",
            "#",
            "a",
        ]);
        prop::collection::vec(piece, 0..8).prop_map(|v| v.concat())
    }

    proptest! {
        #[test]
        fn accepted_paths_stay_on_the_site_and_fit_a_header(raw in nasty()) {
            if let Some(p) = LocalPath::parse(&raw) {
                prop_assert!(p.as_str().bytes().all(|c| (0x21..=0x7E).contains(&c)));
                prop_assert!(!browser_leaves_site(p.as_str()), "{:?}", p);
                // Even decoded once more, it names no other host.
                prop_assert!(!browser_leaves_site(&percent_decoded(p.as_str())), "{:?}", p);
            }
        }

        #[test]
        fn arbitrary_text_never_yields_a_path_off_the_site(raw in any::<String>()) {
            if let Some(p) = LocalPath::parse(&raw) {
                prop_assert!(!browser_leaves_site(p.as_str()), "{:?}", p);
                prop_assert!(p.as_str().bytes().all(|c| (0x21..=0x7E).contains(&c)));
            }
        }

        #[test]
        fn ordinary_paths_are_accepted_unchanged(
            segments in prop::collection::vec("[A-Za-z0-9._~-]{1,12}", 0..5),
            query in proptest::option::of("[A-Za-z0-9=&%]{0,20}"),
        ) {
            let mut path = format!("/{}", segments.join("/"));
            if let Some(q) = query {
                path.push('?');
                path.push_str(&q);
            }
            if has_encoded_control(path.as_bytes()) {
                return Ok(());
            }
            prop_assert_eq!(LocalPath::parse(&path).map(|p| p.0), Some(path.clone()));
        }
    }
}
