//! Server identity: framework and app versions.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;

use crate::{Client, Error, Result};

/// A Frappe version string, parsed: `15.44.0`, `16.0.0-dev`, `v15.x.x-develop`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerVersion {
    /// The string as the server sent it.
    pub raw: String,
    /// Major version (15, 16, ...); 0 when the string has no number.
    pub major: u32,
    /// Minor version; 0 when absent.
    pub minor: u32,
    /// Patch version; 0 when absent.
    pub patch: u32,
}

impl ServerVersion {
    /// Parses a version string; never fails (unknown parts are 0).
    pub fn parse(raw: &str) -> Self {
        let core = raw.trim().trim_start_matches(['v', 'V']);
        let mut nums = core.split(['.', '-', '+']).map(|p| p.parse::<u32>().ok());
        let mut next = || nums.next().flatten().unwrap_or(0);
        let (major, minor, patch) = (next(), next(), next());
        Self {
            raw: raw.to_owned(),
            major,
            minor,
            patch,
        }
    }

    /// Whether the v2 list answers carry `has_next_page` (Frappe 16 and later).
    pub fn has_v2_paging(&self) -> bool {
        self.major >= 16
    }
}

impl fmt::Display for ServerVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

/// One installed app, as `frappe.utils.change_log.get_versions` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct AppVersion {
    /// The app's version string.
    #[serde(default)]
    pub version: String,
    /// The git branch, when known.
    #[serde(default)]
    pub branch: Option<String>,
    /// The app's title.
    #[serde(default)]
    pub title: Option<String>,
}

impl Client {
    /// The framework version.
    ///
    /// Frappe 15 removed the old `/api/method/version` route (it answers 417 "Failed to get
    /// method for command version"), so the version is read from the installed apps
    /// (`frappe.utils.change_log.get_versions`, the `frappe` entry), which needs a logged-in
    /// user. Only when that method fails (an older server, or an anonymous client, which may
    /// not call it) does the client fall back to `/api/method/version`, which Frappe 14 and
    /// earlier answer to anyone. When both fail, the error of the first is returned.
    ///
    /// ```no_run
    /// # async fn run(client: frappe_client::Client) -> frappe_client::Result<()> {
    /// let v = client.server_version().await?;
    /// if v.major < 15 { eprintln!("Frappe {v} is older than this client was tested with"); }
    /// # Ok(()) }
    /// ```
    pub async fn server_version(&self) -> Result<ServerVersion> {
        let first = match self.app_versions().await {
            Ok(apps) => match apps.get("frappe").filter(|a| !a.version.trim().is_empty()) {
                Some(frappe) => return Ok(ServerVersion::parse(&frappe.version)),
                None => None,
            },
            // A server that could not be reached would fail the fallback too; any answer
            // (refused, missing, or of another shape) sends us to the old route.
            Err(e @ (Error::Timeout(_) | Error::Transport { .. })) => return Err(e),
            Err(e) => Some(e),
        };
        match self.method("version").get::<String>().await {
            Ok(reply) => Ok(ServerVersion::parse(&reply.value)),
            Err(e) => Err(first.unwrap_or(e)),
        }
    }

    /// Every installed app and its version (`frappe.utils.change_log.get_versions`; needs a
    /// logged-in user).
    pub async fn app_versions(&self) -> Result<BTreeMap<String, AppVersion>> {
        Ok(self
            .method("frappe.utils.change_log.get_versions")
            .get()
            .await?
            .value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_leniently() {
        let v = ServerVersion::parse("15.44.0");
        assert_eq!((v.major, v.minor, v.patch), (15, 44, 0));
        let v = ServerVersion::parse("16.0.0-dev");
        assert_eq!((v.major, v.minor, v.patch), (16, 0, 0));
        assert!(v.has_v2_paging());
        let v = ServerVersion::parse("v15.x.x-develop");
        assert_eq!((v.major, v.minor, v.patch), (15, 0, 0));
        assert_eq!(ServerVersion::parse("garbage").major, 0);
    }
}
