//! The SNMP transport over `snmp2`: credentials, a pool of sessions per OLT, per-request
//! timeout and retries, concurrency limits, and the GETBULK walker.
//!
//! Every session that saw a timeout or an answer that did not parse is dropped, never reused:
//! `snmp2` takes the first datagram on the socket as the answer, so a late reply to an abandoned
//! request would otherwise be read as the answer to the next one. A new session has a new
//! socket (a new source port), so the late reply lands nowhere.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use snmp2::AsyncSession;
use tokio::sync::Semaphore;

use crate::error::{Error, Result, error_status_name};
use crate::oid::{Oid, Value};

/// SNMPv3 authentication protocols.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthProtocol {
    /// HMAC-MD5-96.
    Md5,
    /// HMAC-SHA-96.
    Sha1,
    /// HMAC-SHA-224.
    Sha224,
    /// HMAC-SHA-256.
    Sha256,
    /// HMAC-SHA-384.
    Sha384,
    /// HMAC-SHA-512.
    Sha512,
}

/// SNMPv3 privacy (encryption) protocols.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PrivProtocol {
    /// CBC-DES.
    Des,
    /// CFB-AES-128.
    Aes128,
    /// CFB-AES-192.
    Aes192,
    /// CFB-AES-256.
    Aes256,
}

/// A protocol name that is not one of the SNMPv3 protocols; the message lists the names
/// accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown SNMPv3 {kind} protocol {name:?}: expected {expected}")]
pub struct UnknownProtocol {
    /// `auth` or `privacy`.
    pub kind: &'static str,
    /// What was given.
    pub name: String,
    /// The names accepted.
    pub expected: &'static str,
}

/// Lower case, without `-` and `_` (`SHA-256` → `sha256`).
fn protocol_key(s: &str) -> String {
    s.trim()
        .chars()
        .filter(|c| !matches!(c, '-' | '_'))
        .collect::<String>()
        .to_ascii_lowercase()
}

impl std::str::FromStr for AuthProtocol {
    type Err = UnknownProtocol;

    /// `md5`, `sha` or `sha1`, `sha224`, `sha256`, `sha384`, `sha512` (any case, `-` allowed:
    /// `SHA-256`).
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        Ok(match protocol_key(s).as_str() {
            "md5" => Self::Md5,
            "sha" | "sha1" => Self::Sha1,
            "sha224" => Self::Sha224,
            "sha256" => Self::Sha256,
            "sha384" => Self::Sha384,
            "sha512" => Self::Sha512,
            _ => {
                return Err(UnknownProtocol {
                    kind: "auth",
                    name: s.to_owned(),
                    expected: "md5, sha1, sha224, sha256, sha384 or sha512",
                });
            }
        })
    }
}

impl std::str::FromStr for PrivProtocol {
    type Err = UnknownProtocol;

    /// `des`, `aes` or `aes128`, `aes192`, `aes256` (any case, `-` allowed: `AES-128`).
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        Ok(match protocol_key(s).as_str() {
            "des" => Self::Des,
            "aes" | "aes128" => Self::Aes128,
            "aes192" => Self::Aes192,
            "aes256" => Self::Aes256,
            _ => {
                return Err(UnknownProtocol {
                    kind: "privacy",
                    name: s.to_owned(),
                    expected: "des, aes128, aes192 or aes256",
                });
            }
        })
    }
}

/// SNMPv3 user credentials. `Debug` never shows the passphrases.
#[derive(Clone)]
pub struct V3Credentials {
    user: String,
    auth: Option<(AuthProtocol, SecretString)>,
    privacy: Option<(PrivProtocol, SecretString)>,
    context: String,
}

impl fmt::Debug for V3Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("V3Credentials")
            .field("user", &self.user)
            .field("auth", &self.auth.as_ref().map(|(p, _)| p))
            .field("privacy", &self.privacy.as_ref().map(|(p, _)| p))
            .field("context", &self.context)
            .finish()
    }
}

