//! Verifying Frappe's outgoing webhooks.
//!
//! A Frappe Webhook with "Enable Security" signs each delivery: header
//! [`SIGNATURE_HEADER`] = `base64(HMAC-SHA256(webhook_secret, body))`. Verify over the raw
//! body bytes as received, before parsing, and never re-serialise. Frappe adds no timestamp or
//! delivery id: deduplicate on the payload (e.g. `name` + `modified` + event), and expect up to
//! three deliveries of the same event.
//!
//! ```
//! use frappe_client::webhook::{verify_webhook, SIGNATURE_HEADER};
//! let body = br#"{"name": "CUST-00042"}"#;
//! // the value of the X-Frappe-Webhook-Signature header, as received
//! let signature = "not-the-right-signature";
//! assert!(verify_webhook("webhook-secret", body, signature).is_err());
//! assert_eq!(SIGNATURE_HEADER, "X-Frappe-Webhook-Signature");
//! ```

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use serde::de::DeserializeOwned;
use sha2::Sha256;

/// The request header carrying the signature.
pub const SIGNATURE_HEADER: &str = "X-Frappe-Webhook-Signature";

/// Why a webhook delivery was refused. The messages never include the secret or the body.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum WebhookError {
    /// No signature header, or an empty one.
    #[error("the webhook carries no signature")]
    MissingSignature,
    /// The header is not base64 of a 32-byte HMAC.
    #[error("the webhook signature is not base64 of a SHA-256 HMAC")]
    MalformedSignature,
    /// The signature does not match the body and secret.
    #[error("the webhook signature does not match its body")]
    BadSignature,
    /// The webhook secret is empty.
    #[error("the webhook secret is empty")]
    EmptySecret,
    /// The body was authentic but not the expected JSON.
    #[error("the webhook body is not the expected JSON at `{path}` ({category})")]
    Payload {
        /// The JSON path where decoding failed.
        path: String,
        /// What went wrong, without quoting the body: `syntax`, `data` (wrong type or missing
        /// field) or `eof`.
        category: &'static str,
    },
}

/// Checks `signature_header` against `raw_body` with `secret` (constant-time comparison).
///
/// # Errors
/// [`WebhookError`] says which check failed.
pub fn verify_webhook(
    secret: impl AsRef<[u8]>,
    raw_body: &[u8],
    signature_header: &str,
) -> Result<(), WebhookError> {
    let secret = secret.as_ref();
    if secret.is_empty() {
        return Err(WebhookError::EmptySecret);
    }
    let sig = signature_header.trim();
    if sig.is_empty() {
        return Err(WebhookError::MissingSignature);
    }
    let expected = STANDARD
        .decode(sig)
        .map_err(|_| WebhookError::MalformedSignature)?;
    if expected.len() != 32 {
        return Err(WebhookError::MalformedSignature);
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).map_err(|_| WebhookError::EmptySecret)?;
    mac.update(raw_body);
    mac.verify_slice(&expected)
        .map_err(|_| WebhookError::BadSignature)
}

/// Verifies a delivery, then decodes its body into `T` (a `Doc<Model>`, or your own payload
/// type when the webhook uses a JSON template).
///
/// # Errors
/// The verification errors of [`verify_webhook`], or [`WebhookError::Payload`].
pub fn parse_webhook<T: DeserializeOwned>(
    secret: impl AsRef<[u8]>,
    raw_body: &[u8],
    signature_header: &str,
) -> Result<T, WebhookError> {
    verify_webhook(secret, raw_body, signature_header)?;
    let de = &mut serde_json::Deserializer::from_slice(raw_body);
    serde_path_to_error::deserialize(de).map_err(|e| WebhookError::Payload {
        path: e.path().to_string(),
        category: match e.inner().classify() {
            serde_json::error::Category::Io => "io",
            serde_json::error::Category::Syntax => "syntax",
            serde_json::error::Category::Data => "data",
            serde_json::error::Category::Eof => "eof",
        },
    })
}

/// Computes the signature Frappe would send for `raw_body` (for tests and for replaying
/// deliveries to your own endpoint).
pub fn sign_webhook(secret: impl AsRef<[u8]>, raw_body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_ref())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(raw_body);
    STANDARD.encode(mac.finalize().into_bytes())
}
