//! Scratch PostgreSQL databases: a fresh `main` and `credentials` pair per test, on the
//! server at `TEST_DATABASE_URL` (default postgres://postgres@127.0.0.1:5432/postgres),
//! dropped when the test lets go of them.
//!
//! Bringing a new pair up to date costs more than most tests themselves (two dozen
//! migrations, each committed), so [`ScratchDatabases::create_prepared`] prepares one pair
//! per test process and copies it (`CREATE DATABASE … TEMPLATE`) for every test. The
//! template belongs to the process that made it — never shared with another build, whose
//! migrations may differ — and is swept by a later process once it is hours old. Under
//! cargo-nextest, which runs each test in a process of its own, the processes of one run
//! and one test binary share a pair instead: the first makes it (under an advisory lock,
//! named only once it is ready), the others copy it.

use sqlx::{Connection, Executor, PgConnection};
use std::future::Future;
use std::pin::Pin;
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::sync::OnceCell;

/// What brings a fresh `(main, credentials)` pair, given by URL, up to date. It must close
/// every connection it opened before it returns: a template being read cannot be copied.
pub type Prepare = Box<
    dyn FnOnce(String, String) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send>> + Send,
>;

/// This process's template pair, made on first use.
static TEMPLATES: OnceCell<(String, String)> = OnceCell::const_new();

/// Templates are named `circles_tmpl_<unix seconds>_<id>`; older than this, their process
/// is long gone (a whole CI run takes well under an hour) and they are dropped.
const TEMPLATE_PREFIX: &str = "circles_tmpl_";
const TEMPLATE_MAX_AGE_SECS: u64 = 6 * 3600;

/// The server the scratch databases are made on, as an administrator reaches it.
pub fn admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// Two new databases, `<prefix>_<uuid>_main` and `<prefix>_<uuid>_creds`; both are dropped
/// (forcefully, whoever is still connected) when this is dropped.
pub struct ScratchDatabases {
    admin_url: String,
    main: String,
    credentials: String,
}

impl ScratchDatabases {
    /// Creates the pair, or returns `None` after [`crate::unavailable`] when the server
    /// cannot be reached outside CI.
    pub async fn create(prefix: &str) -> Option<ScratchDatabases> {
        let admin_url = admin_url();
        let mut conn = match PgConnection::connect(&admin_url).await {
            Ok(c) => c,
            Err(e) => {
                let why = format!("{admin_url} cannot be reached ({e}); set TEST_DATABASE_URL or start PostgreSQL");
                crate::unavailable("PostgreSQL", &why);
                return None;
            }
        };
        let base = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
        let databases = ScratchDatabases {
            admin_url,
            main: format!("{base}_main"),
            credentials: format!("{base}_creds"),
        };
        for name in [&databases.main, &databases.credentials] {
            conn.execute(format!("CREATE DATABASE \"{name}\"").as_str())
                .await
                .expect("create a scratch database");
        }
        Some(databases)
    }

    /// Like [`ScratchDatabases::create`], but both databases start as copies of this
    /// process's templates, which `prepare` brings up to date the first time.
    pub async fn create_prepared(prefix: &str, prepare: Prepare) -> Option<ScratchDatabases> {
        let admin_url = admin_url();
        let mut conn = match PgConnection::connect(&admin_url).await {
            Ok(c) => c,
            Err(e) => {
                let why = format!("{admin_url} cannot be reached ({e}); set TEST_DATABASE_URL or start PostgreSQL");
                crate::unavailable("PostgreSQL", &why);
                return None;
            }
        };
        let (main_template, credentials_template) = TEMPLATES
            .get_or_init(|| make_templates(admin_url.clone(), prepare))
            .await;
        let base = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
        let databases = ScratchDatabases {
            admin_url,
            main: format!("{base}_main"),
            credentials: format!("{base}_creds"),
        };
        for (name, template) in [
            (&databases.main, main_template),
            (&databases.credentials, credentials_template),
        ] {
            conn.execute(format!("CREATE DATABASE \"{name}\" TEMPLATE \"{template}\"").as_str())
                .await
                .expect("copy a template database");
        }
        Some(databases)
    }

    pub fn main_url(&self) -> String {
        self.url_of(&self.main)
    }

    pub fn credentials_url(&self) -> String {
        self.url_of(&self.credentials)
    }

    fn url_of(&self, name: &str) -> String {
        let mut url = url::Url::parse(&self.admin_url).expect("TEST_DATABASE_URL is a URL");
        url.set_path(&format!("/{name}"));
        url.to_string()
    }
}

impl Drop for ScratchDatabases {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let names = [self.main.clone(), self.credentials.clone()];
        // Drop runs outside async, maybe inside a runtime that is shutting down: use a
        // small runtime of its own on another thread.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                if let Ok(mut conn) = PgConnection::connect(&admin_url).await {
                    for name in names {
                        let drop = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                        let _ = conn.execute(drop.as_str()).await;
                    }
                }
            });
        })
        .join();
    }
}

