//! Status-read benchmark against the emulator on loopback, native client vs browser client, in
//! one run: warm `RouterStatus` reads (median, p95), the first read including the login (for
//! the browser: including its launch), and memory — the native client's whole process vs the
//! Chromium processes the browser client needs.
//!
//! `cargo bench -p tplink-bridge --all-features --bench status` prints the figures and the
//! ratios with the targets (native warm ≤ 20 ms, ≥ 20× faster than the browser warm; browser
//! warm ≤ 500 ms, cold ≤ 5 s; native process < 30 MB RSS). The emulator runs in a child
//! process (this binary with `--serve-emulator`), so that this process holds only the client.
//! Under `cargo test` it makes one native and one browser read (smoke run).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use gigafibre_client_core::testkit::ProcessMemory;
use tplink_bridge::Router;
use tplink_bridge::browser::{BrowserPool, BrowserSettings};
use tplink_bridge::emulator::{Emulator, EmulatorConfig};

const PASSWORD: &str = "Test-Pass-123";

/// Resident memory of a process, KiB (Linux; 0 elsewhere).
fn rss_kib(pid: u32) -> u64 {
    ProcessMemory::of(pid).rss_kib
}

/// Proportional set size of a process, KiB (shared pages split among their users, so that a
/// sum over Chromium's processes does not count its shared libraries many times).
fn pss_kib(pid: u32) -> u64 {
    ProcessMemory::of(pid).pss_kib
}

/// A process and all its descendants (Chromium's renderer, GPU and utility processes).
fn tree(root: u32) -> Vec<u32> {
    let mut all = vec![root];
    let mut i = 0;
    while i < all.len() {
        let parent = all[i];
        if let Ok(dir) = std::fs::read_dir("/proc") {
            for e in dir.flatten() {
                let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
                    continue;
                };
                let ppid = std::fs::read_to_string(format!("/proc/{pid}/stat"))
                    .ok()
                    .and_then(|s| {
                        let after = s.rsplit_once(')')?.1.to_owned();
                        after.split_whitespace().nth(1)?.parse::<u32>().ok()
                    });
                if ppid == Some(parent) && !all.contains(&pid) {
                    all.push(pid);
                }
            }
        }
        i += 1;
    }
    all
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn serve_emulator() {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    println!("{}", emu.url());
    let mut sink = Vec::new();
    let _ = tokio::task::spawn_blocking(move || {
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut sink)
    })
    .await;
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--serve-emulator") {
        serve_emulator().await;
        return;
    }
    let bench = args.iter().any(|a| a == "--bench");
    let (native_n, browser_n) = if bench { (300, 40) } else { (1, 1) };
    let mut child = Command::new(std::env::current_exe().unwrap())
        .arg("--serve-emulator")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut url = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut url)
        .unwrap();
    let url = url.trim().to_owned();

    // Native: the first read logs in; then warm reads through the one session.
    let native = Router::builder(url.as_str(), PASSWORD).build().unwrap();
    let t = Instant::now();
    let first = native.status(false).await.unwrap();
    let native_cold = t.elapsed();
    assert!(first.errors.is_empty());
    let mut warm = Vec::with_capacity(native_n);
    for _ in 0..native_n {
        let t = Instant::now();
        std::hint::black_box(native.status(false).await.unwrap());
        warm.push(t.elapsed());
    }
    warm.sort();
    // The floor: the same number of plain HTTP round trips to the router (no crypto, no
    // session): what any client pays for 13 requests on this machine.
    let http = reqwest::Client::new();
    let mut floor = Vec::with_capacity(native_n);
    for _ in 0..native_n {
        let t = Instant::now();
        for _ in 0..13 {
            let r = http
                .post(format!("{url}cgi/getBusy"))
                .header("Referer", url.as_str())
                .send()
                .await
                .unwrap();
            std::hint::black_box(r.bytes().await.unwrap());
        }
        floor.push(t.elapsed());
    }
    floor.sort();
    let native_rss = rss_kib(std::process::id());
    let native_pss_before_browser = pss_kib(std::process::id());
    native.logout().await.unwrap();

    // Browser: launch + login + first read, then warm reads.
    let pool = BrowserPool::new(BrowserSettings::default());
    let browser = pool.router(&url, PASSWORD).unwrap();
    let t = Instant::now();
    let via_page = browser.status(false).await.unwrap();
    let browser_cold = t.elapsed();
    assert_eq!(via_page, first, "both clients read the same model");
    let mut bwarm = Vec::with_capacity(browser_n);
    for _ in 0..browser_n {
        let t = Instant::now();
        std::hint::black_box(browser.status(false).await.unwrap());
        bwarm.push(t.elapsed());
    }
    bwarm.sort();
    let (browser_rss, browser_pss): (u64, u64) = match pool.browser_pid().await {
        Some(pid) => {
            let pids = tree(pid);
            (
                pids.iter().map(|p| rss_kib(*p)).sum(),
                pids.iter().map(|p| pss_kib(*p)).sum(),
            )
        }
        None => (0, 0),
    };
    let native_pss = pss_kib(std::process::id());
    browser.close().await;
    pool.shutdown().await;
    drop(child.stdin.take());
    let _ = child.wait();

    if !bench {
        println!(
            "status bench smoke run: ok (run `cargo bench -p tplink-bridge --all-features --bench status` for figures)"
        );
        return;
    }
    let (n50, n95) = (percentile(&warm, 0.5), percentile(&warm, 0.95));
    let (b50, b95) = (percentile(&bwarm, 0.5), percentile(&bwarm, 0.95));
    let verdict = |ok: bool| if ok { "met" } else { "NOT met" };
    println!("RouterStatus read (13 objects) against the emulator on loopback:");
    println!(
        "  native:  warm p50 {:.2} ms, p95 {:.2} ms ({} reads); first read with login {:.1} ms; process RSS {:.1} MiB, PSS {:.1} MiB",
        ms(n50),
        ms(n95),
        native_n,
        ms(native_cold),
        native_rss as f64 / 1024.0,
        native_pss_before_browser as f64 / 1024.0
    );
    println!(
        "  floor:   13 plain HTTP round trips (getBusy) p50 {:.2} ms — native is {:.1}x the floor",
        ms(percentile(&floor, 0.5)),
        ms(n50) / ms(percentile(&floor, 0.5))
    );
    println!(
        "  browser: warm p50 {:.1} ms, p95 {:.1} ms ({} reads); launch + login + first read {:.0} ms; Chromium processes RSS {:.0} MiB, PSS {:.0} MiB (+ this process {:.0} MiB PSS)",
        ms(b50),
        ms(b95),
        browser_n,
        ms(browser_cold),
        browser_rss as f64 / 1024.0,
        browser_pss as f64 / 1024.0,
        native_pss as f64 / 1024.0
    );
    println!(
        "  native warm ≤ 20 ms: {} | native {:.0}x faster than browser warm (≥ 20x: {}) | browser warm ≤ 500 ms: {} | browser cold ≤ 5 s: {} | native RSS < 30 MB: {} | memory (PSS) browser/native {:.0}x",
        verdict(n50 <= Duration::from_millis(20)),
        ms(b50) / ms(n50),
        verdict(ms(b50) / ms(n50) >= 20.0),
        verdict(b50 <= Duration::from_millis(500)),
        verdict(browser_cold <= Duration::from_secs(5)),
        verdict(native_rss < 30 * 1024),
        (browser_pss + native_pss) as f64 / native_pss_before_browser.max(1) as f64,
    );
}
