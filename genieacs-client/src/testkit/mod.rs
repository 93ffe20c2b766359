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
//! with GenieACS's `._value` rewrite and `_tags` membership; `sort` on top-level or dotted
//! fields (strings and numbers), `skip`, `limit`, `projection`. Collections: `devices`,
//! `tasks`, `faults`, `presets`, `provisions`, `files`.
//!
//! Writes, answered as GenieACS 1.2.16 answers them: tags (`POST`/`DELETE
//! /devices/{id}/tags/{tag}`, stored in `_tags`, 404 `No such device`); `DELETE /devices/{id}`
//! (with its tasks and faults); `DELETE /faults/{deviceId}:{channel}` (and the task of a
//! `task_` channel); `DELETE /tasks/{id}` (404 `Task not found`) and `POST /tasks/{id}/retry`
//! (clears the task's fault); `PUT`/`DELETE /presets/{name}` (400 `SyntaxError: …` for a body
//! that is not JSON); `PUT`/`DELETE /provisions/{name}` (the raw JavaScript is stored; 400
//! `SyntaxError: …` when its brackets, strings or block comments do not balance — **an
//! approximation** of GenieACS's compile check: regex literals and every other syntax rule are
//! not looked at); `PUT /files/{name}` (201, metadata from the `fileType`, `oui`,
//! `productClass`, `version` headers) and `DELETE /files/{name}` (404 `404 Not Found` if
//! absent). Ids in paths must match GenieACS's route patterns (`[A-Za-z0-9_%-]+`; files allow
//! more) or the answer is `404 Not Found`, as upstream; a known route with another method is
//! `405` with `Allow`. [`FakeNbi::set_in_session`] makes the deletes and the retry answer
//! `503 Device is in session`, and a task call with a connection request wait for the session
//! lock ([`FakeNbi::set_session_lock_wait`], 30 s as upstream) and then store the task,
//! `202 Task queued but not processed`.
//!
//! Tasks: a `uniqueKey` replaces the device's older task with that key; without
//! `connection_request` a task is stored (`202`); with it, the device's [`TaskBehaviour`]
//! decides, and a session that runs works off the device's whole queue.
//!
//! What the real NBI crashes on is answered 500 here (the real worker closes the connection):
//! a task body GenieACS would refuse, a task id that is not 24 hex digits on `DELETE /tasks/…`
//! and `…/retry` (and a `task_` fault channel naming one), the retry of an unknown task.

pub mod datamodel;

