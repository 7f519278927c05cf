//! User administration, facilitator certifications, account assistance and the audit log —
//! end to end over HTTP, on SQLite and PostgreSQL.

use crate::helpers::{problem_code, refused, TestApp, PASSWORD};
use app::config::Settings;
use db::sea_orm::ConnectionTrait;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::HashSet;
use uuid::Uuid;

/// Registers (without verifying) an account with this display name; returns its id.
async fn registered(app: &TestApp, email: &str, name: &str) -> Uuid {
    let res = app.register(email, PASSWORD, name).await;
    assert_eq!(res.status(), StatusCode::ACCEPTED, "register {email}");
    app.user_id(email).await
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect()
}

fn emails(page: &Value) -> Vec<String> {
    let mut v: Vec<String> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap().to_owned())
        .collect();
    v.sort();
    v
}

// ---------------------------------------------------------------- users: list and search

async fn users_list_pages_and_searches(app: TestApp) {
    let admin = app.admin().await;
    let zeb = registered(&app, "alpha.one@example.org", "Zebulon Quartz").await;
    let percent = registered(&app, "bravo@example.org", "Hundred 100% Man").await;
    let under = registered(&app, "under_score@example.org", "Charlie").await;
    let d = registered(&app, "delta@example.org", "Delta Person").await;
    let e = registered(&app, "echo@example.org", "Echo Person").await;
    let mut all: Vec<String> = [zeb, percent, under, d, e, admin.id]
        .iter()
        .map(Uuid::to_string)
        .collect();
    all.sort();

    // Everything on one page, newest first.
    let page = app
        .get_json(&admin.access_token, "/api/v1/admin/users?limit=200")
        .await;
    assert!(page["next_cursor"].is_null(), "{page}");
    let first = ids(&page);
    assert_eq!(first.len(), 6);
    assert_eq!(first[0], e.to_string(), "newest first");
    let mut sorted = first.clone();
    sorted.sort();
    assert_eq!(sorted, all);
    let item = &page["items"][0];
    assert_eq!(item["email"], "echo@example.org");
    assert_eq!(item["display_name"], "Echo Person");
    assert_eq!(item["email_verified"], false);
    assert_eq!(item["status"], "active");
    assert_eq!(item["roles"], json!(["member"]));
    assert!(
        !page.to_string().contains("password"),
        "no credential in the list"
    );

    // Pages of two cover everything exactly once, in the same order.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/admin/users?limit=2&cursor={c}"),
            None => "/api/v1/admin/users?limit=2".to_owned(),
        };
        let page = app.get_json(&admin.access_token, &path).await;
        let items = ids(&page);
        assert!(items.len() <= 2);
        seen.extend(items);
        pages += 1;
        assert!(pages <= 10, "paging does not end");
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, first, "pages in order, no duplicates, none missing");
    assert_eq!(pages, 3);
    let unique: HashSet<_> = seen.iter().collect();
    assert_eq!(unique.len(), 6);

    let search = |q: &str| format!("/api/v1/admin/users?q={}", urlencode(q));
    // Part of an email, any case.
    let page = app.get_json(&admin.access_token, &search("ALPHA.On")).await;
    assert_eq!(emails(&page), ["alpha.one@example.org"]);
    // Part of a display name, any case.
    let page = app.get_json(&admin.access_token, &search("bULON qu")).await;
    assert_eq!(emails(&page), ["alpha.one@example.org"]);
    let page = app.get_json(&admin.access_token, &search("person")).await;
    assert_eq!(emails(&page), ["delta@example.org", "echo@example.org"]);
    // Wildcards are literal.
    let page = app.get_json(&admin.access_token, &search("%")).await;
    assert_eq!(emails(&page), ["bravo@example.org"]);
    let page = app.get_json(&admin.access_token, &search("_")).await;
    assert_eq!(emails(&page), ["under_score@example.org"]);
    let page = app.get_json(&admin.access_token, &search("r_s")).await;
    assert_eq!(emails(&page), ["under_score@example.org"]);
    let page = app.get_json(&admin.access_token, &search("a%e")).await;
    assert_eq!(emails(&page), Vec::<String>::new());
    let page = app.get_json(&admin.access_token, &search("\\")).await;
    assert_eq!(emails(&page), Vec::<String>::new());
    // Blank search is no search.
    let page = app.get_json(&admin.access_token, &search("   ")).await;
    assert_eq!(ids(&page).len(), 6);
    let page = app
        .get_json(&admin.access_token, &search("nobody-like-this"))
        .await;
    assert!(page["items"].as_array().unwrap().is_empty());
    assert!(page["next_cursor"].is_null());

    // Search and paging together.
    let page = app
        .get_json(&admin.access_token, "/api/v1/admin/users?q=person&limit=1")
        .await;
    assert_eq!(emails(&page), ["echo@example.org"]);
    let c = page["next_cursor"].as_str().unwrap().to_owned();
    let page = app
        .get_json(
            &admin.access_token,
            &format!("/api/v1/admin/users?q=person&limit=1&cursor={c}"),
        )
        .await;
    assert_eq!(emails(&page), ["delta@example.org"]);
    assert!(page["next_cursor"].is_null());

    // Role filter.
    assert_eq!(
        app.put_role(&admin, d, "support").await.status(),
        StatusCode::OK
    );
    let page = app
        .get_json(&admin.access_token, "/api/v1/admin/users?role=support")
        .await;
    assert_eq!(emails(&page), ["delta@example.org"]);
    let page = app
        .get_json(&admin.access_token, "/api/v1/admin/users?role=admin")
        .await;
    assert_eq!(ids(&page), [admin.id.to_string()]);
    let page = app
        .get_json(&admin.access_token, "/api/v1/admin/users?role=member")
        .await;
    assert_eq!(ids(&page).len(), 6);

    // Status filter.
    let res = app.suspend(&admin, e, "spam").await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = app
        .get_json(&admin.access_token, "/api/v1/admin/users?status=suspended")
        .await;
    assert_eq!(emails(&page), ["echo@example.org"]);
    let page = app
        .get_json(&admin.access_token, "/api/v1/admin/users?status=active")
        .await;
    assert_eq!(ids(&page).len(), 5);
    assert!(!ids(&page).contains(&e.to_string()));
    let page = app
        .get_json(
            &admin.access_token,
            "/api/v1/admin/users?status=active&role=support&q=DELTA",
        )
        .await;
    assert_eq!(emails(&page), ["delta@example.org"]);

    // Bad parameters are 4xx problems, never 500.
    for bad in [
        "limit=0",
        "limit=500",
        "limit=201",
        "status=bogus",
        "cursor=not-a-uuid",
    ] {
        let res = app
            .get_as(&admin.access_token, &format!("/api/v1/admin/users?{bad}"))
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert_eq!(problem_code(res).await, "validation_failed", "{bad}");
    }
    let res = app
        .get_as(&admin.access_token, &search(&"x".repeat(255)))
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    for bad in ["role=bogus", "limit=-1", "limit=abc"] {
        let res = app
            .get_as(&admin.access_token, &format!("/api/v1/admin/users?{bad}"))
            .await;
        assert!(res.status().is_client_error(), "{bad}: {}", res.status());
        problem_code(res).await;
    }
    let page = app
        .get_json(&admin.access_token, "/api/v1/admin/users?limit=200")
        .await;
    assert_eq!(ids(&page).len(), 6);
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

