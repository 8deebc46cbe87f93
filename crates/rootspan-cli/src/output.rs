//! Output helpers: JSON printing, human formatting of durations, tokens and money.

use serde::Serialize;

/// Prints a value as pretty JSON on stdout.
pub fn print_json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(value)?;
    println!("{text}");
    Ok(())
}

/// `1.23s`, `45ms`, `12µs`.
pub fn duration(ns: u64) -> String {
    if ns >= 60_000_000_000 {
        format!("{}m{:02}s", ns / 60_000_000_000, (ns / 1_000_000_000) % 60)
    } else if ns >= 1_000_000_000 {
        format!("{:.2}s", ns as f64 / 1e9)
    } else if ns >= 1_000_000 {
        format!("{}ms", ns / 1_000_000)
    } else {
        format!("{}µs", ns / 1_000)
    }
}

/// `$0.0123`, empty for zero.
pub fn money(usd: f64) -> String {
    rootspan_model::display::usd(usd)
}

/// Unix nanoseconds as `YYYY-MM-DD HH:MM:SS` UTC.
pub fn timestamp(unix_nano: u64) -> String {
    rootspan_model::display::utc_timestamp(unix_nano)
}

/// Whether to colour standard output: when it is a terminal (or `CLICOLOR_FORCE` is set and not
/// `0`), and never when `NO_COLOR` is set and not empty (<https://no-color.org>).
pub fn color_enabled() -> bool {
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    if set("NO_COLOR") {
        return false;
    }
    let forced = std::env::var_os("CLICOLOR_FORCE").is_some_and(|v| !v.is_empty() && v != "0");
    forced || std::io::IsTerminal::is_terminal(&std::io::stdout())
}

/// `text` in the SGR style `code` (e.g. `1;31`, bold red) when `color`, else as it is.
pub fn paint(text: &str, code: &str, color: bool) -> String {
    if color { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_owned() }
}

/// Cuts text to `width` characters with an ellipsis, on one line.
pub fn clip(text: &str, width: usize) -> String {
    let line: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if line.chars().count() <= width {
        return line;
    }
    let mut out: String = line.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats() {
        assert_eq!(super::timestamp(0), "1970-01-01 00:00:00");
        assert_eq!(super::timestamp(1_700_000_000_000_000_000), "2023-11-14 22:13:20");
        assert_eq!(super::duration(1_500_000), "1ms");
        assert_eq!(super::clip("abcdef", 4), "abc…");
    }
}
