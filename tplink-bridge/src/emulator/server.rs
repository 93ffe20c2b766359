//! The HTTP side of the emulator: routing, the Referer rule, faults, and the router's
//! processing of key fetches, logins and commands (PROTOCOL §9.3–§9.5).

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use bytes::Bytes;
use gigafibre_client_core::testkit::{FaultQueue, RequestLog};
use http::header::{ACCEPT_ENCODING, CONTENT_TYPE, COOKIE, HOST, REFERER, SET_COOKIE};
use http::{HeaderMap, Method, StatusCode};
use rand::rngs::StdRng;
use rand::{Rng, RngCore};
use serde_json::{Map, Value};
use tokio::sync::watch;

use super::fixtures::{self, E_UNKNOWN_OID, Fixtures, Outcome};
use super::{EmulatorConfig, Fault, Received, Role, pages};
use crate::crypto::{RsaPrivateKey, SessionKey, credential_hash};
use crate::protocol::{Envelope, sign_pairs};

/// The generic refusal, in clear text (PROTOCOL §9.5).
const RET_BAD_CLEAR: &str = "$.ret=71234;";
const RET_BAD: i64 = 71234;
const RET_WRONG_CREDENTIALS: i64 = 71233;
/// Requests larger than this are refused (400).
const MAX_BODY: usize = 1 << 20;
/// How long a `HangAfterHeaders` body is withheld before the connection is closed (or until
/// the emulator stops).
const HANG_FOR: Duration = Duration::from_secs(600);
/// The pseudo path the hostname fault is queued under: it is taken by answers that carry
/// `DEV2_HOST_ENTRY`, not by requests.
pub(crate) const HOST_ENTRY_FAULT_PATH: &str = "oid:DEV2_HOST_ENTRY";

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The Active session (PROTOCOL §9.4).
pub(crate) struct Session {
    sid: String,
    token: String,
    key: SessionKey,
    hash: String,
    /// The `seq` issued before this session's login; its commands are checked against it.
    seq: u64,
    last_seen: Instant,
}

/// Everything that changes.
pub(crate) struct RouterState {
    pub(crate) seq: u64,
    pub(crate) session: Option<Session>,
    pub(crate) failures: u32,
    pub(crate) locked_until: Option<Instant>,
    pub(crate) logins: u64,
    pub(crate) rng: StdRng,
    pub(crate) fixtures: Fixtures,
}

impl RouterState {
    /// Ends the session when it has been idle too long.
    pub(crate) fn expire(&mut self, now: Instant, idle: Duration) {
        if self
            .session
            .as_ref()
            .is_some_and(|s| now.duration_since(s.last_seen) > idle)
        {
            self.session = None;
        }
    }

    /// The lock-out, lifted once its time has passed.
    pub(crate) fn locked(&mut self, now: Instant) -> bool {
        match self.locked_until {
            Some(until) if now < until => true,
            Some(_) => {
                self.locked_until = None;
                self.failures = 0;
                false
            }
            None => false,
        }
    }

    fn live_session(&mut self, sid: Option<&str>) -> Option<&mut Session> {
        self.session
            .as_mut()
            .filter(|s| sid.is_some_and(|id| id == s.sid))
    }

    fn new_seq(&mut self) {
        self.seq = self.rng.random_range(100_000_000..1_000_000_000u64);
    }

    fn hex_id(&mut self, chars: usize) -> String {
        let mut bytes = vec![0u8; chars.div_ceil(2)];
        self.rng.fill_bytes(&mut bytes);
        let mut s = hex::encode(bytes);
        s.truncate(chars);
        s
    }
}

/// What the handler shares.
pub(crate) struct Shared {
    pub(crate) config: EmulatorConfig,
    pub(crate) rsa: RsaPrivateKey,
    pub(crate) state: Mutex<RouterState>,
    pub(crate) faults: Mutex<FaultQueue<Fault>>,
    pub(crate) log: RequestLog<Received>,
    pub(crate) stopped: watch::Receiver<bool>,
}

impl Shared {
    fn idle(&self) -> Duration {
        self.config.session_idle_timeout
    }
}

/// What the request's headers say, read before the body is consumed.
struct Head {
    referer_ok: bool,
    sid: Option<String>,
    token: Option<String>,
}

fn header(h: &HeaderMap, name: impl http::header::AsHeaderName) -> Option<&str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

