//! Who is calling: staff through Traefik ForwardAuth, scripts with bearer service tokens.
//!
//! * **Staff**: Traefik's ForwardAuth middleware asks authentik and copies `X-Authentik-Email`,
//!   `-Username`, `-Name`, `-Groups` (`|`-separated) into the request. Those headers are trusted
//!   **only** when the request proves it came through the proxy — it carries the shared secret
//!   that a Traefik headers middleware adds (compared in constant time), or its peer address is
//!   in a configured trusted network. Otherwise every `X-Authentik-*` header is removed before
//!   anything reads it. Groups map to [`Capability`]s by configuration.
//! * **Services** (n8n, scripts): `Authorization: Bearer <token>`; tokens are configured as
//!   SHA-256 hashes, compared in constant time, each with its capabilities.
//!
//! Every route declares what it needs in its OpenAPI operation (`security`): a capability, any
//! identity, or nothing (public, or verified by a webhook signature). [`enforce`] reads that
//! declaration for the matched route and refuses the request before the handler runs; a route
//! that declares nothing is refused too (and a test walks the router for them).

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, Method};
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::config::AuthSettings;
use crate::error::AppError;
use crate::state::AppState;

macro_rules! capabilities {
    ($($(#[$m:meta])* $v:ident = $s:literal,)+) => {
        /// Something a caller may do; routes and SSE topics require one.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Capability {
            $($(#[$m])* $v,)+
        }

        impl Capability {
            /// Every capability.
            pub const ALL: &'static [Capability] = &[$(Capability::$v,)+];

            /// The configuration spelling (`devices:read`).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Capability::$v => $s,)+
                }
            }

            /// Parses the configuration spelling.
            pub fn parse(s: &str) -> Option<Self> {
                match s {
                    $($s => Some(Capability::$v),)+
                    _ => None,
                }
            }
        }
    };
}

capabilities! {
    /// The dispatch board: jobs, technicians, their positions.
    Dispatch = "dispatch",
    /// Support tickets and their timelines.
    TicketsRead = "tickets:read",
    /// Customer records and timelines.
    CustomersRead = "customers:read",
    /// Device diagnostics (read).
    DevicesRead = "devices:read",
    /// Device actions (reboot, Wi-Fi changes).
    DevicesWrite = "devices:write",
    /// Inviting staff users.
    UsersInvite = "users:invite",
    /// Billing (and reading invoices).
    Billing = "billing",
    /// Reading barcodes from photos (`/vision/barcodes`).
    Vision = "vision",
    /// Network and monitoring alerts.
    Alerts = "alerts",
    /// Operating the hub itself: dead letters, replays.
    Admin = "admin",
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A configured bearer token for a script or n8n: only its SHA-256 is kept.
#[derive(Clone)]
pub struct ServiceToken {
    /// Its name, for logs and `hub config check`.
    pub name: String,
    sha256: [u8; 32],
    /// What it may do.
    pub capabilities: Vec<Capability>,
}

impl fmt::Debug for ServiceToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceToken")
            .field("name", &self.name)
            .field("capabilities", &self.capabilities)
            .finish_non_exhaustive()
    }
}

impl ServiceToken {
    /// A token from its hex SHA-256 (`sha256sum` of the token, without a newline).
    pub fn from_hex(name: &str, hex: &str, capabilities: Vec<Capability>) -> Result<Self, String> {
        if name.is_empty() {
            return Err("a service token needs a name".to_owned());
        }
        let hex = hex.trim();
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!(
                "token {name:?}: expected the 64 hex digits of its SHA-256"
            ));
        }
        let mut sha256 = [0u8; 32];
        for (i, byte) in sha256.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[i * 2..i * 2 + 2], 16)
                .map_err(|_| format!("token {name:?}: its SHA-256 is not hex"))?;
        }
        Ok(Self {
            name: name.to_owned(),
            sha256,
            capabilities,
        })
    }

    /// A token from its clear value (the sandbox and tests).
    pub fn from_secret(name: &str, token: &str, capabilities: Vec<Capability>) -> Self {
        Self {
            name: name.to_owned(),
            sha256: Sha256::digest(token.as_bytes()).into(),
            capabilities,
        }
    }

    /// The hex SHA-256 of a token, as configured.
    pub fn hash_hex(token: &str) -> String {
        Sha256::digest(token.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// The caller of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// A staff member, from trusted ForwardAuth headers.
    Staff {
        /// `X-Authentik-Email`.
        email: String,
        /// `X-Authentik-Username`.
        username: String,
        /// `X-Authentik-Groups`.
        groups: Vec<String>,
        /// The capabilities the groups grant.
        capabilities: Vec<Capability>,
    },
    /// A script or n8n with a service token.
    Service {
        /// The token's name.
        name: String,
        /// Its capabilities.
        capabilities: Vec<Capability>,
    },
}

impl Identity {
    /// What the caller may do.
    pub fn capabilities(&self) -> &[Capability] {
        match self {
            Identity::Staff { capabilities, .. } | Identity::Service { capabilities, .. } => {
                capabilities
            }
        }
    }

    /// Whether the caller has `cap`.
    pub fn can(&self, cap: Capability) -> bool {
        self.capabilities().contains(&cap)
    }

    /// A short name for logs (no e-mail address).
    pub fn label(&self) -> String {
        match self {
            Identity::Staff { username, .. } => format!("staff:{username}"),
            Identity::Service { name, .. } => format!("service:{name}"),
        }
    }
}

/// What a route requires, read from its OpenAPI `security` declaration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requirement {
    /// Anyone (health checks; webhooks, which verify a signature instead).
    Public,
    /// Any identified caller.
    Authenticated,
    /// A caller with this capability.
    Capability(Capability),
}

