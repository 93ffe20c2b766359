//! [`RouterStatus`]: the router's own view, in one model for callers — device, WAN with the
//! active connection marked, Wi-Fi, hosts merged by MAC, mesh nodes with their stations, GPON
//! optics in physical units — built from the router's objects (PROTOCOL §6). Each part is
//! optional: a firmware that refuses one object (error 71011 on some roles) still answers the
//! rest, and says which object failed.

use serde::Serialize;
use serde_json::{Map, Value};

/// A router object as read (`gl` element or `go` object): string values.
pub type Object = Map<String, Value>;

fn text(o: &Object, k: &str) -> Option<String> {
    o.get(k)
        .and_then(|v| match v {
            Value::String(s) => Some(s.trim().to_owned()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(if *b { "1" } else { "0" }.to_owned()),
            _ => None,
        })
        .filter(|s| !s.is_empty())
}

fn int(o: &Object, k: &str) -> Option<i64> {
    text(o, k)?.parse().ok()
}

fn flag(o: &Object, k: &str) -> Option<bool> {
    match text(o, k)?.as_str() {
        "1" | "true" | "on" => Some(true),
        "0" | "false" | "off" => Some(false),
        _ => None,
    }
}

/// `a0:28:84:00:00:01`, `BF-75-44-00-00-01`, `a02884000001` → `A0:28:84:00:00:01`; `None` for
/// anything that is not six bytes.
pub fn normalize_mac(raw: &str) -> Option<String> {
    let hex: String = raw.chars().filter(char::is_ascii_hexdigit).collect();
    let seps = raw
        .chars()
        .filter(|c| !c.is_ascii_hexdigit())
        .all(|c| matches!(c, ':' | '-' | '.'));
    if hex.len() != 12 || !seps {
        return None;
    }
    let up = hex.to_ascii_uppercase();
    Some(
        up.as_bytes()
            .chunks(2)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join(":"),
    )
}

/// What the router is.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[non_exhaustive]
pub struct DeviceInfo {
    /// `XX230v`.
    pub model: Option<String>,
    /// Hardware version.
    pub hardware: Option<String>,
    /// Firmware.
    pub firmware: Option<String>,
    /// Seconds since boot.
    pub uptime_secs: Option<u64>,
    /// CPU use, percent.
    pub cpu_percent: Option<u8>,
    /// Memory in use, percent.
    pub memory_percent: Option<u8>,
}

/// A WAN profile.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[non_exhaustive]
pub struct Wan {
    /// `pppoe_gpon_3_3`.
    pub name: Option<String>,
    /// `PPPoE`, `DHCP`, `PPP3G`.
    pub kind: Option<String>,
    /// Enabled.
    pub enabled: bool,
    /// `Connected`, `Disconnected`.
    pub status: Option<String>,
    /// The connection in use: the enabled profile that is `Connected` (never "the first").
    pub active: bool,
    /// IPv4 address.
    pub ipv4: Option<String>,
    /// Gateway.
    pub gateway: Option<String>,
    /// Mask.
    pub mask: Option<String>,
    /// DNS servers.
    pub dns: Vec<String>,
    /// Seconds connected.
    pub uptime_secs: Option<u64>,
    /// The instance (`5,0,0,0,0,0`), for writes.
    pub stack: Option<String>,
}

/// A Wi-Fi band with its customer network.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[non_exhaustive]
pub struct WifiBand {
    /// `2.4GHz`, `5GHz`, `6GHz`.
    pub band: Option<String>,
    /// Channel.
    pub channel: Option<u32>,
    /// Automatic channel.
    pub auto_channel: Option<bool>,
    /// Bandwidth in use (MHz, as reported).
    pub bandwidth: Option<String>,
    /// Standards (`bgnax`).
    pub standard: Option<String>,
    /// Transmit power, percent.
    pub transmit_power_pct: Option<u8>,
    /// The customer network is on.
    pub enabled: Option<bool>,
    /// Its SSID.
    pub ssid: Option<String>,
    /// Its BSSID.
    pub bssid: Option<String>,
    /// Security mode.
    pub security: Option<String>,
    /// The key, only when asked for (and the firmware returns one; most return it empty).
    pub key: Option<String>,
    /// The guest network is on.
    pub guest_enabled: Option<bool>,
    /// The instance, for writes.
    pub stack: Option<String>,
}

/// How a host is connected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Link {
    /// Ethernet.
    Wired,
    /// Wi-Fi, 2.4 GHz.
    Wifi24,
    /// Wi-Fi, 5 GHz.
    Wifi5,
    /// Wi-Fi, 6 GHz.
    Wifi6,
    /// Wi-Fi, band not known.
    Wifi,
    /// Not known.
    Unknown,
}

