//! `loganon diff`: what a rule change would alter on a real corpus.
//!
//! Every line is anonymized under the old and the new ruleset; lines whose output differs are
//! printed as a pair (`- old`, `+ new`) under their line number. Only what one of the two rulesets
//! would write is printed, never the raw input: a value appears only if a ruleset lets it through,
//! and a `+` line that shows one is exactly the leak the new rules would cause. Exit status
//! follows diff(1): 0 when nothing differs, 1 when something does.

use crate::framing::{Batch, Framer};
use crate::process::{LineScratch, Processor, Stats};
use std::io::{self, Read, Write};

/// Counts of a diff.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub lines: u64,
    pub differing: u64,
}

/// Writes the differing lines of `sources` under `old` and `new` to `out`.
pub fn run(
    old: &Processor,
    new: &Processor,
    sources: Vec<Box<dyn Read + Send>>,
    max_line: usize,
    now: i64,
    out: &mut dyn Write,
) -> io::Result<Summary> {
    let mut summary = Summary::default();
    let (mut s_old, mut s_new) = (LineScratch::default(), LineScratch::default());
    let (mut stats, mut a, mut b) = (Stats::default(), Vec::new(), Vec::new());
    let mut batch = Batch::default();
    for src in sources {
        let mut framer = Framer::new(src, max_line, crate::framing::READ_SIZE);
        while framer.fill(&mut batch)? {
            for (line, cut) in batch.lines() {
                summary.lines += 1;
                a.clear();
                b.clear();
                old.line(line, cut, now, &mut s_old, &mut stats, &mut a);
                new.line(line, cut, now, &mut s_new, &mut stats, &mut b);
                if a != b {
                    summary.differing += 1;
                    writeln!(out, "@@ line {}", summary.lines)?;
                    out.write_all(b"- ")?;
                    out.write_all(&a)?;
                    out.write_all(b"+ ")?;
                    out.write_all(&b)?;
                }
            }
        }
    }
    Ok(summary)
}
