//! The native client: one [`Router`] per router, the owner of its single admin session.
//!
//! A router admits one logged-in administrator at a time (PROTOCOL §7.3) and its httpd serves
//! one request at a time, so every request to one router goes through one lock: the session is
//! reused, logged in again when the router ended it (another login, expiry), and logged out by
//! [`Router::logout`]. Failed logins are counted: after `max_failed_logins` (3; the router locks
//! after about 5) the client pauses logins and answers [`Error::LockedOut`] with the wait,
//! instead of tripping the router's lock-out.

use std::sync::Arc;
use std::time::{Duration, Instant};

use gigafibre_client_core::RetryConfig;
use http::header::{ACCEPT, CONTENT_TYPE, COOKIE, ORIGIN, REFERER, SET_COOKIE};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value};
use tokio::sync::Mutex;
use url::Url;

use crate::crypto::{RsaPublicKey, SessionKey, Variant, credential_hash};
use crate::models::RouterStatus;
use crate::protocol::{
    Answer, KeyParams, Op, ROOT_STACK, command_payload, extract_token, login_payload,
    logout_payload, parse_answer, parse_key_params, ret_code, script_vars, seal_request,
};
use crate::{Error, Result};

/// What to do when someone is already logged in to the router's web UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum BusyPolicy {
    /// Refuse with [`Error::Busy`] (a login would log the person out). The default.
    #[default]
    FailIfBusy,
    /// Log in anyway, ending the other session.
    TakeOver,
}

/// Configures a [`Router`]. Created by [`Router::builder`].
pub struct RouterBuilder {
    base: String,
    username: String,
    password: SecretString,
    variant: Option<Variant>,
    busy: BusyPolicy,
    timeout: Duration,
    max_failed_logins: u32,
    login_pause: Duration,
    relogin: bool,
    http: Option<reqwest::Client>,
    accept_invalid_certs: bool,
}

impl std::fmt::Debug for RouterBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RouterBuilder")
            .field("base", &self.base)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl RouterBuilder {
    /// The web account (default `user`, the JSON-dialect firmware's account).
    pub fn username(mut self, username: impl Into<String>) -> Self {
        self.username = username.into();
        self
    }

    /// The crypto variant, when known (default: detected at the first login — CBC, then GCM —
    /// and remembered).
    pub fn variant(mut self, variant: Variant) -> Self {
        self.variant = Some(variant);
        self
    }

    /// What to do when someone is logged in to the web UI (default [`BusyPolicy::FailIfBusy`]).
    pub fn busy_policy(mut self, policy: BusyPolicy) -> Self {
        self.busy = policy;
        self
    }

    /// The timeout of each request (default 10 s; the router is slow).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Failed logins before this client pauses logins (default 3), and for how long (default
    /// 5 min). The router locks its account after about 5 failures.
    pub fn login_guard(mut self, max_failed_logins: u32, pause: Duration) -> Self {
        self.max_failed_logins = max_failed_logins.max(1);
        self.login_pause = pause;
        self
    }

    /// Whether a session the router ended (another login, expiry) is logged in again at the
    /// next request (default true; the busy policy still applies).
    pub fn relogin(mut self, on: bool) -> Self {
        self.relogin = on;
        self
    }

    /// Shares a `reqwest::Client` (connection pool) across routers. Cookies are handled by the
    /// router handle, not the client.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Accepts the router's self-signed or weak HTTPS certificate (many firmwares serve one
    /// that modern TLS refuses). Only for `https://` addresses.
    pub fn accept_invalid_certs(mut self, on: bool) -> Self {
        self.accept_invalid_certs = on;
        self
    }

    /// Builds the handle. Nothing is sent until the first request.
    ///
    /// # Errors
    /// [`Error::Config`] for an unusable address.
    pub fn build(self) -> Result<Router> {
        let base = router_url(&self.base)?;
        let origin = format!(
            "{}://{}",
            base.scheme(),
            &base[url::Position::BeforeHost..url::Position::AfterPort]
        );
        let http = match self.http {
            Some(h) => h,
            None => {
                let b = reqwest::Client::builder()
                    .connect_timeout(self.timeout.min(Duration::from_secs(5)))
                    .user_agent(concat!("tplink-bridge/", env!("CARGO_PKG_VERSION")));
                #[cfg(any(feature = "rustls", feature = "native-tls"))]
                let b = b.tls_danger_accept_invalid_certs(self.accept_invalid_certs);
                b.build()
                    .map_err(|e| Error::Config(format!("HTTP client: {e}")))?
            }
        };
        let hash = credential_hash(&self.username, self.password.expose_secret());
        Ok(Router {
            inner: Arc::new(Inner {
                http,
                referer: format!("{origin}/"),
                origin,
                base,
                admin_hint: self.username == "admin",
                username: self.username,
                password: self.password,
                hash: SecretString::from(hash),
                variant: self.variant,
                busy: self.busy,
                timeout: self.timeout,
                max_failed_logins: self.max_failed_logins,
                login_pause: self.login_pause,
                relogin: self.relogin,
                retry: RetryConfig::standard()
                    .with_max_attempts(3)
                    .with_initial_backoff(Duration::from_millis(50))
                    .with_max_backoff(Duration::from_millis(200)),
                state: Mutex::new(State::default()),
            }),
        })
    }
}

