//! Device actions (capability `devices:write`): refresh, reboot and set Wi-Fi on a modem found by
//! serial, each answering the real task outcome. Each action is recorded on the customer's
//! timeline (an SSE event on `/customers/{customer}/timeline`) and, through the outbox, as an
//! ERPNext Communication (type Comment) on the Customer's timeline — never with a passphrase.

use std::time::Duration;

use axum::Json;
use axum::extract::{Path, State};
use frappe_client::Filter;
use genieacs_client::{Band, DeviceId, Passphrase, Task, TaskOptions, TaskOutcome, WifiChange};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::auth::{Caller, Identity};
use crate::error::AppError;
use crate::state::AppState;
use crate::store::NewEvent;

/// What an action did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActionResult {
    /// `refresh`, `reboot` or `set_wifi`.
    pub action: &'static str,
    /// The GenieACS device id.
    pub device_id: String,
    /// `done`, `faulted`, `queued` (runs at the next session) or `connection_request_failed`.
    pub status: &'static str,
    /// GenieACS's reason, or the fault's code and message.
    pub detail: Option<String>,
    /// Extra facts: the snapshot after a refresh; the networks changed and whether the SSID
    /// read back after a Wi-Fi change.
    pub result: Value,
    /// The customer whose timeline records the action, when ERPNext knows the modem.
    pub customer: Option<String>,
}

/// A Wi-Fi change. The passphrase is never stored, logged or echoed.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WifiBody {
    /// `2.4GHz`, `5GHz` or `6GHz`; absent: every customer-facing network.
    pub band: Option<String>,
    /// New SSID (1 to 32 bytes).
    pub ssid: Option<String>,
    /// New WPA passphrase (8 to 63 printable ASCII characters).
    pub passphrase: Option<String>,
}

impl std::fmt::Debug for WifiBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WifiBody")
            .field("band", &self.band)
            .field("ssid", &self.ssid)
            .field("passphrase", &self.passphrase.as_ref().map(|_| "***"))
            .finish()
    }
}

fn acs_error(e: genieacs_client::Error) -> AppError {
    match e {
        genieacs_client::Error::InvalidInput(m) => AppError::invalid("body", m),
        e => AppError::upstream(
            "genieacs",
            axum::http::StatusCode::BAD_GATEWAY,
            e.to_string(),
        ),
    }
}

async fn device_for(state: &AppState, serial: &str) -> Result<DeviceId, AppError> {
    let client = state.genieacs()?;
    let found = crate::upstream::timed(
        "genieacs",
        "find_by_serial",
        client.devices().find_by_serial(serial),
    )
    .await
    .map_err(acs_error)?;
    found
        .into_iter()
        .next()
        .map(|d| d.id)
        .ok_or_else(|| AppError::not_found(format!("no modem with serial {serial:?} in GenieACS")))
}

/// The customer of the Service Equipment with this serial (the lookup's own ERPNext source);
/// `None` when ERPNext is not configured, does not know it, or does not answer within 5 s (the
/// action is done; only the record lacks a customer).
async fn customer_for(state: &AppState, serial: &str) -> Option<String> {
    let found = super::devices::equipment_source(state, Filter::eq("serial_number", serial));
    let equipment = tokio::time::timeout(Duration::from_secs(5), found)
        .await
        .ok()?
        .ok()??;
    equipment
        .get("customer")
        .and_then(Value::as_str)
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
}

fn who(caller: &Identity) -> String {
    match caller {
        Identity::Staff { username, .. } => username.clone(),
        Identity::Service { name, .. } => format!("service:{name}"),
    }
}

/// Publishes the timeline event and queues the ERPNext comment.
async fn record(
    state: &AppState,
    caller: &Identity,
    serial: &str,
    r: &ActionResult,
) -> Result<(), AppError> {
    let Some(customer) = &r.customer else {
        return Ok(());
    };
    let by = who(caller);
    let summary = format!(
        "Modem {serial}: {} by {by} — {}{}",
        r.action,
        r.status,
        r.detail
            .as_deref()
            .map(|d| format!(" ({d})"))
            .unwrap_or_default()
    );
    let key = format!("device-action:{}", crate::sandbox::random_hex(12));
    let event = NewEvent {
        kind: format!("device.{}", r.action),
        topics: vec![format!(
            "/customers/{}/timeline",
            crate::bus::topic_segment(customer)
        )],
        acl: None,
        data: json!({
            "serial": serial,
            "device_id": r.device_id,
            "action": r.action,
            "status": r.status,
            "detail": r.detail,
            "by": by,
            "summary": summary,
        }),
    };
    state
        .bus
        .publish(&event, Some(&key))
        .await
        .map_err(AppError::internal)?;
    let comment = json!({
        "doctype": "Communication",
        "fields": {
            "subject": summary,
            "content": summary,
            "communication_type": "Comment",
            "communication_medium": "Other",
            "sent_or_received": "Sent",
            "status": "Linked",
            "reference_doctype": "Customer",
            "reference_name": customer,
            "timeline_links": [{"link_doctype": "Customer", "link_name": customer}],
        }
    });
    state
        .store
        .outbox()
        .enqueue(
            "frappe.insert",
            &key,
            &json!({}),
            comment.to_string().as_bytes(),
            Some(customer),
            false,
        )
        .await
        .map_err(AppError::internal)?;
    state.outbox_wake.notify_one();
    Ok(())
}

