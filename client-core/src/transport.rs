//! The transport a client builds on: its `reqwest::Client` (shared or its own), retry policy,
//! time limits and concurrency limit, configured once through [`TransportOptions`] and the
//! builder setters [`transport_setters!`](crate::transport_setters) generates.

use std::fmt;
use std::time::Duration;

use crate::limit::ConcurrencyLimit;
use crate::retry::{RetryConfig, TimeoutConfig};

/// A client builder's transport settings, before they are checked.
///
/// A builder holds one in a field named `transport`, starts it with the crate's defaults
/// ([`new`](Self::new), [`with_timeouts`](Self::with_timeouts)), lets
/// [`transport_setters!`](crate::transport_setters) generate its setters, and turns it into a
/// [`Transport`] with [`build`](Self::build).
#[derive(Clone)]
pub struct TransportOptions {
    http: Option<reqwest::Client>,
    retry: RetryConfig,
    timeouts: TimeoutConfig,
    max_concurrency: usize,
}

impl fmt::Debug for TransportOptions {
    // The reqwest client is not shown: its debug output lists default headers.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransportOptions")
            .field("shared_http_client", &self.http.is_some())
            .field("retry", &self.retry)
            .field("timeouts", &self.timeouts)
            .field("max_concurrency", &self.max_concurrency)
            .finish()
    }
}

impl TransportOptions {
    /// The standard retry policy ([`RetryConfig::standard`]) and time limits
    /// ([`TimeoutConfig::standard`]), at most `max_concurrency` requests in flight, and a
    /// connection pool of the client's own.
    pub fn new(max_concurrency: usize) -> Self {
        Self {
            http: None,
            retry: RetryConfig::standard(),
            timeouts: TimeoutConfig::standard(),
            max_concurrency,
        }
    }

    /// Uses a shared `reqwest::Client` instead of building one.
    pub fn with_http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Sets the retry policy.
    pub fn with_retry(mut self, retry: RetryConfig) -> Self {
        self.retry = retry;
        self
    }

    /// Sets all time limits.
    pub fn with_timeouts(mut self, timeouts: TimeoutConfig) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// Sets the per-attempt timeout.
    pub fn with_attempt_timeout(mut self, attempt: Duration) -> Self {
        self.timeouts.attempt = attempt;
        self
    }

    /// Sets the connect timeout (of the client's own connection pool).
    pub fn with_connect_timeout(mut self, connect: Duration) -> Self {
        self.timeouts.connect = connect;
        self
    }

    /// Sets the limit on requests in flight (checked by [`build`](Self::build)).
    pub fn with_max_concurrency(mut self, n: usize) -> Self {
        self.max_concurrency = n;
        self
    }

    /// Whether a shared `reqwest::Client` was given.
    pub fn shares_http_client(&self) -> bool {
        self.http.is_some()
    }

    /// The retry policy.
    pub fn retry(&self) -> &RetryConfig {
        &self.retry
    }

    /// The time limits.
    pub fn timeouts(&self) -> &TimeoutConfig {
        &self.timeouts
    }

    /// The limit on requests in flight, as set (unchecked).
    pub fn max_concurrency(&self) -> usize {
        self.max_concurrency
    }

    /// Checks the settings and makes the transport. The shared `reqwest::Client` is used as
    /// given; otherwise one is built with the connect timeout and `user_agent`, then handed to
    /// `customize` for the crate's own settings (redirect policy, TLS roots, client identity),
    /// whose error message is kept as it is.
    ///
    /// # Errors
    /// [`TransportError`] when `max_concurrency` is not between 1 and
    /// [`ConcurrencyLimit::MAX`], `customize` refuses, or the HTTP client cannot be built (the
    /// TLS backend cannot start).
    pub fn build(
        self,
        user_agent: &str,
        customize: impl FnOnce(reqwest::ClientBuilder) -> Result<reqwest::ClientBuilder, String>,
    ) -> Result<Transport, TransportError> {
        if self.max_concurrency == 0 || self.max_concurrency > ConcurrencyLimit::MAX {
            return Err(TransportError::MaxConcurrency(self.max_concurrency));
        }
        let http = match self.http {
            Some(c) => c,
            None => {
                let b = reqwest::Client::builder()
                    .connect_timeout(self.timeouts.connect)
                    .user_agent(user_agent);
                customize(b)
                    .map_err(TransportError::Customize)?
                    .build()
                    .map_err(|e| TransportError::HttpClient(e.to_string()))?
            }
        };
        Ok(Transport {
            http,
            retry: self.retry,
            timeouts: self.timeouts,
            limiter: ConcurrencyLimit::new(self.max_concurrency),
        })
    }
}

/// A client's checked transport: what its request pipeline sends through.
#[non_exhaustive]
pub struct Transport {
    /// The connection pool (shared or the client's own).
    pub http: reqwest::Client,
    /// The retry policy.
    pub retry: RetryConfig,
    /// The time limits.
    pub timeouts: TimeoutConfig,
    /// The limit on requests in flight, shared by the client's clones.
    pub limiter: ConcurrencyLimit,
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("retry", &self.retry)
            .field("timeouts", &self.timeouts)
            .field("max_concurrency", &self.limiter.max())
            .finish_non_exhaustive()
    }
}

