//! `GET /devices/lookup` end to end: the real `hub` binary (its own process) in front of the
//! ERPNext fake and the GenieACS fake NBI (this process), as in the sandbox.
//!
//! Prints p50 / p99 of a lookup by serial (both sources concurrently: the Service Equipment from
//! ERPNext and the `ModemSnapshot` from GenieACS), sequential and with 8 callers at once, against
//! two baselines measured in the same run: `GET /healthz` on the same hub (the HTTP floor), and
//! the same two source calls made directly with the client crates (the upstream floor). A second
//! hub also reads the TP-Link router's own view (the sandbox's emulated router, in-process, its
//! session kept between lookups): its lookups are compared with the first hub's.
//!
//! `cargo bench -p hub --bench lookup` runs 200 lookups per case; under `cargo test` a smoke
//! run of 5 checks that it works.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use frappe_client::Filter;
use frappe_client::testkit::FakeFrappe;

const HUB: &str = env!("CARGO_BIN_EXE_hub");
const PROXY_SECRET: &str = "bench-proxy-secret-0123456789";

struct Hub(Child);

impl Drop for Hub {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn percentiles(mut ms: Vec<f64>) -> (f64, f64) {
    ms.sort_by(f64::total_cmp);
    let at = |p: f64| ms[((ms.len() as f64 * p).ceil() as usize).clamp(1, ms.len()) - 1];
    (at(0.50), at(0.99))
}

/// Times `n` calls of `f`, `concurrency` at a time; ms per call.
async fn timed<F, Fut>(n: usize, concurrency: usize, f: F) -> Vec<f64>
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let mut out = Vec::with_capacity(n);
    let mut workers = Vec::new();
    for w in 0..concurrency {
        let f = f.clone();
        let share = n / concurrency + usize::from(w < n % concurrency);
        workers.push(tokio::spawn(async move {
            let mut v = Vec::with_capacity(share);
            for _ in 0..share {
                let t = Instant::now();
                assert!(f().await, "a request failed");
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

fn line(label: &str, v: Vec<f64>, base: Option<(f64, f64)>) -> (f64, f64) {
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

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let n = if full { 200 } else { 5 };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let frappe = FakeFrappe::start().await.expect("ERPNext fake");
        let nbi = hub::sandbox::fake_nbi_for(&frappe).await.expect("NBI fake");
        let serial = frappe
            .all("Service Equipment")
            .into_iter()
            .find(|e| e["equipment_type"] == "ONT Router")
            .and_then(|e| e["serial_number"].as_str().map(str::to_owned))
            .expect("a seeded modem");
        let routers = hub::sandbox::routers_for(&frappe, &nbi)
            .await
            .expect("emulated routers");
        let dir = std::env::temp_dir().join(format!("hub-lookup-bench-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let start = |name: &str, extra: &[(&str, String)]| {
            let port = free_port();
            let mut cmd = Command::new(HUB);
            for (k, _) in std::env::vars() {
                if ["HUB_", "FRAPPE_", "GENIEACS_", "TPLINK_", "OLT"]
                    .iter()
                    .any(|p| k.starts_with(p))
                {
                    cmd.env_remove(k);
                }
            }
            cmd.args(["serve", "--listen", &format!("127.0.0.1:{port}")])
                .env(
                    "HUB_DATABASE_URL",
                    format!("sqlite://{}/{name}.db", dir.display()),
                )
                .env("HUB_PROXY_SECRET", PROXY_SECRET)
                .env("HUB_GROUP_CAPABILITIES", "Ops=devices:read")
                .env("FRAPPE_URL", frappe.url().as_str())
                .env("FRAPPE_API_KEY", frappe.api_key())
                .env("FRAPPE_API_SECRET", frappe.api_secret())
                .env("GENIEACS_URL", nbi.url().as_str())
                .env("RUST_LOG", "error")
                .envs(extra.iter().map(|(k, v)| (*k, v.as_str())))
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            let child = cmd.spawn().expect("start the hub binary");
            (Hub(child), format!("http://127.0.0.1:{port}"))
        };
        let (_hub, base) = start("plain", &[]);
        // The same hub reading the TP-Link routers' own view in-process.
        let (_hub_routers, base_routers) = start(
            "routers",
            &[
                ("TPLINK_DIRECT", "true".to_owned()),
                ("TPLINK_ROUTER_PORT", routers.port.to_string()),
            ],
        );
        let http = reqwest::Client::new();
        for b in [&base, &base_routers] {
            for _ in 0..400 {
                if http.get(format!("{b}/healthz")).send().await.is_ok() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
        }
        let get = {
            let http = http.clone();
            move |path: String| {
                let http = http.clone();
                async move {
                    http.get(path)
                        .header("x-hub-proxy-secret", PROXY_SECRET)
                        .header("X-Authentik-Username", "bench")
                        .header("X-Authentik-Email", "bench@example.com")
                        .header("X-Authentik-Groups", "Ops")
                        .send()
                        .await
                        .is_ok_and(|r| r.status().is_success())
                }
            }
        };
        let healthz = format!("{base}/healthz");
        let lookup = format!("{base}/devices/lookup?serial={serial}");
        let lookup_routers = format!("{base_routers}/devices/lookup?serial={serial}");
        // The same two source calls, made directly (what the hub waits for).
        let erp = frappe_client::Client::builder(frappe.url().as_str())
            .token(frappe.api_key(), frappe.api_secret())
            .build()
            .expect("frappe client");
        let acs = genieacs_client::Client::builder(nbi.url().as_str())
            .build()
            .expect("genieacs client");
        let direct = {
            let serial = serial.clone();
            move || {
                let (erp, acs, serial) = (erp.clone(), acs.clone(), serial.clone());
                async move {
                    let docs = erp.doctype("Service Equipment");
                    let query = docs
                        .list()
                        .filter(Filter::eq("serial_number", serial.as_str()))
                        .fields(["name", "serial_number", "customer", "service_location"])
                        .page_size(2);
                    let equipment = query.page();
                    let modem = async {
                        let d = acs.devices().find_by_serial(&serial).await.ok()?;
                        acs.devices().snapshot(&d.first()?.id).await.ok()?
                    };
                    let (e, m) = tokio::join!(equipment, modem);
                    e.is_ok() && m.is_some()
                }
            }
        };
        // Warm up every path once (the router's session is made here).
        assert!(get(lookup.clone()).await, "the lookup answers");
        assert!(
            get(lookup_routers.clone()).await,
            "the lookup with routers answers"
        );
        assert!(direct().await);
        println!(
            "hub lookup benchmark ({}): {n} requests per case, serial {serial}",
            if full { "full" } else { "smoke" }
        );
        for conc in [1, 8] {
            println!("concurrency {conc}:");
            let h = {
                let (get, u) = (get.clone(), healthz.clone());
                line(
                    "GET /healthz (HTTP floor)",
                    timed(n, conc, move || get(u.clone())).await,
                    None,
                )
            };
            let d = line(
                "sources called directly (upstream floor)",
                timed(n, conc, direct.clone()).await,
                None,
            );
            let (get2, u) = (get.clone(), lookup.clone());
            let v = timed(n, conc, move || get2(u.clone())).await;
            line("GET /devices/lookup vs upstream floor", v.clone(), Some(d));
            let plain = line("GET /devices/lookup vs HTTP floor", v, Some(h));
            let (get2, u) = (get.clone(), lookup_routers.clone());
            line(
                "+ the router's view, in-process, vs without",
                timed(n, conc, move || get2(u.clone())).await,
                Some(plain),
            );
        }
        let _ = std::fs::remove_dir_all(&dir);
    });
}
