//! The test binary's one log subscriber: every line the app logs (everything at info, the
//! conversation and the request layer at their most detailed) is scanned for watched
//! strings (words a member wrote, ciphertext) and counted when it holds one, so a test can
//! prove none was logged.

use std::io::Write;
use std::sync::{Mutex, Once};

/// Strings the log must never contain, and how often it did.
pub static WATCHED: Mutex<(Vec<String>, usize)> = Mutex::new((Vec::new(), 0));

/// A log writer that keeps nothing but counts lines holding a watched string.
struct Watcher;

impl Write for Watcher {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let line = String::from_utf8_lossy(buf);
        let mut watched = WATCHED.lock().unwrap();
        if watched.0.iter().any(|w| line.contains(w.as_str())) {
            watched.1 += 1;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Sends the conversation's and the request layer's logs, at their most detailed, through
/// [`Watcher`] (once for the test binary; other tests' lines are only scanned).
pub fn watch_logs() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter("info,app::conversation=trace,app::authz=trace,web=debug")
            .with_span_events(tracing_subscriber::fmt::format::FmtSpan::FULL)
            .with_writer(|| Watcher)
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("no other global logger");
    });
}
