use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Db, WEBHOOK_SECRET, spawn_app, spawn_app_with};

const WAIT: Duration = Duration::from_secs(5);

fn issue(modified: &str) -> Value {
    json!({"doctype": "Issue", "name": "ISS-2026-00001", "modified": modified,
           "customer": "Marie-Claude Tremblay", "status": "Replied"})
}

async fn signed_delivery_becomes_one_event(db: Db) {
    let t = spawn_app_with(db, |_| {}).await;
    let mut sse = t.events("topic=/customers/*&topic=/tickets/*", None).await;
    let body = issue("2026-12-02 10:00:00.000001");
    let r = t.webhook(&body, "on_update").await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let first: Value = r.json().await.unwrap();
    assert_eq!(first["status"], "accepted");
    // Frappe's retry of the same delivery: acknowledged, not processed twice.
    let r = t.webhook(&body, "on_update").await;
    assert_eq!(r.status(), StatusCode::OK);
    let again: Value = r.json().await.unwrap();
    assert_eq!(again["status"], "duplicate");
    assert_eq!(again["id"], first["id"]);
    let e = sse.next_event(WAIT).await.unwrap();
    assert_eq!(e.event.as_deref(), Some("ticket.updated"));
    let mut env = e.json();
    env["ts"] = json!("[ts]");
    env["id"] = json!("[id]");
    insta::assert_json_snapshot!(env);
    assert!(
        sse.next_event(Duration::from_millis(600)).await.is_none(),
        "published once"
    );
    // A new version of the document is a new event.
    t.webhook(&issue("2026-12-02 10:05:00.000001"), "on_update")
        .await;
    assert!(sse.next_event(WAIT).await.is_some());
}
both_backends!(
    a_signed_delivery_becomes_one_event,
    signed_delivery_becomes_one_event
);

#[tokio::test]
async fn bad_deliveries_get_clear_errors_and_nothing_is_stored() {
    let t = spawn_app().await;
    let url = t.at("/webhooks/frappe");
    let body = serde_json::to_vec(&issue("2026-12-02 10:00:00")).unwrap();
    // No signature, a wrong one, one made with another secret.
    let r = t.http.post(&url).body(body.clone()).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    insta::assert_json_snapshot!("unsigned", r.json::<Value>().await.unwrap());
    let wrong = frappe_client::webhook::sign_webhook("other-secret", &body);
    let r = t
        .http
        .post(&url)
        .header("X-Frappe-Webhook-Signature", wrong)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = t
        .http
        .post(&url)
        .header("X-Frappe-Webhook-Signature", "!!not base64!!")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // Signed, but missing what identifies the document: 400 naming the field.
    let r = t
        .webhook(&json!({"doctype": "Issue", "name": "X"}), "on_update")
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    insta::assert_json_snapshot!("missing_modified", r.json::<Value>().await.unwrap());
    // Signed, but not JSON.
    let raw = b"not json".to_vec();
    let sig = frappe_client::webhook::sign_webhook(WEBHOOK_SECRET, &raw);
    let r = t
        .http
        .post(&url)
        .header("X-Frappe-Webhook-Signature", sig)
        .body(raw)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    // An unknown doc event.
    let r = t.webhook(&issue("2026-12-02 10:00:00"), "on_lunch").await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    // Too large.
    let huge = vec![b'x'; 300 * 1024];
    let r = t
        .http
        .post(&url)
        .header("X-Frappe-Webhook-Signature", "x")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["code"],
        "payload_too_large"
    );
    let (pending, dead) = t.app.state.store.inbox().depth().await.unwrap();
    assert_eq!((pending, dead), (0, 0));
    let stored = t.app.state.store.latest_event_id().await.unwrap();
    assert_eq!(stored, 0);
}

#[tokio::test]
async fn without_a_secret_the_webhook_route_says_what_to_set() {
    let t = spawn_app_with(Db::Sqlite, |s| s.frappe_webhooks.secrets.clear()).await;
    let r = t.webhook(&issue("2026-12-02 10:00:00"), "on_update").await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    insta::assert_json_snapshot!(r.json::<Value>().await.unwrap());
}