/// A LAN host, merged by MAC from the host table and the mesh station tables.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Host {
    /// MAC (upper case, `:`).
    pub mac: String,
    /// IPv4.
    pub ip: Option<String>,
    /// Host name.
    pub hostname: Option<String>,
    /// Active now.
    pub active: Option<bool>,
    /// Link.
    pub link: Link,
    /// On the guest network.
    pub guest: bool,
    /// Signal (dBm), for Wi-Fi stations.
    pub signal_dbm: Option<i32>,
    /// Downlink rate (kbit/s).
    pub downlink_kbps: Option<u64>,
    /// Uplink rate (kbit/s).
    pub uplink_kbps: Option<u64>,
    /// The mesh node it is attached to (its MAC).
    pub mesh_node: Option<String>,
}

/// A mesh node.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[non_exhaustive]
pub struct MeshNode {
    /// MAC.
    pub mac: Option<String>,
    /// Name.
    pub name: Option<String>,
    /// IPv4.
    pub ip: Option<String>,
    /// The controller (the router itself) or an agent.
    pub controller: bool,
    /// Backhaul: `Ethernet`, `Wi-Fi`; `None` for the controller.
    pub backhaul: Option<String>,
    /// Online.
    pub active: Option<bool>,
    /// Radios: band and channel.
    pub radios: Vec<(Option<String>, Option<u32>)>,
    /// MACs of the stations attached to it.
    pub stations: Vec<String>,
}

/// GPON optics in physical units (raw values kept).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[non_exhaustive]
pub struct Optical {
    /// Received power, dBm (raw in 0.1 µW).
    pub rx_dbm: Option<f64>,
    /// Transmitted power, dBm.
    pub tx_dbm: Option<f64>,
    /// Transceiver temperature, °C (raw × 256).
    pub temperature_c: Option<f64>,
    /// Supply voltage, V (raw mV).
    pub voltage_v: Option<f64>,
    /// Laser bias, mA (raw in 2 µA).
    pub bias_ma: Option<f64>,
    /// Link state (`O5` = operational).
    pub state: Option<String>,
    /// `GPON`, `XGS-PON`.
    pub pon_type: Option<String>,
    /// The raw readings, as the router gave them.
    pub raw: Object,
}

/// An object the router refused or that failed, while the rest was read.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct PartError {
    /// The object.
    pub object: String,
    /// The error's code ([`crate::Error::code`]).
    pub code: String,
    /// What happened.
    pub message: String,
}

impl PartError {
    pub(crate) fn new(object: &str, e: &crate::Error) -> Self {
        Self {
            object: object.to_owned(),
            code: e.code().to_owned(),
            message: e.to_string(),
        }
    }
}

/// The router's own view.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[non_exhaustive]
pub struct RouterStatus {
    /// Device.
    pub device: Option<DeviceInfo>,
    /// WAN profiles, the active one marked.
    pub wan: Vec<Wan>,
    /// Wi-Fi, per band.
    pub wifi: Vec<WifiBand>,
    /// Hosts, merged by MAC.
    pub hosts: Vec<Host>,
    /// Mesh nodes.
    pub mesh: Vec<MeshNode>,
    /// GPON optics (ONT routers only).
    pub optical: Option<Optical>,
    /// Objects that could not be read.
    pub errors: Vec<PartError>,
}

/// dBm from 0.1 µW.
fn dbm(tenth_uw: i64) -> Option<f64> {
    (tenth_uw > 0).then(|| ((10.0 * (tenth_uw as f64 / 10_000.0).log10()) * 10.0).round() / 10.0)
}

fn round(v: f64, places: i32) -> f64 {
    let m = 10f64.powi(places);
    (v * m).round() / m
}

