//! "No plaintext anywhere on the server": after a browser test sends a sentence, it must be
//! absent from every file of the data folder (the SQLite databases with their journals, the
//! email outbox, the keys), from a `pg_dump` of both PostgreSQL databases, and from every
//! log line the app wrote.

use crate::helpers::logs::{watch_logs, WATCHED};
use crate::helpers::{Backend, TestApp};
use std::path::Path;

/// Starts watching the logs for `sentence` (call before it is sent).
pub fn watch(sentence: &str) -> usize {
    watch_logs();
    let mut watched = WATCHED.lock().unwrap();
    watched.0.push(sentence.to_owned());
    watched.1
}

/// Asserts the server holds `sentence` nowhere; `logged_before` is what [`watch`] returned.
pub async fn assert_nowhere_on_server(app: &TestApp, sentence: &str, logged_before: usize) {
    let settings = &app.ctx.settings;
    let mut files = Vec::new();
    collect_files(&settings.data.dir, &mut files);
    collect_files(&settings.outbox_dir(), &mut files);
    assert!(!files.is_empty(), "the data folder has files");
    for file in &files {
        let bytes = std::fs::read(file).unwrap_or_default();
        assert!(
            !contains(&bytes, sentence.as_bytes()),
            "{} holds the sentence",
            file.display()
        );
    }
    if app.backend == Backend::Postgres {
        let db = &settings.database;
        for url in [&db.main_url, &db.credentials_url].into_iter().flatten() {
            let out = std::process::Command::new("pg_dump")
                .arg("--no-owner")
                .arg(url.expose())
                .output()
                .expect("pg_dump runs (apt-get install postgresql-client)");
            assert!(
                out.status.success(),
                "pg_dump: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(out.stdout.len() > 1000, "pg_dump gave a real dump");
            assert!(
                !contains(&out.stdout, sentence.as_bytes()),
                "a database holds the sentence"
            );
        }
    }
    assert_eq!(
        WATCHED.lock().unwrap().1,
        logged_before,
        "a log line held the sentence"
    );
}

fn collect_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_files(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
