//! Metrics around calls to an upstream: latency and errors per integration and operation.

use std::future::Future;
use std::time::Instant;

/// Runs one upstream call and records `hub_upstream_request_duration_seconds{upstream,
/// operation, outcome}` and, on failure, `hub_upstream_errors_total{upstream, operation}`.
pub async fn timed<T, E>(
    upstream: &'static str,
    operation: &'static str,
    call: impl Future<Output = Result<T, E>>,
) -> Result<T, E> {
    let started = Instant::now();
    let result = call.await;
    let outcome = if result.is_ok() { "ok" } else { "error" };
    metrics::histogram!(
        "hub_upstream_request_duration_seconds",
        "upstream" => upstream,
        "operation" => operation,
        "outcome" => outcome,
    )
    .record(started.elapsed().as_secs_f64());
    if result.is_err() {
        metrics::counter!("hub_upstream_errors_total", "upstream" => upstream, "operation" => operation)
            .increment(1);
    }
    result
}
