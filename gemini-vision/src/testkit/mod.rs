//! An in-process fake Gemini (feature `testkit`) for tests, examples and the hub's sandbox.
//! It answers `POST /v1beta/models/{model}:generateContent` as Gemini does:
//!
//! - the `x-goog-api-key` header is checked; a wrong or missing key gets the real 400
//!   `API_KEY_INVALID` body;
//! - a `responseSchema` keyword Gemini's `Schema` lacks gets the real 400 `Invalid JSON
//!   payload received. Unknown name "additionalProperties" at '...': Cannot find field.`
//!   (so do a lower-case or array `type` and an empty or dangling `required`), and a
//!   `thinkingConfig` with both a budget and a level gets Gemini's 400 for it;
//! - otherwise a 200 whose text is a JSON value generated from the request's own
//!   `responseSchema`, deterministically: strings `"sample"` (the first value of an `enum`,
//!   a timestamp for `date-time`), numbers 1 (0.5) moved into `[minimum, maximum]`, `true`,
//!   arrays of `minItems` items (at least one), optional nullable properties `null`.
//!
//! A photo whose reading is known ([`FakeGemini::answer_for_image`]) gets that reading instead.
//!
//! Faults ([`FakeGemini::push_fault`]): an error status for the next requests (with a
//! `RetryInfo.retryDelay` on a 429), a blocked prompt, a finish reason, a fixed answer, a
//! delay. Every request is logged with the key redacted ([`FakeGemini::requests`]).
//!
//! The Files API as Gemini serves it: a resumable upload (`POST /upload/v1beta/files` with
//! `X-Goog-Upload-Command: start` answers an `X-Goog-Upload-URL` on the fake's own origin;
//! `upload, finalize` there stores the bytes and answers `{"file": {...}}`, `ACTIVE`, with
//! `X-Goog-Upload-Status: final`), `GET` and `DELETE /v1beta/files/{id}`. An unknown file, in
//! those calls or as a `fileData.fileUri` of `generateContent`, gets Gemini's 403
//! `PERMISSION_DENIED` "You do not have permission to access the File {id} or it may not
//! exist." (Gemini does not tell a missing file from another project's).
//!
//! ```
//! use gemini_vision::testkit::FakeGemini;
//! use gemini_vision::{Client, Image};
//!
//! #[derive(serde::Deserialize, schemars::JsonSchema)]
//! struct Label { serial: String, ports: u8 }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let fake = FakeGemini::start().await.unwrap();
//! let client = fake.client_builder().build().unwrap();
//! let image = Image::new(gemini_vision::testkit::sample_png(1, 64, 32).unwrap()).unwrap();
//! let label = client.extract::<Label>(image, "Read the label.").await.unwrap();
//! assert_eq!(label.value.serial, "sample");
//! assert_eq!(fake.requests().len(), 1);
//! # }
//! ```

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::response::{IntoResponse, Response};
use gigafibre_client_core::testkit::{FakeServer, FaultQueue, RequestLog};
use http::{HeaderMap, StatusCode};
use secrecy::SecretString;
use serde_json::{Map, Value, json};
use url::Url;

use crate::client::{API_KEY_HEADER, ClientBuilder};
use crate::files::{File, FileState};
use crate::models::{BlockReason, FinishReason};
use crate::schema::GEMINI_SCHEMA_KEYWORDS;
use crate::{Client, RetryConfig};

/// The API key the fake accepts unless [`FakeGemini::start_with_key`] sets another.
pub const FAKE_API_KEY: &str = "fake-gemini-key";

/// A fault to inject ([`FakeGemini::push_fault`]).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Fault {
    /// Answer this status with a `google.rpc.Status` body of the matching shape (429: a
    /// `QuotaFailure` and, when given, a `RetryInfo` with this delay).
    Status {
        /// HTTP status.
        status: u16,
        /// `RetryInfo.retryDelay` (429 only).
        retry_delay: Option<Duration>,
    },
    /// A 429 for a per-day quota (`GenerateRequestsPerDayPerProjectPerModel-FreeTier`).
    DailyQuota,
    /// HTTP 200 with `promptFeedback.blockReason` and no candidates.
    Blocked(BlockReason),
    /// The candidate ends with this reason: `MAX_TOKENS` cuts the JSON in half, other
    /// reasons send no content.
    Finish(FinishReason),
    /// This text as the answer, whatever the schema.
    Answer(String),
    /// Wait this long, then answer normally.
    Delay(Duration),
}

