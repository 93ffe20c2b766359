//! Vendor profiles: which columns to read, how to decode the row index, how to scale values and
//! which values mean "no reading".
//!
//! The built-in profiles are TOML files in the crate's `profiles/` folder, in the same format an
//! operator uses to add a vendor ([`ProfileSet::load_toml`]), so a new OLT model needs a config
//! file, not a release.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::{DownCause, OnuLocation, OnuStatus, OpticalStatus, PonPort, Serial};
use crate::oid::{Oid, Value};

const BUILTIN: [(&str, &str); 4] = [
    (
        "huawei-ma5800",
        include_str!("../profiles/huawei-ma5800.toml"),
    ),
    ("zte-c300", include_str!("../profiles/zte-c300.toml")),
    ("vsol-v1600g", include_str!("../profiles/vsol-v1600g.toml")),
    (
        "cdata-fd16xx",
        include_str!("../profiles/cdata-fd16xx.toml"),
    ),
];

/// How a row's instance suffix maps to a PON port and ONU id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IndexDecoding {
    /// `<ifIndex>.<ontId>`, Huawei's GPON ifIndex: frame = bits 24..19, slot = bits 18..13,
    /// port = bits 12..8 (`0xFA000000 + frame·2^19 + slot·2^13 + port·2^8`).
    Huawei,
    /// `<ifIndex>.<onuId>`, ZTE's zxGponMgmtPonOltId: shelf = bits 27..24, slot = bits 23..16,
    /// port = bits 15..8. The port's shelf is shown 1-based, as the CLI names it
    /// (`gpon-olt_1/1/1` is 0x10010100).
    Zte,
    /// `<pon>.<onu>`, two plain numbers: the port reads `0/0/<pon>`.
    Pair,
    /// `<device>.<card>.<port>.<onu>`: the port reads `<device>/<card>/<port>`.
    Quad,
    /// `<ifIndex>.<onu>`, the port read from the interface's IF-MIB `ifName`
    /// (`gpon_olt-1/1/1` → `1/1/1`) instead of from the ifIndex's bits: for OLTs whose ifIndex
    /// layout is not documented (ZTE C600, ...). See [`PortNames`].
    IfName,
}

impl IndexDecoding {
    /// Decodes a row index (the instance suffix after the column OID and without the column's
    /// own suffix). `None` when the index does not have this decoding's shape.
    pub fn decode(self, index: &[u32]) -> Option<OnuLocation> {
        let (pon_port, onu_id) = match (self, index) {
            (IndexDecoding::Huawei, &[if_index, ont]) => {
                let port = PonPort::new(
                    (if_index >> 19) & 0x3F,
                    (if_index >> 13) & 0x3F,
                    (if_index >> 8) & 0x1F,
                );
                (port, ont)
            }
            (IndexDecoding::Zte, &[if_index, onu]) => {
                let port = PonPort::new(
                    ((if_index >> 24) & 0xF) + 1,
                    (if_index >> 16) & 0xFF,
                    (if_index >> 8) & 0xFF,
                );
                (port, onu)
            }
            (IndexDecoding::Pair, &[pon, onu]) => (PonPort::new(0, 0, pon), onu),
            (IndexDecoding::Quad, &[dev, card, port, onu]) => (PonPort::new(dev, card, port), onu),
            _ => return None, // IfName needs the names: Profile::locate
        };
        Some(OnuLocation {
            index: index.to_vec(),
            pon_port,
            onu_id,
        })
    }

    /// The index prefix that selects one PON port's rows (the ifIndex for Huawei and ZTE).
    pub fn port_prefix(self, port: PonPort) -> Option<Vec<u32>> {
        match self {
            IndexDecoding::Huawei => {
                if port.shelf > 0x3F || port.slot > 0x3F || port.port > 0x1F {
                    return None;
                }
                Some(vec![
                    0xFA00_0000 + (port.shelf << 19) + (port.slot << 13) + (port.port << 8),
                ])
            }
            IndexDecoding::Zte => {
                if port.shelf == 0 || port.shelf > 0x10 || port.slot > 0xFF || port.port > 0xFF {
                    return None;
                }
                Some(vec![
                    (1 << 28) | ((port.shelf - 1) << 24) | (port.slot << 16) | (port.port << 8),
                ])
            }
            IndexDecoding::Pair => (port.shelf == 0 && port.slot == 0).then(|| vec![port.port]),
            IndexDecoding::Quad => Some(vec![port.shelf, port.slot, port.port]),
            IndexDecoding::IfName => None,
        }
    }
}

/// IF-MIB `ifName` (`1.3.6.1.2.1.31.1.1.1.1`).
pub const IF_NAME: [u32; 11] = [1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 1];

/// PON ports by ifIndex, read from IF-MIB `ifName`, for [`IndexDecoding::IfName`]. Only names
/// that contain `pon` (any case: `GPON 0/1/0`, `gpon_olt-1/1/1`) and end in `a/b/c` count, so
/// that an Ethernet uplink named like a PON port is not taken for one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PortNames {
    by_index: BTreeMap<u32, PonPort>,
}

