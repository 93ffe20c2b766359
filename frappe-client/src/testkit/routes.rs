//! HTTP: routing, authentication, faults, rate-limit headers, resource routes and file serving.
//!
//! One fallback handler parses the raw path itself (percent-decoding each segment, so names may
//! contain `/` as `%2F` or spaces as `%20`) — no extractor can reject a request with a non-JSON
//! body, and nothing in here panics on bad input.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Request, State};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE};
use http::{HeaderMap, Method, StatusCode};
use serde_json::{Map, Value, json};

use super::filters::{ListQuery, Paging, arg_string};
use super::methods::{self, Ctx, Outcome};
use super::response::{Api, ApiError, Msg, Reply, server_messages};
use super::store::{Origin, Saved, query_error};
use super::{
    FaultBody, FaultKind, RATE_LIMIT_US, RATE_WINDOW_SECS, RecordedRequest, ServerVersion, Shared,
    lock,
};

/// Request bodies (uploads included) are capped like Frappe's default `max_file_size` (25 MiB).
const MAX_BODY: usize = 25 * 1024 * 1024;

const NOT_FOUND_HTML: &str = "<!DOCTYPE html><html><head><title>Not Found</title></head><body><h1>Page Not Found</h1></body></html>";

/// The axum app: everything goes through [`handle`].
pub(super) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .fallback(handle)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(shared)
}

async fn handle(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let raw_path = req.uri().path().to_owned();
    let query = req.uri().query().map(str::to_owned);
    let headers = req.headers().clone();
    shared.record(RecordedRequest {
        method: method.clone(),
        path: raw_path.clone(),
        query: query.clone(),
        has_authorization: headers.contains_key(AUTHORIZATION),
        has_cookie: headers.contains_key(COOKIE),
        content_type: headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    });
    let decoded = String::from_utf8_lossy(&percent_decode(&raw_path)).into_owned();
    let api = if raw_path == "/api/v2" || raw_path.starts_with("/api/v2/") {
        Api::V2
    } else {
        Api::V1
    };
    let mut early = budget_exhausted(&shared);
    if early.is_none() {
        match shared.take_fault(&raw_path, &decoded) {
            Some(FaultKind::Delay(d)) => tokio::time::sleep(d).await,
            Some(FaultKind::Status {
                status,
                retry_after,
                body,
            }) => early = Some(fault_reply(status, retry_after, body.as_ref(), api)),
            None => {}
        }
    }
    // Read before dispatching: a login or logout changes the sessions.
    let session = session_state(&shared, &headers);
    let reply = match early {
        Some(r) => r,
        None => dispatch(&shared, &method, &raw_path, query.as_deref(), &headers, req).await,
    };
    let reply = session_cookies(reply, session, raw_path.starts_with("/api"));
    finish(&shared, reply, started).into_response()
}

/// What the request's `sid` cookie is worth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SessionState {
    /// No `sid`, or `sid=Guest`.
    Guest,
    /// A live session.
    Live,
    /// A `sid` the server does not know (expired, logged out, or never issued).
    Expired,
}

fn session_state(shared: &Shared, headers: &HeaderMap) -> SessionState {
    match cookie(headers, "sid") {
        None => SessionState::Guest,
        Some(sid) if sid.is_empty() || sid == "Guest" => SessionState::Guest,
        Some(sid) if lock(&shared.sessions).contains_key(&sid) => SessionState::Live,
        Some(_) => SessionState::Expired,
    }
}

