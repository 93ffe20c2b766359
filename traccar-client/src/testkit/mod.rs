//! An in-process fake Traccar (feature `testkit`) for tests, examples and the hub's sandbox:
//! devices that drive along routes over time (technicians between jobs), positions and history
//! computed from the clock, reports, the three auth modes answered as Traccar answers them
//! (401 with an empty body, `WWW-Authenticate: TOTP`, 400 with a Java stack trace for a
//! denial), and the WebSocket feed (positions snapshot on open, updates, `{}` keepalive,
//! dropped connections on demand).
//!
//! ```
//! use traccar_client::testkit::FakeTraccar;
//! use traccar_client::Client;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let fake = FakeTraccar::start().await.unwrap();
//! let van = fake.add_device("Van 1", "350000000000001", vec![(45.50, -73.57), (45.52, -73.55)], 40.0);
//! let client = Client::builder(fake.url().as_str()).bearer(fake.token()).build().unwrap();
//! let p = client.positions().latest(van).await.unwrap().unwrap();
//! assert!((p.speed_kmh() - 40.0).abs() < 0.01);
//! # }
//! ```
//!
//! Positions: one every [`FakeTraccar::set_report_interval`] (10 s by default) from the
//! device's start, moving at its speed along its route, back and forth; the clock is the real
//! one plus [`FakeTraccar::advance`]. History answers are cut at `max_positions` (50 000, as
//! the server's `report.maxPositions`).

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::to_bytes;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{FromRequestParts, Request, State};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use gigafibre_client_core::testkit::{FakeServer, FaultQueue, RequestLog};
use http::{HeaderMap, StatusCode};
use serde_json::{Value, json};
use tokio::sync::{broadcast, watch};
use url::Url;

use crate::models::{DeviceId, KMH_PER_KNOT};

/// A fault to inject ([`FakeTraccar::push_fault`]).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Fault {
    /// Answer this status with an empty body.
    Status(u16),
    /// Answer 400 with a Java stack trace whose first line is this text
    /// (`java.lang.IllegalArgumentException: Time period exceeds the limit`).
    Exception(String),
    /// Wait this long before answering normally.
    Delay(Duration),
}

/// A request the fake received.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    /// Method.
    pub method: String,
    /// Path (`/api/devices`).
    pub path: String,
    /// Query string.
    pub query: Option<String>,
    /// `Accept` header.
    pub accept: Option<String>,
}

#[derive(Debug, Clone)]
struct FakeDevice {
    json: Value,
    route: Vec<(f64, f64)>,
    speed_kmh: f64,
    start: DateTime<Utc>,
}

#[derive(Debug)]
struct Shared {
    devices: Mutex<BTreeMap<i64, FakeDevice>>,
    denied: Mutex<HashSet<i64>>,
    events: Mutex<Vec<Value>>,
    sessions: Mutex<HashSet<String>>,
    version: Mutex<String>,
    totp: Mutex<Option<String>>,
    offset_ms: AtomicU64,
    interval_ms: AtomicU64,
    latency_ms: AtomicU64,
    next_id: AtomicU64,
    max_positions: usize,
    token: String,
    email: String,
    password: String,
    faults: FaultQueue<Fault>,
    log: RequestLog<Recorded>,
    feed: broadcast::Sender<String>,
    drops: watch::Sender<u64>,
    keepalive: Mutex<Duration>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The fake server. Cloning shares it; dropping the last clone stops it.
#[derive(Debug, Clone)]
pub struct FakeTraccar {
    server: FakeServer,
    shared: Arc<Shared>,
}

impl FakeTraccar {
    /// Starts a fake (version 6.14.5) on `127.0.0.1:0` with one admin,
    /// `admin@example.com` / `admin`, and the token [`token`](Self::token).
    ///
    /// # Errors
    /// When it cannot bind.
    pub async fn start() -> std::io::Result<Self> {
        let (feed, _) = broadcast::channel(1024);
        let shared = Arc::new(Shared {
            devices: Mutex::new(BTreeMap::new()),
            denied: Mutex::new(HashSet::new()),
            events: Mutex::new(Vec::new()),
            sessions: Mutex::new(HashSet::new()),
            version: Mutex::new("6.14.5".to_owned()),
            totp: Mutex::new(None),
            offset_ms: AtomicU64::new(0),
            interval_ms: AtomicU64::new(10_000),
            latency_ms: AtomicU64::new(0),
            next_id: AtomicU64::new(1),
            max_positions: 50_000,
            token: "fake-traccar-token".to_owned(),
            email: "admin@example.com".to_owned(),
            password: "admin".to_owned(),
            faults: FaultQueue::default(),
            log: RequestLog::new(10_000),
            feed,
            drops: watch::channel(0).0,
            keepalive: Mutex::new(Duration::from_secs(55)),
        });
        let app = Router::new()
            .route("/api/socket", axum::routing::get(socket))
            .fallback(handle)
            .with_state(shared.clone());
        let server = FakeServer::start(app).await?;
        Ok(Self { server, shared })
    }

