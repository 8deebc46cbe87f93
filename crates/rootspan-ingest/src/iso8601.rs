//! A small ISO-8601 reader (no chrono): timestamps to Unix nanoseconds, durations to
//! nanoseconds. Enough for TRAIL and similar exports; total (never panics), `None` on anything
//! it does not understand.

/// `YYYY-MM-DD[T| ]HH:MM[:SS[.fraction]][Z|±HH[:MM]]` (no zone = UTC) -> ns since the epoch.
/// A date alone is midnight UTC. Before 1970 or past u64 is `None`.
pub fn parse_timestamp_ns(text: &str) -> Option<u64> {
    let text = text.trim();
    let (date, rest) = match text.find(['T', 't', ' ']) {
        Some(split) => (text.get(..split)?, text.get(split + 1..)?),
        None => (text, ""),
    };
    let mut parts = date.splitn(3, '-');
    let year: i64 = digits(parts.next()?, 4)?;
    let month: i64 = digits(parts.next()?, 2)?;
    let day: i64 = digits(parts.next()?, 2)?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let (time, offset_seconds) = split_zone(rest)?;
    let (clock_seconds, nanos) = if time.is_empty() { (0, 0) } else { parse_clock(time)? };
    let days = days_from_civil(year, month, day);
    let seconds = days.checked_mul(86_400)?.checked_add(clock_seconds)?.checked_sub(offset_seconds)?;
    let seconds = u64::try_from(seconds).ok()?;
    seconds.checked_mul(1_000_000_000)?.checked_add(nanos)
}

/// `P[nD]T[nH][nM][n[.f]S]` (also weeks `nW`) -> ns. Years and months are ambiguous: `None`.
pub fn parse_duration_ns(text: &str) -> Option<u64> {
    let text = text.trim();
    let body = text.strip_prefix(['P', 'p'])?;
    let mut total: u128 = 0;
    let mut in_time = false;
    let mut number = String::new();
    let mut any = false;
    for c in body.chars() {
        match c {
            'T' | 't' if number.is_empty() => in_time = true,
            '0'..='9' | '.' | ',' => number.push(if c == ',' { '.' } else { c }),
            unit => {
                let unit_ns: u128 = match (in_time, unit.to_ascii_uppercase()) {
                    (false, 'W') => 7 * 86_400 * 1_000_000_000,
                    (false, 'D') => 86_400 * 1_000_000_000,
                    (true, 'H') => 3_600 * 1_000_000_000,
                    (true, 'M') => 60 * 1_000_000_000,
                    (true, 'S') => 1_000_000_000,
                    _ => return None,
                };
                total = total.checked_add(scaled(&number, unit_ns)?)?;
                number.clear();
                any = true;
            }
        }
    }
    if !number.is_empty() || !any {
        return None;
    }
    u64::try_from(total).ok()
}

/// `number` (decimal, maybe with a fraction) times `unit_ns`, exactly up to ns.
fn scaled(number: &str, unit_ns: u128) -> Option<u128> {
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    let whole: u128 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
    let mut value = whole.checked_mul(unit_ns)?;
    let mut scale = unit_ns;
    for digit in fraction.chars().take(30) {
        scale /= 10;
        value = value.checked_add(u128::from(digit.to_digit(10)?) * scale)?;
    }
    Some(value)
}

fn digits(text: &str, len: usize) -> Option<i64> {
    if text.len() != len || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Splits off a zone suffix; returns the clock text and the offset in seconds east of UTC.
fn split_zone(rest: &str) -> Option<(&str, i64)> {
    if let Some(clock) = rest.strip_suffix(['Z', 'z']) {
        return Some((clock, 0));
    }
    if let Some(position) = rest.rfind(['+', '-']) {
        let (clock, zone) = (rest.get(..position)?, rest.get(position..)?);
        let sign = if zone.starts_with('-') { -1 } else { 1 };
        let zone = zone.get(1..)?.replace(':', "");
        let (hours, minutes) = match zone.len() {
            2 => (digits(&zone, 2)?, 0),
            4 => (digits(zone.get(..2)?, 2)?, digits(zone.get(2..)?, 2)?),
            _ => return None,
        };
        return Some((clock, sign * (hours * 3600 + minutes * 60)));
    }
    Some((rest, 0))
}

/// `HH:MM[:SS[.fraction]]` -> (seconds of the day, nanoseconds).
fn parse_clock(time: &str) -> Option<(i64, u64)> {
    let (clock, fraction) = time.split_once(['.', ',']).unwrap_or((time, ""));
    let mut parts = clock.splitn(3, ':');
    let hours = digits(parts.next()?, 2)?;
    let minutes = digits(parts.next()?, 2)?;
    let seconds = match parts.next() {
        Some(seconds) => digits(seconds, 2)?,
        None => 0,
    };
    if hours > 24 || minutes > 59 || seconds > 60 {
        return None;
    }
    if !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut nanos: u64 = 0;
    let mut scale: u64 = 100_000_000;
    for digit in fraction.bytes().take(9) {
        nanos += u64::from(digit - b'0') * scale;
        scale /= 10;
    }
    Some((hours * 3600 + minutes * 60 + seconds, nanos))
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        assert_eq!(parse_timestamp_ns("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_timestamp_ns("2025-03-19T16:48:09.190915Z"), Some(1_742_402_889_190_915_000));
        assert_eq!(parse_timestamp_ns("2025-03-19T16:48:09.190915"), Some(1_742_402_889_190_915_000));
        assert_eq!(parse_timestamp_ns("2025-03-19T17:48:09.190915+01:00"), Some(1_742_402_889_190_915_000));
        assert_eq!(parse_timestamp_ns("2024-02-29"), Some(1_709_164_800_000_000_000));
        assert_eq!(parse_timestamp_ns("2023-02-29T00:00:00Z"), None);
        assert_eq!(parse_timestamp_ns("1969-12-31T23:59:59Z"), None);
        assert_eq!(parse_timestamp_ns("garbage"), None);
        assert_eq!(parse_timestamp_ns("2025-13-01T00:00:00Z"), None);
        assert_eq!(parse_timestamp_ns(""), None);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration_ns("PT1M48.7S"), Some(108_700_000_000));
        assert_eq!(parse_duration_ns("PT0.000066S"), Some(66_000));
        assert_eq!(parse_duration_ns("P1DT2H"), Some((86_400 + 7_200) * 1_000_000_000));
        assert_eq!(parse_duration_ns("PT"), None);
        assert_eq!(parse_duration_ns("P1M"), None);
        assert_eq!(parse_duration_ns("PT5"), None);
        assert_eq!(parse_duration_ns("PT99999999999999999999999999S"), None);
    }
}
