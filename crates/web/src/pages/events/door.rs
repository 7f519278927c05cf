//! The organiser's door list (`/events/{id}/door`): live counts, finding someone by name
//! and checking him in with one tap, notes, moving someone to the front of the waitlist,
//! and the list as CSV. Made for a phone held at the door; after the event the same page
//! is its report.

use crate::pages::format::{clock, when_words};
use crate::pages::layout::Layout;
use crate::pages::respond::{self, given, notice, render};
use crate::pages::session::{Form, PageMeta, SignedIn};
use crate::pages::Path;
use crate::pages::{encode, FormState, PageResult};
use crate::state::AppState;
use app::authz::event::record_payments;
use app::authz::Actor;
use app::events::{self, roster, view, Counts, EventView, RosterEntry};
use app::payments::{recording, OfflinePayment};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use domain::event::RegistrationStatus;
use domain::payment::PaymentMethod;
use domain::{Money, MultiLine, SingleLine};
use serde::Deserialize;
use uuid::Uuid;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/events/{id}/door", get(door))
        .route("/events/{id}/door/{rid}/check-in", post(check_in))
        .route("/events/{id}/door/{rid}/note", post(set_note))
        .route("/events/{id}/door/{rid}/front", post(move_to_front))
        .route("/events/{id}/door/{rid}/payment", post(record_payment))
        .route("/events/{id}/registrations.csv", get(csv))
}

#[derive(Deserialize, Default)]
struct DoorQuery {
    q: Option<String>,
    done: Option<String>,
}

/// One person on the list, ready to show.
struct Row {
    entry: RosterEntry,
    /// Local time of check-in, "19:04".
    checked_in: Option<String>,
    status_label: &'static str,
}

#[derive(Template)]
#[template(path = "events/door.html")]
struct DoorPage {
    layout: Layout,
    event: EventView,
    when: String,
    counts: Counts,
    q: String,
    seated: Vec<Row>,
    waiting: Vec<Row>,
    cancelled: Vec<Row>,
    notice: Option<&'static str>,
    problem: Option<String>,
}

const NOTICES: [(&str, &str); 6] = [
    ("checked_in", "Checked in."),
    (
        "paid",
        "Payment recorded: the seat is confirmed and a receipt is on its way.",
    ),
    ("undone", "Check-in undone."),
    ("noted", "Note saved."),
    ("moved", "Moved to the front of the waitlist."),
    (
        "promoted",
        "Moved to the front of the waitlist and given the free seat.",
    ),
];

fn status_label(status: RegistrationStatus) -> &'static str {
    match status {
        RegistrationStatus::Confirmed => "Confirmed",
        RegistrationStatus::PaymentRequired => "Payment needed",
        RegistrationStatus::Offered => "Seat offered",
        RegistrationStatus::Waitlisted => "Waiting",
        RegistrationStatus::Cancelled => "Cancelled",
    }
}

impl DoorPage {
    async fn load(
        s: &AppState,
        actor: &Actor,
        csrf: String,
        id: Uuid,
        q: &str,
    ) -> PageResult<DoorPage> {
        let org = events::organise(&s.ctx, actor, id).await?;
        let event = view::get(&s.ctx, actor, id).await?;
        let counts = roster::counts(&s.ctx, &org).await?;
        let list = roster::roster(&s.ctx, &org, Some(q)).await?;
        let zone = event.time_zone.clone();
        let (mut seated, mut waiting, mut cancelled) = (Vec::new(), Vec::new(), Vec::new());
        for entry in list {
            let row = Row {
                checked_in: entry.checked_in_at.map(|t| clock(t, &zone)),
                status_label: status_label(entry.status),
                entry,
            };
            match row.entry.status {
                RegistrationStatus::Confirmed
                | RegistrationStatus::PaymentRequired
                | RegistrationStatus::Offered => seated.push(row),
                RegistrationStatus::Waitlisted => waiting.push(row),
                RegistrationStatus::Cancelled => cancelled.push(row),
            }
        }
        // At the door, a name is easier to find alphabetically; the waitlist keeps its order.
        seated.sort_by_key(|r| r.entry.display_name.to_lowercase());
        Ok(DoorPage {
            layout: Layout::new(
                format!("Door list: {}", event.title),
                csrf,
                Some(actor),
                &format!("/events/{id}"),
            ),
            when: when_words(event.starts_at, event.ends_at, &event.time_zone),
            event,
            counts,
            q: q.to_owned(),
            seated,
            waiting,
            cancelled,
            notice: None,
            problem: None,
        })
    }
}

async fn door(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path(id): Path<Uuid>,
    Query(q): Query<DoorQuery>,
) -> PageResult<Response> {
    let name = given(&q.q).unwrap_or("");
    let mut page = DoorPage::load(&s, &actor, m.csrf, id, name).await?;
    page.notice = notice(q.done.as_deref(), &NOTICES);
    render(page)
}

