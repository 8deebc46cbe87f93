//! The transport of forwarding ([`rootspan_app::forward`]): one task per destination takes the
//! oldest queued export and POSTs it over OTLP/HTTP to `BASE/v1/traces` or `BASE/v1/logs`,
//! with the content type and encoding it arrived with and the project header, and reads the
//! answer as OTLP/HTTP defines it: 2xx delivered; 429, 502, 503, 504 and connection failures
//! retried (after `Retry-After` when given, else with backoff); anything else refused.
//!
//! Credentials in a destination URL (`http://user:password@host:port`) are sent as HTTP basic
//! authentication and never appear in logs or metrics: destinations are named by their
//! scheme, host, port and path only. Only `http://` destinations are supported (this build has
//! no TLS); an `https://` backend is reached through a local OpenTelemetry Collector.

use anyhow::{Context, bail};
use axum::http::{HeaderValue, header};
use base64::Engine;
use rootspan_app::Compression;
use rootspan_app::forward::{Backoff, Delivery, Destination, Forwarded, Forwarder};
use std::sync::Arc;
use std::time::Duration;

/// How long one delivery attempt may take.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A destination from a `--forward` URL: checked, named without credentials, queue of
/// `queue_bytes`. The error names what is wrong, and the URL only without its credentials.
pub fn destination(url: &str, queue_bytes: usize) -> anyhow::Result<Destination> {
    let parsed = reqwest::Url::parse(url.trim()).map_err(|error| {
        // The text may hold credentials: name the URL only by what precedes them.
        let shown = url.split('@').next_back().unwrap_or_default();
        anyhow::anyhow!("--forward URL ...{shown:?} is not a URL ({error}); give an OTLP/HTTP base URL such as http://127.0.0.1:4318")
    })?;
    let label = label_of(&parsed);
    match parsed.scheme() {
        "http" => {}
        "https" => bail!(
            "--forward {label}: https is not supported by this build; forward to a local OpenTelemetry Collector over http"
        ),
        other => bail!(
            "--forward {label}: unsupported scheme {other:?}; give an OTLP/HTTP base URL such as http://127.0.0.1:4318"
        ),
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        bail!("--forward {label}: the URL names no host");
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        bail!("--forward {label}: a base URL takes no query or fragment");
    }
    Ok(Destination::new(label, parsed.as_str().trim_end_matches('/'), queue_bytes))
}

/// `scheme://host:port/path` without credentials, query or trailing slash.
fn label_of(url: &reqwest::Url) -> String {
    let host = url.host_str().unwrap_or_default();
    let port = url.port().map(|port| format!(":{port}")).unwrap_or_default();
    format!("{}://{host}{port}{}", url.scheme(), url.path().trim_end_matches('/'))
}

/// Where one destination's requests go, parsed once.
struct Target {
    /// The base URL without credentials or trailing slash.
    base: String,
    authorization: Option<HeaderValue>,
}

impl Target {
    fn of(destination: &Destination) -> anyhow::Result<Target> {
        let mut url = reqwest::Url::parse(destination.target())
            .with_context(|| format!("the forward URL of {} does not parse", destination.label()))?;
        let authorization = if url.username().is_empty() && url.password().is_none() {
            None
        } else {
            let decode = |text: &str| percent_decode(text);
            let credentials = format!("{}:{}", decode(url.username()), decode(url.password().unwrap_or_default()));
            let encoded = base64::engine::general_purpose::STANDARD.encode(credentials);
            let mut value = HeaderValue::from_str(&format!("Basic {encoded}"))
                .with_context(|| format!("the credentials of {} do not fit a header", destination.label()))?;
            value.set_sensitive(true);
            let _ = url.set_username("");
            let _ = url.set_password(None);
            Some(value)
        };
        Ok(Target { base: url.as_str().trim_end_matches('/').to_owned(), authorization })
    }
}

/// `%XX` sequences of URL userinfo decoded (as browsers and curl send them).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[index] == b'%'
            && index + 2 < bytes.len()
            && let (Some(high), Some(low)) = (hex(bytes[index + 1]), hex(bytes[index + 2]))
        {
            out.push((high * 16 + low) as u8);
            index += 3;
            continue;
        }
        out.push(bytes[index]);
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The `Retry-After` delay of an answer, when it gives one in seconds.
fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    let text = response.headers().get(header::RETRY_AFTER)?.to_str().ok()?;
    text.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// One delivery attempt.
async fn attempt(client: &reqwest::Client, target: &Target, item: &Forwarded) -> Delivery {
    let mut request = client
        .post(format!("{}{}", target.base, item.path()))
        .header(header::CONTENT_TYPE, item.content_type())
        .body(bytes::Bytes::from_owner(item.body.clone()));
    if item.compression == Compression::Gzip {
        request = request.header(header::CONTENT_ENCODING, "gzip");
    }
    if let Some(project) = &item.project {
        request = request.header(crate::otlp_http::PROJECT_HEADER, project.as_ref());
    }
    if let Some(authorization) = &target.authorization {
        request = request.header(header::AUTHORIZATION, authorization.clone());
    }
    let response = match request.send().await {
        Ok(response) => response,
        Err(error) => {
            // Without the URL: it is the destination's, which the log names by its label.
            let error = error.without_url();
            let reason = if error.is_timeout() {
                "timed out".to_owned()
            } else if error.is_connect() {
                "could not connect".to_owned()
            } else {
                format!("request failed: {error}")
            };
            return Delivery::Retry { after: None, reason };
        }
    };
    let status = response.status();
    let after = retry_after(&response);
    // Read the answer to its end, so the connection can be reused.
    let _ = response.bytes().await;
    match status.as_u16() {
        200..=299 => Delivery::Delivered,
        429 | 502 | 503 | 504 => Delivery::Retry { after, reason: format!("answered {status}") },
        _ => Delivery::Refused { reason: format!("answered {status}") },
    }
}