// ---------------------------------------------------------------- users: detail and roles

async fn user_detail_and_role_assignment(app: TestApp) {
    let admin = app.admin().await;
    let user = app.signed_up("roles@example.org").await;
    let path = format!("/api/v1/admin/users/{}", user.id);

    let detail = app.get_json(&admin.access_token, &path).await;
    assert_eq!(detail["id"], user.id.to_string());
    assert_eq!(detail["email"], "roles@example.org");
    assert_eq!(detail["email_verified"], true);
    assert_eq!(detail["mfa_enabled"], false);
    assert_eq!(detail["roles"], json!(["member"]));
    assert_eq!(detail["certifications"], json!([]));
    assert!(detail["suspended_at"].is_null());
    assert!(detail["last_login_at"].is_string(), "{detail}");

    app.run_pending_jobs().await;
    let mails_before = app.emails_to("roles@example.org").len();

    // Granting is idempotent: one row, one audit record, one email.
    for _ in 0..2 {
        let res = app.put_role(&admin, user.id, "support").await;
        assert_eq!(res.status(), StatusCode::OK);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["roles"], json!(["member", "support"]), "{body}");
    }
    let granted = app.audit_records("role_granted").await;
    let for_user: Vec<_> = granted
        .iter()
        .filter(|r| r.target_id.as_deref() == Some(&user.id.to_string()))
        .collect();
    assert_eq!(for_user.len(), 1, "{granted:?}");
    assert_eq!(for_user[0].actor_id, Some(admin.id));
    assert!(for_user[0].details.contains("support"), "{:?}", for_user[0]);
    app.run_pending_jobs().await;
    let mails = app.emails_to("roles@example.org");
    assert_eq!(mails.len(), mails_before + 1, "{mails:#?}");
    assert!(
        mails.last().unwrap().subject.contains("new role"),
        "{mails:#?}"
    );

    // The new permission works at once with the existing token, on an ordinary account;
    // Support never reaches an Admin's account.
    let plain = app.signed_up("plain-member@example.org").await;
    assert_eq!(
        app.get_as(
            &user.access_token,
            &format!("/api/v1/support/accounts/{}", plain.id)
        )
        .await
        .status(),
        StatusCode::OK
    );
    let res = app
        .get_as(
            &user.access_token,
            &format!("/api/v1/support/accounts/{}", admin.id),
        )
        .await;
    assert_eq!(
        refused(res, StatusCode::FORBIDDEN).await,
        "admin_only_account"
    );

    // Removing it takes it away; removing again is harmless and not audited twice.
    for _ in 0..2 {
        let res = app.delete_role(&admin, user.id, "support").await;
        assert_eq!(res.status(), StatusCode::OK);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["roles"], json!(["member"]));
    }
    assert_eq!(app.audit_records("role_removed").await.len(), 1);
    assert_eq!(
        app.get_as(
            &user.access_token,
            &format!("/api/v1/support/accounts/{}", admin.id)
        )
        .await
        .status(),
        StatusCode::FORBIDDEN
    );

    // Every account stays a Member.
    let res = app.delete_role(&admin, user.id, "member").await;
    assert_eq!(
        refused(res, StatusCode::CONFLICT).await,
        "member_role_required"
    );

    // The only Admin cannot be removed, not even by themself.
    let res = app.delete_role(&admin, admin.id, "admin").await;
    assert_eq!(refused(res, StatusCode::CONFLICT).await, "last_admin");
    // With a second Admin, the first can go.
    assert_eq!(
        app.put_role(&admin, user.id, "admin").await.status(),
        StatusCode::OK
    );
    let new_admin = app.signed_in("roles@example.org", PASSWORD).await;
    let res = app.delete_role(&new_admin, admin.id, "admin").await;
    assert_eq!(res.status(), StatusCode::OK);
    // …and now the second is the last one.
    let res = app.delete_role(&new_admin, new_admin.id, "admin").await;
    assert_eq!(problem_code(res).await, "last_admin");
    // The former Admin lost the permission.
    assert_eq!(
        app.get_as(&admin.access_token, "/api/v1/admin/users")
            .await
            .status(),
        StatusCode::FORBIDDEN
    );

    // Unknown users and roles.
    let nobody = Uuid::now_v7();
    let res = app
        .get_as(
            &new_admin.access_token,
            &format!("/api/v1/admin/users/{nobody}"),
        )
        .await;
    assert_eq!(refused(res, StatusCode::NOT_FOUND).await, "not_found");
    let res = app.put_role(&new_admin, nobody, "support").await;
    assert_eq!(problem_code(res).await, "not_found");
    let res = app.delete_role(&new_admin, nobody, "support").await;
    assert_eq!(problem_code(res).await, "not_found");
    let res = app.put_role(&new_admin, user.id, "emperor").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = app
        .get_as(&new_admin.access_token, "/api/v1/admin/users/not-a-uuid")
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    problem_code(res).await;
}

