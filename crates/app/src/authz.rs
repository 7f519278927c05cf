//! Authorization, in one place: who the actor is, which global permissions their roles
//! grant (`domain::permission`), and resource checks built on them. Every use case asks
//! here; no handler decides by itself.

use crate::{Error, Result};
use db::main_db::{user_roles, users};
use db::sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use domain::{permission, Permission, Role};
use uuid::Uuid;

/// The signed-in user a request acts for.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user: users::Model,
    pub roles: Vec<Role>,
    /// The session the request belongs to.
    pub session_id: Uuid,
}

/// Proof that an actor holds a permission: use cases that need one take it as an argument,
/// so they cannot be reached without the check.
#[derive(Debug, Clone, Copy)]
pub struct Granted {
    pub permission: Permission,
    pub actor_id: Uuid,
}

impl Actor {
    pub fn id(&self) -> Uuid {
        self.user.id
    }

    pub fn can(&self, p: Permission) -> bool {
        permission::allows(&self.roles, p)
    }

    /// The permission, or `Forbidden`.
    pub fn require(&self, p: Permission) -> Result<Granted> {
        if self.can(p) {
            Ok(Granted {
                permission: p,
                actor_id: self.user.id,
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

/// The roles a user holds, Member first. Unknown names in storage are ignored.
pub async fn roles_of(db: &impl ConnectionTrait, user_id: Uuid) -> Result<Vec<Role>> {
    let rows = user_roles::Entity::find()
        .filter(user_roles::Column::UserId.eq(user_id))
        .all(db)
        .await?;
    let mut roles: Vec<Role> = rows.iter().filter_map(|r| Role::parse(&r.role)).collect();
    roles.sort();
    Ok(roles)
}
