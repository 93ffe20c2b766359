//! [`ModemSnapshot`]: what a support agent needs to see of a modem, from a TR-181 or a TR-098
//! tree, each section with the parameter paths it came from and how old they are.
//!
//! A GenieACS document holds only what GenieACS last fetched, so every section says its age
//! (the oldest `_timestamp` among the values it used). Secrets (Wi-Fi passphrases) are never
//! read. Vendor profiles: TP-Link (customer-facing SSIDs by `X_TP_APType`, optical levels in
//! `X_TP_GPON_Config`) and the standard trees (Huawei's TR-098 among them).

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Device, ParamValue};

/// Which data model the tree uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DataModel {
    /// `Device.` (TR-181).
    Tr181,
    /// `InternetGatewayDevice.` (TR-098).
    Tr098,
    /// Neither root present.
    Unknown,
}

/// One section of a snapshot: the value, where it came from, how old it is.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Section<T> {
    /// The section.
    pub value: T,
    /// The parameter paths read.
    pub sources: Vec<String>,
    /// Seconds since the oldest of those values was refreshed by GenieACS.
    pub age_secs: Option<i64>,
}

/// Who the modem is.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[non_exhaustive]
pub struct Identity {
    /// Manufacturer.
    pub manufacturer: Option<String>,
    /// Model name (not the product class the Inform reports).
    pub model: Option<String>,
    /// Serial number.
    pub serial: Option<String>,
    /// Firmware.
    pub firmware: Option<String>,
    /// Hardware version.
    pub hardware: Option<String>,
    /// Seconds since boot.
    pub uptime_secs: Option<u64>,
    /// The GPON ONU serial the OLT knows it by (`TPLGB4FB2AC8`: 4 vendor letters + 8 hex),
    /// when the tree has it (TR-181 `Device.Optical.Interface.1.GponAuth.GponSn`, where
    /// TP-Link keeps it as 16 hex digits).
    pub gpon_serial: Option<String>,
}

/// A GPON serial as the OLT shows it: `TPLGB4FB2AC8` from `TPLGB4FB2AC8` or from its
/// 16-hex-digit form `54504C47B4FB2AC8`; `None` when it is neither.
fn gpon_serial(raw: Option<String>) -> Option<String> {
    let raw = raw?;
    let t = raw.trim();
    if !t.is_ascii() {
        return None;
    }
    let hex = |s: &str| s.chars().all(|c| c.is_ascii_hexdigit());
    let printable = |b: &[u8]| b.iter().all(|c| c.is_ascii_alphanumeric());
    match t.len() {
        12 if printable(&t.as_bytes()[..4]) && hex(&t[4..]) => Some(t.to_ascii_uppercase()),
        16 if hex(t) => {
            let vendor: Vec<u8> = (0..4)
                .filter_map(|i| u8::from_str_radix(&t[i * 2..i * 2 + 2], 16).ok())
                .collect();
            (vendor.len() == 4 && printable(&vendor)).then(|| {
                format!(
                    "{}{}",
                    String::from_utf8_lossy(&vendor).to_ascii_uppercase(),
                    t[8..].to_ascii_uppercase()
                )
            })
        }
        _ => None,
    }
}

/// A WAN connection.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[non_exhaustive]
pub struct WanConnection {
    /// `pppoe` or `ip`.
    pub kind: &'static str,
    /// Interface name (`ppp0`).
    pub name: Option<String>,
    /// Status as reported (`Connected`, `Up`, ...).
    pub status: Option<String>,
    /// IPv4 address.
    pub ipv4: Option<String>,
    /// Gateway.
    pub gateway: Option<String>,
    /// DNS servers.
    pub dns: Vec<String>,
    /// Whether the default route goes through it.
    pub default_route: bool,
    /// Global IPv6 addresses (link-local ones left out).
    pub ipv6: Vec<String>,
    /// IPv6 prefixes delegated to it or configured on it (`2001:db8:1::/56`).
    pub ipv6_prefixes: Vec<String>,
}

/// A customer-facing Wi-Fi network.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[non_exhaustive]
pub struct WifiNetwork {
    /// SSID.
    pub ssid: Option<String>,
    /// Enabled.
    pub enabled: Option<bool>,
    /// Band (`2.4GHz`, `5GHz`, `6GHz`).
    pub band: Option<String>,
    /// Channel.
    pub channel: Option<u64>,
    /// Security mode (`WPA2-Personal`); the passphrase is never read.
    pub security: Option<String>,
    /// Associated clients.
    pub clients: Option<u64>,
    /// The SSID object's path (for writes).
    pub path: String,
    /// The access point's path, where its security lives (TR-181; `None` on TR-098, where the
    /// WLANConfiguration object holds both).
    pub access_point: Option<String>,
}

/// A LAN host, merged by MAC.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[non_exhaustive]
pub struct Host {
    /// MAC address (upper case).
    pub mac: String,
    /// IPv4 address.
    pub ip: Option<String>,
    /// Host name.
    pub hostname: Option<String>,
    /// Active now.
    pub active: Option<bool>,
    /// `wifi` when the MAC is an associated Wi-Fi station, else `ethernet`.
    pub link: &'static str,
    /// Signal strength (dBm) for Wi-Fi stations.
    pub signal_dbm: Option<i64>,
    /// MAC of the mesh node the station is associated with, when it is a satellite's station
    /// (from `Device.WiFi.DataElements` or `Device.WiFi.MultiAP`).
    pub via_mesh_node: Option<String>,
}

