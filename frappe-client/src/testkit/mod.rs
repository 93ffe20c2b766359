//! An in-process fake Frappe / ERPNext server for tests, examples and sandboxes.
//!
//! [`FakeFrappe`] binds `127.0.0.1:0` on the current tokio runtime and answers the REST API of
//! Frappe 15 / 16 — the v1 routes (`/api/resource`, `/api/method`, also under `/api/v1`) and the
//! v2 routes (`/api/v2/document`, `/api/v2/doctype/{dt}/count|meta`, `/api/v2/method`) — with the
//! same envelopes, statuses and error bodies as the real server (see
//! `shared/contracts/frappe/API.md`). Documents live in memory, seeded by default with a small
//! Québec fibre ISP (see [Seed](#seed)); every request is recorded for assertions; faults
//! (429 with `Retry-After`, 503, proxy 502/504, slow answers) can be injected.
//!
//! ```
//! use frappe_client::testkit::{FakeFrappe, Fault};
//!
//! let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
//! rt.block_on(async {
//!     let server = FakeFrappe::start().await.unwrap();
//!     // Seeded documents are readable directly...
//!     let customer = server.get("Customer", "Marie-Claude Tremblay").unwrap();
//!     assert_eq!(customer["customer_type"], "Individual");
//!     // ...and over HTTP, with the default credentials.
//!     let url = server.url().join("api/resource/Customer/Marie-Claude%20Tremblay").unwrap();
//!     let body: serde_json::Value = reqwest::Client::new()
//!         .get(url)
//!         .header("Authorization", format!("token {}:{}", server.api_key(), server.api_secret()))
//!         .send()
//!         .await
//!         .unwrap()
//!         .json()
//!         .await
//!         .unwrap();
//!     assert_eq!(body["data"]["mobile_no"], "+1 514 555 0142");
//!     // The next request to the Customer list answers 429 with `Retry-After: 1`.
//!     server.inject(Fault::status(429).retry_after(1).only_path("/api/resource/Customer"));
//!     assert_eq!(server.requests().len(), 1);
//! });
//! ```
//!
//! # Behaviour
//!
//! * **Auth**: `Authorization: token key:secret` or `Basic base64(key:secret)`; a wrong header is a
//!   401 `AuthenticationError`, a `Bearer` token too (there are no OAuth tokens), a malformed one a
//!   400 `InvalidAuthorizationToken`. Session login: `POST /api/method/login` (`usr`, `pwd`, form
//!   or JSON) sets `sid` (+ `system_user`, `full_name`, `user_id`, `user_image`) cookies. Without a
//!   valid header or session a request runs as Guest: resources and non-guest methods answer 403
//!   `PermissionError` (`ping`, `login` and `logout` are guest-allowed;
//!   `frappe.auth.get_logged_user` and `frappe.utils.change_log.get_versions` are not, as in
//!   Frappe). [`FakeFrappe::expire_sessions`] forgets every session. An unsafe verb carrying both
//!   a valid `sid` and an `Authorization` header is a 400 `CSRFTokenError`.
//! * **Cookies, as a real Frappe 15 sets them**: every `/api` answer to a request without a live
//!   session — token-authenticated ones included — sets the Guest cookies (`sid=Guest`,
//!   `system_user=no`, `full_name=Guest`, `user_id=Guest`, `user_image=`). A request whose `sid`
//!   the server no longer knows runs as Guest, gets `"session_expired": 1` in its JSON body (a
//!   403 for anything that needs a user) and, after the Guest cookies, lines that expire every
//!   session cookie — so a client that stores a late answer of this kind loses its session.
//! * **Errors**: v1 bodies are `{"exc_type", "_server_messages"}` with the double-encoded message
//!   log (Python `json.dumps` formatting); v2 bodies are `{"errors": [{type, message, title,
//!   indicator}], "messages": [...]}`. Malformed `filters` / `fields` / `doc` JSON is an unhandled
//!   500 `JSONDecodeError` (with `exception` and `exc`, v2: `exception` and no message), an
//!   unknown operator a 417 "Operator must be one of ...", a non-integer page size a 417
//!   `FrappeTypeError`, a malformed column name a 417 `DataError`. A field or filter on a column
//!   the doctype does not have is a 417 `DataError` "Field not permitted in query: x" (an
//!   unknown `order_by` / `group_by` column: "Unknown column 'x' in 'order clause'"); the columns
//!   of the standard doctypes are the real ERPNext / Frappe 15 field lists
//!   (`tests/resources/doctype-fields/`), those of the custom doctypes DOCTYPES.md's, those of a
//!   schemaless seeded doctype the keys ever stored. An unknown doctype is a 404
//!   `DoesNotExistError` on the list routes but a 500 `ImportError` (no message; v2 only `type`
//!   and `exception`) on the document routes, as `frappe.get_doc` fails to import it. An unknown
//!   method is a 417 "Failed to get method for command ..." — `/api/method/version` included,
//!   which Frappe 15 removed — and an unknown `/api` path a 404 `DoesNotExistError`. A 429 (an
//!   injected fault or the exhausted budget) is JSON `TooManyRequestsError`.
//! * **Singles**: `System Settings` is a Single doctype whose one document (named like the
//!   doctype, on every server, seeded or empty) is a real Frappe 15.86 site's answer: no
//!   `creation`, `"idx": "0"` as a string, Int settings as text.
//! * **Lists** follow `frappe.client.get_list`: default fields `["name"]`, default page size 20
//!   (`0` = all, `limit` alias on `/api/resource`), default order `modified desc` on
//!   [`ServerVersion::V15`] and `creation desc` on [`ServerVersion::V16`], dict and list filters
//!   (3 or 4 elements; a 4-element filter on a child doctype matches when one child row satisfies
//!   all the conditions on that child doctype), `or_filters`, `as_dict=0`, `group_by` with
//!   `count/sum/avg/min/max`. Evaluation mimics MariaDB: NULL compares as `''`/`0`, `like` is
//!   case-insensitive, NULLs sort first; equality is case-sensitive. Not implemented: `timespan`,
//!   `previous`, `next` and the tree operators (417), child-table columns in `fields`.
//!   v2 lists on V16 read `start` / `limit` and add `has_next_page` (`limit=0` returns no rows
//!   and `has_next_page: true` when rows exist, like the real `limit+1` query); on V15 they
//!   forward to v1 semantics (`limit or 20`, no `has_next_page`).
//! * **Documents**: naming by doctype (`SL-.#####`, `SE-.#####`, `TECH-.###`, `DJ-.YYYY.-.#####`,
//!   `ISS-.YYYY.-.#####`, `ACC-SINV-`/`ACC-PAY-`/`ACC-SUB-.YYYY.-.#####`; Customer by
//!   `customer_name` de-duplicated as `Name - 1`; Contact `"{full name}-{first link}"`; Address
//!   `"{title}-{type}"`; Tag by `tag_name`, User by `email`, Item by `item_code` — 409
//!   `DuplicateEntryError` when taken; hash otherwise). v1 inserts ignore a supplied name on
//!   auto-named doctypes; v2 inserts keep it. Timestamps are UTC, `YYYY-MM-DD HH:MM:SS.ffffff`,
//!   strictly increasing. Links to seeded doctypes are validated (417 `LinkValidationError`),
//!   mandatory fields too (417 `MandatoryError`, one msgprint per field). Updates are partial;
//!   table fields replace the whole child table (a row sent with an existing `name` keeps its
//!   identity but its content is what was sent, as in Frappe); a `modified` that differs from
//!   the stored one is a 417 `TimestampMismatchError`; `docstatus` 0→1 submits (Sales Invoice,
//!   Payment Entry), 1→2 cancels, other changes to a submitted document are a 417
//!   `UpdateAfterSubmitError`. Deleting answers 202 `{"data": "ok"}`; a linked document is a 417
//!   `LinkExistsError` (contacts' and addresses' dynamic links are unlinked instead, as ERPNext
//!   does); cancelling is refused while a submitted document links to it, except that payment
//!   allocations to a cancelled Sales Invoice are removed (ERPNext's default "unlink payment on
//!   cancellation of invoice"). Setting a Dispatch Job's status to `Completed` fills `completed_at` and adds a
//!   msgprint notice (`_server_messages` on a success response). Password fields
//!   (`admin_password`, `api_secret`) are stored aside and answered masked with `*`;
//!   `frappe.client.get_password` reveals them.
//! * **Files**: `upload_file` (multipart) stores the bytes; `GET /files/{name}` serves public
//!   files to anyone, `/private/files/{name}` only to authenticated callers (403 for Guest).
//!
//! # Seed
//!
//! [`FakeFrappe::start`] seeds (deterministically, creation dates Jan–May 2026): 8 Tags, 6 Users
//! (`Administrator`, four staff with `authentik` social logins, one portal Website User with a
//! `frappe` login), 4 Technicians (`TECH-001` Alexandre Roy ...), 8 Customers (first:
//! `Marie-Claude Tremblay`), 8 Contacts, 8 Addresses, 9 Service Locations (`SL-00001` ...), 11
//! Service Equipment (`SE-00001`, serial `22C5A1000101`, MAC `AA:BB:CC:10:01:01`, GPON
//! `TPLG1A2B3C01`: nine TP-Link XX230v ONT routers and a Deco X50, then `SE-00011`, a Huawei
//! BM632w ONT router with serial `8KA8WA1151100043`; an installed ONT router's `acs_device_id`
//! is its GenieACS id, `1C61B4-Device2-<serial>` or `202BC1-BM632w-<serial>`), 5 Issues
//! (`ISS-2026-00001` ...), 8 Dispatch Jobs (`DJ-2026-00001` ...), 6 Subscriptions, 3 Sales
//! Invoices (two submitted), 1 submitted Payment Entry and 5 Communications.

