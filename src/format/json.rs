//! JSON object lines: a validating, non-recursive tokenizer over the raw bytes, and the string
//! escaping rules, so that rewriting a line keeps it valid JSON with its keys in their order.
//!
//! The tokenizer records where every key, string and scalar is, without building a tree: the
//! caller scans each string (decoded, when it has escapes, so `\u0040` is an `@`) and each number
//! (a card number may be written as one), and copies everything between tokens unchanged. Nesting
//! is tracked on an explicit stack with a depth cap, so hostile nesting cannot overflow the call
//! stack; a line deeper than the cap, or not valid JSON, is scanned as text instead.

use crate::redact::classes::Classes;

/// Deepest nesting handled as JSON; deeper lines fall back to text scanning.
pub const MAX_DEPTH: usize = 256;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// An object key (string contents, without quotes).
    Key,
    /// A string value (contents, without quotes).
    Str,
    /// A number.
    Num,
    /// `true`, `false` or `null`.
    Lit,
    /// `{` or `[`: a value that is a container.
    Open,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    pub start: usize,
    pub end: usize,
    pub kind: Kind,
    /// Containers enclosing the token: 1 for the root object's members.
    pub depth: usize,
    // For `Open`, `end` is set when the container closes: one past its `}` or `]`.
    /// A string with backslash escapes: it must be decoded before scanning.
    pub escaped: bool,
}

/// Where the root object closes, and whether it has members.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Doc {
    pub root_close: usize,
    pub has_members: bool,
}

/// The first byte at or after `i` that is not JSON whitespace. Inline for the common case of
/// none there: a byte above the space is none.
#[inline(always)]
fn skip_ws(b: &[u8], i: usize) -> usize {
    match b.get(i) {
        Some(&c) if c > b' ' => i,
        _ => skip_ws_from(b, i),
    }
}

fn skip_ws_from(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\r' | b'\n') {
        i += 1;
    }
    i
}

/// End of the string whose opening quote is at `i` (index after the closing quote), and whether
/// it has escapes, found in the line's class masks `cl`: most strings are a few bytes long, and a
/// `memchr2` per string cost more in set-up than the masks' lookup.
fn string_end(b: &[u8], cl: &Classes, i: usize) -> Option<(usize, bool)> {
    cl.closing_quote(b, i + 1).map(|(close, escaped)| (close + 1, escaped))
}

/// Tokenizes a line holding one JSON object; `cl` holds the line's byte classes. `None` if it is
/// not valid JSON, not an object, or nested deeper than [`MAX_DEPTH`].
///
/// Element by element: a member is read as its key, colon and value in one go, and after each
/// value the next byte is a comma or closes containers. (A state machine that dispatched on the
/// expected token at every token cost 14% more.) `stack` holds each open container's closing
/// byte and the index of its `Open` token (none for the root).
pub fn scan(b: &[u8], cl: &Classes, tokens: &mut Vec<Token>, stack: &mut Vec<(u8, usize)>) -> Option<Doc> {
    tokens.clear();
    stack.clear();
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    stack.push((b'}', usize::MAX));
    i += 1;
    // Just after an opener, where the container may close at once.
    let mut opened = true;
    loop {
        // An element of the innermost container starts here, or (if just opened) its closer.
        i = skip_ws(b, i);
        let (closer, _) = *stack.last()?;
        let c = *b.get(i)?;
        if !(opened && c == closer) {
            let depth = stack.len();
            if closer == b'}' {
                if c != b'"' {
                    return None;
                }
                let (end, escaped) = string_end(b, cl, i)?;
                tokens.push(Token { start: i + 1, end: end - 1, kind: Kind::Key, depth, escaped });
                i = skip_ws(b, end);
                if b.get(i) != Some(&b':') {
                    return None;
                }
                i = skip_ws(b, i + 1);
            }
            let c = *b.get(i)?;
            // The token, and where the text after the value starts.
            let (kind, start, end, next, escaped) = match c {
                b'"' => {
                    let (end, escaped) = string_end(b, cl, i)?;
                    (Kind::Str, i + 1, end - 1, end, escaped)
                }
                b'{' | b'[' => {
                    if depth >= MAX_DEPTH {
                        return None;
                    }
                    stack.push((if c == b'{' { b'}' } else { b']' }, tokens.len()));
                    tokens.push(Token { start: i, end: i + 1, kind: Kind::Open, depth, escaped: false });
                    i += 1;
                    opened = true;
                    continue;
                }
                b'-' | b'0'..=b'9' => {
                    let mut end = i + 1;
                    while end < b.len() && matches!(b[end], b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-') {
                        end += 1;
                    }
                    (Kind::Num, i, end, end, false)
                }
                _ => {
                    let lit = [&b"true"[..], b"false", b"null"].into_iter().find(|l| b[i..].starts_with(l))?;
                    (Kind::Lit, i, i + lit.len(), i + lit.len(), false)
                }
            };
            tokens.push(Token { start, end, kind, depth, escaped });
            i = skip_ws(b, next);
        }
        // After a value: a comma, or the innermost container's closer (and then its parent's
        // comma or closer, and so on).
        loop {
            let c = *b.get(i)?;
            if c == b',' {
                i += 1;
                opened = false;
                break;
            }
            let (closer, open) = stack.pop()?;
            if closer != c {
                return None;
            }
            i += 1;
            if let Some(t) = tokens.get_mut(open) {
                t.end = i;
            }
            if stack.is_empty() {
                let has_members = tokens.first().is_some_and(|t| t.depth == 1);
                return (skip_ws(b, i) == b.len()).then_some(Doc { root_close: i - 1, has_members });
            }
            i = skip_ws(b, i);
        }
    }
}

