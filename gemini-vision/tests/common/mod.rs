//! Shared test helpers: the real samples, a wiremock server, a client for it.

#![allow(dead_code, unreachable_pub)]

use std::time::Duration;

use gemini_vision::{Client, Image, RetryConfig};
use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The key the tests use; it must never appear anywhere but in its header.
pub const KEY: &str = "AIzaTEST-secret-key-0123456789";

/// The path of a `generateContent` call for the default model.
pub const GENERATE: &str = "/v1beta/models/gemini-3.5-flash:generateContent";

/// A real sample from `tests/resources/`.
pub fn sample(name: &str) -> String {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/resources")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// A JSON answer.
pub fn json_answer(status: u16, body: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body.to_owned(), "application/json")
}

/// A 200 whose single candidate carries `text` and ends with `reason`.
pub fn text_answer(text: &str, reason: &str) -> ResponseTemplate {
    let body = serde_json::json!({
        "candidates": [{
            "content": {"role": "model", "parts": [{"text": text}]},
            "finishReason": reason,
            "index": 0
        }],
        "usageMetadata": {"promptTokenCount": 270, "candidatesTokenCount": 12, "totalTokenCount": 282,
            "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 12}, {"modality": "IMAGE", "tokenCount": 258}]},
        "modelVersion": "gemini-3.5-flash",
        "responseId": "resp-1"
    });
    json_answer(200, &body.to_string())
}

/// Mounts `answer` for the next `times` calls (all calls when `None`).
pub async fn mount(server: &MockServer, answer: ResponseTemplate, times: Option<u64>) {
    let m = Mock::given(method("POST"))
        .and(path(GENERATE))
        .respond_with(answer);
    match times {
        Some(n) => m.up_to_n_times(n).mount(server).await,
        None => m.mount(server).await,
    }
}

/// A client for the mock server: fast retries without jitter, short waits.
pub fn client(server: &MockServer) -> Client {
    Client::builder(server.uri())
        .api_key(KEY)
        .retry(
            RetryConfig::standard()
                .with_initial_backoff(Duration::from_millis(10))
                .with_jitter(false),
        )
        .max_retry_delay(Duration::from_millis(50))
        .build()
        .expect("client")
}

/// A small valid PNG.
pub fn png() -> Image {
    Image::new(gemini_vision::testkit::sample_png(1, 64, 32).expect("png")).expect("png")
}

/// The bodies of the requests received.
pub async fn bodies(server: &MockServer) -> Vec<Value> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap_or(Value::Null))
        .collect()
}

/// The label type the tests extract.
#[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Label {
    /// The serial number exactly as printed.
    pub serial: String,
    /// The MAC address, when printed.
    pub mac: Option<String>,
    /// Ethernet ports.
    pub ports: u8,
    pub kind: Kind,
    pub barcodes: Vec<String>,
}

/// What kind of device.
#[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Ont,
    Router,
}
