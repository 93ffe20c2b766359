//! The merged view of a modem in `/devices/lookup`: the router's own live view (the TP-Link
//! bridge) and the ACS snapshot (GenieACS), section by section, each naming where it came from.
//!
//! - **hosts** and **mesh** are merged by MAC: what the router says wins, the ACS fills the
//!   gaps (a host the router no longer lists is still shown, from the ACS, with its age);
//! - **wifi** and **optical** come from the router when it answered (a live reading, in
//!   physical units, with temperature, voltage and bias), else from the ACS snapshot.
//!
//! The inputs are the JSON of `tplink_bridge::RouterStatus` and of
//! `genieacs_client::ModemSnapshot` as the lookup carries them.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// Where a section or a row came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// The router's own view, read live.
    Tplink,
    /// The ACS snapshot (as old as its `age_secs`).
    Genieacs,
}

/// One section: the value and where it came from.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Section<T> {
    /// The sources that contributed, the router first.
    pub sources: Vec<Origin>,
    /// Seconds since the oldest contributing reading (0 for a live read).
    pub age_secs: Option<i64>,
    /// The section.
    pub value: T,
}

/// A LAN host.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct Host {
    /// MAC (`AA:BB:CC:DD:EE:FF`).
    pub mac: String,
    /// IPv4 address.
    pub ip: Option<String>,
    /// Host name.
    pub hostname: Option<String>,
    /// Connected now.
    pub active: Option<bool>,
    /// `ethernet`, `wifi` or `unknown`.
    pub link: String,
    /// The Wi-Fi band (`2.4GHz`, `5GHz`, `6GHz`) when the router says.
    pub band: Option<String>,
    /// Signal (dBm) of a Wi-Fi station.
    pub signal_dbm: Option<i64>,
    /// The mesh node it is attached to (MAC).
    pub mesh_node: Option<String>,
    /// Who listed it.
    pub sources: Vec<Origin>,
}

/// A mesh node (the EasyMesh controller or a satellite).
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct MeshNode {
    /// Its MAC.
    pub mac: Option<String>,
    /// Its name or model.
    pub name: Option<String>,
    /// `controller` or `agent`.
    pub role: String,
    /// Backhaul (`Ethernet`, `Wi-Fi`; none for the controller).
    pub backhaul: Option<String>,
    /// Backhaul signal (dBm), from the ACS.
    pub backhaul_signal_dbm: Option<f64>,
    /// `ok`, `weak`, `lost` or `unknown` (the ACS's judgement), when known.
    pub health: Option<String>,
    /// Whether the router sees it now.
    pub active: Option<bool>,
    /// The MACs of its Wi-Fi stations (the router lists them per node).
    pub stations: Vec<String>,
    /// How many stations it has (the list's length, or the ACS's count).
    pub station_count: u64,
    /// Who listed it.
    pub sources: Vec<Origin>,
}

/// A customer Wi-Fi network.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct Wifi {
    /// Band.
    pub band: Option<String>,
    /// SSID.
    pub ssid: Option<String>,
    /// Enabled.
    pub enabled: Option<bool>,
    /// Channel.
    pub channel: Option<u64>,
    /// Channel bandwidth (`80MHz`).
    pub bandwidth: Option<String>,
    /// Security mode (the key is never shown).
    pub security: Option<String>,
}

/// GPON optical levels.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct Optical {
    /// Received power (dBm).
    pub rx_dbm: Option<f64>,
    /// Transmitted power (dBm).
    pub tx_dbm: Option<f64>,
    /// Transceiver temperature (°C; the router only).
    pub temperature_c: Option<f64>,
    /// Supply voltage (V; the router only).
    pub voltage_v: Option<f64>,
    /// Laser bias (mA; the router only).
    pub bias_ma: Option<f64>,
    /// Link state as reported (`O5`, `Up`).
    pub state: Option<String>,
}

