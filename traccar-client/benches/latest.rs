//! Latest positions of 500 devices through a fake Traccar that answers each request after
//! 50 ms: one request after another vs the client's bounded fan-out
//! (`LatestVia::PerDevice`, 32 in flight) and the one-request `LatestVia::AllVisible`.
//!
//! `cargo bench -p traccar-client --all-features --bench latest` prints the figures and the
//! ratio (target: under 1.5 s, above 15x sequential). Under `cargo test` it runs small (20
//! devices, 5 ms): a smoke run, not a timed test.

use std::time::{Duration, Instant};

use traccar_client::testkit::FakeTraccar;
use traccar_client::{Client, DeviceId, LatestVia, RetryConfig};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let (devices, latency) = if bench {
        (500, Duration::from_millis(50))
    } else {
        (20, Duration::from_millis(5))
    };
    let fake = FakeTraccar::start().await.expect("fake traccar");
    let ids: Vec<DeviceId> = (0..devices)
        .map(|i| {
            let lat = 45.5 + f64::from(i) * 0.001;
            fake.add_device(
                &format!("Tech {i}"),
                &format!("35000000{i:07}"),
                vec![(lat, -73.6), (lat + 0.01, -73.55)],
                40.0,
            )
        })
        .collect();
    fake.set_latency(latency);
    let client = Client::builder(fake.url().as_str())
        .bearer(fake.token())
        .max_concurrency(32)
        .retry(RetryConfig::disabled())
        .build()
        .expect("client");

    let t = Instant::now();
    let mut sequential = 0;
    for id in &ids {
        if client
            .positions()
            .latest(*id)
            .await
            .expect("latest")
            .is_some()
        {
            sequential += 1;
        }
    }
    let seq = t.elapsed();

    let t = Instant::now();
    let fanned = client
        .positions()
        .latest_many(&ids, LatestVia::PerDevice)
        .await
        .expect("fan-out");
    let fan = t.elapsed();

    let t = Instant::now();
    let all = client
        .positions()
        .latest_many(&ids, LatestVia::AllVisible)
        .await
        .expect("all visible");
    let one = t.elapsed();

    assert_eq!(sequential, devices);
    assert_eq!(fanned.len(), ids.len());
    assert_eq!(all.len(), ids.len());
    let ratio = seq.as_secs_f64() / fan.as_secs_f64();
    println!(
        "latest positions of {devices} devices, {} ms per request:",
        latency.as_millis()
    );
    println!("  sequential:              {:>8.3} s", seq.as_secs_f64());
    println!(
        "  fan-out (32 in flight):  {:>8.3} s  ({ratio:.1}x sequential)",
        fan.as_secs_f64()
    );
    println!(
        "  all visible (1 request): {:>8.3} s  ({:.1}x sequential)",
        one.as_secs_f64(),
        seq.as_secs_f64() / one.as_secs_f64()
    );
    if bench {
        println!(
            "  target: fan-out under 1.5 s and above 15x: {}",
            if fan < Duration::from_millis(1500) && ratio > 15.0 {
                "met"
            } else {
                "NOT met"
            }
        );
    } else {
        println!(
            "latest bench smoke run (run `cargo bench -p traccar-client --all-features --bench latest` for figures)"
        );
    }
}
