//! Who asked for a scholarship, why, and who was granted one stays with the reviewers
//! (Program Team Members and Admins): other attendees, the facilitator of the circle they
//! all come from, Leadership and Support are refused the requests and find no trace of them
//! on the event's page; the organiser's roster and door list carry no reason either.
//! Leadership reads the money as totals only (the finance report, JSON, CSV and page, names
//! no one); Members and Facilitators are refused the finance report. A facilitator who is
//! also on the Program Team reviews like any PTM. (Scholarships are offered on programme
//! events only, which the Program Team organises.)

use crate::helpers::pages::Person;
use crate::helpers::stripe::held_seat;
use crate::helpers::{circle_body, ok_json, refused, TestApp, User};
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{json, Value};

const REASON: &str = "The bakery closed in May and the rent comes first this month.";
const OPEN_REASON: &str = "Three children and one income; I would love to come anyway.";
/// What the granted member pays: a figure that appears nowhere else.
const GRANTED_DUE_MINOR: i64 = 3300;
const GRANTED_DUE: &str = "33.00";

/// A paid programme event whose attendees come from one circle, with one granted and one
/// open scholarship request, another attendee, and every role that must not read them.
struct Scholarships {
    event: String,
    admin: User,
    /// The event's organiser.
    ptm: User,
    /// The facilitator of the attendees' circle, nothing more.
    fac: User,
    granted: User,
    granted_registration: String,
    granted_request: String,
    asker: User,
    open_request: String,
    attendee: User,
    attendee_registration: String,
    leader: User,
    support: User,
}

async fn ask(app: &TestApp, who: &User, event: &str, registration: &str, reason: &str) -> String {
    let path = format!("/api/v1/events/{event}/registrations/{registration}/scholarship");
    let res = app
        .post_as(&who.access_token, &path, json!({ "reason": reason }))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    ok_json(res).await["id"].as_str().unwrap().to_owned()
}

async fn scholarships(app: &TestApp) -> Scholarships {
    let admin = app.admin().await;
    let ptm = app.user_with_roles(&admin, &["program_team_member"]).await;
    let fac = app.facilitator(&admin, "Frank Facilitator").await;
    let circle = app.create_circle(&fac, circle_body("Tuesday Men", 8)).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let granted = app.named("Gregor Granted").await;
    let asker = app.named("Otto Open").await;
    let attendee = app.named("Anton Attendee").await;
    for who in [&granted, &asker, &attendee] {
        app.join(&fac, who, &circle).await;
    }
    let mut body = crate::helpers::workshop("Spring weekend", 10);
    body["price_minor"] = json!(12000);
    body["currency"] = json!("EUR");
    let event = app.publish_event(&ptm, body).await;
    let granted_registration = held_seat(app, &granted, &event).await;
    let asker_registration = held_seat(app, &asker, &event).await;
    let attendee_registration = held_seat(app, &attendee, &event).await;
    let granted_request = ask(app, &granted, &event, &granted_registration, REASON).await;
    let open_request = ask(app, &asker, &event, &asker_registration, OPEN_REASON).await;
    let res = app
        .post_as(
            &ptm.access_token,
            &format!("/api/v1/scholarships/{granted_request}/grant"),
            json!({ "amount_minor": GRANTED_DUE_MINOR, "currency": "EUR" }),
        )
        .await;
    assert_eq!(
        ok_json(res).await["scholarship"]["request"]["status"],
        "granted"
    );
    let leader = app.user_with_roles(&admin, &["leadership"]).await;
    let support = app.user_with_roles(&admin, &["support"]).await;
    Scholarships {
        event,
        admin,
        ptm,
        fac,
        granted,
        granted_registration,
        granted_request,
        asker,
        open_request,
        attendee,
        attendee_registration,
        leader,
        support,
    }
}