/// Decodes a JSON string's contents (without quotes) into `out`. Lone surrogates become U+FFFD.
pub fn unescape(raw: &[u8], out: &mut Vec<u8>) {
    let hex4 = |at: usize| -> Option<u32> {
        let s = raw.get(at..at + 4)?;
        s.iter().try_fold(0u32, |acc, &c| Some(acc * 16 + (c as char).to_digit(16)?))
    };
    let mut i = 0;
    while i < raw.len() {
        let c = raw[i];
        if c != b'\\' || i + 1 >= raw.len() {
            out.push(c);
            i += 1;
            continue;
        }
        i += 2;
        let simple = match raw[i - 1] {
            b'n' => Some(b'\n'),
            b't' => Some(b'\t'),
            b'r' => Some(b'\r'),
            b'b' => Some(8),
            b'f' => Some(12),
            b'u' => None,
            other => Some(other), // \" \\ \/ and anything lenient
        };
        if let Some(s) = simple {
            out.push(s);
            continue;
        }
        let Some(mut cp) = hex4(i) else {
            out.extend_from_slice(b"\\u");
            continue;
        };
        i += 4;
        if (0xD800..0xDC00).contains(&cp) && raw.get(i..i + 2) == Some(b"\\u") {
            if let Some(lo @ 0xDC00..=0xDFFF) = hex4(i + 2) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                i += 6;
            }
        }
        let ch = char::from_u32(cp).unwrap_or('\u{FFFD}');
        out.extend_from_slice(ch.encode_utf8(&mut [0; 4]).as_bytes());
    }
}

/// True for the bytes JSON string contents cannot hold raw: quotes, backslashes and control
/// bytes (DEL included, which some readers choke on).
#[inline]
fn needs_escape(c: u8) -> bool {
    c < 0x20 || c == b'"' || c == b'\\' || c == 0x7f
}

/// Writes bytes as JSON string contents, each byte that `needs_escape` escaped. Runs of bytes
/// that need no escape are copied whole, and most values (a rewritten address, a placeholder)
/// are one such run: a pass without branches finds that out first.
pub fn escape(s: &[u8], out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    if !s.iter().fold(false, |any, &c| any | needs_escape(c)) {
        out.extend_from_slice(s);
        return;
    }
    let mut plain = 0;
    for (i, &c) in s.iter().enumerate() {
        if !needs_escape(c) {
            continue;
        }
        let unicode;
        let escaped: &[u8] = match c {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            _ => {
                unicode = [b'\\', b'u', b'0', b'0', HEX[usize::from(c >> 4)], HEX[usize::from(c & 15)]];
                &unicode
            }
        };
        out.extend_from_slice(&s[plain..i]);
        out.extend_from_slice(escaped);
        plain = i + 1;
    }
    out.extend_from_slice(&s[plain..]);
}

/// The event time of a JSON line: its top-level `@timestamp`, `timestamp`, `time` or `ts`
/// (in that preference), as RFC 3339 text (which `rfc3339` reads, as
/// [`parse_rfc3339_exact`](crate::time::parse_rfc3339_exact) does) or epoch seconds or
/// milliseconds.
pub fn event_time(b: &[u8], tokens: &[Token], mut rfc3339: impl FnMut(&[u8]) -> Option<i64>) -> Option<i64> {
    const KEYS: [&[u8]; 4] = [b"@timestamp", b"timestamp", b"time", b"ts"];
    let mut best: Option<(usize, i64)> = None;
    for pair in tokens.windows(2) {
        let (key, value) = (pair[0], pair[1]);
        if key.kind != Kind::Key || key.depth != 1 || key.escaped {
            continue;
        }
        let Some(rank) = KEYS.iter().position(|n| *n == &b[key.start..key.end]) else { continue };
        if best.is_some_and(|(r, _)| r <= rank) {
            continue;
        }
        let text = &b[value.start..value.end];
        let secs = match value.kind {
            Kind::Str => rfc3339(text),
            Kind::Num => epoch(text),
            _ => None,
        };
        if let Some(s) = secs {
            best = Some((rank, s));
            if rank == 0 {
                break; // nothing later is preferred
            }
        }
    }
    best.map(|(_, s)| s)
}

