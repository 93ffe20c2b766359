//! [`Client`], its builder, and the request pipeline every call goes through: the API key in
//! the `x-goog-api-key` header (sensitive; never in the URL), the concurrency limit,
//! per-attempt timeouts, retries honouring `RetryInfo.retryDelay`, the overall deadline, error
//! mapping.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use gigafibre_client_core::{ErrorBody, TimeoutConfig, Transient, Transport, TransportOptions};
use http::header::{ACCEPT, CONTENT_TYPE};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use tokio::time::Instant;
use tracing::Instrument;
use url::Url;

use crate::error::{EXCERPT_CHARS, from_answer, truncate};
use crate::extract::{ExtractOptions, Extraction, extraction_request};
use crate::image::Image;
use crate::models::{GenerateContentRequest, GenerateContentResponse};
use crate::resize::Downscale;
use crate::{ApiError, Error, Result};

/// The public endpoint.
pub const DEFAULT_BASE_URL: &str = "https://generativelanguage.googleapis.com";
/// The default model: a current Flash model. `gemini-2.5-flash` is past its end of life.
pub const DEFAULT_MODEL: &str = "gemini-3.5-flash";
/// The default deadline of one call, retries and waits included (the field app's limit).
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(8);
/// The default longest server-requested wait honoured between attempts.
pub const DEFAULT_MAX_RETRY_DELAY: Duration = Duration::from_secs(30);

/// The header the API key travels in.
pub const API_KEY_HEADER: &str = "x-goog-api-key";

/// The default largest image sent inline, in raw bytes (15 MiB): base64 inflates it by 4/3,
/// which keeps the request under the historical 20 MB inline limit. A larger image goes
/// through the Files API.
pub const DEFAULT_INLINE_LIMIT: usize = 15 * 1024 * 1024;

struct Inner {
    transport: Transport,
    base: Url,
    api_key: SecretString,
    model: String,
    deadline: Duration,
    max_retry_delay: Duration,
    downscale: Downscale,
    inline_limit: usize,
    /// Downscales running at once, over all clones: one per core (at most 8), so that a burst
    /// of phone photos queues instead of decoding them all into memory at once.
    downscales: tokio::sync::Semaphore,
}

/// A Gemini API client. Cheap to clone (one `Arc` inside); clones share the connection pool
/// and the concurrency limit.
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
            .field("api_key", &"[redacted]")
            .field("model", &self.inner.model)
            .field("retry", &self.inner.transport.retry)
            .field("attempt_timeout", &self.inner.transport.timeouts.attempt)
            .field("deadline", &self.inner.deadline)
            .field("max_retry_delay", &self.inner.max_retry_delay)
            .field("downscale", &self.inner.downscale)
            .field("inline_limit", &self.inner.inline_limit)
            .finish_non_exhaustive()
    }
}

