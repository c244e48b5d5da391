//! The redaction engine: every detector over a region of bytes in one pass each, spans merged by
//! priority, then rendered with each rule's action. Regex rules share one pass: their literal
//! anchors are scanned for together, and a regex runs only from where its anchor occurs
//! ([`anchors`]); key, authorization and cookie rules share the key finder's separator scan.
//!
//! [`Engine`] is built once from compiled rules and is immutable afterwards; workers share it by
//! reference and keep their own [`Scratch`] (reused buffers and the pseudonym cache), so the hot
//! path allocates nothing once the buffers have grown. The engine knows nothing of log formats:
//! the caller hands it regions (a whole text line, or one decoded JSON string) and gets back the
//! set of personal-data categories the rendered region still carries, which drives retention.
//! Bytes outside spans are copied unchanged, whatever they are.

pub mod anchors;
pub mod authorization;
pub mod card;
pub mod classes;
pub mod cookie;
pub mod email;
pub mod iban;
pub mod ipv4;
pub mod ipv6;
pub mod keywords;
pub mod pairs;
pub mod pattern;
pub mod pem;
pub mod phone;
mod replace;
pub mod span;
#[cfg(test)]
pub(crate) mod table;
pub mod tail;
pub mod userinfo;

use crate::anonymize::rotation::KeySchedule;
use crate::anonymize::{self, IpPseudonym, WorkerKeys};
use crate::format::{Field, Format};
use classes::Classes;
use ipnet::IpNet;
use replace::{mask, write_ipv4, write_ipv6, write_truncated, zero_numbers};
use span::{Found, RuleId, Span};
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};

/// Numbers engines, so that a worker's scratch knows whose patterns its capture slots fit.
static ENGINES: AtomicU64 = AtomicU64::new(1);

/// The category a hashed value carries: pseudonymous data, with its own retention.
pub const PSEUDONYMOUS: &str = "pseudonymous";

/// What finds a rule's values.
#[derive(Clone, Debug)]
pub enum Detector {
    Ipv4,
    Ipv6,
    Email,
    Card,
    /// Phone numbers in the shapes people write them (opt-in).
    Phone,
    /// IBANs with a valid mod-97 check (opt-in).
    Iban,
    /// PEM private-key bodies, and lines that look like one.
    PrivateKey,
    /// The password of a URL's user information (`//user:password@host`).
    UrlPassword,
    /// The credentials of `Authorization` and `Proxy-Authorization` header values.
    Authorization,
    /// Cookie values of `Cookie` and `Set-Cookie` header values.
    Cookie,
    Pattern(pattern::Pattern),
    Literals {
        literals: Vec<String>,
        case_insensitive: bool,
    },
    /// Values after keys; a key written `*suffix` matches every key ending in `suffix`.
    Keys(Vec<String>),
    /// Named fields of structured formats (`remote_user`, logfmt `user`, JSON `user.email`),
    /// whatever their value. Field spans are found by the caller, which knows the format, and
    /// passed in as seeds.
    Field(Vec<String>),
}

/// A built-in detector's search of a region: given the region, its classes and the rule, it
/// pushes the spans it finds (with `groups` as room for a card's digit groups) and returns how
/// many candidates its confirmation rejected. A plain function, so that a region's find calls
/// each detector of its format through one pointer rather than matching on the detector.
type Search = fn(&[u8], &Classes, RuleId, &mut Vec<Span>, &mut Vec<(usize, usize)>) -> usize;

impl Detector {
    /// True for detectors whose finds may be IP addresses (and so may be truncated).
    pub fn finds_ips(&self) -> bool {
        matches!(self, Detector::Ipv4 | Detector::Ipv6 | Detector::Field(_))
    }

    /// The search of a detector that scans regions on its own; `None` for those the engine
    /// gathers into shared searches (patterns, literals, keys) or the caller finds (fields).
    fn search(&self) -> Option<Search> {
        Some(match self {
            Detector::Ipv4 => |b, cl, id, out, _| ipv4::find(b, cl, id, out),
            Detector::Ipv6 => |b, cl, id, out, _| ipv6::find(b, cl, id, out),
            Detector::Email => |b, cl, id, out, _| email::find(b, cl, id, out),
            Detector::Card => card::find,
            Detector::Phone => |b, cl, id, out, _| phone::find(b, cl, id, out),
            Detector::Iban => |b, cl, id, out, _| iban::find(b, cl, id, out),
            Detector::PrivateKey => |b, cl, id, out, _| pem::find(b, cl, id, out),
            Detector::UrlPassword => |b, cl, id, out, _| userinfo::find(b, cl, id, out),
            Detector::Authorization
            | Detector::Cookie
            | Detector::Pattern(_)
            | Detector::Literals { .. }
            | Detector::Keys(_)
            | Detector::Field(_) => return None,
        })
    }
}

/// What a rule does to what it finds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Replace an address by its network address (IP rules only).
    Truncate { v4_prefix: u8, v6_prefix: u8 },
    /// Replace by a keyed pseudonym `prefix-<16 hex>`.
    Hash,
    /// Replace letters and digits by `*`, keeping the last `keep_last` of them and all separators.
    Mask { keep_last: usize },
    /// Replace by the rule's replacement text.
    Redact,
    /// Leave the value as it is; the line keeps carrying the rule's category.
    Keep,
    /// Remove the value (a positional field becomes `-`; a logfmt pair or JSON member goes).
    Drop,
}

/// One compiled rule.
#[derive(Clone, Debug)]
pub struct Rule {
    pub name: String,
    pub detector: Detector,
    pub action: Action,
    /// Category of the personal data this rule finds (drives retention when kept).
    pub category: String,
    /// Text for `Redact` (and for fused overlaps).
    pub replacement: String,
    /// Token prefix for `Hash` on non-IP values.
    pub token_prefix: String,
    /// Formats whose lines the rule applies to; empty means all.
    pub formats: Vec<Format>,
}

