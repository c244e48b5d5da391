//! JSON object lines, member by member: every key, string and number is redacted where it
//! stands (decoded first when it holds escapes, re-escaped after; a number that held a find
//! becomes a string), and field and key rules replace values by key path or key name, so the
//! line stays valid JSON.
//!
//! The whole line is scanned once first, and only the strings its finds overlap are scanned on
//! their own (`Engine::prescan_json` says when that is exact); a string in which it found only
//! IPv4 addresses takes those finds as its own (see `Prescan`). Field rules claim a JSON value by
//! its key path, key rules by its key name at any depth (`{"auth":{"token":..}}`); a value they
//! replace whole is scanned only if the line's scan shows it could hold a find that wins
//! (`Processor::seed_stands`). A line that starts like JSON but does not parse is scanned as
//! text, with its field rules applied by key name (`Processor::broken_json_seeds`).

use super::{Finding, LineScratch, Processor, Stats};
use crate::format::{Format, json};
use crate::redact::span::Span;
use crate::redact::{Action, keywords};

/// True if the JSON key path `path` (ranges in `b` of the decoded keys, outermost first) is
/// written `name` in dotted form (`user.email`).
fn path_is(b: &[u8], path: &[(usize, usize)], name: &str) -> bool {
    // Most keys end no field name: the last segment's bytes turn them away before any split.
    let Some(&(s, e)) = path.last() else { return false };
    let (name_bytes, key) = (name.as_bytes(), &b[s..e]);
    if key.last().is_some_and(|k| Some(k) != name_bytes.last()) || !name_bytes.ends_with(key) {
        return false;
    }
    let mut segments = name.split('.');
    path.iter().all(|&(s, e)| segments.next().is_some_and(|seg| seg.as_bytes() == &b[s..e]))
        && segments.next().is_none()
}

