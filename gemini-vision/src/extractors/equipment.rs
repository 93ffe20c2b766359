//! [`EquipmentLabel`]: what the label of an ONT, a router or an access point says.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::checks::{normalize_gpon_serial, normalize_mac};
use super::{Extractor, Flag, Kind, Problem};

/// The label of a piece of network equipment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct EquipmentLabel {
    /// The manufacturer as printed (e.g. "TP-Link", "Huawei", "ZTE", "Nokia").
    pub brand: Option<String>,
    /// The model as printed (e.g. "HG8245H", "Archer C6").
    pub model: Option<String>,
    /// The hardware version (H/W Ver, HW), when printed.
    pub hardware_version: Option<String>,
    /// The equipment serial number (S/N, SN) exactly as printed; not the GPON serial.
    pub serial: Option<String>,
    /// Every MAC address printed (MAC, WAN MAC, LAN MAC), in label order.
    pub macs: Vec<String>,
    /// The GPON / PON serial (GPON SN, PON SN, ONT SN): 4 letters + 8 hex digits, or the 16
    /// hex digits form, exactly as printed.
    pub gpon_serial: Option<String>,
    /// The default Wi-Fi networks printed on the label.
    pub wifi: Vec<WifiNetwork>,
}

/// A default Wi-Fi network printed on a label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct WifiNetwork {
    /// The SSID (network name).
    pub ssid: String,
    /// The key (Wi-Fi password, WPA key, PSK), when printed.
    pub key: Option<String>,
    /// The band ("2.4GHz", "5GHz"), when the label says.
    pub band: Option<String>,
}

impl Extractor for EquipmentLabel {
    const KIND: Kind = Kind::Equipment;
    const PROMPT: &'static str = "This is the label of a piece of network equipment (an ONT, \
a router, a Wi-Fi access point). Read its brand, model, hardware version, serial number, \
every MAC address, the GPON serial, and the default Wi-Fi network names and keys. Copy each \
value exactly as printed, character for character; distinguish 0 from O and 1 from I using \
the rest of the value (MACs and GPON serials after their 4 letters are hexadecimal).";

    fn nothing_found(&self) -> Option<&'static str> {
        (self.serial.is_none() && self.macs.is_empty() && self.gpon_serial.is_none())
            .then_some("no serial, MAC or GPON serial on the label")
    }

    fn check(&mut self) -> Vec<Flag> {
        let mut flags = Vec::new();
        for v in [
            &mut self.brand,
            &mut self.model,
            &mut self.hardware_version,
            &mut self.serial,
        ] {
            trim(v);
        }
        for (i, mac) in self.macs.iter_mut().enumerate() {
            match normalize_mac(mac) {
                Ok(m) => *mac = m,
                Err(m) => flags.push(Flag::new(format!("macs[{i}]"), Problem::InvalidMac, m)),
            }
        }
        trim(&mut self.gpon_serial);
        if let Some(sn) = &mut self.gpon_serial {
            match normalize_gpon_serial(sn) {
                Ok(n) => *sn = n,
                Err(m) => flags.push(Flag::new("gpon_serial", Problem::InvalidGponSerial, m)),
            }
        }
        flags
    }
}

impl EquipmentLabel {
    /// The GPON serial, when it is one (4 letters + 8 hex digits; normalised by
    /// [`check`](Extractor::check)): what a device can be looked up by.
    pub fn checked_gpon_serial(&self) -> Option<&str> {
        self.gpon_serial
            .as_deref()
            .filter(|s| normalize_gpon_serial(s).is_ok())
    }

    /// The MACs that are MAC addresses (normalised by [`check`](Extractor::check)), in label
    /// order.
    pub fn checked_macs(&self) -> impl Iterator<Item = &str> {
        self.macs
            .iter()
            .map(String::as_str)
            .filter(|m| normalize_mac(m).is_ok())
    }
}

fn trim(v: &mut Option<String>) {
    if let Some(s) = v {
        let t = s.trim();
        if t.is_empty() {
            *v = None;
        } else if t.len() != s.len() {
            *s = t.to_owned();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macs_and_gpon_serial_are_checked() {
        let mut l = EquipmentLabel {
            brand: Some(" Huawei ".into()),
            model: Some("HG8245H".into()),
            serial: Some("2102351ABC10H1000123".into()),
            macs: vec!["00-11-22-aa-bb-cc".into(), "00:11:22:AA:BB:CC:DD".into()],
            gpon_serial: Some("485754431A2B3C4D".into()),
            hardware_version: Some("  ".into()),
            wifi: vec![WifiNetwork {
                ssid: "HUAWEI-AB12".into(),
                key: Some("k3y".into()),
                band: None,
            }],
        };
        let flags = l.check();
        assert_eq!(flags.len(), 1, "{flags:?}");
        assert_eq!(flags[0].field, "macs[1]");
        assert_eq!(flags[0].problem, Problem::InvalidMac);
        assert_eq!(l.brand.as_deref(), Some("Huawei"));
        assert_eq!(l.hardware_version, None);
        assert_eq!(l.macs[0], "00:11:22:AA:BB:CC");
        assert_eq!(l.macs[1], "00:11:22:AA:BB:CC:DD");
        assert_eq!(l.gpon_serial.as_deref(), Some("HWTC1A2B3C4D"));
        assert_eq!(l.checked_gpon_serial(), Some("HWTC1A2B3C4D"));
        assert_eq!(
            l.checked_macs().collect::<Vec<_>>(),
            ["00:11:22:AA:BB:CC"],
            "a failing MAC is not one to look up by"
        );

        let mut bad = EquipmentLabel {
            gpon_serial: Some("HWTC1A2B3C4O".into()),
            ..EquipmentLabel::default()
        };
        let flags = bad.check();
        assert_eq!(flags[0].problem, Problem::InvalidGponSerial);
        assert_eq!(bad.gpon_serial.as_deref(), Some("HWTC1A2B3C4O"));
    }
}
