//! TP-Link routers' own view (the `tplink` source of `/devices/lookup`): read through the
//! bridge service over HTTP, or in-process with the `tplink-bridge` crate.
//!
//! Which routers: TP-Link models (the ACS snapshot's manufacturer, or the Service Equipment's
//! brand). Where: the WAN address of the ACS snapshot's default route, on the configured port.
//! As whom: the Service Equipment's `admin_username` and `admin_password` (a Password field,
//! read with `frappe.client.get_password`, never logged).

use std::net::Ipv4Addr;

use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use crate::config::{TplinkMode, TplinkSettings};

/// Reads a router's status. Cheap to clone.
#[derive(Clone)]
pub enum RouterReader {
    /// The bridge service.
    Bridge {
        /// A client with the configured timeout.
        http: reqwest::Client,
        /// Its base URL, without a trailing slash.
        url: String,
        /// Its bearer token.
        token: Option<SecretString>,
    },
    /// In-process: one session owner per router, shared by every lookup.
    Direct(tplink_bridge::Routers),
}

impl std::fmt::Debug for RouterReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Bridge { url, .. } => f.debug_struct("Bridge").field("url", url).finish(),
            Self::Direct(_) => f.write_str("Direct"),
        }
    }
}

/// The credentials of one router.
#[derive(Debug)]
pub struct RouterLogin {
    /// The web account (`user` when the equipment names none).
    pub username: String,
    /// Its password, when the equipment has one.
    pub password: Option<SecretString>,
}

/// Why a router read failed, in the words the lookup shows.
#[derive(Debug)]
pub struct ReadError {
    /// A stable code (`bad_credentials`, `locked_out`, `busy`, `timeout`, `unreachable`, ...).
    pub code: String,
    /// What happened (never a credential).
    pub message: String,
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

impl RouterReader {
    /// The reader the settings describe.
    pub fn new(settings: &TplinkSettings) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .connect_timeout(settings.timeout.min(std::time::Duration::from_secs(3)))
            .timeout(settings.timeout)
            .build()?;
        Ok(match &settings.mode {
            TplinkMode::Bridge { url, token } => Self::Bridge {
                http,
                url: url.trim_end_matches('/').to_owned(),
                token: token.clone(),
            },
            TplinkMode::Direct => Self::Direct(tplink_bridge::Routers::new(http)),
        })
    }

    /// The router's status (`RouterStatus` as JSON; Wi-Fi keys never asked for).
    pub async fn status(&self, address: &str, login: &RouterLogin) -> Result<Value, ReadError> {
        match self {
            Self::Bridge { http, url, token } => {
                let mut req = http.get(format!("{url}/v1/routers/{address}/status"));
                if let Some(t) = token {
                    req = req.header(
                        http::header::AUTHORIZATION,
                        gigafibre_client_core::redact::sensitive_header(&format!(
                            "Bearer {}",
                            t.expose_secret()
                        ))
                        .map_err(|_| ReadError {
                            code: "config".into(),
                            message: "the bridge token is not a valid header value".into(),
                        })?,
                    );
                }
                if let Some(p) = &login.password {
                    let value = gigafibre_client_core::redact::sensitive_header(p.expose_secret())
                        .map_err(|_| ReadError {
                            code: "invalid_input".into(),
                            message: "the equipment's router password is not a valid header value"
                                .into(),
                        })?;
                    req = req
                        .header("x-router-username", login.username.as_str())
                        .header("x-router-password", value);
                }
                let resp = req.send().await.map_err(|e| ReadError {
                    code: if e.is_timeout() {
                        "timeout"
                    } else {
                        "bridge_unreachable"
                    }
                    .into(),
                    message: format!("the TP-Link bridge did not answer: {}", e.without_url()),
                })?;
                let status = resp.status();
                let body = resp.bytes().await.map_err(|e| ReadError {
                    code: "bridge_unreachable".into(),
                    message: format!("the TP-Link bridge's answer broke off: {}", e.without_url()),
                })?;
                let json: Option<Value> = serde_json::from_slice(&body).ok();
                if status.is_success() {
                    return json.ok_or_else(|| ReadError {
                        code: "protocol".into(),
                        message: "the TP-Link bridge answered something that is not JSON".into(),
                    });
                }
                let error = json.as_ref().map(|j| &j["error"]);
                let field = |k: &str| {
                    error
                        .and_then(|e| e[k].as_str())
                        .map(str::to_owned)
                        .unwrap_or_default()
                };
                Err(ReadError {
                    code: Some(field("code"))
                        .filter(|c| !c.is_empty())
                        .unwrap_or_else(|| format!("http_{}", status.as_u16())),
                    message: Some(field("message"))
                        .filter(|m| !m.is_empty())
                        .unwrap_or_else(|| format!("the TP-Link bridge answered {status}")),
                })
            }
            Self::Direct(routers) => {
                let password = login.password.clone().ok_or_else(|| ReadError {
                    code: "no_credentials".into(),
                    message: "the Service Equipment has no admin_password for the router".into(),
                })?;
                let failed = |e: tplink_bridge::Error| ReadError {
                    code: e.code().to_owned(),
                    message: e.to_string(),
                };
                let router = routers
                    .get(address, &login.username, password, |b| b)
                    .await
                    .map_err(failed)?;
                let status = router.status(false).await.map_err(failed)?;
                serde_json::to_value(status).map_err(|e| ReadError {
                    code: "protocol".into(),
                    message: e.to_string(),
                })
            }
        }
    }