/// The merged view.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Diagnostic {
    /// LAN hosts, merged by MAC.
    pub hosts: Section<Vec<Host>>,
    /// Mesh nodes with their stations, merged by MAC.
    pub mesh: Section<Vec<MeshNode>>,
    /// Wi-Fi networks.
    pub wifi: Section<Vec<Wifi>>,
    /// Optical levels (ONTs only).
    pub optical: Option<Section<Optical>>,
}

fn text(v: &Value, key: &str) -> Option<String> {
    v[key].as_str().filter(|s| !s.is_empty()).map(str::to_owned)
}

fn mac(v: &Value, key: &str) -> Option<String> {
    v[key].as_str().and_then(crate::routes::devices::normal_mac)
}

fn acs_age(acs: Option<&Value>, section: &str) -> Option<i64> {
    acs.and_then(|a| a[section]["age_secs"].as_i64())
}

fn acs_rows<'a>(acs: Option<&'a Value>, section: &str) -> &'a [Value] {
    acs.and_then(|a| a[section]["value"].as_array())
        .map_or(&[], Vec::as_slice)
}

fn router_rows<'a>(router: Option<&'a Value>, section: &str) -> &'a [Value] {
    router
        .and_then(|r| r[section].as_array())
        .map_or(&[], Vec::as_slice)
}

/// The sources and age of a section built from the rows' own sources.
fn section<T>(
    value: T,
    from: impl IntoIterator<Item = Origin>,
    acs_age: Option<i64>,
) -> Section<T> {
    let mut sources: Vec<Origin> = from.into_iter().collect();
    sources.sort();
    sources.dedup();
    let age_secs = if sources.contains(&Origin::Genieacs) {
        acs_age
    } else if sources.is_empty() {
        None
    } else {
        Some(0)
    };
    Section {
        sources,
        age_secs,
        value,
    }
}

/// Merges the router's view over the ACS snapshot. `None` when neither answered.
pub fn merge(acs: Option<&Value>, router: Option<&Value>) -> Option<Diagnostic> {
    if acs.is_none() && router.is_none() {
        return None;
    }
    Some(Diagnostic {
        hosts: hosts(acs, router),
        mesh: mesh(acs, router),
        wifi: wifi(acs, router),
        optical: optical(acs, router),
    })
}

fn hosts(acs: Option<&Value>, router: Option<&Value>) -> Section<Vec<Host>> {
    let mut by_mac: BTreeMap<String, Host> = BTreeMap::new();
    for h in router_rows(router, "hosts") {
        let Some(m) = mac(h, "mac") else { continue };
        let (link, band) = match h["link"].as_str().unwrap_or("unknown") {
            "wired" => ("ethernet", None),
            "wifi24" => ("wifi", Some("2.4GHz")),
            "wifi5" => ("wifi", Some("5GHz")),
            "wifi6" => ("wifi", Some("6GHz")),
            "wifi" => ("wifi", None),
            _ => ("unknown", None),
        };
        by_mac.insert(
            m.clone(),
            Host {
                mac: m,
                ip: text(h, "ip"),
                hostname: text(h, "hostname"),
                active: h["active"].as_bool(),
                link: link.to_owned(),
                band: band.map(str::to_owned),
                signal_dbm: h["signal_dbm"].as_i64(),
                mesh_node: mac(h, "mesh_node"),
                sources: vec![Origin::Tplink],
            },
        );
    }
    for h in acs_rows(acs, "hosts") {
        let Some(m) = mac(h, "mac") else { continue };
        let entry = by_mac.entry(m.clone()).or_insert_with(|| Host {
            mac: m,
            link: "unknown".to_owned(),
            ..Host::default()
        });
        entry.ip = entry.ip.take().or_else(|| text(h, "ip"));
        entry.hostname = entry.hostname.take().or_else(|| text(h, "hostname"));
        entry.active = entry.active.or_else(|| h["active"].as_bool());
        if entry.link == "unknown"
            && let Some(l) = h["link"].as_str()
        {
            entry.link = l.to_owned();
        }
        entry.signal_dbm = entry.signal_dbm.or_else(|| h["signal_dbm"].as_i64());
        entry.mesh_node = entry.mesh_node.take().or_else(|| mac(h, "via_mesh_node"));
        entry.sources.push(Origin::Genieacs);
    }
    let rows: Vec<Host> = by_mac.into_values().collect();
    let from: Vec<Origin> = rows.iter().flat_map(|h| h.sources.clone()).collect();
    section(rows, from, acs_age(acs, "hosts"))
}

