//! Bad input never yields a 500 and never loses stored data (docs/admin/security.md): every refusal is
//! a 4xx `application/problem+json` with a stable code, and an account that existed before
//! the barrage is untouched after it.

use crate::helpers::{invalid_fields, problem_code, TestApp, User, PASSWORD};
use app::config::Settings;
use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};

/// Rate limits out of the way: these tests send far more requests than a person would.
fn generous_limits(s: &mut Settings) {
    let r = &mut s.rate_limit;
    r.login_per_ip = 100_000;
    r.mfa_per_ip = 100_000;
    r.register_per_ip = 100_000;
    r.reset_per_ip = 100_000;
    r.reset_per_account = 100_000;
    r.verification_per_account = 100_000;
}

/// Asserts the status, then the problem document's shape and code.
async fn expect_problem(res: Response, status: StatusCode, code: &str) {
    let what = format!("{} {}", res.url().path(), res.status());
    assert!(res.status().as_u16() < 500, "server error: {what}");
    assert_eq!(res.status(), status, "{what}");
    assert_eq!(problem_code(res).await, code, "{what}");
}

/// Asserts a 422 `validation_failed` naming exactly `fields` (in any order).
async fn expect_invalid_fields(res: Response, fields: &[&str]) {
    let what = format!("{} {}", res.url().path(), res.status());
    let mut got = invalid_fields(res).await;
    got.sort_unstable();
    let mut want = fields.to_vec();
    want.sort_unstable();
    assert_eq!(got, want, "{what}");
}

/// The pre-existing account still signs in and looks the same, and the app answered none
/// of this test's requests with a 5xx (every test here only sends bad input). The harness
/// notes 5xx answers per app: the process-wide metrics would count other tests' too.
async fn assert_nothing_lost(app: &TestApp, user: &User, profile_before: &Value) {
    let again = app.signed_in(&user.email, &user.password).await;
    assert_eq!(&app.me(&again).await, profile_before);
    assert_eq!(&app.me(user).await, profile_before, "old session ended");
    let errors = app.server_errors();
    assert!(errors.is_empty(), "server errors: {errors:#?}");
}

