//! HTML building blocks: escaping, the page layout, and the formats every page shares
//! (durations, times, tokens, costs, kind and status badges).

use std::fmt::Write;

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Percent-encodes a query parameter value.
pub fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(byte as char),
            _ => {
                let _ = write!(out, "%{byte:02X}");
            }
        }
    }
    out
}

/// JSON for a `<script type="application/json">` block: `<` escaped so no text can close it.
pub fn script_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".into()).replace('<', "\\u003c")
}

const NAV: &[(&str, &str, &str)] = &[
    ("traces", "/", "Traces"),
    ("clusters", "/clusters", "Clusters"),
    ("sessions", "/sessions", "Sessions"),
    ("governance", "/governance", "Governance"),
];

/// A whole page: head, navigation (with `active` marked) and `body`.
pub fn layout(title: &str, active: &str, body: &str) -> String {
    let mut nav = String::new();
    for (id, href, label) in NAV {
        let current = if *id == active { " aria-current=\"page\"" } else { "" };
        let _ = write!(nav, "<a href=\"{href}\"{current}>{label}</a>");
    }
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{title} · rootspan</title><link rel=\"stylesheet\" href=\"/ui/app.css\">\
<script type=\"module\" src=\"/ui/common.js\"></script></head>\
<body><header class=\"top\"><a class=\"brand\" href=\"/\">rootspan</a><nav>{nav}</nav>\
<form class=\"jump\" action=\"/traces\" method=\"get\" data-jump><input name=\"id\" placeholder=\"trace id or prefix\" aria-label=\"open trace by id\"></form>\
</header><main>{body}</main></body></html>",
        title = escape(title),
    )
}

/// `1.23 s`, `45.6 ms`, `789 µs`, `12 ns`.
pub fn duration(ns: u64) -> String {
    let value = ns as f64;
    if ns >= 60_000_000_000 {
        format!("{:.1} min", value / 60e9)
    } else if ns >= 1_000_000_000 {
        format!("{:.2} s", value / 1e9)
    } else if ns >= 1_000_000 {
        format!("{:.1} ms", value / 1e6)
    } else if ns >= 1_000 {
        format!("{:.0} µs", value / 1e3)
    } else {
        format!("{ns} ns")
    }
}

/// UTC `YYYY-MM-DD HH:MM:SS`.
pub fn time(unix_nano: u64) -> String {
    rootspan_model::display::utc_timestamp(unix_nano)
}

/// `12,345`.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `$0.0123`, or an empty string for nothing.
pub fn cost(usd: f64) -> String {
    rootspan_model::display::usd(usd)
}

/// A kind badge.
pub fn kind_badge(kind: &str) -> String {
    format!("<span class=\"kind kind-{k}\">{k}</span>", k = escape(kind))
}

/// An OTel status badge.
pub fn status_badge(status: &str) -> String {
    format!("<span class=\"status status-{s}\">{s}</span>", s = escape(status))
}

/// The verdict of a run: the OTel status next to the diagnosed failure mode, with a run that
/// "succeeded" yet failed marked as such.
pub fn verdict(status: &str, failure_mode: Option<&str>) -> String {
    match failure_mode.filter(|m| !m.is_empty() && *m != "none") {
        Some(mode) if status != "error" => format!(
            "<span class=\"verdict silent\" title=\"OTel status ok, but the diagnosis found a failure\">succeeded · wrong</span> <span class=\"mode\">{}</span>",
            escape(mode)
        ),
        Some(mode) => {
            format!("<span class=\"verdict failed\">failed</span> <span class=\"mode\">{}</span>", escape(mode))
        }
        None if status == "error" => "<span class=\"verdict failed\">error</span>".to_owned(),
        None => "<span class=\"verdict ok\">ok</span>".to_owned(),
    }
}

/// Pretty JSON when the text is JSON, else the text; escaped, inside `<pre>`.
pub fn pre_json(text: &str) -> String {
    let pretty = serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .filter(|v| v.is_object() || v.is_array())
        .and_then(|v| serde_json::to_string_pretty(&v).ok());
    format!("<pre class=\"json\">{}</pre>", escape(pretty.as_deref().unwrap_or(text)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(escape("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
    }

    #[test]
    fn formats_times_and_counts() {
        assert_eq!(time(0), "1970-01-01 00:00:00");
        assert_eq!(time(1_700_000_000_000_000_000), "2023-11-14 22:13:20");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(duration(1_500_000_000), "1.50 s");
        assert_eq!(url_encode("a b&c"), "a%20b%26c");
    }
}
