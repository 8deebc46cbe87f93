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

/// A point in time: unix ns, RFC 3339 UTC (`2025-03-01T12:00:00Z`, `2025-03-01`), or an age before now (`2h`).
pub fn parse_time_ns(text: &str) -> anyhow::Result<u64> {
    let text = text.trim();
    if text.len() > 12 && text.chars().all(|c| c.is_ascii_digit()) {
        return Ok(text.parse()?);
    }
    if text.len() >= 10 && text.as_bytes().get(4) == Some(&b'-') {
        return rootspan_ingest::parse_timestamp_ns(text)
            .ok_or_else(|| anyhow::anyhow!("time {text:?} is not RFC 3339 (YYYY-MM-DD[THH:MM:SS[.fff][Z|+HH:MM]])"));
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
