//! `GET /devices/lookup`: the consolidated diagnostic of a customer's modem, built as a
//! **fan-out frame**: each source runs concurrently under one deadline and answers its own
//! section with its age, or its own error; a source that is down, slow or not configured makes
//! the answer partial, never failed. The sources: ERPNext (the Service Equipment), GenieACS (the
//! ACS snapshot) and, for TP-Link models, the router's own live view (the TP-Link bridge),
//! merged with the ACS snapshot in `diagnostic`. The OLT's optics join the frame in their own
//! issue.

use std::future::Future;
use std::time::Instant;

use axum::Json;
use axum::extract::{RawQuery, State};
use frappe_client::Filter;
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::error::AppError;
use crate::state::AppState;

/// One source's part in the answer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SourceReport {
    /// `erpnext`, `genieacs`, `tplink`.
    pub name: &'static str,
    /// `ok`, `error`, `timeout`, `not_configured`, `not_found` or `not_applicable` (a
    /// device source asked about a model it does not serve).
    pub status: &'static str,
    /// How long it took (ms).
    pub ms: u64,
    /// What went wrong, or why the source did not apply.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The consolidated lookup.
#[derive(Debug, Serialize, ToSchema)]
pub struct Lookup {
    /// What was looked up (`serial`, `mac` or `equipment`).
    pub query: Value,
    /// The ERPNext Service Equipment, with its customer and service location.
    pub equipment: Option<Value>,
    /// The modem as GenieACS knows it: identity, last inform and its age, firmware, uptime.
    pub acs: Option<Value>,
    /// The router's own live view (TP-Link models; `RouterStatus` of the tplink-bridge crate,
    /// plus the `address` it was read at): device, WAN, Wi-Fi (keys never), hosts, mesh nodes
    /// with their stations, optics in physical units.
    pub router: Option<Value>,
    /// The router's view merged with the ACS snapshot, each section naming its sources.
    pub diagnostic: Option<crate::diagnostic::Diagnostic>,
    /// The ONU as its OLT sees it, live (olt-snmp's `OpticalStatus`, camelCase, absent
    /// readings left out) with its `signal` verdict (`good`, `weak`, `critical`, `overload`,
    /// `unknown`), found by the equipment's GPON serial.
    #[serde(rename = "opticalStatus")]
    pub optical_status: Option<Value>,
    /// Each source's status.
    pub sources: Vec<SourceReport>,
}

/// Runs one source under the shared deadline.
pub(crate) async fn run_source<T>(
    name: &'static str,
    deadline: Instant,
    fut: impl Future<Output = Result<Option<T>, SourceError>>,
) -> (SourceReport, Option<T>) {
    let started = Instant::now();
    let left = deadline.saturating_duration_since(started);
    let out = tokio::time::timeout(left, fut).await;
    let ms = started.elapsed().as_millis() as u64;
    let (status, error, value) = match out {
        Err(_) => (
            "timeout",
            Some(format!(
                "no answer within the lookup deadline ({} ms)",
                left.as_millis()
            )),
            None,
        ),
        Ok(Ok(Some(v))) => ("ok", None, Some(v)),
        Ok(Ok(None)) => ("not_found", None, None),
        Ok(Err(SourceError::NotConfigured(what))) => ("not_configured", Some(what), None),
        Ok(Err(SourceError::NotApplicable(why))) => ("not_applicable", Some(why), None),
        Ok(Err(SourceError::Missing(what))) => ("not_found", Some(what), None),
        Ok(Err(SourceError::Failed(e))) => ("error", Some(e), None),
    };
    (
        SourceReport {
            name,
            status,
            ms,
            error,
        },
        value,
    )
}

/// Why a source gave no section.
pub(crate) enum SourceError {
    NotConfigured(String),
    /// The source does not serve this device (a TP-Link source asked about a Huawei).
    NotApplicable(String),
    /// Something the source needs is missing (no router address).
    Missing(String),
    Failed(String),
}