/// The security scheme names routes use in their OpenAPI declarations.
pub const STAFF_SCHEME: &str = "staff";
/// Bearer service tokens.
pub const TOKEN_SCHEME: &str = "service_token";

/// Route → requirement, built from the OpenAPI document.
#[derive(Debug, Clone, Default)]
pub struct RouteTable {
    routes: HashMap<(Method, String), Requirement>,
}

impl RouteTable {
    /// Reads every operation's `security`: an empty requirement means public; a `staff` or
    /// `service_token` requirement with a scope means that capability, without one any
    /// identity. An operation with no `security` at all is left out (and so refused).
    pub fn from_openapi(doc: &utoipa::openapi::OpenApi) -> Result<Self, String> {
        let mut routes = HashMap::new();
        for (path, item) in &doc.paths.paths {
            let ops = [
                (Method::GET, &item.get),
                (Method::POST, &item.post),
                (Method::PUT, &item.put),
                (Method::PATCH, &item.patch),
                (Method::DELETE, &item.delete),
            ];
            for (method, op) in ops {
                let Some(op) = op else { continue };
                let Some(reqs) = &op.security else { continue };
                let value = serde_json::to_value(reqs).map_err(|e| e.to_string())?;
                let requirement =
                    requirement_of(&value).map_err(|e| format!("{method} {path}: {e}"))?;
                routes.insert((method, path.clone()), requirement);
            }
        }
        Ok(Self { routes })
    }

    /// The requirement of a route, by method and matched path (`/events`, `/admin/{kind}`).
    pub fn get(&self, method: &Method, path: &str) -> Option<Requirement> {
        let method = if method == Method::HEAD {
            &Method::GET
        } else {
            method
        };
        self.routes.get(&(method.clone(), path.to_owned())).copied()
    }

    /// Whether any method of `path` is declared.
    pub fn has_path(&self, path: &str) -> bool {
        self.routes.keys().any(|(_, p)| p == path)
    }

    /// Every declared route, sorted (for tests and docs).
    pub fn all(&self) -> Vec<(Method, String, Requirement)> {
        let mut v: Vec<_> = self
            .routes
            .iter()
            .map(|((m, p), r)| (m.clone(), p.clone(), *r))
            .collect();
        v.sort_by(|a, b| (&a.1, a.0.as_str()).cmp(&(&b.1, b.0.as_str())));
        v
    }
}

/// `[{}]` → public; `[{"staff": ["dispatch"]}, {"service_token": ["dispatch"]}]` → dispatch.
fn requirement_of(security: &serde_json::Value) -> Result<Requirement, String> {
    let list = security.as_array().ok_or("security is not a list")?;
    let mut found: Option<Requirement> = None;
    for req in list {
        let obj = req
            .as_object()
            .ok_or("a security requirement is not an object")?;
        let this = if obj.is_empty() {
            Requirement::Public
        } else {
            let scopes: Vec<&str> = obj
                .values()
                .filter_map(|v| v.as_array())
                .flatten()
                .filter_map(|v| v.as_str())
                .collect();
            match scopes.as_slice() {
                [] => Requirement::Authenticated,
                [one] => Requirement::Capability(
                    Capability::parse(one).ok_or_else(|| format!("unknown capability {one:?}"))?,
                ),
                _ => return Err("one capability per route".to_owned()),
            }
        };
        match found {
            None => found = Some(this),
            Some(prev) if prev == this => {}
            Some(_) => return Err("its security requirements disagree".to_owned()),
        }
    }
    found.ok_or_else(|| "an empty security list".to_owned())
}

