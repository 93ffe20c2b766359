//! The live feed: Traccar's WebSocket (`/api/socket`) as a [`Stream`] of [`Update`]s, with
//! reconnect, exponential backoff and a re-snapshot after each reconnect.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::{Stream, StreamExt as _};
use http::header::COOKIE;
use secrecy::ExposeSecret as _;
use serde::Deserialize;
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::{self, Message, client::IntoClientRequest as _};

use crate::api::devices::DeviceFilter;
use crate::client::Auth;
use crate::models::{Device, Event, Position};
use crate::{Client, Error, Result};

/// One message of the feed.
///
/// The server's `{}` keepalive (every 55 s) is not surfaced: it only proves the connection is
/// alive (no message for [`LiveOptions::idle_timeout`] means a dead connection, which is then
/// reopened).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Update {
    /// New positions; the first one after (re)connecting is the server's snapshot: the latest
    /// position of every device.
    Positions(Vec<Position>),
    /// Devices whose status changed; after each (re)connect, every device (re-read through
    /// `GET /api/devices`, since the socket does not re-send them).
    Devices(Vec<Device>),
    /// New events.
    Events(Vec<Event>),
    /// The connection was lost and is open again: updates in between were missed; the
    /// snapshots that follow re-sync positions and devices.
    Reconnected,
}

/// How the feed reconnects.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct LiveOptions {
    /// First wait after a failure (default 500 ms); doubled after each failed attempt.
    pub initial_backoff: Duration,
    /// Longest wait (default 30 s).
    pub max_backoff: Duration,
    /// A connection silent this long is dead (default 130 s: two missed keepalives).
    pub idle_timeout: Duration,
    /// Emit every device (`GET /api/devices`) after each connect (default true).
    pub devices_on_connect: bool,
}

impl Default for LiveOptions {
    fn default() -> Self {
        Self {
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(130),
            devices_on_connect: true,
        }
    }
}

impl LiveOptions {
    /// Sets the backoff bounds.
    pub fn backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max.max(initial);
        self
    }

    /// Sets the idle timeout.
    pub fn idle_timeout(mut self, idle: Duration) -> Self {
        self.idle_timeout = idle;
        self
    }

    /// Whether devices are fetched and emitted after each connect.
    pub fn devices_on_connect(mut self, on: bool) -> Self {
        self.devices_on_connect = on;
        self
    }
}

/// The live feed: a `Stream` of `Result<Update>`. Connection failures are retried forever
/// with backoff (and logged); the stream yields an error and ends only when the server
/// refuses the credentials. [`stop`](Self::stop) (or dropping it) closes the connection.
#[derive(Debug)]
pub struct LiveFeed {
    rx: mpsc::Receiver<Result<Update>>,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl LiveFeed {
    /// Closes the connection; the stream ends after the updates already received.
    pub fn stop(&self) {
        let _ = self.stop.send(true);
    }
}

impl Drop for LiveFeed {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Stream for LiveFeed {
    type Item = Result<Update>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.rx.poll_recv(cx)
    }
}

impl Client {
    /// Opens the live feed with default options. Must be called inside a tokio runtime.
    pub fn live(&self) -> LiveFeed {
        self.live_with(LiveOptions::default())
    }

    /// Opens the live feed. Must be called inside a tokio runtime.
    ///
    /// Auth: a bearer token goes as `?token=` (Traccar 6.2+); session and basic credentials
    /// log in (`POST /api/session`) and send the session cookie.
    pub fn live_with(&self, options: LiveOptions) -> LiveFeed {
        let (tx, rx) = mpsc::channel(64);
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(run(self.clone(), options, tx, stopped));
        LiveFeed { rx, stop, task }
    }

