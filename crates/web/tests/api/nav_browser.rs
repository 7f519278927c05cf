//! The header on a 375-px phone for the Admin, whose roles open the most pages: the links his roles open sit
//! in a "More" menu (a `<details>` disclosure that works without JavaScript), so nothing
//! runs off the side of the screen, and the menu opens inside it.

use crate::helpers::{TestApp, PASSWORD};
use serde_json::json;
use testkit::browser::{Browser, Viewport};

const SMALL_PHONE: Viewport = Viewport {
    name: "small-phone",
    width: 375,
    height: 667,
    pixel_ratio: 2.0,
    mobile: true,
};

async fn the_admins_header_fits_a_phone(app: TestApp) {
    // The Admin's roles open every gated page: Users, Certifications, Facilitators,
    // Scholarships, Support, the circle overview and the audit log.
    let all = app.admin().await;
    let Some(phone) = Browser::open(&app.address, SMALL_PHONE).await else {
        return;
    };
    phone.sign_in(&all.email, PASSWORD).await;
    phone.goto("/home").await;
    assert!(phone.has("header nav details.nav-more").await);
    // Closed, the role links take no room.
    let shown = phone
        .script(
            "return [...document.querySelectorAll('header nav a')] \
             .filter(a => a.getBoundingClientRect().width > 0).map(a => a.textContent);",
        )
        .await;
    assert_eq!(
        shown,
        json!(["Home", "Circles", "Events", "Profile", "Security"])
    );
    assert!(phone.sideways_overflow().await <= 0.0, "the header fits");
    let (_, height) = phone.size_of("header.top").await;
    assert!(height < 200.0, "the header stays short: {height}");

    // Open, every role link is inside the screen.
    phone.click("header nav details.nav-more > summary").await;
    let labels = phone
        .script("return [...document.querySelectorAll('.nav-more a')].map(a => a.textContent);")
        .await;
    assert_eq!(
        labels,
        json!([
            "Users",
            "Memberships",
            "Certifications",
            "Facilitators",
            "Refunds",
            "Scholarships",
            "Support",
            "Circle overview",
            "Finances",
            "Audit log"
        ])
    );
    let edges = phone
        .script(
            "return [...document.querySelectorAll('.nav-more a')].map(a => { \
             const r = a.getBoundingClientRect(); return [r.left, r.right]; });",
        )
        .await;
    let edges = edges.as_array().unwrap();
    assert_eq!(edges.len(), 10, "{edges:?}");
    for e in edges {
        let (left, right) = (e[0].as_f64().unwrap(), e[1].as_f64().unwrap());
        assert!(left >= 0.0 && right <= 375.0, "{left}–{right}");
    }
    assert!(phone.sideways_overflow().await <= 0.0, "the open menu fits");
    phone.screenshot("nav-more", SMALL_PHONE).await;
    phone.click(".nav-more a[href='/audit']").await;
    phone.wait_for_text("main h1", "Audit log").await;
    phone.close().await;
}

crate::on_both_backends!(the_admins_header_fits_a_phone);
