//! Log formats, as far as anonymization needs them: which format a line is in, where its event
//! time is, and where its named fields are, so that rules can target a field (`remote_user`,
//! logfmt `user`, JSON `user.email`) whatever its value looks like. One file per format, each a
//! pure function from a line's bytes to ranges; nothing here rewrites or redacts anything.
//!
//! Formats are detected per line, because mixed streams happen (a collector merging sources):
//! JSON object, then syslog (RFC 5424 or 3164 header), then access log, then logfmt, else plain
//! text. Detection only looks at a line's start and structure, never at its values.

pub mod access;
pub mod clf;
mod event_time;
pub mod json;
pub mod logfmt;
pub mod syslog;

pub use event_time::EventTimes;

use crate::redact::classes::Classes;
use std::borrow::Cow;

/// A line's format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    Json,
    Syslog,
    Access,
    Logfmt,
    Text,
}

impl Format {
    pub const ALL: [Format; 5] = [Format::Json, Format::Syslog, Format::Access, Format::Logfmt, Format::Text];

    pub fn name(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Syslog => "syslog",
            Format::Access => "access",
            Format::Logfmt => "logfmt",
            Format::Text => "text",
        }
    }

    /// This format's bit in a set of formats (`u8`).
    pub fn bit(self) -> u8 {
        1 << self as u8
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.name() == name)
    }

    /// The names of a line's first fields in this format, which are always these, in this order
    /// (as many as the line has): field rules on them are looked up once, by position, not per
    /// line by name. Empty for formats whose fields are found by key or come and go.
    pub fn positional_names(self) -> &'static [&'static str] {
        match self {
            Format::Access => &access::FIELDS,
            _ => &[],
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FieldName {
    Static(&'static str),
    /// The n-th quoted field after the standard ones (`extra1`, `extra2`, ...).
    Extra(usize),
    /// A key written in the line (logfmt).
    Key(usize, usize),
}

/// A named field's value: `start..end` of the line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    pub start: usize,
    pub end: usize,
    name: FieldName,
}

impl Field {
    pub(crate) fn named(name: &'static str, start: usize, end: usize) -> Self {
        Self { start, end, name: FieldName::Static(name) }
    }

    /// A positional field: its standard name if it has one, else `extraN`.
    pub(crate) fn indexed(name: Option<&'static str>, n: usize, start: usize, end: usize) -> Self {
        let name = name.map_or_else(|| FieldName::Extra(n - 1), FieldName::Static);
        Self { start, end, name }
    }

    pub(crate) fn keyed(key: (usize, usize), start: usize, end: usize) -> Self {
        Self { start, end, name: FieldName::Key(key.0, key.1) }
    }

    /// The field's name (`line` is the line the field was found in).
    pub fn name<'a>(&self, line: &'a [u8]) -> Cow<'a, str> {
        match self.name {
            FieldName::Static(s) => Cow::Borrowed(s),
            FieldName::Extra(n) => Cow::Owned(format!("extra{n}")),
            FieldName::Key(s, e) => String::from_utf8_lossy(&line[s..e]),
        }
    }

    /// True if the field is called `name`, without allocating.
    pub fn is(&self, line: &[u8], name: &str) -> bool {
        match self.name {
            FieldName::Static(s) => s == name,
            FieldName::Extra(n) => name.strip_prefix("extra").and_then(|d| d.parse::<usize>().ok()) == Some(n),
            FieldName::Key(s, e) => &line[s..e] == name.as_bytes(),
        }
    }

    /// The length of the field's name, where it is known without writing the name out (`None`
    /// for `extraN`: [`Field::is`] reads the number, so `extra01` names it as well).
    #[inline]
    pub fn name_len(&self) -> Option<usize> {
        match self.name {
            FieldName::Static(s) => Some(s.len()),
            FieldName::Extra(_) => None,
            FieldName::Key(s, e) => Some(e - s),
        }
    }

    /// For keyed fields, where the whole `key=value` pair starts (for removing it).
    pub fn pair_start(&self) -> usize {
        match self.name {
            FieldName::Key(s, _) => s,
            _ => self.start,
        }
    }
}

/// True if a line could be a JSON object (cheap check before tokenizing it).
pub fn looks_like_json(line: &[u8]) -> bool {
    let t = line.trim_ascii();
    t.first() == Some(&b'{') && t.last() == Some(&b'}')
}

/// Detects the format of a non-JSON line and fills `fields` with its named fields; `classes`
/// holds the line's byte classes.
pub fn detect_text(line: &[u8], classes: &Classes, fields: &mut Vec<Field>) -> Format {
    if syslog::fields(line, fields) {
        Format::Syslog
    } else if access::fields(line, classes, fields) {
        Format::Access
    } else if logfmt::fields(line, classes, fields) {
        Format::Logfmt
    } else {
        fields.clear();
        Format::Text
    }
}

/// Fills `fields` for a line in a known (forced) text format; `false` if it does not fit.
pub fn fields_as(format: Format, line: &[u8], classes: &Classes, fields: &mut Vec<Field>) -> bool {
    fields.clear();
    match format {
        Format::Syslog => syslog::fields(line, fields),
        Format::Access => access::fields(line, classes, fields),
        Format::Logfmt => logfmt::fields(line, classes, fields),
        Format::Json | Format::Text => false,
    }
}

/// The event time a text line writes for itself: per format, else at its start (syslog,
/// RFC 3339) or in brackets (access and error logs). `now` infers the year of RFC 3164 times.
pub fn text_event_time(line: &[u8], format: Format, fields: &[Field], now: i64) -> Option<i64> {
    match format {
        Format::Logfmt => logfmt::event_time(line, fields, crate::time::parse_rfc3339_exact),
        Format::Access => clf::event_time(line),
        _ => syslog::event_time(line, now).or_else(|| clf::event_time(line)),
    }
}

/// `(name, value)` of the fields a splitter finds in `line`; empty if the line does not fit.
#[cfg(test)]
pub(crate) fn named_fields(split: fn(&[u8], &mut Vec<Field>) -> bool, line: &str) -> Vec<(String, &str)> {
    let mut v = Vec::new();
    if !split(line.as_bytes(), &mut v) {
        return Vec::new();
    }
    v.iter().map(|f| (f.name(line.as_bytes()).into_owned(), &line[f.start..f.end])).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_per_line() {
        let mut f = Vec::new();
        let cases: [(&[u8], Format); 6] = [
            (b"<34>1 2026-11-22T10:00:00Z host app 1 - - msg", Format::Syslog),
            (b"Nov 22 10:00:00 host sshd[1]: msg", Format::Syslog),
            (br#"203.0.113.7 - - [10/Oct/2026:13:55:36 -0700] "GET / HTTP/1.1" 200 1"#, Format::Access),
            (b"time=2026-11-22T10:00:00Z level=info", Format::Logfmt),
            (b"[Sun Dec 04 04:47:44 2005] [error] [client 1.2.3.4] x", Format::Text),
            (b"hello world", Format::Text),
        ];
        for (line, want) in cases {
            assert_eq!(detect_text(line, &Classes::of(line), &mut f), want, "{}", String::from_utf8_lossy(line));
        }
    }

    #[test]
    fn format_names_round_trip() {
        for f in Format::ALL {
            assert_eq!(Format::from_name(f.name()), Some(f));
        }
    }
}