use std::collections::{BTreeMap, HashMap, HashSet};
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
    /// The session runs (200): the device informs and runs every task queued for it, this
    /// one last — values set, refreshed subtrees stamped with the session's time — and the
    /// queue empties.
    #[default]
    Done,
    /// The session does not start in time: `202 Task queued but not processed`.
    Queued,
    /// The connection request fails with this reason (`Device is offline`).
    ConnectionRequestFails(String),
    /// The task faults with this code and message (`cwmp.9007`, `Invalid parameter value`).
    Faults(String, String),
    /// The session takes this long, then completes as [`Done`](Self::Done) (a slow CPE).
    Slow(std::time::Duration),
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
    presets: Mutex<BTreeMap<String, Value>>,
    provisions: Mutex<BTreeMap<String, Value>>,
    /// File documents (`fs.files`) and their bytes.
    files: Mutex<BTreeMap<String, (Value, Vec<u8>)>>,
    in_session: Mutex<HashSet<String>>,
    lock_wait: Mutex<std::time::Duration>,
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
            presets: Mutex::new(BTreeMap::new()),
            provisions: Mutex::new(BTreeMap::new()),
            files: Mutex::new(BTreeMap::new()),
            in_session: Mutex::new(HashSet::new()),
            lock_wait: Mutex::new(std::time::Duration::from_secs(30)),
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

    /// Simulates a CWMP session holding the device (`true`) or ending (`false`): meanwhile
    /// `DELETE /devices/{id}`, the deletion of its faults and tasks and the retry of its tasks
    /// answer `503 Device is in session`.
    pub fn set_in_session(&self, id: &DeviceId, in_session: bool) {
        let mut set = lock(&self.shared.in_session);
        if in_session {
            set.insert(id.as_str().to_owned());
        } else {
            set.remove(id.as_str());
        }
    }

    /// How long a task call with a connection request waits for the lock of a device in
    /// session before storing the task (GenieACS: 30 s). Tests shorten it.
    pub fn set_session_lock_wait(&self, wait: std::time::Duration) {
        *lock(&self.shared.lock_wait) = wait;
    }

    /// Stores a fault document as GenieACS would (it needs an `_id` `{deviceId}:{channel}`).
    pub fn add_fault(&self, doc: Value) {
        if doc.get("_id").and_then(Value::as_str).is_some() {
            lock(&self.shared.faults).push(doc);
        }
    }

    /// Presets as stored (with their `_id`).
    pub fn presets(&self) -> Vec<Value> {
        lock(&self.shared.presets).values().cloned().collect()
    }

    /// Provisions as stored (`{_id, script}`).
    pub fn provisions(&self) -> Vec<Value> {
        lock(&self.shared.provisions).values().cloned().collect()
    }

    /// The bytes of a stored file.
    pub fn file_content(&self, name: &str) -> Option<Vec<u8>> {
        lock(&self.shared.files).get(name).map(|(_, b)| b.clone())
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
    let headers = req.headers().clone();
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let body = to_bytes(req.into_body(), 1 << 26).await.unwrap_or_default();
    let m = method.as_str();
    let d = percent_decode;
    match segs.as_slice() {
        ["presets", name] if id_ok(name) => match m {
            "PUT" => put_preset(&shared, &d(name), &body),
            "DELETE" => {
                lock(&shared.presets).remove(&d(name));
                text(StatusCode::OK, "")
            }
            _ => not_allowed("PUT, DELETE"),
        },
        ["provisions", name] if id_ok(name) => match m {
            "PUT" => put_provision(&shared, &d(name), &body),
            "DELETE" => {
                lock(&shared.provisions).remove(&d(name));
                text(StatusCode::OK, "")
            }
            _ => not_allowed("PUT, DELETE"),
        },
        ["devices", id, "tags", tag] if id_ok(id) && id_ok(tag) => match m {
            "POST" | "DELETE" => tag_call(&shared, m == "POST", &d(id), &d(tag)),
            _ => not_allowed("POST, DELETE"),
        },
        ["faults", fault] if fault.bytes().all(|b| b == b':' || id_byte(b)) => match m {
            "DELETE" => delete_fault(&shared, &d(fault)),
            _ => not_allowed("DELETE"),
        },
        ["devices", id, "tasks"] if id_ok(id) => match m {
            "POST" => task(&shared, &d(id), &args, &body).await,
            _ => not_allowed("POST"),
        },
        ["tasks", id] if id_ok(id) => match m {
            "DELETE" => delete_task(&shared, &d(id)),
            _ => not_allowed("PUT DELETE"),
        },
        ["tasks", id, "retry"] if id_ok(id) => match m {
            "POST" => retry_task(&shared, &d(id)),
            _ => not_allowed("POST"),
        },
        ["files", name] if file_name_ok(name) => match m {
            "PUT" => put_file(&shared, &d(name), &headers, &body),
            "DELETE" => match lock(&shared.files).remove(&d(name)) {
                Some(_) => text(StatusCode::OK, ""),
                None => text(StatusCode::NOT_FOUND, "404 Not Found"),
            },
            _ => not_allowed("PUT, DELETE"),
        },
        ["devices", id] if id_ok(id) => match m {
            "DELETE" => delete_device(&shared, &d(id)),
            _ => not_allowed("DELETE"),
        },
        [collection]
            if !collection.is_empty()
                && collection
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_') =>
        {
            match m {
                "GET" | "HEAD" => list(&shared, collection, &args),
                _ => not_allowed("GET, HEAD"),
            }
        }
        _ => text(StatusCode::NOT_FOUND, "404 Not Found"),
    }
}

