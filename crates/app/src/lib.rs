//! Use cases of the Men's Circle platform, one module per feature. The JSON API and the
//! pages both call these functions; neither holds a business rule of its own.

pub mod accounts;
pub mod admin;
pub mod api_schema;
pub mod audit;
pub mod authz;
pub mod bus;
pub mod calendar;
pub mod certification;
pub mod circles;
pub mod clock;
pub mod codes;
pub mod config;
mod context;
pub mod conversation;
pub mod demo;
pub mod email;
mod error;
pub mod events;
pub mod finance;
pub mod idempotency;
pub mod jobs;
pub mod keys;
pub mod memberships;
pub mod page;
pub mod payments;
pub mod rate_limit;
pub mod request;
pub mod support;
pub mod token;

pub use clock::Clock;
pub use context::Context;
pub use error::{Checks, Error, Result};
pub use request::RequestMeta;
