//! Shared test helpers: the captured answers and a wiremock server that replays them.

#![allow(dead_code, unreachable_pub)]

use std::path::PathBuf;

use authentik_admin::{Client, RetryConfig};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The folder of the captures.
pub fn captures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/resources/real-2025.8.1")
}

/// A captured answer: its status and body.
pub fn capture(name: &str) -> (u16, String) {
    let dir = captures_dir();
    let status = std::fs::read_to_string(dir.join(format!("{name}.status")))
        .unwrap_or_else(|e| panic!("{name}.status: {e}"));
    let body = std::fs::read_to_string(dir.join(format!("{name}.json")))
        .unwrap_or_else(|e| panic!("{name}.json: {e}"));
    (status.trim().parse().expect("status"), body)
}

/// The captured answer as a wiremock response.
pub fn replay(name: &str) -> ResponseTemplate {
    let (status, body) = capture(name);
    let t = ResponseTemplate::new(status);
    if body.is_empty() {
        t
    } else if body.trim_start().starts_with('<') {
        t.set_body_raw(body, "text/html")
    } else {
        t.set_body_raw(body, "application/json")
    }
}

/// Mounts `name` for `verb path`.
pub async fn mount(server: &MockServer, verb: &str, p: &str, name: &str) {
    Mock::given(method(verb))
        .and(path(p))
        .respond_with(replay(name))
        .mount(server)
        .await;
}

/// A client for the mock server, without retries.
pub fn client(server: &MockServer) -> Client {
    Client::builder(server.uri())
        .token("test-token")
        .retry(RetryConfig::disabled())
        .build()
        .expect("client")
}

/// The requests received, as `METHOD path?query` plus the JSON body, for snapshots.
pub async fn requests(server: &MockServer) -> Vec<serde_json::Value> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| {
            let target = match r.url.query() {
                Some(q) => format!("{} {}?{q}", r.method, r.url.path()),
                None => format!("{} {}", r.method, r.url.path()),
            };
            let body: serde_json::Value =
                serde_json::from_slice(&r.body).unwrap_or(serde_json::Value::Null);
            serde_json::json!({
                "request": target,
                "authorization": r.headers.get("authorization").and_then(|v| v.to_str().ok()),
                "body": body,
            })
        })
        .collect()
}
