//! Percentiles per scenario, printed as a table or JSON.

use crate::scenarios::Sample;
use serde::Serialize;
use std::collections::BTreeMap;

/// What one scenario measured.
#[derive(Debug, Serialize)]
pub(crate) struct Report {
    pub(crate) scenario: String,
    pub(crate) target_rps: f64,
    pub(crate) requests: usize,
    /// Answers with the expected status.
    pub(crate) ok: usize,
    pub(crate) errors: usize,
    pub(crate) achieved_rps: f64,
    pub(crate) p50_ms: f64,
    pub(crate) p95_ms: f64,
    pub(crate) p99_ms: f64,
    pub(crate) max_ms: f64,
    /// Mean database statements per request, when the server reports them
    /// (`metrics.statements_header`).
    pub(crate) statements: Option<f64>,
    /// How many answers had each status (`error` for no answer at all).
    pub(crate) statuses: BTreeMap<String, usize>,
}
pub(crate) fn summarise(name: &str, target: f64, samples: &[&Sample], elapsed: f64) -> Report {
    let mut micros: Vec<u128> = samples.iter().map(|s| s.latency.as_micros()).collect();
    micros.sort_unstable();
    // Nearest-rank percentile over every sample: there are few enough to keep them all.
    let pct = |p: f64| -> f64 {
        if micros.is_empty() {
            return 0.0;
        }
        let rank = ((p / 100.0) * micros.len() as f64).ceil() as usize;
        micros[rank.clamp(1, micros.len()) - 1] as f64 / 1000.0
    };
    let mut statuses = BTreeMap::new();
    for s in samples {
        let key = s
            .status
            .map_or_else(|| "error".to_owned(), |c| c.as_u16().to_string());
        *statuses.entry(key).or_insert(0) += 1;
    }
    let ok = samples.iter().filter(|s| s.ok).count();
    let counted: Vec<u64> = samples.iter().filter_map(|s| s.statements).collect();
    let statements =
        (!counted.is_empty()).then(|| counted.iter().sum::<u64>() as f64 / counted.len() as f64);
    Report {
        scenario: name.to_owned(),
        target_rps: target,
        requests: samples.len(),
        ok,
        errors: samples.len() - ok,
        achieved_rps: if elapsed > 0.0 {
            samples.len() as f64 / elapsed
        } else {
            0.0
        },
        p50_ms: pct(50.0),
        p95_ms: pct(95.0),
        p99_ms: pct(99.0),
        max_ms: micros.last().map_or(0.0, |m| *m as f64 / 1000.0),
        statements,
        statuses,
    }
}

pub(crate) fn print_table(reports: &[Report]) {
    println!(
        "{:<10} {:>8} {:>8} {:>7} {:>8} {:>8} {:>8} {:>8} {:>9} {:>6}  statuses",
        "scenario",
        "target/s",
        "req/s",
        "errors",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "max ms",
        "requests",
        "stmts"
    );
    for r in reports {
        let statuses: Vec<String> = r
            .statuses
            .iter()
            .map(|(code, n)| format!("{code}×{n}"))
            .collect();
        println!(
            "{:<10} {:>8.0} {:>8.1} {:>7} {:>8.1} {:>8.1} {:>8.1} {:>8.1} {:>9} {:>6}  {}",
            r.scenario,
            r.target_rps,
            r.achieved_rps,
            r.errors,
            r.p50_ms,
            r.p95_ms,
            r.p99_ms,
            r.max_ms,
            r.requests,
            r.statements
                .map_or_else(|| "-".to_owned(), |n| format!("{n:.1}")),
            statuses.join(" ")
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::StatusCode;
    use std::time::Duration;

    #[test]
    fn percentiles_are_nearest_rank() {
        let samples: Vec<Sample> = (1..=100)
            .map(|ms| Sample {
                latency: Duration::from_millis(ms),
                status: Some(StatusCode::OK),
                ok: true,
                statements: Some(2),
            })
            .collect();
        let refs: Vec<&Sample> = samples.iter().collect();
        let r = summarise("x", 100.0, &refs, 1.0);
        assert_eq!(r.p50_ms, 50.0);
        assert_eq!(r.p95_ms, 95.0);
        assert_eq!(r.p99_ms, 99.0);
        assert_eq!(r.max_ms, 100.0);
        assert_eq!(r.errors, 0);
        assert_eq!(r.statuses.get("200"), Some(&100));
        assert_eq!(r.statements, Some(2.0));
    }
}
