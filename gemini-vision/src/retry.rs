//! Retry settings (the shared core's) and what Gemini's failures mean for them.

use std::time::Duration;

use gigafibre_client_core::Transient;
pub use gigafibre_client_core::{RetryConfig, TimeoutConfig};

use crate::Error;

/// Gemini's failures for the shared retry decision. `generateContent` is stateless, so the
/// client marks it idempotent: 429 (except per-day quotas), 500, 502, 503, 504, timeouts and
/// connection failures are retried.
impl Transient for Error {
    fn is_transient(&self) -> bool {
        self.is_retryable()
    }

    fn never_reached_server(&self) -> bool {
        matches!(self, Error::Transport(source) if source.is_connect())
    }

    fn refused_before_work(&self) -> bool {
        matches!(self, Error::QuotaExhausted { .. })
    }

    fn retry_after(&self) -> Option<Duration> {
        Error::retry_after(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gigafibre_client_core::should_retry;
    use http::StatusCode;

    fn quota(per_day: bool) -> Error {
        Error::QuotaExhausted {
            retry_after: Some(Duration::from_secs(26)),
            per_day,
            message: String::new(),
            quota_ids: Vec::new(),
        }
    }

    #[test]
    fn retry_decision() {
        assert!(should_retry(&quota(false), false));
        assert_eq!(
            Transient::retry_after(&quota(false)),
            Some(Duration::from_secs(26))
        );
        assert!(!should_retry(&quota(true), true));
        assert!(should_retry(&Error::Timeout(Duration::from_secs(1)), true));
        for (status, retried) in [(500, true), (504, true), (400, false), (403, false)] {
            let e = Error::Api {
                status: StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
                code: None,
                message: String::new(),
                reason: None,
                body: None,
            };
            assert_eq!(should_retry(&e, true), retried, "{status}");
        }
        assert!(!should_retry(&Error::NoCandidate, true));
        assert!(!should_retry(
            &Error::InvalidApiKey {
                message: String::new()
            },
            true
        ));
    }
}
