//! Streaming benchmark: documents per second and peak memory of a full scan.
//!
//! `cargo bench -p frappe-client --bench stream` streams 5,000 and 50,000 generated documents
//! from the testkit at page size 500 and prints, for each run in its own process:
//! documents per second and peak resident memory (VmHWM), against two baselines measured in
//! the same run — a hand-written `reqwest` loop decoding each page into `serde_json::Value`
//! (throughput), and fetching everything in one request (`limit_page_length=0`, memory).
//! Under `cargo test` it makes one small smoke run instead and checks the count.

use std::process::Command;
use std::time::Instant;

use frappe_client::testkit::FakeFrappe;
use frappe_client::{Client, Doc};
use futures::TryStreamExt;
use serde::Deserialize;

const DOCTYPE: &str = "Bench Item";
const PAGE: u32 = 500;

/// The business fields of a generated row.
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct BenchItem {
    item_name: String,
    qty: i64,
    rate: f64,
    #[serde(with = "frappe_client::fields::check")]
    enabled: bool,
    status: String,
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

async fn server(n: u64) -> (FakeFrappe, Client) {
    let fake = FakeFrappe::builder()
        .empty()
        .generated(DOCTYPE, n)
        .start()
        .await
        .expect("testkit starts");
    let client = Client::builder(fake.url().as_str())
        .token(fake.api_key(), fake.api_secret())
        .build()
        .expect("client builds");
    (fake, client)
}

/// frappe-client: typed keyset stream; `star` asks for every column instead of the model's.
async fn run_stream(n: u64, star: bool) -> u64 {
    let (_fake, client) = server(n).await;
    let mut query = client
        .doctype(DOCTYPE)
        .typed::<BenchItem>()
        .list()
        .page_size(PAGE);
    if star {
        query = query.fields(["*"]);
    }
    let mut s = query.stream();
    let mut count = 0;
    while let Some(doc) = s.try_next().await.expect("stream item") {
        let doc: Doc<BenchItem> = doc;
        std::hint::black_box(&doc);
        count += 1;
    }
    count
}

/// Baseline: a hand-written offset loop over raw reqwest, each page into `serde_json::Value`.
async fn run_raw_pages(n: u64) -> u64 {
    let (fake, _client) = server(n).await;
    let http = reqwest::Client::new();
    let auth = format!("token {}:{}", fake.api_key(), fake.api_secret());
    let url = fake.url().join("api/resource/Bench%20Item").expect("url");
    let mut start = 0u64;
    let mut count = 0;
    loop {
        let body: serde_json::Value = http
            .get(url.clone())
            .header("Authorization", &auth)
            .query(&[
                ("fields", "[\"*\"]".to_owned()),
                ("order_by", "creation asc, name asc".to_owned()),
                ("limit_start", start.to_string()),
                ("limit_page_length", PAGE.to_string()),
            ])
            .send()
            .await
            .expect("send")
            .json()
            .await
            .expect("json");
        let rows = body["data"].as_array().map_or(0, Vec::len) as u64;
        std::hint::black_box(&body);
        count += rows;
        start += rows;
        if rows < u64::from(PAGE) {
            return count;
        }
    }
}

/// Baseline: everything in one answer (`limit_page_length=0`), as naive scripts do.
async fn run_one_request(n: u64) -> u64 {
    let (fake, _client) = server(n).await;
    let body: serde_json::Value = reqwest::Client::new()
        .get(fake.url().join("api/resource/Bench%20Item").expect("url"))
        .header(
            "Authorization",
            format!("token {}:{}", fake.api_key(), fake.api_secret()),
        )
        .query(&[("fields", "[\"*\"]"), ("limit_page_length", "0")])
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    body["data"].as_array().map_or(0, Vec::len) as u64
}

fn child(mode: &str, n: u64) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let started = Instant::now();
    let count = rt.block_on(async {
        match mode {
            "stream" => run_stream(n, false).await,
            "stream-star" => run_stream(n, true).await,
            "raw-pages" => run_raw_pages(n).await,
            "one-request" => run_one_request(n).await,
            other => panic!("unknown mode {other}"),
        }
    });
    let secs = started.elapsed().as_secs_f64();
    assert_eq!(count, n, "{mode} returned {count} of {n} documents");
    println!("{mode} {n} {secs} {}", peak_rss_kib());
}

