//! Accounts: registering, confirming the address, signing in, the profile — and the
//! people tests need, made the way a person (or an operator, for the first Admin) makes them.

use super::{TestApp, PASSWORD};
use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};
use uuid::Uuid;

/// A signed-in user of a test.
#[derive(Debug, Clone)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub password: String,
    pub access_token: String,
    pub refresh_token: String,
}

/// An address no other account of the test uses, starting with `who`.
pub fn unique_email(who: &str) -> String {
    format!("{who}-{}@example.org", Uuid::new_v4().simple())
}

impl TestApp {
    pub async fn register(&self, email: &str, password: &str, display_name: &str) -> Response {
        self.post(
            "/api/v1/auth/register",
            json!({ "email": email, "password": password, "display_name": display_name }),
        )
        .await
    }

    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.post(
            "/api/v1/auth/login",
            json!({ "email": email, "password": password }),
        )
        .await
    }

    pub async fn verify_email(&self, token: &str) -> Response {
        self.post("/api/v1/auth/verify-email", json!({ "token": token }))
            .await
    }

    pub async fn refresh(&self, refresh_token: &str) -> Response {
        self.post(
            "/api/v1/auth/refresh",
            json!({ "refresh_token": refresh_token }),
        )
        .await
    }

    /// Confirms `email` with the newest verification link mailed to it.
    pub async fn confirm_email_of(&self, email: &str) {
        let token = self.token_from_email(email, "verify-email").await;
        let res = self.verify_email(&token).await;
        assert_eq!(res.status(), StatusCode::OK, "verify {email}");
    }

    /// Registers `name` at `email`, confirms the address and signs in.
    pub async fn signed_up_as(&self, name: &str, email: &str, password: &str) -> User {
        let res = self.register(email, password, name).await;
        assert_eq!(
            res.status(),
            StatusCode::ACCEPTED,
            "register {email}: {}",
            res.text().await.unwrap()
        );
        self.confirm_email_of(email).await;
        self.signed_in(email, password).await
    }

    /// Registers, verifies and signs in a new Member called "Test Person".
    pub async fn signed_up(&self, email: &str) -> User {
        self.signed_up_as("Test Person", email, PASSWORD).await
    }

    /// A verified, signed-in member called `name` (names are what the pages show).
    pub async fn named(&self, name: &str) -> User {
        let first = name.split(' ').next().unwrap_or("person").to_lowercase();
        self.signed_up_as(name, &unique_email(&first), PASSWORD)
            .await
    }

    pub async fn signed_in(&self, email: &str, password: &str) -> User {
        let res = self.login(email, password).await;
        assert_eq!(res.status(), StatusCode::OK, "login {email}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["status"], "signed_in", "{body}");
        let id = self.user_id(email).await;
        User {
            id,
            email: email.to_owned(),
            password: password.to_owned(),
            access_token: body["access_token"].as_str().unwrap().to_owned(),
            refresh_token: body["refresh_token"].as_str().unwrap().to_owned(),
        }
    }

    /// `user` signing in again, after time moved on past his tokens and sessions.
    pub async fn signed_in_again(&self, user: &User) -> User {
        self.signed_in(&user.email, &user.password).await
    }

    pub async fn user_id(&self, email: &str) -> Uuid {
        use db::main_db::users;
        use db::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        users::Entity::find()
            .filter(users::Column::Email.eq(email))
            .one(&self.ctx.main)
            .await
            .unwrap()
            .expect("user exists")
            .id
    }

    /// An Admin created the way an operator does (`circles admin create`).
    pub async fn create_admin(&self, email: &str, name: &str) {
        app::admin::create_admin(&self.ctx, email, name, PASSWORD)
            .await
            .expect("admin created");
    }

    /// A new Admin, signed in.
    pub async fn admin(&self) -> User {
        let email = unique_email("admin");
        self.create_admin(&email, "Admin").await;
        self.signed_in(&email, PASSWORD).await
    }

    /// The profile `GET /me` shows `user` (it must load).
    pub async fn me(&self, user: &User) -> Value {
        let res = self.get_as(&user.access_token, "/api/v1/me").await;
        assert_eq!(res.status(), StatusCode::OK, "GET /me of {}", user.email);
        res.json().await.unwrap()
    }

    pub async fn patch_me(&self, user: &User, body: Value) -> Response {
        self.call(
            Method::PATCH,
            "/api/v1/me",
            Some(&user.access_token),
            Some(body),
        )
        .await
    }
}

/// A `width` × `height` PNG with a colour gradient (photos to upload).
pub fn png(width: u32, height: u32) -> Vec<u8> {
    use image::{ImageEncoder, Rgb, RgbImage};
    let img = RgbImage::from_fn(width, height, |x, y| {
        Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
    });
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(&img, width, height, image::ExtendedColorType::Rgb8)
        .unwrap();
    out
}

impl TestApp {
    /// `PUT /me/photo` with `body` sent as `content_type`.
    pub async fn put_photo(
        &self,
        user: &User,
        content_type: &str,
        body: Vec<u8>,
    ) -> reqwest::Response {
        self.send_raw(
            reqwest::Method::PUT,
            "/api/v1/me/photo",
            Some(&user.access_token),
            Some(content_type),
            body,
        )
        .await
    }
}