/// Configures a [`Client`]. Created by [`Client::builder`].
pub struct ClientBuilder {
    base_url: String,
    api_key: Option<SecretString>,
    model: String,
    transport: TransportOptions,
    deadline: Duration,
    max_retry_delay: Duration,
    downscale: Downscale,
    inline_limit: usize,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "[redacted]"))
            .field("model", &self.model)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// The API key (sent only in the `x-goog-api-key` header).
    pub fn api_key(mut self, key: impl Into<SecretString>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// The model (default [`DEFAULT_MODEL`]); a leading `models/` is accepted.
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.model = model.into();
        self
    }

    gigafibre_client_core::transport_setters!(
        max_concurrency = 8,
        timeout_default = "the deadline",
        http_client = "Configure it not to follow redirects, as the client's own does: the \
            `x-goog-api-key` header would follow one to another host.",
        timeout = "An attempt never runs past the call's deadline.",
        timeouts = "The overall limit (`total`) is not used here: a call's limit is its \
            [`deadline`](Self::deadline).",
    );

    /// Sets the deadline of one call, retries and waits included (default 8 s); a call can
    /// override it with [`ExtractOptions::deadline`].
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// Caps a server-requested wait (`RetryInfo.retryDelay`, `Retry-After`) between attempts
    /// (default 30 s). A wait that would pass the call's deadline is not waited: the error is
    /// returned at once.
    pub fn max_retry_delay(mut self, cap: Duration) -> Self {
        self.max_retry_delay = cap;
        self
    }

    /// How [`extract`](Client::extract) downscales an image before sending it (default
    /// [`Downscale::default`]: longest side 1536 px, JPEG quality 85; [`Downscale::off`] sends
    /// images as given).
    pub fn downscale(mut self, downscale: Downscale) -> Self {
        self.downscale = downscale;
        self
    }

    /// The largest (downscaled) image [`extract`](Client::extract) sends inline, in raw bytes
    /// (default [`DEFAULT_INLINE_LIMIT`], 15 MiB); a larger one is uploaded through the Files
    /// API, referenced by its URI, and deleted after the answer.
    pub fn inline_limit(mut self, bytes: usize) -> Self {
        self.inline_limit = bytes;
        self
    }

    /// Validates the settings and builds the client.
    ///
    /// # Errors
    /// [`Error::Config`] for a missing API key, a bad URL, model or limit.
    pub fn build(self) -> Result<Client> {
        let base = gigafibre_client_core::base_url(&self.base_url)
            .map_err(|e| Error::Config(e.to_string()))?;
        let api_key = self
            .api_key
            .filter(|k| !k.expose_secret().trim().is_empty())
            .ok_or_else(|| {
                Error::Config("no API key: call .api_key() or set GEMINI_API_KEY".to_owned())
            })?;
        gigafibre_client_core::sensitive_header(api_key.expose_secret())
            .map_err(|e| Error::Config(format!("API key: {e}")))?;
        let model = check_model(&self.model)?;
        let transport = self
            .transport
            .build(
                concat!("gemini-vision-rs/", env!("CARGO_PKG_VERSION")),
                |b| {
                    // No redirects: the key header would follow one to another host.
                    Ok(b.redirect(reqwest::redirect::Policy::none()))
                },
            )
            .map_err(|e| Error::Config(e.to_string()))?;
        if self.deadline.is_zero() || transport.timeouts.attempt.is_zero() {
            return Err(Error::Config(
                "the deadline and the timeout must be positive".to_owned(),
            ));
        }
        Ok(Client {
            inner: Arc::new(Inner {
                transport,
                base,
                api_key,
                model,
                deadline: self.deadline,
                max_retry_delay: self.max_retry_delay,
                downscale: self.downscale,
                inline_limit: self.inline_limit,
                downscales: tokio::sync::Semaphore::new(
                    std::thread::available_parallelism().map_or(2, |n| n.get().clamp(1, 8)),
                ),
            }),
        })
    }
}

impl Default for ClientBuilder {
    /// A builder for Google's endpoint ([`DEFAULT_BASE_URL`]).
    fn default() -> Self {
        Client::builder(DEFAULT_BASE_URL)
    }
}

/// A model id: `models/` stripped; letters, digits, `-`, `.`, `_` only.
pub(crate) fn check_model(model: &str) -> Result<String> {
    let m = model.trim();
    let m = m.strip_prefix("models/").unwrap_or(m);
    if m.is_empty()
        || !m
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
    {
        return Err(Error::Config(format!(
            "invalid model id {model:?}: expected something like {DEFAULT_MODEL:?}"
        )));
    }
    Ok(m.to_owned())
}