    /// The server URL (`http://127.0.0.1:port/`; the client adds `/api`).
    pub fn url(&self) -> Url {
        self.server.url()
    }

    /// The bearer token it accepts.
    pub fn token(&self) -> &str {
        &self.shared.token
    }

    /// The admin's login and password.
    pub fn credentials(&self) -> (&str, &str) {
        (&self.shared.email, &self.shared.password)
    }

    /// Reports this version on `/api/server` (older than 6.13: `limit`, `offset`, `keyword`
    /// are ignored as upstream does).
    pub fn set_version(&self, version: &str) {
        *lock(&self.shared.version) = version.to_owned();
    }

    /// Requires this TOTP code at session login.
    pub fn require_totp(&self, code: &str) {
        *lock(&self.shared.totp) = Some(code.to_owned());
    }

    /// Forgets every session (the next cookie request gets 401).
    pub fn expire_sessions(&self) {
        lock(&self.shared.sessions).clear();
    }

    /// Adds a device driving along `route` (latitude, longitude) at `speed_kmh`, back and
    /// forth, from now. Returns its id.
    pub fn add_device(
        &self,
        name: &str,
        unique_id: &str,
        route: Vec<(f64, f64)>,
        speed_kmh: f64,
    ) -> DeviceId {
        let id = self.shared.next_id.fetch_add(1, Ordering::Relaxed);
        self.add_device_with_id(DeviceId(id as i64), name, unique_id, route, speed_kmh)
    }

    /// [`add_device`](Self::add_device) under a given id (a seed whose records already name
    /// the devices' ids); a device with that id is replaced. Ids given later by `add_device`
    /// stay above it.
    pub fn add_device_with_id(
        &self,
        id: DeviceId,
        name: &str,
        unique_id: &str,
        route: Vec<(f64, f64)>,
        speed_kmh: f64,
    ) -> DeviceId {
        let id = id.get();
        self.shared
            .next_id
            .fetch_max(u64::try_from(id).unwrap_or(0) + 1, Ordering::Relaxed);
        let start = now(&self.shared);
        let json = json!({
            "id": id, "name": name, "uniqueId": unique_id, "status": "online",
            "disabled": false, "lastUpdate": iso(start), "positionId": null, "groupId": null,
            "phone": null, "model": null, "contact": null, "category": "car", "attributes": {}
        });
        lock(&self.shared.devices).insert(
            id,
            FakeDevice {
                json,
                route,
                speed_kmh,
                start,
            },
        );
        DeviceId(id)
    }

    /// Makes every request about this device answer `400 java.lang.SecurityException: Device
    /// access denied`.
    pub fn deny_device(&self, id: DeviceId) {
        lock(&self.shared.denied).insert(id.get());
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        self.shared
            .offset_ms
            .fetch_add(by.as_millis() as u64, Ordering::Relaxed);
    }

    /// One position per this interval (default 10 s).
    pub fn set_report_interval(&self, every: Duration) {
        self.shared
            .interval_ms
            .store(every.as_millis().max(1) as u64, Ordering::Relaxed);
    }

    /// Waits this long before answering each request (a slow server; the benchmark's 50 ms).
    pub fn set_latency(&self, latency: Duration) {
        self.shared
            .latency_ms
            .store(latency.as_millis() as u64, Ordering::Relaxed);
    }

    /// Sends the keepalive `{}` this often on each socket (default 55 s).
    pub fn set_keepalive(&self, every: Duration) {
        *lock(&self.shared.keepalive) = every;
    }

