//! The crate's [`Error`], and the decoding of Gemini's error answers (a `google.rpc.Status`
//! in JSON, sometimes wrapped in a one-element array by a proxy).

use std::time::Duration;

use http::StatusCode;
use serde_json::Value;

use crate::models::{BlockReason, FinishReason};
use crate::schema::SchemaError;

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// How many characters of an answer an error keeps.
pub const EXCERPT_CHARS: usize = 600;

/// Everything that can go wrong asking Gemini. No variant holds the API key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The prompt was blocked: HTTP 200 with `promptFeedback.blockReason` and no candidates.
    /// Not retryable: the same image and prompt are blocked again.
    #[error("Gemini blocked the prompt ({reason})")]
    Blocked {
        /// Why (`SAFETY`, `PROHIBITED_CONTENT`, ...).
        reason: BlockReason,
    },
    /// The answer stopped for a reason other than a natural end (`SAFETY`, `RECITATION`,
    /// `OTHER`, ...), or at `MAX_TOKENS` with JSON that does not decode.
    #[error("Gemini stopped the answer ({reason})")]
    Finished {
        /// The candidate's `finishReason`.
        reason: FinishReason,
        /// The text received, if any (cut to [`EXCERPT_CHARS`]).
        text: Option<String>,
    },
    /// HTTP 200 without a candidate or without text, and no block reason.
    #[error("Gemini answered without a candidate")]
    NoCandidate,
    /// The answer's JSON does not match the requested type.
    #[error("the answer does not match the requested type at `{path}`")]
    Decode {
        /// The JSON path where decoding failed (`.` for the root).
        path: String,
        /// The serde error.
        #[source]
        source: serde_json::Error,
        /// The model's text (cut to [`EXCERPT_CHARS`]).
        text: String,
    },
    /// The API key was refused (400 with `reason: API_KEY_INVALID`).
    #[error("Gemini refused the API key: {message}")]
    InvalidApiKey {
        /// Gemini's message.
        message: String,
    },
    /// The model does not exist or was retired (404).
    #[error("Gemini has no model `{model}`: {message}")]
    ModelNotFound {
        /// The model asked for.
        model: String,
        /// Gemini's message.
        message: String,
    },
    /// A quota ran out (429 `RESOURCE_EXHAUSTED`). Retried after `retry_after` unless it is a
    /// per-day quota.
    #[error("Gemini quota exhausted{}: {message}", if *per_day { " for the day" } else { "" })]
    QuotaExhausted {
        /// `RetryInfo.retryDelay` (or `Retry-After`), when given.
        retry_after: Option<Duration>,
        /// A per-day quota (`...PerDay...`): it will not clear in seconds.
        per_day: bool,
        /// Gemini's message.
        message: String,
        /// The quota ids violated (`GenerateRequestsPerMinutePerProjectPerModel-FreeTier`).
        quota_ids: Vec<String>,
    },
    /// 503: the model is overloaded. Retried.
    #[error("Gemini is unavailable: {message}")]
    Unavailable {
        /// Gemini's message.
        message: String,
        /// `Retry-After`, when given.
        retry_after: Option<Duration>,
    },
    /// Any other error answer.
    #[error("Gemini answered {status}{}: {message}", code.as_deref().map(|c| format!(" {c}")).unwrap_or_default())]
    Api {
        /// HTTP status.
        status: StatusCode,
        /// The canonical code (`INVALID_ARGUMENT`), when the body had one.
        code: Option<String>,
        /// Gemini's message, or the start of a body that was not a `google.rpc.Status`.
        message: String,
        /// `ErrorInfo.reason`, when given.
        reason: Option<String>,
        /// The decoded body, when it was one.
        body: Option<Box<ApiError>>,
    },
    /// No answer within the deadline (or the per-attempt timeout).
    #[error("no answer from Gemini within {0:?}")]
    Timeout(Duration),
    /// The request could not be sent or its answer read (connect, TLS, reset).
    #[error("could not reach Gemini")]
    Transport(#[source] reqwest::Error),
    /// The image is empty or not a JPEG, PNG, WebP, HEIC or HEIF image.
    #[error("invalid image: {0}")]
    InvalidImage(String),
    /// The server's answer broke the protocol: a Files API upload URL on another origin than
    /// the base URL (refused: the image would go to another host), or an upload answer without
    /// its upload URL or final status. Not retryable.
    #[error("unexpected answer from Gemini: {0}")]
    Protocol(String),
    /// The requested type cannot be expressed as a Gemini response schema.
    #[error(transparent)]
    Schema(#[from] SchemaError),
    /// The caller's input was refused before anything was sent.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The client was built with an unusable configuration.
    #[error("invalid configuration: {0}")]
    Config(String),
}

impl Error {
    /// The HTTP status, when there was an error answer.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::InvalidApiKey { .. } => Some(StatusCode::BAD_REQUEST),
            Error::ModelNotFound { .. } => Some(StatusCode::NOT_FOUND),
            Error::QuotaExhausted { .. } => Some(StatusCode::TOO_MANY_REQUESTS),
            Error::Unavailable { .. } => Some(StatusCode::SERVICE_UNAVAILABLE),
            Error::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether a later attempt may succeed: timeouts, connection failures, 503, 500, 504, and
    /// quotas other than per-day ones.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Timeout(_) | Error::Unavailable { .. } => true,
            Error::Transport(source) => {
                source.is_connect() || source.is_request() || source.is_body()
            }
            Error::QuotaExhausted { per_day, .. } => !per_day,
            Error::Api { status, .. } => matches!(status.as_u16(), 408 | 500 | 502 | 503 | 504),
            _ => false,
        }
    }

    /// The wait the server asked for (`RetryInfo.retryDelay` or `Retry-After`).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::QuotaExhausted { retry_after, .. } | Error::Unavailable { retry_after, .. } => {
                *retry_after
            }
            _ => None,
        }
    }
}

