//! Facilitator certifications: a Program Team Member or Admin records that *another*
//! person is certified (who, when, optional expiry). The Facilitator role requires one that
//! is current. When the last one is revoked or expires, the role goes and the person stops
//! leading his circles at once (`authz::circle` checks the certification every time);
//! circles left without a certified leader are marked and their members and the Program
//! Team told (`circles::facilitation`).

pub mod directory;
pub mod jobs;

use crate::audit::{self, Action, Entry};
use crate::authz::{can, Granted};
use crate::circles::facilitation;
use crate::codes::error_codes;
use crate::{accounts, Context, Error, RequestMeta, Result};
use chrono::{DateTime, Utc};
use db::main_db::{facilitator_certifications as certs, user_roles};
use db::sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use domain::MultiLine;
use domain::Role;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

error_codes! {
    /// The certification feature's refusals, with their stable codes.
    pub enum CertificationError in "Certifications" {
        CannotCertifySelf = Forbidden("cannot_certify_self", "A certification needs a second person: ask another Program Team Member or an Admin."),
        AlreadyRevoked = Conflict("already_revoked", "This certification is already revoked."),
    }
}

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

impl Certification {
    fn at(c: certs::Model, now: DateTime<Utc>) -> Self {
        let current = c.revoked_at.is_none() && c.expires_at.is_none_or(|e| e > now);
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
    /// Training completed, assessor, …
    pub note: Option<MultiLine<1000>>,
}

pub(crate) fn current_filter(now: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(certs::Column::RevokedAt.is_null())
        .add(
            Condition::any()
                .add(certs::Column::ExpiresAt.is_null())
                .add(certs::Column::ExpiresAt.gt(now)),
        )
}

/// Whether the user holds a certification that is current at `now`.
#[tracing::instrument(skip_all, fields(user_id = %user_id), err(level = "info"))]
pub async fn is_current(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool> {
    Ok(certs::Entity::find()
        .filter(certs::Column::UserId.eq(user_id))
        .filter(current_filter(now))
        .one(db)
        .await?
        .is_some())
}

/// [`is_current`] inside the caller's write transaction. On PostgreSQL the certification
/// rows are share-locked, so a concurrent revocation either waits for the caller or is seen
/// by it (SQLite's write gate already serialises writers).
pub(crate) async fn is_current_locked(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool> {
    let mut query = certs::Entity::find()
        .filter(certs::Column::UserId.eq(user_id))
        .filter(current_filter(now));
    if db.get_database_backend() == DbBackend::Postgres {
        query = query.lock_shared();
    }
    Ok(query.one(db).await?.is_some())
}

#[tracing::instrument(skip_all, fields(user_id = %user_id), err(level = "info"))]
pub async fn of_user(ctx: &Context, user_id: Uuid) -> Result<Vec<Certification>> {
    let rows = certs::Entity::find()
        .filter(certs::Column::UserId.eq(user_id))
        .order_by_desc(certs::Column::CertifiedAt)
        .all(&ctx.main)
        .await?;
    let now = ctx.now();
    Ok(rows
        .into_iter()
        .map(|c| Certification::at(c, now))
        .collect())
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
#[tracing::instrument(skip_all, fields(actor_id = %_g.actor_id()), err(level = "info"))]
pub async fn find_candidate(
    ctx: &Context,
    _g: Granted<can::CertifyFacilitators>,
    raw_email: &str,
) -> Result<Candidate> {
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
#[tracing::instrument(skip_all, fields(actor_id = %_g.actor_id(), user_id = %user_id), err(level = "info"))]
pub async fn list(
    ctx: &Context,
    _g: Granted<can::CertifyFacilitators>,
    user_id: Uuid,
) -> Result<Vec<Certification>> {
    accounts::find_user(&ctx.main, user_id).await?;
    of_user(ctx, user_id).await
}

/// Records a certification of someone other than the certifier: nobody certifies himself.
#[tracing::instrument(skip_all, fields(actor_id = %g.actor_id()), err(level = "info"))]
pub async fn certify(
    ctx: &Context,
    meta: &RequestMeta,
    g: Granted<can::CertifyFacilitators>,
    input: &NewCertification,
) -> Result<Certification> {
    if input.user_id == g.actor_id() {
        return Err(CertificationError::CannotCertifySelf.into());
    }
    let note = input
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > 1000) {
        return Err(Error::invalid("note", "Keep the note to 1000 characters."));
    }
    let now = ctx.now();
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
        certified_by: Set(Some(g.actor_id())),
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
        Entry::new(Action::FacilitatorCertified)
            .by(g.actor_id())
            .user(input.user_id)
            .details(
                serde_json::json!({ "certification_id": row.id, "expires_at": input.expires_at }),
            ),
    )
    .await?;
    facilitation::certified_again(&txn, input.user_id).await?;
    txn.commit().await?;
    crate::accounts::announce(ctx, crate::accounts::Changed::User(input.user_id)).await;
    Ok(Certification::at(row, now))
}

/// Revokes a certification; when none current remains, the Facilitator role goes too.
#[tracing::instrument(skip_all, fields(actor_id = %g.actor_id(), certification_id = %certification_id), err(level = "info"))]
pub async fn revoke(
    ctx: &Context,
    meta: &RequestMeta,
    g: Granted<can::CertifyFacilitators>,
    certification_id: Uuid,
) -> Result<Certification> {
    let txn = db::begin_write(&ctx.main).await?;
    let row = certs::Entity::find_by_id(certification_id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("certification"))?;
    if row.revoked_at.is_some() {
        return Err(CertificationError::AlreadyRevoked.into());
    }
    let now = ctx.now();
    let row = certs::ActiveModel {
        id: Set(row.id),
        revoked_at: Set(Some(now)),
        revoked_by: Set(Some(g.actor_id())),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    audit::record(
        &txn,
        meta,
        Entry::new(Action::FacilitatorCertificationRevoked)
            .by(g.actor_id())
            .user(row.user_id)
            .details(serde_json::json!({ "certification_id": row.id })),
    )
    .await?;
    if !is_current(&txn, row.user_id, now).await? {
        lapse(
            ctx,
            &txn,
            meta,
            row.user_id,
            Some(g.actor_id()),
            "certification_revoked",
        )
        .await?;
    }
    txn.commit().await?;
    crate::accounts::announce(ctx, crate::accounts::Changed::User(row.user_id)).await;
    Ok(Certification::at(row, now))
}

/// A person has no current certification any more: the Facilitator role goes, and every
/// circle he led that no certified leader now leads is marked as needing one.
async fn lapse(
    ctx: &Context,
    txn: &impl ConnectionTrait,
    meta: &RequestMeta,
    user_id: Uuid,
    by: Option<Uuid>,
    because: &str,
) -> Result<()> {
    let removed = user_roles::Entity::delete_by_id((user_id, Role::Facilitator))
        .exec(txn)
        .await?;
    if removed.rows_affected > 0 {
        let mut entry = Entry::new(Action::RoleRemoved)
            .user(user_id)
            .details(serde_json::json!({ "role": Role::Facilitator, "because": because }));
        if let Some(by) = by {
            entry = entry.by(by);
        }
        audit::record(txn, meta, entry).await?;
    }
    facilitation::leader_lapsed(ctx, txn, meta, user_id).await
}

/// Finds people whose last certification has expired and lapses each of them, then marks
/// any circle left without a certified leader (a recurring job; running it twice changes
/// nothing). Returns how many people were lapsed.
#[tracing::instrument(skip_all, err(level = "info"))]
pub async fn lapse_expired(ctx: &Context) -> Result<usize> {
    let now = ctx.now();
    let holders: Vec<Uuid> = user_roles::Entity::find()
        .filter(user_roles::Column::Role.eq(Role::Facilitator))
        .all(&ctx.main)
        .await?
        .into_iter()
        .map(|r| r.user_id)
        .collect();
    let mut lapsed = 0;
    let meta = RequestMeta::system();
    for user_id in holders {
        let txn = db::begin_write(&ctx.main).await?;
        if is_current_locked(&txn, user_id, now).await? {
            continue;
        }
        audit::record(
            &txn,
            &meta,
            Entry::new(Action::FacilitatorCertificationExpired).user(user_id),
        )
        .await?;
        lapse(ctx, &txn, &meta, user_id, None, "certification_expired").await?;
        txn.commit().await?;
        crate::accounts::announce(ctx, crate::accounts::Changed::User(user_id)).await;
        lapsed += 1;
    }
    facilitation::mark_leaderless(ctx).await?;
    Ok(lapsed)
}
