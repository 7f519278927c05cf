//! The smaller holes of issue 9 §4, each closed and kept closed, on SQLite and PostgreSQL:
//! redirects after sign-in, decompression bombs, calendar feeds after a password change,
//! CSRF tokens bound to their session, "someone tried to register" floods, request ids,
//! `/metrics`, caching and idle sessions, owner-only files, implausible dates, and
//! invitation-only circles in listings.

use crate::helpers::pages::{browser, csrf_token, sign_in, Person};
use crate::helpers::{location, problem_code, TestApp, User, PASSWORD};
use app::config::{Secret, Settings};
use db::credentials::sessions;
use db::main_db::audit_log;
use db::sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use reqwest::header::{CACHE_CONTROL, COOKIE, RETRY_AFTER};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::sync::Arc;

const NEW_PASSWORD: &str = "violet kettles murmur beneath quiet lighthouses";

async fn json_of(res: reqwest::Response) -> Value {
    let status = res.status();
    let text = res.text().await.unwrap();
    assert!(status.is_success(), "{status}: {text}");
    serde_json::from_str(&text).unwrap()
}

// ---------------------------------------------------------------------------------------
// 4. Redirects after signing in stay on the site and never fail.

async fn sign_in_redirects_stay_on_the_site(app: TestApp) {
    let user = app.signed_up("wanderer@example.org").await;
    let person = Person::of(&app, &user).await;
    for next in [
        "/%09/evil.example",
        "/%0d/x",
        "//evil.example",
        "/%5C/evil.example",
    ] {
        let res = person.get(&format!("/login?next={next}")).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "next={next}");
        assert_eq!(location(&res), "/home", "next={next}");
    }
    let res = person.get("/login?next=/circles%3Fweekday%3Dtue").await;
    assert_eq!(location(&res), "/circles?weekday=tue");

    // Through the form, as a visitor signing in.
    let client = browser();
    let page = client.get(app.url("/login")).send().await.unwrap();
    let token = csrf_token(&page.text().await.unwrap());
    let res = client
        .post(app.url("/login"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", user.email.as_str()),
            ("password", PASSWORD),
            ("next", "/\r/x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/home");
}

// ---------------------------------------------------------------------------------------
// 5. Decompression bombs are refused from the header, and image work is bounded.

/// A valid PNG of `side` × `side` black pixels: a few hundred kilobytes of file for a
/// picture that would unpack to `side²` bytes.
fn bomb(side: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, side, side);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_compression(png::Compression::High);
    let mut writer = encoder.write_header().unwrap();
    let mut stream = writer.stream_writer().unwrap();
    let row = vec![0u8; side as usize];
    for _ in 0..side {
        std::io::Write::write_all(&mut stream, &row).unwrap();
    }
    stream.finish().unwrap();
    writer.finish().unwrap();
    out
}

async fn upload_photo(app: &TestApp, user: &User, bytes: Vec<u8>) -> reqwest::Response {
    app.client
        .put(app.url("/api/v1/me/photo"))
        .bearer_auth(&user.access_token)
        .header("content-type", "image/png")
        .body(bytes)
        .send()
        .await
        .unwrap()
}

async fn decompression_bombs_are_refused(app: TestApp) {
    let user = app.signed_up("bomber@example.org").await;
    let file = bomb(11_900);
    assert!(file.len() < 1024 * 1024, "{} bytes", file.len());
    let res = upload_photo(&app, &user, file).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["errors"][0]["field"], "photo", "{body}");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("40 megapixels"), "{message}");
    let me = json_of(app.get_as(&user.access_token, "/api/v1/me").await).await;
    assert!(me["photo_url"].is_null(), "{me}");
}

async fn image_work_waits_its_turn(app: TestApp) {
    let user = app.signed_up("patient@example.org").await;
    // Every turn is taken (as by two large uploads in progress).
    let turns = app
        .ctx
        .image_work
        .clone()
        .acquire_many_owned(2)
        .await
        .unwrap();
    let res = upload_photo(&app, &user, bomb(64)).await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(res.headers().contains_key(RETRY_AFTER));
    assert_eq!(problem_code(res).await, "busy");
    drop(turns);
    let res = upload_photo(&app, &user, bomb(64)).await;
    assert_eq!(res.status(), StatusCode::OK);
}

// ---------------------------------------------------------------------------------------
// 6. A password change or reset revokes the calendar-feed address.

