//! The `main` database: everything except secrets.

pub mod attendance;
pub mod audit_log;
pub mod circle_invitations;
pub mod circle_memberships;
pub mod circle_step_ins;
pub mod circles;
pub mod conversation_devices;
pub mod conversation_envelopes;
pub mod conversation_epochs;
pub mod conversation_identities;
pub mod conversation_key_archive;
pub mod conversation_messages;
pub mod conversation_participants;
pub mod conversation_rosters;
pub mod conversation_settings;
pub mod event_circles;
pub mod event_registrations;
pub mod events;
pub mod facilitator_certifications;
pub mod idempotency_keys;
pub mod job_effects;
pub mod jobs;
pub mod ledger_entries;
pub mod meeting_rsvps;
pub mod meetings;
pub mod membership_plans;
pub mod memberships;
mod migrations;
pub mod payments;
pub mod user_photos;
pub mod user_roles;
pub mod users;
pub mod venues;

pub use migrations::Migrator;