/// A `google.rpc.Status` error body: `{"error": {code, message, status, details}}`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct ApiError {
    /// The HTTP status as a number.
    #[serde(default)]
    pub code: Option<u16>,
    /// The message.
    #[serde(default)]
    pub message: String,
    /// The canonical code (`RESOURCE_EXHAUSTED`).
    #[serde(default)]
    pub status: Option<String>,
    /// The details (`google.rpc.ErrorInfo`, `QuotaFailure`, `RetryInfo`, `Help`, ...).
    #[serde(default)]
    pub details: Vec<Value>,
}

impl ApiError {
    /// Decodes an error body: an object with `error`, or a one-element array of one.
    pub fn parse(json: &Value) -> Option<Self> {
        let status = match json {
            Value::Array(items) => items.first()?.get("error")?,
            other => other.get("error")?,
        };
        serde_json::from_value(status.clone()).ok()
    }

    fn details_of<'a>(&'a self, ty: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
        self.details.iter().filter(move |d| {
            d.get("@type")
                .and_then(Value::as_str)
                .is_some_and(|t| t.ends_with(ty))
        })
    }

    /// `ErrorInfo.reason` (`API_KEY_INVALID`).
    pub fn reason(&self) -> Option<&str> {
        self.details_of("google.rpc.ErrorInfo")
            .find_map(|d| d.get("reason")?.as_str())
    }

    /// `RetryInfo.retryDelay` (`"26s"`).
    pub fn retry_delay(&self) -> Option<Duration> {
        self.details_of("google.rpc.RetryInfo")
            .find_map(|d| parse_duration(d.get("retryDelay")?.as_str()?))
    }

    /// The quota ids of `QuotaFailure.violations`.
    pub fn quota_ids(&self) -> Vec<String> {
        self.details_of("google.rpc.QuotaFailure")
            .filter_map(|d| d.get("violations")?.as_array())
            .flatten()
            .filter_map(|v| v.get("quotaId")?.as_str().map(str::to_owned))
            .collect()
    }
}

/// A protobuf `Duration` in JSON (`"26s"`, `"1.5s"`, `"0.250s"`). Absurd values are `None`.
pub fn parse_duration(s: &str) -> Option<Duration> {
    let secs: f64 = s.trim().strip_suffix('s')?.parse().ok()?;
    Duration::try_from_secs_f64(secs).ok()
}

/// At most `max` characters of `s`, with `…` when cut.
pub(crate) fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

