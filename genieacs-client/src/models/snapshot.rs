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
    /// (from `Device.WiFi.MultiAP`).
    pub via_mesh_node: Option<String>,
}

/// A node of an EasyMesh network (`Device.WiFi.MultiAP.APDevice`): the controller and its
/// satellites.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[non_exhaustive]
pub struct MeshNode {
    /// The node's MAC.
    pub mac: Option<String>,
    /// Model (the product class the node reports: `Deco X50`).
    pub model: Option<String>,
    /// Serial number.
    pub serial: Option<String>,
    /// Firmware.
    pub firmware: Option<String>,
    /// When the controller last heard from it.
    pub last_contact: Option<DateTime<Utc>>,
    /// Backhaul link (`Wi-Fi`, `Ethernet`; empty for the controller itself).
    pub backhaul: Option<String>,
    /// Backhaul signal as reported (raw; EasyMesh RCPI-style scale).
    pub backhaul_signal: Option<i64>,
}

/// Optical levels of a GPON ONT.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[non_exhaustive]
pub struct Optical {
    /// Received power, raw as the CPE reports it.
    pub rx_raw: Option<i64>,
    /// Transmitted power, raw.
    pub tx_raw: Option<i64>,
    /// The unit the CPE declares, when it does.
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
        let model = if device.tree.contains_key("Device") {
            DataModel::Tr181
        } else if device.tree.contains_key("InternetGatewayDevice") {
            DataModel::Tr098
        } else {
            DataModel::Unknown
        };
        let root = match model {
            DataModel::Tr098 => "InternetGatewayDevice",
            _ => "Device",
        };
        let mut r = Reader::new(device, now);
        let info = |leaf: &str| format!("{root}.DeviceInfo.{leaf}");
        let identity = Identity {
            manufacturer: r.text(&info("Manufacturer")),
            model: r.text(&info("ModelName")),
            serial: r.text(&info("SerialNumber")),
            firmware: r.text(&info("SoftwareVersion")),
            hardware: r.text(&info("HardwareVersion")),
            uptime_secs: r.get(&info("UpTime")),
        };
        let identity = r.finish(identity);
        let (wan, wifi, hosts, mesh, optical) = match model {
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
            wan,
            wifi,
            hosts,
            mesh,
            optical,
        }
    }
}

type Sections = (
    Section<Vec<WanConnection>>,
    Section<Vec<WifiNetwork>>,
    Section<Vec<Host>>,
    Section<Vec<MeshNode>>,
    Option<Section<Optical>>,
);

