//! [`Client`], its builder, and the request pipeline every handler goes through: auth (bearer,
//! session cookie with one re-login on 401, basic), `Accept: application/json`, the concurrency
//! limit, per-attempt timeouts, retries of `GET`s, error mapping.

use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use gigafibre_client_core::{ErrorBody, TimeoutConfig, Transport, TransportOptions};
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, COOKIE, SET_COOKIE, WWW_AUTHENTICATE};
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use tracing::Instrument;
use url::Url;

use crate::error::{TRACE_EXCERPT_CHARS, from_exception, truncate};
use crate::models::{Server, User};
use crate::version::Version;
use crate::{Error, Result};

/// How the client authenticates.
pub(crate) enum Auth {
    None,
    Bearer(SecretString),
    Basic {
        user: String,
        password: SecretString,
    },
    Session {
        email: String,
        password: SecretString,
        totp: Option<SecretString>,
    },
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::None => f.write_str("None"),
            Auth::Bearer(_) => f.write_str("Bearer([redacted])"),
            Auth::Basic { user, .. } => {
                write!(f, "Basic {{ user: {user:?}, password: [redacted] }}")
            }
            Auth::Session { email, totp, .. } => write!(
                f,
                "Session {{ email: {email:?}, password: [redacted], totp: {} }}",
                if totp.is_some() { "[redacted]" } else { "None" }
            ),
        }
    }
}

/// A successful answer, fully read.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    pub(crate) endpoint: String,
}

impl Answer {
    /// Decodes the body, naming the JSON path on failure.
    pub(crate) fn json<T: DeserializeOwned>(&self) -> Result<T> {
        gigafibre_client_core::decode_json(&self.body).map_err(|e| Error::Decode {
            endpoint: self.endpoint.clone(),
            path: e.path,
            source: e.source,
        })
    }
}

/// A request body with its content type.
#[derive(Debug, Clone)]
pub(crate) struct Body {
    pub(crate) bytes: Bytes,
    pub(crate) content_type: &'static str,
}

impl Body {
    pub(crate) fn json<T: serde::Serialize>(value: &T) -> Result<Self> {
        let bytes = serde_json::to_vec(value)
            .map_err(|e| Error::InvalidInput(format!("could not encode the body: {e}")))?;
        Ok(Self {
            bytes: bytes.into(),
            content_type: "application/json",
        })
    }

    pub(crate) fn form(pairs: &[(&str, &str)]) -> Self {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs {
            s.append_pair(k, v);
        }
        Self {
            bytes: s.finish().into(),
            content_type: "application/x-www-form-urlencoded",
        }
    }
}

/// How the many-device calls fan out, and how history is paged.
#[derive(Debug, Clone)]
pub(crate) struct Tuning {
    pub(crate) fan_out: usize,
    pub(crate) history_window: chrono::Duration,
    pub(crate) max_positions: usize,
    pub(crate) assumed_version: Option<Version>,
}

struct Inner {
    transport: Transport,
    base: Url,
    auth: Auth,
    tuning: Tuning,
    /// The session cookie (`JSESSIONID=...`) of session auth, once logged in.
    cookie: tokio::sync::Mutex<Option<SecretString>>,
    version: RwLock<Option<Version>>,
}

/// A Traccar client. Cheap to clone (one `Arc` inside); clones share the connection pool, the
/// concurrency limit, the session cookie and the server version once read.
///
/// Build one with [`Client::builder`].
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base.as_str())
            .field("auth", &self.inner.auth)
            .field("retry", &self.inner.transport.retry)
            .field("timeouts", &self.inner.transport.timeouts)
            .field("tuning", &self.inner.tuning)
            .finish_non_exhaustive()
    }
}

