//! Headless Chromium, driven through ChromeDriver (WebDriver).
//!
//! ChromeDriver is started here on a free port and shared by the tests of a process that
//! run at the same time; the last one to finish stops it. Every [`Browser`] is a fresh
//! Chromium with a profile of its own (no cache, no cookies), so a test sees exactly what a
//! first-time visitor sees.
//!
//! Without Chromium or ChromeDriver [`Browser::open`] goes through [`crate::unavailable`].
//! Debian's packages are `chromium` and `chromium-driver`; `CHROMIUM` and `CHROMEDRIVER`
//! point elsewhere.

mod driver;

use driver::{chromedriver_path, shared_driver, Driver};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a page may take to show what a test waits for.
const PATIENCE: Duration = Duration::from_secs(15);

/// A screen size in CSS pixels; screenshots are named after it.
#[derive(Debug, Clone, Copy)]
pub struct Viewport {
    pub name: &'static str,
    pub width: u32,
    pub height: u32,
    /// Device pixels per CSS pixel (screenshots are this much larger).
    pub pixel_ratio: f64,
    /// A touch screen with mobile viewport rules (`<meta name="viewport">`, overlay
    /// scrollbars), as on a phone.
    pub mobile: bool,
}

/// A common phone (iPhone 12–15).
pub const PHONE: Viewport = Viewport {
    name: "phone",
    width: 390,
    height: 844,
    pixel_ratio: 2.0,
    mobile: true,
};

/// A small laptop.
pub const DESKTOP: Viewport = Viewport {
    name: "desktop",
    width: 1280,
    height: 800,
    pixel_ratio: 1.0,
    mobile: false,
};

fn chromium_path() -> PathBuf {
    std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| "/usr/bin/chromium".into())
}

/// Where the tests write what a person looks at afterwards (screenshots); ignored by git.
pub fn artifacts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../test-artifacts")
}

/// One fresh headless Chromium looking at one server.
pub struct Browser {
    pub client: Client,
    base: String,
    session_id: String,
    driver: Arc<Driver>,
    closed: bool,
    // Dropped after the session ends (declared last).
    _profile: tempfile::TempDir,
}

impl Browser {
    /// A new browser with an empty profile looking at `base`, or `None` (after
    /// [`crate::unavailable`]) when Chromium or ChromeDriver is not installed outside CI.
    pub async fn open(base: &str, viewport: Viewport) -> Option<Browser> {
        let (chromium, chromedriver) = (chromium_path(), chromedriver_path());
        if !chromium.exists() || !chromedriver.exists() {
            let why = format!(
                "{} or {} is missing (Debian: apt-get install chromium chromium-driver)",
                chromium.display(),
                chromedriver.display()
            );
            crate::unavailable("headless Chromium", &why);
            return None;
        }
        let driver = shared_driver().await;
        let profile = tempfile::tempdir().expect("profile dir");
        let capabilities = json!({
            "browserName": "chrome",
            "pageLoadStrategy": "normal",
            "goog:chromeOptions": {
                "binary": chromium.to_string_lossy(),
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    format!("--user-data-dir={}", profile.path().display()),
                    format!("--window-size={},{}", viewport.width, viewport.height),
                ],
                // The window size alone is not the page's: desktop Chromium keeps windows at
                // least 500 px wide and counts its frame in the height. Emulating the screen
                // gives the page exactly the viewport asked for.
                "mobileEmulation": {
                    "deviceMetrics": {
                        "width": viewport.width,
                        "height": viewport.height,
                        "pixelRatio": viewport.pixel_ratio,
                        "mobile": viewport.mobile,
                        "touch": viewport.mobile,
                    },
                },
            },
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!()
        };
        // ChromeDriver speaks plain HTTP on localhost: no TLS stack needed.
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(capabilities)
            .connect(&driver.url)
            .await
            .expect("a Chromium session starts");
        let session_id = client
            .session_id()
            .await
            .expect("session id")
            .expect("a session is open");
        Some(Browser {
            client,
            base: base.trim_end_matches('/').to_owned(),
            session_id,
            driver,
            closed: false,
            _profile: profile,
        })
    }

    /// Ends the session (closing Chromium).
    pub async fn close(mut self) {
        self.closed = true;
        let _ = self.client.clone().close().await;
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Opens a page of the app and waits until it has loaded.
    pub async fn goto(&self, path: &str) {
        self.client
            .goto(&self.url(path))
            .await
            .unwrap_or_else(|e| panic!("open {path}: {e}"));
    }

    /// The path (and query) of the page on screen.
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("current url");
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// The element matching `css`, waiting for it to appear.
    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        match self
            .client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await
        {
            Ok(element) => element,
            Err(e) => panic!("no element {css} on {}: {e}", self.path().await),
        }
    }

