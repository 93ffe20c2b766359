//! An emulated TP-Link ISP router (feature `emulator`): the JSON dialect of the "GDPR" web API
//! over HTTP on `127.0.0.1:0`, as PROTOCOL §9 specifies it, for the crate's tests, benchmarks
//! and sandboxes.
//!
//! ```
//! use tplink_bridge::emulator::{Emulator, EmulatorConfig, Fault};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! let router = Emulator::start(EmulatorConfig::default()).await?;
//! println!("emulated router at {}", router.url());
//! assert_eq!(router.active_sessions(), 0);
//! router.set_fault(Fault::Http500, 2); // the next two /cgi_gdpr requests fail
//! # Ok(()) }
//! ```
//!
//! What it emulates (PROTOCOL §9.3–§9.5):
//! * `GET /` — the login page (`var authTimes=<n>;var adminType="user";`, never a token), or,
//!   with a live session cookie, the main page with `var token="…";` on a line of its own;
//!   the DOM ids of §9.6 (`pc-login-password`, `pc-login-btn`, hidden
//!   `.content.error-tips-content` and `confirm-yes`, `topReboot`); `/js/emu-ui.js`, our own
//!   script that logs in through the form and serves `$.dm` over the real wire protocol (the
//!   browser client's counterpart), and `/css/emu.css` a style sheet.
//! * `GET|POST /cgi/getGDPRParm` — exactly `var ee="010001";\nvar nn="<hex>";\nvar
//!   seq="<digits>";\n$.ret=0;\n` (`text/javascript`; `seq` unquoted when configured, a new one
//!   per fetch with [`EmulatorConfig::rotate_seq`] or [`Fault::RotateSeq`]).
//! * `POST /cgi/getBusy` — `var isLogined=<0|1>;\nvar isBusy=0;\n$.ret=0;`.
//! * `POST /cgi_gdpr` (any query: `?9`, `?9?_=<ms>`) — the `sign`/`data`(/`tag`) envelope. A
//!   sign that names `key=` is a login, processed in the order of §9.4: a sign that does not
//!   open, lacks `key`/`iv`/`h`/`s` or carries an unusable key/IV → clear-text `$.ret=71234;`;
//!   then every answer is encrypted with the login's key: a payload that does not decrypt or
//!   parse → `71234`; locked out → `71233`; an unknown account → `71233`, counted; a wrong `h`
//!   or `s` → `71234`; else `$.ret=0;`, `Set-Cookie: JSESSIONID=<32 hex>; Path=/`, a new
//!   30-hex token, and any other session evicted. Only wrong credentials count towards the
//!   lock-out ([`EmulatorConfig::max_auth_failures`] in a row lock logins for
//!   [`EmulatorConfig::forbid_time`]).
//! * Commands need the live session's cookie and (unless turned off) its `TokenID`, else
//!   HTTP 403 with an empty body; a wrong `h`, a wrong `s = seq + len(data)` (the `seq` the
//!   session logged in with) or data that does not decrypt → clear-text `$.ret=71234;`. The
//!   payload is decrypted, trimmed and parsed as JSON, then run against the [`Fixtures`]:
//!   `go` (an object: the instance named by `stack`, the first one for the root stack),
//!   `gl`/`gs` (an array), `so` (updates the instance named by `stack`), `ao` (adds an
//!   instance below `pstack`, answers `{"stack":"…"}`; 5024 for a duplicate), `do` (deletes
//!   it), `op ACT_*` (succeeds; `ACT_REBOOT` also ends the session), `cgi /cgi/logout` (ends
//!   the session, HTTP 200 with an empty body). Answers are compact JSON
//!   `{"data":…,"operation":…,"oid":…,"success":true}` or `{"success":false,"errorcode":N}`
//!   (71011 for an unknown object or an operation it does not support, 71234 for a payload
//!   that is not a command), encrypted with the session key (GCM: `base64(ct)` then
//!   `base64(tag)`, or `base64(ct ‖ tag)` with [`EmulatorConfig::gcm_concat`]).
//! * Anything else: 404. `Referer` must name the host (`http://<Host>` with or without `/`)
//!   on the three CGI paths (not on the pages, which a browser opens without one), else 403.
//!   `Accept-Encoding` is ignored: bodies are never compressed. Keep-alive connections are
//!   served concurrently.
//!
//! The session is idle-timed out after [`EmulatorConfig::session_idle_timeout`] (every accepted
//! command and `GET /` with the cookie count as activity). Secrets never reach the request log
//! ([`Emulator::requests`]: method and path only) nor any `Debug` output.
//!
//! Not emulated: the text dialect (`/cgi/getParm`, `/cgi/login`), GCM+OAEP signs, ECIES,
//! clear-text login answers (VR1200v).

