//! "Your payments" (`/payments`): what a member paid, newest first, a printable receipt for
//! each (`/payments/{id}`) and for each refund of it (`/payments/{id}/refunds/{refund_id}`).
//! Only his own: anyone else's receipt is not found.

use crate::pages::format::{for_viewer, local};
use crate::pages::layout::Layout;
use crate::pages::respond::render;
use crate::pages::session::{PageMeta, SignedIn};
use crate::pages::PageResult;
use crate::pages::Path;
use crate::state::AppState;
use app::payments::donations::{self, DonationView};
use app::payments::refunds::RefundView;
use app::payments::{receipts, PaymentView, Receipt};
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use domain::payment::PaymentMethod;
use domain::refund::RefundStatus;
use uuid::Uuid;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/payments", get(list))
        .route("/payments/{id}", get(receipt))
        .route("/payments/{id}/refunds/{refund_id}", get(refund_receipt))
}

/// A payment as a line on the list.
struct Line {
    payment: PaymentView,
    when: String,
}

#[derive(Template)]
#[template(path = "payments/list.html")]
struct ListPage {
    layout: Layout,
    lines: Vec<Line>,
    donations: Vec<Gift>,
}

/// A donation as a line on the list.
struct Gift {
    donation: DonationView,
    when: String,
}

async fn list(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
) -> PageResult<Response> {
    let zone = actor.user.time_zone.clone();
    let lines = receipts::mine(&s.ctx, &actor)
        .await?
        .into_iter()
        .map(|payment| Line {
            when: for_viewer(payment.created_at, zone.as_deref()),
            payment,
        })
        .collect();
    let donations = donations::mine(&s.ctx, &actor)
        .await?
        .into_iter()
        .map(|donation| Gift {
            when: for_viewer(donation.created_at, zone.as_deref()),
            donation,
        })
        .collect();
    render(ListPage {
        layout: Layout::new("Your payments", m.csrf, Some(&actor), "/payments"),
        lines,
        donations,
    })
}

#[derive(Template)]
#[template(path = "payments/receipt.html")]
struct ReceiptPage {
    layout: Layout,
    receipt: Receipt,
    paid_at: String,
    event_when: Option<String>,
}

async fn receipt(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path(id): Path<Uuid>,
) -> PageResult<Response> {
    let receipt = receipts::receipt(&s.ctx, &actor, id).await?;
    let zone = actor.user.time_zone.clone();
    let event_when = match (receipt.event_starts_at, &receipt.event_time_zone) {
        (Some(at), Some(z)) => Some(local(at, z)),
        _ => None,
    };
    render(ReceiptPage {
        layout: Layout::new("Receipt", m.csrf, Some(&actor), "/payments"),
        paid_at: for_viewer(receipt.payment.created_at, zone.as_deref()),
        event_when,
        receipt,
    })
}

#[derive(Template)]
#[template(path = "payments/refund_receipt.html")]
struct RefundReceiptPage {
    layout: Layout,
    receipt: Receipt,
    refund: RefundView,
    refunded_at: String,
}

/// The printable receipt of one refund of the member's own payment.
async fn refund_receipt(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path((id, refund_id)): Path<(Uuid, Uuid)>,
) -> PageResult<Response> {
    let receipt = receipts::receipt(&s.ctx, &actor, id).await?;
    let refund = receipt
        .refunds
        .iter()
        .find(|r| r.id == refund_id)
        .cloned()
        .ok_or(app::Error::NotFound("refund"))?;
    let zone = actor.user.time_zone.clone();
    render(RefundReceiptPage {
        layout: Layout::new("Refund receipt", m.csrf, Some(&actor), "/payments"),
        refunded_at: for_viewer(
            refund.succeeded_at.unwrap_or(refund.created_at),
            zone.as_deref(),
        ),
        refund,
        receipt,
    })
}
