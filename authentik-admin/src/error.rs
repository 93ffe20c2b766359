//! The crate's [`Error`], and the decoding of authentik's error answers (Django REST
//! framework's field maps, `{"detail": ...}`, empty bodies).

use std::collections::BTreeMap;
use std::time::Duration;

use gigafibre_client_core::ErrorBody;
use http::StatusCode;
use serde_json::Value;

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// How many characters of an unexpected body an error keeps.
pub const EXCERPT_CHARS: usize = 300;

/// Everything that can go wrong talking to authentik. No variant holds a token or a password.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// 400 with a field map: `{"username": ["This field must be unique."]}`. Each field's
    /// messages are normalised to a list (authentik sends `non_field_errors` as a string or a
    /// list; a `detail` string, as in a JSON parse error, is kept under `detail`).
    #[error("authentik refused the request: {}", summary(errors))]
    Validation {
        /// Messages by field name (`non_field_errors` for the whole object).
        errors: BTreeMap<String, Vec<String>>,
    },
    /// 400 `{"non_field_errors": "No recovery flow set."}`: the brand has no recovery flow, so
    /// authentik cannot build a recovery link or e-mail. An admin must create a flow with
    /// designation `recovery` and assign it on the brand.
    #[error("authentik has no recovery flow set on the brand")]
    NoRecoveryFlow,
    /// `set_password` answered 400 with an empty body: the password was refused (a password
    /// policy, an integrity error). authentik says nothing more.
    #[error("authentik refused the new password (400 without a reason)")]
    PasswordRejected,
    /// 401 or 403: the token is missing, invalid or expired, uses the wrong scheme, or lacks
    /// the permission. authentik answers 403 for all of them.
    #[error("authentik refused access ({status}): {detail}")]
    Forbidden {
        /// HTTP status (403; 401 from a proxy).
        status: StatusCode,
        /// authentik's `detail` (`Token invalid/expired`), or the start of the body.
        detail: String,
    },
    /// 404: no such object, or a page past the end (`Invalid page.`).
    #[error("not found in authentik: {path}: {detail}")]
    NotFound {
        /// The API path requested.
        path: String,
        /// authentik's `detail` (`No User matches the given query.`), or empty.
        detail: String,
    },
    /// Another error status (405, 415, 429, 5xx, a proxy's HTML page).
    #[error("authentik answered {status}: {excerpt}")]
    Api {
        /// HTTP status.
        status: StatusCode,
        /// The start of the body, at most [`EXCERPT_CHARS`] characters.
        excerpt: String,
        /// `Retry-After`, when the server sent one.
        retry_after: Option<Duration>,
    },
    /// No answer within the configured timeout.
    #[error("no answer from authentik within {0:?}")]
    Timeout(Duration),
    /// The request could not be sent or its answer read (connect, TLS, reset).
    #[error("could not reach authentik ({path})")]
    Transport {
        /// The API path requested.
        path: String,
        /// The underlying error, without its URL.
        #[source]
        source: reqwest::Error,
    },
    /// A success answer did not have the expected shape.
    #[error("could not decode the answer of {endpoint} at `{path}`")]
    Decode {
        /// The API path requested.
        endpoint: String,
        /// The JSON path where decoding failed.
        path: String,
        /// The serde error.
        #[source]
        source: serde_json::Error,
    },
    /// The caller's input was refused before anything was sent (an empty password).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The client was built with an unusable configuration, or the password generator could
    /// not reach the system's random source.
    #[error("invalid configuration: {0}")]
    Config(String),
}

fn summary(errors: &BTreeMap<String, Vec<String>>) -> String {
    errors
        .iter()
        .map(|(k, v)| format!("{k}: {}", v.join(" ")))
        .collect::<Vec<_>>()
        .join("; ")
}