    /// Queues a fault for the next `times` requests under `path_prefix` (`/api/positions`).
    pub fn push_fault(&self, fault: Fault, times: u32, path_prefix: Option<&str>) {
        self.shared
            .faults
            .push(fault, times, path_prefix.map(str::to_owned));
    }

    /// The requests received, oldest first (the socket excluded).
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.log.all()
    }

    /// Pushes every device's current position to the open sockets (`{"positions":[...]}`).
    pub fn publish_positions(&self) {
        let positions = latest_all(&self.shared);
        let _ = self
            .shared
            .feed
            .send(json!({ "positions": positions }).to_string());
    }

    /// Sets a device's status and pushes `{"devices":[d]}` and a `deviceOnline` /
    /// `deviceOffline` event to the sockets.
    pub fn set_status(&self, id: DeviceId, online: bool) {
        let status = if online { "online" } else { "offline" };
        let device = {
            let mut devices = lock(&self.shared.devices);
            let Some(d) = devices.get_mut(&id.get()) else {
                return;
            };
            d.json["status"] = json!(status);
            d.json.clone()
        };
        let event = json!({
            "id": self.shared.next_id.fetch_add(1, Ordering::Relaxed),
            "type": if online { "deviceOnline" } else { "deviceOffline" },
            "eventTime": iso(now(&self.shared)), "deviceId": id.get(), "positionId": 0,
            "geofenceId": 0, "maintenanceId": 0, "attributes": {}
        });
        lock(&self.shared.events).push(event.clone());
        let _ = self
            .shared
            .feed
            .send(json!({ "devices": [device] }).to_string());
        let _ = self
            .shared
            .feed
            .send(json!({ "events": [event] }).to_string());
    }

    /// Closes every open socket (the client should reconnect).
    pub fn drop_connections(&self) {
        self.shared.drops.send_modify(|n| *n += 1);
    }
}

/// The fake's clock, in whole milliseconds (as Traccar stores times).
fn now(s: &Shared) -> DateTime<Utc> {
    let t = DateTime::<Utc>::from(std::time::SystemTime::now())
        + chrono::Duration::milliseconds(s.offset_ms.load(Ordering::Relaxed) as i64);
    DateTime::from_timestamp_millis(t.timestamp_millis()).unwrap_or(t)
}

fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, false)
}

/// Metres between two points (haversine).
fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let r = 6_371_000.0;
    let (la1, la2) = (a.0.to_radians(), b.0.to_radians());
    let dla = la2 - la1;
    let dlo = (b.1 - a.1).to_radians();
    let h = (dla / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlo / 2.0).sin().powi(2);
    2.0 * r * h.sqrt().asin()
}

/// Where a device is `elapsed_s` after its start, and its course.
fn place(d: &FakeDevice, elapsed_s: f64) -> (f64, f64, f64) {
    let Some(&first) = d.route.first() else {
        return (0.0, 0.0, 0.0);
    };
    let legs: Vec<f64> = d.route.windows(2).map(|w| distance_m(w[0], w[1])).collect();
    let total: f64 = legs.iter().sum();
    if total <= 0.0 || d.speed_kmh <= 0.0 {
        return (first.0, first.1, 0.0);
    }
    let travelled = d.speed_kmh / 3.6 * elapsed_s.max(0.0);
    let lap = travelled % (2.0 * total);
    let (mut along, back) = if lap > total {
        (2.0 * total - lap, true)
    } else {
        (lap, false)
    };
    for (i, leg) in legs.iter().enumerate() {
        if along <= *leg || i == legs.len() - 1 {
            let f = if *leg > 0.0 {
                (along / leg).min(1.0)
            } else {
                0.0
            };
            let (a, b) = (d.route[i], d.route[i + 1]);
            let lat = a.0 + (b.0 - a.0) * f;
            let lon = a.1 + (b.1 - a.1) * f;
            let mut course = (b.1 - a.1).atan2(b.0 - a.0).to_degrees().rem_euclid(360.0);
            if back {
                course = (course + 180.0) % 360.0;
            }
            return (lat, lon, course);
        }
        along -= leg;
    }
    (first.0, first.1, 0.0)
}

