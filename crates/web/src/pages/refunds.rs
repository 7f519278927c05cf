//! Refunds for Admins (`/admin/payments`): find a payment by its receipt number, see it
//! with its refunds and what remains, and refund it in full or in part with a reason —
//! the same use case as `POST /api/v1/payments/{id}/refunds`.

use crate::pages::format::for_viewer;
use crate::pages::layout::Layout;
use crate::pages::respond::{self, notice, render, DoneQuery};
use crate::pages::session::{Form, PageMeta, SignedIn};
use crate::pages::{FormState, PageResult, Path};
use crate::state::AppState;
use app::authz::{can, Actor};
use app::payments::refunds::{admin, AdminPayment, RefundRequest};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use domain::payment::{PaymentMethod, PaymentStatus};
use domain::refund::RefundStatus;
use domain::{Money, MultiLine};
use serde::Deserialize;
use uuid::Uuid;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/payments", get(find))
        .route("/admin/payments/{id}", get(show))
        .route("/admin/payments/{id}/refunds", post(refund))
}

#[derive(Deserialize)]
struct FindQuery {
    receipt: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/payments_find.html")]
struct FindPage {
    layout: Layout,
    problem: Option<&'static str>,
}

/// A form for the receipt number a member gives; a valid one opens the payment.
async fn find(
    State(_s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Query(q): Query<FindQuery>,
) -> PageResult<Response> {
    actor.require::<can::IssueRefunds>()?;
    let problem = match q.receipt.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => match raw.parse::<Uuid>() {
            Ok(id) => return Ok(crate::pages::redirect(&format!("/admin/payments/{id}"))),
            Err(_) => Some("A receipt number looks like 01890a5d-ac96-774b-bcce-b302099a8057."),
        },
    };
    render(FindPage {
        layout: Layout::new("Refunds", m.csrf, Some(&actor), "/admin/payments"),
        problem,
    })
}

/// A refund as the form sends it: the amount as typed (empty: all that remains).
#[derive(Deserialize)]
struct RefundForm {
    #[serde(default)]
    amount: String,
    #[serde(default)]
    reason: MultiLine<500>,
}

#[derive(Template)]
#[template(path = "admin/payment.html")]
struct PaymentPage {
    layout: Layout,
    p: AdminPayment,
    paid_at: String,
    form: FormState,
    notice: Option<&'static str>,
    problem: Option<String>,
}

const NOTICES: &[(&str, &str)] = &[
    (
        "refunded",
        "Refunded: the member is emailed and finds the refund receipt on his Payments page.",
    ),
    (
        "retrying",
        "Stripe could not be reached: the refund is recorded as failed, will retry. Reconciliation sends it again within the hour; the member is emailed once it goes through.",
    ),
];

impl PaymentPage {
    async fn load(s: &AppState, actor: &Actor, csrf: String, id: Uuid) -> PageResult<Self> {
        let g = actor.require::<can::IssueRefunds>()?;
        let p = admin::payment(&s.ctx, &g, id).await?;
        Ok(PaymentPage {
            layout: Layout::new("Payment", csrf, Some(actor), "/admin/payments"),
            paid_at: for_viewer(p.payment.created_at, actor.user.time_zone.as_deref()),
            p,
            form: FormState::default(),
            notice: None,
            problem: None,
        })
    }
}

async fn show(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path(id): Path<Uuid>,
    Query(q): Query<DoneQuery>,
) -> PageResult<Response> {
    let mut page = PaymentPage::load(&s, &actor, m.csrf, id).await?;
    page.notice = notice(q.done.as_deref(), NOTICES);
    render(page)
}

async fn refund(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path(id): Path<Uuid>,
    Form(form): Form<RefundForm>,
) -> PageResult<Response> {
    let g = actor.require::<can::IssueRefunds>()?;
    let mut page = PaymentPage::load(&s, &actor, m.csrf, id).await?;
    let result = match request(&form, &page.p.payment.currency) {
        Ok(input) => admin::refund_as_admin(&s.ctx, &m.request, &g, id, &input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(r) if r.status == RefundStatus::Retrying => {
            respond::done(&format!("/admin/payments/{id}"), "retrying", "")
        }
        Ok(_) => respond::done(&format!("/admin/payments/{id}"), "refunded", ""),
        Err(e) => {
            let state = FormState::default()
                .with("amount", &form.amount)
                .with("reason", form.reason.as_str());
            let state = state.absorb(crate::pages::respond::rename_field(
                e,
                "amount_minor",
                "amount",
            ))?;
            // A refusal of the state (nothing left) is a conflict; a wrong field, input to fix.
            let status = if state.summary.is_some() {
                axum::http::StatusCode::CONFLICT
            } else {
                axum::http::StatusCode::UNPROCESSABLE_ENTITY
            };
            page.problem = state.summary.clone();
            page.form = state;
            let mut res = render(page)?;
            *res.status_mut() = status;
            Ok(res)
        }
    }
}

/// The refund the form describes, the amount read in the payment's currency.
fn request(form: &RefundForm, currency: &str) -> app::Result<RefundRequest> {
    let amount_minor = match form.amount.trim() {
        "" => None,
        raw => Some(
            Money::parse_amount(raw, currency)
                .map_err(|_| {
                    app::Error::invalid(
                        "amount",
                        "Enter the amount to refund, for example 12.50, or leave it empty to refund all that remains.",
                    )
                })?
                .amount_minor(),
        ),
    };
    Ok(RefundRequest {
        amount_minor,
        currency: None,
        reason: form.reason.clone(),
    })
}