/// Epoch seconds from a JSON number in seconds, milliseconds or microseconds (told apart by
/// magnitude: seconds stay below 10^11 until the year 5138).
fn epoch(text: &[u8]) -> Option<i64> {
    let int = text.split(|&c| c == b'.').next()?;
    let v: i64 = std::str::from_utf8(int).ok()?.parse().ok()?;
    Some(match v.unsigned_abs() {
        0..100_000_000_000 => v,
        100_000_000_000..100_000_000_000_000 => v / 1_000,
        _ => v / 1_000_000,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::parse_rfc3339_exact;

    fn kinds(line: &str) -> Option<Vec<(Kind, &str, usize)>> {
        let (mut t, mut s) = (Vec::new(), Vec::new());
        scan(line.as_bytes(), &Classes::of(line.as_bytes()), &mut t, &mut s)?;
        Some(t.iter().map(|t| (t.kind, &line[t.start..t.end], t.depth)).collect())
    }

    #[test]
    fn tokenizes_nested_objects() {
        let t = kinds(r#"{"a":"x\"y","n":-1.5e3,"o":{"b":[1,true,null]},"e":{}}"#).unwrap();
        assert_eq!(t[0], (Kind::Key, "a", 1));
        assert_eq!(t[1], (Kind::Str, r#"x\"y"#, 1));
        assert_eq!(t[3], (Kind::Num, "-1.5e3", 1));
        assert_eq!(t[6], (Kind::Key, "b", 2));
        assert_eq!(t[8], (Kind::Num, "1", 3));
        assert_eq!(t[9], (Kind::Lit, "true", 3));
        assert_eq!(t[5], (Kind::Open, r#"{"b":[1,true,null]}"#, 1), "containers span to their close");
    }

    #[test]
    fn rejects_what_is_not_one_object() {
        for bad in [
            "",
            "[1]",
            "{",
            r#"{"a":1"#,
            r#"{"a" 1}"#,
            r#"{"a":1,}"#,
            r#"{"a":[1,]}"#,
            r#"{"a":[,1]}"#,
            r#"{,}"#,
            r#"{"a":{"b"}}"#,
            r#"{"a":1}}"#,
            r#"{"a":1} x"#,
            r#"{"a":tru}"#,
            r#"{"a":[1}"#,
            "{\"a\":\"x\\\"}",
        ] {
            assert!(kinds(bad).is_none(), "{bad}");
        }
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(kinds(&deep).is_none());
        assert!(kinds("{}").is_some());
        assert!(kinds(r#" { "a" : [ ] , "b" : { } , "c" : [ [ ] , { } ] } "#).is_some());
    }

    #[test]
    fn unescape_and_escape_round_trip() {
        let mut out = Vec::new();
        unescape(br#"a\u0040b\"c\\d\ud83d\ude00\ud800x\n"#, &mut out);
        assert_eq!(String::from_utf8(out.clone()).unwrap(), "a@b\"c\\d\u{1F600}\u{FFFD}x\n");
        let mut back = Vec::new();
        escape(&out, &mut back);
        let mut again = Vec::new();
        unescape(&back, &mut again);
        assert_eq!(again, out);
        back.clear();
        escape(b"a\x01\x7f\"b\\\t", &mut back);
        assert_eq!(back, br#"a\u0001\u007f\"b\\\t"#);
    }

    #[test]
    fn event_time_prefers_at_timestamp() {
        let line = br#"{"ts":1732269600,"@timestamp":"2026-11-22T10:00:00Z","x":{"time":"1999-01-01T00:00:00Z"}}"#;
        let (mut t, mut s) = (Vec::new(), Vec::new());
        scan(line, &Classes::of(line), &mut t, &mut s).unwrap();
        assert_eq!(event_time(line, &t, parse_rfc3339_exact), crate::time::parse_rfc3339("2026-11-22T10:00:00Z"));
        let ms = br#"{"ts":1732269600123}"#;
        scan(ms, &Classes::of(ms), &mut t, &mut s).unwrap();
        assert_eq!(event_time(ms, &t, parse_rfc3339_exact), Some(1_732_269_600));
    }
}
