//! Retry and timeout settings, and the pure decision of whether a failure is retried.

use std::time::Duration;

use crate::Error;

/// How failed requests are retried. Named after AWS smithy's `RetryConfig`.
///
/// Only requests that are safe to replay are retried (GET, PUT, DELETE, any request that never
/// reached the server, and any refused with 429 or with Frappe's maintenance 503), on
/// connection failures, timeouts, 429, 502, 503 and 504, with exponential backoff plus a random
/// jitter of up to one delay. A `Retry-After` (or `X-RateLimit-Reset`) from the server
/// replaces the computed delay; when it asks for longer than
/// [`max_retry_after`](Self::with_max_retry_after) the error is returned at once instead.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RetryConfig {
    /// Attempts in all, the first included. `1` disables retries.
    pub max_attempts: u32,
    /// Delay before the first retry (before jitter).
    pub initial_backoff: Duration,
    /// Longest computed delay between attempts.
    pub max_backoff: Duration,
    /// Longest server-requested wait the client honours.
    pub max_retry_after: Duration,
    /// Add a random share of the delay so that clients do not retry in step.
    pub jitter: bool,
}

impl RetryConfig {
    /// 3 attempts, 200 ms doubling up to 10 s, jittered, honouring waits of up to 60 s.
    pub fn standard() -> Self {
        Self {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(60),
            jitter: true,
        }
    }

    /// No retries: every request is attempted once.
    pub fn disabled() -> Self {
        Self {
            max_attempts: 1,
            ..Self::standard()
        }
    }

    /// Sets the number of attempts (the first included); `0` is treated as `1`.
    pub fn with_max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n.max(1);
        self
    }

    /// Sets the first delay.
    pub fn with_initial_backoff(mut self, d: Duration) -> Self {
        self.initial_backoff = d;
        self
    }

    /// Sets the longest computed delay.
    pub fn with_max_backoff(mut self, d: Duration) -> Self {
        self.max_backoff = d;
        self
    }

    /// Sets the longest server-requested wait that is honoured.
    pub fn with_max_retry_after(mut self, d: Duration) -> Self {
        self.max_retry_after = d;
        self
    }

    /// Turns jitter on or off.
    pub fn with_jitter(mut self, on: bool) -> Self {
        self.jitter = on;
        self
    }

    pub(crate) fn backoff(&self) -> backon::ExponentialBuilder {
        let b = backon::ExponentialBuilder::default()
            .with_min_delay(self.initial_backoff)
            .with_max_delay(self.max_backoff)
            .with_max_times(self.max_attempts.saturating_sub(1) as usize);
        if self.jitter { b.with_jitter() } else { b }
    }

    /// The delay before the next attempt after `err`, or `None` to give up. `computed` is the
    /// backoff's own next delay (`None` once attempts are exhausted).
    pub(crate) fn next_delay(&self, err: &Error, computed: Option<Duration>) -> Option<Duration> {
        let computed = computed?;
        match err.retry_after() {
            Some(wait) if wait > self.max_retry_after => None,
            Some(wait) => Some(wait),
            None => Some(computed),
        }
    }
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self::standard()
    }
}

/// Whether a failed attempt may be tried again: `err` must be transient and the request must be
/// safe to replay. A request that never reached the server (connection refused) is always
/// safe; a 429 means the server refused it before doing any work, so it is safe too.
pub(crate) fn should_retry(err: &Error, idempotent: bool) -> bool {
    if !err.is_retryable() {
        return false;
    }
    match err {
        Error::Transport { source, .. } if source.is_connect() => true,
        Error::Api(api) if api.status.as_u16() == 429 => true,
        // Frappe's own 503s (maintenance) refuse the request before it runs.
        Error::Api(api)
            if matches!(
                api.exc_type,
                Some(crate::ExcType::SessionStopped | crate::ExcType::InReadOnlyMode)
            ) =>
        {
            true
        }
        _ => idempotent,
    }
}