impl PortNames {
    /// The ports named by the `ifName` entries among `pairs` (other OIDs are ignored).
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a Oid, &'a Value)>) -> Self {
        let root = Oid::new(IF_NAME);
        let mut names = Self::default();
        for (oid, value) in pairs {
            if let (Some(&[if_index]), Some(bytes)) = (oid.suffix(&root), value.as_bytes()) {
                let name = String::from_utf8_lossy(bytes);
                if name.to_ascii_lowercase().contains("pon")
                    && let Ok(port) = name.parse::<PonPort>()
                {
                    names.by_index.insert(if_index, port);
                }
            }
        }
        names
    }

    /// The port of an ifIndex.
    pub fn get(&self, if_index: u32) -> Option<PonPort> {
        self.by_index.get(&if_index).copied()
    }

    /// The ifIndex of a port.
    pub fn if_index(&self, port: PonPort) -> Option<u32> {
        self.by_index
            .iter()
            .find(|(_, p)| **p == port)
            .map(|(i, _)| *i)
    }

    /// Number of ports.
    pub fn len(&self) -> usize {
        self.by_index.len()
    }

    /// Whether no port is known.
    pub fn is_empty(&self) -> bool {
        self.by_index.is_empty()
    }
}

/// How a profile recognises its OLTs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Detect {
    /// `sysObjectID` prefixes; one must match (when any are given).
    #[serde(default)]
    pub sys_object_id: Vec<Oid>,
    /// Substrings of `sysDescr` (case-insensitive); one must match (when any are given).
    #[serde(default)]
    pub sys_descr: Vec<String>,
}

/// A plain column: the serial.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Column {
    /// The column OID (without the row index).
    pub oid: Oid,
    /// Arcs after the row index (ZTE's ANI table adds `.1`).
    #[serde(default)]
    pub suffix: Vec<u32>,
}

/// The status column and what its values mean. Values not listed read `unknown`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusColumn {
    /// The column OID.
    pub oid: Oid,
    /// Arcs after the row index.
    #[serde(default)]
    pub suffix: Vec<u32>,
    /// Values meaning online.
    #[serde(default)]
    pub online: Vec<i64>,
    /// Values meaning offline.
    #[serde(default)]
    pub offline: Vec<i64>,
    /// Values meaning loss of signal.
    #[serde(default)]
    pub los: Vec<i64>,
    /// Values meaning dying gasp.
    #[serde(default)]
    pub dying_gasp: Vec<i64>,
}

impl StatusColumn {
    /// Maps a raw value.
    pub fn map(&self, raw: i64) -> OnuStatus {
        if self.online.contains(&raw) {
            OnuStatus::Online
        } else if self.los.contains(&raw) {
            OnuStatus::Los
        } else if self.dying_gasp.contains(&raw) {
            OnuStatus::DyingGasp
        } else if self.offline.contains(&raw) {
            OnuStatus::Offline
        } else {
            OnuStatus::Unknown
        }
    }
}

/// The last-down-cause column: codes to names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DownCauseColumn {
    /// The column OID.
    pub oid: Oid,
    /// Arcs after the row index.
    #[serde(default)]
    pub suffix: Vec<u32>,
    /// Values meaning "no cause" (`-1`, query failed).
    #[serde(default)]
    pub sentinels: Vec<i64>,
    /// Names by code (`1 = "los"`, `13 = "dying-gasp"`); others read `code-<n>`.
    #[serde(default)]
    pub codes: BTreeMap<i64, String>,
}

impl DownCauseColumn {
    /// Maps a raw value; `None` for sentinels.
    pub fn map(&self, raw: i64) -> Option<DownCause> {
        if self.sentinels.contains(&raw) {
            return None;
        }
        Some(DownCause(
            self.codes
                .get(&raw)
                .cloned()
                .unwrap_or_else(|| format!("code-{raw}")),
        ))
    }
}

/// A measured value: `raw · scale + offset`, `None` for a sentinel or a result outside
/// `min..=max`. Text values (`"-20.51"`, `"-20.51(dBm)"`) are parsed to a number first; text
/// without a number (`""`, `"N/A"`) is no reading.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Measure {
    /// The column OID.
    pub oid: Oid,
    /// Arcs after the row index.
    #[serde(default)]
    pub suffix: Vec<u32>,
    /// Multiplier applied to the raw value.
    #[serde(default = "one")]
    pub scale: f64,
    /// Added after scaling.
    #[serde(default)]
    pub offset: f64,
    /// Raw values meaning "no reading".
    #[serde(default)]
    pub sentinels: Vec<i64>,
    /// Lowest plausible result.
    #[serde(default)]
    pub min: Option<f64>,
    /// Highest plausible result.
    #[serde(default)]
    pub max: Option<f64>,
}

fn one() -> f64 {
    1.0
}