/// Makes and prepares this process's template pair, after dropping templates old enough
/// that the process which made them has ended.
async fn make_templates(admin_url: String, prepare: Prepare) -> (String, String) {
    let mut conn = PgConnection::connect(&admin_url)
        .await
        .expect("reach PostgreSQL for the templates");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let Some(run) = shared_run() else {
        sweep_old_templates(&mut conn, now).await;
        let id = uuid::Uuid::new_v4().simple().to_string()[..8].to_owned();
        return prepared_pair(&mut conn, &admin_url, now, &id, prepare).await;
    };
    // The lock is the connection's: released when it closes, even if this process dies.
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(run.lock_key)
        .execute(&mut conn)
        .await
        .expect("lock the run's templates");
    if let Some(names) = ready_pair(&mut conn, &run.id).await {
        return names;
    }
    sweep_old_templates(&mut conn, now).await;
    prepared_pair(&mut conn, &admin_url, now, &run.id, prepare).await
}

/// The run this process shares templates with, under cargo-nextest: its run id and this
/// test binary, hashed (deterministically) into a name part and an advisory lock key.
struct SharedRun {
    id: String,
    lock_key: i64,
}

fn shared_run() -> Option<SharedRun> {
    use std::hash::{Hash, Hasher};
    let run = std::env::var("NEXTEST_RUN_ID").ok()?;
    let binary = std::env::current_exe().ok()?;
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    (run, binary).hash(&mut hasher);
    let hash = hasher.finish();
    Some(SharedRun {
        id: format!("{hash:016x}")[..8].to_owned(),
        lock_key: i64::from_ne_bytes(hash.to_ne_bytes()),
    })
}

/// The run's template pair, if a process of it has made and prepared one.
async fn ready_pair(conn: &mut PgConnection, id: &str) -> Option<(String, String)> {
    let pattern = format!("{TEMPLATE_PREFIX}%_{id}_main");
    let (main,): (String,) =
        sqlx::query_as("SELECT datname FROM pg_database WHERE datname LIKE $1 LIMIT 1")
            .bind(&pattern)
            .fetch_optional(&mut *conn)
            .await
            .ok()??;
    let credentials = format!("{}_creds", main.strip_suffix("_main")?);
    Some((main, credentials))
}

/// Creates a pair named `circles_tmpl_<now>_<id>_…`, prepares it under a provisional name
/// and only then gives it its own, so a pair found by name is always ready.
async fn prepared_pair(
    conn: &mut PgConnection,
    admin_url: &str,
    now: u64,
    id: &str,
    prepare: Prepare,
) -> (String, String) {
    let base = format!("{TEMPLATE_PREFIX}{now}_{id}");
    let names = (format!("{base}_main"), format!("{base}_creds"));
    let provisional = (format!("{base}_new_main"), format!("{base}_new_creds"));
    for name in [&provisional.0, &provisional.1] {
        conn.execute(format!("CREATE DATABASE \"{name}\"").as_str())
            .await
            .expect("create a template database");
    }
    let url = |name: &str| {
        let mut url = url::Url::parse(admin_url).expect("TEST_DATABASE_URL is a URL");
        url.set_path(&format!("/{name}"));
        url.to_string()
    };
    if let Err(e) = prepare(url(&provisional.0), url(&provisional.1)).await {
        panic!("preparing the template databases failed: {e}");
    }
    for (from, to) in [(&provisional.0, &names.0), (&provisional.1, &names.1)] {
        conn.execute(format!("ALTER DATABASE \"{from}\" RENAME TO \"{to}\"").as_str())
            .await
            .expect("name a prepared template database");
    }
    names
}

async fn sweep_old_templates(conn: &mut PgConnection, now: u64) {
    let pattern = format!("{TEMPLATE_PREFIX}%");
    let found: Vec<(String,)> =
        match sqlx::query_as("SELECT datname FROM pg_database WHERE datname LIKE $1")
            .bind(&pattern)
            .fetch_all(&mut *conn)
            .await
        {
            Ok(rows) => rows,
            Err(_) => return,
        };
    for (name,) in found {
        if template_age(&name, now).is_some_and(|age| age > TEMPLATE_MAX_AGE_SECS) {
            let drop = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
            let _ = conn.execute(drop.as_str()).await;
        }
    }
}

/// How old a template is, from the time in its name.
fn template_age(name: &str, now: u64) -> Option<u64> {
    let made: u64 = name
        .strip_prefix(TEMPLATE_PREFIX)?
        .split('_')
        .next()?
        .parse()
        .ok()?;
    Some(now.saturating_sub(made))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_age_from_the_time_in_their_name() {
        assert_eq!(
            template_age("circles_tmpl_1000_ab12cd34_main", 1600),
            Some(600)
        );
        assert_eq!(
            template_age("circles_tmpl_2000_ab12cd34_creds", 1000),
            Some(0)
        );
        assert_eq!(template_age("circles_test_abc_main", 5000), None);
        assert_eq!(template_age("circles_tmpl_x_main", 5000), None);
    }
}