    /// Whether an element matching `css` is on the page right now.
    pub async fn has(&self, css: &str) -> bool {
        self.client
            .find_all(Locator::Css(css))
            .await
            .is_ok_and(|v| !v.is_empty())
    }

    /// How many elements match `css` right now.
    pub async fn count(&self, css: &str) -> usize {
        self.client
            .find_all(Locator::Css(css))
            .await
            .map_or(0, |v| v.len())
    }

    /// Replaces the value of the input matching `css` by typing `text`.
    pub async fn fill(&self, css: &str, text: &str) {
        let input = self.find(css).await;
        input.clear().await.expect("clear input");
        input.send_keys(text).await.expect("type");
    }

    pub async fn click(&self, css: &str) {
        self.find(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// The current value of an input (what the person sees in it).
    pub async fn value(&self, css: &str) -> String {
        self.find(css)
            .await
            .prop("value")
            .await
            .expect("value")
            .unwrap_or_default()
    }

    /// The visible text of the element matching `css`.
    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.expect("text")
    }

    /// Waits until the element matching `css` shows `expected` (after a navigation, say).
    pub async fn wait_for_text(&self, css: &str, expected: &str) {
        let deadline = Instant::now() + PATIENCE;
        let mut last = String::new();
        while Instant::now() < deadline {
            if let Ok(elements) = self.client.find_all(Locator::Css(css)).await {
                for el in elements {
                    if let Ok(t) = el.text().await {
                        if t.contains(expected) {
                            return;
                        }
                        last = t;
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "{css} never showed {expected:?} on {} (last: {last:?})",
            self.path().await
        );
    }

    /// Runs `script` in the page and returns what it returns.
    pub async fn script(&self, script: &str) -> Value {
        self.client
            .execute(script, Vec::new())
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// The rendered width and height of the element matching `css`, in CSS pixels.
    pub async fn size_of(&self, css: &str) -> (f64, f64) {
        let script = format!(
            "const r = document.querySelector({}).getBoundingClientRect(); \
             return [r.width, r.height];",
            json!(css)
        );
        let size = self.script(&script).await;
        (size[0].as_f64().unwrap(), size[1].as_f64().unwrap())
    }

    /// How far the page on screen is wider than the screen (it scrolls sideways when > 0).
    pub async fn sideways_overflow(&self) -> f64 {
        self.script("return document.documentElement.scrollWidth - window.innerWidth;")
            .await
            .as_f64()
            .unwrap()
    }

    /// Signs in through the app's sign-in form and waits for the dashboard.
    pub async fn sign_in(&self, email: &str, password: &str) {
        self.goto("/login").await;
        self.fill("#email", email).await;
        self.fill("#password", password).await;
        self.click("form[action='/login'] button[type=submit]")
            .await;
        self.wait_for_text("main h1", "Welcome").await;
    }

    /// Sets a form control's value the way a picker would (date, time and select controls
    /// take typed keys differently in every locale).
    pub async fn set_value(&self, id: &str, value: &str) {
        let script = format!(
            "document.getElementById({}).value = {}; return null;",
            json!(id),
            json!(value)
        );
        self.script(&script).await;
    }

    /// Saves what is on screen as `test-artifacts/screenshots/<name>-<viewport>.png`.
    pub async fn screenshot(&self, name: &str, viewport: Viewport) -> PathBuf {
        let png = self.client.screenshot().await.expect("screenshot");
        let dir = artifacts_dir().join("screenshots");
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        let path = dir.join(format!("{name}-{}.png", viewport.name));
        std::fs::write(&path, png).expect("write screenshot");
        path
    }
}

impl Browser {
    /// Runs a Chrome DevTools Protocol command in this browser (through ChromeDriver's
    /// `goog/cdp/execute`), for what only the browser itself can tell, such as whether it
    /// considers the app installable.
    pub async fn cdp(&self, command: &str, params: Value) -> Value {
        let url = format!(
            "http://127.0.0.1:{}/session/{}/goog/cdp/execute",
            self.driver.port, self.session_id
        );
        let body = serde_json::json!({ "cmd": command, "params": params });
        let res = reqwest::Client::new()
            .post(url)
            .json(&body)
            .send()
            .await
            .expect("ChromeDriver answers");
        let answer: Value = res.json().await.expect("ChromeDriver answers JSON");
        answer["value"].clone()
    }
}

impl Drop for Browser {
    /// A test that panicked never reached `close`: end its session anyway, so no Chromium
    /// outlives the test. Plain blocking HTTP, since the test's runtime may be going away.
    fn drop(&mut self) {
        if self.closed {
            return;
        }
        let (port, id) = (self.driver.port, self.session_id.clone());
        let _ = std::thread::spawn(move || {
            if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
                let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
                let _ = write!(
                    s,
                    "DELETE /session/{id} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
                let _ = s.read_to_end(&mut Vec::new());
            }
        })
        .join();
    }
}