impl Rule {
    fn scope(&self) -> u8 {
        if self.formats.is_empty() { u8::MAX } else { self.formats.iter().fold(0, |m, f| m | f.bit()) }
    }
}

/// The field rules that apply to one format.
#[derive(Clone, Debug)]
struct FieldRules {
    /// The rules and the field names each targets, in priority order.
    rules: Vec<(RuleId, Vec<String>)>,
    /// The lengths of those names and of their last dotted segments (a JSON member's key is
    /// matched against the last segment), as [`length_bit`]s. A line's lookups are made for every
    /// field or member it has, and few are named by any rule: the length turns most of them away
    /// before any name is compared.
    lengths: u64,
    /// The rule of each of the format's positional fields that has one (see
    /// [`Format::positional_names`]): (position, rule), by position.
    by_position: Vec<(usize, RuleId)>,
}

impl FieldRules {
    fn new(rules: Vec<(RuleId, Vec<String>)>, format: Format) -> Self {
        let lengths = rules.iter().flat_map(|(_, names)| names).fold(0, |l, n| {
            let last = n.rsplit('.').next().unwrap_or(n);
            l | length_bit(n.len()) | length_bit(last.len())
        });
        let by_position = format
            .positional_names()
            .iter()
            .enumerate()
            .filter_map(|(i, field)| Some((i, first(&rules, |n| n == *field)?)))
            .collect();
        Self { rules, lengths, by_position }
    }

    /// False if no name (nor last dotted segment) is `len` bytes long.
    #[inline]
    fn may_name(&self, len: usize) -> bool {
        self.lengths & length_bit(len) != 0
    }
}

/// The first of `rules` (in priority order) with a name that `is_named` accepts.
fn first(rules: &[(RuleId, Vec<String>)], is_named: impl Fn(&str) -> bool) -> Option<RuleId> {
    rules.iter().find(|(_, names)| names.iter().any(|n| is_named(n))).map(|(id, _)| *id)
}

/// `items` (each with its rule) split by format, by `Format as usize`: each list holds, in their
/// order, the items whose rule applies to that format.
fn per_format<T: Clone>(items: &[(RuleId, T)], scope: &[u8]) -> Vec<Vec<(RuleId, T)>> {
    let applies = |id: RuleId, f: Format| scope[usize::from(id)] & f.bit() != 0;
    Format::ALL.iter().map(|&f| items.iter().filter(|(id, _)| applies(*id, f)).cloned().collect()).collect()
}

/// A name length's bit in a set of lengths: bit `n`, or bit 63 for 63 bytes and more.
fn length_bit(n: usize) -> u64 {
    1 << n.min(63)
}

/// One anchor automaton per format (by `Format as usize`), over the patterns that apply to it.
/// Formats whose patterns are the same share one automaton (a clone shares the compiled
/// automaton), which keeps start-up short when no rule is limited to some formats.
fn anchors_per_format(
    anchor_of: &[Option<pattern::Anchor>],
    patterns: &[(RuleId, pattern::Pattern)],
    scope: &[u8],
) -> Vec<anchors::Anchors> {
    let mut built: Vec<(Vec<bool>, anchors::Anchors)> = Vec::new();
    Format::ALL
        .iter()
        .map(|f| {
            let applies: Vec<bool> = patterns.iter().map(|(id, _)| scope[usize::from(*id)] & f.bit() != 0).collect();
            if let Some((_, same)) = built.iter().find(|(a, _)| *a == applies) {
                return same.clone();
            }
            let made = anchors::Anchors::scoped(anchor_of, |k| applies[k]);
            built.push((applies, made.clone()));
            made
        })
        .collect()
}

/// Why a set of rules cannot make an engine.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EngineError {
    #[error("rule '{0}' hashes values, but no key was given (use --key-file or LOGANON_KEY_FILE)")]
    HashWithoutKey(String),
    #[error("rule '{0}': truncate applies to IP addresses only")]
    TruncateNonIp(String),
    #[error("more than 63 distinct categories")]
    TooManyCategories,
    #[error("more than {} rules", RuleId::MAX)]
    TooManyRules,
}

/// Per-rule counts kept by a worker and summed at the end.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Values rewritten, per rule index.
    pub per_rule: Vec<u64>,
    /// Addresses left as they were because an allow-list holds them.
    pub allowed: u64,
    /// Overlapping finds fused into one redaction.
    pub fused: u64,
}

impl Counters {
    pub fn add(&mut self, other: &Counters) {
        if self.per_rule.len() < other.per_rule.len() {
            self.per_rule.resize(other.per_rule.len(), 0);
        }
        for (a, b) in self.per_rule.iter_mut().zip(&other.per_rule) {
            *a += b;
        }
        self.allowed += other.allowed;
        self.fused += other.fused;
    }
}

/// A worker's reusable buffers.
#[derive(Default)]
pub struct Scratch {
    spans: Vec<Span>,
    /// Byte classes of the region being scanned, shared by the detectors.
    classes: Classes,
    /// The region (address, length) `classes` was made for by [`Scratch::classify`], for the
    /// next find to use instead of classifying again.
    classified: Option<(usize, usize)>,
    groups: Vec<(usize, usize)>,
    norm: Vec<u8>,
    keys: WorkerKeys,
    /// Event time of the current line (Unix seconds): picks the period key under rotation.
    time: i64,
    /// Candidates the built-in detectors' confirmation rejected, per rule index.
    rejected: Vec<u64>,
    /// The regex rules (by index in `Engine::patterns`) whose anchor occurs in the region being
    /// scanned, each with where its matches can start.
    anchor_hits: Vec<anchors::Hit>,
    /// Search state (cache and capture slots) per regex rule, made on first use, and the engine
    /// they were made for.
    searches: Vec<Option<pattern::Search>>,
    searches_of: u64,
}

