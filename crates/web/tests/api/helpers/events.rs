//! Events through the API: creating and publishing one, registering and cancelling.

use super::{ok_json, TestApp, User};
use chrono::{Duration, Utc};
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

/// A local time `days` from now at `hour`, `YYYY-MM-DDTHH:MM` (as the API and a
/// `datetime-local` input take it).
pub fn local(days: i64, hour: u32) -> String {
    let d = (Utc::now() + Duration::days(days)).date_naive();
    format!("{}T{hour:02}:00", d.format("%Y-%m-%d"))
}

/// A valid workshop in ten days, 10:00–16:00 in Berlin, in a hall and online. Tests change
/// single fields.
pub fn workshop(title: &str, capacity: i64) -> Value {
    json!({
        "kind": "workshop", "title": title, "description": "Fathers and sons.",
        "starts_at": local(10, 10), "ends_at": local(10, 16), "time_zone": "Europe/Berlin",
        "location": "Community hall", "online_url": "https://meet.example.org/w",
        "capacity": capacity
    })
}

impl TestApp {
    /// Creates the event `body` describes (it must be created, as a draft); the event.
    pub async fn create_event(&self, by: &User, body: Value) -> Value {
        let res = self.post_as(&by.access_token, "/api/v1/events", body).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        ok_json(res).await
    }

    pub async fn set_event_status(&self, by: &User, event: &str, status: &str) -> Response {
        self.post_as(
            &by.access_token,
            &format!("/api/v1/events/{event}/status"),
            json!({ "status": status }),
        )
        .await
    }

    /// Creates and publishes the event `body` describes; its id.
    pub async fn publish_event(&self, by: &User, body: Value) -> String {
        let event = self.create_event(by, body).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let res = self.set_event_status(by, &event, "published").await;
        assert_eq!(res.status(), StatusCode::OK, "publish {event}");
        event
    }

    pub async fn register_for(&self, who: &User, event: &str) -> Response {
        self.post_as(
            &who.access_token,
            &format!("/api/v1/events/{event}/registrations"),
            json!({}),
        )
        .await
    }

    pub async fn cancel_registration(&self, who: &User, event: &str) -> Response {
        self.post_as(
            &who.access_token,
            &format!("/api/v1/events/{event}/registration/cancel"),
            json!({}),
        )
        .await
    }
}
