//! The `tplink` source of `/devices/lookup`: the router's own view, read in-process or through
//! the bridge service, from emulated routers at the WAN address the ACS reports, merged with
//! the ACS snapshot; and every way it can fail without failing the lookup.

use std::time::{Duration, Instant};

use gigafibre_client_core::testkit::FakeServer;
use reqwest::StatusCode;
use secrecy::SecretString;
use serde_json::{Value, json};
use tplink_bridge::emulator::Fault;
use tplink_bridge::service::{Bridge, BridgeConfig};

use crate::helpers::{TestApp, lookup, statuses, with_acs, with_routers};

/// The serial of the sandbox router `k` (0-based) and its equipment's admin password.
fn router_serial(t: &TestApp, equipment: &str) -> String {
    t.fake.get("Service Equipment", equipment).unwrap()["serial_number"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn source<'a>(body: &'a Value, name: &str) -> &'a Value {
    body["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap()
}

/// Nothing a router password looks like appears in the answer.
fn assert_no_router_secret(body: &Value) {
    let text = body.to_string();
    assert!(
        !text.contains("Gf!2026"),
        "a router password leaked: {text}"
    );
    for band in body["router"]["wifi"].as_array().into_iter().flatten() {
        assert!(band["key"].is_null(), "Wi-Fi keys are never asked for");
    }
}

#[tokio::test]
async fn a_tplink_modem_shows_the_routers_own_view_merged_with_the_acs_snapshot() {
    let (t, _nbi, routers) = with_routers(|_| {}).await;
    let (equipment, ip, emulator) = &routers.routers[0];
    let serial = router_serial(&t, equipment);
    let (status, body) = lookup(&t, &format!("serial={serial}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        statuses(&body),
        [
            ("erpnext".into(), "ok".into()),
            ("genieacs".into(), "ok".into()),
            ("tplink".into(), "ok".into()),
            ("olt".into(), "not_configured".into())
        ],
        "{body}"
    );
    // Read at the WAN address the ACS reports, on the configured port.
    assert_eq!(body["router"]["address"], format!("{ip}:{}", routers.port));
    assert_eq!(body["router"]["device"]["model"], "XX230v");
    assert_no_router_secret(&body);
    // The merged view: mesh nodes with their stations from the router, hosts from both.
    let d = &body["diagnostic"];
    assert_eq!(d["mesh"]["sources"][0], "tplink", "{d}");
    let controller = d["mesh"]["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["role"] == "controller")
        .unwrap();
    assert!(
        !controller["stations"].as_array().unwrap().is_empty(),
        "{d}"
    );
    assert_eq!(
        controller["station_count"],
        controller["stations"].as_array().unwrap().len()
    );
    let hosts = d["hosts"]["value"].as_array().unwrap();
    let router_macs: Vec<&str> = body["router"]["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["mac"].as_str().unwrap())
        .collect();
    for mac in &router_macs {
        assert!(
            hosts
                .iter()
                .any(|h| h["mac"] == *mac && h["sources"][0] == "tplink"),
            "{mac} of the router is in the merged hosts"
        );
    }
    let acs_macs = body["acs"]["hosts"]["value"].as_array().unwrap();
    assert!(!acs_macs.is_empty());
    for h in acs_macs {
        assert!(
            hosts.iter().any(|m| m["mac"] == h["mac"]),
            "{} of the ACS is in the merged hosts",
            h["mac"]
        );
    }
    assert_eq!(d["wifi"]["sources"], json!(["tplink"]));
    assert_eq!(d["wifi"]["age_secs"], 0, "a live read");
    assert_eq!(d["optical"]["sources"], json!(["tplink"]));
    assert!(d["optical"]["value"]["temperature_c"].is_number(), "{d}");
    // The session is reused by the next lookup: one login for both.
    let (_, again) = lookup(&t, &format!("equipment={equipment}")).await;
    assert_eq!(source(&again, "tplink")["status"], "ok", "{again}");
    assert_eq!(emulator.logins(), 1, "one session per router, reused");
    // A Huawei is not asked.
    let (_, huawei) = lookup(&t, "serial=8KA8WA1151100043").await;
    assert_eq!(source(&huawei, "tplink")["status"], "not_applicable");
    assert_eq!(huawei["diagnostic"]["wifi"]["sources"], json!(["genieacs"]));
    // Shutting the hub down logs out of the router (its only admin slot).
    assert_eq!(emulator.active_sessions(), 1);
    t.app.stop().await;
    assert_eq!(emulator.active_sessions(), 0, "logged out at shutdown");
}

#[tokio::test]
async fn the_router_is_read_through_the_bridge_service_with_its_token() {
    let bridge =
        Bridge::new(BridgeConfig::from_toml("token = \"bridge-token-0123456789\"\n").unwrap())
            .unwrap();
    let server = FakeServer::start(bridge.routes()).await.unwrap();
    let bridge_url = server.url().to_string();
    let (t, _nbi, routers) = with_routers(|s| {
        s.tplink.as_mut().unwrap().mode = hub::config::TplinkMode::Bridge {
            url: bridge_url.trim_end_matches('/').to_owned(),
            token: Some(SecretString::from("bridge-token-0123456789")),
        };
    })
    .await;
    let (equipment, ip, _) = &routers.routers[1];
    let serial = router_serial(&t, equipment);
    let (_, body) = lookup(&t, &format!("serial={serial}")).await;
    assert_eq!(source(&body, "tplink")["status"], "ok", "{body}");
    assert_eq!(body["router"]["address"], format!("{ip}:{}", routers.port));
    assert!(!body["router"]["mesh"].as_array().unwrap().is_empty());
    assert_eq!(body["diagnostic"]["optical"]["sources"], json!(["tplink"]));
    assert_no_router_secret(&body);
    assert_eq!(bridge.routers().await, 1, "the bridge holds the session");
    // A wrong bridge token: the bridge's own error, named.
    let (t, _nbi, routers) = with_routers(|s| {
        s.tplink.as_mut().unwrap().mode = hub::config::TplinkMode::Bridge {
            url: bridge_url.clone(),
            token: Some(SecretString::from("not-the-token")),
        };
    })
    .await;
    let serial = router_serial(&t, &routers.routers[0].0);
    let (status, body) = lookup(&t, &format!("serial={serial}")).await;
    assert_eq!(status, StatusCode::OK);
    let report = source(&body, "tplink");
    assert_eq!(report["status"], "error");
    assert!(
        report["error"].as_str().unwrap().contains("unauthorized"),
        "{report}"
    );
    assert!(!body.to_string().contains("not-the-token"));
    assert_eq!(body["diagnostic"]["wifi"]["sources"], json!(["genieacs"]));
}

#[tokio::test]
async fn a_router_unconfigured_down_refusing_or_slow_makes_the_answer_partial() {
    // Not configured: the ACS snapshot alone, and what to set.
    let (t, _nbi) = with_acs(|_| {}).await;
    let serial = t
        .fake
        .all("Service Equipment")
        .into_iter()
        .find(|e| e["brand"] == "TP-Link" && e["acs_device_id"].is_string())
        .unwrap()["serial_number"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, body) = lookup(&t, &format!("serial={serial}")).await;
    assert_eq!(status, StatusCode::OK);
    let report = source(&body, "tplink");
    assert_eq!(report["status"], "not_configured");
    assert!(
        report["error"]
            .as_str()
            .unwrap()
            .contains("TPLINK_BRIDGE_URL")
    );
    assert!(body["router"].is_null());
    assert_eq!(
        body["diagnostic"]["hosts"]["sources"],
        json!(["genieacs"]),
        "{body}"
    );

    // Down: nothing listens on the router port.
    let closed = crate::helpers::free_port();
    let (t, _nbi, _routers) =
        with_routers(|s| s.tplink.as_mut().unwrap().router_port = closed).await;
    let (status, body) = lookup(&t, &format!("serial={serial}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(source(&body, "tplink")["status"], "error", "{body}");
    assert_eq!(source(&body, "genieacs")["status"], "ok");
    assert!(body["acs"].is_object() && body["equipment"].is_object());

    // Refusing: the equipment's password is not the router's.
    let (t, _nbi, routers) = with_routers(|_| {}).await;
    let (equipment, _, emulator) = &routers.routers[0];
    let erp = frappe_client::Client::builder(t.fake.url().as_str())
        .token(t.fake.api_key(), t.fake.api_secret())
        .build()
        .unwrap();
    erp.doctype("Service Equipment")
        .set_value(equipment, &json!({"admin_password": "Wrong-Pass-77"}))
        .await
        .unwrap();
    let serial = router_serial(&t, equipment);
    let (status, body) = lookup(&t, &format!("serial={serial}")).await;
    assert_eq!(status, StatusCode::OK);
    let report = source(&body, "tplink");
    assert_eq!(report["status"], "error");
    assert!(
        report["error"]
            .as_str()
            .unwrap()
            .contains("bad_credentials"),
        "{report}"
    );
    assert!(!body.to_string().contains("Wrong-Pass-77"));
    assert_eq!(
        emulator.login_failures(),
        1,
        "one attempt, far from the lockout"
    );

    // Slow: answers after 5 s, a lookup deadline of 1.5 s.
    let (t, _nbi, routers) =
        with_routers(|s| s.lookup_deadline = Duration::from_millis(1500)).await;
    let (equipment, _, emulator) = &routers.routers[0];
    emulator.set_fault(Fault::Slow(Duration::from_secs(5)), 50);
    let serial = router_serial(&t, equipment);
    let started = Instant::now();
    let (status, body) = lookup(&t, &format!("serial={serial}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "answered by the deadline"
    );
    assert_eq!(source(&body, "tplink")["status"], "timeout", "{body}");
    assert_eq!(source(&body, "erpnext")["status"], "ok");
    assert_eq!(source(&body, "genieacs")["status"], "ok");
}

#[tokio::test]
async fn every_sandbox_tplink_router_answers_with_its_equipments_credentials() {
    let (t, _nbi, routers) = with_routers(|_| {}).await;
    assert!(routers.routers.len() >= 2, "the seed installs several");
    for (equipment, ip, _) in &routers.routers {
        let (_, body) = lookup(&t, &format!("equipment={equipment}")).await;
        assert_eq!(
            source(&body, "tplink")["status"],
            "ok",
            "{equipment}: {body}"
        );
        assert_eq!(body["router"]["address"], format!("{ip}:{}", routers.port));
    }
}
