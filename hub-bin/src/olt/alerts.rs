//! What one poll of an OLT means: each ONU's new state against its last one, and the alerts
//! that follow. Pure: the poller feeds it readings and the stored states, and publishes what it
//! returns.
//!
//! - `onu.down` (with its cause: `los`, `dyinggasp`, `offline`, `unknown`) when an ONU that was
//!   online is not; `onu.up` when it comes back. An ONU seen for the first time is a baseline,
//!   not an alert.
//! - `optical.degraded` when an online ONU's received level falls below the weak threshold,
//!   `optical.recovered` only once it is back above the threshold plus the hysteresis, so a
//!   level flapping around the threshold is one alert, not one per poll.
//! - `area.outage`: when at least `outage_min_onus` ONUs of one PON port go down in the same
//!   poll, one alert naming the port replaces their `onu.down` alerts; `area.restored` in the
//!   same way when they come back together.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use serde_json::Value;

use crate::store::OnuState;

/// One ONU as a poll saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct Observed {
    /// Its serial.
    pub serial: String,
    /// Its PON port (`0/1/3`).
    pub pon_port: String,
    /// Its id on the port.
    pub onu_id: i64,
    /// `online`, `offline`, `los`, `dyinggasp`, `unknown`.
    pub status: String,
    /// The level that decides the signal quality (ONU rx, else OLT-side rx), dBm.
    pub rx_dbm: Option<f64>,
    /// The whole reading (`OpticalStatus` as JSON).
    pub reading: Value,
}

/// The thresholds of the alerts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AlertRules {
    /// Below this (dBm) an online ONU's signal is weak (−27).
    pub weak_below_dbm: f64,
    /// How far above the threshold a weak ONU must come back to recover (1 dB).
    pub hysteresis_db: f64,
    /// This many ONUs of one port down in one poll make an area outage (4).
    pub outage_min_onus: usize,
}

impl Default for AlertRules {
    fn default() -> Self {
        Self {
            weak_below_dbm: -27.0,
            hysteresis_db: 1.0,
            outage_min_onus: 4,
        }
    }
}

/// An alert.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind")]
pub enum Alert {
    /// An online ONU went down.
    #[serde(rename = "onu.down")]
    OnuDown {
        /// The OLT.
        olt: String,
        /// The ONU.
        serial: String,
        /// Its port.
        pon_port: String,
        /// Its id.
        onu_id: i64,
        /// `los` (fibre), `dyinggasp` (power), `offline`, `unknown`.
        cause: String,
    },
    /// A down ONU is back online.
    #[serde(rename = "onu.up")]
    OnuUp {
        /// The OLT.
        olt: String,
        /// The ONU.
        serial: String,
        /// Its port.
        pon_port: String,
        /// Its id.
        onu_id: i64,
    },
    /// An online ONU's level crossed below the weak threshold.
    #[serde(rename = "optical.degraded")]
    OpticalDegraded {
        /// The OLT.
        olt: String,
        /// The ONU.
        serial: String,
        /// Its port.
        pon_port: String,
        /// Its id.
        onu_id: i64,
        /// The level (dBm).
        rx_dbm: f64,
        /// The threshold (dBm).
        threshold_dbm: f64,
    },
    /// A weak ONU's level is back above the threshold plus the hysteresis.
    #[serde(rename = "optical.recovered")]
    OpticalRecovered {
        /// The OLT.
        olt: String,
        /// The ONU.
        serial: String,
        /// Its port.
        pon_port: String,
        /// Its id.
        onu_id: i64,
        /// The level (dBm).
        rx_dbm: f64,
    },
    /// Many ONUs of one port came back in one poll.
    #[serde(rename = "area.restored")]
    AreaRestored {
        /// The OLT.
        olt: String,
        /// The port.
        pon_port: String,
        /// The ONUs that came back.
        serials: Vec<String>,
        /// How many ONUs the port has.
        onus_on_port: usize,
    },
    /// Many ONUs of one port went down in one poll.
    #[serde(rename = "area.outage")]
    AreaOutage {
        /// The OLT.
        olt: String,
        /// The port.
        pon_port: String,
        /// The most common cause among them.
        cause: String,
        /// The ONUs that went down.
        serials: Vec<String>,
        /// How many ONUs the port has.
        onus_on_port: usize,
    },
}

impl Alert {
    /// `onu.down`, `area.outage`, ...
    pub fn kind(&self) -> &'static str {
        match self {
            Alert::OnuDown { .. } => "onu.down",
            Alert::OnuUp { .. } => "onu.up",
            Alert::OpticalDegraded { .. } => "optical.degraded",
            Alert::OpticalRecovered { .. } => "optical.recovered",
            Alert::AreaOutage { .. } => "area.outage",
            Alert::AreaRestored { .. } => "area.restored",
        }
    }

    /// The ONU serials it is about.
    pub fn serials(&self) -> Vec<&str> {
        match self {
            Alert::OnuDown { serial, .. }
            | Alert::OnuUp { serial, .. }
            | Alert::OpticalDegraded { serial, .. }
            | Alert::OpticalRecovered { serial, .. } => vec![serial],
            Alert::AreaOutage { serials, .. } | Alert::AreaRestored { serials, .. } => {
                serials.iter().map(String::as_str).collect()
            }
        }
    }
}