impl Scratch {
    /// Candidates each rule's confirmation rejected so far (Luhn, octets, domains), by rule index.
    pub fn rejected(&self) -> &[u64] {
        &self.rejected
    }

    /// The merged spans left by the last [`Engine::find`].
    pub fn spans(&self) -> &[Span] {
        &self.spans
    }

    /// Sets the spans for the next [`Engine::render`] to finds made elsewhere, which must be
    /// what a find over the region to render would leave (sorted, disjoint, merged).
    pub fn set_spans(&mut self, spans: impl IntoIterator<Item = Span>) {
        self.spans.clear();
        self.spans.extend(spans);
    }

    /// The byte classes of `region`, kept for the next [`Engine::find`] if it is over the same
    /// region (same address and length): a caller that splits a line into fields with them pays
    /// for one classification. The region must not change before that find.
    pub fn classify(&mut self, region: &[u8]) -> &Classes {
        self.classes.classify(region);
        self.classified = Some((region.as_ptr() as usize, region.len()));
        &self.classes
    }

    /// Drops classes made ahead by [`Scratch::classify`] that no find has used (a region that
    /// went unscanned, such as a JSON object without members), so that they cannot serve a later
    /// region at the same address in a reused buffer. `Processor::line` calls it for every line.
    pub fn forget_classes(&mut self) {
        self.classified = None;
    }

    /// Frees the buffers that grow with the longest region scanned (the spans, the class masks,
    /// the normalized text), keeping the caches. Returns the heap bytes they held.
    pub fn release_region_buffers(&mut self) -> usize {
        use crate::heap::free;
        self.classified = None;
        free(&mut self.spans) + std::mem::take(&mut self.classes).held() + free(&mut self.norm)
    }

    /// Sets the event time of the line about to be rendered: under key rotation it picks the
    /// period whose key the line's pseudonyms use.
    pub fn set_time(&mut self, time: i64) {
        self.time = time;
    }
}

/// Sums `(category, count)` pairs by category, in order of first appearance: how per-rule
/// counts are reported per category (stats, report, serve metrics).
pub fn sum_by_category<'a>(pairs: impl Iterator<Item = (&'a str, u64)>) -> Vec<(&'a str, u64)> {
    let mut out: Vec<(&str, u64)> = Vec::new();
    for (category, n) in pairs {
        match out.iter_mut().find(|(c, _)| *c == category) {
            Some(slot) => slot.1 += n,
            None => out.push((category, n)),
        }
    }
    out
}

/// What a find scans: a region to redact, or the raw text of a whole JSON line for
/// [`Engine::prescan_json`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pass {
    /// Rejected candidates are counted per rule.
    Region,
    /// Nothing is counted (each string is counted when it is scanned or rendered), and the
    /// line's member separators (`"key":`) are not read as key pairs: the caller claims members
    /// by key name from the JSON structure ([`Engine::member_rule`]), and a pair made of a
    /// member's key is in no string, so it is no string's own find. Looking up every member's key
    /// was four fifths of the key scan on a log of JSON lines, and 6% of the whole run.
    JsonLine,
}

/// The compiled, immutable redaction engine.
#[derive(Clone, Debug)]
pub struct Engine {
    rules: Vec<Rule>,
    /// Category bit carried by each rule's output, by rule index.
    carries: Vec<u64>,
    category_names: Vec<String>,
    /// The built-in detectors' rules, in priority order, per format (by `Format as usize`): a
    /// region's find walks only those that apply to its format.
    builtin: Vec<Vec<(RuleId, Search)>>,
    patterns: Vec<(RuleId, pattern::Pattern)>,
    /// The literal anchors of `patterns`, in one automaton per format (by `Format as usize`),
    /// each over the patterns that apply to that format.
    anchors: Vec<anchors::Anchors>,
    /// This engine's number (clones share it: they have the same patterns).
    id: u64,
    literals: keywords::Literals,
    keys: keywords::Keys,
    /// True if some key rule applies to JSON lines (their members are looked up by key name).
    json_keys: bool,
    /// The field rules of each format (by `Format as usize`).
    fields: Vec<FieldRules>,
    /// Format bits each rule applies to, by rule index.
    scope: Vec<u8>,
    /// True if some literal or key rule is limited to some formats (their finds are filtered).
    scoped_shared: bool,
    allow: Vec<IpNet>,
    keyed: Option<KeySchedule>,
    /// True if private-key body lines are found in JSON values: a value can be one only as a
    /// whole region (see [`Engine::scan_alone`]).
    json_body_lines: bool,
}

