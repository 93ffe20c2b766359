//! An in-process fake GenieACS NBI (feature `testkit`) for tests, examples and the hub's
//! sandbox: devices (from real data-model dumps), queries with projections and the `total`
//! header, tasks with configurable outcomes reported as GenieACS does (status and HTTP/1.1
//! reason phrase), `/tasks` and `/faults`.
//!
//! ```
//! use genieacs_client::testkit::{FakeNbi, TaskBehaviour};
//! use genieacs_client::{Client, Task, TaskOptions, TaskOutcome};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let nbi = FakeNbi::seeded().await.unwrap();
//! let acs = Client::builder(nbi.url().as_str()).build().unwrap();
//! let found = acs.devices().find_by_serial("22411A5001234").await.unwrap();
//! assert_eq!(found.len(), 1);
//! nbi.set_task_behaviour(&found[0].id, TaskBehaviour::ConnectionRequestFails("Device is offline".into()));
//! let s = acs.tasks().submit(&found[0].id, &Task::Reboot, &TaskOptions::default()).await.unwrap();
//! assert_eq!(s.outcome, TaskOutcome::ConnectionRequestFailed("Device is offline".into()));
//! # }
//! ```
//!
//! Filters understood: what [`Query`](crate::Query) emits — anchored literal `$regex`, plain
//! values, `$not`, `$gt`/`$lt` on numbers and dates, `$exists`, `$and`/`$or` — on any path,
//! with GenieACS's `._value` rewrite and `_tags` membership. A task body GenieACS would crash on
//! is answered 500 here (the real NBI closes the connection).

pub mod datamodel;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::response::Response;
use gigafibre_client_core::testkit::{FakeServer, RequestLog};
use http::StatusCode;
use serde_json::{Map, Value, json};
use url::Url;

use crate::DeviceId;

/// What a device does with the tasks it is sent (with a connection request).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum TaskBehaviour {
    /// The session runs and the task completes (200); a `setParameterValues` is applied.
    #[default]
    Done,
    /// The session does not start in time: `202 Task queued but not processed`.
    Queued,
    /// The connection request fails with this reason (`Device is offline`).
    ConnectionRequestFails(String),
    /// The task faults with this code and message (`cwmp.9007`, `Invalid parameter value`).
    Faults(String, String),
}

/// A request the fake received.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Received {
    /// Method.
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
}

struct Shared {
    devices: Mutex<BTreeMap<String, Value>>,
    behaviour: Mutex<HashMap<String, TaskBehaviour>>,
    tasks: Mutex<Vec<Value>>,
    faults: Mutex<Vec<Value>>,
    next_task: AtomicU64,
    log: RequestLog<Received>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A running fake NBI. Cloning shares it; dropping the last clone stops it.
#[derive(Clone)]
pub struct FakeNbi {
    shared: Arc<Shared>,
    server: FakeServer,
}

impl std::fmt::Debug for FakeNbi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeNbi")
            .field("url", &self.server.url().as_str())
            .finish_non_exhaustive()
    }
}

/// The serials the seeded fake carries: three TP-Link XX230v (TR-181) and one Huawei BM632w
/// (TR-098).
pub const SEED_SERIALS: &[&str] = &[
    "22411A5001234",
    "22411A5001235",
    "22411A5001236",
    "8KA8WA1151100043",
];