mod filters;
mod generated;
mod methods;
mod response;
mod routes;
mod schema;
mod seed;
mod store;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use gigafibre_client_core::testkit::{FakeServer, FaultQueue, RequestLog};
use serde_json::Value;
use url::Url;

use self::generated::Generated;
use self::store::{Origin, Store};

/// Default API key of the fake server.
pub const DEFAULT_API_KEY: &str = "fake_api_key";
/// Default API secret of the fake server.
pub const DEFAULT_API_SECRET: &str = "fake_api_secret";
/// Default login user (its API key authenticates as this user too).
pub const DEFAULT_USERNAME: &str = "Administrator";
/// Default login password.
pub const DEFAULT_PASSWORD: &str = "admin";

/// How many requests [`FakeFrappe::requests`] keeps (the oldest are dropped first).
pub const MAX_RECORDED_REQUESTS: usize = 10_000;

/// The Frappe major version the fake imitates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ServerVersion {
    /// Frappe 15: default list order `modified desc`; the v2 list has no `has_next_page` / `start`.
    #[default]
    V15,
    /// Frappe 16: default list order `creation desc`; the v2 list reads `start` / `limit` and
    /// answers `has_next_page`.
    V16,
}

impl ServerVersion {
    /// The framework version string `frappe.utils.change_log.get_versions` reports (neither
    /// version answers the old `/api/method/version`, which Frappe 15 removed).
    pub fn frappe_version(self) -> &'static str {
        match self {
            Self::V15 => "15.86.0",
            Self::V16 => "16.2.0",
        }
    }

    fn erpnext_version(self) -> &'static str {
        match self {
            Self::V15 => "15.84.0",
            Self::V16 => "16.1.0",
        }
    }

    fn branch(self) -> &'static str {
        match self {
            Self::V15 => "version-15",
            Self::V16 => "version-16",
        }
    }
}