impl V3Credentials {
    /// A user without authentication (noAuthNoPriv).
    pub fn no_auth(user: impl Into<String>) -> Self {
        Self {
            user: user.into(),
            auth: None,
            privacy: None,
            context: String::new(),
        }
    }

    /// A user with authentication only (authNoPriv).
    pub fn auth(
        user: impl Into<String>,
        protocol: AuthProtocol,
        passphrase: impl Into<SecretString>,
    ) -> Self {
        Self {
            auth: Some((protocol, passphrase.into())),
            ..Self::no_auth(user)
        }
    }

    /// A user with authentication and privacy (authPriv).
    pub fn auth_priv(
        user: impl Into<String>,
        auth: AuthProtocol,
        auth_passphrase: impl Into<SecretString>,
        privacy: PrivProtocol,
        priv_passphrase: impl Into<SecretString>,
    ) -> Self {
        Self {
            privacy: Some((privacy, priv_passphrase.into())),
            ..Self::auth(user, auth, auth_passphrase)
        }
    }

    /// The context name (empty by default).
    pub fn context(mut self, context: impl Into<String>) -> Self {
        self.context = context.into();
        self
    }

    /// The user name.
    pub fn user(&self) -> &str {
        &self.user
    }

    fn security(&self) -> Result<snmp2::v3::Security> {
        use snmp2::v3::{Auth, AuthProtocol as A, Cipher, Security};
        let auth_pass = self
            .auth
            .as_ref()
            .map(|(_, s)| s.expose_secret().as_bytes().to_vec());
        let mut sec = Security::new(
            self.user.as_bytes(),
            auth_pass.as_deref().unwrap_or_default(),
        );
        if !self.context.is_empty() {
            sec = sec.with_context_name(&self.context);
        }
        match (&self.auth, &self.privacy) {
            (None, None) => Ok(sec.with_auth(Auth::NoAuthNoPriv)),
            (None, Some(_)) => Err(Error::Config(
                "SNMPv3 privacy needs authentication".to_owned(),
            )),
            (Some((proto, _)), privacy) => {
                let p = match proto {
                    AuthProtocol::Md5 => A::Md5,
                    AuthProtocol::Sha1 => A::Sha1,
                    AuthProtocol::Sha224 => A::Sha224,
                    AuthProtocol::Sha256 => A::Sha256,
                    AuthProtocol::Sha384 => A::Sha384,
                    AuthProtocol::Sha512 => A::Sha512,
                };
                sec = sec.with_auth_protocol(p);
                Ok(match privacy {
                    None => sec.with_auth(Auth::AuthNoPriv),
                    Some((c, pass)) => {
                        let cipher = match c {
                            PrivProtocol::Des => Cipher::Des,
                            PrivProtocol::Aes128 => Cipher::Aes128,
                            PrivProtocol::Aes192 => Cipher::Aes192,
                            PrivProtocol::Aes256 => Cipher::Aes256,
                        };
                        sec.with_auth(Auth::AuthPriv {
                            cipher,
                            privacy_password: pass.expose_secret().as_bytes().to_vec(),
                        })
                    }
                })
            }
        }
    }
}

/// How to authenticate to an agent. `Debug` never shows a secret.
#[derive(Clone)]
pub enum Credentials {
    /// SNMPv2c with a community string.
    V2c(SecretString),
    /// SNMPv3 with a user.
    V3(V3Credentials),
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::V2c(_) => f.write_str("V2c([redacted])"),
            Credentials::V3(v) => f.debug_tuple("V3").field(v).finish(),
        }
    }
}

/// A limit on requests in flight shared by several [`Olt`](crate::Olt)s (OLT agents are slow,
/// and a poller that covers hundreds of them must not flood its own uplink). Cheap to clone.
#[derive(Debug, Clone)]
pub struct GlobalLimit(Arc<Semaphore>);

impl GlobalLimit {
    /// At most `n` requests in flight across every OLT that shares this limit (at least 1).
    pub fn new(n: usize) -> Self {
        Self(Arc::new(Semaphore::new(n.max(1))))
    }