fn is_online(status: &str) -> bool {
    status == "online"
}

/// The new states of one poll of `olt` and the alerts they raise. `previous` holds the last
/// state of each ONU (by serial); ONUs the poll did not see keep theirs (not returned).
pub fn evaluate(
    olt: &str,
    previous: &HashMap<String, OnuState>,
    observed: &[Observed],
    polled_at: i64,
    rules: &AlertRules,
) -> (Vec<OnuState>, Vec<Alert>) {
    let mut states = Vec::with_capacity(observed.len());
    let mut alerts = Vec::new();
    let mut downs: BTreeMap<&str, Vec<(String, i64, String)>> = BTreeMap::new();
    let mut ups: BTreeMap<&str, Vec<(String, i64)>> = BTreeMap::new();
    let mut per_port: HashMap<&str, usize> = HashMap::new();
    for o in observed {
        *per_port.entry(o.pon_port.as_str()).or_default() += 1;
        let prev = previous.get(&o.serial);
        let online = is_online(&o.status);
        if let Some(p) = prev {
            if is_online(&p.status) && !online {
                downs.entry(o.pon_port.as_str()).or_default().push((
                    o.serial.clone(),
                    o.onu_id,
                    o.status.clone(),
                ));
            } else if !is_online(&p.status) && online {
                ups.entry(o.pon_port.as_str())
                    .or_default()
                    .push((o.serial.clone(), o.onu_id));
            }
        }
        let was_degraded = prev.is_some_and(|p| p.degraded);
        let degraded = match (online, o.rx_dbm) {
            (true, Some(rx)) if !was_degraded && rx < rules.weak_below_dbm => {
                alerts.push(Alert::OpticalDegraded {
                    olt: olt.to_owned(),
                    serial: o.serial.clone(),
                    pon_port: o.pon_port.clone(),
                    onu_id: o.onu_id,
                    rx_dbm: rx,
                    threshold_dbm: rules.weak_below_dbm,
                });
                true
            }
            (true, Some(rx))
                if was_degraded && rx >= rules.weak_below_dbm + rules.hysteresis_db =>
            {
                alerts.push(Alert::OpticalRecovered {
                    olt: olt.to_owned(),
                    serial: o.serial.clone(),
                    pon_port: o.pon_port.clone(),
                    onu_id: o.onu_id,
                    rx_dbm: rx,
                });
                false
            }
            // No reading (offline, or a sentinel): the flag stays as it was.
            _ => was_degraded,
        };
        states.push(OnuState {
            olt: olt.to_owned(),
            serial: o.serial.clone(),
            pon_port: o.pon_port.clone(),
            onu_id: o.onu_id,
            status: o.status.clone(),
            degraded,
            reading: o.reading.clone(),
            polled_at,
        });
    }
    let area = rules.outage_min_onus.max(2);
    for (port, up) in ups {
        if up.len() >= area {
            alerts.push(Alert::AreaRestored {
                olt: olt.to_owned(),
                pon_port: port.to_owned(),
                serials: up.into_iter().map(|(s, _)| s).collect(),
                onus_on_port: per_port.get(port).copied().unwrap_or(0),
            });
        } else {
            alerts.extend(up.into_iter().map(|(serial, onu_id)| Alert::OnuUp {
                olt: olt.to_owned(),
                serial,
                pon_port: port.to_owned(),
                onu_id,
            }));
        }
    }
    for (port, down) in downs {
        if down.len() >= area {
            let mut causes: BTreeMap<&str, usize> = BTreeMap::new();
            for (_, _, cause) in &down {
                *causes.entry(cause.as_str()).or_default() += 1;
            }
            let cause = causes
                .iter()
                .max_by_key(|(c, n)| (**n, std::cmp::Reverse(**c)))
                .map_or("unknown", |(c, _)| c)
                .to_owned();
            alerts.push(Alert::AreaOutage {
                olt: olt.to_owned(),
                pon_port: port.to_owned(),
                cause,
                serials: down.into_iter().map(|(s, _, _)| s).collect(),
                onus_on_port: per_port.get(port).copied().unwrap_or(0),
            });
        } else {
            for (serial, onu_id, cause) in down {
                alerts.push(Alert::OnuDown {
                    olt: olt.to_owned(),
                    serial,
                    pon_port: port.to_owned(),
                    onu_id,
                    cause,
                });
            }
        }
    }
    (states, alerts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(serial: &str, port: &str, status: &str, rx: Option<f64>) -> Observed {
        Observed {
            serial: serial.to_owned(),
            pon_port: port.to_owned(),
            onu_id: serial.len() as i64,
            status: status.to_owned(),
            rx_dbm: rx,
            reading: Value::Null,
        }
    }

    fn run(prev: &[OnuState], now: &[Observed], rules: &AlertRules) -> (Vec<OnuState>, Vec<Alert>) {
        let map = prev.iter().map(|s| (s.serial.clone(), s.clone())).collect();
        evaluate("OLT-1", &map, now, 1, rules)
    }

    fn kinds(alerts: &[Alert]) -> Vec<&'static str> {
        alerts.iter().map(Alert::kind).collect()
    }

    #[test]
    fn first_sight_is_a_baseline_then_down_and_up_are_alerts_with_the_cause() {
        let rules = AlertRules::default();
        let (s1, a1) = run(&[], &[seen("A", "0/1/1", "online", Some(-20.0))], &rules);
        assert!(a1.is_empty());
        let (s2, a2) = run(&s1, &[seen("A", "0/1/1", "dyinggasp", None)], &rules);
        assert_eq!(
            a2,
            [Alert::OnuDown {
                olt: "OLT-1".into(),
                serial: "A".into(),
                pon_port: "0/1/1".into(),
                onu_id: 1,
                cause: "dyinggasp".into()
            }]
        );
        let (_, a3) = run(&s2, &[seen("A", "0/1/1", "online", Some(-20.0))], &rules);
        assert_eq!(kinds(&a3), ["onu.up"]);
        let (_, a4) = run(&s2, &[seen("A", "0/1/1", "los", None)], &rules);
        assert!(a4.is_empty(), "down to down is no new alert");
    }

    #[test]
    fn a_level_flapping_around_the_threshold_is_one_alert() {
        let rules = AlertRules::default();
        let (mut states, a) = run(&[], &[seen("A", "0/1/1", "online", Some(-27.5))], &rules);
        assert_eq!(kinds(&a), ["optical.degraded"]);
        assert!(states[0].degraded);
        for rx in [-26.8, -27.2, -26.5, -27.9, -26.1] {
            let (s, a) = run(&states, &[seen("A", "0/1/1", "online", Some(rx))], &rules);
            assert!(a.is_empty(), "{rx}: {a:?}");
            assert!(s[0].degraded);
            states = s;
        }
        // Offline keeps the flag (no reading).
        let (s, _) = run(&states, &[seen("A", "0/1/1", "offline", None)], &rules);
        assert!(s[0].degraded);
        let (s, a) = run(
            &states,
            &[seen("A", "0/1/1", "online", Some(-25.9))],
            &rules,
        );
        assert_eq!(kinds(&a), ["optical.recovered"]);
        assert!(!s[0].degraded);
    }

    #[test]
    fn many_onus_of_one_port_down_in_one_poll_are_one_area_outage() {
        let rules = AlertRules::default();
        let port_a: Vec<Observed> = (0..6)
            .map(|i| seen(&format!("A{i}"), "0/1/1", "online", Some(-20.0)))
            .collect();
        let port_b = vec![seen("B0", "0/1/2", "online", Some(-20.0))];
        let all: Vec<Observed> = port_a.iter().chain(&port_b).cloned().collect();
        let (states, _) = run(&[], &all, &rules);
        let mut next: Vec<Observed> = all.clone();
        for (i, o) in next.iter_mut().enumerate().take(5) {
            o.status = if i < 4 { "los" } else { "dyinggasp" }.to_owned();
        }
        next[6].status = "los".to_owned();
        let (_, alerts) = run(&states, &next, &rules);
        assert_eq!(kinds(&alerts), ["area.outage", "onu.down"], "{alerts:?}");
        let Alert::AreaOutage {
            pon_port,
            cause,
            serials,
            onus_on_port,
            ..
        } = &alerts[0]
        else {
            unreachable!()
        };
        assert_eq!(pon_port, "0/1/1");
        assert_eq!(cause, "los");
        assert_eq!(serials.len(), 5);
        assert_eq!(*onus_on_port, 6);
        // Three down is below the threshold: three onu.down alerts.
        let mut few = all.clone();
        for o in few.iter_mut().take(3) {
            o.status = "los".to_owned();
        }
        let (_, alerts) = run(&states, &few, &rules);
        assert_eq!(kinds(&alerts), ["onu.down"; 3]);
        // Back together: one area.restored.
        let (down_states, _) = run(&states, &next, &rules);
        let (_, alerts) = run(&down_states, &all, &rules);
        assert_eq!(kinds(&alerts), ["area.restored", "onu.up"], "{alerts:?}");
    }
}