/// An exception raised by a custom whitelisted method (see [`FakeFrappeBuilder::method`]).
///
/// It is answered like `frappe.throw(message, exc_type)`: with `status` and the v1 / v2 error
/// body of that exception type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrappeError {
    /// HTTP status (417 for `ValidationError` and its subclasses).
    pub status: u16,
    /// The exception class name, e.g. `"ValidationError"`.
    pub exc_type: String,
    /// The message shown to the user.
    pub message: String,
}

impl FrappeError {
    /// An arbitrary exception.
    pub fn new(status: u16, exc_type: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            status,
            exc_type: exc_type.into(),
            message: message.into(),
        }
    }

    /// 417 `ValidationError` (`frappe.throw(message)`).
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(417, "ValidationError", message)
    }

    /// 404 `DoesNotExistError`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(404, "DoesNotExistError", message)
    }

    /// 403 `PermissionError`.
    pub fn permission(message: impl Into<String>) -> Self {
        Self::new(403, "PermissionError", message)
    }
}

impl fmt::Display for FrappeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.status, self.exc_type, self.message)
    }
}

impl std::error::Error for FrappeError {}

/// A custom whitelisted method: receives the call's arguments as a JSON object (query-string and
/// form values arrive as strings, JSON-body values as sent).
type MethodFn = Arc<dyn Fn(Value) -> Result<Value, FrappeError> + Send + Sync>;