/// A byte GenieACS's id routes accept (`[A-Za-z0-9_%-]`).
fn id_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'%' | b'-')
}

fn id_ok(seg: &str) -> bool {
    !seg.is_empty() && seg.bytes().all(id_byte)
}

/// The files route's wider set (`[a-zA-Z0-9%!*'();:@&=+$,?#[\]\-_.~]`).
fn file_name_ok(seg: &str) -> bool {
    !seg.is_empty()
        && seg
            .bytes()
            .all(|b| id_byte(b) || b"!*'();:@&=+$,?#[].~".contains(&b))
}

fn not_allowed(allow: &'static str) -> Response {
    let mut r = text(StatusCode::METHOD_NOT_ALLOWED, "405 Method Not Allowed");
    r.headers_mut()
        .insert(http::header::ALLOW, http::HeaderValue::from_static(allow));
    r
}

fn crashed(why: &str) -> Response {
    text(
        StatusCode::INTERNAL_SERVER_ERROR,
        &format!("NBI worker crashed: {why}"),
    )
}

fn busy() -> Response {
    text(StatusCode::SERVICE_UNAVAILABLE, "Device is in session")
}

fn in_session(shared: &Shared, device: &str) -> bool {
    lock(&shared.in_session).contains(device)
}

fn is_object_id(id: &str) -> bool {
    id.len() == 24 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

fn tag_call(shared: &Shared, add: bool, id: &str, tag: &str) -> Response {
    let mut devices = lock(&shared.devices);
    let Some(Value::Object(doc)) = devices.get_mut(id) else {
        return text(StatusCode::NOT_FOUND, "No such device");
    };
    let tags = doc.entry("_tags").or_insert_with(|| json!([]));
    if let Value::Array(tags) = tags {
        tags.retain(|t| t.as_str() != Some(tag));
        if add {
            tags.push(json!(tag));
        }
    }
    text(StatusCode::OK, "")
}

fn delete_device(shared: &Shared, id: &str) -> Response {
    if in_session(shared, id) {
        return busy();
    }
    lock(&shared.devices).remove(id);
    lock(&shared.tasks).retain(|t| t["device"].as_str() != Some(id));
    let prefix = format!("{id}:");
    lock(&shared.faults).retain(|f| !f["_id"].as_str().is_some_and(|f| f.starts_with(&prefix)));
    text(StatusCode::OK, "")
}

fn delete_fault(shared: &Shared, fault_id: &str) -> Response {
    let (device, channel) = fault_id.split_once(':').unwrap_or((fault_id, ""));
    if in_session(shared, device) {
        return busy();
    }
    let task_id = channel.strip_prefix("task_");
    if task_id.is_some_and(|t| !is_object_id(t)) {
        return crashed("the fault's task id is not an ObjectId");
    }
    lock(&shared.faults).retain(|f| f["_id"].as_str() != Some(fault_id));
    if let Some(task_id) = task_id {
        lock(&shared.tasks).retain(|t| t["_id"].as_str() != Some(task_id));
    }
    text(StatusCode::OK, "")
}

fn task_device(shared: &Shared, task_id: &str) -> Option<String> {
    lock(&shared.tasks)
        .iter()
        .find(|t| t["_id"].as_str() == Some(task_id))
        .map(|t| t["device"].as_str().unwrap_or_default().to_owned())
}

fn delete_task(shared: &Shared, task_id: &str) -> Response {
    if !is_object_id(task_id) {
        return crashed("the task id is not an ObjectId");
    }
    let Some(device) = task_device(shared, task_id) else {
        return text(StatusCode::NOT_FOUND, "Task not found");
    };
    if in_session(shared, &device) {
        return busy();
    }
    lock(&shared.tasks).retain(|t| t["_id"].as_str() != Some(task_id));
    let fault = format!("{device}:task_{task_id}");
    lock(&shared.faults).retain(|f| f["_id"].as_str() != Some(fault.as_str()));
    text(StatusCode::OK, "")
}

fn retry_task(shared: &Shared, task_id: &str) -> Response {
    if !is_object_id(task_id) {
        return crashed("the task id is not an ObjectId");
    }
    let Some(device) = task_device(shared, task_id) else {
        return crashed("retry of an unknown task (1.2.16 reads a property of null)");
    };
    if in_session(shared, &device) {
        return busy();
    }
    let fault = format!("{device}:task_{task_id}");
    lock(&shared.faults).retain(|f| f["_id"].as_str() != Some(fault.as_str()));
    text(StatusCode::OK, "")
}

fn put_preset(shared: &Shared, name: &str, body: &[u8]) -> Response {
    let mut preset = match serde_json::from_slice::<Value>(body) {
        Ok(v) => v,
        Err(e) => return text(StatusCode::BAD_REQUEST, &format!("SyntaxError: {e}")),
    };
    let Value::Object(m) = &mut preset else {
        return crashed("a preset that is not an object");
    };
    m.insert("_id".to_owned(), json!(name));
    lock(&shared.presets).insert(name.to_owned(), preset);
    text(StatusCode::OK, "")
}

fn put_provision(shared: &Shared, name: &str, body: &[u8]) -> Response {
    let script = String::from_utf8_lossy(body).into_owned();
    if let Some(e) = js_syntax_error(&script) {
        return text(StatusCode::BAD_REQUEST, &format!("SyntaxError: {e}"));
    }
    lock(&shared.provisions).insert(name.to_owned(), json!({"_id": name, "script": script}));
    text(StatusCode::OK, "")
}

/// An approximation of GenieACS's compile check of a provision (`new vm.Script`): brackets
/// balance outside strings and comments, strings and block comments are closed. Regex
/// literals, `${}` inside template strings and every other rule of the language are not
/// looked at.
fn js_syntax_error(script: &str) -> Option<String> {
    let mut stack = Vec::new();
    let mut chars = script.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' | '\'' | '`' => {
                let mut closed = false;
                while let Some(x) = chars.next() {
                    if x == '\\' {
                        chars.next();
                    } else if x == c {
                        closed = true;
                        break;
                    } else if x == '\n' && c != '`' {
                        break;
                    }
                }
                if !closed {
                    return Some("Invalid or unexpected token".to_owned());
                }
            }
            '/' if chars.peek() == Some(&'/') => {
                for x in chars.by_ref() {
                    if x == '\n' {
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut prev = ' ';
                let mut closed = false;
                for x in chars.by_ref() {
                    if prev == '*' && x == '/' {
                        closed = true;
                        break;
                    }
                    prev = x;
                }
                if !closed {
                    return Some("Invalid or unexpected token".to_owned());
                }
            }
            '(' | '[' | '{' => stack.push(c),
            ')' | ']' | '}' => {
                let open = match c {
                    ')' => '(',
                    ']' => '[',
                    _ => '{',
                };
                if stack.pop() != Some(open) {
                    return Some(format!("Unexpected token '{c}'"));
                }
            }
            _ => {}
        }
    }
    if stack.is_empty() {
        None
    } else {
        Some("Unexpected end of input".to_owned())
    }
}

fn put_file(shared: &Shared, name: &str, headers: &http::HeaderMap, body: &[u8]) -> Response {
    let mut metadata = Map::new();
    for (header, key) in [
        ("filetype", "fileType"),
        ("oui", "oui"),
        ("productclass", "productClass"),
        ("version", "version"),
    ] {
        if let Some(v) = headers.get(header).and_then(|v| v.to_str().ok()) {
            metadata.insert(key.to_owned(), json!(v));
        }
    }
    let doc = json!({
        "_id": name, "filename": name, "length": body.len(), "chunkSize": 261_120,
        "uploadDate": now_iso(), "metadata": metadata,
    });
    lock(&shared.files).insert(name.to_owned(), (doc, body.to_vec()));
    text(StatusCode::CREATED, "")
}

fn list(shared: &Shared, collection: &str, args: &HashMap<String, String>) -> Response {
    let filter: Value = match args.get("query") {
        None => json!({}),
        Some(q) => match serde_json::from_str(q) {
            Ok(v) => v,
            Err(e) => return text(StatusCode::BAD_REQUEST, &format!("SyntaxError: {e}")),
        },
    };
    let sort = match args
        .get("sort")
        .map(|s| serde_json::from_str::<SortSpec>(s))
    {
        None => SortSpec(Vec::new()),
        Some(Ok(s)) => s,
        Some(Err(e)) => return text(StatusCode::BAD_REQUEST, &format!("SyntaxError: {e}")),
    };
    // Filter, sort and page by reference under the lock; only the page is copied (projected).
    let select = |docs: Vec<&Value>| select_page(docs, &filter, &sort, collection, args);
    let (total, page) = match collection {
        "devices" => select(lock(&shared.devices).values().collect()),
        "tasks" => select(lock(&shared.tasks).iter().collect()),
        "faults" => select(lock(&shared.faults).iter().collect()),
        "presets" => select(lock(&shared.presets).values().collect()),
        "provisions" => select(lock(&shared.provisions).values().collect()),
        "files" => select(lock(&shared.files).values().map(|(d, _)| d).collect()),
        _ => return text(StatusCode::NOT_FOUND, "404 Not Found"),
    };
    let mut r = reply(StatusCode::OK, None, &Value::Array(page));
    if let Ok(v) = http::HeaderValue::from_str(&total.to_string()) {
        r.headers_mut().insert("total", v);
    }
    r
}

/// The documents matching `filter`, sorted, as `(total, the page asked for, projected)`.
fn select_page(
    docs: Vec<&Value>,
    filter: &Value,
    sort: &SortSpec,
    collection: &str,
    args: &HashMap<String, String>,
) -> (usize, Vec<Value>) {
    let devices = collection == "devices";
    let mut matched: Vec<&Value> = docs
        .into_iter()
        .filter(|d| matches(d, filter, devices))
        .collect();
    if !sort.0.is_empty() {
        matched.sort_by(|a, b| {
            sort.0
                .iter()
                .map(|(path, dir)| {
                    let o = sort_key(value_at(a, path, devices), value_at(b, path, devices));
                    if *dir < 0 { o.reverse() } else { o }
                })
                .find(|o| o.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
        });
    }
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
    let total = matched.len();
    let page = matched
        .into_iter()
        .skip(skip)
        .take(limit)
        .map(|d| project(d, &projection))
        .collect();
    (total, page)
}

/// A `sort` argument with its keys in the order given (a JSON map would reorder them).
struct SortSpec(Vec<(String, i64)>);

impl<'de> serde::Deserialize<'de> for SortSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = SortSpec;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a sort object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<SortSpec, A::Error> {
                let mut keys = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, Value>()? {
                    keys.push((k, v.as_i64().unwrap_or(1)));
                }
                Ok(SortSpec(keys))
            }
        }
        d.deserialize_map(V)
    }
}