impl FakeNbi {
    /// An empty fake on `127.0.0.1:0` (inside a tokio runtime).
    pub async fn start() -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            devices: Mutex::new(BTreeMap::new()),
            behaviour: Mutex::new(HashMap::new()),
            tasks: Mutex::new(Vec::new()),
            faults: Mutex::new(Vec::new()),
            next_task: AtomicU64::new(0x666d_a000),
            log: RequestLog::new(10_000),
        });
        let app = Router::new()
            .fallback(handle)
            .with_state(Arc::clone(&shared));
        let server = FakeServer::start(app).await?;
        Ok(Self { shared, server })
    }

    /// A fake seeded with [`SEED_SERIALS`]: the real XX230v and Huawei trees under those
    /// serials, informed a minute ago.
    pub async fn seeded() -> std::io::Result<Self> {
        let nbi = Self::start().await?;
        let recent = chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now())
            - chrono::TimeDelta::minutes(1);
        let when = recent.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        for serial in &SEED_SERIALS[..3] {
            nbi.add_device(datamodel::device_from_csv(
                datamodel::XX230V_TR181,
                serial,
                &when,
            ));
        }
        nbi.add_device(datamodel::device_from_csv(
            datamodel::HUAWEI_TR098,
            SEED_SERIALS[3],
            &when,
        ));
        Ok(nbi)
    }

    /// The base URL.
    pub fn url(&self) -> Url {
        self.server.url()
    }

    /// Stores (or replaces) a device document (it needs an `_id`).
    pub fn add_device(&self, doc: Value) {
        if let Some(id) = doc.get("_id").and_then(Value::as_str) {
            lock(&self.shared.devices).insert(id.to_owned(), doc);
        }
    }

    /// A device document as stored.
    pub fn device(&self, id: &DeviceId) -> Option<Value> {
        lock(&self.shared.devices).get(id.as_str()).cloned()
    }

    /// What the device does with the next tasks.
    pub fn set_task_behaviour(&self, id: &DeviceId, behaviour: TaskBehaviour) {
        lock(&self.shared.behaviour).insert(id.as_str().to_owned(), behaviour);
    }

    /// Tasks still queued.
    pub fn tasks(&self) -> Vec<Value> {
        lock(&self.shared.tasks).clone()
    }

    /// Faults.
    pub fn faults(&self) -> Vec<Value> {
        lock(&self.shared.faults).clone()
    }

    /// Requests received, oldest first.
    pub fn requests(&self) -> Vec<Received> {
        self.shared.log.all()
    }
}

fn reply(status: StatusCode, reason: Option<&'static str>, body: &Value) -> Response {
    let mut r = Response::new(Body::from(body.to_string()));
    *r.status_mut() = status;
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    r.headers_mut()
        .insert("genieacs-version", http::HeaderValue::from_static("1.2.16"));
    if let Some(reason) = reason {
        r.extensions_mut()
            .insert(hyper::ext::ReasonPhrase::from_static(reason.as_bytes()));
    }
    r
}

fn reply_reason(status: StatusCode, reason: &str, body: &Value) -> Response {
    let mut r = reply(status, None, body);
    if let Ok(p) = hyper::ext::ReasonPhrase::try_from(reason.to_owned()) {
        r.extensions_mut().insert(p);
    }
    r
}

fn text(status: StatusCode, t: &str) -> Response {
    let mut r = Response::new(Body::from(t.to_owned()));
    *r.status_mut() = status;
    r
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let Some(v) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn handle(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let query = req.uri().query().unwrap_or_default().to_owned();
    shared.log.record(Received {
        method: method.to_string(),
        target: if query.is_empty() {
            path.clone()
        } else {
            format!("{path}?{query}")
        },
    });
    let args: HashMap<String, String> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let body = to_bytes(req.into_body(), 1 << 20).await.unwrap_or_default();
    match (method.as_str(), segs.as_slice()) {
        ("GET" | "HEAD", [collection]) => list(&shared, collection, &args),
        ("POST", ["devices", id, "tasks"]) => task(&shared, &percent_decode(id), &args, &body),
        _ => text(StatusCode::NOT_FOUND, "404 Not Found"),
    }
}

fn list(shared: &Shared, collection: &str, args: &HashMap<String, String>) -> Response {
    let filter: Value = match args.get("query") {
        None => json!({}),
        Some(q) => match serde_json::from_str(q) {
            Ok(v) => v,
            Err(e) => return text(StatusCode::BAD_REQUEST, &format!("SyntaxError: {e}")),
        },
    };
    let docs: Vec<Value> = match collection {
        "devices" => lock(&shared.devices).values().cloned().collect(),
        "tasks" => lock(&shared.tasks).clone(),
        "faults" => lock(&shared.faults).clone(),
        _ => return text(StatusCode::NOT_FOUND, "404 Not Found"),
    };
    let devices = collection == "devices";
    let matched: Vec<Value> = docs
        .into_iter()
        .filter(|d| matches(d, &filter, devices))
        .collect();
    let total = matched.len();
    let skip: usize = args.get("skip").and_then(|s| s.parse().ok()).unwrap_or(0);
    let limit: usize = args
        .get("limit")
        .and_then(|s| s.parse().ok())
        .unwrap_or(usize::MAX);
    let projection: Vec<&str> = args
        .get("projection")
        .map(|p| {
            p.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let page: Vec<Value> = matched
        .into_iter()
        .skip(skip)
        .take(limit)
        .map(|d| project(&d, &projection))
        .collect();
    let mut r = reply(StatusCode::OK, None, &Value::Array(page));
    if let Ok(v) = http::HeaderValue::from_str(&total.to_string()) {
        r.headers_mut().insert("total", v);
    }
    r
}

fn lookup<'a>(doc: &'a Value, path: &str) -> Option<&'a Value> {
    let mut node = doc;
    for seg in path.split('.') {
        node = node.get(seg)?;
    }
    Some(node)
}

/// The value a filter on `path` compares: GenieACS appends `._value` unless the last segment
/// starts with `_`.
fn value_at<'a>(doc: &'a Value, path: &str, devices: bool) -> Option<&'a Value> {
    let last = path.rsplit('.').next().unwrap_or(path);
    let node = lookup(doc, path)?;
    if devices && !last.starts_with('_') {
        node.get("_value")
    } else {
        Some(node)
    }
}

