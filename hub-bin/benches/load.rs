//! Load figures for the hub, measured on loopback against the real `hub` binary (its own
//! process, so its memory is its own):
//!
//! 1. SSE connections held: the hub's resident memory before and with N subscribers, and per
//!    connection.
//! 2. publish → receive latency (a signed ERPNext webhook in, the event out on every
//!    subscriber's stream), p50 / p99 / max, at 1 subscriber (the baseline) and at N.
//! 3. Webhook ingest (verified, stored, acknowledged; workers off) per second with SQLite and
//!    with PostgreSQL, against `GET /healthz` on the same connections as the baseline.
//!
//! `cargo bench -p hub --bench load` runs the full sizes (10 000 subscribers, 10 000
//! webhooks); under `cargo test` a small smoke run checks that it all works.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

const HUB: &str = env!("CARGO_BIN_EXE_hub");
const PROXY_SECRET: &str = "bench-proxy-secret-0123456789";
const WEBHOOK_SECRET: &str = "bench-webhook-secret";

struct Sizes {
    subscribers: usize,
    events: usize,
    webhooks: usize,
}

struct Hub {
    child: Child,
    port: u16,
    dir: std::path::PathBuf,
}

impl Drop for Hub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(3399)
}

fn now_ns() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

/// Resident memory of a process (KiB): current and peak.
fn rss_kib(pid: u32) -> (u64, u64) {
    let m = gigafibre_client_core::testkit::ProcessMemory::of(pid);
    (m.rss_kib, m.peak_kib)
}

async fn start_hub(database_url: Option<String>, workers: &str) -> Hub {
    let dir =
        std::env::temp_dir().join(format!("hub-bench-{}-{}", std::process::id(), free_port()));
    let _ = std::fs::create_dir_all(&dir);
    let port = free_port();
    let db = database_url.unwrap_or_else(|| format!("sqlite://{}/hub.db", dir.display()));
    let mut cmd = Command::new(HUB);
    for (k, _) in std::env::vars() {
        if hub::config::ENV_PREFIXES.iter().any(|p| k.starts_with(p)) {
            cmd.env_remove(k);
        }
    }
    let child = cmd
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("HUB_DATABASE_URL", db)
        .env("HUB_WORKERS", workers)
        .env("HUB_PROXY_SECRET", PROXY_SECRET)
        .env("HUB_GROUP_CAPABILITIES", "Gigafibre Dispatch=dispatch")
        .env("FRAPPE_WEBHOOK_SECRETS", format!("bench={WEBHOOK_SECRET}"))
        .env("HUB_LOG_FORMAT", "text")
        .env("RUST_LOG", "error")
        .envs(
            std::env::var("HUB_RUNTIME_THREADS")
                .ok()
                .map(|v| ("HUB_RUNTIME_THREADS", v)),
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the hub binary");
    let http = reqwest::Client::new();
    for _ in 0..400 {
        if http
            .get(format!("http://127.0.0.1:{port}/healthz"))
            .send()
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    Hub { child, port, dir }
}

/// Opens one SSE stream with a raw socket and waits for its first frame.
async fn subscribe(port: u16) -> std::io::Result<TcpStream> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).await?;
    let req = format!(
        "GET /events?topic=/dispatch HTTP/1.1\r\nHost: 127.0.0.1\r\nx-hub-proxy-secret: {PROXY_SECRET}\r\nX-Authentik-Username: bench\r\nX-Authentik-Groups: Gigafibre Dispatch\r\nAccept: text/event-stream\r\n\r\n"
    );
    s.write_all(req.as_bytes()).await?;
    let mut buf = vec![0u8; 4096];
    let mut seen = Vec::new();
    loop {
        let n = s.read(&mut buf).await?;
        if n == 0 {
            return Err(std::io::Error::other("closed before the first frame"));
        }
        seen.extend_from_slice(&buf[..n]);
        if seen.windows(6).any(|w| w == b"retry:") {
            return Ok(s);
        }
    }
}