/// A Wi-Fi radio.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[non_exhaustive]
pub struct Radio {
    /// The radio object's path (`Device.WiFi.Radio.1`; on TR-098 the first
    /// `WLANConfiguration` of the band).
    pub path: String,
    /// Band (`2.4GHz`, `5GHz`, `6GHz`).
    pub band: Option<String>,
    /// Enabled.
    pub enabled: Option<bool>,
    /// Status as reported (`Up`, `Down`).
    pub status: Option<String>,
    /// Current channel.
    pub channel: Option<u64>,
    /// Whether the radio picks its channel itself.
    pub auto_channel: Option<bool>,
    /// Channel bandwidth in use (`80MHz`).
    pub bandwidth: Option<String>,
    /// Standards (`ax`, `b,g,n`).
    pub standards: Option<String>,
    /// Transmit power, percent of the maximum.
    pub transmit_power_pct: Option<i64>,
}

/// What a mesh node is in the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MeshRole {
    /// The EasyMesh controller (the router itself).
    #[default]
    Controller,
    /// A satellite.
    Agent,
}

/// A satellite's health, judged against the controller's own clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MeshHealth {
    /// In contact, backhaul fine (the controller is always `ok`).
    Ok,
    /// In contact, but the Wi-Fi backhaul is weaker than −75 dBm.
    Weak,
    /// Not heard from for more than five minutes before the controller's latest reading.
    Lost,
    /// No contact time to judge by.
    #[default]
    Unknown,
}

/// A node of an EasyMesh network: the controller and its satellites. Read from
/// `Device.WiFi.DataElements` (the current model) and completed from `Device.WiFi.MultiAP`
/// (obsoleted in TR-181 2.17, still implemented by TP-Link), or from `MultiAP` alone.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[non_exhaustive]
pub struct MeshNode {
    /// The node's MAC (its EasyMesh AL MAC).
    pub mac: Option<String>,
    /// Controller or agent.
    pub role: MeshRole,
    /// Model (the product class the node reports: `Deco X50`).
    pub model: Option<String>,
    /// Serial number.
    pub serial: Option<String>,
    /// Firmware.
    pub firmware: Option<String>,
    /// When the controller last heard from it.
    pub last_contact: Option<DateTime<Utc>>,
    /// Backhaul link (`Wi-Fi`, `Ethernet`; `None` for the controller itself).
    pub backhaul: Option<String>,
    /// Backhaul signal as reported (RCPI, 0–220; 255 = unknown).
    pub backhaul_signal: Option<i64>,
    /// Backhaul signal in dBm (RCPI / 2 − 110).
    pub backhaul_signal_dbm: Option<f64>,
    /// Wi-Fi stations associated with this node.
    pub stations: u32,
    /// Health.
    pub health: MeshHealth,
}

/// Optical levels of a GPON ONT.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[non_exhaustive]
pub struct Optical {
    /// The object the levels were read from (vendors use different branches).
    pub path: String,
    /// Link status as reported (`Up`, `O5`, ...).
    pub status: Option<String>,
    /// Received power, raw as the CPE reports it.
    pub rx_raw: Option<f64>,
    /// Transmitted power, raw.
    pub tx_raw: Option<f64>,
    /// The unit the data model declares, when it does.
    pub declared_unit: Option<&'static str>,
    /// The unit assumed to compute dBm, when none is declared.
    pub assumed_unit: Option<&'static str>,
    /// Received power in dBm (under the assumed unit when one is assumed).
    pub rx_dbm: Option<f64>,
    /// Transmitted power in dBm.
    pub tx_dbm: Option<f64>,
}

/// What a support agent sees of a modem.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct ModemSnapshot {
    /// GenieACS device id.
    pub device_id: String,
    /// TR-181 or TR-098.
    pub data_model: DataModel,
    /// Last inform.
    pub last_inform: Option<DateTime<Utc>>,
    /// Whether it informed in the last five minutes (GenieACS's own "online").
    pub online: bool,
    /// Identity.
    pub identity: Section<Identity>,
    /// WAN connections.
    pub wan: Section<Vec<WanConnection>>,
    /// Wi-Fi radios.
    pub radios: Section<Vec<Radio>>,
    /// Customer-facing Wi-Fi networks.
    pub wifi: Section<Vec<WifiNetwork>>,
    /// LAN hosts.
    pub hosts: Section<Vec<Host>>,
    /// Mesh nodes (empty without EasyMesh).
    pub mesh: Section<Vec<MeshNode>>,
    /// Optical levels (ONTs only).
    pub optical: Option<Section<Optical>>,
}

/// Reads leaves and remembers where from and how old.
struct Reader<'d> {
    device: &'d Device,
    now: DateTime<Utc>,
    sources: Vec<String>,
    oldest: Option<DateTime<Utc>>,
}