fn mesh(acs: Option<&Value>, router: Option<&Value>) -> Section<Vec<MeshNode>> {
    let mut nodes: Vec<MeshNode> = Vec::new();
    for n in router_rows(router, "mesh") {
        let stations: Vec<String> = n["stations"]
            .as_array()
            .map(|s| {
                s.iter()
                    .filter_map(|m| m.as_str().and_then(crate::routes::devices::normal_mac))
                    .collect()
            })
            .unwrap_or_default();
        nodes.push(MeshNode {
            mac: mac(n, "mac"),
            name: text(n, "name"),
            role: if n["controller"] == true {
                "controller"
            } else {
                "agent"
            }
            .to_owned(),
            backhaul: text(n, "backhaul"),
            active: n["active"].as_bool(),
            station_count: stations.len() as u64,
            stations,
            sources: vec![Origin::Tplink],
            ..MeshNode::default()
        });
    }
    for n in acs_rows(acs, "mesh") {
        let m = mac(n, "mac");
        let role = n["role"].as_str().unwrap_or("agent");
        // The same node by MAC, or the controller by role (its AL MAC often differs from
        // the MAC its own web interface reports).
        let found = nodes.iter_mut().find(|x| {
            (m.is_some() && x.mac == m)
                || (role == "controller" && x.role == "controller" && x.sources == [Origin::Tplink])
        });
        let node = match found {
            Some(node) => node,
            None => {
                nodes.push(MeshNode {
                    mac: m.clone(),
                    role: role.to_owned(),
                    ..MeshNode::default()
                });
                let last = nodes.len() - 1;
                &mut nodes[last]
            }
        };
        node.name = node.name.take().or_else(|| text(n, "model"));
        node.backhaul = node.backhaul.take().or_else(|| text(n, "backhaul"));
        node.backhaul_signal_dbm = n["backhaul_signal_dbm"].as_f64();
        node.health = text(n, "health");
        if node.stations.is_empty() {
            node.station_count = n["stations"].as_u64().unwrap_or(0);
        }
        node.sources.push(Origin::Genieacs);
    }
    let from: Vec<Origin> = nodes.iter().flat_map(|n| n.sources.clone()).collect();
    section(nodes, from, acs_age(acs, "mesh"))
}

/// `40` → `40MHz`; `80MHz` stays.
fn bandwidth(raw: Option<String>) -> Option<String> {
    raw.map(|b| {
        if b.chars().all(|c| c.is_ascii_digit()) {
            format!("{b}MHz")
        } else {
            b
        }
    })
}

fn wifi(acs: Option<&Value>, router: Option<&Value>) -> Section<Vec<Wifi>> {
    let from_router: Vec<Wifi> = router_rows(router, "wifi")
        .iter()
        .map(|w| Wifi {
            band: text(w, "band"),
            ssid: text(w, "ssid"),
            enabled: w["enabled"].as_bool(),
            channel: w["channel"].as_u64(),
            bandwidth: bandwidth(text(w, "bandwidth")),
            security: text(w, "security"),
        })
        .collect();
    if !from_router.is_empty() {
        return section(from_router, [Origin::Tplink], None);
    }
    let radios = acs_rows(acs, "radios");
    let rows: Vec<Wifi> = acs_rows(acs, "wifi")
        .iter()
        .map(|w| {
            let band = text(w, "band");
            let radio = radios
                .iter()
                .find(|r| band.is_some() && text(r, "band") == band);
            Wifi {
                ssid: text(w, "ssid"),
                enabled: w["enabled"].as_bool(),
                channel: w["channel"]
                    .as_u64()
                    .or_else(|| radio.and_then(|r| r["channel"].as_u64())),
                bandwidth: radio.and_then(|r| bandwidth(text(r, "bandwidth"))),
                security: text(w, "security"),
                band,
            }
        })
        .collect();
    let from = if rows.is_empty() {
        vec![]
    } else {
        vec![Origin::Genieacs]
    };
    section(rows, from, acs_age(acs, "wifi"))
}