impl DeviceInfo {
    /// From `DEV2_DEV_INFO` and, when read, `DEV2_MEM_STATUS` and `DEV2_PROC_STATUS`.
    pub fn from_objects(info: &Object, mem: Option<&Object>, cpu: Option<&Object>) -> Self {
        let memory_percent = mem.and_then(|m| {
            let total = int(m, "total").filter(|t| *t > 0)?;
            let free = int(m, "free")?.clamp(0, total);
            // i128: the router's numbers are whatever it sends.
            u8::try_from(i128::from(total - free) * 100 / i128::from(total)).ok()
        });
        Self {
            model: text(info, "modelName"),
            hardware: text(info, "hardwareVersion"),
            firmware: text(info, "softwareVersion"),
            uptime_secs: int(info, "upTime").and_then(|v| u64::try_from(v).ok()),
            cpu_percent: cpu
                .and_then(|c| int(c, "CPUUsage"))
                .and_then(|v| u8::try_from(v.clamp(0, 100)).ok()),
            memory_percent,
        }
    }
}

impl Wan {
    /// The WAN list of `DEV2_ADT_WAN`, the active profile marked (enabled and `Connected`).
    pub fn from_list(list: &[Object]) -> Vec<Self> {
        let mut out: Vec<Wan> = list
            .iter()
            .map(|o| {
                let enabled = flag(o, "enable").unwrap_or(false);
                let status = text(o, "connStatusV4");
                Wan {
                    name: text(o, "name"),
                    kind: text(o, "connType"),
                    active: enabled && status.as_deref() == Some("Connected"),
                    enabled,
                    status,
                    ipv4: text(o, "connIPv4Address").filter(|a| a != "0.0.0.0"),
                    gateway: text(o, "connIPv4Gateway").filter(|a| a != "0.0.0.0"),
                    mask: text(o, "connIPv4SubnetMask").filter(|a| a != "0.0.0.0"),
                    dns: text(o, "connIPv4DnsServer")
                        .map(|d| {
                            d.split(',')
                                .map(|s| s.trim().to_owned())
                                .filter(|s| !s.is_empty() && s != "0.0.0.0")
                                .collect()
                        })
                        .unwrap_or_default(),
                    uptime_secs: int(o, "X_TP_Uptime").and_then(|v| u64::try_from(v).ok()),
                    stack: text(o, "stack"),
                }
            })
            .collect();
        // Only one can be the connection in use: the first connected one.
        let mut seen = false;
        for w in &mut out {
            if w.active {
                w.active = !seen;
                seen = true;
            }
        }
        out
    }
}

impl WifiBand {
    /// The bands of `DEV2_ADT_WIFI_COMMON`; the key only when `with_keys`.
    pub fn from_list(list: &[Object], with_keys: bool) -> Vec<Self> {
        list.iter()
            .map(|o| WifiBand {
                band: text(o, "band"),
                channel: int(o, "channel").and_then(|v| u32::try_from(v).ok()),
                auto_channel: flag(o, "autoChannel"),
                bandwidth: text(o, "currentBandwidth").or_else(|| text(o, "bandwidth")),
                standard: text(o, "standard"),
                transmit_power_pct: int(o, "transmitPower")
                    .and_then(|v| u8::try_from(v.clamp(0, 100)).ok()),
                enabled: flag(o, "primaryEnable"),
                ssid: text(o, "primarySSID"),
                bssid: text(o, "primaryBSSID").and_then(|m| normalize_mac(&m)),
                security: text(o, "primaryModeEnabled"),
                key: if with_keys {
                    text(o, "primaryPSK")
                } else {
                    None
                },
                guest_enabled: flag(o, "guestEnable"),
                stack: text(o, "stack"),
            })
            .collect()
    }
}

impl Optical {
    /// From a `DEV2_OPTC_GPON_CFG` instance (units of PROTOCOL §6.6).
    pub fn from_object(o: &Object) -> Self {
        Optical {
            rx_dbm: int(o, "RXPower").and_then(dbm),
            tx_dbm: int(o, "TXPower").and_then(dbm),
            temperature_c: int(o, "transceiverTemperature").map(|v| round(v as f64 / 256.0, 1)),
            voltage_v: int(o, "supplyVottage")
                .or_else(|| int(o, "supplyVoltage"))
                .map(|v| round(v as f64 / 1000.0, 3)),
            bias_ma: int(o, "biasCurrent").map(|v| round(v as f64 * 2.0 / 1000.0, 3)),
            state: text(o, "xponStatus"),
            pon_type: text(o, "ponType"),
            raw: o.clone(),
        }
    }
}

/// The first number of a stack (`1,1,2,1,0,0` → 1): the mesh node a station hangs on.
fn node_index(stack: Option<String>) -> Option<String> {
    Some(stack?.split(',').next()?.to_owned())
}

