//! Handlers, one module per area, and the shared query building.

pub(crate) mod devices;
pub(crate) mod geofences;
pub(crate) mod positions;
pub(crate) mod reports;

use chrono::{DateTime, SecondsFormat, Utc};
use url::Url;

use crate::{Error, Result};

/// Traccar's date parameter: ISO-8601 UTC, `2024-01-01T00:00:00Z` (milliseconds only when
/// there are some).
pub(crate) fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// Appends query pairs (a key may repeat: `deviceId=1&deviceId=2`).
pub(crate) fn with_query(mut url: Url, pairs: &[(&str, String)]) -> Url {
    if !pairs.is_empty() {
        let mut q = url.query_pairs_mut();
        for (k, v) in pairs {
            q.append_pair(k, v);
        }
    }
    url
}

/// `from < to`, or [`Error::InvalidInput`].
pub(crate) fn check_window(from: DateTime<Utc>, to: DateTime<Utc>) -> Result<()> {
    if from >= to {
        return Err(Error::InvalidInput(format!(
            "the window's start ({}) must be before its end ({})",
            iso(from),
            iso(to)
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_queries() {
        let t = DateTime::parse_from_rfc3339("2024-01-01T00:00:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(iso(t), "2024-01-01T00:00:00Z");
        let t2 = t + chrono::Duration::milliseconds(1500);
        assert_eq!(iso(t2), "2024-01-01T00:00:01.500Z");
        let u = with_query(
            Url::parse("http://x/api/reports/route").unwrap(),
            &[("deviceId", "1".into()), ("deviceId", "2".into())],
        );
        assert_eq!(u.query(), Some("deviceId=1&deviceId=2"));
        assert!(check_window(t2, t).is_err());
        assert!(check_window(t, t2).is_ok());
    }
}