impl Engine {
    /// Compiles `rules` (in priority order) with an IP allow-list and an optional key.
    pub fn new(rules: Vec<Rule>, allow: Vec<IpNet>, keyed: Option<KeySchedule>) -> Result<Self, EngineError> {
        if rules.len() > usize::from(RuleId::MAX) {
            return Err(EngineError::TooManyRules);
        }
        let mut category_names: Vec<String> = vec![PSEUDONYMOUS.to_owned()];
        let mut bit_of = |name: &str| -> Result<u64, EngineError> {
            let i = match category_names.iter().position(|c| c == name) {
                Some(i) => i,
                None => {
                    category_names.push(name.to_owned());
                    category_names.len() - 1
                }
            };
            if i >= 63 { Err(EngineError::TooManyCategories) } else { Ok(1 << i) }
        };
        let mut carries = Vec::with_capacity(rules.len());
        let (mut builtin, mut patterns, mut fields) = (Vec::new(), Vec::new(), Vec::new());
        let (mut exact, mut folded, mut keys) = (Vec::new(), Vec::new(), Vec::new());
        for (i, rule) in rules.iter().enumerate() {
            let id = i as RuleId;
            match &rule.action {
                Action::Hash if keyed.is_none() => return Err(EngineError::HashWithoutKey(rule.name.clone())),
                Action::Truncate { .. } if !rule.detector.finds_ips() => {
                    return Err(EngineError::TruncateNonIp(rule.name.clone()));
                }
                _ => {}
            }
            carries.push(match rule.action {
                Action::Hash => bit_of(PSEUDONYMOUS)?,
                Action::Keep => bit_of(&rule.category)?,
                _ => 0,
            });
            match &rule.detector {
                Detector::Pattern(p) => patterns.push((id, p.clone())),
                Detector::Literals { literals, case_insensitive } => {
                    let into = if *case_insensitive { &mut folded } else { &mut exact };
                    into.extend(literals.iter().map(|l| (id, l.clone())));
                }
                Detector::Keys(k) => keys.extend(k.iter().map(|k| (id, k.clone(), keywords::Value::Plain))),
                Detector::Authorization => keys.extend(
                    ["authorization", "proxy-authorization"]
                        .map(|k| (id, k.to_owned(), keywords::Value::Authorization)),
                ),
                Detector::Cookie => keys.extend([
                    (id, "cookie".to_owned(), keywords::Value::Cookie { set: false }),
                    (id, "set-cookie".to_owned(), keywords::Value::Cookie { set: true }),
                ]),
                Detector::Field(names) => fields.push((id, names.clone())),
                d => builtin.push((id, d.search().expect("every other detector searches on its own"))),
            }
        }
        let scope: Vec<u8> = rules.iter().map(Rule::scope).collect();
        let by_key = |d: &Detector| matches!(d, Detector::Keys(_) | Detector::Authorization | Detector::Cookie);
        let scoped_shared = rules
            .iter()
            .any(|r| !r.formats.is_empty() && (by_key(&r.detector) || matches!(r.detector, Detector::Literals { .. })));
        let json_keys = rules.iter().zip(&scope).any(|(r, s)| by_key(&r.detector) && s & Format::Json.bit() != 0);
        let json_body_lines = rules
            .iter()
            .zip(&scope)
            .any(|(r, s)| matches!(r.detector, Detector::PrivateKey) && s & Format::Json.bit() != 0);
        let anchor_of: Vec<_> =
            patterns.iter().map(|(_, p): &(RuleId, pattern::Pattern)| p.anchor().cloned()).collect();
        Ok(Self {
            anchors: anchors_per_format(&anchor_of, &patterns, &scope),
            id: ENGINES.fetch_add(1, Ordering::Relaxed),
            scoped_shared,
            literals: keywords::Literals::new(&exact, &folded),
            keys: keywords::Keys::new(&keys),
            json_keys,
            rules,
            carries,
            category_names,
            builtin: per_format(&builtin, &scope),
            patterns,
            fields: per_format(&fields, &scope)
                .into_iter()
                .zip(Format::ALL)
                .map(|(f, format)| FieldRules::new(f, format))
                .collect(),
            scope,
            allow,
            keyed,
            json_body_lines,
        })
    }

    /// The key schedule hash rules use, if a key was given.
    pub fn key_schedule(&self) -> Option<&KeySchedule> {
        self.keyed.as_ref()
    }