impl Measure {
    /// Converts a value; `None` when it is a sentinel, not a number, or out of range.
    pub fn convert(&self, value: &Value) -> Option<f64> {
        let raw = match value {
            Value::OctetString(b) => {
                let text = std::str::from_utf8(b).ok()?;
                let n = leading_number(text)?;
                if n.fract() == 0.0 && self.sentinels.iter().any(|s| *s as f64 == n) {
                    return None;
                }
                n
            }
            v => {
                let i = v.as_i64()?;
                if self.sentinels.contains(&i) {
                    return None;
                }
                i as f64
            }
        };
        let v = raw * self.scale + self.offset;
        if !v.is_finite() || self.min.is_some_and(|m| v < m) || self.max.is_some_and(|m| v > m) {
            return None;
        }
        Some((v * 1000.0).round() / 1000.0)
    }
}

/// The first decimal number in `text` (`"-20.51(dBm)"` → −20.51).
fn leading_number(text: &str) -> Option<f64> {
    let t = text.trim_start();
    let start = t.find(|c: char| c.is_ascii_digit() || c == '-' || c == '+' || c == '.')?;
    let rest = &t[start..];
    let end = rest
        .char_indices()
        .skip(1)
        .find(|(_, c)| !(c.is_ascii_digit() || *c == '.'))
        .map_or(rest.len(), |(i, _)| i);
    rest[..end].parse().ok()
}

/// The readings an ONU row can have; each is a column in a profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Field {
    /// The serial (always read).
    Serial,
    /// The status (always read).
    Status,
    /// The last down cause.
    DownCause,
    /// ONU receive power.
    OnuRx,
    /// ONU transmit power.
    OnuTx,
    /// OLT receive power from the ONU.
    OltRx,
    /// ONU temperature.
    Temperature,
    /// ONU supply voltage.
    Voltage,
    /// ONU laser bias.
    Bias,
    /// Fibre distance.
    Distance,
}

impl Field {
    /// Every field.
    pub const ALL: [Field; 10] = [
        Field::Serial,
        Field::Status,
        Field::DownCause,
        Field::OnuRx,
        Field::OnuTx,
        Field::OltRx,
        Field::Temperature,
        Field::Voltage,
        Field::Bias,
        Field::Distance,
    ];

    /// Serial, status, ONU rx, ONU tx and OLT rx: a light whole-OLT poll.
    pub const LEVELS: [Field; 5] = [
        Field::Serial,
        Field::Status,
        Field::OnuRx,
        Field::OnuTx,
        Field::OltRx,
    ];

    fn slot(self) -> usize {
        self as usize
    }
}

/// A vendor profile. See the crate README for the TOML format.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Unique name (`huawei-ma5800`).
    pub name: String,
    /// Vendor (`huawei`).
    pub vendor: String,
    /// Free text.
    #[serde(default)]
    pub description: String,
    /// How to recognise the OLT.
    #[serde(default)]
    pub detect: Detect,
    /// How row indexes decode.
    pub index: IndexDecoding,
    /// The serial column.
    pub serial: Column,
    /// The status column.
    pub status: StatusColumn,
    /// The last-down-cause column.
    #[serde(default)]
    pub down_cause: Option<DownCauseColumn>,
    /// ONU rx, dBm.
    #[serde(default)]
    pub onu_rx: Option<Measure>,
    /// ONU tx, dBm.
    #[serde(default)]
    pub onu_tx: Option<Measure>,
    /// OLT rx of the ONU, dBm.
    #[serde(default)]
    pub olt_rx: Option<Measure>,
    /// Temperature, °C.
    #[serde(default)]
    pub temperature: Option<Measure>,
    /// Voltage, V.
    #[serde(default)]
    pub voltage: Option<Measure>,
    /// Bias, mA.
    #[serde(default)]
    pub bias: Option<Measure>,
    /// Distance, m.
    #[serde(default)]
    pub distance: Option<Measure>,
}

impl Profile {
    /// Parses one profile from TOML.
    pub fn from_toml(text: &str) -> Result<Self> {
        let p: Profile = toml::from_str(text)
            .map_err(|e| Error::Config(format!("vendor profile: {}", e.message())))?;
        p.validate()?;
        Ok(p)
    }

