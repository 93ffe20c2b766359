//! What the crate reports: serials, ONU locations, statuses and the [`OpticalStatus`] record.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A GPON serial number in its display form: 4 vendor characters and 8 upper-case hex digits
/// (`HWTC7C9A0A9B`).
///
/// [`Serial::parse`] accepts the three forms agents and operators use: the display form (any
/// case), 16 hex digits (`485754437C9A0A9B`, optionally with `0x`, spaces, `-` or `:`), and
/// [`Serial::from_octets`] the raw 8 octets of the MIB's `OCTET STRING(8)`. Two serials compare
/// equal when their display forms do.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Serial(String);

/// Text or octets that are not a GPON serial.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a GPON serial (4 vendor characters + 8 hex digits): {0:?}")]
pub struct InvalidSerial(pub String);

fn vendor_ok(b: &[u8]) -> bool {
    b.len() == 4 && b.iter().all(u8::is_ascii_alphanumeric)
}

impl Serial {
    /// Parses a serial from text: `HWTC7C9A0A9B`, `hwtc7c9a0a9b`, `485754437C9A0A9B`,
    /// `0x48 57 54 43 7c 9a 0a 9b`.
    pub fn parse(text: &str) -> Result<Self, InvalidSerial> {
        let bad = || InvalidSerial(text.to_owned());
        let compact = |t: &str| -> String {
            t.chars()
                .filter(|c| !matches!(c, ' ' | '-' | ':'))
                .collect()
        };
        let t = text.trim();
        // The text form first: a vendor id may itself begin with `0X`.
        let whole = compact(t);
        if !whole.is_ascii() {
            return Err(bad());
        }
        if whole.len() == 12 {
            let (vendor, rest) = whole.split_at(4);
            if vendor_ok(vendor.as_bytes()) && rest.chars().all(|c| c.is_ascii_hexdigit()) {
                return Ok(Self(whole.to_ascii_uppercase()));
            }
        }
        let hex = compact(
            t.strip_prefix("0x")
                .or_else(|| t.strip_prefix("0X"))
                .unwrap_or(t),
        );
        if hex.len() == 16 {
            let bytes = crate::snmprec::decode_hex(&hex).ok_or_else(bad)?;
            return Self::from_raw_octets(&bytes).ok_or_else(bad);
        }
        Err(bad())
    }

    /// Decodes the serial column's value: 8 raw octets (4 ASCII + 4 binary) or, for agents that
    /// return text, any form [`Serial::parse`] accepts.
    pub fn from_octets(bytes: &[u8]) -> Option<Self> {
        if bytes.len() == 8
            && let Some(s) = Self::from_raw_octets(bytes)
        {
            return Some(s);
        }
        std::str::from_utf8(bytes)
            .ok()
            .and_then(|t| Self::parse(t).ok())
    }

    fn from_raw_octets(bytes: &[u8]) -> Option<Self> {
        let (vendor, id) = bytes.split_at_checked(4)?;
        if id.len() != 4 || !vendor_ok(vendor) {
            return None;
        }
        let mut s = String::with_capacity(12);
        for b in vendor {
            s.push(char::from(b.to_ascii_uppercase()));
        }
        for b in id {
            s.push_str(&format!("{b:02X}"));
        }
        Some(Self(s))
    }

    /// The display form, `HWTC7C9A0A9B`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 4 vendor characters (`HWTC`).
    pub fn vendor(&self) -> &str {
        self.0.get(..4).unwrap_or("")
    }
}

impl FromStr for Serial {
    type Err = InvalidSerial;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for Serial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Serial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Serial({})", self.0)
    }
}

impl Serialize for Serial {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Serial {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A PON port as the OLT's CLI names it: `shelf/slot/port` (Huawei `frame/slot/port`, `0/1/0`;
/// ZTE `1/1/1` for `gpon-olt_1/1/1`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PonPort {
    /// Frame (Huawei) or shelf (ZTE, 1-based as in the CLI).
    pub shelf: u32,
    /// Slot (board).
    pub slot: u32,
    /// Port on the board.
    pub port: u32,
}

impl PonPort {
    /// A port from its three numbers.
    pub fn new(shelf: u32, slot: u32, port: u32) -> Self {
        Self { shelf, slot, port }
    }
}

impl fmt::Display for PonPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.shelf, self.slot, self.port)
    }
}