/// Configures a [`Client`]. Created by [`Client::builder`].
pub struct ClientBuilder {
    base_url: String,
    auth: Auth,
    transport: TransportOptions,
    tuning: Tuning,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field("auth", &self.auth)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// A bearer token (Traccar 6.2+): a token from `POST /api/session/token` or the server's
    /// `web.serviceAccountToken`. The primary mode.
    pub fn bearer(mut self, token: impl Into<SecretString>) -> Self {
        self.auth = Auth::Bearer(token.into());
        self
    }

    /// Session login: `POST /api/session` with the form fields `email` and `password` (the
    /// email also matches the user's login), then the `JSESSIONID` cookie on every request.
    /// After a 401 the client logs in again once and replays the request. For servers before
    /// 6.2, which have no bearer tokens.
    pub fn session(mut self, email: impl Into<String>, password: impl Into<SecretString>) -> Self {
        self.auth = Auth::Session {
            email: email.into(),
            password: password.into(),
            totp: None,
        };
        self
    }

    /// A TOTP code sent with the session login (form field `code`), for an account with
    /// two-factor login. Only meaningful with [`session`](Self::session).
    pub fn totp_code(mut self, code: impl Into<SecretString>) -> Self {
        if let Auth::Session { totp, .. } = &mut self.auth {
            *totp = Some(code.into());
        }
        self
    }

    /// HTTP Basic on every request. Each request runs a full login on the server (password
    /// hash, LDAP): fine for low volume; prefer a token.
    pub fn basic(mut self, user: impl Into<String>, password: impl Into<SecretString>) -> Self {
        self.auth = Auth::Basic {
            user: user.into(),
            password: password.into(),
        };
        self
    }

    gigafibre_client_core::transport_setters!(
        max_concurrency = 16,
        retry = "Only `GET`s are retried after they reached the server.",
        max_concurrency_doc = "The per-device fan-out of \
            [`Positions::latest_many`](crate::Positions::latest_many) runs within it.",
    );

    /// The window size history is fetched in (default 1 day); see
    /// [`Positions::history`](crate::Positions::history).
    pub fn history_window(mut self, window: Duration) -> Self {
        self.tuning.history_window =
            chrono::Duration::from_std(window).unwrap_or(chrono::Duration::days(1));
        self
    }

    /// The server's `report.maxPositions` (default 50 000): a history page that returns this
    /// many positions may have been cut, so its window is split and fetched again.
    pub fn max_positions(mut self, n: usize) -> Self {
        self.tuning.max_positions = n;
        self
    }

    /// Assume this server version instead of reading `/api/server` before a version-gated
    /// parameter is sent.
    pub fn assume_version(mut self, version: Version) -> Self {
        self.tuning.assumed_version = Some(version);
        self
    }

    /// Validates the settings and builds the client.
    ///
    /// # Errors
    /// [`Error::Config`] for a bad URL or limit.
    pub fn build(self) -> Result<Client> {
        let base = api_base(&self.base_url)?;
        let transport = self
            .transport
            .build(concat!("traccar-client-rs/", env!("CARGO_PKG_VERSION")), Ok)
            .map_err(|e| Error::Config(e.to_string()))?;
        if self.tuning.max_positions == 0 || self.tuning.history_window <= chrono::Duration::zero()
        {
            return Err(Error::Config(
                "max_positions and history_window must be positive".to_owned(),
            ));
        }
        let mut tuning = self.tuning;
        tuning.fan_out = transport.limiter.max();
        let version = tuning.assumed_version;
        Ok(Client {
            inner: Arc::new(Inner {
                transport,
                base,
                auth: self.auth,
                tuning,
                cookie: tokio::sync::Mutex::new(None),
                version: RwLock::new(version),
            }),
        })
    }
}

/// The API base: the server URL with `api/` appended unless it already ends in `/api`.
pub(crate) fn api_base(raw: &str) -> Result<Url> {
    let base = gigafibre_client_core::base_url(raw).map_err(|e| Error::Config(e.to_string()))?;
    if base.path().ends_with("/api/") {
        Ok(base)
    } else {
        base.join("api/")
            .map_err(|e| Error::Config(format!("base URL: {e}")))
    }
}