    /// A built-in profile by name: `huawei-ma5800`, `zte-c300`, `vsol-v1600g`, `cdata-fd16xx`.
    pub fn builtin(name: &str) -> Option<Self> {
        BUILTIN
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, text)| Self::from_toml(text).ok())
    }

    /// Names of the built-in profiles.
    pub fn builtin_names() -> impl Iterator<Item = &'static str> {
        BUILTIN.iter().map(|(n, _)| *n)
    }

    fn validate(&self) -> Result<()> {
        let bad = |m: String| {
            Err(Error::Config(format!(
                "vendor profile {:?}: {m}",
                self.name
            )))
        };
        if self.name.trim().is_empty() {
            return bad("empty name".to_owned());
        }
        for (field, oid, _) in self.columns(&Field::ALL) {
            if !oid.is_encodable() {
                return bad(format!("{field:?} column OID {oid} cannot be sent"));
            }
        }
        Ok(())
    }

    /// Whether this profile recognises an agent with these `sysObjectID` and `sysDescr`.
    pub fn matches(&self, sys_object_id: &Oid, sys_descr: &str) -> bool {
        let d = &self.detect;
        if d.sys_object_id.is_empty() && d.sys_descr.is_empty() {
            return false;
        }
        let descr = sys_descr.to_ascii_lowercase();
        (d.sys_object_id.is_empty() || d.sys_object_id.iter().any(|p| sys_object_id.starts_with(p)))
            && (d.sys_descr.is_empty()
                || d.sys_descr
                    .iter()
                    .any(|s| descr.contains(&s.to_ascii_lowercase())))
    }

    /// The columns of `fields` this profile has: (field, column OID, suffix).
    pub fn columns(&self, fields: &[Field]) -> Vec<(Field, &Oid, &[u32])> {
        let mut out = Vec::new();
        for f in Field::ALL {
            if !fields.contains(&f) && !matches!(f, Field::Serial | Field::Status) {
                continue;
            }
            let col = match f {
                Field::Serial => Some((&self.serial.oid, self.serial.suffix.as_slice())),
                Field::Status => Some((&self.status.oid, self.status.suffix.as_slice())),
                Field::DownCause => self
                    .down_cause
                    .as_ref()
                    .map(|c| (&c.oid, c.suffix.as_slice())),
                _ => self.measure(f).map(|m| (&m.oid, m.suffix.as_slice())),
            };
            if let Some((oid, suffix)) = col {
                out.push((f, oid, suffix));
            }
        }
        out
    }

    fn measure(&self, f: Field) -> Option<&Measure> {
        match f {
            Field::OnuRx => self.onu_rx.as_ref(),
            Field::OnuTx => self.onu_tx.as_ref(),
            Field::OltRx => self.olt_rx.as_ref(),
            Field::Temperature => self.temperature.as_ref(),
            Field::Voltage => self.voltage.as_ref(),
            Field::Bias => self.bias.as_ref(),
            Field::Distance => self.distance.as_ref(),
            _ => None,
        }
    }

    /// Where the ONU of a row index sits: from the index's bits, or for
    /// [`IndexDecoding::IfName`] from the port names.
    pub fn locate(&self, index: &[u32], ports: &PortNames) -> Option<OnuLocation> {
        match (self.index, index) {
            (IndexDecoding::IfName, &[if_index, onu_id]) => Some(OnuLocation {
                index: index.to_vec(),
                pon_port: ports.get(if_index)?,
                onu_id,
            }),
            (IndexDecoding::IfName, _) => None,
            (d, _) => d.decode(index),
        }
    }

    /// The index prefix that selects one PON port's rows.
    pub fn port_index(&self, port: PonPort, ports: &PortNames) -> Option<Vec<u32>> {
        match self.index {
            IndexDecoding::IfName => ports.if_index(port).map(|i| vec![i]),
            d => d.port_prefix(port),
        }
    }

    /// The row index of an instance OID of `field`'s column (column OID and suffix stripped).
    pub fn row_index(&self, field: Field, oid: &Oid) -> Option<Vec<u32>> {
        let cols = self.columns(&[field]);
        let (_, col, suffix) = cols.into_iter().find(|(f, _, _)| *f == field)?;
        let rest = oid.suffix(col)?;
        let idx = rest.strip_suffix(suffix)?;
        (!idx.is_empty()).then(|| idx.to_vec())
    }

    /// Decodes one row into the record the hub uses. `None` when the index does not decode or
    /// the serial is missing or unreadable. `ports` is only read by
    /// [`IndexDecoding::IfName`] profiles.
    pub fn decode_row(
        &self,
        olt: &str,
        index: &[u32],
        row: &Row,
        ports: &PortNames,
        polled_at: DateTime<Utc>,
    ) -> Option<OpticalStatus> {
        let loc = self.locate(index, ports)?;
        let serial = row
            .get(Field::Serial)
            .and_then(|v| v.as_bytes())
            .and_then(Serial::from_octets)?;
        let mut status = row
            .get(Field::Status)
            .and_then(Value::as_i64)
            .map_or(OnuStatus::Unknown, |raw| self.status.map(raw));
        let last_down_cause = match (&self.down_cause, row.get(Field::DownCause)) {
            (Some(c), Some(v)) => v.as_i64().and_then(|raw| c.map(raw)),
            _ => None,
        };
        if status == OnuStatus::Offline
            && let Some(cause) = &last_down_cause
        {
            if cause.is_los() {
                status = OnuStatus::Los;
            } else if cause.is_dying_gasp() {
                status = OnuStatus::DyingGasp;
            }
        }
        let online = status.is_online();
        let m = |f: Field| -> Option<f64> {
            if !online {
                return None;
            }
            self.measure(f)
                .zip(row.get(f))
                .and_then(|(m, v)| m.convert(v))
        };
        Some(OpticalStatus {
            serial,
            olt: olt.to_owned(),
            pon_port: loc.pon_port,
            onu_id: loc.onu_id,
            status,
            last_down_cause,
            onu_rx_dbm: m(Field::OnuRx),
            onu_tx_dbm: m(Field::OnuTx),
            olt_rx_dbm: m(Field::OltRx),
            temperature_c: m(Field::Temperature),
            voltage_v: m(Field::Voltage),
            bias_ma: m(Field::Bias),
            distance_m: m(Field::Distance),
            polled_at,
        })
    }

    /// Decodes every ONU row present in a set of (OID, value) pairs, such as a
    /// [`Recording`](crate::snmprec::Recording): rows in index order. Port names, for
    /// [`IndexDecoding::IfName`], are taken from the `ifName` entries among the pairs.
    pub fn decode_all<'a>(
        &self,
        olt: &str,
        pairs: impl IntoIterator<Item = (&'a Oid, &'a Value)>,
        polled_at: DateTime<Utc>,
    ) -> Vec<OpticalStatus> {
        let pairs: Vec<(&Oid, &Value)> = pairs.into_iter().collect();
        let ports = PortNames::from_pairs(pairs.iter().copied());
        self.decode_with_ports(olt, pairs, &ports, polled_at)
    }

    /// Decodes every ONU row present in `pairs` (the result of column walks), with the port
    /// names given: rows in index order.
    pub fn decode_with_ports<'a>(
        &self,
        olt: &str,
        pairs: impl IntoIterator<Item = (&'a Oid, &'a Value)>,
        ports: &PortNames,
        polled_at: DateTime<Utc>,
    ) -> Vec<OpticalStatus> {
        let cols = self.columns(&Field::ALL);
        let mut rows: BTreeMap<Vec<u32>, Row> = BTreeMap::new();
        for (oid, value) in pairs {
            for (f, col, suffix) in &cols {
                if let Some(idx) = oid.suffix(col).and_then(|r| r.strip_suffix(*suffix))
                    && !idx.is_empty()
                {
                    rows.entry(idx.to_vec()).or_default().set(*f, value.clone());
                }
            }
        }
        rows.iter()
            .filter_map(|(idx, row)| self.decode_row(olt, idx, row, ports, polled_at))
            .collect()
    }
}