struct Figure {
    docs_per_sec: f64,
    peak_mib: f64,
}

fn measure(mode: &str, n: u64) -> Figure {
    let exe = std::env::current_exe().expect("own path");
    let out = Command::new(exe)
        .args(["--child", mode, &n.to_string()])
        .output()
        .expect("child runs");
    assert!(
        out.status.success(),
        "{mode} {n} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = String::from_utf8_lossy(&out.stdout);
    let parts: Vec<&str> = line.split_whitespace().collect();
    let secs: f64 = parts[2].parse().expect("secs");
    let kib: f64 = parts[3].parse().expect("kib");
    Figure {
        docs_per_sec: n as f64 / secs,
        peak_mib: kib / 1024.0,
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        let n = args[i + 2].parse().expect("count");
        child(&args[i + 1], n);
        return;
    }
    if !args.iter().any(|a| a == "--bench") {
        // `cargo test` runs bench targets without `--bench`: a smoke run, no figures.
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        assert_eq!(rt.block_on(run_stream(1_200, false)), 1_200);
        println!(
            "stream bench smoke run: ok (run `cargo bench -p frappe-client --bench stream` for figures)"
        );
        return;
    }

    let runs = 5;
    println!(
        "frappe-client stream benchmark: page size {PAGE}, best of {runs} runs, each run in its own process"
    );
    println!(
        "{:<44} {:>10} {:>14} {:>14}",
        "case", "documents", "docs/s", "peak RSS MiB"
    );
    let best = |mode: &str, n: u64| {
        (0..runs)
            .map(|_| measure(mode, n))
            .reduce(|a, b| Figure {
                docs_per_sec: a.docs_per_sec.max(b.docs_per_sec),
                peak_mib: a.peak_mib.min(b.peak_mib),
            })
            .expect("runs > 0")
    };
    let mut rows = Vec::new();
    for (label, mode) in [
        ("frappe-client typed keyset stream", "stream"),
        ("frappe-client stream, fields [\"*\"]", "stream-star"),
        ("baseline: raw reqwest pages into Value", "raw-pages"),
        ("baseline: one request, limit 0", "one-request"),
    ] {
        for n in [5_000u64, 50_000] {
            let f = best(mode, n);
            println!(
                "{label:<44} {n:>10} {:>14.0} {:>14.1}",
                f.docs_per_sec, f.peak_mib
            );
            rows.push((mode, n, f));
        }
    }
    let get = |mode: &str, n: u64| {
        rows.iter()
            .find(|r| r.0 == mode && r.1 == n)
            .map(|r| &r.2)
            .expect("row")
    };
    let s5 = get("stream", 5_000);
    let s50 = get("stream", 50_000);
    let raw50 = get("raw-pages", 50_000);
    let one5 = get("one-request", 5_000);
    let one50 = get("one-request", 50_000);
    println!();
    println!(
        "stream peak memory, 50,000 vs 5,000 documents:     {:.2}x",
        s50.peak_mib / s5.peak_mib
    );
    println!(
        "one-request peak memory, 50,000 vs 5,000:          {:.2}x",
        one50.peak_mib / one5.peak_mib
    );
    println!(
        "stream vs one-request peak memory at 50,000:       {:.2}x",
        s50.peak_mib / one50.peak_mib
    );
    println!(
        "stream vs raw-pages throughput at 50,000:          {:.2}x",
        s50.docs_per_sec / raw50.docs_per_sec
    );
    let star50 = get("stream-star", 50_000);
    println!(
        "stream (fields *) vs raw-pages throughput at 50,000: {:.2}x",
        star50.docs_per_sec / raw50.docs_per_sec
    );
}