impl Client {
    /// Starts configuring a client for the Traccar server at `base_url`
    /// (`https://gps.example.com` or `http://traccar:8082/api`: `/api` is added when missing).
    pub fn builder(base_url: impl AsRef<str>) -> ClientBuilder {
        ClientBuilder {
            base_url: base_url.as_ref().to_owned(),
            auth: Auth::None,
            transport: TransportOptions::new(ClientBuilder::DEFAULT_MAX_CONCURRENCY),
            tuning: Tuning {
                fan_out: ClientBuilder::DEFAULT_MAX_CONCURRENCY,
                history_window: chrono::Duration::days(1),
                max_positions: 50_000,
                assumed_version: None,
            },
        }
    }

    /// A client from `TRACCAR_URL`, with `TRACCAR_TOKEN` (bearer) or `TRACCAR_USER` +
    /// `TRACCAR_PASSWORD` (session login) when set.
    ///
    /// # Errors
    /// [`Error::Config`] naming the missing variable (never a value).
    pub fn from_env() -> Result<Client> {
        use gigafibre_client_core::env::{EnvAuth, connection_from_env};
        let c = connection_from_env("TRACCAR").map_err(|e| Error::Config(e.to_string()))?;
        let b = Client::builder(c.url);
        match c.auth {
            EnvAuth::Token(token) => b.bearer(token),
            EnvAuth::UserPassword(user, password) => b.session(user, password),
            _ => b,
        }
        .build()
    }

    /// The API base URL (ends in `/api/`).
    pub fn base_url(&self) -> &Url {
        &self.inner.base
    }

    pub(crate) fn auth(&self) -> &Auth {
        &self.inner.auth
    }

    pub(crate) fn tuning(&self) -> &Tuning {
        &self.inner.tuning
    }

    pub(crate) fn timeouts(&self) -> &TimeoutConfig {
        &self.inner.transport.timeouts
    }

    /// The base plus segments, each percent-encoded.
    pub(crate) fn url(&self, segments: &[&str]) -> Url {
        gigafibre_client_core::join(&self.inner.base, segments)
    }

    /// `GET /api/server` (no auth needed): the server's settings and `version`. The version is
    /// remembered and gates newer parameters.
    ///
    /// # Errors
    /// Transport, timeout or decode errors.
    pub async fn server(&self) -> Result<Server> {
        let answer = self
            .execute(Method::GET, self.url(&["server"]), None)
            .await?;
        let server: Server = answer.json()?;
        if let Some(v) = server.version.as_deref().and_then(Version::parse)
            && let Ok(mut slot) = self.inner.version.write()
        {
            *slot = Some(v);
        }
        Ok(server)
    }

    /// The server version: the one assumed, or read from `/api/server` once (then cached).
    ///
    /// # Errors
    /// Those of [`server`](Self::server); [`Error::Decode`] when the server reports no
    /// readable version.
    pub async fn version(&self) -> Result<Version> {
        if let Some(v) = self.inner.version.read().ok().and_then(|v| *v) {
            return Ok(v);
        }
        let server = self.server().await?;
        server
            .version
            .as_deref()
            .and_then(Version::parse)
            .ok_or_else(|| Error::Decode {
                endpoint: "/api/server".to_owned(),
                path: "version".to_owned(),
                source: serde::de::Error::custom("no readable version"),
            })
    }

    /// Refuses `feature` with [`Error::Unsupported`] when the server is older than `since`.
    pub(crate) async fn require(&self, feature: &'static str, since: Version) -> Result<()> {
        let server = self.version().await?;
        if server < since {
            return Err(Error::Unsupported {
                feature,
                since,
                server,
            });
        }
        Ok(())
    }

