//! Log formats, as far as anonymization needs them: where a line's event time is, and whether a
//! line is a JSON object whose structure must survive rewriting. One file per format, each with
//! the same shape (a pure function from a line's bytes to what it found); nothing here rewrites
//! or redacts anything.

pub mod clf;
pub mod json;
pub mod syslog;

/// The event time a text line writes for itself: at its start (syslog, RFC 3339), else in
/// brackets (access and error logs). `now` infers the year of RFC 3164 timestamps.
pub fn text_event_time(line: &[u8], now: i64) -> Option<i64> {
    syslog::event_time(line, now).or_else(|| clf::event_time(line))
}

/// True if a line could be a JSON object (cheap check before tokenizing it).
pub fn looks_like_json(line: &[u8]) -> bool {
    let t = line.trim_ascii();
    t.first() == Some(&b'{') && t.last() == Some(&b'}')
}
