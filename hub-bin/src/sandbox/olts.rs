//! The sandbox's OLTs: one fake SNMP agent (olt-snmp's testkit) per OLT the fake ERPNext's
//! Service Locations name, in the Huawei MA5800 layout, holding an ONU for each of those
//! locations (the GPON serial of the ONT router installed there) and neighbours on the same
//! ports, one of them with a weak level; a port can be taken down (every ONU in LOS) and
//! brought back, to show the poller's `area.outage` alert.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;

use frappe_client::testkit::FakeFrappe;
use olt_snmp::profile::IndexDecoding;
use olt_snmp::snmprec::Recording;
use olt_snmp::testkit::FakeAgent;
use olt_snmp::{Oid, PonPort, Serial, Value};

/// The community of the sandbox's agents.
pub const COMMUNITY: &str = "sandbox-public";

/// The profile the sandbox's agents answer to.
pub const PROFILE: &str = "huawei-ma5800";

/// HUAWEI-XPON-MIB columns (`1.3.6.1.4.1.2011.6.128.1.1.2` + …), as the built-in profile reads
/// them.
const BASE: &str = "1.3.6.1.4.1.2011.6.128.1.1.2";
const SERIAL: &str = "43.1.3";
const STATUS: &str = "46.1.15";
const DISTANCE: &str = "46.1.20";
const DOWN_CAUSE: &str = "46.1.24";
const TEMPERATURE: &str = "51.1.1";
const BIAS: &str = "51.1.2";
const TX: &str = "51.1.3";
const RX: &str = "51.1.4";
const VOLTAGE: &str = "51.1.5";
const OLT_RX: &str = "51.1.6";
/// "No reading" in the DDM columns.
const NO_READING: i64 = 2_147_483_647;

/// One simulated ONU.
#[derive(Debug, Clone)]
struct Onu {
    index: String,
    serial: Serial,
    rx_centi_dbm: i64,
    distance_m: i64,
}

/// One sandbox OLT.
#[derive(Debug)]
pub struct SandboxOlt {
    /// Its name (as the Service Locations write it).
    pub name: String,
    /// Its agent.
    pub agent: FakeAgent,
    /// Its ONUs by port.
    onus: BTreeMap<String, Vec<Onu>>,
}

/// The sandbox's OLTs.
#[derive(Debug, Default)]
pub struct SandboxOlts {
    /// Each OLT.
    pub olts: Vec<SandboxOlt>,
    /// Ports taken down.
    down: Mutex<Vec<(String, String)>>,
}

fn octets_hex(serial: &Serial) -> String {
    let s = serial.as_str();
    let (vendor, rest) = s.split_at(4.min(s.len()));
    let mut out: String = vendor.bytes().map(|b| format!("{b:02x}")).collect();
    out.push_str(&rest.to_ascii_lowercase());
    out
}

fn row(out: &mut String, column: &str, index: &str, kind: &str, value: impl std::fmt::Display) {
    let _ = writeln!(out, "{BASE}.{column}.{index}|{kind}|{value}");
}

/// The rows of one ONU, online.
fn onu_rows(out: &mut String, onu: &Onu, k: i64) {
    let i = onu.index.as_str();
    row(out, SERIAL, i, "4x", octets_hex(&onu.serial));
    row(out, STATUS, i, "2", 1);
    row(out, DISTANCE, i, "2", onu.distance_m);
    row(out, DOWN_CAUSE, i, "2", 13);
    row(out, TEMPERATURE, i, "2", 41 + k % 9);
    row(out, BIAS, i, "2", 11 + k % 5);
    row(out, TX, i, "2", 190 + (k % 7) * 10);
    row(out, RX, i, "2", onu.rx_centi_dbm);
    row(out, VOLTAGE, i, "2", 3280 + (k % 4) * 10);
    // The OLT hears the ONU a few dB lower: (v − 10000) / 100 dBm.
    row(out, OLT_RX, i, "2", onu.rx_centi_dbm - 250 + 10_000);
}

