//! ERPNext's documents as live events: webhook deliveries and the catch-up poll go into the
//! inbox, and the inbox worker turns each into typed events on the right topics.
//!
//! Frappe sends no delivery id and tries a webhook three times within seconds, so a delivery is
//! keyed on `doctype|name|modified|event`; the poll (documents modified since its watermark)
//! files a document version only when no delivery about it exists, so a document is announced
//! once whichever way it arrived.

use std::time::Duration;

use frappe_client::Filter;
use serde_json::{Value, json};
use tokio::sync::watch;

use crate::state::AppState;
use crate::store::{Claimed, EnqueueOutcome, NewEvent};
use crate::telemetry::Throttle;

/// The inbox source of ERPNext documents.
pub const SOURCE: &str = "frappe";

/// The identity of one document version in a delivery body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocVersion {
    /// Doctype (`Issue`).
    pub doctype: String,
    /// Document name.
    pub name: String,
    /// Its `modified` timestamp.
    pub modified: String,
}

impl DocVersion {
    /// Reads `doctype`, `name` and `modified` from a delivery body; the error names the field.
    pub fn of(doc: &Value) -> Result<Self, &'static str> {
        let text = |key: &'static str| -> Result<String, &'static str> {
            match doc.get(key) {
                Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim().to_owned()),
                Some(Value::Number(n)) => Ok(n.to_string()),
                _ => Err(key),
            }
        };
        if !doc.is_object() {
            return Err("body");
        }
        Ok(Self {
            doctype: text("doctype")?,
            name: text("name")?,
            modified: text("modified")?,
        })
    }

    /// `doctype|name|modified`: the subject the poll checks.
    pub fn subject(&self) -> String {
        format!("{}|{}|{}", self.doctype, self.name, self.modified)
    }

    /// `doctype|name|modified|event`: the delivery key.
    pub fn delivery_key(&self, event: &str) -> String {
        format!("{}|{event}", self.subject())
    }
}

/// The doc events Frappe can send (`Webhook.webhook_docevent`), plus `poll`.
pub const EVENTS: &[&str] = &[
    "after_insert",
    "on_update",
    "on_submit",
    "on_cancel",
    "on_trash",
    "on_update_after_submit",
    "on_change",
    "poll",
];

fn str_of<'v>(doc: &'v Value, key: &str) -> Option<&'v str> {
    doc.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn verb(event: &str) -> &'static str {
    match event {
        "after_insert" => "created",
        "on_trash" => "deleted",
        "on_submit" => "submitted",
        "on_cancel" => "cancelled",
        _ => "updated",
    }
}

/// The events a document version becomes (none for a doctype the hub does not follow).
pub fn events_for(doc: &Value, event: &str) -> Vec<NewEvent> {
    let Ok(v) = DocVersion::of(doc) else {
        return Vec::new();
    };
    use crate::bus::topic_segment as seg;
    let customer_timeline = |c: &str| format!("/customers/{}/timeline", seg(c));
    let (kind, mut topics) = match v.doctype.as_str() {
        "Issue" => {
            let mut t = vec![format!("/tickets/{}", seg(&v.name))];
            t.extend(str_of(doc, "customer").map(customer_timeline));
            ("ticket", t)
        }
        "Communication" => {
            let mut t = Vec::new();
            match (
                str_of(doc, "reference_doctype"),
                str_of(doc, "reference_name"),
            ) {
                (Some("Issue"), Some(n)) => t.push(format!("/tickets/{}", seg(n))),
                (Some("Customer"), Some(n)) => t.push(customer_timeline(n)),
                (Some("Dispatch Job"), Some(n)) => t.push(format!("/dispatch/jobs/{}", seg(n))),
                _ => {}
            }
            for link in doc
                .get("timeline_links")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if str_of(link, "link_doctype") == Some("Customer")
                    && let Some(n) = str_of(link, "link_name")
                {
                    t.push(customer_timeline(n));
                }
            }
            ("communication", t)
        }
        "Dispatch Job" => {
            let mut t = vec![
                "/dispatch".to_owned(),
                format!("/dispatch/jobs/{}", seg(&v.name)),
            ];
            t.extend(str_of(doc, "customer").map(customer_timeline));
            ("dispatch_job", t)
        }
        _ => return Vec::new(),
    };
    topics.sort();
    topics.dedup();
    if topics.is_empty() {
        return Vec::new();
    }
    vec![NewEvent {
        kind: format!("{kind}.{}", verb(event)),
        topics,
        acl: None,
        data: json!({
            "doctype": v.doctype,
            "name": v.name,
            "modified": v.modified,
            "event": event,
            "doc": doc,
        }),
    }]
}

/// The `admin_password` of a Service Equipment: a Password field, which document reads answer
/// as asterisks and only `frappe.client.get_password` reveals (to System Managers). `None`
/// when none is set.
pub async fn admin_password(
    client: &frappe_client::Client,
    equipment: &str,
) -> frappe_client::Result<Option<secrecy::SecretString>> {
    let reply = client
        .method("frappe.client.get_password")
        .arg("doctype", "Service Equipment")
        .arg("name", equipment)
        .arg("fieldname", "admin_password")
        .get::<Option<String>>()
        .await?;
    Ok(reply
        .value
        .filter(|p| !p.is_empty())
        .map(secrecy::SecretString::from))
}

