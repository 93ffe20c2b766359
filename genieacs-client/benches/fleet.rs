//! Fleet benchmark: streaming 10,000 devices with a projection from the fake NBI, page by page
//! (`Devices::stream`), against collecting the same pages into one `Vec` first — the stream's
//! memory must stay flat (one page at a time), whatever the fleet's size.
//!
//! `cargo bench -p genieacs-client --all-features --bench fleet` prints devices per second
//! and the growth of the client process's resident memory for both ways, with their ratio.
//! The fake NBI runs in a child process (this binary with `--serve-fake N`), so that the
//! client's memory is measured alone; the rates include the fake's work (filtering, sorting,
//! projecting and serialising every page). Under `cargo test` it streams a small fleet once
//! (smoke run).

use std::time::Instant;

use futures::StreamExt;
use genieacs_client::testkit::FakeNbi;
use genieacs_client::testkit::datamodel::{XX230V_TR181, device_from_csv};
use genieacs_client::{Client, Query};
use serde_json::{Value, json};

/// Resident set size of this process in KiB (Linux), 0 elsewhere.
fn rss_kib() -> u64 {
    gigafibre_client_core::testkit::ProcessMemory::current().rss_kib
}

/// A device document: the real XX230v identity subtree under `serial`.
fn device(template: &Value, serial: &str) -> Value {
    let mut doc = template.clone();
    doc["_id"] = json!(format!("1C61B4-Device2-{serial}"));
    doc["_deviceId"]["_SerialNumber"] = json!(serial);
    doc["Device"]["DeviceInfo"]["SerialNumber"]["_value"] = json!(serial);
    doc
}

const PROJECTION: &[&str] = &["_id", "_lastInform", "Device.DeviceInfo.SoftwareVersion"];

/// The child: a fake NBI holding `fleet` devices; prints its URL, serves until stdin closes.
async fn serve_fake(fleet: usize) {
    let full = device_from_csv(XX230V_TR181, "X", "2026-06-15T14:02:11.482Z");
    let template = json!({
        "_id": full["_id"], "_deviceId": full["_deviceId"], "_lastInform": full["_lastInform"],
        "_registered": full["_registered"],
        "Device": {"_object": true, "_writable": false, "DeviceInfo": full["Device"]["DeviceInfo"]},
    });
    drop(full);
    let nbi = FakeNbi::start().await.unwrap();
    for i in 0..fleet {
        nbi.add_device(device(&template, &format!("22411A5{i:06}")));
    }
    println!("{}", nbi.url());
    let mut sink = Vec::new();
    // Stdin closes when the parent is done (or dies).
    let _ = tokio::task::spawn_blocking(move || {
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut sink)
    })
    .await;
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--serve-fake") {
        let fleet = args.get(i + 1).and_then(|n| n.parse().ok()).unwrap_or(0);
        serve_fake(fleet).await;
        return;
    }
    let bench = args.iter().any(|a| a == "--bench");
    let fleet: usize = if bench { 10_000 } else { 300 };
    let page = 500;
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--serve-fake", &fleet.to_string()])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut url = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut url,
    )
    .unwrap();
    let acs = Client::builder(url.trim()).build().unwrap();
    let projection: Vec<String> = PROJECTION.iter().map(|p| (*p).to_owned()).collect();

    // Warm-up: one page, so that the pool, the runtime and the allocator are in place.
    acs.devices()
        .page(&Query::All, PROJECTION, 0, page)
        .await
        .unwrap();
    let seeded = rss_kib();

    // 1. Streamed: each device handled and dropped; memory sampled after every device.
    let started = Instant::now();
    let mut stream = acs.devices().stream(Query::All, projection.clone(), page);
    let (mut n, mut peak, mut versions) = (0usize, seeded, 0usize);
    while let Some(d) = stream.next().await {
        let d = d.unwrap();
        versions += usize::from(
            d.param::<String>("Device.DeviceInfo.SoftwareVersion")
                .is_some(),
        );
        n += 1;
        peak = peak.max(rss_kib());
    }
    let streamed = started.elapsed();
    assert_eq!(
        (n, versions),
        (fleet, fleet),
        "every device, each with its projected leaf"
    );
    let stream_growth = peak.saturating_sub(seeded);

    // 2. Baseline: the same pages collected into one Vec before use.
    let before = rss_kib();
    let started = Instant::now();
    let all: Vec<_> = acs
        .devices()
        .stream(Query::All, projection, page)
        .collect()
        .await;
    let collected = started.elapsed();
    let collect_growth = rss_kib().saturating_sub(before);
    assert_eq!(all.len(), fleet);
    drop(all);
    drop(child.stdin.take());
    let _ = child.wait();

    if !bench {
        println!(
            "fleet bench smoke run: {fleet} devices streamed (run `cargo bench -p genieacs-client --all-features --bench fleet` for figures)"
        );
        return;
    }
    println!(
        "{fleet} devices, projection {PROJECTION:?}, pages of {page}:\n  streamed:  {:.0} devices/s, resident memory growth {} KiB\n  collected: {:.0} devices/s, resident memory growth {} KiB (baseline)\n  memory ratio streamed/collected: {:.3}",
        fleet as f64 / streamed.as_secs_f64(),
        stream_growth,
        fleet as f64 / collected.as_secs_f64(),
        collect_growth,
        stream_growth as f64 / (collect_growth.max(1)) as f64,
    );
}
