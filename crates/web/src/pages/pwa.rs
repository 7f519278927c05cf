//! What makes the site an installable, offline-capable web app: the manifest, the service
//! worker (static/sw.js) and the offline page it falls back to. The service worker keeps
//! only pages marked with [`keep_offline`]; docs/architecture.md says which and why.

use super::assets;
use super::layout::Layout;
use super::PageResult;
use crate::state::AppState;
use askama::Template;
use axum::http::{header, HeaderName, HeaderValue};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// The response header that lets the service worker save a page for offline reading.
pub const KEEP_OFFLINE_HEADER: &str = "circles-offline";

/// The brand colours of static/app.css (`--accent`, `--bg`), for the browser's chrome
/// and the splash screen of the installed app.
pub const THEME_COLOUR: &str = "#1f5f5b";
pub const BACKGROUND_COLOUR: &str = "#f7f5f2";

/// Assets every page needs, fetched when the service worker installs.
const PRECACHED: &[&str] = &["app.css", "app.js", "icon.svg"];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/manifest.webmanifest", get(manifest))
        .route("/sw.js", get(service_worker))
        .route("/offline", get(offline))
}

/// Marks a page as one the service worker may keep for reading without a connection.
///
/// Only for pages that show the signed-in person their own settled information (their
/// dashboard, profile, upcoming events) and carry no one-time secret: never a page with a
/// reset or verification token, an MFA secret or recovery codes, or a form whose point is
/// to be sent. Saved pages are removed when the person signs out.
pub fn keep_offline(res: &mut Response) {
    res.headers_mut().insert(
        HeaderName::from_static(KEEP_OFFLINE_HEADER),
        HeaderValue::from_static("keep"),
    );
}

/// The web app manifest (what browsers need to offer "install" / "add to home screen").
async fn manifest() -> Response {
    static BODY: OnceLock<String> = OnceLock::new();
    let body = BODY.get_or_init(|| {
        let icon = |name: &str, size: u32, purpose: &str| {
            serde_json::json!({
                "src": assets::url(name),
                "sizes": format!("{size}x{size}"),
                "type": "image/png",
                "purpose": purpose,
            })
        };
        serde_json::json!({
            "id": "/",
            "name": "Men's Circles",
            "short_name": "Circles",
            "description": "Your circles, events and people, in confidence.",
            "lang": "en",
            "dir": "ltr",
            "start_url": "/home",
            "scope": "/",
            "display": "standalone",
            "theme_color": THEME_COLOUR,
            "background_color": BACKGROUND_COLOUR,
            "icons": [
                icon("icon-192.png", 192, "any"),
                icon("icon-512.png", 512, "any"),
                icon("icon-maskable-512.png", 512, "maskable"),
            ],
        })
        .to_string()
    });
    (
        [
            (header::CONTENT_TYPE, "application/manifest+json"),
            // Small, and it names hashed icons: revalidate rather than go stale.
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body.as_str(),
    )
        .into_response()
}

/// The service worker with this release's asset URLs filled in. Its bytes change with
/// every asset change, which is what makes browsers install the new worker.
fn service_worker_source() -> &'static str {
    static SOURCE: OnceLock<String> = OnceLock::new();
    SOURCE.get_or_init(|| {
        let urls: Vec<String> = PRECACHED.iter().map(|name| assets::url(name)).collect();
        let list = serde_json::to_string(&urls).expect("strings serialise");
        let template = include_str!("../../static/sw.js");
        let version = hex::encode(&Sha256::digest(format!("{list}\n{template}"))[..5]);
        template
            .replace("__VERSION__", &version)
            .replace("__ASSETS__", &list)
    })
}

/// Served from the root so that its scope is the whole site (a worker under /static/
/// could only control /static/). Never cached by HTTP, so updates are seen at once.
async fn service_worker() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        service_worker_source(),
    )
        .into_response()
}

#[derive(Template)]
#[template(path = "offline.html")]
struct OfflinePage {
    layout: Layout,
}

/// The page the service worker shows when a page is neither reachable nor saved. It is
/// the same for everyone (the worker stores one copy), so it shows no personal data; the
/// list of saved pages is filled in on the device by static/app.js.
async fn offline() -> PageResult<Response> {
    let page = OfflinePage {
        layout: Layout::bare("You are offline"),
    };
    let html = page
        .render()
        .map_err(|e| super::PageError::Internal(e.into()))?;
    let mut res = Html(html).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(res)
}