/// Why [`TransportOptions::build`] refused. Its message is meant for the client's own
/// configuration error.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportError {
    /// `max_concurrency` is 0 or above [`ConcurrencyLimit::MAX`] (the value given).
    MaxConcurrency(usize),
    /// The crate's customisation refused (its message).
    Customize(String),
    /// reqwest could not build the client (its message).
    HttpClient(String),
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransportError::MaxConcurrency(_) => write!(
                f,
                "max_concurrency must be between 1 and {}",
                ConcurrencyLimit::MAX
            ),
            TransportError::Customize(msg) => f.write_str(msg),
            TransportError::HttpClient(msg) => write!(f, "HTTP client: {msg}"),
        }
    }
}

impl std::error::Error for TransportError {}

/// Generates a client builder's transport setters inside its `impl ClientBuilder { .. }`.
///
/// The builder has a field `transport: `[`TransportOptions`]. The setters are
/// `http_client(reqwest::Client)`, `retry(RetryConfig)`, `timeout(Duration)` (per attempt),
/// `connect_timeout(Duration)`, `timeouts(TimeoutConfig)` and `max_concurrency(usize)`, each
/// `pub fn name(mut self, ..) -> Self`. The macro also defines the private associated constant
/// `DEFAULT_MAX_CONCURRENCY`, for the builder's constructor, so that the documented default and
/// the real one cannot differ.
///
/// Arguments, in this order: `max_concurrency = <default>` (required), then optionally
/// `timeout_default = "<text>"` (the documented default of the attempt timeout, `"30 s"`
/// when omitted), and optional extra doc sentences for the setters: `http_client = "…"`,
/// `retry = "…"`, `timeout = "…"`, `timeouts = "…"`, `max_concurrency_doc = "…"`.
///
/// ```
/// use gigafibre_client_core::TransportOptions;
///
/// pub struct ClientBuilder {
///     transport: TransportOptions,
/// }
///
/// impl ClientBuilder {
///     gigafibre_client_core::transport_setters!(
///         max_concurrency = 4,
///         retry = "Only `GET`s are retried after they reached the server.",
///     );
///
///     pub fn new() -> Self {
///         Self { transport: TransportOptions::new(Self::DEFAULT_MAX_CONCURRENCY) }
///     }
/// }
///
/// let b = ClientBuilder::new().max_concurrency(2).timeout(std::time::Duration::from_secs(3));
/// assert_eq!(b.transport.max_concurrency(), 2);
/// ```
#[macro_export]
macro_rules! transport_setters {
    (
        max_concurrency = $max:expr
        $(, timeout_default = $timeout_default:literal)?
        $(, http_client = $http_doc:literal)?
        $(, retry = $retry_doc:literal)?
        $(, timeout = $timeout_doc:literal)?
        $(, timeouts = $timeouts_doc:literal)?
        $(, max_concurrency_doc = $max_doc:literal)?
        $(,)?
    ) => {
        /// The default of [`max_concurrency`](Self::max_concurrency).
        const DEFAULT_MAX_CONCURRENCY: usize = $max;

        /// Uses a shared `reqwest::Client` (one connection pool for a whole service) instead of
        /// the client's own; its own settings (connect timeout, user agent, TLS) then apply.
        /// Timeouts are still applied per request.
        $(
            ///
            #[doc = $http_doc]
        )?
        pub fn http_client(mut self, client: ::reqwest::Client) -> Self {
            self.transport = self.transport.with_http_client(client);
            self
        }

        /// Sets the retry policy (default [`RetryConfig::standard`](crate::RetryConfig::standard));
        /// [`RetryConfig::disabled`](crate::RetryConfig::disabled) turns retries off.
        $(
            ///
            #[doc = $retry_doc]
        )?
        pub fn retry(mut self, retry: $crate::RetryConfig) -> Self {
            self.transport = self.transport.with_retry(retry);
            self
        }

        #[doc = $crate::transport_setters!(@timeout_doc $($timeout_default)?)]
        $(
            ///
            #[doc = $timeout_doc]
        )?
        pub fn timeout(mut self, attempt: ::std::time::Duration) -> Self {
            self.transport = self.transport.with_attempt_timeout(attempt);
            self
        }

        /// Sets the connect timeout (default 5 s). It applies to the client's own connection
        /// pool: a shared [`http_client`](Self::http_client) keeps its own.
        pub fn connect_timeout(mut self, connect: ::std::time::Duration) -> Self {
            self.transport = self.transport.with_connect_timeout(connect);
            self
        }

        /// Sets all time limits at once: connect, per attempt, and the overall limit of a call.
        $(
            ///
            #[doc = $timeouts_doc]
        )?
        pub fn timeouts(mut self, timeouts: $crate::TimeoutConfig) -> Self {
            self.transport = self.transport.with_timeouts(timeouts);
            self
        }

        #[doc = concat!(
            "At most `n` requests in flight at once, over all clones of the client (default ",
            stringify!($max),
            "; between 1 and `ConcurrencyLimit::MAX`, checked when the client is built)."
        )]
        $(
            ///
            #[doc = $max_doc]
        )?
        pub fn max_concurrency(mut self, n: usize) -> Self {
            self.transport = self.transport.with_max_concurrency(n);
            self
        }
    };
    (@timeout_doc) => {
        "Sets the per-attempt timeout, from sending to the last byte of the answer (default 30 s)."
    };
    (@timeout_doc $default:literal) => {
        concat!(
            "Sets the per-attempt timeout, from sending to the last byte of the answer (default ",
            $default,
            ")."
        )
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Builder {
        transport: TransportOptions,
    }

    // The generated setters are `pub`, as in a client crate's public builder.
    #[allow(unreachable_pub)]
    impl Builder {
        crate::transport_setters!(
            max_concurrency = 3,
            timeout_default = "the deadline",
            retry = "Writes are never retried.",
            max_concurrency_doc = "A test sentence.",
        );

        fn new() -> Self {
            Self {
                transport: TransportOptions::new(Self::DEFAULT_MAX_CONCURRENCY),
            }
        }
    }

    fn build(o: TransportOptions) -> Result<Transport, TransportError> {
        o.build("test-agent/1", Ok)
    }

    #[test]
    fn max_concurrency_out_of_range_is_refused_with_the_range() {
        for n in [0, ConcurrencyLimit::MAX + 1] {
            let err = build(TransportOptions::new(n)).unwrap_err();
            assert_eq!(err, TransportError::MaxConcurrency(n));
            let msg = err.to_string();
            assert!(msg.contains("max_concurrency"), "{msg}");
            assert!(msg.contains(&format!("between 1 and {}", ConcurrencyLimit::MAX)));
        }
        for n in [1, ConcurrencyLimit::MAX] {
            assert_eq!(build(TransportOptions::new(n)).unwrap().limiter.max(), n);
        }
    }

    #[test]
    fn a_shared_client_is_used_as_given_and_not_customized() {
        let shared = reqwest::Client::new();
        let t = TransportOptions::new(2)
            .with_http_client(shared)
            .build("ua", |_| Err("customize must not run".to_owned()))
            .unwrap();
        assert_eq!(t.limiter.max(), 2);
    }

    #[test]
    fn customization_runs_on_the_own_client_and_its_error_is_kept() {
        let mut ran = false;
        build_with(&mut ran);
        assert!(ran);
        let err = TransportOptions::new(1)
            .build("ua", |_| Err("the CA certificate is not PEM".to_owned()))
            .unwrap_err();
        assert_eq!(err.to_string(), "the CA certificate is not PEM");
    }

    fn build_with(ran: &mut bool) {
        TransportOptions::new(1)
            .build("ua", |b| {
                *ran = true;
                Ok(b.redirect(reqwest::redirect::Policy::none()))
            })
            .unwrap();
    }

    #[test]
    fn http_client_errors_name_the_http_client() {
        let e = TransportError::HttpClient("no TLS backend".to_owned());
        assert_eq!(e.to_string(), "HTTP client: no TLS backend");
    }

    #[test]
    fn the_macro_setters_set_the_fields() {
        let b = Builder::new();
        assert_eq!(b.transport.max_concurrency(), 3);
        assert!(!b.transport.shares_http_client());
        let timeouts = TimeoutConfig::standard().with_total(Duration::from_secs(60));
        let b = b
            .http_client(reqwest::Client::new())
            .retry(RetryConfig::disabled())
            .timeouts(timeouts)
            .timeout(Duration::from_secs(7))
            .connect_timeout(Duration::from_secs(2))
            .max_concurrency(5);
        assert!(b.transport.shares_http_client());
        assert_eq!(b.transport.retry(), &RetryConfig::disabled());
        assert_eq!(
            b.transport.timeouts(),
            &TimeoutConfig::standard()
                .with_total(Duration::from_secs(60))
                .with_attempt(Duration::from_secs(7))
                .with_connect(Duration::from_secs(2))
        );
        assert_eq!(b.transport.max_concurrency(), 5);
        let t = b.transport.build("ua", Ok).unwrap();
        assert_eq!(t.timeouts.attempt, Duration::from_secs(7));
        assert_eq!(t.limiter.max(), 5);
    }

    #[test]
    fn debug_does_not_show_the_reqwest_client() {
        let o = TransportOptions::new(1).with_http_client(reqwest::Client::new());
        let d = format!("{o:?}");
        assert!(
            d.contains("shared_http_client: true") && !d.contains("ClientRef"),
            "{d}"
        );
        let t = format!("{:?}", o.build("ua", Ok).unwrap());
        assert!(
            t.contains("max_concurrency: 1") && !t.contains("ClientRef"),
            "{t}"
        );
    }
}
