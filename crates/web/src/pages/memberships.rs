//! Membership pages: a member's own (`/membership`: his standing, the plans on offer and
//! his history) and the Admin's (`/admin/memberships`: plans, recording a membership paid
//! offline, and every recorded period with where its member stands). The rules are in
//! `app::memberships`; these pages only read forms and lay out results.

use super::format::filters;
use super::layout::Layout;
use super::respond::{self, parse_date, render};
use super::session::{Form, PageMeta, SignedIn};
use super::{FormState, PageResult};
use crate::pages::Path;
use crate::state::AppState;
use app::authz::can;
use app::memberships::{plans, recording, standing};
use app::memberships::{
    MembershipFilter, MembershipInput, MembershipLine, MyMembership, PlanInput, PlanView,
};
use app::page::PageRequest;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use domain::membership::PlanInterval;
use domain::payment::PaymentMethod;
use domain::{Money, MultiLine, SingleLine};
use serde::Deserialize;
use uuid::Uuid;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/membership", get(mine))
        .route("/admin/memberships", get(admin).post(record))
        .route("/admin/membership-plans", post(add_plan))
        .route("/admin/membership-plans/{id}/archive", post(archive_plan))
}

#[derive(Template)]
#[template(path = "memberships/mine.html")]
struct MinePage {
    layout: Layout,
    notice: Option<&'static str>,
    membership: MyMembership,
}

impl MinePage {
    /// His subscription's Stripe status as he reads it, and whether it still pays (then
    /// he cannot start another).
    fn subscription_status(&self) -> Option<(&'static str, bool)> {
        let sub = self.membership.subscription.as_ref()?;
        Some(match sub.status.as_str() {
            "active" | "trialing" => ("Active", true),
            "past_due" | "unpaid" => ("Renewal declined", true),
            "canceled" => ("Ended", false),
            "incomplete" | "incomplete_expired" => ("Not started", false),
            _ => ("Waiting for the first payment", false),
        })
    }

    /// Plans can be paid by card here: Stripe is set up and nothing pays already.
    fn can_subscribe(&self) -> bool {
        self.membership.card_subscriptions && !self.subscription_status().is_some_and(|s| s.1)
    }
}

async fn mine(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Query(q): Query<respond::DoneQuery>,
) -> PageResult<Response> {
    let membership = standing::mine(&s.ctx, &actor).await?;
    render(MinePage {
        layout: Layout::new("Your membership", m.csrf, Some(&actor), "/membership"),
        notice: respond::notice(q.done.as_deref(), super::subscribing::NOTICES),
        membership,
    })
}

const NOTICES: &[(&str, &str)] = &[
    ("plan_added", "The plan is added."),
    ("plan_changed", "The plan is changed."),
    (
        "recorded",
        "The membership is recorded; the member is emailed a receipt.",
    ),
];

#[derive(Template)]
#[template(path = "memberships/admin.html")]
struct AdminPage {
    layout: Layout,
    notice: Option<&'static str>,
    plans: Vec<PlanView>,
    lines: Vec<MembershipLine>,
    plan_form: FormState,
    record_form: FormState,
}

#[derive(Deserialize)]
struct AdminQuery {
    done: Option<String>,
}

async fn admin(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Query(q): Query<AdminQuery>,
) -> PageResult<Response> {
    let mut page = admin_page(&s, &actor, m.csrf).await?;
    page.notice = respond::notice(q.done.as_deref(), NOTICES);
    render(page)
}

async fn admin_page(
    s: &AppState,
    actor: &app::authz::Actor,
    csrf: String,
) -> PageResult<AdminPage> {
    let g = actor.require::<can::ManageMemberships>()?;
    let lines = standing::list(
        &s.ctx,
        &g,
        &MembershipFilter::default(),
        &PageRequest::default(),
    )
    .await?
    .items;
    Ok(AdminPage {
        layout: Layout::new("Memberships", csrf, Some(actor), "/admin/memberships"),
        notice: None,
        plans: plans::list(&s.ctx, actor, true).await?,
        lines,
        plan_form: FormState::default(),
        record_form: FormState::default(),
    })
}

