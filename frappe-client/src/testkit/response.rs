//! Response shapes: Frappe's message log, the v1 / v2 error bodies and Python-style JSON.
//!
//! Frappe builds `_server_messages` with Python's `json.dumps` twice (a JSON string holding a JSON
//! list of JSON strings), with the default separators (`", "`, `": "`) and `ensure_ascii=True`;
//! [`py_dumps`] reproduces that byte for byte so clients can be tested against the real format.

use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use http::header::{CONTENT_TYPE, HeaderName, HeaderValue, SET_COOKIE};
use http::{HeaderMap, StatusCode};
use serde_json::{Map, Value, json};

/// Which API flavour answers: decides the error envelope and the success envelope of methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Api {
    /// `/api/...` and `/api/v1/...`: `data` / `message` envelopes, `exc_type` + `_server_messages` errors.
    V1,
    /// `/api/v2/...`: `data` envelopes, `{"errors": [...]}` errors.
    V2,
}

/// One entry of Frappe's message log (`frappe.msgprint` / `frappe.throw`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Msg {
    pub(crate) message: String,
    pub(crate) title: Option<String>,
    pub(crate) indicator: Option<String>,
    pub(crate) raise_exception: bool,
    pub(crate) exc_id: Option<String>,
}

impl Msg {
    /// A `frappe.throw` entry: title "Message", red, `raise_exception: 1`, with an exception id.
    pub(crate) fn raised(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            title: Some("Message".to_owned()),
            indicator: Some("red".to_owned()),
            raise_exception: true,
            exc_id: Some(random_hex(56)),
        }
    }

    /// A plain `frappe.msgprint` entry with title "Message".
    pub(crate) fn print(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            title: Some("Message".to_owned()),
            indicator: None,
            raise_exception: false,
            exc_id: None,
        }
    }

    /// A msgprint notice with an indicator colour.
    pub(crate) fn notice(message: impl Into<String>, indicator: &str) -> Self {
        Self {
            indicator: Some(indicator.to_owned()),
            ..Self::print(message)
        }
    }

    /// The entry serialised the way `json.dumps(dict)` does, keys in Frappe's order.
    pub(crate) fn to_py_json(&self) -> String {
        let mut pairs: Vec<(&str, Value)> = vec![("message", Value::String(self.message.clone()))];
        if let Some(title) = &self.title {
            pairs.push(("title", Value::String(title.clone())));
        }
        if let Some(indicator) = &self.indicator {
            pairs.push(("indicator", Value::String(indicator.clone())));
        }
        if self.raise_exception {
            pairs.push(("raise_exception", json!(1)));
        }
        if let Some(id) = &self.exc_id {
            pairs.push(("__frappe_exc_id", Value::String(id.clone())));
        }
        let mut out = String::new();
        py_dumps_pairs(&pairs, &mut out);
        out
    }

    /// The entry as a v2 `messages` / `errors` object (no `raise_exception`, no exception id).
    pub(crate) fn to_v2(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("message".to_owned(), Value::String(self.message.clone()));
        if let Some(title) = &self.title {
            m.insert("title".to_owned(), Value::String(title.clone()));
        }
        if let Some(indicator) = &self.indicator {
            m.insert("indicator".to_owned(), Value::String(indicator.clone()));
        }
        m
    }
}

/// The `_server_messages` value: a JSON string of a JSON list of JSON strings.
pub(crate) fn server_messages(msgs: &[Msg]) -> String {
    let list = Value::Array(msgs.iter().map(|m| Value::String(m.to_py_json())).collect());
    py_dumps(&list)
}

/// A Frappe exception on its way to the client.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ApiError {
    pub(crate) status: u16,
    pub(crate) exc_type: String,
    /// The message log at the time of the exception (the raising entry included).
    pub(crate) messages: Vec<Msg>,
    /// `str(exception)` for exceptions raised without a message-log entry (v2 `message`).
    pub(crate) exception: Option<String>,
    /// A top-level `message` key (login failures put their text there).
    pub(crate) top_message: Option<String>,
    /// An unhandled Python exception's traceback (the site allows tracebacks): v1 answers it as
    /// `exc` (a JSON list) beside `exception`, v2 as the error's `exception`, with no message.
    pub(crate) traceback: Option<Box<str>>,
}

