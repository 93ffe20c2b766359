//! Operations: `/healthz`, `/readyz`, `/metrics`, `/openapi.json`.

use std::time::Instant;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use http::header::CONTENT_TYPE;
use serde::Serialize;
use utoipa::ToSchema;

use crate::state::{AppState, READINESS_TTL, ReadinessCache};

/// The process answers.
#[utoipa::path(get, path = "/healthz", tag = "operations", security(()),
    responses((status = 200, description = "The process is up", body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// `{"status": "ok"}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok`.
    pub status: &'static str,
}

/// One dependency's readiness.
#[derive(Debug, Serialize, ToSchema)]
pub struct Check {
    /// `ok`, `failing`, `degraded` (failing, but only resumable background work needs it: the
    /// hub stays ready) or `not_configured`.
    pub status: &'static str,
    /// What it said, or what to do about it.
    pub detail: String,
}

/// Readiness of the store and each upstream.
#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    /// `ready` when nothing configured is failing.
    pub status: &'static str,
    /// The store.
    pub store: Check,
    /// ERPNext.
    pub erpnext: Check,
    /// GenieACS.
    pub genieacs: Check,
    /// The TP-Link bridge service (in-process routers are always ready).
    pub tplink: Check,
    /// The OLTs, from their last polls: failing only when every OLT's last poll failed (one
    /// OLT down is an alert, not a reason to take the hub out of service).
    pub olts: Check,
    /// The staff invite flow: authentik (token, staff groups) and the SMTP relay. `degraded`
    /// rather than `failing`: invites resume when it is back, nothing else needs it.
    pub invites: Check,
    /// Gemini (`/vision/*`): the key and the model, asked with `GET /v1beta/models/{model}`
    /// (no generation quota spent). `degraded` rather than `failing`: only the vision routes
    /// need it.
    pub vision: Check,
}

async fn olt_check(state: &AppState, fleet: &crate::olt::Fleet) -> Check {
    let mut failed = Vec::new();
    let mut polled = 0;
    for olt in fleet.olts() {
        let last = state
            .store
            .watermark(&format!("olt-poll:{}", olt.name()))
            .await
            .ok()
            .flatten()
            .and_then(|raw| serde_json::from_str::<crate::olt::poller::PollSummary>(&raw).ok());
        if let Some(p) = last {
            polled += 1;
            if let Some(e) = p.error {
                failed.push(format!("{}: {e}", olt.name()));
            }
        }
    }
    let n = fleet.olts().len();
    let detail = if failed.is_empty() {
        format!("{n} OLTs, {polled} polled, none failing")
    } else {
        format!(
            "{n} OLTs, {polled} polled; last poll failed: {}",
            failed.join("; ")
        )
    };
    Check {
        status: if polled > 0 && failed.len() == polled && polled == n {
            "failing"
        } else {
            "ok"
        },
        detail,
    }
}

/// Where a check's last answer is kept.
type Slot = fn(&mut ReadinessCache) -> &mut Option<(Instant, Result<String, String>)>;

/// Runs `probe` unless its answer in `slot` is fresher than [`READINESS_TTL`].
async fn cached_check(
    state: &AppState,
    slot: Slot,
    probe: impl std::future::Future<Output = Result<String, String>>,
) -> Check {
    let mut cache = state.readiness.lock().await;
    let fresh = slot(&mut cache)
        .as_ref()
        .filter(|(at, _)| at.elapsed() < READINESS_TTL)
        .map(|(_, r)| r.clone());
    let result = match fresh {
        Some(r) => r,
        None => {
            let r = probe.await;
            *slot(&mut cache) = Some((Instant::now(), r.clone()));
            r
        }
    };
    match result {
        Ok(detail) => Check {
            status: "ok",
            detail,
        },
        Err(detail) => Check {
            status: "failing",
            detail,
        },
    }
}

/// Ready when the store answers and every configured upstream accepts the hub's credentials;
/// an upstream that is not configured is named (with what to set) but does not make the hub
/// unready.
#[utoipa::path(get, path = "/readyz", tag = "operations", security(()),
    responses((status = 200, description = "Ready", body = Readiness),
              (status = 503, description = "Something configured is failing", body = Readiness)))]
