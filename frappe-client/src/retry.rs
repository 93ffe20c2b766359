//! Retry and timeout settings (from the shared client core), and what a Frappe failure means
//! for the retry decision.

use std::time::Duration;

use gigafibre_client_core::Transient;
pub use gigafibre_client_core::{RetryConfig, TimeoutConfig};

use crate::Error;

/// Frappe's failures for the shared retry decision: transient ones are 429, 502, 503, 504,
/// connection failures and timeouts; a 429 and Frappe's maintenance 503s (`SessionStopped`,
/// `InReadOnlyMode`) refuse a request before it runs, so any verb may be replayed after them.
impl Transient for Error {
    fn is_transient(&self) -> bool {
        self.is_retryable()
    }

    fn never_reached_server(&self) -> bool {
        matches!(self, Error::Transport { source, .. } if source.is_connect())
    }

    fn refused_before_work(&self) -> bool {
        match self {
            Error::Api(api) if api.status.as_u16() == 429 => true,
            Error::Api(api) => matches!(
                api.exc_type,
                Some(crate::ExcType::SessionStopped | crate::ExcType::InReadOnlyMode)
            ),
            _ => false,
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        Error::retry_after(self)
    }
}

/// Whether a failed attempt may be tried again (the shared decision over [`Transient`]).
#[cfg(test)]
pub(crate) fn should_retry(err: &Error, idempotent: bool) -> bool {
    gigafibre_client_core::should_retry(err, idempotent)
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