/// `Referer` names this host: `http://<Host>` with or without a trailing `/` (any path of the
/// same origin is accepted too, as a browser sends it).
fn referer_ok(h: &HeaderMap) -> bool {
    let (Some(host), Some(referer)) = (header(h, HOST), header(h, REFERER)) else {
        return false;
    };
    ["http://", "https://"].iter().any(|scheme| {
        referer
            .strip_prefix(scheme)
            .and_then(|r| r.strip_prefix(host))
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

fn session_cookie(h: &HeaderMap) -> Option<String> {
    h.get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(name, _)| *name == "JSESSIONID")
        .map(|(_, value)| value.to_owned())
}

fn accepts_gzip(h: &HeaderMap) -> bool {
    h.get_all(ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.to_ascii_lowercase().contains("gzip"))
}

fn respond(
    status: StatusCode,
    content_type: Option<&str>,
    body: impl Into<Body>,
    set_cookie: Option<String>,
) -> Response {
    let mut b = Response::builder().status(status);
    if let Some(ct) = content_type {
        b = b.header(CONTENT_TYPE, ct);
    }
    if let Some(c) = set_cookie {
        b = b.header(SET_COOKIE, c);
    }
    b.body(body.into())
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

fn status_only(status: StatusCode) -> Response {
    respond(status, None, Body::empty(), None)
}

const TEXT: &str = "text/plain; charset=utf-8";
const SCRIPT: &str = "text/javascript";

/// The connection is closed before a complete answer: the body fails at once, so the server
/// aborts the connection.
fn dropped() -> Response {
    let failing = futures::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::other("connection dropped (fault)"))
    });
    respond(StatusCode::OK, Some(TEXT), Body::from_stream(failing), None)
}

/// The same status and headers, but the body never comes (until the emulator stops or
/// [`HANG_FOR`] passes; then the connection is closed).
fn hanging(resp: Response, mut stopped: watch::Receiver<bool>) -> Response {
    let (parts, _) = resp.into_parts();
    let never = futures::stream::once(async move {
        tokio::select! {
            _ = tokio::time::sleep(HANG_FOR) => {}
            _ = stopped.wait_for(|s| *s) => {}
        }
        Err::<Bytes, std::io::Error>(std::io::Error::other("hang ended (fault)"))
    });
    Response::from_parts(parts, Body::from_stream(never))
}

/// The fallback handler: every request comes here.
pub(crate) async fn handle(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let path = req.uri().path().to_owned();
    shared.log.record(Received {
        method: req.method().as_str().to_owned(),
        path: path.clone(),
    });
    if !shared.config.latency.is_zero() {
        tokio::time::sleep(shared.config.latency).await;
    }
    let fault = lock(&shared.faults).take(&path, &path);
    let (mut hang, mut empty, mut rotate) = (false, false, false);
    match fault {
        Some(Fault::Http500) => return status_only(StatusCode::INTERNAL_SERVER_ERROR),
        Some(Fault::Http406) => return status_only(StatusCode::NOT_ACCEPTABLE),
        Some(Fault::DropConnection) => return dropped(),
        Some(Fault::HangAfterHeaders) => hang = true,
        Some(Fault::EmptyBody) => empty = true,
        Some(Fault::Slow(d)) => tokio::time::sleep(d).await,
        Some(Fault::EvictSession) => lock(&shared.state).session = None,
        Some(Fault::RejectGzip) => {
            if accepts_gzip(req.headers()) {
                return status_only(StatusCode::NOT_ACCEPTABLE);
            }
        }
        Some(Fault::RotateSeq) => rotate = true,
        Some(Fault::GarbageUtf8InHostname) | None => {}
    }
    let (parts, body) = req.into_parts();
    let head = Head {
        referer_ok: referer_ok(&parts.headers),
        sid: session_cookie(&parts.headers),
        token: header(&parts.headers, "tokenid").map(str::to_owned),
    };
    let Ok(body) = to_bytes(body, MAX_BODY).await else {
        return status_only(StatusCode::BAD_REQUEST);
    };
    let resp = route(&shared, &parts.method, &path, &head, &body, rotate);
    if hang {
        return hanging(resp, shared.stopped.clone());
    }
    if empty {
        let (parts, _) = resp.into_parts();
        return Response::from_parts(parts, Body::empty());
    }
    resp
}