#[derive(Deserialize)]
struct PlanForm {
    #[serde(default)]
    name: SingleLine<80>,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    currency: SingleLine<3>,
    #[serde(default)]
    interval: String,
}

async fn add_plan(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Form(f): Form<PlanForm>,
) -> PageResult<Response> {
    let g = actor.require::<can::ManageMemberships>()?;
    let amount = Money::parse_amount(&f.amount, f.currency.as_str());
    let input = PlanInput {
        name: f.name.clone(),
        amount_minor: amount.as_ref().map_or(0, Money::amount_minor),
        currency: f.currency.clone(),
        interval: PlanInterval::parse(&f.interval).unwrap_or(PlanInterval::Monthly),
        archived: false,
    };
    let mut form = FormState::default()
        .with("name", &f.name)
        .with("amount", &f.amount)
        .with("currency", &f.currency);
    if let Err(problems) = amount {
        for p in problems {
            form = form.field_error(p.field, &p.message);
        }
    } else {
        match plans::create(&s.ctx, &m.request, &g, &input).await {
            Ok(_) => return respond::done("/admin/memberships", "plan_added", "plans"),
            Err(e) => form = form.absorb(e)?,
        }
    }
    let mut page = admin_page(&s, &actor, m.csrf).await?;
    page.plan_form = form;
    render(page)
}

async fn archive_plan(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Path(id): Path<Uuid>,
) -> PageResult<Response> {
    let g = actor.require::<can::ManageMemberships>()?;
    let p = plans::get(&s.ctx, &actor, id).await?;
    let input = PlanInput {
        name: SingleLine::try_from(p.name.as_str())
            .map_err(|e| app::Error::invalid("name", e.to_string()))?,
        amount_minor: p.amount_minor,
        currency: SingleLine::try_from(p.currency.as_str())
            .map_err(|e| app::Error::invalid("currency", e.to_string()))?,
        interval: p.interval,
        archived: !p.archived,
    };
    plans::update(&s.ctx, &m.request, &g, id, &input).await?;
    respond::done("/admin/memberships", "plan_changed", "plans")
}

#[derive(Deserialize)]
struct RecordForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    plan_id: String,
    #[serde(default)]
    method: String,
    #[serde(default)]
    paid: String,
    #[serde(default)]
    period_start: String,
    #[serde(default)]
    note: MultiLine<500>,
}

async fn record(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Form(f): Form<RecordForm>,
) -> PageResult<Response> {
    let g = actor.require::<can::ManageMemberships>()?;
    let mut form = FormState::default()
        .with("email", &f.email)
        .with("paid", &f.paid)
        .with("period_start", &f.period_start);
    let outcome = async {
        let user_id = recording::find_member(&s.ctx, &g, &f.email).await?;
        let plan_id: Uuid = f
            .plan_id
            .parse()
            .map_err(|_| app::Error::invalid("plan_id", "Choose a plan."))?;
        let plan = plans::get(&s.ctx, &actor, plan_id).await?;
        let amount_minor = match f.paid.trim() {
            "" => None,
            raw => Some(
                Money::parse_amount(raw, &plan.currency)
                    .map_err(app::Error::Invalid)?
                    .amount_minor(),
            ),
        };
        let period_start = match f.period_start.trim() {
            "" => None,
            raw => Some(parse_date(raw).map_err(|m| app::Error::invalid("period_start", m))?),
        };
        let input = MembershipInput {
            plan_id,
            period_start,
            period_end: None,
            amount_minor,
            method: PaymentMethod::parse(&f.method).unwrap_or(PaymentMethod::BankTransfer),
            note: Some(f.note.clone()),
        };
        recording::record_offline(&s.ctx, &m.request, &g, user_id, &input).await
    }
    .await;
    match outcome {
        Ok(_) => return respond::done("/admin/memberships", "recorded", "record"),
        Err(e) => form = form.absorb(e)?,
    }
    let mut page = admin_page(&s, &actor, m.csrf).await?;
    page.record_form = form;
    render(page)
}