impl<'d> Reader<'d> {
    fn new(device: &'d Device, now: DateTime<Utc>) -> Self {
        Self {
            device,
            now,
            sources: Vec::new(),
            oldest: None,
        }
    }

    fn get<T: ParamValue>(&mut self, path: &str) -> Option<T> {
        let p = self.device.param::<T>(path)?;
        self.sources.push(path.to_owned());
        if let Some(ts) = p.timestamp {
            self.oldest = Some(self.oldest.map_or(ts, |o| o.min(ts)));
        }
        Some(p.value)
    }

    fn text(&mut self, path: &str) -> Option<String> {
        self.get::<String>(path).filter(|s| !s.is_empty())
    }

    fn finish<T>(self, value: T) -> Section<T> {
        Section {
            value,
            sources: self.sources,
            age_secs: self.oldest.map(|o| (self.now - o).num_seconds()),
        }
    }
}

/// `Device.WiFi.SSID.1.` → `Device.WiFi.SSID.1`.
fn reference(v: Option<String>) -> Option<String> {
    v.map(|s| {
        s.split(',')
            .next()
            .unwrap_or("")
            .trim()
            .trim_end_matches('.')
            .to_owned()
    })
    .filter(|s| !s.is_empty())
}

/// dBm from a raw reading in units of 0.1 µW.
fn dbm_from_tenth_microwatt(raw: i64) -> Option<f64> {
    (raw > 0).then(|| ((10.0 * (raw as f64 * 1e-4).log10()) * 10.0).round() / 10.0)
}

/// dBm from an IEEE 802.11 RCPI (0–220; 255 means "not measured").
fn dbm_from_rcpi(rcpi: i64) -> Option<f64> {
    (0..=220).contains(&rcpi).then(|| rcpi as f64 / 2.0 - 110.0)
}

/// Comma-separated list → its non-empty items.
fn list(v: Option<String>) -> Vec<String> {
    v.map(|d| {
        d.split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    })
    .unwrap_or_default()
}

/// The band a TR-098 WLANConfiguration serves: declared by the vendor, else inferred from its
/// channel (1–14 are 2.4 GHz).
fn tr098_band(r: &mut Reader<'_>, p: &str) -> Option<String> {
    r.text(&format!("{p}.OperatingFrequencyBand"))
        .or_else(|| r.text(&format!("{p}.X_HW_RFBand")))
        .map(|b| match b.replace(' ', "").to_ascii_lowercase().as_str() {
            "2.4g" | "2.4ghz" => "2.4GHz".to_owned(),
            "5g" | "5ghz" => "5GHz".to_owned(),
            "6g" | "6ghz" => "6GHz".to_owned(),
            _ => b,
        })
        .or_else(|| {
            let ch: u64 = r.get(&format!("{p}.Channel"))?;
            Some(
                if (1..=14).contains(&ch) {
                    "2.4GHz"
                } else {
                    "5GHz"
                }
                .to_owned(),
            )
        })
}

impl ModemSnapshot {
    /// Builds the snapshot of a device document, as of `now` (for ages and "online").
    ///
    /// ```
    /// # let json = include_str!("../../tests/resources/device-xx230v-online-mesh.json");
    /// let device: genieacs_client::Device = serde_json::from_str(json).unwrap();
    /// let now = device.last_inform.unwrap();
    /// let snap = genieacs_client::models::ModemSnapshot::from_device(&device, now);
    /// assert!(snap.online);
    /// assert!(snap.wifi.value.iter().all(|w| w.ssid.is_some()));
    /// ```
    pub fn from_device(device: &Device, now: DateTime<Utc>) -> Self {
        let model = DataModel::of(device);
        let root = model.root();
        let mut r = Reader::new(device, now);
        let info = |leaf: &str| format!("{root}.DeviceInfo.{leaf}");
        let identity = Identity {
            manufacturer: r.text(&info("Manufacturer")),
            model: r.text(&info("ModelName")),
            serial: r.text(&info("SerialNumber")),
            firmware: r.text(&info("SoftwareVersion")),
            hardware: r.text(&info("HardwareVersion")),
            uptime_secs: r.get(&info("UpTime")),
            gpon_serial: gpon_serial(
                r.text(&format!("{root}.Optical.Interface.1.GponAuth.GponSn")),
            ),
        };
        let identity = r.finish(identity);
        let s = match model {
            DataModel::Tr098 => tr098(device, now),
            _ => tr181(device, now),
        };
        let age = device.last_inform.map(|t| (now - t).num_seconds());
        Self {
            device_id: device.id.to_string(),
            data_model: model,
            last_inform: device.last_inform,
            online: age.is_some_and(|a| (0..300).contains(&a)),
            identity,
            wan: s.wan,
            radios: s.radios,
            wifi: s.wifi,
            hosts: s.hosts,
            mesh: s.mesh,
            optical: s.optical,
        }
    }
}

impl DataModel {
    /// The data model of a document: `Device.` wins when both roots are present and
    /// `Device.DeviceInfo` is populated.
    pub fn of(device: &Device) -> Self {
        let tr181 = device.node("Device.DeviceInfo").is_some();
        if tr181
            || (device.tree.contains_key("Device")
                && !device.tree.contains_key("InternetGatewayDevice"))
        {
            DataModel::Tr181
        } else if device.tree.contains_key("InternetGatewayDevice") {
            DataModel::Tr098
        } else {
            DataModel::Unknown
        }
    }