    /// The process-wide default limit, 64 requests, used by OLTs not given another one.
    pub fn shared() -> Self {
        static SHARED: OnceLock<GlobalLimit> = OnceLock::new();
        SHARED.get_or_init(|| GlobalLimit::new(64)).clone()
    }

    /// Permits free now.
    pub fn available(&self) -> usize {
        self.0.available_permits()
    }
}

/// Counters of one OLT handle's transport, for benchmarks and health pages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransportStats {
    /// Request PDUs sent (every attempt counts).
    pub requests: u64,
    /// Requests that timed out.
    pub timeouts: u64,
    /// Sessions opened (the first, and one after every dropped session).
    pub sessions_opened: u64,
    /// Sessions dropped after a timeout, a parse error or a reply to another request.
    pub sessions_dropped: u64,
    /// Replies that answered another request (late replies) or did not decode.
    pub bad_replies: u64,
    /// GETBULK answers that were `tooBig` or truncated (max-repetitions was halved).
    pub bulk_shrinks: u64,
}

#[derive(Debug, Default)]
struct Counters {
    requests: AtomicU64,
    timeouts: AtomicU64,
    sessions_opened: AtomicU64,
    sessions_dropped: AtomicU64,
    bad_replies: AtomicU64,
    bulk_shrinks: AtomicU64,
}

fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

/// An SNMP request.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Request<'a> {
    Get(&'a [Oid]),
    GetNext(&'a Oid),
    GetBulk(&'a Oid, u32),
}

/// An answer, converted out of `snmp2`'s borrowed PDU.
#[derive(Debug)]
pub(crate) struct Response {
    pub(crate) error_status: u32,
    pub(crate) error_index: u32,
    pub(crate) varbinds: Vec<(Oid, Value)>,
}

/// Settings of the transport.
#[derive(Debug, Clone)]
pub(crate) struct TransportConfig {
    pub(crate) olt: String,
    pub(crate) address: String,
    pub(crate) credentials: Credentials,
    pub(crate) timeout: Duration,
    pub(crate) retries: u32,
    pub(crate) max_in_flight: usize,
    pub(crate) global: GlobalLimit,
    pub(crate) max_repetitions: u32,
    pub(crate) bulk_ceiling: u32,
}

pub(crate) struct Transport {
    cfg: TransportConfig,
    pool: Mutex<Vec<AsyncSession>>,
    per_olt: Semaphore,
    answered: AtomicBool,
    counters: Counters,
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("olt", &self.cfg.olt)
            .field("address", &self.cfg.address)
            .field("credentials", &self.cfg.credentials)
            .field("timeout", &self.cfg.timeout)
            .field("retries", &self.cfg.retries)
            .field("max_in_flight", &self.cfg.max_in_flight)
            .finish_non_exhaustive()
    }
}

fn start_req_id() -> i32 {
    static SEED: OnceLock<i32> = OnceLock::new();
    static NEXT: AtomicI32 = AtomicI32::new(0);
    let seed = *SEED.get_or_init(|| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        i32::try_from(nanos & 0x3FFF_FFFF).unwrap_or(1)
    });
    seed.wrapping_add(NEXT.fetch_add(1, Ordering::Relaxed).wrapping_mul(1_000_003))
}

enum Attempt {
    Done(Response),
    /// Drop the session and try again (timeout, late reply, garbage).
    Retry {
        timed_out: bool,
    },
    Fail(Error),
}

impl Transport {
    pub(crate) fn new(cfg: TransportConfig) -> Self {
        let n = cfg.max_in_flight.max(1);
        Self {
            cfg,
            pool: Mutex::new(Vec::new()),
            per_olt: Semaphore::new(n),
            answered: AtomicBool::new(false),
            counters: Counters::default(),
        }
    }