fn tr181(device: &Device, now: DateTime<Utc>) -> Sections {
    // WAN: PPP interfaces, and routed IP interfaces that are not a LAN bridge.
    let mut r = Reader::new(device, now);
    let default_if = device
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
        })
        .and_then(|p| reference(r.text(&format!("{p}.Interface"))));
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
        match lower.filter(|l| l.starts_with("Device.PPP.Interface.")) {
            Some(ppp) => wan.push(WanConnection {
                kind: "pppoe",
                name: r.text(&format!("{ppp}.Name")),
                status: r
                    .text(&format!("{ppp}.ConnectionStatus"))
                    .or_else(|| r.text(&format!("{ppp}.Status"))),
                ipv4: r.text(&format!("{ppp}.IPCP.LocalIPAddress")),
                gateway: r.text(&format!("{ppp}.IPCP.RemoteIPAddress")),
                dns: r
                    .text(&format!("{ppp}.IPCP.DNSServers"))
                    .map(|d| {
                        d.split(',')
                            .map(|s| s.trim().to_owned())
                            .filter(|s| !s.is_empty())
                            .collect()
                    })
                    .unwrap_or_default(),
                default_route: is_default,
            }),
            None => wan.push(WanConnection {
                kind: "ip",
                name,
                status: r.text(&format!("{ip}.Status")),
                ipv4: r
                    .text(&format!("{ip}.IPv4Address.1.IPAddress"))
                    .filter(|a| a != "0.0.0.0"),
                default_route: is_default,
                ..WanConnection::default()
            }),
        }
    }
    let wan = r.finish(wan);

    // Wi-Fi: the access points the customer sees (TP-Link marks them X_TP_APType Primary).
    let mut r = Reader::new(device, now);
    let aps = device.instances("Device.WiFi.AccessPoint");
    let tplink = aps.iter().any(|a| {
        device
            .param::<String>(&format!("Device.WiFi.AccessPoint.{a}.X_TP_APType"))
            .is_some()
    });
    let mut wifi = Vec::new();
    let mut stations: Vec<(String, Option<i64>, Option<String>)> = Vec::new();
    for a in &aps {
        let ap = format!("Device.WiFi.AccessPoint.{a}");
        for s in device.instances(&format!("{ap}.AssociatedDevice")) {
            let st = format!("{ap}.AssociatedDevice.{s}");
            if let Some(mac) = r.text(&format!("{st}.MACAddress")) {
                stations.push((
                    mac.to_ascii_uppercase(),
                    r.get(&format!("{st}.SignalStrength")),
                    None,
                ));
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

    // Mesh: EasyMesh nodes, and the stations of each node (a satellite's stations are not in
    // Device.WiFi.AccessPoint). The first APDevice is the controller itself.
    let mut r = Reader::new(device, now);
    let mut mesh = Vec::new();
    let multi = "Device.WiFi.MultiAP.APDevice";
    for (n, d) in device.instances(multi).iter().enumerate() {
        let node = format!("{multi}.{d}");
        let mac = r.text(&format!("{node}.MACAddress"));
        for rd in device.instances(&format!("{node}.Radio")) {
            for a in device.instances(&format!("{node}.Radio.{rd}.AP")) {
                let ap = format!("{node}.Radio.{rd}.AP.{a}");
                for st in device.instances(&format!("{ap}.AssociatedDevice")) {
                    let st = format!("{ap}.AssociatedDevice.{st}");
                    let Some(sm) = r.text(&format!("{st}.MACAddress")) else {
                        continue;
                    };
                    let sm = sm.to_ascii_uppercase();
                    if stations.iter().any(|(m, _, _)| *m == sm) {
                        continue;
                    }
                    let signal = r.get(&format!("{st}.SignalStrength"));
                    stations.push((sm, signal, if n == 0 { None } else { mac.clone() }));
                }
            }
        }
        mesh.push(MeshNode {
            model: r.text(&format!("{node}.ProductClass")),
            serial: r.text(&format!("{node}.SerialNumber")),
            firmware: r.text(&format!("{node}.SoftwareVersion")),
            last_contact: r.get(&format!("{node}.LastContactTime")),
            backhaul: r.text(&format!("{node}.BackhaulLinkType")),
            backhaul_signal: r
                .get(&format!("{node}.BackhaulSignalStrength"))
                .filter(|_| n > 0),
            mac,
        });
    }
    let mesh = r.finish(mesh);

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
        let station = stations.iter().find(|(m, _, _)| *m == mac);
        hosts.push(Host {
            ip: r.text(&format!("{p}.IPAddress")),
            hostname: r.text(&format!("{p}.HostName")),
            active: r.get(&format!("{p}.Active")),
            link: if station.is_some() {
                "wifi"
            } else {
                "ethernet"
            },
            signal_dbm: station.and_then(|(_, s, _)| *s),
            via_mesh_node: station.and_then(|(_, _, v)| v.clone()),
            mac,
        });
    }
    let hosts = r.finish(hosts);

    let optical = device.node("Device.Optical.Interface.1").map(|_| {
        let mut r = Reader::new(device, now);
        let base = "Device.Optical.Interface.1";
        let std_rx: Option<i64> = r.get(&format!("{base}.OpticalSignalLevel"));
        let vendor_rx: Option<i64> = r.get(&format!("{base}.X_TP_GPON_Config.RXPower"));
        let vendor_tx: Option<i64> = r.get(&format!("{base}.X_TP_GPON_Config.TXPower"));
        let value = if vendor_rx.is_some() && std_rx.is_none_or(|v| v == 0) {
            // TP-Link keeps the levels only in its vendor branch, unit undocumented: 0.1 µW is
            // assumed (it fits the one real dump), and flagged as an assumption.
            Optical {
                rx_raw: vendor_rx,
                tx_raw: vendor_tx,
                declared_unit: None,
                assumed_unit: Some("0.1 µW"),
                rx_dbm: vendor_rx.and_then(dbm_from_tenth_microwatt),
                tx_dbm: vendor_tx.and_then(dbm_from_tenth_microwatt),
            }
        } else {
            // TR-181 declares OpticalSignalLevel in 0.001 dBm.
            let tx: Option<i64> = r.get(&format!("{base}.TransmitOpticalLevel"));
            Optical {
                rx_raw: std_rx,
                tx_raw: tx,
                declared_unit: Some("0.001 dBm"),
                assumed_unit: None,
                rx_dbm: std_rx.map(|v| v as f64 / 1000.0),
                tx_dbm: tx.map(|v| v as f64 / 1000.0),
            }
        };
        r.finish(value)
    });
    (wan, wifi, hosts, mesh, optical)
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
                        dns: r
                            .text(&format!("{p}.DNSServers"))
                            .map(|d| {
                                d.split(',')
                                    .map(|s| s.trim().to_owned())
                                    .filter(|s| !s.is_empty())
                                    .collect()
                            })
                            .unwrap_or_default(),
                        default_route: default.as_deref() == Some(p.as_str()),
                    });
                }
            }
        }
    }
    let wan = r.finish(wan);
    let mut r = Reader::new(device, now);
    let lan = format!("{root}.LANDevice.1");
    let mut wifi = Vec::new();
    for w in device.instances(&format!("{lan}.WLANConfiguration")) {
        let p = format!("{lan}.WLANConfiguration.{w}");
        wifi.push(WifiNetwork {
            ssid: r.text(&format!("{p}.SSID")),
            enabled: r.get(&format!("{p}.Enable")),
            band: r.text(&format!("{p}.OperatingFrequencyBand")),
            channel: r.get(&format!("{p}.Channel")),
            security: r.text(&format!("{p}.BeaconType")),
            clients: r.get(&format!("{p}.TotalAssociations")),
            path: p,
            access_point: None,
        });
    }
    let wifi = r.finish(wifi);
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
    (wan, wifi, hosts, mesh, None)
}