/// A request the server received (secrets are never recorded, only whether they were present).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// HTTP method.
    pub method: http::Method,
    /// The path as received (percent-encoded).
    pub path: String,
    /// The raw query string, if any.
    pub query: Option<String>,
    /// Whether an `Authorization` header was present.
    pub has_authorization: bool,
    /// Whether a `Cookie` header was present.
    pub has_cookie: bool,
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
}

#[derive(Debug, Clone)]
enum FaultBody {
    Text(String),
    Html(String),
    Frappe { exc_type: String, message: String },
}

#[derive(Debug, Clone)]
enum FaultKind {
    Status {
        status: u16,
        retry_after: Option<u64>,
        body: Option<FaultBody>,
    },
    Delay(Duration),
}

/// A failure to inject into the next matching requests (see [`FakeFrappe::inject`]).
///
/// Faults queue in FIFO order; each request consumes (one use of) the first fault whose path
/// prefix matches. Default bodies: 429 → a JSON `TooManyRequestsError` (as Frappe's limiter
/// answers on `/api` routes), 502 / 504 → an nginx HTML page, 503 → a v1 error with `exc_type` `SessionStopped`,
/// anything else → a v1 (or, under `/api/v2`, v2) error of the usual exception type for the status.
#[derive(Debug, Clone)]
pub struct Fault {
    kind: FaultKind,
    times: u32,
    path_prefix: Option<String>,
}

impl Fault {
    /// Answer with this status instead of handling the request.
    pub fn status(status: u16) -> Self {
        Self {
            kind: FaultKind::Status {
                status,
                retry_after: None,
                body: None,
            },
            times: 1,
            path_prefix: None,
        }
    }

    /// Handle the request normally, but only after sleeping `delay`.
    pub fn delay(delay: Duration) -> Self {
        Self {
            kind: FaultKind::Delay(delay),
            times: 1,
            path_prefix: None,
        }
    }

    fn with_body(mut self, new_body: FaultBody) -> Self {
        if let FaultKind::Status { body, .. } = &mut self.kind {
            *body = Some(new_body);
        }
        self
    }

    /// Adds a `Retry-After: secs` header (status faults only).
    pub fn retry_after(mut self, secs: u64) -> Self {
        if let FaultKind::Status { retry_after, .. } = &mut self.kind {
            *retry_after = Some(secs);
        }
        self
    }

    /// A `text/plain` body (status faults only).
    pub fn text_body(self, text: impl Into<String>) -> Self {
        self.with_body(FaultBody::Text(text.into()))
    }