/// Reads a stream until `events` events stamped by the publisher arrived; returns their
/// latencies (ms).
async fn receive(mut s: TcpStream, events: usize, deadline: Duration) -> Vec<f64> {
    let needle = b"\"sent_at_ns\":";
    let mut lat = Vec::with_capacity(events);
    let mut buf = vec![0u8; 16 * 1024];
    let mut pending: Vec<u8> = Vec::new();
    let end = tokio::time::Instant::now() + deadline;
    while lat.len() < events {
        let n = match tokio::time::timeout_at(end, s.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => n,
            _ => break,
        };
        let now = now_ns();
        pending.extend_from_slice(&buf[..n]);
        while let Some(i) = pending.windows(needle.len()).position(|w| w == needle) {
            let digits: String = pending[i + needle.len()..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .map(|b| char::from(*b))
                .collect();
            let next = pending[i + needle.len() + digits.len()..].first().copied();
            if next.is_none() {
                break; // the number may continue in the next read
            }
            if let Ok(sent) = digits.parse::<u128>() {
                lat.push(now.saturating_sub(sent) as f64 / 1e6);
            }
            pending.drain(..i + needle.len() + digits.len());
        }
    }
    lat
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn signed(body: &serde_json::Value) -> (Vec<u8>, String) {
    let raw = serde_json::to_vec(body).unwrap_or_default();
    let sig = frappe_client::webhook::sign_webhook(WEBHOOK_SECRET, &raw);
    (raw, sig)
}

/// Publishes `events` webhooks `gap` apart (enough for one event to reach every subscriber
/// before the next: this measures latency, not a backlog) and collects every subscriber's
/// latencies.
async fn latency_run(
    hub: &Hub,
    streams: Vec<TcpStream>,
    events: usize,
    run: u32,
    gap: Duration,
) -> (Vec<f64>, usize) {
    let n = streams.len();
    let readers: Vec<_> = streams
        .into_iter()
        .map(|s| tokio::spawn(receive(s, events, Duration::from_secs(60))))
        .collect();
    let http = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{}/webhooks/frappe", hub.port);
    tokio::time::sleep(Duration::from_millis(200)).await;
    for k in 0..events {
        let body = json!({
            "doctype": "Dispatch Job",
            "name": format!("DJ-BENCH-{run}-{k}"),
            "modified": format!("2026-12-02 12:00:00.{k:06}"),
            "customer": "Bench",
            "sent_at_ns": now_ns(),
        });
        let (raw, sig) = signed(&body);
        let _ = http
            .post(&url)
            .header("X-Frappe-Webhook-Signature", sig)
            .body(raw)
            .send()
            .await;
        tokio::time::sleep(gap).await;
    }
    let mut all = Vec::with_capacity(n * events);
    let mut complete = 0;
    for r in readers {
        if let Ok(l) = r.await {
            if l.len() == events {
                complete += 1;
            }
            all.extend(l);
        }
    }
    all.sort_by(f64::total_cmp);
    (all, complete)
}

async fn sse_section(sizes: &Sizes) {
    let hub = start_hub(None, "1").await;
    let pid = hub.child.id();
    // Baseline: one subscriber.
    let one = vec![subscribe(hub.port).await.expect("subscribe")];
    let (base, _) = latency_run(&hub, one, sizes.events, 0, Duration::from_millis(50)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (idle_rss, _) = rss_kib(pid);
    // N subscribers, connected 256 at a time.
    let started = Instant::now();
    let gate = Arc::new(Semaphore::new(256));
    let mut tasks = Vec::with_capacity(sizes.subscribers);
    for _ in 0..sizes.subscribers {
        let gate = Arc::clone(&gate);
        let port = hub.port;
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire().await;
            subscribe(port).await
        }));
    }
    let mut streams = Vec::with_capacity(sizes.subscribers);
    for t in tasks {
        if let Ok(Ok(s)) = t.await {
            streams.push(s);
        }
    }
    let connect_secs = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (held_rss, _) = rss_kib(pid);
    let held = streams.len();
    let gap = Duration::from_millis(if held > 1000 { 500 } else { 50 });
    let (lat, complete) = latency_run(&hub, streams, sizes.events, 1, gap).await;
    let (_, peak) = rss_kib(pid);
    let per_conn = (held_rss.saturating_sub(idle_rss)) as f64 / held.max(1) as f64;
    println!("## SSE (hub process, SQLite)");
    println!(
        "connections held: {held} of {} (connected in {connect_secs:.1} s)",
        sizes.subscribers
    );
    println!(
        "hub RSS: {:.1} MiB idle → {:.1} MiB with {held} streams; {per_conn:.1} KiB per connection; peak {:.1} MiB",
        idle_rss as f64 / 1024.0,
        held_rss as f64 / 1024.0,
        peak as f64 / 1024.0
    );
    let (b50, b99) = (percentile(&base, 0.5), percentile(&base, 0.99));
    let (p50, p99, max) = (
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
        lat.last().copied().unwrap_or(f64::NAN),
    );
    println!(
        "publish→receive, 1 subscriber (baseline): p50 {b50:.2} ms, p99 {b99:.2} ms ({} samples)",
        base.len()
    );
    println!(
        "publish→receive, {held} subscribers: p50 {p50:.2} ms, p99 {p99:.2} ms, max {max:.2} ms ({} samples, {complete} streams got all {} events); p99 ratio to 1 subscriber {:.1}x",
        lat.len(),
        sizes.events,
        p99 / b99.max(0.001)
    );
    drop(hub);
    if let Some((raw, raw_rss)) = raw_baseline(held, sizes.events, gap).await {
        let (r50, r99) = (percentile(&raw, 0.5), percentile(&raw, 0.99));
        println!(
            "baseline, raw tokio socket fan-out to {held} connections (same client, same gap): p50 {r50:.2} ms, p99 {r99:.2} ms, RSS {:.1} MiB; hub/raw p99 ratio {:.2}x, RSS ratio {:.2}x",
            raw_rss as f64 / 1024.0,
            p99 / r99.max(0.001),
            held_rss as f64 / raw_rss.max(1) as f64
        );
    }
}

