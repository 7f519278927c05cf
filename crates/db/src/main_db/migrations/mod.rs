//! Forward-only migrations of the `main` database, one file each, applied in the order
//! listed. Never edit one that has landed: add the next `mNNNN_<name>.rs` instead (see the
//! crate documentation).

mod m0001_accounts;
mod m0002_profiles;
mod m0003_circles;
mod m0004_events;
mod m0005_confidentiality;
mod m0006_job_effects;
mod m0007_meeting_rsvps;
mod m0008_conversations;
mod m0009_note_field_key;
mod m0010_sealed_requests;
mod m0011_payments;
mod m0012_stripe_events;
mod m0013_refunds;
mod m0014_scholarships;
mod m0015_memberships;
mod m0016_card_subscriptions;
mod m0017_list_indexes;
mod m0018_card_gifts;

use sea_orm_migration::prelude::*;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_accounts::Migration),
            Box::new(m0002_profiles::Migration),
            Box::new(m0003_circles::Migration),
            Box::new(m0004_events::Migration),
            Box::new(m0005_confidentiality::Migration),
            Box::new(m0006_job_effects::Migration),
            Box::new(m0007_meeting_rsvps::Migration),
            Box::new(m0008_conversations::Migration),
            Box::new(m0009_note_field_key::Migration),
            Box::new(m0010_sealed_requests::Migration),
            Box::new(m0011_payments::Migration),
            Box::new(m0012_stripe_events::Migration),
            Box::new(m0013_refunds::Migration),
            Box::new(m0014_scholarships::Migration),
            Box::new(m0015_memberships::Migration),
            Box::new(m0016_card_subscriptions::Migration),
            Box::new(m0017_list_indexes::Migration),
            Box::new(m0018_card_gifts::Migration),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_in_order() {
        crate::schema::assert_numbered_in_order(&Migrator::migrations());
    }
}