impl SandboxOlts {
    /// Starts an agent per OLT the fake ERPNext's Service Locations name.
    pub async fn start(frappe: &FakeFrappe) -> anyhow::Result<Self> {
        let equipment = frappe.all("Service Equipment");
        let serial_at = |location: &str| {
            equipment
                .iter()
                .filter(|e| {
                    e["service_location"] == location && e["equipment_type"] == "ONT Router"
                })
                .find_map(|e| e["gpon_serial"].as_str())
                .and_then(|s| Serial::parse(s).ok())
        };
        // OLT → port → (onu id → serial).
        let mut plan: BTreeMap<String, BTreeMap<String, BTreeMap<u32, Serial>>> = BTreeMap::new();
        for loc in frappe.all("Service Location") {
            let (Some(olt), Some(port), Some(id), Some(name)) = (
                loc["olt"].as_str(),
                loc["pon_port"].as_str(),
                loc["onu_id"].as_u64().and_then(|i| u32::try_from(i).ok()),
                loc["name"].as_str(),
            ) else {
                continue;
            };
            let Ok(port) = port.parse::<PonPort>() else {
                continue;
            };
            let Some(serial) = serial_at(name)
                .or_else(|| Serial::parse(&format!("HWTC{:08X}", 0x5A00_0000 + id)).ok())
            else {
                continue;
            };
            plan.entry(olt.to_owned())
                .or_default()
                .entry(port.to_string())
                .or_default()
                .insert(id, serial);
        }
        let mut olts = Vec::new();
        for (o, (name, ports)) in plan.into_iter().enumerate() {
            let mut text = String::new();
            let _ = writeln!(
                text,
                "1.3.6.1.2.1.1.1.0|4|Huawei Integrated Access Software (sandbox, MA5800-X7)"
            );
            let _ = writeln!(text, "1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.2011.2.248");
            let _ = writeln!(text, "1.3.6.1.2.1.1.3.0|67|8640000");
            let _ = writeln!(text, "1.3.6.1.2.1.1.5.0|4|{name}");
            let mut onus: BTreeMap<String, Vec<Onu>> = BTreeMap::new();
            for (p, (port, mut ids)) in ports.into_iter().enumerate() {
                let Ok(pon) = port.parse::<PonPort>() else {
                    continue;
                };
                let Some(prefix) = IndexDecoding::Huawei.port_prefix(pon) else {
                    continue;
                };
                let if_index = prefix.first().copied().unwrap_or_default();
                let _ = writeln!(text, "1.3.6.1.2.1.31.1.1.1.1.{if_index}|4|GPON {port}");
                // Neighbours, so that a port going down is an area outage.
                for id in 0..8u32 {
                    let n = (o as u32) << 16 | (p as u32) << 8 | id;
                    if let (false, Ok(s)) = (
                        ids.contains_key(&id),
                        Serial::parse(&format!("HWTC{:08X}", 0xC000_0000 | n)),
                    ) {
                        ids.insert(id, s);
                    }
                }
                let list: Vec<Onu> = ids
                    .into_iter()
                    .map(|(id, serial)| {
                        let k = i64::from(id);
                        Onu {
                            index: format!("{if_index}.{id}"),
                            serial,
                            // One weak neighbour per port (ONU 5), the others between −17 and −24 dBm.
                            rx_centi_dbm: if id == 5 {
                                -2810
                            } else {
                                -1700 - (k * 97) % 700
                            },
                            distance_m: 800 + k * 173,
                        }
                    })
                    .collect();
                for onu in &list {
                    onu_rows(
                        &mut text,
                        onu,
                        i64::from(p as u32) * 16 + onu.distance_m % 13,
                    );
                }
                onus.insert(port, list);
            }
            let recording = Recording::parse(&text)?;
            let agent = FakeAgent::builder()
                .recording(COMMUNITY, recording)
                .start()
                .await?;
            olts.push(SandboxOlt { name, agent, onus });
        }
        Ok(Self {
            olts,
            down: Mutex::new(Vec::new()),
        })
    }

