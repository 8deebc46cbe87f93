//! Parsing times and durations given on the command line.

use anyhow::bail;

/// `500ms`, `2s`, `1.5m`, `2h`, `7d`, or plain nanoseconds.
pub fn parse_duration_ns(text: &str) -> anyhow::Result<u64> {
    let text = text.trim();
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let Ok(value) = number.parse::<f64>() else {
        bail!("duration {text:?} must be a number with a unit: 500ms, 2s, 5m, 2h, 7d");
    };
    let scale = match unit {
        "" | "ns" => 1.0,
        "us" | "µs" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        "m" => 60e9,
        "h" => 3600e9,
        "d" => 86_400e9,
        other => bail!("duration {text:?}: unknown unit {other:?} (use ns, us, ms, s, m, h, d)"),
    };
    Ok((value * scale) as u64)
}

fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A point in time: unix ns, RFC 3339 UTC (`2025-03-01T12:00:00Z`, `2025-03-01`), or an age before now (`2h`).
pub fn parse_time_ns(text: &str) -> anyhow::Result<u64> {
    let text = text.trim();
    if text.len() > 12 && text.chars().all(|c| c.is_ascii_digit()) {
        return Ok(text.parse()?);
    }
    if text.len() >= 10 && text.as_bytes().get(4) == Some(&b'-') {
        let field = |range: std::ops::Range<usize>| -> anyhow::Result<i64> {
            text.get(range)
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| anyhow::anyhow!("time {text:?} is not YYYY-MM-DD[THH:MM:SS[Z]]"))
        };
        let days = days_from_civil(field(0..4)?, field(5..7)?, field(8..10)?);
        let (hour, minute, second) =
            if text.len() >= 19 { (field(11..13)?, field(14..16)?, field(17..19)?) } else { (0, 0, 0) };
        let secs = days * 86_400 + hour * 3600 + minute * 60 + second;
        return Ok((secs.max(0) as u64) * 1_000_000_000);
    }
    let age = parse_duration_ns(text)?;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_nanos() as u64;
    Ok(now.saturating_sub(age))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses() {
        assert_eq!(parse_duration_ns("500ms").unwrap(), 500_000_000);
        assert_eq!(parse_time_ns("1970-01-02").unwrap(), 86_400_000_000_000);
        assert_eq!(parse_time_ns("2023-11-14T22:13:20Z").unwrap(), 1_700_000_000_000_000_000);
        assert!(parse_duration_ns("5 parsecs").is_err());
    }
}
