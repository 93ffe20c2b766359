//! [`Client`], its builder, and the request pipeline every handler goes through.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use gigafibre_client_core::{ErrorBody, Transport, TransportOptions};
use http::Method;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use tracing::Instrument;
use url::Url;

use crate::api::groups::Groups;
use crate::api::users::Users;
use crate::error::from_answer;
use crate::{Error, Result};

/// A successful answer, fully read.
#[derive(Debug)]
pub(crate) struct Answer {
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

struct Inner {
    transport: Transport,
    base: Url,
    token: Option<SecretString>,
}

/// An authentik admin API client. Cheap to clone (one `Arc` inside); clones share the
/// connection pool and the concurrency limit.
///
/// Build one with [`Client::builder`] or [`Client::from_env`].
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base.as_str())
            .field("token", &self.inner.token.as_ref().map(|_| "[redacted]"))
            .field("retry", &self.inner.transport.retry)
            .field("timeouts", &self.inner.transport.timeouts)
            .finish_non_exhaustive()
    }
}

/// Configures a [`Client`]. Created by [`Client::builder`].
pub struct ClientBuilder {
    base_url: String,
    token: Option<SecretString>,
    transport: TransportOptions,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field("token", &self.token.as_ref().map(|_| "[redacted]"))
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// The API token (an authentik token with intent `api`, or an OAuth2 access token with the
    /// scope `goauthentik.io/api`): sent as `Authorization: Bearer <token>`, the only scheme
    /// authentik accepts.
    pub fn token(mut self, token: impl Into<SecretString>) -> Self {
        self.token = Some(token.into());
        self
    }

    gigafibre_client_core::transport_setters!(
        max_concurrency = 4,
        retry = "It applies to `GET`s; writes are retried only when they never reached the \
            server or were refused with 429.",
    );

    /// Validates the settings and builds the client.
    ///
    /// # Errors
    /// [`Error::Config`] for a bad URL or limit.
    pub fn build(self) -> Result<Client> {
        let base = api_base(&self.base_url)?;
        let transport = self
            .transport
            .build(
                concat!("authentik-admin-rs/", env!("CARGO_PKG_VERSION")),
                Ok,
            )
            .map_err(|e| Error::Config(e.to_string()))?;
        Ok(Client {
            inner: Arc::new(Inner {
                transport,
                base,
                token: self.token,
            }),
        })
    }
}

/// The API root: `https://auth.example.com`, `…/api/v3` and `…/api/v3/` all give
/// `https://auth.example.com/api/v3/`.
fn api_base(raw: &str) -> Result<Url> {
    let base = gigafibre_client_core::base_url(raw).map_err(|e| Error::Config(e.to_string()))?;
    if base.path().ends_with("/api/v3/") {
        return Ok(base);
    }
    Ok(gigafibre_client_core::join(&base, &["api", "v3", ""]))
}

impl Client {
    /// Starts configuring a client for the authentik at `base_url`
    /// (`https://auth.example.com`, with or without `/api/v3`).
    pub fn builder(base_url: impl AsRef<str>) -> ClientBuilder {
        ClientBuilder {
            base_url: base_url.as_ref().to_owned(),
            token: None,
            transport: TransportOptions::new(ClientBuilder::DEFAULT_MAX_CONCURRENCY),
        }
    }

    /// A client from `AUTHENTIK_URL` and `AUTHENTIK_TOKEN`.
    ///
    /// # Errors
    /// [`Error::Config`] naming the missing variable (never a value).
    pub fn from_env() -> Result<Client> {
        use gigafibre_client_core::env::{EnvAuth, connection_from_env};
        let c = connection_from_env("AUTHENTIK").map_err(|e| Error::Config(e.to_string()))?;
        match c.auth {
            EnvAuth::Token(token) => Client::builder(c.url).token(token).build(),
            _ => Err(Error::Config(
                "AUTHENTIK_TOKEN is not set (authentik accepts bearer tokens only)".to_owned(),
            )),
        }
    }

    /// The API root (`https://auth.example.com/api/v3/`).
    pub fn base_url(&self) -> &Url {
        &self.inner.base
    }

