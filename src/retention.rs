//! Expiry: when downstream storage must delete a line.
//!
//! Expiry = event time + the shortest retention among the categories of personal data the line
//! still carries after anonymization, else the ruleset's default. The event time is the line's own
//! timestamp, else the clock, and never later than the clock: a line cannot extend its own
//! retention by claiming a future time. The clock is always passed in, never read here.

/// Seconds in a day.
pub const DAY: i64 = 86_400;

/// Retention periods in seconds: a default and per-category overrides.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Retention {
    pub default: i64,
    categories: Vec<(String, i64)>,
}

impl Default for Retention {
    /// 30 days, no categories: what a ruleset without a `[retention]` section gets.
    fn default() -> Self {
        Self { default: 30 * DAY, categories: Vec::new() }
    }
}

impl Retention {
    pub fn category(&self, name: &str) -> Option<i64> {
        self.categories.iter().find(|(n, _)| n == name).map(|&(_, s)| s)
    }

    /// The per-category periods, in the order they were set.
    pub fn categories(&self) -> &[(String, i64)] {
        &self.categories
    }

    pub fn set_category(&mut self, name: &str, secs: i64) {
        match self.categories.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = secs,
            None => self.categories.push((name.to_owned(), secs)),
        }
    }

    /// Resolves retention per category bit for an engine's category names.
    pub fn by_bit(&self, category_names: &[String]) -> BitRetention {
        let mut periods = [self.default; 64];
        for (bit, name) in category_names.iter().enumerate().take(64) {
            periods[bit] = self.category(name).unwrap_or(self.default);
        }
        BitRetention { default: self.default, periods }
    }
}

/// Retention resolved for the category bits of one engine: the per-line lookup.
#[derive(Clone, Debug)]
pub struct BitRetention {
    default: i64,
    periods: [i64; 64],
}

impl BitRetention {
    /// Retention for a line carrying the categories in `carried`.
    pub fn period(&self, carried: u64) -> i64 {
        if carried == 0 {
            return self.default;
        }
        let mut min = i64::MAX;
        let mut bits = carried;
        while bits != 0 {
            let bit = bits.trailing_zeros() as usize;
            min = min.min(self.periods[bit]);
            bits &= bits - 1;
        }
        min
    }
}

/// Expiry of a line with event time `event` (if it has one) and retention `period`, read at
/// clock `now`: the event time never counts later than the clock.
pub fn expiry(event: Option<i64>, now: i64, period: i64) -> i64 {
    event_time(event, now).saturating_add(period)
}

/// The time a line counts as written at: its own timestamp, else the clock, and never later than
/// the clock (a line cannot extend its own retention, or pick a future key period).
pub fn event_time(event: Option<i64>, now: i64) -> i64 {
    event.unwrap_or(now).min(now)
}

/// Parses `30d`, `2w`, `12h`, `90m`, `3600s` into seconds.
pub fn parse_duration(s: &str) -> Option<i64> {
    let s = s.trim();
    let unit = s.chars().last()?;
    let n: i64 = s[..s.len() - unit.len_utf8()].parse().ok().filter(|n| *n >= 0)?;
    let mult = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => DAY,
        'w' => 7 * DAY,
        _ => return None,
    };
    n.checked_mul(mult)
}

/// The coarse class of a period (`14d`, `12h`), as the duration syntax writes it.
pub fn format_duration(secs: i64) -> String {
    for (unit, mult) in [('d', DAY), ('h', 3600), ('m', 60)] {
        if secs > 0 && secs % mult == 0 {
            return format!("{}{unit}", secs / mult);
        }
    }
    format!("{secs}s")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30d"), Some(30 * DAY));
        assert_eq!(parse_duration("2w"), Some(14 * DAY));
        assert_eq!(parse_duration("90m"), Some(5400));
        for bad in ["", "d", "30", "30 days", "-1d", "1y", "99999999999999999999d"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
        assert_eq!(format_duration(14 * DAY), "14d");
        assert_eq!(format_duration(5400), "90m");
        assert_eq!(format_duration(7), "7s");
    }

    #[test]
    fn shortest_carried_retention_wins() {
        let mut r = Retention::default();
        r.set_category("pseudonymous", 14 * DAY);
        r.set_category("ip", 7 * DAY);
        let b = r.by_bit(&["pseudonymous".into(), "email".into(), "ip".into()]);
        assert_eq!(b.period(0), 30 * DAY);
        assert_eq!(b.period(0b001), 14 * DAY);
        assert_eq!(b.period(0b010), 30 * DAY, "a category without its own period gets the default");
        assert_eq!(b.period(0b111), 7 * DAY);
    }

    #[test]
    fn future_event_times_are_clamped_to_the_clock() {
        assert_eq!(expiry(Some(1_000), 500, 30 * DAY), 500 + 30 * DAY);
        assert_eq!(expiry(Some(100), 500, 30 * DAY), 100 + 30 * DAY);
        assert_eq!(expiry(None, 500, 30 * DAY), 500 + 30 * DAY);
    }
}