/// Every form on the door list carries the search it was sent from.
#[derive(Deserialize, Default)]
struct RowForm {
    #[serde(default)]
    q: String,
    /// Check-in: "1" present, "0" undo.
    #[serde(default)]
    present: String,
    #[serde(default)]
    note: String,
    /// Recording a payment: `cash` or `bank_transfer`, the amount as typed, a note.
    #[serde(default)]
    method: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    payment_note: MultiLine<500>,
    /// "1" when what was paid beyond the price is a gift to the scholarship fund.
    #[serde(default)]
    pay_it_forward: String,
}

/// After a change: back to the list as it was, at the row touched; or the list with the
/// problem when the use case refused.
async fn answer(
    s: &AppState,
    actor: &Actor,
    csrf: String,
    id: Uuid,
    rid: Uuid,
    form: &RowForm,
    result: app::Result<&'static str>,
) -> PageResult<Response> {
    let q = form.q.trim();
    match result {
        Ok(done) => respond::done(
            &format!("/events/{id}/door?q={}", encode(q)),
            done,
            &format!("r-{rid}"),
        ),
        Err(e) => {
            let problem = FormState::default().absorb(e)?.all_problems();
            let mut page = DoorPage::load(s, actor, csrf, id, q).await?;
            page.problem = problem;
            let mut res = render(page)?;
            *res.status_mut() = axum::http::StatusCode::CONFLICT;
            Ok(res)
        }
    }
}

async fn check_in(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path((id, rid)): Path<(Uuid, Uuid)>,
    Form(form): Form<RowForm>,
) -> PageResult<Response> {
    let present = form.present != "0";
    let org = events::organise(&s.ctx, &actor, id).await?;
    let result = roster::check_in(&s.ctx, &m.request, &org, rid, present)
        .await
        .map(|_| if present { "checked_in" } else { "undone" });
    answer(&s, &actor, m.csrf, id, rid, &form, result).await
}

async fn set_note(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path((id, rid)): Path<(Uuid, Uuid)>,
    Form(form): Form<RowForm>,
) -> PageResult<Response> {
    let note = Some(form.note.trim()).filter(|n| !n.is_empty());
    let org = events::organise(&s.ctx, &actor, id).await?;
    let result = roster::set_note(&s.ctx, &m.request, &org, rid, note)
        .await
        .map(|_| "noted");
    answer(&s, &actor, m.csrf, id, rid, &form, result).await
}

async fn move_to_front(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path((id, rid)): Path<(Uuid, Uuid)>,
    Form(form): Form<RowForm>,
) -> PageResult<Response> {
    let org = events::organise(&s.ctx, &actor, id).await?;
    let result = roster::move_to_front(&s.ctx, &m.request, &org, rid).await;
    let result = match result {
        Ok(()) => {
            // A free seat goes to the new head of the line at once: say so.
            let now_seated = roster::roster(&s.ctx, &org, None)
                .await?
                .into_iter()
                .any(|r| r.registration_id == rid && r.status.holds_seat());
            Ok(if now_seated { "promoted" } else { "moved" })
        }
        Err(e) => Err(e),
    };
    answer(&s, &actor, m.csrf, id, rid, &form, result).await
}

/// Records an offline payment for a seat held for payment, as the API does.
async fn record_payment(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path((id, rid)): Path<(Uuid, Uuid)>,
    Form(form): Form<RowForm>,
) -> PageResult<Response> {
    let proof = record_payments(&s.ctx, &actor, id).await?;
    let event = view::get(&s.ctx, &actor, id).await?;
    let result = match offline_payment(&form, event.currency.as_deref().unwrap_or("")) {
        Ok(input) => recording::record_offline(&s.ctx, &m.request, &actor, &proof, rid, &input)
            .await
            .map(|_| "paid"),
        Err(e) => Err(e),
    };
    answer(&s, &actor, m.csrf, id, rid, &form, result).await
}

/// The payment the form describes, the amount read in the event's currency.
fn offline_payment(form: &RowForm, currency: &str) -> app::Result<OfflinePayment> {
    let method = PaymentMethod::parse(form.method.trim())
        .ok_or_else(|| app::Error::invalid("method", "Choose cash or bank transfer."))?;
    let money = Money::parse_amount(&form.amount, currency).map_err(app::Error::Invalid)?;
    let currency = SingleLine::try_from(money.currency().as_str())
        .map_err(|_| app::Error::invalid("currency", "The event has no price to pay."))?;
    Ok(OfflinePayment {
        method,
        amount_minor: money.amount_minor(),
        currency,
        note: Some(form.payment_note.clone()),
        pay_it_forward: form.pay_it_forward == "1",
    })
}

async fn csv(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    Path(id): Path<Uuid>,
) -> PageResult<Response> {
    let org = events::organise(&s.ctx, &actor, id).await?;
    let body = roster::roster_csv(&s.ctx, &org).await?;
    Ok(respond::attachment(
        "text/csv; charset=utf-8",
        &roster::roster_file_name(&org),
        body,
    ))
}