/// The cookies Frappe 15 sets on an answer to a request without a live session: the Guest
/// session's cookies on every `/api` answer (token-authenticated ones included), and for a
/// request whose `sid` has expired, `"session_expired": 1` in the JSON body followed by lines
/// that expire every session cookie (`clear_cookies`), as a real site answers.
fn session_cookies(mut reply: Reply, session: SessionState, api_path: bool) -> Reply {
    if session == SessionState::Live || !api_path || reply.sets_cookies() {
        return reply;
    }
    let now = chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now());
    let http_date = |t: chrono::DateTime<chrono::Utc>| t.format("%a, %d %b %Y %H:%M:%S GMT");
    let guest_expiry = http_date(now + chrono::Duration::seconds(612_000));
    reply.add_header(
        "Set-Cookie",
        &format!(
            "sid=Guest; Expires={guest_expiry}; Max-Age=612000; HttpOnly; Path=/; SameSite=Lax"
        ),
    );
    for line in [
        "system_user=no",
        "full_name=Guest",
        "user_id=Guest",
        "user_image=",
    ] {
        reply.add_header("Set-Cookie", &format!("{line}; Path=/; SameSite=Lax"));
    }
    if session == SessionState::Expired {
        reply.add_json_key("session_expired", json!(1));
        let past = http_date(now - chrono::Duration::days(1));
        for name in ["sid", "user_id", "full_name", "system_user", "user_image"] {
            reply.add_header("Set-Cookie", &format!("{name}=; Expires={past}; Path=/"));
        }
    }
    reply
}

/// 429 once the site-wide budget is spent (only when rate-limit headers are on).
fn budget_exhausted(shared: &Shared) -> Option<Reply> {
    if !shared.config.rate_limit_headers {
        return None;
    }
    let rate = lock(&shared.rate);
    let elapsed = rate.started.elapsed().as_secs();
    (elapsed < RATE_WINDOW_SECS && rate.used_us > RATE_LIMIT_US).then(|| {
        too_many_requests(Api::V1).header("Retry-After", &(RATE_WINDOW_SECS - elapsed).to_string())
    })
}

/// The 429 of Frappe's rate limiter on `/api` routes: `TooManyRequestsError` raised without a
/// message, answered as JSON.
fn too_many_requests(api: Api) -> Reply {
    ApiError {
        exception: Some("frappe.exceptions.TooManyRequestsError".to_owned()),
        messages: Vec::new(),
        ..ApiError::throw(429, "TooManyRequestsError", "")
    }
    .reply(api)
}

fn finish(shared: &Shared, mut reply: Reply, started: Instant) -> Reply {
    if shared.config.rate_limit_headers {
        let used = u64::try_from(started.elapsed().as_micros())
            .unwrap_or(u64::MAX)
            .max(1);
        let mut rate = lock(&shared.rate);
        if rate.started.elapsed() >= Duration::from_secs(RATE_WINDOW_SECS) {
            rate.started = Instant::now();
            rate.used_us = 0;
        }
        rate.used_us = rate.used_us.saturating_add(used);
        let reset = RATE_WINDOW_SECS.saturating_sub(rate.started.elapsed().as_secs());
        reply.add_header("X-RateLimit-Limit", &RATE_LIMIT_US.to_string());
        reply.add_header(
            "X-RateLimit-Remaining",
            &RATE_LIMIT_US.saturating_sub(rate.used_us).to_string(),
        );
        reply.add_header("X-RateLimit-Reset", &reset.to_string());
        reply.add_header("X-RateLimit-Used", &used.to_string());
    }
    reply
}

fn fault_reply(status: u16, retry_after: Option<u64>, body: Option<&FaultBody>, api: Api) -> Reply {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut reply = match body {
        Some(FaultBody::Text(t)) => Reply::text(code, t),
        Some(FaultBody::Html(h)) => Reply::html(code, h),
        Some(FaultBody::Frappe { exc_type, message }) => {
            ApiError::throw(status, exc_type, message.clone()).reply(api)
        }
        None => match status {
            429 => too_many_requests(api),
            502 | 504 => {
                let reason = code.canonical_reason().unwrap_or("Error");
                Reply::html(
                    code,
                    &format!(
                        "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
                    ),
                )
            }
            503 => ApiError::throw(
                503,
                "SessionStopped",
                "Session Stopped: the site is under maintenance, please try again in a few minutes",
            )
            .reply(api),
            _ => {
                let (exc, message) = match status {
                    400 => ("ValidationError", "Bad Request"),
                    401 => ("AuthenticationError", "Not Authenticated"),
                    403 => ("PermissionError", "Not permitted"),
                    404 => ("DoesNotExistError", "Not found"),
                    409 => ("DuplicateEntryError", "Duplicate entry"),
                    417 => ("ValidationError", "Validation failed"),
                    500 => (
                        "QueryDeadlockError",
                        "Deadlock found when trying to get lock; try restarting transaction",
                    ),
                    _ => ("Exception", "Injected fault"),
                };
                ApiError::throw(status, exc, message).reply(api)
            }
        },
    };
    if let Some(secs) = retry_after {
        reply.add_header("Retry-After", &secs.to_string());
    }
    reply
}

