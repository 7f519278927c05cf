//! Registration, verification, sign-in, tokens, sessions, password change and reset —
//! end to end over HTTP, on SQLite and PostgreSQL.

use crate::helpers::{invalid_fields, problem, problem_code, refused, TestApp, PASSWORD};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

async fn register_verify_login_and_see_my_profile(app: TestApp) {
    let res = app.register("  Sam@Example.org ", PASSWORD, "Sam").await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);

    // Not verified yet: the right password is told to verify first.
    assert_eq!(
        problem_code(app.login("sam@example.org", PASSWORD).await).await,
        "email_not_verified"
    );

    let token = app
        .token_from_email("sam@example.org", "verify-email")
        .await;
    let res = app.verify_email(&token).await;
    assert_eq!(res.status(), StatusCode::OK);
    // Single use.
    let res = app.verify_email(&token).await;
    assert_eq!(problem_code(res).await, "invalid_or_expired_token");

    let user = app.signed_in("sam@example.org", PASSWORD).await;
    let me = app.me(&user).await;
    assert_eq!(me["email"], "sam@example.org");
    assert_eq!(me["display_name"], "Sam");
    assert_eq!(me["email_verified"], true);
    assert_eq!(me["roles"], json!(["member"]));
    assert_eq!(me["mfa_enabled"], false);
    assert!(me["permissions"]
        .as_array()
        .unwrap()
        .contains(&json!("participate")));

    let actions = app.audit_actions().await;
    for a in ["user_registered", "email_verified", "login_succeeded"] {
        assert!(
            actions.contains(&a.to_owned()),
            "{a} missing from {actions:?}"
        );
    }
}

