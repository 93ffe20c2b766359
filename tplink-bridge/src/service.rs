//! The bridge service (feature `service`): the JSON REST API the hub calls, one session owner
//! per router behind it.
//!
//! | route | answers |
//! |---|---|
//! | `GET /v1/routers/{host}/status` | [`RouterStatus`] (`?keys=true` adds Wi-Fi keys) |
//! | `GET /v1/routers/{host}/wifi`, `/hosts`, `/mesh`, `/optical` | that part only |
//! | `POST /v1/routers/{host}/objects` | a raw read or write: `{"op":"gl","oid":"DEV2_ADT_WAN","stack":"…","attrs":{…}}` → `{"data":…}` |
//! | `GET /healthz` | `ok` |
//! | `GET /metrics` | Prometheus text |
//!
//! `{host}` is an address with an optional port (`192.0.2.10`, `127.0.0.1:8080`). Router
//! credentials come from the request headers `X-Router-Username` / `X-Router-Password` (which
//! win) or from the configuration (per host, per CIDR, or a default); they are never logged.
//! With a token configured every `/v1` call needs `Authorization: Bearer <token>`.
//!
//! Errors are `{"error":{"code":…,"message":…}}`: bad router credentials 401, locked out 423
//! (with `Retry-After`), busy or session taken 409, router refused the object 422, router
//! unreachable or slow 504, protocol mismatch 502, bad input 400.

use std::net::IpAddr;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router as Routes};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use subtle::ConstantTimeEq;

use crate::crypto::Variant;
use crate::models::Optical;
use crate::protocol::{Op, ROOT_STACK};
use crate::{BusyPolicy, Error, Router, RouterStatus, Routers};

/// Credentials for a router.
#[derive(Clone, Deserialize)]
pub struct Credentials {
    /// The web account (default `user`).
    #[serde(default = "default_user")]
    pub username: String,
    /// Its password.
    pub password: SecretString,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

fn default_user() -> String {
    "user".to_owned()
}

/// One `[[routers]]` entry of the configuration.
#[derive(Debug, Clone, Deserialize)]
#[non_exhaustive]
pub struct RouterRule {
    /// An address (`192.0.2.10`), an address with a port, or a network (`10.20.0.0/16`).
    #[serde(rename = "match")]
    pub matches: String,
    /// The credentials.
    #[serde(flatten)]
    pub credentials: Credentials,
    /// Take over a busy router instead of answering 409.
    #[serde(default)]
    pub take_over: bool,
    /// The crypto variant, when known (`cbc`, `gcm`).
    #[serde(default)]
    pub variant: Option<String>,
}

/// The service's configuration (a TOML file: `[default]` and `[[routers]]`).
///
/// ```toml
/// token = "…"            # optional; or TPLINK_BRIDGE_TOKEN
/// timeout_secs = 10
/// [default]
/// username = "user"
/// password = "…"
/// [[routers]]
/// match = "10.20.0.0/16"
/// password = "…"
/// take_over = true
/// ```
#[derive(Debug, Clone, Default, Deserialize)]
#[non_exhaustive]
pub struct BridgeConfig {
    /// The bearer token `/v1` calls must carry.
    #[serde(default)]
    pub token: Option<SecretString>,
    /// Per-request timeout towards routers (default 10 s).
    #[serde(default)]
    pub timeout_secs: Option<u64>,
    /// Credentials for routers no rule matches.
    #[serde(default)]
    pub default: Option<Credentials>,
    /// Per-host and per-network rules, first match wins.
    #[serde(default)]
    pub routers: Vec<RouterRule>,
}

impl BridgeConfig {
    /// Parses the TOML text.
    ///
    /// # Errors
    /// [`Error::Config`] naming what is wrong (never a value).
    pub fn from_toml(text: &str) -> crate::Result<Self> {
        let c: BridgeConfig = toml::from_str(text)
            .map_err(|e| Error::Config(format!("bridge configuration: {}", e.message())))?;
        for r in &c.routers {
            if !r.matches.contains('/') && parse_host(&r.matches).is_none() {
                return Err(Error::Config(format!(
                    "{:?} is neither an address nor a network",
                    r.matches
                )));
            }
            if r.matches.contains('/') && r.matches.parse::<ipnet::IpNet>().is_err() {
                return Err(Error::Config(format!("{:?} is not a network", r.matches)));
            }
            if let Some(v) = &r.variant {
                v.parse::<Variant>()
                    .map_err(|e| Error::Config(e.to_string()))?;
            }
        }
        Ok(c)
    }

