//! [`Client`], its builder, and the request pipeline every handler goes through.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use gigafibre_client_core::{Transport, TransportOptions};
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use tracing::Instrument;
use url::Url;

use crate::error::closed_without_answer;
use crate::{Error, Result};

/// How the client proves itself to the proxy in front of the NBI (the NBI has no
/// authentication of its own: CVE-2025-56015).
pub(crate) enum Auth {
    None,
    Basic {
        user: String,
        password: SecretString,
    },
    Bearer(SecretString),
    Header {
        name: HeaderName,
        value: SecretString,
    },
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::None => f.write_str("None"),
            Auth::Basic { user, .. } => {
                write!(f, "Basic {{ user: {user:?}, password: [redacted] }}")
            }
            Auth::Bearer(_) => f.write_str("Bearer([redacted])"),
            Auth::Header { name, .. } => write!(f, "Header {{ name: {name}, value: [redacted] }}"),
        }
    }
}

/// A successful answer, fully read.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: http::StatusCode,
    /// A non-canonical HTTP/1.1 reason phrase (GenieACS reports task outcomes there).
    pub(crate) reason: Option<String>,
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

    /// The `total` header of a collection query.
    pub(crate) fn total(&self) -> Option<u64> {
        self.headers
            .get("total")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok())
    }
}

/// A request body: its bytes, their content type, and headers that travel with it (GenieACS
/// reads a file's metadata from request headers).
#[derive(Debug, Clone)]
pub(crate) struct Body {
    pub(crate) bytes: Bytes,
    pub(crate) content_type: HeaderValue,
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
}

impl Body {
    /// A JSON body (what every call sent before bodies of other types existed).
    pub(crate) fn json(bytes: Bytes) -> Self {
        Self::new(bytes, "application/json")
    }

    /// A body of this content type.
    pub(crate) fn new(bytes: Bytes, content_type: &'static str) -> Self {
        Self {
            bytes,
            content_type: HeaderValue::from_static(content_type),
            headers: Vec::new(),
        }
    }

    /// Adds a header sent with the body.
    pub(crate) fn header(mut self, name: &'static str, value: HeaderValue) -> Self {
        self.headers.push((HeaderName::from_static(name), value));
        self
    }
}

struct Inner {
    transport: Transport,
    base: Url,
    auth: Auth,
    session_lock_wait: Duration,
}

/// A GenieACS NBI client. Cheap to clone (one `Arc` inside); clones share the connection pool
/// and the concurrency limit.
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
            .finish_non_exhaustive()
    }
}

/// Configures a [`Client`]. Created by [`Client::builder`].
pub struct ClientBuilder {
    base_url: String,
    auth: Auth,
    transport: TransportOptions,
    session_lock_wait: Duration,
    ca_pem: Vec<Vec<u8>>,
    identity_pem: Option<(Vec<u8>, SecretString)>,
    invalid: Option<String>,
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
    /// HTTP Basic credentials for the proxy in front of the NBI.
    pub fn basic(mut self, user: impl Into<String>, password: impl Into<SecretString>) -> Self {
        self.auth = Auth::Basic {
            user: user.into(),
            password: password.into(),
        };
        self
    }

    /// A bearer token for the proxy: `Authorization: Bearer <token>`.
    pub fn bearer(mut self, token: impl Into<SecretString>) -> Self {
        self.auth = Auth::Bearer(token.into());
        self
    }

    /// A static header the proxy checks (`x-api-key: …`, as the proposed NBI key would be).
    pub fn header(mut self, name: &str, value: impl Into<SecretString>) -> Self {
        match HeaderName::from_bytes(name.as_bytes()) {
            Ok(name) => {
                self.auth = Auth::Header {
                    name,
                    value: value.into(),
                }
            }
            Err(_) => self.invalid = Some(format!("{name:?} is not a header name")),
        }
        self
    }

    gigafibre_client_core::transport_setters!(
        max_concurrency = 8,
        http_client = "Do not combine it with [`ca_certificate_pem`](Self::ca_certificate_pem) \
            or [`client_identity_pem`](Self::client_identity_pem): set certificates on the \
            shared client itself.",
        timeout = "Task calls with a connection request wait longer on their own.",
        max_concurrency_doc = "The NBI runs queries without indexes.",
    );

    /// Trusts this CA certificate (PEM) in addition to the system's roots: the proxy in front
    /// of the NBI often has a private CA.
    #[cfg(any(feature = "rustls", feature = "native-tls"))]
    #[cfg_attr(docsrs, doc(cfg(any(feature = "rustls", feature = "native-tls"))))]
    pub fn ca_certificate_pem(mut self, pem: &[u8]) -> Self {
        self.ca_pem.push(pem.to_vec());
        self
    }

    /// Presents this client certificate (mutual TLS, as a proxy in front of the NBI may
    /// demand): the certificate chain and its PKCS#8 private key, both PEM. The key is never
    /// logged or echoed in an error.
    #[cfg(any(feature = "rustls", feature = "native-tls"))]
    #[cfg_attr(docsrs, doc(cfg(any(feature = "rustls", feature = "native-tls"))))]
    pub fn client_identity_pem(mut self, cert_chain: &[u8], private_key: &[u8]) -> Self {
        match std::str::from_utf8(private_key) {
            Ok(k) => self.identity_pem = Some((cert_chain.to_vec(), SecretString::from(k))),
            Err(_) => self.invalid = Some("the client private key is not PEM text".to_owned()),
        }
        self
    }