async fn refresh_rotates_and_reuse_revokes_the_family(app: TestApp) {
    let user = app.signed_up("rotate@example.org").await;
    let first = user.refresh_token.clone();
    let res = app.refresh(&first).await;
    assert_eq!(res.status(), StatusCode::OK);
    let pair: Value = res.json().await.unwrap();
    let second = pair["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(second, first);
    let access = pair["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        app.get_as(&access, "/api/v1/me").await.status(),
        StatusCode::OK
    );

    // The old token again: theft assumed, the whole session ends.
    let res = app.refresh(&first).await;
    assert_eq!(problem_code(res).await, "session_revoked");
    let res = app.refresh(&second).await;
    assert_eq!(
        res.status(),
        StatusCode::UNAUTHORIZED,
        "the newer token died with its family"
    );
    assert_eq!(
        problem_code(app.get_as(&access, "/api/v1/me").await).await,
        "session_revoked"
    );
    assert!(app
        .audit_actions()
        .await
        .contains(&"refresh_token_reused".to_owned()));
}

crate::on_both_backends!(
    register_verify_login_and_see_my_profile,
    refresh_rotates_and_reuse_revokes_the_family
);

// ---------------------------------------------------------------------------------------
// Helpers for this file.

/// A strong password different from [`PASSWORD`].
const NEW_PASSWORD: &str = "violet kettles murmur beneath quiet lighthouses";
/// Long enough, but far too easy to guess.
const WEAK_PASSWORD: &str = "password1234";

/// Status and JSON body of a response.
async fn status_and_body(res: reqwest::Response) -> (StatusCode, Value) {
    let status = res.status();
    let body: Value = res.json().await.expect("a JSON body");
    (status, body)
}

/// A problem document without the per-request parts, for comparing two answers.
async fn problem_without_request_id(res: reqwest::Response) -> (StatusCode, Value) {
    let status = res.status();
    let mut body = problem(res).await;
    body.as_object_mut().unwrap().remove("request_id");
    (status, body)
}

/// The Retry-After header in seconds (it must be there).
fn retry_after(res: &reqwest::Response) -> u64 {
    res.headers()
        .get("retry-after")
        .expect("a Retry-After header")
        .to_str()
        .unwrap()
        .parse()
        .expect("Retry-After in seconds")
}

async fn my_sessions(app: &TestApp, token: &str) -> Vec<Value> {
    let res = app.get_as(token, "/api/v1/me/sessions").await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json::<Vec<Value>>().await.unwrap()
}

async fn delete_session(app: &TestApp, token: &str, id: &str) -> reqwest::Response {
    app.call(
        Method::DELETE,
        &format!("/api/v1/me/sessions/{id}"),
        Some(token),
        None,
    )
    .await
}

/// Signs in and returns the raw token pair (with `session_id`).
async fn login_pair(app: &TestApp, email: &str, password: &str) -> Value {
    let (status, body) = status_and_body(app.login(email, password).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "signed_in", "{body}");
    body
}

async fn assert_session_revoked(app: &TestApp, access_token: &str) {
    let res = app.get_as(access_token, "/api/v1/me").await;
    assert_eq!(
        refused(res, StatusCode::UNAUTHORIZED).await,
        "session_revoked"
    );
}

async fn assert_signed_in_works(app: &TestApp, access_token: &str) {
    let res = app.get_as(access_token, "/api/v1/me").await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
}

async fn assert_invalid_credentials(app: &TestApp, email: &str, password: &str) {
    let res = app.login(email, password).await;
    assert_eq!(
        refused(res, StatusCode::UNAUTHORIZED).await,
        "invalid_credentials"
    );
}

// ---------------------------------------------------------------------------------------
// 1. No user enumeration.

async fn registering_a_taken_address_answers_like_a_new_one(app: TestApp) {
    let owner = app.signed_up("taken@example.org").await;

    let (new_status, new_body) =
        status_and_body(app.register("fresh@example.org", PASSWORD, "Fresh").await).await;
    let (taken_status, taken_body) = status_and_body(
        app.register(" Taken@Example.org", NEW_PASSWORD, "Impostor")
            .await,
    )
    .await;
    assert_eq!(new_status, StatusCode::ACCEPTED);
    assert_eq!(taken_status, new_status);
    assert_eq!(taken_body, new_body);

    app.run_pending_jobs().await;
    let owner_mail = app.emails_to("taken@example.org");
    assert!(
        owner_mail
            .iter()
            .any(|m| m.subject == "Someone tried to register with your address"),
        "{owner_mail:#?}"
    );
    // The owner got no new verification link, and the newcomer got one.
    assert_eq!(
        owner_mail
            .iter()
            .filter(|m| m.body.contains("/verify-email?token="))
            .count(),
        1,
        "only the original verification email: {owner_mail:#?}"
    );
    assert!(app
        .emails_to("fresh@example.org")
        .iter()
        .any(|m| m.body.contains("/verify-email?token=")));

    // The account is untouched: the old password works, the impostor's does not.
    assert_invalid_credentials(&app, "taken@example.org", NEW_PASSWORD).await;
    let again = app.signed_in("taken@example.org", PASSWORD).await;
    assert_eq!(again.id, owner.id);
    let me = app.me(&again).await;
    assert_eq!(me["display_name"], "Test Person");
    assert!(app
        .audit_actions()
        .await
        .contains(&"registration_for_existing_email".to_owned()));
}

async fn login_answers_alike_for_unknown_email_and_wrong_password(app: TestApp) {
    app.signed_up("known@example.org").await;
    let unknown = problem_without_request_id(app.login("nobody@example.org", PASSWORD).await).await;
    let wrong =
        problem_without_request_id(app.login("known@example.org", NEW_PASSWORD).await).await;
    assert_eq!(unknown.0, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.1["code"], "invalid_credentials");
    assert_eq!(wrong.0, unknown.0);
    assert_eq!(wrong.1["code"], unknown.1["code"]);
    assert_eq!(wrong.1["detail"], unknown.1["detail"]);
    assert_eq!(wrong.1, unknown.1, "the whole problem document is the same");
    // A malformed address gets the same answer too.
    let malformed = problem_without_request_id(app.login("not-an-email", PASSWORD).await).await;
    assert_eq!(malformed, unknown);
}

async fn forgot_password_answers_alike_and_mails_only_known_addresses(app: TestApp) {
    app.signed_up("forgetful@example.org").await;
    let known = status_and_body(
        app.post(
            "/api/v1/auth/password/forgot",
            json!({ "email": "forgetful@example.org" }),
        )
        .await,
    )
    .await;
    let unknown = status_and_body(
        app.post(
            "/api/v1/auth/password/forgot",
            json!({ "email": "stranger@example.org" }),
        )
        .await,
    )
    .await;
    assert_eq!(known.0, StatusCode::ACCEPTED);
    assert_eq!(unknown, known);

    app.run_pending_jobs().await;
    assert!(app.emails_to("stranger@example.org").is_empty());
    assert!(app
        .subjects_to("forgetful@example.org")
        .contains(&"Reset your password".to_owned()));
    let token = app
        .token_from_email("forgetful@example.org", "reset-password")
        .await;
    assert!(!token.is_empty());
    let actions = app.audit_actions().await;
    assert!(actions.contains(&"password_reset_requested".to_owned()));
    assert!(actions.contains(&"password_reset_requested_unknown".to_owned()));
}

// ---------------------------------------------------------------------------------------
// 2. Resending the verification email.

async fn resend_verification_mails_a_new_link_and_verifying_voids_the_rest(app: TestApp) {
    let res = app.register("slow@example.org", PASSWORD, "Slow").await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let first = app
        .token_from_email("slow@example.org", "verify-email")
        .await;

    let resend = |email: &'static str| {
        app.post(
            "/api/v1/auth/resend-verification",
            json!({ "email": email }),
        )
    };
    let for_account = status_and_body(resend("slow@example.org").await).await;
    let for_nobody = status_and_body(resend("nobody@example.org").await).await;
    assert_eq!(for_account.0, StatusCode::ACCEPTED);
    assert_eq!(
        for_nobody, for_account,
        "same answer for an unknown address"
    );

    let second = app
        .token_from_email("slow@example.org", "verify-email")
        .await;
    assert_ne!(second, first, "a new link was mailed");
    assert_eq!(
        app.emails_to("slow@example.org")
            .iter()
            .filter(|m| m.subject == "Confirm your email address")
            .count(),
        2
    );
    assert!(app.emails_to("nobody@example.org").is_empty());

    // The older link still works until one of them is used...
    let res = app.verify_email(&first).await;
    assert_eq!(res.status(), StatusCode::OK);
    // ...and then every other verification link is void.
    let res = app.verify_email(&second).await;
    assert_eq!(
        refused(res, StatusCode::BAD_REQUEST).await,
        "invalid_or_expired_token"
    );
    app.signed_in("slow@example.org", PASSWORD).await;

    // A verified account gets no more verification emails.
    let res = resend("slow@example.org").await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    app.run_pending_jobs().await;
    assert_eq!(
        app.emails_to("slow@example.org")
            .iter()
            .filter(|m| m.subject == "Confirm your email address")
            .count(),
        2
    );
}

