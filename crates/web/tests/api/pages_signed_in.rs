//! The signed-in pages — security, users, certifications, support, audit log — driven the
//! way a browser without JavaScript drives them (cookies, forms, CSRF tokens, redirects),
//! on SQLite and PostgreSQL.

use crate::helpers::pages::{between, csrf_token, sign_in, Person};
use crate::helpers::{location, next_code, totp_for, unix_now, TestApp, PASSWORD};
use reqwest::StatusCode;

const NEW_PASSWORD: &str = "quiet river under winter stars";

async fn change_password_through_the_page(app: TestApp) {
    let user = app.signed_up("pw-page@example.org").await;
    let b = Person::of(&app, &user).await;

    let res = b
        .submit(
            "/security",
            "/security/password",
            &[
                ("current_password", "not my password at all"),
                ("new_password", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK, "errors re-render the page");
    let html = res.text().await.unwrap();
    let error = between(&html, "id=\"current_password-error\" role=\"alert\">", "<")
        .expect("an error next to the current password");
    assert_eq!(error, "Your current password is not correct.");
    assert!(html.contains("<h1>Security</h1>"), "kept on the page");
    assert!(html.contains("aria-invalid=\"true\""));

    // The API session (another device) still works until the change succeeds.
    let res = app.get_as(&user.access_token, "/api/v1/me").await;
    assert_eq!(res.status(), StatusCode::OK);

    let (_, html) = b
        .submit_ok(
            "/security",
            "/security/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", NEW_PASSWORD),
            ],
        )
        .await;
    assert!(html.contains("Your password is changed"), "{html}");
    let res = app.get_as(&user.access_token, "/api/v1/me").await;
    assert_eq!(
        res.status(),
        StatusCode::UNAUTHORIZED,
        "other session ended"
    );
    app.signed_in(&user.email, NEW_PASSWORD).await;
}

