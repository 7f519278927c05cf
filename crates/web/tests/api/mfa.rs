//! Two-step verification (TOTP and recovery codes) end to end over HTTP, on SQLite and
//! PostgreSQL.

use crate::helpers::PASSWORD;
use crate::helpers::{next_code, problem_code, recovery_codes, refused, totp_for, unix_now};
use crate::helpers::{TestApp, User};
use app::config::Settings;
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};
use totp_rs::TOTP;

/// A code that is certainly wrong now.
fn wrong_code(totp: &TOTP) -> String {
    let t = unix_now();
    let valid: Vec<String> = [t - 30, t, t + 30, t + 60]
        .iter()
        .map(|t| totp.generate(*t))
        .collect();
    (0..1_000_000)
        .map(|n| format!("{n:06}"))
        .find(|c| !valid.contains(c))
        .unwrap()
}

/// Password step of a sign-in with MFA on; returns the challenge token.
async fn challenge(app: &TestApp, user: &User) -> String {
    let res = app.login(&user.email, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "mfa_required", "{body}");
    assert!(body.get("access_token").is_none(), "{body}");
    assert!(body["expires_in"].as_u64().unwrap() > 0);
    body["mfa_token"].as_str().unwrap().to_owned()
}

async fn second_step(app: &TestApp, mfa_token: &str, code: &str) -> Response {
    app.post(
        "/api/v1/auth/login/mfa",
        json!({ "mfa_token": mfa_token, "code": code }),
    )
    .await
}

async fn assert_tokens(app: &TestApp, res: Response) -> String {
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    let access = body["access_token"].as_str().unwrap().to_owned();
    assert!(body["refresh_token"].is_string());
    assert_eq!(
        app.get_as(&access, "/api/v1/me").await.status(),
        StatusCode::OK
    );
    access
}

