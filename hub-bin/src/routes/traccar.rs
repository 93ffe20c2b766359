//! `/traccar/devices`, `/traccar/positions/latest` (the typed Traccar proxy, devices matched to
//! ERPNext Technicians) and `/dispatch/jobs/{name}/eta`.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use http::StatusCode;
use serde::Serialize;
use serde_json::{Value, json};
use traccar_client::{DeviceFilter, DeviceId, LatestVia};
use utoipa::ToSchema;

use crate::dispatch::{Technician, position_view, technicians};
use crate::error::AppError;
use crate::geo::{Point, travel_minutes};
use crate::state::AppState;

/// A Traccar error as the hub answers it: the caller's mistakes are theirs, the rest is a
/// 502 naming Traccar.
fn from_traccar(e: &traccar_client::Error) -> AppError {
    use traccar_client::Error as E;
    match e {
        E::NotFound { .. } => AppError::not_found(e.to_string()),
        E::Timeout { .. } => {
            AppError::upstream("traccar", StatusCode::GATEWAY_TIMEOUT, e.to_string())
        }
        _ => AppError::upstream("traccar", StatusCode::BAD_GATEWAY, e.to_string()),
    }
}

/// The Technicians by Traccar device id, or none when ERPNext is not configured or fails (the
/// answer then says so per row: `technician: null`).
async fn technician_map(state: &AppState) -> HashMap<i64, Technician> {
    match state.frappe.as_ref() {
        Some(erp) => technicians(erp).await.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "technicians could not be read");
            HashMap::new()
        }),
        None => HashMap::new(),
    }
}

/// Traccar's devices.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeviceList {
    /// Each device (`id`, `name`, `uniqueId`, `status`, `lastUpdate`, ...) with the ERPNext
    /// Technician whose `traccar_device_id` it is (`technician`, or null).
    #[schema(value_type = Vec<Object>)]
    pub devices: Vec<Value>,
}

/// Traccar's devices, each with its technician.
#[utoipa::path(get, path = "/traccar/devices", tag = "dispatch",
    security(("staff" = ["dispatch"]), ("service_token" = ["dispatch"])),
    responses(
        (status = 200, description = "The devices", body = DeviceList),
        (status = 502, description = "Traccar failed"),
        (status = 503, description = "Traccar is not configured"),
    ))]
pub async fn devices(State(state): State<AppState>) -> Result<Json<DeviceList>, AppError> {
    let client = state.traccar()?;
    let api = client.devices();
    let filter = DeviceFilter::default();
    let (devices, techs) = tokio::join!(
        crate::upstream::timed("traccar", "devices", api.list(&filter)),
        technician_map(&state),
    );
    let devices = devices.map_err(|e| from_traccar(&e))?;
    Ok(Json(DeviceList {
        devices: devices
            .into_iter()
            .map(|d| {
                let tech = techs.get(&d.id.get());
                let mut v = serde_json::to_value(&d).unwrap_or(Value::Null);
                if let Value::Object(m) = &mut v {
                    m.insert("technician".into(), json!(tech));
                }
                v
            })
            .collect(),
    }))
}

/// Latest positions.
#[derive(Debug, Serialize, ToSchema)]
pub struct LatestPositions {
    /// Each position (`deviceId`, `latitude`, `longitude`, `fixTime`, `speedKmh`,
    /// `speedKnots`, `course`, `address`, `valid`) with its `technician`.
    #[schema(value_type = Vec<Object>)]
    pub positions: Vec<Value>,
}

/// The latest position of every device, or of the `deviceId`s given (repeatable).
#[utoipa::path(get, path = "/traccar/positions/latest", tag = "dispatch",
    security(("staff" = ["dispatch"]), ("service_token" = ["dispatch"])),
    params(("deviceId" = Option<Vec<i64>>, Query, description = "Traccar device ids (repeatable); all devices when absent")),
    responses(
        (status = 200, description = "The positions", body = LatestPositions),
        (status = 400, description = "A deviceId that is not a number"),
        (status = 502, description = "Traccar failed"),
        (status = 503, description = "Traccar is not configured"),
    ))]
