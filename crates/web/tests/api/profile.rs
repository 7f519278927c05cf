//! The profile: details and photo through the JSON API and through the page (with and
//! without JavaScript's JSON answer), on SQLite and PostgreSQL.

use crate::helpers::pages::{between, browser, csrf_token, Person};
use crate::helpers::{invalid_fields, location, png, problem_code, refused, workshop, TestApp};
use image::ImageFormat;
use reqwest::multipart::{Form, Part};
use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};

/// The profile page, which must load and never be stored by a cache.
async fn profile_page(person: &Person) -> String {
    let res = person.get("/profile").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "no-store");
    res.text().await.unwrap()
}

async fn every_field_round_trips_through_the_api(app: TestApp) {
    let user = app.signed_up("profile-api@example.org").await;
    let bio = "Vater von zwei Kindern.\nIch gehe gern wandern – am liebsten im Schwarzwald. 🌲";
    let res = app
        .patch_me(
            &user,
            json!({
                "display_name": "Jörg",
                "full_name": "Jörg Łukasz Müller-Þórsson",
                "phone": "+49 (30) 123-4567",
                "city": "Zürich",
                "time_zone": "Europe/Berlin",
                "bio": bio,
            }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    let stored = app.me(&user).await;
    for p in [&body, &stored] {
        assert_eq!(p["display_name"], "Jörg");
        assert_eq!(p["full_name"], "Jörg Łukasz Müller-Þórsson");
        assert_eq!(p["phone"], "+49 (30) 123-4567");
        assert_eq!(p["city"], "Zürich");
        assert_eq!(p["time_zone"], "Europe/Berlin");
        assert_eq!(p["bio"], bio);
        assert_eq!(p["photo_url"], Value::Null);
    }
    assert!(app
        .audit_actions()
        .await
        .contains(&"profile_updated".to_owned()));

    // Empty strings clear optional fields; fields left out stay.
    let res = app
        .patch_me(&user, json!({ "full_name": "", "phone": "  ", "bio": "" }))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let p = app.me(&user).await;
    assert_eq!(p["full_name"], Value::Null);
    assert_eq!(p["phone"], Value::Null);
    assert_eq!(p["bio"], Value::Null);
    assert_eq!(p["city"], "Zürich");
    assert_eq!(p["time_zone"], "Europe/Berlin");
    assert_eq!(p["display_name"], "Jörg");

    // `null` means "leave it", like leaving the field out.
    let res = app
        .patch_me(&user, json!({ "city": null, "time_zone": "UTC" }))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let p = app.me(&user).await;
    assert_eq!(p["city"], "Zürich");
    assert_eq!(p["time_zone"], "UTC");
}

async fn each_invalid_field_is_named_and_nothing_is_saved(app: TestApp) {
    let user = app.signed_up("profile-bad@example.org").await;
    let res = app
        .patch_me(&user, json!({ "city": "Berlin", "phone": "030 1234567" }))
        .await;
    assert_eq!(res.status(), StatusCode::OK);

    let cases = [
        ("display_name", json!("   ")),
        ("full_name", json!("x".repeat(101))),
        ("phone", json!("call me maybe")),
        ("phone", json!("12345")),
        ("city", json!("Line\nbreak")),
        ("time_zone", json!("Europe/Atlantis")),
        ("bio", json!("ä".repeat(501))),
    ];
    for (field, value) in cases {
        let res = app.patch_me(&user, json!({ field: value })).await;
        assert_eq!(
            invalid_fields(res).await,
            vec![field.to_owned()],
            "{field}: {value}"
        );
    }

    // Every broken rule at once, each under its field.
    let res = app
        .patch_me(
            &user,
            json!({
                "display_name": "",
                "full_name": "a\u{0}b",
                "phone": "+49 30 12+34",
                "city": "c".repeat(101),
                "time_zone": "Mars/Olympus_Mons",
                "bio": "b".repeat(600),
            }),
        )
        .await;
    let fields = invalid_fields(res).await;
    for f in [
        "display_name",
        "full_name",
        "phone",
        "city",
        "time_zone",
        "bio",
    ] {
        assert!(
            fields.contains(&f.to_owned()),
            "{f} missing from {fields:?}"
        );
    }

    // Nothing of the refused changes was stored, not even the valid `city`.
    let p = app.me(&user).await;
    assert_eq!(p["city"], "Berlin");
    assert_eq!(p["phone"], "030 1234567");
    assert_eq!(p["display_name"], "Test Person");

    // A wrong type is a clear problem too, not a 500.
    let res = app
        .patch_me(&user, json!({ "phone": 4930123456_i64 }))
        .await;
    assert_eq!(problem_code(res).await, "invalid_body");
}

async fn photos_are_resized_stored_and_served_to_signed_in_people(app: TestApp) {
    let user = app.signed_up("photo-api@example.org").await;
    let res = app.put_photo(&user, "image/png", png(2000, 1000)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    let url = body["photo_url"].as_str().expect("photo_url").to_owned();
    assert!(
        url.starts_with(&format!("/users/{}/photo?v=", user.id)),
        "{url}"
    );
    assert_eq!(app.me(&user).await["photo_url"], url.as_str());
    assert!(app
        .audit_actions()
        .await
        .contains(&"profile_photo_updated".to_owned()));

    // A stranger who merely knows the id sees nothing: the photo does not exist for him.
    let other = app.signed_up("photo-viewer@example.org").await;
    let viewer = Person::of(&app, &other).await;
    assert_eq!(viewer.get(&url).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        app.get_as(&other.access_token, &url).await.status(),
        StatusCode::NOT_FOUND
    );

    // Once they attend the same event he knows the face: a JPEG within 512 px.
    let admin = app.admin().await;
    let ptm = app.user_with_roles(&admin, &["program_team_member"]).await;
    let event = app
        .publish_event(&ptm, workshop("Fathers and sons", 10))
        .await;
    for who in [&user, &other] {
        assert_eq!(
            app.register_for(who, &event).await.status(),
            StatusCode::CREATED
        );
    }
    let res = viewer.get(&url).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "image/jpeg");
    let cache = res.headers()["cache-control"].to_str().unwrap().to_owned();
    assert!(
        cache.contains("private") && cache.contains("max-age=31536000"),
        "{cache}"
    );
    let jpeg = res.bytes().await.unwrap();
    let img = image::load_from_memory_with_format(&jpeg, ImageFormat::Jpeg).unwrap();
    assert_eq!((img.width(), img.height()), (512, 256));
    assert!(!jpeg.windows(4).any(|w| w == b"Exif"), "metadata kept");

    // API clients follow `photo_url` with their bearer token.
    let res = app.get_as(&other.access_token, &url).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.bytes().await.unwrap(), jpeg);

    // Visitors are sent to sign in; a bad token is a 401.
    let res = browser().get(app.url(&url)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(
        location(&res).starts_with("/login?next="),
        "{}",
        location(&res)
    );
    let res = app.get_as("not-a-token", &url).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    // A new photo gets a new URL.
    let res = app.put_photo(&user, "image/png", png(300, 600)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let new_url = res.json::<Value>().await.unwrap()["photo_url"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(new_url, url);
    let res = viewer.get(&new_url).await;
    let img = image::load_from_memory(&res.bytes().await.unwrap()).unwrap();
    assert_eq!((img.width(), img.height()), (256, 512));

    // Removing it: no URL, nothing served.
    let res = app
        .call(
            Method::DELETE,
            "/api/v1/me/photo",
            Some(&user.access_token),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["photo_url"], Value::Null);
    let res = viewer.get(&new_url).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(app
        .audit_actions()
        .await
        .contains(&"profile_photo_removed".to_owned()));
}

async fn bad_and_oversized_uploads_are_refused_and_the_old_photo_kept(app: TestApp) {
    let user = app.signed_up("photo-bad@example.org").await;
    let res = app.put_photo(&user, "image/png", png(64, 64)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let url = app.me(&user).await["photo_url"]
        .as_str()
        .unwrap()
        .to_owned();
    let original = app
        .get_as(&user.access_token, &url)
        .await
        .bytes()
        .await
        .unwrap();

    // Not an image, though labelled as one.
    let res = app
        .put_photo(&user, "image/jpeg", b"just some text".to_vec())
        .await;
    assert_eq!(invalid_fields(res).await, vec!["photo"]);

    // Not labelled as an image.
    let res = app.put_photo(&user, "application/json", png(10, 10)).await;
    assert_eq!(
        refused(res, StatusCode::UNSUPPORTED_MEDIA_TYPE).await,
        "unsupported_media_type"
    );

    // 11 MB: read, and refused by the photo rule with the limit in the message.
    let mut big = png(16, 16);
    big.resize(11_000_000, 0);
    let res = app.put_photo(&user, "image/png", big).await;
    assert!(
        [
            StatusCode::PAYLOAD_TOO_LARGE,
            StatusCode::UNPROCESSABLE_ENTITY
        ]
        .contains(&res.status()),
        "{}",
        res.status()
    );
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["errors"][0]["field"], "photo", "{body}");
    assert!(body["detail"].as_str().unwrap().contains("10 MB"), "{body}");

    // Far past the limit: the body limit answers, as a problem document.
    let res = app
        .put_photo(&user, "image/png", vec![7u8; 13 * 1024 * 1024])
        .await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "payload_too_large", "{body}");
    assert!(body["detail"].as_str().unwrap().contains("10 MB"), "{body}");

    // The photo from before is still there, unchanged.
    assert_eq!(app.me(&user).await["photo_url"], url.as_str());
    let still = app
        .get_as(&user.access_token, &url)
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(still, original);

    // Visitors cannot upload.
    let photo = png(10, 10);
    let res = app
        .send_raw(
            Method::PUT,
            "/api/v1/me/photo",
            None,
            Some("image/png"),
            photo,
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

async fn the_page_shows_saves_and_keeps_typed_values_on_error(app: TestApp) {
    let user = app.signed_up("profile-page@example.org").await;
    let res = app
        .patch_me(
            &user,
            json!({ "full_name": "Åsa Öberg", "city": "Malmö", "time_zone": "Europe/Stockholm" }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let person = Person::of(&app, &user).await;
    let client = &person.client;

    let html = profile_page(&person).await;
    assert!(html.contains("<h1>Your profile</h1>"));
    assert!(html.contains("value=\"Åsa Öberg\""), "full name shown");
    assert!(html.contains("value=\"Malmö\""), "city shown");
    assert!(html.contains("<option value=\"Europe/Stockholm\" selected>"));
    assert!(html.contains("<label for=\"phone\">"));
    assert!(html.contains("No photo yet"));
    assert!(
        html.contains("/static/profile."),
        "the upload script is linked"
    );

    // An invalid phone: the page again, the error by the field, every typed value kept.
    let token = csrf_token(&html);
    let form = [
        ("csrf_token", token.as_str()),
        ("display_name", "Åsa"),
        ("full_name", "Åsa Maria Öberg"),
        ("phone", "ring me"),
        ("city", "Göteborg"),
        ("time_zone", "Europe/Oslo"),
        ("bio", "Hej!\r\nJag gillar <b>fika</b>."),
    ];
    let res = client
        .post(app.url("/profile"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    let error = between(&html, "id=\"phone-error\" role=\"alert\">", "<").expect("phone error");
    assert!(error.contains("digits"), "{error}");
    assert!(html.contains("value=\"ring me\""), "typed phone kept");
    assert!(html.contains("value=\"Göteborg\""));
    assert!(html.contains("value=\"Åsa Maria Öberg\""));
    assert!(html.contains("<option value=\"Europe/Oslo\" selected>"));
    assert!(
        html.contains("Jag gillar &#60;b&#62;fika&#60;/b&#62;.")
            || html.contains("Jag gillar &lt;b&gt;fika&lt;/b&gt;.")
    );
    assert!(!html.contains("<b>fika</b>"), "typed markup escaped");
    assert!(html.contains("aria-invalid=\"true\""));
    let p = app.me(&user).await;
    assert_eq!(p["city"], "Malmö", "nothing saved while a field is invalid");

    // Corrected: saved, and back on the page with a notice.
    let mut form = form;
    form[3] = ("phone", "+46 40 123 456");
    let res = client
        .post(app.url("/profile"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/profile?done=saved");
    let html = person.page("/profile?done=saved").await;
    assert!(html.contains("Your profile is saved."));
    assert!(html.contains("value=\"+46 40 123 456\""));
    let p = app.me(&user).await;
    assert_eq!(p["display_name"], "Åsa");
    assert_eq!(p["city"], "Göteborg");
    assert_eq!(p["time_zone"], "Europe/Oslo");
    assert_eq!(p["bio"], "Hej!\nJag gillar <b>fika</b>.");

    // Blank optional fields clear them.
    let res = client
        .post(app.url("/profile"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("display_name", "Åsa"),
            ("full_name", ""),
            ("phone", ""),
            ("city", ""),
            ("time_zone", ""),
            ("bio", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let p = app.me(&user).await;
    for f in ["full_name", "phone", "city", "time_zone", "bio"] {
        assert_eq!(p[f], Value::Null, "{f}");
    }

    // Without the CSRF token: refused, nothing changed.
    let res = client
        .post(app.url("/profile"))
        .form(&[("display_name", "Forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.me(&user).await["display_name"], "Åsa");

    // Visitors are sent to sign in.
    let res = browser().get(app.url("/profile")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/login?next=/profile");
}

fn photo_form(token: Option<&str>, bytes: Vec<u8>, mime: &str) -> Form {
    let mut form = Form::new();
    if let Some(t) = token {
        form = form.text("csrf_token", t.to_owned());
    }
    form.part(
        "photo",
        Part::bytes(bytes)
            .file_name("holiday.png")
            .mime_str(mime)
            .unwrap(),
    )
}

/// Sends the profile page's photo form as a browser without JavaScript does.
async fn post_photo(person: &Person, form: Form) -> Response {
    let url = format!("{}/profile/photo", person.base);
    let req = person.client.post(url).multipart(form);
    req.send().await.expect("photo form sent")
}

/// Sends the same form as the upload script does, asking for a JSON answer.
async fn post_photo_for_script(person: &Person, form: Form) -> Response {
    let url = format!("{}/profile/photo", person.base);
    let req = person.client.post(url).multipart(form);
    let req = req.header("accept", "application/json");
    req.send().await.expect("photo form sent")
}

async fn the_photo_uploads_through_the_page(app: TestApp) {
    let user = app.signed_up("photo-page@example.org").await;
    let person = Person::of(&app, &user).await;
    let client = &person.client;
    let token = csrf_token(&profile_page(&person).await);

    // Without JavaScript: a multipart POST, then back to the page with a notice.
    let res = post_photo(
        &person,
        photo_form(Some(&token), png(1600, 1200), "image/png"),
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/profile?done=photo#photo");
    let html = person.page("/profile?done=photo").await;
    assert!(html.contains("Your photo is updated."));
    let url = app.me(&user).await["photo_url"]
        .as_str()
        .expect("photo stored")
        .to_owned();
    assert!(
        html.contains(&format!("src=\"{url}\" alt=\"Your profile photo\"")),
        "photo shown with alt text"
    );
    assert!(html.contains("Remove photo"));
    let res = person.get(&url).await;
    let img = image::load_from_memory(&res.bytes().await.unwrap()).unwrap();
    assert_eq!((img.width(), img.height()), (512, 384));

    // With JavaScript: the same form, answered with JSON for the progress-bar script.
    let res = post_photo_for_script(
        &person,
        photo_form(Some(&token), png(100, 100), "image/png"),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    let js_url = body["photo_url"].as_str().unwrap().to_owned();
    assert_ne!(js_url, url);
    assert_eq!(app.me(&user).await["photo_url"], js_url.as_str());

    // A file that is not an image: the page again, with the error by the photo field.
    let res = post_photo(
        &person,
        photo_form(Some(&token), b"%PDF-1.7 not a photo".to_vec(), "image/png"),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    let error = between(&html, "id=\"photo-error\" role=\"alert\">", "<").expect("photo error");
    assert!(error.contains("JPEG, PNG, WebP or GIF"), "{error}");
    // …and as JSON for the script.
    let res = post_photo_for_script(
        &person,
        photo_form(Some(&token), b"GIF89a broken".to_vec(), "image/gif"),
    )
    .await;
    assert_eq!(invalid_fields(res).await, vec!["photo"]);

    // Too large for the form: the page again, saying what the limit is.
    let res = post_photo(
        &person,
        photo_form(Some(&token), vec![1u8; 12 * 1024 * 1024], "image/png"),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    let error = between(&html, "id=\"photo-error\" role=\"alert\">", "<").expect("photo error");
    assert!(error.contains("10 MB"), "{error}");

    // Without the CSRF token: refused, photo unchanged.
    let res = post_photo(&person, photo_form(None, png(50, 50), "image/png")).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = post_photo(
        &person,
        photo_form(Some("forged"), png(50, 50), "image/png"),
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.me(&user).await["photo_url"], js_url.as_str());

    // Removing it through the page.
    let res = client
        .post(app.url("/profile/photo/remove"))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/profile?done=photo_removed#photo");
    assert_eq!(app.me(&user).await["photo_url"], Value::Null);
    let html = profile_page(&person).await;
    assert!(html.contains("No photo yet"));
}

crate::on_both_backends!(
    every_field_round_trips_through_the_api,
    each_invalid_field_is_named_and_nothing_is_saved,
    photos_are_resized_stored_and_served_to_signed_in_people,
    bad_and_oversized_uploads_are_refused_and_the_old_photo_kept,
    the_page_shows_saves_and_keeps_typed_values_on_error,
    the_photo_uploads_through_the_page,
);