/// A JSON string's contents as text: decoded into `buf` if it has escapes, else as they are.
fn decode<'a>(raw: &'a [u8], escaped: bool, buf: &'a mut Vec<u8>) -> &'a [u8] {
    if !escaped {
        return raw;
    }
    buf.clear();
    json::unescape(raw, buf);
    buf
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

/// What the JSON member walk found: categories still carried, and whether the root object still
/// has members after drops.
pub(super) struct JsonOutcome {
    pub(super) carried: u64,
    pub(super) has_members: bool,
}

/// How a JSON string token that the line's prescan does not clear is scanned.
#[derive(Clone, Copy, Debug)]
enum Prescan {
    /// On its own (decoded, if it has escapes).
    Scan,
    /// Not at all: the prescan's finds in it (`LineScratch::line_hits[first..end]`) are its own.
    /// Taken only when they all lie within the token, which has no escapes, and are IPv4
    /// addresses: the IPv4 finder reads a quote next to an address as it reads a region's end
    /// (it is none of the bytes that join an address to its neighbours), so it finds the same
    /// addresses in the token alone; and anything else the token's own scan would find, the line's scan finds
    /// too (see `Engine::prescan_json`), so it would be among them. A JSON log's client
    /// address is then rendered without a second scan.
    Reuse(usize, usize),
}

impl LineScratch {
    /// The range of `line_hits` that overlap token `t`, given `first`, the first hit that ends
    /// after `t` starts (the hits are sorted and disjoint, so the rest of them start before `t`
    /// ends).
    fn hits_over(&self, first: usize, t: json::Token) -> std::ops::Range<usize> {
        first..first + self.line_hits[first..].partition_point(|h| h.start < t.end)
    }
}

impl Processor {
    /// A line that starts like JSON but did not parse (truncated, nested too deep) is scanned as
    /// text, but its JSON field rules must still apply: each `"key": value` whose key is the last
    /// segment of a JSON field rule's path gets that rule. A string value ends at its closing
    /// quote; a scalar at `,`, `}`, `]` or a space; an object or array, which cannot be delimited
    /// in a broken line, is taken to the end of the line (fail closed).
    pub(super) fn broken_json_seeds(&self, body: &[u8], s: &mut LineScratch) {
        let mut after = 0;
        for colon in memchr::memchr_iter(b':', body) {
            if colon < after {
                continue;
            }
            let key_end = body[..colon].trim_ascii_end().len();
            if key_end < 2 || body[key_end - 1] != b'"' {
                continue;
            }
            let Some(key_start) = memchr::memrchr(b'"', &body[..key_end - 1]).map(|i| i + 1) else { continue };
            let raw = &body[key_start..key_end - 1];
            let Ok(key) = std::str::from_utf8(decode(raw, raw.contains(&b'\\'), &mut s.decoded)) else { continue };
            let Some(rule) = self.engine.field_rule(Format::Json, |n| n.rsplit('.').next() == Some(key)) else {
                continue;
            };
            let start = skip_ws(body, colon + 1);
            let (start, end) = match body.get(start) {
                Some(b'"') => (start + 1, keywords::quoted_end(body, start + 1, b'"')),
                Some(b'{' | b'[') => (start, body.len()),
                _ => (
                    start,
                    body[start..]
                        .iter()
                        .position(|c| matches!(c, b',' | b'}' | b']' | b' '))
                        .map_or(body.len(), |i| start + i),
                ),
            };
            if end > start {
                s.seeds.push(self.engine.field_span(body, start, end, rule, false));
                after = end;
            }
        }
    }

    /// True if a field or key rule's seed, which covers the whole of the JSON string value `v`
    /// (text `text`), is all that a find over the value would leave, as the line's prescan
    /// shows: then the value needs no scan of its own. A seed over the whole value contains every
    /// other find in it and wins against them, except against a find of the same range by a rule
    /// listed earlier. The value's own finds are finds of the line's scan too (see
    /// `Engine::prescan_json`), so when every hit of that scan that overlaps the value lies
    /// within it, such a find would show there as a hit of the value's whole range: none may be
    /// one, by an earlier rule or fused.
    fn seed_stands(&self, v: json::Token, seeds: &[Span], text: &[u8], s: &LineScratch) -> bool {
        let [seed] = seeds else { return false };
        if !s.gated || v.kind != json::Kind::Str || v.escaped || text.is_empty() {
            return false;
        }
        if (seed.start, seed.end) != (0, text.len()) || self.engine.scan_alone(text) {
            return false;
        }
        let whole = (v.start, v.end);
        let first = s.line_hits.partition_point(|h| h.end <= v.start);
        s.line_hits[s.hits_over(first, v)].iter().all(|h| {
            h.start >= v.start && h.end <= v.end && ((h.start, h.end) != whole || (!h.fused && h.rule > seed.rule))
        })
    }

    /// Writes a JSON line up to (not including) its closing brace with every key, string and
    /// number redacted, and field rules applied to the values at their key paths.
    pub(super) fn json_members(
        &self,
        body: &[u8],
        doc: json::Doc,
        s: &mut LineScratch,
        stats: &mut Stats,
        out: &mut Vec<u8>,
    ) -> JsonOutcome {
        let field_rules = self.engine.has_field_rules(Format::Json);
        s.gated = !self.options.json_strings_alone && self.engine.prescan_json(body, &mut s.redact);
        s.line_hits.clear();
        s.hits_passed = 0;
        if s.gated {
            s.line_hits.extend_from_slice(s.redact.spans());
        }
        // Root members dropped by a rule: the tags need a comma before them unless that was all.
        let mut dropped = 0;
        let mut carried = 0;
        let mut at = 0;
        let mut skip_until = 0;
        s.path.clear();
        s.path_text.clear();
        for i in 0..s.tokens.len() {
            let t = s.tokens[i];
            if t.start < skip_until {
                continue;
            }
            let mut field = None;
            let mut member = None;
            if t.kind == json::Kind::Key {
                if field_rules {
                    s.path.truncate(t.depth - 1);
                    let start = s.path.last().map_or(0, |&(_, end)| end);
                    s.path_text.truncate(start);
                    let raw = &body[t.start..t.end];
                    if t.escaped {
                        json::unescape(raw, &mut s.path_text);
                    } else {
                        s.path_text.extend_from_slice(raw);
                    }
                    s.path.push((start, s.path_text.len()));
                    let (path, text) = (&s.path, &s.path_text);
                    field = self.engine.field_rule_sized(Format::Json, text.len() - start, |n| path_is(text, path, n));
                }
                // Key rules claim members by key name at any depth: strings, numbers and arrays.
                let v = s.tokens[i + 1];
                let claimable = matches!(v.kind, json::Kind::Str | json::Kind::Num)
                    || (v.kind == json::Kind::Open && body[v.start] == b'[');
                if field.is_none() && claimable {
                    member = self.engine.member_rule(decode(&body[t.start..t.end], t.escaped, &mut s.decoded));
                    field = member.map(|(rule, _)| rule);
                }
            }
            if let Some(rule) = field {
                let v = s.tokens[i + 1];
                let (value_start, value_end) = match v.kind {
                    json::Kind::Str => (v.start - 1, v.end + 1),
                    _ => (v.start, v.end),
                };
                skip_until = value_end;
                if *self.engine.action(rule) == Action::Drop {
                    self.engine.count(rule, &mut stats.redactions);
                    if self.options.report {
                        let (start, end, line) = (t.start - 1, value_end, s.line_no);
                        s.findings.push(Finding { line, start, end, rule, allowed: false, fused: false });
                    }
                    let key_quote = t.start - 1;
                    let after = skip_ws(body, value_end);
                    if body.get(after) == Some(&b',') {
                        out.extend_from_slice(&body[at..key_quote]);
                        at = skip_ws(body, after + 1);
                    } else {
                        let before = body[at..key_quote].iter().rposition(|c| !c.is_ascii_whitespace()).map(|p| at + p);
                        let cut = before.filter(|&p| body[p] == b',').unwrap_or(key_quote);
                        out.extend_from_slice(&body[at..cut]);
                        at = value_end;
                    }
                    dropped += usize::from(t.depth == 1);
                    continue;
                }
                // The key itself is scanned below like any string; then its value is replaced.
                if let Some(reuse) = self.prescan(body, t, s) {
                    carried |= self.json_string(body, t, reuse, &mut at, s, stats, out);
                }
                let mut decoded = std::mem::take(&mut s.decoded);
                let text = if v.kind == json::Kind::Str {
                    decode(&body[v.start..v.end], v.escaped, &mut decoded)
                } else {
                    &body[value_start..value_end]
                };
                let mut seeds = std::mem::take(&mut s.seeds);
                seeds.clear();
                match member {
                    Some((_, value)) => {
                        self.engine.member_seeds(rule, value, text, v.kind == json::Kind::Str, &mut seeds)
                    }
                    None => seeds.push(self.engine.field_span(text, 0, text.len(), rule, false)),
                }
                let found = if self.seed_stands(v, &seeds, text, s) {
                    s.redact.set_spans(seeds.iter().copied());
                    Some(self.render_found(text, v.start, s, stats))
                } else {
                    self.render_value(text, v.start, &seeds, s, stats)
                };
                s.seeds = seeds;
                s.decoded = decoded;
                if let Some(c) = found {
                    carried |= c;
                    out.extend_from_slice(&body[at..value_start]);
                    out.push(b'"');
                    json::escape(&s.rendered, out);
                    out.push(b'"');
                    at = value_end;
                }
                continue;
            }
            if matches!(t.kind, json::Kind::Lit | json::Kind::Open) {
                continue;
            }
            if let Some(reuse) = self.prescan(body, t, s) {
                carried |= self.json_string(body, t, reuse, &mut at, s, stats, out);
            }
        }
        out.extend_from_slice(&body[at..doc.root_close]);
        s.gated = false;
        let root_keys = || s.tokens.iter().filter(|t| t.depth == 1 && t.kind == json::Kind::Key).count();
        JsonOutcome { carried, has_members: doc.has_members && (dropped == 0 || root_keys() > dropped) }
    }

    /// What the line's prescan says of string token `t` (see [`Prescan`]): `None` if it stands
    /// for the token's own scan and found nothing in it, so that [`Processor::json_string`] is not
    /// called. Most strings of a JSON line end here, between the hit last passed and the next
    /// one, which this inline part checks; [`Processor::prescan_hits`] walks the hits otherwise.
    #[inline(always)]
    fn prescan(&self, body: &[u8], t: json::Token, s: &mut LineScratch) -> Option<Prescan> {
        if !s.gated || t.escaped {
            return Some(Prescan::Scan);
        }
        // The hits are sorted and disjoint: if the one before `hits_passed` ends by the string's
        // start and the one at it starts at or after its end, none overlaps the string.
        let (hits, next) = (&s.line_hits, s.hits_passed);
        let clear = hits.get(next).is_none_or(|h| h.start >= t.end) && (next == 0 || hits[next - 1].end <= t.start);
        if !clear {
            return self.prescan_hits(body, t, s);
        }
        self.engine.scan_alone(&body[t.start..t.end]).then_some(Prescan::Scan)
    }

    /// [`Processor::prescan`] for a string that the hit at `hits_passed`, or the one before it,
    /// may overlap: finds the first hit that ends after the string starts, from `hits_passed` on
    /// (or from the start, for a string before the last one), and keeps it in `hits_passed`.
    #[inline(never)]
    fn prescan_hits(&self, body: &[u8], t: json::Token, s: &mut LineScratch) -> Option<Prescan> {
        let hits = &s.line_hits;
        let mut first = s.hits_passed;
        if first > 0 && hits[first - 1].end > t.start {
            first = 0;
        }
        while hits.get(first).is_some_and(|h| h.end <= t.start) {
            first += 1;
        }
        s.hits_passed = first;
        if hits.get(first).is_none_or(|h| h.start >= t.end) {
            return self.engine.scan_alone(&body[t.start..t.end]).then_some(Prescan::Scan);
        }
        Some(self.overlapped(body, t, first, s))
    }

    /// How string token `t`, which the line's hits from `first` on overlap, is scanned (see
    /// [`Prescan`]).
    fn overlapped(&self, body: &[u8], t: json::Token, first: usize, s: &LineScratch) -> Prescan {
        let over = s.hits_over(first, t);
        let addresses = s.line_hits[over.clone()].iter().all(|h| h.end <= t.end && self.engine.is_ipv4_find(h));
        if addresses && !self.engine.scan_alone(&body[t.start..t.end]) {
            Prescan::Reuse(over.start, over.end)
        } else {
            Prescan::Scan
        }
    }

    /// Scans one key, string or number token (or takes the prescan's finds in it, see
    /// [`Prescan`]) and, if anything was found, writes everything up to it and its rewritten
    /// form (a number that held a find becomes a string).
    #[allow(clippy::too_many_arguments)]
    fn json_string(
        &self,
        body: &[u8],
        t: json::Token,
        how: Prescan,
        at: &mut usize,
        s: &mut LineScratch,
        stats: &mut Stats,
        out: &mut Vec<u8>,
    ) -> u64 {
        let found = match how {
            Prescan::Reuse(first, end) => {
                let shift = |h: &Span| Span { start: h.start - t.start, end: h.end - t.start, ..*h };
                s.redact.set_spans(s.line_hits[first..end].iter().map(shift));
                Some(self.render_found(&body[t.start..t.end], t.start, s, stats))
            }
            Prescan::Scan => {
                let mut decoded = std::mem::take(&mut s.decoded);
                let found =
                    self.render_value(decode(&body[t.start..t.end], t.escaped, &mut decoded), t.start, &[], s, stats);
                s.decoded = decoded;
                found
            }
        };
        let Some(carried) = found else { return 0 };
        out.extend_from_slice(&body[*at..t.start]);
        let quote = t.kind == json::Kind::Num;
        if quote {
            out.push(b'"');
        }
        json::escape(&s.rendered, out);
        if quote {
            out.push(b'"');
        }
        *at = t.end;
        carried
    }
}
