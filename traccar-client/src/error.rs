//! The crate's [`Error`], and the decoding of Traccar's error answers (a 400 whose body is a
//! plain-text Java stack trace).

use std::time::Duration;

use gigafibre_client_core::Transient;
use http::StatusCode;

use crate::version::Version;

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// How many characters of a stack trace an error keeps (the first line is always whole up to
/// this length; the rest of the trace is dropped).
pub const TRACE_EXCERPT_CHARS: usize = 600;

/// Everything that can go wrong talking to Traccar. No variant holds a credential, and no
/// variant holds a whole stack trace.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A permission denial: Traccar answers 400 with `java.lang.SecurityException: Device
    /// access denied` (or `Write access denied`, `Manager access required`, ...). Traccar has
    /// no 403.
    #[error("Traccar denied access: {message}")]
    AccessDenied {
        /// The exception's message (`Device access denied`).
        message: String,
        /// The Java exception class (`java.lang.SecurityException`).
        exception: String,
    },
    /// A validation error: 400 with `java.lang.IllegalArgumentException: ...`.
    #[error("Traccar refused an argument: {message}")]
    InvalidArgument {
        /// The exception's message.
        message: String,
        /// The Java exception class.
        exception: String,
    },
    /// Any other Java exception Traccar answered with (storage errors, a period over
    /// `report.periodLimit`, ...).
    #[error("Traccar answered {status} with {exception}: {message}")]
    ServerException {
        /// HTTP status (400 for nearly everything).
        status: StatusCode,
        /// The Java exception class (`java.sql.SQLException`), empty when the body was not a
        /// stack trace.
        exception: String,
        /// The exception's message (first line after the class).
        message: String,
        /// The start of the body, at most [`TRACE_EXCERPT_CHARS`] characters.
        excerpt: String,
    },
    /// 401: not authenticated (bad token, wrong password, expired session). Traccar sends an
    /// empty body.
    #[error("{}", if *totp_required { "Traccar requires a TOTP code for this account" } else { "Traccar refused the credentials (401)" })]
    Unauthorized {
        /// The server answered `WWW-Authenticate: TOTP`: the account has two-factor login and
        /// no (or a wrong) code was sent.
        totp_required: bool,
    },
    /// 404: no such object.
    #[error("not found in Traccar: {path}")]
    NotFound {
        /// The API path requested.
        path: String,
    },
    /// Another error status (429, 5xx from a proxy, ...).
    #[error("Traccar answered {status}")]
    Api {
        /// HTTP status.
        status: StatusCode,
        /// The start of the body, at most [`TRACE_EXCERPT_CHARS`] characters.
        excerpt: String,
        /// `Retry-After`, when the server sent one.
        retry_after: Option<Duration>,
    },
    /// The server's version is too old for a parameter the call needs.
    #[error("{feature} needs Traccar {since} or later; the server runs {server}")]
    Unsupported {
        /// What was asked for (`limit/offset`, `keyword`, `excludeAttributes`).
        feature: &'static str,
        /// The first version that has it.
        since: Version,
        /// The server's version (from `/api/server`).
        server: Version,
    },
    /// A history window of one second still returned `report.maxPositions` positions: the
    /// answer may have been cut and the client cannot split it further.
    #[error("{count} positions between {from} and {to}: the server's cap may have cut the answer")]
    HistoryTruncated {
        /// Window start.
        from: chrono::DateTime<chrono::Utc>,
        /// Window end.
        to: chrono::DateTime<chrono::Utc>,
        /// Positions received.
        count: usize,
    },
    /// No answer within the configured timeout.
    #[error("no answer from Traccar within {0:?}")]
    Timeout(Duration),
    /// The request could not be sent or its answer read (connect, TLS, reset).
    #[error("could not reach Traccar ({path})")]
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
    /// The WebSocket feed failed (handshake refused, protocol error).
    #[error("Traccar WebSocket feed: {0}")]
    WebSocket(String),
    /// The caller's input was refused before anything was sent.
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
            Error::AccessDenied { .. } | Error::InvalidArgument { .. } => {
                Some(StatusCode::BAD_REQUEST)
            }
            Error::ServerException { status, .. } | Error::Api { status, .. } => Some(*status),
            Error::Unauthorized { .. } => Some(StatusCode::UNAUTHORIZED),
            Error::NotFound { .. } => Some(StatusCode::NOT_FOUND),
            _ => None,
        }
    }

    /// A permission denial ([`Error::AccessDenied`]).
    pub fn is_access_denied(&self) -> bool {
        matches!(self, Error::AccessDenied { .. })
    }

    /// Not found.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound { .. })
    }

    /// Not authenticated ([`Error::Unauthorized`]).
    pub fn is_unauthorized(&self) -> bool {
        matches!(self, Error::Unauthorized { .. })
    }

    /// The Java exception class of a 400 answer, when there was one.
    pub fn exception(&self) -> Option<&str> {
        match self {
            Error::AccessDenied { exception, .. }
            | Error::InvalidArgument { exception, .. }
            | Error::ServerException { exception, .. } => Some(exception),
            _ => None,
        }
    }

    /// Whether a later attempt may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Timeout(_) => true,
            Error::Transport { source, .. } => {
                source.is_connect() || source.is_request() || source.is_body()
            }
            Error::Api { status, .. } => matches!(status.as_u16(), 429 | 502 | 503 | 504),
            // A transient storage error (pool exhausted, connection lost) inside Traccar.
            Error::ServerException { exception, .. } => exception.contains("SQLTransient"),
            _ => false,
        }
    }
}