/// Normalises a MAC to `AA:BB:CC:DD:EE:FF`.
pub(crate) fn normal_mac(raw: &str) -> Option<String> {
    let hex: String = raw.chars().filter(char::is_ascii_hexdigit).collect();
    let separators_ok = raw
        .chars()
        .all(|c| c.is_ascii_hexdigit() || matches!(c, ':' | '-' | '.'));
    (hex.len() == 12 && separators_ok).then(|| {
        hex.to_ascii_uppercase()
            .as_bytes()
            .chunks(2)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join(":")
    })
}

fn age_secs(t: Option<chrono::DateTime<chrono::Utc>>) -> Option<i64> {
    t.map(|t| {
        (chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now()) - t).num_seconds()
    })
}

/// The diagnostic of one modem: by `serial`, `mac` or ERPNext Service Equipment name
/// (`equipment`), with the equipment's customer and service location.
#[utoipa::path(get, path = "/devices/lookup", tag = "devices",
    security(("staff" = ["devices:read"]), ("service_token" = ["devices:read"])),
    params(
        ("serial" = Option<String>, Query, description = "The modem's serial number"),
        ("mac" = Option<String>, Query, description = "Its MAC address (any separators)"),
        ("equipment" = Option<String>, Query, description = "An ERPNext Service Equipment name"),
    ),
    responses(
        (status = 200, description = "Every source's section, or its error", body = Lookup),
        (status = 400, description = "Not exactly one of serial, mac, equipment"),
    ))]
