//! The audit log pages (need `ReadAuditLog`): records newest first with filters and
//! paging, and the integrity check of the hash chain.

use super::format::filters;
use super::layout::Layout;
use super::respond::{self, given, parse_date, render};
use super::session::{PageMeta, SignedIn};
use super::{encode, FormState, PageResult};
use crate::state::AppState;
use app::audit::{self, AuditFilter, AuditRecord, ChainReport, PeopleNames};
use app::authz::can;
use app::page::PageRequest;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/audit", get(list))
        .route("/audit/integrity", get(integrity))
}

const RECORDS_PER_PAGE: u64 = 50;

#[derive(Template)]
#[template(path = "audit/log.html")]
struct LogPage {
    layout: Layout,
    form: FormState,
    /// The pick list of actions: (stored name, words), by words.
    actions: Vec<(&'static str, &'static str)>,
    records: Vec<AuditRecord>,
    /// The display names of the people the records name (never in circle records).
    names: PeopleNames,
    next: Option<String>,
}

/// The filters as typed; blank fields mean "any".
#[derive(Deserialize)]
struct LogQuery {
    action: Option<String>,
    actor_id: Option<String>,
    target_id: Option<String>,
    since: Option<String>,
    until: Option<String>,
    cursor: Option<String>,
}

const FIELDS: [&str; 5] = ["action", "actor_id", "target_id", "since", "until"];

/// Reads the typed filters into the use case's terms, noting problems beside the fields.
fn read_filter(q: &LogQuery, mut form: FormState) -> (FormState, AuditFilter) {
    let mut filter = AuditFilter {
        action: respond::checked_text(&mut form, "action", &q.action),
        target_id: respond::checked_text(&mut form, "target_id", &q.target_id),
        ..AuditFilter::default()
    };
    if let Some(raw) = given(&q.actor_id) {
        match raw.parse() {
            Ok(id) => filter.actor_id = Some(id),
            Err(_) => {
                form = form.field_error(
                    "actor_id",
                    "Enter a user id like 0190a1b2-…; choose a name in the Actor column to see only theirs.",
                )
            }
        }
    }
    if let Some(raw) = given(&q.since) {
        match parse_date(raw) {
            Ok(d) => filter.since = Some(d),
            Err(message) => form = form.field_error("since", &message),
        }
    }
    if let Some(raw) = given(&q.until) {
        // "Until" a day includes that day: the use case's bound is exclusive.
        match parse_date(raw) {
            Ok(d) => filter.until = Some(d + chrono::Duration::days(1)),
            Err(message) => form = form.field_error("until", &message),
        }
    }
    (form, filter)
}

async fn list(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
    Query(q): Query<LogQuery>,
) -> PageResult<Response> {
    let g = actor.require::<can::ReadAuditLog>()?;
    let typed = [&q.action, &q.actor_id, &q.target_id, &q.since, &q.until];
    let form = FIELDS
        .iter()
        .zip(typed)
        .fold(FormState::default(), |f, (name, v)| {
            f.with(name, given(v).unwrap_or(""))
        });
    let (mut form, filter) = read_filter(&q, form);
    let page = PageRequest {
        limit: Some(RECORDS_PER_PAGE),
        cursor: respond::checked_text(&mut form, "cursor", &q.cursor),
    };
    let (records, next) = if form.has_errors() {
        (Vec::new(), None)
    } else {
        match audit::list(&s.ctx.main, g, &filter, &page).await {
            Ok(p) => {
                let next = p.next_cursor.map(|c| {
                    let mut href = String::from("/audit?");
                    for name in FIELDS {
                        href.push_str(&format!("{name}={}&", encode(form.value(name))));
                    }
                    href.push_str(&format!("cursor={}", encode(&c)));
                    href
                });
                (p.items, next)
            }
            Err(e) => {
                form = form.absorb(e)?;
                (Vec::new(), None)
            }
        }
    };
    let names = audit::names(&s.ctx.main, g, &records).await?;
    render(LogPage {
        layout: Layout::new("Audit log", m.csrf, Some(&actor), &m.path),
        form,
        actions: action_choices(),
        records,
        names,
        next,
    })
}

/// Every action the log knows, by what it reads as.
fn action_choices() -> Vec<(&'static str, &'static str)> {
    let mut all: Vec<_> = audit::Action::ALL
        .iter()
        .map(|a| (a.as_str(), a.label()))
        .collect();
    all.sort_by_key(|(_, label)| *label);
    all
}

impl LogPage {
    /// Who acted, when the record names someone: (id, name). The template says
    /// "(erased)" where the log forgot the person, "Not recorded" for circle records
    /// (written without anyone) and "System" for what no one did.
    fn actor(&self, r: &AuditRecord) -> Option<(String, String)> {
        r.actor_id
            .map(|id| (id.to_string(), self.names.of(&id).to_owned()))
    }

    /// Whether a record without an actor once had one that was erased. Erasing a person
    /// clears both people of the records naming him, so this may also mark an erased
    /// record's actor that was someone else; the log cannot tell them apart any more.
    fn actor_erased(&self, r: &AuditRecord) -> bool {
        r.erased && r.actor_id.is_none() && !r.classification.hides_people()
    }

    fn erased(&self) -> &'static str {
        audit::ERASED
    }

    /// How a record's details read in the table: nothing for an empty object.
    fn details(&self, r: &AuditRecord) -> String {
        match &r.details {
            serde_json::Value::Object(o) if o.is_empty() => String::new(),
            other => other.to_string(),
        }
    }
}

#[derive(Template)]
#[template(path = "audit/integrity.html")]
struct IntegrityPage {
    layout: Layout,
    report: ChainReport,
}

async fn integrity(
    State(s): State<AppState>,
    SignedIn(actor): SignedIn,
    m: PageMeta,
) -> PageResult<Response> {
    actor.require::<can::ReadAuditLog>()?;
    let report = audit::verify(&s.ctx.main).await?;
    render(IntegrityPage {
        layout: Layout::new("Audit log integrity", m.csrf, Some(&actor), &m.path),
        report,
    })
}