    /// Takes a port down (every ONU in LOS, no optics) or brings it back; the number of ONUs
    /// changed. `Err` names what does not exist.
    pub fn set_port(&self, olt: &str, port: &str, up: bool) -> Result<usize, String> {
        let o = self
            .olts
            .iter()
            .find(|o| o.name == olt)
            .ok_or_else(|| format!("the sandbox has no OLT named {olt:?}"))?;
        let onus = o
            .onus
            .get(port)
            .ok_or_else(|| format!("{olt} has no ONU on port {port}"))?;
        let oid = |column: &str, index: &str| -> Result<Oid, String> {
            format!("{BASE}.{column}.{index}")
                .parse::<Oid>()
                .map_err(|e| e.to_string())
        };
        for onu in onus {
            let i = onu.index.as_str();
            let (status, cause) = if up { (1, 13) } else { (2, 1) };
            o.agent
                .set(COMMUNITY, oid(STATUS, i)?, Value::Integer(status));
            o.agent
                .set(COMMUNITY, oid(DOWN_CAUSE, i)?, Value::Integer(cause));
            let rx = if up { onu.rx_centi_dbm } else { NO_READING };
            let olt_rx = if up {
                onu.rx_centi_dbm - 250 + 10_000
            } else {
                NO_READING
            };
            o.agent.set(COMMUNITY, oid(RX, i)?, Value::Integer(rx));
            o.agent
                .set(COMMUNITY, oid(OLT_RX, i)?, Value::Integer(olt_rx));
            let distance = if up { onu.distance_m } else { -1 };
            o.agent
                .set(COMMUNITY, oid(DISTANCE, i)?, Value::Integer(distance));
        }
        if let Ok(mut down) = self.down.lock() {
            down.retain(|(a, b)| !(a == olt && b == port));
            if !up {
                down.push((olt.to_owned(), port.to_owned()));
            }
        }
        Ok(onus.len())
    }

    /// The hub's configuration of these OLTs (the profile set, so no detection round trip).
    pub fn settings(&self) -> Vec<crate::config::OltConfig> {
        self.olts
            .iter()
            .map(|o| crate::config::OltConfig {
                name: o.name.clone(),
                address: o.agent.addr().to_string(),
                credentials: crate::config::OltCredentials::Community(secrecy::SecretString::from(
                    COMMUNITY,
                )),
                vendor: Some(PROFILE.to_owned()),
                poll_interval: None,
            })
            .collect()
    }

    /// The ONU index (`<ifIndex>.<onuId>`) of `serial`, for tests that change one ONU.
    pub fn index_of(&self, serial: &str) -> Option<(String, String)> {
        self.olts.iter().find_map(|o| {
            o.onus.values().flatten().find_map(|onu| {
                (onu.serial.as_str() == serial).then(|| (o.name.clone(), onu.index.clone()))
            })
        })
    }

    /// Sets one column of one ONU (`46.1.15` status, `51.1.4` ONU rx in 0.01 dBm, ... of
    /// HUAWEI-XPON-MIB) on its OLT's agent.
    pub fn set_column(&self, serial: &str, column: &str, value: i64) -> Result<(), String> {
        let (olt, index) = self
            .index_of(serial)
            .ok_or_else(|| format!("no sandbox ONU {serial}"))?;
        let oid = format!("{BASE}.{column}.{index}")
            .parse::<Oid>()
            .map_err(|e| e.to_string())?;
        let o = self
            .olts
            .iter()
            .find(|o| o.name == olt)
            .ok_or_else(|| format!("no sandbox OLT {olt}"))?;
        o.agent.set(COMMUNITY, oid, Value::Integer(value));
        Ok(())
    }

    /// The ports of one OLT that have ONUs.
    pub fn ports(&self, olt: &str) -> Vec<String> {
        self.olts
            .iter()
            .find(|o| o.name == olt)
            .map(|o| o.onus.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// The ports taken down.
    pub fn down_ports(&self) -> Vec<(String, String)> {
        self.down.lock().map(|d| d.clone()).unwrap_or_default()
    }
}
