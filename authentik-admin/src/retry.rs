//! Retry settings (the shared core's) and what authentik's failures mean for them.

use std::time::Duration;

use gigafibre_client_core::Transient;
pub use gigafibre_client_core::{RetryConfig, TimeoutConfig};

use crate::Error;

/// authentik's failures for the shared retry decision. The client marks only `GET`s
/// idempotent, so a write is replayed only when it never reached the server or was refused
/// with 429.
impl Transient for Error {
    fn is_transient(&self) -> bool {
        self.is_retryable()
    }

    fn never_reached_server(&self) -> bool {
        matches!(self, Error::Transport { source, .. } if source.is_connect())
    }

    fn refused_before_work(&self) -> bool {
        matches!(self, Error::Api { status, .. } if status.as_u16() == 429)
    }

    fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Api { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gigafibre_client_core::should_retry;
    use http::StatusCode;

    fn api(status: StatusCode) -> Error {
        Error::Api {
            status,
            excerpt: String::new(),
            retry_after: Some(Duration::from_secs(1)),
        }
    }

    #[test]
    fn gets_retry_on_gateway_errors_writes_only_on_429() {
        assert!(should_retry(&api(StatusCode::BAD_GATEWAY), true));
        assert!(!should_retry(&api(StatusCode::BAD_GATEWAY), false));
        assert!(should_retry(&api(StatusCode::TOO_MANY_REQUESTS), false));
        assert!(!should_retry(&Error::NoRecoveryFlow, true));
        assert!(!should_retry(&Error::PasswordRejected, true));
        assert_eq!(
            Transient::retry_after(&api(StatusCode::SERVICE_UNAVAILABLE)),
            Some(Duration::from_secs(1))
        );
    }
}
