//! Retry and timeout settings, the pure decision of whether a failure is retried, and the
//! retry loop (backon's) that honours `Retry-After`.

use std::future::Future;
use std::time::Duration;

use backon::Retryable as _;

/// What the retry decision needs to know about a client's error. Each client crate implements
/// it for its own `Error`.
pub trait Transient {
    /// A failure that may succeed when tried again later: 429, 502, 503, 504, a connection
    /// failure, a timeout.
    fn is_transient(&self) -> bool;

    /// The request never reached the server (connection refused): replaying it is always safe.
    fn never_reached_server(&self) -> bool;

    /// The server refused the request before doing any work (429, a maintenance 503): replaying
    /// it is safe whatever the verb.
    fn refused_before_work(&self) -> bool;

    /// How long the server asked the client to wait, if it said.
    fn retry_after(&self) -> Option<Duration>;
}

/// Whether a failed attempt may be tried again: `err` must be transient, and the request safe
/// to replay — idempotent, or never reached the server, or refused before any work was done.
pub fn should_retry<E: Transient>(err: &E, idempotent: bool) -> bool {
    err.is_transient() && (idempotent || err.never_reached_server() || err.refused_before_work())
}

/// How failed requests are retried. Named after AWS smithy's `RetryConfig`.
///
/// Only requests that are safe to replay are retried ([`should_retry`]), with exponential
/// backoff plus a random jitter of up to one delay. A server-requested wait (`Retry-After`)
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

    fn backoff(&self) -> backon::ExponentialBuilder {
        let b = backon::ExponentialBuilder::default()
            .with_min_delay(self.initial_backoff)
            .with_max_delay(self.max_backoff)
            .with_max_times(self.max_attempts.saturating_sub(1) as usize);
        if self.jitter { b.with_jitter() } else { b }
    }

    /// The delay before the next attempt after `err`, or `None` to give up. `computed` is the
    /// backoff's own next delay (`None` once attempts are exhausted).
    pub fn next_delay<E: Transient>(
        &self,
        err: &E,
        computed: Option<Duration>,
    ) -> Option<Duration> {
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

/// Runs `attempt` until it succeeds, fails for good, or the policy gives up: retried only when
/// [`should_retry`] says so, waiting the backoff or the server's `Retry-After`. Each retry is
/// logged at `warn` with `label` (method and path; never a URL, which may carry secrets).
pub async fn retry<T, E, F, Fut>(
    config: &RetryConfig,
    idempotent: bool,
    label: &str,
    mut attempt: F,
) -> Result<T, E>
where
    E: Transient + std::fmt::Display,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    (|| attempt())
        .retry(config.backoff())
        .when(|e| should_retry(e, idempotent))
        .adjust(|e, computed| config.next_delay(e, computed))
        .notify(|e, wait| {
            tracing::warn!(
                request = label,
                error = %e,
                wait_ms = wait.as_millis() as u64,
                "request failed; retrying"
            );
        })
        .sleep(tokio::time::sleep)
        .await
}

/// Time limits. Named after AWS smithy's `TimeoutConfig`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct TimeoutConfig {
    /// Time to establish a connection (applies to a client's own connection pool only; an
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

    /// Runs `op` under the overall deadline, if there is one: `Err(limit)` when it passed.
    pub async fn within_total<T>(&self, op: impl Future<Output = T>) -> Result<T, Duration> {
        match self.total {
            Some(total) => tokio::time::timeout(total, op).await.map_err(|_| total),
            None => Ok(op.await),
        }
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
    use std::sync::atomic::{AtomicU32, Ordering};

    #[derive(Debug)]
    struct E {
        transient: bool,
        reached: bool,
        refused: bool,
        wait: Option<Duration>,
    }

    impl std::fmt::Display for E {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("test error")
        }
    }

    impl Transient for E {
        fn is_transient(&self) -> bool {
            self.transient
        }
        fn never_reached_server(&self) -> bool {
            !self.reached
        }
        fn refused_before_work(&self) -> bool {
            self.refused
        }
        fn retry_after(&self) -> Option<Duration> {
            self.wait
        }
    }

    const GATEWAY: E = E {
        transient: true,
        reached: true,
        refused: false,
        wait: None,
    };

    #[test]
    fn only_safe_replays_of_transient_failures_are_retried() {
        assert!(should_retry(&GATEWAY, true));
        assert!(!should_retry(&GATEWAY, false));
        let refused = E {
            refused: true,
            ..GATEWAY
        };
        assert!(should_retry(&refused, false));
        let unreached = E {
            reached: false,
            ..GATEWAY
        };
        assert!(should_retry(&unreached, false));
        let permanent = E {
            transient: false,
            reached: false,
            ..GATEWAY
        };
        assert!(!should_retry(&permanent, true));
    }

    #[test]
    fn retry_after_replaces_the_backoff_and_too_long_waits_give_up() {
        let cfg = RetryConfig::standard().with_max_retry_after(Duration::from_secs(5));
        let d = Some(Duration::from_millis(100));
        let wait = |s| E {
            wait: Some(Duration::from_secs(s)),
            ..GATEWAY
        };
        assert_eq!(cfg.next_delay(&wait(2), d), Some(Duration::from_secs(2)));
        assert_eq!(cfg.next_delay(&wait(30), d), None);
        assert_eq!(cfg.next_delay(&GATEWAY, d), d);
        assert_eq!(cfg.next_delay(&GATEWAY, None), None);
    }

    #[tokio::test(start_paused = true)]
    async fn the_loop_stops_at_max_attempts_and_on_success() {
        let cfg = RetryConfig::standard().with_max_attempts(3);
        let calls = AtomicU32::new(0);
        let res: Result<(), E> = retry(&cfg, true, "GET /x", || {
            calls.fetch_add(1, Ordering::SeqCst);
            async { Err(E { ..GATEWAY }) }
        })
        .await;
        assert!(res.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 3);
        let calls = AtomicU32::new(0);
        let res: Result<u32, E> = retry(&cfg, false, "POST /x", || {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            async move {
                if n == 0 {
                    Err(E {
                        refused: true,
                        ..GATEWAY
                    })
                } else {
                    Ok(n)
                }
            }
        })
        .await;
        assert_eq!(res.ok(), Some(1));
        let calls = AtomicU32::new(0);
        let res: Result<(), E> = retry(&cfg, false, "POST /x", || {
            calls.fetch_add(1, Ordering::SeqCst);
            async { Err(E { ..GATEWAY }) }
        })
        .await;
        assert!(res.is_err());
        assert_eq!(
            calls.load(Ordering::SeqCst),
            1,
            "a POST that reached the server is not replayed"
        );
    }
}