fn literal_of(regex: &str) -> Option<String> {
    let inner = regex.strip_prefix('^')?.strip_suffix('$')?;
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            out.push(chars.next()?);
        } else if "\\.^$|?*+()[]{}".contains(c) {
            return None;
        } else {
            out.push(c);
        }
    }
    Some(out)
}

fn eq(actual: &Value, expected: &Value) -> bool {
    match actual {
        Value::Array(items) => items.iter().any(|i| eq(i, expected)),
        a => a == expected || a.as_str().is_some_and(|s| expected.as_str() == Some(s)),
    }
}

fn cmp(actual: &Value, bound: &Value) -> Option<std::cmp::Ordering> {
    match (actual, bound) {
        (Value::Number(a), Value::Number(b)) => a.as_f64()?.partial_cmp(&b.as_f64()?),
        (Value::String(a), Value::String(b)) => Some(a.as_str().cmp(b.as_str())),
        _ => None,
    }
}

fn matches(doc: &Value, filter: &Value, devices: bool) -> bool {
    let Some(m) = filter.as_object() else {
        return false;
    };
    m.iter().all(|(k, v)| match k.as_str() {
        "$and" => v
            .as_array()
            .is_some_and(|a| a.iter().all(|f| matches(doc, f, devices))),
        "$or" => v
            .as_array()
            .is_some_and(|a| a.iter().any(|f| matches(doc, f, devices))),
        path => field_matches(value_at(doc, path, devices), v),
    })
}

fn field_matches(actual: Option<&Value>, cond: &Value) -> bool {
    let Some(ops) = cond
        .as_object()
        .filter(|o| o.keys().all(|k| k.starts_with('$')))
    else {
        return actual.is_some_and(|a| eq(a, cond));
    };
    ops.iter().all(|(op, arg)| match op.as_str() {
        "$regex" => match (actual, arg.as_str().and_then(literal_of)) {
            (Some(a), Some(lit)) => eq(a, &json!(lit)),
            _ => false,
        },
        "$not" => !field_matches(actual, arg),
        "$exists" => actual.is_some() == arg.as_bool().unwrap_or(true),
        "$gt" => actual.and_then(|a| cmp(a, arg)) == Some(std::cmp::Ordering::Greater),
        "$lt" => actual.and_then(|a| cmp(a, arg)) == Some(std::cmp::Ordering::Less),
        "$eq" => actual.is_some_and(|a| eq(a, arg)),
        _ => false,
    })
}

fn project(doc: &Value, projection: &[&str]) -> Value {
    if projection.is_empty() {
        return doc.clone();
    }
    let mut out = Map::new();
    if let Some(id) = doc.get("_id") {
        out.insert("_id".to_owned(), id.clone());
    }
    for path in projection {
        let Some(v) = lookup(doc, path) else { continue };
        let segs: Vec<&str> = path.split('.').collect();
        insert_path(&mut out, &segs, v.clone());
    }
    Value::Object(out)
}

fn insert_path(node: &mut Map<String, Value>, segs: &[&str], v: Value) {
    match segs {
        [] => {}
        [last] => {
            node.insert((*last).to_owned(), v);
        }
        [first, rest @ ..] => {
            let entry = node.entry((*first).to_owned()).or_insert_with(|| json!({}));
            if let Value::Object(m) = entry {
                insert_path(m, rest, v);
            }
        }
    }
}