/// Fails if `text` carries a reason, ties a name to a scholarship, or shows the grant.
fn assert_no_scholarship_of_anyone(s: &Scholarships, who: &str, what: &str, text: &str) {
    for secret in [REASON, OPEN_REASON, GRANTED_DUE] {
        assert!(!text.contains(secret), "{who} read {secret:?} in {what}");
    }
    for id in [&s.granted_request, &s.open_request] {
        assert!(
            !text.contains(id.as_str()),
            "{who} read request {id} in {what}"
        );
    }
}

async fn only_reviewers_read_who_asked_and_why(app: TestApp) {
    let s = scholarships(&app).await;
    app.run_pending_jobs().await;
    let event = &s.event;
    let outsiders = [
        ("another attendee", &s.attendee),
        ("their circle's facilitator", &s.fac),
        ("leadership", &s.leader),
        ("support", &s.support),
    ];
    for (role, who) in outsiders {
        for path in [
            "/api/v1/scholarships".to_owned(),
            "/api/v1/scholarships/fund".to_owned(),
            format!("/api/v1/scholarships/{}", s.granted_request),
            format!("/api/v1/scholarships/{}", s.open_request),
        ] {
            let res = app.get_as(&who.access_token, &path).await;
            let code = refused(res, StatusCode::FORBIDDEN).await;
            assert_eq!(code, "forbidden", "{role} GET {path}");
        }
        for (verb, body) in [
            ("grant", json!({ "amount_minor": 0, "currency": "EUR" })),
            ("decline", json!({ "note": "No" })),
        ] {
            let path = format!("/api/v1/scholarships/{}/{verb}", s.open_request);
            let res = app.post_as(&who.access_token, &path, body).await;
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{role} POST {path}");
        }
        // Someone else's request, through his registration: not there for anyone else.
        let path = format!(
            "/api/v1/events/{event}/registrations/{}/scholarship",
            s.granted_registration
        );
        let res = app.get_as(&who.access_token, &path).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{role} GET {path}");

        let pages = Person::of(&app, who).await;
        for path in ["/scholarships".to_owned()] {
            let res = pages.get(&path).await;
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{role} page {path}");
            assert_no_scholarship_of_anyone(&s, role, &path, &res.text().await.unwrap());
        }
        // Whether he may open the event page or not, it tells him nothing of anyone's.
        let html = pages
            .get(&format!("/events/{event}"))
            .await
            .text()
            .await
            .unwrap();
        assert_no_scholarship_of_anyone(&s, role, "the event page", &html);
    }

    // The organiser's roster and door list, which helpers at the door see, carry no reason
    // and no grant.
    let roster = app
        .get_json(
            &s.ptm.access_token,
            &format!("/api/v1/events/{event}/registrations"),
        )
        .await
        .to_string();
    assert!(
        roster.contains("Gregor Granted"),
        "the roster lists him: {roster}"
    );
    assert_no_scholarship_of_anyone(&s, "the organiser", "the roster", &roster);
    assert!(!roster.to_lowercase().contains("scholarship"), "{roster}");
    let door = Person::of(&app, &s.ptm)
        .await
        .page(&format!("/events/{event}/door"))
        .await;
    assert!(door.contains("Gregor Granted"), "{door}");
    assert_no_scholarship_of_anyone(&s, "the organiser", "the door list", &door);

    // Reviewers do read them: a PTM, an Admin, and a facilitator who is also on the
    // Program Team (the role, not the event, decides).
    let fac_ptm = app
        .user_with_roles(&s.admin, &["facilitator", "program_team_member"])
        .await;
    for (role, who) in [
        ("ptm", &s.ptm),
        ("admin", &s.admin),
        ("facilitator+ptm", &fac_ptm),
    ] {
        let one = app
            .get_json(
                &who.access_token,
                &format!("/api/v1/scholarships/{}", s.granted_request),
            )
            .await;
        assert!(one.to_string().contains(REASON), "{role}: {one}");
        let queue = app
            .get_json(&who.access_token, "/api/v1/scholarships")
            .await
            .to_string();
        assert!(queue.contains(OPEN_REASON), "{role}: {queue}");
        assert!(queue.contains("Otto Open"), "{role}: {queue}");
    }
    // And the member reads his own.
    let own = app
        .get_json(
            &s.granted.access_token,
            &format!(
                "/api/v1/events/{event}/registrations/{}/scholarship",
                s.granted_registration
            ),
        )
        .await;
    assert_eq!(own["status"], "granted", "{own}");
}