impl fmt::Debug for PonPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PonPort({self})")
    }
}

/// Text that is not `a/b/c`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a PON port (shelf/slot/port): {0:?}")]
pub struct InvalidPonPort(pub String);

impl FromStr for PonPort {
    type Err = InvalidPonPort;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || InvalidPonPort(s.to_owned());
        let t = s.trim();
        // Accept interface names: `gpon-olt_1/1/1`, `gpon_olt-1/1/1`, `GPON 0/1/0`: the
        // trailing digits and slashes.
        let start = t
            .char_indices()
            .rev()
            .find(|(_, c)| !(c.is_ascii_digit() || *c == '/'))
            .map_or(0, |(i, c)| i + c.len_utf8());
        let t = t.get(start..).unwrap_or(t);
        let mut it = t.split('/').map(|p| p.parse::<u32>().map_err(|_| bad()));
        match (it.next(), it.next(), it.next(), it.next()) {
            (Some(a), Some(b), Some(c), None) => Ok(Self::new(a?, b?, c?)),
            _ => Err(bad()),
        }
    }
}

impl Serialize for PonPort {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PonPort {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Where an ONU sits: its PON port, its id on the port, and the table index that addresses it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OnuLocation {
    /// The instance suffix of the ONU's row in the vendor tables (`4194312192.3`).
    pub index: Vec<u32>,
    /// The PON port.
    pub pon_port: PonPort,
    /// The ONU id on the port (Huawei ontId from 0, ZTE onuId from 1).
    pub onu_id: u32,
}

/// An ONU's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnuStatus {
    /// Registered and working.
    Online,
    /// Not working, cause unknown or administrative.
    Offline,
    /// Down with loss of signal (fibre cut, unplugged).
    Los,
    /// Down after a dying gasp (power loss at the customer).
    #[serde(rename = "dyinggasp")]
    DyingGasp,
    /// The agent reported no usable state.
    Unknown,
}

impl OnuStatus {
    /// Whether the ONU is online.
    pub fn is_online(self) -> bool {
        self == OnuStatus::Online
    }

    /// The lower-case name used in JSON (`online`, `dyinggasp`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            OnuStatus::Online => "online",
            OnuStatus::Offline => "offline",
            OnuStatus::Los => "los",
            OnuStatus::DyingGasp => "dyinggasp",
            OnuStatus::Unknown => "unknown",
        }
    }
}

impl FromStr for OnuStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(
            match s
                .trim()
                .to_ascii_lowercase()
                .replace(['-', '_', ' '], "")
                .as_str()
            {
                "online" => Self::Online,
                "offline" => Self::Offline,
                "los" => Self::Los,
                "dyinggasp" => Self::DyingGasp,
                "unknown" => Self::Unknown,
                _ => return Err(format!("unknown ONU status {s:?}")),
            },
        )
    }
}

/// Why an ONU last went down, as the vendor's profile names the code (`los`, `dying-gasp`,
/// `reset-by-button`, ...). Codes a profile does not name read `code-<n>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DownCause(pub String);

impl DownCause {
    /// Loss of signal.
    pub const LOS: &'static str = "los";
    /// Dying gasp (power failure).
    pub const DYING_GASP: &'static str = "dying-gasp";

    /// Whether the cause is loss of signal.
    pub fn is_los(&self) -> bool {
        self.0 == Self::LOS
    }

