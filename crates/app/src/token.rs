//! Opaque random tokens (refresh tokens, email links, recovery codes) and their hashes.
//! Only hashes are stored; these tokens carry 256 bits of entropy, so a fast hash is enough.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};

/// A new URL-safe token with 256 bits of entropy.
pub fn new_token() -> String {
    URL_SAFE_NO_PAD.encode(crate::keys::random_bytes(32))
}

/// Hex SHA-256 of a token, as stored.
pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Hex SHA-256 of a string with a purpose prefix (keys that must not reveal an email).
pub fn keyed_hash(purpose: &str, value: &str) -> String {
    hash(&format!("{purpose}\u{0}{value}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_and_url_safe() {
        let a = new_token();
        assert_ne!(a, new_token());
        assert_eq!(a.len(), 43);
        assert!(a
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert_eq!(hash(&a).len(), 64);
        assert_ne!(keyed_hash("login", "x"), keyed_hash("reset", "x"));
    }
}