mod fixtures;
mod keygen;
mod pages;
mod server;

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gigafibre_client_core::testkit::{FakeServer, FaultQueue, RequestLog};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::watch;
use url::Url;

pub use self::fixtures::Fixtures;
use self::server::{HOST_ENTRY_FAULT_PATH, RouterState, Shared, lock};
use crate::crypto::{CryptoError, RsaPrivateKey, RsaPublicKey, Variant};

/// The contract's values the emulator starts from (`defaults.json`, a verbatim subset of
/// `vectors.json`).
#[derive(Deserialize)]
struct Defaults {
    rsa: DefaultKey,
    seq: u64,
    username: String,
    password: String,
    default_fixtures: Fixtures,
}

#[derive(Deserialize)]
struct DefaultKey {
    nn: String,
    ee: String,
    d_hex: String,
}

fn defaults() -> Option<Defaults> {
    serde_json::from_str(include_str!("defaults.json")).ok()
}

/// The contract's 512-bit test key (`vectors.json` `rsa`; its private exponent is public).
pub fn test_key() -> Result<RsaPrivateKey, CryptoError> {
    let d = defaults().ok_or_else(|| CryptoError("the built-in defaults do not parse".into()))?;
    RsaPrivateKey::from_hex(&d.rsa.nn, &d.rsa.ee, &d.rsa.d_hex)
}

/// The contract's `seq` (876543210).
pub const TEST_SEQ: u64 = 876_543_210;

/// Which web account a login gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Role {
    /// The subscriber's account (`user`, the JSON firmware's default).
    #[default]
    User,
    /// The ISP's account (`admin`).
    Admin,
}

/// A web account of the emulated router.
#[derive(Clone, PartialEq, Eq)]
pub struct Account {
    /// Login name (`user`).
    pub username: String,
    /// Password, compared as given.
    pub password: String,
    /// Its role.
    pub role: Role,
}

impl Account {
    /// An account.
    pub fn new(username: impl Into<String>, password: impl Into<String>, role: Role) -> Self {
        Self {
            username: username.into(),
            password: password.into(),
            role,
        }
    }
}

impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Account")
            .field("username", &self.username)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// Where the router's RSA key comes from.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub enum RsaKey {
    /// The contract's 512-bit test key ([`test_key`]), so that `vectors.json` applies.
    #[default]
    Test,
    /// This key (its public exponent should be `010001`).
    Fixed(RsaPrivateKey),
    /// A key of `bits` bits (a multiple of 16, 256–4096; 1024 reproduces EX520V firmware,
    /// PROTOCOL §9.10 test 6) generated from `seed`: the same seed gives the same key.
    /// Generation takes a moment (about a second for 1024 bits in a debug build).
    Generated {
        /// Modulus size.
        bits: u32,
        /// Seed of the prime search.
        seed: u64,
    },
}

/// How the emulated router behaves (PROTOCOL §9.2). `Default` is C6U-compatible: CBC, the
/// test key, `seq` 876543210 quoted, one account `user` / `Test-Pass-123`, the default
/// fixtures, every check on.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// AES mode of the session key (CBC by default; GCM).
    pub variant: Variant,
    /// Web accounts (default: `user` / `Test-Pass-123`, role user).
    pub accounts: Vec<Account>,
    /// The RSA key (default: the contract's test key).
    pub rsa_key: RsaKey,
    /// The `seq` of the key fetch (default 876543210).
    pub seq: u64,
    /// A new random `seq` at every key fetch (default off: one per process).
    pub rotate_seq: bool,
    /// `var seq="…";` (default) or `var seq=…;` (EX520V).
    pub seq_quoted: bool,
    /// GCM answers as `base64(ct ‖ tag)` instead of `base64(ct)` + `base64(tag)` (default off;
    /// C6U accepts only the latter).
    pub gcm_concat: bool,
    /// An idle session ends after this long (default 600 s).
    pub session_idle_timeout: Duration,
    /// Wrong-credential logins in a row that lock logins (default 5; 0 never locks).
    pub max_auth_failures: u32,
    /// How long the lock lasts (default 60 s).
    pub forbid_time: Duration,
    /// Refuse CGI requests whose `Referer` does not name the host (default on).
    pub require_referer: bool,
    /// Refuse commands without the session's `TokenID` (default on).
    pub require_token: bool,
    /// Check `s = seq + len(data)` in signs (default on).
    pub check_s: bool,
    /// Added before every answer (default none).
    pub latency: Duration,
    /// The data model (default: [`Fixtures::default_set`]).
    pub fixtures: Fixtures,
    /// Seeds session ids, tokens and rotated `seq`s (default: from the OS).
    pub seed: Option<u64>,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        let d = defaults();
        let (username, password) = d.as_ref().map_or_else(
            || ("user".to_owned(), "Test-Pass-123".to_owned()),
            |d| (d.username.clone(), d.password.clone()),
        );
        Self {
            variant: Variant::Cbc,
            accounts: vec![Account::new(username, password, Role::User)],
            rsa_key: RsaKey::Test,
            seq: d.as_ref().map_or(TEST_SEQ, |d| d.seq),
            rotate_seq: false,
            seq_quoted: true,
            gcm_concat: false,
            session_idle_timeout: Duration::from_secs(600),
            max_auth_failures: 5,
            forbid_time: Duration::from_secs(60),
            require_referer: true,
            require_token: true,
            check_s: true,
            latency: Duration::ZERO,
            fixtures: d.map(|d| d.default_fixtures).unwrap_or_default(),
            seed: None,
        }
    }
}