    pub(crate) fn stats(&self) -> TransportStats {
        let c = &self.counters;
        TransportStats {
            requests: c.requests.load(Ordering::Relaxed),
            timeouts: c.timeouts.load(Ordering::Relaxed),
            sessions_opened: c.sessions_opened.load(Ordering::Relaxed),
            sessions_dropped: c.sessions_dropped.load(Ordering::Relaxed),
            bad_replies: c.bad_replies.load(Ordering::Relaxed),
            bulk_shrinks: c.bulk_shrinks.load(Ordering::Relaxed),
        }
    }

    pub(crate) fn count_shrink(&self) {
        bump(&self.counters.bulk_shrinks);
    }

    fn unreachable(&self, reason: impl Into<String>) -> Error {
        Error::Unreachable {
            olt: self.cfg.olt.clone(),
            reason: reason.into(),
        }
    }

    fn protocol(&self, reason: impl Into<String>) -> Error {
        Error::Protocol {
            olt: self.cfg.olt.clone(),
            reason: reason.into(),
        }
    }

    pub(crate) fn timeout_error(&self, attempts: u32) -> Error {
        let (olt, timeout) = (self.cfg.olt.clone(), self.cfg.timeout);
        if self.answered.load(Ordering::Relaxed) {
            Error::Timeout {
                olt,
                timeout,
                attempts,
            }
        } else {
            match &self.cfg.credentials {
                Credentials::V2c(_) => Error::NoAnswer {
                    olt,
                    timeout,
                    attempts,
                },
                // v3 discovery needs no valid credentials, so silence means no agent.
                Credentials::V3(_) => Error::Timeout {
                    olt,
                    timeout,
                    attempts,
                },
            }
        }
    }

    async fn open(&self) -> Result<Option<AsyncSession>> {
        let addr = self.cfg.address.as_str();
        let req_id = start_req_id();
        let opened = match &self.cfg.credentials {
            Credentials::V2c(c) => {
                AsyncSession::new_v2c(addr, c.expose_secret().as_bytes(), req_id).await
            }
            Credentials::V3(v3) => AsyncSession::new_v3(addr, req_id, v3.security()?).await,
        };
        let mut session =
            opened.map_err(|e| self.unreachable(format!("cannot open a socket to {addr}: {e}")))?;
        bump(&self.counters.sessions_opened);
        if let Credentials::V3(_) = self.cfg.credentials {
            bump(&self.counters.requests);
            match tokio::time::timeout(self.cfg.timeout, session.init()).await {
                Err(_) => {
                    bump(&self.counters.timeouts);
                    bump(&self.counters.sessions_dropped);
                    return Ok(None);
                }
                Ok(Err(e)) => return Err(self.map_snmp_error(&e)),
                Ok(Ok(())) => self.answered.store(true, Ordering::Relaxed),
            }
        }
        Ok(Some(session))
    }

    fn map_snmp_error(&self, e: &snmp2::Error) -> Error {
        match e {
            snmp2::Error::Send | snmp2::Error::Receive => {
                self.unreachable("the network refused the packet (no agent listens on that port?)")
            }
            snmp2::Error::AuthFailure(kind) => Error::Auth {
                olt: self.cfg.olt.clone(),
                reason: format!("SNMPv3: {kind}"),
            },
            other => self.protocol(other.to_string()),
        }
    }

    /// Sends `req` with retries; the answer may carry an error status (the caller decides).
    pub(crate) async fn request(&self, req: Request<'_>, attempts: u32) -> Result<Response> {
        let mut timed_out = 0;
        let attempts = attempts.max(1);
        for _ in 0..attempts {
            match self.attempt(req).await? {
                Attempt::Done(r) => return Ok(r),
                Attempt::Retry { timed_out: t } => timed_out += u32::from(t),
                Attempt::Fail(e) => return Err(e),
            }
        }
        if timed_out > 0 {
            Err(self.timeout_error(attempts))
        } else {
            Err(self.protocol(format!("no usable answer in {attempts} attempts")))
        }
    }

    /// Attempts allowed by the configuration (1 + retries).
    pub(crate) fn attempts(&self) -> u32 {
        self.cfg.retries.saturating_add(1)
    }

