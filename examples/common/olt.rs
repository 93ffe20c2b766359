//! What the OLT examples share: the OLTs to talk to (from `OLT_*` variables or a config file of
//! `[[olts]]` tables), readings as JSON with their signal verdict, and the exit-code convention
//! (0 found or ok, 1 not found or nothing, 2 bad input or an OLT that could not be asked).
//!
//! No community or passphrase is ever printed: they go straight into the client, which keeps
//! them as secrets.

use std::path::Path;
use std::time::Duration;

use olt_snmp::{AuthProtocol, Olt, OpticalStatus, PrivProtocol, SignalThresholds, V3Credentials};
use serde::Deserialize;
use serde_json::{Value, json};

#[allow(dead_code, unused_imports)]
#[path = "exit.rs"]
mod exit;
#[allow(unused_imports)]
pub(crate) use exit::{BROKEN, Failure, NOTHING, args};

/// Maps a client error: an ONU that is not there is 1, anything else (connection, credentials,
/// vendor, input) 2. The client's messages never hold a secret.
pub(crate) fn failure(e: &olt_snmp::Error) -> Failure {
    if e.is_not_found() {
        (NOTHING, e.to_string())
    } else {
        (BROKEN, e.to_string())
    }
}

/// One reading as JSON: the `OpticalStatus` record plus `"signal"`, its verdict against the
/// default thresholds (weak below −27 dBm, critical below −30, overload above −8).
pub(crate) fn reading(s: &OpticalStatus) -> Value {
    let mut v = json!(s);
    v["signal"] = json!(SignalThresholds::default().verdict(s));
    v
}

/// The OLTs to ask: every `[[olts]]` table of `config`, else the one OLT of the `OLT_*`
/// variables.
pub(crate) fn olts(config: Option<&Path>) -> Result<Vec<Olt>, Failure> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    match config {
        Some(path) => from_file(path, &env),
        None => from_env(&env).map(|o| vec![o]),
    }
}

/// `OLT_TIMEOUT_SECS` (or the file's `[olt] timeout_secs`), seconds, fractions allowed.
fn timeout(raw: Option<String>, what: &str) -> Result<Option<Duration>, Failure> {
    raw.map(|r| {
        r.trim()
            .parse::<f64>()
            .ok()
            .filter(|s| s.is_finite() && *s > 0.0 && *s <= 600.0)
            .map(Duration::from_secs_f64)
            .ok_or_else(|| (BROKEN, format!("{what}: expected seconds, more than 0")))
    })
    .transpose()
}

fn auth_protocol(raw: &str, what: &str) -> Result<AuthProtocol, Failure> {
    raw.parse()
        .map_err(|e: olt_snmp::UnknownProtocol| (BROKEN, format!("{what}: {e}")))
}

fn priv_protocol(raw: &str, what: &str) -> Result<PrivProtocol, Failure> {
    raw.parse()
        .map_err(|e: olt_snmp::UnknownProtocol| (BROKEN, format!("{what}: {e}")))
}

/// SNMPv3 credentials from their parts; a protocol without its password is a mistake, a
/// password without its protocol takes SHA-1 / AES-128 (as the hub does).
struct V3Parts {
    user: String,
    auth_protocol: Option<String>,
    auth_password: Option<String>,
    priv_protocol: Option<String>,
    priv_password: Option<String>,
    context: Option<String>,
}

impl V3Parts {
    fn credentials(self, what: &str) -> Result<V3Credentials, Failure> {
        if self.auth_protocol.is_some() && self.auth_password.is_none() {
            return Err((
                BROKEN,
                format!("{what}: an auth protocol needs its password"),
            ));
        }
        if self.priv_protocol.is_some() && self.priv_password.is_none() {
            return Err((
                BROKEN,
                format!("{what}: a priv protocol needs its password"),
            ));
        }
        let auth = self
            .auth_protocol
            .as_deref()
            .map_or(Ok(AuthProtocol::Sha1), |p| auth_protocol(p, what))?;
        let privacy = self
            .priv_protocol
            .as_deref()
            .map_or(Ok(PrivProtocol::Aes128), |p| priv_protocol(p, what))?;
        let c = match (self.auth_password, self.priv_password) {
            (None, None) => V3Credentials::no_auth(self.user),
            (Some(a), None) => V3Credentials::auth(self.user, auth, a),
            (Some(a), Some(p)) => V3Credentials::auth_priv(self.user, auth, a, privacy, p),
            (None, Some(_)) => {
                return Err((
                    BROKEN,
                    format!("{what}: SNMPv3 privacy needs authentication too"),
                ));
            }
        };
        Ok(match self.context {
            Some(ctx) => c.context(ctx),
            None => c,
        })
    }
}

