//! Decoding benchmark: a full TP-Link XX230v document (the real TR-181 dump, ~1,400
//! parameters, as the NBI returns it without a projection) decoded into a [`Device`] and turned
//! into a [`ModemSnapshot`], per device — target under 1 ms.
//!
//! `cargo bench -p genieacs-client --bench snapshot` prints the time per device for: the
//! baseline in the same run (`serde_json::from_str::<Value>`, decoding only, no typing), decoding
//! into `Device`, and decoding plus building the snapshot, with the ratio to the baseline; the
//! same for the composed mesh sample (the snapshot projection's size). Under `cargo test` it
//! makes one smoke iteration instead.

use std::hint::black_box;
use std::time::Instant;

use chrono::{DateTime, Utc};
use genieacs_client::testkit::datamodel::{XX230V_TR181, device_from_csv};
use genieacs_client::{Device, ModemSnapshot};
use serde_json::Value;

/// Mean nanoseconds per call of `f` over `n` calls (after a warm-up of `n / 10`).
fn time(n: u32, mut f: impl FnMut()) -> f64 {
    for _ in 0..n / 10 {
        f();
    }
    let start = Instant::now();
    for _ in 0..n {
        f();
    }
    start.elapsed().as_nanos() as f64 / f64::from(n)
}

fn run(label: &str, json: &str, now: DateTime<Utc>, n: u32) {
    let base = time(n, || {
        black_box(serde_json::from_str::<Value>(black_box(json)).unwrap());
    });
    let decode = time(n, || {
        black_box(serde_json::from_str::<Device>(black_box(json)).unwrap());
    });
    let full = time(n, || {
        let d: Device = serde_json::from_str(black_box(json)).unwrap();
        black_box(ModemSnapshot::from_device(&d, now));
    });
    println!(
        "{label} ({} KiB): baseline Value decode {:.0} µs | Device decode {:.0} µs ({:.2}x) | decode + snapshot {:.0} µs ({:.2}x) — target < 1000 µs: {}",
        json.len() / 1024,
        base / 1e3,
        decode / 1e3,
        decode / base,
        full / 1e3,
        full / base,
        if full < 1e6 { "met" } else { "NOT met" },
    );
}

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let when = "2026-06-15T14:02:11.482Z";
    let now = DateTime::parse_from_rfc3339(when)
        .unwrap()
        .with_timezone(&Utc);
    let full = device_from_csv(XX230V_TR181, "22411A5001234", when).to_string();
    let mesh = include_str!("../tests/resources/device-xx230v-online-mesh.json");
    // The snapshot must find something, or the figure would flatter an empty walk.
    let d: Device = serde_json::from_str(&full).unwrap();
    let s = ModemSnapshot::from_device(&d, now);
    assert!(!s.wifi.value.is_empty() && !s.wan.value.is_empty());
    if !bench {
        // `cargo test` runs bench targets without `--bench`: a smoke run, no figures.
        let d: Device = serde_json::from_str(mesh).unwrap();
        assert!(ModemSnapshot::from_device(&d, now).online);
        println!(
            "snapshot bench smoke run: ok (run `cargo bench -p genieacs-client --all-features --bench snapshot` for figures)"
        );
        return;
    }
    run("XX230v full tree", &full, now, 2_000);
    run("XX230v snapshot projection (mesh sample)", mesh, now, 5_000);
}
