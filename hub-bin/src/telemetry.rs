//! Logs and metrics: JSON lines through `tracing` (`RUST_LOG` filters, `info` by default), a
//! [`Throttle`] so that an error repeated every second is logged once a minute with a count,
//! and the Prometheus recorder behind `/metrics`.

use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tracing_subscriber::EnvFilter;

/// Installs the log subscriber (once per process; later calls do nothing).
pub fn init_logs(json: bool) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,hyper=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.try_init()
    };
}

/// The process's Prometheus recorder (installed on first use).
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets(&[
                    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
                ])
                .map(PrometheusBuilder::build_recorder)
                .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder());
            let handle = recorder.handle();
            // Another recorder may already be installed (tests embedding the hub): then the
            // handle renders only what this recorder saw, which is nothing; /metrics still
            // answers.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// Logs an error once per window and key, then how many were suppressed.
#[derive(Debug)]
pub struct Throttle {
    window: Duration,
    seen: HashMap<&'static str, (Instant, u64)>,
}

impl Throttle {
    /// A throttle that lets one message per key through every `window`.
    pub fn new(window: Duration) -> Self {
        Self {
            window,
            seen: HashMap::new(),
        }
    }

    /// Logs `error` under `key` unless it was logged within the window.
    pub fn error(&mut self, key: &'static str, error: &dyn std::fmt::Display) {
        let now = Instant::now();
        match self.seen.get_mut(key) {
            Some((at, suppressed)) if now.duration_since(*at) < self.window => {
                *suppressed += 1;
            }
            entry => {
                let suppressed = entry.map_or(0, |(_, s)| *s);
                tracing::warn!(what = key, error = %error, suppressed, "operation failed");
                self.seen.insert(key, (now, 0));
            }
        }
    }

    /// Forgets `key` (it succeeded again).
    pub fn clear(&mut self, key: &'static str) {
        self.seen.remove(key);
    }
}