/// Mesh nodes and hosts from the host table, the mesh tables and their station tables,
/// merged by MAC (any table may be missing).
pub fn mesh_and_hosts(
    host_entries: &[Object],
    nodes: &[Object],
    radios: &[Object],
    wifi_stations: &[Object],
    wired_stations: &[Object],
) -> (Vec<MeshNode>, Vec<Host>) {
    let mut mesh: Vec<(Option<String>, MeshNode)> = nodes
        .iter()
        .map(|o| {
            let backhaul = text(o, "backhaulLinkType");
            let idx = node_index(text(o, "stack"));
            let node = MeshNode {
                mac: text(o, "MACAddress").and_then(|m| normalize_mac(&m)),
                name: text(o, "X_TP_HostName"),
                ip: text(o, "X_TP_IPAddress"),
                controller: backhaul.is_none(),
                backhaul,
                active: flag(o, "X_TP_Active"),
                radios: radios
                    .iter()
                    .filter(|r| node_index(text(r, "stack")) == idx)
                    .map(|r| {
                        (
                            text(r, "operatingFrequencyBand"),
                            int(r, "channel").and_then(|v| u32::try_from(v).ok()),
                        )
                    })
                    .collect(),
                stations: Vec::new(),
            };
            (idx, node)
        })
        .collect();
    let mut hosts: Vec<Host> = Vec::new();
    let upsert = |hosts: &mut Vec<Host>, mac: String| -> usize {
        if let Some(i) = hosts.iter().position(|h| h.mac == mac) {
            return i;
        }
        hosts.push(Host {
            mac,
            ip: None,
            hostname: None,
            active: None,
            link: Link::Unknown,
            guest: false,
            signal_dbm: None,
            downlink_kbps: None,
            uplink_kbps: None,
            mesh_node: None,
        });
        hosts.len() - 1
    };
    for o in host_entries {
        let Some(mac) = text(o, "physAddress").and_then(|m| normalize_mac(&m)) else {
            continue;
        };
        let i = upsert(&mut hosts, mac);
        let h = &mut hosts[i];
        h.ip = text(o, "IPAddress");
        h.hostname = text(o, "hostName");
        h.active = flag(o, "active");
        // X_TP_LanConnType: 0 wired, 1/3/5 host 2.4/5/6 GHz, 2/4/6 guest, 8/9 IoT, 10 MLO.
        let (link, guest) = match int(o, "X_TP_LanConnType") {
            Some(0) => (Link::Wired, false),
            Some(1) | Some(8) => (Link::Wifi24, false),
            Some(3) | Some(9) => (Link::Wifi5, false),
            Some(5) => (Link::Wifi6, false),
            Some(2) => (Link::Wifi24, true),
            Some(4) => (Link::Wifi5, true),
            Some(6) => (Link::Wifi6, true),
            Some(10) => (Link::Wifi, false),
            _ => (Link::Unknown, false),
        };
        h.link = link;
        h.guest = guest;
    }
    // A station's stack starts with the index of the node it hangs on (`1,1,2,1,0,0`).
    let node_of = |mesh: &[(Option<String>, MeshNode)], stack: Option<String>| {
        let idx = node_index(stack)?;
        mesh.iter()
            .position(|(i, _)| i.as_deref() == Some(idx.as_str()))
    };
    for (wired, list) in [(false, wifi_stations), (true, wired_stations)] {
        for o in list {
            let Some(mac) = text(o, "MACAddress").and_then(|m| normalize_mac(&m)) else {
                continue;
            };
            let i = upsert(&mut hosts, mac.clone());
            let h = &mut hosts[i];
            h.ip =
                h.ip.take()
                    .or_else(|| text(o, "X_TP_IPAddress").or_else(|| text(o, "IPAddress")));
            h.hostname = h.hostname.take().or_else(|| text(o, "X_TP_HostName"));
            h.active = h.active.or_else(|| flag(o, "active"));
            if wired {
                h.link = Link::Wired;
            } else {
                h.signal_dbm = int(o, "signalStrength").and_then(|v| i32::try_from(v).ok());
                h.downlink_kbps =
                    int(o, "lastDataDownlinkRate").and_then(|v| u64::try_from(v).ok());
                h.uplink_kbps = int(o, "lastDataUplinkRate").and_then(|v| u64::try_from(v).ok());
                if matches!(h.link, Link::Unknown | Link::Wired) {
                    h.link = Link::Wifi;
                }
            }
            if let Some(n) = node_of(&mesh, text(o, "stack")) {
                h.mesh_node = mesh[n].1.mac.clone();
                if !mesh[n].1.stations.contains(&mac) {
                    mesh[n].1.stations.push(mac);
                }
            }
        }
    }
    (mesh.into_iter().map(|(_, n)| n).collect(), hosts)
}