/// `http://192.0.2.10` or `192.0.2.10:8080` → `http://192.0.2.10:8080/`.
pub(crate) fn router_url(address: &str) -> Result<Url> {
    let a = address.trim();
    let with_scheme = if a.contains("://") {
        a.to_owned()
    } else {
        format!("http://{a}")
    };
    let url = Url::parse(&with_scheme)
        .map_err(|_| Error::Config(format!("{a:?} is not a router address")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(Error::Config(format!("{a:?} is not a router address")));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::Config(
            "put the router's credentials in the builder, not in its address".to_owned(),
        ));
    }
    let mut url = url;
    url.set_path("/");
    url.set_query(None);
    url.set_fragment(None);
    Ok(url)
}

/// A logged-in session.
struct Session {
    key: SessionKey,
    rsa: RsaPublicKey,
    seq: u64,
    sid: String,
    token: String,
}

#[derive(Default)]
struct State {
    session: Option<Session>,
    learned: Option<Variant>,
    failures: u32,
    paused_until: Option<Instant>,
}

struct Inner {
    http: reqwest::Client,
    base: Url,
    origin: String,
    referer: String,
    username: String,
    password: SecretString,
    hash: SecretString,
    admin_hint: bool,
    variant: Option<Variant>,
    busy: BusyPolicy,
    timeout: Duration,
    max_failed_logins: u32,
    login_pause: Duration,
    relogin: bool,
    retry: RetryConfig,
    state: Mutex<State>,
}

/// A router: the owner of its admin session. Cheap to clone; clones share the session, so
/// hold one per router.
#[derive(Clone)]
pub struct Router {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Router {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Router")
            .field("address", &self.inner.base.as_str())
            .field("username", &self.inner.username)
            .finish_non_exhaustive()
    }
}

/// A raw HTTP answer.
struct Reply {
    status: StatusCode,
    sid: Option<String>,
    body: String,
}

impl Router {
    /// Starts configuring the router at `address` (`192.0.2.10`, `127.0.0.1:8080`,
    /// `http://…`) with its web password (the account defaults to `user`).
    pub fn builder(address: impl Into<String>, password: impl Into<SecretString>) -> RouterBuilder {
        RouterBuilder {
            base: address.into(),
            username: "user".to_owned(),
            password: password.into(),
            variant: None,
            busy: BusyPolicy::default(),
            timeout: Duration::from_secs(10),
            max_failed_logins: 3,
            login_pause: Duration::from_secs(300),
            relogin: true,
            http: None,
            accept_invalid_certs: false,
        }
    }