    async fn attempt(&self, req: Request<'_>) -> Result<Attempt> {
        let _olt = self
            .per_olt
            .acquire()
            .await
            .map_err(|_| self.protocol("transport closed"))?;
        let _global = self
            .cfg
            .global
            .0
            .acquire()
            .await
            .map_err(|_| self.protocol("global limit closed"))?;
        let pooled = self.pool.lock().ok().and_then(|mut p| p.pop());
        let mut session = match pooled {
            Some(s) => s,
            None => match self.open().await? {
                Some(s) => s,
                None => return Ok(Attempt::Retry { timed_out: true }),
            },
        };
        bump(&self.counters.requests);
        let outcome = tokio::time::timeout(self.cfg.timeout, send(&mut session, req)).await;
        match outcome {
            Err(_) => {
                bump(&self.counters.timeouts);
                bump(&self.counters.sessions_dropped);
                tracing::debug!(olt = %self.cfg.olt, "request timed out; session dropped");
                Ok(Attempt::Retry { timed_out: true })
            }
            Ok(Ok(resp)) => {
                self.answered.store(true, Ordering::Relaxed);
                if let Ok(mut p) = self.pool.lock() {
                    p.push(session);
                }
                match resp {
                    Ok(r) => Ok(Attempt::Done(r)),
                    Err(reason) => Ok(Attempt::Fail(self.protocol(reason))),
                }
            }
            Ok(Err(e)) => {
                bump(&self.counters.sessions_dropped);
                match e {
                    snmp2::Error::AuthUpdated => Ok(Attempt::Retry { timed_out: false }),
                    snmp2::Error::Send | snmp2::Error::Receive | snmp2::Error::AuthFailure(_) => {
                        Ok(Attempt::Fail(self.map_snmp_error(&e)))
                    }
                    other => {
                        bump(&self.counters.bad_replies);
                        tracing::debug!(olt = %self.cfg.olt, error = %other, "bad reply; session dropped");
                        Ok(Attempt::Retry { timed_out: false })
                    }
                }
            }
        }
    }

    /// GET of several OIDs in one PDU; every answered OID must be the one asked for.
    pub(crate) async fn get(&self, oids: &[Oid]) -> Result<Vec<(Oid, Value)>> {
        let resp = self.request(Request::Get(oids), self.attempts()).await?;
        self.check_status(&resp)?;
        if resp.varbinds.len() != oids.len()
            || resp
                .varbinds
                .iter()
                .zip(oids)
                .any(|((got, _), want)| got != want)
        {
            return Err(self.protocol("the GET answer does not name the OIDs asked for"));
        }
        Ok(resp.varbinds)
    }

    pub(crate) fn check_status(&self, resp: &Response) -> Result<()> {
        match resp.error_status {
            0 => Ok(()),
            16 => Err(Error::Auth {
                olt: self.cfg.olt.clone(),
                reason: "authorizationError (the view does not include these objects)".to_owned(),
            }),
            s => Err(Error::Agent {
                olt: self.cfg.olt.clone(),
                status: error_status_name(s),
                index: resp.error_index,
            }),
        }
    }