impl Client {
    /// Starts configuring a client for the Gemini API at `base_url` ([`DEFAULT_BASE_URL`] for
    /// Google's endpoint; a proxy or a fake otherwise).
    pub fn builder(base_url: impl AsRef<str>) -> ClientBuilder {
        ClientBuilder {
            base_url: base_url.as_ref().to_owned(),
            api_key: None,
            model: DEFAULT_MODEL.to_owned(),
            transport: TransportOptions::new(ClientBuilder::DEFAULT_MAX_CONCURRENCY)
                .with_timeouts(TimeoutConfig::standard().with_attempt(DEFAULT_DEADLINE)),
            deadline: DEFAULT_DEADLINE,
            max_retry_delay: DEFAULT_MAX_RETRY_DELAY,
            downscale: Downscale::default(),
            inline_limit: DEFAULT_INLINE_LIMIT,
        }
    }

    /// A client from `GEMINI_API_KEY` (required), `GEMINI_MODEL` (default
    /// [`DEFAULT_MODEL`]) and `GEMINI_URL` (default [`DEFAULT_BASE_URL`]). Blank values count
    /// as unset.
    ///
    /// # Errors
    /// [`Error::Config`] naming the missing variable (never a value).
    pub fn from_env() -> Result<Client> {
        Self::builder_from(|name| std::env::var(name).ok())?.build()
    }

    /// The builder [`from_env`](Self::from_env) uses, over any lookup (tests, a config file).
    ///
    /// # Errors
    /// [`Error::Config`] when `GEMINI_API_KEY` is not set.
    pub fn builder_from(lookup: impl Fn(&str) -> Option<String>) -> Result<ClientBuilder> {
        let var = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let key = var("GEMINI_API_KEY").ok_or_else(|| {
            Error::Config("environment variable GEMINI_API_KEY is not set".to_owned())
        })?;
        let mut b =
            Client::builder(var("GEMINI_URL").unwrap_or_else(|| DEFAULT_BASE_URL.to_owned()))
                .api_key(SecretString::from(key));
        if let Some(model) = var("GEMINI_MODEL") {
            b = b.model(model);
        }
        Ok(b)
    }

    /// The base URL.
    pub fn base_url(&self) -> &Url {
        &self.inner.base
    }

    /// The default model.
    pub fn model(&self) -> &str {
        &self.inner.model
    }

    /// The default deadline of one call.
    pub fn deadline(&self) -> Duration {
        self.inner.deadline
    }

    /// How [`extract`](Self::extract) downscales images.
    pub fn downscale_settings(&self) -> Downscale {
        self.inner.downscale
    }

    /// The largest image [`extract`](Self::extract) sends inline, in bytes.
    pub fn inline_limit(&self) -> usize {
        self.inner.inline_limit
    }

    /// `POST /v1beta/models/{model}:generateContent` with the client's model and deadline.
    ///
    /// # Errors
    /// Error answers, transport failures, the deadline, an answer that does not decode. An
    /// answer with a blocked prompt or no candidate is returned as is: interpreting it is
    /// [`extract`](Self::extract)'s job.
    pub async fn generate(
        &self,
        request: &GenerateContentRequest,
    ) -> Result<GenerateContentResponse> {
        self.generate_with(request, &ExtractOptions::default())
            .await
    }

    /// [`generate`](Self::generate) with a model and deadline of the call's own.
    ///
    /// # Errors
    /// As [`generate`](Self::generate).
    pub async fn generate_with(
        &self,
        request: &GenerateContentRequest,
        options: &ExtractOptions,
    ) -> Result<GenerateContentResponse> {
        let model = self.model_of(options)?;
        let deadline = Deadline::after(options.deadline.unwrap_or(self.inner.deadline));
        self.generate_at(request, &model, deadline).await
    }

    fn model_of(&self, options: &ExtractOptions) -> Result<String> {
        match &options.model {
            Some(m) => check_model(m),
            None => Ok(self.inner.model.clone()),
        }
    }

    /// `generateContent` under a deadline already running.
    async fn generate_at(
        &self,
        request: &GenerateContentRequest,
        model: &str,
        deadline: Deadline,
    ) -> Result<GenerateContentResponse> {
        let body = serde_json::to_vec(request)
            .map_err(|e| Error::InvalidInput(format!("could not encode the request: {e}")))?;
        let url = gigafibre_client_core::join(
            &self.inner.base,
            &["v1beta", "models", &format!("{model}:generateContent")],
        );
        let mut call = Call::post_json(url, Bytes::from(body));
        call.model = Some(model.to_owned());
        let answer = self.send(&call, deadline).await?;
        decode(&answer.body)
    }

