//! The event pages driven the way a browser without JavaScript drives them (cookies,
//! forms, CSRF tokens, redirects), on SQLite and PostgreSQL: creating and publishing an
//! event through the form, finding it, registering, the waitlist and its promotion, the
//! dashboard, the `.ics` download and the private feed, the door list with check-in,
//! notes and the CSV, and editing.

use crate::helpers::pages::{between, fields, id_in, Person};
use crate::helpers::{local, location, workshop, TestApp};
use reqwest::StatusCode;

/// The form fields of a valid workshop; `overrides` replace single fields.
fn event_form(overrides: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    let mut form: Vec<(&'static str, String)> = vec![
        ("kind", "workshop".into()),
        ("title", "Fathers and Sons".into()),
        ("description", "A day about our fathers.".into()),
        ("starts_at", local(14, 10)),
        ("ends_at", local(14, 17)),
        ("time_zone", "Europe/Berlin".into()),
        ("audience", "everyone".into()),
        ("venue_id", "".into()),
        ("location", "Community hall".into()),
        ("online_url", "".into()),
        ("capacity", "12".into()),
        ("waitlist_enabled", "1".into()),
        ("price", "".into()),
        ("currency", "EUR".into()),
        ("offer_hours", "".into()),
        ("registration_opens_at", "".into()),
        ("registration_closes_at", "".into()),
        ("cancellation_policy", "Cancel up to a day before.".into()),
    ];
    for (k, v) in overrides {
        form.iter_mut().find(|(f, _)| f == k).unwrap().1 = (*v).to_owned();
    }
    form
}

// --- Creating through the form, drafts, publishing ----------------------------------------

async fn create_publish_and_find(app: TestApp) {
    let admin = app.admin().await;
    let ptm_user = app.user_with_roles(&admin, &["program_team_member"]).await;
    let ptm = Person::of(&app, &ptm_user).await;
    let member = Person::of(&app, &app.named("Jordan Lee").await).await;

    // Only organisers are offered the form; a member asking for it is refused.
    assert!(ptm.page("/events").await.contains("href=\"/events/new\""));
    assert!(!member
        .page("/events")
        .await
        .contains("href=\"/events/new\""));
    assert_eq!(
        member.get("/events/new").await.status(),
        StatusCode::FORBIDDEN
    );
    // Events are in everyone's navigation.
    assert!(member.page("/home").await.contains("href=\"/events\""));

    // Seats and a price the page cannot read: messages next to both, what was typed kept.
    let bad = event_form(&[("capacity", "many"), ("price", "12.345")]);
    let html = ptm
        .submit_refused("/events/new", "/events/new", &fields(&bad))
        .await;
    let capacity = between(&html, "id=\"capacity-error\" role=\"alert\">", "<")
        .unwrap_or_else(|| panic!("{html}"));
    assert!(capacity.contains("number of seats"), "{capacity}");
    let price = between(&html, "id=\"price-error\" role=\"alert\">", "<").unwrap();
    assert!(price.contains("at most 2 decimals"), "{price}");
    assert!(html.contains("value=\"Fathers and Sons\""));
    assert!(html.contains("<option value=\"Europe/Berlin\" selected>"));

    // No seats and an end before the start are the use case's to refuse, each under its
    // field.
    let backwards = event_form(&[("capacity", "0"), ("ends_at", &local(14, 9))]);
    let html = ptm
        .submit_refused("/events/new", "/events/new", &fields(&backwards))
        .await;
    assert!(html.contains("id=\"ends_at-error\""), "{html}");
    let capacity = between(&html, "id=\"capacity-error\" role=\"alert\">", "<").unwrap();
    assert!(capacity.contains("1 and 1000"), "{capacity}");

    let good = event_form(&[("price", "25.5")]);
    let (to, html) = ptm
        .submit_ok("/events/new", "/events/new", &fields(&good))
        .await;
    assert!(to.ends_with("?done=created"), "{to}");
    let id = id_in(&to, "/events/");
    assert!(html.contains("Event created as a draft"));
    assert!(html.contains("EUR 25.50"), "the price as typed, in cents");
    assert!(html.contains(">Draft<"));

    // A draft is the organiser's alone.
    assert_eq!(
        member.get(&format!("/events/{id}")).await.status(),
        StatusCode::NOT_FOUND
    );
    assert!(!member.page("/events").await.contains(&id));

    let page = format!("/events/{id}");
    let (_, html) = ptm
        .submit_ok(
            &page,
            &format!("/events/{id}/status"),
            &[("to", "published")],
        )
        .await;
    assert!(html.contains("Published: members can now find the event"));

    // Found by a word of its title, and not by another kind.
    let found = member.page("/events?q=fathers").await;
    assert!(found.contains(&format!("href=\"/events/{id}\"")), "{found}");
    let other = member.page("/events?kind=movie_night").await;
    assert!(!other.contains(&format!("href=\"/events/{id}\"")));
    let bad_kind = member.page("/events?kind=rave").await;
    assert!(bad_kind.contains("Choose a kind of event"));

    let html = member.page(&page).await;
    assert!(html.contains("12 of 12 seats left"), "{html}");
    assert!(html.contains(">Register</button>"));
    assert!(html.contains("Cancel up to a day before."));
    assert!(!html.contains("Door list"), "organiser tools are not shown");
    assert_eq!(
        member.get(&format!("/events/{id}/door")).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        member.get(&format!("/events/{id}/edit")).await.status(),
        StatusCode::FORBIDDEN
    );
}
crate::on_both_backends!(create_publish_and_find);

