//! `GET /olts`, `GET /olts/{name}/ports/{port}`: the last poll of each configured OLT, from the
//! store (so every hub instance answers the same, whichever one polled).

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::error::AppError;
use crate::olt::poller::PollSummary;
use crate::state::AppState;

/// The ONUs of one port, counted.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct PortCount {
    /// `0/1/3`.
    pub port: String,
    /// ONUs seen.
    pub onus: usize,
    /// Of which online.
    pub online: usize,
    /// Of which down (offline, LOS, dying gasp, unknown).
    pub down: usize,
    /// Of which online with a weak level (below the weak threshold, with hysteresis).
    pub degraded: usize,
}

/// One OLT and its last poll.
#[derive(Debug, Serialize, ToSchema)]
pub struct OltView {
    /// Its configured name.
    pub name: String,
    /// Its agent.
    pub address: String,
    /// Its configured profile, when set (else detected).
    pub vendor: Option<String>,
    /// Its poll interval (s; 0 = not polled).
    pub poll_interval_secs: f64,
    /// The last poll (`at`, `ms`, `onus`, `online`, `alerts`, `error`), by any hub instance.
    #[schema(value_type = Option<Object>)]
    pub last_poll: Option<Value>,
    /// Totals over its ports.
    pub totals: PortCount,
    /// Each PON port.
    pub ports: Vec<PortCount>,
}

/// Every configured OLT.
#[derive(Debug, Serialize, ToSchema)]
pub struct Olts {
    /// The OLTs.
    pub olts: Vec<OltView>,
}

/// One port's ONUs.
#[derive(Debug, Serialize, ToSchema)]
pub struct PortView {
    /// The OLT.
    pub olt: String,
    /// The port.
    pub port: String,
    /// Counts.
    pub totals: PortCount,
    /// Each ONU's last reading (`opticalStatus` with its `signal`), plus `degraded`.
    #[schema(value_type = Vec<Object>)]
    pub onus: Vec<Value>,
}

fn fleet(state: &AppState) -> Result<&crate::olt::Fleet, AppError> {
    state
        .olts
        .as_ref()
        .ok_or_else(|| AppError::not_configured("olt", &["OLTS"]))
}

async fn last_poll(state: &AppState, olt: &str) -> Option<Value> {
    let raw = state
        .store
        .watermark(&format!("olt-poll:{olt}"))
        .await
        .ok()
        .flatten()?;
    serde_json::from_str::<PollSummary>(&raw)
        .ok()
        .and_then(|s| serde_json::to_value(s).ok())
}

fn count(port: &str, states: &[&crate::store::OnuState]) -> PortCount {
    let online = states.iter().filter(|s| s.status == "online").count();
    PortCount {
        port: port.to_owned(),
        onus: states.len(),
        online,
        down: states.len() - online,
        degraded: states
            .iter()
            .filter(|s| s.status == "online" && s.degraded)
            .count(),
    }
}

/// Every configured OLT with its last poll and its ports' counts.
#[utoipa::path(get, path = "/olts", tag = "olts",
    security(("staff" = ["devices:read"]), ("service_token" = ["devices:read"])),
    responses(
        (status = 200, description = "Each OLT's last poll", body = Olts),
        (status = 503, description = "No OLT is configured"),
    ))]
pub async fn list(State(state): State<AppState>) -> Result<Json<Olts>, AppError> {
    let fleet = fleet(&state)?;
    let mut olts = Vec::new();
    for config in &fleet.settings().olts {
        let states = state
            .store
            .onu_states(&config.name, None)
            .await
            .map_err(AppError::internal)?;
        let mut by_port: BTreeMap<&str, Vec<&crate::store::OnuState>> = BTreeMap::new();
        for s in &states {
            by_port.entry(s.pon_port.as_str()).or_default().push(s);
        }
        let all: Vec<&crate::store::OnuState> = states.iter().collect();
        let mut totals = count("", &all);
        totals.port = "*".to_owned();
        olts.push(OltView {
            name: config.name.clone(),
            address: config.address.clone(),
            vendor: config.vendor.clone(),
            poll_interval_secs: config
                .poll_interval
                .unwrap_or(fleet.settings().poll_interval)
                .as_secs_f64(),
            last_poll: last_poll(&state, &config.name).await,
            totals,
            ports: by_port.iter().map(|(p, s)| count(p, s)).collect(),
        });
    }
    Ok(Json(Olts { olts }))
}