/// Whether the request proves it came through the proxy.
fn through_proxy(auth: &AuthSettings, headers: &HeaderMap, peer: Option<IpAddr>) -> bool {
    let by_secret = auth.proxy_secret.as_ref().is_some_and(|secret| {
        headers
            .get(auth.proxy_secret_header.as_str())
            .is_some_and(|v| v.as_bytes().ct_eq(secret.expose_secret().as_bytes()).into())
    });
    // A dual-stack listener sees IPv4 peers as ::ffff:a.b.c.d.
    let by_network = peer
        .map(|ip| ip.to_canonical())
        .is_some_and(|ip| auth.trusted_proxies.iter().any(|n| n.contains(&ip)));
    by_secret || by_network
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// Identifies the caller. Strips the proxy secret, and the `X-Authentik-*` headers unless the
/// request came through the proxy; a bearer token that matches no service token is an error.
pub fn identify(
    auth: &AuthSettings,
    headers: &mut HeaderMap,
    peer: Option<IpAddr>,
) -> Result<Option<Identity>, AppError> {
    let proxied = through_proxy(auth, headers, peer);
    headers.remove(auth.proxy_secret_header.as_str());
    if !proxied {
        let forged: Vec<http::HeaderName> = headers
            .keys()
            .filter(|k| k.as_str().starts_with("x-authentik-"))
            .cloned()
            .collect();
        if !forged.is_empty() {
            tracing::debug!(
                count = forged.len(),
                "ignoring X-Authentik headers that did not come through the proxy"
            );
        }
        for k in forged {
            headers.remove(k);
        }
    }
    if let Some(value) = header(headers, "authorization")
        && let Some(token) = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
    {
        let digest: [u8; 32] = Sha256::digest(token.trim().as_bytes()).into();
        // Compare against every token, so that timing says nothing about which one matched.
        let mut matched = None;
        for t in &auth.service_tokens {
            if bool::from(t.sha256.ct_eq(&digest)) {
                matched = Some(t);
            }
        }
        return match matched {
            Some(t) => Ok(Some(Identity::Service {
                name: t.name.clone(),
                capabilities: t.capabilities.clone(),
            })),
            None => Err(AppError::unauthorized(
                "the bearer token is not a known service token",
            )),
        };
    }
    let email = header(headers, "x-authentik-email");
    let username = header(headers, "x-authentik-username");
    if email.is_none() && username.is_none() {
        return Ok(None);
    }
    let groups: Vec<String> = header(headers, "x-authentik-groups")
        .map(|g| {
            g.split('|')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let mut capabilities: Vec<Capability> = groups
        .iter()
        .filter_map(|g| auth.groups.get(g))
        .flatten()
        .copied()
        .collect();
    capabilities.sort();
    capabilities.dedup();
    Ok(Some(Identity::Staff {
        email: email.unwrap_or_default().to_owned(),
        username: username.or(email).unwrap_or_default().to_owned(),
        groups,
        capabilities,
    }))
}

/// The middleware on every route: identifies the caller, then enforces the matched route's
/// declared requirement. The identity goes into the request's extensions.
pub async fn enforce(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    // Identify first: it also strips the headers nobody may trust.
    let identified = identify(&state.settings.auth, req.headers_mut(), peer);
    let path = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned());
    let Some(path) = path else {
        // No route matched: the router answers 404 itself.
        return next.run(req).await;
    };
    let requirement = state.routes.get(req.method(), &path);
    let identity = match identified {
        Ok(i) => i,
        // A public route ignores credentials it does not need (a scraper's stale token).
        Err(_) if requirement == Some(Requirement::Public) => None,
        Err(e) => return e.into_response(),
    };
    let verdict = match (requirement, &identity) {
        (None, _) if state.routes.has_path(&path) => Err(AppError::new(
            http::StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            format!("{path} does not take {}", req.method()),
        )),
        (None, _) => Err(AppError::forbidden(format!(
            "{} {path} declares no capability, so nobody may call it",
            req.method()
        ))),
        (Some(Requirement::Public), _) => Ok(()),
        (Some(_), None) => Err(AppError::unauthorized(
            "sign in through the staff portal, or send a service token (Authorization: Bearer)",
        )),
        (Some(Requirement::Authenticated), Some(_)) => Ok(()),
        (Some(Requirement::Capability(cap)), Some(id)) if id.can(cap) => Ok(()),
        (Some(Requirement::Capability(cap)), Some(_)) => Err(AppError::forbidden(format!(
            "this needs the {cap} capability"
        ))
        .with_field("capability", cap.as_str())),
    };
    if let Err(e) = verdict {
        return e.into_response();
    }
    if let Some(id) = identity {
        req.extensions_mut().insert(Arc::new(id));
    }
    next.run(req).await
}

/// The caller of a route that requires one (set by [`enforce`]).
#[derive(Debug, Clone)]
pub struct Caller(pub Arc<Identity>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Arc<Identity>>()
            .cloned()
            .map(Caller)
            .ok_or_else(|| AppError::unauthorized("this route needs a signed-in caller"))
    }
}
