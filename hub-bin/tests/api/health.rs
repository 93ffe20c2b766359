use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{Db, readyz, spawn_app, spawn_app_with};

#[tokio::test]
async fn healthz_answers_and_readyz_names_each_dependency() {
    let t = spawn_app().await;
    let r = t.http.get(t.at("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let (status, body) = readyz(&t).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ready");
    assert_eq!(body["store"]["status"], "ok");
    assert_eq!(body["erpnext"]["status"], "ok");
    assert_eq!(body["erpnext"]["detail"], "signed in as Administrator");
}

#[tokio::test]
async fn an_unconfigured_upstream_is_named_but_does_not_make_the_hub_unready() {
    let t = spawn_app_with(Db::Sqlite, |s| s.frappe = None).await;
    let (status, body) = readyz(&t).await;
    assert_eq!(status, StatusCode::OK);
    insta::assert_json_snapshot!(body["erpnext"]);
}

#[tokio::test]
async fn a_rejected_erpnext_token_makes_the_hub_unready_and_says_why() {
    let t = spawn_app_with(Db::Sqlite, |s| {
        if let Some(f) = &mut s.frappe {
            f.api_secret = secrecy::SecretString::from("regenerated-elsewhere");
        }
    })
    .await;
    let (status, body) = readyz(&t).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["status"], "not_ready");
    insta::assert_json_snapshot!(body["erpnext"]);
    assert!(!body.to_string().contains("regenerated-elsewhere"));
}

#[tokio::test]
async fn the_tplink_bridge_is_checked_when_configured() {
    // Not configured: named, not failing.
    let t = spawn_app().await;
    let body = readyz(&t).await.1;
    assert_eq!(body["tplink"]["status"], "not_configured");
    // A bridge that answers.
    let bridge = tplink_bridge::service::Bridge::new(Default::default()).unwrap();
    let server = gigafibre_client_core::testkit::FakeServer::start(bridge.routes())
        .await
        .unwrap();
    let url = server.url().to_string();
    let bridge_at = |url: String| {
        move |s: &mut hub::config::Settings| {
            s.tplink = Some(hub::config::TplinkSettings {
                mode: hub::config::TplinkMode::Bridge { url, token: None },
                router_port: 80,
                timeout: Duration::from_secs(2),
            });
        }
    };
    let t = spawn_app_with(Db::Sqlite, bridge_at(url)).await;
    let (status, body) = readyz(&t).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["tplink"]["status"], "ok", "{body}");
    // A bridge that is down makes the hub unready, and says so.
    let closed = format!("127.0.0.1:{}", crate::helpers::free_port());
    let t = spawn_app_with(Db::Sqlite, bridge_at(format!("http://{closed}"))).await;
    let (status, body) = readyz(&t).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["tplink"]["status"], "failing");
    assert!(
        body["tplink"]["detail"]
            .as_str()
            .unwrap()
            .contains("does not answer"),
        "{body}"
    );
}

#[tokio::test]
async fn metrics_and_openapi_are_served() {
    let t = spawn_app().await;
    t.http.get(t.at("/healthz")).send().await.unwrap();
    let text = t
        .http
        .get(t.at("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains("hub_queue_depth"), "{text}");
    let doc: Value = t
        .http
        .get(t.at("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["paths"]["/events"]["get"].is_object());
    assert!(doc["components"]["securitySchemes"]["service_token"].is_object());
}

#[tokio::test]
async fn an_unknown_route_is_a_json_404() {
    let t = spawn_app().await;
    let r = t.http.get(t.at("/nope")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found");
    tokio::time::sleep(Duration::from_millis(1)).await;
}

#[tokio::test]
async fn the_frameworks_own_rejections_are_json_too() {
    let t = spawn_app().await;
    let r = t.http.post(t.at("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["code"],
        "method_not_allowed"
    );
    let r = t
        .token(
            reqwest::Method::GET,
            "/admin/dead-letters/%FF",
            crate::helpers::ADMIN_TOKEN,
        )
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error(), "{}", r.status());
    let body: Value = r.json().await.unwrap();
    assert!(body["error"]["code"].is_string(), "{body}");
}
