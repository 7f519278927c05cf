//! Path parameters of a page, parsed once: `Path<Uuid>`, `Path<(Uuid, Uuid)>`. An address
//! whose id is not one names no page, so it gets the 404 page rather than axum's plain
//! "400 Invalid URL"; handlers never see the raw text.

use super::PageError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Path(p.0))
            .map_err(|_| PageError::NotFound)
    }
}