/// Traccar's failures for the shared retry decision. The client marks only `GET`s idempotent,
/// so a write is replayed only when it never reached the server or was refused with 429.
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

/// The first line of a Java stack trace, split: `java.lang.SecurityException: Device access
/// denied` gives `("java.lang.SecurityException", "Device access denied")`. A first line that
/// does not start with a class name gives an empty class and the line as the message.
pub(crate) fn split_exception(body: &str) -> (String, String) {
    let first = body.lines().next().unwrap_or("").trim();
    let (head, rest) = match first.split_once(':') {
        Some((h, r)) => (h.trim(), r.trim()),
        None => (first, ""),
    };
    let looks_like_class = !head.is_empty()
        && !head.contains(char::is_whitespace)
        && head
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '$' | '_'))
        && (head.contains('.') || head.ends_with("Exception") || head.ends_with("Error"));
    if looks_like_class {
        (head.to_owned(), truncate(rest, TRACE_EXCERPT_CHARS))
    } else {
        (String::new(), truncate(first, TRACE_EXCERPT_CHARS))
    }
}

/// At most `max` characters of `s` (on a character boundary), with `…` when cut.
pub(crate) fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

/// Maps a 400 (or other status) whose body is a Java stack trace to a typed error.
pub(crate) fn from_exception(status: StatusCode, body: &str) -> Error {
    let (exception, message) = split_exception(body);
    let lower = message.to_ascii_lowercase();
    if exception.ends_with("SecurityException")
        || lower.ends_with("access denied")
        || lower.ends_with("access required")
    {
        return Error::AccessDenied { message, exception };
    }
    if exception.ends_with("IllegalArgumentException") {
        return Error::InvalidArgument { message, exception };
    }
    Error::ServerException {
        status,
        exception,
        message,
        excerpt: truncate(body.trim(), TRACE_EXCERPT_CHARS),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRACE: &str = "java.lang.SecurityException: Device access denied\n\tat org.traccar.api.security.PermissionsService.checkPermission(PermissionsService.java:190)\n\tat org.traccar.api.resource.PositionResource.getJson(PositionResource.java:80)\n";

    #[test]
    fn first_line_splits_into_class_and_message() {
        assert_eq!(
            split_exception(TRACE),
            (
                "java.lang.SecurityException".to_owned(),
                "Device access denied".to_owned()
            )
        );
        assert_eq!(
            split_exception("java.lang.NullPointerException\n\tat x"),
            ("java.lang.NullPointerException".to_owned(), String::new())
        );
        assert_eq!(
            split_exception("Bad request: it was wrong"),
            (String::new(), "Bad request: it was wrong".to_owned())
        );
        assert_eq!(split_exception(""), (String::new(), String::new()));
    }

    #[test]
    fn permission_and_validation_errors_are_typed() {
        let e = from_exception(StatusCode::BAD_REQUEST, TRACE);
        assert!(e.is_access_denied(), "{e:?}");
        assert_eq!(e.to_string(), "Traccar denied access: Device access denied");
        for msg in [
            "Manager access required",
            "Administrator access required",
            "Write access denied",
        ] {
            let body = format!("java.lang.SecurityException: {msg}\n\tat a.b(C.java:1)");
            assert!(from_exception(StatusCode::BAD_REQUEST, &body).is_access_denied());
        }
        // "... access required" from another class is a denial too.
        let e = from_exception(
            StatusCode::BAD_REQUEST,
            "org.traccar.X: Manager access required",
        );
        assert!(e.is_access_denied());
        let e = from_exception(
            StatusCode::BAD_REQUEST,
            "java.lang.IllegalArgumentException: Time period exceeds the limit\n\tat x",
        );
        assert!(
            matches!(e, Error::InvalidArgument { ref message, .. } if message == "Time period exceeds the limit")
        );
        let e = from_exception(
            StatusCode::BAD_REQUEST,
            "java.sql.SQLException: Duplicate entry\n\tat x",
        );
        assert!(
            matches!(e, Error::ServerException { ref exception, .. } if exception == "java.sql.SQLException")
        );
        assert_eq!(e.exception(), Some("java.sql.SQLException"));
    }

    #[test]
    fn long_traces_are_cut() {
        let body = format!(
            "java.lang.RuntimeException: boom\n{}",
            "\tat a.b.C.d(C.java:1)\n".repeat(500)
        );
        let e = from_exception(StatusCode::BAD_REQUEST, &body);
        let Error::ServerException { excerpt, .. } = &e else {
            panic!("{e:?}")
        };
        assert!(excerpt.chars().count() <= TRACE_EXCERPT_CHARS + 1);
        assert!(e.to_string().len() < 200);
        assert_eq!(truncate("héllo", 2), "hé…");
    }

    #[test]
    fn retry_decision() {
        use gigafibre_client_core::should_retry;
        let denied = from_exception(StatusCode::BAD_REQUEST, TRACE);
        assert!(!should_retry(&denied, true));
        let busy = Error::Api {
            status: StatusCode::SERVICE_UNAVAILABLE,
            excerpt: String::new(),
            retry_after: None,
        };
        assert!(should_retry(&busy, true));
        assert!(
            !should_retry(&busy, false),
            "a write is not replayed after a 503"
        );
        let limited = Error::Api {
            status: StatusCode::TOO_MANY_REQUESTS,
            excerpt: String::new(),
            retry_after: Some(Duration::from_secs(2)),
        };
        assert!(should_retry(&limited, false));
        assert_eq!(
            Transient::retry_after(&limited),
            Some(Duration::from_secs(2))
        );
        assert!(should_retry(&Error::Timeout(Duration::from_secs(1)), true));
        assert!(!should_retry(
            &Error::Timeout(Duration::from_secs(1)),
            false
        ));
        assert!(!should_retry(
            &Error::Unauthorized {
                totp_required: false
            },
            true
        ));
        assert!(!should_retry(
            &Error::NotFound {
                path: "/api/devices/1".into()
            },
            true
        ));
        let pool = from_exception(
            StatusCode::BAD_REQUEST,
            "java.sql.SQLTransientConnectionException: pool timeout",
        );
        assert!(should_retry(&pool, true));
        assert!(!should_retry(&pool, false));
    }
}
