//! Operating the hub: who am I, dead letters and their replay.

use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::auth::{Caller, Identity};
use crate::error::AppError;
use crate::state::AppState;
use crate::store::{DeadLetter, Queue, QueueKind};

/// The caller as the hub sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct WhoAmI {
    /// `staff` or `service`.
    pub kind: &'static str,
    /// Username or token name.
    pub name: String,
    /// Authentik groups (staff only).
    pub groups: Vec<String>,
    /// Capabilities.
    pub capabilities: Vec<String>,
}

/// Who the hub thinks is calling, and what they may do.
#[utoipa::path(get, path = "/whoami", tag = "operations",
    security(("staff" = []), ("service_token" = [])),
    responses((status = 200, body = WhoAmI), (status = 401, description = "No identity")))]
pub async fn whoami(Caller(caller): Caller) -> Json<WhoAmI> {
    let caps = caller
        .capabilities()
        .iter()
        .map(|c| c.as_str().to_owned())
        .collect();
    Json(match caller.as_ref() {
        Identity::Staff {
            username, groups, ..
        } => WhoAmI {
            kind: "staff",
            name: username.clone(),
            groups: groups.clone(),
            capabilities: caps,
        },
        Identity::Service { name, .. } => WhoAmI {
            kind: "service",
            name: name.clone(),
            groups: Vec::new(),
            capabilities: caps,
        },
    })
}

fn queue(state: &AppState, name: &str) -> Result<Queue, AppError> {
    match QueueKind::parse(name) {
        Some(QueueKind::Inbox) => Ok(state.store.inbox()),
        Some(QueueKind::Outbox) => Ok(state.store.outbox()),
        None => Err(AppError::invalid("queue", "the queue is inbox or outbox")),
    }
}

/// Messages that failed too often (newest first, at most 500).
#[utoipa::path(get, path = "/admin/dead-letters/{queue}", tag = "admin",
    security(("staff" = ["admin"]), ("service_token" = ["admin"])),
    params(("queue" = String, Path, description = "inbox or outbox")),
    responses((status = 200, body = Vec<DeadLetter>), (status = 400, description = "Unknown queue")))]
pub async fn dead_letters(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<Vec<DeadLetter>>, AppError> {
    Ok(Json(queue(&state, &name)?.dead_letters(500).await?))
}

/// Puts a dead letter back in its queue, to be tried again now.
#[utoipa::path(post, path = "/admin/dead-letters/{queue}/{id}/replay", tag = "admin",
    security(("staff" = ["admin"]), ("service_token" = ["admin"])),
    params(("queue" = String, Path, description = "inbox or outbox"), ("id" = i64, Path, description = "The dead letter's id")),
    responses((status = 200, description = "Queued again"), (status = 404, description = "No such dead letter")))]
pub async fn replay(
    State(state): State<AppState>,
    Path((name, id)): Path<(String, String)>,
) -> Result<Json<Value>, AppError> {
    let q = queue(&state, &name)?;
    let id: i64 = id
        .parse()
        .map_err(|_| AppError::invalid("id", "a dead letter id is an integer"))?;
    if !q.replay(id).await? {
        return Err(AppError::not_found(format!(
            "no dead letter {id} in the {name}"
        )));
    }
    match q.kind() {
        QueueKind::Inbox => state.inbox_wake.notify_one(),
        QueueKind::Outbox => state.outbox_wake.notify_one(),
    }
    Ok(Json(json!({"status": "queued", "queue": name, "id": id})))
}