async fn malformed_bodies_are_refused_without_harm(app: TestApp) {
    let user = app.signed_up("keeper@example.org").await;
    let admin = app.admin().await;
    let before = app.me(&user).await;
    let token = user.access_token.as_str();
    let suspend = format!("/api/v1/admin/users/{}/suspend", user.id);

    // (method, path, token) of endpoints that take a JSON body.
    let targets: Vec<(Method, String, Option<&str>)> = vec![
        (Method::POST, "/api/v1/auth/register".into(), None),
        (Method::POST, "/api/v1/auth/login".into(), None),
        (Method::POST, "/api/v1/auth/password/forgot".into(), None),
        (Method::POST, "/api/v1/auth/refresh".into(), None),
        (Method::PATCH, "/api/v1/me".into(), Some(token)),
        (Method::POST, "/api/v1/me/password".into(), Some(token)),
        (Method::POST, suspend.clone(), Some(&admin.access_token)),
    ];
    let json_ct = Some("application/json");
    for (method, path, auth) in &targets {
        let m = || method.clone();
        for bad in [
            "{",
            "{\"email\": ",
            "not json",
            "{\"email\": \"a\",}",
            "{'email': 'a'}",
            "{\"email\": \"a\" \"password\": \"b\"}",
            "\u{0}",
            "",
        ] {
            let res = app.send_raw(m(), path, *auth, json_ct, bad).await;
            assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{path} {bad:?}");
            expect_problem(res, StatusCode::BAD_REQUEST, "malformed_json").await;
        }
        // Nesting deep enough to overflow a naive recursive parser.
        let deep = format!("{{\"x\":{}", "[".repeat(50_000));
        let res = app.send_raw(m(), path, *auth, json_ct, deep).await;
        expect_problem(res, StatusCode::BAD_REQUEST, "malformed_json").await;

        for wrong in [
            json!({ "email": 5, "password": [], "display_name": {}, "reason": 7, "refresh_token": 1, "current_password": 1, "new_password": 2 }),
            json!([]),
            json!("text"),
            json!(null),
        ] {
            let res = app.call(m(), path, *auth, Some(wrong)).await;
            expect_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body").await;
        }
        if path != "/api/v1/me" {
            // Every field of PATCH /me is optional; elsewhere an empty object misses some.
            let res = app.call(m(), path, *auth, Some(json!({}))).await;
            expect_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body").await;
        }

        let body = r#"{"email":"a@example.org"}"#;
        let res = app.send_raw(m(), path, *auth, None, body).await;
        expect_problem(
            res,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        )
        .await;
        for ct in ["text/plain", "application/x-www-form-urlencoded", "jsonp"] {
            let res = app.send_raw(m(), path, *auth, Some(ct), body).await;
            expect_problem(
                res,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
            )
            .await;
        }

        let huge = format!(
            r#"{{"email":"big@example.org","password":"x","display_name":"{}"}}"#,
            "a".repeat(app.ctx.settings.server.body_limit_bytes + 1)
        );
        let res = app.send_raw(m(), path, *auth, json_ct, huge).await;
        expect_problem(res, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
    }

    assert_nothing_lost(&app, &user, &before).await;
    let detail: Value = app
        .get_as(
            &admin.access_token,
            &format!("/api/v1/admin/users/{}", user.id),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(detail["status"], "active", "{detail}");
}

const BAD_EMAILS: &[&str] = &[
    "",
    "   ",
    "plain",
    "a@b",
    "@example.org",
    "name@",
    "a b@example.org",
    "a@example..org",
    "a@-x.org",
    "a@@example.org",
    "<a@example.org>",
    "a@[127.0.0.1]",
    "a\u{0}@example.org",
    "a@exa mple.org",
];

async fn invalid_fields_are_named(app: TestApp) {
    let user = app.signed_up("keeper@example.org").await;
    let before = app.me(&user).await;
    let token = user.access_token.as_str();

    for bad in BAD_EMAILS {
        let res = app.register(bad, PASSWORD, "Someone").await;
        expect_invalid_fields(res, &["email"]).await;
        let res = app
            .post("/api/v1/auth/password/forgot", json!({ "email": bad }))
            .await;
        expect_invalid_fields(res, &["email"]).await;
        let res = app
            .post("/api/v1/auth/resend-verification", json!({ "email": bad }))
            .await;
        expect_invalid_fields(res, &["email"]).await;
        // Sign-in does not say which part is wrong.
        let res = app.login(bad, PASSWORD).await;
        expect_problem(res, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    }

    // Very long values.
    let long_email = format!("{}@example.org", "a".repeat(288));
    assert_eq!(long_email.chars().count(), 300);
    let res = app.register(&long_email, PASSWORD, "Someone").await;
    expect_invalid_fields(res, &["email"]).await;
    let res = app
        .post(
            "/api/v1/auth/password/forgot",
            json!({ "email": long_email }),
        )
        .await;
    expect_invalid_fields(res, &["email"]).await;
    let long_name = "N".repeat(10_000);
    let res = app
        .register("long-name@example.org", PASSWORD, &long_name)
        .await;
    expect_invalid_fields(res, &["display_name"]).await;
    let res = app
        .patch_me(&user, json!({ "display_name": long_name }))
        .await;
    expect_invalid_fields(res, &["display_name"]).await;
    let long_password = "Wq9#zL".repeat(167);
    assert!(long_password.len() >= 1000);
    let res = app
        .register("long-password@example.org", &long_password, "Someone")
        .await;
    expect_invalid_fields(res, &["password"]).await;
    let res = app
        .post_as(
            token,
            "/api/v1/me/password",
            json!({ "current_password": PASSWORD, "new_password": long_password }),
        )
        .await;
    expect_invalid_fields(res, &["new_password"]).await;
    // A long wrong password at sign-in is just wrong.
    let res = app.login(&user.email, &long_password).await;
    expect_problem(res, StatusCode::UNAUTHORIZED, "invalid_credentials").await;

    // Control characters in a display name.
    for name in [
        "Sa\u{0}m",
        "Sa\u{7}m",
        "Sa\u{1b}[31mm",
        "Sa\nm",
        "Sa\u{7f}m",
        "\u{0}",
    ] {
        let res = app.register("control@example.org", PASSWORD, name).await;
        expect_invalid_fields(res, &["display_name"]).await;
        let res = app.patch_me(&user, json!({ "display_name": name })).await;
        expect_invalid_fields(res, &["display_name"]).await;
    }
    for blank in ["", "   "] {
        let res = app.patch_me(&user, json!({ "display_name": blank })).await;
        expect_invalid_fields(res, &["display_name"]).await;
    }

    // Several problems at once: each is listed.
    let res = app.register("nope", "short", "").await;
    expect_invalid_fields(res, &["email", "password", "display_name"]).await;
    let res = app.register("nope", PASSWORD, "Ok Name").await;
    expect_invalid_fields(res, &["email"]).await;
    let res = app
        .register("weak@example.org", "password1234", "Sa\u{0}m")
        .await;
    expect_invalid_fields(res, &["password", "display_name"]).await;

    // None of the refused registrations created an account.
    use db::main_db::users;
    use db::sea_orm::{EntityTrait, PaginatorTrait};
    let accounts = users::Entity::find().count(&app.ctx.main).await.unwrap();
    assert_eq!(accounts, 1, "a refused registration stored an account");

    assert_nothing_lost(&app, &user, &before).await;
}

async fn non_ascii_input_round_trips(app: TestApp) {
    let keeper = app.signed_up("keeper@example.org").await;
    let before = app.me(&keeper).await;

    let email = "jürgen@bücher.de";
    let name = "Jürgen Ødegård 山田";
    let password = "🦊 Füchse laufen über 七 Brücken 🌉";
    let user = app.signed_up_as(name, email, password).await;
    let profile = app.me(&user).await;
    assert_eq!(profile["email"], email, "{profile}");
    assert_eq!(profile["display_name"], name, "{profile}");

    // Upper case is normalised, so the same person can still sign in.
    let res = app.login("JÜRGEN@BÜCHER.DE", password).await;
    assert_eq!(res.status(), StatusCode::OK);
    // A near miss in the emoji is a wrong password.
    let res = app.login(email, &password.replace('🦊', "🐺")).await;
    expect_problem(res, StatusCode::UNAUTHORIZED, "invalid_credentials").await;

    for new_name in ["Ærøskøbing Ünal", "محمد", "🧔 Bärtiger Mann", "  Padded  "] {
        let res = app
            .patch_me(&user, json!({ "display_name": new_name }))
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        let patched: Value = res.json().await.unwrap();
        assert_eq!(patched["display_name"], new_name.trim(), "{patched}");
        assert_eq!(app.me(&user).await["display_name"], new_name.trim());
    }
    // The 64-character limit counts characters, not bytes.
    let wide = "山".repeat(64);
    let res = app.patch_me(&user, json!({ "display_name": wide })).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(app.me(&user).await["display_name"], wide.as_str());

    assert_nothing_lost(&app, &keeper, &before).await;
}

async fn unknown_routes_methods_ids_and_queries(app: TestApp) {
    let user = app.signed_up("keeper@example.org").await;
    let before = app.me(&user).await;
    let admin = app.admin().await;
    let a = Some(admin.access_token.as_str());

    for path in ["/api/v1/nowhere", "/nowhere", "/api/v2/me", "/api/v1/auth"] {
        let res = app.call(Method::GET, path, a, None).await;
        expect_problem(res, StatusCode::NOT_FOUND, "not_found").await;
    }
    for (method, path) in [
        (Method::DELETE, "/api/v1/auth/login"),
        (Method::GET, "/api/v1/auth/register"),
        (Method::PUT, "/api/v1/me"),
        (Method::POST, "/health/live"),
    ] {
        let res = app.call(method.clone(), path, a, None).await;
        assert!(
            res.headers().contains_key("allow"),
            "{method} {path}: no Allow header"
        );
        expect_problem(res, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").await;
    }
    for (method, path) in [
        (Method::GET, "/api/v1/admin/users/not-a-uuid"),
        (Method::POST, "/api/v1/admin/users/not-a-uuid/suspend"),
        (Method::POST, "/api/v1/admin/users/not-a-uuid/reactivate"),
        (Method::PUT, "/api/v1/admin/users/12345/roles/admin"),
        (Method::GET, "/api/v1/support/accounts/%00"),
        (Method::DELETE, "/api/v1/me/sessions/not-a-uuid"),
        (Method::GET, "/api/v1/users/zzz/certifications"),
    ] {
        let body = (method != Method::GET && method != Method::DELETE)
            .then(|| json!({ "reason": "testing" }));
        let res = app.call(method, path, a, body).await;
        expect_problem(res, StatusCode::NOT_FOUND, "not_found").await;
    }
    // An unknown role, and a well-formed id nobody has.
    let res = app
        .call(
            Method::PUT,
            &format!("/api/v1/admin/users/{}/roles/emperor", user.id),
            a,
            None,
        )
        .await;
    expect_problem(res, StatusCode::NOT_FOUND, "not_found").await;
    let nobody = uuid::Uuid::now_v7();
    let res = app
        .get_as(
            &admin.access_token,
            &format!("/api/v1/admin/users/{nobody}"),
        )
        .await;
    expect_problem(res, StatusCode::NOT_FOUND, "not_found").await;
    let res = app.suspend(&admin, nobody, "testing").await;
    expect_problem(res, StatusCode::NOT_FOUND, "not_found").await;

    for query in [
        "limit=abc",
        "limit=-1",
        "limit=1.5",
        "limit=99999999999999999999999",
        "role=emperor",
    ] {
        let res = app
            .get_as(&admin.access_token, &format!("/api/v1/admin/users?{query}"))
            .await;
        expect_problem(res, StatusCode::BAD_REQUEST, "invalid_query").await;
    }
    for query in ["limit=0", "limit=201", "cursor=garbage", "cursor=%00"] {
        let res = app
            .get_as(&admin.access_token, &format!("/api/v1/admin/users?{query}"))
            .await;
        expect_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        let res = app
            .get_as(&admin.access_token, &format!("/api/v1/audit?{query}"))
            .await;
        expect_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    }
    let res = app
        .get_as(&admin.access_token, "/api/v1/audit?limit=abc")
        .await;
    expect_problem(res, StatusCode::BAD_REQUEST, "invalid_query").await;
    // Odd but harmless search text is just text.
    for q in ["%25", "'; DROP TABLE users; --", "\\", "_", "山田"] {
        let req = app
            .client
            .get(app.url("/api/v1/admin/users"))
            .bearer_auth(&admin.access_token)
            .query(&[("q", q)]);
        let res = app.send(req).await;
        assert_eq!(res.status(), StatusCode::OK, "q={q}");
    }

    // Broken credentials are refused, never crash.
    for header in [
        "Bearer",
        "Bearer ",
        "Bearer not.a.jwt",
        "Basic abc",
        "Bearer \u{7f}",
    ] {
        let req = app
            .client
            .get(app.url("/api/v1/me"))
            .header("authorization", header);
        let Ok(res) = app.try_send(req).await else {
            continue; // some values are not valid header values
        };
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{header:?}");
        problem_code(res).await;
    }

    assert_nothing_lost(&app, &user, &before).await;
}

/// A tiny deterministic PRNG (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    fn string(&mut self) -> String {
        const PIECES: &[&str] = &[
            "a",
            "Z",
            "0",
            "@",
            ".",
            " ",
            "-",
            "_",
            "\"",
            "\\",
            "\u{0}",
            "\n",
            "\u{7f}",
            "ü",
            "山",
            "🦊",
            "\u{202e}",
            "example.org",
            "user@example.org",
            "%",
            "'",
            "<",
            "{",
        ];
        let len = match self.below(10) {
            0 => 200 + self.below(2000),
            _ => self.below(24),
        };
        (0..len).map(|_| *self.pick(PIECES)).collect()
    }

    fn value(&mut self, depth: u32) -> Value {
        let kinds = if depth >= 3 { 5 } else { 7 };
        match self.below(kinds) {
            0 => Value::Null,
            1 => Value::Bool(self.below(2) == 0),
            2 => json!(self.next() as i64),
            3 => json!((self.next() as f64) / 7.0),
            4 => Value::String(self.string()),
            5 => Value::Array((0..self.below(4)).map(|_| self.value(depth + 1)).collect()),
            _ => Value::Object(
                (0..self.below(4))
                    .map(|_| (self.string(), self.value(depth + 1)))
                    .collect(),
            ),
        }
    }

    /// Mostly objects shaped like the real forms, with random values and extra keys.
    fn body(&mut self) -> String {
        const KEYS: &[&str] = &["email", "password", "display_name"];
        let v = match self.below(6) {
            0 => self.value(0),
            _ => {
                let mut obj = serde_json::Map::new();
                for key in KEYS {
                    if self.below(5) != 0 {
                        let v = if self.below(2) == 0 {
                            Value::String(self.string())
                        } else {
                            self.value(1)
                        };
                        obj.insert((*key).to_owned(), v);
                    }
                }
                if self.below(4) == 0 {
                    obj.insert(self.string(), self.value(1));
                }
                Value::Object(obj)
            }
        };
        let mut text = v.to_string();
        // Now and then, break the syntax.
        match self.below(8) {
            0 if !text.is_empty() => {
                let cut = self.below(text.len() as u64) as usize;
                text = text.chars().take(cut).collect();
            }
            1 => text.insert(0, *self.pick(&['{', '[', '"', ','])),
            _ => {}
        }
        text
    }
}

async fn random_bodies_never_cause_a_server_error(app: TestApp) {
    let user = app.signed_up("keeper@example.org").await;
    let before = app.me(&user).await;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    for i in 0..200 {
        let body = rng.body();
        for path in ["/api/v1/auth/register", "/api/v1/auth/login"] {
            let res = app
                .send_raw(
                    Method::POST,
                    path,
                    None,
                    Some("application/json"),
                    body.clone(),
                )
                .await;
            let status = res.status();
            assert!(
                status.is_client_error() || status.is_success(),
                "body #{i} to {path} answered {status}: {body:?}"
            );
            if status.is_client_error() {
                problem_code(res).await;
            }
            *statuses.entry(status.as_u16()).or_default() += 1;
        }
    }
    // The generator reaches past the JSON parser into the validators.
    for code in [400, 422] {
        assert!(statuses.contains_key(&code), "no {code} in {statuses:?}");
    }
    assert_nothing_lost(&app, &user, &before).await;
}

crate::on_both_backends_with!(generous_limits =>
    malformed_bodies_are_refused_without_harm,
    invalid_fields_are_named,
    non_ascii_input_round_trips,
    unknown_routes_methods_ids_and_queries,
    random_bodies_never_cause_a_server_error,
);