pub async fn lookup(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Lookup>, AppError> {
    let params = super::query_params(raw.as_deref(), &["serial", "mac", "equipment"])?;
    let [(key, value)] = params.as_slice() else {
        return Err(AppError::invalid(
            "serial",
            "give exactly one of serial, mac or equipment",
        ));
    };
    let value = checked_key(key, value)?.to_owned();
    let deadline = Instant::now() + state.settings.lookup_deadline;
    let erp_filter = match key.as_str() {
        "serial" => Filter::eq("serial_number", value.clone()),
        "mac" => Filter::eq(
            "mac_address",
            normal_mac(&value).ok_or_else(|| AppError::invalid("mac", "not a MAC address"))?,
        ),
        _ => Filter::eq("name", value.clone()),
    };
    let query = json!({key.as_str(): value});
    let ((erp_report, equipment), (acs_report, acs)) = if key == "serial" {
        // The serial is known: both sources at once.
        tokio::join!(
            run_source("erpnext", deadline, equipment_source(&state, erp_filter)),
            run_source(
                "genieacs",
                deadline,
                acs_source(&state, Some(value.clone()))
            ),
        )
    } else {
        // By MAC or equipment name, the serial comes from ERPNext first.
        let erp = run_source("erpnext", deadline, equipment_source(&state, erp_filter)).await;
        let serial = erp
            .1
            .as_ref()
            .and_then(|e| e.get("serial_number"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        (
            erp,
            run_source("genieacs", deadline, acs_source(&state, serial)).await,
        )
    };
    // The router needs the model and address (ACS) and its credentials (ERPNext); the OLT
    // the equipment's GPON serial.
    let ((router_report, router), (olt_report, optical_status)) = tokio::join!(
        run_source(
            "tplink",
            deadline,
            router_source(&state, equipment.as_ref(), acs.as_ref()),
        ),
        run_source(
            "olt",
            deadline,
            olt_source(&state, equipment.as_ref(), acs.as_ref())
        ),
    );
    let diagnostic = crate::diagnostic::merge(acs.as_ref(), router.as_ref());
    Ok(Json(Lookup {
        query,
        equipment,
        acs,
        router,
        diagnostic,
        optical_status,
        sources: vec![erp_report, acs_report, router_report, olt_report],
    }))
}

/// A serial, MAC or equipment name as given: trimmed, not empty, not huge, no control
/// characters.
pub(crate) fn checked_key<'a>(field: &str, value: &'a str) -> Result<&'a str, AppError> {
    let v = value.trim();
    if v.is_empty() || v.len() > 128 || v.chars().any(char::is_control) {
        return Err(AppError::invalid(
            field,
            format!("{field} is empty or malformed"),
        ));
    }
    Ok(v)
}

/// The Service Equipment matching `filter`, from ERPNext.
pub(crate) async fn equipment_source(
    state: &AppState,
    filter: Filter,
) -> Result<Option<Value>, SourceError> {
    let client = state
        .frappe()
        .map_err(|e| SourceError::NotConfigured(e.message))?;
    let query = client
        .doctype("Service Equipment")
        .list()
        .filter(filter)
        .fields([
            "name",
            "serial_number",
            "mac_address",
            "customer",
            "service_location",
            "equipment_type",
            "brand",
            "model",
            "status",
            "acs_device_id",
            "admin_username",
            "gpon_serial",
        ])
        .page_size(2);
    let rows = crate::upstream::timed("erpnext", "equipment", query.page())
        .await
        .map_err(|e| SourceError::Failed(crate::error::from_frappe(&e).message))?;
    Ok(rows
        .items
        .into_iter()
        .next()
        .map(|d| serde_json::to_value(d).unwrap_or(Value::Null)))
}

/// The modem as GenieACS knows it, found by serial (never by an id built from it).
async fn acs_source(
    state: &AppState,
    serial: Option<String>,
) -> Result<Option<Value>, SourceError> {
    let client = state
        .genieacs()
        .map_err(|e| SourceError::NotConfigured(e.message))?;
    let Some(serial) = serial else {
        return Ok(None);
    };
    let devices = client.devices();
    let found = crate::upstream::timed(
        "genieacs",
        "find_by_serial",
        devices.find_by_serial(&serial),
    )
    .await
    .map_err(|e| SourceError::Failed(e.to_string()))?;
    let Some(device) = found.into_iter().next() else {
        return Ok(None);
    };
    let snapshot = crate::upstream::timed("genieacs", "snapshot", devices.snapshot(&device.id))
        .await
        .map_err(|e| SourceError::Failed(e.to_string()))?;
    let Some(snapshot) = snapshot else {
        // Deleted between the two reads.
        return Ok(None);
    };
    let mut value = serde_json::to_value(&snapshot).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut value {
        m.insert("serial".into(), json!(device.identity.serial_number));
        m.insert("product_class".into(), json!(device.identity.product_class));
        m.insert(
            "last_inform_age_secs".into(),
            json!(age_secs(snapshot.last_inform)),
        );
        m.insert("tags".into(), json!(device.tags));
    }
    Ok(Some(value))
}

/// The router's own view, for TP-Link models: through the bridge or in-process, at the ACS
/// snapshot's WAN address, with the Service Equipment's router credentials.
async fn router_source(
    state: &AppState,
    equipment: Option<&Value>,
    acs: Option<&Value>,
) -> Result<Option<Value>, SourceError> {
    let manufacturer = acs
        .and_then(|a| a["identity"]["value"]["manufacturer"].as_str())
        .or_else(|| equipment.and_then(|e| e["brand"].as_str()));
    let Some(manufacturer) = manufacturer else {
        // Neither ERPNext nor the ACS knows the device.
        return Ok(None);
    };
    if !crate::tplink::is_tplink(manufacturer) {
        return Err(SourceError::NotApplicable(format!(
            "not a TP-Link model ({manufacturer})"
        )));
    }
    let reader = state.tplink.as_ref().ok_or_else(|| {
        SourceError::NotConfigured(
            "TP-Link routers are not configured: set TPLINK_BRIDGE_URL (the bridge service) or TPLINK_DIRECT=true (in-process)"
                .to_owned(),
        )
    })?;
    let ip = acs.and_then(crate::tplink::wan_address).ok_or_else(|| {
        SourceError::Missing(
            "no router address: the ACS snapshot has no WAN IPv4 address".to_owned(),
        )
    })?;
    let port = state.settings.tplink.as_ref().map_or(80, |t| t.router_port);
    let address = format!("{ip}:{port}");
    let login = router_login(state, equipment).await;
    let mut status = crate::upstream::timed("tplink", "status", reader.status(&address, &login))
        .await
        .map_err(|e| SourceError::Failed(e.to_string()))?;
    if let Value::Object(m) = &mut status {
        m.insert("address".into(), json!(address));
    }
    Ok(Some(status))
}

/// The ONU's live reading from its OLT, by the equipment's GPON serial (else the one the ACS
/// snapshot reports): on the OLT the last poll saw it on, else the one its Service Location
/// names, else on each configured OLT.
async fn olt_source(
    state: &AppState,
    equipment: Option<&Value>,
    acs: Option<&Value>,
) -> Result<Option<Value>, SourceError> {
    let fleet = state.olts.as_ref().ok_or_else(|| {
        SourceError::NotConfigured(
            "no OLT is configured: set OLTS or [[olts]] in the config file".to_owned(),
        )
    })?;
    if equipment.is_none() && acs.is_none() {
        return Ok(None);
    }
    let from_acs = acs.and_then(|a| a["identity"]["value"]["gpon_serial"].as_str());
    let Some(raw) = equipment
        .and_then(|e| e["gpon_serial"].as_str())
        .filter(|s| !s.is_empty())
        .or(from_acs)
    else {
        return Err(SourceError::NotApplicable(
            "neither the Service Equipment nor the ACS snapshot has a GPON serial".to_owned(),
        ));
    };
    let serial = olt_snmp::Serial::parse(raw).map_err(|e| {
        SourceError::Failed(format!("the equipment's GPON serial is malformed: {e}"))
    })?;
    let mut hint = state.store.onu_olt(serial.as_str()).await.ok().flatten();
    if hint.is_none()
        && let (Some(client), Some(location)) = (
            state.frappe.as_ref(),
            equipment.and_then(|e| e["service_location"].as_str()),
        )
    {
        hint = client
            .doctype("Service Location")
            .get(location)
            .await
            .ok()
            .and_then(|d| serde_json::to_value(d).ok())
            .and_then(|d| d["olt"].as_str().map(str::to_owned));
    }
    let found = fleet
        .find(&serial, hint.as_deref())
        .await
        .map_err(SourceError::Failed)?;
    Ok(found.map(|s| fleet.with_verdict(&s)))
}

/// The router credentials of a Service Equipment: `admin_username` (or `user`) and the
/// `admin_password` Password field, which only `frappe.client.get_password` reveals. A
/// password that cannot be read is left out (the bridge may hold its own credentials).
async fn router_login(state: &AppState, equipment: Option<&Value>) -> crate::tplink::RouterLogin {
    let username = equipment
        .and_then(|e| e["admin_username"].as_str())
        .filter(|u| !u.is_empty())
        .unwrap_or("user")
        .to_owned();
    let name = equipment.and_then(|e| e["name"].as_str());
    let password = match (state.frappe.as_ref(), name) {
        (Some(client), Some(name)) => crate::upstream::timed(
            "erpnext",
            "get_password",
            crate::erpnext::admin_password(client, name),
        )
        .await
        .inspect_err(|e| tracing::debug!(equipment = name, error = %e, "no router password"))
        .ok()
        .flatten(),
        _ => None,
    };
    crate::tplink::RouterLogin { username, password }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macs_are_normalised() {
        assert_eq!(
            normal_mac("aa-bb-cc-10-01-01").as_deref(),
            Some("AA:BB:CC:10:01:01")
        );
        assert_eq!(
            normal_mac("aabb.cc10.0101").as_deref(),
            Some("AA:BB:CC:10:01:01")
        );
        assert_eq!(normal_mac("AA:BB:CC:10:01"), None);
        assert_eq!(normal_mac("AA:BB:CC:10:01:0G"), None);
    }

    #[test]
    fn a_source_past_the_deadline_is_a_timeout_not_a_failure() {
        use std::time::Duration;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let (report, value) = rt.block_on(run_source::<u8>(
            "slow",
            Instant::now() + Duration::from_millis(20),
            async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                Ok(Some(1))
            },
        ));
        assert_eq!(report.status, "timeout");
        assert!(value.is_none());
    }
}