    /// The router's address.
    pub fn address(&self) -> &Url {
        &self.inner.base
    }

    /// The crypto variant in use (configured or learned at login), once known.
    pub async fn variant(&self) -> Option<Variant> {
        let st = self.inner.state.lock().await;
        st.session
            .as_ref()
            .map(|s| s.key.variant())
            .or(st.learned)
            .or(self.inner.variant)
    }

    /// Whether this handle holds a session now.
    pub async fn is_logged_in(&self) -> bool {
        self.inner.state.lock().await.session.is_some()
    }

    /// Whether someone (this handle included) is logged in to the web UI (`/cgi/getBusy`).
    pub async fn is_busy(&self) -> Result<bool> {
        self.get_busy().await
    }

    async fn send(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<String>,
        session: Option<&Session>,
    ) -> Result<Reply> {
        let inner = &*self.inner;
        let url = format!("{}{}", inner.origin, path_and_query);
        let mut rb = inner
            .http
            .request(method, url)
            .timeout(inner.timeout)
            .header(REFERER, &inner.referer)
            .header(ORIGIN, &inner.origin)
            .header("X-Requested-With", "XMLHttpRequest")
            .header(ACCEPT, "text/plain, */*; q=0.01");
        if let Some(s) = session {
            rb = rb
                .header(COOKIE, format!("JSESSIONID={}", s.sid))
                .header("TokenID", &s.token);
        }
        if let Some(b) = body {
            rb = rb.header(CONTENT_TYPE, "text/plain").body(b);
        }
        let resp = rb
            .send()
            .await
            .map_err(|e| transport_error(e, inner.timeout))?;
        let status = resp.status();
        let sid = resp
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|c| {
                let v = c.strip_prefix("JSESSIONID=")?;
                let v = v.split(';').next()?.trim();
                (!v.is_empty() && v != "deleted").then(|| v.to_owned())
            });
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| transport_error(e, inner.timeout))?;
        Ok(Reply {
            status,
            sid,
            // Device names can hold invalid UTF-8: read lossily.
            body: String::from_utf8_lossy(&bytes).into_owned(),
        })
    }

    /// A request that may be replayed (reads): retried on the router's transient 500/406.
    async fn send_idempotent(
        &self,
        method: Method,
        path: &str,
        body: Option<String>,
        session: Option<&Session>,
    ) -> Result<Reply> {
        gigafibre_client_core::retry(&self.inner.retry, true, "tplink", || async {
            let r = self
                .send(method.clone(), path, body.clone(), session)
                .await?;
            if matches!(r.status.as_u16(), 406 | 500) {
                return Err(Error::Http { status: r.status });
            }
            Ok(r)
        })
        .await
    }

    async fn key_params(&self) -> Result<KeyParams> {
        let r = self
            .send_idempotent(Method::POST, "/cgi/getGDPRParm", Some(String::new()), None)
            .await?;
        if r.status != StatusCode::OK {
            return Err(Error::Http { status: r.status });
        }
        parse_key_params(&r.body).ok_or_else(|| {
            Error::Protocol("the key fetch has no usable RSA key and seq".to_owned())
        })
    }

    async fn get_busy(&self) -> Result<bool> {
        let r = self
            .send_idempotent(Method::POST, "/cgi/getBusy", Some(String::new()), None)
            .await?;
        if r.status != StatusCode::OK {
            return Err(Error::Http { status: r.status });
        }
        Ok(script_vars(&r.body)
            .iter()
            .any(|(k, v)| k == "isLogined" && v == "1"))
    }

    /// Logs in (the state lock is held by the caller).
    async fn login(&self, st: &mut State) -> Result<()> {
        let inner = &*self.inner;
        if let Some(until) = st.paused_until {
            let now = Instant::now();
            if now < until {
                return Err(Error::LockedOut { wait: until - now });
            }
            st.paused_until = None;
            st.failures = 0;
        }
        if inner.busy == BusyPolicy::FailIfBusy && self.get_busy().await? {
            return Err(Error::Busy);
        }
        let variants: Vec<Variant> = match inner.variant.or(st.learned) {
            Some(v) => vec![v],
            None => vec![Variant::Cbc, Variant::Gcm],
        };
        let mut mismatch = None;
        for variant in variants {
            match self.login_with(st, variant).await {
                Err(Error::Protocol(m)) => mismatch = Some(m),
                other => return other,
            }
        }
        Err(Error::Protocol(
            mismatch.unwrap_or_else(|| "no crypto variant answered".to_owned()),
        ))
    }

    async fn login_with(&self, st: &mut State, variant: Variant) -> Result<()> {
        let inner = &*self.inner;
        let params = self.key_params().await?;
        let rsa = RsaPublicKey::from_hex(&params.n_hex, &params.e_hex)
            .map_err(|e| Error::Protocol(e.to_string()))?;
        let key = SessionKey::generate(variant);
        let payload = login_payload(&inner.username, inner.password.expose_secret());
        let env = seal_request(
            &key,
            &rsa,
            inner.hash.expose_secret(),
            params.seq,
            &payload,
            true,
        )
        .map_err(|e| Error::Protocol(e.to_string()))?;
        // A login is never replayed: each try may count as a failed attempt.
        let r = self
            .send(Method::POST, "/cgi_gdpr?9", Some(env.to_body()), None)
            .await?;
        if r.status != StatusCode::OK {
            return Err(Error::Http { status: r.status });
        }
        let text = if r.body.contains("$.ret=") {
            r.body.clone()
        } else {
            match key.open_answer(&r.body) {
                Ok(p) => String::from_utf8_lossy(&p).into_owned(),
                Err(_) => {
                    return Err(Error::Protocol(format!(
                        "the login answer does not decrypt as {}",
                        variant.as_str()
                    )));
                }
            }
        };
        match ret_code(&text) {
            Some(0) => {}
            Some(71233) => {
                st.failures += 1;
                if st.failures >= inner.max_failed_logins {
                    st.paused_until = Some(Instant::now() + inner.login_pause);
                }
                return Err(Error::BadCredentials {
                    admin_hint: inner.admin_hint,
                });
            }
            Some(code) if !r.body.contains("$.ret=") => {
                return Err(Error::Protocol(format!(
                    "the router refused the login ({code})"
                )));
            }
            // A clear-text refusal: the router could not open our sign (another variant).
            Some(code) => {
                return Err(Error::Protocol(format!(
                    "the router could not read a {} login ({code})",
                    variant.as_str()
                )));
            }
            None => return Err(Error::Protocol("the login answer has no $.ret".to_owned())),
        }
        let sid = r
            .sid
            .ok_or_else(|| Error::Protocol("the login set no session cookie".to_owned()))?;
        st.failures = 0;
        let mut session = Session {
            key,
            rsa,
            seq: params.seq,
            sid,
            token: String::new(),
        };
        let page = self
            .send_idempotent(Method::GET, "/", None, Some(&session))
            .await?;
        session.token = extract_token(&page.body).ok_or_else(|| {
            Error::Protocol(
                "logged in, but the page has no token (no UI privilege, or evicted at once)"
                    .to_owned(),
            )
        })?;
        st.learned = Some(variant);
        st.session = Some(session);
        Ok(())
    }

    /// Sends one command with the session, logging in first (and once more when the router
    /// ended the session).
    async fn command(
        &self,
        op: Op,
        oid: &str,
        stack: &str,
        pstack: &str,
        attrs: &Map<String, Value>,
    ) -> Result<Answer> {
        check_oid(oid)?;
        check_stack(stack)?;
        check_stack(pstack)?;
        let payload = command_payload(op, oid, stack, pstack, attrs);
        let mut st = self.inner.state.lock().await;
        let mut relogged = false;
        loop {
            if st.session.is_none() {
                self.login(&mut st).await?;
            }
            let Some(session) = st.session.as_ref() else {
                return Err(Error::SessionLost);
            };
            let env = seal_request(
                &session.key,
                &session.rsa,
                self.inner.hash.expose_secret(),
                session.seq,
                &payload,
                false,
            )
            .map_err(|e| Error::Protocol(e.to_string()))?;
            let reply = if op.is_write() {
                self.send(
                    Method::POST,
                    "/cgi_gdpr?9",
                    Some(env.to_body()),
                    Some(session),
                )
                .await?
            } else {
                self.send_idempotent(
                    Method::POST,
                    "/cgi_gdpr?9",
                    Some(env.to_body()),
                    Some(session),
                )
                .await?
            };
            match reply.status.as_u16() {
                200 => {}
                403 => {
                    st.session = None;
                    if relogged || !self.inner.relogin {
                        return Err(Error::SessionLost);
                    }
                    relogged = true;
                    continue;
                }
                _ => {
                    return Err(Error::Http {
                        status: reply.status,
                    });
                }
            }
            if reply.body.trim().is_empty() {
                return Ok(Answer::Empty);
            }
            let plain = session
                .key
                .open_answer(&reply.body)
                .map_err(|e| Error::Protocol(format!("an answer does not decrypt: {e}")))?;
            let text = String::from_utf8_lossy(&plain);
            return match parse_answer(&text) {
                Some(Answer::Refused(code)) => Err(Error::Refused {
                    oid: oid.to_owned(),
                    code,
                }),
                Some(a) => Ok(a),
                None => Err(Error::Protocol(format!("{oid}: the answer is not JSON"))),
            };
        }
    }

    /// Any command: the raw decrypted answer's `data`.
    pub async fn raw(
        &self,
        op: Op,
        oid: &str,
        stack: &str,
        attrs: &Map<String, Value>,
    ) -> Result<Option<Value>> {
        let pstack = if op == Op::Ao { stack } else { ROOT_STACK };
        let stack = if op == Op::Ao { ROOT_STACK } else { stack };
        Ok(match self.command(op, oid, stack, pstack, attrs).await? {
            Answer::Data(v) => Some(v),
            _ => None,
        })
    }

    /// `go`: one object (`DEV2_DEV_INFO`).
    pub async fn get(&self, oid: &str) -> Result<Map<String, Value>> {
        self.get_at(oid, ROOT_STACK).await
    }

    /// `go` on the instance at `stack`.
    pub async fn get_at(&self, oid: &str, stack: &str) -> Result<Map<String, Value>> {
        match self
            .command(Op::Go, oid, stack, ROOT_STACK, &Map::new())
            .await?
        {
            Answer::Data(Value::Object(m)) => Ok(m),
            Answer::Data(Value::Array(mut a)) if a.len() == 1 => match a.pop() {
                Some(Value::Object(m)) => Ok(m),
                _ => Err(Error::Protocol(format!("{oid}: not an object"))),
            },
            Answer::Empty => Ok(Map::new()),
            _ => Err(Error::Protocol(format!("{oid}: not an object"))),
        }
    }

    /// `gl`: every instance (`DEV2_ADT_WAN`).
    pub async fn list(&self, oid: &str) -> Result<Vec<Map<String, Value>>> {
        match self
            .command(Op::Gl, oid, ROOT_STACK, ROOT_STACK, &Map::new())
            .await?
        {
            Answer::Data(Value::Array(a)) => Ok(a
                .into_iter()
                .filter_map(|v| match v {
                    Value::Object(m) => Some(m),
                    _ => None,
                })
                .collect()),
            Answer::Data(Value::Object(m)) => Ok(vec![m]),
            Answer::Empty => Ok(Vec::new()),
            _ => Err(Error::Protocol(format!("{oid}: not a list"))),
        }
    }

    /// `so`: sets attributes of the instance at `stack` (values are sent as strings).
    pub async fn set(&self, oid: &str, stack: &str, attrs: &Map<String, Value>) -> Result<()> {
        let attrs = as_strings(attrs)?;
        self.command(Op::So, oid, stack, ROOT_STACK, &attrs)
            .await
            .map(drop)
    }

    /// `ao`: adds an instance under `parent` and answers its stack.
    pub async fn add(&self, oid: &str, parent: &str, attrs: &Map<String, Value>) -> Result<String> {
        let attrs = as_strings(attrs)?;
        match self
            .command(Op::Ao, oid, ROOT_STACK, parent, &attrs)
            .await?
        {
            Answer::Data(d) => d
                .get("stack")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| Error::Protocol(format!("{oid}: the add answered no stack"))),
            _ => Err(Error::Protocol(format!("{oid}: the add answered no stack"))),
        }
    }

    /// `do`: deletes the instance at `stack`.
    pub async fn delete(&self, oid: &str, stack: &str) -> Result<()> {
        self.command(Op::Do, oid, stack, ROOT_STACK, &Map::new())
            .await
            .map(drop)
    }

    /// `op`: runs an action object (`ACT_REBOOT`). `ACT_FACTORY_RESET` is refused.
    pub async fn action(&self, oid: &str) -> Result<()> {
        if oid.eq_ignore_ascii_case("ACT_FACTORY_RESET") {
            return Err(Error::InvalidInput(
                "a factory reset is never sent".to_owned(),
            ));
        }
        let r = self
            .command(Op::Op, oid, ROOT_STACK, ROOT_STACK, &Map::new())
            .await
            .map(drop);
        if oid.eq_ignore_ascii_case("ACT_REBOOT") {
            self.inner.state.lock().await.session = None;
        }
        r
    }

    /// Logs out (frees the router's single admin slot). Always call it before dropping the
    /// last handle; a router without a session is left alone.
    pub async fn logout(&self) -> Result<()> {
        let mut st = self.inner.state.lock().await;
        let Some(session) = st.session.take() else {
            return Ok(());
        };
        let env = seal_request(
            &session.key,
            &session.rsa,
            self.inner.hash.expose_secret(),
            session.seq,
            &logout_payload(),
            false,
        )
        .map_err(|e| Error::Protocol(e.to_string()))?;
        let r = self
            .send(
                Method::POST,
                "/cgi_gdpr?9",
                Some(env.to_body()),
                Some(&session),
            )
            .await?;
        match r.status.as_u16() {
            // 403: the session had already ended.
            200 | 403 => Ok(()),
            _ => Err(Error::Http { status: r.status }),
        }
    }
}

