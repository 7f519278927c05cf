//! A circle's end-to-end encrypted conversation: the few things the server decides about
//! it. Keys, signatures, wrapped keys and ciphertext are made and checked in the members'
//! browsers; the server only checks that each is base64url text of a plausible size (never
//! its content), which these types guarantee once they are parsed.

use crate::vocabulary::text_enum;
use crate::DomainError;
use serde::{Deserialize, Serialize};

/// How long a circle keeps its messages readable when it has chosen disappearing messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub enum DisappearAfter {
    Days30,
    Days90,
    Days365,
}

impl DisappearAfter {
    pub const ALL: [DisappearAfter; 3] = [Self::Days30, Self::Days90, Self::Days365];

    /// The number of days, as stored and sent.
    pub fn days(self) -> i64 {
        match self {
            Self::Days30 => 30,
            Self::Days90 => 90,
            Self::Days365 => 365,
        }
    }

    /// The setting for `days`, which must be 30, 90 or 365 (errors under `disappearing_days`).
    pub fn from_days(days: i64) -> Result<Self, DomainError> {
        Self::ALL
            .into_iter()
            .find(|d| d.days() == days)
            .ok_or_else(|| {
                DomainError::new(
                    "disappearing_days",
                    "Messages disappear after 30, 90 or 365 days (or never).",
                )
            })
    }
}

impl TryFrom<i64> for DisappearAfter {
    type Error = String;

    fn try_from(days: i64) -> Result<Self, String> {
        Self::from_days(days).map_err(|e| e.message)
    }
}

impl From<DisappearAfter> for i64 {
    fn from(d: DisappearAfter) -> i64 {
        d.days()
    }
}

/// Why an epoch of a circle's conversation was closed: after it, nobody may post under it
/// and the next message needs a new epoch key that the departed cannot unwrap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClosedReason {
    /// A member left the circle.
    MemberLeft,
    /// A leader removed a member (or a co-facilitator).
    MemberRemoved,
    /// A member revoked one of his devices.
    DeviceRevoked,
    /// A member started fresh keys: his old devices are revoked.
    IdentityReset,
    /// A newer epoch replaced it (its age, or a newly signed roster).
    Rotated,
    /// The circle was archived.
    CircleArchived,
}

text_enum!(ClosedReason {
    MemberLeft => "member_left",
    MemberRemoved => "member_removed",
    DeviceRevoked => "device_revoked",
    IdentityReset => "identity_reset",
    Rotated => "rotated",
    CircleArchived => "circle_archived",
});

/// How old an open epoch may grow before a member's device may start the next one.
pub const EPOCH_MAX_AGE_DAYS: i64 = 30;

/// The longest encoded ciphertext of one message: 64 KiB of base64url text.
pub const MAX_CIPHERTEXT_CHARS: usize = 64 * 1024;

/// The longest backup a user may store, as JSON text.
pub const MAX_BACKUP_CHARS: usize = 16 * 1024;

/// The longest roster body (canonical JSON text); ten members and their leaders with their
/// keys fit many times over, and it stays within the API's 64 KiB body limit.
pub const MAX_ROSTER_CHARS: usize = 32 * 1024;

/// The most leader devices one join-request message may be sealed to.
pub const MAX_REQUEST_ENVELOPES: usize = 64;

/// The longest device name.
pub const MAX_DEVICE_NAME_CHARS: usize = 60;

/// How many bytes base64url text without padding stands for, or why it is not such text.
fn decoded_len(text: &str) -> Result<usize, &'static str> {
    if !text
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err("is not base64url text without padding (A-Z, a-z, 0-9, - and _ only)");
    }
    if text.len() % 4 == 1 {
        return Err("is not base64url text: its length cannot be decoded");
    }
    Ok(text.len() / 4 * 3 + (text.len() % 4).saturating_sub(1))
}

/// Declares a base64url type that holds between `$min` and `$max` bytes (decoded).
macro_rules! opaque_bytes {
    ($(#[$meta:meta])* $name:ident, $what:literal, $min:expr, $max:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// The fewest and most bytes it may stand for.
            pub const BYTES: (usize, usize) = ($min, $max);

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_inner(self) -> String {
                self.0
            }

            /// The text read back from storage, where only checked text was ever written.
            pub fn from_stored(text: String) -> Self {
                $name(text)
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;

            fn try_from(text: String) -> Result<Self, String> {
                let n = decoded_len(&text).map_err(|why| format!("{} {why}", $what))?;
                if !($min..=$max).contains(&n) {
                    return Err(format!(
                        "{} must be {} to {} bytes, base64url-encoded (this is {n})",
                        $what, $min, $max
                    ));
                }
                Ok($name(text))
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }

        #[cfg(feature = "utoipa")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
                use utoipa::openapi::schema::{ObjectBuilder, Type};
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some("^[A-Za-z0-9_-]*$"))
                    .min_length(Some(($min as usize * 4).div_ceil(3)))
                    .max_length(Some(($max as usize * 4).div_ceil(3)))
                    .description(Some(concat!($what, ", base64url without padding.")))
                    .into()
            }
        }

        #[cfg(feature = "utoipa")]
        impl utoipa::ToSchema for $name {}
    };
}

