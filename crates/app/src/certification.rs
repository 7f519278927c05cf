//! Facilitator certifications: a Program Team Member or Admin records that a person is
//! certified (who, when, optional expiry). The Facilitator role requires one that is
//! current; revoking the last one removes the role.

use crate::audit::{self, Entry};
use crate::authz::Granted;
use crate::{accounts, Context, Error, RequestMeta, Result};
use chrono::{DateTime, Utc};
use db::main_db::{facilitator_certifications as certs, user_roles};
use db::sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use domain::Role;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Certification {
    pub id: Uuid,
    pub user_id: Uuid,
    pub certified_by: Option<Uuid>,
    pub certified_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub note: Option<String>,
    /// Neither expired nor revoked.
    pub current: bool,
}

impl From<certs::Model> for Certification {
    fn from(c: certs::Model) -> Self {
        let current = c.revoked_at.is_none() && c.expires_at.is_none_or(|e| e > Utc::now());
        Certification {
            id: c.id,
            user_id: c.user_id,
            certified_by: c.certified_by,
            certified_at: c.certified_at,
            expires_at: c.expires_at,
            revoked_at: c.revoked_at,
            note: c.note,
            current,
        }
    }
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct NewCertification {
    pub user_id: Uuid,
    /// When the certification lapses; none for no expiry.
    #[serde(default, deserialize_with = "domain::dates::de_optional_instant")]
    pub expires_at: Option<DateTime<Utc>>,
    /// Training completed, assessor, … (up to 1000 characters).
    pub note: Option<String>,
}

fn current_filter(now: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(certs::Column::RevokedAt.is_null())
        .add(
            Condition::any()
                .add(certs::Column::ExpiresAt.is_null())
                .add(certs::Column::ExpiresAt.gt(now)),
        )
}

pub async fn is_certified(ctx: &Context, user_id: Uuid) -> Result<bool> {
    is_certified_in(&ctx.main, user_id).await
}

/// Whether the user holds a current certification, read inside the caller's write
/// transaction. On PostgreSQL the certification rows are share-locked, so a concurrent
/// revocation either waits for the caller or is seen by it (SQLite's write gate already
/// serialises writers).
pub(crate) async fn is_certified_in(db: &impl ConnectionTrait, user_id: Uuid) -> Result<bool> {
    let mut query = certs::Entity::find()
        .filter(certs::Column::UserId.eq(user_id))
        .filter(current_filter(Utc::now()));
    if db.get_database_backend() == DbBackend::Postgres {
        query = query.lock_shared();
    }
    Ok(query.one(db).await?.is_some())
}

pub async fn of_user(ctx: &Context, user_id: Uuid) -> Result<Vec<Certification>> {
    let rows = certs::Entity::find()
        .filter(certs::Column::UserId.eq(user_id))
        .order_by_desc(certs::Column::CertifiedAt)
        .all(&ctx.main)
        .await?;
    Ok(rows.into_iter().map(Certification::from).collect())
}

/// Whom a certifier is looking at: enough to be sure it is the right person, no more.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Candidate {
    pub user_id: Uuid,
    pub email: String,
    pub display_name: String,
}

/// Finds a person by their exact email address, so a certifier (who may not manage users)
/// can record a certification for them. Needs `CertifyFacilitators`.
pub async fn find_candidate(ctx: &Context, _g: Granted, raw_email: &str) -> Result<Candidate> {
    let email = domain::Email::parse(raw_email)?;
    let user = accounts::find_user_by_email(&ctx.main, email.as_str())
        .await?
        .ok_or(Error::NotFound("account"))?;
    Ok(Candidate {
        user_id: user.id,
        email: user.email,
        display_name: user.display_name,
    })
}

/// Lists a user's certifications (needs `CertifyFacilitators`).
pub async fn list(ctx: &Context, _g: Granted, user_id: Uuid) -> Result<Vec<Certification>> {
    accounts::find_user(&ctx.main, user_id).await?;
    of_user(ctx, user_id).await
}

pub async fn certify(
    ctx: &Context,
    meta: &RequestMeta,
    g: Granted,
    input: &NewCertification,
) -> Result<Certification> {
    let note = input
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > 1000) {
        return Err(Error::invalid("note", "Keep the note to 1000 characters."));
    }
    let now = Utc::now();
    if input.expires_at.is_some_and(|e| e <= now) {
        return Err(Error::invalid(
            "expires_at",
            "The expiry must be in the future.",
        ));
    }
    accounts::find_user(&ctx.main, input.user_id).await?;
    let txn = db::begin_write(&ctx.main).await?;
    let row = certs::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(input.user_id),
        certified_by: Set(Some(g.actor_id)),
        certified_at: Set(now),
        expires_at: Set(input.expires_at),
        revoked_at: Set(None),
        revoked_by: Set(None),
        note: Set(note.map(str::to_owned)),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        meta,
        Entry::new("facilitator_certified")
            .by(g.actor_id)
            .user(input.user_id)
            .details(
                serde_json::json!({ "certification_id": row.id, "expires_at": input.expires_at }),
            ),
    )
    .await?;
    txn.commit().await?;
    Ok(row.into())
}

/// Revokes a certification; when none current remains, the Facilitator role goes too.
pub async fn revoke(
    ctx: &Context,
    meta: &RequestMeta,
    g: Granted,
    certification_id: Uuid,
) -> Result<Certification> {
    let txn = db::begin_write(&ctx.main).await?;
    let row = certs::Entity::find_by_id(certification_id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("certification"))?;
    if row.revoked_at.is_some() {
        return Err(Error::conflict(
            "already_revoked",
            "This certification is already revoked.",
        ));
    }
    let now = Utc::now();
    let row = certs::ActiveModel {
        id: Set(row.id),
        revoked_at: Set(Some(now)),
        revoked_by: Set(Some(g.actor_id)),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    audit::record(
        &txn,
        meta,
        Entry::new("facilitator_certification_revoked")
            .by(g.actor_id)
            .user(row.user_id)
            .details(serde_json::json!({ "certification_id": row.id })),
    )
    .await?;
    let still_current = certs::Entity::find()
        .filter(certs::Column::UserId.eq(row.user_id))
        .filter(current_filter(now))
        .one(&txn)
        .await?
        .is_some();
    if !still_current {
        let removed =
            user_roles::Entity::delete_by_id((row.user_id, Role::Facilitator.as_str().to_owned()))
                .exec(&txn)
                .await?;
        if removed.rows_affected > 0 {
            audit::record(
                &txn,
                meta,
                Entry::new("role_removed").by(g.actor_id).user(row.user_id).details(serde_json::json!({ "role": Role::Facilitator, "because": "certification_revoked" })),
            )
            .await?;
        }
    }
    txn.commit().await?;
    Ok(row.into())
}