/// A failed send or read: a timeout, or the router out of reach (the URL left out).
fn transport_error(e: reqwest::Error, timeout: Duration) -> Error {
    if e.is_timeout() {
        Error::Timeout(timeout)
    } else {
        Error::Transport(e.without_url())
    }
}

/// Object names are upper-case identifiers (`DEV2_ADT_WAN`, `ACT_REBOOT`) or CGI paths.
pub(crate) fn check_oid(oid: &str) -> Result<()> {
    let ok = !oid.is_empty()
        && oid.len() <= 64
        && oid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'/'));
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidInput(format!(
            "{oid:?} is not an object name"
        )))
    }
}

/// A stack is six comma-separated instance numbers.
pub(crate) fn check_stack(stack: &str) -> Result<()> {
    let parts: Vec<&str> = stack.split(',').collect();
    if parts.len() == 6
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()))
    {
        Ok(())
    } else {
        Err(Error::InvalidInput(format!(
            "{stack:?} is not a stack (six numbers: 1,0,0,0,0,0)"
        )))
    }
}

/// Attribute values travel as strings.
pub(crate) fn as_strings(attrs: &Map<String, Value>) -> Result<Map<String, Value>> {
    attrs
        .iter()
        .map(|(k, v)| {
            let s = match v {
                Value::String(s) => s.clone(),
                Value::Bool(b) => if *b { "1" } else { "0" }.to_owned(),
                Value::Number(n) => n.to_string(),
                _ => {
                    return Err(Error::InvalidInput(format!(
                        "{k}: a value is a string, a number or a boolean"
                    )));
                }
            };
            if k == "stack" || k == "pstack" {
                return Err(Error::InvalidInput(format!("{k} is given as an argument")));
            }
            Ok((k.clone(), Value::String(s)))
        })
        .collect()
}