    /// A `text/html` body (status faults only).
    pub fn html_body(self, html: impl Into<String>) -> Self {
        self.with_body(FaultBody::Html(html.into()))
    }

    /// A Frappe error body (v1, or v2 under `/api/v2`) with this exception type and message
    /// (status faults only).
    pub fn frappe_error(self, exc_type: impl Into<String>, message: impl Into<String>) -> Self {
        self.with_body(FaultBody::Frappe {
            exc_type: exc_type.into(),
            message: message.into(),
        })
    }

    /// Applies to the next `n` matching requests instead of one (`0` is treated as 1).
    pub fn times(mut self, n: u32) -> Self {
        self.times = n.max(1);
        self
    }

    /// Only requests whose path (raw or percent-decoded) starts with `prefix` match.
    pub fn only_path(mut self, prefix: impl Into<String>) -> Self {
        self.path_prefix = Some(prefix.into());
        self
    }
}

/// Immutable server configuration.
struct Config {
    api_key: String,
    api_secret: String,
    username: String,
    password: String,
    version: ServerVersion,
    methods: HashMap<String, MethodFn>,
    rate_limit_headers: bool,
}

/// The fixed-window processing-time budget behind the `X-RateLimit-*` headers.
struct RateWindow {
    started: Instant,
    used_us: u64,
}

/// Site-wide budget: 600 s of processing time per 86 400 s window (Frappe's documented example).
const RATE_LIMIT_US: u64 = 600 * 1_000_000;
const RATE_WINDOW_SECS: u64 = 86_400;

/// State shared by the handle(s) and the server task.
struct Shared {
    config: Config,
    store: Mutex<Store>,
    sessions: Mutex<HashMap<String, String>>,
    faults: FaultQueue<FaultKind>,
    requests: RequestLog<RecordedRequest>,
    rate: Mutex<RateWindow>,
}

/// Locks a mutex, ignoring poisoning (a panicking custom method must not wedge the server).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    fn record(&self, r: RecordedRequest) {
        self.requests.record(r);
    }

    fn take_fault(&self, raw_path: &str, decoded_path: &str) -> Option<FaultKind> {
        self.faults.take(raw_path, decoded_path)
    }

    /// The full name of the login user (from its User document when seeded).
    fn full_name(&self) -> String {
        lock(&self.store)
            .get_doc("User", &self.config.username)
            .ok()
            .and_then(|d| {
                d.get("full_name")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| self.config.username.clone())
    }

    fn is_website_user(&self) -> bool {
        lock(&self.store)
            .get_doc("User", &self.config.username)
            .ok()
            .is_some_and(|d| d.get("user_type").and_then(Value::as_str) == Some("Website User"))
    }
}

/// A running fake Frappe server. Cloning shares the server; dropping the last clone (or calling
/// [`FakeFrappe::shutdown`]) stops it.
#[derive(Clone)]
pub struct FakeFrappe {
    shared: Arc<Shared>,
    server: FakeServer,
    url: Url,
}

impl fmt::Debug for FakeFrappe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeFrappe")
            .field("url", &self.url.as_str())
            .field("version", &self.shared.config.version)
            .finish_non_exhaustive()
    }
}

impl FakeFrappe {
    /// A builder for a customised server.
    pub fn builder() -> FakeFrappeBuilder {
        FakeFrappeBuilder::default()
    }

    /// Starts a seeded Frappe 15 server with the default credentials ([`DEFAULT_API_KEY`] /
    /// [`DEFAULT_API_SECRET`], user [`DEFAULT_USERNAME`] / [`DEFAULT_PASSWORD`]).
    ///
    /// Must be called inside a tokio runtime (the server is spawned on it).
    pub async fn start() -> std::io::Result<Self> {
        Self::builder().start().await
    }

    /// The base URL, `http://127.0.0.1:<port>/`.
    pub fn url(&self) -> Url {
        self.url.clone()
    }

    /// The API key accepted in `Authorization: token key:secret`.
    pub fn api_key(&self) -> &str {
        &self.shared.config.api_key
    }

