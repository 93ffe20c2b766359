//! [`Version`]: a Traccar server version, read from `/api/server`, that gates newer parameters.

use std::fmt;

/// A Traccar server version (`6.14.5`; `6.2` reads as `6.2.0`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    /// Major.
    pub major: u32,
    /// Minor.
    pub minor: u32,
    /// Patch (0 when absent).
    pub patch: u32,
}

impl Version {
    /// `Authorization: Bearer` on every endpoint and `?token=` on the WebSocket.
    pub const BEARER: Version = Version::new(6, 2, 0);
    /// `/api/devices?excludeAttributes=true`.
    pub const EXCLUDE_ATTRIBUTES: Version = Version::new(6, 10, 0);
    /// `/api/devices` `limit`, `offset` and `keyword`.
    pub const DEVICE_PAGING: Version = Version::new(6, 13, 0);

    /// A version from its parts.
    pub const fn new(major: u32, minor: u32, patch: u32) -> Self {
        Self {
            major,
            minor,
            patch,
        }
    }

    /// Parses `6.14.5`, `6.2`, `6.14.5-SNAPSHOT` (the suffix is ignored). `None` when the text
    /// does not start with a number.
    pub fn parse(s: &str) -> Option<Self> {
        let core = s.trim().split(['-', '+', ' ']).next()?;
        let mut parts = core.split('.').map(|p| p.parse::<u32>());
        let major = parts.next()?.ok()?;
        let minor = parts.next().and_then(Result::ok).unwrap_or(0);
        let patch = parts.next().and_then(Result::ok).unwrap_or(0);
        Some(Self::new(major, minor, patch))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_orders() {
        assert_eq!(Version::parse("6.14.5"), Some(Version::new(6, 14, 5)));
        assert_eq!(Version::parse("6.2"), Some(Version::new(6, 2, 0)));
        assert_eq!(
            Version::parse("6.15-SNAPSHOT"),
            Some(Version::new(6, 15, 0))
        );
        assert_eq!(Version::parse("x"), None);
        assert!(Version::parse("6.9").unwrap() < Version::EXCLUDE_ATTRIBUTES);
        assert!(Version::parse("6.13.0").unwrap() >= Version::DEVICE_PAGING);
        assert_eq!(Version::new(6, 2, 0).to_string(), "6.2.0");
    }
}