fn position_at(s: &Shared, id: i64, d: &FakeDevice, tick: i64) -> Value {
    let interval = s.interval_ms.load(Ordering::Relaxed) as i64;
    let t = d.start + chrono::Duration::milliseconds(tick * interval);
    let (lat, lon, course) = place(d, (tick * interval) as f64 / 1000.0);
    json!({
        "id": id * 1_000_000_000 + tick, "deviceId": id, "protocol": "osmand",
        "deviceTime": iso(t), "fixTime": iso(t), "serverTime": iso(t), "valid": true,
        "latitude": lat, "longitude": lon, "altitude": 30.0,
        "speed": d.speed_kmh / KMH_PER_KNOT, "course": course, "address": null,
        "accuracy": 5.0, "network": null, "geofenceIds": null,
        "attributes": {"motion": d.speed_kmh > 0.0, "ignition": true, "batteryLevel": 87.0}
    })
}

fn current_tick(s: &Shared, d: &FakeDevice) -> i64 {
    let interval = s.interval_ms.load(Ordering::Relaxed).max(1) as i64;
    ((now(s) - d.start).num_milliseconds() / interval).max(0)
}

fn latest_all(s: &Shared) -> Vec<Value> {
    lock(&s.devices)
        .iter()
        .map(|(id, d)| position_at(s, *id, d, current_tick(s, d)))
        .collect()
}

/// Positions of a device with fix time in `[from, to]`, capped.
fn history(s: &Shared, id: i64, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Value> {
    let devices = lock(&s.devices);
    let Some(d) = devices.get(&id) else {
        return Vec::new();
    };
    let interval = s.interval_ms.load(Ordering::Relaxed).max(1) as i64;
    let last = current_tick(s, d);
    let first_ms = (from - d.start).num_milliseconds().max(0);
    let mut tick = (first_ms + interval - 1) / interval;
    let mut out = Vec::new();
    while tick <= last && out.len() < s.max_positions {
        let t = d.start + chrono::Duration::milliseconds(tick * interval);
        if t > to {
            break;
        }
        out.push(position_at(s, id, d, tick));
        tick += 1;
    }
    out
}

fn trace(first_line: &str) -> Response {
    let body = format!(
        "{first_line}\n\tat org.traccar.api.security.PermissionsService.checkPermission(PermissionsService.java:190)\n\tat org.traccar.api.BaseResource.get(BaseResource.java:60)\n\tat java.base/jdk.internal.reflect.DirectMethodHandleAccessor.invoke(DirectMethodHandleAccessor.java:103)\n"
    );
    (
        StatusCode::BAD_REQUEST,
        [("content-type", "text/plain")],
        body,
    )
        .into_response()
}

fn empty(status: StatusCode) -> Response {
    status.into_response()
}

fn ok_json(v: &Value) -> Response {
    (
        StatusCode::OK,
        [("content-type", "application/json")],
        v.to_string(),
    )
        .into_response()
}

fn cookie_of(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .map(str::trim)
        .find(|c| c.starts_with("JSESSIONID="))
        .map(str::to_owned)
}

/// Traccar's SecurityRequestFilter: the Authorization header wins over the cookie.
fn authenticated(s: &Shared, headers: &HeaderMap, query_token: Option<&str>) -> bool {
    if let Some(auth) = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        if let Some(t) = auth.strip_prefix("Bearer ") {
            return t == s.token;
        }
        if let Some(b) = auth.strip_prefix("Basic ") {
            let want = base64::engine::general_purpose::STANDARD
                .encode(format!("{}:{}", s.email, s.password));
            return b == want;
        }
        return false;
    }
    if query_token.is_some_and(|t| t == s.token) {
        return true;
    }
    cookie_of(headers).is_some_and(|c| lock(&s.sessions).contains(&c))
}

fn params(query: Option<&str>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

fn param<'a>(q: &'a [(String, String)], name: &str) -> Option<&'a str> {
    q.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn date(q: &[(String, String)], name: &str) -> Option<DateTime<Utc>> {
    param(q, name)
        .and_then(|v| DateTime::parse_from_rfc3339(v).ok())
        .map(|d| d.to_utc())
}

fn user(s: &Shared) -> Value {
    json!({"id": 1, "name": "admin", "email": s.email, "administrator": true, "readonly": false,
           "disabled": false, "attributes": {}})
}