    /// The first second of the key period the current line's pseudonyms were made in, if keys
    /// rotate, lines are to be stamped with it (`key_period=`), and the line's output still
    /// carries pseudonyms (`carried`, from [`Engine::render`]).
    pub fn key_period_stamp(&self, scratch: &Scratch, carried: u64) -> Option<i64> {
        let schedule = self.keyed.as_ref()?;
        schedule.rotation().filter(|r| r.stamp)?;
        let bit = self.category_names.iter().position(|c| c == PSEUDONYMOUS)?;
        (carried & (1 << bit) != 0).then(|| schedule.period_start(schedule.period_of(scratch.time)))
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Sums per-rule counts by the rules' categories, in order of first appearance.
    pub fn by_category(&self, per_rule: &[u64]) -> Vec<(&str, u64)> {
        let counts = per_rule.iter().copied().chain(std::iter::repeat(0));
        sum_by_category(self.rules.iter().map(|r| r.category.as_str()).zip(counts))
    }

    /// Category names by bit index (bit `i` of a carried set is `category_names()[i]`).
    pub fn category_names(&self) -> &[String] {
        &self.category_names
    }

    /// True if some rule targets named fields in lines of `format`.
    pub fn has_field_rules(&self, format: Format) -> bool {
        !self.fields[format as usize].rules.is_empty()
    }

    fn in_scope(&self, rule: RuleId, format: Format) -> bool {
        self.scope[usize::from(rule)] & format.bit() != 0
    }

    /// The first rule (in priority order) that targets a field, by name, in `format`.
    pub fn field_rule(&self, format: Format, is_named: impl Fn(&str) -> bool) -> Option<RuleId> {
        first(&self.fields[format as usize].rules, is_named)
    }

    /// The rules of `format`'s positional fields, as (position, rule) by position: what
    /// [`Engine::rule_of_field`] gives for those fields.
    pub fn rules_by_position(&self, format: Format) -> &[(usize, RuleId)] {
        &self.fields[format as usize].by_position
    }

    /// The first rule (in priority order) that targets `field` of a line `line` in `format`.
    #[inline]
    pub fn rule_of_field(&self, format: Format, field: &Field, line: &[u8]) -> Option<RuleId> {
        if field.name_len().is_some_and(|n| !self.fields[format as usize].may_name(n)) {
            return None;
        }
        self.field_rule(format, |n| field.is(line, n))
    }

    /// [`Engine::field_rule`] for a field whose name, or (for a JSON member's key path) whose last
    /// dotted segment, is `len` bytes long: most lengths are no rule's, and those fields are
    /// turned away without a name compared.
    #[inline]
    pub fn field_rule_sized(&self, format: Format, len: usize, is_named: impl Fn(&str) -> bool) -> Option<RuleId> {
        if !self.fields[format as usize].may_name(len) {
            return None;
        }
        self.field_rule(format, is_named)
    }

    /// The key rule (keys, authorization or cookie) that claims a JSON member named `key`, and how
    /// its value is read. JSON members are looked up by key name at any depth, as the key finder
    /// looks keys up in text; the caller skips values that are objects (their own members are
    /// looked up) and `true`/`false`/`null`.
    #[inline]
    pub fn member_rule(&self, key: &[u8]) -> Option<(RuleId, keywords::Value)> {
        if !self.json_keys {
            return None;
        }
        self.keys.lookup(key, |r| self.in_scope(r, Format::Json))
    }

    /// Seeds for the value of a JSON member claimed by [`Engine::member_rule`]: `text` is the
    /// value (decoded, if a string). Header values that are strings are read by their grammar
    /// (the scheme and cookie names stay); any other value is claimed whole.
    pub fn member_seeds(&self, rule: RuleId, value: keywords::Value, text: &[u8], string: bool, out: &mut Vec<Span>) {
        if string {
            keywords::header_value(text, 0, text.len(), true, rule, value, out);
        } else if !text.is_empty() {
            out.push(self.field_span(text, 0, text.len(), rule, false));
        }
    }

    /// The action of a rule.
    pub fn action(&self, rule: RuleId) -> &Action {
        &self.rules[usize::from(rule)].action
    }

    /// Gives `counters` a slot per rule (a worker's counters start empty).
    fn size(&self, counters: &mut Counters) {
        if counters.per_rule.len() < self.rules.len() {
            counters.per_rule.resize(self.rules.len(), 0);
        }
    }

    /// Counts a value that `rule` removed without rendering (a dropped JSON member).
    pub fn count(&self, rule: RuleId, counters: &mut Counters) {
        self.size(counters);
        counters.per_rule[usize::from(rule)] += 1;
    }

    /// A span for a whole field value found by `rule`: an address if the value is one (so that
    /// truncation and address pseudonyms apply), else a plain value.
    pub fn field_span(&self, region: &[u8], start: usize, end: usize, rule: RuleId, positional: bool) -> Span {
        let value = &region[start..end];
        // Only hex digits, dots and colons can make an address (with brackets around it, and a
        // port after): most values (user names) are turned away by their bytes alone before any
        // split or the standard parser runs (which cost 600 instructions a value).
        let may_be_ip = value.iter().all(|c| c.is_ascii_hexdigit() || matches!(c, b'.' | b':' | b'[' | b']'));
        let parse = |a: &str| a.parse::<IpAddr>().ok();
        let ip = may_be_ip.then(|| std::str::from_utf8(value).ok()).flatten().and_then(|v| {
            let v = v.trim_start_matches('[');
            let v = v.split_once(']').map_or(v, |(a, _)| a);
            parse(v).or_else(|| v.rsplit_once(':').and_then(|(a, _)| parse(a)))
        });
        let found = match ip {
            Some(addr) => Found::Ip(addr),
            None if positional => Found::Slot,
            None => Found::Other,
        };
        Span::new(start, end, rule, found)
    }

    /// Runs every detector that applies to `format` over `region`, adds `seeds` (spans the
    /// caller found, such as named fields), and leaves the merged spans in `scratch`; true if
    /// there are any.
    pub fn find(&self, region: &[u8], format: Format, seeds: &[Span], scratch: &mut Scratch) -> bool {
        self.find_in(region, format, seeds, scratch, Pass::Region)
    }

    /// Scans a whole JSON line's raw text, so that its strings need not each be scanned: leaves
    /// the merged spans in `scratch` and returns true if they can stand for the strings' own.
    ///
    /// A value's finds are finds in the line too, since every detector reads a value's edges
    /// in the line (a string's quotes; the `:`, `,` and brackets around a number, which no
    /// number-shaped find depends on) as it reads the ends of a region, and literals and key
    /// pairs are found whatever surrounds them: so a value that no span of the line's overlaps
    /// has nothing to find, unless it has escapes (it is scanned decoded) or
    /// [`Engine::scan_alone`] says so. `tests/properties.rs` checks this on generated lines
    /// against scanning every value alone. Regex rules are the exception, as a pattern may match
    /// across a quote: when the anchor of one occurs anywhere in the line, or one has no anchor,
    /// this returns false and every string is scanned on its own. Rejected candidates are not
    /// counted here, and the line's own `"key":` separators are not read as key pairs: members
    /// are claimed by key name from the structure ([`Engine::member_rule`]).
    pub fn prescan_json(&self, line: &[u8], scratch: &mut Scratch) -> bool {
        self.find_in(line, Format::Json, &[], scratch, Pass::JsonLine);
        self.patterns.is_empty() || scratch.anchor_hits.is_empty()
    }

    /// True if a JSON value's text must be scanned on its own even where [`Engine::prescan_json`]
    /// found nothing: it could be a private-key body line, which is found only as a whole region.
    #[inline]
    pub fn scan_alone(&self, text: &[u8]) -> bool {
        // Most values are shorter than a body line even before trimming.
        self.json_body_lines && text.len() >= pem::BODY_WIDTHS[0] && pem::BODY_WIDTHS.contains(&text.trim_ascii().len())
    }

    fn find_in(&self, region: &[u8], format: Format, seeds: &[Span], scratch: &mut Scratch, pass: Pass) -> bool {
        let spans = &mut scratch.spans;
        spans.clear();
        spans.extend_from_slice(seeds);
        // Classes made by `Scratch::classify` serve only the next find, and only for that region.
        if scratch.classified.take() != Some((region.as_ptr() as usize, region.len())) {
            scratch.classes.classify(region);
        }
        let cl = &scratch.classes;
        if scratch.rejected.len() < self.rules.len() {
            scratch.rejected.resize(self.rules.len(), 0);
        }
        for &(id, search) in &self.builtin[format as usize] {
            let rejected = search(region, cl, id, spans, &mut scratch.groups);
            if rejected != 0 && pass == Pass::Region {
                scratch.rejected[usize::from(id)] += rejected as u64;
            }
        }
        if !self.patterns.is_empty() {
            // One scan for every pattern's anchor; a pattern runs only from its first hit, and
            // looks for no match that starts after its last.
            self.anchors[format as usize].scan(region, &mut scratch.anchor_hits);
            if !scratch.anchor_hits.is_empty() {
                if scratch.searches_of != self.id {
                    scratch.searches.clear();
                    scratch.searches_of = self.id;
                }
                scratch.searches.resize_with(self.patterns.len(), || None);
                for hit in &scratch.anchor_hits {
                    let (id, p) = &self.patterns[hit.pattern];
                    let search = scratch.searches[hit.pattern].get_or_insert_with(|| p.search());
                    p.find_from(region, hit.first..=hit.last, *id, search, spans);
                }
            }
        }
        let before = spans.len();
        self.literals.find(region, spans);
        self.keys.find(region, cl, pass == Pass::JsonLine, spans);
        if self.scoped_shared {
            let scope = &self.scope;
            let mut i = 0;
            spans.retain(|s| {
                i += 1;
                i <= before || scope[usize::from(s.rule)] & format.bit() != 0
            });
        }
        span::merge(spans);
        !spans.is_empty()
    }

    /// Writes `region` with the spans left by [`Engine::find`] rewritten; returns the category
    /// bits the written bytes still carry.
    pub fn render(&self, region: &[u8], scratch: &mut Scratch, counters: &mut Counters, out: &mut Vec<u8>) -> u64 {
        self.size(counters);
        let mut carried = 0;
        let mut at = 0;
        for sp in &scratch.spans {
            out.extend_from_slice(&region[at..sp.start]);
            at = sp.end;
            let value = &region[sp.start..sp.end];
            let rule = &self.rules[usize::from(sp.rule)];
            if sp.fused {
                counters.fused += 1;
                out.extend_from_slice(self.fused_text(rule).as_bytes());
                continue;
            }
            if self.allows(sp) {
                counters.allowed += 1;
                out.extend_from_slice(value);
                continue;
            }
            counters.per_rule[usize::from(sp.rule)] += 1;
            carried |= self.carries[usize::from(sp.rule)];
            match (&rule.action, sp.found) {
                (Action::Truncate { v4_prefix, v6_prefix }, Found::Ip(addr)) => {
                    write_truncated(addr, *v4_prefix, *v6_prefix, out);
                }
                // Which octets are the network is unknown inside a host name: keep none.
                (Action::Truncate { .. }, Found::HostIp(_)) => zero_numbers(value, out),
                // A field rule that truncates, on a value that is not an address: fail closed.
                (Action::Truncate { .. }, Found::Other | Found::Slot) => {
                    out.extend_from_slice(rule.replacement.as_bytes())
                }
                (Action::Hash, found) => {
                    let schedule = self.keyed.as_ref().expect("checked in Engine::new");
                    let (keys, cache) = scratch.keys.at(schedule, scratch.time);
                    match found {
                        Found::Ip(addr) => match cache.ip(keys, addr) {
                            IpPseudonym::Token(digest) => {
                                anonymize::write_token(anonymize::ip_token_prefix(addr), &digest, out)
                            }
                            IpPseudonym::Addr(IpAddr::V4(v4)) => write_ipv4(v4, out),
                            IpPseudonym::Addr(IpAddr::V6(v6)) => write_ipv6(v6, out),
                        },
                        // Inside a host name an address is not parsed as one: always a token.
                        Found::HostIp(addr) => {
                            let digest = keys.mac.ip_digest(addr);
                            anonymize::write_token(anonymize::ip_token_prefix(addr), &digest, out);
                        }
                        Found::Other | Found::Slot => {
                            scratch.norm.clear();
                            if matches!(rule.detector, Detector::Email) {
                                email::normalize(value, &mut scratch.norm);
                            } else {
                                scratch.norm.extend_from_slice(value);
                            }
                            let digest = keys.mac.value_digest(rule.category.as_bytes(), &scratch.norm);
                            anonymize::write_token(rule.token_prefix.as_bytes(), &digest, out);
                        }
                    }
                }
                (Action::Mask { keep_last }, _) => mask(value, *keep_last, out),
                (Action::Redact, _) => out.extend_from_slice(rule.replacement.as_bytes()),
                (Action::Keep, _) => out.extend_from_slice(value),
                (Action::Drop, Found::Slot) => out.push(b'-'),
                (Action::Drop, _) => {}
            }
        }
        out.extend_from_slice(&region[at..]);
        carried
    }

    /// True if the span is one IPv4 finder's find, not fused with another.
    pub fn is_ipv4_find(&self, span: &Span) -> bool {
        !span.fused && matches!(self.rules[usize::from(span.rule)].detector, Detector::Ipv4)
    }

    /// True if the span is an address an allow-list keeps as it is.
    pub fn allows(&self, span: &Span) -> bool {
        match span.found {
            Found::Ip(addr) if !span.fused && !self.allow.is_empty() => {
                self.allow.iter().any(|net| net.contains(&anonymize::canonical(addr)))
            }
            _ => false,
        }
    }

    /// Replacement for fused overlaps: the winning rule's text if it redacts, else a generic one.
    fn fused_text<'a>(&self, rule: &'a Rule) -> &'a str {
        if rule.action == Action::Redact { &rule.replacement } else { "[REDACTED]" }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::anonymize::Pseudonymizer;
    use crate::anonymize::preserving::IpFormat;

