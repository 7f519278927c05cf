//! The role × permission matrix over HTTP: for every global role, one representative
//! endpoint per permission answers as `domain::permission::grants` says — on SQLite and
//! PostgreSQL.

use crate::helpers::{circle_body, problem_code, unique_email, TestApp, User};
use domain::permission::{allows, Permission};
use domain::Role;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// A signed-in user holding exactly `role` (and Member).
async fn user_for(app: &TestApp, admin: &User, role: Role) -> User {
    match role {
        Role::Admin => admin.clone(),
        Role::Member => app.signed_up(&unique_email("member")).await,
        other => app.user_with_roles(admin, &[other.as_str()]).await,
    }
}

/// Read-only requests that stand for each permission checked over HTTP.
fn probes(permission: Permission, target: uuid::Uuid) -> Vec<String> {
    match permission {
        Permission::ManageUsers => vec!["/api/v1/admin/users".into()],
        Permission::AssistAccounts => vec![format!("/api/v1/support/accounts/{target}")],
        Permission::CertifyFacilitators => vec![format!("/api/v1/users/{target}/certifications")],
        Permission::ReadAuditLog => vec!["/api/v1/audit".into(), "/api/v1/audit/verify".into()],
        Permission::ManageOwnAccount => vec!["/api/v1/me".into()],
        _ => vec![],
    }
}

async fn assert_answer(app: &TestApp, who: &str, token: &str, path: &str, allowed: bool) {
    let res = app.get_as(token, path).await;
    if allowed {
        assert_eq!(
            res.status(),
            StatusCode::OK,
            "{who} should be allowed GET {path}: {}",
            res.text().await.unwrap()
        );
    } else {
        assert_eq!(
            res.status(),
            StatusCode::FORBIDDEN,
            "{who} must be refused GET {path}"
        );
        assert_eq!(problem_code(res).await, "forbidden", "{who} GET {path}");
    }
}