    /// Readiness: the bridge's `/healthz` answers (in-process reading is always ready; each
    /// router's own state shows in the lookups).
    pub async fn ready(&self) -> Result<String, String> {
        match self {
            Self::Bridge { http, url, .. } => {
                let r = http
                    .get(format!("{url}/healthz"))
                    .send()
                    .await
                    .map_err(|e| {
                        format!("the TP-Link bridge does not answer: {}", e.without_url())
                    })?;
                if r.status().is_success() {
                    Ok("the TP-Link bridge answers".to_owned())
                } else {
                    Err(format!(
                        "the TP-Link bridge's /healthz answered {}",
                        r.status()
                    ))
                }
            }
            Self::Direct(routers) => Ok(format!(
                "in-process, {} routers with a session",
                routers.len().await
            )),
        }
    }

    /// Logs the in-process routers out (each holds its router's only admin slot).
    pub async fn shutdown(&self) {
        if let Self::Direct(routers) = self {
            routers.shutdown().await;
        }
    }
}

/// Whether a manufacturer or brand names TP-Link (`TP-Link`, `TP-LINK`, `tplink`).
pub fn is_tplink(name: &str) -> bool {
    let n: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase();
    n.starts_with("tplink")
}

/// The router's WAN address from an ACS snapshot (JSON): the IPv4 of the default route's
/// connection, else of the first connection that has a public-looking one.
pub fn wan_address(acs: &Value) -> Option<Ipv4Addr> {
    let wans = acs["wan"]["value"].as_array()?;
    let usable = |w: &&Value| {
        w["ipv4"]
            .as_str()
            .and_then(|ip| ip.parse::<Ipv4Addr>().ok())
            .filter(|ip| !ip.is_unspecified() && !ip.is_broadcast())
    };
    wans.iter()
        .filter(|w| w["default_route"] == true)
        .find_map(|w| usable(&w))
        .or_else(|| wans.iter().find_map(|w| usable(&w)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tplink_is_recognised_however_it_is_spelt() {
        for name in ["TP-Link", "TP-LINK", "tplink", "TP Link Systems"] {
            assert!(is_tplink(name), "{name}");
        }
        for name in ["Huawei", "ZTE", "", "Link TP"] {
            assert!(!is_tplink(name), "{name}");
        }
    }

    #[test]
    fn the_default_routes_address_wins_and_unset_addresses_are_skipped() {
        let acs = json!({"wan": {"value": [
            {"ipv4": "0.0.0.0", "default_route": true},
            {"ipv4": "100.64.1.2", "default_route": false},
            {"ipv4": "198.51.100.7", "default_route": true},
        ]}});
        assert_eq!(wan_address(&acs), Some(Ipv4Addr::new(198, 51, 100, 7)));
        let acs = json!({"wan": {"value": [
            {"ipv4": null, "default_route": true},
            {"ipv4": "100.64.1.2", "default_route": false},
        ]}});
        assert_eq!(wan_address(&acs), Some(Ipv4Addr::new(100, 64, 1, 2)));
        assert_eq!(wan_address(&json!({"wan": {"value": []}})), None);
        assert_eq!(wan_address(&json!({})), None);
    }
}