    /// The root object (`Device` or `InternetGatewayDevice`; `Device` when unknown).
    pub fn root(self) -> &'static str {
        match self {
            DataModel::Tr098 => "InternetGatewayDevice",
            _ => "Device",
        }
    }
}

struct Sections {
    wan: Section<Vec<WanConnection>>,
    radios: Section<Vec<Radio>>,
    wifi: Section<Vec<WifiNetwork>>,
    hosts: Section<Vec<Host>>,
    mesh: Section<Vec<MeshNode>>,
    optical: Option<Section<Optical>>,
}

/// A Wi-Fi station seen somewhere: MAC (upper case), signal in dBm, the satellite it is on.
struct Station {
    mac: String,
    signal_dbm: Option<i64>,
    via: Option<String>,
}

fn tr181(device: &Device, now: DateTime<Utc>) -> Sections {
    let wan = tr181_wan(device, now);

    let mut r = Reader::new(device, now);
    let mut radios = Vec::new();
    for i in device.instances("Device.WiFi.Radio") {
        let p = format!("Device.WiFi.Radio.{i}");
        radios.push(Radio {
            band: r.text(&format!("{p}.OperatingFrequencyBand")),
            enabled: r.get(&format!("{p}.Enable")),
            status: r.text(&format!("{p}.Status")),
            channel: r.get(&format!("{p}.Channel")),
            auto_channel: r.get(&format!("{p}.AutoChannelEnable")),
            bandwidth: r
                .text(&format!("{p}.CurrentOperatingChannelBandwidth"))
                .or_else(|| r.text(&format!("{p}.OperatingChannelBandwidth"))),
            standards: r.text(&format!("{p}.OperatingStandards")),
            transmit_power_pct: r.get(&format!("{p}.TransmitPower")),
            path: p,
        });
    }
    let radios = r.finish(radios);

    // Wi-Fi: the access points the customer sees (TP-Link marks them X_TP_APType Primary).
    let mut r = Reader::new(device, now);
    let aps = device.instances("Device.WiFi.AccessPoint");
    let tplink = aps.iter().any(|a| {
        device
            .param::<String>(&format!("Device.WiFi.AccessPoint.{a}.X_TP_APType"))
            .is_some()
    });
    let mut wifi = Vec::new();
    let mut stations: Vec<Station> = Vec::new();
    for a in &aps {
        let ap = format!("Device.WiFi.AccessPoint.{a}");
        for s in device.instances(&format!("{ap}.AssociatedDevice")) {
            let st = format!("{ap}.AssociatedDevice.{s}");
            if let Some(mac) = r.text(&format!("{st}.MACAddress")) {
                stations.push(Station {
                    mac: mac.to_ascii_uppercase(),
                    signal_dbm: r.get(&format!("{st}.SignalStrength")),
                    via: None,
                });
            }
        }
        if tplink
            && device
                .param::<String>(&format!("{ap}.X_TP_APType"))
                .is_none_or(|t| t.value != "Primary")
        {
            continue;
        }
        let Some(ssid) = reference(r.text(&format!("{ap}.SSIDReference"))) else {
            continue;
        };
        let radio = reference(r.text(&format!("{ssid}.LowerLayers")));
        wifi.push(WifiNetwork {
            ssid: r.text(&format!("{ssid}.SSID")),
            enabled: r.get(&format!("{ssid}.Enable")),
            band: radio
                .as_ref()
                .and_then(|rd| r.text(&format!("{rd}.OperatingFrequencyBand"))),
            channel: radio
                .as_ref()
                .and_then(|rd| r.get(&format!("{rd}.Channel"))),
            security: r.text(&format!("{ap}.Security.ModeEnabled")),
            clients: r.get(&format!("{ap}.AssociatedDeviceNumberOfEntries")),
            path: ssid,
            access_point: Some(ap),
        });
    }
    let wifi = r.finish(wifi);

    let mesh = tr181_mesh(device, now, &mut stations);

    let mut r = Reader::new(device, now);
    let mut hosts: Vec<Host> = Vec::new();
    for h in device.instances("Device.Hosts.Host") {
        let p = format!("Device.Hosts.Host.{h}");
        let Some(mac) = r
            .text(&format!("{p}.PhysAddress"))
            .map(|m| m.to_ascii_uppercase())
        else {
            continue;
        };
        if hosts.iter().any(|x| x.mac == mac) {
            continue;
        }
        let station = stations.iter().find(|s| s.mac == mac);
        hosts.push(Host {
            ip: r.text(&format!("{p}.IPAddress")),
            hostname: r.text(&format!("{p}.HostName")),
            active: r.get(&format!("{p}.Active")),
            link: if station.is_some() {
                "wifi"
            } else {
                "ethernet"
            },
            signal_dbm: station.and_then(|s| s.signal_dbm),
            via_mesh_node: station.and_then(|s| s.via.clone()),
            mac,
        });
    }
    let hosts = r.finish(hosts);

    let optical = device.node("Device.Optical.Interface.1").map(|_| {
        let mut r = Reader::new(device, now);
        let base = "Device.Optical.Interface.1";
        let std_rx: Option<i64> = r.get(&format!("{base}.OpticalSignalLevel"));
        let vendor = format!("{base}.X_TP_GPON_Config");
        let vendor_rx: Option<i64> = r.get(&format!("{vendor}.RXPower"));
        let value = if vendor_rx.is_some() && std_rx.is_none_or(|v| v == 0) {
            // TP-Link keeps the levels only in its vendor branch, unit undocumented: 0.1 µW is
            // assumed (it fits the one real dump), and flagged as an assumption.
            let vendor_tx: Option<i64> = r.get(&format!("{vendor}.TXPower"));
            Optical {
                status: r
                    .text(&format!("{vendor}.Status"))
                    .or_else(|| r.text(&format!("{base}.Status"))),
                rx_raw: vendor_rx.map(|v| v as f64),
                tx_raw: vendor_tx.map(|v| v as f64),
                declared_unit: None,
                assumed_unit: Some("0.1 µW"),
                rx_dbm: vendor_rx.and_then(dbm_from_tenth_microwatt),
                tx_dbm: vendor_tx.and_then(dbm_from_tenth_microwatt),
                path: vendor,
            }
        } else {
            // TR-181 declares OpticalSignalLevel in 0.001 dBm.
            let tx: Option<i64> = r.get(&format!("{base}.TransmitOpticalLevel"));
            Optical {
                status: r.text(&format!("{base}.Status")),
                rx_raw: std_rx.map(|v| v as f64),
                tx_raw: tx.map(|v| v as f64),
                declared_unit: Some("0.001 dBm"),
                assumed_unit: None,
                rx_dbm: std_rx.map(|v| v as f64 / 1000.0),
                tx_dbm: tx.map(|v| v as f64 / 1000.0),
                path: base.to_owned(),
            }
        };
        r.finish(value)
    });
    Sections {
        wan,
        radios,
        wifi,
        hosts,
        mesh,
        optical,
    }
}

