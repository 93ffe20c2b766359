//! Device documents as the NBI returns them, and their parameters, decoded leniently.

mod device_id;
mod snapshot;

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use device_id::DeviceId;
pub use snapshot::{
    DataModel, Host, Identity, MeshHealth, MeshNode, MeshRole, ModemSnapshot, Optical, Radio,
    Section, WanConnection, WifiNetwork,
};

/// `_deviceId`: what the CPE said in its Inform.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DeviceIdentity {
    /// Manufacturer.
    #[serde(rename = "_Manufacturer", default)]
    pub manufacturer: Option<String>,
    /// OUI.
    #[serde(rename = "_OUI", default)]
    pub oui: Option<String>,
    /// Product class as reported (not the model: a TP-Link XX230v says `Device2`).
    #[serde(rename = "_ProductClass", default)]
    pub product_class: Option<String>,
    /// Serial number.
    #[serde(rename = "_SerialNumber", default)]
    pub serial_number: Option<String>,
}

/// A device document: the metadata typed, the parameter tree kept whole in [`tree`](Self::tree)
/// and read with [`param`](Self::param).
///
/// Decoding reads the document once into its tree and lifts the metadata out (no buffering
/// through `#[serde(flatten)]`, which doubles the cost on a full 1,400-parameter tree).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Device {
    /// `_id`.
    #[serde(rename = "_id")]
    pub id: DeviceId,
    /// `_deviceId`.
    #[serde(rename = "_deviceId")]
    pub identity: DeviceIdentity,
    /// Last session start (`_lastInform`).
    #[serde(rename = "_lastInform", with = "lenient_date")]
    pub last_inform: Option<DateTime<Utc>>,
    /// Last boot (`_lastBoot`).
    #[serde(rename = "_lastBoot", with = "lenient_date")]
    pub last_boot: Option<DateTime<Utc>>,
    /// First seen (`_registered`).
    #[serde(rename = "_registered", with = "lenient_date")]
    pub registered: Option<DateTime<Utc>>,
    /// Tags (`_tags`; absent on a device never tagged: empty).
    #[serde(rename = "_tags")]
    pub tags: Vec<String>,
    /// Everything else: the parameter tree (`Device`, `InternetGatewayDevice`, ...).
    #[serde(flatten)]
    pub tree: Map<String, Value>,
}

impl<'de> Deserialize<'de> for Device {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let mut tree = Map::<String, Value>::deserialize(d)?;
        fn field<T: serde::de::DeserializeOwned + Default, E: serde::de::Error>(
            tree: &mut Map<String, Value>,
            name: &str,
        ) -> Result<T, E> {
            match tree.remove(name) {
                None | Some(Value::Null) => Ok(T::default()),
                Some(v) => serde_json::from_value(v).map_err(|e| E::custom(format!("{name}: {e}"))),
            }
        }
        let id = tree
            .remove("_id")
            .ok_or_else(|| D::Error::missing_field("_id"))?;
        let id = serde_json::from_value(id).map_err(|e| D::Error::custom(format!("_id: {e}")))?;
        let mut date = |name: &str| tree.remove(name).as_ref().and_then(lenient_date::parse);
        let (last_inform, last_boot, registered) =
            (date("_lastInform"), date("_lastBoot"), date("_registered"));
        Ok(Self {
            id,
            identity: field(&mut tree, "_deviceId")?,
            last_inform,
            last_boot,
            registered,
            tags: field(&mut tree, "_tags")?,
            tree,
        })
    }
}

/// One parameter leaf: its value, declared type, when it was last refreshed, writability.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Param<T> {
    /// The value, decoded leniently (numbers from JSON numbers or strings, booleans from
    /// booleans or `"true"`/`"1"`, dates from ISO strings or epoch milliseconds).
    pub value: T,
    /// `_type` (`xsd:unsignedLong`, ...), as the CPE reported it.
    pub xsd_type: Option<String>,
    /// `_timestamp`: when GenieACS last refreshed it.
    pub timestamp: Option<DateTime<Utc>>,
    /// `_writable`.
    pub writable: Option<bool>,
}

