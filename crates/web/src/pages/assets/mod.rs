//! Static assets, embedded in the binary and served under content-hashed names with
//! year-long cache headers: `/static/app.css` is linked as `/static/app.1a2b3c4d5e.css`.
//!
//! The conversation's ES modules (`static/e2e/`) import each other. Their import paths are
//! rewritten here to the hashed names (`./crypto.js` → `./crypto.1a2b3c4d5e.js`), leaves
//! first, so a module's hash covers the hashes of everything it imports. An import map
//! would be the other way, but an inline `<script type="importmap">` is refused by the
//! strict CSP (`script-src 'self'`) and browsers do not load import maps from files.
//! Every script has a Subresource Integrity hash (`sha384-…`) that pages put on their
//! `<script>` and `<link rel="modulepreload">` tags, and that `circles --version --verbose`
//! prints from this same catalogue.

mod modules;

use axum::body::Bytes;
use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::OnceLock;

struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

const JS: &str = "text/javascript; charset=utf-8";

const ASSETS: &[Asset] = &[
    Asset {
        name: "app.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../../../static/app.css"),
    },
    Asset {
        name: "app.js",
        content_type: JS,
        bytes: include_bytes!("../../../static/app.js"),
    },
    // Only the profile page loads it: photo upload with a progress bar.
    Asset {
        name: "profile.js",
        content_type: JS,
        bytes: include_bytes!("../../../static/profile.js"),
    },
    // Only the card payment page loads it: Stripe.js's card form and confirmCardPayment.
    Asset {
        name: "pay.js",
        content_type: JS,
        bytes: include_bytes!("../../../static/pay.js"),
    },
    Asset {
        name: "icon.svg",
        content_type: "image/svg+xml",
        bytes: include_bytes!("../../../static/icon.svg"),
    },
    // App icons for the manifest and home screens, drawn by scripts/make-icons.py.
    Asset {
        name: "icon-192.png",
        content_type: "image/png",
        bytes: include_bytes!("../../../static/icon-192.png"),
    },
    Asset {
        name: "icon-512.png",
        content_type: "image/png",
        bytes: include_bytes!("../../../static/icon-512.png"),
    },
    Asset {
        name: "icon-maskable-512.png",
        content_type: "image/png",
        bytes: include_bytes!("../../../static/icon-maskable-512.png"),
    },
    Asset {
        name: "apple-touch-icon.png",
        content_type: "image/png",
        bytes: include_bytes!("../../../static/apple-touch-icon.png"),
    },
    // The conversation's end-to-end encryption, as ES modules (see the module comment).
    Asset {
        name: "e2e/crypto.js",
        content_type: JS,
        bytes: include_bytes!("../../../static/e2e/crypto.js"),
    },
    Asset {
        name: "e2e/backup.js",
        content_type: JS,
        bytes: include_bytes!("../../../static/e2e/backup.js"),
    },
    Asset {
        name: "e2e/store.js",
        content_type: JS,
        bytes: include_bytes!("../../../static/e2e/store.js"),
    },
    Asset {
        name: "e2e/search.js",
        content_type: JS,
        bytes: include_bytes!("../../../static/e2e/search.js"),
    },
    Asset {
        name: "e2e/api.js",
        content_type: JS,
        bytes: include_bytes!("../../../static/e2e/api.js"),
    },
    Asset {
        name: "e2e/ui.js",
        content_type: JS,
        bytes: include_bytes!("../../../static/e2e/ui.js"),
    },
    Asset {
        name: "e2e/identity.js",
        content_type: JS,
        bytes: include_bytes!("../../../static/e2e/identity.js"),
    },
    Asset {
        name: "e2e/keys.js",
        content_type: JS,
        bytes: include_bytes!("../../../static/e2e/keys.js"),
    },
    Asset {
        name: "e2e/roster.js",
        content_type: JS,
        bytes: include_bytes!("../../../static/e2e/roster.js"),
    },
    Asset {
        name: "e2e/circle.js",
        content_type: JS,
        bytes: include_bytes!("../../../static/e2e/circle.js"),
    },
    Asset {
        name: "e2e/live.js",
        content_type: JS,
        bytes: include_bytes!("../../../static/e2e/live.js"),
    },
    Asset {
        name: "e2e/finder.js",
        content_type: JS,
        bytes: include_bytes!("../../../static/e2e/finder.js"),
    },
    Asset {
        name: "e2e/conversation.js",
        content_type: JS,
        bytes: include_bytes!("../../../static/e2e/conversation.js"),
    },
    // The meetings page: sealed meeting notes.
    Asset {
        name: "e2e/notes.js",
        content_type: JS,
        bytes: include_bytes!("../../../static/e2e/notes.js"),
    },
    Asset {
        name: "e2e/announce.js",
        content_type: JS,
        bytes: include_bytes!("../../../static/e2e/announce.js"),
    },
    // The join request's message, sealed to the leaders' devices; opened on their queue.
    Asset {
        name: "e2e/join.js",
        content_type: JS,
        bytes: include_bytes!("../../../static/e2e/join.js"),
    },
    Asset {
        name: "e2e/requests.js",
        content_type: JS,
        bytes: include_bytes!("../../../static/e2e/requests.js"),
    },
    // On every signed-in page: the sign-out form names this browser's device.
    Asset {
        name: "e2e/signout.js",
        content_type: JS,
        bytes: include_bytes!("../../../static/e2e/signout.js"),
    },
    Asset {
        name: "e2e/selftest.js",
        content_type: JS,
        bytes: include_bytes!("../../../static/e2e/selftest.js"),
    },
];

