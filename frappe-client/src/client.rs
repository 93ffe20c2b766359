//! [`Client`], its builder, and the request pipeline every handler goes through.

use std::fmt;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use gigafibre_client_core::{Transport, TransportOptions};
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, COOKIE, SET_COOKIE};
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use reqwest::cookie::CookieStore;
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use tracing::Instrument;
use url::Url;

use crate::error::{ApiError, AuthScheme, ExcType};
use crate::{Error, Result};

/// Which generation of Frappe's REST routes the client uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ApiVersion {
    /// `/api/resource` and `/api/method` (every Frappe version; the stable baseline).
    #[default]
    V1,
    /// `/api/v2/document`, `/api/v2/method` (Frappe 15 has an early form; 16 adds
    /// `has_next_page`). Lists with `or_filters` still use the v1 route, which v2 lacks.
    V2,
}

/// The last rate-limit budget the server reported (`X-RateLimit-*`, Frappe's site-wide limiter).
///
/// Frappe meters server processing time, so `limit`, `remaining` and `used` are microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct RateLimit {
    /// Budget per window (µs of server time).
    pub limit: Option<u64>,
    /// Budget left in the current window (µs).
    pub remaining: Option<u64>,
    /// Seconds until the window resets.
    pub reset_secs: Option<u64>,
    /// Server time the last request used (µs).
    pub used: Option<u64>,
}

impl RateLimit {
    fn from_headers(h: &HeaderMap) -> Option<Self> {
        let num = |name: &str| {
            h.get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<f64>().ok())
                .filter(|v| v.is_finite() && *v >= 0.0)
                .map(|v| v as u64)
        };
        let r = RateLimit {
            limit: num("x-ratelimit-limit"),
            remaining: num("x-ratelimit-remaining"),
            reset_secs: num("x-ratelimit-reset"),
            used: num("x-ratelimit-used"),
        };
        (r != RateLimit::default()).then_some(r)
    }
}

pub(crate) enum Auth {
    None,
    Token { key: String, secret: SecretString },
    Bearer(SecretString),
    Session(Box<Session>),
}

impl Auth {
    fn scheme(&self) -> AuthScheme {
        match self {
            Auth::None => AuthScheme::Anonymous,
            Auth::Token { .. } => AuthScheme::Token,
            Auth::Bearer(_) => AuthScheme::Bearer,
            Auth::Session(_) => AuthScheme::Password,
        }
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::None => f.write_str("None"),
            Auth::Token { key, .. } => write!(f, "Token {{ key: {key:?}, secret: [redacted] }}"),
            Auth::Bearer(_) => f.write_str("Bearer([redacted])"),
            Auth::Session(s) => write!(f, "Session {{ user: {:?}, password: [redacted] }}", s.user),
        }
    }
}

/// A username/password session: its own cookie jar, filled by `/api/method/login`.
///
/// Every login starts a new session **generation**. A request remembers the generation whose
/// cookies it sent; cookies set by its answer are stored only while that generation is still
/// current. So a late answer to a request sent under an old session — an expired session's 403,
/// which sets `sid=Guest` and then expires `sid` — cannot wipe the session a newer login opened.
pub(crate) struct Session {
    user: String,
    password: SecretString,
    /// The cookie jar and the current generation, changed together under one lock.
    cookies: Mutex<SessionCookies>,
    /// Held while logging in, so that concurrent requests log in once.
    login: tokio::sync::Mutex<bool>,
}

struct SessionCookies {
    jar: reqwest::cookie::Jar,
    /// Bumped when a login's answer is stored.
    generation: u64,
}

impl Session {
    fn lock_cookies(&self) -> std::sync::MutexGuard<'_, SessionCookies> {
        self.cookies
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The current generation.
    fn generation(&self) -> u64 {
        self.lock_cookies().generation
    }

    /// The cookies to send to `url` and the generation they belong to.
    fn cookies_for(&self, url: &Url) -> (Option<HeaderValue>, u64) {
        let c = self.lock_cookies();
        (c.jar.cookies(url), c.generation)
    }

