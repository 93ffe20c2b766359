//! `/api/method` calls: envelopes, notices, verbs.

use frappe_client::{ApiVersion, Error};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

mod common;
use common::{builder, catch_all, received, setup};

#[tokio::test]
async fn get_calls_put_arguments_in_the_query_and_unwrap_message() {
    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .and(path("/api/method/gigafibre.api.olt_ports"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"message": ["0/1/1", "0/1/2"]})),
        )
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let ports: Vec<String> = client
        .method("gigafibre.api.olt_ports")
        .arg("olt", "OLT-STHYACINTHE-1")
        .arg("filters", json!({"status": "Active"}))
        .arg("limit", 5)
        .get()
        .await
        .unwrap()
        .into_value();
    assert_eq!(ports, ["0/1/1", "0/1/2"]);
    insta::assert_json_snapshot!(received(&server).await);
}

#[tokio::test]
async fn post_calls_send_json_and_return_notices() {
    let (server, client) = setup().await;
    let notice = json!({"message": "Subscription <b>restarted</b>", "title": "Message", "indicator": "green"});
    Mock::given(method("POST"))
        .and(path(
            "/api/method/erpnext.accounts.doctype.subscription.subscription.restart_subscription",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "_server_messages": serde_json::to_string(&[notice.to_string()]).unwrap()
        })))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let reply = client
        .method("erpnext.accounts.doctype.subscription.subscription.restart_subscription")
        .args(&json!({"name": "ACC-SUB-2026-00001"}))
        .post::<()>()
        .await
        .unwrap();
    assert_eq!(reply.notices.len(), 1);
    assert_eq!(reply.notices[0].message, "Subscription restarted");
    assert_eq!(
        reply.notices[0].raw_message,
        "Subscription <b>restarted</b>"
    );
    insta::assert_json_snapshot!(received(&server).await);
}

#[tokio::test]
async fn v2_calls_use_the_v2_route_and_unwrap_data_and_messages() {
    let server = MockServer::start().await;
    let client = builder(&server)
        .api_version(ApiVersion::V2)
        .build()
        .unwrap();
    Mock::given(method("GET"))
        .and(path("/api/v2/method/ping"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"data": "pong", "messages": [{"message": "hello", "indicator": "blue"}]}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v2/method/Sales%20Invoice/make_payment"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": {"ok": true}, "docs": [{"name": "ACC-SINV-1"}]})),
        )
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let reply = client.method("ping").get::<String>().await.unwrap();
    assert_eq!(reply.value, "pong");
    assert_eq!(reply.notices[0].message, "hello");
    let reply = client
        .method("Sales Invoice/make_payment")
        .post::<Value>()
        .await
        .unwrap();
    assert_eq!(reply.value["ok"], true);
    assert_eq!(reply.docs[0]["name"], "ACC-SINV-1");
}

#[tokio::test]
async fn bad_method_paths_and_arguments_are_refused() {
    let (server, client) = setup().await;
    assert!(matches!(
        client.method("../../etc/passwd").get::<Value>().await,
        Err(Error::InvalidInput(_))
    ));
    assert!(matches!(
        client.method("a.b").args(&[1, 2]).post::<Value>().await,
        Err(Error::InvalidInput(_))
    ));
    assert!(received(&server).await.is_empty());
}

#[tokio::test]
async fn a_method_result_of_the_wrong_type_is_a_decode_error() {
    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"message": {"not": "a number"}})),
        )
        .mount(&server)
        .await;
    let err = client
        .method("frappe.client.get_count")
        .get::<u64>()
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Decode { ref path, .. } if path == "message"),
        "{err:?}"
    );
}