impl ApiError {
    /// `frappe.throw(message, exc)`: one raising message-log entry.
    pub(crate) fn throw(status: u16, exc_type: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            exc_type: exc_type.to_owned(),
            messages: vec![Msg::raised(message)],
            exception: None,
            top_message: None,
            traceback: None,
        }
    }

    /// 500 `ImportError`: what `frappe.get_doc` raises for a doctype that does not exist (the
    /// document routes; the list routes answer 404 `DoesNotExistError`). An unhandled exception,
    /// so it has no message-log entry: v2 answers only `type` and `exception`.
    pub(crate) fn import_error(doctype: &str) -> Self {
        let module = doctype.to_lowercase().replace([' ', '-'], "_");
        let detail = format!("Error: No module named 'frappe.core.doctype.{module}'");
        let traceback = format!(
            "Traceback (most recent call last):\n  File \"apps/frappe/frappe/modules/utils.py\", line 255, in load_doctype_module\n    doctype_python_modules[key] = frappe.get_module(module_name)\nModuleNotFoundError: No module named 'frappe.core.doctype.{module}'\n\nThe above exception was the direct cause of the following exception:\n\nTraceback (most recent call last):\n  File \"apps/frappe/frappe/model/document.py\", line 83, in get_doc\n    controller = get_controller(doctype)\n  File \"apps/frappe/frappe/modules/utils.py\", line 259, in load_doctype_module\n    raise ImportError(msg) from e\nImportError: Module import failed for {doctype}, the DocType you're trying to open might be deleted.\n{detail}\n"
        );
        Self {
            status: 500,
            exc_type: "ImportError".to_owned(),
            messages: Vec::new(),
            exception: Some(detail),
            top_message: None,
            traceback: Some(traceback.into()),
        }
    }

    /// 417 `ValidationError`.
    pub(crate) fn validation(message: impl Into<String>) -> Self {
        Self::throw(417, "ValidationError", message)
    }

    /// 404 `DoesNotExistError`.
    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::throw(404, "DoesNotExistError", message)
    }

    /// 404 for a missing document: "{doctype} {name} not found".
    pub(crate) fn doc_not_found(doctype: &str, name: &str) -> Self {
        Self::not_found(format!("{doctype} {name} not found"))
    }

    /// 404 for a missing doctype: "DocType {doctype} not found".
    pub(crate) fn doctype_not_found(doctype: &str) -> Self {
        Self::not_found(format!("DocType {doctype} not found"))
    }

    /// 403 `PermissionError`.
    pub(crate) fn permission(message: impl Into<String>) -> Self {
        Self::throw(403, "PermissionError", message)
    }

    /// 403 for a Guest touching a resource.
    pub(crate) fn guest_resource(doctype: &str) -> Self {
        Self::permission(format!(
            "User <strong>Guest</strong> does not have doctype access via role permission for document <strong>{doctype}</strong>"
        ))
    }

    /// 417 `MandatoryError`: one msgprint per missing field, then the exception.
    pub(crate) fn mandatory(doctype: &str, name: &str, missing: &[(String, String)]) -> Self {
        Self {
            status: 417,
            exc_type: "MandatoryError".to_owned(),
            messages: missing
                .iter()
                .map(|(_, label)| {
                    Msg::print(format!("Error: Value missing for {doctype}: {label}"))
                })
                .collect(),
            traceback: None,
            exception: Some(format!(
                "[{doctype}, {name}]: {}",
                missing
                    .iter()
                    .map(|(f, _)| f.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            top_message: None,
        }
    }

    /// The message of the raising entry (or the exception text), for logs and tests.
    #[cfg(test)]
    pub(crate) fn text(&self) -> String {
        self.messages
            .iter()
            .find(|m| m.raise_exception)
            .map(|m| m.message.clone())
            .or_else(|| self.exception.clone())
            .unwrap_or_default()
    }

    /// The error body in the given API flavour.
    pub(crate) fn body(&self, api: Api) -> Value {
        match api {
            Api::V1 => {
                let mut body = Map::new();
                body.insert("exc_type".to_owned(), Value::String(self.exc_type.clone()));
                if !self.messages.is_empty() {
                    body.insert(
                        "_server_messages".to_owned(),
                        Value::String(server_messages(&self.messages)),
                    );
                }
                if let Some(message) = &self.top_message {
                    body.insert("message".to_owned(), Value::String(message.clone()));
                }
                if let Some(tb) = &self.traceback {
                    if let Some(exception) = &self.exception {
                        body.insert("exception".to_owned(), Value::String(exception.clone()));
                    }
                    body.insert("exc".to_owned(), Value::String(py_dumps(&json!([tb]))));
                }
                Value::Object(body)
            }
            Api::V2 => {
                let mut error = Map::new();
                error.insert("type".to_owned(), Value::String(self.exc_type.clone()));
                let mut rest = Vec::new();
                let mut linked = false;
                for m in &self.messages {
                    if m.raise_exception && !linked {
                        error.extend(m.to_v2());
                        linked = true;
                    } else {
                        rest.push(Value::Object(m.to_v2()));
                    }
                }
                if let Some(tb) = &self.traceback {
                    error.insert("exception".to_owned(), Value::String(tb.to_string()));
                } else if !linked
                    && let Some(text) = self.exception.clone().or_else(|| self.top_message.clone())
                {
                    error.insert("message".to_owned(), Value::String(text));
                }
                let mut body = Map::new();
                body.insert(
                    "errors".to_owned(),
                    Value::Array(vec![Value::Object(error)]),
                );
                if !rest.is_empty() {
                    body.insert("messages".to_owned(), Value::Array(rest));
                }
                Value::Object(body)
            }
        }
    }

    /// The error as an HTTP reply.
    pub(crate) fn reply(&self, api: Api) -> Reply {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        Reply::json(status, &self.body(api))
    }
}

/// An HTTP answer under construction.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Body,
    /// A JSON body, kept as a value until the answer is sent so that the request's envelope
    /// (`session_expired`) can still be added.
    json: Option<Value>,
}

impl Reply {
    /// A JSON body.
    pub(crate) fn json(status: StatusCode, value: &Value) -> Self {
        let mut reply = Self::bytes(status, "application/json", Body::empty());
        reply.json = Some(value.clone());
        reply
    }

    /// A raw body with a content type.
    pub(crate) fn bytes(status: StatusCode, content_type: &str, body: impl Into<Body>) -> Self {
        let mut headers = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_str(content_type) {
            headers.insert(CONTENT_TYPE, v);
        }
        Self {
            status,
            headers,
            body: body.into(),
            json: None,
        }
    }

    /// A `text/plain` body.
    pub(crate) fn text(status: StatusCode, text: &str) -> Self {
        Self::bytes(status, "text/plain; charset=utf-8", text.to_owned())
    }

    /// A `text/html` body.
    pub(crate) fn html(status: StatusCode, html: &str) -> Self {
        Self::bytes(status, "text/html; charset=utf-8", html.to_owned())
    }

    /// Adds a header (appends, so several `Set-Cookie` lines survive).
    pub(crate) fn header(mut self, name: &str, value: &str) -> Self {
        self.add_header(name, value);
        self
    }

    /// Adds a header in place.
    pub(crate) fn add_header(&mut self, name: &str, value: &str) {
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            self.headers.append(n, v);
        }
    }

    /// Whether the answer already sets a cookie.
    pub(crate) fn sets_cookies(&self) -> bool {
        self.headers.contains_key(SET_COOKIE)
    }

    /// Adds a top-level key to a JSON object body (`frappe.response[key] = value`).
    pub(crate) fn add_json_key(&mut self, key: &str, value: Value) {
        if let Some(Value::Object(body)) = &mut self.json {
            body.insert(key.to_owned(), value);
        }
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let body = match self.json {
            Some(v) => Body::from(serde_json::to_vec(&v).unwrap_or_else(|_| b"{}".to_vec())),
            None => self.body,
        };
        let mut response = Response::new(body);
        *response.status_mut() = self.status;
        *response.headers_mut() = self.headers;
        response
    }
}

