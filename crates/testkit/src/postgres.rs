//! Scratch PostgreSQL databases: a fresh `main` and `credentials` pair per test, on the
//! server at `TEST_DATABASE_URL` (default postgres://postgres@127.0.0.1:5432/postgres),
//! dropped when the test lets go of them.

use sqlx::{Connection, Executor, PgConnection};

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