async fn ingest(hub: &Hub, total: usize, healthz: bool) -> f64 {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()
        .unwrap_or_default();
    let gate = Arc::new(Semaphore::new(32));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(total);
    for k in 0..total {
        let http = http.clone();
        let gate = Arc::clone(&gate);
        let port = hub.port;
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire().await;
            if healthz {
                return http
                    .get(format!("http://127.0.0.1:{port}/healthz"))
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success());
            }
            let body = json!({"doctype": "Issue", "name": format!("ISS-BENCH-{k}"),
                              "modified": "2026-12-02 12:00:00.000001", "status": "Open"});
            let (raw, sig) = signed(&body);
            http.post(format!("http://127.0.0.1:{port}/webhooks/frappe"))
                .header("X-Frappe-Webhook-Signature", sig)
                .body(raw)
                .send()
                .await
                .is_ok_and(|r| r.status().as_u16() == 202)
        }));
    }
    let mut ok = 0;
    for t in tasks {
        if matches!(t.await, Ok(true)) {
            ok += 1;
        }
    }
    let secs = started.elapsed().as_secs_f64();
    if ok != total {
        println!("  warning: {} of {total} requests failed", total - ok);
    }
    ok as f64 / secs
}

async fn fresh_postgres() -> Option<String> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect("postgres://postgres@127.0.0.1:5432/postgres")
        .await
        .ok()?;
    let name = format!("hub_bench_{}", std::process::id());
    let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS \"{name}\""
    )))
    .execute(&mut conn)
    .await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .execute(&mut conn)
        .await
        .ok()?;
    Some(format!("postgres://postgres@127.0.0.1:5432/{name}"))
}

async fn ingest_section(sizes: &Sizes) {
    println!("## Webhook ingest (verified, stored, acknowledged; 32 concurrent senders)");
    let mut backends = vec![("SQLite", None)];
    match fresh_postgres().await {
        Some(url) => backends.push(("PostgreSQL", Some(url))),
        None => println!("  PostgreSQL on 127.0.0.1:5432 not reachable: skipped"),
    }
    for (name, url) in backends {
        let hub = start_hub(url, "0").await;
        let base = ingest(&hub, sizes.webhooks, true).await;
        let rate = ingest(&hub, sizes.webhooks, false).await;
        println!(
            "{name}: {rate:.0} webhooks/s vs {base:.0} GET /healthz/s (baseline): ratio {:.2}",
            rate / base.max(1.0)
        );
    }
}