impl Error {
    /// The HTTP status, when there was an answer.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Validation { .. } | Error::NoRecoveryFlow | Error::PasswordRejected => {
                Some(StatusCode::BAD_REQUEST)
            }
            Error::Forbidden { status, .. } | Error::Api { status, .. } => Some(*status),
            Error::NotFound { .. } => Some(StatusCode::NOT_FOUND),
            _ => None,
        }
    }

    /// Not found ([`Error::NotFound`]).
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound { .. })
    }

    /// Refused access ([`Error::Forbidden`]).
    pub fn is_forbidden(&self) -> bool {
        matches!(self, Error::Forbidden { .. })
    }

    /// The messages for one field of a validation error (`username`, `non_field_errors`).
    pub fn field_errors(&self, field: &str) -> Option<&[String]> {
        match self {
            Error::Validation { errors } => errors.get(field).map(Vec::as_slice),
            _ => None,
        }
    }

    /// Whether a later attempt may succeed: a timeout, a connection failure, 429, 502, 503,
    /// 504.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Timeout(_) => true,
            Error::Transport { source, .. } => {
                source.is_connect() || source.is_request() || source.is_body()
            }
            Error::Api { status, .. } => matches!(status.as_u16(), 429 | 502 | 503 | 504),
            _ => false,
        }
    }
}

/// At most `max` characters of `s` (on a character boundary), with `…` when cut.
pub(crate) fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

/// A field's messages: a string, a list of strings, or anything else as its JSON text.
fn messages(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect(),
        other => vec![other.to_string()],
    }
}

/// Maps an error answer to a typed error. `path` is the API path (never the URL).
pub(crate) fn from_answer(body: &ErrorBody, path: &str) -> Error {
    let detail = body
        .json
        .as_ref()
        .and_then(|j| j.get("detail"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let excerpt = || truncate(body.text.trim(), EXCERPT_CHARS);
    match body.status.as_u16() {
        400 => match body.json.as_ref().and_then(Value::as_object) {
            Some(map) if !map.is_empty() => {
                let errors: BTreeMap<String, Vec<String>> =
                    map.iter().map(|(k, v)| (k.clone(), messages(v))).collect();
                let no_flow = errors
                    .get("non_field_errors")
                    .is_some_and(|m| m.iter().any(|s| s.contains("No recovery flow set")));
                if no_flow {
                    Error::NoRecoveryFlow
                } else {
                    Error::Validation { errors }
                }
            }
            _ => Error::Api {
                status: body.status,
                excerpt: excerpt(),
                retry_after: body.retry_after,
            },
        },
        401 | 403 => Error::Forbidden {
            status: body.status,
            detail: detail.unwrap_or_else(excerpt),
        },
        404 => Error::NotFound {
            path: path.to_owned(),
            // authentik's HTML 404 page (no trailing slash, unknown endpoint) is not kept.
            detail: detail.unwrap_or_default(),
        },
        _ => Error::Api {
            status: body.status,
            excerpt: excerpt(),
            retry_after: body.retry_after,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderMap;

    fn err(status: u16, body: &str) -> Error {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::IM_A_TEAPOT);
        from_answer(
            &ErrorBody::capture(status, &HeaderMap::new(), body.as_bytes()),
            "/api/v3/core/users/",
        )
    }

    #[test]
    fn field_maps_are_normalised() {
        let e = err(
            400,
            r#"{"username":["This field must be unique."],"non_field_errors":"x"}"#,
        );
        assert_eq!(
            e.field_errors("username"),
            Some(&["This field must be unique.".to_owned()][..])
        );
        assert_eq!(
            e.field_errors("non_field_errors"),
            Some(&["x".to_owned()][..])
        );
    }

    #[test]
    fn recovery_flow_is_named() {
        assert!(matches!(
            err(400, r#"{"non_field_errors":"No recovery flow set."}"#),
            Error::NoRecoveryFlow
        ));
        assert!(matches!(
            err(400, r#"{"non_field_errors":["No recovery flow set."]}"#),
            Error::NoRecoveryFlow
        ));
    }

    #[test]
    fn statuses() {
        assert!(err(403, r#"{"detail":"Token invalid/expired"}"#).is_forbidden());
        assert!(err(404, "<html>").is_not_found());
        assert!(matches!(err(400, ""), Error::Api { .. }));
        assert!(err(503, "").is_retryable());
        assert!(!err(405, "").is_retryable());
    }
}
