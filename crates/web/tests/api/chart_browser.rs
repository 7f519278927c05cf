//! The circle health charts in headless Chromium on a 375-px phone: axis labels render at
//! 11 px or more, the members line starts when the circle did, and the y ticks sit at
//! whole numbers of members. Screenshot: `test-artifacts/screenshots/chart-phone.png`.

use crate::helpers::{circle_body, TestApp, PASSWORD};
use serde_json::json;
use testkit::browser::{Browser, Viewport};

/// A small phone (iPhone SE, 12 mini).
const SMALL_PHONE: Viewport = Viewport {
    name: "small-phone",
    width: 375,
    height: 667,
    pixel_ratio: 2.0,
    mobile: true,
};

async fn health_charts_read_on_a_small_phone(app: TestApp) {
    let admin = app.admin().await;
    let fac = app.facilitator(&admin, "Frank Facilitator").await;
    let id = app.create_circle(&fac, circle_body("Tuesday Men", 5)).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for name in ["Ali Haddad", "Jon Berg", "Kim Novak"] {
        let who = app.named(name).await;
        app.join(&fac, &who, &id).await;
    }

    let Some(phone) = Browser::open(&app.address, SMALL_PHONE).await else {
        return;
    };
    phone.sign_in(&fac.email, PASSWORD).await;
    phone.goto(&format!("/circles/{id}/health")).await;
    phone.wait_for_text("main h1", "Circle health").await;

    // Each label's font size times the scale the chart is drawn at, in CSS pixels.
    let sizes = phone
        .script(
            "return [...document.querySelectorAll('svg.chart .chart-label')].map(t => \
             parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a);",
        )
        .await;
    let sizes: Vec<f64> = sizes
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert!(!sizes.is_empty());
    let smallest = sizes.iter().copied().fold(f64::INFINITY, f64::min);
    assert!(smallest >= 11.0, "axis labels render at {smallest:.1} px");

    // The circle is new: one month on the line, not eleven empty ones before it.
    let dots = phone
        .script("return document.querySelectorAll('#members-chart-title ~ .chart-dot').length;")
        .await;
    assert_eq!(dots, json!(1));
    // Ticks of a 5-seat circle are whole members, each at its own height.
    let ticks = phone
        .script(
            "const svg = document.getElementById('members-chart-title').closest('svg'); \
             return [...svg.querySelectorAll('text[text-anchor=end]')].map(t => t.textContent);",
        )
        .await;
    assert_eq!(ticks, json!(["0", "2", "4", "6"]));
    assert!(
        phone.sideways_overflow().await <= 0.0,
        "the page fits the phone"
    );
    phone.screenshot("chart-phone", SMALL_PHONE).await;
    phone.close().await;
}

crate::on_both_backends!(health_charts_read_on_a_small_phone);