/// A request the fake received (the key never recorded).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Recorded {
    /// The path (`/v1beta/models/gemini-3.5-flash:generateContent`).
    pub path: String,
    /// `"[redacted]"` when the right key came, `"wrong"` or `"missing"` otherwise.
    pub api_key: &'static str,
    /// Whether a `key` query parameter was sent (it should never be).
    pub key_in_query: bool,
    /// The body, `Null` when it was not JSON (the bytes of an upload).
    pub body: Value,
    /// The method (`POST`, `GET`, `DELETE`).
    pub method: String,
    /// The body's size in bytes (for an upload: the image as received).
    pub body_len: usize,
}

struct Shared {
    api_key: String,
    faults: FaultQueue<Fault>,
    log: RequestLog<Recorded>,
    served: AtomicU64,
    /// Known readings: an inline image's base64, and the answer text for it.
    readings: Mutex<Vec<(String, String)>>,
    /// The fake's own base URL (known once it listens).
    base: OnceLock<Url>,
    uploads: Mutex<HashMap<u64, Upload>>,
    files: Mutex<Vec<File>>,
    next_id: AtomicU64,
}

/// A started upload: what the start request declared.
struct Upload {
    display_name: Option<String>,
    mime_type: String,
    length: usize,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The fake Gemini. Cloning shares it; dropping the last clone stops it.
#[derive(Clone)]
pub struct FakeGemini {
    server: FakeServer,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for FakeGemini {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeGemini")
            .field("url", &self.server.url().as_str())
            .finish_non_exhaustive()
    }
}

impl FakeGemini {
    /// Starts on `127.0.0.1:0`, accepting [`FAKE_API_KEY`]. Must be called inside a tokio
    /// runtime.
    pub async fn start() -> std::io::Result<Self> {
        Self::start_with_key(FAKE_API_KEY).await
    }

    /// Starts accepting `api_key`.
    pub async fn start_with_key(api_key: &str) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            api_key: api_key.to_owned(),
            faults: FaultQueue::default(),
            log: RequestLog::new(1000),
            served: AtomicU64::new(0),
            readings: Mutex::new(Vec::new()),
            base: OnceLock::new(),
            uploads: Mutex::new(HashMap::new()),
            files: Mutex::new(Vec::new()),
            next_id: AtomicU64::new(1),
        });
        let app = Router::new()
            .route(
                "/v1beta/models/{action}",
                axum::routing::post(generate).get(model_info),
            )
            .route(
                "/upload/v1beta/files",
                axum::routing::post(upload).layer(DefaultBodyLimit::max(UPLOAD_LIMIT)),
            )
            .route(
                "/v1beta/files/{id}",
                axum::routing::get(get_file).delete(delete_file),
            )
            .with_state(shared.clone());
        let server = FakeServer::start(app).await?;
        let _ = shared.base.set(server.url());
        Ok(Self { server, shared })
    }

    /// The files stored (uploaded and not deleted), oldest first.
    pub fn files(&self) -> Vec<File> {
        lock(&self.shared.files).clone()
    }

    /// The base URL (`http://127.0.0.1:<port>/`).
    pub fn url(&self) -> Url {
        self.server.url()
    }

    /// The key it accepts.
    pub fn api_key(&self) -> SecretString {
        SecretString::from(self.shared.api_key.clone())
    }

    /// A client builder aimed at the fake with its key, without retries' jitter.
    pub fn client_builder(&self) -> ClientBuilder {
        Client::builder(self.url().as_str())
            .api_key(self.api_key())
            .retry(
                RetryConfig::standard()
                    .with_initial_backoff(Duration::from_millis(10))
                    .with_jitter(false),
            )
    }

    /// Injects `fault` into the next `times` requests.
    pub fn push_fault(&self, fault: Fault, times: u32) {
        self.shared.faults.push(fault, times, None);
    }

    /// Answers `text` (instead of a value generated from the schema) to every request that
    /// carries `image` inline: a photo whose reading is known, for sandboxes and tests. The
    /// latest answer given for an image wins.
    pub fn answer_for_image(&self, image: &crate::Image, text: impl Into<String>) {
        let data = image.to_base64();
        let mut readings = lock(&self.shared.readings);
        readings.retain(|(d, _)| *d != data);
        readings.push((data, text.into()));
    }

    /// Every request received, oldest first.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.log.all()
    }

    /// Stops the server.
    pub fn shutdown(&self) {
        self.server.shutdown();
    }
}

