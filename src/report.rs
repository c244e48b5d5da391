//! `--report FILE`: one JSON line per finding, then a summary line, never the found values.
//!
//! A finding names the input line (1-based, counted over all inputs), the byte range in that line,
//! the rule, its category and what was done (`action`: the rule's action, or `allow` for an
//! address an allow-list kept; `fused: true` when overlapping finds were redacted as one). The
//! report is written by the pipeline's writer, so it follows input order whatever `--threads` is.

use crate::process::{Finding, Processor};
use crate::redact::Action;
use std::io::{self, Write};

/// Writes findings as JSON lines and keeps the counts for the summary.
pub struct ReportWriter<'a> {
    out: Box<dyn Write + Send + 'a>,
    processor: &'a Processor,
    lines_before: u64,
    findings: u64,
    per_rule: Vec<u64>,
}

fn action_name(a: &Action) -> &'static str {
    match a {
        Action::Truncate { .. } => "truncate",
        Action::Hash => "hash",
        Action::Mask { .. } => "mask",
        Action::Redact => "redact",
        Action::Keep => "keep",
        Action::Drop => "drop",
    }
}

/// A JSON string literal of `s`.
fn quoted(s: &str) -> String {
    let mut v = vec![b'"'];
    crate::format::json::escape(s.as_bytes(), &mut v);
    v.push(b'"');
    String::from_utf8(v).expect("escaping keeps UTF-8")
}

impl<'a> ReportWriter<'a> {
    pub fn new(out: Box<dyn Write + Send + 'a>, processor: &'a Processor) -> Self {
        let rules = processor.engine().rules().len();
        Self { out, processor, lines_before: 0, findings: 0, per_rule: vec![0; rules] }
    }

    /// Writes the findings of a batch of `lines` lines whose findings are numbered from 0.
    pub fn batch(&mut self, findings: &[Finding], lines: u64) -> io::Result<()> {
        let rules = self.processor.engine().rules();
        for f in findings {
            let rule = &rules[usize::from(f.rule)];
            let action = if f.allowed {
                "allow"
            } else if f.fused {
                "redact"
            } else {
                action_name(&rule.action)
            };
            writeln!(
                self.out,
                "{{\"line\":{},\"start\":{},\"end\":{},\"rule\":{},\"category\":{},\"action\":\"{action}\"{}}}",
                self.lines_before + f.line + 1,
                f.start,
                f.end,
                quoted(&rule.name),
                quoted(&rule.category),
                if f.fused { ",\"fused\":true" } else { "" }
            )?;
            self.findings += 1;
            self.per_rule[usize::from(f.rule)] += 1;
        }
        self.lines_before += lines;
        Ok(())
    }

    /// Writes the summary line and flushes.
    pub fn finish(mut self) -> io::Result<()> {
        let rules = self.processor.engine().rules();
        let by_rule: Vec<String> =
            rules.iter().zip(&self.per_rule).map(|(r, n)| format!("{}:{n}", quoted(&r.name))).collect();
        let categories = self.processor.engine().by_category(&self.per_rule);
        let by_category: Vec<String> = categories.iter().map(|(c, n)| format!("{}:{n}", quoted(c))).collect();
        writeln!(
            self.out,
            "{{\"summary\":{{\"lines\":{},\"findings\":{},\"by_rule\":{{{}}},\"by_category\":{{{}}}}}}}",
            self.lines_before,
            self.findings,
            by_rule.join(","),
            by_category.join(",")
        )?;
        self.out.flush()
    }
}
