//! The HTTP face of the Men's Circle platform: the JSON API under `/api/v1` (documented
//! at `/api/openapi.json`), health and metrics endpoints, and the middleware every
//! response passes through (request ids, security headers, limits, compression).

pub mod api;
mod application;
mod error;
mod extract;
mod health;
mod middleware;
pub mod pages;
mod state;
mod tls;
mod upload;

pub use application::Application;
pub use error::{ApiError, Problem};
pub use state::AppState;