fn canonical(status: u16) -> &'static str {
    match status {
        400 => "INVALID_ARGUMENT",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        429 => "RESOURCE_EXHAUSTED",
        499 => "CANCELLED",
        500 => "INTERNAL",
        503 => "UNAVAILABLE",
        504 => "DEADLINE_EXCEEDED",
        _ => "UNKNOWN",
    }
}

/// A `google.rpc.Status` answer.
fn status_answer(status: u16, message: &str, details: Vec<Value>) -> Response {
    let mut error = json!({"code": status, "message": message, "status": canonical(status)});
    if !details.is_empty() {
        error["details"] = Value::Array(details);
    }
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (code, axum::Json(json!({ "error": error }))).into_response()
}

fn quota_answer(quota_id: &str, model: &str, retry_delay: Option<Duration>) -> Response {
    let mut details = vec![json!({
        "@type": "type.googleapis.com/google.rpc.QuotaFailure",
        "violations": [{
            "quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
            "quotaId": quota_id,
            "quotaDimensions": {"location": "global", "model": model},
            "quotaValue": "10"
        }]
    })];
    if let Some(d) = retry_delay {
        details.push(json!({
            "@type": "type.googleapis.com/google.rpc.RetryInfo",
            "retryDelay": format!("{}s", d.as_secs_f64()),
        }));
    }
    status_answer(
        429,
        "You exceeded your current quota, please check your plan and billing details.",
        details,
    )
}

fn fault_answer(status: u16, retry_delay: Option<Duration>, model: &str) -> Response {
    match status {
        429 => quota_answer(
            "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
            model,
            retry_delay,
        ),
        503 => status_answer(
            503,
            "The model is overloaded. Please try again later.",
            vec![],
        ),
        500 => status_answer(
            500,
            "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting",
            vec![],
        ),
        504 => status_answer(504, "The service is currently unavailable.", vec![]),
        404 => status_answer(
            404,
            &format!(
                "models/{model} is not found for API version v1beta, or is not supported for generateContent."
            ),
            vec![],
        ),
        s => status_answer(s, "Injected failure.", vec![]),
    }
}

fn bad_key() -> Response {
    status_answer(
        400,
        "API key not valid. Please pass a valid API key.",
        vec![json!({
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "API_KEY_INVALID",
            "domain": "googleapis.com",
            "metadata": {"service": "generativelanguage.googleapis.com"}
        })],
    )
}