async fn every_role_gets_exactly_its_grants(app: TestApp) {
    let admin = app.admin().await;
    let target = app.signed_up("target@example.org").await;
    let mut checked = 0;
    for role in Role::ALL {
        let user = user_for(&app, &admin, role).await;
        let who = role.as_str();

        // The profile lists exactly the table's permissions, and the role itself.
        let me = app.me(&user).await;
        let expected: Vec<Value> = Permission::ALL
            .into_iter()
            .filter(|p| allows(&[Role::Member, role], *p))
            .map(|p| serde_json::to_value(p).unwrap())
            .collect();
        assert_eq!(me["permissions"], json!(expected), "{who}: {me}");
        assert!(
            me["roles"].as_array().unwrap().contains(&json!(who)),
            "{who}: {me}"
        );

        for permission in Permission::ALL {
            // Every account is also a Member; the table is what decides.
            let allowed = allows(&[Role::Member, role], permission);
            for path in probes(permission, target.id) {
                assert_answer(&app, who, &user.access_token, &path, allowed).await;
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 6 * 6, "six probes for each of six roles");
}

/// The same matrix for writes: each state-changing endpoint refuses those without the grant
/// and changes nothing.
async fn writes_are_refused_without_the_grant(app: TestApp) {
    let admin = app.admin().await;
    let target = app.signed_up("write-target@example.org").await;
    let fac = app.user_with_roles(&admin, &["facilitator"]).await;
    let circle = app.create_circle(&fac, circle_body("Guarded", 6)).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for role in Role::ALL {
        if role == Role::Admin {
            continue;
        }
        let user = user_for(&app, &admin, role).await;
        let who = role.as_str();
        let t = Some(user.access_token.as_str());
        let id = target.id;
        let cases: Vec<(Permission, Method, String, Option<Value>)> = vec![
            (
                Permission::ManageUsers,
                Method::PUT,
                format!("/api/v1/admin/users/{id}/roles/leadership"),
                None,
            ),
            (
                Permission::ManageUsers,
                Method::DELETE,
                format!("/api/v1/admin/users/{}/roles/admin", admin.id),
                None,
            ),
            (
                Permission::ManageUsers,
                Method::POST,
                format!("/api/v1/admin/users/{id}/suspend"),
                Some(json!({ "reason": "testing" })),
            ),
            (
                Permission::ManageUsers,
                Method::POST,
                format!("/api/v1/admin/users/{id}/reactivate"),
                None,
            ),
            (
                Permission::AssistAccounts,
                Method::POST,
                format!("/api/v1/support/accounts/{id}/unlock"),
                None,
            ),
            (
                Permission::AssistAccounts,
                Method::POST,
                format!("/api/v1/support/accounts/{id}/reset-mfa"),
                None,
            ),
            (
                Permission::CertifyFacilitators,
                Method::POST,
                "/api/v1/certifications".into(),
                Some(json!({ "user_id": id })),
            ),
            (
                Permission::StepInToCircles,
                Method::POST,
                format!("/api/v1/circles/{circle}/step-in"),
                Some(json!({ "reason": "Checking who may step in to a circle." })),
            ),
        ];
        for (permission, method, path, body) in cases {
            let allowed = allows(&[Role::Member, role], permission);
            let res = app.call(method.clone(), &path, t, body).await;
            if allowed {
                assert_ne!(res.status(), StatusCode::FORBIDDEN, "{who} {method} {path}");
                assert!(
                    res.status().as_u16() < 500,
                    "{who} {method} {path}: {}",
                    res.status()
                );
            } else {
                assert_eq!(res.status(), StatusCode::FORBIDDEN, "{who} {method} {path}");
                assert_eq!(problem_code(res).await, "forbidden");
            }
        }
    }
    // Nothing the refused callers tried took effect.
    let detail: Value = app
        .get_as(
            &admin.access_token,
            &format!("/api/v1/admin/users/{}", target.id),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(detail["status"], "active", "{detail}");
    assert_eq!(detail["roles"], json!(["member"]), "{detail}");
    let admin_me = app.me(&admin).await;
    assert!(admin_me["roles"]
        .as_array()
        .unwrap()
        .contains(&json!("admin")));
    // Nobody but an Admin stepped in: the circle's members were told of nothing.
    let inside = app
        .get_json(
            &fac.access_token,
            &format!("/api/v1/circles/{circle}/step-in"),
        )
        .await;
    assert_eq!(inside, Value::Null, "{inside}");
    app.step_in(&admin, &circle, "The one role that may step in, doing so.")
        .await;
}

/// Hard-coded spot checks, independent of the table, so a wrong edit of `grants` is caught.
async fn spot_checks(app: TestApp) {
    let admin = app.admin().await;
    let target = app.signed_up("spot@example.org").await;
    let support = app.user_with_roles(&admin, &["support"]).await;
    let leadership = app.user_with_roles(&admin, &["leadership"]).await;
    let ptm = app.user_with_roles(&admin, &["program_team_member"]).await;
    let facilitator = app.user_with_roles(&admin, &["facilitator"]).await;
    let certs = format!("/api/v1/users/{}/certifications", target.id);
    let account = format!("/api/v1/support/accounts/{}", target.id);

    // Support helps with accounts but cannot list users or read the audit log.
    assert_answer(
        &app,
        "support",
        &support.access_token,
        "/api/v1/admin/users",
        false,
    )
    .await;
    assert_answer(&app, "support", &support.access_token, &account, true).await;
    assert_answer(
        &app,
        "support",
        &support.access_token,
        "/api/v1/audit",
        false,
    )
    .await;
    assert_answer(&app, "support", &support.access_token, &certs, false).await;
    // Leadership reads the audit log, nothing administrative.
    assert_answer(
        &app,
        "leadership",
        &leadership.access_token,
        "/api/v1/audit",
        true,
    )
    .await;
    assert_answer(
        &app,
        "leadership",
        &leadership.access_token,
        "/api/v1/audit/verify",
        true,
    )
    .await;
    assert_answer(
        &app,
        "leadership",
        &leadership.access_token,
        "/api/v1/admin/users",
        false,
    )
    .await;
    assert_answer(
        &app,
        "leadership",
        &leadership.access_token,
        &account,
        false,
    )
    .await;
    assert_answer(&app, "leadership", &leadership.access_token, &certs, false).await;
    // The Program Team certifies facilitators.
    assert_answer(&app, "ptm", &ptm.access_token, &certs, true).await;
    let res = app.certify(&ptm, target.id).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_answer(&app, "ptm", &ptm.access_token, "/api/v1/audit", false).await;
    assert_answer(&app, "ptm", &ptm.access_token, "/api/v1/admin/users", false).await;
    // A Facilitator does not certify others, nor read the log.
    assert_answer(
        &app,
        "facilitator",
        &facilitator.access_token,
        &certs,
        false,
    )
    .await;
    assert_answer(
        &app,
        "facilitator",
        &facilitator.access_token,
        "/api/v1/audit",
        false,
    )
    .await;
    assert_answer(
        &app,
        "facilitator",
        &facilitator.access_token,
        "/api/v1/me",
        true,
    )
    .await;
    // A Member reaches only their own account.
    assert_answer(&app, "member", &target.access_token, "/api/v1/me", true).await;
    assert_answer(
        &app,
        "member",
        &target.access_token,
        "/api/v1/admin/users",
        false,
    )
    .await;
    // Admin has everything.
    for path in ["/api/v1/admin/users", "/api/v1/audit", &account, &certs] {
        assert_answer(&app, "admin", &admin.access_token, path, true).await;
    }

    // Roles combine: Support + Leadership may assist and read the log, still not manage users.
    let both = app
        .user_with_roles(&admin, &["support", "leadership"])
        .await;
    assert_answer(
        &app,
        "support+leadership",
        &both.access_token,
        &account,
        true,
    )
    .await;
    assert_answer(
        &app,
        "support+leadership",
        &both.access_token,
        "/api/v1/audit",
        true,
    )
    .await;
    assert_answer(
        &app,
        "support+leadership",
        &both.access_token,
        "/api/v1/admin/users",
        false,
    )
    .await;

    // Taking a role away takes its permission away at once (same access token).
    let res = app.delete_role(&admin, leadership.id, "leadership").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_answer(
        &app,
        "ex-leadership",
        &leadership.access_token,
        "/api/v1/audit",
        false,
    )
    .await;
}

async fn unauthenticated_requests_are_refused(app: TestApp) {
    let admin = app.admin().await;
    let paths = [
        "/api/v1/me".to_owned(),
        "/api/v1/admin/users".to_owned(),
        "/api/v1/audit".to_owned(),
        "/api/v1/audit/verify".to_owned(),
        format!("/api/v1/support/accounts/{}", admin.id),
        format!("/api/v1/users/{}/certifications", admin.id),
    ];
    for path in &paths {
        let res = app.get(path).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(problem_code(res).await, "unauthenticated", "{path}");

        for garbage in [
            "garbage",
            "eyJhbGciOiJIUzI1NiJ9.e30.AAAA",
            &admin.refresh_token,
        ] {
            let res = app.call(Method::GET, path, Some(garbage), None).await;
            assert_eq!(
                res.status(),
                StatusCode::UNAUTHORIZED,
                "{path} with {garbage}"
            );
            let code = problem_code(res).await;
            assert_ne!(code, "forbidden", "{path}");
        }

        // A scheme other than Bearer is not a credential.
        let res = app
            .client
            .get(app.url(path))
            .header("authorization", format!("Basic {}", admin.access_token))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{path} basic");
    }
    // Writes too.
    let res = app
        .call(
            Method::PUT,
            &format!("/api/v1/admin/users/{}/roles/support", admin.id),
            None,
            None,
        )
        .await;
    assert_eq!(problem_code(res).await, "unauthenticated");
    // And the real token still works, so the refusals above were about the credential.
    assert_eq!(
        app.get_as(&admin.access_token, "/api/v1/admin/users")
            .await
            .status(),
        StatusCode::OK
    );
}

crate::on_both_backends!(
    every_role_gets_exactly_its_grants,
    writes_are_refused_without_the_grant,
    spot_checks,
    unauthenticated_requests_are_refused
);