fn tr181_wan(device: &Device, now: DateTime<Utc>) -> Section<Vec<WanConnection>> {
    // WAN: PPP interfaces, and routed IP interfaces that are not a LAN bridge.
    let mut r = Reader::new(device, now);
    let default = device
        .instances("Device.Routing.Router.1.IPv4Forwarding")
        .into_iter()
        .map(|i| format!("Device.Routing.Router.1.IPv4Forwarding.{i}"))
        .find(|p| {
            device
                .param::<String>(&format!("{p}.DestIPAddress"))
                .is_some_and(|d| d.value.is_empty() || d.value == "0.0.0.0")
                && device
                    .param::<bool>(&format!("{p}.Enable"))
                    .is_none_or(|e| e.value)
        });
    let default_if = default
        .as_ref()
        .and_then(|p| reference(r.text(&format!("{p}.Interface"))));
    let default_gw = default
        .as_ref()
        .and_then(|p| r.text(&format!("{p}.GatewayIPAddress")))
        .filter(|g| g != "0.0.0.0");
    let mut wan = Vec::new();
    for i in device.instances("Device.IP.Interface") {
        let ip = format!("Device.IP.Interface.{i}");
        let lower = reference(r.text(&format!("{ip}.LowerLayers")));
        let name = r.text(&format!("{ip}.Name"));
        if name
            .as_deref()
            .is_some_and(|n| n.starts_with("br") || n.starts_with("lo"))
        {
            continue;
        }
        let is_default = default_if.as_deref() == Some(ip.as_str());
        let mut ipv6 = Vec::new();
        for a in device.instances(&format!("{ip}.IPv6Address")) {
            let a = format!("{ip}.IPv6Address.{a}");
            let usable = r
                .text(&format!("{a}.Status"))
                .is_none_or(|s| s != "Disabled" && s != "Error");
            if let Some(addr) = r.text(&format!("{a}.IPAddress"))
                && usable
                && !addr.to_ascii_lowercase().starts_with("fe80")
            {
                ipv6.push(addr);
            }
        }
        let mut ipv6_prefixes = Vec::new();
        for p in device.instances(&format!("{ip}.IPv6Prefix")) {
            if let Some(prefix) = r.text(&format!("{ip}.IPv6Prefix.{p}.Prefix")) {
                ipv6_prefixes.push(prefix);
            }
        }
        match lower.filter(|l| l.starts_with("Device.PPP.Interface.")) {
            Some(ppp) => wan.push(WanConnection {
                kind: "pppoe",
                name: r.text(&format!("{ppp}.Name")),
                status: r
                    .text(&format!("{ppp}.ConnectionStatus"))
                    .or_else(|| r.text(&format!("{ppp}.Status"))),
                ipv4: r.text(&format!("{ppp}.IPCP.LocalIPAddress")),
                gateway: r.text(&format!("{ppp}.IPCP.RemoteIPAddress")),
                dns: list(r.text(&format!("{ppp}.IPCP.DNSServers"))),
                default_route: is_default,
                ipv6,
                ipv6_prefixes,
            }),
            None => wan.push(WanConnection {
                kind: "ip",
                name,
                status: r.text(&format!("{ip}.Status")),
                ipv4: r
                    .text(&format!("{ip}.IPv4Address.1.IPAddress"))
                    .filter(|a| a != "0.0.0.0"),
                gateway: default_gw.clone().filter(|_| is_default),
                dns: Vec::new(),
                default_route: is_default,
                ipv6,
                ipv6_prefixes,
            }),
        }
    }
    r.finish(wan)
}