async fn generate(
    State(shared): State<Arc<Shared>>,
    Path(action): Path<String>,
    uri: http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let key = headers.get(API_KEY_HEADER).and_then(|v| v.to_str().ok());
    let key_ok = key == Some(shared.api_key.as_str());
    let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    shared.log.record(Recorded {
        path: uri.path().to_owned(),
        api_key: match key {
            _ if key_ok => "[redacted]",
            Some(_) => "wrong",
            None => "missing",
        },
        key_in_query: key_in_query(&uri),
        body: json.clone(),
        method: "POST".to_owned(),
        body_len: body.len(),
    });
    let Some(model) = action.strip_suffix(":generateContent") else {
        return status_answer(404, "Method not found.", vec![]);
    };
    if !key_ok {
        return bad_key();
    }
    let mut fault = shared.faults.take(uri.path(), uri.path());
    if let Some(Fault::Delay(d)) = fault {
        tokio::time::sleep(d).await;
        fault = None;
    }
    match &fault {
        Some(Fault::Status {
            status,
            retry_delay,
        }) => return fault_answer(*status, *retry_delay, model),
        Some(Fault::DailyQuota) => {
            return quota_answer(
                "GenerateRequestsPerDayPerProjectPerModel-FreeTier",
                model,
                None,
            );
        }
        _ => {}
    }
    if json.is_null() {
        return status_answer(400, "Invalid JSON payload received.", vec![]);
    }
    if let Some(missing) = unknown_file_uri(&shared, &json) {
        return no_such_file(&missing);
    }
    let config = json
        .get("generationConfig")
        .or_else(|| json.get("generation_config"));
    let schema = config.and_then(|c| c.get("responseSchema").or_else(|| c.get("response_schema")));
    if let Some(schema) = schema
        && let Err(message) = check_schema(schema, "generation_config.response_schema")
    {
        return status_answer(400, &message, vec![]);
    }
    let thinking =
        config.and_then(|c| c.get("thinkingConfig").or_else(|| c.get("thinking_config")));
    if let Some(t) = thinking
        && ["thinkingBudget", "thinking_budget"]
            .iter()
            .any(|k| t.get(k).is_some())
        && ["thinkingLevel", "thinking_level"]
            .iter()
            .any(|k| t.get(k).is_some())
    {
        // Gemini's own answer to both at once.
        return status_answer(
            400,
            "You can only set only one of thinking budget and thinking level.",
            vec![],
        );
    }
    let n = shared.served.fetch_add(1, Ordering::Relaxed);
    let usage = usage(&json);
    if let Some(Fault::Blocked(reason)) = &fault {
        return axum::Json(json!({
            "promptFeedback": {
                "blockReason": reason.as_str(),
                "safetyRatings": [
                    {"category": "HARM_CATEGORY_SEXUALLY_EXPLICIT", "probability": "NEGLIGIBLE"},
                    {"category": "HARM_CATEGORY_HATE_SPEECH", "probability": "NEGLIGIBLE"},
                    {"category": "HARM_CATEGORY_HARASSMENT", "probability": "MEDIUM"},
                    {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "NEGLIGIBLE"}
                ]
            },
            "usageMetadata": usage,
            "modelVersion": model,
            "responseId": format!("fake-{n}"),
        }))
        .into_response();
    }
    let text = match (&fault, known_reading(&shared, &json), schema) {
        (Some(Fault::Answer(text)), _, _) => text.clone(),
        (_, Some(known), _) => known,
        (_, None, Some(schema)) => sample(schema, true).to_string(),
        (_, None, None) => "A fake answer.".to_owned(),
    };
    let mut candidate = json!({"index": 0, "finishReason": "STOP"});
    match &fault {
        Some(Fault::Finish(FinishReason::MaxTokens)) => {
            let cut: String = text.chars().take(text.chars().count() / 2).collect();
            candidate["content"] = json!({"role": "model", "parts": [{"text": cut}]});
            candidate["finishReason"] = json!("MAX_TOKENS");
        }
        Some(Fault::Finish(reason)) => candidate["finishReason"] = json!(reason.as_str()),
        _ => candidate["content"] = json!({"role": "model", "parts": [{"text": text}]}),
    }
    axum::Json(json!({
        "candidates": [candidate],
        "usageMetadata": usage,
        "modelVersion": model,
        "responseId": format!("fake-{n}"),
    }))
    .into_response()
}

