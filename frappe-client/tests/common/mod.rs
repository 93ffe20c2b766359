//! Shared helpers for the wiremock contract tests.
#![allow(dead_code, unreachable_pub, missing_docs)]

use std::time::Duration;

use frappe_client::{Client, ClientBuilder, RetryConfig};
use serde::Serialize;
use serde_json::Value;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

pub const API_KEY: &str = "hubkey";
pub const API_SECRET: &str = "hubsecret-never-logged";

/// Retries on, with 1 ms waits so that tests stay fast.
pub fn fast_retry() -> RetryConfig {
    RetryConfig::standard()
        .with_initial_backoff(Duration::from_millis(1))
        .with_max_backoff(Duration::from_millis(5))
}

pub fn builder(server: &MockServer) -> ClientBuilder {
    Client::builder(server.uri())
        .token(API_KEY, API_SECRET)
        .retry(fast_retry())
        .timeout(Duration::from_secs(5))
}

/// A fresh server and a token-auth client pointed at it.
pub async fn setup() -> (MockServer, Client) {
    let server = MockServer::start().await;
    let client = builder(&server).build().expect("client builds");
    (server, client)
}

/// Mounted last: answers 500 naming the request, so that a wrong path fails loudly.
pub async fn catch_all(server: &MockServer) {
    Mock::given(any())
        .respond_with(|req: &Request| {
            ResponseTemplate::new(500).set_body_string(format!(
                "no mock for {} {}?{}",
                req.method,
                req.url.path(),
                req.url.query().unwrap_or("")
            ))
        })
        .with_priority(u8::MAX)
        .mount(server)
        .await;
}

pub fn resource(name: &str) -> Value {
    let path = format!("{}/tests/resources/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// What the client sent, in a stable shape for snapshots: JSON-valued query parameters and
/// bodies are parsed so that snapshots show structure, secrets are redacted.
#[derive(Debug, Serialize)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: Vec<(String, Value)>,
    pub headers: Vec<(String, String)>,
    pub body: Value,
}

const KEPT_HEADERS: &[&str] = &[
    "accept",
    "authorization",
    "content-type",
    "cookie",
    "x-frappe-site-name",
];

fn maybe_json(s: &str) -> Value {
    match serde_json::from_str::<Value>(s) {
        Ok(v @ (Value::Array(_) | Value::Object(_))) => v,
        _ => Value::String(s.to_owned()),
    }
}

pub fn record(req: &Request) -> Recorded {
    let mut query: Vec<(String, Value)> = req
        .url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), maybe_json(&v)))
        .collect();
    query.sort_by(|a, b| a.0.cmp(&b.0));
    let mut headers: Vec<(String, String)> = req
        .headers
        .iter()
        .filter(|(k, _)| KEPT_HEADERS.contains(&k.as_str()))
        .map(|(k, v)| {
            let v = v.to_str().unwrap_or("<binary>");
            let v = if k.as_str() == "authorization" {
                redact(v)
            } else if k.as_str() == "content-type" && v.starts_with("multipart/form-data") {
                "multipart/form-data; boundary=[boundary]".to_owned()
            } else {
                v.to_owned()
            };
            (k.to_string(), v)
        })
        .collect();
    headers.sort();
    let text = String::from_utf8_lossy(&req.body);
    let body = if req.body.is_empty() {
        Value::Null
    } else if let Ok(v) = serde_json::from_slice::<Value>(&req.body) {
        v
    } else if req.headers.get("content-type").is_some_and(|v| {
        v.to_str()
            .unwrap_or("")
            .starts_with("application/x-www-form-urlencoded")
    }) {
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(&req.body)
            .map(|(k, v)| {
                let v = if k == "pwd" {
                    "[redacted]".to_owned()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        serde_json::to_value(pairs).unwrap()
    } else {
        Value::String(text.into_owned())
    };
    Recorded {
        method: req.method.to_string(),
        path: req.url.path().to_owned(),
        query,
        headers,
        body,
    }
}

/// Keeps the scheme and the key, hides the secret: `token hubkey:[redacted]`.
fn redact(v: &str) -> String {
    match v.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("token") => {
            match rest.split_once(':') {
                Some((key, _)) => format!("{scheme} {key}:[redacted]"),
                None => format!("{scheme} [redacted]"),
            }
        }
        Some((scheme, _)) => format!("{scheme} [redacted]"),
        None => "[redacted]".to_owned(),
    }
}

pub async fn received(server: &MockServer) -> Vec<Recorded> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(record)
        .collect()
}

/// Asserts that no request carried the secret in any header, URL or body.
pub async fn assert_secret_never_sent_in_clear(server: &MockServer) {
    for req in server.received_requests().await.unwrap_or_default() {
        assert!(!req.url.as_str().contains(API_SECRET), "secret in URL");
        assert!(
            !String::from_utf8_lossy(&req.body).contains(API_SECRET),
            "secret in body"
        );
    }
}

/// An answer captured from a real Frappe 15.86 server (`tests/resources/real-15.86/NAME.json`
/// and `NAME.headers`): the status line, `Content-Type`, every `Set-Cookie` line in order and
/// the body bytes exactly as the server sent them.
pub fn captured(name: &str) -> ResponseTemplate {
    let dir = format!("{}/tests/resources/real-15.86", env!("CARGO_MANIFEST_DIR"));
    let body =
        std::fs::read(format!("{dir}/{name}.json")).unwrap_or_else(|e| panic!("{name}: {e}"));
    let head = std::fs::read_to_string(format!("{dir}/{name}.headers"))
        .unwrap_or_else(|e| panic!("{name}.headers: {e}"));
    let mut lines = head.lines();
    let status: u16 = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{name}.headers has no status line"));
    let mut template = ResponseTemplate::new(status);
    let mut content_type = "application/json".to_owned();
    for line in lines {
        match line.split_once(": ") {
            Some(("Content-Type", v)) => content_type = v.to_owned(),
            Some((k, v)) => template = template.append_header(k, v),
            None => {}
        }
    }
    template.set_body_raw(body, &content_type)
}

/// The JSON body of a captured answer.
pub fn captured_body(name: &str) -> Value {
    resource(&format!("real-15.86/{name}.json"))
}

/// Matches a request whose `Cookie` header holds this exact `name=value` pair.
pub struct CookieHas(pub &'static str);

impl wiremock::Match for CookieHas {
    fn matches(&self, req: &Request) -> bool {
        req.headers
            .get("cookie")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.split("; ").any(|c| c == self.0))
    }
}

/// A successful `/api/method/login` answer opening the session `sid`.
pub fn login_ok(sid: &str) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .set_body_json(resource("v1_login.json"))
        .append_header("Set-Cookie", format!("sid={sid}; Expires=Sat, 05 Dec 2026 10:00:00 GMT; Max-Age=864000; HttpOnly; Path=/; SameSite=Lax").as_str())
        .append_header("Set-Cookie", "system_user=yes; Path=/; SameSite=Lax")
        .append_header("Set-Cookie", "full_name=Administrator; Path=/; SameSite=Lax")
}