opaque_bytes!(
    /// A public key (SubjectPublicKeyInfo): a user's identity key or a device's keys.
    PublicKey, "A public key", 32, 512
);
opaque_bytes!(
    /// A signature (IEEE P1363 for ECDSA P-256: 64 bytes).
    Signature, "A signature", 64, 144
);
opaque_bytes!(
    /// An epoch key wrapped for one device (AES-KW of 32 bytes: 40 bytes).
    WrappedKey, "A wrapped key", 24, 128
);
opaque_bytes!(
    /// A message: IV followed by the AES-GCM output.
    Ciphertext, "A ciphertext", 28, MAX_CIPHERTEXT_CHARS / 4 * 3
);
opaque_bytes!(
    /// An epoch key sealed under its user's archive key (IV ‖ AES-GCM output).
    SealedKey, "A sealed key", 28, 256
);
opaque_bytes!(
    /// A meeting note sealed under an epoch key (IV ‖ AES-GCM output of the note's text).
    SealedNote, "A sealed note", 28, 8 * 1024
);
opaque_bytes!(
    /// A join-request message sealed in the requester's browser under its content key
    /// (IV ‖ AES-GCM output of up to 500 characters of UTF-8).
    SealedRequest, "A sealed request message", 28, 4 * 1024
);
opaque_bytes!(
    /// The backup's plaintext encrypted from one of a user's devices to his new one.
    Transfer, "A transfer", 28, MAX_BACKUP_CHARS / 4 * 3
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocabulary::assert_text_round_trips;

    #[test]
    fn closed_reasons_round_trip() {
        assert_text_round_trips(
            &ClosedReason::ALL,
            ClosedReason::as_str,
            ClosedReason::parse,
        );
    }

    #[test]
    fn messages_disappear_after_30_90_or_365_days_only() {
        for d in DisappearAfter::ALL {
            assert_eq!(DisappearAfter::from_days(d.days()), Ok(d));
        }
        for days in [0, 1, 29, 31, 364, 366, -30] {
            let err = DisappearAfter::from_days(days).unwrap_err();
            assert_eq!(err.field, "disappearing_days");
        }
        let d: DisappearAfter = serde_json::from_str("90").unwrap();
        assert_eq!(d, DisappearAfter::Days90);
        assert_eq!(serde_json::to_string(&d).unwrap(), "90");
        assert!(serde_json::from_str::<DisappearAfter>("45").is_err());
    }

    #[test]
    fn base64url_lengths_decode_to_their_byte_counts() {
        assert_eq!(decoded_len(""), Ok(0));
        assert_eq!(decoded_len("AA"), Ok(1));
        assert_eq!(decoded_len("AAA"), Ok(2));
        assert_eq!(decoded_len("AAAA"), Ok(3));
        assert!(decoded_len("A").is_err());
        assert!(decoded_len("AAAA=").is_err(), "no padding");
        assert!(decoded_len("AA+/").is_err(), "url-safe alphabet only");
    }

    #[test]
    fn key_material_is_checked_for_shape_and_size_only() {
        // 64 bytes of anything: 86 characters.
        let sig = "A".repeat(86);
        assert!(Signature::try_from(sig).is_ok());
        let short = Signature::try_from("A".repeat(84)).unwrap_err();
        assert!(short.contains("64 to 144 bytes"), "{short}");
        let bad = PublicKey::try_from(format!("{}!", "A".repeat(60))).unwrap_err();
        assert!(bad.contains("base64url"), "{bad}");
        let wrapped = WrappedKey::try_from("B".repeat(54)).unwrap();
        assert_eq!(wrapped.as_str().len(), 54);
        let too_big = Ciphertext::try_from("A".repeat(MAX_CIPHERTEXT_CHARS + 4)).unwrap_err();
        assert!(too_big.contains("ciphertext"), "{too_big}");
        assert!(Ciphertext::try_from("A".repeat(MAX_CIPHERTEXT_CHARS)).is_ok());
        let json: Result<Signature, _> = serde_json::from_str("\"abc\"");
        assert!(json.is_err());
    }
}
