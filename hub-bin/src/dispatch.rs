//! Technicians on the map: Traccar devices matched to ERPNext Technicians
//! (`Technician.traccar_device_id`), the live feed that publishes their positions on
//! `/dispatch`, and the ETA of a job.
//!
//! One hub instance keeps the WebSocket feed to Traccar (a lease in the store, as the OLT
//! poller's), and publishes `technician.position` on `/dispatch` and
//! `/dispatch/technicians/{name}`, at most once per technician per `position_throttle`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::watch;
use traccar_client::{Position, Update};
use utoipa::ToSchema;

use crate::state::AppState;
use crate::store::NewEvent;

/// A technician as dispatch sees them.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Technician {
    /// The ERPNext Technician (`TECH-001`).
    pub name: String,
    /// Their name.
    pub full_name: Option<String>,
    /// Their Traccar device id.
    pub traccar_device_id: Option<i64>,
    /// Whether they are active.
    pub active: bool,
}

/// Every ERPNext Technician, by Traccar device id.
pub async fn technicians(
    client: &frappe_client::Client,
) -> Result<HashMap<i64, Technician>, String> {
    let query = client
        .doctype("Technician")
        .list()
        .fields(["name", "full_name", "traccar_device_id", "active"])
        .page_size(1000);
    let page = crate::upstream::timed("erpnext", "technicians", query.page())
        .await
        .map_err(|e| crate::error::from_frappe(&e).message)?;
    Ok(page
        .items
        .into_iter()
        .filter_map(|d| {
            let t = Technician::from_doc(&serde_json::to_value(d).ok()?)?;
            Some((t.traccar_device_id?, t))
        })
        .collect())
}

impl Technician {
    /// From an ERPNext Technician document (`None` without a name); a `traccar_device_id`
    /// that is not a positive number counts as none.
    pub fn from_doc(d: &Value) -> Option<Self> {
        Some(Self {
            name: d["name"].as_str()?.to_owned(),
            full_name: d["full_name"].as_str().map(str::to_owned),
            traccar_device_id: d["traccar_device_id"].as_i64().filter(|i| *i > 0),
            // A Check field: 0 or 1 (absent: active).
            active: d["active"].as_i64().is_none_or(|a| a != 0),
        })
    }
}

/// A position as the hub shows it: where, when, how fast (km/h and knots), with the
/// technician it belongs to.
pub fn position_view(p: &Position, technician: Option<&Technician>) -> Value {
    json!({
        "deviceId": p.device_id.get(),
        "latitude": p.latitude,
        "longitude": p.longitude,
        "fixTime": p.fix_time,
        "speedKmh": (p.speed.kmh() * 10.0).round() / 10.0,
        "speedKnots": p.speed.knots(),
        "course": p.course,
        "address": p.address,
        "valid": p.valid,
        "technician": technician,
    })
}

/// Per technician, when their last position was published.
#[derive(Debug, Default)]
pub struct Throttle {
    last: HashMap<String, Instant>,
}

impl Throttle {
    /// Whether a position of `technician` may be published now (and records it if so).
    pub fn allow(&mut self, technician: &str, every: Duration, now: Instant) -> bool {
        match self.last.get(technician) {
            Some(t) if now.duration_since(*t) < every => false,
            _ => {
                self.last.insert(technician.to_owned(), now);
                true
            }
        }
    }
}

const LEASE: &str = "traccar-live";
const LEASE_TTL_MS: i64 = 30_000;
const TECHNICIANS_TTL: Duration = Duration::from_secs(300);

/// Keeps the live feed (when this instance holds the lease) until shutdown.
pub async fn run_live(state: AppState, mut shutdown: watch::Receiver<bool>) {
    let (Some(client), Some(settings)) = (state.traccar.clone(), state.settings.traccar.clone())
    else {
        return;
    };
    if !settings.live {
        return;
    }
    let holder = state.instance.to_string();
    loop {
        if *shutdown.borrow() {
            break;
        }
        match state.store.try_lease(LEASE, &holder, LEASE_TTL_MS).await {
            Ok(true) => {
                feed(&state, &client, settings.position_throttle, &mut shutdown).await;
            }
            Ok(false) => tracing::debug!("another hub instance keeps the Traccar feed"),
            Err(e) => tracing::warn!(error = %e, "the Traccar feed lease could not be read"),
        }
        tokio::select! {
            () = tokio::time::sleep(Duration::from_millis(LEASE_TTL_MS as u64 / 3)) => {}
            _ = shutdown.wait_for(|s| *s) => break,
        }
    }
    let _ = state.store.release_lease(LEASE, &holder).await;
}

/// One holding of the lease: the feed runs while the lease is renewed.
async fn feed(
    state: &AppState,
    client: &traccar_client::Client,
    throttle_every: Duration,
    shutdown: &mut watch::Receiver<bool>,
) {
    let holder = state.instance.to_string();
    let mut live = client.live();
    let mut renew = tokio::time::interval(Duration::from_millis(LEASE_TTL_MS as u64 / 3));
    let mut throttle = Throttle::default();
    let mut techs: HashMap<i64, Technician> = HashMap::new();
    let mut techs_at: Option<Instant> = None;
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            _ = renew.tick() => {
                if !matches!(state.store.try_lease(LEASE, &holder, LEASE_TTL_MS).await, Ok(true)) {
                    tracing::info!("the Traccar feed lease went to another instance");
                    break;
                }
            }
            update = live.next() => {
                let Some(update) = update else { break };
                let positions = match update {
                    Ok(Update::Positions(p)) => p,
                    Ok(_) => continue,
                    Err(e) => {
                        tracing::warn!(error = %e, "the Traccar feed ended");
                        break;
                    }
                };
                if techs_at.is_none_or(|t| t.elapsed() > TECHNICIANS_TTL)
                    && let Some(erp) = state.frappe.as_ref()
                {
                    match technicians(erp).await {
                        Ok(t) => {
                            techs = t;
                            techs_at = Some(Instant::now());
                        }
                        Err(e) => tracing::warn!(error = %e, "technicians could not be read"),
                    }
                }
                for p in positions {
                    let Some(tech) = techs.get(&p.device_id.get()) else { continue };
                    if !throttle.allow(&tech.name, throttle_every, Instant::now()) {
                        continue;
                    }
                    publish_position(state, &p, tech).await;
                }
            }
        }
    }
    live.stop();
}

async fn publish_position(state: &AppState, p: &Position, tech: &Technician) {
    let event = NewEvent {
        kind: "technician.position".to_owned(),
        topics: vec![
            "/dispatch".to_owned(),
            format!(
                "/dispatch/technicians/{}",
                crate::bus::topic_segment(&tech.name)
            ),
        ],
        acl: None,
        data: position_view(p, Some(tech)),
    };
    let key = format!("technician.position:{}:{}", tech.name, p.id.get());
    if let Err(e) = state.bus.publish(&event, Some(&key)).await {
        tracing::warn!(error = %e, "a technician position could not be published");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_position_per_technician_per_interval() {
        let mut t = Throttle::default();
        let every = Duration::from_secs(10);
        let t0 = Instant::now();
        assert!(t.allow("TECH-001", every, t0));
        assert!(!t.allow("TECH-001", every, t0 + Duration::from_secs(9)));
        assert!(
            t.allow("TECH-002", every, t0 + Duration::from_secs(9)),
            "per technician"
        );
        assert!(t.allow("TECH-001", every, t0 + Duration::from_secs(10)));
        assert!(t.allow("TECH-003", Duration::ZERO, t0));
        assert!(
            t.allow("TECH-003", Duration::ZERO, t0),
            "no throttle at zero"
        );
    }
}