    /// Logs in (`POST /api/session`) with the session credentials, keeps the cookie and
    /// returns the user. With bearer or basic auth, `GET /api/session` returns the user.
    ///
    /// # Errors
    /// [`Error::Unauthorized`] (with `totp_required` when the account needs a code).
    pub async fn login(&self) -> Result<User> {
        match &self.inner.auth {
            Auth::Session { .. } => {
                let mut slot = self.inner.cookie.lock().await;
                let (cookie, user) = self.post_session().await?;
                *slot = Some(cookie);
                Ok(user)
            }
            _ => self
                .execute(Method::GET, self.url(&["session"]), None)
                .await?
                .json(),
        }
    }

    /// Ends the session (`DELETE /api/session`) and forgets the cookie.
    ///
    /// # Errors
    /// Transport errors.
    pub async fn logout(&self) -> Result<()> {
        self.execute(Method::DELETE, self.url(&["session"]), None)
            .await?;
        *self.inner.cookie.lock().await = None;
        Ok(())
    }

    /// The session cookie, logging in first when there is none. `None` unless session auth.
    pub(crate) async fn session_cookie(&self) -> Result<Option<SecretString>> {
        if !matches!(self.inner.auth, Auth::Session { .. }) {
            return Ok(None);
        }
        let mut slot = self.inner.cookie.lock().await;
        if let Some(c) = slot.as_ref() {
            return Ok(Some(c.clone()));
        }
        let (cookie, _) = self.post_session().await?;
        *slot = Some(cookie.clone());
        Ok(Some(cookie))
    }

    /// Logs in again unless another task already replaced the `stale` cookie.
    async fn relogin(&self, stale: &SecretString) -> Result<()> {
        let mut slot = self.inner.cookie.lock().await;
        if slot
            .as_ref()
            .is_some_and(|c| c.expose_secret() != stale.expose_secret())
        {
            return Ok(());
        }
        *slot = None;
        let (cookie, _) = self.post_session().await?;
        *slot = Some(cookie);
        Ok(())
    }

    /// A fresh session cookie from basic credentials (the WebSocket takes no Basic header).
    pub(crate) async fn basic_session(&self) -> Result<SecretString> {
        let Auth::Basic { user, password } = &self.inner.auth else {
            return Err(Error::Config("not configured for basic auth".to_owned()));
        };
        Ok(self.post_session_with(user, password, None).await?.0)
    }

    async fn post_session(&self) -> Result<(SecretString, User)> {
        let Auth::Session {
            email,
            password,
            totp,
        } = &self.inner.auth
        else {
            return Err(Error::Config("not configured for session login".to_owned()));
        };
        self.post_session_with(email, password, totp.as_ref()).await
    }

