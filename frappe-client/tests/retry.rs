//! Retries, timeouts, concurrency and rate-limit reporting.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use frappe_client::{Error, RetryConfig, TimeoutConfig};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

mod common;
use common::{builder, setup};

fn ok_doc() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"data": {"name": "CUST-1"}}))
}

#[tokio::test]
async fn a_get_is_retried_through_two_503s_then_succeeds() {
    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(503).set_body_json(json!({"exc_type": "SessionStopped"})),
        )
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ok_doc())
        .mount(&server)
        .await;
    client.doctype("Customer").get("CUST-1").await.unwrap();
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn retries_stop_after_max_attempts_and_return_the_last_error() {
    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(504))
        .mount(&server)
        .await;
    let err = client.doctype("Customer").get("CUST-1").await.unwrap_err();
    assert_eq!(err.status().unwrap().as_u16(), 504);
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn a_post_is_not_replayed_after_a_502() {
    let (server, client) = setup().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(502))
        .mount(&server)
        .await;
    let err = client
        .doctype("Customer")
        .insert(&json!({"customer_name": "X"}))
        .await
        .unwrap_err();
    assert_eq!(err.status().unwrap().as_u16(), 502);
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

struct Timed {
    first: std::sync::Mutex<Option<std::time::Instant>>,
    gap: std::sync::Mutex<Option<Duration>>,
}

impl Respond for Timed {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let mut first = self.first.lock().unwrap();
        match *first {
            None => {
                *first = Some(std::time::Instant::now());
                ResponseTemplate::new(429)
                    .insert_header("Retry-After", "1")
                    .set_body_string("Too Many Requests")
            }
            Some(t) => {
                *self.gap.lock().unwrap() = Some(t.elapsed());
                ResponseTemplate::new(200).set_body_json(json!({"data": {"name": "CUST-9"}}))
            }
        }
    }
}

#[tokio::test]
async fn a_429_is_retried_for_a_post_after_the_retry_after_delay() {
    let (server, client) = setup().await;
    let timed = Arc::new(Timed {
        first: Default::default(),
        gap: Default::default(),
    });
    struct Shared(Arc<Timed>);
    impl Respond for Shared {
        fn respond(&self, r: &Request) -> ResponseTemplate {
            self.0.respond(r)
        }
    }
    Mock::given(method("POST"))
        .respond_with(Shared(timed.clone()))
        .mount(&server)
        .await;
    let doc = client
        .doctype("Customer")
        .insert(&json!({"customer_name": "X"}))
        .await
        .unwrap();
    assert_eq!(doc.name.as_str(), "CUST-9");
    let gap = timed.gap.lock().unwrap().unwrap();
    assert!(gap >= Duration::from_millis(950), "waited only {gap:?}");
}

#[tokio::test]
async fn a_slow_answer_times_out_per_attempt_and_is_retried() {
    let server = MockServer::start().await;
    let client = builder(&server)
        .timeout(Duration::from_millis(100))
        .build()
        .unwrap();
    Mock::given(method("GET"))
        .respond_with(ok_doc().set_delay(Duration::from_millis(500)))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ok_doc())
        .mount(&server)
        .await;
    client.doctype("Customer").get("CUST-1").await.unwrap();
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn the_overall_deadline_bounds_retries() {
    let server = MockServer::start().await;
    let client = builder(&server)
        .retry(
            RetryConfig::standard()
                .with_max_attempts(50)
                .with_initial_backoff(Duration::from_millis(20))
                .with_jitter(false),
        )
        .timeouts(
            TimeoutConfig::standard()
                .with_attempt(Duration::from_secs(5))
                .with_total(Duration::from_millis(150)),
        )
        .build()
        .unwrap();
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let err = client.doctype("Customer").get("CUST-1").await.unwrap_err();
    assert!(
        matches!(err, Error::Timeout(d) if d == Duration::from_millis(150)),
        "{err:?}"
    );
}

#[tokio::test]
async fn disabled_retries_make_one_attempt() {
    let server = MockServer::start().await;
    let client = builder(&server)
        .retry(RetryConfig::disabled())
        .build()
        .unwrap();
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    client.doctype("Customer").get("CUST-1").await.unwrap_err();
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[derive(Default)]
struct Gauge {
    now: AtomicUsize,
    max: AtomicUsize,
    total: AtomicUsize,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_more_requests_are_in_flight_than_the_concurrency_limit() {
    // A server that counts requests it has received and not yet answered: the count drops
    // before the answer leaves, so it can never exceed what the client lets through.
    let gauge = Arc::new(Gauge::default());
    let g = gauge.clone();
    let app = axum::Router::new().fallback(move || {
        let g = g.clone();
        async move {
            let n = g.now.fetch_add(1, Ordering::SeqCst) + 1;
            g.max.fetch_max(n, Ordering::SeqCst);
            g.total.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(20)).await;
            g.now.fetch_sub(1, Ordering::SeqCst);
            axum::Json(json!({"data": {"name": "CUST-1"}}))
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });

    let client = frappe_client::Client::builder(format!("http://{addr}"))
        .token("k", "s")
        .max_concurrency(2)
        .build()
        .unwrap();
    let calls = (0..12).map(|_| {
        let c = client.clone();
        async move { c.doctype("Customer").get("CUST-1").await }
    });
    for r in futures::future::join_all(calls).await {
        r.unwrap();
    }
    assert_eq!(gauge.total.load(Ordering::SeqCst), 12);
    let max = gauge.max.load(Ordering::SeqCst);
    assert!(max <= 2, "{max} requests were in flight at once");
}

#[tokio::test]
async fn the_last_rate_limit_budget_is_exposed() {
    let (server, client) = setup().await;
    assert_eq!(client.rate_limit(), None);
    Mock::given(path("/api/resource/Customer/CUST-1"))
        .respond_with(
            ok_doc()
                .insert_header("X-RateLimit-Limit", "600000000")
                .insert_header("X-RateLimit-Remaining", "599123456")
                .insert_header("X-RateLimit-Reset", "3541")
                .insert_header("X-RateLimit-Used", "876544"),
        )
        .mount(&server)
        .await;
    client.doctype("Customer").get("CUST-1").await.unwrap();
    let rl = client.rate_limit().unwrap();
    assert_eq!(rl.limit, Some(600_000_000));
    assert_eq!(rl.remaining, Some(599_123_456));
    assert_eq!(rl.reset_secs, Some(3541));
    assert_eq!(rl.used, Some(876_544));
}