    /// Whether the cause is a dying gasp.
    pub fn is_dying_gasp(&self) -> bool {
        self.0 == Self::DYING_GASP
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DownCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One ONU's reading: the record the hub stores and shows as `opticalStatus`.
///
/// Serialized camelCase; readings the agent did not give (sentinels, out of range, or an ONU
/// that is not online) are `None` and left out of the JSON. Optical levels and distance are
/// never reported for an ONU that is not online.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OpticalStatus {
    /// The ONU's serial.
    pub serial: Serial,
    /// The OLT's name, as given to [`OltBuilder`](crate::OltBuilder).
    pub olt: String,
    /// The PON port.
    pub pon_port: PonPort,
    /// The ONU id on the port.
    pub onu_id: u32,
    /// The state.
    pub status: OnuStatus,
    /// Why the ONU last went down.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_down_cause: Option<DownCause>,
    /// Power the ONU receives (downstream), dBm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub onu_rx_dbm: Option<f64>,
    /// Power the ONU transmits (upstream), dBm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub onu_tx_dbm: Option<f64>,
    /// Power the OLT receives from this ONU, dBm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub olt_rx_dbm: Option<f64>,
    /// ONU transceiver temperature, °C.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature_c: Option<f64>,
    /// ONU transceiver supply voltage, V.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voltage_v: Option<f64>,
    /// ONU laser bias current, mA.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bias_ma: Option<f64>,
    /// Fibre distance from the OLT, metres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distance_m: Option<f64>,
    /// When the reading was taken.
    pub polled_at: DateTime<Utc>,
}

/// How good an ONU's signal is, from [`SignalThresholds::verdict`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SignalQuality {
    /// Within the thresholds.
    Good,
    /// Below the weak threshold: working, but with little margin.
    Weak,
    /// Below the critical threshold: errors or drop-outs are likely.
    Critical,
    /// Above the overload threshold: the receiver is saturated (missing attenuator).
    Overload,
    /// No level to judge (the ONU is not online, or its agent gave no reading).
    Unknown,
}

/// Receive-power thresholds for [`SignalQuality`], in dBm.
///
/// Defaults: weak below −27, critical below −30, overload above −8 (GPON class B+ receivers).
/// Both the ONU's and the OLT's receive levels are judged; the worse verdict wins.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignalThresholds {
    /// Below this level the signal is weak.
    pub weak_below_dbm: f64,
    /// Below this level the signal is critical.
    pub critical_below_dbm: f64,
    /// Above this level the receiver is overloaded.
    pub overload_above_dbm: f64,
}

impl Default for SignalThresholds {
    fn default() -> Self {
        Self {
            weak_below_dbm: -27.0,
            critical_below_dbm: -30.0,
            overload_above_dbm: -8.0,
        }
    }
}

impl SignalThresholds {
    /// Judges one level.
    pub fn judge(&self, dbm: f64) -> SignalQuality {
        if dbm < self.critical_below_dbm {
            SignalQuality::Critical
        } else if dbm < self.weak_below_dbm {
            SignalQuality::Weak
        } else if dbm > self.overload_above_dbm {
            SignalQuality::Overload
        } else {
            SignalQuality::Good
        }
    }