/// A small valid PNG, `width` x `height` (at most 4096 a side): dark bars on white, distinct
/// per `pattern`. A photo for tests and sandboxes whose pixels do not matter; register its
/// reading with [`FakeGemini::answer_for_image`].
///
/// ```
/// let png = gemini_vision::testkit::sample_png(3, 64, 32).unwrap();
/// let image = gemini_vision::Image::new(png).unwrap();
/// assert_eq!(image.dimensions().unwrap(), Some((64, 32)));
/// ```
///
/// # Errors
/// [`Error::InvalidInput`](crate::Error::InvalidInput) for a side of 0 or over 4096.
pub fn sample_png(pattern: u8, width: u32, height: u32) -> crate::Result<Vec<u8>> {
    if !(1..=4096).contains(&width) || !(1..=4096).contains(&height) {
        return Err(crate::Error::InvalidInput(format!(
            "a sample photo of {width} x {height} px: each side must be 1 to 4096"
        )));
    }
    let p = u32::from(pattern);
    let img = image::GrayImage::from_fn(width, height, |x, y| {
        let band = (height / 4..height - height / 4).contains(&y);
        let ink = band && (x / 3 + p * 7) % (2 + p % 9) == 0;
        image::Luma([if ink { 16 } else { 245 }])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .map_err(|e| crate::Error::InvalidInput(format!("the sample photo: {e}")))?;
    Ok(out.into_inner())
}

/// `GET /v1beta/models/{model}`: any model exists, unless a `Status` fault says otherwise.
async fn model_info(
    State(shared): State<Arc<Shared>>,
    Path(model): Path<String>,
    uri: http::Uri,
    headers: HeaderMap,
) -> Response {
    if !key_state(&shared, &headers).1 {
        return bad_key();
    }
    if let Some(Fault::Status {
        status,
        retry_delay,
    }) = shared.faults.take(uri.path(), uri.path())
    {
        return fault_answer(status, retry_delay, &model);
    }
    axum::Json(json!({
        "name": format!("models/{model}"),
        "version": "fake",
        "displayName": format!("{model} (fake)"),
        "inputTokenLimit": 1_048_576,
        "outputTokenLimit": 65_536,
        "supportedGenerationMethods": ["generateContent", "countTokens"],
    }))
    .into_response()
}

/// The answer registered for an inline image of the request, if any.
fn known_reading(shared: &Shared, request: &Value) -> Option<String> {
    let readings = lock(&shared.readings);
    if readings.is_empty() {
        return None;
    }
    request
        .get("contents")?
        .as_array()?
        .iter()
        .filter_map(|c| c.get("parts")?.as_array())
        .flatten()
        .filter_map(|p| {
            let blob = p.get("inlineData").or_else(|| p.get("inline_data"))?;
            blob.get("data")?.as_str()
        })
        .find_map(|data| {
            readings
                .iter()
                .find(|(d, _)| d == data)
                .map(|(_, t)| t.clone())
        })
}

/// Token counts in the shape Gemini reports: 258 per image, a token per 4 characters of text.
fn usage(request: &Value) -> Value {
    let parts = request
        .get("contents")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| c.get("parts")?.as_array())
        .flatten();
    let (mut images, mut text) = (0u64, 0u64);
    for p in parts {
        if ["inlineData", "inline_data", "fileData", "file_data"]
            .iter()
            .any(|k| p.get(*k).is_some())
        {
            images += 258;
        }
        if let Some(t) = p.get("text").and_then(Value::as_str) {
            text += (t.len() as u64).div_ceil(4);
        }
    }
    json!({
        "promptTokenCount": images + text,
        "candidatesTokenCount": 20,
        "totalTokenCount": images + text + 20,
        "promptTokensDetails": [
            {"modality": "TEXT", "tokenCount": text},
            {"modality": "IMAGE", "tokenCount": images}
        ]
    })
}

/// The largest upload the fake takes (Gemini's Files API takes 2 GB).
const UPLOAD_LIMIT: usize = 64 * 1024 * 1024;

fn key_in_query(uri: &http::Uri) -> bool {
    uri.query()
        .is_some_and(|q| q.split('&').any(|p| p.starts_with("key=")))
}

fn key_state(shared: &Shared, headers: &HeaderMap) -> (&'static str, bool) {
    let key = headers.get(API_KEY_HEADER).and_then(|v| v.to_str().ok());
    match key {
        Some(k) if k == shared.api_key => ("[redacted]", true),
        Some(_) => ("wrong", false),
        None => ("missing", false),
    }
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Gemini's answer for a file that does not exist or belongs to another project.
fn no_such_file(id: &str) -> Response {
    status_answer(
        403,
        &format!("You do not have permission to access the File {id} or it may not exist."),
        vec![],
    )
}

/// The id of the first `fileData.fileUri` that names no stored file.
fn unknown_file_uri(shared: &Shared, request: &Value) -> Option<String> {
    let files = lock(&shared.files);
    request
        .get("contents")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| c.get("parts")?.as_array())
        .flatten()
        .filter_map(|p| p.get("fileData").or_else(|| p.get("file_data")))
        .filter_map(|f| f.get("fileUri").or_else(|| f.get("file_uri"))?.as_str())
        .find(|uri| !files.iter().any(|f| f.uri == *uri))
        .map(|uri| uri.rsplit('/').next().unwrap_or(uri).to_owned())
}

/// `POST /upload/v1beta/files`: `start` (with the key), then `upload, finalize` on the
/// returned URL (`?upload_id=`).
async fn upload(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
    uri: http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (api_key, key_ok) = key_state(&shared, &headers);
    let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    shared.log.record(Recorded {
        path: uri.path().to_owned(),
        api_key,
        key_in_query: key_in_query(&uri),
        body: json.clone(),
        method: "POST".to_owned(),
        body_len: body.len(),
    });
    let command = header_str(&headers, "x-goog-upload-command")
        .unwrap_or("")
        .to_ascii_lowercase();
    let Some(base) = shared.base.get() else {
        return status_answer(503, "The service is starting.", vec![]);
    };
    if command == "start" {
        if !key_ok {
            return bad_key();
        }
        if header_str(&headers, "x-goog-upload-protocol") != Some("resumable") {
            return status_answer(400, "Unsupported upload protocol.", vec![]);
        }
        let length = header_str(&headers, "x-goog-upload-header-content-length")
            .and_then(|v| v.parse::<usize>().ok());
        let mime_type = header_str(&headers, "x-goog-upload-header-content-type")
            .map(str::to_owned)
            .or_else(|| {
                json.pointer("/file/mimeType")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            });
        let (Some(length), Some(mime_type)) = (length, mime_type) else {
            return status_answer(
                400,
                "X-Goog-Upload-Header-Content-Length and -Content-Type are required.",
                vec![],
            );
        };
        let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
        lock(&shared.uploads).insert(
            id,
            Upload {
                display_name: json
                    .pointer("/file/displayName")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                mime_type,
                length,
            },
        );
        let url = format!(
            "{base}upload/v1beta/files?upload_id=fake-upload-{id}&upload_protocol=resumable"
        );
        return (
            StatusCode::OK,
            [
                ("x-goog-upload-url", url),
                ("x-goog-upload-status", "active".to_owned()),
            ],
        )
            .into_response();
    }
    // The upload URL is the credential of the bytes (Google's SDK sends no key with them).
    let upload_id = query
        .get("upload_id")
        .and_then(|u| u.strip_prefix("fake-upload-"))
        .and_then(|u| u.parse::<u64>().ok());
    let Some(started) = upload_id.and_then(|id| lock(&shared.uploads).remove(&id)) else {
        return status_answer(404, "Upload not found.", vec![]);
    };
    if command != "upload, finalize"
        || header_str(&headers, "x-goog-upload-offset") != Some("0")
        || body.len() != started.length
    {
        return status_answer(
            400,
            "Upload command, offset or size does not match the start of the upload.",
            vec![],
        );
    }
    let n = shared.next_id.fetch_add(1, Ordering::Relaxed);
    let id = format!("fake{n:08}");
    let now = "2026-01-01T00:00:00.000000Z".to_owned();
    let file = File {
        name: format!("files/{id}"),
        display_name: started.display_name,
        mime_type: Some(started.mime_type),
        size_bytes: Some(body.len() as u64),
        create_time: Some(now.clone()),
        update_time: Some(now),
        expiration_time: Some("2026-01-03T00:00:00.000000Z".to_owned()),
        uri: format!("{base}v1beta/files/{id}"),
        state: Some(FileState::Active),
        ..File::default()
    };
    lock(&shared.files).push(file.clone());
    let mut json = serde_json::to_value(&file).unwrap_or(Value::Null);
    if let Some(size) = json.get_mut("sizeBytes") {
        // int64 in proto JSON: a string.
        *size = json!(body.len().to_string());
    }
    json["source"] = json!("UPLOADED");
    (
        StatusCode::OK,
        [("x-goog-upload-status", "final")],
        axum::Json(json!({ "file": json })),
    )
        .into_response()
}

/// Logs a `GET` / `DELETE` of a file and checks its key: the refusal to answer, if refused.
fn file_call(
    shared: &Shared,
    method: &str,
    uri: &http::Uri,
    headers: &HeaderMap,
) -> Option<Response> {
    let (api_key, key_ok) = key_state(shared, headers);
    shared.log.record(Recorded {
        path: uri.path().to_owned(),
        api_key,
        key_in_query: key_in_query(uri),
        body: Value::Null,
        method: method.to_owned(),
        body_len: 0,
    });
    (!key_ok).then(bad_key)
}

/// `GET /v1beta/files/{id}`.
async fn get_file(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    uri: http::Uri,
    headers: HeaderMap,
) -> Response {
    if let Some(refused) = file_call(&shared, "GET", &uri, &headers) {
        return refused;
    }
    let name = format!("files/{id}");
    let found = lock(&shared.files).iter().find(|f| f.name == name).cloned();
    match found {
        Some(file) => {
            let mut json = serde_json::to_value(&file).unwrap_or(Value::Null);
            if let Some(size) = json.get_mut("sizeBytes") {
                *size = json!(file.size_bytes.unwrap_or(0).to_string());
            }
            axum::Json(json).into_response()
        }
        None => no_such_file(&id),
    }
}

/// `DELETE /v1beta/files/{id}`: `{}`.
async fn delete_file(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    uri: http::Uri,
    headers: HeaderMap,
) -> Response {
    if let Some(refused) = file_call(&shared, "DELETE", &uri, &headers) {
        return refused;
    }
    let name = format!("files/{id}");
    let mut files = lock(&shared.files);
    let before = files.len();
    files.retain(|f| f.name != name);
    if files.len() == before {
        return no_such_file(&id);
    }
    axum::Json(json!({})).into_response()
}

const TYPES: &[&str] = &[
    "STRING", "NUMBER", "INTEGER", "BOOLEAN", "ARRAY", "OBJECT", "NULL",
];

/// Checks a `responseSchema` as Gemini's proto-JSON parser does; the message is Gemini's.
fn check_schema(schema: &Value, at: &str) -> Result<(), String> {
    let Some(o) = schema.as_object() else {
        return Err(format!(
            "Invalid JSON payload received. Expected an object at '{at}'."
        ));
    };
    for k in o.keys() {
        if !GEMINI_SCHEMA_KEYWORDS.contains(&k.as_str()) {
            return Err(format!(
                "Invalid JSON payload received. Unknown name \"{k}\" at '{at}': Cannot find field."
            ));
        }
    }
    match o.get("type") {
        Some(Value::String(t)) if TYPES.contains(&t.as_str()) => {}
        None if o.contains_key("anyOf") => {}
        Some(t) => {
            return Err(format!(
                "Invalid value at '{at}.type' (type.googleapis.com/google.ai.generativelanguage.v1beta.Type), {t}"
            ));
        }
        None => {
            return Err(format!(
                "* GenerateContentRequest.{at}.type: must be specified\n"
            ));
        }
    }
    if let Some(props) = o.get("properties").and_then(Value::as_object) {
        for (i, p) in props.values().enumerate() {
            check_schema(p, &format!("{at}.properties[{i}].value"))?;
        }
        if let Some(req) = o.get("required").and_then(Value::as_array) {
            if req.is_empty() {
                return Err(format!(
                    "* GenerateContentRequest.{at}.required: must not be empty\n"
                ));
            }
            for r in req {
                if !r.as_str().is_some_and(|r| props.contains_key(r)) {
                    return Err(format!(
                        "* GenerateContentRequest.{at}.required[{r}]: property is not defined\n"
                    ));
                }
            }
        }
    }
    if let Some(items) = o.get("items") {
        check_schema(items, &format!("{at}.items"))?;
    }
    if let Some(branches) = o.get("anyOf").and_then(Value::as_array) {
        for (i, b) in branches.iter().enumerate() {
            check_schema(b, &format!("{at}.any_of[{i}]"))?;
        }
    }
    Ok(())
}

fn clamp(v: f64, o: &Map<String, Value>) -> f64 {
    let mut v = v;
    if let Some(min) = o.get("minimum").and_then(Value::as_f64) {
        v = v.max(min);
    }
    if let Some(max) = o.get("maximum").and_then(Value::as_f64) {
        v = v.min(max);
    }
    v
}

/// A deterministic value of a (checked) Gemini schema.
fn sample(schema: &Value, required: bool) -> Value {
    let Some(o) = schema.as_object() else {
        return Value::Null;
    };
    if !required && o.get("nullable") == Some(&Value::Bool(true)) {
        return Value::Null;
    }
    if let Some(first) = o
        .get("anyOf")
        .and_then(Value::as_array)
        .and_then(|b| b.first())
    {
        return sample(first, true);
    }
    match o.get("type").and_then(Value::as_str).unwrap_or("NULL") {
        "STRING" => {
            if let Some(first) = o
                .get("enum")
                .and_then(Value::as_array)
                .and_then(|e| e.first())
            {
                return first.clone();
            }
            if o.get("format").and_then(Value::as_str) == Some("date-time") {
                return json!("2026-01-01T00:00:00Z");
            }
            let min = o.get("minLength").and_then(Value::as_u64).unwrap_or(0) as usize;
            let mut s = "sample".to_owned();
            while s.len() < min {
                s.push('x');
            }
            json!(s)
        }
        "INTEGER" => json!(clamp(1.0, o).ceil() as i64),
        "NUMBER" => json!(clamp(0.5, o)),
        "BOOLEAN" => json!(true),
        "ARRAY" => {
            let n = o
                .get("minItems")
                .and_then(Value::as_u64)
                .unwrap_or(1)
                .max(1);
            let n = o
                .get("maxItems")
                .and_then(Value::as_u64)
                .map_or(n, |max| n.min(max));
            let item = o.get("items").unwrap_or(&Value::Null);
            Value::Array((0..n).map(|_| sample(item, true)).collect())
        }
        "OBJECT" => {
            let empty = Map::new();
            let props = o
                .get("properties")
                .and_then(Value::as_object)
                .unwrap_or(&empty);
            let required: Vec<&str> = o
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let mut out = Map::new();
            for (k, p) in props {
                out.insert(k.clone(), sample(p, required.contains(&k.as_str())));
            }
            Value::Object(out)
        }
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_follow_the_schema() {
        let schema = json!({"type": "OBJECT", "properties": {
            "kind": {"type": "STRING", "enum": ["B", "A"]},
            "n": {"type": "INTEGER", "minimum": 3, "maximum": 9},
            "x": {"type": "NUMBER", "maximum": 0.1},
            "opt": {"type": "STRING", "nullable": true},
            "tags": {"type": "ARRAY", "items": {"type": "BOOLEAN"}, "minItems": 2}
        }, "required": ["kind", "n", "x", "tags"]});
        assert!(check_schema(&schema, "s").is_ok());
        assert_eq!(
            sample(&schema, true),
            json!({"kind": "B", "n": 3, "x": 0.1, "opt": null, "tags": [true, true]})
        );
        let bad = json!({"type": "OBJECT", "properties": {"a": {"type": "STRING"}, "m": {"type": "OBJECT", "additionalProperties": {"type": "STRING"}}}});
        assert_eq!(
            check_schema(&bad, "generation_config.response_schema").unwrap_err(),
            "Invalid JSON payload received. Unknown name \"additionalProperties\" at 'generation_config.response_schema.properties[1].value': Cannot find field."
        );
        assert!(check_schema(&json!({"type": "string"}), "s").is_err());
        assert!(check_schema(&json!({"type": ["STRING", "NULL"]}), "s").is_err());
        assert!(
            check_schema(
                &json!({"type": "OBJECT", "properties": {"a": {"type": "STRING"}}, "required": []}),
                "s"
            )
            .is_err()
        );
    }
}