    /// How long GenieACS waits for a device's session lock before it stores a task and answers
    /// `Task queued but not processed` (30 s, fixed in GenieACS 1.2). A task answer that took
    /// that long is reported as [`TaskOutcome::DeviceBusy`](crate::TaskOutcome::DeviceBusy).
    /// Only a test against a fake with a shorter wait changes it.
    pub fn session_lock_wait(mut self, wait: Duration) -> Self {
        self.session_lock_wait = wait;
        self
    }

    /// Validates the settings and builds the client.
    ///
    /// # Errors
    /// [`Error::Config`] for a bad URL, header name or limit.
    pub fn build(self) -> Result<Client> {
        if let Some(e) = self.invalid {
            return Err(Error::Config(e));
        }
        let base = gigafibre_client_core::base_url(&self.base_url)
            .map_err(|e| Error::Config(e.to_string()))?;
        let tls = !self.ca_pem.is_empty() || self.identity_pem.is_some();
        if tls && self.transport.shares_http_client() {
            return Err(Error::Config(
                "set TLS certificates on the injected HTTP client, not on the builder".to_owned(),
            ));
        }
        let transport = self
            .transport
            .build(
                concat!("genieacs-client-rs/", env!("CARGO_PKG_VERSION")),
                |b| {
                    #[cfg(any(feature = "rustls", feature = "native-tls"))]
                    let b = tls_settings(b, &self.ca_pem, self.identity_pem.as_ref())?;
                    Ok(b)
                },
            )
            .map_err(|e| Error::Config(e.to_string()))?;
        Ok(Client {
            inner: Arc::new(Inner {
                transport,
                base,
                auth: self.auth,
                session_lock_wait: self.session_lock_wait,
            }),
        })
    }
}

impl Client {
    /// Starts configuring a client for the NBI at `base_url` (`http://acs.internal:7557`).
    pub fn builder(base_url: impl AsRef<str>) -> ClientBuilder {
        ClientBuilder {
            base_url: base_url.as_ref().to_owned(),
            auth: Auth::None,
            transport: TransportOptions::new(ClientBuilder::DEFAULT_MAX_CONCURRENCY),
            session_lock_wait: Duration::from_secs(30),
            ca_pem: Vec::new(),
            identity_pem: None,
            invalid: None,
        }
    }

    /// A client from `GENIEACS_URL`, with `GENIEACS_TOKEN` (bearer) or `GENIEACS_USER` +
    /// `GENIEACS_PASSWORD` (basic) when set.
    ///
    /// # Errors
    /// [`Error::Config`] naming the missing variable (never a value).
    pub fn from_env() -> Result<Client> {
        use gigafibre_client_core::env::{EnvAuth, connection_from_env};
        let c = connection_from_env("GENIEACS").map_err(|e| Error::Config(e.to_string()))?;
        let b = Client::builder(c.url);
        match c.auth {
            EnvAuth::Token(token) => b.bearer(token),
            EnvAuth::UserPassword(user, password) => b.basic(user, password),
            _ => b,
        }
        .build()
    }

    /// The NBI's base URL.
    pub fn base_url(&self) -> &Url {
        &self.inner.base
    }

    /// GenieACS's session-lock wait this client assumes (see
    /// [`ClientBuilder::session_lock_wait`]).
    pub(crate) fn session_lock_wait(&self) -> Duration {
        self.inner.session_lock_wait
    }

    /// The base plus segments, each percent-encoded — a device id's `%` included (`%25`), as
    /// GenieACS's router needs.
    pub(crate) fn url(&self, segments: &[&str]) -> Url {
        gigafibre_client_core::join(&self.inner.base, segments)
    }

    /// Sends a request with the full policy: auth, concurrency limit, per-attempt timeout,
    /// retries when safe, overall deadline, error mapping.
    pub(crate) async fn execute(
        &self,
        method: Method,
        url: Url,
        body: Option<Bytes>,
        idempotent: bool,
    ) -> Result<Answer> {
        self.execute_body(method, url, body.map(Body::json), idempotent)
            .await
    }

    /// [`execute`](Self::execute) with a body of any content type and its extra headers
    /// (a provision's JavaScript, a file's bytes and metadata headers).
    pub(crate) async fn execute_body(
        &self,
        method: Method,
        url: Url,
        body: Option<Body>,
        idempotent: bool,
    ) -> Result<Answer> {
        let label = format!("genieacs {method} {}", url.path());
        let run =
            gigafibre_client_core::retry(&self.inner.transport.retry, idempotent, &label, || {
                self.attempt(method.clone(), url.clone(), body.clone())
            });
        self.inner
            .transport
            .timeouts
            .within_total(run)
            .await
            .map_err(Error::Timeout)?
    }

