//! Device actions: refresh, reboot and set Wi-Fi, each with its real outcome, recorded on the
//! customer's timeline (SSE) and in ERPNext through the outbox.

use std::time::Duration;

use genieacs_client::testkit::TaskBehaviour;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{ADMIN_TOKEN, DISPATCH, SseClient};

const SECRET: &str = "correct horse battery";

async fn app() -> (
    crate::helpers::TestApp,
    genieacs_client::testkit::FakeNbi,
    String,
    String,
) {
    let (t, nbi) = crate::helpers::with_acs(|_| {}).await;
    let se = t
        .fake
        .all("Service Equipment")
        .into_iter()
        .find(|e| e["equipment_type"] == "ONT Router" && e["customer"].is_string())
        .expect("a seeded modem with a customer");
    let serial = se["serial_number"].as_str().unwrap().to_owned();
    let customer = se["customer"].as_str().unwrap().to_owned();
    (t, nbi.unwrap(), serial, customer)
}

async fn act(t: &crate::helpers::TestApp, path: &str, body: Option<Value>) -> (StatusCode, Value) {
    let mut rb = t.token(Method::POST, path, ADMIN_TOKEN);
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    let r = rb.send().await.unwrap();
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

async fn timeline(t: &crate::helpers::TestApp, customer: &str) -> SseClient {
    let topic = format!(
        "/customers/{}/timeline",
        hub::bus::topic_segment(customer).replace('%', "%25")
    );
    SseClient::open(t.token(Method::GET, &format!("/events?topic={topic}"), ADMIN_TOKEN)).await
}

async fn comments(t: &crate::helpers::TestApp, customer: &str) -> Vec<Value> {
    for _ in 0..200 {
        let found: Vec<Value> = t
            .fake
            .all("Communication")
            .into_iter()
            .filter(|c| {
                c["reference_name"] == customer
                    && c["content"].as_str().is_some_and(|s| s.contains("Modem"))
            })
            .collect();
        if !found.is_empty() {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Vec::new()
}

#[tokio::test]
async fn a_reboot_answers_its_outcome_and_lands_on_the_customer_timeline() {
    let (t, _nbi, serial, customer) = app().await;
    let mut sse = timeline(&t, &customer).await;
    let (status, body) = act(&t, &format!("/devices/{serial}/reboot"), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "done");
    assert_eq!(body["customer"], customer.as_str());
    assert_eq!(body["result"]["task_id"].as_str().unwrap().len(), 24);
    let frame = sse
        .next_event(Duration::from_secs(5))
        .await
        .expect("timeline event");
    assert_eq!(frame.event.as_deref(), Some("device.reboot"));
    assert_eq!(frame.json()["data"]["serial"], serial.as_str());
    let c = comments(&t, &customer).await;
    assert_eq!(c.len(), 1, "one Communication on the customer's timeline");
    assert!(c[0]["content"].as_str().unwrap().contains("reboot"));
}

#[tokio::test]
async fn each_task_outcome_reaches_the_caller() {
    let (t, nbi, serial, _customer) = app().await;
    let id = genieacs_client::Client::builder(nbi.url().as_str())
        .build()
        .unwrap()
        .devices()
        .find_by_serial(&serial)
        .await
        .unwrap()[0]
        .id
        .clone();
    for (behaviour, status) in [
        (TaskBehaviour::Queued, "queued"),
        (
            TaskBehaviour::ConnectionRequestFails("Device is offline".into()),
            "connection_request_failed",
        ),
        (
            TaskBehaviour::Faults("cwmp.9002".into(), "Internal error".into()),
            "faulted",
        ),
    ] {
        nbi.set_task_behaviour(&id, behaviour);
        let (code, body) = act(&t, &format!("/devices/{serial}/reboot"), None).await;
        assert_eq!(code, StatusCode::OK, "{body}");
        assert_eq!(body["status"], status, "{body}");
        assert!(body["detail"].is_string(), "{body}");
    }
    // A refresh of an unreachable modem still answers its cached snapshot.
    nbi.set_task_behaviour(
        &id,
        TaskBehaviour::ConnectionRequestFails("Device is offline".into()),
    );
    let (code, body) = act(&t, &format!("/devices/{serial}/refresh"), None).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "connection_request_failed");
    assert!(body["result"]["identity"]["age_secs"].is_i64(), "{body}");
}

#[tokio::test]
async fn a_wifi_change_is_confirmed_and_its_passphrase_never_leaves() {
    let (t, nbi, serial, customer) = app().await;
    let (status, body) = act(
        &t,
        &format!("/devices/{serial}/wifi"),
        Some(json!({"band": "5GHz", "ssid": "Client-5G", "passphrase": SECRET})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "done");
    assert_eq!(body["result"]["confirmed"], true);
    assert!(!body.to_string().contains(SECRET));
    let c = comments(&t, &customer).await;
    assert!(!c.is_empty() && !c[0].to_string().contains(SECRET));
    let events = t.app.state.store.events_after(0, 100).await.unwrap();
    assert!(events.iter().all(|e| !e.data.to_string().contains(SECRET)));
    let _ = nbi;
}

#[tokio::test]
async fn bad_requests_are_typed_and_never_echo_the_secret() {
    let (t, _nbi, serial, _customer) = app().await;
    let path = format!("/devices/{serial}/wifi");
    for (body, field) in [
        (json!({"passphrase": "short-1"}), "passphrase"),
        (json!({"band": "7GHz", "ssid": "x"}), "band"),
        (json!({"ssid": "x", "colour": "blue"}), "body"),
        (json!({"ssid": ""}), "body"),
        (json!({}), "body"),
    ] {
        let (status, err) = act(&t, &path, Some(body.clone())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {err}");
        assert_eq!(err["error"]["field"], field, "{body}: {err}");
        assert!(!err.to_string().contains("short-1"), "{err}");
    }
    let (status, _) = act(&t, "/devices/NOPE-000/reboot", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Staff without devices:write may not act.
    let r = t
        .staff(Method::POST, &format!("/devices/{serial}/reboot"), DISPATCH)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}