    /// Users: create, find, update, set password, deactivate, delete, list.
    pub fn users(&self) -> Users<'_> {
        Users::new(self)
    }

    /// Groups: find by name, list, create, add and remove members.
    pub fn groups(&self) -> Groups<'_> {
        Groups::new(self)
    }

    /// The API root plus segments, each percent-encoded, always ending in `/` (authentik's
    /// paths need it: without it a GET is a 404 and a POST a 405).
    pub(crate) fn url(&self, segments: &[&str]) -> Url {
        let mut all: Vec<&str> = segments.to_vec();
        all.push("");
        gigafibre_client_core::join(&self.inner.base, &all)
    }

    /// Sends a request with the full policy: auth, concurrency limit, per-attempt timeout,
    /// retries when safe (`GET`s), overall deadline, error mapping.
    pub(crate) async fn execute(
        &self,
        method: Method,
        url: Url,
        body: Option<Bytes>,
    ) -> Result<Answer> {
        let idempotent = method == Method::GET;
        let label = format!("authentik {method} {}", url.path());
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

    /// Sends a JSON body.
    pub(crate) async fn send_json<B: serde::Serialize + ?Sized>(
        &self,
        method: Method,
        url: Url,
        body: &B,
    ) -> Result<Answer> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| Error::InvalidInput(format!("could not encode the body: {e}")))?;
        self.execute(method, url, Some(Bytes::from(bytes))).await
    }

    async fn attempt(&self, method: Method, url: Url, body: Option<Bytes>) -> Result<Answer> {
        let inner = &*self.inner;
        let path = url.path().to_owned();
        let span =
            tracing::debug_span!("authentik.request", http.method = %method, http.path = %path);
        async {
            let _permit = inner.transport.limiter.acquire().await;
            let mut rb = inner
                .transport
                .http
                .request(method.clone(), url)
                .timeout(inner.transport.timeouts.attempt)
                .header(ACCEPT, "application/json");
            if let Some(t) = &inner.token {
                let value = gigafibre_client_core::sensitive_header(&format!(
                    "Bearer {}",
                    t.expose_secret()
                ))
                .map_err(|e| Error::Config(e.to_string()))?;
                rb = rb.header(AUTHORIZATION, value);
            }
            if let Some(b) = body {
                rb = rb.header(CONTENT_TYPE, "application/json").body(b);
            }
            let attempt = inner.transport.timeouts.attempt;
            let resp = rb.send().await.map_err(|e| send_error(&path, e, attempt))?;
            let status = resp.status();
            let headers = resp.headers().clone();
            let body = resp
                .bytes()
                .await
                .map_err(|e| send_error(&path, e, attempt))?;
            if status.is_success() {
                return Ok(Answer {
                    body,
                    endpoint: path,
                });
            }
            Err(from_answer(
                &ErrorBody::capture(status, &headers, &body),
                &path,
            ))
        }
        .instrument(span)
        .await
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
    fn base_and_paths_end_right() {
        for raw in [
            "https://auth.example.com",
            "https://auth.example.com/",
            "https://auth.example.com/api/v3",
            "https://auth.example.com/api/v3/",
        ] {
            let c = Client::builder(raw).build();
            let c = match c {
                Ok(c) => c,
                Err(e) => panic!("{raw}: {e}"),
            };
            assert_eq!(c.base_url().as_str(), "https://auth.example.com/api/v3/");
            assert_eq!(
                c.url(&["core", "users", "14", "set_password"]).as_str(),
                "https://auth.example.com/api/v3/core/users/14/set_password/"
            );
            assert_eq!(
                c.url(&["core", "users"]).as_str(),
                "https://auth.example.com/api/v3/core/users/"
            );
        }
        let sub = Client::builder("https://sso.example.com/auth").build();
        assert!(
            matches!(sub, Ok(c) if c.base_url().as_str() == "https://sso.example.com/auth/api/v3/")
        );
    }

    #[test]
    fn transport_settings_are_checked_and_kept() {
        for n in [0, usize::MAX] {
            let e = Client::builder("https://a.example")
                .max_concurrency(n)
                .build();
            assert!(
                matches!(&e, Err(Error::Config(m)) if m.contains("max_concurrency must be between 1 and")),
                "{e:?}"
            );
        }
        let c = Client::builder("https://a.example")
            .max_concurrency(2)
            .timeout(Duration::from_secs(3))
            .connect_timeout(Duration::from_secs(1))
            .build();
        let c = match c {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(c.inner.transport.limiter.max(), 2);
        assert_eq!(c.inner.transport.timeouts.attempt, Duration::from_secs(3));
        assert_eq!(c.inner.transport.timeouts.connect, Duration::from_secs(1));
    }

    #[test]
    fn debug_hides_the_token() {
        let b = Client::builder("https://a.example").token("s3cr3t-token");
        assert!(!format!("{b:?}").contains("s3cr3t"));
        let c = b.build();
        assert!(matches!(c, Ok(c) if !format!("{c:?}").contains("s3cr3t")));
    }
}
