//! Civil time in UTC seconds: the timestamp forms logs write, parsed and printed without
//! allocation.
//!
//! The hot path parses a timestamp on every line, so the parsers here read fixed positions from
//! `&[u8]` and return Unix seconds (`i64`); they never consult the system time zone database
//! (a timestamp without an offset is taken as UTC, which is what the expiry contract is written in).
//! A general date library was considered and rejected for the per-line path: each form here has a
//! fixed layout, and the day-count arithmetic is a dozen lines. The clock itself is never read
//! here: callers inject "now".

/// Days since 1970-01-01 of a proleptic Gregorian date (month 1-12, day 1-31).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month as i64 + 9) % 12; // March = 0
    let doy = (153 * mp + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The (year, month, day) of a day count since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

pub(crate) fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        _ => 28,
    }
}

/// Unix seconds of a validated civil date and time in UTC; `None` if any field is out of range.
/// A leap second (`:60`) is accepted and folded into the next second.
pub fn unix_seconds(year: i64, month: u32, day: u32, h: u32, m: u32, s: u32) -> Option<i64> {
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    if h > 23 || m > 59 || s > 60 {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + i64::from(h * 3600 + m * 60 + s))
}

/// Reads exactly `N` ASCII digits at `at`.
pub(crate) fn digits<const N: usize>(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at + N)?;
    let mut v = 0u32;
    for &c in s {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(c - b'0');
    }
    Some(v)
}

/// Month number (1-12) of an English three-letter abbreviation, as CLF and syslog write them.
pub(crate) fn month_abbrev(b: &[u8]) -> Option<u32> {
    // A match, not a search of a table: every syslog and access line has one, and the match
    // compiles to a few comparisons where the search compared up to twelve slices.
    Some(match b.get(..3)? {
        b"Jan" => 1,
        b"Feb" => 2,
        b"Mar" => 3,
        b"Apr" => 4,
        b"May" => 5,
        b"Jun" => 6,
        b"Jul" => 7,
        b"Aug" => 8,
        b"Sep" => 9,
        b"Oct" => 10,
        b"Nov" => 11,
        b"Dec" => 12,
        _ => return None,
    })
}

/// Parses an RFC 3339 / ISO 8601 timestamp at the start of `b`:
/// `YYYY-MM-DD(T|t| )HH:MM:SS[.frac](Z|z|±HH:MM|±HHMM)?`. A missing offset means UTC.
/// Returns Unix seconds and the number of bytes consumed.
pub fn parse_rfc3339_prefix(b: &[u8]) -> Option<(i64, usize)> {
    let year = digits::<4>(b, 0)?;
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let month = digits::<2>(b, 5)?;
    let day = digits::<2>(b, 8)?;
    if !matches!(b.get(10), Some(b'T' | b't' | b' ')) {
        return None;
    }
    let h = digits::<2>(b, 11)?;
    let m = digits::<2>(b, 14)?;
    let s = digits::<2>(b, 17)?;
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let mut at = 19;
    if matches!(b.get(at), Some(b'.' | b',')) {
        at += 1;
        let start = at;
        while b.get(at).is_some_and(u8::is_ascii_digit) {
            at += 1;
        }
        if at == start {
            return None;
        }
    }
    let mut secs = unix_seconds(i64::from(year), month, day, h, m, s)?;
    match b.get(at) {
        Some(b'Z' | b'z') => at += 1,
        Some(&sign @ (b'+' | b'-')) => {
            let oh = digits::<2>(b, at + 1)?;
            let (om, len) =
                if b.get(at + 3) == Some(&b':') { (digits::<2>(b, at + 4)?, 6) } else { (digits::<2>(b, at + 3)?, 5) };
            if oh > 23 || om > 59 {
                return None;
            }
            let offset = i64::from(oh * 3600 + om * 60);
            secs -= if sign == b'+' { offset } else { -offset };
            at += len;
        }
        _ => {}
    }
    Some((secs, at))
}

/// Parses a whole RFC 3339 timestamp (the `--now` flag); trailing bytes are an error.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    parse_rfc3339_exact(s.as_bytes())
}

/// Parses `b` as one RFC 3339 timestamp and nothing else (a JSON or logfmt time value).
pub fn parse_rfc3339_exact(b: &[u8]) -> Option<i64> {
    parse_rfc3339_prefix(b).filter(|&(_, n)| n == b.len()).map(|(secs, _)| secs)
}

/// The instants [`format_rfc3339`] writes as they are: 0000-01-01T00:00:00Z to
/// 9999-12-31T23:59:59Z.
const FORMATTED: std::ops::RangeInclusive<i64> = -62_167_219_200..=253_402_300_799;

/// Writes `v` in `width` decimal digits at `at`.
fn put_digits(out: &mut [u8; 20], at: usize, mut v: u32, width: usize) {
    for i in (0..width).rev() {
        out[at + i] = b'0' + (v % 10) as u8;
        v /= 10;
    }
}

