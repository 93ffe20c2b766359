//! [`ModemSnapshot`] from the contract's composed documents and from the two real data-model
//! dumps (TP-Link TR-181, Huawei TR-098), snapshotted whole.

use chrono::{DateTime, Duration, Utc};
use genieacs_client::models::{DataModel, MeshHealth, MeshRole};
use genieacs_client::testkit::datamodel::{HUAWEI_TR098, XX230V_TR181, device_from_csv};
use genieacs_client::{Device, ModemSnapshot};
use serde_json::json;

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

#[test]
fn mesh_comes_from_data_elements_and_judges_satellites_by_the_controllers_clock() {
    // Online: the satellite was heard 4 s before the controller's own contact time.
    let online = resource("device-xx230v-online-mesh.json");
    let snap = ModemSnapshot::from_device(&online, online.last_inform.unwrap());
    let roles: Vec<_> = snap.mesh.value.iter().map(|n| n.role).collect();
    assert_eq!(roles, [MeshRole::Controller, MeshRole::Agent]);
    let sat = &snap.mesh.value[1];
    assert_eq!(sat.health, MeshHealth::Ok);
    assert_eq!(
        sat.backhaul_signal_dbm,
        Some(-38.5),
        "RCPI 143 is -38.5 dBm"
    );
    assert!(
        snap.mesh
            .sources
            .iter()
            .any(|s| s.starts_with("Device.WiFi.DataElements"))
    );
    // The satellite's own station is attributed to it.
    assert!(
        snap.hosts
            .value
            .iter()
            .any(|h| h.via_mesh_node.as_deref() == sat.mac.as_deref())
    );

    // Stale: the same satellite, unheard for days before the controller's clock: lost, even
    // though "now" plays no part (the table itself is days old).
    let stale = resource("device-xx230v-stale-degraded.json");
    let snap = ModemSnapshot::from_device(&stale, stale.last_inform.unwrap());
    assert_eq!(snap.mesh.value[1].health, MeshHealth::Lost);
    assert_eq!(snap.mesh.value[0].health, MeshHealth::Ok);
}

#[test]
fn real_dump_gives_radios_ipv6_and_data_elements_stations() {
    let doc = device_from_csv(XX230V_TR181, "22411A5009999", "2026-11-30T10:00:00.000Z");
    let device: Device = serde_json::from_value(doc).unwrap();
    let snap = ModemSnapshot::from_device(&device, at("2026-11-30T10:01:00Z"));
    let bands: Vec<_> = snap
        .radios
        .value
        .iter()
        .map(|r| r.band.clone().unwrap())
        .collect();
    assert_eq!(bands, ["2.4GHz", "5GHz"]);
    let wan = snap.wan.value.iter().find(|w| w.default_route).unwrap();
    assert_eq!(wan.ipv6, ["2804:3e0:0:42dc:61a8:e3bb:ecce:7392"]);
    assert!(wan.ipv6.iter().all(|a| !a.starts_with("fe80")));
    // The dump's one DataElements station sits on the controller.
    assert_eq!(snap.mesh.value.len(), 1);
    assert_eq!(snap.mesh.value[0].stations, 1);
}

/// A leaf as GenieACS stores it.
fn leaf(v: &serde_json::Value, t: &str) -> serde_json::Value {
    json!({"_object": false, "_value": v, "_type": t, "_timestamp": "2026-11-30T10:00:00.000Z", "_writable": false})
}

#[test]
fn huawei_tr098_profile_reads_gpon_levels_and_the_vendor_band() {
    // The paths and values NBI.md §11.3/§11.6 give for a Huawei EG8145X6.
    let device: Device = serde_json::from_value(json!({
        "_id": "00259E-EG8145X6-48575443A0000002",
        "_lastInform": "2026-11-30T10:00:00.000Z",
        "InternetGatewayDevice": {
            "_object": true,
            "DeviceInfo": {"_object": true, "ModelName": leaf(&json!("EG8145X6"), "xsd:string")},
            "WANDevice": {"_object": true, "1": {"_object": true,
                "X_GponInterafceConfig": {"_object": true,
                    "RXPower": leaf(&json!(-7), "xsd:int"),
                    "TXPower": leaf(&json!(2), "xsd:int"),
                    "Status": leaf(&json!("Up"), "xsd:string")}}},
            "LANDevice": {"_object": true, "1": {"_object": true, "WLANConfiguration": {"_object": true,
                "1": {"_object": true, "SSID": leaf(&json!("home"), "xsd:string"), "Channel": leaf(&json!(6), "xsd:unsignedInt")},
                "5": {"_object": true, "SSID": leaf(&json!("home-5G"), "xsd:string"), "X_HW_RFBand": leaf(&json!("5G"), "xsd:string"), "Channel": leaf(&json!(36), "xsd:unsignedInt")}}}}
        }
    }))
    .unwrap();
    let snap = ModemSnapshot::from_device(&device, at("2026-11-30T10:01:00Z"));
    let optical = snap.optical.unwrap();
    assert_eq!(
        optical.value.path,
        "InternetGatewayDevice.WANDevice.1.X_GponInterafceConfig"
    );
    assert_eq!(optical.value.rx_dbm, Some(-7.0));
    assert_eq!(optical.value.assumed_unit, Some("dBm"));
    assert_eq!(optical.age_secs, Some(60));
    let bands: Vec<_> = snap
        .wifi
        .value
        .iter()
        .map(|w| w.band.clone().unwrap())
        .collect();
    assert_eq!(
        bands,
        ["2.4GHz", "5GHz"],
        "inferred from channel 6, declared as 5G"
    );
    assert_eq!(snap.radios.value.len(), 2);
}
