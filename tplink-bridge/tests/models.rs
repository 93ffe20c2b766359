//! `RouterStatus` parts from the contract's default fixtures (PROTOCOL §9.7), the units of
//! §6.6, and MACs in every form the router uses.

use serde_json::Value;
use tplink_bridge::models::{
    DeviceInfo, Link, Object, Optical, Wan, WifiBand, mesh_and_hosts, normalize_mac,
};

fn fixtures() -> Value {
    let p = format!(
        "{}/tests/resources/vectors.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let v: Value = serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
    v["default_fixtures"].clone()
}

fn list(f: &Value, oid: &str) -> Vec<Object> {
    f[oid]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o.as_object().unwrap().clone())
        .collect()
}

fn object(f: &Value, oid: &str) -> Object {
    f[oid].as_object().unwrap().clone()
}

#[test]
fn macs_in_every_form_normalise_to_one() {
    for raw in [
        "a0:28:84:00:00:01",
        "A0-28-84-00-00-01",
        "a028.8400.0001",
        "A02884000001",
    ] {
        assert_eq!(
            normalize_mac(raw).as_deref(),
            Some("A0:28:84:00:00:01"),
            "{raw}"
        );
    }
    for bad in [
        "",
        "a0:28:84",
        "zz:28:84:00:00:01",
        "a0:28:84:00:00:01:02",
        "a0 28 84 00 00 01",
    ] {
        assert_eq!(normalize_mac(bad), None, "{bad}");
    }
}

#[test]
fn the_active_wan_is_the_connected_enabled_profile_not_the_first() {
    let f = fixtures();
    let wan = Wan::from_list(&list(&f, "DEV2_ADT_WAN"));
    assert_eq!(wan.len(), 6);
    let active: Vec<_> = wan.iter().filter(|w| w.active).collect();
    assert_eq!(active.len(), 1);
    let a = active[0];
    assert_eq!(a.name.as_deref(), Some("pppoe_gpon_3_3"));
    assert_eq!(a.ipv4.as_deref(), Some("100.64.10.20"));
    assert_eq!(a.gateway.as_deref(), Some("100.64.0.1"));
    assert_eq!(a.dns, ["1.1.1.1", "8.8.8.8"]);
    assert_eq!(a.stack.as_deref(), Some("5,0,0,0,0,0"));
    // The enabled but disconnected first profile is not active, and shows no 0.0.0.0.
    assert!(wan[0].enabled && !wan[0].active && wan[0].ipv4.is_none());
}

#[test]
fn device_wifi_and_optics_in_physical_units() {
    let f = fixtures();
    let d = DeviceInfo::from_objects(
        &object(&f, "DEV2_DEV_INFO"),
        Some(&object(&f, "DEV2_MEM_STATUS")),
        Some(&object(&f, "DEV2_PROC_STATUS")),
    );
    assert_eq!(
        (
            d.model.as_deref(),
            d.uptime_secs,
            d.cpu_percent,
            d.memory_percent
        ),
        (Some("XX230v"), Some(86_400), Some(12), Some(50))
    );
    let wifi = WifiBand::from_list(&list(&f, "DEV2_ADT_WIFI_COMMON"), false);
    let bands: Vec<_> = wifi.iter().map(|w| w.band.clone().unwrap()).collect();
    assert_eq!(bands, ["2.4GHz", "5GHz"]);
    assert!(
        wifi.iter()
            .all(|w| w.key.is_none() && w.enabled == Some(true))
    );
    let o = Optical::from_object(&list(&f, "DEV2_OPTC_GPON_CFG")[0]);
    assert_eq!(o.rx_dbm, Some(-18.0), "158 × 0.1 µW");
    assert_eq!(o.tx_dbm, Some(3.0), "19953 × 0.1 µW");
    assert_eq!(o.temperature_c, Some(45.0), "11520 / 256");
    assert_eq!(o.voltage_v, Some(3.3));
    assert_eq!(o.bias_ma, Some(12.0), "6000 × 2 µA");
    assert_eq!(o.state.as_deref(), Some("O5"));
}

#[test]
fn hosts_merge_by_mac_across_tables_and_hang_on_their_mesh_node() {
    let f = fixtures();
    let (mesh, hosts) = mesh_and_hosts(
        &list(&f, "DEV2_HOST_ENTRY"),
        &list(&f, "DEV2_WIFI_APDEV"),
        &list(&f, "DEV2_WIFI_APDEV_RADIO"),
        &list(&f, "DEV2_WIFI_APDEV_ASSOCDEV"),
        &list(&f, "DEV2_WIFI_APDEV_ETHASSOCDEV"),
    );
    // Three hosts, each once, though each appears in two tables with MACs in two forms.
    assert_eq!(hosts.len(), 3, "{hosts:#?}");
    let phone = hosts
        .iter()
        .find(|h| h.hostname.as_deref() == Some("phone"))
        .unwrap();
    assert_eq!(phone.mac, "BF:75:44:00:00:02");
    assert_eq!(phone.link, Link::Wifi24);
    assert_eq!(phone.signal_dbm, Some(-55));
    assert_eq!(phone.mesh_node.as_deref(), Some("A0:28:84:00:00:01"));
    let desktop = hosts
        .iter()
        .find(|h| h.hostname.as_deref() == Some("desktop"))
        .unwrap();
    assert_eq!(desktop.link, Link::Wired);
    assert_eq!(mesh.len(), 2);
    assert!(mesh[0].controller && !mesh[1].controller);
    assert_eq!(mesh[1].backhaul.as_deref(), Some("Ethernet"));
    assert_eq!(mesh[0].radios.len(), 2);
    assert_eq!(mesh[0].stations.len(), 3);
    // A missing table is no failure: hosts from the host table alone.
    let (mesh, hosts) = mesh_and_hosts(&list(&f, "DEV2_HOST_ENTRY"), &[], &[], &[], &[]);
    assert!(mesh.is_empty());
    assert_eq!(hosts.len(), 3);
}
