//! Frappe's naive datetime strings.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDateTime;
use serde::{Deserialize, Deserializer, Serialize, Serializer, de};

/// A Frappe `Datetime` value: `YYYY-MM-DD HH:MM:SS[.ffffff]`, naive, in the site's time zone.
///
/// It prints back exactly as Python's `str(datetime)` does (six fraction digits when the
/// microseconds are non-zero, none otherwise), so a `modified` read from the server can be sent
/// back for optimistic locking and compares equal on the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FrappeDateTime(pub NaiveDateTime);

impl FrappeDateTime {
    /// The wrapped `chrono` value.
    pub fn naive(self) -> NaiveDateTime {
        self.0
    }
}

impl From<NaiveDateTime> for FrappeDateTime {
    fn from(v: NaiveDateTime) -> Self {
        Self(v)
    }
}

/// The error returned when a string is not a Frappe datetime.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid frappe datetime {0:?}: expected YYYY-MM-DD HH:MM:SS[.ffffff]")]
pub struct ParseDateTimeError(String);

impl FromStr for FrappeDateTime {
    type Err = ParseDateTimeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // Frappe writes a space; ISO 8601's `T` is accepted too, as v2 meta sometimes uses it.
        let fmt = if s.contains('T') {
            "%Y-%m-%dT%H:%M:%S%.f"
        } else {
            "%Y-%m-%d %H:%M:%S%.f"
        };
        NaiveDateTime::parse_from_str(s, fmt)
            .map(Self)
            .map_err(|_| ParseDateTimeError(s.to_owned()))
    }
}

impl fmt::Display for FrappeDateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use chrono::Timelike;
        if self.0.nanosecond() == 0 {
            write!(f, "{}", self.0.format("%Y-%m-%d %H:%M:%S"))
        } else {
            write!(f, "{}", self.0.format("%Y-%m-%d %H:%M:%S%.6f"))
        }
    }
}

impl Serialize for FrappeDateTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for FrappeDateTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn microsecond_datetimes_round_trip_exactly() {
        for s in [
            "2024-05-17 01:13:28.500004",
            "2014-04-25 17:56:51",
            "2026-01-02 03:04:05.000001",
        ] {
            let v: FrappeDateTime = s.parse().unwrap();
            assert_eq!(v.to_string(), s);
        }
    }

    #[test]
    fn garbage_is_a_typed_error() {
        let err = "yesterday".parse::<FrappeDateTime>().unwrap_err();
        assert!(err.to_string().contains("yesterday"));
    }
}