fn route(
    shared: &Shared,
    method: &Method,
    path: &str,
    head: &Head,
    body: &[u8],
    rotate: bool,
) -> Response {
    let get = method == Method::GET || method == Method::HEAD;
    let post = method == Method::POST;
    let cgi = matches!(path, "/cgi/getGDPRParm" | "/cgi/getBusy" | "/cgi_gdpr");
    if cgi && shared.config.require_referer && !head.referer_ok {
        return status_only(StatusCode::FORBIDDEN);
    }
    match path {
        "/" if get => index(shared, head),
        "/cgi/getGDPRParm" if get || post => key_fetch(shared, rotate),
        "/cgi/getBusy" if post => busy(shared),
        "/cgi_gdpr" if post => gdpr(shared, head, body),
        "/js/emu-ui.js" if get => respond(StatusCode::OK, Some(SCRIPT), pages::UI_JS, None),
        "/css/emu.css" if get => respond(StatusCode::OK, Some("text/css"), pages::UI_CSS, None),
        _ => status_only(StatusCode::NOT_FOUND),
    }
}

fn index(shared: &Shared, head: &Head) -> Response {
    let now = Instant::now();
    let mut st = lock(&shared.state);
    st.expire(now, shared.idle());
    let page = if let Some(s) = st.live_session(head.sid.as_deref()) {
        s.last_seen = now;
        pages::main_page(&s.token)
    } else {
        let admin_type = if shared.config.accounts.iter().any(|a| a.role == Role::User) {
            "user"
        } else {
            "admin"
        };
        pages::login_page(st.failures, admin_type)
    };
    respond(StatusCode::OK, Some("text/html; charset=utf-8"), page, None)
}

fn key_fetch(shared: &Shared, rotate: bool) -> Response {
    let mut st = lock(&shared.state);
    if rotate || shared.config.rotate_seq {
        st.new_seq();
    }
    let q = if shared.config.seq_quoted { "\"" } else { "" };
    let public = shared.rsa.public();
    let body = format!(
        "var ee=\"{}\";\nvar nn=\"{}\";\nvar seq={q}{}{q};\n$.ret=0;\n",
        public.e_hex(),
        public.n_hex(),
        st.seq
    );
    respond(StatusCode::OK, Some(SCRIPT), body, None)
}

fn busy(shared: &Shared) -> Response {
    let mut st = lock(&shared.state);
    st.expire(Instant::now(), shared.idle());
    let logged_in = u8::from(st.session.is_some());
    respond(
        StatusCode::OK,
        Some(SCRIPT),
        format!("var isLogined={logged_in};\nvar isBusy=0;\n$.ret=0;"),
        None,
    )
}

