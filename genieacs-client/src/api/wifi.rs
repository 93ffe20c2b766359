//! Safe Wi-Fi writes: set the SSID and passphrase of the customer's networks, per band, on the
//! right instances, refreshed first and read back after.

use std::fmt;

use serde_json::Value;

use crate::api::devices::Devices;
use crate::models::{DataModel, WifiNetwork};
use crate::{Device, DeviceId, Error, Result, Task, TaskOptions, TaskOutcome};

/// A Wi-Fi band.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Band {
    /// 2.4 GHz.
    Ghz2_4,
    /// 5 GHz.
    Ghz5,
    /// 6 GHz.
    Ghz6,
}

impl Band {
    /// How TR-181's `OperatingFrequencyBand` names it.
    pub fn as_str(self) -> &'static str {
        match self {
            Band::Ghz2_4 => "2.4GHz",
            Band::Ghz5 => "5GHz",
            Band::Ghz6 => "6GHz",
        }
    }
}

impl std::str::FromStr for Band {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s
            .trim()
            .to_ascii_lowercase()
            .replace([' ', '.'], "")
            .as_str()
        {
            "24ghz" | "24" | "2ghz" => Ok(Band::Ghz2_4),
            "5ghz" | "5" => Ok(Band::Ghz5),
            "6ghz" | "6" => Ok(Band::Ghz6),
            _ => Err(Error::InvalidInput(format!(
                "{s:?} is not a band (2.4GHz, 5GHz, 6GHz)"
            ))),
        }
    }
}

/// A WPA passphrase: 8 to 63 printable ASCII characters (or 64 hex digits, a raw key). Its
/// `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Passphrase(String);

impl Passphrase {
    /// Validates a passphrase. The error never repeats it.
    pub fn new(p: impl Into<String>) -> Result<Self> {
        let p = p.into();
        let printable = p.bytes().all(|b| (0x20..=0x7e).contains(&b));
        let hex_key = p.len() == 64 && p.bytes().all(|b| b.is_ascii_hexdigit());
        if hex_key || (printable && (8..=63).contains(&p.len())) {
            Ok(Self(p))
        } else {
            Err(Error::InvalidInput(format!(
                "a WPA passphrase is 8 to 63 printable ASCII characters (got {} characters{})",
                p.chars().count(),
                if printable {
                    ""
                } else {
                    ", not all printable ASCII"
                }
            )))
        }
    }

    /// The passphrase itself, for the write.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Passphrase(***)")
    }
}

/// What to change. Built with [`WifiChange::new`] and its setters.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct WifiChange {
    /// The band to change; `None`: every customer-facing network.
    pub band: Option<Band>,
    /// New SSID (1 to 32 bytes, no control characters).
    pub ssid: Option<String>,
    /// New passphrase.
    pub passphrase: Option<Passphrase>,
}

impl WifiChange {
    /// Changes nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only the networks on this band.
    pub fn band(mut self, band: Band) -> Self {
        self.band = Some(band);
        self
    }

    /// Sets the SSID.
    pub fn ssid(mut self, ssid: impl Into<String>) -> Self {
        self.ssid = Some(ssid.into());
        self
    }

    /// Sets the passphrase.
    pub fn passphrase(mut self, passphrase: Passphrase) -> Self {
        self.passphrase = Some(passphrase);
        self
    }

    fn check(&self) -> Result<()> {
        if self.ssid.is_none() && self.passphrase.is_none() {
            return Err(Error::InvalidInput(
                "change the SSID, the passphrase or both".to_owned(),
            ));
        }
        if let Some(s) = &self.ssid
            && (s.is_empty() || s.len() > 32 || s.chars().any(char::is_control))
        {
            return Err(Error::InvalidInput(format!(
                "an SSID is 1 to 32 bytes without control characters (got {} bytes)",
                s.len()
            )));
        }
        Ok(())
    }
}

/// What became of a Wi-Fi change. Never holds the passphrase.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct WifiResult {
    /// The outcome of the step that decided: the refresh when the device could not be reached
    /// (then nothing was queued), else the write.
    pub outcome: TaskOutcome,
    /// The SSID objects changed (`Device.WiFi.SSID.1`, ...).
    pub networks: Vec<String>,
    /// Whether the device, read again after the write, reports the new SSID (always `true`
    /// for a passphrase-only change that was applied: passphrases read back empty).
    pub confirmed: bool,
}

fn on_band(w: &WifiNetwork, band: Option<Band>) -> bool {
    band.is_none_or(|b| w.band.as_deref() == Some(b.as_str()))
}