async fn catch_up_poll_fills_the_gap_once(db: Db) {
    let t = spawn_app_with(db, |_| {}).await;
    let state = &t.app.state;
    // First pass: the watermark starts at the newest document; nothing is replayed.
    assert_eq!(hub::erpnext::poll_once(state).await.unwrap(), 0);
    let mut sse = t.events("topic=/tickets/*&topic=/dispatch", None).await;
    // Two documents change in ERPNext; only one of them is announced by a webhook.
    let client = state.frappe.clone().unwrap();
    let issue = client
        .doctype("Issue")
        .update(
            "ISS-2026-00001",
            &frappe_client::DocPatch::new().set("status", "Replied"),
        )
        .await
        .unwrap();
    let job_name = t.fake.all("Dispatch Job")[0]["name"]
        .as_str()
        .unwrap()
        .to_owned();
    client
        .doctype("Dispatch Job")
        .update(
            &job_name,
            &frappe_client::DocPatch::new().set("description", "gate code 4411"),
        )
        .await
        .unwrap();
    let mut delivered = serde_json::to_value(&issue).unwrap();
    delivered["doctype"] = json!("Issue");
    assert_eq!(
        t.webhook(&delivered, "on_update").await.status(),
        StatusCode::ACCEPTED
    );
    // The poll files the job the webhooks missed, and not the issue they delivered.
    assert_eq!(hub::erpnext::poll_once(state).await.unwrap(), 1);
    let mut kinds = Vec::new();
    while let Some(f) = sse.next_event(Duration::from_secs(2)).await {
        kinds.push(f.event.unwrap());
    }
    kinds.sort();
    assert_eq!(kinds, ["dispatch_job.updated", "ticket.updated"]);
    // Polling again finds nothing new.
    assert_eq!(hub::erpnext::poll_once(state).await.unwrap(), 0);
    let _ = WAIT;
}
both_backends!(
    the_catch_up_poll_fills_the_webhook_gap_without_duplicates,
    catch_up_poll_fills_the_gap_once
);

async fn poll_first_then_webhook(db: Db) {
    let t = spawn_app_with(db, |_| {}).await;
    let state = &t.app.state;
    hub::erpnext::poll_once(state).await.unwrap();
    // A subscriber to the issue's customer's timeline: a topic segment with a space (and
    // maybe accents), percent-encoded, its '%' encoded again in the query string.
    let customer = t.fake.get("Issue", "ISS-2026-00001").unwrap()["customer"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(customer.contains(' '), "{customer}");
    let topic = format!("/customers/{}/timeline", hub::bus::topic_segment(&customer));
    let mut sse = t
        .events(&format!("topic={}", topic.replace('%', "%25")), None)
        .await;
    assert_eq!(sse.status, StatusCode::OK);
    let client = state.frappe.clone().unwrap();
    let issue = client
        .doctype("Issue")
        .update(
            "ISS-2026-00001",
            &frappe_client::DocPatch::new().set("status", "Replied"),
        )
        .await
        .unwrap();
    // The poll runs before the webhook (Frappe's queue was slow) ...
    assert_eq!(hub::erpnext::poll_once(state).await.unwrap(), 1);
    // ... and the late delivery of the same version is acknowledged as a duplicate.
    let mut delivered = serde_json::to_value(&issue).unwrap();
    delivered["doctype"] = json!("Issue");
    let r = t.webhook(&delivered, "on_update").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "duplicate");
    let first = sse
        .next_event(WAIT)
        .await
        .expect("one event on the customer's timeline");
    assert_eq!(first.event.as_deref(), Some("ticket.updated"));
    assert!(
        first.json()["topics"]
            .as_array()
            .unwrap()
            .contains(&json!(topic))
    );
    assert!(
        sse.next_event(Duration::from_millis(800)).await.is_none(),
        "published once"
    );
}
both_backends!(
    a_webhook_after_the_poll_is_a_duplicate,
    poll_first_then_webhook
);