    /// Extracts a `T` from an image: the image, then `prompt`, with `T`'s schema as the
    /// response schema, JSON output and the model's recommended temperature
    /// ([`default_temperature`](crate::default_temperature)); the answer decoded into `T`.
    ///
    /// # Errors
    /// [`Error::Schema`] before sending when `T` cannot be expressed; [`Error::Blocked`],
    /// [`Error::Finished`], [`Error::NoCandidate`], [`Error::Decode`] for answers that carry
    /// no `T`; the errors of [`generate`](Self::generate).
    pub async fn extract<T>(&self, image: Image, prompt: &str) -> Result<Extraction<T>>
    where
        T: schemars::JsonSchema + serde::de::DeserializeOwned,
    {
        self.extract_with(image, prompt, &ExtractOptions::default())
            .await
    }

    /// [`extract`](Self::extract) with options (deadline, model, system instruction, thinking,
    /// safety settings, token limit).
    ///
    /// The image is first downscaled on a blocking thread
    /// ([`ClientBuilder::downscale`]); when it is still larger than the inline limit
    /// ([`ClientBuilder::inline_limit`]) it is uploaded through the Files API, referenced as
    /// `fileData`, and the file is deleted in the background once the answer is in (a failed
    /// delete is logged at debug level; Gemini deletes files after 48 h anyway). The deadline
    /// covers all of it.
    ///
    /// # Errors
    /// As [`extract`](Self::extract); [`Error::InvalidImage`] for a JPEG or PNG that does not
    /// decode; the errors of [`upload_image`](Self::upload_image).
    pub async fn extract_with<T>(
        &self,
        image: Image,
        prompt: &str,
        options: &ExtractOptions,
    ) -> Result<Extraction<T>>
    where
        T: schemars::JsonSchema + serde::de::DeserializeOwned,
    {
        self.extract_downscaled(image, prompt, options, self.inner.downscale)
            .await
    }

    /// [`extract_with`](Self::extract_with) with downscaling settings of the call's own
    /// (instead of the client's [`ClientBuilder::downscale`]).
    ///
    /// # Errors
    /// As [`extract_with`](Self::extract_with).
    pub async fn extract_downscaled<T>(
        &self,
        image: Image,
        prompt: &str,
        options: &ExtractOptions,
        downscale: Downscale,
    ) -> Result<Extraction<T>>
    where
        T: schemars::JsonSchema + serde::de::DeserializeOwned,
    {
        let deadline = Deadline::after(options.deadline.unwrap_or(self.inner.deadline));
        let model = self.model_of(options)?;
        // Refused before any work, as `extraction_request` would.
        if prompt.trim().is_empty() {
            return Err(Error::InvalidInput("the prompt is empty".to_owned()));
        }
        crate::schema::response_schema::<T>()?;
        // The request's temperature follows the model actually asked.
        let mut resolved = options.clone();
        resolved.model = Some(model.clone());
        let options = &resolved;
        let image = self.downscale_within(image, downscale, deadline).await?;
        if image.bytes().len() <= self.inner.inline_limit {
            let request = extraction_request::<T>(&image, prompt, options)?;
            drop(image);
            let response = self.generate_at(&request, &model, deadline).await?;
            return Extraction::from_response(response);
        }
        // Built around a one-byte stand-in, so that the large image is never base64-encoded;
        // its part is then replaced by the file's.
        let stand_in = Image::with_mime_type(&b"\0"[..], image.mime_type())?;
        let mut request = extraction_request::<T>(&stand_in, prompt, options)?;
        let file = self
            .upload_image_at(&image, "gemini-vision image", deadline)
            .await?;
        drop(image);
        let result = match crate::files::use_file(&mut request, &file) {
            Ok(()) => self.generate_at(&request, &model, deadline).await,
            Err(e) => Err(e),
        };
        self.delete_in_background(file.name.clone());
        Extraction::from_response(result?)
    }