/// `json.dumps(value)` with Python's defaults: `", "` / `": "` separators and `ensure_ascii`.
pub(crate) fn py_dumps(value: &Value) -> String {
    let mut out = String::new();
    py_value(value, &mut out);
    out
}

fn py_dumps_pairs(pairs: &[(&str, Value)], out: &mut String) {
    py_object(pairs.iter().map(|(k, v)| (*k, v)), out);
}

/// `{"k": v, ...}` with Python's default separators.
fn py_object<'a>(entries: impl Iterator<Item = (&'a str, &'a Value)>, out: &mut String) {
    out.push('{');
    for (i, (k, v)) in entries.enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        py_str(k, out);
        out.push_str(": ");
        py_value(v, out);
    }
    out.push('}');
}

fn py_value(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => py_str(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                py_value(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => py_object(map.iter().map(|(k, v)| (k.as_str(), v)), out),
    }
}

fn py_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push('"');
}

/// `n` lowercase hex digits from a process-wide generator (exception ids, session ids).
pub(crate) fn random_hex(n: usize) -> String {
    static STATE: AtomicU64 = AtomicU64::new(0x9e37_79b9_7f4a_7c15);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let mut out = String::with_capacity(n + 16);
    while out.len() < n {
        let x = STATE.fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed) ^ nanos;
        out.push_str(&format!("{:016x}", splitmix(x)));
    }
    out.truncate(n);
    out
}