    fn rule(name: &str, detector: Detector, action: Action) -> Rule {
        Rule {
            name: name.into(),
            detector,
            action,
            category: name.into(),
            replacement: format!("[{}]", name.to_uppercase()),
            token_prefix: name.into(),
            formats: Vec::new(),
        }
    }

    fn engine(keyed: bool, allow: &[&str]) -> Engine {
        let trunc = Action::Truncate { v4_prefix: 24, v6_prefix: 48 };
        let ip_action = if keyed { Action::Hash } else { trunc };
        Engine::new(
            vec![
                rule("email", Detector::Email, Action::Redact),
                rule("card", Detector::Card, Action::Mask { keep_last: 4 }),
                rule("ipv4", Detector::Ipv4, ip_action.clone()),
                rule("ipv6", Detector::Ipv6, ip_action),
            ],
            allow.iter().map(|a| a.parse().unwrap()).collect(),
            keyed.then(|| {
                let key = Pseudonymizer::new(b"0123456789abcdef0123456789abcdef").unwrap();
                KeySchedule::new(key, None, IpFormat::Token)
            }),
        )
        .unwrap()
    }

    fn run(e: &Engine, line: &str) -> (String, u64) {
        let mut s = Scratch::default();
        let mut c = Counters::default();
        let mut out = Vec::new();
        e.find(line.as_bytes(), Format::Text, &[], &mut s);
        let carried = e.render(line.as_bytes(), &mut s, &mut c, &mut out);
        (String::from_utf8(out).unwrap(), carried)
    }