async fn totp_setup_and_two_step_sign_in(app: TestApp) {
    let user = app.signed_up("mfa@example.org").await;

    // Confirming before starting is refused.
    let res = app.confirm_mfa(&user, "123456").await;
    assert_eq!(
        refused(res, StatusCode::CONFLICT).await,
        "mfa_setup_not_started"
    );

    let setup = app.start_mfa_setup(&user).await;
    let secret = setup["secret"].as_str().unwrap();
    assert!(secret.len() >= 32, "at least 160 bits: {secret}");
    let uri = setup["otpauth_uri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/"), "{uri}");
    assert!(uri.contains(&format!("secret={secret}")), "{uri}");
    assert!(
        uri.contains("mfa%40example.org") || uri.contains("mfa@example.org"),
        "{uri}"
    );
    assert!(setup["qr_svg"].as_str().unwrap().contains("<svg"));

    // Setting up again before confirming replaces the secret.
    let setup = app.start_mfa_setup(&user).await;
    let secret2 = setup["secret"].as_str().unwrap().to_owned();
    assert_ne!(secret2, secret);
    let stale = totp_for(secret);
    let totp = totp_for(&secret2);

    // Not enabled until confirmed.
    let me = app.me(&user).await;
    assert_eq!(me["mfa_enabled"], false);
    assert_eq!(
        app.login(&user.email, PASSWORD)
            .await
            .json::<Value>()
            .await
            .unwrap()["status"],
        "signed_in"
    );

    for bad in [
        wrong_code(&totp),
        stale.generate_current().unwrap(),
        "abc".into(),
    ] {
        if totp.check_current(&bad).unwrap() {
            continue;
        }
        let res = app.confirm_mfa(&user, &bad).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{bad}");
        assert_eq!(problem_code(res).await, "invalid_mfa_code");
    }

    let res = app
        .confirm_mfa(&user, &totp.generate_current().unwrap())
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    let codes = recovery_codes(&body);
    assert_eq!(codes.len(), 10);
    let unique: std::collections::HashSet<_> = codes.iter().collect();
    assert_eq!(unique.len(), 10);

    let me = app.me(&user).await;
    assert_eq!(me["mfa_enabled"], true);
    let res = app
        .post_as(&user.access_token, "/api/v1/me/mfa/totp", json!({}))
        .await;
    assert_eq!(
        refused(res, StatusCode::CONFLICT).await,
        "mfa_already_enabled"
    );
    let res = app
        .confirm_mfa(&user, &totp.generate_current().unwrap())
        .await;
    assert_eq!(problem_code(res).await, "mfa_already_enabled");

    // Sign-in now takes two steps. The code used to confirm is spent, so use the next step's.
    let token = challenge(&app, &user).await;
    let res = second_step(&app, &token, &wrong_code(&totp)).await;
    assert_eq!(
        refused(res, StatusCode::UNAUTHORIZED).await,
        "invalid_mfa_code"
    );
    let code = next_code(&totp);
    assert_tokens(&app, second_step(&app, &token, &code).await).await;
    // The same code again is a replay.
    let token = challenge(&app, &user).await;
    let res = second_step(&app, &token, &code).await;
    assert_eq!(
        refused(res, StatusCode::UNAUTHORIZED).await,
        "invalid_mfa_code"
    );
    // So is an older one, even though it would still be within the skew.
    let res = second_step(&app, &token, &totp.generate_current().unwrap()).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    // A recovery code works once, typed loosely.
    let loose = format!("  {}  ", codes[0].to_uppercase());
    assert_tokens(&app, second_step(&app, &token, &loose).await).await;
    let token = challenge(&app, &user).await;
    let res = second_step(&app, &token, &codes[0]).await;
    assert_eq!(
        refused(res, StatusCode::UNAUTHORIZED).await,
        "invalid_mfa_code"
    );
    assert_tokens(&app, second_step(&app, &token, &codes[1]).await).await;

    // Challenge tokens are not access tokens, and garbage is refused.
    let res = app.get_as(&token, "/api/v1/me").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    for garbage in ["garbage", "", &user.access_token] {
        let res = second_step(&app, garbage, &codes[2]).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{garbage}");
        assert_eq!(problem_code(res).await, "invalid_or_expired_token");
    }
    // …and the recovery code offered with garbage was not spent.
    let token = challenge(&app, &user).await;
    assert_tokens(&app, second_step(&app, &token, &codes[2]).await).await;

    let actions = app.audit_actions().await;
    for a in [
        "mfa_enabled",
        "login_mfa_challenged",
        "mfa_failed",
        "login_succeeded",
    ] {
        assert!(actions.contains(&a.to_owned()), "{a} missing: {actions:?}");
    }
    app.run_pending_jobs().await;
    assert!(
        app.emails_to(&user.email).len() >= 2,
        "verification and MFA-enabled notice"
    );
}

fn three_free_attempts(s: &mut Settings) {
    s.rate_limit.lockout_free_attempts = 3;
}

async fn wrong_codes_lock_the_second_step(app: TestApp) {
    let user = app.signed_up("mfalock@example.org").await;
    let (totp, codes) = app.enable_mfa(&user).await;
    let token = challenge(&app, &user).await;
    for _ in 0..3 {
        let res = second_step(&app, &token, &wrong_code(&totp)).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    // Locked: even the right code (or a recovery code) is refused for now.
    let res = second_step(&app, &token, &next_code(&totp)).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().get("retry-after").is_some());
    assert_eq!(problem_code(res).await, "too_many_attempts");
    let fresh = challenge(&app, &user).await;
    let res = second_step(&app, &fresh, &codes[0]).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(app.audit_actions().await.contains(&"mfa_locked".to_owned()));

    // Support lifts the lock; the recovery code was not spent while locked.
    let admin = app.admin().await;
    let res = app.unlock_account(&admin, user.id).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_tokens(&app, second_step(&app, &fresh, &codes[0]).await).await;
}