    /// Walks the subtree below `root` with GETBULK, handing each answer's varbinds to `sink`.
    ///
    /// Max-repetitions starts at the configured value (25 by default) and halves, never below 1,
    /// on `tooBig`, on a truncated answer and on a timeout. While the agent answers in full and
    /// nothing has shrunk it in this walk, it doubles after each answer up to the ceiling (64 by
    /// default; a ceiling equal to the start turns growth off). Every varbind must lie after the
    /// previous one; the first outside the subtree (or `endOfMibView`) ends the walk.
    pub(crate) async fn walk_bulk(
        &self,
        root: &Oid,
        mut sink: impl FnMut(Vec<(Oid, Value)>),
    ) -> Result<()> {
        let mut reps = self.cfg.max_repetitions.max(1);
        let ceiling = self.cfg.bulk_ceiling.max(reps);
        let mut grow = true;
        let mut cur = root.clone();
        let attempts = self.attempts();
        loop {
            let mut left = attempts;
            let resp = loop {
                match self.request(Request::GetBulk(&cur, reps), 1).await {
                    Ok(r) if r.error_status == 1 => {
                        if reps == 1 {
                            return Err(self.protocol("tooBig even with max-repetitions 1"));
                        }
                        self.count_shrink();
                        reps = (reps / 2).max(1);
                        grow = false;
                    }
                    Ok(r) => break r,
                    Err(
                        e @ (Error::Timeout { .. }
                        | Error::NoAnswer { .. }
                        | Error::Protocol { .. }),
                    ) => {
                        left -= 1;
                        if left == 0 {
                            return Err(match e {
                                Error::Protocol { .. } => e,
                                _ => self.timeout_error(attempts),
                            });
                        }
                        reps = (reps / 2).max(1);
                        grow = false;
                    }
                    Err(e) => return Err(e),
                }
            };
            self.check_status(&resp)?;
            let n = resp.varbinds.len();
            let mut out = Vec::with_capacity(n);
            let mut done = n == 0;
            for (oid, value) in resp.varbinds {
                if matches!(value, Value::EndOfMibView) || !oid.is_below(root) {
                    done = true;
                    break;
                }
                if oid <= cur {
                    return Err(self.protocol(format!("walk of {root} went backwards at {oid}")));
                }
                cur = oid.clone();
                out.push((oid, value));
            }
            if !out.is_empty() {
                sink(out);
            }
            if done {
                return Ok(());
            }
            if u32::try_from(n).unwrap_or(u32::MAX) < reps {
                self.count_shrink();
                reps = (reps / 2).max(1);
                grow = false;
            } else if grow && reps < ceiling {
                reps = reps.saturating_mul(2).min(ceiling);
            }
        }
    }

    /// Walks with GETNEXT, one varbind per request (the baseline the benchmark compares with).
    pub(crate) async fn walk_next(
        &self,
        root: &Oid,
        mut sink: impl FnMut(Vec<(Oid, Value)>),
    ) -> Result<()> {
        let mut cur = root.clone();
        loop {
            let resp = self
                .request(Request::GetNext(&cur), self.attempts())
                .await?;
            if resp.error_status == 2 {
                return Ok(()); // noSuchName: SNMPv1-style end of view
            }
            self.check_status(&resp)?;
            let Some((oid, value)) = resp.varbinds.into_iter().next() else {
                return Ok(());
            };
            if value.is_exception() || !oid.is_below(root) {
                return Ok(());
            }
            if oid <= cur {
                return Err(self.protocol(format!("walk of {root} went backwards at {oid}")));
            }
            cur = oid.clone();
            sink(vec![(oid, value)]);
        }
    }
}

fn to_snmp_oid(oid: &Oid) -> std::result::Result<snmp2::Oid<'static>, String> {
    let arcs: Vec<u64> = oid.arcs().iter().map(|a| u64::from(*a)).collect();
    snmp2::Oid::from(&arcs).map_err(|_| format!("OID {oid} cannot be encoded"))
}

fn from_snmp_oid(oid: &snmp2::Oid<'_>) -> Option<Oid> {
    let arcs = oid
        .iter()?
        .map(|a| u32::try_from(a).ok())
        .collect::<Option<Vec<u32>>>()?;
    Some(Oid::new(arcs))
}

fn from_snmp_value(v: snmp2::Value<'_>) -> Option<Value> {
    use snmp2::Value as S;
    Some(match v {
        S::Boolean(b) => Value::Integer(i64::from(b)),
        S::Null => Value::Null,
        S::Integer(i) => Value::Integer(i),
        S::OctetString(b) => Value::OctetString(b.to_vec()),
        S::ObjectIdentifier(o) => Value::ObjectId(from_snmp_oid(&o)?),
        S::IpAddress(a) => Value::IpAddress(a),
        S::Counter32(c) => Value::Counter32(c),
        S::Unsigned32(c) => Value::Gauge32(c),
        S::Timeticks(c) => Value::TimeTicks(c),
        S::Opaque(b) => Value::Opaque(b.to_vec()),
        S::Counter64(c) => Value::Counter64(c),
        S::EndOfMibView => Value::EndOfMibView,
        S::NoSuchObject => Value::NoSuchObject,
        S::NoSuchInstance => Value::NoSuchInstance,
        _ => return None,
    })
}