/// A PON port as given: `0/1/3` (URL-encoded: `0%2F1%2F3`) or `0-1-3`.
fn parse_port(raw: &str) -> Result<String, AppError> {
    let text = raw.replace('-', "/");
    text.parse::<olt_snmp::PonPort>()
        .map(|p| p.to_string())
        .map_err(|_| AppError::invalid("port", "a PON port is shelf/slot/port (0/1/3 or 0-1-3)"))
}

/// The last reading of every ONU of one PON port.
#[utoipa::path(get, path = "/olts/{name}/ports/{port}", tag = "olts",
    security(("staff" = ["devices:read"]), ("service_token" = ["devices:read"])),
    params(
        ("name" = String, Path, description = "The OLT's configured name"),
        ("port" = String, Path, description = "The PON port: 0-1-3, or 0/1/3 URL-encoded"),
    ),
    responses(
        (status = 200, description = "The port's ONUs", body = PortView),
        (status = 400, description = "Not a PON port"),
        (status = 404, description = "No such OLT"),
        (status = 503, description = "No OLT is configured"),
    ))]
pub async fn port(
    State(state): State<AppState>,
    Path((name, port)): Path<(String, String)>,
) -> Result<Json<PortView>, AppError> {
    let fleet = fleet(&state)?;
    if fleet.get(&name).is_none() {
        return Err(AppError::not_found(format!("no OLT named {name:?}")));
    }
    let port = parse_port(&port)?;
    let states = state
        .store
        .onu_states(&name, Some(&port))
        .await
        .map_err(AppError::internal)?;
    let refs: Vec<&crate::store::OnuState> = states.iter().collect();
    let totals = count(&port, &refs);
    let onus = states
        .into_iter()
        .map(|s| {
            let mut v = s.reading;
            if let Value::Object(m) = &mut v {
                m.insert("degraded".into(), Value::Bool(s.degraded));
            }
            v
        })
        .collect();
    Ok(Json(PortView {
        olt: name,
        port,
        totals,
        onus,
    }))
}

/// What the sandbox did to a port.
#[derive(Debug, Serialize, ToSchema)]
pub struct SandboxPort {
    /// The OLT.
    pub olt: String,
    /// The port.
    pub port: String,
    /// `down` or `up`.
    pub state: String,
    /// ONUs changed.
    pub onus: usize,
}

/// Sandbox only: takes a PON port of a fake OLT down (every ONU in LOS) or brings it back; the
/// next poll raises the `area.outage` (or `onu.up`) alerts on `/alerts`.
#[utoipa::path(post, path = "/sandbox/olts/{name}/ports/{port}/{state}", tag = "olts",
    security(("staff" = ["admin"]), ("service_token" = ["admin"])),
    params(
        ("name" = String, Path, description = "The fake OLT"),
        ("port" = String, Path, description = "The PON port: 0-1-3, or 0/1/3 URL-encoded"),
        ("state" = String, Path, description = "down or up"),
    ),
    responses(
        (status = 200, description = "Done", body = SandboxPort),
        (status = 400, description = "Not a port, or a state other than down/up"),
        (status = 404, description = "Not a sandbox, or no such OLT or port"),
    ))]
pub async fn sandbox_port(
    State(state): State<AppState>,
    Path((name, port, to)): Path<(String, String, String)>,
) -> Result<Json<SandboxPort>, AppError> {
    let olts = state.sandbox_olts.as_ref().ok_or_else(|| {
        AppError::not_found("only the sandbox (hub serve --sandbox) has this route")
    })?;
    let up = match to.as_str() {
        "up" => true,
        "down" => false,
        _ => return Err(AppError::invalid("state", "the state is down or up")),
    };
    let port = parse_port(&port)?;
    let onus = olts
        .set_port(&name, &port, up)
        .map_err(AppError::not_found)?;
    Ok(Json(SandboxPort {
        olt: name,
        port,
        state: to,
        onus,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_read_with_slashes_or_dashes() {
        assert_eq!(parse_port("0/1/3").unwrap(), "0/1/3");
        assert_eq!(parse_port("0-2-1").unwrap(), "0/2/1");
        for bad in ["0/1", "a/b/c", "", "0/1/3/4"] {
            assert_eq!(parse_port(bad).unwrap_err().status.as_u16(), 400, "{bad}");
        }
    }
}
