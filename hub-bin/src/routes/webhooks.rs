//! `POST /webhooks/frappe`: ERPNext's outgoing webhooks.
//!
//! Not behind ForwardAuth: the signature is the proof. It is checked against every configured
//! secret (a secret per Webhook document) **before** the body is parsed; then the delivery is
//! stored in the inbox (a duplicate is acknowledged and not stored again) and acknowledged. The
//! inbox worker turns it into events.

use axum::Json;
use axum::body::{Body, to_bytes};
use axum::extract::{RawQuery, State};
use http::{HeaderMap, StatusCode};
use secrecy::ExposeSecret;
use serde::Serialize;
use utoipa::ToSchema;

use crate::erpnext::{EVENTS, file_delivery};
use crate::error::AppError;
use crate::state::AppState;
use crate::store::EnqueueOutcome;

/// What the hub did with a delivery.
#[derive(Debug, Serialize, ToSchema)]
pub struct Accepted {
    /// `accepted` (stored, will be processed) or `duplicate` (stored before; not processed
    /// again).
    pub status: &'static str,
    /// The inbox id.
    pub id: i64,
    /// `doctype|name|modified|event`.
    pub delivery_key: String,
}

/// An ERPNext webhook delivery. Configure the Webhook with "Enable Security" (its secret in
/// `FRAPPE_WEBHOOK_SECRETS`) and request structure JSON with at least `doctype`, `name` and
/// `modified` of the document, plus `"event": "<its doc event>"` (default `on_update`). The
/// event is read from the signed body, never from the URL, so a signed delivery cannot be
/// replayed as another event.
#[utoipa::path(post, path = "/webhooks/frappe", tag = "webhooks", security(()),
    request_body(content = String, description = "The document (the Webhook's JSON data)", content_type = "application/json"),
    responses(
        (status = 202, description = "Stored; it will be processed", body = Accepted),
        (status = 200, description = "A duplicate delivery: acknowledged, not processed again", body = Accepted),
        (status = 400, description = "The body lacks doctype, name or modified, or names an unknown event"),
        (status = 401, description = "Missing or wrong X-Frappe-Webhook-Signature"),
        (status = 413, description = "The body is larger than HUB_WEBHOOK_BODY_LIMIT"),
        (status = 503, description = "No webhook secret is configured"),
    ))]
pub async fn frappe(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<Accepted>), AppError> {
    let limit = state.settings.workers.webhook_body_limit;
    let body = to_bytes(body, limit).await.map_err(|_| {
        AppError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("a webhook body is at most {limit} bytes"),
        )
    })?;
    let secrets = &state.settings.frappe_webhooks.secrets;
    if secrets.is_empty() {
        return Err(AppError::not_configured(
            "frappe webhooks",
            &["FRAPPE_WEBHOOK_SECRETS"],
        ));
    }
    let signature = headers
        .get("x-frappe-webhook-signature")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            metrics::counter!("hub_webhook_received_total", "provider" => "frappe", "outcome" => "unsigned").increment(1);
            AppError::unauthorized("X-Frappe-Webhook-Signature is missing: enable security on the Webhook")
        })?;
    let webhook = secrets
        .iter()
        .find(|(_, secret)| {
            frappe_client::verify_webhook(secret.expose_secret().as_bytes(), &body, signature)
                .is_ok()
        })
        .map(|(name, _)| name.clone())
        .ok_or_else(|| {
            metrics::counter!("hub_webhook_received_total", "provider" => "frappe", "outcome" => "bad_signature").increment(1);
            AppError::unauthorized("the signature matches no configured webhook secret")
        })?;
    // The doc event comes from the signed body (the Webhook's JSON carries it): a query
    // parameter would let anyone replay a signed body as another event.
    super::query_params(query.as_deref(), &[])?;
    let doc: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|e| AppError::invalid("body", format!("the body is not JSON: {e}")))?;
    let event = match doc.get("event") {
        None | Some(serde_json::Value::Null) => "on_update".to_owned(),
        Some(serde_json::Value::String(v)) if EVENTS.contains(&v.as_str()) && v != "poll" => {
            v.clone()
        }
        Some(_) => {
            return Err(AppError::invalid(
                "event",
                format!(
                    "event must be a Frappe doc event ({})",
                    EVENTS[..EVENTS.len() - 1].join(", ")
                ),
            ));
        }
    };
    let (version, outcome) = file_delivery(&state, &doc, &event, &body, &webhook).await?;
    let (status, code, id) = match outcome {
        EnqueueOutcome::New(id) => (StatusCode::ACCEPTED, "accepted", id),
        EnqueueOutcome::Duplicate(id) => (StatusCode::OK, "duplicate", id),
        EnqueueOutcome::SubjectSeen => (StatusCode::OK, "duplicate", 0),
    };
    metrics::counter!("hub_webhook_received_total", "provider" => "frappe", "outcome" => code)
        .increment(1);
    Ok((
        status,
        Json(Accepted {
            status: code,
            id,
            delivery_key: version.delivery_key(&event),
        }),
    ))
}