// ---------------------------------------------------------------------------------------
// 3. Logout.

async fn logout_ends_only_the_current_session(app: TestApp) {
    let user = app.signed_up("leaving@example.org").await;
    let other = app.signed_in("leaving@example.org", PASSWORD).await;

    let res = app
        .call(
            Method::POST,
            "/api/v1/auth/logout",
            Some(&user.access_token),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);

    assert_session_revoked(&app, &user.access_token).await;
    let res = app.refresh(&user.refresh_token).await;
    assert_eq!(
        refused(res, StatusCode::UNAUTHORIZED).await,
        "session_revoked"
    );

    // Logging out twice: the token is no good any more.
    let res = app
        .call(
            Method::POST,
            "/api/v1/auth/logout",
            Some(&user.access_token),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    // The other session lives on.
    assert_signed_in_works(&app, &other.access_token).await;
    assert_eq!(
        app.refresh(&other.refresh_token).await.status(),
        StatusCode::OK
    );
    assert!(app.audit_actions().await.contains(&"logout".to_owned()));
}

// ---------------------------------------------------------------------------------------
// 4. Sessions.

async fn sessions_are_listed_and_revoked_one_by_one(app: TestApp) {
    app.signed_up("busy@example.org").await;
    let phone = login_pair(&app, "busy@example.org", PASSWORD).await;
    let laptop = login_pair(&app, "busy@example.org", PASSWORD).await;
    let laptop_token = laptop["access_token"].as_str().unwrap();
    let phone_token = phone["access_token"].as_str().unwrap();
    let phone_id = phone["session_id"].as_str().unwrap();
    let laptop_id = laptop["session_id"].as_str().unwrap();

    // signed_up's own session plus these two.
    let listed = my_sessions(&app, laptop_token).await;
    assert_eq!(listed.len(), 3, "{listed:#?}");
    let current: Vec<_> = listed.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1, "{listed:#?}");
    assert_eq!(current[0]["id"], laptop_id);
    assert!(listed.iter().any(|s| s["id"] == phone_id));

    let res = delete_session(&app, laptop_token, phone_id).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_session_revoked(&app, phone_token).await;
    let res = app.refresh(phone["refresh_token"].as_str().unwrap()).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_signed_in_works(&app, laptop_token).await;
    let listed = my_sessions(&app, laptop_token).await;
    assert_eq!(listed.len(), 2);
    assert!(!listed.iter().any(|s| s["id"] == phone_id));

    // Already revoked, or never existed: not found.
    let res = delete_session(&app, laptop_token, phone_id).await;
    assert_eq!(refused(res, StatusCode::NOT_FOUND).await, "not_found");
    let res = delete_session(&app, laptop_token, &uuid::Uuid::now_v7().to_string()).await;
    assert_eq!(refused(res, StatusCode::NOT_FOUND).await, "not_found");
    assert!(app
        .audit_actions()
        .await
        .contains(&"session_revoked".to_owned()));
}