    /// The rule for `host` (an exact address first, then the first network holding it).
    fn rule(&self, host: &str) -> Option<&RouterRule> {
        let ip: Option<IpAddr> = host_ip(host);
        self.routers
            .iter()
            .find(|r| {
                r.matches.eq_ignore_ascii_case(host)
                    || host_ip(&r.matches).is_some_and(|a| Some(a) == ip && !host.contains(':'))
            })
            .or_else(|| {
                let ip = ip?;
                self.routers.iter().find(|r| {
                    r.matches
                        .parse::<ipnet::IpNet>()
                        .is_ok_and(|n| n.contains(&ip))
                })
            })
    }
}

/// `192.0.2.10` or `192.0.2.10:8080` (or a host name with a port): the address, validated so
/// that nothing but a host and a port reaches a URL.
fn parse_host(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() || raw.len() > 255 {
        return None;
    }
    let (host, port) = match raw.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => (h, Some(p.parse::<u16>().ok().filter(|p| *p > 0)?)),
        _ => (raw, None),
    };
    let ok = url::Host::parse(host).is_ok()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-'));
    ok.then(|| match port {
        Some(p) => format!("{host}:{p}"),
        None => host.to_owned(),
    })
}

fn host_ip(host: &str) -> Option<IpAddr> {
    host.split(':').next()?.parse().ok()
}

/// The running bridge: routes, the routers' session owners, metrics.
#[derive(Clone)]
pub struct Bridge {
    config: Arc<BridgeConfig>,
    routers: Routers,
    metrics: PrometheusHandle,
}

impl std::fmt::Debug for Bridge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bridge").finish_non_exhaustive()
    }
}

fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            // Embedded in a process that has its own recorder: /metrics answers empty.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// An error answer.
struct Failure(StatusCode, &'static str, String, Option<Duration>);

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let mut r = (
            self.0,
            Json(json!({"error": {"code": self.1, "message": self.2}})),
        )
            .into_response();
        if let Some(wait) = self.3
            && let Ok(v) = HeaderValue::from_str(&wait.as_secs().max(1).to_string())
        {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        r
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        let status = match &e {
            Error::BadCredentials { .. } => StatusCode::UNAUTHORIZED,
            Error::LockedOut { .. } => StatusCode::LOCKED,
            Error::Busy | Error::SessionLost => StatusCode::CONFLICT,
            Error::Refused { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Error::Protocol(_) | Error::Http { .. } | Error::Browser(_) => StatusCode::BAD_GATEWAY,
            Error::Timeout(_) | Error::Transport(_) => StatusCode::GATEWAY_TIMEOUT,
            Error::InvalidInput(_) | Error::Config(_) => StatusCode::BAD_REQUEST,
        };
        let wait = match &e {
            Error::LockedOut { wait } => Some(*wait),
            _ => None,
        };
        Failure(status, e.code(), e.to_string(), wait)
    }
}

fn bad(code: &'static str, message: impl Into<String>) -> Failure {
    Failure(StatusCode::BAD_REQUEST, code, message.into(), None)
}

impl Bridge {
    /// A bridge with `config`.
    ///
    /// # Errors
    /// [`Error::Config`] when the HTTP client cannot be built.
    pub fn new(config: BridgeConfig) -> crate::Result<Self> {
        let timeout = Duration::from_secs(config.timeout_secs.unwrap_or(10).clamp(1, 120));
        let http = reqwest::Client::builder()
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .timeout(timeout)
            .build()
            .map_err(|e| Error::Config(format!("HTTP client: {e}")))?;
        Ok(Self {
            config: Arc::new(config),
            routers: Routers::new(http),
            metrics: metrics_handle(),
        })
    }

    /// The axum routes.
    pub fn routes(&self) -> Routes {
        Routes::new()
            .route("/v1/routers/{host}/status", get(status))
            .route("/v1/routers/{host}/wifi", get(wifi))
            .route("/v1/routers/{host}/hosts", get(hosts))
            .route("/v1/routers/{host}/mesh", get(mesh))
            .route("/v1/routers/{host}/optical", get(optical))
            .route("/v1/routers/{host}/objects", post(objects))
            .route("/healthz", get(|| async { "ok" }))
            .route("/metrics", get(render_metrics))
            .with_state(self.clone())
    }

    /// Logs every router out (call on shutdown: each holds the router's only admin slot).
    pub async fn shutdown(&self) {
        self.routers.shutdown().await;
    }

    /// How many routers have a session owner now.
    pub async fn routers(&self) -> usize {
        self.routers.len().await
    }

    fn authorize(&self, headers: &HeaderMap) -> Result<(), Failure> {
        let Some(token) = &self.config.token else {
            return Ok(());
        };
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        if bool::from(given.as_bytes().ct_eq(token.expose_secret().as_bytes())) {
            Ok(())
        } else {
            Err(Failure(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "a bearer token is required".to_owned(),
                None,
            ))
        }
    }

    /// The session owner for `host` with the credentials of the request or the configuration.
    async fn router(&self, host: &str, headers: &HeaderMap) -> Result<Router, Failure> {
        self.authorize(headers)?;
        let host = parse_host(host)
            .ok_or_else(|| bad("invalid_input", format!("{host:?} is not a router address")))?;
        let header = |n: &str| {
            headers
                .get(n)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let rule = self.config.rule(&host);
        let (username, password) = match (header("x-router-username"), header("x-router-password"))
        {
            (user, Some(password)) => (
                user.or_else(|| rule.map(|r| r.credentials.username.clone()))
                    .unwrap_or_else(default_user),
                SecretString::from(password),
            ),
            (_, None) => {
                let c = rule
                    .map(|r| &r.credentials)
                    .or(self.config.default.as_ref())
                    .ok_or_else(|| {
                        Failure(StatusCode::UNAUTHORIZED, "no_credentials", format!("no credentials for {host}: send X-Router-Password or configure them"), None)
                    })?;
                (c.username.clone(), c.password.clone())
            }
        };
        let (take_over, variant) = rule.map_or((false, None), |r| {
            (
                r.take_over,
                r.variant.as_deref().and_then(|v| v.parse::<Variant>().ok()),
            )
        });
        self.routers
            .get(&host, &username, password, |mut b| {
                if take_over {
                    b = b.busy_policy(BusyPolicy::TakeOver);
                }
                if let Some(v) = variant {
                    b = b.variant(v);
                }
                b
            })
            .await
            .map_err(Failure::from)
    }
}

/// Runs a route's work, counting and timing it.
async fn timed<T>(
    route: &'static str,
    work: impl std::future::Future<Output = Result<T, Failure>>,
) -> Result<Json<T>, Failure> {
    let started = Instant::now();
    let r = work.await;
    observe(route, started, r.is_ok());
    r.map(Json)
}

fn observe(route: &'static str, started: Instant, ok: bool) {
    metrics::counter!("tplink_bridge_requests_total", "route" => route, "outcome" => if ok { "ok" } else { "error" }).increment(1);
    metrics::histogram!("tplink_bridge_request_seconds", "route" => route)
        .record(started.elapsed().as_secs_f64());
}

async fn render_metrics(State(b): State<Bridge>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        b.metrics.render(),
    )
}

#[derive(Debug, Deserialize)]
struct Keys {
    #[serde(default)]
    keys: bool,
}

async fn status(
    State(b): State<Bridge>,
    Path(host): Path<String>,
    Query(q): Query<Keys>,
    headers: HeaderMap,
) -> Result<Json<RouterStatus>, Failure> {
    timed("status", async {
        b.router(&host, &headers)
            .await?
            .status(q.keys)
            .await
            .map_err(Failure::from)
    })
    .await
}

async fn wifi(
    State(b): State<Bridge>,
    Path(host): Path<String>,
    Query(q): Query<Keys>,
    headers: HeaderMap,
) -> Result<Json<Value>, Failure> {
    timed("wifi", async {
        let router = b.router(&host, &headers).await?;
        let list = router.list("DEV2_ADT_WIFI_COMMON").await?;
        Ok::<_, Failure>(json!({"wifi": crate::models::WifiBand::from_list(&list, q.keys)}))
    })
    .await
}

async fn hosts_and_mesh(router: &Router) -> Result<Value, Error> {
    let mut errors = Vec::new();
    let (mesh, hosts) = crate::models::read_mesh_and_hosts(router, &mut errors).await?;
    Ok(json!({"hosts": hosts, "mesh": mesh, "errors": errors}))
}

async fn hosts(
    State(b): State<Bridge>,
    Path(host): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, Failure> {
    timed("hosts", async {
        let v = hosts_and_mesh(&b.router(&host, &headers).await?).await?;
        Ok::<_, Failure>(json!({"hosts": v["hosts"], "errors": v["errors"]}))
    })
    .await
}

async fn mesh(
    State(b): State<Bridge>,
    Path(host): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, Failure> {
    timed("mesh", async {
        let v = hosts_and_mesh(&b.router(&host, &headers).await?).await?;
        Ok::<_, Failure>(json!({"mesh": v["mesh"], "errors": v["errors"]}))
    })
    .await
}

async fn optical(
    State(b): State<Bridge>,
    Path(host): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, Failure> {
    timed("optical", async {
        let list = b
            .router(&host, &headers)
            .await?
            .list("DEV2_OPTC_GPON_CFG")
            .await?;
        Ok::<_, Failure>(json!({"optical": list.first().map(Optical::from_object)}))
    })
    .await
}

/// A raw read or write.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ObjectCall {
    op: Op,
    oid: String,
    #[serde(default)]
    stack: Option<String>,
    #[serde(default)]
    attrs: Map<String, Value>,
}

async fn objects(
    State(b): State<Bridge>,
    Path(host): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<Value>, Failure> {
    timed("objects", async {
        let call: ObjectCall = serde_json::from_slice(&body).map_err(|e| {
            bad(
                "invalid_input",
                format!("the body is not an object call: {e}"),
            )
        })?;
        let router = b.router(&host, &headers).await?;
        let stack = call.stack.as_deref().unwrap_or(ROOT_STACK);
        let data = match call.op {
            Op::Go => Value::Object(router.get_at(&call.oid, stack).await?),
            Op::Gl | Op::Gs => Value::Array(
                router
                    .list(&call.oid)
                    .await?
                    .into_iter()
                    .map(Value::Object)
                    .collect(),
            ),
            Op::So => {
                router.set(&call.oid, stack, &call.attrs).await?;
                Value::Null
            }
            Op::Ao => json!({"stack": router.add(&call.oid, stack, &call.attrs).await?}),
            Op::Do => {
                router.delete(&call.oid, stack).await?;
                Value::Null
            }
            Op::Op => {
                router.action(&call.oid).await?;
                Value::Null
            }
            Op::Cgi => {
                return Err(bad(
                    "invalid_input",
                    "cgi calls (login, logout) are the bridge's own",
                ));
            }
        };
        Ok::<_, Failure>(json!({"data": data}))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_host_and_a_port_reach_a_url() {
        assert_eq!(parse_host("192.0.2.10").as_deref(), Some("192.0.2.10"));
        assert_eq!(
            parse_host("127.0.0.1:8080").as_deref(),
            Some("127.0.0.1:8080")
        );
        assert_eq!(parse_host("router.lan").as_deref(), Some("router.lan"));
        for bad in [
            "",
            "192.0.2.10:0",
            "192.0.2.10:99999",
            "user@192.0.2.10",
            "192.0.2.10/x",
            "192.0.2.10?x=1",
            "[::1]:80",
            "a b",
        ] {
            assert_eq!(parse_host(bad), None, "{bad}");
        }
    }

    #[test]
    fn rules_match_the_exact_address_first_then_the_first_network() {
        let c = BridgeConfig::from_toml(
            r#"
            [default]
            password = "d"
            [[routers]]
            match = "10.20.0.0/16"
            password = "net"
            [[routers]]
            match = "10.20.1.5"
            username = "admin"
            password = "exact"
            take_over = true
            variant = "gcm"
            "#,
        )
        .unwrap();
        let r = c.rule("10.20.1.5").unwrap();
        assert_eq!(r.credentials.username, "admin");
        assert!(r.take_over);
        assert_eq!(
            c.rule("10.20.9.9")
                .unwrap()
                .credentials
                .password
                .expose_secret(),
            "net"
        );
        assert!(c.rule("192.0.2.1").is_none());
        assert_eq!(c.default.as_ref().unwrap().username, "user");
        // A bad rule is refused, naming the rule, never a password.
        let e = BridgeConfig::from_toml(
            "[[routers]]\nmatch = \"10.0.0.0/99\"\npassword = \"s3cret\"\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("10.0.0.0/99") && !e.to_string().contains("s3cret"));
        assert!(
            BridgeConfig::from_toml(
                "[[routers]]\nmatch = \"x\"\npassword = \"p\"\nvariant = \"rot13\"\n"
            )
            .is_err()
        );
        // Debug never shows a password.
        assert!(!format!("{c:?}").contains("exact"));
    }
}