    /// Like [`execute`](Self::execute), but with its own per-attempt timeout (task calls wait
    /// for a CWMP session) and never retried once sent.
    pub(crate) async fn execute_long(
        &self,
        method: Method,
        url: Url,
        body: Option<Bytes>,
        attempt_timeout: Duration,
    ) -> Result<Answer> {
        let label = format!("genieacs {method} {}", url.path());
        let body = body.map(Body::json);
        gigafibre_client_core::retry(&self.inner.transport.retry, false, &label, || {
            self.attempt_with(method.clone(), url.clone(), body.clone(), attempt_timeout)
        })
        .await
    }

    async fn attempt(&self, method: Method, url: Url, body: Option<Body>) -> Result<Answer> {
        self.attempt_with(method, url, body, self.inner.transport.timeouts.attempt)
            .await
    }

    async fn attempt_with(
        &self,
        method: Method,
        url: Url,
        body: Option<Body>,
        attempt_timeout: Duration,
    ) -> Result<Answer> {
        let inner = &*self.inner;
        let path = url.path().to_owned();
        let span =
            tracing::debug_span!("genieacs.request", http.method = %method, http.path = %path);
        async {
            let _permit = inner.transport.limiter.acquire().await;
            let mut rb = inner
                .transport
                .http
                .request(method.clone(), url)
                .timeout(attempt_timeout)
                .header(ACCEPT, "application/json");
            let sensitive = |v: &str| {
                gigafibre_client_core::sensitive_header(v).map_err(|e| Error::Config(e.to_string()))
            };
            rb = match &inner.auth {
                Auth::None => rb,
                Auth::Basic { user, password } => {
                    let raw = format!("{user}:{}", password.expose_secret());
                    let encoded = base64::engine::general_purpose::STANDARD.encode(raw);
                    rb.header(AUTHORIZATION, sensitive(&format!("Basic {encoded}"))?)
                }
                Auth::Bearer(t) => rb.header(
                    AUTHORIZATION,
                    sensitive(&format!("Bearer {}", t.expose_secret()))?,
                ),
                Auth::Header { name, value } => {
                    rb.header(name.clone(), sensitive(value.expose_secret())?)
                }
            };
            if let Some(b) = body {
                rb = rb.header(CONTENT_TYPE, b.content_type);
                for (name, value) in b.headers {
                    rb = rb.header(name, value);
                }
                rb = rb.body(b.bytes);
            }
            let resp = rb
                .send()
                .await
                .map_err(|e| send_error(&path, e, attempt_timeout))?;
            let status = resp.status();
            let reason = resp
                .extensions()
                .get::<hyper::ext::ReasonPhrase>()
                .map(|r| String::from_utf8_lossy(r.as_bytes()).into_owned());
            let headers = resp.headers().clone();
            let body = resp
                .bytes()
                .await
                .map_err(|e| send_error(&path, e, attempt_timeout))?;
            if status.is_success() {
                return Ok(Answer {
                    status,
                    reason,
                    headers,
                    body,
                    endpoint: path,
                });
            }
            let message = String::from_utf8_lossy(&body).trim().to_owned();
            Err(match status.as_u16() {
                404 => Error::NotFound(if message.is_empty() { path } else { message }),
                503 if message.contains("in session") => Error::DeviceBusy,
                _ => Error::Api { status, message },
            })
        }
        .instrument(span)
        .await
    }
}

fn send_error(path: &str, e: reqwest::Error, attempt: Duration) -> Error {
    if e.is_timeout() {
        Error::Timeout(attempt)
    } else if !e.is_connect() && closed_without_answer(&e) {
        Error::ConnectionClosed {
            path: path.to_owned(),
        }
    } else {
        Error::Transport {
            path: path.to_owned(),
            source: e.without_url(),
        }
    }
}

/// Applies the builder's CA certificates and client identity. Errors name what was wrong,
/// never the key.
#[cfg(any(feature = "rustls", feature = "native-tls"))]
fn tls_settings(
    mut b: reqwest::ClientBuilder,
    ca_pem: &[Vec<u8>],
    identity: Option<&(Vec<u8>, SecretString)>,
) -> std::result::Result<reqwest::ClientBuilder, String> {
    for pem in ca_pem {
        let cert = reqwest::Certificate::from_pem(pem)
            .map_err(|_| "the CA certificate is not a PEM certificate".to_owned())?;
        b = b.add_root_certificate(cert);
    }
    if let Some((chain, key)) = identity {
        // With both TLS features on, reqwest defaults to native-tls: an identity built for
        // rustls needs the rustls backend.
        #[cfg(feature = "rustls")]
        let id = {
            b = b.tls_backend_rustls();
            let mut pem = chain.clone();
            pem.push(b'\n');
            pem.extend_from_slice(key.expose_secret().as_bytes());
            reqwest::Identity::from_pem(&pem)
        };
        #[cfg(not(feature = "rustls"))]
        let id = reqwest::Identity::from_pkcs8_pem(chain, key.expose_secret().as_bytes());
        let id = id.map_err(|_| {
            "the client certificate is not a PEM certificate chain with its PKCS#8 key".to_owned()
        })?;
        b = b.identity(id);
    }
    Ok(b)
}
