//! Formats every human-facing adapter shares (the CLI's tables, the web UI): UTC timestamps and
//! costs, so the terminal and the browser show a trace alike.

/// Unix nanoseconds as `YYYY-MM-DD HH:MM:SS` UTC.
pub fn utc_timestamp(unix_nano: u64) -> String {
    let secs = (unix_nano / 1_000_000_000) as i64;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}", rem / 3600, (rem / 60) % 60, rem % 60)
}

/// Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `$0.0123` below a cent, `$1.23` above, empty for zero or less.
pub fn usd(cost: f64) -> String {
    if cost <= 0.0 {
        String::new()
    } else if cost < 0.01 {
        format!("${cost:.4}")
    } else {
        format!("${cost:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_times_and_costs() {
        assert_eq!(utc_timestamp(0), "1970-01-01 00:00:00");
        assert_eq!(utc_timestamp(1_700_000_000_000_000_000), "2023-11-14 22:13:20");
        assert_eq!(utc_timestamp(951_782_400_000_000_000), "2000-02-29 00:00:00");
        assert_eq!(usd(0.0), "");
        assert_eq!(usd(0.00123), "$0.0012");
        assert_eq!(usd(1.5), "$1.50");
    }
}