// ---------------------------------------------------------------------------------------------
// Path and argument parsing

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Percent-decodes bytes (a `%` not followed by two hex digits stays literal).
fn percent_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let (Some(h), Some(l)) = (
                b.get(i + 1).copied().and_then(hex_val),
                b.get(i + 2).copied().and_then(hex_val),
            )
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

/// `/api/resource/Sales%20Invoice/A%2FB/` → `["api", "resource", "Sales Invoice", "A/B"]`.
fn split_path(raw: &str) -> Option<Vec<String>> {
    let mut parts: Vec<&str> = raw.split('/').skip(1).collect();
    if parts.len() > 1 && parts.last() == Some(&"") {
        parts.pop();
    }
    parts
        .into_iter()
        .map(|p| String::from_utf8(percent_decode(p)).ok())
        .collect()
}

fn content_type(headers: &HeaderMap) -> String {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase()
}

fn form_args(bytes: &[u8]) -> Map<String, Value> {
    let mut m = Map::new();
    for (k, v) in url::form_urlencoded::parse(bytes) {
        m.entry(k.into_owned())
            .or_insert(Value::String(v.into_owned()));
    }
    m
}

fn invalid_json(e: &serde_json::Error) -> ApiError {
    ApiError::validation(format!("Invalid JSON in request body: {e}"))
}

/// `frappe.form_dict`: the JSON body when it is JSON, else query string + form fields.
fn method_args(
    headers: &HeaderMap,
    query: Option<&str>,
    body: &[u8],
) -> Result<Map<String, Value>, ApiError> {
    let ct = content_type(headers);
    if ct.contains("json") && !body.iter().all(u8::is_ascii_whitespace) {
        return match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(m)) => Ok(m),
            Ok(_) => Err(ApiError::validation(
                "The JSON body must be an object of arguments",
            )),
            Err(e) => Err(invalid_json(&e)),
        };
    }
    let mut args = form_args(query.unwrap_or_default().as_bytes());
    if ct.starts_with("application/x-www-form-urlencoded") {
        args.extend(form_args(body));
    }
    Ok(args)
}

/// `get_request_form_data()`: form field `data`, else the raw body, as a JSON object.
fn doc_body(headers: &HeaderMap, body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    let raw: Vec<u8> = if content_type(headers).starts_with("application/x-www-form-urlencoded") {
        match form_args(body).get("data").and_then(Value::as_str) {
            Some(d) => d.as_bytes().to_vec(),
            None => body.to_vec(),
        }
    } else {
        body.to_vec()
    };
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(&raw) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(ApiError::validation(
            "The request body must be a JSON object",
        )),
        Err(e) => Err(invalid_json(&e)),
    }
}

// ---------------------------------------------------------------------------------------------
// Authentication

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_owned())
}

fn is_unsafe(method: &Method) -> bool {
    matches!(
        *method,
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    )
}