async fn socket(State(s): State<Arc<Shared>>, req: Request) -> Response {
    let q = params(req.uri().query());
    let authed = authenticated(&s, req.headers(), param(&q, "token"));
    let (mut parts, _) = req.into_parts();
    if !authed {
        return empty(StatusCode::UNAUTHORIZED);
    }
    match WebSocketUpgrade::from_request_parts(&mut parts, &s).await {
        Ok(ws) => ws.on_upgrade(move |socket| feed(s, socket)),
        Err(e) => e.into_response(),
    }
}

async fn feed(s: Arc<Shared>, mut socket: WebSocket) {
    let mut rx = s.feed.subscribe();
    let mut drops = s.drops.subscribe();
    drops.borrow_and_update();
    let snapshot = json!({ "positions": latest_all(&s) }).to_string();
    if socket.send(Message::Text(snapshot.into())).await.is_err() {
        return;
    }
    let every = *lock(&s.keepalive);
    let mut keepalive = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    loop {
        tokio::select! {
            m = rx.recv() => match m {
                Ok(text) => if socket.send(Message::Text(text.into())).await.is_err() { return },
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return,
            },
            _ = keepalive.tick() => if socket.send(Message::Text("{}".into())).await.is_err() { return },
            _ = drops.changed() => return,
            incoming = socket.recv() => if !matches!(incoming, Some(Ok(_))) { return },
        }
    }
}

