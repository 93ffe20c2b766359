//! Request handlers, one module per area.

pub(crate) mod config;
pub(crate) mod devices;
pub(crate) mod faults;
pub(crate) mod tags;
pub(crate) mod tasks;
pub(crate) mod wifi;

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use url::Url;

use crate::client::Client;
use crate::models::lenient_date;
use crate::{Error, Result};

/// One URL path segment as GenieACS's router accepts it: its routes capture ids with
/// `[A-Za-z0-9_%-]+` (files allow a few more) and then decode them once, so every byte outside
/// `A-Z a-z 0-9 _ -` is sent as `%XX` — `.`, `:`, `+`, spaces and non-ASCII included, which a
/// generic path encoder leaves raw (the route would then not match: 404).
pub(crate) fn strict_segment(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for b in raw.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// The NBI URL of these raw segments, each encoded with [`strict_segment`].
pub(crate) fn nbi_url(client: &Client, segments: &[&str]) -> Url {
    let mut url = client.base_url().clone();
    let encoded: Vec<String> = segments.iter().map(|s| strict_segment(s)).collect();
    let path = format!("{}{}", url.path(), encoded.join("/"));
    url.set_path(&path);
    url
}

/// Checks a name that travels as one path segment (tag, preset, provision, file): not empty,
/// at most 1,024 bytes, no control character, not `.` or `..` (URL normalisation would drop
/// the segment and the request would reach another route). Everything else is encoded by
/// [`strict_segment`] and reaches GenieACS unchanged.
pub(crate) fn check_name(kind: &str, name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(Error::InvalidInput(format!("a {kind} name is not empty")));
    }
    if name.len() > 1024 {
        return Err(Error::InvalidInput(format!(
            "a {kind} name is at most 1024 bytes"
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(Error::InvalidInput(format!(
            "{name:?}: a {kind} name has no control characters"
        )));
    }
    if name == "." || name == ".." {
        return Err(Error::InvalidInput(format!(
            "{name:?} cannot be a {kind} name (it is a relative path segment)"
        )));
    }
    Ok(())
}

/// A date as GenieACS stores it (ISO string, or epoch ms); anything else is `None`, never a
/// decoding failure.
pub(crate) fn opt_date<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<DateTime<Utc>>, D::Error> {
    let v = Option::<Value>::deserialize(d)?;
    Ok(v.as_ref().and_then(lenient_date::parse))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_only_keep_what_the_route_regex_accepts() {
        assert_eq!(strict_segment("vip"), "vip");
        assert_eq!(
            strict_segment("a.b:c d+é/%"),
            "a%2Eb%3Ac%20d%2B%C3%A9%2F%25"
        );
        assert_eq!(
            strict_segment("00259E-HG8546M%2DRMS-4857"),
            "00259E-HG8546M%252DRMS-4857"
        );
        for raw in ["x.y", "a b", "ü", "1:2", "()!*'~"] {
            assert!(
                strict_segment(raw)
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_%-".contains(&b)),
                "{raw}"
            );
        }
    }

    #[test]
    fn names_that_cannot_reach_their_route_are_refused() {
        for bad in ["", ".", "..", "a\nb", "\u{7f}"] {
            assert!(check_name("tag", bad).is_err(), "{bad:?}");
        }
        for good in ["vip", "a.b", "...", "résidentiel 2", "x/y", "100%"] {
            assert!(check_name("tag", good).is_ok(), "{good:?}");
        }
        assert!(check_name("tag", &"x".repeat(1025)).is_err());
    }

    #[test]
    fn urls_carry_the_strict_segments_unchanged() {
        let client = Client::builder("http://acs.internal:7557/nbi")
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        let u = nbi_url(&client, &["devices", "A-B%2DC-1", "tags", "..."]);
        assert_eq!(
            u.as_str(),
            "http://acs.internal:7557/nbi/devices/A-B%252DC-1/tags/%2E%2E%2E"
        );
    }
}
