//! Static assets, embedded in the binary and served under content-hashed names with
//! year-long cache headers: `/static/app.css` is linked as `/static/app.1a2b3c4d5e.css`.

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::OnceLock;

struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "app.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../../static/app.css"),
    },
    Asset {
        name: "app.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../static/app.js"),
    },
    // Only the profile page loads it: photo upload with a progress bar.
    Asset {
        name: "profile.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../static/profile.js"),
    },
    Asset {
        name: "icon.svg",
        content_type: "image/svg+xml",
        bytes: include_bytes!("../../static/icon.svg"),
    },
    // App icons for the manifest and home screens, drawn by scripts/make-icons.py.
    Asset {
        name: "icon-192.png",
        content_type: "image/png",
        bytes: include_bytes!("../../static/icon-192.png"),
    },
    Asset {
        name: "icon-512.png",
        content_type: "image/png",
        bytes: include_bytes!("../../static/icon-512.png"),
    },
    Asset {
        name: "icon-maskable-512.png",
        content_type: "image/png",
        bytes: include_bytes!("../../static/icon-maskable-512.png"),
    },
    Asset {
        name: "apple-touch-icon.png",
        content_type: "image/png",
        bytes: include_bytes!("../../static/apple-touch-icon.png"),
    },
];

struct Catalogue {
    /// Logical name → hashed name.
    hashed: HashMap<&'static str, String>,
    /// Hashed name → asset.
    by_hashed: HashMap<String, &'static Asset>,
}

fn catalogue() -> &'static Catalogue {
    static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
    CATALOGUE.get_or_init(|| {
        let mut hashed = HashMap::new();
        let mut by_hashed = HashMap::new();
        for a in ASSETS {
            let digest = hex::encode(Sha256::digest(a.bytes));
            let (stem, ext) = a.name.rsplit_once('.').unwrap_or((a.name, ""));
            let name = format!("{stem}.{}.{ext}", &digest[..10]);
            hashed.insert(a.name, name.clone());
            by_hashed.insert(name, a);
        }
        Catalogue { hashed, by_hashed }
    })
}

/// The URL of an embedded asset, with its content hash.
pub fn url(name: &str) -> String {
    match catalogue().hashed.get(name) {
        Some(h) => format!("/static/{h}"),
        None => format!("/static/{name}"),
    }
}

/// Serves `/static/<hashed name>`; unhashed names are served too, but not cached long.
pub async fn serve(Path(name): Path<String>) -> Response {
    let cat = catalogue();
    if let Some(asset) = cat.by_hashed.get(&name) {
        return (
            [
                (header::CONTENT_TYPE, asset.content_type),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            asset.bytes,
        )
            .into_response();
    }
    match ASSETS.iter().find(|a| a.name == name) {
        Some(asset) => (
            [
                (header::CONTENT_TYPE, asset.content_type),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            asset.bytes,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