/// EasyMesh nodes from `DataElements` (completed from `MultiAP` by MAC), or from `MultiAP`
/// alone; adds each satellite's Wi-Fi stations to `stations` (a satellite's stations are not
/// in `Device.WiFi.AccessPoint`).
fn tr181_mesh(
    device: &Device,
    now: DateTime<Utc>,
    stations: &mut Vec<Station>,
) -> Section<Vec<MeshNode>> {
    let mut r = Reader::new(device, now);
    let multi = "Device.WiFi.MultiAP.APDevice";
    let de = "Device.WiFi.DataElements.Network";
    // MultiAP rows by MAC, and the first row (the controller) for the reference clock.
    let multi_rows: Vec<(String, Option<String>)> = device
        .instances(multi)
        .into_iter()
        .map(|d| {
            let p = format!("{multi}.{d}");
            let mac = device
                .param::<String>(&format!("{p}.MACAddress"))
                .map(|m| m.value.to_ascii_uppercase())
                .filter(|m| !m.is_empty());
            (p, mac)
        })
        .collect();
    let controller_id = r
        .text(&format!("{de}.ControllerID"))
        .map(|m| m.to_ascii_uppercase())
        .or_else(|| multi_rows.first().and_then(|(_, m)| m.clone()));
    let de_nodes = device.instances(&format!("{de}.Device"));
    let mut mesh = Vec::new();
    if de_nodes.is_empty() {
        for (p, mac) in &multi_rows {
            let role = if mac.is_some() && *mac == controller_id {
                MeshRole::Controller
            } else {
                MeshRole::Agent
            };
            let mut node = MeshNode {
                mac: mac.clone(),
                role,
                ..MeshNode::default()
            };
            node.stations = multiap_stations(&mut r, p, &node, stations);
            complete_from_multiap(&mut r, &mut node, p);
            mesh.push(node);
        }
    } else {
        for d in &de_nodes {
            let p = format!("{de}.Device.{d}");
            let mac = r.text(&format!("{p}.ID")).map(|m| m.to_ascii_uppercase());
            let role = if mac.is_some() && mac == controller_id {
                MeshRole::Controller
            } else {
                MeshRole::Agent
            };
            let mut count = 0;
            for rd in device.instances(&format!("{p}.Radio")) {
                for b in device.instances(&format!("{p}.Radio.{rd}.BSS")) {
                    let bss = format!("{p}.Radio.{rd}.BSS.{b}");
                    for st in device.instances(&format!("{bss}.STA")) {
                        let st = format!("{bss}.STA.{st}");
                        let Some(sm) = r.text(&format!("{st}.MACAddress")) else {
                            continue;
                        };
                        count += 1;
                        // DataElements reports RCPI.
                        let dbm = r
                            .get::<i64>(&format!("{st}.SignalStrength"))
                            .and_then(dbm_from_rcpi)
                            .map(|d| d.round() as i64);
                        let via = (role == MeshRole::Agent).then(|| mac.clone()).flatten();
                        push_station(stations, sm.to_ascii_uppercase(), dbm, via);
                    }
                }
            }
            let mut node = MeshNode {
                model: r.text(&format!("{p}.ProductClass")),
                serial: r.text(&format!("{p}.SerialNumber")),
                firmware: r.text(&format!("{p}.SoftwareVersion")),
                mac: mac.clone(),
                role,
                stations: count,
                ..MeshNode::default()
            };
            if let Some((mp, _)) = multi_rows.iter().find(|(_, m)| m.is_some() && *m == mac) {
                // Firmware that leaves DataElements' STA tables empty lists them in MultiAP.
                if count == 0 {
                    node.stations = multiap_stations(&mut r, mp, &node, stations);
                }
                complete_from_multiap(&mut r, &mut node, mp);
            }
            mesh.push(node);
        }
    }
    judge_health(
        &mut mesh,
        multi_rows.first().map(|(p, _)| p.as_str()),
        device,
    );
    r.finish(mesh)
}

/// The Wi-Fi stations of a `MultiAP.APDevice` row (signal in dBm), added to `stations`;
/// answers how many the node has.
fn multiap_stations(
    r: &mut Reader<'_>,
    p: &str,
    node: &MeshNode,
    stations: &mut Vec<Station>,
) -> u32 {
    let device = r.device;
    let via = (node.role == MeshRole::Agent)
        .then(|| node.mac.clone())
        .flatten();
    let mut count = 0;
    for rd in device.instances(&format!("{p}.Radio")) {
        for a in device.instances(&format!("{p}.Radio.{rd}.AP")) {
            let ap = format!("{p}.Radio.{rd}.AP.{a}");
            for st in device.instances(&format!("{ap}.AssociatedDevice")) {
                let st = format!("{ap}.AssociatedDevice.{st}");
                let Some(sm) = r.text(&format!("{st}.MACAddress")) else {
                    continue;
                };
                count += 1;
                let dbm = r.get(&format!("{st}.SignalStrength"));
                push_station(stations, sm.to_ascii_uppercase(), dbm, via.clone());
            }
        }
    }
    count
}

