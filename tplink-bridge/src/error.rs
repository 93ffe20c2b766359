//! The crate's [`Error`].

use std::time::Duration;

use gigafibre_client_core::Transient;
use http::StatusCode;

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong talking to a router. No variant holds a password, a session
/// key or a token.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The router refused the user name or password (`$.ret=71233`). On JSON-dialect firmware
    /// this often means the wrong *user name*: the web account is `user`, not `admin`.
    #[error("the router refused the user name or password{}", if *.admin_hint { " (this firmware's web account is usually `user`, not `admin`)" } else { "" })]
    BadCredentials {
        /// The user name was `admin`: try `user`.
        admin_hint: bool,
    },
    /// Too many failed logins: this client stopped before the router's own lock-out (or the
    /// router is locked). Try again after `wait`.
    #[error("login attempts are paused for {wait:?} to stay clear of the router's lock-out")]
    LockedOut {
        /// How long to wait.
        wait: Duration,
    },
    /// Someone is logged in to the router's web UI, and the policy is not to take over (a
    /// login would log them out).
    #[error("someone is logged in to the router's web UI; not taking over")]
    Busy,
    /// The router's session ended under us (someone else logged in, or it expired) and the
    /// policy forbids logging in again.
    #[error("the router session was ended by another login or expired")]
    SessionLost,
    /// The router refused the object (`{"success":false,"errorcode":N}`): `71011` = not
    /// supported on this firmware or role.
    #[error("the router refused {oid} (error code {code})")]
    Refused {
        /// The object.
        oid: String,
        /// The router's error code.
        code: i64,
    },
    /// The router answered something this client cannot read: another crypto variant, an
    /// unexpected shape (`502` in the bridge service).
    #[error("protocol mismatch with the router: {0}")]
    Protocol(String),
    /// The browser of the browser client failed (launch, page, evaluation).
    #[error("browser: {0}")]
    Browser(String),
    /// The router answered an HTTP error status.
    #[error("the router answered HTTP {status}")]
    Http {
        /// The status.
        status: StatusCode,
    },
    /// No answer within the timeout (the router's httpd is slow and single-threaded).
    #[error("no answer from the router within {0:?}")]
    Timeout(Duration),
    /// The router could not be reached.
    #[error("could not reach the router")]
    Transport(#[source] reqwest::Error),
    /// The caller's input was refused before anything was sent.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The client was built with an unusable configuration.
    #[error("invalid configuration: {0}")]
    Config(String),
}

impl Error {
    /// A stable, machine-readable name (the bridge service's error `code`).
    pub fn code(&self) -> &'static str {
        match self {
            Error::BadCredentials { .. } => "bad_credentials",
            Error::LockedOut { .. } => "locked_out",
            Error::Busy => "busy",
            Error::SessionLost => "session_lost",
            Error::Refused { .. } => "refused",
            Error::Protocol(_) => "protocol_mismatch",
            Error::Http { .. } => "http_error",
            Error::Browser(_) => "browser",
            Error::Timeout(_) => "timeout",
            Error::Transport(_) => "unreachable",
            Error::InvalidInput(_) => "invalid_input",
            Error::Config(_) => "config",
        }
    }
}

impl Transient for Error {
    fn is_transient(&self) -> bool {
        match self {
            // PROTOCOL §2: 500 and 406 come and go on the router's httpd.
            Error::Http { status } => matches!(status.as_u16(), 406 | 500 | 502 | 503 | 504),
            Error::Timeout(_) => true,
            Error::Transport(e) => e.is_connect() || e.is_timeout() || e.is_request(),
            _ => false,
        }
    }

    fn never_reached_server(&self) -> bool {
        matches!(self, Error::Transport(e) if e.is_connect())
    }

    fn refused_before_work(&self) -> bool {
        matches!(self, Error::Http { status } if status.as_u16() == 406)
    }

    fn retry_after(&self) -> Option<Duration> {
        None
    }
}