/// Delivers one destination's queue until `stop` is set.
async fn deliver(
    destination: Arc<Destination>,
    client: reqwest::Client,
    wake: Arc<tokio::sync::Notify>,
    mut stop: tokio::sync::watch::Receiver<bool>,
    seed: u64,
) {
    let target = match Target::of(&destination) {
        Ok(target) => target,
        Err(error) => {
            tracing::error!(destination = destination.label(), %error, "forwarding disabled for this destination");
            return;
        }
    };
    let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(30), seed);
    let mut failing = false;
    loop {
        if *stop.borrow() {
            return;
        }
        let Some(item) = destination.take() else {
            tokio::select! {
                () = wake.notified() => continue,
                _ = stop.changed() => return,
            }
        };
        loop {
            match attempt(&client, &target, &item).await {
                Delivery::Delivered => {
                    if failing {
                        tracing::info!(destination = destination.label(), "forwarding works again");
                        failing = false;
                    }
                    destination.finish(&item, true);
                    backoff.reset();
                    break;
                }
                Delivery::Refused { reason } => {
                    tracing::warn!(destination = destination.label(), %reason, bytes = item.body.len(), "a forwarded export was refused; dropped");
                    destination.finish(&item, false);
                    break;
                }
                Delivery::Retry { after, reason } => {
                    destination.retrying();
                    let delay = backoff.next_delay(after);
                    if !failing {
                        tracing::warn!(destination = destination.label(), %reason, retry_in_ms = delay.as_millis() as u64, "forwarding failed; retrying");
                        failing = true;
                    } else {
                        tracing::debug!(destination = destination.label(), %reason, retry_in_ms = delay.as_millis() as u64, "forwarding still failing");
                    }
                    tokio::select! {
                        () = tokio::time::sleep(delay) => {}
                        _ = stop.changed() => return,
                    }
                }
            }
        }
    }
}

/// The running delivery tasks of a forwarder.
pub struct Forwarding {
    forwarder: Arc<Forwarder>,
    stop: tokio::sync::watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

/// Starts one delivery task per destination on the current runtime.
pub fn start(forwarder: Arc<Forwarder>) -> anyhow::Result<Forwarding> {
    let client = reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(ATTEMPT_TIMEOUT)
        .user_agent(concat!("rootspan/", env!("CARGO_PKG_VERSION")))
        .build()
        .context("building the forwarding HTTP client")?;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let seed = {
        use std::hash::{BuildHasher, Hasher};
        std::collections::hash_map::RandomState::new().build_hasher().finish()
    };
    let mut tasks = Vec::new();
    for (index, destination) in forwarder.destinations().iter().enumerate() {
        let wake = Arc::new(tokio::sync::Notify::new());
        let notify = wake.clone();
        destination.set_waker(move || notify.notify_one());
        tasks.push(tokio::spawn(deliver(
            destination.clone(),
            client.clone(),
            wake,
            stopped.clone(),
            seed.wrapping_add(index as u64),
        )));
    }
    Ok(Forwarding { forwarder, stop, tasks })
}

impl Forwarding {
    /// Lets the queues drain for up to `grace`, then stops the tasks; what is still undelivered
    /// is counted as dropped at shutdown and logged.
    pub async fn shutdown(self, grace: Duration) {
        let deadline = tokio::time::Instant::now() + grace;
        while tokio::time::Instant::now() < deadline && !self.forwarder.destinations().iter().all(|d| d.is_idle()) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
        for destination in self.forwarder.destinations() {
            let left = destination.abandon();
            if left > 0 {
                tracing::warn!(
                    destination = destination.label(),
                    requests = left,
                    "exports not forwarded before shutdown"
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_are_named_without_credentials() {
        let destination = destination("http://user:s%40cret@127.0.0.1:5318/otlp/", 1024).unwrap();
        assert_eq!(destination.label(), "http://127.0.0.1:5318/otlp");
        let target = Target::of(&destination).unwrap();
        assert_eq!(target.base, "http://127.0.0.1:5318/otlp");
        let authorization = target.authorization.unwrap();
        assert!(authorization.is_sensitive());
        // user:s@cret
        assert_eq!(authorization.to_str().unwrap(), "Basic dXNlcjpzQGNyZXQ=");
    }

    #[test]
    fn bad_urls_are_named_without_their_credentials() {
        let error = destination("https://user:topsecret@example.com", 1).unwrap_err().to_string();
        assert!(error.contains("https is not supported") && !error.contains("topsecret"), "{error}");
        let error = destination("ftp://example.com", 1).unwrap_err().to_string();
        assert!(error.contains("unsupported scheme"), "{error}");
        let error = destination("not a url", 1).unwrap_err().to_string();
        assert!(error.contains("not a URL"), "{error}");
        let error = destination("http://u:topsecret@[bad", 1).unwrap_err().to_string();
        assert!(!error.contains("topsecret"), "{error}");
        let error = destination("http://127.0.0.1:1/?a=b", 1).unwrap_err().to_string();
        assert!(error.contains("no query"), "{error}");
    }

    #[test]
    fn percent_escapes_of_userinfo_are_decoded() {
        assert_eq!(percent_decode("a%3Ab%2"), "a:b%2");
        assert_eq!(percent_decode("plain"), "plain");
    }
}