    /// Stores the `Set-Cookie` lines of an answer to a request sent under `sent_under`. A login's
    /// answer opens a new generation; any other answer is dropped when a login has happened
    /// since the request was sent.
    fn store_cookies(&self, headers: &HeaderMap, url: &Url, sent_under: u64, is_login: bool) {
        let mut c = self.lock_cookies();
        if is_login {
            let mut set = headers.get_all(SET_COOKIE).iter();
            c.jar.set_cookies(&mut set, url);
            c.generation += 1;
        } else if c.generation == sent_under {
            let mut set = headers.get_all(SET_COOKIE).iter();
            c.jar.set_cookies(&mut set, url);
        } else if headers.contains_key(SET_COOKIE) {
            tracing::debug!(
                http.path = url.path(),
                "ignoring cookies of an answer to a request sent under an older session"
            );
        }
    }

    /// Whether the jar holds a real (non-Guest) `sid` for `url`.
    fn has_session(&self, url: &Url) -> bool {
        self.lock_cookies()
            .jar
            .cookies(url)
            .and_then(|v| v.to_str().ok().map(str::to_owned))
            .is_some_and(|c| {
                c.split("; ")
                    .any(|kv| kv.starts_with("sid=") && kv != "sid=Guest" && kv != "sid=")
            })
    }
}

/// One request, kept whole so that it can be sent again (retries, re-login).
#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) body: Body,
    /// Safe to send twice: GET, PUT, DELETE, and reads done through POST.
    pub(crate) idempotent: bool,
}

#[derive(Clone)]
pub(crate) enum Body {
    Empty,
    Json(Bytes),
    Form(Vec<(String, String)>),
    Multipart(Arc<crate::api::files::UploadParts>),
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Body::Empty => f.write_str("Empty"),
            Body::Json(b) => write!(f, "Json({} bytes)", b.len()),
            // The login form holds the password: show the keys only.
            Body::Form(fields) => f
                .debug_tuple("Form")
                .field(&fields.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>())
                .finish(),
            Body::Multipart(parts) => f.debug_tuple("Multipart").field(parts).finish(),
        }
    }
}

/// A success answer, fully read.
#[derive(Debug)]
pub(crate) struct RawResponse {
    pub(crate) body: Bytes,
    pub(crate) endpoint: String,
    /// The request was a write (POST, PUT, PATCH, DELETE) and the server answered success: it
    /// committed, whatever happens while decoding the answer.
    pub(crate) write_applied: bool,
}

impl RawResponse {
    /// Decodes the body, naming the JSON path on failure.
    pub(crate) fn json<T: DeserializeOwned>(&self) -> Result<T> {
        decode(&self.endpoint, &self.body, self.write_applied)
    }

    /// A decode error for this answer, at `path`.
    pub(crate) fn decode_error(&self, path: &str, source: serde_json::Error) -> Error {
        Error::Decode {
            endpoint: self.endpoint.clone(),
            path: path.to_owned(),
            write_applied: self.write_applied,
            source,
        }
    }
}

pub(crate) fn decode<T: DeserializeOwned>(
    endpoint: &str,
    body: &[u8],
    write_applied: bool,
) -> Result<T> {
    gigafibre_client_core::decode_json(body).map_err(|e| Error::Decode {
        endpoint: endpoint.to_owned(),
        path: e.path,
        write_applied,
        source: e.source,
    })
}

struct Inner {
    transport: Transport,
    base: Url,
    auth: Auth,
    api_version: ApiVersion,
    page_size: u32,
    site_name: Option<HeaderValue>,
    rate_limit: Mutex<Option<RateLimit>>,
}

/// A Frappe / ERPNext REST client. Cheap to clone (one `Arc` inside); clones share the
/// connection pool, the concurrency limit and the session.
///
/// Build one with [`Client::builder`]; see the crate documentation for a tour.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base.as_str())
            .field("auth", &self.inner.auth)
            .field("api_version", &self.inner.api_version)
            .field("retry", &self.inner.transport.retry)
            .field("timeouts", &self.inner.transport.timeouts)
            .field("max_concurrency", &self.inner.transport.limiter.max())
            .field("page_size", &self.inner.page_size)
            .finish_non_exhaustive()
    }
}

