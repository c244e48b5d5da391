//! `loganon bench`: what a ruleset costs on a corpus, measured in memory.
//!
//! The corpus is anonymized `runs` times on one thread (the per-core cost; the pipeline scales it
//! over cores), and throughput is reported as min/median/max over the runs, because one timing on
//! a shared machine says little. A rule's share of the time is measured, not estimated: passes
//! with the whole ruleset and passes without that rule alternate, and the share is the median of
//! the paired differences. Pairing matters on a shared machine: timing all full passes first and
//! the reduced ones later let a change in load pass for a rule's cost (measured: every rule of the
//! default set showed 50-67% under a concurrent build). Shares of cheap rules are within the
//! noise and can come out slightly negative; they are shown as 0.

use crate::anonymize::Pseudonymizer;
use crate::process::{LineScratch, Options, Processor, Stats};
use crate::rules::{IpMode, Ruleset};
use std::time::Instant;

/// A ruleset ready to run, with what is needed to rebuild it without one rule.
pub struct Setup<'a> {
    pub ruleset: &'a Ruleset,
    pub ip_mode: Option<IpMode>,
    pub keyed: Option<Pseudonymizer>,
    pub options: Options,
    pub now: i64,
}

/// Timings of repeated runs over a corpus.
#[derive(Clone, Debug)]
pub struct Timing {
    /// Seconds per run, sorted ascending.
    pub seconds: Vec<f64>,
}

impl Timing {
    pub fn min(&self) -> f64 {
        self.seconds[0]
    }
    pub fn median(&self) -> f64 {
        self.seconds[self.seconds.len() / 2]
    }
    pub fn max(&self) -> f64 {
        self.seconds[self.seconds.len() - 1]
    }
}

/// Per-rule results.
#[derive(Clone, Debug)]
pub struct RuleCost {
    pub name: String,
    /// Values the rule rewrote in one pass over the corpus.
    pub matches: u64,
    /// Candidates its confirmation rejected (Luhn, octets, domains, address parsing).
    pub rejected: u64,
    /// Share of the run time spent on the rule, 0.0-1.0.
    pub share: f64,
}

/// The result of a bench.
#[derive(Clone, Debug)]
pub struct Report {
    pub bytes: u64,
    pub lines: u64,
    pub timing: Timing,
    pub rules: Vec<RuleCost>,
}

/// One pass over the corpus; returns the seconds it took.
fn pass(p: &Processor, lines: &[&[u8]], now: i64, s: &mut LineScratch, stats: &mut Stats, out: &mut Vec<u8>) -> f64 {
    let t = Instant::now();
    for line in lines {
        out.clear();
        p.line(line, false, now, s, stats, out);
    }
    t.elapsed().as_secs_f64()
}

fn timed(p: &Processor, lines: &[&[u8]], runs: usize, now: i64, progress: &mut dyn FnMut()) -> Timing {
    let (mut s, mut stats, mut out) = (LineScratch::default(), Stats::default(), Vec::new());
    let mut seconds: Vec<f64> = (0..runs)
        .map(|_| {
            let t = pass(p, lines, now, &mut s, &mut stats, &mut out);
            progress();
            t
        })
        .collect();
    seconds.sort_by(f64::total_cmp);
    Timing { seconds }
}

/// Number of passes [`run`] makes, for progress reporting.
pub fn passes(setup: &Setup, runs: usize) -> usize {
    runs * (1 + setup.ruleset.rules.len())
}

/// Benchmarks a ruleset on `corpus` (whole lines). `progress` is called after every pass.
pub fn run(setup: &Setup, corpus: &[u8], runs: usize, progress: &mut dyn FnMut()) -> Result<Report, String> {
    let runs = runs.max(1);
    let lines: Vec<&[u8]> = corpus.split_inclusive(|&c| c == b'\n').collect();
    let build = |set: &Ruleset| -> Result<Processor, String> {
        let engine = set.engine(setup.ip_mode, setup.keyed.clone())?;
        Ok(Processor::new(engine, &set.retention, setup.options))
    };
    let full = build(setup.ruleset)?;
    // Counts come from one separate pass, so timing runs carry no bookkeeping beyond the usual.
    let (mut s, mut stats, mut out) = (LineScratch::default(), Stats::default(), Vec::new());
    pass(&full, &lines, setup.now, &mut s, &mut stats, &mut out);
    let timing = timed(&full, &lines, runs, setup.now, progress);
    let mut rules = Vec::new();
    let mut scratch = (LineScratch::default(), LineScratch::default(), Stats::default());
    for (i, r) in setup.ruleset.rules.iter().enumerate() {
        let mut without = setup.ruleset.clone();
        without.rules.remove(i);
        let reduced = build(&without)?;
        let mut shares: Vec<f64> = (0..runs)
            .map(|_| {
                let (s_full, s_reduced, st) = &mut scratch;
                let t_full = pass(&full, &lines, setup.now, s_full, st, &mut out);
                let t_reduced = pass(&reduced, &lines, setup.now, s_reduced, st, &mut out);
                progress();
                (t_full - t_reduced) / t_full
            })
            .collect();
        shares.sort_by(f64::total_cmp);
        rules.push(RuleCost {
            name: r.rule.name.clone(),
            matches: stats.redactions.per_rule.get(i).copied().unwrap_or(0),
            rejected: s.rejected().get(i).copied().unwrap_or(0),
            share: shares[shares.len() / 2].max(0.0),
        });
    }
    rules.sort_by(|a, b| b.share.total_cmp(&a.share));
    Ok(Report { bytes: corpus.len() as u64, lines: lines.len() as u64, timing, rules })
}