async fn finish(
    state: &AppState,
    caller: &Identity,
    serial: &str,
    action: &'static str,
    device_id: &DeviceId,
    outcome: &TaskOutcome,
    result: Value,
) -> Result<Json<ActionResult>, AppError> {
    let r = ActionResult {
        action,
        device_id: device_id.to_string(),
        status: outcome.status(),
        detail: outcome.detail(),
        result,
        customer: customer_for(state, serial).await,
    };
    record(state, caller, serial, &r).await?;
    Ok(Json(r))
}

/// Asks the modem for fresh values of everything its snapshot shows, and answers the snapshot.
#[utoipa::path(post, path = "/devices/{serial}/refresh", tag = "devices",
    security(("staff" = ["devices:write"]), ("service_token" = ["devices:write"])),
    params(("serial" = String, Path, description = "The modem's serial number")),
    responses(
        (status = 200, description = "The outcome, and the snapshot (cached values with their age when the modem did not answer)", body = ActionResult),
        (status = 404, description = "No such modem in GenieACS"),
        (status = 503, description = "GenieACS is not configured"),
    ))]
pub async fn refresh(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(serial): Path<String>,
) -> Result<Json<ActionResult>, AppError> {
    let serial = super::devices::checked_key("serial", &serial)?;
    let id = device_for(&state, serial).await?;
    let r = state
        .genieacs()?
        .devices()
        .refresh_then_snapshot(
            &id,
            &TaskOptions::default(),
            state.settings.refresh_deadline,
        )
        .await
        .map_err(acs_error)?
        .ok_or_else(|| AppError::not_found("the modem was deleted meanwhile"))?;
    let snapshot = serde_json::to_value(&r.snapshot).unwrap_or(Value::Null);
    finish(
        &state, &caller, serial, "refresh", &id, &r.outcome, snapshot,
    )
    .await
}

/// Reboots the modem (one reboot at a time: a second request replaces a queued one).
#[utoipa::path(post, path = "/devices/{serial}/reboot", tag = "devices",
    security(("staff" = ["devices:write"]), ("service_token" = ["devices:write"])),
    params(("serial" = String, Path, description = "The modem's serial number")),
    responses(
        (status = 200, description = "The outcome", body = ActionResult),
        (status = 404, description = "No such modem in GenieACS"),
        (status = 503, description = "GenieACS is not configured"),
    ))]
pub async fn reboot(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(serial): Path<String>,
) -> Result<Json<ActionResult>, AppError> {
    let serial = super::devices::checked_key("serial", &serial)?;
    let id = device_for(&state, serial).await?;
    let options = TaskOptions::default().unique_key("gigafibre-reboot");
    let s = crate::upstream::timed(
        "genieacs",
        "reboot",
        state
            .genieacs()?
            .tasks()
            .submit(&id, &Task::Reboot, &options),
    )
    .await
    .map_err(acs_error)?;
    let result = json!({"task_id": s.task_id});
    finish(&state, &caller, serial, "reboot", &id, &s.outcome, result).await
}

/// Sets the SSID and/or passphrase (all customer networks, or one band), refreshed first and
/// read back; nothing is queued when the modem cannot be reached.
#[utoipa::path(post, path = "/devices/{serial}/wifi", tag = "devices",
    security(("staff" = ["devices:write"]), ("service_token" = ["devices:write"])),
    params(("serial" = String, Path, description = "The modem's serial number")),
    request_body = WifiBody,
    responses(
        (status = 200, description = "The outcome, the networks changed, whether the SSID read back", body = ActionResult),
        (status = 400, description = "A bad SSID, passphrase or band (named, never echoed)"),
        (status = 404, description = "No such modem in GenieACS"),
        (status = 503, description = "GenieACS is not configured"),
    ))]
pub async fn set_wifi(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(serial): Path<String>,
    body: Result<Json<WifiBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<ActionResult>, AppError> {
    let serial = super::devices::checked_key("serial", &serial)?;
    // The rejection text of a body with a passphrase could quote it: say only what is wrong.
    let Json(body) = body.map_err(|e| {
        AppError::invalid(
            "body",
            match e {
                axum::extract::rejection::JsonRejection::MissingJsonContentType(_) => {
                    "send the change as application/json"
                }
                _ => "the body is a JSON object with band, ssid and passphrase (strings)",
            },
        )
    })?;
    let mut change = WifiChange::new();
    if let Some(b) = &body.band {
        change = change.band(
            b.parse::<Band>()
                .map_err(|_| AppError::invalid("band", "the band is 2.4GHz, 5GHz or 6GHz"))?,
        );
    }
    if let Some(s) = body.ssid {
        change = change.ssid(s);
    }
    if let Some(p) = body.passphrase {
        let p = Passphrase::new(p).map_err(|e| match e {
            genieacs_client::Error::InvalidInput(m) => AppError::invalid("passphrase", m),
            e => AppError::internal(e),
        })?;
        change = change.passphrase(p);
    }
    let id = device_for(&state, serial).await?;
    let r = state
        .genieacs()?
        .devices()
        .set_wifi(&id, &change, &TaskOptions::default())
        .await
        .map_err(acs_error)?
        .ok_or_else(|| AppError::not_found("the modem was deleted meanwhile"))?;
    let result = json!({"networks": r.networks, "confirmed": r.confirmed});
    finish(&state, &caller, serial, "set_wifi", &id, &r.outcome, result).await
}