/// The user a request runs as (`None` = Guest), or the auth error to answer.
fn authenticate(
    shared: &Shared,
    headers: &HeaderMap,
    method: &Method,
    is_login: bool,
) -> Result<Option<String>, ApiError> {
    let session_user =
        cookie(headers, "sid").and_then(|sid| lock(&shared.sessions).get(&sid).cloned());
    let authorization = headers.get(AUTHORIZATION);
    if session_user.is_some() && authorization.is_some() && is_unsafe(method) && !is_login {
        return Err(ApiError::throw(400, "CSRFTokenError", "Invalid Request"));
    }
    let Some(value) = authorization else {
        return Ok(session_user);
    };
    let config = &shared.config;
    let bad_token = || {
        ApiError::throw(
            400,
            "InvalidAuthorizationToken",
            "Invalid Authorization Token",
        )
    };
    let denied = || {
        ApiError::throw(
            401,
            "AuthenticationError",
            "Authentication failed: invalid API key or secret",
        )
    };
    let value = value.to_str().map_err(|_| bad_token())?;
    let Some((scheme, token)) = value.trim().split_once(' ') else {
        // Frappe only looks at "<scheme> <token>" headers; anything else is ignored.
        return Ok(session_user);
    };
    let (key, secret) = match scheme.to_ascii_lowercase().as_str() {
        "token" => {
            let (k, s) = token.trim().split_once(':').ok_or_else(bad_token)?;
            (k.to_owned(), s.to_owned())
        }
        "basic" => {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(token.trim())
                .map_err(|_| bad_token())?;
            let text = String::from_utf8(decoded).map_err(|_| bad_token())?;
            let (k, s) = text.split_once(':').ok_or_else(bad_token)?;
            (k.to_owned(), s.to_owned())
        }
        _ => return Err(denied()),
    };
    if key == config.api_key && secret == config.api_secret {
        Ok(Some(config.username.clone()))
    } else {
        Err(denied())
    }
}

// ---------------------------------------------------------------------------------------------
// Dispatch

fn method_not_allowed() -> ApiError {
    ApiError::throw(405, "MethodNotAllowed", "Method Not Allowed")
}

async fn dispatch(
    shared: &Shared,
    method: &Method,
    raw_path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    req: Request,
) -> Reply {
    let Some(segments) = split_path(raw_path) else {
        return ApiError::not_found(format!("{raw_path} not found")).reply(Api::V1);
    };
    let seg: Vec<&str> = segments.iter().map(String::as_str).collect();
    let (api, rest) = match seg.as_slice() {
        ["files", rest @ ..] if !rest.is_empty() => {
            return download(
                shared,
                headers,
                method,
                &format!("/files/{}", rest.join("/")),
                false,
            );
        }
        ["private", "files", rest @ ..] if !rest.is_empty() => {
            return download(
                shared,
                headers,
                method,
                &format!("/private/files/{}", rest.join("/")),
                true,
            );
        }
        ["api", "v2", rest @ ..] => (Api::V2, rest),
        ["api", "v1", rest @ ..] => (Api::V1, rest),
        ["api", rest @ ..] => (Api::V1, rest),
        _ => return Reply::html(StatusCode::NOT_FOUND, NOT_FOUND_HTML),
    };
    let is_login = api == Api::V1 && rest == ["method", "login"];
    let user = match authenticate(shared, headers, method, is_login) {
        Ok(u) => u,
        Err(e) => return e.reply(api),
    };
    let ctx = Ctx {
        shared,
        user,
        method: method.clone(),
        api,
        sid: cookie(headers, "sid"),
    };
    if let ["method", "upload_file" | "frappe.handler.upload_file"] = rest {
        return upload(&ctx, headers, query, req)
            .await
            .unwrap_or_else(|e| e.reply(api));
    }
    let Ok(body) = to_bytes(req.into_body(), MAX_BODY).await else {
        return Reply::html(
            StatusCode::PAYLOAD_TOO_LARGE,
            "<html><body><h1>413 Request Entity Too Large</h1></body></html>",
        );
    };
    let result = match api {
        Api::V1 => v1(&ctx, rest, query, headers, &body),
        Api::V2 => v2(&ctx, rest, query, headers, &body),
    };
    result.unwrap_or_else(|e| e.reply(api))
}

fn query_args(query: Option<&str>) -> Map<String, Value> {
    form_args(query.unwrap_or_default().as_bytes())
}

fn require_user<'a>(ctx: &'a Ctx<'_>, doctype: &str) -> Result<&'a str, ApiError> {
    ctx.user
        .as_deref()
        .ok_or_else(|| ApiError::guest_resource(doctype))
}