async fn nobody_can_revoke_someone_elses_session(app: TestApp) {
    let alice = app.signed_up("alice@example.org").await;
    let mallory = app.signed_up("mallory@example.org").await;
    let alice_sessions = my_sessions(&app, &alice.access_token).await;
    assert_eq!(alice_sessions.len(), 1);
    let alice_session = alice_sessions[0]["id"].as_str().unwrap().to_owned();

    let res = delete_session(&app, &mallory.access_token, &alice_session).await;
    assert_eq!(refused(res, StatusCode::NOT_FOUND).await, "not_found");
    assert_signed_in_works(&app, &alice.access_token).await;
    assert_eq!(my_sessions(&app, &alice.access_token).await.len(), 1);
    // Mallory's list never shows Alice's session.
    let mallory_sessions = my_sessions(&app, &mallory.access_token).await;
    assert!(!mallory_sessions.iter().any(|s| s["id"] == alice_session));
}

// ---------------------------------------------------------------------------------------
// 5. Changing the password.

async fn change_password_checks_both_passwords_and_ends_other_sessions(app: TestApp) {
    let user = app.signed_up("changer@example.org").await;
    let other = app.signed_in("changer@example.org", PASSWORD).await;
    let change = |current: &'static str, new: &'static str| {
        app.post_as(
            &user.access_token,
            "/api/v1/me/password",
            json!({ "current_password": current, "new_password": new }),
        )
    };

    let fields = invalid_fields(change("not my password at all", NEW_PASSWORD).await).await;
    assert_eq!(fields, ["current_password"]);
    let fields = invalid_fields(change(PASSWORD, WEAK_PASSWORD).await).await;
    assert_eq!(fields, ["new_password"]);
    // Neither attempt changed anything.
    assert_signed_in_works(&app, &other.access_token).await;
    app.signed_in("changer@example.org", PASSWORD).await;

    let res = change(PASSWORD, NEW_PASSWORD).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);

    assert_session_revoked(&app, &other.access_token).await;
    assert_eq!(
        app.refresh(&other.refresh_token).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_signed_in_works(&app, &user.access_token).await;
    assert_eq!(
        app.refresh(&user.refresh_token).await.status(),
        StatusCode::OK,
        "the current session keeps working"
    );
    assert_invalid_credentials(&app, "changer@example.org", PASSWORD).await;
    app.signed_in("changer@example.org", NEW_PASSWORD).await;

    app.run_pending_jobs().await;
    assert!(app
        .subjects_to("changer@example.org")
        .contains(&"Your password was changed".to_owned()));
    let actions = app.audit_actions().await;
    assert!(actions.contains(&"password_change_failed".to_owned()));
    assert!(actions.contains(&"password_changed".to_owned()));
}