    /// `GET /v1beta/models/{model}`: the client's model as Gemini describes it. It checks the
    /// key and the model without spending generation quota (a readiness probe).
    ///
    /// # Errors
    /// [`Error::InvalidApiKey`], [`Error::ModelNotFound`] for a retired model, transport
    /// failures, the deadline.
    pub async fn model_info(&self) -> Result<crate::models::ModelInfo> {
        let model = self.inner.model.clone();
        let url = gigafibre_client_core::join(&self.inner.base, &["v1beta", "models", &model]);
        let mut call = Call::empty(Method::GET, url);
        call.model = Some(model);
        let answer = self.send(&call, self.default_deadline()).await?;
        decode(&answer.body)
    }

    /// Sends one request under a running deadline, retrying what is safe to retry.
    pub(crate) async fn send(&self, call: &Call, deadline: Deadline) -> Result<Answer> {
        let inner = &*self.inner;
        let label = format!("gemini {} {}", call.method, call.url.path());
        let deadline_at = deadline.at;
        let run = gigafibre_client_core::retry(
            &inner.transport.retry,
            call.idempotent,
            &label,
            || async {
                self.attempt(call, deadline_at)
                    .await
                    .map_err(|err| Attempt {
                        err,
                        cap: inner.max_retry_delay,
                        deadline_at,
                    })
            },
        );
        match tokio::time::timeout_at(deadline_at, run).await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(attempt)) => Err(attempt.err),
            Err(_) => Err(Error::Timeout(deadline.total)),
        }
    }

    async fn attempt(&self, call: &Call, deadline_at: Instant) -> Result<Answer> {
        let inner = &*self.inner;
        let path = call.url.path().to_owned();
        let left = deadline_at.saturating_duration_since(Instant::now());
        let timeout = inner
            .transport
            .timeouts
            .attempt
            .min(left.max(Duration::from_millis(1)));
        let span =
            tracing::debug_span!("gemini.request", http.method = %call.method, http.path = %path);
        async {
            let _permit = inner.transport.limiter.acquire().await;
            let mut request = inner
                .transport
                .http
                .request(call.method.clone(), call.url.clone())
                .timeout(timeout)
                .header(ACCEPT, HeaderValue::from_static("application/json"));
            if let Some(ct) = call.content_type {
                request = request.header(CONTENT_TYPE, HeaderValue::from_static(ct));
            }
            for (name, value) in &call.headers {
                request = request.header(name, value);
            }
            if call.send_key {
                let key = gigafibre_client_core::sensitive_header(inner.api_key.expose_secret())
                    .map_err(|e| Error::Config(format!("API key: {e}")))?;
                request = request.header(API_KEY_HEADER, key);
            }
            let response = request
                .body(call.body.clone())
                .send()
                .await
                .map_err(|e| transport(e, timeout))?;
            let status = response.status();
            let headers = response.headers().clone();
            let bytes = response.bytes().await.map_err(|e| transport(e, timeout))?;
            if status == StatusCode::OK {
                tracing::debug!(status = status.as_u16(), "answer");
                return Ok(Answer {
                    headers,
                    body: bytes,
                });
            }
            let captured = ErrorBody::capture(status, &headers, &bytes);
            let err = match &call.model {
                Some(model) => from_answer(
                    status,
                    &captured.text,
                    captured.json.as_ref(),
                    captured.retry_after,
                    model,
                ),
                // A 404 of the Files API names a file, not a model.
                None if status == StatusCode::NOT_FOUND => {
                    let body = captured.json.as_ref().and_then(ApiError::parse);
                    Error::Api {
                        status,
                        code: body.as_ref().and_then(|b| b.status.clone()),
                        message: body.as_ref().map_or_else(
                            || truncate(captured.text.trim(), EXCERPT_CHARS),
                            |b| b.message.clone(),
                        ),
                        reason: body.as_ref().and_then(|b| b.reason().map(str::to_owned)),
                        body: body.map(Box::new),
                    }
                }
                None => from_answer(
                    status,
                    &captured.text,
                    captured.json.as_ref(),
                    captured.retry_after,
                    "",
                ),
            };
            tracing::debug!(status = status.as_u16(), error = %err, "error answer");
            Err(err)
        }
        .instrument(span)
        .await
    }

    /// The client's default deadline, starting now.
    pub(crate) fn default_deadline(&self) -> Deadline {
        Deadline::after(self.inner.deadline)
    }

    fn delete_in_background(&self, name: String) {
        let client = self.clone();
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        runtime.spawn(async move {
            if let Err(e) = client.delete_file(&name).await {
                tracing::debug!(file = %name, error = %e, "could not delete an uploaded file");
            }
        });
    }
}

