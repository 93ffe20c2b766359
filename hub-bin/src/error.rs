//! [`AppError`]: every failure a route answers, as a JSON body with a stable code.
//!
//! `{"error": {"code": "invalid_input", "message": "...", "field": "topic"}}`. The caller's
//! mistakes are 4xx naming the field; an upstream that is down, slow or answering garbage is
//! 502/503/504 naming the upstream; the hub's own faults are a 500 whose details stay in the
//! log. No message carries a secret.

use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde_json::{Map, Value, json};

/// A failure answered as JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct AppError {
    /// HTTP status.
    pub status: StatusCode,
    /// A stable, machine-readable code (`invalid_input`, `not_configured`, ...).
    pub code: &'static str,
    /// What happened, for people.
    pub message: String,
    /// Extra keys of the error object (`field`, `upstream`, `set`, ...).
    pub details: Map<String, Value>,
}

impl AppError {
    /// An error with a status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: Map::new(),
        }
    }

    /// Adds a key to the error object.
    pub fn with_field(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.details.insert(key.to_owned(), value.into());
        self
    }

    /// 400: the caller's input is wrong; `field` names it.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_input", message).with_field("field", field)
    }

    /// 401: no usable credentials.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    /// 403: the caller may not do this.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// 404.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 503: an upstream is not configured; `vars` are the settings to set.
    pub fn not_configured(upstream: &str, vars: &[&str]) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_configured",
            format!("{upstream} is not configured: set {}", vars.join(", ")),
        )
        .with_field("upstream", upstream)
        .with_field("set", json!(vars))
    }

    /// 502/503/504 for an upstream failure, by kind.
    pub fn upstream(upstream: &str, status: StatusCode, message: impl Into<String>) -> Self {
        Self::new(status, "upstream_error", message).with_field("upstream", upstream)
    }

    /// 500: the hub's own fault. The detail is logged, not answered.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the hub failed to handle this request; the details are in its log",
        )
    }

    /// The JSON body.
    pub fn body(&self) -> Value {
        let mut error = Map::new();
        error.insert("code".to_owned(), json!(self.code));
        error.insert("message".to_owned(), json!(self.message));
        error.extend(self.details.clone());
        json!({ "error": error })
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

impl std::error::Error for AppError {}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(self.body())).into_response()
    }
}

impl From<crate::store::StoreError> for AppError {
    fn from(e: crate::store::StoreError) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "store_unavailable",
            "the hub's database is unavailable",
        )
        .with_field("detail", e.kind())
    }
}

/// Maps a frappe-client error to the hub's answer: the caller's mistake stays a 4xx, an
/// unreachable or failing ERPNext a 502/503/504 naming it.
pub fn from_frappe(e: &frappe_client::Error) -> AppError {
    use frappe_client::Error as F;
    const UP: &str = "erpnext";
    match e {
        F::Timeout(_) => AppError::upstream(
            UP,
            StatusCode::GATEWAY_TIMEOUT,
            "ERPNext did not answer in time",
        ),
        F::Transport { .. } => {
            AppError::upstream(UP, StatusCode::BAD_GATEWAY, "ERPNext could not be reached")
        }
        F::Unauthorized { .. } => AppError::upstream(
            UP,
            StatusCode::BAD_GATEWAY,
            "ERPNext rejected the hub's API token: was Generate Keys clicked on the service user? Configure its new secret",
        ),
        F::InvalidInput(m) => AppError::invalid("input", m.clone()),
        e if e.is_not_found() => AppError::not_found(e.to_string()),
        e if e.is_validation() => AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "rejected_by_erpnext",
            e.to_string(),
        )
        .with_field("upstream", UP),
        e if e.is_retryable() => AppError::upstream(
            UP,
            StatusCode::SERVICE_UNAVAILABLE,
            format!("ERPNext is unavailable: {e}"),
        ),
        e => AppError::upstream(UP, StatusCode::BAD_GATEWAY, format!("ERPNext failed: {e}")),
    }
}