fn optical(acs: Option<&Value>, router: Option<&Value>) -> Option<Section<Optical>> {
    let r = router.map(|r| &r["optical"]).filter(|o| o.is_object());
    if let Some(o) = r
        && (o["rx_dbm"].is_number() || o["tx_dbm"].is_number())
    {
        let value = Optical {
            rx_dbm: o["rx_dbm"].as_f64(),
            tx_dbm: o["tx_dbm"].as_f64(),
            temperature_c: o["temperature_c"].as_f64(),
            voltage_v: o["voltage_v"].as_f64(),
            bias_ma: o["bias_ma"].as_f64(),
            state: text(o, "state"),
        };
        return Some(section(value, [Origin::Tplink], None));
    }
    let a = acs.map(|a| &a["optical"]).filter(|o| o.is_object())?;
    let o = &a["value"];
    let value = Optical {
        rx_dbm: o["rx_dbm"].as_f64(),
        tx_dbm: o["tx_dbm"].as_f64(),
        state: text(o, "status"),
        ..Optical::default()
    };
    Some(section(value, [Origin::Genieacs], a["age_secs"].as_i64()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn acs() -> Value {
        json!({
            "hosts": {"age_secs": 120, "value": [
                {"mac": "bf:75:44:00:00:02", "ip": "192.168.1.50", "hostname": "old-name",
                 "active": true, "link": "wifi", "signal_dbm": -70, "via_mesh_node": null},
                {"mac": "11:22:33:44:55:66", "ip": "192.168.1.77", "hostname": "printer",
                 "active": false, "link": "ethernet", "signal_dbm": null},
            ]},
            "mesh": {"age_secs": 120, "value": [
                {"mac": "1C:61:B4:00:00:01", "role": "controller", "model": "XX230v",
                 "stations": 3, "health": "ok"},
                {"mac": "A0:28:84:00:00:21", "role": "agent", "model": "Deco X50",
                 "backhaul": "Wi-Fi", "backhaul_signal_dbm": -68.5, "stations": 2, "health": "ok"},
            ]},
            "wifi": {"age_secs": 300, "value": [
                {"ssid": "ACS-2G", "enabled": true, "band": "2.4GHz", "security": "WPA2-Personal"},
            ]},
            "radios": {"age_secs": 300, "value": [
                {"band": "2.4GHz", "channel": 11, "bandwidth": "20MHz"},
            ]},
            "optical": {"age_secs": 60, "value": {"rx_dbm": -19.5, "tx_dbm": 2.1, "status": "Up"}},
        })
    }

    fn router() -> Value {
        json!({
            "hosts": [
                {"mac": "BF:75:44:00:00:02", "ip": "192.168.1.101", "hostname": "phone",
                 "active": true, "link": "wifi5", "signal_dbm": -55, "mesh_node": "A0:28:84:00:00:21"},
                {"mac": "BF:75:44:00:00:01", "ip": "192.168.1.100", "hostname": "desktop",
                 "active": true, "link": "wired", "signal_dbm": null, "mesh_node": null},
            ],
            "mesh": [
                {"mac": "A0:28:84:00:00:01", "name": "XX230v", "controller": true, "active": true,
                 "stations": ["BF:75:44:00:00:01"]},
                {"mac": "A0:28:84:00:00:21", "name": "Deco", "controller": false,
                 "backhaul": "Ethernet", "active": true, "stations": ["bf:75:44:00:00:02"]},
            ],
            "wifi": [
                {"band": "5GHz", "ssid": "EMU-5G", "enabled": true, "channel": 36,
                 "bandwidth": "80", "security": "WPA2-Personal", "key": null},
            ],
            "optical": {"rx_dbm": -18.0, "tx_dbm": 3.0, "temperature_c": 45.0,
                        "voltage_v": 3.3, "bias_ma": 12.0, "state": "O5"},
        })
    }

    #[test]
    fn hosts_are_merged_by_mac_the_router_winning_and_the_acs_filling_gaps() {
        let (a, r) = (acs(), router());
        let d = merge(Some(&a), Some(&r)).unwrap();
        let hosts = &d.hosts.value;
        assert_eq!(hosts.len(), 3, "{hosts:#?}");
        let phone = hosts.iter().find(|h| h.mac == "BF:75:44:00:00:02").unwrap();
        assert_eq!(phone.hostname.as_deref(), Some("phone"), "the router wins");
        assert_eq!(phone.band.as_deref(), Some("5GHz"));
        assert_eq!(phone.signal_dbm, Some(-55));
        assert_eq!(phone.sources, [Origin::Tplink, Origin::Genieacs]);
        let printer = hosts.iter().find(|h| h.mac == "11:22:33:44:55:66").unwrap();
        assert_eq!(printer.link, "ethernet");
        assert_eq!(printer.sources, [Origin::Genieacs]);
        assert_eq!(d.hosts.sources, [Origin::Tplink, Origin::Genieacs]);
        assert_eq!(d.hosts.age_secs, Some(120), "as old as its oldest part");
    }

    #[test]
    fn mesh_nodes_keep_the_routers_station_lists_and_the_acs_health() {
        let (a, r) = (acs(), router());
        let d = merge(Some(&a), Some(&r)).unwrap();
        let nodes = &d.mesh.value;
        assert_eq!(nodes.len(), 2, "the controller is one node: {nodes:#?}");
        let deco = nodes
            .iter()
            .find(|n| n.mac.as_deref() == Some("A0:28:84:00:00:21"))
            .unwrap();
        assert_eq!(deco.stations, ["BF:75:44:00:00:02"]);
        assert_eq!(deco.station_count, 1);
        assert_eq!(
            deco.backhaul.as_deref(),
            Some("Ethernet"),
            "the router wins"
        );
        assert_eq!(deco.backhaul_signal_dbm, Some(-68.5));
        assert_eq!(deco.health.as_deref(), Some("ok"));
        let controller = nodes.iter().find(|n| n.role == "controller").unwrap();
        assert_eq!(controller.sources, [Origin::Tplink, Origin::Genieacs]);
    }

    #[test]
    fn wifi_and_optics_come_from_the_router_when_it_answered_else_from_the_acs() {
        let (a, r) = (acs(), router());
        let d = merge(Some(&a), Some(&r)).unwrap();
        assert_eq!(d.wifi.sources, [Origin::Tplink]);
        assert_eq!(d.wifi.age_secs, Some(0));
        assert_eq!(d.wifi.value[0].bandwidth.as_deref(), Some("80MHz"));
        let o = d.optical.unwrap();
        assert_eq!(o.sources, [Origin::Tplink]);
        assert_eq!(o.value.temperature_c, Some(45.0));
        let d = merge(Some(&a), None).unwrap();
        assert_eq!(d.wifi.sources, [Origin::Genieacs]);
        assert_eq!(d.wifi.age_secs, Some(300));
        assert_eq!(
            d.wifi.value[0].channel,
            Some(11),
            "from the radio of its band"
        );
        assert_eq!(d.wifi.value[0].bandwidth.as_deref(), Some("20MHz"));
        let o = d.optical.unwrap();
        assert_eq!(
            (o.sources.as_slice(), o.age_secs),
            ([Origin::Genieacs].as_slice(), Some(60))
        );
        assert_eq!(o.value.rx_dbm, Some(-19.5));
        assert_eq!(o.value.temperature_c, None);
        assert!(merge(None, None).is_none());
        let d = merge(None, Some(&r)).unwrap();
        assert_eq!(d.hosts.sources, [Origin::Tplink]);
        assert_eq!(d.hosts.age_secs, Some(0));
    }
}