// --- Registering, the waitlist, the dashboard, calendars ----------------------------------

async fn register_waitlist_and_calendar(app: TestApp) {
    let admin = app.admin().await;
    let ptm = app.user_with_roles(&admin, &["program_team_member"]).await;
    let id = app.publish_event(&ptm, workshop("Men and Grief", 1)).await;
    let page = format!("/events/{id}");
    let ali = Person::of(&app, &app.named("Ali Haddad").await).await;
    let ben = Person::of(&app, &app.named("Ben Okafor").await).await;

    let (_, html) = ali
        .submit_ok(&page, &format!("/events/{id}/register"), &[])
        .await;
    assert!(html.contains("You are registered"), "{html}");
    assert!(html.contains("Cancel my registration"));
    let home = ali.page("/home").await;
    let mine = between(&home, "id=\"my-events-heading\"", "</section>").unwrap();
    assert!(mine.contains("Men and Grief"), "{mine}");

    // Full: the next one is offered the waitlist and told his place.
    let html = ben.page(&page).await;
    assert!(html.contains(">Join the waitlist</button>"), "{html}");
    let (_, html) = ben
        .submit_ok(&page, &format!("/events/{id}/register"), &[])
        .await;
    assert!(html.contains("you are on the waitlist"));
    assert!(html.contains("number 1 in line"), "{html}");
    // Registering twice is refused with the use case's words, not an error page.
    let res = ben
        .submit(&page, &format!("/events/{id}/register"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.unwrap().contains("already registered"));

    // Ali cancels: Ben gets the seat.
    let (_, html) = ali
        .submit_ok(&page, &format!("/events/{id}/cancel-registration"), &[])
        .await;
    assert!(html.contains("Your registration is cancelled"));
    assert!(ali.page("/home").await.contains("Nothing coming up"));
    let html = ben.page(&page).await;
    assert!(html.contains("Cancel my registration"), "{html}");
    assert!(!html.contains("number 1 in line"));

    // The .ics download is a calendar with the event in it.
    let res = ben.get(&format!("/events/{id}/calendar.ics")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/calendar"));
    let ics = res.text().await.unwrap();
    assert!(ics.starts_with("BEGIN:VCALENDAR"));
    assert!(ics.contains("SUMMARY:Men and Grief"), "{ics}");

    // The feed address is shown once, works, and stops working when revoked.
    let html = ben.page("/me/events").await;
    assert!(html.contains("Make my calendar address"));
    let res = ben.submit("/me/events", "/me/events/feed", &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    let url = between(
        &html,
        "id=\"feed-url\" class=\"secret\" type=\"text\" readonly value=\"",
        "\"",
    )
    .expect("the new address is on the page")
    .to_owned();
    let path = url.split_once("/calendar/").map(|(_, p)| p).unwrap();
    // A subscription link for calendar apps, and a copy button (shown by the script).
    let webcal = format!("href=\"webcal://{}\"", url.split_once("://").unwrap().1);
    assert!(html.contains(&webcal), "{html}");
    assert!(html.contains("data-copy=\"feed-url\" hidden"), "{html}");
    let feed = reqwest::get(app.url(&format!("/calendar/{path}")))
        .await
        .unwrap();
    assert_eq!(feed.status(), StatusCode::OK);
    assert!(feed.text().await.unwrap().contains("SUMMARY:Men and Grief"));
    let html = ben.page("/me/events").await;
    assert!(!html.contains(&url), "the address is never shown again");
    assert!(html.contains("Men and Grief"));
    let (_, html) = ben
        .submit_ok("/me/events", "/me/events/feed/revoke", &[])
        .await;
    assert!(html.contains("The calendar address is revoked"));
    let gone = reqwest::get(app.url(&format!("/calendar/{path}")))
        .await
        .unwrap();
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
}
crate::on_both_backends!(register_waitlist_and_calendar);

// --- The door list ------------------------------------------------------------------------

async fn door_list(app: TestApp) {
    let admin = app.admin().await;
    let ptm_user = app.user_with_roles(&admin, &["program_team_member"]).await;
    let ptm = Person::of(&app, &ptm_user).await;
    let id = app
        .publish_event(&ptm_user, workshop("Drumming Night", 2))
        .await;
    let mut people = Vec::new();
    for name in ["Carl Nilsen", "Dev Patel", "Emil Berg"] {
        let user = app.named(name).await;
        let res = app.register_for(&user, &id).await;
        assert!(res.status().is_success());
        people.push(user);
    }
    let door = format!("/events/{id}/door");
    let html = ptm.page(&door).await;
    assert!(html.contains("data-count=\"registered\">2 / 2<"), "{html}");
    assert!(html.contains("data-count=\"waitlisted\">1<"));
    assert!(html.contains("data-count=\"checked_in\">0<"));

    // Search by name, one tap to check in, and the counts follow.
    let html = ptm.page(&format!("{door}?q=dev")).await;
    assert!(html.contains("Dev Patel") && !html.contains("Carl Nilsen"));
    let action = {
        let at = html.find("Check in Dev Patel").unwrap();
        let start = html[..at].rfind("action=\"").unwrap() + "action=\"".len();
        let end = start + html[start..].find('"').unwrap();
        html[start..end].to_owned()
    };
    let res = ptm
        .submit(
            &format!("{door}?q=dev"),
            &action,
            &[("q", "dev"), ("present", "1")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to = location(&res);
    assert!(
        to.contains("q=dev") && to.contains("done=checked_in"),
        "{to}"
    );
    let html = ptm.page(&to).await;
    assert!(html.contains("Checked in."));
    assert!(html.contains("In at "));
    assert!(html.contains("data-count=\"checked_in\">1<"));

    // Undo a mistaken tap.
    let res = ptm
        .submit(&door, &action, &[("q", ""), ("present", "0")])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(ptm
        .page(&door)
        .await
        .contains("data-count=\"checked_in\">0<"));

    // A note on the waiting one, and moving him to the front.
    let html = ptm.page(&door).await;
    let waiting = between(&html, "id=\"waiting-heading\"", "</section>").unwrap();
    assert!(waiting.contains("Emil Berg"));
    let rid = between(waiting, "id=\"r-", "\"").unwrap().to_owned();
    let (_, html) = ptm
        .submit_ok(
            &door,
            &format!("/events/{id}/door/{rid}/note"),
            &[("q", ""), ("note", "Vegetarian")],
        )
        .await;
    assert!(html.contains("Note: Vegetarian"));

    // Checking in someone without a seat is refused in words, on the list.
    let res = ptm
        .submit(
            &door,
            &format!("/events/{id}/door/{rid}/check-in"),
            &[("q", ""), ("present", "1")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.unwrap().contains("holding a seat"));

    // The CSV is for organisers, with a row per person.
    let res = ptm.get(&format!("/events/{id}/registrations.csv")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    // Named after the event and its day, with times on its clock to the minute.
    let day = &crate::helpers::local(10, 10)[..10];
    assert_eq!(
        res.headers()["content-disposition"].to_str().unwrap(),
        format!("attachment; filename=\"drumming-night-{day}.csv\"")
    );
    let csv = res.text().await.unwrap();
    assert_eq!(csv.lines().count(), 4, "{csv}");
    assert!(csv.contains("Vegetarian"));
    assert!(
        csv.starts_with("position,name,email,status,registered_at (Europe/Berlin),"),
        "{csv}"
    );
    assert!(!csv.contains("+00:00"), "{csv}");
    let member = Person::of(&app, &people[0]).await;
    assert_eq!(
        member
            .get(&format!("/events/{id}/registrations.csv"))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
}
crate::on_both_backends!(door_list);

// --- Editing ------------------------------------------------------------------------------

async fn edit_through_the_form(app: TestApp) {
    let admin = app.admin().await;
    let ptm_user = app.user_with_roles(&admin, &["program_team_member"]).await;
    let ptm = Person::of(&app, &ptm_user).await;
    let id = app
        .publish_event(&ptm_user, workshop("Sweat Lodge", 1))
        .await;
    for name in ["Finn Moss", "Gus Hale"] {
        let user = app.named(name).await;
        let res = app.register_for(&user, &id).await;
        assert!(res.status().is_success());
    }
    let edit = format!("/events/{id}/edit");
    let html = ptm.page(&edit).await;
    assert!(
        html.contains("value=\"Sweat Lodge\""),
        "the form is filled in"
    );
    assert!(html.contains("Who an event is for is fixed"));

    // Two seats: the one waiting gets the new seat; the title changes.
    let form = event_form(&[
        ("title", "Sweat Lodge by the Lake"),
        ("capacity", "2"),
        ("starts_at", &local(10, 10)),
        ("ends_at", &local(10, 16)),
        ("description", "Fathers and sons."),
        ("cancellation_policy", ""),
    ]);
    let (to, html) = ptm.submit_ok(&edit, &edit, &fields(&form)).await;
    assert!(to.ends_with("?done=saved"), "{to}");
    assert!(html.contains("Sweat Lodge by the Lake"));
    let door = ptm.page(&format!("/events/{id}/door")).await;
    assert!(door.contains("data-count=\"registered\">2 / 2<"), "{door}");
    assert!(door.contains("data-count=\"waitlisted\">0<"));

    // Fewer seats than are taken: refused next to the field, nothing changed.
    let form = event_form(&[("capacity", "1"), ("title", "Sweat Lodge by the Lake")]);
    let html = ptm.submit_refused(&edit, &edit, &fields(&form)).await;
    assert!(html.contains("id=\"capacity-error\""), "{html}");
    assert!(ptm
        .page(&format!("/events/{id}/door"))
        .await
        .contains("data-count=\"registered\">2 / 2<"));
}
crate::on_both_backends!(edit_through_the_form);

// --- Events for chosen circles ----------------------------------------------------------

async fn events_for_chosen_circles_from_the_form(app: TestApp) {
    let c = crate::helpers::led_circle(&app).await;
    let leader = Person::of(&app, &c.fac).await;
    let ptm = Person::of(&app, &c.ptm).await;
    let member = Person::of(&app, &c.member).await;
    let chosen = [("audience", "chosen")];

    // The leader is offered the circles he leads; ticking none is refused at the field.
    let html = leader.page("/events/new").await;
    assert!(html.contains("Members of chosen circles"), "{html}");
    assert!(html.contains(&format!(
        "name=\"circle_ids\" type=\"checkbox\" value=\"{}\"",
        c.id
    )));
    let html = leader
        .submit_refused("/events/new", "/events/new", &fields(&event_form(&chosen)))
        .await;
    assert!(html.contains("Tick at least one circle."), "{html}");

    // A leader's event for his own circle is open to its members at once.
    let mut form = event_form(&[("audience", "chosen"), ("title", "Our day out")]);
    form.push(("circle_ids", c.id.clone()));
    let (to, _) = leader
        .submit_ok("/events/new", "/events/new", &fields(&form))
        .await;
    let own = id_in(&to, "/events/");
    leader
        .submit_ok(
            &to,
            &format!("/events/{own}/status"),
            &[("to", "published")],
        )
        .await;
    let html = member.page(&format!("/events/{own}")).await;
    assert!(html.contains("Our day out"));

    // The Program Team's event waits for the circle's leader: its members do not see it,
    // and the organiser is told which circle has not accepted yet.
    let mut form = event_form(&[("audience", "chosen"), ("title", "Fathers offered")]);
    form.push(("circle_ids", c.id.clone()));
    let (to, _) = ptm
        .submit_ok("/events/new", "/events/new", &fields(&form))
        .await;
    let offered = id_in(&to, "/events/");
    let (_, html) = ptm
        .submit_ok(
            &to,
            &format!("/events/{offered}/status"),
            &[("to", "published")],
        )
        .await;
    let pending =
        between(&html, "id=\"pending-circles\">", "</p>").unwrap_or_else(|| panic!("{html}"));
    assert!(pending.contains("Monday Men"), "{pending}");
    assert_eq!(
        member.get(&format!("/events/{offered}")).await.status(),
        StatusCode::NOT_FOUND
    );
    assert!(!member.page("/events").await.contains("Fathers offered"));

    // The leader accepts at his circle's page: members see it, the organiser waits no more.
    let circle = format!("/circles/{}", c.id);
    leader
        .submit_ok(
            &circle,
            &format!("/circles/{}/offers/{offered}/accept", c.id),
            &[],
        )
        .await;
    let html = member.page(&format!("/events/{offered}")).await;
    assert!(html.contains("Fathers offered"));
    let html = ptm.page(&format!("/events/{offered}")).await;
    assert!(!html.contains("id=\"pending-circles\""), "{html}");
}
crate::on_both_backends!(events_for_chosen_circles_from_the_form);