/// The OLT of `OLT_HOST`, `OLT_NAME`, `OLT_COMMUNITY` or `OLT_V3_*`, `OLT_VENDOR` and
/// `OLT_TIMEOUT_SECS`.
fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Result<Olt, Failure> {
    let host = env("OLT_HOST").ok_or_else(|| {
        (
            BROKEN,
            "set OLT_HOST (host or host:port) and OLT_COMMUNITY or OLT_V3_USER, or give --config FILE"
                .to_owned(),
        )
    })?;
    let name = env("OLT_NAME").unwrap_or_else(|| host.trim().to_owned());
    let mut b = Olt::builder(name, host);
    b = match (env("OLT_COMMUNITY"), env("OLT_V3_USER")) {
        (Some(c), None) => b.community(c),
        (None, Some(user)) => b.v3(V3Parts {
            user,
            auth_protocol: env("OLT_V3_AUTH_PROTOCOL"),
            auth_password: env("OLT_V3_AUTH_PASSWORD"),
            priv_protocol: env("OLT_V3_PRIV_PROTOCOL"),
            priv_password: env("OLT_V3_PRIV_PASSWORD"),
            context: env("OLT_V3_CONTEXT"),
        }
        .credentials("OLT_V3_*")?),
        (Some(_), Some(_)) => {
            return Err((
                BROKEN,
                "set OLT_COMMUNITY or OLT_V3_USER, not both".to_owned(),
            ));
        }
        (None, None) => {
            return Err((
                BROKEN,
                "set OLT_COMMUNITY (SNMPv2c) or OLT_V3_USER (SNMPv3)".to_owned(),
            ));
        }
    };
    if let Some(v) = env("OLT_VENDOR") {
        b = b.vendor(v.trim());
    }
    if let Some(t) = timeout(env("OLT_TIMEOUT_SECS"), "OLT_TIMEOUT_SECS")? {
        b = b.timeout(t);
    }
    b.build().map_err(|e| failure(&e))
}

/// The hub's config file, of which only `[olt] timeout_secs` and the `[[olts]]` tables are
/// read (any other section is left alone, so the hub's own file can be given).
#[derive(Debug, Deserialize)]
struct File {
    #[serde(default)]
    olt: FileOltSettings,
    #[serde(default)]
    olts: Vec<FileOlt>,
}

#[derive(Debug, Default, Deserialize)]
struct FileOltSettings {
    timeout_secs: Option<toml::Value>,
}

/// One `[[olts]]` table, as the hub reads it.
#[derive(Deserialize)]
struct FileOlt {
    name: String,
    address: String,
    community: Option<String>,
    v3: Option<FileV3>,
    vendor: Option<String>,
}

#[derive(Deserialize)]
struct FileV3 {
    user: String,
    auth_protocol: Option<String>,
    auth_password: Option<String>,
    priv_protocol: Option<String>,
    priv_password: Option<String>,
    context: Option<String>,
}

// By hand, so that a community or passphrase can never reach a log line.
impl std::fmt::Debug for FileOlt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileOlt")
            .field("name", &self.name)
            .field("address", &self.address)
            .field("vendor", &self.vendor)
            .finish_non_exhaustive()
    }
}

/// Every `[[olts]]` table of the file at `path`. `OLT_TIMEOUT_SECS` wins over the file's
/// `[olt] timeout_secs`.
fn from_file(path: &Path, env: &dyn Fn(&str) -> Option<String>) -> Result<Vec<Olt>, Failure> {
    let shown = path.display();
    let text =
        std::fs::read_to_string(path).map_err(|e| (BROKEN, format!("cannot read {shown}: {e}")))?;
    // toml's message quotes the offending line, which may hold a secret: only its position.
    let file: File = toml::from_str(&text).map_err(|e| {
        let at = e
            .span()
            .map(|s| {
                let line = text[..s.start.min(text.len())].lines().count().max(1);
                format!(" (line {line})")
            })
            .unwrap_or_default();
        (
            BROKEN,
            format!("{shown}: not a config file of [[olts]] tables{at}"),
        )
    })?;
    if file.olts.is_empty() {
        return Err((BROKEN, format!("{shown}: no [[olts]] table")));
    }
    let file_timeout = file.olt.timeout_secs.map(|v| match v {
        toml::Value::String(s) => s,
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Float(f) => f.to_string(),
        _ => String::new(), // refused below
    });
    let timeout = match env("OLT_TIMEOUT_SECS") {
        Some(t) => timeout(Some(t), "OLT_TIMEOUT_SECS")?,
        None => timeout(file_timeout, &format!("{shown}: [olt] timeout_secs"))?,
    };
    let mut names = std::collections::BTreeSet::new();
    let mut out = Vec::with_capacity(file.olts.len());
    for f in file.olts {
        let what = format!("{shown}: [[olts]] {}", f.name);
        if !names.insert(f.name.clone()) {
            return Err((BROKEN, format!("{what}: the name is used twice")));
        }
        let mut b = Olt::builder(f.name, f.address);
        b = match (f.community, f.v3) {
            (Some(c), None) => b.community(c),
            (None, Some(v3)) => b.v3(V3Parts {
                user: v3.user,
                auth_protocol: v3.auth_protocol,
                auth_password: v3.auth_password,
                priv_protocol: v3.priv_protocol,
                priv_password: v3.priv_password,
                context: v3.context,
            }
            .credentials(&what)?),
            _ => {
                return Err((BROKEN, format!("{what}: give community or v3, one of them")));
            }
        };
        if let Some(v) = f.vendor {
            b = b.vendor(v);
        }
        if let Some(t) = timeout {
            b = b.timeout(t);
        }
        out.push(b.build().map_err(|e| failure(&e))?);
    }
    Ok(out)
}