/// Adds a station unless it is already known (an access point's own table comes first).
fn push_station(
    stations: &mut Vec<Station>,
    mac: String,
    signal_dbm: Option<i64>,
    via: Option<String>,
) {
    if !stations.iter().any(|s| s.mac == mac) {
        stations.push(Station {
            mac,
            signal_dbm,
            via,
        });
    }
}

/// Fills what `DataElements` lacks from the node's `MultiAP.APDevice` row.
fn complete_from_multiap(r: &mut Reader<'_>, node: &mut MeshNode, p: &str) {
    if node.model.is_none() {
        node.model = r.text(&format!("{p}.ProductClass"));
    }
    if node.serial.is_none() {
        node.serial = r.text(&format!("{p}.SerialNumber"));
    }
    if node.firmware.is_none() {
        node.firmware = r.text(&format!("{p}.SoftwareVersion"));
    }
    node.last_contact = r.get(&format!("{p}.LastContactTime"));
    if node.role == MeshRole::Agent {
        node.backhaul = r.text(&format!("{p}.BackhaulLinkType"));
        node.backhaul_signal = r.get(&format!("{p}.BackhaulSignalStrength"));
        node.backhaul_signal_dbm = node.backhaul_signal.and_then(dbm_from_rcpi);
    }
}

/// A satellite is lost when its last contact is more than five minutes older than the
/// controller's own clock (the later of the controller's `LastContactTime` and the time
/// GenieACS read the table), never "now": the whole table may be days old.
fn judge_health(mesh: &mut [MeshNode], controller_row: Option<&str>, device: &Device) {
    let read_at = controller_row.and_then(|p| {
        device
            .param::<DateTime<Utc>>(&format!("{p}.LastContactTime"))
            .map(|c| c.timestamp.map_or(c.value, |t| t.max(c.value)))
    });
    for node in mesh {
        node.health = match (node.role, node.last_contact, read_at) {
            (MeshRole::Controller, ..) => MeshHealth::Ok,
            (_, Some(seen), Some(clock)) if (clock - seen).num_seconds() > 300 => MeshHealth::Lost,
            (_, Some(_), Some(_)) => {
                let wifi = node.backhaul.as_deref().is_some_and(|b| {
                    b.eq_ignore_ascii_case("wi-fi") || b.eq_ignore_ascii_case("wifi")
                });
                if wifi && node.backhaul_signal_dbm.is_some_and(|d| d < -75.0) {
                    MeshHealth::Weak
                } else {
                    MeshHealth::Ok
                }
            }
            _ => MeshHealth::Unknown,
        };
    }
}

