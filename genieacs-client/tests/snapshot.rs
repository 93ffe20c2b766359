//! [`ModemSnapshot`] from the contract's composed documents and from the two real data-model
//! dumps (TP-Link TR-181, Huawei TR-098), snapshotted whole.

use chrono::{DateTime, Duration, Utc};
use genieacs_client::models::DataModel;
use genieacs_client::testkit::datamodel::{HUAWEI_TR098, XX230V_TR181, device_from_csv};
use genieacs_client::{Device, ModemSnapshot};

fn resource(name: &str) -> Device {
    let p = format!("{}/tests/resources/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap()
}

fn at(iso: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(iso)
        .unwrap()
        .with_timezone(&Utc)
}

#[test]
fn online_mesh_router_snapshot() {
    let device = resource("device-xx230v-online-mesh.json");
    let now = device.last_inform.unwrap() + Duration::seconds(30);
    let snap = ModemSnapshot::from_device(&device, now);
    assert_eq!(snap.data_model, DataModel::Tr181);
    assert!(snap.online);
    // Only the customer-facing (Primary) SSIDs, never a passphrase.
    assert!(!snap.wifi.value.is_empty() && snap.wifi.value.len() < 14);
    let json = serde_json::to_string(&snap).unwrap();
    assert!(!json.contains("KeyPassphrase"));
    // Exactly one WAN carries the default route.
    assert_eq!(snap.wan.value.iter().filter(|w| w.default_route).count(), 1);
    // Hosts are merged by MAC: no duplicates.
    let mut macs: Vec<_> = snap.hosts.value.iter().map(|h| h.mac.clone()).collect();
    macs.sort();
    macs.dedup();
    assert_eq!(macs.len(), snap.hosts.value.len());
    insta::assert_json_snapshot!(snap);
}

#[test]
fn stale_degraded_router_is_offline_with_old_sections() {
    let device = resource("device-xx230v-stale-degraded.json");
    let now = device.last_inform.unwrap() + Duration::days(2);
    let snap = ModemSnapshot::from_device(&device, now);
    assert!(!snap.online);
    assert!(snap.identity.age_secs.unwrap() >= 2 * 86_400);
    // Device.Hosts is known but was never fetched: no hosts, not an error.
    assert!(snap.hosts.value.is_empty());
    let optical = snap.optical.as_ref().unwrap();
    assert_eq!(optical.value.assumed_unit, Some("0.1 µW"));
    assert!(optical.value.rx_dbm.unwrap() < -27.0);
    insta::assert_json_snapshot!(snap);
}

#[test]
fn real_tplink_dump_snapshot() {
    let doc = device_from_csv(XX230V_TR181, "22411A5009999", "2026-11-30T10:00:00.000Z");
    let device: Device = serde_json::from_value(doc).unwrap();
    let snap = ModemSnapshot::from_device(&device, at("2026-11-30T10:01:00Z"));
    assert_eq!(snap.data_model, DataModel::Tr181);
    assert!(snap.identity.value.model.is_some());
    insta::assert_json_snapshot!(snap);
}

#[test]
fn real_huawei_tr098_dump_snapshot() {
    let doc = device_from_csv(HUAWEI_TR098, "48575443A0000001", "2026-11-30T10:00:00.000Z");
    let device: Device = serde_json::from_value(doc).unwrap();
    let snap = ModemSnapshot::from_device(&device, at("2026-11-30T10:01:00Z"));
    assert_eq!(snap.data_model, DataModel::Tr098);
    assert!(snap.optical.is_none());
    assert!(!snap.wifi.value.is_empty());
    insta::assert_json_snapshot!(snap);
}

#[test]
fn empty_document_gives_an_empty_snapshot_not_a_panic() {
    let device: Device = serde_json::from_value(serde_json::json!({"_id": "X-Y-Z"})).unwrap();
    let snap = ModemSnapshot::from_device(&device, at("2026-11-30T10:01:00Z"));
    assert_eq!(snap.data_model, DataModel::Unknown);
    assert!(!snap.online);
    assert!(snap.wan.value.is_empty() && snap.wifi.value.is_empty());
    assert_eq!(snap.identity.age_secs, None);
}