/// Configures a [`Client`]. Created by [`Client::builder`].
pub struct ClientBuilder {
    base_url: String,
    auth: Auth,
    transport: TransportOptions,
    api_version: ApiVersion,
    page_size: u32,
    site_name: Option<String>,
    user_agent: String,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field("auth", &self.auth)
            .field("api_version", &self.api_version)
            .field("retry", self.transport.retry())
            .field("timeouts", self.transport.timeouts())
            .field("max_concurrency", &self.transport.max_concurrency())
            .field("page_size", &self.page_size)
            .finish_non_exhaustive()
    }
}

/// The largest page size the client sends; bigger pages risk the server's request timeout.
pub const MAX_PAGE_SIZE: u32 = 5_000;

impl ClientBuilder {
    fn new(base_url: &str) -> Self {
        Self {
            base_url: base_url.to_owned(),
            auth: Auth::None,
            transport: TransportOptions::new(Self::DEFAULT_MAX_CONCURRENCY),
            api_version: ApiVersion::V1,
            page_size: 100,
            site_name: None,
            user_agent: concat!("frappe-client-rs/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }

    /// API key + secret: `Authorization: token <key>:<secret>` (server-to-server; recommended).
    /// No cookie is ever sent with token auth.
    pub fn token(
        mut self,
        api_key: impl Into<String>,
        api_secret: impl Into<SecretString>,
    ) -> Self {
        self.auth = Auth::Token {
            key: api_key.into(),
            secret: api_secret.into(),
        };
        self
    }

    /// An OAuth 2 access token: `Authorization: Bearer <token>`.
    pub fn bearer(mut self, access_token: impl Into<SecretString>) -> Self {
        self.auth = Auth::Bearer(access_token.into());
        self
    }

    /// Username and password: the client logs in through `/api/method/login` on first use,
    /// keeps the session cookie in its own jar, and logs in again once when the session has
    /// expired (Frappe then answers 403 as if the user were Guest).
    pub fn password(mut self, user: impl Into<String>, password: impl Into<SecretString>) -> Self {
        self.auth = Auth::Session(Box::new(Session {
            user: user.into(),
            password: password.into(),
            cookies: Mutex::new(SessionCookies {
                jar: reqwest::cookie::Jar::default(),
                generation: 0,
            }),
            login: tokio::sync::Mutex::new(false),
        }));
        self
    }

    gigafibre_client_core::transport_setters!(
        max_concurrency = 8,
        http_client = "Give it no cookie store: with token auth no cookie may be sent.",
    );

    /// Chooses v1 (default) or v2 routes.
    pub fn api_version(mut self, v: ApiVersion) -> Self {
        self.api_version = v;
        self
    }

    /// Default page size for lists and streams (default 100, at most [`MAX_PAGE_SIZE`]). It is
    /// always sent explicitly: Frappe's own default of 20 silently truncates.
    pub fn page_size(mut self, n: u32) -> Self {
        self.page_size = n;
        self
    }

    /// Sends `X-Frappe-Site-Name`, to pick a site on a multi-tenant bench.
    pub fn site_name(mut self, site: impl Into<String>) -> Self {
        self.site_name = Some(site.into());
        self
    }

    /// Overrides the `User-Agent` of the client's own connection pool.
    pub fn user_agent(mut self, ua: impl Into<String>) -> Self {
        self.user_agent = ua.into();
        self
    }

    /// Validates the settings and builds the client.
    ///
    /// # Errors
    /// [`Error::Config`] when the URL is not an absolute http(s) URL, a setting is out of range,
    /// or the TLS backend cannot start.
    pub fn build(self) -> Result<Client> {
        let base = gigafibre_client_core::base_url(&self.base_url).map_err(|e| {
            Error::Config(format!("{e}; use .token() or .password() for credentials"))
        })?;
        let user_agent = self.user_agent;
        let transport = self
            .transport
            .build(&user_agent, Ok)
            .map_err(|e| Error::Config(e.to_string()))?;
        if self.page_size == 0 || self.page_size > MAX_PAGE_SIZE {
            return Err(Error::Config(format!(
                "page_size must be between 1 and {MAX_PAGE_SIZE}"
            )));
        }
        if let Auth::Token { key, secret } = &self.auth
            && (key.is_empty() || secret.expose_secret().is_empty())
        {
            return Err(Error::Config(
                "API key and secret must not be empty".to_owned(),
            ));
        }
        let site_name = self
            .site_name
            .map(|s| {
                HeaderValue::from_str(&s)
                    .map_err(|_| Error::Config(format!("site name {s:?} is not a header value")))
            })
            .transpose()?;
        Ok(Client {
            inner: Arc::new(Inner {
                transport,
                base,
                auth: self.auth,
                api_version: self.api_version,
                page_size: self.page_size,
                site_name,
                rate_limit: Mutex::new(None),
            }),
        })
    }
}

impl Client {
    /// Starts configuring a client for the site at `base_url` (`https://erp.example.com`).
    pub fn builder(base_url: impl AsRef<str>) -> ClientBuilder {
        ClientBuilder::new(base_url.as_ref())
    }

    /// A token-auth client from `FRAPPE_URL`, `FRAPPE_API_KEY` and `FRAPPE_API_SECRET`.
    ///
    /// # Errors
    /// [`Error::Config`] naming the missing variable (never its value).
    pub fn from_env() -> Result<Client> {
        let var = |name: &str| {
            std::env::var(name)
                .ok()
                .filter(|v| !v.trim().is_empty())
                .ok_or_else(|| Error::Config(format!("environment variable {name} is not set")))
        };
        Client::builder(var("FRAPPE_URL")?)
            .token(var("FRAPPE_API_KEY")?, var("FRAPPE_API_SECRET")?)
            .build()
    }

    /// The site URL, with a trailing slash.
    pub fn base_url(&self) -> &Url {
        &self.inner.base
    }

    /// The kind of credentials the client sends.
    pub fn auth_scheme(&self) -> AuthScheme {
        self.inner.auth.scheme()
    }

    /// The route generation in use.
    pub fn api_version(&self) -> ApiVersion {
        self.inner.api_version
    }

    /// The default page size of lists.
    pub fn page_size(&self) -> u32 {
        self.inner.page_size
    }

    /// The rate-limit budget reported by the last answer that carried one.
    pub fn rate_limit(&self) -> Option<RateLimit> {
        *self
            .inner
            .rate_limit
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// An URL under the base, one path segment per item, each percent-encoded (spaces, `/` in
    /// document names).
    pub(crate) fn url(&self, segments: &[&str]) -> Url {
        gigafibre_client_core::join(&self.inner.base, segments)
    }

    /// Sends a call with the full policy: session login, concurrency limit, retries, overall
    /// deadline, error decoding.
    pub(crate) async fn execute(&self, call: &Call) -> Result<RawResponse> {
        self.inner
            .transport
            .timeouts
            .within_total(self.execute_with_session(call))
            .await
            .map_err(Error::Timeout)?
    }

    async fn execute_with_session(&self, call: &Call) -> Result<RawResponse> {
        let Auth::Session(session) = &self.inner.auth else {
            return self.with_retries(call).await;
        };
        let generation = {
            let mut logged_in = session.login.lock().await;
            if !*logged_in {
                self.login(session).await?;
                *logged_in = true;
            }
            session.generation()
        };
        match self.with_retries(call).await {
            Err(e) if looks_like_guest(&e) => {
                // An expired `sid` silently turns the request into a Guest request, answered
                // 403 like a missing permission. Unless another request renewed the session
                // meanwhile, find out whether it expired; if so log in once and replay: the
                // first attempt ran as Guest and was refused before doing anything, so
                // replaying it is safe. The replay reads the jar again, so it carries the new
                // session, which no late answer to an older request can have overwritten.
                let mut logged_in = session.login.lock().await;
                if session.generation() == generation {
                    if !self.session_expired(&e).await {
                        return Err(e);
                    }
                    tracing::info!(user = %session.user, "frappe session expired; logging in again");
                    *logged_in = false;
                    self.login(session).await?;
                    *logged_in = true;
                }
                drop(logged_in);
                self.with_retries(call).await
            }
            other => other,
        }
    }

    /// Whether a 403 came from an expired session rather than a missing permission.
    async fn session_expired(&self, err: &Error) -> bool {
        // Frappe 15 says so in the 403's body (`"session_expired": 1`).
        if err.is_session_expired() {
            return true;
        }
        // Servers that don't: `frappe.auth.get_logged_user` is not open to guests, so a Guest
        // gets 403 (or SessionExpired); some deployments answer "Guest" instead.
        match self.logged_user_raw().await {
            Ok(user) => user == "Guest",
            Err(e) => e.is_permission() || e.is_session_expired(),
        }
    }

    async fn login(&self, session: &Session) -> Result<()> {
        let url = self.url(&["api", "method", "login"]);
        let call = Call {
            method: Method::POST,
            url: url.clone(),
            body: Body::Form(vec![
                ("usr".to_owned(), session.user.clone()),
                (
                    "pwd".to_owned(),
                    session.password.expose_secret().to_owned(),
                ),
            ]),
            idempotent: true,
        };
        let resp = self.with_retries(&call).await?;
        let reply: serde_json::Value = serde_json::from_slice(&resp.body).unwrap_or_default();
        if reply.get("verification").is_some() {
            return Err(Error::Config(format!(
                "user {} must pass two-factor verification, which an API client cannot do; use token auth",
                session.user
            )));
        }
        if !session.has_session(&url) {
            let message = reply.get("message").and_then(|m| m.as_str()).unwrap_or("");
            return Err(Error::Config(format!(
                "logging in as {} opened no session (the server answered {message:?})",
                session.user
            )));
        }
        Ok(())
    }

    async fn logged_user_raw(&self) -> Result<String> {
        let call = Call {
            method: Method::GET,
            url: self.url(&["api", "method", "frappe.auth.get_logged_user"]),
            body: Body::Empty,
            idempotent: true,
        };
        let resp = self.with_retries(&call).await?;
        let env: crate::api::methods::V1Message<String> = resp.json()?;
        Ok(env.message.unwrap_or_default())
    }

    async fn with_retries(&self, call: &Call) -> Result<RawResponse> {
        let label = format!("frappe {} {}", call.method, call.url.path());
        gigafibre_client_core::retry(&self.inner.transport.retry, call.idempotent, &label, || {
            self.attempt(call)
        })
        .await
    }

    async fn attempt(&self, call: &Call) -> Result<RawResponse> {
        let inner = &*self.inner;
        let path = call.url.path().to_owned();
        let span = tracing::debug_span!(
            "frappe.request",
            http.method = %call.method,
            http.path = %path,
            http.status_code = tracing::field::Empty,
            otel.kind = "client",
        );
        async {
            let _permit = inner.transport.limiter.acquire().await;
            let mut sent_under = 0;
            let mut rb = inner
                .transport
                .http
                .request(call.method.clone(), call.url.clone())
                .timeout(inner.transport.timeouts.attempt)
                .header(ACCEPT, "application/json");
            if let Some(site) = &inner.site_name {
                rb = rb.header("X-Frappe-Site-Name", site.clone());
            }
            rb = match &inner.auth {
                Auth::None => rb,
                Auth::Token { key, secret } => rb.header(
                    AUTHORIZATION,
                    sensitive(&format!("token {key}:{}", secret.expose_secret()))?,
                ),
                Auth::Bearer(token) => rb.header(
                    AUTHORIZATION,
                    sensitive(&format!("Bearer {}", token.expose_secret()))?,
                ),
                Auth::Session(s) => {
                    let (cookies, generation) = s.cookies_for(&call.url);
                    sent_under = generation;
                    match cookies {
                        Some(mut cookies) => {
                            cookies.set_sensitive(true);
                            rb.header(COOKIE, cookies)
                        }
                        None => rb,
                    }
                }
            };
            rb = match &call.body {
                Body::Empty => rb,
                Body::Json(bytes) => rb
                    .header(CONTENT_TYPE, "application/json")
                    .body(bytes.clone()),
                Body::Form(fields) => rb.form(fields),
                Body::Multipart(parts) => rb.multipart(parts.to_form()?),
            };
            let resp = rb.send().await.map_err(|e| self.send_error(&path, e))?;
            let status = resp.status();
            tracing::Span::current().record("http.status_code", status.as_u16());
            let headers = resp.headers().clone();
            if let Auth::Session(s) = &inner.auth {
                s.store_cookies(&headers, &call.url, sent_under, is_login(call));
            }
            if let Some(rl) = RateLimit::from_headers(&headers) {
                tracing::debug!(remaining = ?rl.remaining, reset = ?rl.reset_secs, "frappe rate limit");
                *inner
                    .rate_limit
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(rl);
            }
            let body = resp.bytes().await.map_err(|e| self.send_error(&path, e))?;
            if status.is_success() {
                Ok(RawResponse {
                    body,
                    endpoint: path,
                    write_applied: !matches!(call.method, Method::GET | Method::HEAD),
                })
            } else {
                let api = ApiError::from_response(status, &headers, &body);
                tracing::debug!(status = status.as_u16(), error = %api, "frappe error answer");
                Err(self.classify(api))
            }
        }
        .instrument(span)
        .await
    }

    fn send_error(&self, path: &str, e: reqwest::Error) -> Error {
        if e.is_timeout() {
            Error::Timeout(self.inner.transport.timeouts.attempt)
        } else {
            Error::transport(path, e)
        }
    }

    fn classify(&self, api: ApiError) -> Error {
        let auth_failure = matches!(
            api.exc_type,
            Some(
                ExcType::AuthenticationError
                    | ExcType::InvalidAuthorizationHeader
                    | ExcType::InvalidAuthorizationPrefix
                    | ExcType::InvalidAuthorizationToken
            )
        );
        let session_expired = matches!(api.exc_type, Some(ExcType::SessionExpired));
        if (api.status == StatusCode::UNAUTHORIZED && !session_expired) || auth_failure {
            Error::Unauthorized {
                scheme: self.inner.auth.scheme(),
                api: Box::new(api),
            }
        } else if matches!(api.exc_type, Some(ExcType::TimestampMismatchError)) {
            Error::Conflict(Box::new(api))
        } else {
            Error::Api(Box::new(api))
        }
    }
}

fn looks_like_guest(e: &Error) -> bool {
    e.is_permission() || e.is_session_expired()
}

/// Whether a call is the login request, whose answer opens a new session generation.
fn is_login(call: &Call) -> bool {
    call.method == Method::POST && call.url.path().ends_with("/api/method/login")
}

fn sensitive(value: &str) -> Result<HeaderValue> {
    gigafibre_client_core::sensitive_header(value).map_err(|e| Error::Config(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_gain_a_trailing_slash_and_segments_are_encoded() {
        let c = Client::builder("https://erp.example.com/sub")
            .build()
            .unwrap();
        assert_eq!(c.base_url().as_str(), "https://erp.example.com/sub/");
        let u = c.url(&["api", "resource", "Sales Invoice", "A/B 1"]);
        assert_eq!(
            u.as_str(),
            "https://erp.example.com/sub/api/resource/Sales%20Invoice/A%2FB%201"
        );
    }

    #[test]
    fn bad_configuration_is_a_typed_error() {
        for url in ["not a url", "ftp://x", "https://user:pw@x.example"] {
            assert!(
                matches!(Client::builder(url).build(), Err(Error::Config(_))),
                "{url}"
            );
        }
        assert!(matches!(
            Client::builder("http://x").page_size(0).build(),
            Err(Error::Config(_))
        ));
        assert!(matches!(
            Client::builder("http://x").token("", "s").build(),
            Err(Error::Config(_))
        ));
        for n in [0, usize::MAX] {
            let e = Client::builder("http://x").max_concurrency(n).build();
            assert!(
                matches!(&e, Err(Error::Config(m)) if m.contains("max_concurrency must be between 1 and")),
                "{e:?}"
            );
        }
    }

    #[test]
    fn debug_output_never_shows_secrets() {
        let c = Client::builder("http://x")
            .token("key1", "very-secret")
            .build()
            .unwrap();
        let s = format!("{c:?}");
        assert!(s.contains("key1") && !s.contains("very-secret"), "{s}");
        let c = Client::builder("http://x")
            .password("u", "pw-secret")
            .build()
            .unwrap();
        assert!(!format!("{c:?}").contains("pw-secret"));
    }
}