/// Time limits. Named after AWS smithy's `TimeoutConfig`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct TimeoutConfig {
    /// Time to establish a connection (applies to the client's own connection pool only; an
    /// injected `reqwest::Client` keeps its own setting).
    pub connect: Duration,
    /// Time for one attempt, from sending to the last byte of the answer.
    pub attempt: Duration,
    /// Time for the whole operation, retries and waits included; `None` for no limit.
    pub total: Option<Duration>,
}

impl TimeoutConfig {
    /// Connect 5 s, attempt 30 s, no overall limit.
    pub fn standard() -> Self {
        Self {
            connect: Duration::from_secs(5),
            attempt: Duration::from_secs(30),
            total: None,
        }
    }

    /// Sets the connect timeout.
    pub fn with_connect(mut self, d: Duration) -> Self {
        self.connect = d;
        self
    }

    /// Sets the per-attempt timeout.
    pub fn with_attempt(mut self, d: Duration) -> Self {
        self.attempt = d;
        self
    }

    /// Sets the overall deadline.
    pub fn with_total(mut self, d: Duration) -> Self {
        self.total = Some(d);
        self
    }
}

impl Default for TimeoutConfig {
    fn default() -> Self {
        Self::standard()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ApiError;
    use http::{HeaderMap, HeaderValue, StatusCode};

    fn api(status: u16, retry_after: Option<&str>) -> Error {
        let mut h = HeaderMap::new();
        if let Some(v) = retry_after {
            h.insert("retry-after", HeaderValue::from_str(v).unwrap());
        }
        Error::Api(Box::new(ApiError::from_response(
            StatusCode::from_u16(status).unwrap(),
            &h,
            b"",
        )))
    }

    #[test]
    fn gateway_errors_retry_only_idempotent_requests() {
        for s in [502, 503, 504] {
            assert!(should_retry(&api(s, None), true), "{s}");
            assert!(!should_retry(&api(s, None), false), "{s}");
        }
    }

    #[test]
    fn rate_limited_requests_retry_whatever_the_verb() {
        assert!(should_retry(&api(429, None), false));
    }

    #[test]
    fn maintenance_503s_retry_whatever_the_verb() {
        let body = br#"{"exc_type": "SessionStopped"}"#;
        let err = Error::Api(Box::new(ApiError::from_response(
            StatusCode::SERVICE_UNAVAILABLE,
            &HeaderMap::new(),
            body,
        )));
        assert!(should_retry(&err, false));
        assert!(!should_retry(&api(503, None), false));
    }

    #[test]
    fn rate_limit_reset_counts_only_for_429_and_absurd_waits_do_not_panic() {
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-reset", HeaderValue::from_static("3000"));
        let wait = |status: u16, h: &HeaderMap| {
            ApiError::from_response(StatusCode::from_u16(status).unwrap(), h, b"").retry_after
        };
        assert_eq!(wait(429, &h), Some(Duration::from_secs(3000)));
        assert_eq!(wait(503, &h), None);
        h.insert("retry-after", HeaderValue::from_static("1e30"));
        assert_eq!(wait(503, &h), None);
    }

    #[test]
    fn client_and_server_errors_never_retry() {
        for s in [400, 401, 403, 404, 409, 417, 500] {
            assert!(!should_retry(&api(s, None), true), "{s}");
        }
        assert!(!should_retry(&Error::InvalidInput("x".into()), true));
    }

    #[test]
    fn retry_after_replaces_the_backoff_and_too_long_waits_give_up() {
        let cfg = RetryConfig::standard().with_max_retry_after(Duration::from_secs(5));
        let d = Some(Duration::from_millis(100));
        assert_eq!(
            cfg.next_delay(&api(429, Some("2")), d),
            Some(Duration::from_secs(2))
        );
        assert_eq!(cfg.next_delay(&api(429, Some("30")), d), None);
        assert_eq!(cfg.next_delay(&api(503, None), d), d);
        assert_eq!(cfg.next_delay(&api(503, None), None), None);
    }
}