async fn new_feed(app: &TestApp, user: &User) -> String {
    let body = json_of(
        app.post_as(&user.access_token, "/api/v1/me/calendar-feed", json!({}))
            .await,
    )
    .await;
    let url = body["url"].as_str().unwrap();
    let path = url.split_once("/calendar/").unwrap().1;
    let feed = format!("/calendar/{path}");
    assert_eq!(
        app.client
            .get(app.url(&feed))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    feed
}

async fn password_changes_revoke_calendar_feeds(app: TestApp) {
    let user = app.signed_up("calendar@example.org").await;
    let feed = new_feed(&app, &user).await;
    let res = app
        .post_as(
            &user.access_token,
            "/api/v1/me/password",
            json!({ "current_password": PASSWORD, "new_password": NEW_PASSWORD }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = app.client.get(app.url(&feed)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // A reset revokes the next one.
    let feed = new_feed(&app, &user).await;
    let res = app
        .post(
            "/api/v1/auth/password/forgot",
            json!({ "email": user.email }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let token = app.token_from_email(&user.email, "reset-password").await;
    let res = app
        .post(
            "/api/v1/auth/password/reset",
            json!({ "token": token, "new_password": PASSWORD }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app.client.get(app.url(&feed)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

// ---------------------------------------------------------------------------------------
// 8. A CSRF token belongs to its session.

/// The value of cookie `name` in a `Cookie` header value.
fn cookie_in(header: &str, name: &str) -> String {
    header
        .split("; ")
        .find_map(|pair| pair.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} in {header}"))
        .to_owned()
}

/// Signs `user` in with a browser whose cookies the test can read.
async fn browser_with_jar(
    app: &TestApp,
    user: &User,
) -> (reqwest::Client, Arc<reqwest::cookie::Jar>) {
    let jar = Arc::new(reqwest::cookie::Jar::default());
    let client = reqwest::Client::builder()
        .cookie_provider(jar.clone())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    sign_in(&client, &app.address, &user.email, PASSWORD).await;
    (client, jar)
}

async fn logout_with(app: &TestApp, cookies: String, token: &str) -> reqwest::Response {
    app.client
        .post(app.url("/logout"))
        .header(COOKIE, cookies)
        .form(&[("csrf_token", token)])
        .send()
        .await
        .unwrap()
}

async fn csrf_tokens_are_bound_to_their_session(app: TestApp) {
    let url = url::Url::parse(&app.address).unwrap();
    let alice = app.signed_up("alice@example.org").await;
    let bob = app.signed_up("bob@example.org").await;
    let (alice_browser, alice_jar) = browser_with_jar(&app, &alice).await;
    let (_, bob_jar) = browser_with_jar(&app, &bob).await;
    let home = alice_browser.get(app.url("/home")).send().await.unwrap();
    let alice_token = csrf_token(&home.text().await.unwrap());
    let jar_header = |jar: &reqwest::cookie::Jar| {
        use reqwest::cookie::CookieStore;
        jar.cookies(&url).unwrap().to_str().unwrap().to_owned()
    };
    let (alice_cookies, bob_cookies) = (jar_header(&alice_jar), jar_header(&bob_jar));
    let seed = cookie_in(&alice_cookies, "circles_csrf");

    // Alice's token and CSRF cookie, sent with Bob's session: refused.
    let mixed = format!(
        "circles_csrf={seed}; circles_session={}",
        cookie_in(&bob_cookies, "circles_session")
    );
    let res = logout_with(&app, mixed, &alice_token).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app.get_as(&bob.access_token, "/api/v1/me/sessions").await;
    assert_eq!(res.status(), StatusCode::OK, "Bob's session goes on");

    // With her own session it is accepted.
    let res = logout_with(&app, alice_cookies, &alice_token).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

// ---------------------------------------------------------------------------------------
// 9. One "someone tried to register with your address" email per address per hour.

async fn taken_address_notices_are_sent_once_an_hour(app: TestApp) {
    let owner = app.signed_up("popular@example.org").await;
    for _ in 0..3 {
        let res = app.register(&owner.email, NEW_PASSWORD, "Impostor").await;
        assert_eq!(res.status(), StatusCode::ACCEPTED);
    }
    app.run_pending_jobs().await;
    let notices = app
        .emails_to(&owner.email)
        .into_iter()
        .filter(|m| m.subject == "Someone tried to register with your address")
        .count();
    assert_eq!(notices, 1);
    let attempts = app
        .audit_actions()
        .await
        .into_iter()
        .filter(|a| a == "registration_for_existing_email")
        .count();
    assert_eq!(attempts, 3, "every attempt is still audited");
}

// ---------------------------------------------------------------------------------------
// 10. A client's request id is kept only when it is short and plain.

async fn request_id_after_sending(app: &TestApp, sent: &str) -> String {
    let res = app
        .client
        .get(app.url("/health/live"))
        .header("x-request-id", sent)
        .send()
        .await
        .unwrap();
    res.headers()["x-request-id"].to_str().unwrap().to_owned()
}

async fn only_plain_request_ids_are_kept(app: TestApp) {
    assert_eq!(
        request_id_after_sending(&app, "lb-7.req_42").await,
        "lb-7.req_42"
    );
    for bad in [
        "has spaces",
        "<script>alert(1)</script>",
        &"x".repeat(65),
        "a\"b",
    ] {
        let echoed = request_id_after_sending(&app, bad).await;
        assert_ne!(echoed, bad);
        assert!(echoed.parse::<uuid::Uuid>().is_ok(), "{echoed}");
    }
    // What the audit log records is what the response echoes.
    let res = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("x-request-id", "forged id\t2024")
        .json(&json!({ "email": "nobody@example.org", "password": "wrong wrong" }))
        .send()
        .await
        .unwrap();
    let echoed = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["request_id"], echoed.as_str());
    let logged = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("login_failed"))
        .one(&app.ctx.main)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(logged.request_id.as_deref(), Some(echoed.as_str()));
}

// ---------------------------------------------------------------------------------------
// 11. `/metrics` is not public.

const METRICS_TOKEN: &str = "prometheus-scrapes-with-this-token";

async fn metrics_with(app: &TestApp, base: &str, token: Option<&str>) -> reqwest::Response {
    let mut req = app.client.get(format!("{base}/metrics"));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap()
}

async fn metrics_are_hidden_without_configuration(app: TestApp) {
    let res = metrics_with(&app, &app.address, None).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = metrics_with(&app, &app.address, Some(METRICS_TOKEN)).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

fn metrics_token(s: &mut Settings) {
    s.metrics.token = Some(Secret::new(METRICS_TOKEN));
}

async fn metrics_need_the_token(app: TestApp) {
    let base = app.address.clone();
    assert_eq!(
        metrics_with(&app, &base, None).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let res = metrics_with(&app, &base, Some("prometheus-scrapes-with-this-tokeN")).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = metrics_with(&app, &base, Some(METRICS_TOKEN)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("http_requests_total"));
}

/// With `metrics.listen`, metrics are served there only.
async fn metrics_on_their_own_listener(backend: crate::helpers::Backend) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let configure = move |s: &mut Settings| s.metrics.listen = Some(format!("127.0.0.1:{port}"));
    crate::helpers::run(backend, configure, |app: TestApp| async move {
        let res = metrics_with(&app, &app.address, None).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        let res = metrics_with(&app, &format!("http://127.0.0.1:{port}"), None).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.text().await.unwrap().contains("http_requests_total"));
    })
    .await;
}

mod metrics_on_their_own_listener {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::metrics_on_their_own_listener(crate::helpers::Backend::Sqlite).await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::metrics_on_their_own_listener(crate::helpers::Backend::Postgres).await
    }
}

// ---------------------------------------------------------------------------------------
// 12. Personal answers are not cached; idle sessions end.

fn cache_control(res: &reqwest::Response) -> String {
    res.headers()
        .get(CACHE_CONTROL)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

async fn personal_answers_are_not_stored(app: TestApp) {
    let user = app.signed_up("private@example.org").await;
    let res = app.get_as(&user.access_token, "/api/v1/me").await;
    assert_eq!(cache_control(&res), "no-store");
    let res = app
        .get_as(&user.access_token, "/api/v1/no-such-thing")
        .await;
    assert_eq!(cache_control(&res), "no-store");
    let person = Person::of(&app, &user).await;
    assert_eq!(cache_control(&person.get("/home").await), "no-store");
    assert_eq!(cache_control(&person.get("/circles").await), "no-store");

    // Static assets keep their long life, and public pages may be cached.
    let landing = app.client.get(app.url("/")).send().await.unwrap();
    assert!(!cache_control(&landing).contains("no-store"));
    let html = landing.text().await.unwrap();
    let css = crate::helpers::pages::between(&html, "href=\"/static/", "\"").expect("a stylesheet");
    let res = person.get(&format!("/static/{css}")).await;
    assert!(
        cache_control(&res).contains("immutable"),
        "{}",
        cache_control(&res)
    );
}

async fn revoked_reasons(app: &TestApp, user: &User) -> Vec<Option<String>> {
    sessions::Entity::find()
        .filter(sessions::Column::UserId.eq(user.id))
        .order_by_asc(sessions::Column::CreatedAt)
        .all(&app.ctx.creds)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.revoked_reason)
        .collect()
}

async fn idle_sessions_end(app: TestApp) {
    let user = app.signed_up("sleepy@example.org").await;
    let person = Person::of(&app, &user).await;
    assert_eq!(person.get("/home").await.status(), StatusCode::OK);
    // Nobody uses them for 13 hours (the default limit is 12).
    app.advance(chrono::Duration::hours(13));

    let res = person.get("/home").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(location(&res).starts_with("/login"), "{}", location(&res));
    let res = app
        .post(
            "/api/v1/auth/refresh",
            json!({ "refresh_token": user.refresh_token }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(problem_code(res).await, "session_revoked");
    let reasons = revoked_reasons(&app, &user).await;
    assert_eq!(reasons, vec![Some("idle".to_owned()); 2]);
}

// ---------------------------------------------------------------------------------------
// 13. Databases, secrets and the outbox are the owner's alone.

fn data_in_a_new_folder(s: &mut Settings) {
    s.data.dir = s.data.dir.join("data");
}

fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

fn files_in(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect()
}

async fn data_files_are_owner_only(app: TestApp) {
    app.signed_up("mailed@example.org").await;
    let data_dir = app.ctx.settings.data.dir.clone();
    let outbox = app.ctx.settings.outbox_dir();
    let secrets = data_dir.join("secrets");
    for dir in [&data_dir, &secrets, &outbox] {
        assert_eq!(mode(dir), 0o700, "{}", dir.display());
    }
    let mut files = files_in(&secrets);
    let mails = files_in(&outbox);
    assert!(!mails.is_empty(), "the sign-up mailed a link");
    files.extend(mails);
    if app.backend == crate::helpers::Backend::Sqlite {
        let databases = files_in(&data_dir);
        for name in ["main.db", "credentials.db", "main.db-wal", "main.db-shm"] {
            assert!(
                databases.contains(&data_dir.join(name)),
                "{name}: {databases:?}"
            );
        }
        files.extend(databases);
    }
    for file in files {
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
}

// ---------------------------------------------------------------------------------------
// 14. Dates outside 1900–2200 are refused wherever they come in.

async fn a_circle_led_by(app: &TestApp, leader: &User, name: &str, visibility: &str) -> String {
    let body = json_of(
        app.post_as(
            &leader.access_token,
            "/api/v1/circles",
            json!({
                "name": name, "description": "Men meeting to listen and speak honestly.",
                "capacity": 6, "visibility": visibility, "frequency": "weekly",
                "weekday": "tue", "meeting_time": "19:30", "duration_minutes": 120,
                "time_zone": "Europe/Berlin", "anchor_date": "2026-03-03", "city": "Berlin",
                "location": "Community hall"
            }),
        )
        .await,
    )
    .await;
    body["id"].as_str().unwrap().to_owned()
}

/// The answer is a problem naming the accepted years.
async fn refused_for_its_year(res: reqwest::Response, status: StatusCode) {
    assert_eq!(res.status(), status);
    let body: Value = res.json().await.unwrap();
    assert!(
        body.to_string().contains("between the years 1900 and 2200"),
        "{body}"
    );
}

async fn implausible_dates_are_refused(app: TestApp) {
    let admin = app.admin().await;
    let leader = app.user_with_roles(&admin, &["facilitator"]).await;
    let circle = a_circle_led_by(&app, &leader, "Dated", "open").await;
    let meetings = format!("/api/v1/circles/{circle}/meetings");
    let res = app
        .post_as(
            &leader.access_token,
            &meetings,
            json!({ "starts_at": "1850-06-01T18:00:00Z" }),
        )
        .await;
    refused_for_its_year(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    let meeting = json_of(
        app.post_as(
            &leader.access_token,
            &meetings,
            json!({ "starts_at": "2026-06-02T18:00:00Z" }),
        )
        .await,
    )
    .await;
    let res = app
        .post_as(
            &leader.access_token,
            &format!("/api/v1/meetings/{}/move", meeting["id"].as_str().unwrap()),
            json!({ "starts_at": "2500-06-02T18:00:00Z" }),
        )
        .await;
    refused_for_its_year(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    let res = app
        .get_as(
            &leader.access_token,
            &format!("{meetings}?from=0001-01-01T00:00:00Z"),
        )
        .await;
    refused_for_its_year(res, StatusCode::BAD_REQUEST).await;

    let res = app
        .post_as(
            &admin.access_token,
            "/api/v1/certifications",
            json!({ "user_id": admin.id, "expires_at": "3000-01-01T00:00:00Z" }),
        )
        .await;
    refused_for_its_year(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    let res = app
        .get_as(
            &admin.access_token,
            "/api/v1/audit?since=1800-01-01T00:00:00Z",
        )
        .await;
    refused_for_its_year(res, StatusCode::BAD_REQUEST).await;
    let res = app
        .get_as(
            &admin.access_token,
            "/api/v1/events?after=9999-12-31T00:00:00Z",
        )
        .await;
    refused_for_its_year(res, StatusCode::BAD_REQUEST).await;

    // The pages say the same next to the field.
    let person = Person::of(&app, &admin).await;
    let html = person.page("/audit?since=1800-01-01").await;
    assert!(html.contains("between the years 1900 and 2200"), "{html}");
}

// ---------------------------------------------------------------------------------------
// 15. Invitation-only circles are listed only to the invited, members and leaders.

/// The circles `user` finds when he asks for invitation-only ones too (by default the
/// list leaves them out for everyone).
async fn listed_names(app: &TestApp, user: &User) -> Vec<String> {
    let page = json_of(
        app.get_as(
            &user.access_token,
            "/api/v1/circles?include_full_and_invitation_only=true",
        )
        .await,
    )
    .await;
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect()
}

async fn invitation_only_circles_are_not_listed_to_strangers(app: TestApp) {
    let admin = app.admin().await;
    let leader = app.user_with_roles(&admin, &["facilitator"]).await;
    a_circle_led_by(&app, &leader, "Open Tuesdays", "open").await;
    let quiet = a_circle_led_by(&app, &leader, "Quiet Fathers", "invitation_only").await;
    let stranger = app.signed_up("stranger@example.org").await;
    let guest = app.signed_up("guest@example.org").await;

    assert_eq!(listed_names(&app, &stranger).await, ["Open Tuesdays"]);
    let html = Person::of(&app, &stranger).await.page("/circles").await;
    assert!(
        html.contains("Open Tuesdays") && !html.contains("Quiet Fathers"),
        "{html}"
    );
    assert_eq!(
        listed_names(&app, &leader).await,
        ["Open Tuesdays", "Quiet Fathers"]
    );

    let res = app
        .post_as(
            &leader.access_token,
            &format!("/api/v1/circles/{quiet}/invitations"),
            json!({ "email": guest.email }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(
        listed_names(&app, &guest).await,
        ["Open Tuesdays", "Quiet Fathers"]
    );
    assert_eq!(listed_names(&app, &stranger).await, ["Open Tuesdays"]);

    // Accepted, the invitation is used up; as a member he still finds his circle.
    let token = app
        .token_from_email(&guest.email, "circles/invitations/accept")
        .await;
    let res = app
        .post_as(
            &guest.access_token,
            "/api/v1/circle-invitations/accept",
            json!({ "token": token }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        listed_names(&app, &guest).await,
        ["Open Tuesdays", "Quiet Fathers"]
    );
    let mine = json_of(app.get_as(&guest.access_token, "/api/v1/me/circles").await).await;
    assert!(mine.to_string().contains("Quiet Fathers"), "{mine}");
}

crate::on_both_backends!(
    sign_in_redirects_stay_on_the_site,
    decompression_bombs_are_refused,
    image_work_waits_its_turn,
    password_changes_revoke_calendar_feeds,
    csrf_tokens_are_bound_to_their_session,
    taken_address_notices_are_sent_once_an_hour,
    only_plain_request_ids_are_kept,
    metrics_are_hidden_without_configuration,
    personal_answers_are_not_stored,
    idle_sessions_end,
    implausible_dates_are_refused,
    invitation_only_circles_are_not_listed_to_strangers,
);

crate::on_both_backends_with!(metrics_token => metrics_need_the_token);
crate::on_both_backends_with!(data_in_a_new_folder => data_files_are_owner_only);
