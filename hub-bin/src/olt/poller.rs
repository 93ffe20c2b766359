//! The background poller: each configured OLT polled whole every interval, by one hub instance
//! at a time (a lease in the store, renewed by every poll, taken over by another instance when
//! its holder stops renewing), every ONU's last reading kept, and the alerts of
//! [`alerts::evaluate`](super::alerts::evaluate) published on `/alerts` with the customers
//! they concern (from ERPNext).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use frappe_client::Filter;
use futures::TryStreamExt;
use serde_json::{Value, json};
use tokio::sync::watch;

use super::Fleet;
use super::alerts::{Alert, AlertRules, Observed, evaluate};
use crate::state::AppState;
use crate::store::{NewEvent, now_ms};

/// The lease of one OLT's poll.
fn lease_name(olt: &str) -> String {
    format!("olt-poll:{olt}")
}

/// What one poll did (also kept as the watermark `olt-poll:{name}` for `/olts`).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct PollSummary {
    /// The hub instance that polled (`hub-<pid>-<random>`).
    #[serde(default)]
    pub holder: String,
    /// When it ended (ms since the epoch).
    pub at: i64,
    /// How long it took (ms).
    pub ms: u64,
    /// ONUs read.
    pub onus: usize,
    /// Of which online.
    pub online: usize,
    /// Alerts raised.
    pub alerts: usize,
    /// Why it failed, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Polls OLT number `index` of the fleet until shutdown.
pub async fn run_olt(
    state: AppState,
    fleet: Fleet,
    index: usize,
    mut shutdown: watch::Receiver<bool>,
) {
    let Some(olt) = fleet.olts().get(index).cloned() else {
        return;
    };
    let configured = fleet
        .settings()
        .olts
        .get(index)
        .and_then(|o| o.poll_interval);
    let interval = configured.unwrap_or(fleet.settings().poll_interval);
    if interval.is_zero() {
        return;
    }
    // A poll never outlives its lease: it is cut at one interval, the lease lasts two.
    let ttl_ms = i64::try_from(interval.as_millis() * 2).unwrap_or(i64::MAX);
    let lease = lease_name(olt.name());
    loop {
        if *shutdown.borrow() {
            break;
        }
        match state.store.try_lease(&lease, &state.instance, ttl_ms).await {
            Ok(true) => {
                let summary = poll_once(&state, &fleet, index, interval).await;
                if let Some(e) = &summary.error {
                    tracing::warn!(olt = olt.name(), error = %e, "OLT poll failed");
                }
            }
            Ok(false) => tracing::debug!(olt = olt.name(), "another hub instance polls this OLT"),
            Err(e) => {
                tracing::warn!(olt = olt.name(), error = %e, "the poll lease could not be read")
            }
        }
        tokio::select! {
            () = tokio::time::sleep(interval) => {}
            _ = shutdown.wait_for(|s| *s) => break,
        }
    }
    let _ = state.store.release_lease(&lease, &state.instance).await;
}

/// One whole poll of OLT number `index`: readings stored, alerts published, the summary kept.
pub async fn poll_once(
    state: &AppState,
    fleet: &Fleet,
    index: usize,
    limit: Duration,
) -> PollSummary {
    let started = Instant::now();
    let Some(olt) = fleet.olts().get(index) else {
        return PollSummary {
            holder: state.instance.to_string(),
            at: now_ms(),
            ms: 0,
            onus: 0,
            online: 0,
            alerts: 0,
            error: Some("no such OLT".to_owned()),
        };
    };
    let name = olt.name().to_owned();
    let result = poll_and_alert(state, fleet, olt, limit).await;
    let ms = started.elapsed().as_millis() as u64;
    metrics::histogram!("hub_olt_poll_seconds", "olt" => name.clone())
        .record(started.elapsed().as_secs_f64());
    let summary = match result {
        Ok((onus, online, alerts)) => {
            metrics::gauge!("hub_olt_onus", "olt" => name.clone(), "status" => "online")
                .set(online as f64);
            metrics::gauge!("hub_olt_onus", "olt" => name.clone(), "status" => "down")
                .set((onus - online) as f64);
            PollSummary {
                holder: state.instance.to_string(),
                at: now_ms(),
                ms,
                onus,
                online,
                alerts,
                error: None,
            }
        }
        Err(e) => {
            metrics::counter!("hub_olt_poll_errors_total", "olt" => name.clone()).increment(1);
            PollSummary {
                holder: state.instance.to_string(),
                at: now_ms(),
                ms,
                onus: 0,
                online: 0,
                alerts: 0,
                error: Some(e),
            }
        }
    };
    let _ = state
        .store
        .set_watermark(
            &lease_name(&name),
            &serde_json::to_string(&summary).unwrap_or_default(),
        )
        .await;
    summary
}