    /// The API secret.
    pub fn api_secret(&self) -> &str {
        &self.shared.config.api_secret
    }

    /// The user name accepted by `/api/method/login`.
    pub fn username(&self) -> &str {
        &self.shared.config.username
    }

    /// The password accepted by `/api/method/login`.
    pub fn password(&self) -> &str {
        &self.shared.config.password
    }

    /// The Frappe version imitated.
    pub fn version(&self) -> ServerVersion {
        self.shared.config.version
    }

    /// Stores a document directly, without validation: a supplied `name`, `creation`,
    /// `modified`, `owner` and `docstatus` are kept, a missing name follows the doctype's naming
    /// rule, child rows are normalised, an existing document with that name is replaced and an
    /// unknown doctype comes into existence. Returns the stored document — or, when it cannot be
    /// stored (not a JSON object, a generated doctype), the v1 error body the API would answer.
    pub fn insert(&self, doctype: &str, doc: Value) -> Value {
        let Value::Object(map) = doc else {
            return response::ApiError::validation("A document must be a JSON object")
                .body(response::Api::V1);
        };
        match lock(&self.shared.store).insert(doctype, map, Origin::Seed, DEFAULT_USERNAME) {
            Ok(saved) => Value::Object(saved.doc),
            Err(e) => e.body(response::Api::V1),
        }
    }

    /// A document (stored or generated), as `GET /api/resource/{doctype}/{name}` returns it.
    pub fn get(&self, doctype: &str, name: &str) -> Option<Value> {
        lock(&self.shared.store)
            .get_doc(doctype, name)
            .ok()
            .map(Value::Object)
    }

    /// Every stored document of a doctype, oldest first (generated doctypes are not stored: empty).
    pub fn all(&self, doctype: &str) -> Vec<Value> {
        lock(&self.shared.store)
            .all(doctype)
            .into_iter()
            .map(Value::Object)
            .collect()
    }

    /// Queues a fault for the next matching requests.
    pub fn inject(&self, fault: Fault) {
        self.shared
            .faults
            .push(fault.kind, fault.times, fault.path_prefix);
    }

    /// Invalidates every cookie session: later requests with an old `sid` run as Guest.
    pub fn expire_sessions(&self) {
        lock(&self.shared.sessions).clear();
    }

    /// The requests received so far (at most [`MAX_RECORDED_REQUESTS`], oldest first).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.requests.all()
    }

    /// Forgets the recorded requests.
    pub fn clear_requests(&self) {
        self.shared.requests.clear();
    }

    /// Stops the server (even if other clones of this handle exist). In-flight requests finish.
    pub fn shutdown(self) {
        self.server.shutdown();
    }
}

/// Configures a [`FakeFrappe`].
pub struct FakeFrappeBuilder {
    seed: bool,
    api_key: String,
    api_secret: String,
    username: String,
    password: String,
    version: ServerVersion,
    generated: Vec<(String, u64)>,
    methods: HashMap<String, MethodFn>,
    rate_limit_headers: bool,
}

impl fmt::Debug for FakeFrappeBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut methods: Vec<&String> = self.methods.keys().collect();
        methods.sort();
        f.debug_struct("FakeFrappeBuilder")
            .field("seed", &self.seed)
            .field("username", &self.username)
            .field("version", &self.version)
            .field("generated", &self.generated)
            .field("methods", &methods)
            .field("rate_limit_headers", &self.rate_limit_headers)
            .finish_non_exhaustive()
    }
}

impl Default for FakeFrappeBuilder {
    fn default() -> Self {
        Self {
            seed: true,
            api_key: DEFAULT_API_KEY.to_owned(),
            api_secret: DEFAULT_API_SECRET.to_owned(),
            username: DEFAULT_USERNAME.to_owned(),
            password: DEFAULT_PASSWORD.to_owned(),
            version: ServerVersion::default(),
            generated: Vec::new(),
            methods: HashMap::new(),
            rate_limit_headers: false,
        }
    }
}

