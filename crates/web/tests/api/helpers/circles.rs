//! Circles through the API: creating one, asking to join and approving, invitations,
//! meetings and attendance.

use super::{ok_json, TestApp, User};
use chrono::{DateTime, Utc};
use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};
use uuid::Uuid;

/// A valid circle: weekly on Tuesdays at 19:30 in Berlin, in person and online, open to
/// requests. Tests change single fields.
pub fn circle_body(name: &str, capacity: i64) -> Value {
    json!({
        "name": name,
        "description": "Men meeting to listen and speak honestly.",
        "capacity": capacity,
        "visibility": "open",
        "frequency": "weekly",
        "weekday": "tue",
        "meeting_time": "19:30",
        "duration_minutes": 120,
        "time_zone": "Europe/Berlin",
        "anchor_date": "2026-03-03",
        "city": "Berlin",
        "location": "Community hall, Kastanienallee 12",
        "online_url": "https://meet.example.org/tuesday"
    })
}

impl TestApp {
    /// Creates the circle `body` describes (it must be created); the circle as answered.
    pub async fn create_circle(&self, by: &User, body: Value) -> Value {
        let res = self
            .post_as(&by.access_token, "/api/v1/circles", body)
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        ok_json(res).await
    }

    /// An Admin steps in to the circle for safeguarding, with `reason` (it must work).
    pub async fn step_in(&self, admin: &User, circle: &str, reason: &str) -> Value {
        let res = self
            .post_as(
                &admin.access_token,
                &format!("/api/v1/circles/{circle}/step-in"),
                json!({ "reason": reason }),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        ok_json(res).await
    }

    /// `PATCH /circles/{circle}`: changes the fields `body` names.
    pub async fn edit_circle(&self, by: &User, circle: &str, body: Value) -> Response {
        self.call(
            Method::PATCH,
            &format!("/api/v1/circles/{circle}"),
            Some(&by.access_token),
            Some(body),
        )
        .await
    }

    /// `who` asks to join, with a short message.
    pub async fn ask_to_join(&self, who: &User, circle: &str) -> Response {
        self.post_as(
            &who.access_token,
            &format!("/api/v1/circles/{circle}/join-requests"),
            json!({ "message": "I would like to join." }),
        )
        .await
    }

    pub async fn approve(&self, by: &User, circle: &str, membership: &str) -> Response {
        self.post_as(
            &by.access_token,
            &format!("/api/v1/circles/{circle}/join-requests/{membership}/approve"),
            json!({}),
        )
        .await
    }

    /// `who` asks to join and `leader` approves; both must succeed.
    pub async fn join(&self, leader: &User, who: &User, circle: &str) {
        let request = ok_json(self.ask_to_join(who, circle).await).await;
        let membership = request["id"].as_str().unwrap();
        let res = self.approve(leader, circle, membership).await;
        assert_eq!(res.status(), StatusCode::OK, "approve {}", who.email);
    }

    pub async fn invite(&self, by: &User, circle: &str, email: &str) -> Response {
        self.post_as(
            &by.access_token,
            &format!("/api/v1/circles/{circle}/invitations"),
            json!({ "email": email }),
        )
        .await
    }

    pub async fn accept_invitation(&self, who: &User, token: &str) -> Response {
        self.post_as(
            &who.access_token,
            "/api/v1/circle-invitations/accept",
            json!({ "token": token }),
        )
        .await
    }

    /// `GET /circles/{circle}/meetings` as `who`.
    pub async fn meetings_of(&self, who: &User, circle: &str) -> Response {
        self.get_as(
            &who.access_token,
            &format!("/api/v1/circles/{circle}/meetings"),
        )
        .await
    }

    /// Plans meetings from the circle's cadence (`body` may say `until` when).
    pub async fn generate_meetings(&self, by: &User, circle: &str, body: Value) -> Response {
        self.post_as(
            &by.access_token,
            &format!("/api/v1/circles/{circle}/meetings/generate"),
            body,
        )
        .await
    }

    /// Adds a meeting by hand (`body` has `starts_at` and maybe more).
    pub async fn add_meeting(&self, by: &User, circle: &str, body: Value) -> Response {
        self.post_as(
            &by.access_token,
            &format!("/api/v1/circles/{circle}/meetings"),
            body,
        )
        .await
    }

    /// Records attendance: `entries` is a list of `{ "user_id", "status" }`.
    pub async fn record_attendance(&self, by: &User, meeting: &str, entries: Value) -> Response {
        self.call(
            Method::PUT,
            &format!("/api/v1/meetings/{meeting}/attendance"),
            Some(&by.access_token),
            Some(json!({ "entries": entries })),
        )
        .await
    }

    /// Says whether `who` is coming to `meeting` (`coming` / `not_coming`).
    pub async fn rsvp(&self, who: &User, meeting: &str, answer: &str) -> Response {
        self.call(
            Method::PUT,
            &format!("/api/v1/meetings/{meeting}/rsvp"),
            Some(&who.access_token),
            Some(json!({ "answer": answer })),
        )
        .await
    }

    /// Who said what for `meeting`, as `by` asks (leaders only).
    pub async fn rsvps_of(&self, by: &User, meeting: &str) -> Response {
        self.get_as(
            &by.access_token,
            &format!("/api/v1/meetings/{meeting}/rsvps"),
        )
        .await
    }

    /// `who`'s next meeting in each of his circles.
    pub async fn next_meetings(&self, who: &User) -> Value {
        self.get_json(&who.access_token, "/api/v1/me/next-meetings")
            .await
    }

    /// Marks every unmarked member present at `meeting`.
    pub async fn mark_all_present(&self, by: &User, meeting: &str) -> Response {
        self.post_as(
            &by.access_token,
            &format!("/api/v1/meetings/{meeting}/attendance/all-present"),
            json!({}),
        )
        .await
    }

    /// Adds a meeting starting at `at` (it must be added); its id.
    pub async fn meeting_at(&self, by: &User, circle: &str, at: DateTime<Utc>) -> String {
        let res = self
            .add_meeting(by, circle, json!({ "starts_at": at.to_rfc3339() }))
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let body: Value = res.json().await.unwrap();
        body["id"].as_str().unwrap().to_owned()
    }

    /// Sets a circle's status in storage, for states the API does not offer (archived
    /// without the archiving steps).
    pub async fn force_circle_status(&self, circle: &str, status: &str) {
        use db::main_db::circles;
        use db::sea_orm::sea_query::Expr;
        use db::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        circles::Entity::update_many()
            .col_expr(circles::Column::Status, Expr::value(status))
            .filter(circles::Column::Id.eq(circle.parse::<Uuid>().unwrap()))
            .exec(&self.ctx.main)
            .await
            .unwrap();
    }
}

/// A circle led by a facilitator certified by a Program Team Member, with one member.
pub struct Led {
    pub id: String,
    pub admin: User,
    pub ptm: User,
    pub fac: User,
    pub member: User,
}

pub async fn led_circle(app: &TestApp) -> Led {
    let admin = app.admin().await;
    let ptm = app.user_with_roles(&admin, &["program_team_member"]).await;
    let fac = app.named("Frank Facilitator").await;
    let cert = ok_json(app.certify(&ptm, fac.id).await).await;
    assert_eq!(cert["certified_by"], ptm.id.to_string());
    assert_eq!(
        app.put_role(&admin, fac.id, "facilitator").await.status(),
        StatusCode::OK
    );
    let id = app.create_circle(&fac, circle_body("Monday Men", 8)).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let member = app.named("Mark Member").await;
    app.join(&fac, &member, &id).await;
    Led {
        id,
        admin,
        ptm,
        fac,
        member,
    }
}