/// One asset as it is served: its bytes (import paths rewritten for modules), its hashed
/// name and its Subresource Integrity hash.
struct Served {
    asset: &'static Asset,
    hashed: String,
    bytes: Bytes,
    integrity: String,
    /// The modules it imports, by logical name (ES modules only).
    imports: Vec<&'static str>,
}

struct Catalogue {
    /// Logical name → served form.
    by_name: HashMap<&'static str, Served>,
    /// Hashed name → logical name.
    by_hashed: HashMap<String, &'static str>,
}

fn catalogue() -> &'static Catalogue {
    static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
    CATALOGUE.get_or_init(|| {
        let by_name = modules::serve_all(ASSETS);
        let by_hashed = by_name
            .iter()
            .map(|(name, s)| (s.hashed.clone(), *name))
            .collect();
        Catalogue { by_name, by_hashed }
    })
}

/// The URL of an embedded asset, with its content hash.
pub fn url(name: &str) -> String {
    match catalogue().by_name.get(name) {
        Some(s) => format!("/static/{}", s.hashed),
        None => format!("/static/{name}"),
    }
}

/// A script as a page links it: its URL and its Subresource Integrity hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    pub url: String,
    pub integrity: String,
}

/// The entry module `name` and, separately, every module it imports directly or not (for
/// `<link rel="modulepreload" integrity=…>`, so each of them is checked too), in a stable
/// order. An unknown name gives its plain URL and no integrity (a test checks pages name
/// only known modules).
pub fn module(name: &str) -> (Script, Vec<Script>) {
    let cat = catalogue();
    let entry = script(cat, name);
    let mut seen = Vec::new();
    collect_imports(cat, name, &mut seen);
    (entry, seen.iter().map(|n| script(cat, n)).collect())
}

fn script(cat: &Catalogue, name: &str) -> Script {
    match cat.by_name.get(name) {
        Some(s) => Script {
            url: format!("/static/{}", s.hashed),
            integrity: s.integrity.clone(),
        },
        None => Script {
            url: format!("/static/{name}"),
            integrity: String::new(),
        },
    }
}

fn collect_imports(cat: &Catalogue, name: &str, seen: &mut Vec<&'static str>) {
    let Some(served) = cat.by_name.get(name) else {
        return;
    };
    for dep in &served.imports {
        if !seen.contains(dep) {
            seen.push(dep);
            collect_imports(cat, dep, seen);
        }
    }
}

/// Every script the server serves, by logical name, with its URL and integrity hash, sorted
/// by name (what `circles --version --verbose` prints, so an organisation can compare what
/// its server sends with a release it trusts).
pub fn scripts() -> Vec<(&'static str, Script)> {
    let cat = catalogue();
    let mut out: Vec<_> = cat
        .by_name
        .iter()
        .filter(|(_, s)| s.asset.content_type == JS)
        .map(|(name, _)| (*name, script(cat, name)))
        .collect();
    out.sort_by(|a, b| a.0.cmp(b.0));
    out
}

/// Serves `/static/<hashed name>`; unhashed names are served too, but not cached long.
pub async fn serve(Path(name): Path<String>) -> Response {
    respond(&name)
}

/// Serves `/static/e2e/<hashed name>`: the conversation's modules.
pub async fn serve_module(Path(name): Path<String>) -> Response {
    respond(&format!("e2e/{name}"))
}

fn respond(name: &str) -> Response {
    let cat = catalogue();
    if let Some(served) = cat.by_hashed.get(name).and_then(|n| cat.by_name.get(n)) {
        return (
            [
                (header::CONTENT_TYPE, served.asset.content_type),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            served.bytes.clone(),
        )
            .into_response();
    }
    match cat.by_name.get(name) {
        Some(served) => (
            [
                (header::CONTENT_TYPE, served.asset.content_type),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            served.bytes.clone(),
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