/// The finance report around today.
fn range(app: &TestApp) -> String {
    let day = |d: chrono::DateTime<chrono::Utc>| d.format("%Y-%m-%d").to_string();
    format!(
        "from={}&to={}",
        day(app.now() - Duration::days(40)),
        day(app.now() + Duration::days(40))
    )
}

async fn leadership_reads_money_as_totals_only(app: TestApp) {
    let s = scholarships(&app).await;
    let range = range(&app);
    // The granted member pays what he owes and another attendee the full price, so the
    // report has payments and a grant, and no total is one person's.
    for (registration, amount) in [
        (&s.granted_registration, GRANTED_DUE_MINOR),
        (&s.attendee_registration, 12000),
    ] {
        let path = format!(
            "/api/v1/events/{}/registrations/{registration}/payments",
            s.event
        );
        let body = json!({ "amount_minor": amount, "currency": "EUR", "method": "cash" });
        let res = app.post_as(&s.admin.access_token, &path, body).await;
        assert_eq!(
            res.status(),
            StatusCode::CREATED,
            "{}",
            res.text().await.unwrap()
        );
    }

    let names: Vec<String> = [&s.granted, &s.asker, &s.attendee]
        .iter()
        .flat_map(|u| [u.email.clone(), u.id.to_string()])
        .chain(["Gregor Granted".into(), "Otto Open".into()])
        .collect();
    let assert_names_no_one = |what: &str, text: &str| {
        assert_no_scholarship_of_anyone(&s, "leadership", what, text);
        for name in &names {
            assert!(
                !text.contains(name.as_str()),
                "leadership read {name} in {what}"
            );
        }
    };
    let json: Value = app
        .get_json(
            &s.leader.access_token,
            &format!("/api/v1/reports/finance?period=month&{range}"),
        )
        .await;
    let text = json.to_string();
    // The scholarship drawn from the fund is there, as a sum: 120.00 − 33.00.
    assert!(text.contains("-8700") || text.contains("8700"), "{text}");
    assert_names_no_one("the finance report", &text);
    let res = app
        .get_as(
            &s.leader.access_token,
            &format!("/api/v1/reports/finance?period=month&{range}&format=csv"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let csv = res.text().await.unwrap();
    assert!(csv.contains("scholarship_fund"), "{csv}");
    assert_names_no_one("the finance CSV", &csv);
    let pages = Person::of(&app, &s.leader).await;
    let html = pages
        .page(&format!("/reports/finance?period=month&{range}"))
        .await;
    assert!(html.contains("Scholarships granted"), "{html}");
    assert_names_no_one("the finance page", &html);
    let res = pages.get(&format!("/reports/finance.csv?{range}")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_names_no_one("the finance page's CSV", &res.text().await.unwrap());

    // Members and Facilitators do not read the money at all.
    for (role, who) in [("member", &s.attendee), ("facilitator", &s.fac)] {
        for path in [
            format!("/api/v1/reports/finance?{range}"),
            format!("/api/v1/reports/finance?{range}&format=csv"),
        ] {
            let res = app.get_as(&who.access_token, &path).await;
            let code = refused(res, StatusCode::FORBIDDEN).await;
            assert_eq!(code, "forbidden", "{role} GET {path}");
        }
        let pages = Person::of(&app, who).await;
        for path in ["/reports/finance", "/reports/finance.csv"] {
            let res = pages.get(path).await;
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{role} page {path}");
            assert_no_scholarship_of_anyone(&s, role, path, &res.text().await.unwrap());
        }
    }
}

crate::on_both_backends!(
    only_reviewers_read_who_asked_and_why,
    leadership_reads_money_as_totals_only,
);