pub async fn readyz(State(state): State<AppState>) -> Response {
    let store = match state.store.ping().await {
        Ok(()) => Check {
            status: "ok",
            detail: format!("{:?} answers", state.store.backend()).to_lowercase(),
        },
        Err(e) => Check {
            status: "failing",
            detail: format!("the database does not answer ({})", e.kind()),
        },
    };
    let erpnext = match &state.frappe {
        None => Check {
            status: "not_configured",
            detail: "set FRAPPE_URL, FRAPPE_API_KEY and FRAPPE_API_SECRET".to_owned(),
        },
        Some(client) => {
            cached_check(&state, |c| &mut c.frappe, async {
                match crate::upstream::timed("erpnext", "check_auth", client.check_auth()).await {
                    Ok(user) => Ok(format!("signed in as {user}")),
                    Err(e) if e.is_unauthorized() => Err(
                        "ERPNext rejected the API token: was Generate Keys clicked on the service user? Configure its new secret".to_owned(),
                    ),
                    Err(e) => Err(crate::error::from_frappe(&e).message),
                }
            })
            .await
        }
    };
    let genieacs = match &state.genieacs {
        None => Check {
            status: "not_configured",
            detail: "set GENIEACS_URL".to_owned(),
        },
        Some(client) => {
            cached_check(&state, |c| &mut c.genieacs, async {
                // A query on `_id` (always indexed) that matches nothing.
                let probe = genieacs_client::Query::eq("_id", "hub-readiness-probe");
                let devices = client.devices();
                crate::upstream::timed("genieacs", "readyz", devices.page(&probe, &["_id"], 0, 1))
                    .await
                    .map(|p| {
                        format!(
                            "the NBI answers ({} devices match the probe)",
                            p.items.len()
                        )
                    })
                    .map_err(|e| format!("the NBI does not answer: {e}"))
            })
            .await
        }
    };
    let tplink = match &state.tplink {
        None => Check {
            status: "not_configured",
            detail: "set TPLINK_BRIDGE_URL or TPLINK_DIRECT=true".to_owned(),
        },
        Some(reader) => cached_check(&state, |c| &mut c.tplink, reader.ready()).await,
    };
    let olts = match &state.olts {
        None => Check {
            status: "not_configured",
            detail: "set OLTS".to_owned(),
        },
        Some(fleet) => olt_check(&state, fleet).await,
    };
    let invites = match &state.invites {
        None => Check {
            status: "not_configured",
            detail: "set AUTHENTIK_URL, AUTHENTIK_TOKEN, SMTP_HOST and SMTP_FROM".to_owned(),
        },
        Some(flow) => {
            let mut c = cached_check(&state, |c| &mut c.invites, flow.ready()).await;
            if c.status == "failing" {
                c.status = "degraded";
            }
            c
        }
    };
    let vision = match &state.vision {
        None => Check {
            status: "not_configured",
            detail: "set GEMINI_API_KEY".to_owned(),
        },
        Some(client) => {
            let mut c = cached_check(&state, |c| &mut c.vision, async {
                match crate::upstream::timed("gemini", "model_info", client.model_info()).await {
                    Ok(info) => Ok(format!(
                        "{} answers",
                        info.display_name.unwrap_or(info.name)
                    )),
                    Err(e) => Err(crate::routes::vision::from_gemini(&e).message),
                }
            })
            .await;
            if c.status == "failing" {
                c.status = "degraded";
            }
            c
        }
    };
    let ready = store.status == "ok"
        && [&erpnext, &genieacs, &tplink, &olts]
            .iter()
            .all(|c| c.status != "failing");
    let body = Readiness {
        status: if ready { "ready" } else { "not_ready" },
        store,
        erpnext,
        genieacs,
        tplink,
        olts,
        invites,
        vision,
    };
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}

/// Prometheus metrics: request latency per route, upstream calls, SSE connections, events
/// published and dropped, inbox and outbox depth.
#[utoipa::path(get, path = "/metrics", tag = "operations", security(()),
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
pub async fn metrics(State(state): State<AppState>) -> Response {
    for (queue, name) in [
        (state.store.inbox(), "inbox"),
        (state.store.outbox(), "outbox"),
    ] {
        if let Ok((pending, dead)) = queue.depth().await {
            metrics::gauge!("hub_queue_depth", "queue" => name, "status" => "pending")
                .set(pending as f64);
            metrics::gauge!("hub_queue_depth", "queue" => name, "status" => "dead")
                .set(dead as f64);
        }
    }
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
        .into_response()
}

/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "operations", security(()),
    responses((status = 200, description = "The OpenAPI document")))]
pub async fn openapi(State(state): State<AppState>) -> Response {
    Json(state.openapi.as_ref().clone()).into_response()
}