/// Where a status is read from: the native client, the browser client.
pub trait ObjectSource {
    /// `go` of an object.
    fn get(&self, oid: &str) -> impl std::future::Future<Output = crate::Result<Object>> + Send;
    /// `gl` of an object.
    fn list(
        &self,
        oid: &str,
    ) -> impl std::future::Future<Output = crate::Result<Vec<Object>>> + Send;
}

/// Reads a [`RouterStatus`] object by object from `source`: an object the firmware refuses
/// (or, after the first, answers in a shape we cannot read) is listed in `errors`; login,
/// transport and session failures end the read.
pub async fn read_status<S: ObjectSource + Sync>(
    source: &S,
    with_keys: bool,
) -> crate::Result<RouterStatus> {
    use crate::Error;
    let mut status = RouterStatus::default();
    let mut errors = Vec::new();
    macro_rules! part {
        ($call:expr, $oid:expr) => {
            match $call.await {
                Ok(v) => Some(v),
                Err(e @ (Error::Refused { .. } | Error::Protocol(_))) => {
                    errors.push(PartError::new($oid, &e));
                    None
                }
                Err(e) => return Err(e),
            }
        };
    }
    // The first read logs in: any failure but a refused object ends the read (a crypto the
    // client does not speak must surface, not hide among the parts).
    let info = match source.get("DEV2_DEV_INFO").await {
        Ok(v) => Some(v),
        Err(e @ Error::Refused { .. }) => {
            errors.push(PartError::new("DEV2_DEV_INFO", &e));
            None
        }
        Err(e) => return Err(e),
    };
    let mem = part!(source.get("DEV2_MEM_STATUS"), "DEV2_MEM_STATUS");
    let cpu = part!(source.get("DEV2_PROC_STATUS"), "DEV2_PROC_STATUS");
    status.device = info.map(|i| DeviceInfo::from_objects(&i, mem.as_ref(), cpu.as_ref()));
    if let Some(w) = part!(source.list("DEV2_ADT_WAN"), "DEV2_ADT_WAN") {
        status.wan = Wan::from_list(&w);
    }
    if let Some(w) = part!(source.list("DEV2_ADT_WIFI_COMMON"), "DEV2_ADT_WIFI_COMMON") {
        status.wifi = WifiBand::from_list(&w, with_keys);
    }
    (status.mesh, status.hosts) = read_mesh_and_hosts(source, &mut errors).await?;
    if let Some(o) = part!(source.list("DEV2_OPTC_GPON_CFG"), "DEV2_OPTC_GPON_CFG") {
        status.optical = o.first().map(Optical::from_object);
    }
    status.errors = errors;
    Ok(status)
}

/// The tables hosts and mesh nodes are merged from.
const HOST_TABLES: [&str; 5] = [
    "DEV2_HOST_ENTRY",
    "DEV2_WIFI_APDEV",
    "DEV2_WIFI_APDEV_RADIO",
    "DEV2_WIFI_APDEV_ASSOCDEV",
    "DEV2_WIFI_APDEV_ETHASSOCDEV",
];

/// Mesh nodes and hosts read from `source` ([`mesh_and_hosts`] over the five tables): a table
/// the firmware refuses or answers unreadably is left out and listed in `errors`; other
/// failures end the read.
pub async fn read_mesh_and_hosts<S: ObjectSource + Sync>(
    source: &S,
    errors: &mut Vec<PartError>,
) -> crate::Result<(Vec<MeshNode>, Vec<Host>)> {
    use crate::Error;
    let mut tables: [Vec<Object>; 5] = Default::default();
    for (oid, table) in HOST_TABLES.iter().zip(tables.iter_mut()) {
        match source.list(oid).await {
            Ok(v) => *table = v,
            Err(e @ (Error::Refused { .. } | Error::Protocol(_))) => {
                errors.push(PartError::new(oid, &e));
            }
            Err(e) => return Err(e),
        }
    }
    let [entries, nodes, radios, stations, wired] = &tables;
    Ok(mesh_and_hosts(entries, nodes, radios, stations, wired))
}