/// Processes one inbox message from ERPNext: publishes its events (each at most once, keyed on
/// the message) and reports a permanent failure as `Err(true)`, a transient one as
/// `Err(false)`.
pub async fn process(state: &AppState, msg: &Claimed) -> Result<(), (bool, String)> {
    let doc: Value = serde_json::from_slice(&msg.body)
        .map_err(|e| (true, format!("the stored body is not JSON: {e}")))?;
    let event = msg.delivery_key.rsplit('|').next().unwrap_or("on_update");
    for (i, e) in events_for(&doc, event).iter().enumerate() {
        let key = format!("inbox:{}:{i}", msg.id);
        state
            .bus
            .publish(e, Some(&key))
            .await
            .map_err(|e| (false, e.to_string()))?;
    }
    Ok(())
}

/// Files a delivery (verified by the caller) in the inbox.
pub async fn file_delivery(
    state: &AppState,
    doc: &Value,
    event: &str,
    body: &[u8],
    webhook: &str,
) -> Result<(DocVersion, EnqueueOutcome), crate::error::AppError> {
    let v = DocVersion::of(doc).map_err(|field| {
        crate::error::AppError::invalid(
            field,
            format!("the webhook body needs {field}: include doc.doctype, doc.name and doc.modified in the webhook's data"),
        )
    })?;
    let headers = json!({"webhook": webhook, "event": event});
    // The poll got here first: this version was announced already.
    if let Some(id) = state
        .store
        .inbox()
        .find(SOURCE, &v.delivery_key("poll"))
        .await?
    {
        return Ok((v, EnqueueOutcome::Duplicate(id)));
    }
    let outcome = state
        .store
        .inbox()
        .enqueue(
            SOURCE,
            &v.delivery_key(event),
            &headers,
            body,
            Some(&v.subject()),
            false,
        )
        .await?;
    if matches!(outcome, EnqueueOutcome::New(_)) {
        state.inbox_wake.notify_one();
    }
    Ok((v, outcome))
}

/// Rows per page of the catch-up poll.
const POLL_PAGE: u32 = 200;

/// How far before its watermark the poll looks again.
const POLL_OVERLAP: chrono::TimeDelta = chrono::TimeDelta::minutes(5);

/// `modified` minus the overlap (Frappe's `YYYY-MM-DD HH:MM:SS[.ffffff]`); unparseable
/// watermarks are used as they are.
fn overlap_before(modified: &str) -> String {
    chrono::NaiveDateTime::parse_from_str(modified, "%Y-%m-%d %H:%M:%S%.f")
        .map(|t| {
            (t - POLL_OVERLAP)
                .format("%Y-%m-%d %H:%M:%S%.6f")
                .to_string()
        })
        .unwrap_or_else(|_| modified.to_owned())
}