/// A saved document under `data`, with its notices.
fn saved_reply(saved: Saved, api: Api, status: StatusCode) -> Reply {
    let mut body = Map::new();
    body.insert("data".to_owned(), Value::Object(saved.doc));
    add_notices(&mut body, &saved.notices, api);
    Reply::json(status, &Value::Object(body))
}

fn add_notices(body: &mut Map<String, Value>, notices: &[Msg], api: Api) {
    if notices.is_empty() {
        return;
    }
    match api {
        Api::V1 => {
            body.insert(
                "_server_messages".to_owned(),
                Value::String(server_messages(notices)),
            );
        }
        Api::V2 => {
            body.insert(
                "messages".to_owned(),
                Value::Array(notices.iter().map(|m| Value::Object(m.to_v2())).collect()),
            );
        }
    }
}

fn data(value: Value) -> Reply {
    let mut body = Map::new();
    body.insert("data".to_owned(), value);
    Reply::json(StatusCode::OK, &Value::Object(body))
}

fn deleted() -> Reply {
    Reply::json(StatusCode::ACCEPTED, &json!({ "data": "ok" }))
}

fn v1(
    ctx: &Ctx<'_>,
    rest: &[&str],
    query: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Reply, ApiError> {
    let shared = ctx.shared;
    match rest {
        ["resource", doctype] => {
            let user = require_user(ctx, doctype)?;
            match ctx.method {
                Method::GET | Method::HEAD => {
                    let args = query_args(query);
                    let q = ListQuery::from_args(doctype, &args, Paging::V1 { limit_alias: true })
                        .map_err(query_error)?;
                    let parent = arg_string(args.get("parent"));
                    let rows = lock(&shared.store).list(doctype, &q, parent.as_deref())?;
                    Ok(data(Value::Array(rows)))
                }
                Method::POST => {
                    let doc = doc_body(headers, body)?;
                    let saved = lock(&shared.store).insert(doctype, doc, Origin::V1, user)?;
                    Ok(saved_reply(saved, Api::V1, StatusCode::OK))
                }
                _ => Err(method_not_allowed()),
            }
        }
        ["resource", doctype, name @ ..] if !name.is_empty() => {
            let name = name.join("/");
            let user = require_user(ctx, doctype)?;
            match ctx.method {
                Method::GET | Method::HEAD => {
                    let doc = lock(&shared.store).get_doc(doctype, &name)?;
                    Ok(data(Value::Object(doc)))
                }
                Method::PUT => {
                    let patch = doc_body(headers, body)?;
                    let saved = lock(&shared.store).update(doctype, &name, patch, user, true)?;
                    Ok(saved_reply(saved, Api::V1, StatusCode::OK))
                }
                Method::DELETE => {
                    lock(&shared.store).delete(doctype, &name)?;
                    Ok(deleted())
                }
                Method::POST => {
                    lock(&shared.store).get_doc(doctype, &name)?;
                    let args = method_args(headers, query, body)?;
                    let run = arg_string(args.get("run_method")).unwrap_or_default();
                    Err(ApiError::validation(format!(
                        "The testkit does not run document methods (run_method={run})"
                    )))
                }
                _ => Err(method_not_allowed()),
            }
        }
        ["method", path @ ..] if !path.is_empty() => {
            let args = method_args(headers, query, body)?;
            let outcome = methods::call(ctx, &path.join("/"), args)?;
            Ok(method_reply(outcome, Api::V1))
        }
        _ => Err(ApiError::not_found(format!(
            "/api/{} not found",
            rest.join("/")
        ))),
    }
}

fn v2(
    ctx: &Ctx<'_>,
    rest: &[&str],
    query: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Reply, ApiError> {
    let shared = ctx.shared;
    match rest {
        ["document", doctype] => {
            let user = require_user(ctx, doctype)?;
            match ctx.method {
                Method::GET | Method::HEAD => {
                    let args = query_args(query);
                    v2_list(ctx, doctype, &args)
                }
                Method::POST => {
                    let doc = doc_body(headers, body)?;
                    let saved = lock(&shared.store).insert(doctype, doc, Origin::V2, user)?;
                    Ok(saved_reply(saved, Api::V2, StatusCode::OK))
                }
                _ => Err(method_not_allowed()),
            }
        }
        ["document", doctype, name @ ..] if !name.is_empty() => {
            let name = name.join("/");
            let user = require_user(ctx, doctype)?;
            match ctx.method {
                Method::GET | Method::HEAD => {
                    let doc = lock(&shared.store).get_doc(doctype, &name)?;
                    Ok(data(Value::Object(doc)))
                }
                Method::PUT | Method::PATCH => {
                    let patch = doc_body(headers, body)?;
                    let saved = lock(&shared.store).update(doctype, &name, patch, user, true)?;
                    Ok(saved_reply(saved, Api::V2, StatusCode::OK))
                }
                Method::DELETE => {
                    lock(&shared.store).delete(doctype, &name)?;
                    Ok(deleted())
                }
                _ => Err(method_not_allowed()),
            }
        }
        ["doctype", doctype, "count"] => {
            require_user(ctx, doctype)?;
            let args = query_args(query);
            let q = ListQuery::from_args(doctype, &args, Paging::V1 { limit_alias: false })
                .map_err(query_error)?;
            let n = lock(&shared.store).count(doctype, &q)?;
            Ok(data(json!(n)))
        }
        ["doctype", doctype, "meta"] => {
            require_user(ctx, doctype)?;
            let store = lock(&shared.store);
            match super::schema::meta(doctype) {
                Some(meta) => Ok(data(meta.to_json())),
                None if store.doctype_exists(doctype) => Ok(data(json!({
                    "name": doctype, "module": "Custom", "custom": 1, "istable": 0,
                    "is_submittable": 0, "issingle": 0, "fields": [], "doctype": "DocType",
                }))),
                None => Err(ApiError::doctype_not_found(doctype)),
            }
        }
        ["method", path @ ..] if !path.is_empty() => {
            let args = method_args(headers, query, body)?;
            let outcome = methods::call(ctx, &path.join("/"), args)?;
            Ok(method_reply(outcome, Api::V2))
        }
        _ => Err(ApiError::not_found(format!(
            "/api/v2/{} not found",
            rest.join("/")
        ))),
    }
}

fn v2_list(ctx: &Ctx<'_>, doctype: &str, args: &Map<String, Value>) -> Result<Reply, ApiError> {
    let store = lock(&ctx.shared.store);
    if ctx.shared.config.version == ServerVersion::V15 {
        let q = ListQuery::from_args(doctype, args, Paging::V2Legacy).map_err(query_error)?;
        let rows = store.list(doctype, &q, None)?;
        return Ok(data(Value::Array(rows)));
    }
    let mut q = ListQuery::from_args(doctype, args, Paging::V2).map_err(query_error)?;
    let limit = q.page_length.unwrap_or(20);
    q.page_length = Some(limit.saturating_add(1));
    let mut rows = store.list(doctype, &q, None)?;
    let has_next_page = rows.len() > limit;
    rows.truncate(limit);
    Ok(Reply::json(
        StatusCode::OK,
        &json!({ "data": rows, "has_next_page": has_next_page }),
    ))
}

fn method_reply(outcome: Outcome, api: Api) -> Reply {
    let mut body = outcome.extra;
    match api {
        Api::V1 => {
            if let Some(v) = outcome.value {
                body.insert("message".to_owned(), v);
            }
        }
        Api::V2 => {
            body.insert("data".to_owned(), outcome.value.unwrap_or(Value::Null));
        }
    }
    add_notices(&mut body, &outcome.notices, api);
    let mut reply = Reply::json(StatusCode::OK, &Value::Object(body));
    for c in &outcome.cookies {
        reply.add_header("Set-Cookie", c);
    }
    reply
}

// ---------------------------------------------------------------------------------------------
// Files

async fn upload(
    ctx: &Ctx<'_>,
    headers: &HeaderMap,
    query: Option<&str>,
    req: Request,
) -> Result<Reply, ApiError> {
    if ctx.user.is_none() {
        return Err(ApiError::permission("Not permitted"));
    }
    if !matches!(ctx.method, Method::POST | Method::PUT) {
        return Err(ApiError::permission("Not permitted"));
    }
    let mut args = query_args(query);
    let mut file: Option<(String, Bytes)> = None;
    if content_type(headers).starts_with("multipart/form-data") {
        let mut multipart = Multipart::from_request(req, &())
            .await
            .map_err(|e| ApiError::validation(format!("Invalid multipart body: {e}")))?;
        loop {
            let field = match multipart.next_field().await {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                    return Ok(Reply::html(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "<html><body><h1>413 Request Entity Too Large</h1></body></html>",
                    ));
                }
                Err(e) => return Err(ApiError::validation(format!("Invalid multipart body: {e}"))),
            };
            let name = field.name().unwrap_or_default().to_owned();
            if name == "file" {
                let file_name = field.file_name().unwrap_or("file").to_owned();
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|e| ApiError::validation(format!("Invalid multipart body: {e}")))?;
                file = Some((file_name, bytes));
            } else {
                let text = field
                    .text()
                    .await
                    .map_err(|e| ApiError::validation(format!("Invalid multipart body: {e}")))?;
                args.insert(name, Value::String(text));
            }
        }
    } else {
        let body = to_bytes(req.into_body(), MAX_BODY)
            .await
            .map_err(|_| ApiError::validation("Request body too large"))?;
        args.extend(method_args(headers, None, &body)?);
    }
    let doc = methods::upload_file(ctx, &args, file)?;
    Ok(method_reply(
        Outcome {
            value: Some(doc),
            ..Outcome::default()
        },
        ctx.api,
    ))
}

