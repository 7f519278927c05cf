//! Builds the served form of every asset: content hash, hashed name, Subresource Integrity
//! hash, and for the ES modules in `static/e2e/` their import paths rewritten to the hashed
//! names of what they import (leaves first, so each name covers its imports too).

use super::{Asset, Served};
use axum::body::Bytes;
use base64::Engine;
use sha2::{Digest, Sha256, Sha384};
use std::collections::HashMap;

/// The folder of the ES modules whose imports are rewritten.
const MODULE_DIR: &str = "e2e/";

pub(super) fn serve_all(assets: &'static [Asset]) -> HashMap<&'static str, Served> {
    let mut served = HashMap::new();
    for asset in assets {
        serve_one(assets, asset, &mut served, 0);
    }
    served
}

/// Serves `asset` after everything it imports. `depth` stops an import cycle (which the
/// unit tests rule out for the shipped modules) from recursing for ever: past it, the
/// import is left as written and would fail in the browser, visibly.
fn serve_one(
    assets: &'static [Asset],
    asset: &'static Asset,
    served: &mut HashMap<&'static str, Served>,
    depth: usize,
) {
    if served.contains_key(asset.name) {
        return;
    }
    let is_module = asset.name.starts_with(MODULE_DIR) && asset.name.ends_with(".js");
    let (bytes, imports) = match (is_module, std::str::from_utf8(asset.bytes)) {
        (true, Ok(source)) if depth < assets.len() => {
            let imports = imports_of(source);
            for dep in &imports {
                if let Some(a) = assets.iter().find(|a| a.name == dep.as_str()) {
                    serve_one(assets, a, served, depth + 1);
                }
            }
            let rewritten = rewrite(source, served);
            let names = imports
                .iter()
                .filter_map(|d| served.get_key_value(d.as_str()).map(|(k, _)| *k))
                .collect();
            (Bytes::from(rewritten.into_bytes()), names)
        }
        _ => (Bytes::from_static(asset.bytes), Vec::new()),
    };
    let digest = hex::encode(Sha256::digest(&bytes));
    let (stem, ext) = asset.name.rsplit_once('.').unwrap_or((asset.name, ""));
    let hashed = format!("{stem}.{}.{ext}", &digest[..10]);
    let integrity = format!(
        "sha384-{}",
        base64::engine::general_purpose::STANDARD.encode(Sha384::digest(&bytes))
    );
    served.insert(
        asset.name,
        Served {
            asset,
            hashed,
            bytes,
            integrity,
            imports,
        },
    );
}

/// The specifier of a static import or re-export on one line (`import … from "./x.js";`,
/// `export … from "./x.js";`, `import "./x.js";`), when it names a module in the same folder.
fn specifier(line: &str) -> Option<&str> {
    let trimmed = line.trim_start();
    if !(trimmed.starts_with("import ") || trimmed.starts_with("export ")) {
        return None;
    }
    let start = line.find("\"./")? + 3;
    let len = line[start..].find('"')?;
    let spec = &line[start..start + len];
    (!spec.contains('/') && spec.ends_with(".js")).then_some(spec)
}

/// The logical names (`e2e/crypto.js`) of the modules `source` imports.
fn imports_of(source: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for spec in source.lines().filter_map(specifier) {
        let name = format!("{MODULE_DIR}{spec}");
        if !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

/// `source` with each import of a served module pointing at its hashed name.
fn rewrite(source: &str, served: &HashMap<&'static str, Served>) -> String {
    let mut out = String::with_capacity(source.len() + 256);
    for line in source.split_inclusive('\n') {
        let target = specifier(line).and_then(|spec| {
            let dep = served.get(format!("{MODULE_DIR}{spec}").as_str())?;
            let file = dep.hashed.strip_prefix(MODULE_DIR)?;
            Some((spec, file))
        });
        match target {
            Some((spec, file)) => {
                out.push_str(&line.replacen(&format!("\"./{spec}\""), &format!("\"./{file}\""), 1))
            }
            None => out.push_str(line),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::ASSETS;
    use super::*;

    #[test]
    fn finds_the_imports_of_a_module() {
        let source = "import { a, b } from \"./crypto.js\";\nexport { c } from \"./store.js\";\nimport \"./x.js\";\nconst s = \"./not.js\";\n  import { d } from \"../up.js\";\n";
        assert_eq!(
            imports_of(source),
            vec!["e2e/crypto.js", "e2e/store.js", "e2e/x.js"]
        );
    }

    #[test]
    fn every_import_of_every_shipped_module_resolves_to_a_hashed_name() {
        let served = serve_all(ASSETS);
        for (name, s) in &served {
            let Ok(text) = std::str::from_utf8(&s.bytes) else {
                continue;
            };
            if !name.starts_with(MODULE_DIR) {
                continue;
            }
            for spec in text.lines().filter_map(specifier) {
                let logical = format!("{MODULE_DIR}{spec}");
                assert!(
                    served.values().any(|d| d.hashed == logical),
                    "{name} imports {spec}, which is not a hashed module name"
                );
            }
        }
    }

    #[test]
    fn a_module_name_changes_when_a_module_it_imports_changes() {
        static LEAF_A: &[Asset] = &[
            Asset {
                name: "e2e/leaf.js",
                content_type: "text/javascript",
                bytes: b"export const x = 1;\n",
            },
            Asset {
                name: "e2e/top.js",
                content_type: "text/javascript",
                bytes: b"import { x } from \"./leaf.js\";\n",
            },
        ];
        static LEAF_B: &[Asset] = &[
            Asset {
                name: "e2e/leaf.js",
                content_type: "text/javascript",
                bytes: b"export const x = 2;\n",
            },
            Asset {
                name: "e2e/top.js",
                content_type: "text/javascript",
                bytes: b"import { x } from \"./leaf.js\";\n",
            },
        ];
        let (a, b) = (serve_all(LEAF_A), serve_all(LEAF_B));
        assert_ne!(a["e2e/top.js"].hashed, b["e2e/top.js"].hashed);
        let top = std::str::from_utf8(&a["e2e/top.js"].bytes).unwrap();
        let leaf = a["e2e/leaf.js"].hashed.strip_prefix(MODULE_DIR).unwrap();
        assert_eq!(top, format!("import {{ x }} from \"./{leaf}\";\n"));
        assert_eq!(a["e2e/top.js"].imports, vec!["e2e/leaf.js"]);
        assert!(a["e2e/top.js"].integrity.starts_with("sha384-"));
    }
}