/// The values of one ONU row, by field.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Row {
    values: [Option<Value>; Field::ALL.len()],
}

impl Row {
    /// Sets a field's value.
    pub fn set(&mut self, field: Field, value: Value) {
        if let Some(slot) = self.values.get_mut(field.slot()) {
            *slot = Some(value);
        }
    }

    /// A field's value.
    pub fn get(&self, field: Field) -> Option<&Value> {
        self.values.get(field.slot()).and_then(Option::as_ref)
    }
}

/// The profiles an [`Olt`](crate::Olt) can use: profiles from configuration first, then the
/// built-in ones. Cheap to clone.
#[derive(Debug, Clone)]
pub struct ProfileSet {
    profiles: Arc<Vec<Profile>>,
}

impl Default for ProfileSet {
    fn default() -> Self {
        Self::builtin()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileFile {
    #[serde(default)]
    profile: Vec<Profile>,
}

impl ProfileSet {
    /// The built-in profiles.
    pub fn builtin() -> Self {
        let profiles = BUILTIN
            .iter()
            .filter_map(|(_, t)| Profile::from_toml(t).ok())
            .collect();
        Self {
            profiles: Arc::new(profiles),
        }
    }

    /// Adds the profiles of a TOML file (`[[profile]]` tables). They take precedence over the
    /// profiles already in the set, for detection and by name.
    pub fn load_toml(&self, text: &str) -> Result<Self> {
        let file: ProfileFile = toml::from_str(text)
            .map_err(|e| Error::Config(format!("vendor profiles: {}", e.message())))?;
        let mut profiles = Vec::with_capacity(file.profile.len() + self.profiles.len());
        for p in file.profile {
            p.validate()?;
            profiles.push(p);
        }
        profiles.extend(self.profiles.iter().cloned());
        Ok(Self {
            profiles: Arc::new(profiles),
        })
    }

    /// Adds one profile, ahead of the others.
    pub fn with(&self, profile: Profile) -> Self {
        let mut profiles = vec![profile];
        profiles.extend(self.profiles.iter().cloned());
        Self {
            profiles: Arc::new(profiles),
        }
    }

    /// A profile by name.
    pub fn get(&self, name: &str) -> Option<&Profile> {
        self.profiles.iter().find(|p| p.name == name)
    }

    /// The first profile that recognises the agent.
    pub fn detect(&self, sys_object_id: &Oid, sys_descr: &str) -> Option<&Profile> {
        self.profiles
            .iter()
            .find(|p| p.matches(sys_object_id, sys_descr))
    }

    /// Every profile, in precedence order.
    pub fn iter(&self) -> impl Iterator<Item = &Profile> {
        self.profiles.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oid(s: &str) -> Oid {
        s.parse().unwrap()
    }

    #[test]
    fn every_builtin_profile_parses() {
        for name in Profile::builtin_names() {
            let (_, text) = BUILTIN.iter().find(|(n, _)| *n == name).unwrap();
            let p = Profile::from_toml(text).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(p.name, name);
        }
        assert_eq!(ProfileSet::builtin().iter().count(), BUILTIN.len());
    }

    #[test]
    fn huawei_index_decodes_frame_slot_port_as_mibs_md_gives_it() {
        let d = IndexDecoding::Huawei;
        assert_eq!(
            d.decode(&[4194312192, 3]).unwrap().pon_port,
            PonPort::new(0, 1, 0)
        );
        assert_eq!(
            d.decode(&[4194312448, 0]).unwrap().pon_port,
            PonPort::new(0, 1, 1)
        );
        assert_eq!(
            d.decode(&[4194320384, 0]).unwrap().pon_port,
            PonPort::new(0, 2, 0)
        );
        // 4194304000 + frame*524288 + slot*8192 + port*256
        let loc = d
            .decode(&[4194304000 + 524288 + 3 * 8192 + 7 * 256, 127])
            .unwrap();
        assert_eq!((loc.pon_port, loc.onu_id), (PonPort::new(1, 3, 7), 127));
        assert!(d.decode(&[4194312192]).is_none());
        assert!(d.decode(&[4194312192, 1, 1]).is_none());
        for port in [
            PonPort::new(0, 1, 0),
            PonPort::new(0, 2, 15),
            PonPort::new(1, 3, 7),
        ] {
            let prefix = d.port_prefix(port).unwrap();
            assert_eq!(d.decode(&[prefix[0], 1]).unwrap().pon_port, port);
        }
        assert_eq!(d.port_prefix(PonPort::new(0, 1, 0)), Some(vec![4194312192]));
    }

    #[test]
    fn zte_index_decodes_shelf_slot_port_as_mibs_md_gives_it() {
        let d = IndexDecoding::Zte;
        let loc = d.decode(&[268501248, 3]).unwrap();
        assert_eq!((loc.pon_port, loc.onu_id), (PonPort::new(1, 1, 1), 3));
        assert_eq!(
            d.decode(&[268566784, 1]).unwrap().pon_port,
            PonPort::new(1, 2, 1)
        );
        assert_eq!(
            d.decode(&[268632320, 1]).unwrap().pon_port,
            PonPort::new(1, 3, 1)
        );
        assert_eq!(
            d.decode(&[0x1001_0300, 1]).unwrap().pon_port,
            PonPort::new(1, 1, 3)
        );
        assert_eq!(d.port_prefix(PonPort::new(1, 1, 1)), Some(vec![268501248]));
        assert_eq!(d.port_prefix(PonPort::new(0, 1, 1)), None);
    }

    #[test]
    fn pair_and_quad_indexes_use_the_numbers_as_given() {
        let loc = IndexDecoding::Pair.decode(&[4, 17]).unwrap();
        assert_eq!((loc.pon_port, loc.onu_id), (PonPort::new(0, 0, 4), 17));
        let loc = IndexDecoding::Quad.decode(&[1, 2, 3, 4]).unwrap();
        assert_eq!((loc.pon_port, loc.onu_id), (PonPort::new(1, 2, 3), 4));
        assert!(IndexDecoding::Quad.decode(&[1, 2, 3]).is_none());
    }

    #[test]
    fn huawei_scaling_and_sentinels() {
        let p = Profile::builtin("huawei-ma5800").unwrap();
        let rx = p.onu_rx.as_ref().unwrap();
        assert_eq!(rx.convert(&Value::Integer(-2249)), Some(-22.49));
        assert_eq!(rx.convert(&Value::Integer(2147483647)), None);
        assert_eq!(
            rx.convert(&Value::Integer(-6000)),
            None,
            "−60 dBm is out of range"
        );
        let olt_rx = p.olt_rx.as_ref().unwrap();
        assert_eq!(olt_rx.convert(&Value::Integer(7655)), Some(-23.45));
        assert_eq!(
            p.voltage.as_ref().unwrap().convert(&Value::Integer(3250)),
            Some(3.25)
        );
        assert_eq!(
            p.temperature.as_ref().unwrap().convert(&Value::Integer(53)),
            Some(53.0)
        );
        assert_eq!(
            p.bias.as_ref().unwrap().convert(&Value::Integer(13)),
            Some(13.0)
        );
        assert_eq!(
            p.distance.as_ref().unwrap().convert(&Value::Integer(-1)),
            None
        );
        assert_eq!(
            p.distance.as_ref().unwrap().convert(&Value::Integer(1786)),
            Some(1786.0)
        );
    }

    #[test]
    fn zte_scaling_and_sentinels() {
        let p = Profile::builtin("zte-c300").unwrap();
        let rx = p.onu_rx.as_ref().unwrap();
        assert_eq!(rx.convert(&Value::Integer(3755)), Some(-22.49));
        assert_eq!(rx.convert(&Value::Integer(65535)), None);
        assert_eq!(
            p.olt_rx.as_ref().unwrap().convert(&Value::Integer(-23450)),
            Some(-23.45)
        );
        assert_eq!(
            p.olt_rx.as_ref().unwrap().convert(&Value::Integer(-80000)),
            None
        );
        assert_eq!(
            p.voltage.as_ref().unwrap().convert(&Value::Integer(162)),
            Some(3.24)
        );
        assert_eq!(
            p.bias.as_ref().unwrap().convert(&Value::Integer(6550)),
            Some(13.1)
        );
        assert_eq!(
            p.temperature
                .as_ref()
                .unwrap()
                .convert(&Value::Integer(13568)),
            Some(53.0)
        );
        assert_eq!(
            p.distance.as_ref().unwrap().convert(&Value::Integer(0)),
            None
        );
    }

    #[test]
    fn text_measures_parse_the_number_out() {
        let p = Profile::builtin("vsol-v1600g").unwrap();
        let rx = p.onu_rx.as_ref().unwrap();
        assert_eq!(
            rx.convert(&Value::OctetString(b"-20.51".to_vec())),
            Some(-20.51)
        );
        assert_eq!(
            rx.convert(&Value::OctetString(b"-20.51(dBm)".to_vec())),
            Some(-20.51)
        );
        assert_eq!(
            rx.convert(&Value::OctetString(b" -8.2 dBm".to_vec())),
            Some(-8.2)
        );
        assert_eq!(rx.convert(&Value::OctetString(b"N/A".to_vec())), None);
        assert_eq!(rx.convert(&Value::OctetString(Vec::new())), None);
        assert_eq!(rx.convert(&Value::OctetString(b"-".to_vec())), None);
    }

    #[test]
    fn status_and_down_cause_mapping() {
        let hw = Profile::builtin("huawei-ma5800").unwrap();
        assert_eq!(hw.status.map(1), OnuStatus::Online);
        assert_eq!(hw.status.map(2), OnuStatus::Offline);
        assert_eq!(hw.status.map(-1), OnuStatus::Unknown);
        let dc = hw.down_cause.as_ref().unwrap();
        assert_eq!(dc.map(1).unwrap().as_str(), "los");
        assert_eq!(dc.map(13).unwrap().as_str(), "dying-gasp");
        assert_eq!(dc.map(99).unwrap().as_str(), "code-99");
        assert_eq!(dc.map(-1), None);
        let zte = Profile::builtin("zte-c300").unwrap();
        let expect = [
            (0, OnuStatus::Offline),
            (1, OnuStatus::Los),
            (2, OnuStatus::Offline),
            (3, OnuStatus::Online),
            (4, OnuStatus::DyingGasp),
            (5, OnuStatus::Offline),
            (6, OnuStatus::Offline),
            (7, OnuStatus::Unknown),
        ];
        for (raw, want) in expect {
            assert_eq!(zte.status.map(raw), want, "ZTE phase state {raw}");
        }
    }

    #[test]
    fn offline_huawei_ont_takes_its_state_from_the_down_cause_and_loses_its_optics() {
        let p = Profile::builtin("huawei-ma5800").unwrap();
        let mut row = Row::default();
        row.set(
            Field::Serial,
            Value::OctetString(vec![0x54, 0x50, 0x4c, 0x47, 0xb3, 0x35, 0xf9, 0x85]),
        );
        row.set(Field::Status, Value::Integer(2));
        row.set(Field::DownCause, Value::Integer(13));
        row.set(Field::OnuRx, Value::Integer(-2000));
        row.set(Field::Distance, Value::Integer(1200));
        let s = p
            .decode_row(
                "olt",
                &[4194312192, 3],
                &row,
                &PortNames::default(),
                DateTime::UNIX_EPOCH,
            )
            .unwrap();
        assert_eq!(s.status, OnuStatus::DyingGasp);
        assert_eq!(s.serial.as_str(), "TPLGB335F985");
        assert_eq!(
            s.onu_rx_dbm, None,
            "no optics for an ONU that is not online"
        );
        assert_eq!(s.distance_m, None);
        row.set(Field::DownCause, Value::Integer(1));
        let s = p
            .decode_row(
                "olt",
                &[4194312192, 3],
                &row,
                &PortNames::default(),
                DateTime::UNIX_EPOCH,
            )
            .unwrap();
        assert_eq!(s.status, OnuStatus::Los);
        row.set(Field::DownCause, Value::Integer(9));
        let s = p
            .decode_row(
                "olt",
                &[4194312192, 3],
                &row,
                &PortNames::default(),
                DateTime::UNIX_EPOCH,
            )
            .unwrap();
        assert_eq!(s.status, OnuStatus::Offline);
        assert_eq!(s.last_down_cause.unwrap().as_str(), "reset");
    }

    #[test]
    fn detection_uses_object_id_and_descr() {
        let set = ProfileSet::builtin();
        let hw = set.detect(
            &oid("1.3.6.1.4.1.2011.2.248"),
            "Huawei Integrated Access Software (MA5800-X7)",
        );
        assert_eq!(hw.unwrap().name, "huawei-ma5800");
        let zte = set.detect(
            &oid("1.3.6.1.4.1.3902.1082.1001.9999"),
            "ZXA10 C300, ZTE ZXA10 Software",
        );
        assert_eq!(zte.unwrap().name, "zte-c300");
        assert!(
            set.detect(&oid("1.3.6.1.4.1.3902.1082.1001.9999"), "ZXA10 C600")
                .is_none()
        );
        assert!(
            set.detect(&oid("1.3.6.1.4.1.8072.3.2.10"), "Linux")
                .is_none()
        );
        assert_eq!(
            set.detect(&oid("1.3.6.1.4.1.37950.1"), "").unwrap().name,
            "vsol-v1600g"
        );
    }

    #[test]
    fn profiles_from_config_come_first_and_bad_config_is_an_error() {
        let text = r#"
            [[profile]]
            name = "zte-c600-lab"
            vendor = "zte"
            index = "zte"
            detect = { sys_object_id = ["1.3.6.1.4.1.3902.1082"], sys_descr = ["C600"] }
            serial = { oid = "1.3.6.1.4.1.3902.1082.500.10.2.3.3.1.18" }
            status = { oid = "1.3.6.1.4.1.3902.1082.500.10.2.3.8.1.4", online = [4], los = [2], dying_gasp = [5], offline = [1, 3, 6, 7] }
            onu_rx = { oid = "1.3.6.1.4.1.3902.1082.500.20.2.2.2.1.10", suffix = [1], scale = 0.002, offset = -30.0, sentinels = [65535] }
        "#;
        let set = ProfileSet::builtin().load_toml(text).unwrap();
        let p = set
            .detect(&oid("1.3.6.1.4.1.3902.1082.1001.9999"), "ZXA10 C600")
            .unwrap();
        assert_eq!(p.name, "zte-c600-lab");
        assert_eq!(p.status.map(4), OnuStatus::Online);
        assert!(set.get("huawei-ma5800").is_some());

        let err = ProfileSet::builtin()
            .load_toml("[[profile]]\nname = \"x\"\n")
            .unwrap_err();
        assert!(matches!(err, Error::Config(_)), "{err}");
        let err = ProfileSet::builtin()
            .load_toml("[[profile]]\nname=\"x\"\nvendor=\"v\"\nindex=\"huawei\"\nserial={oid=\"5.1\"}\nstatus={oid=\"1.3.6\"}\n")
            .unwrap_err();
        assert!(err.to_string().contains("cannot be sent"), "{err}");
        assert!(Profile::from_toml("name = 1").is_err());
    }

    #[test]
    fn row_index_strips_column_and_suffix() {
        let p = Profile::builtin("zte-c300").unwrap();
        let o = oid("1.3.6.1.4.1.3902.1012.3.50.12.1.1.10.268501248.3.1");
        assert_eq!(p.row_index(Field::OnuRx, &o), Some(vec![268501248, 3]));
        assert_eq!(p.row_index(Field::Serial, &o), None);
    }
}

#[cfg(test)]
mod if_name_tests {
    use super::*;

    #[test]
    fn ifname_profiles_take_the_port_from_the_interface_name() {
        let mut rec = crate::snmprec::Recording::parse(
            "1.3.6.1.2.1.31.1.1.1.1.285278465|4|gpon_olt-1/1/1\n\
             1.3.6.1.2.1.31.1.1.1.1.285278466|4|gpon_olt-1/1/2\n\
             1.3.6.1.2.1.31.1.1.1.1.1000|4|gei_1/1/1\n\
             1.3.6.1.4.1.9.1.1.285278466.7|4x|5a544547c55642cf\n\
             1.3.6.1.4.1.9.1.2.285278466.7|2|4\n",
        )
        .unwrap();
        rec.set(
            "1.3.6.1.4.1.9.1.3.285278466.7".parse().unwrap(),
            Value::Integer(-21500),
        );
        let p = Profile::from_toml(
            r#"
            name = "ifname-test"
            vendor = "test"
            index = "ifname"
            serial = { oid = "1.3.6.1.4.1.9.1.1" }
            status = { oid = "1.3.6.1.4.1.9.1.2", online = [4] }
            onu_rx = { oid = "1.3.6.1.4.1.9.1.3", scale = 0.001 }
            "#,
        )
        .unwrap();
        let all = p.decode_all("lab", rec.iter(), DateTime::UNIX_EPOCH);
        assert_eq!(all.len(), 1);
        assert_eq!((all[0].pon_port, all[0].onu_id), (PonPort::new(1, 1, 2), 7));
        assert_eq!(all[0].onu_rx_dbm, Some(-21.5));

        let names = PortNames::from_pairs(rec.iter());
        assert_eq!(names.len(), 2, "the Ethernet port is not a PON port");
        assert_eq!(
            p.port_index(PonPort::new(1, 1, 1), &names),
            Some(vec![285278465])
        );
        assert_eq!(p.port_index(PonPort::new(1, 1, 9), &names), None);
        assert!(
            p.locate(&[285278999, 1], &names).is_none(),
            "unknown ifIndex"
        );
        assert!(IndexDecoding::IfName.decode(&[285278465, 1]).is_none());
    }
}