/// Maps an error answer to an [`Error`].
pub(crate) fn from_answer(
    status: StatusCode,
    text: &str,
    json: Option<&Value>,
    header_wait: Option<Duration>,
    model: &str,
) -> Error {
    let body = json.and_then(ApiError::parse);
    let message = body
        .as_ref()
        .map(|b| b.message.clone())
        .unwrap_or_else(|| truncate(text.trim(), EXCERPT_CHARS));
    let reason = body.as_ref().and_then(|b| b.reason().map(str::to_owned));
    if reason.as_deref() == Some("API_KEY_INVALID") {
        return Error::InvalidApiKey { message };
    }
    match status.as_u16() {
        404 => Error::ModelNotFound {
            model: model.to_owned(),
            message,
        },
        429 => {
            let quota_ids = body.as_ref().map(ApiError::quota_ids).unwrap_or_default();
            Error::QuotaExhausted {
                retry_after: body
                    .as_ref()
                    .and_then(ApiError::retry_delay)
                    .or(header_wait),
                per_day: quota_ids.iter().any(|q| q.contains("PerDay")),
                message,
                quota_ids,
            }
        }
        503 => Error::Unavailable {
            message,
            retry_after: header_wait,
        },
        _ => Error::Api {
            status,
            code: body.as_ref().and_then(|b| b.status.clone()),
            message,
            reason,
            body: body.map(Box::new),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE_429: &str = include_str!("../tests/resources/error_429_resource_exhausted.json");

    fn parse(status: u16, body: &str) -> Error {
        let json: Option<Value> = serde_json::from_str(body).ok();
        from_answer(
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            body,
            json.as_ref(),
            None,
            "gemini-3.5-flash",
        )
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("26s"), Some(Duration::from_secs(26)));
        assert_eq!(parse_duration("0.250s"), Some(Duration::from_millis(250)));
        assert_eq!(parse_duration("-1s"), None);
        assert_eq!(parse_duration("26"), None);
        assert_eq!(parse_duration("1e300s"), None);
    }

    #[test]
    fn the_real_429_is_a_retryable_quota_error_with_its_delay() {
        let e = parse(429, SAMPLE_429);
        let Error::QuotaExhausted {
            retry_after,
            per_day,
            quota_ids,
            ..
        } = &e
        else {
            panic!("{e:?}")
        };
        assert_eq!(*retry_after, Some(Duration::from_secs(26)));
        assert!(!per_day);
        assert_eq!(
            quota_ids,
            &["GenerateContentInputTokensPerModelPerMinute-FreeTier"]
        );
        assert!(e.is_retryable());
        let day = SAMPLE_429.replace("PerModelPerMinute", "PerModelPerDay");
        let e = parse(429, &day);
        assert!(matches!(e, Error::QuotaExhausted { per_day: true, .. }));
        assert!(!e.is_retryable());
        assert!(e.to_string().contains("for the day"));
    }

    #[test]
    fn bodies_as_arrays_bad_keys_and_other_statuses() {
        let arr = format!("[{SAMPLE_429}]");
        assert!(matches!(
            parse(429, &arr),
            Error::QuotaExhausted {
                retry_after: Some(_),
                ..
            }
        ));
        let key = r#"{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com"}]}}"#;
        let e = parse(400, key);
        assert!(matches!(e, Error::InvalidApiKey { .. }), "{e:?}");
        assert!(!e.is_retryable());
        let e = parse(
            404,
            r#"{"error":{"code":404,"message":"models/gemini-1.0 is not found for API version v1beta","status":"NOT_FOUND"}}"#,
        );
        assert!(matches!(e, Error::ModelNotFound { .. }));
        let e = parse(
            503,
            r#"{"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}}"#,
        );
        assert!(matches!(e, Error::Unavailable { .. }) && e.is_retryable());
        let e = parse(502, "<html>bad gateway</html>");
        assert!(
            matches!(&e, Error::Api { message, code: None, .. } if message.contains("bad gateway"))
        );
        assert!(e.is_retryable());
        let e = parse(
            400,
            r#"{"error":{"code":400,"message":"Invalid JSON payload received.","status":"INVALID_ARGUMENT"}}"#,
        );
        assert!(
            matches!(&e, Error::Api { code: Some(c), .. } if c == "INVALID_ARGUMENT"),
            "{e:?}"
        );
        assert!(!e.is_retryable());
        assert_eq!(e.status(), Some(StatusCode::BAD_REQUEST));
    }
}