async fn regenerating_recovery_codes_invalidates_the_old_ones(app: TestApp) {
    let user = app.signed_up("regen@example.org").await;
    let res = app
        .post_as(
            &user.access_token,
            "/api/v1/me/mfa/recovery-codes",
            json!({ "code": "123456" }),
        )
        .await;
    assert_eq!(refused(res, StatusCode::CONFLICT).await, "mfa_not_enabled");

    let (totp, old) = app.enable_mfa(&user).await;
    // A recovery code is not enough to mint new ones; nor is a wrong code.
    for code in [old[0].clone(), wrong_code(&totp)] {
        let res = app
            .post_as(
                &user.access_token,
                "/api/v1/me/mfa/recovery-codes",
                json!({ "code": code }),
            )
            .await;
        assert_eq!(
            refused(res, StatusCode::UNAUTHORIZED).await,
            "invalid_mfa_code"
        );
    }
    // The refused attempt did not use that recovery code up.
    let token = challenge(&app, &user).await;
    assert_tokens(&app, second_step(&app, &token, &old[0]).await).await;
    let res = app
        .post_as(
            &user.access_token,
            "/api/v1/me/mfa/recovery-codes",
            json!({ "code": next_code(&totp) }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    let new = recovery_codes(&body);
    assert_eq!(new.len(), 10);
    assert!(new.iter().all(|c| !old.contains(c)));

    let token = challenge(&app, &user).await;
    for code in &old[1..4] {
        let res = second_step(&app, &token, code).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "old code {code}");
    }
    assert_tokens(&app, second_step(&app, &token, &new[0]).await).await;
    assert!(app
        .audit_actions()
        .await
        .contains(&"recovery_codes_regenerated".to_owned()));
}

async fn disabling_needs_password_and_code(app: TestApp) {
    let user = app.signed_up("disable@example.org").await;
    let disable = |password: &str, code: &str| {
        app.post_as(
            &user.access_token,
            "/api/v1/me/mfa/totp/disable",
            json!({ "password": password, "code": code }),
        )
    };
    let res = disable(PASSWORD, "123456").await;
    assert_eq!(refused(res, StatusCode::CONFLICT).await, "mfa_not_enabled");

    let (totp, codes) = app.enable_mfa(&user).await;
    let res = disable("not my password at all", &next_code(&totp)).await;
    assert_eq!(
        refused(res, StatusCode::UNPROCESSABLE_ENTITY).await,
        "validation_failed"
    );
    let res = disable(PASSWORD, &wrong_code(&totp)).await;
    assert_eq!(
        refused(res, StatusCode::UNAUTHORIZED).await,
        "invalid_mfa_code"
    );
    // Still on.
    challenge(&app, &user).await;

    // A recovery code with the password turns it off.
    let res = disable(PASSWORD, &codes[5]).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let signed_in: Value = app.login(&user.email, PASSWORD).await.json().await.unwrap();
    assert_eq!(signed_in["status"], "signed_in", "{signed_in}");
    let me = app.me(&user).await;
    assert_eq!(me["mfa_enabled"], false);
    // The remaining recovery codes died with it.
    let res = disable(PASSWORD, &codes[6]).await;
    assert_eq!(problem_code(res).await, "mfa_not_enabled");

    // Set-up can start again, with a new secret.
    let (totp2, _) = app.enable_mfa(&user).await;
    assert_ne!(totp2.secret, totp.secret);
    let res = disable(PASSWORD, &next_code(&totp2)).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    app.signed_in(&user.email, PASSWORD).await;

    let actions = app.audit_actions().await;
    assert_eq!(actions.iter().filter(|a| *a == "mfa_disabled").count(), 2);
}

crate::on_both_backends!(
    totp_setup_and_two_step_sign_in,
    regenerating_recovery_codes_invalidates_the_old_ones,
    disabling_needs_password_and_code
);

crate::on_both_backends_with!(three_free_attempts => wrong_codes_lock_the_second_step);