/// One pass of the catch-up poll over every watched doctype. Returns how many versions it
/// filed.
pub async fn poll_once(state: &AppState) -> Result<usize, String> {
    let client = state.frappe().map_err(|e| e.message)?;
    let mut filed = 0;
    for doctype in &state.settings.frappe_webhooks.poll_doctypes {
        let mark = format!("frappe.poll.{doctype}");
        let floor_mark = format!("frappe.poll.{doctype}.start");
        let docs = client.doctype(doctype.as_str());
        let Some(mut since) = state
            .store
            .watermark(&mark)
            .await
            .map_err(|e| e.to_string())?
        else {
            // First run: start from now (the newest document), do not replay history.
            let query = docs
                .list()
                .fields(["name", "modified"])
                .order_by("modified desc")
                .page_size(1);
            let newest = crate::upstream::timed("erpnext", "list", query.page())
                .await
                .map_err(|e| e.to_string())?;
            let start = newest
                .items
                .first()
                .and_then(|d| d.modified.as_ref())
                .map_or_else(|| "1970-01-01 00:00:00".to_owned(), |m| m.to_string());
            for key in [&mark, &floor_mark] {
                state
                    .store
                    .set_watermark(key, &start)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            continue;
        };
        // Never look back past where polling began: that history is not replayed.
        let floor = state
            .store
            .watermark(&floor_mark)
            .await
            .map_err(|e| e.to_string())?
            .unwrap_or_default();
        // Look back a little before the watermark: a document saved in a transaction that
        // committed after a newer one was polled, or tied with the last one polled, is found
        // again; the subject check files each version once.
        let from = overlap_before(&since).max(floor);
        let mut start = 0u64;
        loop {
            let query = docs
                .list()
                .filter(Filter::gt("modified", from.as_str()))
                .order_by("modified asc, name asc")
                .start(start)
                .page_size(POLL_PAGE);
            let page = crate::upstream::timed("erpnext", "list", query.page())
                .await
                .map_err(|e| e.to_string())?;
            let n = page.items.len();
            start += n as u64;
            for doc in page.items {
                let Some(modified) = doc.modified else {
                    continue;
                };
                let mut value = serde_json::to_value(&doc).map_err(|e| e.to_string())?;
                value["doctype"] = json!(doctype);
                let v = DocVersion {
                    doctype: doctype.clone(),
                    name: doc.name.to_string(),
                    modified: modified.to_string(),
                };
                let body = serde_json::to_vec(&value).map_err(|e| e.to_string())?;
                let outcome = state
                    .store
                    .inbox()
                    .enqueue(
                        SOURCE,
                        &v.delivery_key("poll"),
                        &json!({"webhook": "poll", "event": "poll"}),
                        &body,
                        Some(&v.subject()),
                        true,
                    )
                    .await
                    .map_err(|e| e.to_string())?;
                if matches!(outcome, EnqueueOutcome::New(_)) {
                    filed += 1;
                }
                if v.modified > since {
                    since = v.modified;
                }
            }
            if n < POLL_PAGE as usize {
                break;
            }
        }
        state
            .store
            .set_watermark(&mark, &since)
            .await
            .map_err(|e| e.to_string())?;
    }
    if filed > 0 {
        state.inbox_wake.notify_one();
    }
    Ok(filed)
}

/// Runs the catch-up poll every `interval` until `shutdown`.
pub async fn run_poll(state: AppState, interval: Duration, mut shutdown: watch::Receiver<bool>) {
    let mut failures = Throttle::new(Duration::from_secs(300));
    loop {
        match poll_once(&state).await {
            Ok(n) => {
                failures.clear("erpnext.poll");
                if n > 0 {
                    tracing::info!(
                        filed = n,
                        "catch-up poll filed documents the webhooks missed"
                    );
                }
            }
            Err(e) => failures.error("erpnext.poll", &e),
        }
        tokio::select! {
            () = tokio::time::sleep(interval) => {}
            _ = shutdown.wait_for(|s| *s) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issues_go_to_the_ticket_and_the_customer_timeline() {
        let doc = json!({"doctype": "Issue", "name": "ISS-2026-00001", "modified": "2026-12-02 10:00:00.000001", "customer": "Marie-Claude Tremblay", "status": "Open"});
        let events = events_for(&doc, "after_insert");
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].kind, "ticket.created");
        assert_eq!(
            events[0].topics,
            [
                "/customers/Marie-Claude%20Tremblay/timeline",
                "/tickets/ISS-2026-00001"
            ]
        );
        assert_eq!(events_for(&doc, "on_update")[0].kind, "ticket.updated");
    }

    #[test]
    fn communications_follow_their_reference_and_timeline_links() {
        let doc = json!({"doctype": "Communication", "name": "abc123", "modified": "2026-12-02 10:00:00",
            "reference_doctype": "Issue", "reference_name": "ISS-2026-00002",
            "timeline_links": [{"link_doctype": "Customer", "link_name": "Luc Côté"}]});
        let e = &events_for(&doc, "after_insert")[0];
        assert_eq!(e.kind, "communication.created");
        assert_eq!(
            e.topics,
            [
                "/customers/Luc%20C%C3%B4t%C3%A9/timeline",
                "/tickets/ISS-2026-00002"
            ]
        );
    }

    #[test]
    fn dispatch_jobs_reach_the_board_and_unknown_doctypes_nothing() {
        let doc = json!({"doctype": "Dispatch Job", "name": "DJ-2026-00001", "modified": "2026-12-02 10:00:00", "customer": "A/B"});
        let e = &events_for(&doc, "on_trash")[0];
        assert_eq!(e.kind, "dispatch_job.deleted");
        assert!(e.topics.contains(&"/dispatch".to_owned()));
        assert!(e.topics.contains(&"/customers/A%2FB/timeline".to_owned()));
        let other = json!({"doctype": "Item", "name": "X", "modified": "2026-12-02 10:00:00"});
        assert!(events_for(&other, "on_update").is_empty());
    }

    #[test]
    fn the_poll_looks_back_five_minutes() {
        assert_eq!(
            overlap_before("2026-12-02 10:03:00.000001"),
            "2026-12-02 09:58:00.000001"
        );
        assert_eq!(
            overlap_before("2026-12-02 00:01:00"),
            "2026-12-01 23:56:00.000000"
        );
        assert_eq!(overlap_before("garbage"), "garbage");
    }

    #[test]
    fn a_delivery_without_its_identity_names_the_missing_field() {
        assert_eq!(
            DocVersion::of(&json!({"doctype": "Issue", "name": "X"})),
            Err("modified")
        );
        assert_eq!(DocVersion::of(&json!([1])), Err("body"));
        let v = DocVersion::of(&json!({"doctype": "ToDo", "name": 42, "modified": "m"})).unwrap();
        assert_eq!(v.delivery_key("on_update"), "ToDo|42|m|on_update");
    }
}