/// Baseline server (this binary re-run with `HUB_BENCH_RAW=1`): the least an SSE fan-out can
/// do — plain tokio sockets, one task and one bounded queue per connection, the same frame
/// shared by all. It prints its port, then on each stdin line sends one stamped frame to every
/// connection.
fn raw_server() {
    use std::io::BufRead;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        println!("{}", listener.local_addr().map(|a| a.port()).unwrap_or(0));
        let conns: Arc<std::sync::Mutex<Vec<tokio::sync::mpsc::Sender<bytes::Bytes>>>> =
            Arc::default();
        let accept = Arc::clone(&conns);
        tokio::spawn(async move {
            while let Ok((mut sock, _)) = listener.accept().await {
                let (tx, mut rx) = tokio::sync::mpsc::channel::<bytes::Bytes>(256);
                if let Ok(mut list) = accept.lock() {
                    list.push(tx);
                }
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 2048];
                    let _ = sock.read(&mut buf).await;
                    let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
                    let first = "retry: 3000\n\n";
                    let msg = format!("{head}{:x}\r\n{first}\r\n", first.len());
                    if sock.write_all(msg.as_bytes()).await.is_err() {
                        return;
                    }
                    while let Some(frame) = rx.recv().await {
                        let chunk = [
                            format!("{:x}\r\n", frame.len()).into_bytes(),
                            frame.to_vec(),
                            b"\r\n".to_vec(),
                        ]
                        .concat();
                        if sock.write_all(&chunk).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        let (go_tx, mut go_rx) = tokio::sync::mpsc::unbounded_channel::<()>();
        std::thread::spawn(move || {
            for _ in std::io::stdin().lock().lines().map_while(Result::ok) {
                if go_tx.send(()).is_err() {
                    break;
                }
            }
        });
        let mut k = 0u64;
        while go_rx.recv().await.is_some() {
            k += 1;
            let frame = bytes::Bytes::from(format!(
                "id: {k}\nevent: bench\ndata: {{\"sent_at_ns\":{}}}\n\n",
                now_ns()
            ));
            if let Ok(list) = conns.lock() {
                for tx in list.iter() {
                    let _ = tx.try_send(frame.clone());
                }
            }
        }
    });
}

/// The raw fan-out baseline at `n` connections: `events` frames `gap` apart.
async fn raw_baseline(n: usize, events: usize, gap: Duration) -> Option<(Vec<f64>, u64)> {
    use std::io::{BufRead, Write};
    let exe = std::env::current_exe().ok()?;
    let mut child = Command::new(exe)
        .env("HUB_BENCH_RAW", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let mut port_line = String::new();
    std::io::BufReader::new(child.stdout.take()?)
        .read_line(&mut port_line)
        .ok()?;
    let port: u16 = port_line.trim().parse().ok()?;
    let gate = Arc::new(Semaphore::new(256));
    let mut tasks = Vec::with_capacity(n);
    for _ in 0..n {
        let gate = Arc::clone(&gate);
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire().await;
            subscribe(port).await
        }));
    }
    let mut streams = Vec::with_capacity(n);
    for t in tasks {
        if let Ok(Ok(s)) = t.await {
            streams.push(s);
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (held_rss, _) = rss_kib(child.id());
    let readers: Vec<_> = streams
        .into_iter()
        .map(|s| tokio::spawn(receive(s, events, Duration::from_secs(60))))
        .collect();
    let mut stdin = child.stdin.take()?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    for _ in 0..events {
        let _ = writeln!(stdin, "go");
        let _ = stdin.flush();
        tokio::time::sleep(gap).await;
    }
    let mut all = Vec::new();
    for r in readers {
        if let Ok(l) = r.await {
            all.extend(l);
        }
    }
    drop(stdin);
    let _ = child.kill();
    let _ = child.wait();
    all.sort_by(f64::total_cmp);
    Some((all, held_rss))
}

fn main() {
    if std::env::var_os("HUB_BENCH_RAW").is_some() {
        raw_server();
        return;
    }
    let full = std::env::args().any(|a| a == "--bench");
    let sizes = if full {
        Sizes {
            subscribers: 10_000,
            events: 20,
            webhooks: 10_000,
        }
    } else {
        Sizes {
            subscribers: 100,
            events: 3,
            webhooks: 200,
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        println!(
            "hub load benchmark ({}): {} subscribers, {} events, {} webhooks",
            if full { "full" } else { "smoke" },
            sizes.subscribers,
            sizes.events,
            sizes.webhooks
        );
        sse_section(&sizes).await;
        ingest_section(&sizes).await;
    });
}