    #[test]
    fn truncates_and_redacts_in_one_pass() {
        let e = engine(false, &[]);
        let (out, carried) = run(
            &e,
            "203.0.113.77 [2001:db8:1:2::5]:443 ::ffff:198.51.100.9 a@b.org 4111 1111 1111 1111 host9.113.0.203.example.net",
        );
        assert_eq!(
            out,
            "203.0.113.0 [2001:db8:1::]:443 ::ffff:198.51.100.0 [EMAIL] **** **** **** 1111 host0.0.0.0.example.net"
        );
        assert_eq!(carried, 0);
    }

    #[test]
    fn classes_made_ahead_serve_the_next_find_of_that_region_only() {
        let e = engine(false, &[]);
        let mut s = Scratch::default();
        let (line, other) = (b"from 203.0.113.77 ok".as_slice(), b"to a@b.org".as_slice());
        s.classify(other);
        assert!(e.find(line, Format::Text, &[], &mut s), "another region's classes are not used");
        assert_eq!(s.spans().len(), 1);
        s.classify(line);
        assert!(e.find(line, Format::Text, &[], &mut s));
        assert!(e.find(other, Format::Text, &[], &mut s), "classified again");
        assert_eq!((s.spans()[0].start, s.spans()[0].end), (3, 10));
    }

    #[test]
    fn hashing_carries_the_pseudonymous_category() {
        let e = engine(true, &[]);
        let (a, carried) = run(&e, "1.2.3.4");
        let (b, _) = run(&e, "::FFFF:1.2.3.4");
        assert_eq!(a, b);
        assert!(a.starts_with("ip4-"));
        assert_eq!(carried, 1, "bit 0 is {PSEUDONYMOUS}");
    }

    #[test]
    fn allow_list_keeps_addresses() {
        let e = engine(false, &["10.0.0.0/8", "fd00::/8"]);
        assert_eq!(run(&e, "10.1.2.3 fd00::1 11.1.2.3").0, "10.1.2.3 fd00::1 11.1.2.0");
    }

    #[test]
    fn overlaps_never_expose_part_of_a_value() {
        let e = engine(false, &[]);
        // The IP sits inside the email's local part: the email span contains it and wins.
        assert_eq!(run(&e, "x 10.0.0.1@example.com y").0, "x [EMAIL] y");
    }

    #[test]
    fn regex_rules_run_from_their_anchors_in_any_case() {
        let p = |src: &str| Detector::Pattern(pattern::Pattern::new(src).unwrap());
        let e = Engine::new(
            vec![
                rule("sess", p(r"(?i)session=(?P<value>\w+)"), Action::Redact),
                rule("acct", p(r"\bACCT-\d{6}"), Action::Redact),
                rule("slow", p(r"\d{3}-\d{3}"), Action::Redact),
            ],
            vec![],
            None,
        )
        .unwrap();
        assert_eq!(
            run(&e, "SESSION=ab Session=cd xACCT-123456 ACCT-654321 a-123-456"),
            ("SESSION=[SESS] Session=[SESS] xACCT-123456 [ACCT] a-[SLOW]".into(), 0)
        );
        assert_eq!(run(&e, "nothing to see").0, "nothing to see");
    }