    /// Judges an ONU: `Unknown` unless it is online with at least one receive level; otherwise
    /// the worse of the ONU rx and OLT rx verdicts.
    pub fn verdict(&self, s: &OpticalStatus) -> SignalQuality {
        if !s.status.is_online() {
            return SignalQuality::Unknown;
        }
        let rank = |q: SignalQuality| match q {
            SignalQuality::Good => 0,
            SignalQuality::Weak => 1,
            SignalQuality::Overload => 2,
            SignalQuality::Critical => 3,
            SignalQuality::Unknown => -1,
        };
        [s.onu_rx_dbm, s.olt_rx_dbm]
            .into_iter()
            .flatten()
            .map(|d| self.judge(d))
            .max_by_key(|q| rank(*q))
            .unwrap_or(SignalQuality::Unknown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_accepts_text_hex_and_octets_and_normalises_case() {
        let want = "HWTC7C9A0A9B";
        assert_eq!(Serial::parse("HWTC7C9A0A9B").unwrap().as_str(), want);
        assert_eq!(Serial::parse(" hwtc7c9a0a9b ").unwrap().as_str(), want);
        assert_eq!(Serial::parse("485754437C9A0A9B").unwrap().as_str(), want);
        assert_eq!(
            Serial::parse("0x48 57 54 43 7c 9a 0a 9b").unwrap().as_str(),
            want
        );
        assert_eq!(
            Serial::parse("48:57:54:43:7C:9A:0A:9B").unwrap().as_str(),
            want
        );
        let octets = [0x48, 0x57, 0x54, 0x43, 0x7C, 0x9A, 0x0A, 0x9B];
        assert_eq!(Serial::from_octets(&octets).unwrap().as_str(), want);
        assert_eq!(Serial::from_octets(b"HWTC7C9A0A9B").unwrap().as_str(), want);
        assert_eq!(
            Serial::from_octets(b"485754437c9a0a9b").unwrap().as_str(),
            want
        );
        assert_eq!(
            Serial::parse("hwtc7c9a0a9b").unwrap(),
            Serial::parse("HWTC7C9A0A9B").unwrap()
        );
        assert_eq!(Serial::parse(want).unwrap().vendor(), "HWTC");
        // A vendor id that begins like a hex prefix is still the text form.
        assert_eq!(
            Serial::parse("0x1e1751f9b0").unwrap().as_str(),
            "0X1E1751F9B0"
        );
    }

    #[test]
    fn serial_refuses_what_is_not_a_serial() {
        for bad in [
            "",
            "HWTC",
            "HWTC7C9A0A9",
            "HWTC7C9A0A9BX",
            "HW-C7C9A0A9",
            "HWTCZZ9A0A9B",
            "00000000deadbeef",
        ] {
            assert!(Serial::parse(bad).is_err(), "{bad:?}");
        }
        // 12 bytes of multi-byte text must not be split inside a character.
        assert!(Serial::parse("€€€€").is_err());
        assert!(Serial::parse("€€€€€€€€").is_err());
        assert!(Serial::from_octets(&[0, 1, 2, 3, 4, 5, 6, 7]).is_none());
        assert!(Serial::from_octets(&[0x48, 0x57, 0x54]).is_none());
    }

    #[test]
    fn pon_port_parses_cli_names() {
        assert_eq!("0/1/0".parse::<PonPort>().unwrap(), PonPort::new(0, 1, 0));
        assert_eq!(
            "gpon-olt_1/2/3".parse::<PonPort>().unwrap(),
            PonPort::new(1, 2, 3)
        );
        assert_eq!(
            "GPON 0/1/2".parse::<PonPort>().unwrap(),
            PonPort::new(0, 1, 2)
        );
        assert!("0/1".parse::<PonPort>().is_err());
        assert!("0/1/x".parse::<PonPort>().is_err());
    }

    fn status(status: OnuStatus, rx: Option<f64>, olt_rx: Option<f64>) -> OpticalStatus {
        OpticalStatus {
            serial: Serial::parse("HWTC7C9A0A9B").unwrap(),
            olt: "olt".to_owned(),
            pon_port: PonPort::new(0, 1, 0),
            onu_id: 1,
            status,
            last_down_cause: None,
            onu_rx_dbm: rx,
            onu_tx_dbm: None,
            olt_rx_dbm: olt_rx,
            temperature_c: None,
            voltage_v: None,
            bias_ma: None,
            distance_m: None,
            polled_at: DateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn verdict_uses_the_thresholds_and_the_worse_level() {
        let t = SignalThresholds::default();
        assert_eq!(
            t.verdict(&status(OnuStatus::Online, Some(-20.0), Some(-22.0))),
            SignalQuality::Good
        );
        assert_eq!(
            t.verdict(&status(OnuStatus::Online, Some(-27.5), Some(-22.0))),
            SignalQuality::Weak
        );
        assert_eq!(
            t.verdict(&status(OnuStatus::Online, Some(-20.0), Some(-31.0))),
            SignalQuality::Critical
        );
        assert_eq!(
            t.verdict(&status(OnuStatus::Online, Some(-5.0), None)),
            SignalQuality::Overload
        );
        assert_eq!(
            t.verdict(&status(OnuStatus::Online, None, None)),
            SignalQuality::Unknown
        );
        assert_eq!(
            t.verdict(&status(OnuStatus::Los, Some(-20.0), None)),
            SignalQuality::Unknown
        );
        let strict = SignalThresholds {
            weak_below_dbm: -25.0,
            ..t
        };
        assert_eq!(
            strict.verdict(&status(OnuStatus::Online, Some(-26.0), None)),
            SignalQuality::Weak
        );
    }

    #[test]
    fn absent_readings_are_left_out_of_the_json() {
        let s = status(OnuStatus::Online, Some(-20.5), None);
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["ponPort"], "0/1/0");
        assert_eq!(json["onuRxDbm"], -20.5);
        assert!(json.get("oltRxDbm").is_none());
        assert!(json.get("lastDownCause").is_none());
        assert_eq!(
            serde_json::to_value(OnuStatus::DyingGasp).unwrap(),
            "dyinggasp"
        );
    }
}