/// One exchange on a session. The outer error is the wire library's (the session is then
/// dropped); the inner one is an answer that decoded but made no sense.
async fn send(
    session: &mut AsyncSession,
    req: Request<'_>,
) -> std::result::Result<std::result::Result<Response, String>, snmp2::Error> {
    let pdu = match req {
        Request::Get(oids) => {
            let conv: std::result::Result<Vec<_>, String> = oids.iter().map(to_snmp_oid).collect();
            let conv = match conv {
                Ok(c) => c,
                Err(e) => return Ok(Err(e)),
            };
            let refs: Vec<&snmp2::Oid<'_>> = conv.iter().collect();
            session.get_many(&refs).await?
        }
        Request::GetNext(oid) => {
            let o = match to_snmp_oid(oid) {
                Ok(o) => o,
                Err(e) => return Ok(Err(e)),
            };
            session.getnext(&o).await?
        }
        Request::GetBulk(oid, reps) => {
            let o = match to_snmp_oid(oid) {
                Ok(o) => o,
                Err(e) => return Ok(Err(e)),
            };
            session.getbulk(&[&o], 0, reps).await?
        }
    };
    let mut varbinds = Vec::new();
    for (oid, value) in pdu.varbinds.clone() {
        let (Some(oid), Some(value)) = (from_snmp_oid(&oid), from_snmp_value(value)) else {
            return Ok(Err("a varbind did not decode".to_owned()));
        };
        varbinds.push((oid, value));
    }
    Ok(Ok(Response {
        error_status: pdu.error_status,
        error_index: pdu.error_index,
        varbinds,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_names_parse_in_any_usual_spelling() {
        for (name, p) in [
            ("md5", AuthProtocol::Md5),
            ("SHA", AuthProtocol::Sha1),
            ("sha-1", AuthProtocol::Sha1),
            ("SHA-256", AuthProtocol::Sha256),
            ("sha_512", AuthProtocol::Sha512),
        ] {
            assert_eq!(name.parse::<AuthProtocol>(), Ok(p), "{name}");
        }
        for (name, p) in [
            ("DES", PrivProtocol::Des),
            ("aes", PrivProtocol::Aes128),
            ("AES-192", PrivProtocol::Aes192),
            ("aes256", PrivProtocol::Aes256),
        ] {
            assert_eq!(name.parse::<PrivProtocol>(), Ok(p), "{name}");
        }
        let e = "rot13".parse::<AuthProtocol>().unwrap_err();
        assert!(e.to_string().contains("sha256"), "{e}");
        assert!("3des".parse::<PrivProtocol>().is_err());
    }

    #[test]
    fn debug_output_never_shows_secrets() {
        let v2 = Credentials::V2c(SecretString::from("s3cret-community"));
        assert!(!format!("{v2:?}").contains("s3cret"));
        let v3 = Credentials::V3(V3Credentials::auth_priv(
            "ops",
            AuthProtocol::Sha1,
            "auth-pass-123",
            PrivProtocol::Aes128,
            "priv-pass-456",
        ));
        let dbg = format!("{v3:?}");
        assert!(
            dbg.contains("ops") && !dbg.contains("pass-123") && !dbg.contains("pass-456"),
            "{dbg}"
        );
    }

    #[test]
    fn privacy_without_authentication_is_refused() {
        let mut v3 = V3Credentials::no_auth("ops");
        v3.privacy = Some((PrivProtocol::Des, SecretString::from("x")));
        assert!(matches!(v3.security(), Err(Error::Config(_))));
    }

    #[test]
    fn request_ids_differ_between_sessions() {
        assert_ne!(start_req_id(), start_req_id());
    }
}
