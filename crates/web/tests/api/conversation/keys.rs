//! A user's identity key, backup and devices: set up once, approved from another device,
//! revoked; key material is checked for shape and size, never content.

use crate::helpers::conversation::{b64, device_body, signature, spki};
use crate::helpers::{ok_json, refused, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn identity_backup_and_devices(app: TestApp) {
    let me = app.named("Kurt Keys").await;
    let identity = "/api/v1/me/conversation-identity";
    let res = app.conv(&me, Method::GET, identity, None).await;
    assert_eq!(refused(res, StatusCode::NOT_FOUND).await, "not_found");
    // No device before the identity key that certifies it.
    let res = app
        .conv(
            &me,
            Method::POST,
            "/api/v1/me/devices",
            Some(device_body("Phone", true)),
        )
        .await;
    assert_eq!(refused(res, StatusCode::CONFLICT).await, "identity_missing");

    let key = spki();
    let body = json!({ "identity_public": key, "backup": r#"{"v":1,"recovery":{"iv":"a","ct":"b"},"passphrase":null}"# });
    let res = app
        .conv(&me, Method::PUT, identity, Some(body.clone()))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = app.conv(&me, Method::PUT, identity, Some(body)).await;
    assert_eq!(refused(res, StatusCode::CONFLICT).await, "identity_exists");
    let res = app
        .conv(
            &me,
            Method::PUT,
            "/api/v1/me/conversation-identity/backup",
            Some(json!({ "backup": r#"{"v":1,"passphrase":{"iterations":600000}}"# })),
        )
        .await;
    let stored = ok_json(res).await;
    assert_eq!(stored["identity_public"], key);
    assert!(stored["backup"].as_str().unwrap().contains("600000"));
    // A backup is the text of a JSON object of at most 16 KiB.
    for bad in [
        "not json",
        "[1,2]",
        &format!(r#"{{"x":"{}"}}"#, "a".repeat(17_000)),
    ] {
        let res = app
            .conv(
                &me,
                Method::PUT,
                "/api/v1/me/conversation-identity/backup",
                Some(json!({ "backup": bad })),
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad:.20}");
    }

    // The first device signs itself; a second waits for approval.
    let laptop = ok_json(
        app.conv(
            &me,
            Method::POST,
            "/api/v1/me/devices",
            Some(device_body("Laptop", true)),
        )
        .await,
    )
    .await;
    assert_eq!(laptop["pending"], false);
    let phone_body = device_body("Phone", false);
    let res = app
        .conv(
            &me,
            Method::POST,
            "/api/v1/me/devices",
            Some(phone_body.clone()),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let phone = phone_body["id"].as_str().unwrap();
    let res = app
        .conv(
            &me,
            Method::POST,
            "/api/v1/me/devices",
            Some(phone_body.clone()),
        )
        .await;
    assert_eq!(refused(res, StatusCode::CONFLICT).await, "device_exists");
    let approval = format!("/api/v1/me/devices/{phone}/approval");
    let res = app.conv(&me, Method::GET, &approval, None).await;
    assert_eq!(refused(res, StatusCode::NOT_FOUND).await, "not_found");
    let transfer = b64(300);
    let cert = signature();
    let res = app
        .conv(
            &me,
            Method::PUT,
            &approval,
            Some(json!({ "certificate": cert, "transfer": transfer })),
        )
        .await;
    assert_eq!(ok_json(res).await["pending"], false);
    let picked_up = app.get_json(&me.access_token, &approval).await;
    assert_eq!(
        picked_up,
        json!({ "certificate": cert, "transfer": transfer })
    );
    let res = app
        .conv(
            &me,
            Method::PUT,
            &approval,
            Some(json!({ "certificate": signature() })),
        )
        .await;
    assert_eq!(
        refused(res, StatusCode::CONFLICT).await,
        "device_already_approved"
    );

    // Someone else's device is none of his business.
    let other = app.named("Otto Other").await;
    let res = app.conv(&other, Method::GET, &approval, None).await;
    assert_eq!(refused(res, StatusCode::NOT_FOUND).await, "not_found");
    let res = app
        .conv(
            &other,
            Method::DELETE,
            &format!("/api/v1/me/devices/{phone}"),
            None,
        )
        .await;
    assert_eq!(refused(res, StatusCode::NOT_FOUND).await, "not_found");

    // Revoked: listed as such, and its transfer is gone.
    let revoked = ok_json(
        app.conv(
            &me,
            Method::DELETE,
            &format!("/api/v1/me/devices/{phone}"),
            None,
        )
        .await,
    )
    .await;
    assert!(revoked["revoked_at"].is_string());
    let res = app.conv(&me, Method::GET, &approval, None).await;
    assert_eq!(refused(res, StatusCode::CONFLICT).await, "device_revoked");
    let mine = app.get_json(&me.access_token, "/api/v1/me/devices").await;
    assert_eq!(mine.as_array().unwrap().len(), 2);
    assert_eq!(
        app.audit_records("conversation_device_registered")
            .await
            .len(),
        2
    );
    assert_eq!(
        app.audit_records("conversation_device_approved")
            .await
            .len(),
        1
    );
    assert_eq!(
        app.audit_records("conversation_device_revoked").await.len(),
        1
    );
}

async fn key_material_is_checked_for_shape_and_size(app: TestApp) {
    let me = app.named("Sam Shape").await;
    let identity = "/api/v1/me/conversation-identity";
    for bad in ["", "not base64!", &b64(8), &b64(600), "AAAA="] {
        let res = app
            .conv(
                &me,
                Method::PUT,
                identity,
                Some(json!({ "identity_public": bad, "backup": "{}" })),
            )
            .await;
        let problem = crate::helpers::problem(res).await;
        assert_eq!(problem["status"], 422, "{bad:.20}: {problem}");
        assert_eq!(
            problem["errors"][0]["field"], "identity_public",
            "{problem}"
        );
    }
    app.conversation_keys(&me).await;
    let mut body = device_body("Tablet", true);
    body["certificate"] = json!(b64(20));
    let res = app
        .conv(&me, Method::POST, "/api/v1/me/devices", Some(body))
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let mut body = device_body("  ", true);
    body["ecdh_public"] = json!(spki());
    let res = app
        .conv(&me, Method::POST, "/api/v1/me/devices", Some(body))
        .await;
    assert_eq!(crate::helpers::invalid_fields(res).await, ["name"]);
    let body = device_body(&"x".repeat(61), true);
    let res = app
        .conv(&me, Method::POST, "/api/v1/me/devices", Some(body))
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

/// The pages' scripts call the API with the session cookie and the page's CSRF token;
/// the cookie alone authorises nothing.
async fn the_browser_calls_with_its_cookie_and_csrf_token(app: TestApp) {
    let me = app.named("Ben Browser").await;
    let browser = crate::helpers::pages::Person::of(&app, &me).await;
    let html = browser.page("/home").await;
    let token = crate::helpers::pages::between(&html, r#"<meta name="csrf-token" content=""#, "\"")
        .expect("signed-in pages carry the CSRF token")
        .to_owned();
    let url = app.url("/api/v1/me/devices");
    let res = browser.client.get(&url).send().await.unwrap();
    assert_eq!(refused(res, StatusCode::FORBIDDEN).await, "csrf_failed");
    let res = browser
        .client
        .get(&url)
        .header("x-csrf-token", "forged")
        .send()
        .await
        .unwrap();
    assert_eq!(refused(res, StatusCode::FORBIDDEN).await, "csrf_failed");
    let res = browser
        .client
        .get(&url)
        .header("x-csrf-token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(ok_json(res).await, json!([]));
    let res = browser
        .client
        .put(app.url("/api/v1/me/conversation-identity"))
        .header("x-csrf-token", &token)
        .json(&json!({ "identity_public": spki(), "backup": "{}" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    // Visitors' pages carry no token, and a visitor calls nothing.
    let visitor = crate::helpers::pages::Person::visitor(&app);
    let html = visitor.page("/login").await;
    assert!(!html.contains("csrf-token\" content"), "{html}");
    let res = visitor.client.get(&url).send().await.unwrap();
    assert_eq!(
        refused(res, StatusCode::UNAUTHORIZED).await,
        "unauthenticated"
    );
}

crate::on_both_backends!(
    identity_backup_and_devices,
    key_material_is_checked_for_shape_and_size,
    the_browser_calls_with_its_cookie_and_csrf_token,
);