fn tr098(device: &Device, now: DateTime<Utc>) -> Sections {
    let root = "InternetGatewayDevice";
    let mut r = Reader::new(device, now);
    let default = reference(r.text(&format!("{root}.Layer3Forwarding.DefaultConnectionService")));
    let mut wan = Vec::new();
    for d in device.instances(&format!("{root}.WANDevice")) {
        for c in device.instances(&format!("{root}.WANDevice.{d}.WANConnectionDevice")) {
            let cd = format!("{root}.WANDevice.{d}.WANConnectionDevice.{c}");
            for (kind, table) in [("pppoe", "WANPPPConnection"), ("ip", "WANIPConnection")] {
                for j in device.instances(&format!("{cd}.{table}")) {
                    let p = format!("{cd}.{table}.{j}");
                    wan.push(WanConnection {
                        kind,
                        name: r.text(&format!("{p}.Name")),
                        status: r.text(&format!("{p}.ConnectionStatus")),
                        ipv4: r.text(&format!("{p}.ExternalIPAddress")),
                        gateway: r
                            .text(&format!("{p}.DefaultGateway"))
                            .or_else(|| r.text(&format!("{p}.RemoteIPAddress"))),
                        dns: list(r.text(&format!("{p}.DNSServers"))),
                        default_route: default.as_deref() == Some(p.as_str()),
                        ipv6: Vec::new(),
                        ipv6_prefixes: Vec::new(),
                    });
                }
            }
        }
    }
    let wan = r.finish(wan);

    // TR-098 has no radio object: each WLANConfiguration is an SSID on a radio; the first one
    // of each band stands for the radio.
    let lan = format!("{root}.LANDevice.1");
    let mut r = Reader::new(device, now);
    let mut wifi = Vec::new();
    let mut radios: Vec<Radio> = Vec::new();
    for w in device.instances(&format!("{lan}.WLANConfiguration")) {
        let p = format!("{lan}.WLANConfiguration.{w}");
        let band = tr098_band(&mut r, &p);
        let channel = r.get(&format!("{p}.Channel"));
        if !radios.iter().any(|x| x.band == band) {
            radios.push(Radio {
                band: band.clone(),
                enabled: r.get(&format!("{p}.RadioEnabled")),
                status: r.text(&format!("{p}.Status")),
                channel,
                auto_channel: r.get(&format!("{p}.AutoChannelEnable")),
                bandwidth: r.text(&format!("{p}.OperatingChannelBandwidth")),
                standards: r.text(&format!("{p}.Standard")),
                transmit_power_pct: r.get(&format!("{p}.TransmitPower")),
                path: p.clone(),
            });
        }
        wifi.push(WifiNetwork {
            ssid: r.text(&format!("{p}.SSID")),
            enabled: r.get(&format!("{p}.Enable")),
            band,
            channel,
            security: r.text(&format!("{p}.BeaconType")),
            clients: r.get(&format!("{p}.TotalAssociations")),
            path: p,
            access_point: None,
        });
    }
    let wifi = r.finish(wifi);
    let radios = Section {
        value: radios,
        sources: wifi.sources.clone(),
        age_secs: wifi.age_secs,
    };

    let mut r = Reader::new(device, now);
    let mut hosts = Vec::new();
    for h in device.instances(&format!("{lan}.Hosts.Host")) {
        let p = format!("{lan}.Hosts.Host.{h}");
        let Some(mac) = r
            .text(&format!("{p}.MACAddress"))
            .map(|m| m.to_ascii_uppercase())
        else {
            continue;
        };
        let link = match r.text(&format!("{p}.InterfaceType")).as_deref() {
            Some("802.11") => "wifi",
            _ => "ethernet",
        };
        hosts.push(Host {
            ip: r.text(&format!("{p}.IPAddress")),
            hostname: r.text(&format!("{p}.HostName")),
            active: r.get(&format!("{p}.Active")),
            link,
            signal_dbm: None,
            via_mesh_node: None,
            mac,
        });
    }
    let hosts = r.finish(hosts);
    let mesh = Reader::new(device, now).finish(Vec::new());
    let optical = tr098_optical(device, now);
    Sections {
        wan,
        radios,
        wifi,
        hosts,
        mesh,
        optical,
    }
}

/// The GPON branches TR-098 vendors use, probed in order: (object, rx leaf, tx leaf, status
/// leaf). Huawei's `X_GponInterafceConfig` is the vendor's own spelling.
const TR098_OPTICS: &[(&str, &str, &str, &str)] = &[
    (
        "WANDevice.1.X_GponInterafceConfig",
        "RXPower",
        "TXPower",
        "Status",
    ),
    (
        "WANDevice.1.X_GponInterfaceConfig",
        "RXPower",
        "TXPower",
        "Status",
    ),
    ("X_HW_DEBUG.AdminTR069", "RxPower", "TxPower", "Status"),
    (
        "WANDevice.1.X_ZTE-COM_WANPONInterfaceConfig",
        "RXPower",
        "TXPower",
        "Status",
    ),
    (
        "WANDevice.1.X_CT-COM_GponInterfaceConfig",
        "RXPower",
        "TXPower",
        "Status",
    ),
    ("X_ALU_OntOpticalParam", "RXPower", "TXPower", "Status"),
];

/// Optical levels of a TR-098 ONT, from the first vendor branch that holds a reading. These
/// branches carry whole dBm in the dumps seen (Huawei EG8145X6: −7 / 2); no unit is declared,
/// so dBm is an assumption and flagged as one.
fn tr098_optical(device: &Device, now: DateTime<Utc>) -> Option<Section<Optical>> {
    TR098_OPTICS.iter().find_map(|(object, rx, tx, status)| {
        let base = format!("InternetGatewayDevice.{object}");
        device.node(&base)?;
        let mut r = Reader::new(device, now);
        let rx: Option<f64> = r.get(&format!("{base}.{rx}"));
        rx?;
        let tx: Option<f64> = r.get(&format!("{base}.{tx}"));
        let value = Optical {
            status: r.text(&format!("{base}.{status}")),
            rx_raw: rx,
            tx_raw: tx,
            declared_unit: None,
            assumed_unit: Some("dBm"),
            rx_dbm: rx,
            tx_dbm: tx,
            path: base,
        };
        Some(r.finish(value))
    })
}

#[cfg(test)]
mod tests {
    use super::gpon_serial;

    #[test]
    fn gpon_serials_are_read_in_text_or_hex_form() {
        let g = |s: &str| gpon_serial(Some(s.to_owned()));
        assert_eq!(g("54504C47B4FB2AC8").as_deref(), Some("TPLGB4FB2AC8"));
        assert_eq!(g("tplgb4fb2ac8").as_deref(), Some("TPLGB4FB2AC8"));
        assert_eq!(g(" TPLGB4FB2AC8 ").as_deref(), Some("TPLGB4FB2AC8"));
        for bad in [
            "",
            "0",
            "00000000B4FB2AC8",
            "TPLG-B4FB2AC",
            "TPLGB4FB2AZ8",
            "ÉÉÉÉÉÉ",
        ] {
            assert_eq!(g(bad), None, "{bad}");
        }
        assert_eq!(gpon_serial(None), None);
    }
}