async fn handle(State(s): State<Arc<Shared>>, req: Request) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let query = req.uri().query().map(str::to_owned);
    let headers = req.headers().clone();
    s.log.record(Recorded {
        method: method.to_string(),
        path: path.clone(),
        query: query.clone(),
        accept: headers
            .get(http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    });
    let latency = s.latency_ms.load(Ordering::Relaxed);
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    match s.faults.take(&path, &path) {
        Some(Fault::Status(code)) => {
            return empty(StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
        }
        Some(Fault::Exception(line)) => return trace(&line),
        Some(Fault::Delay(d)) => tokio::time::sleep(d).await,
        None => {}
    }
    let body = to_bytes(req.into_body(), 1 << 20).await.unwrap_or_default();
    let q = params(query.as_deref());
    let Some(rest) = path.strip_prefix("/api/") else {
        return empty(StatusCode::NOT_FOUND);
    };
    let segs: Vec<&str> = rest.split('/').collect();
    match (method.as_str(), segs.as_slice()) {
        ("GET", ["server"]) => {
            let v = lock(&s.version).clone();
            return ok_json(&json!({"id": 1, "registration": false, "readonly": false,
                "deviceReadonly": false, "limitCommands": false, "map": null, "version": v,
                "forceSettings": false, "coordinateFormat": null, "openIdEnabled": false,
                "openIdForce": false, "attributes": {}}));
        }
        ("POST", ["session"]) => {
            let form: Vec<(String, String)> =
                url::form_urlencoded::parse(&body).into_owned().collect();
            let ok = param(&form, "email").is_some_and(|e| e.eq_ignore_ascii_case(&s.email))
                && param(&form, "password") == Some(s.password.as_str());
            if !ok {
                return empty(StatusCode::UNAUTHORIZED);
            }
            if let Some(code) = lock(&s.totp).clone()
                && param(&form, "code") != Some(code.as_str())
            {
                return (StatusCode::UNAUTHORIZED, [("www-authenticate", "TOTP")]).into_response();
            }
            let n = s.next_id.fetch_add(1, Ordering::Relaxed);
            let cookie = format!("JSESSIONID=fake{n:08x}");
            lock(&s.sessions).insert(cookie.clone());
            let mut r = ok_json(&user(&s));
            if let Ok(v) = format!("{cookie}; Path=/; HttpOnly").parse() {
                r.headers_mut().insert(http::header::SET_COOKIE, v);
            }
            return r;
        }
        _ => {}
    }
    if !authenticated(&s, &headers, None) {
        return empty(StatusCode::UNAUTHORIZED);
    }
    let denied = |id: i64| lock(&s.denied).contains(&id);
    let device_ids: Vec<i64> = q
        .iter()
        .filter(|(k, _)| k == "deviceId")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    if device_ids.iter().any(|d| denied(*d)) {
        return trace("java.lang.SecurityException: Device access denied");
    }
    match (method.as_str(), segs.as_slice()) {
        ("GET", ["session"]) => ok_json(&user(&s)),
        ("DELETE", ["session"]) => {
            if let Some(c) = cookie_of(&headers) {
                lock(&s.sessions).remove(&c);
            }
            empty(StatusCode::NO_CONTENT)
        }
        ("GET", ["devices"]) => {
            let ids: Vec<String> = q
                .iter()
                .filter(|(k, _)| k == "id")
                .map(|(_, v)| v.clone())
                .collect();
            let uids: Vec<&str> = q
                .iter()
                .filter(|(k, _)| k == "uniqueId")
                .map(|(_, v)| v.as_str())
                .collect();
            let paging = crate::Version::parse(&lock(&s.version))
                .is_some_and(|v| v >= crate::Version::DEVICE_PAGING);
            let keyword = param(&q, "keyword")
                .filter(|_| paging)
                .map(str::to_lowercase);
            let list: Vec<Value> = lock(&s.devices)
                .iter()
                .filter(|(id, _)| !denied(**id))
                .filter(|(id, _)| ids.is_empty() || ids.contains(&id.to_string()))
                .map(|(_, d)| d.json.clone())
                .filter(|d| uids.is_empty() || uids.iter().any(|u| d["uniqueId"] == *u))
                .filter(|d| {
                    keyword.as_ref().is_none_or(|k| {
                        d["name"].as_str().unwrap_or("").to_lowercase().contains(k)
                            || d["uniqueId"].as_str().unwrap_or("").contains(k.as_str())
                    })
                })
                .collect();
            let (offset, limit) = if paging {
                (
                    param(&q, "offset")
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0),
                    param(&q, "limit")
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(usize::MAX),
                )
            } else {
                (0, usize::MAX)
            };
            ok_json(&Value::Array(
                list.into_iter().skip(offset).take(limit).collect(),
            ))
        }
        ("GET", ["devices", id]) => match id.parse::<i64>() {
            Ok(id) if denied(id) => trace("java.lang.SecurityException: Device access denied"),
            Ok(id) => match lock(&s.devices).get(&id) {
                Some(d) => ok_json(&d.json),
                None => empty(StatusCode::NOT_FOUND),
            },
            Err(_) => empty(StatusCode::NOT_FOUND),
        },
        ("POST", ["devices"]) => {
            let Ok(mut v) = serde_json::from_slice::<Value>(&body) else {
                return trace(
                    "com.fasterxml.jackson.core.JsonParseException: Unexpected character",
                );
            };
            let uid = v["uniqueId"].as_str().unwrap_or("").to_owned();
            if lock(&s.devices)
                .values()
                .any(|d| d.json["uniqueId"] == uid.as_str())
            {
                return trace(
                    "java.sql.SQLIntegrityConstraintViolationException: Duplicate entry for key 'uniqueid'",
                );
            }
            let id = s.next_id.fetch_add(1, Ordering::Relaxed) as i64;
            v["id"] = json!(id);
            lock(&s.devices).insert(
                id,
                FakeDevice {
                    json: v.clone(),
                    route: Vec::new(),
                    speed_kmh: 0.0,
                    start: now(&s),
                },
            );
            ok_json(&v)
        }
        ("PUT", ["devices", id]) => {
            let (Ok(id), Ok(mut v)) = (id.parse::<i64>(), serde_json::from_slice::<Value>(&body))
            else {
                return trace("java.lang.IllegalArgumentException: bad device");
            };
            v["id"] = json!(id);
            match lock(&s.devices).get_mut(&id) {
                Some(d) => {
                    d.json = v.clone();
                    ok_json(&v)
                }
                None => trace("java.lang.SecurityException: Device access denied"),
            }
        }
        ("DELETE", ["devices", id]) => match id
            .parse::<i64>()
            .ok()
            .and_then(|id| lock(&s.devices).remove(&id))
        {
            Some(_) => empty(StatusCode::NO_CONTENT),
            None => trace("java.lang.SecurityException: Device access denied"),
        },
        ("GET", ["positions"]) => {
            let Some(&device) = device_ids.first() else {
                return ok_json(&Value::Array(latest_all(&s)));
            };
            match (date(&q, "from"), date(&q, "to")) {
                (Some(from), Some(to)) => ok_json(&Value::Array(history(&s, device, from, to))),
                _ => {
                    let devices = lock(&s.devices);
                    let latest: Vec<Value> = devices
                        .get(&device)
                        .map(|d| position_at(&s, device, d, current_tick(&s, d)))
                        .into_iter()
                        .collect();
                    ok_json(&Value::Array(latest))
                }
            }
        }
        ("GET", ["reports", name]) => {
            let (Some(from), Some(to)) = (date(&q, "from"), date(&q, "to")) else {
                return trace("java.lang.NullPointerException");
            };
            report(&s, name, &device_ids, from, to, &q)
        }
        ("GET", ["events", id]) => {
            let found = lock(&s.events)
                .iter()
                .find(|e| id.parse::<i64>().is_ok_and(|id| e["id"] == id))
                .cloned();
            match found {
                Some(e) => ok_json(&e),
                None => empty(StatusCode::NOT_FOUND),
            }
        }
        ("GET", ["geofences"]) => ok_json(&json!([{"id": 1, "name": "Depot", "description": null,
            "area": "CIRCLE (45.5 -73.57, 200)", "calendarId": 0, "attributes": {}}])),
        _ => empty(StatusCode::NOT_FOUND),
    }
}

