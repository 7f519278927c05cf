//! The signed-in user's own account: what the profile shows and how it is edited.

use crate::audit::{self, Action, Entry};
use crate::authz::Actor;
use crate::{Checks, Context, RequestMeta, Result};
use chrono::{DateTime, Utc};
use db::main_db::users;
use db::sea_orm::{ActiveModelTrait, Set};
use domain::{Bio, City, DisplayName, DomainError, FullName, Permission, Phone, Role, TimeZone};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Profile {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub email_verified: bool,
    #[schema(value_type = Vec<crate::api_schema::Role>)]
    pub roles: Vec<Role>,
    /// What the roles allow, so a client can show only what applies.
    #[schema(value_type = Vec<crate::api_schema::Permission>)]
    pub permissions: Vec<Permission>,
    pub mfa_enabled: bool,
    pub created_at: DateTime<Utc>,
    pub full_name: Option<String>,
    pub phone: Option<String>,
    pub city: Option<String>,
    /// IANA time zone, e.g. `Europe/Berlin`.
    #[schema(example = "Europe/Berlin")]
    pub time_zone: Option<String>,
    pub bio: Option<String>,
    /// Where the profile photo is served to signed-in people (browser session or bearer
    /// token). The query changes whenever the photo does, so the image can be cached for
    /// good. Absent without a photo.
    #[schema(example = "/users/0190f1c2-7a3b-7cde-8f00-112233445566/photo?v=1732430000000")]
    pub photo_url: Option<String>,
}

/// Changes to my profile. A field left out (or `null`) stays as it is; an empty string
/// clears an optional field. The display name cannot be cleared.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct ProfileChanges {
    /// 1–64 characters: the name other members see.
    pub display_name: Option<String>,
    /// Up to 100 characters.
    pub full_name: Option<String>,
    /// Digits, spaces, `+` (leading), `-` and parentheses; 6–32 characters.
    #[schema(example = "+49 30 1234567")]
    pub phone: Option<String>,
    /// Up to 100 characters.
    pub city: Option<String>,
    /// An IANA time zone name.
    #[schema(example = "Europe/Berlin")]
    pub time_zone: Option<String>,
    /// Up to 500 characters; line breaks are kept.
    pub bio: Option<String>,
}

/// The URL a user's photo is served at, or `None` without a photo.
pub fn photo_url(user: &users::Model) -> Option<String> {
    user.photo_version
        .map(|v| format!("/users/{}/photo?v={v}", user.id))
}

#[tracing::instrument(skip_all, fields(actor_id = %actor.id()), err(level = "info"))]
pub async fn me(ctx: &Context, actor: &Actor) -> Result<Profile> {
    let mfa_enabled = super::mfa::mfa_enabled(ctx, actor.id()).await?;
    let u = &actor.user;
    Ok(Profile {
        id: u.id,
        email: u.email.clone(),
        display_name: u.display_name.clone(),
        email_verified: u.email_verified_at.is_some(),
        roles: actor.roles.clone(),
        permissions: actor.permissions(),
        mfa_enabled,
        created_at: u.created_at,
        full_name: u.full_name.clone(),
        phone: u.phone.clone(),
        city: u.city.clone(),
        time_zone: u.time_zone.clone(),
        bio: u.bio.clone(),
        photo_url: photo_url(u),
    })
}

/// An optional field's new value: `None` when not sent, `Some(None)` to clear it (blank),
/// `Some(Some(v))` to set it. A broken rule is collected in `checks` (and the field is
/// then left alone: nothing is written while any rule is broken).
fn optional<T>(
    checks: &mut Checks,
    raw: &Option<String>,
    parse: fn(&str) -> std::result::Result<T, DomainError>,
    into: fn(T) -> String,
) -> Option<Option<String>> {
    let raw = raw.as_deref()?;
    if raw.trim().is_empty() {
        return Some(None);
    }
    checks.check(parse(raw)).map(|v| Some(into(v)))
}

/// Saves the fields `changes` carries, all or none: every broken rule is reported at once,
/// each under its field name.
#[tracing::instrument(skip_all, fields(actor_id = %actor.id()), err(level = "info"))]
pub async fn update_profile(
    ctx: &Context,
    meta: &RequestMeta,
    actor: &Actor,
    changes: &ProfileChanges,
) -> Result<Profile> {
    actor.require::<crate::authz::can::ManageOwnAccount>()?;
    let mut checks = Checks::default();
    let display_name = changes
        .display_name
        .as_deref()
        .and_then(|n| checks.check(DisplayName::parse(n)))
        .map(DisplayName::into_inner);
    let full_name = optional(
        &mut checks,
        &changes.full_name,
        FullName::parse,
        FullName::into_inner,
    );
    let phone = optional(&mut checks, &changes.phone, Phone::parse, Phone::into_inner);
    let city = optional(&mut checks, &changes.city, City::parse, City::into_inner);
    let time_zone = optional(&mut checks, &changes.time_zone, TimeZone::parse, |tz| {
        tz.name().to_owned()
    });
    let bio = optional(&mut checks, &changes.bio, Bio::parse, Bio::into_inner);
    checks.finish()?;

    let mut row = users::ActiveModel {
        id: Set(actor.id()),
        ..Default::default()
    };
    // Only field names go to the audit log: the values are personal data.
    let mut changed: Vec<&str> = Vec::new();
    if let Some(v) = display_name {
        row.display_name = Set(v);
        changed.push("display_name");
    }
    let optional_fields = [
        ("full_name", full_name, &mut row.full_name),
        ("phone", phone, &mut row.phone),
        ("city", city, &mut row.city),
        ("time_zone", time_zone, &mut row.time_zone),
        ("bio", bio, &mut row.bio),
    ];
    for (name, value, column) in optional_fields {
        if let Some(v) = value {
            *column = Set(v);
            changed.push(name);
        }
    }
    let mut actor = actor.clone();
    if changed.is_empty() {
        return me(ctx, &actor).await;
    }
    row.updated_at = Set(ctx.now());
    let txn = db::begin_write(&ctx.main).await?;
    let updated = row.update(&txn).await?;
    audit::record(
        &txn,
        meta,
        Entry::new(Action::ProfileUpdated)
            .by(actor.id())
            .user(actor.id())
            .details(serde_json::json!({ "fields": changed })),
    )
    .await?;
    txn.commit().await?;
    crate::accounts::announce(ctx, crate::accounts::Changed::User(actor.id())).await;
    actor.user = updated;
    me(ctx, &actor).await
}