// ---------------------------------------------------------------------------------------
// 6. Resetting a forgotten password.

async fn forgot(app: &TestApp, email: &str) {
    let res = app
        .post("/api/v1/auth/password/forgot", json!({ "email": email }))
        .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
}

async fn reset(app: &TestApp, token: &str, new_password: &str) -> reqwest::Response {
    app.post(
        "/api/v1/auth/password/reset",
        json!({ "token": token, "new_password": new_password }),
    )
    .await
}

async fn password_reset_is_single_use_and_ends_every_session(app: TestApp) {
    let user = app.signed_up("reset@example.org").await;
    let other = app.signed_in("reset@example.org", PASSWORD).await;
    forgot(&app, "reset@example.org").await;
    let token = app
        .token_from_email("reset@example.org", "reset-password")
        .await;

    // A weak choice is refused without using the token up.
    let fields = invalid_fields(reset(&app, &token, WEAK_PASSWORD).await).await;
    assert_eq!(fields, ["new_password"]);
    assert_signed_in_works(&app, &user.access_token).await;
    app.signed_in("reset@example.org", PASSWORD).await;

    let res = reset(&app, &token, NEW_PASSWORD).await;
    assert_eq!(res.status(), StatusCode::OK);

    let res = reset(&app, &token, "another quite long and unusual phrase").await;
    assert_eq!(
        refused(res, StatusCode::BAD_REQUEST).await,
        "invalid_or_expired_token"
    );

    for u in [&user, &other] {
        assert_session_revoked(&app, &u.access_token).await;
        assert_eq!(
            app.refresh(&u.refresh_token).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    assert_invalid_credentials(&app, "reset@example.org", PASSWORD).await;
    app.signed_in("reset@example.org", NEW_PASSWORD).await;

    // A garbage token is refused the same way.
    let res = reset(&app, "not-a-token", NEW_PASSWORD).await;
    assert_eq!(problem_code(res).await, "invalid_or_expired_token");

    app.run_pending_jobs().await;
    assert!(app
        .subjects_to("reset@example.org")
        .contains(&"Your password was changed".to_owned()));
    assert!(app
        .audit_actions()
        .await
        .contains(&"password_reset_completed".to_owned()));
}

async fn using_one_reset_link_voids_the_others(app: TestApp) {
    app.signed_up("twice@example.org").await;
    forgot(&app, "twice@example.org").await;
    let first = app
        .token_from_email("twice@example.org", "reset-password")
        .await;
    forgot(&app, "twice@example.org").await;
    let second = app
        .token_from_email("twice@example.org", "reset-password")
        .await;
    assert_ne!(first, second);
    assert_eq!(
        reset(&app, &second, NEW_PASSWORD).await.status(),
        StatusCode::OK
    );
    // Using one link voids every other reset link.
    let res = reset(&app, &first, "another quite long and unusual phrase").await;
    assert_eq!(problem_code(res).await, "invalid_or_expired_token");
    app.signed_in("twice@example.org", NEW_PASSWORD).await;
}

async fn resetting_the_password_verifies_the_address(app: TestApp) {
    let res = app
        .register("unverified@example.org", PASSWORD, "Unverified")
        .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    assert_eq!(
        problem_code(app.login("unverified@example.org", PASSWORD).await).await,
        "email_not_verified"
    );
    forgot(&app, "unverified@example.org").await;
    let token = app
        .token_from_email("unverified@example.org", "reset-password")
        .await;
    assert_eq!(
        reset(&app, &token, NEW_PASSWORD).await.status(),
        StatusCode::OK
    );

    let user = app.signed_in("unverified@example.org", NEW_PASSWORD).await;
    let me = app.me(&user).await;
    assert_eq!(me["email_verified"], true);
}

// ---------------------------------------------------------------------------------------
// 7. Progressive lockout.

fn three_free_attempts(s: &mut app::config::Settings) {
    s.rate_limit.lockout_free_attempts = 3;
    s.rate_limit.lockout_base_secs = 60;
}

async fn repeated_wrong_passwords_lock_the_account(app: TestApp) {
    app.signed_up("target@example.org").await;
    for _ in 0..3 {
        assert_invalid_credentials(&app, "target@example.org", "wrong password attempt").await;
    }
    // Locked now: even the right password is refused.
    let res = app.login("target@example.org", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait = retry_after(&res);
    assert!((1..=60).contains(&wait), "Retry-After {wait}");
    assert_eq!(problem_code(res).await, "too_many_attempts");
    assert!(app
        .audit_actions()
        .await
        .contains(&"account_locked".to_owned()));

    // Another account is not affected.
    app.signed_up("bystander@example.org").await;
}

async fn unknown_addresses_lock_exactly_like_known_ones(app: TestApp) {
    app.signed_up("real@example.org").await;
    let mut answers = Vec::new();
    for email in ["real@example.org", "ghost@example.org"] {
        let mut seen = Vec::new();
        for _ in 0..3 {
            seen.push(
                problem_without_request_id(app.login(email, "wrong password attempt").await).await,
            );
        }
        let res = app.login(email, PASSWORD).await;
        let wait = retry_after(&res);
        assert!((1..=60).contains(&wait), "Retry-After {wait}");
        seen.push(problem_without_request_id(res).await);
        answers.push(seen);
    }
    assert_eq!(answers[0][0].0, StatusCode::UNAUTHORIZED);
    assert_eq!(answers[0][3].0, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(answers[0][3].1["code"], "too_many_attempts");
    // Details can differ only in the seconds left; compare everything else.
    let strip = |v: &[(StatusCode, Value)]| -> Vec<(StatusCode, Value)> {
        v.iter()
            .map(|(s, b)| {
                let mut b = b.clone();
                if *s == StatusCode::TOO_MANY_REQUESTS {
                    b.as_object_mut().unwrap().remove("detail");
                }
                (*s, b)
            })
            .collect()
    };
    assert_eq!(strip(&answers[0]), strip(&answers[1]));
    let locked = app
        .audit_actions()
        .await
        .into_iter()
        .filter(|a| a == "account_locked")
        .count();
    assert_eq!(locked, 2, "both addresses were locked");
}

// ---------------------------------------------------------------------------------------
// 8. Per-address rate limit.

fn three_logins_per_ip(s: &mut app::config::Settings) {
    s.rate_limit.login_per_ip = 3;
}

async fn logins_are_rate_limited_per_client_address(app: TestApp) {
    // Different accounts, one client: the limit is on the address.
    for email in ["a@example.org", "b@example.org", "c@example.org"] {
        assert_invalid_credentials(&app, email, PASSWORD).await;
    }
    let res = app.login("d@example.org", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait = retry_after(&res);
    assert!(wait >= 1, "Retry-After {wait}");
    assert_eq!(problem_code(res).await, "too_many_attempts");
}

// ---------------------------------------------------------------------------------------
// 10. Suspension.

async fn suspended_users_are_shut_out_until_reactivated(app: TestApp) {
    let admin = app.admin().await;
    let user = app.signed_up("suspect@example.org").await;

    let res = app
        .suspend(&admin, user.id, "Repeated harassment reports")
        .await;
    assert_eq!(res.status(), StatusCode::OK);

    // Every request of a suspended holder says why, refresh and sign-in included.
    app.assert_shut_out(&user).await;
    // The wrong password still gets the usual answer (no hint about the account).
    assert_invalid_credentials(&app, "suspect@example.org", NEW_PASSWORD).await;

    let res = app.reactivate(&admin, user.id).await;
    assert_eq!(res.status(), StatusCode::OK);
    let back = app.signed_in("suspect@example.org", PASSWORD).await;
    assert_signed_in_works(&app, &back.access_token).await;
    // Sessions ended by the suspension stay ended.
    assert_session_revoked(&app, &user.access_token).await;
    let actions = app.audit_actions().await;
    assert!(actions.contains(&"user_suspended".to_owned()));
    assert!(actions.contains(&"login_refused_suspended".to_owned()));
}

// ---------------------------------------------------------------------------------------
// 11. Expired verification link.

async fn an_expired_verification_link_is_refused(app: TestApp) {
    let res = app.register("late@example.org", PASSWORD, "Late").await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let token = app
        .token_from_email("late@example.org", "verify-email")
        .await;
    let hours = app.ctx.settings.auth.verification_ttl_hours as i64;
    app.advance(chrono::Duration::hours(hours) + chrono::Duration::minutes(1));

    let res = app.verify_email(&token).await;
    assert_eq!(
        refused(res, StatusCode::BAD_REQUEST).await,
        "invalid_or_expired_token"
    );
    assert_eq!(
        problem_code(app.login("late@example.org", PASSWORD).await).await,
        "email_not_verified"
    );
}

crate::on_both_backends!(
    registering_a_taken_address_answers_like_a_new_one,
    login_answers_alike_for_unknown_email_and_wrong_password,
    forgot_password_answers_alike_and_mails_only_known_addresses,
    resend_verification_mails_a_new_link_and_verifying_voids_the_rest,
    logout_ends_only_the_current_session,
    sessions_are_listed_and_revoked_one_by_one,
    nobody_can_revoke_someone_elses_session,
    change_password_checks_both_passwords_and_ends_other_sessions,
    password_reset_is_single_use_and_ends_every_session,
    using_one_reset_link_voids_the_others,
    resetting_the_password_verifies_the_address,
    suspended_users_are_shut_out_until_reactivated,
    an_expired_verification_link_is_refused,
);

crate::on_both_backends_with!(three_free_attempts =>
    repeated_wrong_passwords_lock_the_account,
    unknown_addresses_lock_exactly_like_known_ones,
);

crate::on_both_backends_with!(three_logins_per_ip => logins_are_rate_limited_per_client_address);

// ---------------------------------------------------------------------------------------
// 9. Rate limits shared through Redis by several instances.

async fn instances_share_rate_limits_through_redis(backend: crate::helpers::Backend) {
    let url = testkit::redis::url();
    if !testkit::redis::available(&url).await {
        return;
    }
    let prefix = format!("test:{}:", uuid::Uuid::new_v4().simple());
    let configure = |s: &mut app::config::Settings| {
        s.redis.url = Some(app::config::Secret::new(url.clone()));
        s.redis.key_prefix = prefix.clone();
        s.rate_limit.register_per_ip = 2;
    };
    let Some(a) = crate::helpers::spawn_app_with(backend, configure).await else {
        return;
    };
    let Some(b) = crate::helpers::spawn_app_with(backend, configure).await else {
        return;
    };
    for email in ["one@example.org", "two@example.org"] {
        let res = a.register(email, PASSWORD, "Someone").await;
        assert_eq!(res.status(), StatusCode::ACCEPTED);
    }
    let res = b.register("three@example.org", PASSWORD, "Someone").await;
    assert_eq!(
        res.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "instance B sees instance A's count"
    );
    let wait = retry_after(&res);
    assert!(wait >= 1, "Retry-After {wait}");
    assert_eq!(problem_code(res).await, "too_many_attempts");
    // And the other way round.
    let res = a.register("four@example.org", PASSWORD, "Someone").await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);

    // Tidy up the keys this test made.
    testkit::redis::delete_keys(&url, &prefix).await;
}

mod instances_share_rate_limits_through_redis {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::instances_share_rate_limits_through_redis(crate::helpers::Backend::Sqlite).await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::instances_share_rate_limits_through_redis(crate::helpers::Backend::Postgres).await
    }
}
