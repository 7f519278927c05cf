//! The integration tests of the web crate, compiled as one binary: one module per feature,
//! all driving the real application through the one harness in [`helpers`].
//!
//! Run one feature with `cargo test -p web --test api <feature>::`, one backend with
//! `cargo test -p web --test api ::sqlite`.

mod audit_names;
mod helpers;

mod admin;
mod auth;
mod authority;
mod browser;
mod card_browser;
mod card_payments;
mod chart_browser;
mod circle_browser;
mod circle_health;
mod circle_pages;
mod circles;
mod confidentiality;
mod confirmations;
mod contrast;
mod conversation;
mod conversation_browser;
mod conversation_live;
mod conversation_pages;
mod error_pages;
mod event_browser;
mod event_edit;
mod event_pages;
mod event_rules;
mod events;
mod finance;
mod finding;
mod fund_restore;
mod gifts;
mod hardening;
mod hostile_text;
mod invitation_pages;
mod jobs;
mod leaders;
mod meetings;
mod memberships;
mod mfa;
mod mfa_pages;
mod my_registrations;
mod nav_browser;
mod offline;
mod ops;
mod page_checks;
mod pages_signed_in;
mod password_rules;
mod payments;
mod permissions;
mod pool;
mod profile;
mod query_plans;
mod read_statements;
mod reconciliation;
mod refunds;
mod robustness;
mod rsvp;
mod rsvp_browser;
mod scholarships;
mod session_cache;
mod shared_profiles;
mod sign_in_limits;
mod smtp;
mod subscription_browser;
mod subscriptions;
mod tls;
mod validation_pages;
mod wording;
mod zone_picker;