// ---------------------------------------------------------------- certifications

async fn facilitator_needs_a_current_certification(app: TestApp) {
    let admin = app.admin().await;
    let user = app.signed_up("facil@example.org").await;

    let res = app.put_role(&admin, user.id, "facilitator").await;
    assert_eq!(
        refused(res, StatusCode::CONFLICT).await,
        "certification_required"
    );

    // An expiry in the past is refused.
    let res = app
        .post_as(
            &admin.access_token,
            "/api/v1/certifications",
            json!({ "user_id": user.id, "expires_at": "2001-01-01T00:00:00Z" }),
        )
        .await;
    assert_eq!(
        refused(res, StatusCode::UNPROCESSABLE_ENTITY).await,
        "validation_failed"
    );
    // So is an unknown person, and an overlong note.
    let res = app
        .post_as(
            &admin.access_token,
            "/api/v1/certifications",
            json!({ "user_id": Uuid::now_v7() }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = app
        .post_as(
            &admin.access_token,
            "/api/v1/certifications",
            json!({ "user_id": user.id, "note": "n".repeat(1001) }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let certs_path = format!("/api/v1/users/{}/certifications", user.id);
    assert_eq!(
        app.get_json(&admin.access_token, &certs_path).await,
        json!([])
    );

    let res = app
        .post_as(
            &admin.access_token,
            "/api/v1/certifications",
            json!({ "user_id": user.id, "note": "Level 1 training", "expires_at": "2199-01-01T00:00:00Z" }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let cert: Value = res.json().await.unwrap();
    assert_eq!(cert["user_id"], user.id.to_string());
    assert_eq!(cert["certified_by"], admin.id.to_string());
    assert_eq!(cert["current"], true);
    assert_eq!(cert["note"], "Level 1 training");
    assert!(cert["revoked_at"].is_null());
    let cert_id = cert["id"].as_str().unwrap().to_owned();

    let res = app.put_role(&admin, user.id, "facilitator").await;
    assert_eq!(res.status(), StatusCode::OK);
    let detail: Value = res.json().await.unwrap();
    assert_eq!(detail["roles"], json!(["member", "facilitator"]));
    assert_eq!(detail["certifications"][0]["id"], cert_id.as_str());
    let me = app.me(&user).await;
    assert!(me["permissions"]
        .as_array()
        .unwrap()
        .contains(&json!("create_circles")));

    let list = app.get_json(&admin.access_token, &certs_path).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["id"], cert_id.as_str());

    // Revoking the only certification takes the role away.
    let res = app
        .post_as(
            &admin.access_token,
            &format!("/api/v1/certifications/{cert_id}/revoke"),
            json!({}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let revoked: Value = res.json().await.unwrap();
    assert_eq!(revoked["current"], false);
    assert!(revoked["revoked_at"].is_string());
    let detail = app
        .get_json(
            &admin.access_token,
            &format!("/api/v1/admin/users/{}", user.id),
        )
        .await;
    assert_eq!(detail["roles"], json!(["member"]), "{detail}");
    let me = app.me(&user).await;
    assert!(!me["permissions"]
        .as_array()
        .unwrap()
        .contains(&json!("create_circles")));
    let removed = app.audit_records("role_removed").await;
    assert_eq!(removed.len(), 1);
    assert!(removed[0].details.contains("certification_revoked"));

    let res = app
        .post_as(
            &admin.access_token,
            &format!("/api/v1/certifications/{cert_id}/revoke"),
            json!({}),
        )
        .await;
    assert_eq!(refused(res, StatusCode::CONFLICT).await, "already_revoked");
    let res = app
        .post_as(
            &admin.access_token,
            &format!("/api/v1/certifications/{}/revoke", Uuid::now_v7()),
            json!({}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // And without a current certification the role cannot come back.
    let res = app.put_role(&admin, user.id, "facilitator").await;
    assert_eq!(problem_code(res).await, "certification_required");

    // With two certifications, revoking one keeps the role.
    let mut cert_ids = Vec::new();
    for _ in 0..2 {
        let res = app.certify(&admin, user.id).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        cert_ids.push(
            res.json::<Value>().await.unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    assert_eq!(
        app.put_role(&admin, user.id, "facilitator").await.status(),
        StatusCode::OK
    );
    let res = app
        .post_as(
            &admin.access_token,
            &format!("/api/v1/certifications/{}/revoke", cert_ids[0]),
            json!({}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let detail = app
        .get_json(
            &admin.access_token,
            &format!("/api/v1/admin/users/{}", user.id),
        )
        .await;
    assert_eq!(detail["roles"], json!(["member", "facilitator"]));
    assert_eq!(detail["certifications"].as_array().unwrap().len(), 3);

    let actions = app.audit_actions().await;
    assert_eq!(
        actions
            .iter()
            .filter(|a| *a == "facilitator_certified")
            .count(),
        3
    );
    assert_eq!(
        actions
            .iter()
            .filter(|a| *a == "facilitator_certification_revoked")
            .count(),
        2
    );
}

// ---------------------------------------------------------------- suspension

async fn suspend_and_reactivate(app: TestApp) {
    let admin = app.admin().await;
    let user = app.signed_up("suspend@example.org").await;
    let path = format!("/api/v1/admin/users/{}", user.id);

    let res = app.suspend(&admin, admin.id, "testing").await;
    assert_eq!(
        refused(res, StatusCode::CONFLICT).await,
        "cannot_suspend_self"
    );

    for reason in ["", "   ", &"r".repeat(501)] {
        let res = app.suspend(&admin, user.id, reason).await;
        assert_eq!(
            refused(res, StatusCode::UNPROCESSABLE_ENTITY).await,
            "validation_failed"
        );
    }
    let res = app
        .post_as(&admin.access_token, &format!("{path}/suspend"), json!({}))
        .await;
    assert!(res.status().is_client_error());
    let res = app.suspend(&admin, Uuid::now_v7(), "x").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = app.reactivate(&admin, Uuid::now_v7()).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // None of that touched the user.
    assert_eq!(
        app.get_json(&admin.access_token, &path).await["status"],
        "active"
    );
    assert!(app.audit_records("user_suspended").await.is_empty());

    let res = app.suspend(&admin, user.id, "  Abusive messages  ").await;
    assert_eq!(res.status(), StatusCode::OK);
    let detail: Value = res.json().await.unwrap();
    assert_eq!(detail["status"], "suspended");
    assert_eq!(detail["suspended_reason"], "Abusive messages");
    assert!(detail["suspended_at"].is_string());

    // Sessions end (the holder is told why) and sign-in is refused.
    app.assert_shut_out(&user).await;

    // Suspending again changes nothing and is not audited twice.
    let res = app.suspend(&admin, user.id, "again").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.json::<Value>().await.unwrap()["suspended_reason"],
        "Abusive messages"
    );
    let suspended = app.audit_records("user_suspended").await;
    assert_eq!(suspended.len(), 1);
    assert_eq!(suspended[0].actor_id, Some(admin.id));
    assert_eq!(suspended[0].target_id, Some(user.id.to_string()));

    let res = app.reactivate(&admin, user.id).await;
    assert_eq!(res.status(), StatusCode::OK);
    let detail: Value = res.json().await.unwrap();
    assert_eq!(detail["status"], "active");
    assert!(detail["suspended_reason"].is_null());
    // The sessions ended by the suspension stay ended.
    let res = app.get_as(&user.access_token, "/api/v1/me").await;
    assert_eq!(problem_code(res).await, "session_revoked");
    let res = app.refresh(&user.refresh_token).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let again = app.signed_in(&user.email, PASSWORD).await;
    assert_eq!(
        app.get_as(&again.access_token, "/api/v1/me").await.status(),
        StatusCode::OK
    );
    // Reactivating an active account is a no-op.
    let res = app.reactivate(&admin, user.id).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(app.audit_records("user_reactivated").await.len(), 1);

    // The user heard about both.
    app.run_pending_jobs().await;
    let subjects = app.subjects_to("suspend@example.org");
    assert!(
        subjects.iter().any(|s| s.contains("suspended")),
        "{subjects:?}"
    );
    assert!(
        subjects.iter().any(|s| s.contains("active again")),
        "{subjects:?}"
    );
    let actions = app.audit_actions().await;
    for a in [
        "user_suspended",
        "login_refused_suspended",
        "user_reactivated",
    ] {
        assert!(actions.contains(&a.to_owned()), "{a} missing: {actions:?}");
    }
}

// ---------------------------------------------------------------- support

fn two_free_attempts(s: &mut Settings) {
    s.rate_limit.lockout_free_attempts = 2;
}

async fn support_finds_unlocks_and_resends(app: TestApp) {
    let admin = app.admin().await;
    let support = app.user_with_roles(&admin, &["support"]).await;
    let user = app.signed_up("caller@example.org").await;
    let st = &support.access_token;

    let status = app
        .get_json(
            st,
            "/api/v1/support/accounts?email=%20Caller%40Example.org%20",
        )
        .await;
    assert_eq!(status["user_id"], user.id.to_string());
    assert_eq!(status["email"], "caller@example.org");
    assert_eq!(status["email_verified"], true);
    assert_eq!(status["mfa_enabled"], false);
    assert_eq!(status["status"], "active");
    assert_eq!(status["roles"], json!(["member"]));
    assert_eq!(status["active_sessions"], 1);
    assert_eq!(status["lockout"]["failed_logins"], 0);
    assert!(status["lockout"]["locked_until"].is_null());
    let text = status.to_string();
    assert!(
        !text.contains("password") && !text.contains("hash"),
        "{text}"
    );

    let res = app
        .get_as(st, "/api/v1/support/accounts?email=nobody%40example.org")
        .await;
    assert_eq!(refused(res, StatusCode::NOT_FOUND).await, "not_found");
    let res = app
        .get_as(st, "/api/v1/support/accounts?email=not-an-email")
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = app.get_as(st, "/api/v1/support/accounts").await;
    assert!(res.status().is_client_error());
    let res = app
        .get_as(st, &format!("/api/v1/support/accounts/{}", Uuid::now_v7()))
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // Two wrong passwords lock the account.
    for _ in 0..2 {
        let res = app.login(&user.email, "wrong password entirely").await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let res = app.login(&user.email, PASSWORD).await;
    assert_eq!(
        refused(res, StatusCode::TOO_MANY_REQUESTS).await,
        "too_many_attempts"
    );

    let status = app
        .get_json(st, &format!("/api/v1/support/accounts/{}", user.id))
        .await;
    assert_eq!(status["lockout"]["failed_logins"], 2, "{status}");
    assert!(status["lockout"]["locked_until"].is_string(), "{status}");

    let res = app.unlock_account(&support, user.id).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let status = app
        .get_json(st, &format!("/api/v1/support/accounts/{}", user.id))
        .await;
    assert_eq!(status["lockout"]["failed_logins"], 0);
    assert!(status["lockout"]["locked_until"].is_null());
    app.signed_in(&user.email, PASSWORD).await;
    let res = app.unlock_account(&support, Uuid::now_v7()).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // Resending verification: only for unverified accounts.
    let res = app
        .post_as(
            st,
            &format!("/api/v1/support/accounts/{}/resend-verification", user.id),
            json!({}),
        )
        .await;
    assert_eq!(refused(res, StatusCode::CONFLICT).await, "already_verified");

    let pending = registered(&app, "pending@example.org", "Pending").await;
    app.run_pending_jobs().await;
    let before = app.emails_to("pending@example.org").len();
    assert_eq!(before, 1);
    let first_token = app
        .token_from_email("pending@example.org", "verify-email")
        .await;
    let res = app
        .post_as(
            st,
            &format!("/api/v1/support/accounts/{pending}/resend-verification"),
            json!({}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    app.run_pending_jobs().await;
    assert_eq!(app.emails_to("pending@example.org").len(), before + 1);
    let token = app
        .token_from_email("pending@example.org", "verify-email")
        .await;
    assert_ne!(token, first_token);
    let res = app.verify_email(&token).await;
    assert_eq!(res.status(), StatusCode::OK);
    app.signed_in("pending@example.org", PASSWORD).await;

    let actions = app.audit_actions().await;
    for a in [
        "support_viewed_account",
        "support_unlocked_account",
        "account_locked",
    ] {
        assert!(actions.contains(&a.to_owned()), "{a} missing: {actions:?}");
    }
    let viewed = app.audit_records("support_viewed_account").await;
    assert!(viewed.iter().all(|r| r.actor_id == Some(support.id)));
}

async fn support_resets_mfa(app: TestApp) {
    let admin = app.admin().await;
    let support = app.user_with_roles(&admin, &["support"]).await;
    let user = app.signed_up("lostphone@example.org").await;
    let reset = format!("/api/v1/support/accounts/{}/reset-mfa", user.id);

    let res = app.post_as(&support.access_token, &reset, json!({})).await;
    assert_eq!(refused(res, StatusCode::CONFLICT).await, "mfa_not_enabled");

    app.enable_mfa(&user).await;
    let status = app
        .get_json(
            &support.access_token,
            &format!("/api/v1/support/accounts/{}", user.id),
        )
        .await;
    assert_eq!(status["mfa_enabled"], true);
    let res = app.login(&user.email, PASSWORD).await;
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "mfa_required");

    let res = app.post_as(&support.access_token, &reset, json!({})).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    // Single-step sign-in again, and set-up can start over.
    let again = app.signed_in(&user.email, PASSWORD).await;
    let me = app.me(&again).await;
    assert_eq!(me["mfa_enabled"], false);
    let res = app.post_as(&support.access_token, &reset, json!({})).await;
    assert_eq!(problem_code(res).await, "mfa_not_enabled");
    let res = app
        .post_as(
            &support.access_token,
            &format!("/api/v1/support/accounts/{}/reset-mfa", Uuid::now_v7()),
            json!({}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    let reset_rows = app.audit_records("support_reset_mfa").await;
    assert_eq!(reset_rows.len(), 1);
    assert_eq!(reset_rows[0].actor_id, Some(support.id));
    assert_eq!(reset_rows[0].target_id, Some(user.id.to_string()));
    app.run_pending_jobs().await;
    assert!(
        app.emails_to(&user.email).len() >= 3,
        "verification, MFA enabled, MFA reset notices"
    );
}

// ---------------------------------------------------------------- audit log

async fn audit_log_filters_and_pages(app: TestApp) {
    let admin = app.admin().await;
    let leadership = app.user_with_roles(&admin, &["leadership"]).await;
    let user = app.signed_up("audited@example.org").await;
    for role in ["support", "program_team_member"] {
        assert_eq!(
            app.put_role(&admin, user.id, role).await.status(),
            StatusCode::OK
        );
    }
    let lt = &leadership.access_token;

    let page = app
        .get_json(lt, "/api/v1/audit?action=role_granted&limit=200")
        .await;
    let items = page["items"].as_array().unwrap();
    // leadership's own grant plus the two above
    assert_eq!(items.len(), 3, "{page}");
    assert!(items.iter().all(|r| r["action"] == "role_granted"));
    assert!(items.iter().all(|r| r["actor_id"] == admin.id.to_string()));
    // Newest first.
    assert_eq!(items[0]["details"]["role"], "program_team_member");
    let seqs: Vec<i64> = items.iter().map(|r| r["seq"].as_i64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] > w[1]), "{seqs:?}");

    let page = app
        .get_json(
            lt,
            &format!("/api/v1/audit?target_id={}&limit=200", user.id),
        )
        .await;
    let items = page["items"].as_array().unwrap();
    assert!(!items.is_empty());
    assert!(items.iter().all(|r| r["target_id"] == user.id.to_string()));
    let actions: HashSet<&str> = items
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    for a in [
        "user_registered",
        "email_verified",
        "login_succeeded",
        "role_granted",
    ] {
        assert!(actions.contains(a), "{a} missing: {actions:?}");
    }

    let page = app
        .get_json(
            lt,
            &format!("/api/v1/audit?actor_id={}&limit=200", admin.id),
        )
        .await;
    let items = page["items"].as_array().unwrap();
    assert!(items.len() >= 4);
    assert!(items.iter().all(|r| r["actor_id"] == admin.id.to_string()));
    let page = app
        .get_json(
            lt,
            &format!(
                "/api/v1/audit?actor_id={}&action=role_granted&target_id={}",
                admin.id, user.id
            ),
        )
        .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let page = app
        .get_json(lt, "/api/v1/audit?action=no_such_action")
        .await;
    assert!(page["items"].as_array().unwrap().is_empty());
    // Time window: nothing in the future, everything since a minute ago.
    let page = app
        .get_json(lt, "/api/v1/audit?since=2199-01-01T00:00:00Z")
        .await;
    assert!(page["items"].as_array().unwrap().is_empty());

    // Paging by cursor covers the whole log once, newest first.
    let all = app.get_json(lt, "/api/v1/audit?limit=200").await;
    let all_seqs: Vec<i64> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["seq"].as_i64().unwrap())
        .collect();
    let n = all_seqs.len() as i64;
    assert_eq!(all_seqs, (1..=n).rev().collect::<Vec<_>>());
    let mut paged = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/audit?limit=3&cursor={c}"),
            None => "/api/v1/audit?limit=3".to_owned(),
        };
        // Reading the log is not itself audited here, so the log stays still while paging.
        let page = app.get_json(lt, &path).await;
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 3);
        paged.extend(items.iter().map(|r| r["seq"].as_i64().unwrap()));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(paged, all_seqs);

    for bad in ["limit=0", "limit=500", "cursor=abc"] {
        let res = app.get_as(lt, &format!("/api/v1/audit?{bad}")).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert_eq!(problem_code(res).await, "validation_failed");
    }
    for bad in ["actor_id=nope", "since=yesterday"] {
        let res = app.get_as(lt, &format!("/api/v1/audit?{bad}")).await;
        assert!(res.status().is_client_error(), "{bad}: {}", res.status());
        problem_code(res).await;
    }

    let report = app.get_json(lt, "/api/v1/audit/verify").await;
    assert_eq!(report["intact"], true, "{report}");
    assert!(report["records"].as_u64().unwrap() >= n as u64);
    assert!(report["first_broken_seq"].is_null());
}

async fn execute(app: &TestApp, sql: &str) -> Result<(), db::sea_orm::DbErr> {
    app.ctx.main.execute_unprepared(sql).await.map(|_| ())
}

async fn drop_append_only_triggers(app: &TestApp) {
    match app.backend {
        crate::helpers::Backend::Sqlite => {
            execute(app, "DROP TRIGGER audit_log_no_UPDATE")
                .await
                .unwrap();
            execute(app, "DROP TRIGGER audit_log_no_DELETE")
                .await
                .unwrap();
        }
        crate::helpers::Backend::Postgres => {
            execute(app, "DROP TRIGGER audit_log_append_only ON audit_log")
                .await
                .unwrap();
        }
    }
}

async fn verify_report(app: &TestApp, token: &str) -> Value {
    app.get_json(token, "/api/v1/audit/verify").await
}

async fn audit_log_detects_edits(app: TestApp) {
    let admin = app.admin().await;
    let user = app.signed_up("tamper@example.org").await;
    assert_eq!(
        app.put_role(&admin, user.id, "support").await.status(),
        StatusCode::OK
    );
    let report = verify_report(&app, &admin.access_token).await;
    assert_eq!(report["intact"], true, "{report}");
    let records = report["records"].as_u64().unwrap();
    assert!(records >= 4);

    let victim = app.audit_records("role_granted").await.remove(0);
    let seq = victim.seq;
    // The database itself refuses to change or remove records.
    let update =
        format!("UPDATE audit_log SET details = '{{\"role\":\"admin\"}}' WHERE seq = {seq}");
    let err = execute(&app, &update).await.expect_err("append-only");
    assert!(err.to_string().contains("append-only"), "{err}");
    let err = execute(&app, &format!("DELETE FROM audit_log WHERE seq = {seq}"))
        .await
        .expect_err("append-only");
    assert!(err.to_string().contains("append-only"), "{err}");
    let report = verify_report(&app, &admin.access_token).await;
    assert_eq!(report["intact"], true, "{report}");

    // Someone with the database's owner rights drops the guard and edits a record.
    drop_append_only_triggers(&app).await;
    execute(&app, &update).await.unwrap();
    let report = verify_report(&app, &admin.access_token).await;
    assert_eq!(report["intact"], false, "{report}");
    assert_eq!(report["first_broken_seq"], seq, "{report}");
    assert_eq!(report["records"], seq - 1, "{report}");
    assert!(
        report["problem"].as_str().unwrap().contains("changed"),
        "{report}"
    );

    // Overwriting the hash too does not hide the edit.
    execute(
        &app,
        &format!(
            "UPDATE audit_log SET hash = '{}' WHERE seq = {seq}",
            "f".repeat(64)
        ),
    )
    .await
    .unwrap();
    let report = verify_report(&app, &admin.access_token).await;
    assert_eq!(report["intact"], false);
    assert_eq!(report["first_broken_seq"], seq, "{report}");
}

async fn audit_log_detects_deletion(app: TestApp) {
    let admin = app.admin().await;
    let user = app.signed_up("deleted@example.org").await;
    assert_eq!(
        app.put_role(&admin, user.id, "support").await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.put_role(&admin, user.id, "leadership").await.status(),
        StatusCode::OK
    );
    let victim = app.audit_records("role_granted").await.remove(0);
    drop_append_only_triggers(&app).await;
    execute(
        &app,
        &format!("DELETE FROM audit_log WHERE seq = {}", victim.seq),
    )
    .await
    .unwrap();
    let report = verify_report(&app, &admin.access_token).await;
    assert_eq!(report["intact"], false, "{report}");
    assert_eq!(report["first_broken_seq"], victim.seq, "{report}");
    assert!(
        report["problem"].as_str().unwrap().contains("missing"),
        "{report}"
    );

    // The CLI's check (same function) agrees.
    let direct = app::audit::verify(&app.ctx.main).await.unwrap();
    assert!(!direct.intact);
    assert_eq!(direct.first_broken_seq, Some(victim.seq));
}

async fn audit_chain_survives_concurrent_writes(app: TestApp) {
    let admin = app.admin().await;
    let before = app.audit_actions().await.len();
    let logins = (0..20).map(|i| {
        let app = &app;
        async move {
            app.login(&format!("nobody{i}@example.org"), "wrong password here")
                .await
                .status()
        }
    });
    let statuses = futures::future::join_all(logins).await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::UNAUTHORIZED),
        "{statuses:?}"
    );
    // Mixed with concurrent audited admin actions.
    let mut users = Vec::new();
    for i in 0..5 {
        users.push(registered(&app, &format!("mixed{i}@example.org"), "Mixed").await);
    }
    let grants = users.iter().map(|id| app.put_role(&admin, *id, "support"));
    for res in futures::future::join_all(grants).await {
        assert_eq!(res.status(), StatusCode::OK);
    }

    use db::main_db::audit_log;
    use db::sea_orm::{EntityTrait, QueryOrder};
    let rows = audit_log::Entity::find()
        .order_by_asc(audit_log::Column::Seq)
        .all(&app.ctx.main)
        .await
        .unwrap();
    let seqs: Vec<i64> = rows.iter().map(|r| r.seq).collect();
    assert_eq!(seqs, (1..=rows.len() as i64).collect::<Vec<_>>());
    let failed = rows.iter().filter(|r| r.action == "login_failed").count();
    assert_eq!(failed, 20);
    assert!(rows.len() >= before + 20 + 5 + 5);
    let report = verify_report(&app, &admin.access_token).await;
    assert_eq!(report["intact"], true, "{report}");
    assert_eq!(report["records"], rows.len() as u64);
}

/// Two Admins removing each other at the same moment must not leave the organisation
/// without one.
async fn concurrent_admin_removals_keep_an_admin(app: TestApp) {
    use db::main_db::user_roles;
    use db::sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let mut keeper = app.admin().await;
    for round in 0..8 {
        let other = app.user_with_roles(&keeper, &["admin"]).await;
        let (a, b) = futures::future::join(
            app.delete_role(&keeper, other.id, "admin"),
            app.delete_role(&other, keeper.id, "admin"),
        )
        .await;
        let (sa, sb) = (a.status(), b.status());
        let admins = user_roles::Entity::find()
            .filter(user_roles::Column::Role.eq("admin"))
            .count(&app.ctx.main)
            .await
            .unwrap();
        assert_eq!(admins, 1, "round {round}: {sa} / {sb}");
        assert!(
            [sa, sb].contains(&StatusCode::OK),
            "round {round}: one removal wins: {sa} / {sb}"
        );
        if sb == StatusCode::OK {
            keeper = other;
        }
    }
}

/// Granting Facilitator while the only certification is being revoked must not leave a
/// Facilitator without a current certification.
async fn concurrent_grant_and_revoke_keep_facilitators_certified(app: TestApp) {
    let admin = app.admin().await;
    for round in 0..10 {
        let user = app.signed_up(&format!("race{round}@example.org")).await;
        let res = app.certify(&admin, user.id).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let cert: Value = res.json().await.unwrap();
        let revoke = format!(
            "/api/v1/certifications/{}/revoke",
            cert["id"].as_str().unwrap()
        );
        let (grant, revoked) = futures::future::join(
            app.put_role(&admin, user.id, "facilitator"),
            app.post_as(&admin.access_token, &revoke, json!({})),
        )
        .await;
        assert_eq!(revoked.status(), StatusCode::OK, "round {round}");
        let granted = grant.status();
        assert!(
            granted == StatusCode::OK || granted == StatusCode::CONFLICT,
            "round {round}: {granted}"
        );
        let detail = app
            .get_json(
                &admin.access_token,
                &format!("/api/v1/admin/users/{}", user.id),
            )
            .await;
        assert_eq!(
            detail["roles"],
            json!(["member"]),
            "round {round}: a Facilitator without a current certification: {detail}"
        );
    }
}

/// Two Admins suspending each other at the same moment must leave one of them active.
async fn concurrent_mutual_suspensions_keep_an_active_admin(app: TestApp) {
    use db::main_db::{user_roles, users};
    use db::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let mut first = app.admin().await;
    for round in 0..8 {
        let a = app.user_with_roles(&first, &["admin"]).await;
        let b = app.user_with_roles(&first, &["admin"]).await;
        // Leave only a and b as active Admins.
        let res = app.suspend(&a, first.id, "stepping back").await;
        assert_eq!(res.status(), StatusCode::OK, "round {round}");
        let (ra, rb) =
            futures::future::join(app.suspend(&a, b.id, "race"), app.suspend(&b, a.id, "race"))
                .await;
        let (sa, sb) = (ra.status(), rb.status());
        let admin_ids: Vec<_> = user_roles::Entity::find()
            .filter(user_roles::Column::Role.eq("admin"))
            .all(&app.ctx.main)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.user_id)
            .collect();
        let active = users::Entity::find()
            .filter(users::Column::Id.is_in(admin_ids))
            .filter(users::Column::Status.eq("active"))
            .all(&app.ctx.main)
            .await
            .unwrap();
        assert_eq!(active.len(), 1, "round {round}: {sa} / {sb}");
        assert!(
            [sa, sb].contains(&StatusCode::OK),
            "round {round}: one suspension wins: {sa} / {sb}"
        );
        // Back to one active Admin for the next round: the survivor reactivates the
        // first admin (whose sessions the suspension ended), who then suspends the survivor.
        let survivor = if active[0].id == a.id { &a } else { &b };
        let res = app.reactivate(survivor, first.id).await;
        assert_eq!(res.status(), StatusCode::OK);
        first = app.signed_in(&first.email, &first.password).await;
        let res = app.suspend(&first, survivor.id, "next round").await;
        assert_eq!(res.status(), StatusCode::OK);
    }
}

crate::on_both_backends!(
    concurrent_mutual_suspensions_keep_an_active_admin,
    concurrent_grant_and_revoke_keep_facilitators_certified,
    concurrent_admin_removals_keep_an_admin,
    users_list_pages_and_searches,
    user_detail_and_role_assignment,
    facilitator_needs_a_current_certification,
    suspend_and_reactivate,
    support_resets_mfa,
    audit_log_filters_and_pages,
    audit_log_detects_edits,
    audit_log_detects_deletion,
    audit_chain_survives_concurrent_writes
);

crate::on_both_backends_with!(two_free_attempts => support_finds_unlocks_and_resends);
