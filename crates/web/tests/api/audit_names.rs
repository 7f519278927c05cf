//! The audit page names people: the actor and the person acted on by display name in
//! security and administration records, "(erased)" where the log forgot someone, and no
//! one in circle records (issue 9).

use crate::helpers::circle_body;
use crate::helpers::pages::{audit_rows as rows, Person};
use crate::helpers::TestApp;
use reqwest::StatusCode;

async fn the_audit_page_shows_names_but_not_in_circle_records(app: TestApp) {
    app.create_admin("anna@example.org", "Anna Admin").await;
    let admin = app
        .signed_in("anna@example.org", crate::helpers::PASSWORD)
        .await;
    let bob = app.named("Bob Brother").await;
    let eve = app.named("Eve Erased").await;
    let fac = app.user_with_roles(&admin, &["facilitator"]).await;
    let carl = app.named("Carl Circle").await;
    let circle = app
        .create_circle(&fac, circle_body("Names Circle", 8))
        .await;
    app.join(&fac, &carl, circle["id"].as_str().unwrap()).await;
    for who in [&bob, &eve] {
        let res = app.suspend(&admin, who.id, "Testing the log").await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    let txn = db::begin_write(&app.ctx.main).await.unwrap();
    app::audit::erase_person(&txn, eve.id).await.unwrap();
    txn.commit().await.unwrap();

    let page = Person::of(&app, &admin).await;
    let html = page.page("/audit?action=user_suspended").await;
    let suspended = rows(&html, "security");
    assert_eq!(suspended.len(), 2, "{html}");
    let bobs = suspended
        .iter()
        .find(|r| r.contains("Bob Brother"))
        .expect("the person suspended is named");
    assert!(
        bobs.contains(">Anna Admin</a>"),
        "the actor is named: {bobs}"
    );
    assert!(
        bobs.contains(&format!("title=\"{}\"", bob.id)),
        "the id is still at hand"
    );
    assert!(!bobs.contains(&format!("<code>{}</code>", bob.id)));
    let eves = suspended.iter().find(|r| !r.contains("Bob")).unwrap();
    assert!(eves.contains("(erased)"), "{eves}");
    assert!(!html.contains("Eve Erased"));

    // Everything on one page: sign-ins name their person, circle business names no one.
    let html = page.page("/audit").await;
    assert!(
        html.contains(">Carl Circle</a>"),
        "Carl's own sign-in is named"
    );
    let circle_rows = rows(&html, "circle");
    assert!(!circle_rows.is_empty(), "joining writes circle records");
    for r in circle_rows {
        assert!(r.contains(">Not recorded<"), "{r}");
        for name in ["Carl Circle", "Test Person", "Anna Admin"] {
            assert!(!r.contains(name), "{name} in a circle record: {r}");
        }
        assert!(!r.contains(&carl.id.to_string()), "{r}");
    }
    assert!(
        !html.contains("Eve Erased"),
        "an erased person stays erased"
    );
}

crate::on_both_backends!(the_audit_page_shows_names_but_not_in_circle_records);