/// MongoDB's order, roughly: missing first, then numbers, then strings.
fn sort_key(a: Option<&Value>, b: Option<&Value>) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(a), Some(b)) => cmp(a, b).unwrap_or_else(|| a.is_string().cmp(&b.is_string())),
    }
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

async fn task(shared: &Shared, id: &str, args: &HashMap<String, String>, body: &[u8]) -> Response {
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
    // Inserting a task with a uniqueKey first deletes the device's older one with that key.
    let insert = |t: &Value| {
        let mut tasks = lock(&shared.tasks);
        if let Some(key) = t.get("uniqueKey") {
            tasks.retain(|o| !(o["device"] == t["device"] && o.get("uniqueKey") == Some(key)));
        }
        tasks.push(t.clone());
    };
    if !args.contains_key("connection_request") {
        insert(&t);
        return reply(StatusCode::ACCEPTED, None, &t);
    }
    if in_session(shared, id) {
        // GenieACS waits for the session lock, then stores the task for that session.
        let wait = *lock(&shared.lock_wait);
        tokio::time::sleep(wait).await;
        insert(&t);
        return reply(
            StatusCode::ACCEPTED,
            Some("Task queued but not processed"),
            &t,
        );
    }
    let behaviour = lock(&shared.behaviour).get(id).cloned().unwrap_or_default();
    match behaviour {
        TaskBehaviour::Done => {
            insert(&t);
            run_session(shared, id);
            reply(StatusCode::OK, None, &t)
        }
        TaskBehaviour::Slow(d) => {
            insert(&t);
            tokio::time::sleep(d).await;
            run_session(shared, id);
            reply(StatusCode::OK, None, &t)
        }
        TaskBehaviour::Queued => {
            insert(&t);
            reply(
                StatusCode::ACCEPTED,
                Some("Task queued but not processed"),
                &t,
            )
        }
        TaskBehaviour::ConnectionRequestFails(reason) => {
            insert(&t);
            reply_reason(StatusCode::ACCEPTED, &reason, &t)
        }
        TaskBehaviour::Faults(code, message) => {
            insert(&t);
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

/// A CWMP session of a device that answers: it informs (`_lastInform` now) and runs every
/// queued task in `timestamp` order — values set, refreshed subtrees stamped with the
/// session's time — and each task that completes leaves the queue.
fn run_session(shared: &Shared, id: &str) {
    let now = now_iso();
    let mut tasks = lock(&shared.tasks);
    let (mine, rest): (Vec<Value>, Vec<Value>) = tasks.drain(..).partition(|t| t["device"] == id);
    *tasks = rest;
    drop(tasks);
    let mut devices = lock(&shared.devices);
    let Some(doc) = devices.get_mut(id) else {
        return;
    };
    doc["_lastInform"] = json!(now);
    for t in &mine {
        match t["name"].as_str() {
            Some("setParameterValues") => {
                for pv in t["parameterValues"].as_array().into_iter().flatten() {
                    if let (Some(p), Some(v)) = (pv.get(0).and_then(Value::as_str), pv.get(1)) {
                        set_value(doc, p, v);
                    }
                }
            }
            Some("getParameterValues") => {
                for p in t["parameterNames"].as_array().into_iter().flatten() {
                    if let Some(p) = p.as_str() {
                        stamp(doc, p, &now);
                    }
                }
            }
            Some("refreshObject") => {
                if let Some(p) = t["objectName"].as_str() {
                    stamp(doc, p, &now);
                }
            }
            _ => {}
        }
    }
}

/// Stamps the node at `path` and everything under it as read at `now`.
fn stamp(doc: &mut Value, path: &str, now: &str) {
    fn all(node: &mut Value, now: &str) {
        if let Some(m) = node.as_object_mut() {
            if m.contains_key("_timestamp") || m.contains_key("_value") {
                m.insert("_timestamp".to_owned(), json!(now));
            }
            for (k, v) in m.iter_mut() {
                if !k.starts_with('_') {
                    all(v, now);
                }
            }
        }
    }
    let mut node = doc;
    for seg in path.trim_end_matches('.').split('.') {
        match node.get_mut(seg) {
            Some(n) => node = n,
            None => return,
        }
    }
    all(node, now);
}