    #[test]
    fn a_scratch_serves_engines_with_different_patterns() {
        let p = |src: &str| Detector::Pattern(pattern::Pattern::new(src).unwrap());
        let a = Engine::new(vec![rule("a", p(r"a=(?P<value>\w+) (?P<x>\w+)"), Action::Redact)], vec![], None).unwrap();
        let b = Engine::new(vec![rule("b", p(r"b=(?P<value>\w+)"), Action::Redact)], vec![], None).unwrap();
        let mut s = Scratch::default();
        for (e, line, want) in [(&a, "a=1 2", "a=[A] 2"), (&b, "b=3", "b=[B]"), (&a, "a=4 5", "a=[A] 5")] {
            let (mut c, mut out) = (Counters::default(), Vec::new());
            e.find(line.as_bytes(), Format::Text, &[], &mut s);
            e.render(line.as_bytes(), &mut s, &mut c, &mut out);
            assert_eq!(String::from_utf8(out).unwrap(), want);
        }
    }

    #[test]
    fn key_rules_claim_json_members_by_name() {
        let mut json_only = rule("k", Detector::Keys(vec!["*token".into()]), Action::Redact);
        json_only.formats = vec![Format::Text];
        let e = Engine::new(
            vec![
                json_only,
                rule("auth", Detector::Authorization, Action::Redact),
                rule("secret", Detector::Keys(vec!["*token".into(), "pwd".into()]), Action::Redact),
            ],
            vec![],
            None,
        )
        .unwrap();
        assert_eq!(e.member_rule(b"Access_Token"), Some((2, keywords::Value::Plain)), "the text-only rule is skipped");
        assert_eq!(e.member_rule(b"Authorization"), Some((1, keywords::Value::Authorization)));
        assert_eq!(e.member_rule(b"user"), None);
        let mut seeds = Vec::new();
        e.member_seeds(1, keywords::Value::Authorization, b"Bearer abc", true, &mut seeds);
        assert_eq!((seeds[0].start, seeds[0].end), (7, 10));
        seeds.clear();
        e.member_seeds(2, keywords::Value::Plain, br#"["a","b"]"#, false, &mut seeds);
        assert_eq!((seeds[0].start, seeds[0].end), (0, 9));
    }

    #[test]
    fn field_rules_are_found_by_name_within_their_formats() {
        let field = |name: &str, names: &[&str], formats: Vec<Format>| {
            let mut r = rule(name, Detector::Field(names.iter().map(|n| n.to_string()).collect()), Action::Redact);
            r.formats = formats;
            r
        };
        let long = "n".repeat(70);
        let e = Engine::new(
            vec![
                field("user", &["remote_user", "user"], vec![Format::Access, Format::Logfmt]),
                field("xff", &["extra1"], vec![Format::Access]),
                field("long", &[&long, "u"], vec![Format::Logfmt]),
                field("any", &["user", "referer"], vec![]),
                field("email", &["user.email"], vec![Format::Json]),
            ],
            vec![],
            None,
        )
        .unwrap();
        let access = br#"192.0.2.1 - alice [22/Nov/2026:12:00:00 +0000] "GET / HTTP/1.1" 200 5 "r" "ua" "xff""#;
        let mut fields = Vec::new();
        assert!(crate::format::access::fields(access, &Classes::of(access), &mut fields));
        let named: Vec<_> =
            fields.iter().map(|f| (f.name(access), e.rule_of_field(Format::Access, f, access))).collect();
        let want = [("remote_user", Some(0)), ("referer", Some(3)), ("extra1", Some(1))];
        for (name, rule) in &named {
            let expected = want.iter().find(|(n, _)| n == name).and_then(|(_, r)| *r);
            assert_eq!(*rule, expected, "access field {name}");
        }
        // The positional fields' rules, made once, are the ones looked up by name.
        let by_name: Vec<_> = named[..Format::Access.positional_names().len()]
            .iter()
            .enumerate()
            .filter_map(|(i, (_, rule))| rule.map(|r| (i, r)))
            .collect();
        assert_eq!(e.rules_by_position(Format::Access), by_name);
        assert_eq!(by_name, [(2, 0), (7, 3)]);
        assert!(e.rules_by_position(Format::Logfmt).is_empty(), "logfmt fields have no fixed positions");
        let logfmt = format!("user=a u=b {long}=c remote_user=d nn=e");
        let logfmt = logfmt.as_bytes();
        assert!(crate::format::logfmt::fields(logfmt, &Classes::of(logfmt), &mut fields));
        let rules: Vec<_> = fields.iter().map(|f| e.rule_of_field(Format::Logfmt, f, logfmt)).collect();
        assert_eq!(
            rules,
            [Some(0), Some(2), Some(2), Some(0), None],
            "names of every length, the longest past the length set's last bit"
        );
        assert_eq!(e.rule_of_field(Format::Syslog, &fields[0], logfmt), Some(3), "only the unscoped rule applies");
        assert_eq!(
            e.field_rule(Format::Json, |n| n == "remote_user"),
            None,
            "the access and logfmt rule is not JSON's"
        );
        let email = |n: &str| n == "user.email";
        assert_eq!(e.field_rule_sized(Format::Json, "email".len(), email), Some(4), "a key: the last segment's length");
        assert_eq!(e.field_rule_sized(Format::Json, "user.email".len(), email), Some(4), "a whole name's length");
        assert_eq!(e.field_rule_sized(Format::Json, 6, |_| true), None, "no JSON name or last segment is 6 bytes long");
    }

    #[test]
    fn hash_without_key_is_refused() {
        let r = vec![rule("email", Detector::Email, Action::Hash)];
        assert_eq!(Engine::new(r, vec![], None).unwrap_err(), EngineError::HashWithoutKey("email".into()));
    }
}