impl crate::models::ObjectSource for Router {
    async fn get(&self, oid: &str) -> Result<Map<String, Value>> {
        Router::get(self, oid).await
    }

    async fn list(&self, oid: &str) -> Result<Vec<Map<String, Value>>> {
        Router::list(self, oid).await
    }
}

impl Router {
    /// The router's own view ([`RouterStatus`]): each object read in turn through the one
    /// session; an object the firmware refuses is listed in `errors`, the rest still answers.
    /// Keys are left out unless `with_keys`. Fails as a whole only when the router cannot be
    /// logged in to or reached.
    pub async fn status(&self, with_keys: bool) -> Result<RouterStatus> {
        crate::models::read_status(self, with_keys).await
    }
}

/// Session owners for many routers, one per address: what a service in front of a fleet (the
/// bridge, the hub) holds. Cheap to clone; clones share the owners.
#[derive(Clone)]
pub struct Routers {
    http: reqwest::Client,
    owners: Arc<Mutex<std::collections::HashMap<String, (String, Router)>>>,
}

impl std::fmt::Debug for Routers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Routers").finish_non_exhaustive()
    }
}

impl Routers {
    /// An empty registry whose routers share `http` (one connection pool).
    pub fn new(http: reqwest::Client) -> Self {
        Self {
            http,
            owners: Arc::new(Mutex::new(std::collections::HashMap::new())),
        }
    }