/// What a `/cgi_gdpr` request gets.
enum Reply {
    /// A status with an empty body.
    Status(StatusCode),
    /// 200, clear text.
    Clear(&'static str),
    /// 200, an encrypted answer.
    Sealed(String),
    /// 200, an encrypted `$.ret=0;` and the new session's cookie.
    LoggedIn { body: String, sid: String },
    /// 200, empty body.
    Empty,
}

fn gdpr(shared: &Shared, head: &Head, body: &[u8]) -> Response {
    match gdpr_reply(shared, head, body) {
        Reply::Status(s) => status_only(s),
        Reply::Clear(text) => respond(StatusCode::OK, Some(TEXT), text, None),
        Reply::Sealed(b) => respond(StatusCode::OK, Some(TEXT), b, None),
        Reply::LoggedIn { body, sid } => respond(
            StatusCode::OK,
            Some(TEXT),
            body,
            Some(format!("JSESSIONID={sid}; Path=/")),
        ),
        Reply::Empty => respond(StatusCode::OK, Some(TEXT), Body::empty(), None),
    }
}

fn gdpr_reply(shared: &Shared, head: &Head, body: &[u8]) -> Reply {
    let text = String::from_utf8_lossy(body);
    let Some(env) = Envelope::parse(&text) else {
        return Reply::Clear(RET_BAD_CLEAR);
    };
    let Some(sign_text) = shared
        .rsa
        .open(&env.sign)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .filter(|t| t.is_ascii())
    else {
        return Reply::Clear(RET_BAD_CLEAR);
    };
    let pairs = sign_pairs(&sign_text);
    let now = Instant::now();
    let mut st = lock(&shared.state);
    if pairs.iter().any(|(k, _)| k == "key") {
        login(shared, &mut st, &env, &pairs, now)
    } else {
        command(shared, &mut st, head, &env, &pairs, now)
    }
}

fn pair<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn seal(key: &SessionKey, plain: &[u8], concat: bool) -> Reply {
    match key.seal_answer(plain, concat) {
        Ok(b) => Reply::Sealed(b),
        Err(_) => Reply::Clear(RET_BAD_CLEAR),
    }
}

/// `UserName`/`Passwd` (base64) of a login payload.
fn credentials(plain: &[u8]) -> Option<(String, String)> {
    let v: Value = serde_json::from_slice(plain.trim_ascii()).ok()?;
    let data = v.get("data")?;
    let field = |name: &str| {
        let b = B64.decode(data.get(name)?.as_str()?.trim()).ok()?;
        String::from_utf8(b).ok()
    };
    Some((field("UserName")?, field("Passwd")?))
}

/// The login, in the order of PROTOCOL §9.4 (steps 1–2 clear text, then encrypted).
fn login(
    shared: &Shared,
    st: &mut RouterState,
    env: &Envelope,
    pairs: &[(String, String)],
    now: Instant,
) -> Reply {
    let cfg = &shared.config;
    // 1. the sign's fields.
    let (Some(key), Some(iv), Some(h), Some(s)) = (
        pair(pairs, "key"),
        pair(pairs, "iv"),
        pair(pairs, "h"),
        pair(pairs, "s"),
    ) else {
        return Reply::Clear(RET_BAD_CLEAR);
    };
    // 2. the cipher.
    let Ok(sk) = SessionKey::from_login_sign(cfg.variant, key, iv) else {
        return Reply::Clear(RET_BAD_CLEAR);
    };
    let answer = |code: i64| seal(&sk, format!("$.ret={code};").as_bytes(), cfg.gcm_concat);
    // 3. the payload.
    let Some((user, password)) = sk
        .open(&env.data, env.tag.as_deref())
        .ok()
        .and_then(|p| credentials(&p))
    else {
        return answer(RET_BAD);
    };
    // 4. the lock-out.
    if st.locked(now) {
        return answer(RET_WRONG_CREDENTIALS);
    }
    // 5. the account (counted).
    if !cfg
        .accounts
        .iter()
        .any(|a| a.username == user && a.password == password)
    {
        st.failures = st.failures.saturating_add(1);
        if cfg.max_auth_failures > 0 && st.failures >= cfg.max_auth_failures {
            st.locked_until = Some(now + cfg.forbid_time);
        }
        return answer(RET_WRONG_CREDENTIALS);
    }
    // 6. h and s.
    let expected_s = st.seq + env.data.len() as u64;
    if h != credential_hash(&user, &password)
        || (cfg.check_s && s.parse::<u64>().ok() != Some(expected_s))
    {
        return answer(RET_BAD);
    }
    // 7. the new session evicts any other.
    let Reply::Sealed(body) = answer(0) else {
        return Reply::Clear(RET_BAD_CLEAR);
    };
    let sid = st.hex_id(32);
    let token = st.hex_id(30);
    st.session = Some(Session {
        sid: sid.clone(),
        token,
        key: sk.clone(),
        hash: h.to_owned(),
        seq: st.seq,
        last_seen: now,
    });
    st.failures = 0;
    st.locked_until = None;
    st.logins += 1;
    Reply::LoggedIn { body, sid }
}

/// `op`, `oid` and `data` of a command payload.
fn parse_command(plain: &[u8]) -> Option<(String, String, Map<String, Value>)> {
    let text = String::from_utf8_lossy(plain);
    let v: Value = serde_json::from_str(text.trim()).ok()?;
    let op = v.get("operation")?.as_str()?.to_owned();
    let oid = v.get("oid")?.as_str()?.to_owned();
    let data = match v.get("data") {
        Some(Value::Object(m)) => m.clone(),
        None | Some(Value::Null) => Map::new(),
        Some(_) => return None,
    };
    Some((op, oid, data))
}

fn answer_json(op: &str, oid: &str, outcome: &Outcome) -> String {
    match outcome {
        Outcome::Data(d) => format!(
            "{{\"data\":{d},\"operation\":{},\"oid\":{},\"success\":true}}",
            Value::String(op.to_owned()),
            Value::String(oid.to_owned())
        ),
        Outcome::Refused(code) => format!("{{\"success\":false,\"errorcode\":{code}}}"),
    }
}

/// Puts two bytes that are not UTF-8 in front of the first `hostName` value.
fn garble_hostname(json: String) -> Vec<u8> {
    let mut bytes = json.into_bytes();
    let marker = b"\"hostName\":\"";
    if let Some(at) = bytes.windows(marker.len()).position(|w| w == marker) {
        let at = at + marker.len();
        bytes.splice(at..at, [0xFF, 0xFE]);
    }
    bytes
}

/// A command of the Active session (PROTOCOL §9.4, §9.5).
fn command(
    shared: &Shared,
    st: &mut RouterState,
    head: &Head,
    env: &Envelope,
    pairs: &[(String, String)],
    now: Instant,
) -> Reply {
    let cfg = &shared.config;
    st.expire(now, shared.idle());
    let Some(session) = st.live_session(head.sid.as_deref()) else {
        return Reply::Status(StatusCode::FORBIDDEN);
    };
    if cfg.require_token && head.token.as_deref() != Some(session.token.as_str()) {
        return Reply::Status(StatusCode::FORBIDDEN);
    }
    let (Some(h), Some(s)) = (pair(pairs, "h"), pair(pairs, "s")) else {
        return Reply::Clear(RET_BAD_CLEAR);
    };
    if h != session.hash
        || (cfg.check_s && s.parse::<u64>().ok() != Some(session.seq + env.data.len() as u64))
    {
        return Reply::Clear(RET_BAD_CLEAR);
    }
    let Ok(plain) = session.key.open(&env.data, env.tag.as_deref()) else {
        return Reply::Clear(RET_BAD_CLEAR);
    };
    session.last_seen = now;
    let key = session.key.clone();
    let Some((op, oid, data)) = parse_command(&plain) else {
        return seal(
            &key,
            answer_json("", "", &Outcome::Refused(RET_BAD)).as_bytes(),
            cfg.gcm_concat,
        );
    };
    let outcome = match (op.as_str(), oid.as_str()) {
        ("cgi", "/cgi/logout") => {
            st.session = None;
            return Reply::Empty;
        }
        ("op", action) if action.starts_with("ACT_") => {
            if action == "ACT_REBOOT" {
                st.session = None;
            }
            Outcome::Data("{}".to_owned())
        }
        ("op" | "cgi", _) => Outcome::Refused(E_UNKNOWN_OID),
        _ => fixtures::execute(&mut st.fixtures, &op, &oid, &data),
    };
    let json = answer_json(&op, &oid, &outcome);
    let reads_hosts = oid == "DEV2_HOST_ENTRY" && matches!(op.as_str(), "go" | "gl" | "gs");
    let plain = if reads_hosts
        && matches!(outcome, Outcome::Data(_))
        && lock(&shared.faults)
            .take(HOST_ENTRY_FAULT_PATH, HOST_ENTRY_FAULT_PATH)
            .is_some()
    {
        garble_hostname(json)
    } else {
        json.into_bytes()
    };
    seal(&key, &plain, cfg.gcm_concat)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn referer_with_or_without_slash() {
        let ok = |r: &str| referer_ok(&headers(&[("host", "127.0.0.1:8080"), ("referer", r)]));
        assert!(ok("http://127.0.0.1:8080/"));
        assert!(ok("http://127.0.0.1:8080"));
        assert!(ok("http://127.0.0.1:8080/index.htm"));
        assert!(!ok("http://127.0.0.1:80801/"));
        assert!(!ok("http://evil.example/"));
        assert!(!referer_ok(&headers(&[("host", "127.0.0.1:8080")])));
    }

    #[test]
    fn cookie_among_others() {
        let h = headers(&[
            ("cookie", "loginErrorShow=1; JSESSIONID=abc"),
            ("cookie", "x=y"),
        ]);
        assert_eq!(session_cookie(&h).as_deref(), Some("abc"));
        assert_eq!(session_cookie(&headers(&[("cookie", "x=y")])), None);
    }

    #[test]
    fn hostname_garbling() {
        let g = garble_hostname(r#"[{"hostName":"pc"}]"#.to_owned());
        assert!(String::from_utf8(g.clone()).is_err());
        assert_eq!(
            String::from_utf8_lossy(&g),
            "[{\"hostName\":\"\u{FFFD}\u{FFFD}pc\"}]"
        );
    }
}
