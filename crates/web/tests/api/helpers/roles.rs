//! Roles, certifications, suspension and account assistance, through the API the way an
//! Admin, the Program Team or Support do them.

use super::{TestApp, User};
use reqwest::{Method, Response, StatusCode};
use serde_json::json;
use uuid::Uuid;

impl TestApp {
    /// `PUT /admin/users/{user}/roles/{role}` by `admin`.
    pub async fn put_role(&self, admin: &User, user: Uuid, role: &str) -> Response {
        let path = format!("/api/v1/admin/users/{user}/roles/{role}");
        self.call(Method::PUT, &path, Some(&admin.access_token), None)
            .await
    }

    /// `DELETE /admin/users/{user}/roles/{role}` by `admin`.
    pub async fn delete_role(&self, admin: &User, user: Uuid, role: &str) -> Response {
        let path = format!("/api/v1/admin/users/{user}/roles/{role}");
        self.call(Method::DELETE, &path, Some(&admin.access_token), None)
            .await
    }

    /// Records a facilitator certification (no expiry, no note) for `user`.
    pub async fn certify(&self, by: &User, user: Uuid) -> Response {
        self.post_as(
            &by.access_token,
            "/api/v1/certifications",
            json!({ "user_id": user }),
        )
        .await
    }

    /// Certifies `user` and grants the Facilitator role.
    pub async fn make_facilitator(&self, admin: &User, user: Uuid) {
        let res = self.certify(admin, user).await;
        assert_eq!(res.status(), StatusCode::CREATED, "certify {user}");
        let res = self.put_role(admin, user, "facilitator").await;
        assert_eq!(res.status(), StatusCode::OK, "grant facilitator to {user}");
    }

    /// A certified Facilitator called `name`.
    pub async fn facilitator(&self, admin: &User, name: &str) -> User {
        let user = self.named(name).await;
        self.make_facilitator(admin, user.id).await;
        user
    }

    /// A signed-in user holding `roles` (granted by `admin` through the API; Facilitator
    /// gets a certification first).
    pub async fn user_with_roles(&self, admin: &User, roles: &[&str]) -> User {
        let user = self.signed_up(&super::unique_email(&roles.join("-"))).await;
        for role in roles {
            match *role {
                "member" => {}
                "facilitator" => self.make_facilitator(admin, user.id).await,
                other => {
                    let res = self.put_role(admin, user.id, other).await;
                    assert_eq!(res.status(), StatusCode::OK, "grant {other}");
                }
            }
        }
        user
    }

    pub async fn suspend(&self, by: &User, user: Uuid, reason: &str) -> Response {
        self.post_as(
            &by.access_token,
            &format!("/api/v1/admin/users/{user}/suspend"),
            json!({ "reason": reason }),
        )
        .await
    }

    pub async fn reactivate(&self, by: &User, user: Uuid) -> Response {
        self.post_as(
            &by.access_token,
            &format!("/api/v1/admin/users/{user}/reactivate"),
            json!({}),
        )
        .await
    }

    /// A suspended account is shut out and told why: its session, its refresh token and
    /// signing in again are all refused with `account_suspended`.
    pub async fn assert_shut_out(&self, user: &User) {
        let answers = [
            self.get_as(&user.access_token, "/api/v1/me").await,
            self.refresh(&user.refresh_token).await,
            self.login(&user.email, &user.password).await,
        ];
        for res in answers {
            let what = res.url().path().to_owned();
            let code = super::refused(res, StatusCode::FORBIDDEN).await;
            assert_eq!(code, "account_suspended", "{what}");
        }
    }

    /// Support lifts a sign-in or two-step lockout.
    pub async fn unlock_account(&self, by: &User, user: Uuid) -> Response {
        self.post_as(
            &by.access_token,
            &format!("/api/v1/support/accounts/{user}/unlock"),
            json!({}),
        )
        .await
    }
}
