//! JSON decoding that says where an answer went wrong.

use serde::de::DeserializeOwned;

/// A success answer that did not have the expected shape.
#[derive(Debug)]
pub struct DecodeError {
    /// The JSON path where decoding failed (`data[3].customer`; `.` for the root).
    pub path: String,
    /// The serde error.
    pub source: serde_json::Error,
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "at `{}`: {}", self.path, self.source)
    }
}

impl std::error::Error for DecodeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// Decodes `body`. The fast path decodes directly; only a failure pays for decoding again with
/// path tracking, to name where the body went wrong.
///
/// ```
/// #[derive(serde::Deserialize, Debug)]
/// struct Row { qty: i64 }
/// #[derive(serde::Deserialize, Debug)]
/// struct Page { data: Vec<Row> }
/// let err = gigafibre_client_core::decode_json::<Page>(br#"{"data": [{"qty": 1}, {"qty": "x"}]}"#)
///     .unwrap_err();
/// assert_eq!(err.path, "data[1].qty");
/// ```
pub fn decode_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, DecodeError> {
    if let Ok(v) = serde_json::from_slice(body) {
        return Ok(v);
    }
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| DecodeError {
        path: e.path().to_string(),
        source: e.into_inner(),
    })
}