impl Client {
    /// Downscales on a blocking thread (decoding and resizing are CPU-bound), one per core at
    /// a time, within the call's deadline.
    async fn downscale_within(
        &self,
        image: Image,
        settings: Downscale,
        deadline: Deadline,
    ) -> Result<Image> {
        if settings.max_side().is_none() {
            return Ok(image);
        }
        let work = async {
            let _permit = self.inner.downscales.acquire().await.map_err(|e| {
                Error::InvalidImage(format!("the image could not be downscaled: {e}"))
            })?;
            tokio::task::spawn_blocking(move || {
                crate::resize::downscale_for_upload(&image, &settings)
            })
            .await
            .map_err(|e| Error::InvalidImage(format!("the image could not be downscaled: {e}")))?
        };
        tokio::time::timeout_at(deadline.at, work)
            .await
            .map_err(|_| Error::Timeout(deadline.total))?
    }
}

/// An answer's JSON decoded, the failing path named.
pub(crate) fn decode<T: serde::de::DeserializeOwned>(answer: &[u8]) -> Result<T> {
    gigafibre_client_core::decode_json(answer).map_err(|e| Error::Decode {
        path: e.path,
        source: e.source,
        text: truncate(&String::from_utf8_lossy(answer), EXCERPT_CHARS),
    })
}

/// The deadline of one call: its length (for [`Error::Timeout`]) and when it passes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadline {
    pub(crate) total: Duration,
    pub(crate) at: Instant,
}

impl Deadline {
    pub(crate) fn after(total: Duration) -> Self {
        Self {
            total,
            at: Instant::now() + total,
        }
    }
}

/// One HTTP request through the pipeline.
#[derive(Debug)]
pub(crate) struct Call {
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) content_type: Option<&'static str>,
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
    pub(crate) body: Bytes,
    /// Whether an attempt that reached the server may be repeated.
    pub(crate) idempotent: bool,
    /// Whether the API key header is sent.
    pub(crate) send_key: bool,
    /// The model of a `generateContent` call (a 404 then means an unknown model).
    pub(crate) model: Option<String>,
}

impl Call {
    /// A stateless JSON `POST` with the key: retried like `generateContent`.
    pub(crate) fn post_json(url: Url, body: Bytes) -> Self {
        Self {
            method: Method::POST,
            url,
            content_type: Some("application/json"),
            headers: Vec::new(),
            body,
            idempotent: true,
            send_key: true,
            model: None,
        }
    }

    /// A request without a body, with the key.
    pub(crate) fn empty(method: Method, url: Url) -> Self {
        Self {
            method,
            url,
            content_type: None,
            headers: Vec::new(),
            body: Bytes::new(),
            idempotent: true,
            send_key: true,
            model: None,
        }
    }
}

/// A 200 answer.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

fn transport(e: reqwest::Error, timeout: Duration) -> Error {
    if e.is_timeout() {
        Error::Timeout(timeout)
    } else {
        Error::Transport(e.without_url())
    }
}

