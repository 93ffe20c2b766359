//! serde for Frappe `Password` fields held as `Option<SecretString>`.
//!
//! secrecy's own serde support is not enabled in this workspace (and would not serialise a
//! `SecretString` anyway), so models use this module with
//! `#[serde(default, skip_serializing_if = "Option::is_none", with = "super::password")]`.

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serializer};

/// Writes the secret in clear: a model that is sent must carry the real value.
pub(super) fn serialize<S: Serializer>(
    value: &Option<SecretString>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(secret) => serializer.serialize_some(secret.expose_secret()),
        None => serializer.serialize_none(),
    }
}

/// Reads a string (or `null`) straight into a `SecretString`.
pub(super) fn deserialize<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<SecretString>, D::Error> {
    Ok(Option::<String>::deserialize(deserializer)?.map(SecretString::from))
}

/// Compares two optional secrets by value (for the models' `PartialEq`).
pub(super) fn eq(a: &Option<SecretString>, b: &Option<SecretString>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.expose_secret() == b.expose_secret(),
        (None, None) => true,
        _ => false,
    }
}
