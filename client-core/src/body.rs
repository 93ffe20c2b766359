//! Error answers, kept whole: status, the raw text, the JSON when it is JSON, and how long the
//! server asked the client to wait.

use std::time::Duration;

use http::{HeaderMap, StatusCode};
use serde_json::Value;

/// An error answer as received. Decoding it never fails: a body that is not JSON (a proxy's
/// HTML 502, a plain-text 429) is kept as text.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorBody {
    /// HTTP status.
    pub status: StatusCode,
    /// The body as text (lossy UTF-8).
    pub text: String,
    /// The body decoded, when it is JSON.
    pub json: Option<Value>,
    /// The wait the server asked for ([`retry_after`]).
    pub retry_after: Option<Duration>,
}

impl ErrorBody {
    /// Captures an error answer.
    ///
    /// ```
    /// use http::{HeaderMap, StatusCode};
    /// let mut h = HeaderMap::new();
    /// h.insert("retry-after", "2".parse().unwrap());
    /// let e = gigafibre_client_core::ErrorBody::capture(StatusCode::TOO_MANY_REQUESTS, &h, b"{\"error\": \"slow down\"}");
    /// assert_eq!(e.json.unwrap()["error"], "slow down");
    /// assert_eq!(e.retry_after, Some(std::time::Duration::from_secs(2)));
    /// let html = gigafibre_client_core::ErrorBody::capture(StatusCode::BAD_GATEWAY, &HeaderMap::new(), b"<html>502</html>");
    /// assert!(html.json.is_none() && html.text.contains("502"));
    /// ```
    pub fn capture(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Self {
        Self {
            status,
            text: String::from_utf8_lossy(body).into_owned(),
            json: serde_json::from_slice(body).ok(),
            retry_after: retry_after(status, headers),
        }
    }
}

fn header_str<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// `Retry-After` as seconds (the HTTP-date form is ignored), else — on a 429 only —
/// `X-RateLimit-Reset` (seconds until the rate window ends; on other statuses it says nothing
/// about how long a failure lasts). Absurd values (negative, not finite, beyond `Duration`) are
/// `None`, never a panic.
pub fn retry_after(status: StatusCode, headers: &HeaderMap) -> Option<Duration> {
    let secs = |name| {
        header_str(headers, name)
            .and_then(|v| v.parse::<f64>().ok())
            .and_then(|s| Duration::try_from_secs_f64(s).ok())
    };
    secs("retry-after").or_else(|| {
        (status == StatusCode::TOO_MANY_REQUESTS)
            .then(|| secs("x-ratelimit-reset"))
            .flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn rate_limit_reset_counts_only_for_429_and_absurd_waits_do_not_panic() {
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-reset", HeaderValue::from_static("3000"));
        assert_eq!(
            retry_after(StatusCode::TOO_MANY_REQUESTS, &h),
            Some(Duration::from_secs(3000))
        );
        assert_eq!(retry_after(StatusCode::SERVICE_UNAVAILABLE, &h), None);
        h.insert("retry-after", HeaderValue::from_static("1e30"));
        assert_eq!(retry_after(StatusCode::SERVICE_UNAVAILABLE, &h), None);
        h.insert("retry-after", HeaderValue::from_static("-1"));
        assert_eq!(retry_after(StatusCode::SERVICE_UNAVAILABLE, &h), None);
    }
}