fn mime_of(path: &str) -> &'static str {
    let ext = path
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "svg" => "image/svg+xml",
        "pdf" => "application/pdf",
        "txt" | "log" => "text/plain; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        "json" => "application/json",
        "html" | "htm" => "text/html; charset=utf-8",
        "zip" => "application/zip",
        "mp4" => "video/mp4",
        "mov" => "video/quicktime",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        _ => "application/octet-stream",
    }
}

fn download(
    shared: &Shared,
    headers: &HeaderMap,
    method: &Method,
    url: &str,
    private: bool,
) -> Reply {
    if !matches!(*method, Method::GET | Method::HEAD) {
        return Reply::html(
            StatusCode::METHOD_NOT_ALLOWED,
            "<h1>Method Not Allowed</h1>",
        );
    }
    let user = match authenticate(shared, headers, method, false) {
        Ok(u) => u,
        Err(e) => return e.reply(Api::V1),
    };
    if private && user.is_none() {
        return Reply::html(
            StatusCode::FORBIDDEN,
            "<!DOCTYPE html><html><head><title>Not Permitted</title></head><body><h1>Not Permitted</h1><p>You don't have permission to access this file</p></body></html>",
        );
    }
    let store = lock(&shared.store);
    match store.file(url) {
        Some(f) if f.is_private == private => {
            Reply::bytes(StatusCode::OK, mime_of(url), Body::from(f.bytes.clone()))
        }
        _ => Reply::html(StatusCode::NOT_FOUND, NOT_FOUND_HTML),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_split_then_decoded() {
        assert_eq!(
            split_path("/api/resource/Sales%20Invoice/A%2FB/"),
            Some(vec![
                "api".to_owned(),
                "resource".to_owned(),
                "Sales Invoice".to_owned(),
                "A/B".to_owned()
            ])
        );
        assert_eq!(split_path("/api/resource/X/%FF"), None);
        assert_eq!(percent_decode("100%"), b"100%");
        assert_eq!(percent_decode("%zz%41"), b"%zzA");
    }

    #[test]
    fn cookies_are_parsed() {
        let mut h = HeaderMap::new();
        h.insert(
            COOKIE,
            http::HeaderValue::from_static("full_name=X; sid=abc; user_id=Y"),
        );
        assert_eq!(cookie(&h, "sid").as_deref(), Some("abc"));
        assert_eq!(cookie(&h, "nope"), None);
    }
}