/// A failed attempt as the retry loop sees it: a server-requested wait is capped, and a
/// failure whose wait would pass the deadline is not retried.
struct Attempt {
    err: Error,
    cap: Duration,
    deadline_at: Instant,
}

impl fmt::Display for Attempt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.err.fmt(f)
    }
}

impl Transient for Attempt {
    fn is_transient(&self) -> bool {
        let wait = self.retry_after().unwrap_or(Duration::ZERO);
        self.err.is_transient() && Instant::now() + wait < self.deadline_at
    }

    fn never_reached_server(&self) -> bool {
        self.err.never_reached_server()
    }

    fn refused_before_work(&self) -> bool {
        self.err.refused_before_work()
    }

    fn retry_after(&self) -> Option<Duration> {
        Transient::retry_after(&self.err).map(|w| w.min(self.cap))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn models_and_settings_are_checked() {
        assert_eq!(
            check_model("models/gemini-3.5-flash").ok().as_deref(),
            Some("gemini-3.5-flash")
        );
        assert!(check_model("gemini/../x").is_err());
        assert!(check_model("").is_err());
        let no_key = Client::builder(DEFAULT_BASE_URL).build();
        assert!(matches!(no_key, Err(Error::Config(m)) if m.contains("GEMINI_API_KEY")));
        let c = Client::builder(DEFAULT_BASE_URL)
            .api_key("AIza-secret-key")
            .build()
            .unwrap();
        assert_eq!(c.model(), DEFAULT_MODEL);
        assert_eq!(c.deadline(), DEFAULT_DEADLINE);
        let dbg = format!("{c:?}");
        assert!(!dbg.contains("AIza-secret-key"), "{dbg}");
    }

    #[test]
    fn the_attempt_timeout_defaults_to_the_deadline() {
        let b = || Client::builder(DEFAULT_BASE_URL).api_key("k");
        let c = b().build().unwrap();
        assert_eq!(c.inner.transport.timeouts.attempt, DEFAULT_DEADLINE);
        assert_eq!(c.inner.transport.limiter.max(), 8);
        let c = b()
            .timeout(Duration::from_secs(2))
            .connect_timeout(Duration::from_secs(1))
            .build()
            .unwrap();
        assert_eq!(c.inner.transport.timeouts.attempt, Duration::from_secs(2));
        assert_eq!(c.inner.transport.timeouts.connect, Duration::from_secs(1));
        let e = b().timeout(Duration::ZERO).build().unwrap_err();
        assert!(e.to_string().contains("must be positive"), "{e}");
        for n in [0, usize::MAX] {
            let e = b().max_concurrency(n).build().unwrap_err();
            assert!(
                e.to_string()
                    .contains("max_concurrency must be between 1 and"),
                "{e}"
            );
        }
    }

    #[test]
    fn from_env_reads_the_three_variables() {
        let vars = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let e = Client::builder_from(vars(&[("GEMINI_MODEL", "x")])).unwrap_err();
        assert!(e.to_string().contains("GEMINI_API_KEY"));
        let c = Client::builder_from(vars(&[
            ("GEMINI_API_KEY", "k"),
            ("GEMINI_MODEL", "gemini-2.5-flash"),
            ("GEMINI_URL", "http://127.0.0.1:9"),
        ]))
        .unwrap()
        .build()
        .unwrap();
        assert_eq!(c.model(), "gemini-2.5-flash");
        assert_eq!(c.base_url().as_str(), "http://127.0.0.1:9/");
        let c = Client::builder_from(vars(&[("GEMINI_API_KEY", "k"), ("GEMINI_MODEL", " ")]))
            .unwrap()
            .build()
            .unwrap();
        assert_eq!(c.model(), DEFAULT_MODEL);
        assert_eq!(
            c.base_url().as_str(),
            "https://generativelanguage.googleapis.com/"
        );
    }
}