fn report(
    s: &Shared,
    name: &str,
    devices: &[i64],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    q: &[(String, String)],
) -> Response {
    let per_device: Vec<(i64, String, Vec<Value>)> = devices
        .iter()
        .map(|d| {
            let name = lock(&s.devices)
                .get(d)
                .and_then(|x| x.json["name"].as_str().map(str::to_owned))
                .unwrap_or_default();
            (*d, name, history(s, *d, from, to))
        })
        .collect();
    let rows: Vec<Value> = match name {
        "route" => per_device.into_iter().flat_map(|(_, _, p)| p).collect(),
        "events" => {
            let types: Vec<&str> = q
                .iter()
                .filter(|(k, _)| k == "type")
                .map(|(_, v)| v.as_str())
                .collect();
            lock(&s.events)
                .iter()
                .filter(|e| devices.iter().any(|d| e["deviceId"] == *d))
                .filter(|e| {
                    types.is_empty()
                        || types.contains(&"allEvents")
                        || types.iter().any(|t| e["type"] == *t)
                })
                .cloned()
                .collect()
        }
        "summary" | "trips" => per_device
            .into_iter()
            .filter(|(_, _, p)| p.len() > 1 || name == "summary")
            .map(|(id, dname, p)| {
                let pt = |v: &Value| {
                    (
                        v["latitude"].as_f64().unwrap_or(0.0),
                        v["longitude"].as_f64().unwrap_or(0.0),
                    )
                };
                let distance: f64 = p.windows(2).map(|w| distance_m(pt(&w[0]), pt(&w[1]))).sum();
                let speed = p
                    .first()
                    .map_or(0.0, |v| v["speed"].as_f64().unwrap_or(0.0));
                let (first, last) = (
                    p.first().cloned().unwrap_or(Value::Null),
                    p.last().cloned().unwrap_or(Value::Null),
                );
                let mut row = json!({"deviceId": id, "deviceName": dname, "maxSpeed": speed,
                    "averageSpeed": speed, "distance": distance, "spentFuel": 0.0});
                if name == "summary" {
                    row["engineHours"] = json!(0);
                } else {
                    let ms = |v: &Value| {
                        v["fixTime"]
                            .as_str()
                            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                            .map_or(0, |t| t.timestamp_millis())
                    };
                    row["duration"] = json!(ms(&last) - ms(&first));
                    row["startTime"] = first["fixTime"].clone();
                    row["endTime"] = last["fixTime"].clone();
                    row["startLat"] = first["latitude"].clone();
                    row["startLon"] = first["longitude"].clone();
                    row["endLat"] = last["latitude"].clone();
                    row["endLon"] = last["longitude"].clone();
                    row["startAddress"] = Value::Null;
                    row["endAddress"] = Value::Null;
                }
                row
            })
            .collect(),
        "stops" => Vec::new(),
        _ => return empty(StatusCode::NOT_FOUND),
    };
    ok_json(&Value::Array(rows))
}
