//! The `circles` binary as an operator uses it: help, migrations, creating the first admin,
//! checking the audit log, and refusing bad configuration — on SQLite and PostgreSQL.

use sqlx::{Connection, Row};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use testkit::postgres::ScratchDatabases;

const STRONG: &str = "correct horse battery staple";

/// The binary in `dir` (so no stray circles.toml is read) with only the `CIRCLES_*`
/// variables given here.
fn command(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_circles"));
    cmd.args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env_remove("RUST_LOG");
    for (k, _) in std::env::vars() {
        if k.starts_with("CIRCLES_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("CIRCLES_LOG__LEVEL", "warn");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// Runs the binary to the end (see [`command`]), with `stdin` as its input.
fn circles(dir: &Path, args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Output {
    let mut child = command(dir, args, env).spawn().expect("circles starts");
    {
        let mut input = child.stdin.take().unwrap();
        if let Some(s) = stdin {
            input.write_all(s.as_bytes()).unwrap();
        }
    }
    child.wait_with_output().expect("circles finishes")
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

struct Sandbox {
    dir: tempfile::TempDir,
    data: PathBuf,
}

impl Sandbox {
    fn new() -> Sandbox {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        Sandbox { dir, data }
    }

    fn run(&self, args: &[&str], extra: &[(&str, &str)], stdin: Option<&str>) -> Output {
        circles(self.dir.path(), args, &self.env(extra), stdin)
    }

    /// The sandbox's data folder and `extra`, as `CIRCLES_*` variables.
    fn env<'a>(&'a self, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
        let mut env = vec![("CIRCLES_DATA__DIR", self.data.to_str().unwrap())];
        env.extend_from_slice(extra);
        env
    }
}

fn assert_success(o: &Output, what: &str) {
    let (out, err) = text(o);
    assert!(
        o.status.success(),
        "{what} failed ({:?})\nstdout:\n{out}\nstderr:\n{err}",
        o.status
    );
}

/// `--version --verbose` lists every served script with its hashed name and integrity hash;
/// for a module that imports nothing the hash is that of the file in the source tree, so an
/// organisation can check a release by hashing its files.
#[test]
fn version_verbose_lists_every_served_script_with_its_integrity_hash() {
    use base64::Engine;
    use sha2::{Digest, Sha384};
    let sb = Sandbox::new();
    let o = sb.run(&["--version"], &[], None);
    assert_success(&o, "--version");
    let (plain, _) = text(&o);
    assert_eq!(plain, format!("circles {}\n", env!("CARGO_PKG_VERSION")));

    let o = sb.run(&["--version", "--verbose"], &[], None);
    assert_success(&o, "--version --verbose");
    let (out, _) = text(&o);
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some(plain.trim_end()));
    let scripts: Vec<Vec<&str>> = lines.map(|l| l.split(' ').collect()).collect();
    for name in [
        "app.js",
        "e2e/crypto.js",
        "e2e/conversation.js",
        "e2e/keys.js",
    ] {
        assert!(
            scripts.iter().any(|s| s[0] == name),
            "{name} missing from:\n{out}"
        );
    }
    for s in &scripts {
        assert_eq!(s.len(), 3, "name, URL, integrity: {s:?}");
        let (stem, _) = s[0].rsplit_once('.').unwrap();
        assert!(s[1].starts_with(&format!("/static/{stem}.")), "{s:?}");
        assert!(s[2].starts_with("sha384-"), "{s:?}");
    }
    let crypto = scripts.iter().find(|s| s[0] == "e2e/crypto.js").unwrap();
    let source = include_bytes!("../../web/static/e2e/crypto.js");
    let expected = format!(
        "sha384-{}",
        base64::engine::general_purpose::STANDARD.encode(Sha384::digest(source))
    );
    assert_eq!(crypto[2], expected);
    // Nothing was read or written: no configuration, no database.
    assert!(!sb.data.exists());
}

#[test]
fn help_lists_every_command() {
    let sb = Sandbox::new();
    let o = sb.run(&["--help"], &[], None);
    assert_success(&o, "--help");
    let (out, _) = text(&o);
    for c in ["serve", "migrate", "worker", "admin"] {
        assert!(
            out.lines().any(|l| l.trim_start().starts_with(c)),
            "{c} missing from help:\n{out}"
        );
    }
    let o = sb.run(&["admin", "--help"], &[], None);
    assert_success(&o, "admin --help");
    let (out, _) = text(&o);
    assert!(
        out.contains("create") && out.contains("verify-audit"),
        "{out}"
    );
    // Help changes nothing on disk.
    assert!(!sb.data.exists());

    let o = sb.run(&["no-such-command"], &[], None);
    assert!(!o.status.success());
}

/// The commands the README's "Commands" section lists, as words: `["admin", "create"]`.
fn readme_commands() -> Vec<Vec<String>> {
    let readme = include_str!("../../../README.md");
    let section = readme
        .split("\n## Commands\n")
        .nth(1)
        .expect("the README has a Commands section");
    let block = section.split("```").nth(1).expect("with a code block");
    block
        .lines()
        // A command starts two spaces in; its description runs on in deeper lines.
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .map(|l| {
            let name = l.trim_start().split("  ").next().unwrap_or_default();
            name.split_whitespace().map(str::to_owned).collect()
        })
        .collect()
}

/// The subcommands a `--help` text lists under "Commands:", without clap's own `help`.
fn help_commands(help: &str) -> Vec<String> {
    help.split("Commands:")
        .nth(1)
        .unwrap_or_default()
        .lines()
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_owned)
        .collect()
}

#[test]
fn readme_command_list_matches_the_help() {
    let sb = Sandbox::new();
    let help_of = |args: &[&str]| {
        let mut with_help = args.to_vec();
        with_help.push("--help");
        let o = sb.run(&with_help, &[], None);
        assert_success(&o, &with_help.join(" "));
        help_commands(&text(&o).0)
    };
    let listed = readme_commands();
    assert!(listed.len() >= 5, "{listed:?}");
    for words in &listed {
        let (last, parents) = words.split_last().expect("a command has a name");
        let parents: Vec<&str> = parents.iter().map(String::as_str).collect();
        assert!(
            help_of(&parents).contains(last),
            "the README lists `circles {}`, which `circles {} --help` does not",
            words.join(" "),
            parents.join(" ")
        );
    }
    // And the other way: every command the binary has is in the README's list.
    for top in help_of(&[]) {
        let subs = help_of(&[top.as_str()]);
        let expected: Vec<Vec<String>> = if subs.is_empty() {
            vec![vec![top.clone()]]
        } else {
            subs.into_iter().map(|s| vec![top.clone(), s]).collect()
        };
        for words in expected {
            assert!(
                listed.contains(&words),
                "`circles {}` is missing from the README's command list",
                words.join(" ")
            );
        }
    }
}

#[test]
fn migrate_creates_both_databases_and_owner_only_secrets() {
    let sb = Sandbox::new();
    let o = sb.run(&["migrate"], &[], None);
    assert_success(&o, "migrate");
    assert!(sb.data.join("main.db").is_file());
    assert!(sb.data.join("credentials.db").is_file());
    let secrets: Vec<_> = std::fs::read_dir(sb.data.join("secrets"))
        .expect("secrets folder")
        .map(|e| e.unwrap().path())
        .collect();
    assert!(!secrets.is_empty());
    for s in &secrets {
        let mode = std::fs::metadata(s).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{} is {mode:o}", s.display());
    }
    let dir_mode = std::fs::metadata(sb.data.join("secrets"))
        .unwrap()
        .permissions()
        .mode()
        & 0o077;
    assert_eq!(dir_mode, 0, "secrets folder is owner-only");
    let key = std::fs::read(
        sb.data
            .join("secrets")
            .join(secrets[0].file_name().unwrap()),
    )
    .unwrap();

    // Running again is harmless and keeps the generated secrets.
    let o = sb.run(&["migrate"], &[], None);
    assert_success(&o, "migrate again");
    assert_eq!(std::fs::read(&secrets[0]).unwrap(), key);
}

async fn sqlite_count(db: &Path, sql: &str) -> i64 {
    let url = format!("sqlite://{}?mode=ro", db.display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    let row = sqlx::query(sql).fetch_one(&mut conn).await.unwrap();
    row.get::<i64, _>(0)
}

#[tokio::test]
async fn admin_create_and_verify_audit_on_sqlite() {
    let sb = Sandbox::new();
    let o = sb.run(
        &[
            "admin",
            "create",
            "--email",
            "a@example.org",
            "--password-stdin",
        ],
        &[],
        Some(&format!("{STRONG}\n")),
    );
    assert_success(&o, "admin create");
    let (out, _) = text(&o);
    assert!(out.contains("a@example.org"), "{out}");
    assert!(!out.contains(STRONG), "the password is never echoed");

    let main = sb.data.join("main.db");
    let creds = sb.data.join("credentials.db");
    assert_eq!(
        sqlite_count(
            &main,
            "SELECT count(*) FROM users u JOIN user_roles r ON r.user_id = u.id \
             WHERE u.email = 'a@example.org' AND r.role = 'admin' AND u.email_verified_at IS NOT NULL"
        )
        .await,
        1
    );
    assert_eq!(
        sqlite_count(&creds, "SELECT count(*) FROM password_credentials").await,
        1
    );
    // Credentials live only in the credentials database.
    assert_eq!(
        sqlite_count(
            &main,
            "SELECT count(*) FROM sqlite_master WHERE name = 'password_credentials'"
        )
        .await,
        0
    );

    // A weak password is refused, naming the field, and creates nobody.
    let o = sb.run(
        &[
            "admin",
            "create",
            "--email",
            "b@example.org",
            "--password-stdin",
        ],
        &[],
        Some("short\n"),
    );
    assert!(!o.status.success());
    let (_, err) = text(&o);
    assert!(err.to_lowercase().contains("password"), "{err}");
    assert_eq!(
        sqlite_count(
            &main,
            "SELECT count(*) FROM users WHERE email = 'b@example.org'"
        )
        .await,
        0
    );
    // So is a bad address.
    let o = sb.run(
        &[
            "admin",
            "create",
            "--email",
            "not-an-address",
            "--password-stdin",
        ],
        &[],
        Some(&format!("{STRONG}\n")),
    );
    assert!(!o.status.success());
    assert!(text(&o).1.contains("email"), "{}", text(&o).1);

    // Running it again for the same address is harmless.
    let o = sb.run(
        &[
            "admin",
            "create",
            "--email",
            "a@example.org",
            "--password-stdin",
        ],
        &[],
        Some(&format!("{STRONG}\n")),
    );
    assert_success(&o, "admin create again");
    assert_eq!(sqlite_count(&main, "SELECT count(*) FROM users").await, 1);

    let o = sb.run(&["admin", "verify-audit"], &[], None);
    assert_success(&o, "verify-audit");
    let (out, _) = text(&o);
    assert!(out.contains("intact"), "{out}");
}

#[test]
fn invalid_settings_exit_with_status_2_and_name_the_setting() {
    let sb = Sandbox::new();
    let o = sb.run(
        &["migrate"],
        &[("CIRCLES_SERVER__PORT", "notanumber")],
        None,
    );
    assert_eq!(o.status.code(), Some(2), "{:?}", text(&o));
    let (_, err) = text(&o);
    assert!(err.contains("server.port"), "{err}");
    assert!(!sb.data.exists(), "nothing is created with bad settings");

    let o = sb.run(&["migrate"], &[("CIRCLES_NO_SUCH_SETTING", "1")], None);
    assert_eq!(o.status.code(), Some(2), "{:?}", text(&o));

    let o = sb.run(&["migrate"], &[("CIRCLES_ENV", "production")], None);
    assert!(!o.status.success());
    assert_eq!(o.status.code(), Some(2));
    let (_, err) = text(&o);
    assert!(err.contains("auth.token_signing_key"), "{err}");
    assert!(err.contains("auth.encryption_keys"), "{err}");
    assert!(
        !sb.data.join("secrets").exists(),
        "production never generates secrets"
    );
}

// ------------------------------------------------------------------------ PostgreSQL

#[tokio::test]
async fn migrate_and_admin_create_on_postgres() {
    let Some(databases) = ScratchDatabases::create("circles_cli").await else {
        return;
    };
    let (main_url, creds_url) = (databases.main_url(), databases.credentials_url());
    let env = [
        ("CIRCLES_DATABASE__MAIN_URL", main_url.as_str()),
        ("CIRCLES_DATABASE__CREDENTIALS_URL", creds_url.as_str()),
    ];
    let sb = Sandbox::new();

    let o = sb.run(&["migrate"], &env, None);
    assert_success(&o, "migrate on PostgreSQL");
    assert!(
        !sb.data.join("main.db").exists(),
        "no SQLite file when PostgreSQL is configured"
    );
    assert!(!sb.data.join("credentials.db").exists());

    let o = sb.run(
        &[
            "admin",
            "create",
            "--email",
            "pg@example.org",
            "--password-stdin",
        ],
        &env,
        Some(&format!("{STRONG}\n")),
    );
    assert_success(&o, "admin create on PostgreSQL");
    let o = sb.run(
        &[
            "admin",
            "create",
            "--email",
            "pg2@example.org",
            "--password-stdin",
        ],
        &env,
        Some("weak\n"),
    );
    assert!(!o.status.success());
    assert!(text(&o).1.contains("password"), "{}", text(&o).1);

    let mut main = sqlx::PgConnection::connect(&main_url).await.unwrap();
    let admins: i64 = sqlx::query(
        "SELECT count(*) FROM users u JOIN user_roles r ON r.user_id = u.id \
         WHERE u.email = 'pg@example.org' AND r.role = 'admin'",
    )
    .fetch_one(&mut main)
    .await
    .unwrap()
    .get(0);
    assert_eq!(admins, 1);
    let users: i64 = sqlx::query("SELECT count(*) FROM users")
        .fetch_one(&mut main)
        .await
        .unwrap()
        .get(0);
    assert_eq!(users, 1, "the weak-password attempt created nobody");
    let creds_in_main: i64 = sqlx::query(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'password_credentials'",
    )
    .fetch_one(&mut main)
    .await
    .unwrap()
    .get(0);
    assert_eq!(
        creds_in_main, 0,
        "credentials live only in their own database"
    );
    main.close().await.unwrap();
    let mut creds = sqlx::PgConnection::connect(&creds_url).await.unwrap();
    let stored: i64 = sqlx::query("SELECT count(*) FROM password_credentials")
        .fetch_one(&mut creds)
        .await
        .unwrap()
        .get(0);
    assert_eq!(stored, 1);
    creds.close().await.unwrap();

    let o = sb.run(&["admin", "verify-audit"], &env, None);
    assert_success(&o, "verify-audit on PostgreSQL");
    assert!(text(&o).0.contains("intact"), "{}", text(&o).0);
}

// ------------------------------------------------------------------------ demo seed

const DEMO_ARGS: [&str; 8] = [
    "demo",
    "seed",
    "--members",
    "200",
    "--circles",
    "20",
    "--events",
    "50",
];

/// (what, SQL giving one count, expected count) on the main database after a small seed.
/// Standard SQL, so the same checks run on SQLite and PostgreSQL.
const DEMO_CHECKS: [(&str, &str, i64); 13] = [
    ("users", "SELECT count(*) FROM users", 200),
    ("circles", "SELECT count(*) FROM circles", 20),
    ("events", "SELECT count(*) FROM events", 50),
    (
        "the demo_seeded audit entry",
        "SELECT count(*) FROM audit_log WHERE action = 'demo_seeded'",
        1,
    ),
    (
        "circles over capacity",
        "SELECT count(*) FROM circles WHERE active_members > capacity OR active_members < 2",
        0,
    ),
    (
        "circles whose active_members is not their active member rows",
        "SELECT count(*) FROM circles c WHERE c.active_members <> \
         (SELECT count(*) FROM circle_memberships m WHERE m.circle_id = c.id \
          AND m.status = 'active' AND m.role = 'member')",
        0,
    ),
    (
        "circles without a certified facilitator",
        "SELECT count(*) FROM circles c WHERE NOT EXISTS (SELECT 1 FROM circle_memberships m \
         JOIN facilitator_certifications f ON f.user_id = m.user_id \
         JOIN user_roles r ON r.user_id = m.user_id AND r.role = 'facilitator' \
         WHERE m.circle_id = c.id AND m.role = 'facilitator' AND m.status = 'active' \
         AND f.revoked_at IS NULL)",
        0,
    ),
    (
        "events holding more seats than capacity",
        "SELECT count(*) FROM events e WHERE e.confirmed_count > e.capacity OR \
         (SELECT count(*) FROM event_registrations r WHERE r.event_id = e.id \
          AND r.status IN ('confirmed', 'payment_required', 'offered')) > e.capacity",
        0,
    ),
    (
        "events whose confirmed_count is not their seat-holding rows",
        "SELECT count(*) FROM events e WHERE e.confirmed_count <> \
         (SELECT count(*) FROM event_registrations r WHERE r.event_id = e.id \
          AND r.status IN ('confirmed', 'payment_required', 'offered'))",
        0,
    ),
    (
        "events whose last_position is not their last arrival",
        "SELECT count(*) FROM events e WHERE e.last_position <> \
         (SELECT coalesce(max(r.position), 0) FROM event_registrations r WHERE r.event_id = e.id)",
        0,
    ),
    (
        "waitlists behind events with free seats",
        "SELECT count(*) FROM events e WHERE e.confirmed_count < e.capacity AND EXISTS \
         (SELECT 1 FROM event_registrations r WHERE r.event_id = e.id AND r.status = 'waitlisted')",
        0,
    ),
    (
        "circle-only events without their circles",
        "SELECT count(*) FROM events e WHERE e.open_to_all = false AND NOT EXISTS \
         (SELECT 1 FROM event_circles c WHERE c.event_id = e.id)",
        0,
    ),
    (
        "unverified demo accounts (they could not sign in)",
        "SELECT count(*) FROM users WHERE email_verified_at IS NULL",
        0,
    ),
];

/// Counts that must be positive: the seed made meetings, attendance and registrations.
const DEMO_SOME: [&str; 4] = [
    "SELECT count(*) FROM meetings",
    "SELECT count(*) FROM attendance",
    "SELECT count(*) FROM event_registrations",
    "SELECT count(*) FROM event_registrations WHERE status = 'waitlisted'",
];

fn assert_seeded_output(o: &Output) {
    assert_success(o, "demo seed");
    let (out, _) = text(o);
    for account in [
        "admin@demo.example.org",
        "facilitator@demo.example.org",
        "member@demo.example.org",
        "ptm@demo.example.org",
        "leadership@demo.example.org",
        "support@demo.example.org",
    ] {
        assert!(out.contains(account), "{account} not printed:\n{out}");
    }
    assert!(out.contains("password"), "{out}");
}

fn assert_refused_again(o: &Output) {
    assert!(!o.status.success(), "a second seed must be refused");
    let (_, err) = text(o);
    assert!(err.contains("demo organisation"), "{err}");
}

#[tokio::test]
async fn demo_seed_on_sqlite_keeps_the_invariants() {
    let sb = Sandbox::new();
    let o = sb.run(&DEMO_ARGS, &[], None);
    assert_seeded_output(&o);
    let main = sb.data.join("main.db");
    for (what, sql, expected) in DEMO_CHECKS {
        assert_eq!(sqlite_count(&main, sql).await, expected, "{what}");
    }
    for sql in DEMO_SOME {
        assert!(sqlite_count(&main, sql).await > 0, "{sql}");
    }
    assert_eq!(
        sqlite_count(
            &sb.data.join("credentials.db"),
            "SELECT count(*) FROM password_credentials"
        )
        .await,
        200
    );
    let o = sb.run(&["admin", "verify-audit"], &[], None);
    assert_success(&o, "verify-audit after the seed");
    assert!(text(&o).0.contains("intact"), "{}", text(&o).0);

    // Seeding twice is refused, with or without --force, and changes nothing.
    assert_refused_again(&sb.run(&DEMO_ARGS, &[], None));
    let mut forced = DEMO_ARGS.to_vec();
    forced.push("--force");
    assert_refused_again(&sb.run(&forced, &[], None));
    assert_eq!(sqlite_count(&main, "SELECT count(*) FROM users").await, 200);

    // Production mode never seeds (here it stops even earlier, at the missing keys).
    let prod = Sandbox::new();
    let o = prod.run(&DEMO_ARGS, &[("CIRCLES_ENV", "production")], None);
    assert!(!o.status.success());
    assert!(!prod.data.join("main.db").exists());
}

#[tokio::test]
async fn demo_seed_needs_force_next_to_real_accounts() {
    let sb = Sandbox::new();
    let o = sb.run(
        &[
            "admin",
            "create",
            "--email",
            "real@example.org",
            "--password-stdin",
        ],
        &[],
        Some(&format!("{STRONG}\n")),
    );
    assert_success(&o, "admin create");
    let o = sb.run(&DEMO_ARGS, &[], None);
    assert!(!o.status.success(), "refused without --force");
    assert!(text(&o).1.contains("--force"), "{}", text(&o).1);
    let main = sb.data.join("main.db");
    assert_eq!(sqlite_count(&main, "SELECT count(*) FROM users").await, 1);

    let mut forced = DEMO_ARGS.to_vec();
    forced.push("--force");
    let o = sb.run(&forced, &[], None);
    assert_seeded_output(&o);
    assert_eq!(sqlite_count(&main, "SELECT count(*) FROM users").await, 201);
    let o = sb.run(&["admin", "verify-audit"], &[], None);
    assert_success(&o, "verify-audit after a forced seed");
}

#[tokio::test]
async fn demo_seed_on_postgres_keeps_the_invariants() {
    let Some(databases) = ScratchDatabases::create("circles_demo").await else {
        return;
    };
    let (main_url, creds_url) = (databases.main_url(), databases.credentials_url());
    let env = [
        ("CIRCLES_DATABASE__MAIN_URL", main_url.as_str()),
        ("CIRCLES_DATABASE__CREDENTIALS_URL", creds_url.as_str()),
    ];
    let sb = Sandbox::new();
    let o = sb.run(&DEMO_ARGS, &env, None);
    assert_seeded_output(&o);
    assert!(!sb.data.join("main.db").exists());

    let mut main = sqlx::PgConnection::connect(&main_url).await.unwrap();
    for (what, sql, expected) in DEMO_CHECKS {
        let n: i64 = sqlx::query(sql).fetch_one(&mut main).await.unwrap().get(0);
        assert_eq!(n, expected, "{what}");
    }
    for sql in DEMO_SOME {
        let n: i64 = sqlx::query(sql).fetch_one(&mut main).await.unwrap().get(0);
        assert!(n > 0, "{sql}");
    }
    main.close().await.unwrap();
    let mut creds = sqlx::PgConnection::connect(&creds_url).await.unwrap();
    let stored: i64 = sqlx::query("SELECT count(*) FROM password_credentials")
        .fetch_one(&mut creds)
        .await
        .unwrap()
        .get(0);
    assert_eq!(stored, 200);
    creds.close().await.unwrap();

    let o = sb.run(&["admin", "verify-audit"], &env, None);
    assert_success(&o, "verify-audit on PostgreSQL after the seed");
    assert!(text(&o).0.contains("intact"), "{}", text(&o).0);
    assert_refused_again(&sb.run(&DEMO_ARGS, &env, None));
}

/// A port on loopback that nothing listens on (just now).
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// One HTTP/1.1 request to the server on `port`; its status, or none while it is not up.
fn http(port: u16, method: &str, path: &str, json: &str) -> Option<u16> {
    use std::io::Read;
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{json}",
        json.len()
    );
    stream.write_all(request.as_bytes()).ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    answer.split(' ').nth(1)?.parse().ok()
}

/// Waits up to `secs` seconds for `ready`.
fn wait_for(secs: u64, mut ready: impl FnMut() -> bool) -> bool {
    let until = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while std::time::Instant::now() < until {
        if ready() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    false
}

/// In JSON, every line logged inside a use case carries the request it serves (its id and
/// route) or the job it runs (its id and kind), and never an email address or password.
#[test]
fn logs_follow_a_request_and_a_job_without_personal_data() {
    let sb = Sandbox::new();
    let (port, closed) = (free_port().to_string(), free_port().to_string());
    let log_path = sb.dir.path().join("serve.log");
    let env = sb.env(&[
        ("CIRCLES_SERVER__PORT", port.as_str()),
        ("CIRCLES_LOG__LEVEL", "info"),
        ("CIRCLES_LOG__FORMAT", "json"),
        // Mail cannot be delivered, so the verification job fails and says so.
        ("CIRCLES_EMAIL__TRANSPORT", "smtp"),
        ("CIRCLES_EMAIL__SMTP__HOST", "127.0.0.1"),
        ("CIRCLES_EMAIL__SMTP__PORT", closed.as_str()),
        ("CIRCLES_EMAIL__SMTP__TLS", "none"),
    ]);
    let mut server = command(sb.dir.path(), &["serve"], &env)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .expect("circles serve starts");
    let port: u16 = port.parse().unwrap();
    let up = wait_for(60, || http(port, "GET", "/health/live", "") == Some(200));
    let login = format!(r#"{{"email":"nobody@example.org","password":"{STRONG}"}}"#);
    let refused = http(port, "POST", "/api/v1/auth/login", &login);
    let register = format!(
        r#"{{"email":"newcomer@example.org","password":"{STRONG}","display_name":"Newcomer"}}"#
    );
    let accepted = http(port, "POST", "/api/v1/auth/register", &register);
    let log = || std::fs::read_to_string(&log_path).unwrap_or_default();
    let job_failed = wait_for(30, || log().contains(r#""name":"job""#));
    server.kill().unwrap();
    server.wait().unwrap();
    let log = log();
    assert!(up, "the server did not come up:\n{log}");
    assert_eq!((refused, accepted), (Some(401), Some(202)), "{log}");
    assert!(job_failed, "no line of the verification job:\n{log}");

    let in_login = log
        .lines()
        .find(|l| l.contains(r#""name":"login""#))
        .unwrap_or_else(|| panic!("no line of the login use case:\n{log}"));
    for part in [
        r#""name":"request""#,
        r#""route":"/api/v1/auth/login""#,
        r#""request_id":""#,
    ] {
        assert!(in_login.contains(part), "{part} missing from {in_login}");
    }
    let in_job = log.lines().find(|l| l.contains(r#""name":"job""#)).unwrap();
    for part in [r#""kind":"send_verification_email""#, r#""job_id":""#] {
        assert!(in_job.contains(part), "{part} missing from {in_job}");
    }
    for secret in [
        "nobody@example.org",
        "newcomer@example.org",
        STRONG,
        "Newcomer",
    ] {
        assert!(!log.contains(secret), "the log holds {secret:?}:\n{log}");
    }
}

/// Runs a statement on the sandbox's SQLite database, as a crash would leave it.
async fn sqlite_execute(db: &Path, sql: &str) -> u64 {
    let url = format!("sqlite://{}", db.display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    sqlx::query(sql)
        .execute(&mut conn)
        .await
        .unwrap()
        .rows_affected()
}

#[tokio::test]
async fn payments_reconcile_frees_a_stale_hold_and_says_stripe_is_not_configured() {
    let sb = Sandbox::new();
    assert_seeded_output(&sb.run(&DEMO_ARGS, &[], None));
    let main = sb.data.join("main.db");
    let held = "SELECT count(*) FROM event_registrations WHERE status = 'payment_required'";
    let held_before = sqlite_count(&main, held).await;
    // A seat left held for payment long after its hold ended, its job lost.
    let stale = sqlite_execute(
        &main,
        "UPDATE event_registrations SET status = 'payment_required', hold_expires_at = registered_at \
         WHERE id = (SELECT id FROM event_registrations WHERE status = 'confirmed' ORDER BY id LIMIT 1)",
    )
    .await;
    assert_eq!(stale, 1);

    let o = sb.run(&["payments", "reconcile"], &[], None);
    assert_success(&o, "payments reconcile");
    let (out, err) = text(&o);
    assert!(err.contains("Stripe is not configured"), "{err}");
    assert!(out.contains("Payments reconciled:"), "{out}");
    assert!(out.contains("1  expired holds freed"), "{out}");
    assert_eq!(out.matches("hold_ended ").count(), 1, "{out}");
    // The seed's own holds run on; only the stale one was freed.
    assert_eq!(sqlite_count(&main, held).await, held_before);
    let audited = "SELECT count(*) FROM audit_log WHERE action = 'payment_hold_expired'";
    assert_eq!(sqlite_count(&main, audited).await, 1);

    // A second run finds nothing left to correct.
    let o = sb.run(&["payments", "reconcile"], &[], None);
    assert_success(&o, "payments reconcile again");
    let (out, _) = text(&o);
    assert!(out.contains("Nothing to correct."), "{out}");
    assert!(!out.contains("hold_ended"), "{out}");
}
