//! The words of a scholarship request at rest: its reason and the reviewer's note are
//! encrypted with the field key (`ctx.keys.fields`), bound to the request and to which
//! of the two they are, so a ciphertext copied onto another request or field does not open.

use crate::{Context, Error, Result};
use uuid::Uuid;

/// Which words of a request.
#[derive(Debug, Clone, Copy)]
pub(super) enum Words {
    Reason,
    DecisionNote,
}

fn bound_to(request_id: Uuid, words: Words) -> Vec<u8> {
    let which = match words {
        Words::Reason => "reason",
        Words::DecisionNote => "decision-note",
    };
    format!("circles/scholarship/{which}/v1|{request_id}").into_bytes()
}

/// `text` encrypted for `request_id`: (ciphertext, key version); nothing for no text.
pub(super) fn seal(
    ctx: &Context,
    request_id: Uuid,
    words: Words,
    text: Option<&str>,
) -> (Option<String>, Option<i32>) {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => {
            let (sealed, version) = ctx
                .keys
                .fields
                .encrypt(t.as_bytes(), &bound_to(request_id, words));
            (Some(sealed), Some(version))
        }
        None => (None, None),
    }
}

/// The words in clear, if any.
pub(super) fn open(
    ctx: &Context,
    request_id: Uuid,
    words: Words,
    sealed: Option<&str>,
    version: Option<i32>,
) -> Result<Option<String>> {
    let (Some(sealed), Some(version)) = (sealed, version) else {
        return Ok(None);
    };
    let plain = ctx
        .keys
        .fields
        .decrypt(sealed, version, &bound_to(request_id, words))
        .map_err(Error::Internal)?;
    String::from_utf8(plain)
        .map(Some)
        .map_err(|e| Error::Internal(e.into()))
}