    async fn post_session_with(
        &self,
        email: &str,
        password: &SecretString,
        totp: Option<&SecretString>,
    ) -> Result<(SecretString, User)> {
        let mut fields = vec![("email", email), ("password", password.expose_secret())];
        if let Some(code) = totp {
            fields.push(("code", code.expose_secret()));
        }
        let body = Body::form(&fields);
        let url = self.url(&["session"]);
        let answer = gigafibre_client_core::retry(
            &self.inner.transport.retry,
            false,
            "traccar login",
            || {
                self.attempt(
                    Method::POST,
                    url.clone(),
                    Some(body.clone()),
                    Creds::Anonymous,
                )
            },
        )
        .await?;
        let cookie = answer
            .headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| {
                let pair = v.split(';').next()?.trim();
                pair.starts_with("JSESSIONID=").then(|| pair.to_owned())
            })
            .ok_or_else(|| Error::Config("the login answer set no JSESSIONID cookie".to_owned()))?;
        let user = answer.json()?;
        Ok((SecretString::from(cookie), user))
    }

    /// Sends a request with the full policy: auth, concurrency limit, per-attempt timeout,
    /// retries of `GET`s, overall deadline, error mapping; with session auth, one re-login
    /// and replay after a 401.
    pub(crate) async fn execute(
        &self,
        method: Method,
        url: Url,
        body: Option<Body>,
    ) -> Result<Answer> {
        let idempotent = method == Method::GET;
        let label = format!("traccar {method} {}", url.path());
        let run =
            gigafibre_client_core::retry(&self.inner.transport.retry, idempotent, &label, || {
                self.attempt_authed(method.clone(), url.clone(), body.clone())
            });
        self.inner
            .transport
            .timeouts
            .within_total(run)
            .await
            .map_err(Error::Timeout)?
    }

    async fn attempt_authed(&self, method: Method, url: Url, body: Option<Body>) -> Result<Answer> {
        let Some(cookie) = self.session_cookie().await? else {
            return self.attempt(method, url, body, Creds::Configured).await;
        };
        let first = self
            .attempt(
                method.clone(),
                url.clone(),
                body.clone(),
                Creds::Cookie(cookie.clone()),
            )
            .await;
        match first {
            Err(Error::Unauthorized { .. }) => {
                tracing::debug!(path = url.path(), "session expired; logging in again");
                self.relogin(&cookie).await?;
                let cookie = self.session_cookie().await?.unwrap_or(cookie);
                self.attempt(method, url, body, Creds::Cookie(cookie)).await
            }
            other => other,
        }
    }

    async fn attempt(
        &self,
        method: Method,
        url: Url,
        body: Option<Body>,
        creds: Creds,
    ) -> Result<Answer> {
        let inner = &*self.inner;
        let path = url.path().to_owned();
        let attempt_timeout = inner.transport.timeouts.attempt;
        let span =
            tracing::debug_span!("traccar.request", http.method = %method, http.path = %path);
        async {
            let _permit = inner.transport.limiter.acquire().await;
            let mut rb = inner
                .transport
                .http
                .request(method, url)
                .timeout(attempt_timeout)
                .header(ACCEPT, HeaderValue::from_static("application/json"));
            let sensitive = |v: &str| {
                gigafibre_client_core::sensitive_header(v).map_err(|e| Error::Config(e.to_string()))
            };
            match creds {
                Creds::Anonymous => {}
                Creds::Cookie(c) => rb = rb.header(COOKIE, sensitive(c.expose_secret())?),
                Creds::Configured => match &inner.auth {
                    Auth::None | Auth::Session { .. } => {}
                    Auth::Bearer(t) => {
                        rb = rb.header(
                            AUTHORIZATION,
                            sensitive(&format!("Bearer {}", t.expose_secret()))?,
                        );
                    }
                    Auth::Basic { user, password } => {
                        rb = rb.header(AUTHORIZATION, sensitive(&basic_value(user, password))?);
                    }
                },
            }
            if let Some(b) = body {
                rb = rb
                    .header(CONTENT_TYPE, HeaderValue::from_static(b.content_type))
                    .body(b.bytes);
            }
            let resp = rb
                .send()
                .await
                .map_err(|e| send_error(&path, e, attempt_timeout))?;
            let status = resp.status();
            let headers = resp.headers().clone();
            let body = resp
                .bytes()
                .await
                .map_err(|e| send_error(&path, e, attempt_timeout))?;
            if status.is_success() {
                return Ok(Answer {
                    headers,
                    body,
                    endpoint: path,
                });
            }
            Err(error_from_answer(status, &headers, &body, path))
        }
        .instrument(span)
        .await
    }
}

/// Which credentials an attempt carries.
enum Creds {
    /// None (the login itself).
    Anonymous,
    /// The configured bearer or basic header.
    Configured,
    /// The session cookie.
    Cookie(SecretString),
}

