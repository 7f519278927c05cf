//! Which handler runs each kind of job, collected once at start-up from every feature's
//! `jobs()`, and which kinds recur.

use super::{Job, JobRun};
use crate::Context;
use anyhow::Context as _;
use chrono::Duration;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

type Running<'a> = Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send + 'a>>;

/// Reads a stored payload and runs the job it describes.
type Handler = for<'a> fn(&'a Context, &'a JobRun, &'a str) -> Running<'a>;

fn handle<'a, J: Job>(ctx: &'a Context, run: &'a JobRun, payload: &'a str) -> Running<'a> {
    let job = serde_json::from_str::<J>(payload)
        .with_context(|| format!("unreadable {} payload", J::KIND));
    Box::pin(async move { job?.run(ctx, run).await })
}

/// One kind of job a feature offers the worker.
pub struct Registration {
    kind: &'static str,
    handler: Handler,
    /// For a recurring job: how often, and the payload of each run.
    every: Option<(Duration, String)>,
}

impl Registration {
    /// `J` runs whenever a use case queues one.
    pub fn of<J: Job>() -> Self {
        Registration {
            kind: J::KIND,
            handler: handle::<J>,
            every: None,
        }
    }

    /// `J` runs for ever, `every` so often: the worker queues the first run when it starts
    /// and the queue the next one as each run succeeds.
    pub fn recurring<J: Job + Default>(every: Duration) -> Self {
        let payload = super::queue::payload(&J::default()).expect("a recurring job serialises");
        Registration {
            every: Some((every, payload)),
            ..Registration::of::<J>()
        }
    }
}

/// Every kind of job the worker can run.
#[derive(Default)]
pub struct Registry {
    kinds: HashMap<&'static str, Registration>,
}

impl Registry {
    /// Adds a feature's jobs.
    ///
    /// # Panics
    /// When a kind is already registered: two jobs under one name would run each other's
    /// payloads.
    pub fn with(mut self, jobs: Vec<Registration>) -> Self {
        for job in jobs {
            let kind = job.kind;
            assert!(
                self.kinds.insert(kind, job).is_none(),
                "job kind {kind} is registered twice"
            );
        }
        self
    }

    /// Runs the job stored as `kind` with `payload`.
    pub(super) fn run<'a>(
        &self,
        kind: &str,
        ctx: &'a Context,
        run: &'a JobRun,
        payload: &'a str,
    ) -> Running<'a> {
        match self.kinds.get(kind) {
            Some(job) => (job.handler)(ctx, run, payload),
            None => {
                let unknown = anyhow::anyhow!("no handler for job kind {kind}");
                Box::pin(async move { Err(unknown) })
            }
        }
    }

    /// How often `kind` recurs and the payload of its next run; `None` for a one-off.
    pub(super) fn recurrence(&self, kind: &str) -> Option<(Duration, String)> {
        self.kinds.get(kind)?.every.clone()
    }

    /// The recurring kinds, with their interval and payload.
    pub(super) fn recurring(&self) -> impl Iterator<Item = (&'static str, Duration, &str)> {
        self.kinds
            .values()
            .filter_map(|j| j.every.as_ref().map(|(d, p)| (j.kind, *d, p.as_str())))
    }

    /// The registered kinds, for checks at start-up and in tests.
    pub fn kinds(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.kinds.keys().copied()
    }
}
