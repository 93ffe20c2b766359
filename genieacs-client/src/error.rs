//! The crate's [`Error`].

use std::time::Duration;

use gigafibre_client_core::Transient;
use http::StatusCode;

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong talking to the GenieACS NBI. No variant holds a credential.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The NBI answered with an error status.
    #[error("GenieACS answered {status}: {}", if message.is_empty() { status.canonical_reason().unwrap_or("") } else { message.as_str() })]
    Api {
        /// HTTP status.
        status: StatusCode,
        /// The body (GenieACS puts its error text there: `SyntaxError: …`).
        message: String,
    },
    /// 404: no such device (or task, or route).
    #[error("not found in GenieACS: {0}")]
    NotFound(String),
    /// 503 `Device is in session`: the device's CWMP session holds its lock; try again shortly.
    #[error("the device is in a CWMP session; try again shortly")]
    DeviceBusy,
    /// The connection closed without an answer: the NBI worker crashed on the request (it does
    /// on some malformed inputs) or was restarted. Never retried for a write.
    #[error("GenieACS closed the connection without answering ({path})")]
    ConnectionClosed {
        /// The API path requested.
        path: String,
    },
    /// No answer within the configured timeout.
    #[error("no answer from GenieACS within {0:?}")]
    Timeout(Duration),
    /// The request could not be sent (connect, TLS, reset).
    #[error("could not reach GenieACS ({path})")]
    Transport {
        /// The API path requested.
        path: String,
        /// The underlying error, without its URL.
        #[source]
        source: reqwest::Error,
    },
    /// A success answer did not have the expected shape.
    #[error("could not decode the answer of {endpoint} at `{path}`")]
    Decode {
        /// The API path requested.
        endpoint: String,
        /// The JSON path where decoding failed.
        path: String,
        /// The serde error.
        #[source]
        source: serde_json::Error,
    },
    /// The caller's input was refused before anything was sent (it could crash the NBI).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The client was built with an unusable configuration.
    #[error("invalid configuration: {0}")]
    Config(String),
}

impl Error {
    /// The HTTP status, when there was an answer.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Api { status, .. } => Some(*status),
            Error::NotFound(_) => Some(StatusCode::NOT_FOUND),
            Error::DeviceBusy => Some(StatusCode::SERVICE_UNAVAILABLE),
            _ => None,
        }
    }

    /// Not found.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound(_))
    }

    /// Whether a later attempt may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Timeout(_) | Error::DeviceBusy | Error::ConnectionClosed { .. } => true,
            Error::Transport { source, .. } => source.is_connect() || source.is_request(),
            Error::Api { status, .. } => matches!(status.as_u16(), 429 | 502 | 503 | 504),
            _ => false,
        }
    }
}

/// GenieACS's failures for the shared retry decision: a closed connection or a timeout is
/// retried only for reads; `Device is in session` refused the request before doing anything
/// (the lock is not taken), so a delete may be replayed after it.
impl Transient for Error {
    fn is_transient(&self) -> bool {
        self.is_retryable()
    }

    fn never_reached_server(&self) -> bool {
        matches!(self, Error::Transport { source, .. } if source.is_connect())
    }

    fn refused_before_work(&self) -> bool {
        matches!(self, Error::DeviceBusy)
            || matches!(self, Error::Api { status, .. } if status.as_u16() == 429)
    }

    fn retry_after(&self) -> Option<Duration> {
        None
    }
}

/// Whether a reqwest error means the server closed the connection before answering.
pub(crate) fn closed_without_answer(e: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        let text = s.to_string();
        if text.contains("connection closed before message completed")
            || text.contains("IncompleteMessage")
            || text.contains("connection reset")
        {
            return true;
        }
        source = s.source();
    }
    false
}