    /// The socket URL (`ws(s)://.../api/socket`, with `?token=` for a bearer token).
    fn socket_url(&self) -> Result<url::Url> {
        let mut url = self.url(&["socket"]);
        let scheme = if url.scheme() == "https" { "wss" } else { "ws" };
        url.set_scheme(scheme)
            .map_err(|()| Error::Config("cannot make a WebSocket URL".to_owned()))?;
        if let Auth::Bearer(t) = self.auth() {
            url.query_pairs_mut()
                .append_pair("token", t.expose_secret());
        }
        Ok(url)
    }
}

/// A socket message: keys are present only when non-empty; `{}` is the keepalive.
#[derive(Debug, Default, Deserialize)]
struct Frame {
    #[serde(default)]
    devices: Option<Vec<Device>>,
    #[serde(default)]
    positions: Option<Vec<Position>>,
    #[serde(default)]
    events: Option<Vec<Event>>,
}

/// Parses one text frame into its updates (none for a keepalive).
pub(crate) fn parse_frame(text: &str) -> Result<Vec<Update>> {
    let frame: Frame =
        gigafibre_client_core::decode_json(text.as_bytes()).map_err(|e| Error::Decode {
            endpoint: "/api/socket".to_owned(),
            path: e.path,
            source: e.source,
        })?;
    let mut out = Vec::new();
    if let Some(d) = frame.devices.filter(|d| !d.is_empty()) {
        out.push(Update::Devices(d));
    }
    if let Some(p) = frame.positions.filter(|p| !p.is_empty()) {
        out.push(Update::Positions(p));
    }
    if let Some(e) = frame.events.filter(|e| !e.is_empty()) {
        out.push(Update::Events(e));
    }
    Ok(out)
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(client: &Client) -> Result<Socket> {
    let url = client.socket_url()?;
    let mut request = url
        .as_str()
        .into_client_request()
        .map_err(|e| Error::WebSocket(format!("bad socket request: {}", redact(&e))))?;
    let cookie = match client.auth() {
        Auth::Session { .. } => client.session_cookie().await?,
        Auth::Basic { .. } => Some(client.basic_session().await?),
        _ => None,
    };
    if let Some(c) = cookie {
        let v = gigafibre_client_core::sensitive_header(c.expose_secret())
            .map_err(|e| Error::Config(e.to_string()))?;
        request.headers_mut().insert(COOKIE, v);
    }
    let connecting = tokio_tungstenite::connect_async(request);
    let (socket, _) = tokio::time::timeout(client.timeouts().attempt, connecting)
        .await
        .map_err(|_| Error::Timeout(client.timeouts().attempt))?
        .map_err(|e| match e {
            tungstenite::Error::Http(resp) if resp.status().as_u16() == 401 => {
                Error::Unauthorized {
                    totp_required: false,
                }
            }
            tungstenite::Error::Http(resp) => {
                Error::WebSocket(format!("handshake refused with {}", resp.status()))
            }
            other => Error::WebSocket(redact(&other)),
        })?;
    Ok(socket)
}

/// A tungstenite error as text, without the URL (which may carry the token).
fn redact(e: &tungstenite::Error) -> String {
    match e {
        tungstenite::Error::Url(_) => "bad URL".to_owned(),
        other => other
            .to_string()
            .split("token=")
            .next()
            .unwrap_or("")
            .to_owned(),
    }
}

/// Resolves when the feed is told to stop (or its handle is gone).
async fn until_stopped(stopped: &mut watch::Receiver<bool>) {
    let stop = stopped.wait_for(|s| *s).await.is_ok();
    if !stop {
        std::future::pending::<()>().await;
    }
}

async fn run(
    client: Client,
    options: LiveOptions,
    tx: mpsc::Sender<Result<Update>>,
    mut stopped: watch::Receiver<bool>,
) {
    let mut backoff = options.initial_backoff;
    let mut connected_before = false;
    let mut refused = 0u32;
    loop {
        if *stopped.borrow_and_update() {
            return;
        }
        let attempt = tokio::select! {
            r = connect(&client) => r,
            _ = until_stopped(&mut stopped) => return,
        };
        let mut socket = match attempt {
            Ok(s) => s,
            Err(Error::Unauthorized { .. })
                if refused == 0 && matches!(client.auth(), Auth::Session { .. }) =>
            {
                // A stale session cookie: log in again once before giving up.
                refused += 1;
                let _ = client.login().await;
                continue;
            }
            Err(e @ (Error::Unauthorized { .. } | Error::Config(_))) => {
                let _ = tx.send(Err(e)).await;
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, wait_ms = backoff.as_millis() as u64, "traccar feed: connect failed; retrying");
                tokio::select! {
                    _ = tokio::time::sleep(backoff) => {}
                    _ = until_stopped(&mut stopped) => return,
                }
                backoff = (backoff * 2).min(options.max_backoff);
                continue;
            }
        };
        refused = 0;
        if connected_before && tx.send(Ok(Update::Reconnected)).await.is_err() {
            return;
        }
        connected_before = true;
        if options.devices_on_connect {
            match client.devices().list(&DeviceFilter::default()).await {
                Ok(devices) => {
                    if tx.send(Ok(Update::Devices(devices))).await.is_err() {
                        return;
                    }
                }
                Err(e) => tracing::warn!(error = %e, "traccar feed: could not re-read devices"),
            }
        }
        loop {
            let next = tokio::select! {
                n = tokio::time::timeout(options.idle_timeout, socket.next()) => n,
                _ = until_stopped(&mut stopped) => {
                    let _ = socket.close(None).await;
                    return;
                }
            };
            match next {
                Ok(Some(Ok(Message::Text(text)))) => {
                    // Any message, the keepalive included, proves the connection healthy.
                    backoff = options.initial_backoff;
                    match parse_frame(text.as_str()) {
                        Ok(updates) => {
                            for u in updates {
                                if tx.send(Ok(u)).await.is_err() {
                                    return;
                                }
                            }
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "traccar feed: undecodable message skipped")
                        }
                    }
                }
                Ok(Some(Ok(Message::Close(_)) | Err(_)) | None) => break,
                Ok(Some(Ok(_))) => {}
                Err(_) => {
                    tracing::warn!(
                        "traccar feed: no message (not even a keepalive) in time; reconnecting"
                    );
                    break;
                }
            }
        }
        tracing::info!(
            wait_ms = backoff.as_millis() as u64,
            "traccar feed: connection lost; reconnecting"
        );
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {}
            _ = until_stopped(&mut stopped) => return,
        }
        backoff = (backoff * 2).min(options.max_backoff);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames() {
        assert!(parse_frame("{}").unwrap().is_empty());
        let u = parse_frame(r#"{"positions":[{"id":1,"deviceId":2,"speed":10.0}]}"#).unwrap();
        assert!(matches!(&u[..], [Update::Positions(p)] if p[0].speed_knots() == 10.0));
        let u = parse_frame(r#"{"devices":[{"id":2,"name":"van","uniqueId":"1","status":"online"}],"events":[{"id":3,"type":"deviceOnline","deviceId":2}],"logs":[]}"#).unwrap();
        assert_eq!(u.len(), 2);
        assert!(parse_frame("not json").is_err());
    }

    #[test]
    fn socket_url_carries_the_token_only_for_bearer() {
        let c = Client::builder("https://gps.example.com")
            .bearer("t0k")
            .build()
            .unwrap();
        assert_eq!(
            c.socket_url().unwrap().as_str(),
            "wss://gps.example.com/api/socket?token=t0k"
        );
        let c = Client::builder("http://t:8082/api")
            .session("a", "b")
            .build()
            .unwrap();
        assert_eq!(c.socket_url().unwrap().as_str(), "ws://t:8082/api/socket");
    }
}