/// Writes the time of day of a text in the form of [`format_rfc3339`]: `sod` seconds of the day.
fn put_time_of_day(out: &mut [u8; 20], sod: u32) {
    put_digits(out, 11, sod / 3600, 2);
    out[13] = b':';
    put_digits(out, 14, sod / 60 % 60, 2);
    out[16] = b':';
    put_digits(out, 17, sod % 60, 2);
    out[19] = b'Z';
}

/// Writes `secs` as `YYYY-MM-DDTHH:MM:SSZ` (always 20 bytes for years 0-9999; years outside
/// that range are clamped, since no log line's expiry is meaningfully before year 0 or after 9999).
pub fn format_rfc3339(secs: i64, out: &mut [u8; 20]) {
    let secs = secs.clamp(*FORMATTED.start(), *FORMATTED.end());
    let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
    put_digits(out, 0, year as u32, 4);
    out[4] = b'-';
    put_digits(out, 5, month, 2);
    out[7] = b'-';
    put_digits(out, 8, day, 2);
    out[10] = b'T';
    put_time_of_day(out, secs.rem_euclid(86_400) as u32);
}

/// Rewrites `out`, the text [`format_rfc3339`] wrote for `prev` (or zeros, for none), as the text
/// of `secs`. Lines that each have their own second mostly share their day with the line before,
/// and then only the time of day is written: the date's calendar arithmetic was most of the cost.
pub fn reformat_rfc3339(prev: i64, secs: i64, out: &mut [u8; 20]) {
    let same_day = prev.div_euclid(86_400) == secs.div_euclid(86_400);
    if same_day && out[0] != 0 && FORMATTED.contains(&prev) && FORMATTED.contains(&secs) {
        put_time_of_day(out, secs.rem_euclid(86_400) as u32);
    } else {
        format_rfc3339(secs, out);
    }
}

/// The current wall-clock time in Unix seconds: the one place the system clock is read.
pub fn wall_clock() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(secs: i64) -> String {
        let mut b = [0u8; 20];
        format_rfc3339(secs, &mut b);
        String::from_utf8(b.to_vec()).unwrap()
    }

    #[test]
    fn civil_round_trips_across_eras() {
        for days in (-800_000..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

    #[test]
    fn parses_rfc3339_forms() {
        let z = parse_rfc3339("2026-11-22T10:00:00Z").unwrap();
        assert_eq!(fmt(z), "2026-11-22T10:00:00Z");
        assert_eq!(parse_rfc3339("2026-11-22T12:00:00+02:00"), Some(z));
        assert_eq!(parse_rfc3339("2026-11-22T05:30:00-0430"), Some(z));
        assert_eq!(parse_rfc3339("2026-11-22 10:00:00.123456Z"), Some(z));
        assert_eq!(parse_rfc3339("2026-11-22T10:00:00"), Some(z));
        assert_eq!(parse_rfc3339_prefix(b"2026-11-22T10:00:00,5 rest"), Some((z, 21)));
    }

    #[test]
    fn rejects_impossible_dates() {
        for bad in [
            "2026-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-11-22T24:00:00Z",
            "2026-11-22T10:00:00+25:00",
            "2026-11-22T10:00:00.Z",
            "2026-11-22",
            "2026-11-22T10:00:00Zjunk",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
        assert!(parse_rfc3339("2024-02-29T00:00:00Z").is_some());
    }

    /// From any instant's text to any other's, as a log's expiries come: the same day (where
    /// only the time of day is written), the next, far away, and past either end of the range.
    #[test]
    fn reformatting_writes_what_formatting_does() {
        let (lo, hi) = (*FORMATTED.start(), *FORMATTED.end());
        let mut instants =
            vec![0, -1, 86_399, 86_400, lo - 2, lo - 1, lo, lo + 59, hi - 59, hi, hi + 1, hi + 2, i64::MAX, i64::MIN];
        let mut x: u64 = 1;
        for _ in 0..2000 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            let base = 1_700_000_000 + (x >> 40) as i64 % 400_000_000;
            instants.extend([base, base + (x % 7) as i64, base + (x >> 3) as i64 % 90_000]);
        }
        for w in instants.windows(2) {
            let mut b = [0u8; 20];
            reformat_rfc3339(w[0], w[0], &mut b);
            assert_eq!(String::from_utf8(b.to_vec()).unwrap(), fmt(w[0]), "{} from none", w[0]);
            reformat_rfc3339(w[0], w[1], &mut b);
            assert_eq!(String::from_utf8(b.to_vec()).unwrap(), fmt(w[1]), "{} then {}", w[0], w[1]);
        }
    }

    #[test]
    fn formats_fixed_width() {
        assert_eq!(fmt(0), "1970-01-01T00:00:00Z");
        assert_eq!(fmt(-1), "1969-12-31T23:59:59Z");
        assert_eq!(fmt(i64::MAX), "9999-12-31T23:59:59Z");
    }

    #[test]
    fn month_names() {
        assert_eq!(month_abbrev(b"Jan"), Some(1));
        assert_eq!(month_abbrev(b"Dec 10"), Some(12));
        assert_eq!(month_abbrev(b"dec"), None);
    }
}