async fn enable_mfa_through_the_page_then_sign_in_with_it(app: TestApp) {
    let user = app.signed_up("mfa-page@example.org").await;
    let b = Person::of(&app, &user).await;
    let html = b.page("/security").await;
    assert!(html.contains("action=\"/security/mfa/start\""));

    let (_, html) = b.submit_ok("/security", "/security/mfa/start", &[]).await;
    let secret = between(&html, "id=\"totp-secret\">", "<")
        .expect("the secret for typing in")
        .to_owned();
    assert!(html.contains("src=\"data:image/svg+xml;base64,"), "QR code");
    assert!(!html.contains("<svg"), "no inline SVG markup");
    // A reload shows the same secret: the app has already scanned it.
    let again = b.page("/security").await;
    assert_eq!(
        between(&again, "id=\"totp-secret\">", "<"),
        Some(secret.as_str())
    );

    let totp = totp_for(&secret);
    let res = b
        .submit(
            "/security",
            "/security/mfa/confirm",
            &[("setup_code", "000000")],
        )
        .await;
    let html = res.text().await.unwrap();
    if totp.generate(unix_now()) != "000000" {
        assert!(html.contains("id=\"setup_code-error\""), "{html}");
        assert_eq!(
            between(&html, "id=\"totp-secret\">", "<"),
            Some(secret.as_str())
        );
    }

    let res = b
        .submit(
            "/security",
            "/security/mfa/confirm",
            &[("setup_code", &totp.generate(unix_now()))],
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "codes are shown in the answer"
    );
    let html = res.text().await.unwrap();
    let codes = between(&html, "<ol class=\"codes\"", "</ol>").expect("recovery codes");
    assert_eq!(codes.matches("<li><code>").count(), 10, "{codes}");
    assert!(html.contains("shown only this once"));
    assert!(html.contains("action=\"/security/mfa/disable\""));
    // The codes are not shown again.
    assert!(!b.page("/security").await.contains("class=\"codes\""));

    // Signing in now takes the password and then a code.
    let other = Person::signed_out_on(&app, &user, "second device");
    let login = other.page("/login").await;
    let res = other
        .client
        .post(app.url("/login"))
        .form(&[
            ("csrf_token", csrf_token(&login).as_str()),
            ("email", user.email.as_str()),
            ("password", PASSWORD),
            ("next", "/security"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    let mfa_token = between(&html, "name=\"mfa_token\" value=\"", "\"").expect("MFA step");
    // The next step's code: the current one was used up by the confirmation.
    let res = other
        .client
        .post(app.url("/login/mfa"))
        .form(&[
            ("csrf_token", csrf_token(&html).as_str()),
            ("mfa_token", mfa_token),
            ("code", &next_code(&totp)),
            ("next", "/security"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/security");
    let html = other.page("/security").await;
    assert!(html.contains("Two-step verification is <strong>on</strong>"));

    // New recovery codes take an authenticator code, not a recovery code.
    let recovery = between(codes, "<li><code>", "</code>").unwrap().to_owned();
    let res = other
        .submit(
            "/security",
            "/security/mfa/recovery-codes",
            &[("regen_code", &recovery)],
        )
        .await;
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("id=\"regen_code-error\""));
    // Turning it off takes the password (checked first, so the code is not spent) and a code.
    let res = other
        .submit(
            "/security",
            "/security/mfa/disable",
            &[("disable_password", "wrong"), ("disable_code", &recovery)],
        )
        .await;
    let html = res.text().await.unwrap();
    assert_eq!(
        between(&html, "id=\"disable_password-error\" role=\"alert\">", "<"),
        Some("Your password is not correct.")
    );
    let (_, html) = other
        .submit_ok(
            "/security",
            "/security/mfa/disable",
            &[("disable_password", PASSWORD), ("disable_code", &recovery)],
        )
        .await;
    assert!(html.contains("Two-step verification is now off."));
    assert!(html.contains("action=\"/security/mfa/start\""));
}

const FIREFOX_ANDROID: &str =
    "Mozilla/5.0 (Android 14; Mobile; rv:128.0) Gecko/128.0 Firefox/128.0";

async fn revoke_another_session(app: TestApp) {
    let user = app.signed_up("sessions-page@example.org").await;
    let laptop = Person::signed_in_on(&app, &user, "laptop").await;
    let phone = Person::with_agent(&app, &user, FIREFOX_ANDROID);
    sign_in(&phone.client, &phone.base, &user.email, &user.password).await;

    let html = laptop.page("/security").await;
    assert!(html.contains("id=\"sessions\""));
    assert_eq!(html.matches("This device").count(), 1);
    // Three sessions (laptop, phone, the API one): a button for each of the other two.
    let forms: Vec<&str> = html
        .match_indices("action=\"/security/sessions/")
        .map(|(i, _)| &html[i + 8..])
        .map(|s| &s[..s.find('"').unwrap()])
        .filter(|a| a.ends_with("/revoke") && !a.ends_with("revoke-others"))
        .collect();
    assert_eq!(forms.len(), 2, "{forms:?}");

    // Which one is the phone: named as its owner would, not by its raw user agent.
    assert!(
        !html.contains("Mozilla/5.0") && !html.contains("PagesTest"),
        "{html}"
    );
    let row = html
        .split("<tr>")
        .find(|r| r.contains("Firefox on Android"))
        .expect("the phone's row");
    let action = between(row, "action=\"", "\"").unwrap().to_owned();
    let (_, html) = laptop.submit_ok("/security", &action, &[]).await;
    assert!(html.contains("That device is signed out."));

    let res = phone.get("/home").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(location(&res).starts_with("/login"), "{}", location(&res));
    assert_eq!(laptop.get("/home").await.status(), StatusCode::OK);

    // "Sign out everywhere else" ends the API session too, and keeps this one.
    let res = app.get_as(&user.access_token, "/api/v1/me").await;
    assert_eq!(res.status(), StatusCode::OK);
    let (_, html) = laptop
        .submit_ok("/security", "/security/sessions/revoke-others", &[])
        .await;
    assert!(html.contains("Every other device is signed out."));
    let res = app.get_as(&user.access_token, "/api/v1/me").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(laptop.get("/home").await.status(), StatusCode::OK);
    let actions = app.audit_actions().await;
    assert!(actions.contains(&"session_revoked".to_owned()));
    assert!(actions.contains(&"other_sessions_revoked".to_owned()));
}

async fn admin_grants_a_role_through_the_page(app: TestApp) {
    let admin = app.admin().await;
    let member = app.signed_up("new-helper@example.org").await;
    let admin_b = Person::of(&app, &admin).await;
    let member_b = Person::of(&app, &member).await;
    assert!(!member_b.page("/home").await.contains("href=\"/support\""));

    let list = admin_b
        .page("/admin/users?q=new-helper&role=&status=")
        .await;
    let user_path = format!("/admin/users/{}", member.id);
    assert!(list.contains(&format!("href=\"{user_path}\"")), "{list}");
    assert!(!list.contains(&admin.email), "the search narrows the list");
    let by_role = admin_b.page("/admin/users?role=admin").await;
    assert!(by_role.contains(&admin.email) && !by_role.contains(&member.email));
    let bad = admin_b.page("/admin/users?status=gone").await;
    assert!(bad.contains("id=\"status-error\""), "{bad}");

    let page = admin_b.page(&user_path).await;
    assert!(page.contains("new-helper@example.org"));
    let (_, html) = admin_b
        .submit_ok(&user_path, &format!("{user_path}/roles/support/grant"), &[])
        .await;
    assert!(html.contains("The role is granted."));
    assert!(html.contains(&format!("action=\"{user_path}/roles/support/remove\"")));
    assert!(member_b.page("/home").await.contains("href=\"/support\""));

    // Facilitator needs a certification: the use case's reason is shown by the roles.
    let res = admin_b
        .submit(
            &user_path,
            &format!("{user_path}/roles/facilitator/grant"),
            &[],
        )
        .await;
    let html = res.text().await.unwrap();
    assert!(
        html.contains("Only a certified facilitator can hold the Facilitator role"),
        "{html}"
    );

    // Suspension needs a reason, typed again only when missing.
    let res = admin_b
        .submit(
            &user_path,
            &format!("{user_path}/suspend"),
            &[("reason", "  ")],
        )
        .await;
    let html = res.text().await.unwrap();
    assert!(html.contains("id=\"reason-error\""), "{html}");
    let (_, html) = admin_b
        .submit_ok(
            &user_path,
            &format!("{user_path}/suspend"),
            &[("reason", "Asked to pause the account")],
        )
        .await;
    assert!(html.contains("Reason: Asked to pause the account"));
    assert_eq!(
        member_b.get("/home").await.status(),
        StatusCode::FORBIDDEN,
        "a suspended account's pages are refused"
    );
    let (_, html) = admin_b
        .submit_ok(&user_path, &format!("{user_path}/reactivate"), &[])
        .await;
    assert!(html.contains("The account is active again."));
}

async fn members_are_refused_staff_pages(app: TestApp) {
    let member = app.signed_up("plain-member@example.org").await;
    let b = Person::of(&app, &member).await;
    for path in [
        "/admin/users",
        &format!("/admin/users/{}", member.id),
        "/support",
        "/audit",
        "/audit/integrity",
        "/certifications",
    ] {
        let res = b.get(path).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "GET {path}");
        let body = res.text().await.unwrap();
        assert!(body.contains("You do not have permission"), "{body}");
    }
    let res = b
        .submit(
            "/security",
            &format!("/admin/users/{}/roles/admin/grant", member.id),
            &[],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let home = b.page("/home").await;
    for link in ["/admin/users", "/support", "/audit", "/certifications"] {
        assert!(!home.contains(&format!("href=\"{link}\"")), "{link}");
    }
}

async fn program_team_certifies_through_the_page(app: TestApp) {
    let admin = app.admin().await;
    let ptm = app.user_with_roles(&admin, &["program_team_member"]).await;
    let person = app.signed_up("future-facilitator@example.org").await;
    let b = Person::of(&app, &ptm).await;
    assert_eq!(b.get("/admin/users").await.status(), StatusCode::FORBIDDEN);

    let html = b.page("/certifications?email=nobody@example.org").await;
    assert!(html.contains("No account uses this email address."));
    let from = "/certifications?email=future-facilitator%40example.org";
    let html = b.page(from).await;
    assert!(html.contains("No certification recorded yet."));
    let user_id = person.id.to_string();

    let res = b
        .submit(
            from,
            "/certifications",
            &[
                ("email", &person.email),
                ("user_id", &user_id),
                ("expires_on", "31/12/2030"),
                ("note", "Completed the spring training"),
            ],
        )
        .await;
    let html = res.text().await.unwrap();
    assert!(html.contains("id=\"expires_on-error\""), "{html}");
    assert!(
        html.contains("Completed the spring training"),
        "the note is kept"
    );
    let res = b
        .submit(
            from,
            "/certifications",
            &[
                ("email", &person.email),
                ("user_id", &user_id),
                ("expires_on", "2001-01-01"),
                ("note", ""),
            ],
        )
        .await;
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("The expiry must be in the future."));

    let (_, html) = b
        .submit_ok(
            from,
            "/certifications",
            &[
                ("email", &person.email),
                ("user_id", &user_id),
                ("expires_on", ""),
                ("note", "Completed the spring training"),
            ],
        )
        .await;
    assert!(html.contains("The certification is recorded."));
    assert!(html.contains("Completed the spring training"));
    assert!(
        html.contains(">Current</td>"),
        "the certification shows as current"
    );
    assert!(
        app::certification::is_current(&app.ctx.main, person.id, app.ctx.now())
            .await
            .unwrap()
    );

    let action = between(&html, "action=\"/certifications/", "\"").unwrap();
    let action = format!("/certifications/{action}");
    // Revoking asks first; the confirmation page's answer does it.
    let asked = b
        .submit_refused(from, &action, &[("email", &person.email)])
        .await;
    assert!(asked.contains("Revoke the certification of"), "{asked}");
    let (_, html) = b
        .submit_ok(
            from,
            &action,
            &[("email", &person.email), ("confirm", "yes")],
        )
        .await;
    assert!(html.contains("The certification is revoked."));
    assert!(
        html.contains(">Revoked</td>"),
        "the certification shows as revoked"
    );
    let actions = app.audit_actions().await;
    assert!(actions.contains(&"facilitator_certified".to_owned()));
    assert!(actions.contains(&"facilitator_certification_revoked".to_owned()));
}

async fn support_unlocks_through_the_page(app: TestApp) {
    let admin = app.admin().await;
    let support = app.user_with_roles(&admin, &["support"]).await;
    let caller = app.signed_up("locked-out@example.org").await;
    for _ in 0..6 {
        app.login(&caller.email, "not the password").await;
    }
    let res = app.login(&caller.email, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS, "locked out");

    let b = Person::of(&app, &support).await;
    let html = b.page("/support?email=nobody@example.org").await;
    assert!(html.contains("No account uses this email address."));
    let html = b.page("/support?email=not-an-address").await;
    assert!(html.contains("id=\"email-error\""), "{html}");

    let from = "/support?email=locked-out%40example.org";
    let html = b.page(from).await;
    assert!(
        html.contains("<span class=\"tag warn\">Locked</span>"),
        "{html}"
    );
    let action = format!("/support/accounts/{}/unlock", caller.id);
    assert!(html.contains(&format!("action=\"{action}\"")));
    let (_, html) = b.submit_ok(from, &action, &[]).await;
    assert!(html.contains("The account is unlocked"));
    assert!(!html.contains("<span class=\"tag warn\">Locked</span>"));
    let res = app.login(&caller.email, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::OK, "can sign in again");
    assert!(app
        .audit_actions()
        .await
        .contains(&"support_unlocked_account".to_owned()));

    // Resending to a confirmed address is refused with the use case's words.
    let res = b
        .submit(
            from,
            &format!("/support/accounts/{}/resend-verification", caller.id),
            &[],
        )
        .await;
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("This address is already verified."));
}

async fn audit_page_filters_by_action(app: TestApp) {
    let admin = app.admin().await;
    app.login("someone@example.org", "wrong password entirely")
        .await;
    let b = Person::of(&app, &admin).await;

    // Actions read as words, and the filter is a pick list of them.
    let all = b.page("/audit").await;
    assert!(all.contains(">Signed in</a>"), "{all}");
    assert!(!all.contains(">login_succeeded</a>"));
    assert!(
        all.contains("<select id=\"action\" name=\"action\""),
        "{all}"
    );
    let html = b
        .page("/audit?action=login_failed&actor_id=&target_id=&since=&until=")
        .await;
    let actions: Vec<&str> = html
        .match_indices("href=\"/audit?action=")
        .map(|(i, _)| &html[i + "href=\"/audit?action=".len()..])
        .map(|s| &s[..s.find('"').unwrap()])
        .collect();
    assert!(!actions.is_empty(), "{html}");
    assert!(actions.iter().all(|a| *a == "login_failed"), "{actions:?}");
    assert!(
        html.contains("value=\"login_failed\" selected"),
        "the filter is kept"
    );

    let today = chrono::Utc::now().date_naive().to_string();
    let html = b.page(&format!("/audit?since={today}&until={today}")).await;
    assert!(html.contains("title=\"login_failed\""));
    let html = b.page("/audit?since=2001-01-01&until=2001-01-02").await;
    assert!(html.contains("No record matches."));
    let html = b.page("/audit?since=yesterday&actor_id=me").await;
    assert!(html.contains("id=\"since-error\"") && html.contains("id=\"actor_id-error\""));

    let html = b.page("/audit/integrity").await;
    assert!(html.contains("The log is intact"), "{html}");
}

crate::on_both_backends!(
    change_password_through_the_page,
    enable_mfa_through_the_page_then_sign_in_with_it,
    revoke_another_session,
    admin_grants_a_role_through_the_page,
    members_are_refused_staff_pages,
    program_team_certifies_through_the_page,
    support_unlocks_through_the_page,
    audit_page_filters_by_action,
);