pub async fn latest_positions(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<LatestPositions>, AppError> {
    let client = state.traccar()?;
    let params = super::query_params(raw.as_deref(), &["deviceId"])?;
    let mut ids = Vec::new();
    for (_, v) in &params {
        let id: i64 = v
            .trim()
            .parse()
            .ok()
            .filter(|i| *i > 0)
            .ok_or_else(|| AppError::invalid("deviceId", "a deviceId is a positive number"))?;
        ids.push(DeviceId(id));
    }
    let positions = if ids.is_empty() {
        crate::upstream::timed("traccar", "latest_all", client.positions().latest_all()).await
    } else {
        crate::upstream::timed(
            "traccar",
            "latest_many",
            client.positions().latest_many(&ids, LatestVia::Auto),
        )
        .await
    }
    .map_err(|e| from_traccar(&e))?;
    let techs = technician_map(&state).await;
    Ok(Json(LatestPositions {
        positions: positions
            .iter()
            .map(|p| position_view(p, techs.get(&p.device_id.get())))
            .collect(),
    }))
}

/// A job's ETA.
#[derive(Debug, Serialize, ToSchema)]
pub struct Eta {
    /// The Dispatch Job.
    pub job: String,
    /// Its technician.
    pub technician: Technician,
    /// Where the technician is (`latitude`, `longitude`, `fixTime`, `speedKmh`, ...).
    #[schema(value_type = Object)]
    pub from: Value,
    /// Where the job is (`service_location`, `latitude`, `longitude`).
    #[schema(value_type = Object)]
    pub to: Value,
    /// Straight-line distance (km).
    pub distance_km: f64,
    /// Estimated minutes on the road.
    pub eta_minutes: f64,
    /// When the technician would arrive at that pace (UTC).
    pub arrives_at: String,
    /// How it was estimated: `straight_line` (great-circle distance at `average_speed_kmh`)
    /// until a routing engine is configured.
    pub method: &'static str,
    /// The speed used (km/h).
    pub average_speed_kmh: f64,
}

/// The ETA of a job's assigned technician to its Service Location, from their latest
/// position.
#[utoipa::path(get, path = "/dispatch/jobs/{name}/eta", tag = "dispatch",
    security(("staff" = ["dispatch"]), ("service_token" = ["dispatch"])),
    params(("name" = String, Path, description = "The Dispatch Job")),
    responses(
        (status = 200, description = "The estimate", body = Eta),
        (status = 404, description = "No such job, or no position for its technician"),
        (status = 409, description = "No technician assigned, or none with a Traccar device, or a location without coordinates"),
        (status = 502, description = "ERPNext or Traccar failed"),
        (status = 503, description = "ERPNext or Traccar is not configured"),
    ))]
pub async fn eta(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<Eta>, AppError> {
    let name = super::devices::checked_key("name", &name)?.to_owned();
    let erp = state.frappe()?;
    let client = state.traccar()?;
    let get = |doctype: &'static str, docname: String| async move {
        match crate::upstream::timed("erpnext", "get", erp.doctype(doctype).get(&docname)).await {
            Ok(d) => Ok(serde_json::to_value(d).unwrap_or(Value::Null)),
            Err(e) if e.is_not_found() => {
                Err(AppError::not_found(format!("no {doctype} {docname}")))
            }
            Err(e) => Err(crate::error::from_frappe(&e)),
        }
    };
    let job = get("Dispatch Job", name.clone()).await?;
    let conflict = |m: String| AppError::new(StatusCode::CONFLICT, "not_possible", m);
    let tech_name = job["technician"]
        .as_str()
        .filter(|t| !t.is_empty())
        .ok_or_else(|| conflict(format!("{name} has no technician assigned")))?
        .to_owned();
    let location_name = job["service_location"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let (tech, location) = tokio::join!(
        get("Technician", tech_name.clone()),
        get("Service Location", location_name.clone())
    );
    let (tech, location) = (tech?, location?);
    let technician = Technician::from_doc(&tech)
        .ok_or_else(|| AppError::not_found(format!("no Technician {tech_name}")))?;
    let device = technician
        .traccar_device_id
        .ok_or_else(|| conflict(format!("{tech_name} has no Traccar device")))?;
    let to = location["latitude"]
        .as_f64()
        .zip(location["longitude"].as_f64())
        .and_then(|(lat, lon)| Point::new(lat, lon))
        .ok_or_else(|| conflict(format!("{location_name} has no coordinates")))?;
    let position = crate::upstream::timed(
        "traccar",
        "latest",
        client.positions().latest(DeviceId(device)),
    )
    .await
    .map_err(|e| from_traccar(&e))?
    .ok_or_else(|| AppError::not_found(format!("Traccar has no position for {tech_name}")))?;
    let from = Point::new(position.latitude, position.longitude).ok_or_else(|| {
        conflict(format!(
            "{tech_name}'s latest position has no usable coordinates"
        ))
    })?;
    let speed = state.settings.dispatch.average_speed_kmh;
    let distance_m = from.distance_m(&to);
    let minutes = travel_minutes(distance_m, speed).unwrap_or(0.0);
    let arrives = chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now())
        + chrono::TimeDelta::seconds((minutes * 60.0).round() as i64);
    let mut from_view = position_view(&position, None);
    if let Value::Object(m) = &mut from_view {
        m.remove("technician");
    }
    Ok(Json(Eta {
        job: name,
        from: from_view,
        technician,
        to: json!({
            "service_location": location_name,
            "latitude": to.lat,
            "longitude": to.lon,
        }),
        distance_km: (distance_m / 100.0).round() / 10.0,
        eta_minutes: minutes.round(),
        arrives_at: arrives.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        method: "straight_line",
        average_speed_kmh: speed,
    }))
}
