//! The conversation's pages as the server renders them: who may open them, what they say
//! without JavaScript, and the scripts they load — each module and everything it imports
//! linked by its content-hashed name with a Subresource Integrity hash that matches the
//! bytes served, the same hashes `circles --version --verbose` prints.

use crate::helpers::pages::Person;
use crate::helpers::{circle_body, TestApp};
use base64::Engine;
use reqwest::StatusCode;
use scraper::{Html, Selector};
use sha2::{Digest, Sha384};

/// Every `(src or href, integrity)` of the page's module scripts and module preloads.
fn module_tags(html: &str) -> Vec<(String, String)> {
    let doc = Html::parse_document(html);
    let sel = Selector::parse("script[type=module], link[rel=modulepreload]").unwrap();
    doc.select(&sel)
        .map(|e| {
            let v = e.value();
            let url = v.attr("src").or(v.attr("href")).unwrap_or_default();
            (
                url.to_owned(),
                v.attr("integrity").unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

async fn conversation_pages_load_hashed_modules_whose_integrity_matches(app: TestApp) {
    let admin = app.admin().await;
    let fac = app.facilitator(&admin, "Frank Facilitator").await;
    let circle = app.create_circle(&fac, circle_body("Tuesday Men", 5)).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let member = app.named("Ali Haddad").await;
    app.join(&fac, &member, &circle).await;
    let me = Person::of(&app, &member).await;

    let circle_page = me.page(&format!("/circles/{circle}")).await;
    assert!(circle_page.contains(&format!("href=\"/circles/{circle}/conversation\"")));

    let html = me.page(&format!("/circles/{circle}/conversation")).await;
    assert!(
        html.contains("<noscript>"),
        "the page says it needs JavaScript"
    );
    assert!(html.contains("encrypted in your browser, so it needs JavaScript"));
    let tags = module_tags(&html);
    let (entry, preloads) = web::pages::assets::module("e2e/conversation.js");
    assert!(tags.contains(&(entry.url.clone(), entry.integrity.clone())));
    assert!(
        preloads.len() >= 8,
        "its imports are preloaded: {preloads:?}"
    );
    for p in &preloads {
        assert!(
            tags.contains(&(p.url.clone(), p.integrity.clone())),
            "{p:?}"
        );
    }
    let listed = web::pages::assets::scripts();
    for (url, integrity) in &tags {
        assert!(url.starts_with("/static/e2e/"), "{url}");
        assert!(listed
            .iter()
            .any(|(_, s)| &s.url == url && &s.integrity == integrity));
        let res = me.get(url).await;
        assert_eq!(res.status(), StatusCode::OK, "{url}");
        let cache = res.headers()["cache-control"].to_str().unwrap().to_owned();
        assert!(cache.contains("immutable"), "{url}: {cache}");
        let bytes = res.bytes().await.unwrap();
        let actual = format!(
            "sha384-{}",
            base64::engine::general_purpose::STANDARD.encode(Sha384::digest(&bytes))
        );
        assert_eq!(&actual, integrity, "{url}");
        // Imports point at hashed names too, so the integrity of one covers the next.
        let text = String::from_utf8(bytes.to_vec()).unwrap();
        for line in text.lines().filter(|l| l.starts_with("import ")) {
            if let Some(spec) = line.split('"').nth(1) {
                let hashed = spec.trim_start_matches("./");
                assert!(
                    tags.iter().any(|(u, _)| u.ends_with(&format!("/{hashed}"))),
                    "{url} imports {spec}, which the page does not preload"
                );
            }
        }
    }

    for path in ["/account/devices", "/conversations/announce"] {
        let html = me.page(path).await;
        assert!(html.contains("<noscript>"), "{path}");
        assert!(!module_tags(&html).is_empty(), "{path}");
    }
}

async fn only_members_and_leaders_open_the_conversation_page(app: TestApp) {
    let admin = app.admin().await;
    let fac = app.facilitator(&admin, "Frank Facilitator").await;
    let circle = app.create_circle(&fac, circle_body("Tuesday Men", 5)).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/circles/{circle}/conversation");
    let leader = Person::of(&app, &fac).await;
    assert!(leader.page(&path).await.contains("data-leads=\"true\""));

    let outsider = Person::of(&app, &app.named("Olaf Outsider").await).await;
    let res = outsider.get(&path).await;
    assert!(
        [StatusCode::FORBIDDEN, StatusCode::NOT_FOUND].contains(&res.status()),
        "{}",
        res.status()
    );
    assert!(!outsider
        .page(&format!("/circles/{circle}"))
        .await
        .contains(&path));

    // A stepped-in Admin reads the circle's other private data, but not its conversation.
    app.step_in(&admin, &circle, "Safeguarding check after a report.")
        .await;
    let stepped_in = Person::of(&app, &admin).await;
    let res = stepped_in.get(&path).await;
    assert!(
        [StatusCode::FORBIDDEN, StatusCode::NOT_FOUND].contains(&res.status()),
        "{}",
        res.status()
    );
    assert!(!stepped_in
        .page(&format!("/circles/{circle}"))
        .await
        .contains(&path));
}

crate::on_both_backends!(
    conversation_pages_load_hashed_modules_whose_integrity_matches,
    only_members_and_leaders_open_the_conversation_page,
);
