//! Closed vocabularies — statuses, roles, kinds — and the one text form of each value, as
//! stored in the database and sent in the API.

/// Gives a fieldless enum its text form: `ALL` (every value, in declaration order),
/// `as_str`, `parse` (exact match, `None` for anything else) and `Display`.
///
/// The names are written out rather than derived from the variants so that renaming a
/// variant can never change what is stored. Each enum's serde names must agree with them;
/// [`assert_text_round_trips`] checks that in the enum's tests.
macro_rules! text_enum {
    ($t:ident { $($v:ident => $s:literal),+ $(,)? }) => {
        impl $t {
            /// Every value, in declaration order.
            pub const ALL: [$t; [$($s),+].len()] = [$(Self::$v),+];

            /// The stored (and serialized) name.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$v => $s),+ }
            }

            /// The value with this stored name, if any (exact match).
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($s => Some(Self::$v),)+ _ => None }
            }
        }

        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub(crate) use text_enum;

/// Checks that every value's text reads back as itself, matches its JSON form, and that
/// nothing else (a different case, a neighbour's name) is accepted.
#[cfg(test)]
pub(crate) fn assert_text_round_trips<T>(
    all: &[T],
    as_str: fn(T) -> &'static str,
    parse: fn(&str) -> Option<T>,
) where
    T: Copy + PartialEq + std::fmt::Debug + serde::Serialize,
{
    for &value in all {
        let text = as_str(value);
        assert_eq!(parse(text), Some(value), "{text}");
        assert_eq!(
            parse(&text.to_uppercase()),
            None,
            "{text} is case-sensitive"
        );
        assert_eq!(parse(&format!(" {text}")), None, "{text} is exact");
        assert_eq!(
            serde_json::to_value(value).unwrap(),
            serde_json::Value::from(text),
            "serde and storage agree on {value:?}"
        );
    }
    assert_eq!(parse(""), None);
}