/// Now, as GenieACS writes dates.
fn now_iso() -> String {
    chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now())
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// GenieACS's own task validation (`sanitizeTask`): what would crash the real NBI.
fn valid_task(t: &Value) -> bool {
    let s = |k: &str| t.get(k).and_then(Value::as_str).is_some();
    match t.get("name").and_then(Value::as_str) {
        Some("getParameterValues") => t
            .get("parameterNames")
            .and_then(Value::as_array)
            .is_some_and(|a| {
                !a.is_empty() && a.iter().all(|n| n.as_str().is_some_and(|n| !n.is_empty()))
            }),
        Some("setParameterValues") => t
            .get("parameterValues")
            .and_then(Value::as_array)
            .is_some_and(|a| {
                !a.is_empty()
                    && a.iter().all(|p| {
                        p.as_array()
                            .is_some_and(|p| p.len() >= 2 && p[0].is_string())
                    })
            }),
        Some("refreshObject" | "addObject" | "deleteObject") => s("objectName"),
        Some("reboot" | "factoryReset") => true,
        Some("download") => s("file") || (s("fileType") && s("fileName")),
        _ => false,
    }
}

fn set_value(doc: &mut Value, path: &str, value: &Value) {
    let mut node = doc;
    for seg in path.split('.') {
        match node.get_mut(seg) {
            Some(n) => node = n,
            None => return,
        }
    }
    if let Some(m) = node.as_object_mut()
        && m.get("_object") == Some(&json!(false))
    {
        m.insert("_value".to_owned(), value.clone());
        m.insert("_timestamp".to_owned(), json!(now_iso()));
    }
}

fn task(shared: &Shared, id: &str, args: &HashMap<String, String>, body: &[u8]) -> Response {
    let Ok(Value::Object(mut t)) = serde_json::from_slice::<Value>(body) else {
        return text(
            StatusCode::INTERNAL_SERVER_ERROR,
            "NBI worker crashed: the task body is not an object",
        );
    };
    if !lock(&shared.devices).contains_key(id) {
        return text(StatusCode::NOT_FOUND, "No such device");
    }
    if !valid_task(&Value::Object(t.clone())) {
        return text(
            StatusCode::INTERNAL_SERVER_ERROR,
            "NBI worker crashed: invalid task",
        );
    }
    let task_id = format!("{:024x}", shared.next_task.fetch_add(1, Ordering::Relaxed));
    t.insert("device".to_owned(), json!(id));
    t.insert("timestamp".to_owned(), json!(now_iso()));
    t.insert("_id".to_owned(), json!(task_id));
    let t = Value::Object(t);
    if !args.contains_key("connection_request") {
        lock(&shared.tasks).push(t.clone());
        return reply(StatusCode::ACCEPTED, None, &t);
    }
    let behaviour = lock(&shared.behaviour).get(id).cloned().unwrap_or_default();
    match behaviour {
        TaskBehaviour::Done => {
            if t["name"] == "setParameterValues"
                && let Some(values) = t["parameterValues"].as_array()
                && let Some(doc) = lock(&shared.devices).get_mut(id)
            {
                for pv in values {
                    if let (Some(p), Some(v)) = (pv.get(0).and_then(Value::as_str), pv.get(1)) {
                        set_value(doc, p, v);
                    }
                }
            }
            reply(StatusCode::OK, None, &t)
        }
        TaskBehaviour::Queued => {
            lock(&shared.tasks).push(t.clone());
            reply(
                StatusCode::ACCEPTED,
                Some("Task queued but not processed"),
                &t,
            )
        }
        TaskBehaviour::ConnectionRequestFails(reason) => {
            lock(&shared.tasks).push(t.clone());
            reply_reason(StatusCode::ACCEPTED, &reason, &t)
        }
        TaskBehaviour::Faults(code, message) => {
            lock(&shared.tasks).push(t.clone());
            lock(&shared.faults).push(json!({
                "_id": format!("{id}:task_{task_id}"), "device": id, "channel": format!("task_{task_id}"),
                "timestamp": t["timestamp"], "code": code, "message": message,
                "detail": {"faultCode": code.trim_start_matches("cwmp."), "faultString": message},
                "retries": 0,
            }));
            reply(StatusCode::ACCEPTED, Some("Task faulted"), &t)
        }
    }
}
