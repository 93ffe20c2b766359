//! The inbox and outbox workers: claim due messages under a lease, handle them, and record the
//! outcome (done, retried later with backoff, or dead-lettered).
//!
//! A message is acknowledged to its sender only after it is stored, and marked done only after
//! it is handled, so a process killed in between leaves it pending: the next worker to start
//! claims it.

use std::sync::Arc;
use std::time::Duration;

use frappe_client::DocPatch;
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::{Notify, watch};

use crate::state::AppState;
use crate::store::{Claimed, Queue};
use crate::telemetry::Throttle;

/// Handles one message: `Err((permanent, reason))` on failure.
type Outcome = Result<(), (bool, String)>;

async fn handle_inbox(state: &AppState, msg: &Claimed) -> Outcome {
    match msg.source.as_str() {
        crate::erpnext::SOURCE => crate::erpnext::process(state, msg).await,
        other => Err((true, format!("no handler for inbox source {other:?}"))),
    }
}

/// An outgoing write to ERPNext (outbox kinds `frappe.update` and `frappe.insert`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FrappeWrite {
    doctype: String,
    #[serde(default)]
    name: Option<String>,
    fields: Value,
}

async fn handle_outbox(state: &AppState, msg: &Claimed) -> Outcome {
    let write = |msg: &Claimed| -> Result<FrappeWrite, (bool, String)> {
        serde_json::from_slice(&msg.body).map_err(|e| (true, format!("bad payload: {e}")))
    };
    let transient = |e: frappe_client::Error| {
        let permanent = e.is_validation() || e.is_not_found() || e.is_permission();
        (permanent, e.to_string())
    };
    match msg.source.as_str() {
        "frappe.update" => {
            let w = write(msg)?;
            let name = w
                .name
                .ok_or((true, "frappe.update needs a name".to_owned()))?;
            let client = state.frappe().map_err(|e| (false, e.message))?;
            let docs = client.doctype(w.doctype);
            let patch = DocPatch::from_fields(&w.fields);
            crate::upstream::timed("erpnext", "update", docs.update(&name, &patch))
                .await
                .map(drop)
                .map_err(transient)
        }
        "frappe.insert" => {
            let w = write(msg)?;
            let client = state.frappe().map_err(|e| (false, e.message))?;
            let docs = client.doctype(w.doctype);
            crate::upstream::timed("erpnext", "insert", docs.insert(&w.fields))
                .await
                .map(drop)
                .map_err(transient)
        }
        other if other.starts_with("invite.") => crate::invites::run_step(state, msg).await,
        other => Err((true, format!("no handler for outbox kind {other:?}"))),
    }
}

async fn run(
    state: AppState,
    queue: Queue,
    wake: Arc<Notify>,
    mut shutdown: watch::Receiver<bool>,
) {
    let name = queue.kind().as_str();
    let settings = state.settings.workers.clone();
    let mut failures = Throttle::new(Duration::from_secs(60));
    loop {
        if *shutdown.borrow() {
            return;
        }
        match queue.claim(settings.lease).await {
            Ok(Some(msg)) => {
                let outcome = match queue.kind() {
                    crate::store::QueueKind::Inbox => handle_inbox(&state, &msg).await,
                    crate::store::QueueKind::Outbox => handle_outbox(&state, &msg).await,
                };
                let recorded = match outcome {
                    Ok(()) => {
                        metrics::counter!("hub_queue_processed_total", "queue" => name, "outcome" => "done").increment(1);
                        match queue.complete(&msg).await {
                            Ok(false) => {
                                tracing::warn!(
                                    queue = name,
                                    id = msg.id,
                                    "the lease ran out before the message was done; another worker owns it now"
                                );
                                Ok(())
                            }
                            other => other.map(drop),
                        }
                    }
                    Err((permanent, reason)) => {
                        let max = if permanent {
                            msg.attempts
                        } else {
                            settings.max_attempts
                        };
                        let res = queue.fail(&msg, &reason, max, settings.backoff).await;
                        let dead = matches!(res, Ok(true));
                        let outcome = if dead { "dead" } else { "retry" };
                        if queue.kind() == crate::store::QueueKind::Outbox
                            && msg.source.starts_with("invite.")
                        {
                            crate::invites::step_failed(&state, &msg, &reason, dead).await;
                        }
                        metrics::counter!("hub_queue_processed_total", "queue" => name, "outcome" => outcome).increment(1);
                        tracing::warn!(queue = name, id = msg.id, source = %msg.source, attempts = msg.attempts, outcome, error = %reason, "message failed");
                        res.map(drop)
                    }
                };
                if let Err(e) = recorded {
                    failures.error("worker.record", &e);
                }
                continue;
            }
            Ok(None) => failures.clear("worker.claim"),
            Err(e) => failures.error("worker.claim", &e),
        }
        tokio::select! {
            () = wake.notified() => {}
            () = tokio::time::sleep(settings.poll) => {}
            _ = shutdown.wait_for(|s| *s) => return,
        }
    }
}

/// Runs the inbox workers until `shutdown`.
pub async fn run_inbox(state: AppState, shutdown: watch::Receiver<bool>) {
    let wake = Arc::clone(&state.inbox_wake);
    let queue = state.store.inbox();
    run(state, queue, wake, shutdown).await;
}

/// Runs the outbox workers until `shutdown`.
pub async fn run_outbox(state: AppState, shutdown: watch::Receiver<bool>) {
    let wake = Arc::clone(&state.outbox_wake);
    let queue = state.store.outbox();
    run(state, queue, wake, shutdown).await;
}