/// The parameters to write for one network, passphrase paths as the device exposes them.
fn writes(
    device: &Device,
    model: DataModel,
    w: &WifiNetwork,
    change: &WifiChange,
) -> Result<Vec<(String, Value)>> {
    let mut out = Vec::new();
    if let Some(s) = &change.ssid {
        out.push((format!("{}.SSID", w.path), Value::from(s.as_str())));
    }
    if let Some(p) = &change.passphrase {
        let candidates: Vec<String> = match (model, &w.access_point) {
            (DataModel::Tr181, Some(ap)) => vec![format!("{ap}.Security.KeyPassphrase")],
            _ => vec![
                format!("{}.KeyPassphrase", w.path),
                format!("{}.PreSharedKey.1.KeyPassphrase", w.path),
            ],
        };
        let Some(path) = candidates.into_iter().find(|c| device.node(c).is_some()) else {
            return Err(Error::InvalidInput(format!(
                "{} exposes no passphrase parameter GenieACS knows of (refresh it first)",
                w.path
            )));
        };
        out.push((path, Value::from(p.expose())));
        // WPA3 (SAE) keeps its own passphrase.
        if let Some(ap) = &w.access_point {
            let sae = format!("{ap}.Security.SAEPassphrase");
            let wpa3 = device
                .param::<String>(&format!("{ap}.Security.ModeEnabled"))
                .is_some_and(|m| m.value.contains("WPA3"));
            if wpa3 && device.node(&sae).is_some() {
                out.push((sae, Value::from(p.expose())));
            }
        }
    }
    Ok(out)
}

impl Devices {
    /// Sets the SSID and/or passphrase of the customer-facing networks (all, or one band):
    /// refreshes them first (GenieACS skips a write whose cached value already matches, so a
    /// stale cache would swallow it), writes them in one `setParameterValues`, and reads the SSID
    /// back. When the device cannot be reached for the refresh, nothing is queued and the
    /// outcome says why. `None` when the device is unknown.
    pub async fn set_wifi(
        &self,
        id: &DeviceId,
        change: &WifiChange,
        options: &TaskOptions,
    ) -> Result<Option<WifiResult>> {
        change.check()?;
        // One read: the snapshot picks the networks, the same document names their parameters.
        let Some(device) = self.get(id, crate::SNAPSHOT_PROJECTION).await? else {
            return Ok(None);
        };
        let snapshot = crate::ModemSnapshot::from_device(
            &device,
            chrono::DateTime::from(std::time::SystemTime::now()),
        );
        let targets: Vec<&WifiNetwork> = snapshot
            .wifi
            .value
            .iter()
            .filter(|w| on_band(w, change.band))
            .collect();
        if targets.is_empty() {
            return Err(Error::InvalidInput(match change.band {
                Some(b) => format!("{id} has no customer Wi-Fi network on {}", b.as_str()),
                None => format!("{id} has no customer Wi-Fi network"),
            }));
        }
        let mut values = Vec::new();
        for w in &targets {
            values.extend(writes(&device, snapshot.data_model, w, change)?);
        }
        let networks: Vec<String> = targets.iter().map(|w| w.path.clone()).collect();
        let ssid_paths: Vec<String> = networks.iter().map(|n| format!("{n}.SSID")).collect();
        let tasks = self.client.tasks();

        let refresh = Task::get_parameter_values(&ssid_paths)?;
        let r = tasks.submit(id, &refresh, options).await?;
        if r.outcome != TaskOutcome::Done {
            return Ok(Some(WifiResult {
                outcome: r.outcome,
                networks,
                confirmed: false,
            }));
        }
        let set = Task::set_parameter_values(values)?;
        let s = tasks.submit(id, &set, options).await?;
        if s.outcome != TaskOutcome::Done {
            return Ok(Some(WifiResult {
                outcome: s.outcome,
                networks,
                confirmed: false,
            }));
        }
        let confirmed = match &change.ssid {
            None => true,
            Some(want) => {
                let back = tasks.submit(id, &refresh, options).await?;
                let after = self
                    .get(
                        id,
                        &ssid_paths.iter().map(String::as_str).collect::<Vec<_>>(),
                    )
                    .await?;
                back.outcome == TaskOutcome::Done
                    && after.is_some_and(|d| {
                        ssid_paths
                            .iter()
                            .all(|p| d.param::<String>(p).is_some_and(|v| v.value == *want))
                    })
            }
        };
        Ok(Some(WifiResult {
            outcome: s.outcome,
            networks,
            confirmed,
        }))
    }
}