pub(crate) fn basic_value(user: &str, password: &SecretString) -> String {
    let raw = format!("{user}:{}", password.expose_secret());
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

/// Maps an error answer to [`Error`].
pub(crate) fn error_from_answer(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    path: String,
) -> Error {
    let captured = ErrorBody::capture(status, headers, body);
    match status.as_u16() {
        401 => Error::Unauthorized {
            totp_required: headers.get_all(WWW_AUTHENTICATE).iter().any(|v| {
                v.to_str()
                    .is_ok_and(|v| v.trim().eq_ignore_ascii_case("TOTP"))
            }),
        },
        404 => Error::NotFound { path },
        400 => from_exception(status, &captured.text),
        _ => {
            let text = captured.text.trim();
            // A stack trace under another status (a 500 from a servlet filter) is still typed.
            if text.lines().next().is_some_and(|l| l.contains("Exception")) {
                from_exception(status, text)
            } else {
                Error::Api {
                    status,
                    excerpt: truncate(text, TRACE_EXCERPT_CHARS),
                    retry_after: captured.retry_after,
                }
            }
        }
    }
}

fn send_error(path: &str, e: reqwest::Error, attempt: Duration) -> Error {
    if e.is_timeout() {
        Error::Timeout(attempt)
    } else {
        Error::Transport {
            path: path.to_owned(),
            source: e.without_url(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_base_is_joined_once() {
        for (raw, want) in [
            ("http://t:8082", "http://t:8082/api/"),
            ("http://t:8082/", "http://t:8082/api/"),
            ("http://t:8082/api", "http://t:8082/api/"),
            ("http://t:8082/api/", "http://t:8082/api/"),
            (
                "https://gps.example.com/traccar",
                "https://gps.example.com/traccar/api/",
            ),
        ] {
            assert_eq!(api_base(raw).unwrap().as_str(), want, "{raw}");
        }
        assert!(api_base("https://u:secret@x").is_err());
        assert!(!format!("{:?}", api_base("https://u:secret@x")).contains("secret"));
    }

    #[test]
    fn the_fan_out_follows_the_concurrency_limit() {
        let c = Client::builder("http://t:8082").build().unwrap();
        assert_eq!(c.inner.tuning.fan_out, 16);
        assert_eq!(c.inner.transport.limiter.max(), 16);
        let c = Client::builder("http://t:8082")
            .max_concurrency(3)
            .build()
            .unwrap();
        assert_eq!(c.inner.tuning.fan_out, 3);
        for n in [0, usize::MAX] {
            let e = Client::builder("http://t:8082")
                .max_concurrency(n)
                .build()
                .unwrap_err();
            assert!(
                e.to_string()
                    .contains("max_concurrency must be between 1 and"),
                "{e}"
            );
        }
    }

    #[test]
    fn debug_hides_secrets() {
        let c = Client::builder("http://t:8082")
            .session("ops@example.com", "hunter2")
            .totp_code("123456")
            .build()
            .unwrap();
        let d = format!("{c:?}");
        assert!(d.contains("ops@example.com") && !d.contains("hunter2") && !d.contains("123456"));
        let c = Client::builder("http://t:8082")
            .bearer("tok-abc")
            .build()
            .unwrap();
        assert!(!format!("{c:?}").contains("tok-abc"));
        let c = Client::builder("http://t:8082")
            .basic("u", "pw-xyz")
            .build()
            .unwrap();
        assert!(!format!("{c:?}").contains("pw-xyz"));
    }

    #[test]
    fn error_answers_are_typed() {
        let mut h = HeaderMap::new();
        assert!(matches!(
            error_from_answer(StatusCode::UNAUTHORIZED, &h, b"", String::new()),
            Error::Unauthorized {
                totp_required: false
            }
        ));
        h.insert(WWW_AUTHENTICATE, HeaderValue::from_static("TOTP"));
        assert!(matches!(
            error_from_answer(StatusCode::UNAUTHORIZED, &h, b"", String::new()),
            Error::Unauthorized {
                totp_required: true
            }
        ));
        let e = error_from_answer(
            StatusCode::NOT_FOUND,
            &HeaderMap::new(),
            b"",
            "/api/devices/9".into(),
        );
        assert!(e.is_not_found());
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_static("3"));
        let e = error_from_answer(
            StatusCode::SERVICE_UNAVAILABLE,
            &h,
            b"<html>busy</html>",
            String::new(),
        );
        assert!(
            matches!(e, Error::Api { retry_after: Some(d), .. } if d == Duration::from_secs(3))
        );
    }
}
