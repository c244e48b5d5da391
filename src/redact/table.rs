//! Helpers for the detectors' table-driven tests.
//!
//! A detector's tests are mostly tables: lines, and the substrings it must find in each, in
//! order. The tables are what differs from detector to detector; running a finder over a line and
//! comparing what it found is the same everywhere, so it is written once here, as methods of the
//! finder, and each table is asserted with one call: `find.finds(&[(line, &[want, ..]), ..])`,
//! `find.finds_nothing(&[line, ..])`. A failed case names its line, and the failure is reported
//! where the table is.
//!
//! Finders come in two shapes. Most take a line with its byte classes,
//! `fn(&[u8], &Classes, RuleId, &mut Vec<Span>) -> R`, returning a count or nothing: they are
//! used as they are, the classes computed from the line. Others take a value and more arguments
//! (authorization, cookie): a closure `|b: &[u8], out: &mut Vec<Span>|` supplies them.

use super::classes::Classes;
use super::span::{RuleId, Span};

/// A finder as the tables run it: over a whole line, as rule 0.
///
/// `M` only tells the two shapes apart (see the module docs) and is always inferred. A closure
/// needs its argument types written out: a trait other than `Fn` does not tell the compiler what
/// they are.
pub trait Finder<M> {
    fn find_in(&self, line: &[u8], out: &mut Vec<Span>);

    /// The substrings found on `line`, in order.
    fn found<'a>(&self, line: &'a str) -> Vec<&'a str> {
        let mut spans = Vec::new();
        self.find_in(line.as_bytes(), &mut spans);
        spans.iter().map(|sp| &line[sp.start..sp.end]).collect()
    }

    /// Asserts that exactly the substrings each case lists are found on its line, in order (an
    /// empty list: nothing).
    #[track_caller]
    fn finds(&self, cases: &[(&str, &[&str])]) {
        for (line, want) in cases {
            assert_eq!(self.found(line), *want, "{line}");
        }
    }

    /// Asserts that nothing is found on any of `lines`.
    #[track_caller]
    fn finds_nothing(&self, lines: &[&str]) {
        for line in lines {
            assert_eq!(self.found(line), Vec::<&str>::new(), "{line}");
        }
    }
}

/// The common finder signature: the classes are computed from the line; what it returns is not
/// looked at.
impl<F, R> Finder<fn(&[u8], &Classes, RuleId, &mut Vec<Span>) -> R> for F
where
    F: Fn(&[u8], &Classes, RuleId, &mut Vec<Span>) -> R,
{
    fn find_in(&self, line: &[u8], out: &mut Vec<Span>) {
        self(line, &Classes::of(line), 0, out);
    }
}

/// A closure that calls a finder of another shape.
impl<F> Finder<fn(&[u8], &mut Vec<Span>)> for F
where
    F: Fn(&[u8], &mut Vec<Span>),
{
    fn find_in(&self, line: &[u8], out: &mut Vec<Span>) {
        self(line, out);
    }
}
