//! Base URLs: validated once, joined segment by segment (each one percent-encoded).

use std::fmt;

use url::Url;

/// Why a base URL was refused. Never holds credentials: a URL carrying a user or password is
/// refused without echoing them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlError(pub String);

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UrlError {}

/// Parses and checks a base URL: absolute `http` or `https`, no credentials in it, a trailing
/// slash added so that joining keeps its path (`https://erp.example.com/sub` →
/// `https://erp.example.com/sub/`). Query and fragment are dropped.
///
/// ```
/// let u = gigafibre_client_core::base_url("https://acs.example.com:7557").unwrap();
/// assert_eq!(u.as_str(), "https://acs.example.com:7557/");
/// assert!(gigafibre_client_core::base_url("ftp://x").is_err());
/// assert!(gigafibre_client_core::base_url("https://user:pw@x").is_err());
/// ```
pub fn base_url(raw: &str) -> Result<Url, UrlError> {
    let trimmed = raw.trim();
    let mut base = Url::parse(trimmed).map_err(|e| {
        // The parse error never contains the input; the input itself may hold a password, so
        // it is shown only when it has no '@'.
        if trimmed.contains('@') {
            UrlError(format!("base URL is not a URL: {e}"))
        } else {
            UrlError(format!("base URL {trimmed:?}: {e}"))
        }
    })?;
    if base.username() != "" || base.password().is_some() {
        return Err(UrlError(
            "base URL must not carry credentials; configure them separately".to_owned(),
        ));
    }
    if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
        return Err(UrlError(format!(
            "base URL {trimmed:?} must be an http(s) URL"
        )));
    }
    base.set_query(None);
    base.set_fragment(None);
    if !base.path().ends_with('/') {
        let path = format!("{}/", base.path());
        base.set_path(&path);
    }
    Ok(base)
}

/// `base` plus one path segment per item, each percent-encoded (spaces, `/` inside a name).
///
/// ```
/// let base = gigafibre_client_core::base_url("https://erp.example.com/sub").unwrap();
/// let u = gigafibre_client_core::join(&base, &["api", "resource", "Sales Invoice", "A/B 1"]);
/// assert_eq!(u.as_str(), "https://erp.example.com/sub/api/resource/Sales%20Invoice/A%2FB%201");
/// ```
pub fn join(base: &Url, segments: &[&str]) -> Url {
    let mut url = base.clone();
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty();
        path.extend(segments);
    }
    url
}
