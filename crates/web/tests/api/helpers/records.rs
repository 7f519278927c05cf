//! Straight to storage, for what no endpoint shows or does: the audit log, the job queue,
//! and people inserted without the sign-up flow.

use super::TestApp;
use chrono::Utc;
use db::main_db::{audit_log, jobs, users};
use db::sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

impl TestApp {
    /// Actions in the audit log, oldest first.
    pub async fn audit_actions(&self) -> Vec<String> {
        audit_log::Entity::find()
            .order_by_asc(audit_log::Column::Seq)
            .all(&self.ctx.main)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.action)
            .collect()
    }

    /// Audit records (oldest first) with this action.
    pub async fn audit_records(&self, action: &str) -> Vec<audit_log::Model> {
        audit_log::Entity::find()
            .filter(audit_log::Column::Action.eq(action))
            .order_by_asc(audit_log::Column::Seq)
            .all(&self.ctx.main)
            .await
            .unwrap()
    }

    /// Every row of the job queue.
    pub async fn jobs(&self) -> Vec<jobs::Model> {
        jobs::Entity::find().all(&self.ctx.main).await.unwrap()
    }

    /// A verified, active member inserted straight into storage (no password, no mail:
    /// load tests should not spend their time hashing and mailing).
    pub async fn quiet_member(&self, n: usize) -> users::Model {
        let now = Utc::now();
        let id = Uuid::now_v7();
        users::ActiveModel {
            id: Set(id),
            email: Set(format!("quiet-{n}-{}@example.org", id.simple())),
            display_name: Set(format!("Quiet {n}")),
            status: Set(domain::UserStatus::Active),
            email_verified_at: Set(Some(now)),
            last_login_at: Set(None),
            suspended_at: Set(None),
            suspended_reason: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            full_name: Set(None),
            phone: Set(None),
            city: Set(None),
            time_zone: Set(None),
            bio: Set(None),
            photo_version: Set(None),
        }
        .insert(&self.ctx.main)
        .await
        .unwrap()
    }
}