/// A type a parameter value decodes into.
pub trait ParamValue: Sized {
    /// Decodes a `_value`; `None` when it does not fit.
    fn from_value(v: &Value) -> Option<Self>;
}

impl ParamValue for String {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }
}

impl ParamValue for i64 {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Number(n) => n.as_i64().or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9e15)
                    .map(|f| f as i64)
            }),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }
}

impl ParamValue for u64 {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Number(n) => n.as_u64(),
            // 64-bit counters arrive as strings (xsd:unsignedLong).
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }
}

impl ParamValue for f64 {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse().ok().filter(|f: &f64| f.is_finite()),
            _ => None,
        }
    }
}

impl ParamValue for bool {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Bool(b) => Some(*b),
            Value::Number(n) => n.as_i64().map(|n| n != 0),
            Value::String(s) => match s.trim() {
                "true" | "1" | "True" | "TRUE" => Some(true),
                "false" | "0" | "False" | "FALSE" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }
}

impl ParamValue for DateTime<Utc> {
    fn from_value(v: &Value) -> Option<Self> {
        lenient_date::parse(v)
    }
}

impl Device {
    /// The raw node at a dotted path (`Device.WiFi.SSID.1`); a trailing dot is ignored.
    pub fn node(&self, path: &str) -> Option<&Value> {
        let mut parts = path.trim_end_matches('.').split('.');
        let mut node = self.tree.get(parts.next()?)?;
        for p in parts {
            node = node.get(p)?;
        }
        Some(node)
    }

    /// A parameter leaf decoded as `T`; `None` when absent, not a leaf, or not a `T`.
    ///
    /// ```
    /// # let json = include_str!("../../tests/resources/device-xx230v-online-mesh.json");
    /// let device: genieacs_client::Device = serde_json::from_str(json).unwrap();
    /// let uptime = device.param::<u64>("Device.DeviceInfo.UpTime").unwrap();
    /// assert!(uptime.value > 0);
    /// assert_eq!(uptime.xsd_type.as_deref(), Some("xsd:unsignedInt"));
    /// ```
    pub fn param<T: ParamValue>(&self, path: &str) -> Option<Param<T>> {
        let node = self.node(path)?;
        if node.get("_object").and_then(Value::as_bool) == Some(true) {
            return None;
        }
        Some(Param {
            value: T::from_value(node.get("_value")?)?,
            xsd_type: node.get("_type").and_then(Value::as_str).map(str::to_owned),
            timestamp: node.get("_timestamp").and_then(lenient_date::parse),
            writable: node.get("_writable").and_then(Value::as_bool),
        })
    }

    /// The instance keys of a table object (`Device.WiFi.SSID` → `["1", "2", ...]`), in numeric
    /// order (sparse numbering is normal).
    pub fn instances(&self, path: &str) -> Vec<String> {
        let mut keys: Vec<String> = self
            .node(path)
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter(|(k, v)| !k.starts_with('_') && v.is_object())
                    .map(|(k, _)| k.clone())
                    .collect()
            })
            .unwrap_or_default();
        keys.sort_by_key(|k| (k.parse::<u64>().unwrap_or(u64::MAX), k.clone()));
        keys
    }
}

/// Dates as GenieACS stores them: ISO strings (or, in some third-party tooling, epoch ms).
pub(crate) mod lenient_date {
    use super::*;
    use serde::Serializer;

    pub(crate) fn parse(v: &Value) -> Option<DateTime<Utc>> {
        match v {
            Value::String(s) => DateTime::parse_from_rfc3339(s.trim())
                .ok()
                .map(|d| d.with_timezone(&Utc)),
            Value::Number(n) => n
                .as_i64()
                .and_then(|ms| Utc.timestamp_millis_opt(ms).single()),
            _ => None,
        }
    }

    pub(crate) fn serialize<S: Serializer>(
        v: &Option<DateTime<Utc>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match v {
            Some(d) => s.serialize_str(&d.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
            None => s.serialize_none(),
        }
    }
}
