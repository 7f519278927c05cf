//! Authorization, in one place: who the actor is, which global permissions his roles grant
//! (`domain::permission`), and the resource checks built on them — how he stands in a
//! circle ([`circle`]) and whether he organises an event ([`event`]).
//!
//! Every check hands back a *proof* rather than a bool: [`Granted<C>`] for a global
//! capability, [`circle::Leading`] and [`circle::InCircle`] for one circle,
//! [`event::Organising`] for one event. Their fields are private, so only this module can
//! make them, and the use cases that act take them as arguments: code that did not ask
//! cannot even call the operation. Proofs are made from the state as it is now (current
//! membership, current certification, current roles), every time.

pub mod circle;
pub mod event;

use crate::codes::error_codes;
use crate::{Error, Result};
use db::main_db::{user_roles, users};
use db::sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use domain::{permission, Permission, Role};
use std::marker::PhantomData;
use uuid::Uuid;

error_codes! {
    /// Why Support or an Admin may not assist an account.
    pub enum AssistError in "Support" {
        CannotAssistSelf = Forbidden("cannot_assist_self", "Use your own Security page for your own account."),
        AdminOnlyAccount = Forbidden("admin_only_account", "This account holds a role above Facilitator; only an Admin can help with it."),
    }
}

/// The signed-in user a request acts for.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user: users::Model,
    pub roles: Vec<Role>,
    /// The session the request belongs to.
    pub session_id: Uuid,
}

#[cfg(test)]
impl Actor {
    /// An active, verified person with `roles`, for unit tests of rules that take an actor.
    pub(crate) fn for_tests(
        id: Uuid,
        roles: &[Role],
        session_id: Uuid,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Actor {
        Actor {
            user: users::Model {
                id,
                email: "someone@example.org".into(),
                display_name: "Someone".into(),
                status: domain::UserStatus::Active,
                email_verified_at: Some(now),
                last_login_at: None,
                suspended_at: None,
                suspended_reason: None,
                created_at: now,
                updated_at: now,
                full_name: None,
                phone: None,
                city: None,
                time_zone: None,
                bio: None,
                photo_version: None,
            },
            roles: roles.to_vec(),
            session_id,
        }
    }
}

/// A global capability, named after the [`Permission`] it stands for.
pub trait Capability {
    const PERMISSION: Permission;
}

/// The capabilities, one type per [`Permission`]: `Granted<can::ManageUsers>`.
pub mod can {
    use super::{Capability, Permission};

    macro_rules! capabilities {
        ($($name:ident),+ $(,)?) => {$(
            #[doc = concat!("The capability behind `Permission::", stringify!($name), "`.")]
            #[derive(Debug, Clone, Copy)]
            pub struct $name;
            impl Capability for $name {
                const PERMISSION: Permission = Permission::$name;
            }
        )+};
    }

    capabilities!(
        ManageOwnAccount,
        Participate,
        CreateCircles,
        CreateProgrammeEvents,
        CertifyFacilitators,
        ViewOrgReports,
        ViewFinancialReports,
        IssueRefunds,
        RecordPayments,
        ReviewScholarships,
        ManageUsers,
        AssistAccounts,
        ReadAuditLog,
        StepInToCircles,
        ManageMemberships,
    );
}

/// Proof that an actor held capability `C` when asked. Only [`Actor::require`] makes one.
#[derive(Debug, Clone, Copy)]
pub struct Granted<C: Capability> {
    actor_id: Uuid,
    capability: PhantomData<C>,
}

/// Proof that the actor may review scholarship requests (their reasons included) and see
/// the scholarship fund: Program Team Members and Admins.
pub type ReviewingScholarships = Granted<can::ReviewScholarships>;

impl<C: Capability> Granted<C> {
    /// Who holds it.
    pub fn actor_id(&self) -> Uuid {
        self.actor_id
    }
}

impl Actor {
    pub fn id(&self) -> Uuid {
        self.user.id
    }

    pub fn can(&self, p: Permission) -> bool {
        permission::allows(&self.roles, p)
    }

    /// The proof of capability `C`, or `Forbidden`.
    pub fn require<C: Capability>(&self) -> Result<Granted<C>> {
        if self.can(C::PERMISSION) {
            Ok(Granted {
                actor_id: self.user.id,
                capability: PhantomData,
            })
        } else {
            Err(Error::Forbidden)
        }
    }

    /// Every permission the actor holds, for the client to shape its navigation.
    pub fn permissions(&self) -> Vec<Permission> {
        Permission::ALL
            .into_iter()
            .filter(|p| self.can(*p))
            .collect()
    }
}

/// The roles a user holds, Member first.
#[tracing::instrument(skip_all, fields(user_id = %user_id), err(level = "info"))]
pub async fn roles_of(db: &impl ConnectionTrait, user_id: Uuid) -> Result<Vec<Role>> {
    let rows = user_roles::Entity::find()
        .filter(user_roles::Column::UserId.eq(user_id))
        .all(db)
        .await?;
    let mut roles: Vec<Role> = rows.iter().map(|r| r.role).collect();
    roles.sort();
    Ok(roles)
}

/// Proof that the actor may assist one account (look it up, resend its verification,
/// unlock it, reset its two-step verification).
#[derive(Debug, Clone, Copy)]
pub struct Assisting {
    actor_id: Uuid,
    subject_id: Uuid,
}

impl Assisting {
    pub fn actor_id(&self) -> Uuid {
        self.actor_id
    }

    /// The account being helped.
    pub fn subject_id(&self) -> Uuid {
        self.subject_id
    }
}

/// The proof that `actor` may assist the account `subject_id`: Support helps ordinary
/// accounts (Members and Facilitators), Admins every account but their own, which they
/// manage from their own pages.
#[tracing::instrument(skip_all, fields(actor_id = %actor.id(), subject_id = %subject_id), err(level = "info"))]
pub async fn assist(
    db: &impl ConnectionTrait,
    actor: &Actor,
    _g: Granted<can::AssistAccounts>,
    subject_id: Uuid,
) -> Result<Assisting> {
    if subject_id == actor.id() {
        return Err(AssistError::CannotAssistSelf.into());
    }
    let subject = roles_of(db, subject_id).await?;
    if permission::may_assist(&actor.roles, &subject) {
        Ok(Assisting {
            actor_id: actor.id(),
            subject_id,
        })
    } else {
        Err(AssistError::AdminOnlyAccount.into())
    }
}