async fn poll_and_alert(
    state: &AppState,
    fleet: &Fleet,
    olt: &olt_snmp::Olt,
    limit: Duration,
) -> Result<(usize, usize, usize), String> {
    let name = olt.name();
    let readings: Vec<olt_snmp::OpticalStatus> =
        tokio::time::timeout(limit, olt.poll_all().try_collect())
            .await
            .map_err(|_| format!("the poll took longer than {} s", limit.as_secs()))?
            .map_err(|e| e.to_string())?;
    let observed: Vec<Observed> = readings
        .iter()
        .map(|r| Observed {
            serial: r.serial.to_string(),
            pon_port: r.pon_port.to_string(),
            onu_id: i64::from(r.onu_id),
            status: r.status.as_str().to_owned(),
            rx_dbm: r.onu_rx_dbm.or(r.olt_rx_dbm),
            reading: fleet.with_verdict(r),
        })
        .collect();
    let previous: HashMap<String, _> = state
        .store
        .onu_states(name, None)
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|s| (s.serial.clone(), s))
        .collect();
    let settings = fleet.settings();
    let rules = AlertRules {
        weak_below_dbm: settings.thresholds.weak_below_dbm,
        hysteresis_db: settings.hysteresis_db,
        outage_min_onus: settings.outage_min_onus,
    };
    let polled_at = now_ms();
    let (states, raised) = evaluate(name, &previous, &observed, polled_at, &rules);
    state
        .store
        .save_onu_states(&states)
        .await
        .map_err(|e| e.to_string())?;
    let online = states.iter().filter(|s| s.status == "online").count();
    for alert in &raised {
        publish(state, alert, polled_at).await;
    }
    Ok((states.len(), online, raised.len()))
}

/// Publishes one alert on `/alerts` and `/alerts/olts/{olt}`, with the customers it concerns.
async fn publish(state: &AppState, alert: &Alert, polled_at: i64) {
    let mut data = serde_json::to_value(alert).unwrap_or(Value::Null);
    let (olt, key) = match alert {
        Alert::AreaOutage { olt, pon_port, .. } | Alert::AreaRestored { olt, pon_port, .. } => {
            (olt.as_str(), pon_port.clone())
        }
        Alert::OnuDown { olt, serial, .. }
        | Alert::OnuUp { olt, serial, .. }
        | Alert::OpticalDegraded { olt, serial, .. }
        | Alert::OpticalRecovered { olt, serial, .. } => (olt.as_str(), serial.clone()),
    };
    match customers_of(state, alert).await {
        Ok(customers) => {
            if let Value::Object(m) = &mut data {
                m.insert("customers".into(), customers);
            }
        }
        Err(e) => tracing::warn!(error = %e, "the customers of an OLT alert could not be read"),
    }
    let event = NewEvent {
        kind: alert.kind().to_owned(),
        topics: vec![
            "/alerts".to_owned(),
            format!("/alerts/olts/{}", crate::bus::topic_segment(olt)),
        ],
        acl: None,
        data,
    };
    let dedupe = format!("{}:{olt}:{key}:{polled_at}", alert.kind());
    if let Err(e) = state.bus.publish(&event, Some(&dedupe)).await {
        tracing::warn!(error = %e, kind = alert.kind(), "an OLT alert could not be published");
    }
}

/// The customers an alert concerns, from ERPNext: the Service Locations on the port of an area
/// outage; the Service Equipment whose GPON serial an ONU alert names.
async fn customers_of(state: &AppState, alert: &Alert) -> Result<Value, String> {
    let Some(client) = state.frappe.as_ref() else {
        return Ok(json!([]));
    };
    let rows = match alert {
        Alert::AreaOutage { olt, pon_port, .. } | Alert::AreaRestored { olt, pon_port, .. } => {
            let query = client
                .doctype("Service Location")
                .list()
                .filter(Filter::eq("olt", olt.as_str()))
                .filter(Filter::eq("pon_port", pon_port.as_str()))
                .fields(["name", "customer", "onu_id", "address_line1", "city"])
                .page_size(500);
            crate::upstream::timed("erpnext", "outage_customers", query.page())
                .await
                .map_err(|e| crate::error::from_frappe(&e).message)?
                .items
                .into_iter()
                .map(|d| {
                    let d = serde_json::to_value(d).unwrap_or(Value::Null);
                    json!({
                        "customer": d["customer"],
                        "service_location": d["name"],
                        "onu_id": d["onu_id"],
                        "address": d["address_line1"],
                        "city": d["city"],
                    })
                })
                .collect::<Vec<_>>()
        }
        _ => {
            let serials = alert.serials();
            let query = client
                .doctype("Service Equipment")
                .list()
                .filter(Filter::is_in("gpon_serial", serials))
                .fields(["name", "customer", "service_location", "gpon_serial"])
                .page_size(50);
            crate::upstream::timed("erpnext", "alert_customers", query.page())
                .await
                .map_err(|e| crate::error::from_frappe(&e).message)?
                .items
                .into_iter()
                .map(|d| {
                    let d = serde_json::to_value(d).unwrap_or(Value::Null);
                    json!({
                        "customer": d["customer"],
                        "service_location": d["service_location"],
                        "equipment": d["name"],
                        "serial": d["gpon_serial"],
                    })
                })
                .collect::<Vec<_>>()
        }
    };
    Ok(Value::Array(rows))
}