/// A fault to inject (PROTOCOL §9.8), for the next N matching requests
/// ([`Emulator::set_fault`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Fault {
    /// HTTP 500, empty body, nothing processed.
    Http500,
    /// HTTP 406, empty body, nothing processed (the httpd's lock-out state).
    Http406,
    /// The connection is closed before a complete answer; nothing processed.
    DropConnection,
    /// The request is processed and its status and headers (a login's `Set-Cookie` too) are
    /// sent, but the body never comes: the connection stays open (10 minutes at most, or
    /// until the emulator stops). WAN-GO's login hang.
    HangAfterHeaders,
    /// The request is processed, and answered 200 with its headers but an empty body.
    EmptyBody,
    /// Answers that carry `DEV2_HOST_ENTRY` (`go`/`gl`/`gs`) get two bytes that are not
    /// UTF-8 in the first `hostName`. Consumed by those answers only, not by requests.
    GarbageUtf8InHostname,
    /// The Active session is evicted (a human logged in elsewhere) before the request is
    /// processed.
    EvictSession,
    /// The answer comes this much later.
    Slow(Duration),
    /// A request with `Accept-Encoding: gzip` is refused with 406 (requests without it are
    /// served normally and still use up the fault).
    RejectGzip,
    /// The key fetch issues a new `seq` (consumed by `/cgi/getGDPRParm` requests).
    RotateSeq,
}

impl Fault {
    /// The path prefix [`Emulator::set_fault`] applies the fault to: `/cgi/getGDPRParm` for
    /// [`RotateSeq`](Fault::RotateSeq), `DEV2_HOST_ENTRY` answers for
    /// [`GarbageUtf8InHostname`](Fault::GarbageUtf8InHostname), `/cgi_gdpr` for the others.
    fn default_prefix(self) -> &'static str {
        match self {
            Fault::RotateSeq => "/cgi/getGDPRParm",
            Fault::GarbageUtf8InHostname => HOST_ENTRY_FAULT_PATH,
            _ => "/cgi_gdpr",
        }
    }
}

/// A request the emulator received: method and path, never the query, headers or body.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Received {
    /// `GET`, `POST`.
    pub method: String,
    /// The path, without the query (`/cgi_gdpr`).
    pub path: String,
}

/// Stops the hung bodies when the last handle goes.
struct StopOnDrop(watch::Sender<bool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        let _ = self.0.send(true);
    }
}

/// A running emulated router. Cloning shares it; dropping the last clone stops it.
#[derive(Clone)]
pub struct Emulator {
    shared: Arc<Shared>,
    server: FakeServer,
    stop: Arc<StopOnDrop>,
}

impl fmt::Debug for Emulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Emulator")
            .field("url", &self.server.url().as_str())
            .field("variant", &self.shared.config.variant)
            .finish_non_exhaustive()
    }
}

impl Emulator {
    /// Starts a router on `127.0.0.1:0` (inside a tokio runtime). Fails when the port cannot
    /// be bound or the configured key is unusable.
    pub async fn start(config: EmulatorConfig) -> std::io::Result<Self> {
        Self::start_on(config, (std::net::Ipv4Addr::LOCALHOST, 0).into()).await
    }

