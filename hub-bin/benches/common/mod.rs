//! What the request benchmarks share: the hub binary as a child process, a free port, and
//! timing `n` calls at a given concurrency into p50 / p99 lines with ratios to a baseline.
#![allow(dead_code, unreachable_pub)]

use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// Whether this is a full run (`cargo bench` passes `--bench`) rather than the smoke run that
/// `cargo test` makes.
pub fn full_run() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// The multi-thread runtime a bench runs on.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// The `hub` binary of this build.
pub const HUB: &str = env!("CARGO_BIN_EXE_hub");

/// A hub process, killed when dropped.
pub struct Hub(pub Child);

impl Drop for Hub {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `hub serve` on 127.0.0.1 with every upstream variable of this process removed and `envs`
/// set; answers the hub and its base URL once `/healthz` answers.
pub async fn start_hub(envs: &[(&str, String)]) -> (Hub, String) {
    let port = free_port();
    let mut cmd = Command::new(HUB);
    for (k, _) in std::env::vars() {
        if hub::config::ENV_PREFIXES.iter().any(|p| k.starts_with(p)) {
            cmd.env_remove(k);
        }
    }
    cmd.args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("RUST_LOG", "error")
        .envs(envs.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let hub = Hub(cmd.spawn().expect("start the hub binary"));
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    for _ in 0..400 {
        if http.get(format!("{base}/healthz")).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    (hub, base)
}

/// A port nothing listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// p50 and p99 of `ms`.
pub fn percentiles(mut ms: Vec<f64>) -> (f64, f64) {
    ms.sort_by(f64::total_cmp);
    let at = |p: f64| ms[((ms.len() as f64 * p).ceil() as usize).clamp(1, ms.len()) - 1];
    (at(0.50), at(0.99))
}

/// Times `n` calls of `f`, `concurrency` at a time; ms per call. `f` gets the call's number.
pub async fn timed<F, Fut>(n: usize, concurrency: usize, f: F) -> Vec<f64>
where
    F: Fn(usize) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let mut out = Vec::with_capacity(n);
    let mut workers = Vec::new();
    for w in 0..concurrency {
        let f = f.clone();
        let share = n / concurrency + usize::from(w < n % concurrency);
        workers.push(tokio::spawn(async move {
            let mut v = Vec::with_capacity(share);
            for i in 0..share {
                let t = Instant::now();
                assert!(f(w * 1_000_000 + i).await, "a request failed");
                v.push(t.elapsed().as_secs_f64() * 1e3);
            }
            v
        }));
    }
    for w in workers {
        out.extend(w.await.expect("worker"));
    }
    out
}

/// Prints one line (with ratios to `base` when given) and answers its (p50, p99).
pub fn line(label: &str, v: Vec<f64>, base: Option<(f64, f64)>) -> (f64, f64) {
    let (p50, p99) = percentiles(v);
    match base {
        Some((b50, b99)) => println!(
            "  {label:<44} p50 {p50:7.2} ms  p99 {p99:7.2} ms   ({:.1}x / {:.1}x)",
            p50 / b50,
            p99 / b99
        ),
        None => println!("  {label:<44} p50 {p50:7.2} ms  p99 {p99:7.2} ms"),
    }
    (p50, p99)
}