/// The splitmix64 finaliser.
pub(crate) fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn py_dumps_matches_python_defaults() {
        let v = json!({"a": [1, "é", null], "b": "x\"y"});
        assert_eq!(py_dumps(&v), r#"{"a": [1, "\u00e9", null], "b": "x\"y"}"#);
        assert_eq!(py_dumps(&json!("😀")), r#""\ud83d\ude00""#);
    }

    #[test]
    fn server_messages_are_double_encoded_like_the_sample() {
        // shared/contracts/frappe/samples/v1-error-417-mandatory.json, verbatim.
        let sample: Value = serde_json::from_str(
            r#"{
  "exc_type": "MandatoryError",
  "_server_messages": "[\"{\\\"message\\\": \\\"Fehler: Wert fehlt f\\\\u00fcr None: parent\\\", \\\"title\\\": \\\"Nachricht\\\"}\", \"{\\\"message\\\": \\\"Fehler: Wert fehlt f\\\\u00fcr None: parenttype\\\", \\\"title\\\": \\\"Nachricht\\\"}\"]"
}"#,
        )
        .unwrap_or(Value::Null);
        let msgs = vec![
            Msg {
                title: Some("Nachricht".to_owned()),
                ..Msg::print("Fehler: Wert fehlt für None: parent")
            },
            Msg {
                title: Some("Nachricht".to_owned()),
                ..Msg::print("Fehler: Wert fehlt für None: parenttype")
            },
        ];
        assert_eq!(
            Value::String(server_messages(&msgs)),
            sample["_server_messages"]
        );
    }

    #[test]
    fn v2_error_links_the_raising_entry() {
        let err = ApiError::validation("Failed v2");
        let body = err.body(Api::V2);
        assert_eq!(body["errors"][0]["type"], "ValidationError");
        assert_eq!(body["errors"][0]["message"], "Failed v2");
        assert_eq!(body["errors"][0]["indicator"], "red");
        assert!(body.get("messages").is_none());
        let v1 = err.body(Api::V1);
        let outer: Vec<String> =
            serde_json::from_str(v1["_server_messages"].as_str().unwrap_or("[]"))
                .unwrap_or_default();
        let inner: Value = serde_json::from_str(&outer[0]).unwrap_or(Value::Null);
        assert_eq!(inner["message"], "Failed v2");
        assert_eq!(inner["raise_exception"], 1);
    }
}
