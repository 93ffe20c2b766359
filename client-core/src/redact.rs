//! Keeping secrets out of logs.

use http::HeaderValue;

/// A header value marked sensitive (HTTP/2 never indexes it; `Debug` prints `Sensitive`).
/// `Err` names no part of the value.
///
/// ```
/// let v = gigafibre_client_core::sensitive_header("Bearer s3cret").unwrap();
/// assert!(v.is_sensitive());
/// assert!(!format!("{v:?}").contains("s3cret"));
/// assert!(gigafibre_client_core::sensitive_header("line\nbreak").is_err());
/// ```
pub fn sensitive_header(value: &str) -> Result<HeaderValue, InvalidHeaderSecret> {
    let mut v = HeaderValue::from_str(value).map_err(|_| InvalidHeaderSecret)?;
    v.set_sensitive(true);
    Ok(v)
}

/// A credential holds characters a header cannot carry (line breaks, control characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidHeaderSecret;

impl std::fmt::Display for InvalidHeaderSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("credentials contain characters not allowed in a header")
    }
}

impl std::error::Error for InvalidHeaderSecret {}