    /// Like [`start`](Self::start), listening on `addr` (the `emulate` subcommand's
    /// `--listen`; a sandbox that gives each router an address of its own).
    pub async fn start_on(
        mut config: EmulatorConfig,
        addr: std::net::SocketAddr,
    ) -> std::io::Result<Self> {
        let invalid = |e: CryptoError| std::io::Error::new(std::io::ErrorKind::InvalidInput, e);
        let rsa = match &config.rsa_key {
            RsaKey::Test => test_key().map_err(invalid)?,
            RsaKey::Fixed(k) => k.clone(),
            RsaKey::Generated { bits, seed } => keygen::generate(*bits, *seed).map_err(invalid)?,
        };
        let rng = match config.seed {
            Some(s) => StdRng::seed_from_u64(s),
            None => StdRng::from_os_rng(),
        };
        let (stop, stopped) = watch::channel(false);
        let state = RouterState {
            seq: config.seq,
            session: None,
            failures: 0,
            locked_until: None,
            logins: 0,
            rng,
            fixtures: std::mem::take(&mut config.fixtures),
        };
        let shared = Arc::new(Shared {
            config,
            rsa,
            state: Mutex::new(state),
            faults: Mutex::new(FaultQueue::default()),
            log: RequestLog::new(10_000),
            stopped,
        });
        let app = axum::Router::new()
            .fallback(server::handle)
            .with_state(Arc::clone(&shared));
        let server = FakeServer::start_on(app, addr).await?;
        Ok(Self {
            shared,
            server,
            stop: Arc::new(StopOnDrop(stop)),
        })
    }

    /// The base URL, `http://127.0.0.1:<port>/`.
    pub fn url(&self) -> Url {
        self.server.url()
    }

    /// The router's public key, as the key fetch shows it.
    pub fn public_key(&self) -> RsaPublicKey {
        self.shared.rsa.public().clone()
    }

    /// The `seq` the next login is checked against (the last one issued).
    pub fn seq(&self) -> u64 {
        lock(&self.shared.state).seq
    }

    /// 1 while a session is Active (not logged out, evicted or idle-timed out), else 0.
    pub fn active_sessions(&self) -> usize {
        let mut st = lock(&self.shared.state);
        st.expire(Instant::now(), self.shared.config.session_idle_timeout);
        usize::from(st.session.is_some())
    }

    /// Ends the Active session, as a login elsewhere does: its cookie and token now get 403.
    pub fn evict(&self) {
        lock(&self.shared.state).session = None;
    }

    /// Wrong-credential logins in a row (reset by a successful login and when a lock-out
    /// ends). Malformed logins are not counted.
    pub fn login_failures(&self) -> u32 {
        let mut st = lock(&self.shared.state);
        st.locked(Instant::now());
        st.failures
    }

    /// Whether logins are locked out now.
    pub fn locked_out(&self) -> bool {
        lock(&self.shared.state).locked(Instant::now())
    }

    /// Successful logins so far.
    pub fn logins(&self) -> u64 {
        lock(&self.shared.state).logins
    }

    /// Injects `fault` into the next `times` (at least 1) requests it applies to: `/cgi_gdpr`
    /// requests, except [`Fault::RotateSeq`] (key fetches) and
    /// [`Fault::GarbageUtf8InHostname`] (answers carrying `DEV2_HOST_ENTRY`). Faults queue in
    /// order; each request uses up one of the first that matches it.
    pub fn set_fault(&self, fault: Fault, times: u32) {
        self.set_fault_at(fault, times, fault.default_prefix());
    }

    /// Like [`set_fault`](Self::set_fault) for the requests whose path starts with
    /// `path_prefix` (`/` for every request).
    pub fn set_fault_at(&self, fault: Fault, times: u32, path_prefix: &str) {
        lock(&self.shared.faults).push(fault, times, Some(path_prefix.to_owned()));
    }

    /// Forgets every queued fault.
    pub fn clear_faults(&self) {
        *lock(&self.shared.faults) = FaultQueue::default();
    }

    /// An object of the data model as JSON (an object, or an array of instances).
    pub fn fixture(&self, oid: &str) -> Option<Value> {
        lock(&self.shared.state).fixtures.get(oid)
    }

    /// Adds or replaces an object (a JSON object, or an array of objects); `false` (and no
    /// change) for any other value.
    pub fn set_fixture(&self, oid: &str, value: &Value) -> bool {
        lock(&self.shared.state).fixtures.insert(oid, value)
    }

    /// Removes an object (it then answers `71011`); whether it was there.
    pub fn remove_fixture(&self, oid: &str) -> bool {
        lock(&self.shared.state).fixtures.remove(oid)
    }

    /// The requests received so far (the last 10,000), oldest first: method and path only.
    pub fn requests(&self) -> Vec<Received> {
        self.shared.log.all()
    }

    /// Forgets the received requests.
    pub fn clear_requests(&self) {
        self.shared.log.clear();
    }

    /// Stops serving, even if other clones exist; hung answers end.
    pub fn shutdown(&self) {
        let _ = self.stop.0.send(true);
        self.server.shutdown();
    }
}
