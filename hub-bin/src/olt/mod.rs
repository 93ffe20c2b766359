//! GPON OLTs (the olt-snmp crate): the `olt` source of `/devices/lookup` (one ONU's
//! `opticalStatus` with its signal verdict), the background poller that keeps every ONU's last
//! reading in the store and raises alerts on `/alerts`, and what `/olts` answers.

pub mod alerts;
pub mod poller;

use std::sync::Arc;

use olt_snmp::{GlobalLimit, Olt, OpticalStatus, ProfileSet, Serial, SignalThresholds};
use serde_json::{Value, json};

use crate::config::{OltCredentials, OltSettings};

/// Requests in flight across every OLT (OLT agents are slow single-threaded CPUs; the crate
/// also keeps a few per OLT).
const GLOBAL_IN_FLIGHT: usize = 16;

/// The configured OLTs, each with its client. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Fleet {
    olts: Arc<Vec<Olt>>,
    settings: Arc<OltSettings>,
}

impl Fleet {
    /// Clients for every configured OLT (no request is made yet). `None` when none is
    /// configured.
    pub fn new(settings: &OltSettings) -> anyhow::Result<Option<Self>> {
        if settings.olts.is_empty() {
            return Ok(None);
        }
        let mut profiles = ProfileSet::builtin();
        if let Some(path) = &settings.profiles_file {
            let text = std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("OLT_PROFILES_FILE {}: {e}", path.display()))?;
            profiles = profiles.load_toml(&text)?;
        }
        let global = GlobalLimit::new(GLOBAL_IN_FLIGHT);
        let olts = settings
            .olts
            .iter()
            .map(|o| {
                let mut b = Olt::builder(&o.name, &o.address)
                    .profiles(profiles.clone())
                    .timeout(settings.timeout)
                    .global_limit(global.clone());
                b = match &o.credentials {
                    OltCredentials::Community(c) => b.community(c.clone()),
                    OltCredentials::V3(v3) => b.v3(v3.clone()),
                };
                if let Some(v) = &o.vendor {
                    b = b.vendor(v);
                }
                b.build()
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(Self {
            olts: Arc::new(olts),
            settings: Arc::new(settings.clone()),
        }))
    }

    /// The OLTs.
    pub fn olts(&self) -> &[Olt] {
        &self.olts
    }

    /// One OLT by name.
    pub fn get(&self, name: &str) -> Option<&Olt> {
        self.olts.iter().find(|o| o.name() == name)
    }

    /// The settings.
    pub fn settings(&self) -> &OltSettings {
        &self.settings
    }

    /// The signal thresholds.
    pub fn thresholds(&self) -> &SignalThresholds {
        &self.settings.thresholds
    }

    /// One ONU's live reading: on `hint` first (the OLT its Service Location or the last poll
    /// names), then on the others. `Ok(None)` when no OLT has it.
    pub async fn find(
        &self,
        serial: &Serial,
        hint: Option<&str>,
    ) -> Result<Option<OpticalStatus>, String> {
        let mut order: Vec<&Olt> = self.olts.iter().collect();
        if let Some(h) = hint {
            order.sort_by_key(|o| o.name() != h);
        }
        let mut failures = Vec::new();
        for olt in order {
            match crate::upstream::timed("olt", "onu_status", olt.onu_status(serial)).await {
                Ok(s) => return Ok(Some(s)),
                Err(olt_snmp::Error::OnuNotFound { .. }) => {}
                Err(e) => failures.push(e.to_string()),
            }
        }
        if failures.is_empty() {
            Ok(None)
        } else {
            Err(failures.join("; "))
        }
    }

    /// A reading as the hub shows it: the record plus its signal verdict.
    pub fn with_verdict(&self, s: &OpticalStatus) -> Value {
        let mut v = serde_json::to_value(s).unwrap_or(Value::Null);
        if let Value::Object(m) = &mut v {
            m.insert("signal".into(), json!(self.thresholds().verdict(s)));
        }
        v
    }
}
