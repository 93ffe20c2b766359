//! Request handlers, one module per area of the API.

pub(crate) mod documents;
pub(crate) mod files;
pub(crate) mod list;
pub(crate) mod methods;
pub(crate) mod server;

use crate::{ApiVersion, Client, Error, Result};

/// Checks a doctype name: non-empty words, as Frappe names doctypes ("Sales Invoice").
pub(crate) fn check_doctype(doctype: &str) -> Result<()> {
    let ok = !doctype.trim().is_empty()
        && doctype.len() <= 140
        && doctype
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidInput(format!(
            "{doctype:?} is not a doctype name"
        )))
    }
}

/// Checks a document name: anything non-empty (names may hold `/`, spaces, unicode).
pub(crate) fn check_name(name: &str) -> Result<()> {
    // `.` and `..` would be dropped from the URL path and hit the collection route.
    if name.is_empty()
        || name == "."
        || name == ".."
        || name.len() > 255
        || name.chars().any(char::is_control)
    {
        Err(Error::InvalidInput(format!(
            "{name:?} is not a document name"
        )))
    } else {
        Ok(())
    }
}

/// The URL of a doctype's collection, or of one document in it, for the client's API version.
pub(crate) fn resource_url(client: &Client, doctype: &str, name: Option<&str>) -> url::Url {
    let mut segs: Vec<&str> = match client.api_version() {
        ApiVersion::V1 => vec!["api", "resource", doctype],
        ApiVersion::V2 => vec!["api", "v2", "document", doctype],
    };
    segs.extend(name);
    client.url(&segs)
}
