//! ChromeDriver, started on a free port and shared by the browsers open at the same time.

use super::PATIENCE;
use serde_json::Value;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

pub(super) fn chromedriver_path() -> PathBuf {
    std::env::var_os("CHROMEDRIVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| "/usr/bin/chromedriver".into())
}

/// A running ChromeDriver; stopped when the last test using it lets go.
pub(super) struct Driver {
    child: Child,
    pub(super) url: String,
    pub(super) port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The driver the tests running right now share (a `Weak` so it stops with the last one).
static DRIVER: Mutex<Weak<Driver>> = Mutex::const_new(Weak::new());

pub(super) async fn shared_driver() -> Arc<Driver> {
    let mut slot = DRIVER.lock().await;
    if let Some(driver) = slot.upgrade() {
        return driver;
    }
    let driver = Arc::new(start_driver().await);
    *slot = Arc::downgrade(&driver);
    driver
}

async fn start_driver() -> Driver {
    for _ in 0..crate::PORT_ATTEMPTS {
        if let Some(driver) = start_driver_on(crate::free_port()).await {
            return driver;
        }
    }
    panic!(
        "chromedriver did not start on any of {} ports",
        crate::PORT_ATTEMPTS
    );
}

/// ChromeDriver on `port` once it answers `/status`; `None` when it exits first (the port
/// was taken after all).
async fn start_driver_on(port: u16) -> Option<Driver> {
    let child = Command::new(chromedriver_path())
        .arg(format!("--port={port}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let mut driver = Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
        port,
    };
    let http = reqwest::Client::new();
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Ok(Some(_)) = driver.child.try_wait() {
            return None;
        }
        let ready = match http.get(format!("{}/status", driver.url)).send().await {
            Ok(res) => res
                .json::<Value>()
                .await
                .is_ok_and(|v| v["value"]["ready"] == true),
            Err(_) => false,
        };
        if ready {
            return Some(driver);
        }
        assert!(
            Instant::now() < deadline,
            "chromedriver did not answer /status on port {port}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