    /// The session owner of `address` for these credentials: the existing one, or a new one
    /// built with `configure` (busy policy, variant, …). New credentials for an address replace
    /// its owner, whose session is logged out.
    pub async fn get(
        &self,
        address: &str,
        username: &str,
        password: SecretString,
        configure: impl FnOnce(RouterBuilder) -> RouterBuilder,
    ) -> Result<Router> {
        let fingerprint = credential_hash(username, password.expose_secret());
        let mut owners = self.owners.lock().await;
        if let Some((fp, r)) = owners.get(address)
            && *fp == fingerprint
        {
            return Ok(r.clone());
        }
        let builder = Router::builder(address, password)
            .username(username)
            .http_client(self.http.clone());
        let router = configure(builder).build()?;
        if let Some((_, old)) = owners.insert(address.to_owned(), (fingerprint, router.clone())) {
            // Best effort: a new login frees the slot anyway.
            tokio::spawn(async move {
                let _ = old.logout().await;
            });
        }
        Ok(router)
    }

    /// How many routers have an owner.
    pub async fn len(&self) -> usize {
        self.owners.lock().await.len()
    }

    /// Whether no router has an owner.
    pub async fn is_empty(&self) -> bool {
        self.owners.lock().await.is_empty()
    }

    /// Logs every router out and forgets them (on shutdown: each holds the router's only
    /// admin slot).
    pub async fn shutdown(&self) {
        let routers: Vec<Router> = self
            .owners
            .lock()
            .await
            .drain()
            .map(|(_, (_, r))| r)
            .collect();
        for r in routers {
            if let Err(e) = r.logout().await {
                tracing::warn!(router = %r.address(), error = %e, "logout on shutdown failed");
            }
        }
    }
}