impl FakeFrappeBuilder {
    /// Starts without the seed data (the known doctypes still exist, empty).
    pub fn empty(mut self) -> Self {
        self.seed = false;
        self
    }

    /// The API key and secret to accept.
    pub fn credentials(
        mut self,
        api_key: impl Into<String>,
        api_secret: impl Into<String>,
    ) -> Self {
        self.api_key = api_key.into();
        self.api_secret = api_secret.into();
        self
    }

    /// The login user and password (API-key requests also run as this user).
    pub fn user(mut self, username: impl Into<String>, password: impl Into<String>) -> Self {
        self.username = username.into();
        self.password = password.into();
        self
    }

    /// The Frappe version to imitate (default [`ServerVersion::V15`]).
    pub fn version(mut self, version: ServerVersion) -> Self {
        self.version = version;
        self
    }

    /// Declares a generated doctype of `count` rows computed on demand (for benchmarks): rows are
    /// named `{FIRST WORD}-{i:08}` (`"Bench Item"` → `BENCH-00000001` ...), created at
    /// 2026-01-01 00:00:00 + `i` s, with `item_name`, `qty`, `rate`, `enabled`, `status`. They are
    /// never stored (memory stays O(page)); they are read-only; lists ordered by `name`,
    /// `creation` or `modified` and filtered on those with `= > >= < <= between` are answered by
    /// index arithmetic. At most 99 999 999 rows.
    pub fn generated(mut self, doctype: impl Into<String>, count: u64) -> Self {
        self.generated.push((doctype.into(), count));
        self
    }

    /// Registers a custom whitelisted method at `dotted_path` (`/api/method/{dotted_path}`,
    /// answered under `message`; `/api/v2/method/{dotted_path}`, under `data`). It needs an
    /// authenticated caller and accepts every HTTP verb; it overrides a built-in method of the
    /// same name. Returning `Value::Null` answers without a `message` key, like a Python `None`.
    pub fn method<F>(mut self, dotted_path: impl Into<String>, handler: F) -> Self
    where
        F: Fn(Value) -> Result<Value, FrappeError> + Send + Sync + 'static,
    {
        self.methods.insert(dotted_path.into(), Arc::new(handler));
        self
    }

    /// Adds `X-RateLimit-Limit` / `-Remaining` / `-Reset` / `-Used` headers to every response
    /// (a site-wide budget of 600 s of processing time per day, in microseconds, like Frappe's
    /// `rate_limit` site config; exhausting it answers 429 `Too Many Requests`).
    pub fn rate_limit_headers(mut self, enabled: bool) -> Self {
        self.rate_limit_headers = enabled;
        self
    }

    /// Binds `127.0.0.1:0` and spawns the server on the current tokio runtime.
    pub async fn start(self) -> std::io::Result<FakeFrappe> {
        let mut store = Store::new(self.version);
        // Every site has its Singles; System Settings is a real Frappe 15.86 site's answer.
        seed::singles(&mut store);
        if self.seed {
            seed::seed(&mut store);
        }
        for (doctype, count) in &self.generated {
            store.add_generated(Generated::new(doctype, *count));
        }
        let shared = Arc::new(Shared {
            config: Config {
                api_key: self.api_key,
                api_secret: self.api_secret,
                username: self.username,
                password: self.password,
                version: self.version,
                methods: self.methods,
                rate_limit_headers: self.rate_limit_headers,
            },
            store: Mutex::new(store),
            sessions: Mutex::new(HashMap::new()),
            faults: FaultQueue::default(),
            requests: RequestLog::new(MAX_RECORDED_REQUESTS),
            rate: Mutex::new(RateWindow {
                started: Instant::now(),
                used_us: 0,
            }),
        });
        let server = FakeServer::start(routes::router(Arc::clone(&shared))).await?;
        Ok(FakeFrappe {
            shared,
            url: server.url(),
            server,
        })
    }
}
