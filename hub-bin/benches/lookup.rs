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

use common::{line, start_hub, timed};
use frappe_client::Filter;
use frappe_client::testkit::FakeFrappe;

mod common;

const PROXY_SECRET: &str = "bench-proxy-secret-0123456789";

fn main() {
    let full = common::full_run();
    let n = if full { 200 } else { 5 };
    let rt = common::runtime();
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
        let env = |name: &str, extra: &[(&'static str, String)]| -> Vec<(&'static str, String)> {
            let mut env = vec![
                (
                    "HUB_DATABASE_URL",
                    format!("sqlite://{}/{name}.db", dir.display()),
                ),
                ("HUB_PROXY_SECRET", PROXY_SECRET.to_owned()),
                ("HUB_GROUP_CAPABILITIES", "Ops=devices:read".to_owned()),
                ("FRAPPE_URL", frappe.url().to_string()),
                ("FRAPPE_API_KEY", frappe.api_key().to_owned()),
                ("FRAPPE_API_SECRET", frappe.api_secret().to_owned()),
                ("GENIEACS_URL", nbi.url().to_string()),
            ];
            env.extend(extra.iter().cloned());
            env
        };
        let (_hub, base) = start_hub(&env("plain", &[])).await;
        // The same hub reading the TP-Link routers' own view in-process.
        let (_hub_routers, base_routers) = start_hub(&env(
            "routers",
            &[
                ("TPLINK_DIRECT", "true".to_owned()),
                ("TPLINK_ROUTER_PORT", routers.port.to_string()),
            ],
        ))
        .await;
        let http = reqwest::Client::new();
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
            move |_| {
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
        assert!(direct(0).await);
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
                    timed(n, conc, move |_| get(u.clone())).await,
                    None,
                )
            };
            let d = line(
                "sources called directly (upstream floor)",
                timed(n, conc, direct.clone()).await,
                None,
            );
            let (get2, u) = (get.clone(), lookup.clone());
            let v = timed(n, conc, move |_| get2(u.clone())).await;
            line("GET /devices/lookup vs upstream floor", v.clone(), Some(d));
            let plain = line("GET /devices/lookup vs HTTP floor", v, Some(h));
            let (get2, u) = (get.clone(), lookup_routers.clone());
            line(
                "+ the router's view, in-process, vs without",
                timed(n, conc, move |_| get2(u.clone())).await,
                Some(plain),
            );
        }
        let _ = std::fs::remove_dir_all(&dir);
    });
}
