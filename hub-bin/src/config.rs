//! Settings: environment variables, optionally under a TOML file.
//!
//! Every setting has an environment variable (the hub README has the table); the same settings
//! may come from a TOML file (`--config` or `HUB_CONFIG_FILE`), and a variable overrides the
//! file. An upstream whose settings are absent is *not configured*: the hub starts, `/readyz`
//! says so and its routes answer 503 naming what to set. An invalid value is a [`ConfigError`]
//! naming the variable, never a panic.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ipnet::IpNet;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::{Capability, ServiceToken};

/// The prefixes of every environment variable the hub reads (`OLT` covers `OLTS` and `OLT_*`),
/// for tools that start a hub with a clean environment.
pub const ENV_PREFIXES: &[&str] = &[
    "HUB_",
    "FRAPPE_",
    "GENIEACS_",
    "TPLINK_",
    "OLT",
    "TRACCAR_",
    "DISPATCH_",
    "AUTHENTIK_",
    "SMTP_",
    "INVITE_",
    "GEMINI_",
];

/// An invalid setting: which variable, and what is wrong with it (never its value).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{var}: {message}")]
pub struct ConfigError {
    /// The environment variable (or TOML key) at fault.
    pub var: String,
    /// What is wrong.
    pub message: String,
}

impl ConfigError {
    fn new(var: &str, message: impl Into<String>) -> Self {
        Self {
            var: var.to_owned(),
            message: message.into(),
        }
    }
}

/// Where the hub keeps its state.
#[derive(Debug, Clone)]
pub enum DatabaseUrl {
    /// An SQLite file (created when missing).
    SqliteFile(PathBuf),
    /// An SQLite database in memory (tests, sandbox): gone when the process ends.
    SqliteMemory,
    /// A PostgreSQL database (`postgres://...`), for several hub instances.
    Postgres(SecretString),
}

impl DatabaseUrl {
    /// Parses `HUB_DATABASE_URL`: `postgres://...`, `sqlite://path`, `sqlite:path` or
    /// `sqlite::memory:`.
    pub fn parse(raw: &str) -> Result<Self, ConfigError> {
        let var = "HUB_DATABASE_URL";
        let raw = raw.trim();
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            url::Url::parse(raw).map_err(|e| ConfigError::new(var, format!("not a URL: {e}")))?;
            return Ok(Self::Postgres(SecretString::from(raw.to_owned())));
        }
        if raw == "sqlite::memory:" || raw == ":memory:" {
            return Ok(Self::SqliteMemory);
        }
        if let Some(path) = raw
            .strip_prefix("sqlite://")
            .or_else(|| raw.strip_prefix("sqlite:"))
        {
            let path = path.split('?').next().unwrap_or_default();
            if path.is_empty() {
                return Err(ConfigError::new(var, "the SQLite URL names no file"));
            }
            return Ok(Self::SqliteFile(PathBuf::from(path)));
        }
        Err(ConfigError::new(
            var,
            "expected postgres://..., sqlite://<file> or sqlite::memory:",
        ))
    }

    /// `"sqlite"` or `"postgres"`.
    pub fn backend(&self) -> &'static str {
        match self {
            Self::SqliteFile(_) | Self::SqliteMemory => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }

    /// The URL with any password hidden.
    pub fn redacted(&self) -> String {
        match self {
            Self::SqliteFile(p) => format!("sqlite://{}", p.display()),
            Self::SqliteMemory => "sqlite::memory:".to_owned(),
            Self::Postgres(url) => match url::Url::parse(url.expose_secret()) {
                Ok(mut u) => {
                    if u.password().is_some() {
                        let _ = u.set_password(Some("[redacted]"));
                    }
                    u.to_string()
                }
                Err(_) => "postgres://[redacted]".to_owned(),
            },
        }
    }
}

/// Trusting the staff identity headers that Traefik's ForwardAuth adds.
#[derive(Debug, Clone, Default)]
pub struct AuthSettings {
    /// The shared secret Traefik adds to every request it forwards (a headers middleware), in
    /// [`proxy_secret_header`](Self::proxy_secret_header).
    pub proxy_secret: Option<SecretString>,
    /// The header carrying the proxy secret (default `X-Hub-Proxy-Secret`).
    pub proxy_secret_header: String,
    /// Peer networks whose requests are trusted to come through the proxy.
    pub trusted_proxies: Vec<IpNet>,
    /// Authentik group name → capabilities.
    pub groups: BTreeMap<String, Vec<Capability>>,
    /// Bearer tokens for scripts and n8n (stored hashed).
    pub service_tokens: Vec<ServiceToken>,
}

/// The SSE bus.
#[derive(Debug, Clone)]
pub struct SseSettings {
    /// Heartbeat comment interval (15 s).
    pub heartbeat: Duration,
    /// Events queued per connection before a slow client is disconnected (256).
    pub queue: usize,
    /// How long events are kept for replay (24 h).
    pub retention_age: Duration,
    /// How many events are kept for replay at most (100 000).
    pub retention_count: i64,
    /// A connection is closed after this long (30 min, plus up to 10 % jitter); the browser
    /// reconnects with `Last-Event-ID`, which re-checks its authorization.
    pub max_lifetime: Duration,
    /// `retry:` sent to browsers (3 s).
    pub retry: Duration,
    /// How often the dispatcher reads the log when nothing woke it (1 s): a safety net under
    /// the in-process wake-up and PostgreSQL's NOTIFY.
    pub dispatch_fallback: Duration,
}

impl Default for SseSettings {
    fn default() -> Self {
        Self {
            heartbeat: Duration::from_secs(15),
            queue: 256,
            retention_age: Duration::from_secs(24 * 3600),
            retention_count: 100_000,
            max_lifetime: Duration::from_secs(30 * 60),
            retry: Duration::from_secs(3),
            dispatch_fallback: Duration::from_secs(1),
        }
    }
}

/// The webhook inbox and the outbox workers.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// Inbox and outbox worker tasks (1; 0 stops processing, which only tests want).
    pub workers: usize,
    /// Attempts before a message is dead-lettered (8).
    pub max_attempts: i64,
    /// First retry delay; doubles each attempt (2 s), capped at 10 min.
    pub backoff: Duration,
    /// How often an idle worker looks for due work (1 s); new work wakes it at once.
    pub poll: Duration,
    /// Largest webhook body accepted (256 KiB).
    pub webhook_body_limit: usize,
    /// How long a claimed message is reserved for its worker (120 s); the upstream clients'
    /// overall deadline is half of it, so a call always ends before its lease does.
    pub lease: Duration,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            workers: 1,
            max_attempts: 8,
            backoff: Duration::from_secs(2),
            poll: Duration::from_secs(1),
            webhook_body_limit: 256 * 1024,
            lease: Duration::from_secs(120),
        }
    }
}

/// ERPNext (Frappe).
#[derive(Debug, Clone)]
pub struct FrappeSettings {
    /// Site URL.
    pub url: String,
    /// API key of the hub's service user.
    pub api_key: String,
    /// Its API secret.
    pub api_secret: SecretString,
    /// Per-request timeout (30 s).
    pub timeout: Duration,
}

/// How the hub authenticates to the proxy in front of the GenieACS NBI.
#[derive(Debug, Clone)]
pub enum GenieacsAuth {
    /// No credentials (the NBI on a private network).
    None,
    /// HTTP Basic (`GENIEACS_USER` / `GENIEACS_PASSWORD`).
    Basic(String, SecretString),
    /// A bearer token (`GENIEACS_TOKEN`).
    Bearer(SecretString),
}

/// GenieACS (the TR-069 ACS's NBI).
#[derive(Debug, Clone)]
pub struct GenieacsSettings {
    /// NBI URL (`http://genieacs:7557`).
    pub url: String,
    /// Credentials for its proxy.
    pub auth: GenieacsAuth,
    /// Per-request timeout for reads (10 s).
    pub timeout: Duration,
}

/// How the hub reaches TP-Link routers for their own view (the `tplink` source of
/// `/devices/lookup`).
#[derive(Debug, Clone)]
pub enum TplinkMode {
    /// Through the bridge service (`TPLINK_BRIDGE_URL`, its optional token).
    Bridge {
        /// The bridge's base URL (`http://tplink-bridge:3301`).
        url: String,
        /// Its bearer token (`TPLINK_BRIDGE_TOKEN`).
        token: Option<SecretString>,
    },
    /// In-process, with the `tplink-bridge` crate linked into the hub (`TPLINK_DIRECT=true`).
    Direct,
}

/// TP-Link routers: the router's own view (mesh, hosts, Wi-Fi, optics) in `/devices/lookup`.
#[derive(Debug, Clone)]
pub struct TplinkSettings {
    /// Bridge service or in-process.
    pub mode: TplinkMode,
    /// The port of the router's web interface on its WAN/management address (80).
    pub router_port: u16,
    /// How long one router read may take (6 s; the lookup deadline still bounds it).
    pub timeout: Duration,
}

/// How the hub authenticates to Traccar.
#[derive(Clone)]
pub enum TraccarAuth {
    /// A bearer token (`TRACCAR_TOKEN`, Traccar 6.2+; e.g. `web.serviceAccountToken`).
    Bearer(SecretString),
    /// A session login (`TRACCAR_USER`, `TRACCAR_PASSWORD`).
    Session(String, SecretString),
}

impl fmt::Debug for TraccarAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bearer(_) => f.write_str("Bearer([redacted])"),
            Self::Session(user, _) => f.debug_tuple("Session").field(user).finish_non_exhaustive(),
        }
    }
}

/// Traccar (technicians' GPS positions) and the dispatch features built on it.
#[derive(Debug, Clone)]
pub struct TraccarSettings {
    /// The server (`http://traccar:8082`).
    pub url: String,
    /// Token or session.
    pub auth: TraccarAuth,
    /// Per-request timeout (10 s).
    pub timeout: Duration,
    /// Keep the live WebSocket feed and publish `technician.position` on `/dispatch` (true).
    pub live: bool,
    /// At most one `technician.position` per technician this often (10 s).
    pub position_throttle: Duration,
}

/// authentik's admin API (staff accounts), for the invite flow.
#[derive(Debug, Clone)]
pub struct AuthentikSettings {
    /// The server (`https://auth.example.com`; `/api/v3` is added).
    pub url: String,
    /// An API token (intent `api`) of a user allowed to manage users and groups.
    pub token: SecretString,
    /// Per-request timeout (10 s).
    pub timeout: Duration,
}

/// Gemini (the `/vision/*` routes).
#[derive(Debug, Clone)]
pub struct GeminiSettings {
    /// The API key (`GEMINI_API_KEY`).
    pub api_key: SecretString,
    /// The model (`GEMINI_MODEL`, default gemini-vision's current Flash model).
    pub model: String,
    /// The endpoint (`GEMINI_URL`, default Google's).
    pub url: String,
    /// The deadline of one reading, retries included (8 s, the field app's own limit).
    pub deadline: Duration,
    /// The largest photo accepted, in bytes (10 MiB); a larger one is a 413.
    pub max_image_bytes: usize,
    /// Photos are downscaled to this longest side before upload (1536 px; 0: never).
    pub max_side: u32,
}

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS, which is required (port 587).
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption (a relay on the same host or network; the sandbox).
    None,
}

impl SmtpSecurity {
    /// `starttls` / `tls` / `none`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::StartTls => "starttls",
            Self::Tls => "tls",
            Self::None => "none",
        }
    }

    fn default_port(self) -> u16 {
        match self {
            Self::StartTls => 587,
            Self::Tls => 465,
            Self::None => 25,
        }
    }
}

/// The SMTP relay the invite mails go through (Mailjet in production).
#[derive(Debug, Clone)]
pub struct SmtpSettings {
    /// Host name (checked against the certificate).
    pub host: String,
    /// Port (587 with STARTTLS, 465 with TLS, 25 without).
    pub port: u16,
    /// STARTTLS, TLS or none.
    pub security: SmtpSecurity,
    /// `AUTH` user and password (Mailjet: the API key and secret).
    pub credentials: Option<(String, SecretString)>,
    /// The sender, `Name <address>` or an address.
    pub from: String,
    /// How long one SMTP exchange may take (20 s).
    pub timeout: Duration,
    /// A certificate authority trusted besides the public ones (a relay with a private CA).
    pub extra_ca: Option<ExtraCa>,
}

/// A PEM certificate authority read from `SMTP_CA_FILE`.
#[derive(Debug, Clone)]
pub struct ExtraCa {
    /// Where it was read from.
    pub path: PathBuf,
    /// The PEM text.
    pub pem: Vec<u8>,
}

/// The key that seals temporary passwords while an invite is in progress (32 bytes).
#[derive(Clone)]
pub struct InviteKey(pub [u8; 32]);

impl fmt::Debug for InviteKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("InviteKey([redacted])")
    }
}

/// The language of an invite mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// French.
    Fr,
    /// English.
    En,
}

impl Language {
    /// `fr` / `en`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fr => "fr",
            Self::En => "en",
        }
    }

    /// Parses `fr` / `en` (and `fr-CA`, `en_US`, any case).
    pub fn parse(raw: &str) -> Option<Self> {
        let lower = raw.trim().to_ascii_lowercase();
        match lower.get(..2)? {
            "fr" if lower.len() == 2 || matches!(lower.as_bytes()[2], b'-' | b'_') => {
                Some(Self::Fr)
            }
            "en" if lower.len() == 2 || matches!(lower.as_bytes()[2], b'-' | b'_') => {
                Some(Self::En)
            }
            _ => None,
        }
    }
}

/// The staff invite flow (`POST /auth/users`).
#[derive(Debug, Clone)]
pub struct InviteSettings {
    /// The authentik groups every invited user joins (the seed's `OPS_GROUPS`; none by default).
    pub staff_groups: Vec<String>,
    /// The authentik path of invited users (`users`, authentik's default).
    pub user_path: String,
    /// The address the mail tells the user to sign in at.
    pub login_url: Option<String>,
    /// The mail's language when the request names none (French).
    pub language: Language,
    /// Seals temporary passwords at rest; without it a key is made at start, and an invite
    /// resumed after a restart gets a new password (the mail carries it).
    pub key: Option<InviteKey>,
    /// How long `POST /auth/users` waits for the steps before it answers `202` (8 s).
    pub wait: Duration,
}

impl Default for InviteSettings {
    fn default() -> Self {
        Self {
            staff_groups: Vec::new(),
            user_path: "users".to_owned(),
            login_url: None,
            language: Language::Fr,
            key: None,
            wait: Duration::from_secs(8),
        }
    }
}

/// Dispatch settings that do not depend on an upstream.
#[derive(Debug, Clone)]
pub struct DispatchSettings {
    /// The average road speed of ETAs without a routing engine (40 km/h).
    pub average_speed_kmh: f64,
}

impl Default for DispatchSettings {
    fn default() -> Self {
        Self {
            average_speed_kmh: 40.0,
        }
    }
}

/// How the hub authenticates to an OLT's SNMP agent.
#[derive(Clone)]
pub enum OltCredentials {
    /// SNMP v2c community.
    Community(SecretString),
    /// SNMP v3 user (authentication and privacy as configured).
    V3(olt_snmp::V3Credentials),
}

impl fmt::Debug for OltCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Community(_) => f.write_str("Community([redacted])"),
            Self::V3(c) => f.debug_tuple("V3").field(c).finish(),
        }
    }
}

/// One OLT the hub polls and asks for optics.
#[derive(Debug, Clone)]
pub struct OltConfig {
    /// Its name, as ERPNext's Service Locations write it (`OLT-MTL-01`).
    pub name: String,
    /// Its agent (`10.0.0.1:161`; the port defaults to 161).
    pub address: String,
    /// Community or v3 user.
    pub credentials: OltCredentials,
    /// Its profile (`huawei-ma5800`, `zte-c300`, ...), else detected from `sysObjectID`.
    pub vendor: Option<String>,
    /// Its own poll interval, else [`OltSettings::poll_interval`].
    pub poll_interval: Option<Duration>,
}

/// GPON OLTs: the `olt` source of `/devices/lookup`, the background poller and its alerts.
#[derive(Debug, Clone)]
pub struct OltSettings {
    /// The OLTs.
    pub olts: Vec<OltConfig>,
    /// How often each OLT is polled (300 s; zero turns the poller off).
    pub poll_interval: Duration,
    /// Per-request timeout (3 s).
    pub timeout: Duration,
    /// Receive level thresholds of the signal verdict (weak −27, critical −30, overload −8 dBm).
    pub thresholds: olt_snmp::SignalThresholds,
    /// How far above the weak threshold a weak ONU must come back to recover (1 dB).
    pub hysteresis_db: f64,
    /// ONUs of one port down in one poll that make an area outage (4).
    pub outage_min_onus: usize,
    /// Extra vendor profiles (a TOML file of `[[profile]]` tables).
    pub profiles_file: Option<PathBuf>,
}

impl Default for OltSettings {
    fn default() -> Self {
        Self {
            olts: Vec::new(),
            poll_interval: Duration::from_secs(300),
            timeout: Duration::from_secs(3),
            thresholds: olt_snmp::SignalThresholds::default(),
            hysteresis_db: 1.0,
            outage_min_onus: 4,
            profiles_file: None,
        }
    }
}

/// Frappe's outgoing webhooks and the catch-up poll (these work without API credentials for
/// the webhooks; the poll needs them).
#[derive(Debug, Clone)]
pub struct FrappeWebhookSettings {
    /// Webhook name → its secret ("Enable Security" on the Webhook document).
    pub secrets: BTreeMap<String, SecretString>,
    /// The catch-up poll interval (60 s; zero turns it off).
    pub poll_interval: Duration,
    /// The doctypes the poll watches.
    pub poll_doctypes: Vec<String>,
}

impl Default for FrappeWebhookSettings {
    fn default() -> Self {
        Self {
            secrets: BTreeMap::new(),
            poll_interval: Duration::from_secs(60),
            poll_doctypes: vec![
                "Issue".to_owned(),
                "Communication".to_owned(),
                "Dispatch Job".to_owned(),
            ],
        }
    }
}

/// Everything the hub reads at start.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Address to listen on (`0.0.0.0:3300`).
    pub listen: SocketAddr,
    /// The store.
    pub database: DatabaseUrl,
    /// Staff and service authentication.
    pub auth: AuthSettings,
    /// The SSE bus.
    pub sse: SseSettings,
    /// The inbox and outbox workers.
    pub workers: WorkerSettings,
    /// ERPNext, when configured.
    pub frappe: Option<FrappeSettings>,
    /// Frappe webhooks and the catch-up poll.
    pub frappe_webhooks: FrappeWebhookSettings,
    /// GenieACS, when configured.
    pub genieacs: Option<GenieacsSettings>,
    /// TP-Link routers, when configured.
    pub tplink: Option<TplinkSettings>,
    /// GPON OLTs (none by default).
    pub olt: OltSettings,
    /// Traccar, when configured.
    pub traccar: Option<TraccarSettings>,
    /// Dispatch (ETAs).
    pub dispatch: DispatchSettings,
    /// authentik's admin API, when configured.
    pub authentik: Option<AuthentikSettings>,
    /// The SMTP relay, when configured.
    pub smtp: Option<SmtpSettings>,
    /// The staff invite flow.
    pub invites: InviteSettings,
    /// Gemini, when configured.
    pub gemini: Option<GeminiSettings>,
    /// How long `/devices/lookup` waits for its sources (8 s, the field app's own limit).
    pub lookup_deadline: Duration,
    /// How long `POST /devices/{serial}/refresh` waits for the modem's session before it
    /// answers the cached snapshot (30 s).
    pub refresh_deadline: Duration,
    /// Log as JSON lines (default) or human-readable text (`HUB_LOG_FORMAT=text`).
    pub log_json: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([0, 0, 0, 0], 3300)),
            database: DatabaseUrl::SqliteMemory,
            auth: AuthSettings {
                proxy_secret_header: DEFAULT_PROXY_SECRET_HEADER.to_owned(),
                ..AuthSettings::default()
            },
            sse: SseSettings::default(),
            workers: WorkerSettings::default(),
            frappe: None,
            frappe_webhooks: FrappeWebhookSettings::default(),
            genieacs: None,
            tplink: None,
            olt: OltSettings::default(),
            traccar: None,
            dispatch: DispatchSettings::default(),
            authentik: None,
            smtp: None,
            invites: InviteSettings::default(),
            gemini: None,
            lookup_deadline: Duration::from_secs(8),
            refresh_deadline: Duration::from_secs(30),
            log_json: true,
        }
    }
}

/// The default header that carries the proxy secret.
pub const DEFAULT_PROXY_SECRET_HEADER: &str = "x-hub-proxy-secret";

/// The TOML file's shape: the environment variables' names, lower case, without `HUB_`, in
/// sections (see the README).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    database_url: Option<String>,
    data_dir: Option<String>,
    log_format: Option<String>,
    #[serde(default)]
    auth: FileAuth,
    #[serde(default)]
    sse: BTreeMap<String, toml::Value>,
    #[serde(default)]
    workers: BTreeMap<String, toml::Value>,
    #[serde(default)]
    frappe: BTreeMap<String, toml::Value>,
    #[serde(default)]
    genieacs: BTreeMap<String, toml::Value>,
    #[serde(default)]
    tplink: BTreeMap<String, toml::Value>,
    #[serde(default)]
    olt: BTreeMap<String, toml::Value>,
    #[serde(default)]
    olts: Vec<FileOlt>,
    #[serde(default)]
    traccar: BTreeMap<String, toml::Value>,
    #[serde(default)]
    dispatch: BTreeMap<String, toml::Value>,
    #[serde(default)]
    authentik: BTreeMap<String, toml::Value>,
    #[serde(default)]
    smtp: BTreeMap<String, toml::Value>,
    #[serde(default)]
    invites: BTreeMap<String, toml::Value>,
    #[serde(default)]
    gemini: BTreeMap<String, toml::Value>,
}

/// One `[[olts]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileOlt {
    name: String,
    address: String,
    community: Option<String>,
    v3: Option<FileV3>,
    vendor: Option<String>,
    poll_interval_secs: Option<f64>,
}

/// SNMP v3 credentials of an `[[olts]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileV3 {
    user: String,
    auth_protocol: Option<String>,
    auth_password: Option<String>,
    priv_protocol: Option<String>,
    priv_password: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileAuth {
    proxy_secret: Option<String>,
    proxy_secret_header: Option<String>,
    #[serde(default)]
    trusted_proxies: Vec<String>,
    #[serde(default)]
    groups: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    service_tokens: Vec<FileToken>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileToken {
    name: String,
    sha256: String,
    capabilities: Vec<String>,
}

/// Reads one setting: the environment first, then the file.
struct Source<'a> {
    env: &'a dyn Fn(&str) -> Option<String>,
    file: FileConfig,
    /// The `section.key`s asked for, so that a key nobody asked for (a typo) is an error.
    asked: std::cell::RefCell<std::collections::BTreeSet<String>>,
}

impl Source<'_> {
    fn env(&self, var: &str) -> Option<String> {
        (self.env)(var).filter(|v| !v.trim().is_empty())
    }

    /// Every key of the file's sections that no setting asked for: a typo, or a setting of an
    /// upstream whose address (`url`, `host`) the section lacks.
    fn check_unasked(&self) -> Result<(), ConfigError> {
        let asked = self.asked.borrow();
        let f = &self.file;
        for (section, table) in [
            ("sse", &f.sse),
            ("workers", &f.workers),
            ("frappe", &f.frappe),
            ("genieacs", &f.genieacs),
            ("tplink", &f.tplink),
            ("olt", &f.olt),
            ("traccar", &f.traccar),
            ("dispatch", &f.dispatch),
            ("authentik", &f.authentik),
            ("smtp", &f.smtp),
            ("invites", &f.invites),
            ("gemini", &f.gemini),
        ] {
            if let Some(key) = table
                .keys()
                .find(|k| !asked.contains(&format!("{section}.{k}")))
            {
                return Err(ConfigError::new(
                    "HUB_CONFIG_FILE",
                    format!(
                        "[{section}] {key} is not a setting, or is read only when the section has its address (url or host; api_key for gemini)"
                    ),
                ));
            }
        }
        Ok(())
    }

    fn section(&self, var: &str, section: &str, key: &str) -> Result<Option<String>, ConfigError> {
        self.asked.borrow_mut().insert(format!("{section}.{key}"));
        if let Some(v) = self.env(var) {
            return Ok(Some(v));
        }
        let table = match section {
            "sse" => &self.file.sse,
            "workers" => &self.file.workers,
            "genieacs" => &self.file.genieacs,
            "tplink" => &self.file.tplink,
            "olt" => &self.file.olt,
            "traccar" => &self.file.traccar,
            "dispatch" => &self.file.dispatch,
            "authentik" => &self.file.authentik,
            "smtp" => &self.file.smtp,
            "invites" => &self.file.invites,
            "gemini" => &self.file.gemini,
            _ => &self.file.frappe,
        };
        Ok(match table.get(key) {
            None => None,
            Some(toml::Value::String(s)) => Some(s.clone()),
            Some(toml::Value::Integer(i)) => Some(i.to_string()),
            Some(toml::Value::Float(f)) => Some(f.to_string()),
            Some(toml::Value::Boolean(b)) => Some(b.to_string()),
            Some(toml::Value::Array(items)) => Some(
                items
                    .iter()
                    .map(|v| match v {
                        toml::Value::String(s) => s.clone(),
                        toml::Value::Integer(i) => i.to_string(),
                        toml::Value::Float(f) => f.to_string(),
                        toml::Value::Boolean(b) => b.to_string(),
                        _ => String::new(),
                    })
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            Some(toml::Value::Table(t)) => Some(
                t.iter()
                    .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            Some(_) => {
                return Err(ConfigError::new(
                    var,
                    format!("[{section}] {key} has an unsupported type"),
                ));
            }
        })
    }
}

fn parse_secs(var: &str, raw: &str, allow_zero: bool) -> Result<Duration, ConfigError> {
    let secs: f64 = raw
        .trim()
        .parse()
        .map_err(|_| ConfigError::new(var, "expected a number of seconds"))?;
    if !secs.is_finite() || secs < 0.0 || (!allow_zero && secs == 0.0) || secs > 31_536_000.0 {
        return Err(ConfigError::new(
            var,
            "out of range (seconds, more than 0, at most a year)",
        ));
    }
    Ok(Duration::from_secs_f64(secs))
}

fn auth_protocol(var: &str, raw: &str) -> Result<olt_snmp::AuthProtocol, ConfigError> {
    raw.parse()
        .map_err(|e: olt_snmp::UnknownProtocol| ConfigError::new(var, e.to_string()))
}

fn priv_protocol(var: &str, raw: &str) -> Result<olt_snmp::PrivProtocol, ConfigError> {
    raw.parse()
        .map_err(|e: olt_snmp::UnknownProtocol| ConfigError::new(var, e.to_string()))
}

/// v3 credentials from their parts (`var` names the setting at fault).
fn v3_credentials(
    var: &str,
    user: String,
    auth: Option<(String, String)>,
    privacy: Option<(String, String)>,
) -> Result<olt_snmp::V3Credentials, ConfigError> {
    Ok(match (auth, privacy) {
        (None, None) => olt_snmp::V3Credentials::no_auth(user),
        (Some((p, pass)), None) => {
            olt_snmp::V3Credentials::auth(user, auth_protocol(var, &p)?, SecretString::from(pass))
        }
        (Some((ap, apass)), Some((pp, ppass))) => olt_snmp::V3Credentials::auth_priv(
            user,
            auth_protocol(var, &ap)?,
            SecretString::from(apass),
            priv_protocol(var, &pp)?,
            SecretString::from(ppass),
        ),
        (None, Some(_)) => {
            return Err(ConfigError::new(
                var,
                "SNMP v3 privacy needs authentication too",
            ));
        }
    })
}

/// `name=snmp://community@host[:port][?vendor=...&interval_secs=...]` or
/// `name=snmpv3://user:authpass@host[:port]?auth=sha256&priv=aes128&privpass=...`.
fn parse_olt_url(item: &str) -> Result<OltConfig, ConfigError> {
    const VAR: &str = "OLTS";
    let (name, rest) = item.split_once('=').ok_or_else(|| {
        ConfigError::new(VAR, "expected name=snmp://community@host, comma-separated")
    })?;
    let name = name.trim();
    if name.is_empty() || name.chars().any(|c| c.is_control() || c == '/') {
        return Err(ConfigError::new(
            VAR,
            "an OLT name is empty or has a / in it",
        ));
    }
    // The URL holds a secret: parse errors never echo it.
    let url = url::Url::parse(rest.trim())
        .map_err(|_| ConfigError::new(VAR, format!("{name}: not an snmp:// URL")))?;
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| ConfigError::new(VAR, format!("{name}: no host")))?;
    let address = format!("{host}:{}", url.port().unwrap_or(161));
    let decode = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    let query: BTreeMap<String, String> = url.query_pairs().into_owned().collect();
    for key in query.keys() {
        if !matches!(
            key.as_str(),
            "vendor" | "interval_secs" | "auth" | "priv" | "privpass"
        ) {
            return Err(ConfigError::new(
                VAR,
                format!("{name}: unknown parameter {key:?}"),
            ));
        }
    }
    let credentials = match url.scheme() {
        "snmp" => {
            if url.username().is_empty() {
                return Err(ConfigError::new(
                    VAR,
                    format!("{name}: the community goes before the host (snmp://community@host)"),
                ));
            }
            OltCredentials::Community(SecretString::from(decode(url.username())))
        }
        "snmpv3" => {
            let user = decode(url.username());
            if user.is_empty() {
                return Err(ConfigError::new(VAR, format!("{name}: no SNMP v3 user")));
            }
            let auth = url.password().map(|p| {
                (
                    query
                        .get("auth")
                        .cloned()
                        .unwrap_or_else(|| "sha1".to_owned()),
                    decode(p),
                )
            });
            let privacy = query.get("privpass").map(|p| {
                (
                    query
                        .get("priv")
                        .cloned()
                        .unwrap_or_else(|| "aes128".to_owned()),
                    p.clone(),
                )
            });
            OltCredentials::V3(v3_credentials(VAR, user, auth, privacy)?)
        }
        _ => {
            return Err(ConfigError::new(
                VAR,
                format!("{name}: the scheme is snmp or snmpv3"),
            ));
        }
    };
    Ok(OltConfig {
        name: name.to_owned(),
        address,
        credentials,
        vendor: query.get("vendor").cloned(),
        poll_interval: query
            .get("interval_secs")
            .map(|v| parse_secs(VAR, v, true))
            .transpose()?,
    })
}

fn olt_settings(src: &Source<'_>) -> Result<OltSettings, ConfigError> {
    let mut o = OltSettings::default();
    let sec = |var: &str, key: &str| src.section(var, "olt", key);
    let dbm = |var: &str, raw: &str| -> Result<f64, ConfigError> {
        raw.trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && (-60.0..=20.0).contains(v))
            .ok_or_else(|| ConfigError::new(var, "expected a level in dBm between -60 and 20"))
    };
    if let Some(v) = sec("OLT_POLL_INTERVAL_SECS", "poll_interval_secs")? {
        o.poll_interval = parse_secs("OLT_POLL_INTERVAL_SECS", &v, true)?;
    }
    if let Some(v) = sec("OLT_TIMEOUT_SECS", "timeout_secs")? {
        o.timeout = parse_secs("OLT_TIMEOUT_SECS", &v, false)?;
    }
    if let Some(v) = sec("OLT_RX_WEAK_DBM", "rx_weak_dbm")? {
        o.thresholds.weak_below_dbm = dbm("OLT_RX_WEAK_DBM", &v)?;
    }
    if let Some(v) = sec("OLT_RX_CRITICAL_DBM", "rx_critical_dbm")? {
        o.thresholds.critical_below_dbm = dbm("OLT_RX_CRITICAL_DBM", &v)?;
    }
    if let Some(v) = sec("OLT_RX_OVERLOAD_DBM", "rx_overload_dbm")? {
        o.thresholds.overload_above_dbm = dbm("OLT_RX_OVERLOAD_DBM", &v)?;
    }
    if o.thresholds.critical_below_dbm > o.thresholds.weak_below_dbm {
        return Err(ConfigError::new(
            "OLT_RX_CRITICAL_DBM",
            "the critical level must be at or below the weak level",
        ));
    }
    if let Some(v) = sec("OLT_RX_HYSTERESIS_DB", "rx_hysteresis_db")? {
        o.hysteresis_db = v
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|h| h.is_finite() && (0.0..=10.0).contains(h))
            .ok_or_else(|| ConfigError::new("OLT_RX_HYSTERESIS_DB", "expected 0 to 10 dB"))?;
    }
    if let Some(v) = sec("OLT_OUTAGE_MIN_ONUS", "outage_min_onus")? {
        o.outage_min_onus =
            usize::try_from(parse_count("OLT_OUTAGE_MIN_ONUS", &v, 2, 1024)?).unwrap_or(1024);
    }
    if let Some(v) = sec("OLT_PROFILES_FILE", "profiles_file")? {
        o.profiles_file = Some(PathBuf::from(v.trim()));
    }
    if let Some(list) = src.env("OLTS") {
        for item in list.split(',').filter(|i| !i.trim().is_empty()) {
            o.olts.push(parse_olt_url(item)?);
        }
    } else {
        for f in &src.file.olts {
            let var = "HUB_CONFIG_FILE";
            let credentials = match (&f.community, &f.v3) {
                (Some(c), None) => OltCredentials::Community(SecretString::from(c.clone())),
                (None, Some(v3)) => OltCredentials::V3(v3_credentials(
                    var,
                    v3.user.clone(),
                    match (&v3.auth_protocol, &v3.auth_password) {
                        (p, Some(pass)) => {
                            Some((p.clone().unwrap_or_else(|| "sha1".to_owned()), pass.clone()))
                        }
                        (_, None) => None,
                    },
                    match (&v3.priv_protocol, &v3.priv_password) {
                        (p, Some(pass)) => Some((
                            p.clone().unwrap_or_else(|| "aes128".to_owned()),
                            pass.clone(),
                        )),
                        (_, None) => None,
                    },
                )?),
                _ => {
                    return Err(ConfigError::new(
                        var,
                        format!("[[olts]] {}: give community or v3, one of them", f.name),
                    ));
                }
            };
            let address = if f.address.contains(':') {
                f.address.clone()
            } else {
                format!("{}:161", f.address)
            };
            o.olts.push(OltConfig {
                name: f.name.clone(),
                address,
                credentials,
                vendor: f.vendor.clone(),
                poll_interval: f
                    .poll_interval_secs
                    .map(|v| parse_secs(var, &v.to_string(), true))
                    .transpose()?,
            });
        }
    }
    let mut names = std::collections::BTreeSet::new();
    for olt in &o.olts {
        if !names.insert(olt.name.as_str()) {
            return Err(ConfigError::new(
                "OLTS",
                format!("the OLT name {} is given twice", olt.name),
            ));
        }
    }
    Ok(o)
}

fn http_url(var: &str, raw: &str) -> Result<String, ConfigError> {
    let parsed = url::Url::parse(raw.trim())
        .map_err(|e| ConfigError::new(var, format!("not a URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(ConfigError::new(var, "must be an http(s) URL"));
    }
    Ok(raw.trim().to_owned())
}

fn authentik_settings(src: &Source<'_>) -> Result<Option<AuthentikSettings>, ConfigError> {
    let ak = |var: &str, key: &str| src.section(var, "authentik", key);
    let Some(url) = ak("AUTHENTIK_URL", "url")? else {
        return Ok(None);
    };
    let url = http_url("AUTHENTIK_URL", &url)?;
    let token = ak("AUTHENTIK_TOKEN", "token")?.ok_or_else(|| {
        ConfigError::new(
            "AUTHENTIK_TOKEN",
            "AUTHENTIK_URL is set without an API token",
        )
    })?;
    let timeout = match ak("AUTHENTIK_TIMEOUT_SECS", "timeout_secs")? {
        Some(v) => parse_secs("AUTHENTIK_TIMEOUT_SECS", &v, false)?,
        None => Duration::from_secs(10),
    };
    Ok(Some(AuthentikSettings {
        url,
        token: SecretString::from(token.trim().to_owned()),
        timeout,
    }))
}

fn gemini_settings(src: &Source<'_>) -> Result<Option<GeminiSettings>, ConfigError> {
    let gm = |var: &str, key: &str| src.section(var, "gemini", key);
    let Some(api_key) = gm("GEMINI_API_KEY", "api_key")? else {
        return Ok(None);
    };
    let url = match gm("GEMINI_URL", "url")? {
        Some(u) => http_url("GEMINI_URL", &u)?,
        None => gemini_vision::DEFAULT_BASE_URL.to_owned(),
    };
    let model = gm("GEMINI_MODEL", "model")?
        .map(|m| m.trim().to_owned())
        .unwrap_or_else(|| gemini_vision::DEFAULT_MODEL.to_owned());
    let deadline = match gm("GEMINI_DEADLINE_SECS", "deadline_secs")? {
        Some(v) => parse_secs("GEMINI_DEADLINE_SECS", &v, false)?,
        None => gemini_vision::DEFAULT_DEADLINE,
    };
    let max_image_bytes = match gm("GEMINI_MAX_IMAGE_BYTES", "max_image_bytes")? {
        Some(v) => v
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| (1024..=100 * 1024 * 1024).contains(n))
            .ok_or_else(|| {
                ConfigError::new(
                    "GEMINI_MAX_IMAGE_BYTES",
                    "expected a number of bytes between 1024 and 104857600",
                )
            })?,
        None => 10 * 1024 * 1024,
    };
    let max_side = match gm("GEMINI_MAX_SIDE", "max_side")? {
        Some(v) => v
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|n| *n == 0 || (256..=8192).contains(n))
            .ok_or_else(|| {
                ConfigError::new(
                    "GEMINI_MAX_SIDE",
                    "expected 0 (never downscale) or a number of pixels between 256 and 8192",
                )
            })?,
        None => 1536,
    };
    Ok(Some(GeminiSettings {
        api_key: SecretString::from(api_key.trim().to_owned()),
        model,
        url,
        deadline,
        max_image_bytes,
        max_side,
    }))
}

fn smtp_settings(src: &Source<'_>) -> Result<Option<SmtpSettings>, ConfigError> {
    let sm = |var: &str, key: &str| src.section(var, "smtp", key);
    let Some(host) = sm("SMTP_HOST", "host")? else {
        return Ok(None);
    };
    let host = host.trim().to_owned();
    if host.contains(|c: char| c.is_whitespace() || c == '/' || c == '@') {
        return Err(ConfigError::new(
            "SMTP_HOST",
            "expected a host name or address",
        ));
    }
    let security = match sm("SMTP_SECURITY", "security")? {
        None => SmtpSecurity::StartTls,
        Some(v) => match v.trim().to_ascii_lowercase().as_str() {
            "starttls" => SmtpSecurity::StartTls,
            "tls" | "ssl" => SmtpSecurity::Tls,
            "none" => SmtpSecurity::None,
            _ => {
                return Err(ConfigError::new(
                    "SMTP_SECURITY",
                    "expected starttls, tls or none",
                ));
            }
        },
    };
    let port = match sm("SMTP_PORT", "port")? {
        None => security.default_port(),
        Some(v) => v
            .trim()
            .parse::<u16>()
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| ConfigError::new("SMTP_PORT", "expected a port number"))?,
    };
    let credentials = match (
        sm("SMTP_USERNAME", "username")?,
        sm("SMTP_PASSWORD", "password")?,
    ) {
        (Some(u), Some(p)) => Some((u.trim().to_owned(), SecretString::from(p))),
        (None, None) => None,
        (Some(_), None) => {
            return Err(ConfigError::new(
                "SMTP_PASSWORD",
                "SMTP_USERNAME is set without it",
            ));
        }
        (None, Some(_)) => {
            return Err(ConfigError::new(
                "SMTP_USERNAME",
                "SMTP_PASSWORD is set without it",
            ));
        }
    };
    let from = sm("SMTP_FROM", "from")?
        .ok_or_else(|| ConfigError::new("SMTP_FROM", "SMTP_HOST is set without a sender"))?;
    let from = from.trim().to_owned();
    if from.parse::<lettre::message::Mailbox>().is_err() {
        return Err(ConfigError::new(
            "SMTP_FROM",
            "expected an address or `Name <address>`",
        ));
    }
    let timeout = match sm("SMTP_TIMEOUT_SECS", "timeout_secs")? {
        Some(v) => parse_secs("SMTP_TIMEOUT_SECS", &v, false)?,
        None => Duration::from_secs(20),
    };
    let extra_ca = match sm("SMTP_CA_FILE", "ca_file")? {
        None => None,
        Some(_) if security == SmtpSecurity::None => {
            return Err(ConfigError::new(
                "SMTP_CA_FILE",
                "a CA is for TLS: set SMTP_SECURITY to starttls or tls",
            ));
        }
        Some(path) => {
            let path = PathBuf::from(path.trim());
            let pem = std::fs::read(&path).map_err(|e| {
                ConfigError::new("SMTP_CA_FILE", format!("{}: {e}", path.display()))
            })?;
            if !pem.windows(27).any(|w| w == b"-----BEGIN CERTIFICATE-----") {
                return Err(ConfigError::new(
                    "SMTP_CA_FILE",
                    format!("{} holds no PEM certificate", path.display()),
                ));
            }
            Some(ExtraCa { path, pem })
        }
    };
    Ok(Some(SmtpSettings {
        host,
        port,
        security,
        credentials,
        from,
        timeout,
        extra_ca,
    }))
}

fn invite_settings(src: &Source<'_>) -> Result<InviteSettings, ConfigError> {
    let inv = |var: &str, key: &str| src.section(var, "invites", key);
    let mut s = InviteSettings::default();
    if let Some(v) = inv("INVITE_STAFF_GROUPS", "staff_groups")? {
        s.staff_groups = v
            .split(',')
            .map(str::trim)
            .filter(|g| !g.is_empty())
            .map(str::to_owned)
            .collect();
    }
    if let Some(v) = inv("INVITE_USER_PATH", "user_path")? {
        let path = v.trim().trim_matches('/');
        if path.is_empty() || path.contains(char::is_whitespace) {
            return Err(ConfigError::new(
                "INVITE_USER_PATH",
                "expected an authentik path such as `users` or `staff/ops`",
            ));
        }
        s.user_path = path.to_owned();
    }
    if let Some(v) = inv("INVITE_LOGIN_URL", "login_url")? {
        s.login_url = Some(http_url("INVITE_LOGIN_URL", &v)?);
    }
    if let Some(v) = inv("INVITE_LANGUAGE", "language")? {
        s.language = Language::parse(&v)
            .ok_or_else(|| ConfigError::new("INVITE_LANGUAGE", "expected fr or en"))?;
    }
    if let Some(v) = inv("INVITE_SECRET_KEY", "secret_key")? {
        s.key = Some(parse_key(&v)?);
    }
    if let Some(v) = inv("INVITE_WAIT_SECS", "wait_secs")? {
        s.wait = parse_secs("INVITE_WAIT_SECS", &v, true)?;
    }
    Ok(s)
}

/// 32 bytes as 64 hex digits or standard base64.
fn parse_key(raw: &str) -> Result<InviteKey, ConfigError> {
    use base64::Engine as _;
    let raw = raw.trim();
    let bytes = if raw.len() == 64 && raw.bytes().all(|b| b.is_ascii_hexdigit()) {
        (0..32)
            .map(|i| u8::from_str_radix(&raw[2 * i..2 * i + 2], 16))
            .collect::<Result<Vec<u8>, _>>()
            .ok()
    } else {
        base64::engine::general_purpose::STANDARD.decode(raw).ok()
    };
    bytes
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .map(InviteKey)
        .ok_or_else(|| {
            ConfigError::new(
                "INVITE_SECRET_KEY",
                "expected 32 bytes as 64 hex digits or base64 (`openssl rand -hex 32`)",
            )
        })
}

fn parse_bool(var: &str, raw: &str) -> Result<bool, ConfigError> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(ConfigError::new(var, "expected true or false")),
    }
}

fn parse_count(var: &str, raw: &str, min: u64, max: u64) -> Result<u64, ConfigError> {
    let n: u64 = raw
        .trim()
        .parse()
        .map_err(|_| ConfigError::new(var, "expected a whole number"))?;
    if n < min || n > max {
        return Err(ConfigError::new(
            var,
            format!("must be between {min} and {max}"),
        ));
    }
    Ok(n)
}

fn parse_caps(var: &str, list: &[String]) -> Result<Vec<Capability>, ConfigError> {
    let mut out = Vec::new();
    for c in list {
        let c = c.trim();
        if c.is_empty() {
            continue;
        }
        if c == "*" {
            out.extend(Capability::ALL.iter().copied());
            continue;
        }
        out.push(Capability::parse(c).ok_or_else(|| {
            ConfigError::new(
                var,
                format!(
                    "unknown capability {c:?} (known: {})",
                    Capability::ALL
                        .iter()
                        .map(|c| c.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })?);
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// `Group A=dispatch,devices:read;Group B=*`.
fn parse_groups(var: &str, raw: &str) -> Result<BTreeMap<String, Vec<Capability>>, ConfigError> {
    let mut out = BTreeMap::new();
    for entry in raw.split(';').filter(|e| !e.trim().is_empty()) {
        let (group, caps) = entry
            .split_once('=')
            .ok_or_else(|| ConfigError::new(var, "expected Group=cap,cap;Group=cap"))?;
        let caps: Vec<String> = caps.split(',').map(str::to_owned).collect();
        out.insert(group.trim().to_owned(), parse_caps(var, &caps)?);
    }
    Ok(out)
}

/// `name:sha256hex:cap,cap;name2:...`.
fn parse_tokens(var: &str, raw: &str) -> Result<Vec<ServiceToken>, ConfigError> {
    raw.split(';')
        .filter(|e| !e.trim().is_empty())
        .map(|entry| {
            let mut parts = entry.trim().splitn(3, ':');
            let (Some(name), Some(hash), Some(caps)) = (parts.next(), parts.next(), parts.next())
            else {
                return Err(ConfigError::new(
                    var,
                    "expected name:sha256-hex:cap,cap (entries separated by ;)",
                ));
            };
            let caps: Vec<String> = caps.split(',').map(str::to_owned).collect();
            ServiceToken::from_hex(name.trim(), hash.trim(), parse_caps(var, &caps)?)
                .map_err(|m| ConfigError::new(var, m))
        })
        .collect()
}

/// `name=secret,name2=secret2`: a name (letters, digits, `_`, `-`, `.`) for each Webhook
/// document, then its secret (everything after the first `=`, so a base64 secret's own `=`
/// padding stays in it; at least 16 characters). Errors say which entry, never its text.
fn parse_secrets(var: &str, raw: &str) -> Result<BTreeMap<String, SecretString>, ConfigError> {
    let mut out = BTreeMap::new();
    for (i, entry) in raw.split(',').filter(|e| !e.trim().is_empty()).enumerate() {
        let n = i + 1;
        let Some((name, secret)) = entry.trim().split_once('=') else {
            return Err(ConfigError::new(
                var,
                format!("entry {n} is not name=secret (name the Webhook document it belongs to)"),
            ));
        };
        let name_ok = !name.is_empty()
            && name.len() <= 64
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        if !name_ok {
            return Err(ConfigError::new(
                var,
                format!("entry {n}: the name before '=' must be letters, digits, '_', '-' or '.'"),
            ));
        }
        if secret.trim().chars().count() < 16 {
            return Err(ConfigError::new(
                var,
                format!("entry {n} ({name}): the secret must be at least 16 characters"),
            ));
        }
        out.insert(
            name.to_owned(),
            SecretString::from(secret.trim().to_owned()),
        );
    }
    Ok(out)
}

impl Settings {
    /// Reads the process environment (and the TOML file it or `file` names).
    pub fn from_env(file: Option<&Path>) -> Result<Self, ConfigError> {
        Self::load(&|k| std::env::var(k).ok(), file)
    }

    /// Reads settings from `env` (a lookup of variables) over an optional TOML file.
    pub fn load(
        env: &dyn Fn(&str) -> Option<String>,
        file: Option<&Path>,
    ) -> Result<Self, ConfigError> {
        let file_path = file.map(Path::to_path_buf).or_else(|| {
            env("HUB_CONFIG_FILE")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        });
        let file = match &file_path {
            None => FileConfig::default(),
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|e| {
                    ConfigError::new(
                        "HUB_CONFIG_FILE",
                        format!("cannot read {}: {e}", p.display()),
                    )
                })?;
                toml::from_str(&text).map_err(|e| {
                    ConfigError::new(
                        "HUB_CONFIG_FILE",
                        format!("{}: {}", p.display(), e.message()),
                    )
                })?
            }
        };
        let src = Source {
            env,
            file,
            asked: std::cell::RefCell::default(),
        };
        let mut s = Settings::default();

        if let Some(raw) = src.env("HUB_LISTEN").or_else(|| src.file.listen.clone()) {
            s.listen = raw.trim().parse().map_err(|_| {
                ConfigError::new("HUB_LISTEN", "expected host:port, e.g. 0.0.0.0:3300")
            })?;
        }
        s.database = match src
            .env("HUB_DATABASE_URL")
            .or_else(|| src.file.database_url.clone())
        {
            Some(url) => DatabaseUrl::parse(&url)?,
            None => {
                let dir = src
                    .env("HUB_DATA_DIR")
                    .or_else(|| src.file.data_dir.clone())
                    .unwrap_or_else(|| "data".to_owned());
                DatabaseUrl::SqliteFile(PathBuf::from(dir).join("hub.db"))
            }
        };
        if let Some(f) = src
            .env("HUB_LOG_FORMAT")
            .or_else(|| src.file.log_format.clone())
        {
            s.log_json = match f.trim() {
                "json" => true,
                "text" => false,
                _ => return Err(ConfigError::new("HUB_LOG_FORMAT", "expected json or text")),
            };
        }

        // Auth.
        let fa = &src.file.auth;
        s.auth.proxy_secret = src
            .env("HUB_PROXY_SECRET")
            .or_else(|| fa.proxy_secret.clone())
            .map(SecretString::from);
        if let Some(secret) = &s.auth.proxy_secret
            && secret.expose_secret().len() < 16
        {
            return Err(ConfigError::new(
                "HUB_PROXY_SECRET",
                "must be at least 16 characters (a random string Traefik adds)",
            ));
        }
        if let Some(h) = src
            .env("HUB_PROXY_SECRET_HEADER")
            .or_else(|| fa.proxy_secret_header.clone())
        {
            let h = h.trim().to_ascii_lowercase();
            if http::HeaderName::from_bytes(h.as_bytes()).is_err() || h.starts_with("x-authentik-")
            {
                return Err(ConfigError::new(
                    "HUB_PROXY_SECRET_HEADER",
                    "must be a header name that is not an X-Authentik-* header",
                ));
            }
            s.auth.proxy_secret_header = h;
        }
        let proxies: Vec<String> = match src.env("HUB_TRUSTED_PROXIES") {
            Some(raw) => raw.split(',').map(str::to_owned).collect(),
            None => fa.trusted_proxies.clone(),
        };
        for p in proxies.iter().map(|p| p.trim()).filter(|p| !p.is_empty()) {
            let net: IpNet = p
                .parse()
                .or_else(|_| p.parse::<std::net::IpAddr>().map(IpNet::from))
                .map_err(|_| {
                    ConfigError::new(
                        "HUB_TRUSTED_PROXIES",
                        format!("{p:?} is not an IP address or CIDR network"),
                    )
                })?;
            s.auth.trusted_proxies.push(net);
        }
        s.auth.groups = match src.env("HUB_GROUP_CAPABILITIES") {
            Some(raw) => parse_groups("HUB_GROUP_CAPABILITIES", &raw)?,
            None => {
                let mut out = BTreeMap::new();
                for (g, caps) in &fa.groups {
                    out.insert(g.clone(), parse_caps("[auth.groups]", caps)?);
                }
                out
            }
        };
        s.auth.service_tokens = match src.env("HUB_SERVICE_TOKENS") {
            Some(raw) => parse_tokens("HUB_SERVICE_TOKENS", &raw)?,
            None => fa
                .service_tokens
                .iter()
                .map(|t| {
                    let caps = parse_caps("[[auth.service_tokens]]", &t.capabilities)?;
                    ServiceToken::from_hex(&t.name, &t.sha256, caps)
                        .map_err(|m| ConfigError::new("[[auth.service_tokens]]", m))
                })
                .collect::<Result<_, _>>()?,
        };

        // SSE.
        if let Some(v) = src.section("HUB_SSE_HEARTBEAT_SECS", "sse", "heartbeat_secs")? {
            s.sse.heartbeat = parse_secs("HUB_SSE_HEARTBEAT_SECS", &v, false)?;
        }
        if let Some(v) = src.section("HUB_SSE_QUEUE", "sse", "queue")? {
            s.sse.queue = parse_count("HUB_SSE_QUEUE", &v, 1, 65_536)? as usize;
        }
        if let Some(v) = src.section("HUB_SSE_RETENTION_SECS", "sse", "retention_secs")? {
            s.sse.retention_age = parse_secs("HUB_SSE_RETENTION_SECS", &v, false)?;
        }
        if let Some(v) = src.section("HUB_SSE_RETENTION_COUNT", "sse", "retention_count")? {
            s.sse.retention_count =
                parse_count("HUB_SSE_RETENTION_COUNT", &v, 1, 100_000_000)? as i64;
        }
        if let Some(v) = src.section("HUB_SSE_MAX_LIFETIME_SECS", "sse", "max_lifetime_secs")? {
            s.sse.max_lifetime = parse_secs("HUB_SSE_MAX_LIFETIME_SECS", &v, false)?;
        }

        // Workers.
        if let Some(v) = src.section("HUB_WORKERS", "workers", "workers")? {
            s.workers.workers = parse_count("HUB_WORKERS", &v, 0, 64)? as usize;
        }
        if let Some(v) = src.section("HUB_MAX_ATTEMPTS", "workers", "max_attempts")? {
            s.workers.max_attempts = parse_count("HUB_MAX_ATTEMPTS", &v, 1, 1000)? as i64;
        }
        if let Some(v) = src.section("HUB_RETRY_BACKOFF_SECS", "workers", "backoff_secs")? {
            s.workers.backoff = parse_secs("HUB_RETRY_BACKOFF_SECS", &v, false)?;
        }
        if let Some(v) = src.section("HUB_WEBHOOK_BODY_LIMIT", "workers", "webhook_body_limit")? {
            s.workers.webhook_body_limit =
                parse_count("HUB_WEBHOOK_BODY_LIMIT", &v, 1024, 16 * 1024 * 1024)? as usize;
        }

        // ERPNext.
        let url = src.section("FRAPPE_URL", "frappe", "url")?;
        let key = src.section("FRAPPE_API_KEY", "frappe", "api_key")?;
        let secret = src.section("FRAPPE_API_SECRET", "frappe", "api_secret")?;
        s.frappe = match (url, key, secret) {
            (None, None, None) => None,
            (Some(url), Some(api_key), Some(secret)) => {
                let parsed = url::Url::parse(url.trim())
                    .map_err(|e| ConfigError::new("FRAPPE_URL", format!("not a URL: {e}")))?;
                if !matches!(parsed.scheme(), "http" | "https") {
                    return Err(ConfigError::new("FRAPPE_URL", "must be an http(s) URL"));
                }
                let timeout = match src.section("FRAPPE_TIMEOUT_SECS", "frappe", "timeout_secs")? {
                    Some(v) => parse_secs("FRAPPE_TIMEOUT_SECS", &v, false)?,
                    None => Duration::from_secs(30),
                };
                Some(FrappeSettings {
                    url: url.trim().to_owned(),
                    api_key: api_key.trim().to_owned(),
                    api_secret: SecretString::from(secret),
                    timeout,
                })
            }
            (url, key, _) => {
                let missing = if url.is_none() {
                    "FRAPPE_URL"
                } else if key.is_none() {
                    "FRAPPE_API_KEY"
                } else {
                    "FRAPPE_API_SECRET"
                };
                return Err(ConfigError::new(
                    missing,
                    "ERPNext is half configured: set FRAPPE_URL, FRAPPE_API_KEY and FRAPPE_API_SECRET together",
                ));
            }
        };
        if let Some(v) = src.section("FRAPPE_WEBHOOK_SECRETS", "frappe", "webhook_secrets")? {
            s.frappe_webhooks.secrets = parse_secrets("FRAPPE_WEBHOOK_SECRETS", &v)?;
        }
        if let Some(v) = src.section("FRAPPE_POLL_SECS", "frappe", "poll_secs")? {
            s.frappe_webhooks.poll_interval = parse_secs("FRAPPE_POLL_SECS", &v, true)?;
        }
        if let Some(v) = src.section("FRAPPE_POLL_DOCTYPES", "frappe", "poll_doctypes")? {
            s.frappe_webhooks.poll_doctypes = v
                .split(',')
                .map(|d| d.trim().to_owned())
                .filter(|d| !d.is_empty())
                .collect();
        }
        // GenieACS.
        let genie = |var: &str, key: &str| src.section(var, "genieacs", key);
        if let Some(url) = genie("GENIEACS_URL", "url")? {
            let parsed = url::Url::parse(url.trim())
                .map_err(|e| ConfigError::new("GENIEACS_URL", format!("not a URL: {e}")))?;
            if !matches!(parsed.scheme(), "http" | "https") {
                return Err(ConfigError::new("GENIEACS_URL", "must be an http(s) URL"));
            }
            let auth = match (
                genie("GENIEACS_TOKEN", "token")?,
                genie("GENIEACS_USER", "user")?,
                genie("GENIEACS_PASSWORD", "password")?,
            ) {
                (Some(t), None, None) => GenieacsAuth::Bearer(SecretString::from(t)),
                (None, Some(u), Some(p)) => GenieacsAuth::Basic(u, SecretString::from(p)),
                (None, None, None) => GenieacsAuth::None,
                (Some(_), _, _) => {
                    return Err(ConfigError::new(
                        "GENIEACS_TOKEN",
                        "set either GENIEACS_TOKEN or GENIEACS_USER and GENIEACS_PASSWORD, not both",
                    ));
                }
                (None, Some(_), None) => {
                    return Err(ConfigError::new(
                        "GENIEACS_PASSWORD",
                        "GENIEACS_USER is set without it",
                    ));
                }
                (None, None, Some(_)) => {
                    return Err(ConfigError::new(
                        "GENIEACS_USER",
                        "GENIEACS_PASSWORD is set without it",
                    ));
                }
            };
            let timeout = match genie("GENIEACS_TIMEOUT_SECS", "timeout_secs")? {
                Some(v) => parse_secs("GENIEACS_TIMEOUT_SECS", &v, false)?,
                None => Duration::from_secs(10),
            };
            s.genieacs = Some(GenieacsSettings {
                url: url.trim().to_owned(),
                auth,
                timeout,
            });
        }
        // TP-Link routers.
        let tp = |var: &str, key: &str| src.section(var, "tplink", key);
        let direct = match tp("TPLINK_DIRECT", "direct")? {
            None => false,
            Some(v) => parse_bool("TPLINK_DIRECT", &v)?,
        };
        let mode = match (tp("TPLINK_BRIDGE_URL", "bridge_url")?, direct) {
            (Some(_), true) => {
                return Err(ConfigError::new(
                    "TPLINK_DIRECT",
                    "set either TPLINK_BRIDGE_URL (the bridge service) or TPLINK_DIRECT=true (in-process), not both",
                ));
            }
            (Some(url), false) => {
                let parsed = url::Url::parse(url.trim()).map_err(|e| {
                    ConfigError::new("TPLINK_BRIDGE_URL", format!("not a URL: {e}"))
                })?;
                if !matches!(parsed.scheme(), "http" | "https") {
                    return Err(ConfigError::new(
                        "TPLINK_BRIDGE_URL",
                        "must be an http(s) URL",
                    ));
                }
                Some(TplinkMode::Bridge {
                    url: url.trim().trim_end_matches('/').to_owned(),
                    token: tp("TPLINK_BRIDGE_TOKEN", "bridge_token")?.map(SecretString::from),
                })
            }
            (None, true) => Some(TplinkMode::Direct),
            (None, false) => {
                if tp("TPLINK_BRIDGE_TOKEN", "bridge_token")?.is_some() {
                    return Err(ConfigError::new(
                        "TPLINK_BRIDGE_URL",
                        "TPLINK_BRIDGE_TOKEN is set without it",
                    ));
                }
                None
            }
        };
        if let Some(mode) = mode {
            let router_port = match tp("TPLINK_ROUTER_PORT", "router_port")? {
                Some(v) => u16::try_from(parse_count("TPLINK_ROUTER_PORT", &v, 1, 65_535)?)
                    .map_err(|_| ConfigError::new("TPLINK_ROUTER_PORT", "not a port"))?,
                None => 80,
            };
            let timeout = match tp("TPLINK_TIMEOUT_SECS", "timeout_secs")? {
                Some(v) => parse_secs("TPLINK_TIMEOUT_SECS", &v, false)?,
                None => Duration::from_secs(6),
            };
            s.tplink = Some(TplinkSettings {
                mode,
                router_port,
                timeout,
            });
        }
        // OLTs.
        s.olt = olt_settings(&src)?;
        // Traccar and dispatch.
        let tc = |var: &str, key: &str| src.section(var, "traccar", key);
        if let Some(url) = tc("TRACCAR_URL", "url")? {
            let parsed = url::Url::parse(url.trim())
                .map_err(|e| ConfigError::new("TRACCAR_URL", format!("not a URL: {e}")))?;
            if !matches!(parsed.scheme(), "http" | "https") {
                return Err(ConfigError::new("TRACCAR_URL", "must be an http(s) URL"));
            }
            let auth = match (
                tc("TRACCAR_TOKEN", "token")?,
                tc("TRACCAR_USER", "user")?,
                tc("TRACCAR_PASSWORD", "password")?,
            ) {
                (Some(t), None, None) => TraccarAuth::Bearer(SecretString::from(t)),
                (None, Some(u), Some(p)) => TraccarAuth::Session(u, SecretString::from(p)),
                (Some(_), _, _) => {
                    return Err(ConfigError::new(
                        "TRACCAR_TOKEN",
                        "set either TRACCAR_TOKEN or TRACCAR_USER and TRACCAR_PASSWORD, not both",
                    ));
                }
                (None, None, _) => {
                    return Err(ConfigError::new(
                        "TRACCAR_TOKEN",
                        "Traccar needs TRACCAR_TOKEN (6.2+) or TRACCAR_USER and TRACCAR_PASSWORD",
                    ));
                }
                (None, Some(_), None) => {
                    return Err(ConfigError::new(
                        "TRACCAR_PASSWORD",
                        "TRACCAR_USER is set without it",
                    ));
                }
            };
            let timeout = match tc("TRACCAR_TIMEOUT_SECS", "timeout_secs")? {
                Some(v) => parse_secs("TRACCAR_TIMEOUT_SECS", &v, false)?,
                None => Duration::from_secs(10),
            };
            let live = match tc("TRACCAR_LIVE", "live")? {
                Some(v) => parse_bool("TRACCAR_LIVE", &v)?,
                None => true,
            };
            let position_throttle =
                match tc("TRACCAR_POSITION_THROTTLE_SECS", "position_throttle_secs")? {
                    Some(v) => parse_secs("TRACCAR_POSITION_THROTTLE_SECS", &v, true)?,
                    None => Duration::from_secs(10),
                };
            s.traccar = Some(TraccarSettings {
                url: url.trim().to_owned(),
                auth,
                timeout,
                live,
                position_throttle,
            });
        }
        if let Some(v) = src.section(
            "DISPATCH_AVERAGE_SPEED_KMH",
            "dispatch",
            "average_speed_kmh",
        )? {
            s.dispatch.average_speed_kmh = v
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|k| k.is_finite() && *k > 0.0 && *k <= 200.0)
                .ok_or_else(|| {
                    ConfigError::new(
                        "DISPATCH_AVERAGE_SPEED_KMH",
                        "expected km/h, more than 0, at most 200",
                    )
                })?;
        }
        s.authentik = authentik_settings(&src)?;
        s.smtp = smtp_settings(&src)?;
        s.invites = invite_settings(&src)?;
        s.gemini = gemini_settings(&src)?;
        if let Some(v) = src.env("HUB_LOOKUP_DEADLINE_SECS") {
            s.lookup_deadline = parse_secs("HUB_LOOKUP_DEADLINE_SECS", &v, false)?;
        }
        if let Some(v) = src.env("HUB_REFRESH_DEADLINE_SECS") {
            s.refresh_deadline = parse_secs("HUB_REFRESH_DEADLINE_SECS", &v, false)?;
        }
        src.check_unasked()?;
        Ok(s)
    }

    /// The effective settings as JSON with every secret redacted (`hub config check`).
    pub fn redacted(&self) -> Value {
        let set = |s: &Option<SecretString>| s.as_ref().map(|_| "[redacted]");
        json!({
            "listen": self.listen.to_string(),
            "database": {"backend": self.database.backend(), "url": self.database.redacted()},
            "auth": {
                "proxy_secret": set(&self.auth.proxy_secret),
                "proxy_secret_header": self.auth.proxy_secret_header,
                "trusted_proxies": self.auth.trusted_proxies.iter().map(ToString::to_string).collect::<Vec<_>>(),
                "groups": self.auth.groups.iter().map(|(g, caps)| (g.clone(), json!(caps.iter().map(|c| c.as_str()).collect::<Vec<_>>()))).collect::<serde_json::Map<_, _>>(),
                "service_tokens": self.auth.service_tokens.iter().map(|t| json!({"name": t.name, "capabilities": t.capabilities.iter().map(|c| c.as_str()).collect::<Vec<_>>(), "sha256": "[redacted]"})).collect::<Vec<_>>(),
            },
            "sse": {
                "heartbeat_secs": self.sse.heartbeat.as_secs_f64(),
                "queue": self.sse.queue,
                "retention_secs": self.sse.retention_age.as_secs_f64(),
                "retention_count": self.sse.retention_count,
                "max_lifetime_secs": self.sse.max_lifetime.as_secs_f64(),
            },
            "workers": {
                "workers": self.workers.workers,
                "max_attempts": self.workers.max_attempts,
                "backoff_secs": self.workers.backoff.as_secs_f64(),
                "webhook_body_limit": self.workers.webhook_body_limit,
            },
            "frappe": match &self.frappe {
                None => json!("not configured: set FRAPPE_URL, FRAPPE_API_KEY and FRAPPE_API_SECRET"),
                Some(f) => json!({"url": f.url, "api_key": f.api_key, "api_secret": "[redacted]", "timeout_secs": f.timeout.as_secs_f64()}),
            },
            "frappe_webhooks": {
                "secrets": self.frappe_webhooks.secrets.keys().map(|k| (k.clone(), json!("[redacted]"))).collect::<serde_json::Map<_, _>>(),
                "poll_secs": self.frappe_webhooks.poll_interval.as_secs_f64(),
                "poll_doctypes": self.frappe_webhooks.poll_doctypes,
            },
            "genieacs": match &self.genieacs {
                None => json!("not configured: set GENIEACS_URL"),
                Some(g) => json!({"url": g.url, "auth": match &g.auth {
                    GenieacsAuth::None => json!("none"),
                    GenieacsAuth::Basic(user, _) => json!({"basic": {"user": user, "password": "[redacted]"}}),
                    GenieacsAuth::Bearer(_) => json!({"bearer": "[redacted]"}),
                }, "timeout_secs": g.timeout.as_secs_f64()}),
            },
            "tplink": match &self.tplink {
                None => json!("not configured: set TPLINK_BRIDGE_URL or TPLINK_DIRECT=true"),
                Some(t) => json!({
                    "mode": match &t.mode {
                        TplinkMode::Bridge { url, token } => json!({"bridge": {"url": url, "token": set(token)}}),
                        TplinkMode::Direct => json!("direct"),
                    },
                    "router_port": t.router_port,
                    "timeout_secs": t.timeout.as_secs_f64(),
                }),
            },
            "olt": {
                "olts": self.olt.olts.iter().map(|o| json!({
                    "name": o.name,
                    "address": o.address,
                    "credentials": match &o.credentials {
                        OltCredentials::Community(_) => json!({"community": "[redacted]"}),
                        OltCredentials::V3(c) => json!({"v3": {"user": c.user(), "keys": "[redacted]"}}),
                    },
                    "vendor": o.vendor,
                    "poll_interval_secs": o.poll_interval.map(|d| d.as_secs_f64()),
                })).collect::<Vec<_>>(),
                "poll_interval_secs": self.olt.poll_interval.as_secs_f64(),
                "timeout_secs": self.olt.timeout.as_secs_f64(),
                "rx_weak_dbm": self.olt.thresholds.weak_below_dbm,
                "rx_critical_dbm": self.olt.thresholds.critical_below_dbm,
                "rx_overload_dbm": self.olt.thresholds.overload_above_dbm,
                "hysteresis_db": self.olt.hysteresis_db,
                "outage_min_onus": self.olt.outage_min_onus,
                "profiles_file": self.olt.profiles_file.as_ref().map(|p| p.display().to_string()),
            },
            "traccar": match &self.traccar {
                None => json!("not configured: set TRACCAR_URL and TRACCAR_TOKEN"),
                Some(t) => json!({
                    "url": t.url,
                    "auth": match &t.auth {
                        TraccarAuth::Bearer(_) => json!({"bearer": "[redacted]"}),
                        TraccarAuth::Session(user, _) => json!({"session": {"user": user, "password": "[redacted]"}}),
                    },
                    "timeout_secs": t.timeout.as_secs_f64(),
                    "live": t.live,
                    "position_throttle_secs": t.position_throttle.as_secs_f64(),
                }),
            },
            "dispatch": {"average_speed_kmh": self.dispatch.average_speed_kmh},
            "authentik": match &self.authentik {
                None => json!("not configured: set AUTHENTIK_URL and AUTHENTIK_TOKEN"),
                Some(a) => json!({
                    "url": a.url,
                    "token": "[redacted]",
                    "timeout_secs": a.timeout.as_secs_f64(),
                }),
            },
            "smtp": match &self.smtp {
                None => json!("not configured: set SMTP_HOST and SMTP_FROM"),
                Some(m) => json!({
                    "host": m.host,
                    "port": m.port,
                    "security": m.security.as_str(),
                    "credentials": m.credentials.as_ref().map(|(user, _)| json!({"username": user, "password": "[redacted]"})),
                    "from": m.from,
                    "timeout_secs": m.timeout.as_secs_f64(),
                    "ca_file": m.extra_ca.as_ref().map(|c| c.path.display().to_string()),
                }),
            },
            "invites": {
                "staff_groups": self.invites.staff_groups,
                "user_path": self.invites.user_path,
                "login_url": self.invites.login_url,
                "language": self.invites.language.as_str(),
                "secret_key": if self.invites.key.is_some() { "[redacted]" } else { "none: a key is made at start" },
                "wait_secs": self.invites.wait.as_secs_f64(),
            },
            "gemini": match &self.gemini {
                None => json!("not configured: set GEMINI_API_KEY"),
                Some(g) => json!({
                    "url": g.url,
                    "api_key": "[redacted]",
                    "model": g.model,
                    "deadline_secs": g.deadline.as_secs_f64(),
                    "max_image_bytes": g.max_image_bytes,
                    "max_side": g.max_side,
                }),
            },
            "lookup_deadline_secs": self.lookup_deadline.as_secs_f64(),
            "refresh_deadline_secs": self.refresh_deadline.as_secs_f64(),
            "log_format": if self.log_json { "json" } else { "text" },
        })
    }
}

impl fmt::Display for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = serde_json::to_string_pretty(&self.redacted()).map_err(|_| fmt::Error)?;
        f.write_str(&text)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn load(vars: &[(&str, &str)], file: Option<&Path>) -> Result<Settings, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Settings::load(&|k| map.get(k).cloned(), file)
    }

    #[test]
    fn defaults_need_no_variable_and_leave_upstreams_unconfigured() {
        let s = load(&[], None).unwrap();
        assert_eq!(s.listen.port(), 3300);
        assert!(s.frappe.is_none());
        assert!(matches!(s.database, DatabaseUrl::SqliteFile(ref p) if p.ends_with("data/hub.db")));
        assert_eq!(s.sse.heartbeat, Duration::from_secs(15));
    }

    #[test]
    fn each_bad_value_names_its_variable() {
        for (var, value) in [
            ("HUB_LISTEN", "port 80"),
            ("HUB_DATABASE_URL", "mysql://x"),
            ("HUB_PROXY_SECRET", "short"),
            ("HUB_TRUSTED_PROXIES", "10.0.0.0/33"),
            ("HUB_GROUP_CAPABILITIES", "Dispatch=dispatch,teleport"),
            ("HUB_SERVICE_TOKENS", "n8n:abc:dispatch"),
            ("HUB_SSE_QUEUE", "0"),
            ("HUB_SSE_HEARTBEAT_SECS", "-1"),
            ("HUB_WORKERS", "many"),
            ("FRAPPE_POLL_SECS", "soon"),
            ("HUB_LOG_FORMAT", "xml"),
            // A bare base64 secret would otherwise become name "q1w2aa" with secret "=".
            ("FRAPPE_WEBHOOK_SECRETS", "q1w2aa=="),
            ("FRAPPE_WEBHOOK_SECRETS", "hooks=short"),
            ("FRAPPE_WEBHOOK_SECRETS", "a secret with spaces"),
            ("OLTS", "OLT-1=ftp://secret-community@10.0.0.1"),
            ("OLTS", "snmp://secret-community@10.0.0.1"),
            ("OLTS", "OLT-1=snmp://10.0.0.1"),
            ("OLTS", "OLT-1=snmp://secret-community@10.0.0.1?colour=blue"),
            ("OLTS", "OLT-1=snmp://a@h1,OLT-1=snmp://b@h2"),
            ("OLTS", "OLT-1=snmpv3://u:secret-community@h?auth=rot13"),
            ("OLT_RX_WEAK_DBM", "loud"),
            ("OLT_OUTAGE_MIN_ONUS", "1"),
            ("TRACCAR_URL", "traccar:8082"),
            ("DISPATCH_AVERAGE_SPEED_KMH", "0"),
            ("AUTHENTIK_URL", "auth.example.com"),
            ("SMTP_HOST", "mail host"),
            ("INVITE_LANGUAGE", "de"),
            ("INVITE_SECRET_KEY", "too-short-secret"),
        ] {
            let err = load(&[(var, value)], None).unwrap_err();
            assert_eq!(err.var, var, "{err}");
            if matches!(
                var,
                "HUB_PROXY_SECRET"
                    | "HUB_SERVICE_TOKENS"
                    | "FRAPPE_WEBHOOK_SECRETS"
                    | "OLTS"
                    | "INVITE_SECRET_KEY"
            ) {
                assert!(
                    !err.to_string().contains(value),
                    "a secret is never echoed: {err}"
                );
            }
        }
        let err = load(&[("FRAPPE_URL", "https://erp.example.com")], None).unwrap_err();
        assert_eq!(err.var, "FRAPPE_API_KEY");
    }

    #[test]
    fn a_toml_file_is_read_and_the_environment_overrides_it() {
        let dir = std::env::temp_dir().join(format!("hub-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("hub.toml");
        let hash = ServiceToken::hash_hex("tok");
        std::fs::write(
            &path,
            format!(
                r#"
listen = "127.0.0.1:4000"
database_url = "sqlite::memory:"

[auth]
proxy_secret = "0123456789abcdef0123"
trusted_proxies = ["172.18.0.0/16"]
groups = {{ "Gigafibre Dispatch" = ["dispatch", "tickets:read"], "Hub Admins" = ["*"] }}
service_tokens = [{{ name = "n8n", sha256 = "{hash}", capabilities = ["dispatch"] }}]

[sse]
heartbeat_secs = 5
queue = 64

[frappe]
url = "https://erp.example.com"
api_key = "k"
api_secret = "s"
webhook_secrets = {{ issues = "w1-0123456789abcdef" }}
poll_doctypes = ["Issue"]
"#
            ),
        )
        .unwrap();
        let s = load(&[("HUB_SSE_QUEUE", "32")], Some(&path)).unwrap();
        assert_eq!(s.listen.port(), 4000);
        assert_eq!(s.sse.heartbeat, Duration::from_secs(5));
        assert_eq!(s.sse.queue, 32, "the variable wins over the file");
        assert_eq!(s.auth.trusted_proxies.len(), 1);
        assert_eq!(s.auth.groups["Hub Admins"].len(), Capability::ALL.len());
        assert_eq!(s.auth.service_tokens[0].name, "n8n");
        assert!(s.frappe.is_some());
        assert!(s.frappe_webhooks.secrets.contains_key("issues"));
        assert_eq!(s.frappe_webhooks.poll_doctypes, ["Issue"]);
        let shown = s.to_string();
        assert!(
            !shown.contains("0123456789abcdef0123") && !shown.contains("\"w1\""),
            "{shown}"
        );
        std::fs::write(&path, "lisen = \"typo\"\n").unwrap();
        let err = load(&[], Some(&path)).unwrap_err();
        assert_eq!(err.var, "HUB_CONFIG_FILE");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn olts_come_from_the_environment_or_the_file_with_v2c_or_v3() {
        let s = load(
            &[
                (
                    "OLTS",
                    "OLT-MTL-01=snmp://pub%40lic@10.20.0.2?vendor=huawei-ma5800&interval_secs=60, OLT-Q=snmpv3://noc:authpass@olt-q:1161?auth=sha256&priv=aes256&privpass=privpass",
                ),
                ("OLT_RX_WEAK_DBM", "-26.5"),
            ],
            None,
        )
        .unwrap();
        let o = &s.olt;
        assert_eq!(o.olts.len(), 2);
        assert_eq!(o.olts[0].address, "10.20.0.2:161");
        assert!(
            matches!(&o.olts[0].credentials, OltCredentials::Community(c) if c.expose_secret() == "pub@lic")
        );
        assert_eq!(o.olts[0].vendor.as_deref(), Some("huawei-ma5800"));
        assert_eq!(o.olts[0].poll_interval, Some(Duration::from_secs(60)));
        assert!(matches!(&o.olts[1].credentials, OltCredentials::V3(c) if c.user() == "noc"));
        assert_eq!(o.olts[1].address, "olt-q:1161");
        assert_eq!(o.thresholds.weak_below_dbm, -26.5);
        let shown = s.to_string();
        for secret in ["pub@lic", "authpass", "privpass"] {
            assert!(!shown.contains(secret), "{secret}: {shown}");
        }
        let dir = std::env::temp_dir().join(format!("hub-olts-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("hub.toml");
        std::fs::write(
            &path,
            r#"
[olt]
poll_interval_secs = 120
outage_min_onus = 6

[[olts]]
name = "OLT-A"
address = "10.0.0.1"
community = "c"

[[olts]]
name = "OLT-B"
address = "10.0.0.2:1161"
vendor = "zte-c300"
v3 = { user = "noc", auth_protocol = "sha1", auth_password = "a-pass", priv_protocol = "aes", priv_password = "p-pass" }
"#,
        )
        .unwrap();
        let s = load(&[], Some(&path)).unwrap();
        assert_eq!(s.olt.olts.len(), 2);
        assert_eq!(s.olt.olts[0].address, "10.0.0.1:161");
        assert!(matches!(s.olt.olts[1].credentials, OltCredentials::V3(_)));
        assert_eq!(s.olt.poll_interval, Duration::from_secs(120));
        assert_eq!(s.olt.outage_min_onus, 6);
        std::fs::write(&path, "[[olts]]\nname = \"X\"\naddress = \"h\"\n").unwrap();
        assert_eq!(load(&[], Some(&path)).unwrap_err().var, "HUB_CONFIG_FILE");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn tplink_routers_are_read_through_the_bridge_or_in_process_never_both() {
        let s = load(&[], None).unwrap();
        assert!(s.tplink.is_none(), "off unless configured");
        let s = load(
            &[
                ("TPLINK_BRIDGE_URL", "http://tplink-bridge:3301/"),
                ("TPLINK_BRIDGE_TOKEN", "bridge-secret-token"),
            ],
            None,
        )
        .unwrap();
        let t = s.tplink.as_ref().unwrap();
        assert!(
            matches!(&t.mode, TplinkMode::Bridge { url, token: Some(_) } if url == "http://tplink-bridge:3301")
        );
        assert_eq!(t.router_port, 80);
        assert_eq!(t.timeout, Duration::from_secs(6));
        assert!(!s.to_string().contains("bridge-secret-token"));
        let s = load(
            &[
                ("TPLINK_DIRECT", "true"),
                ("TPLINK_ROUTER_PORT", "8080"),
                ("TPLINK_TIMEOUT_SECS", "2.5"),
            ],
            None,
        )
        .unwrap();
        let t = s.tplink.unwrap();
        assert!(matches!(t.mode, TplinkMode::Direct));
        assert_eq!(t.router_port, 8080);
        assert_eq!(t.timeout, Duration::from_millis(2500));
        for (vars, var) in [
            (
                &[
                    ("TPLINK_BRIDGE_URL", "http://b:3301"),
                    ("TPLINK_DIRECT", "true"),
                ][..],
                "TPLINK_DIRECT",
            ),
            (&[("TPLINK_BRIDGE_URL", "ftp://b")][..], "TPLINK_BRIDGE_URL"),
            (&[("TPLINK_BRIDGE_TOKEN", "t")][..], "TPLINK_BRIDGE_URL"),
            (&[("TPLINK_DIRECT", "maybe")][..], "TPLINK_DIRECT"),
            (
                &[("TPLINK_DIRECT", "true"), ("TPLINK_ROUTER_PORT", "70000")][..],
                "TPLINK_ROUTER_PORT",
            ),
        ] {
            assert_eq!(load(vars, None).unwrap_err().var, var, "{vars:?}");
        }
    }

    #[test]
    fn gemini_is_configured_by_its_key_and_its_limits_are_checked() {
        let s = load(&[("GEMINI_MODEL", "gemini-2.5-flash")], None).unwrap();
        assert!(s.gemini.is_none(), "no key: not configured");
        let s = load(&[("GEMINI_API_KEY", "AIza-secret")], None).unwrap();
        let g = s.gemini.as_ref().unwrap();
        assert_eq!(g.model, gemini_vision::DEFAULT_MODEL);
        assert_eq!(g.url, gemini_vision::DEFAULT_BASE_URL);
        assert_eq!(g.deadline, Duration::from_secs(8));
        assert_eq!((g.max_image_bytes, g.max_side), (10 * 1024 * 1024, 1536));
        assert!(!s.to_string().contains("AIza-secret"));
        for (var, bad) in [
            ("GEMINI_URL", "ftp://x"),
            ("GEMINI_DEADLINE_SECS", "0"),
            ("GEMINI_MAX_IMAGE_BYTES", "12"),
            ("GEMINI_MAX_SIDE", "100"),
        ] {
            let e = load(&[("GEMINI_API_KEY", "k"), (var, bad)], None).unwrap_err();
            assert_eq!(e.var, var, "{bad}");
        }
        let s = load(
            &[
                ("GEMINI_API_KEY", "k"),
                ("GEMINI_MAX_SIDE", "0"),
                ("GEMINI_MODEL", " gemini-2.5-flash "),
            ],
            None,
        )
        .unwrap();
        let g = s.gemini.unwrap();
        assert_eq!((g.max_side, g.model.as_str()), (0, "gemini-2.5-flash"));
    }

    #[test]
    fn the_invite_flow_reads_authentik_smtp_and_its_own_settings() {
        let s = load(&[], None).unwrap();
        assert!(
            s.authentik.is_none() && s.smtp.is_none(),
            "off unless configured"
        );
        assert_eq!(s.invites.language, Language::Fr);
        assert_eq!(s.invites.user_path, "users");
        let s = load(
            &[
                ("AUTHENTIK_URL", "https://auth.example.com"),
                ("AUTHENTIK_TOKEN", "ak-token-secret"),
                ("SMTP_HOST", "in-v3.mailjet.com"),
                ("SMTP_SECURITY", "TLS"),
                ("SMTP_USERNAME", "key"),
                ("SMTP_PASSWORD", "smtp-secret-pass"),
                ("SMTP_FROM", "Gigafibre <noreply@gigafibre.ca>"),
                ("INVITE_STAFF_GROUPS", "Ops, Dispatch,,"),
                ("INVITE_USER_PATH", "/staff/ops/"),
                ("INVITE_LANGUAGE", "en-CA"),
                (
                    "INVITE_SECRET_KEY",
                    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
                ),
                ("INVITE_WAIT_SECS", "0"),
            ],
            None,
        )
        .unwrap();
        let m = s.smtp.as_ref().unwrap();
        assert_eq!(
            (m.security, m.port),
            (SmtpSecurity::Tls, 465),
            "TLS defaults to 465"
        );
        assert_eq!(m.credentials.as_ref().unwrap().0, "key");
        assert_eq!(s.invites.staff_groups, ["Ops", "Dispatch"]);
        assert_eq!(s.invites.user_path, "staff/ops");
        assert_eq!(s.invites.language, Language::En);
        assert_eq!(s.invites.key.as_ref().unwrap().0[31], 31, "base64 key");
        assert_eq!(s.invites.wait, Duration::ZERO);
        let text = s.to_string();
        for secret in ["ak-token-secret", "smtp-secret-pass", "AAECAwQF"] {
            assert!(!text.contains(secret), "{secret} leaked: {text}");
        }
        let hex = "00".repeat(31) + "ff";
        let s = load(
            &[
                ("SMTP_HOST", "relay"),
                ("SMTP_FROM", "noreply@gigafibre.ca"),
                ("INVITE_SECRET_KEY", hex.as_str()),
            ],
            None,
        )
        .unwrap();
        let m = s.smtp.unwrap();
        assert_eq!(
            (m.security, m.port),
            (SmtpSecurity::StartTls, 587),
            "the default"
        );
        assert_eq!(s.invites.key.unwrap().0[31], 0xff, "hex key");
        for (vars, var) in [
            (&[("AUTHENTIK_URL", "https://a")][..], "AUTHENTIK_TOKEN"),
            (&[("SMTP_HOST", "relay")][..], "SMTP_FROM"),
            (
                &[("SMTP_HOST", "relay"), ("SMTP_FROM", "not an address")][..],
                "SMTP_FROM",
            ),
            (
                &[
                    ("SMTP_HOST", "relay"),
                    ("SMTP_FROM", "a@b.c"),
                    ("SMTP_USERNAME", "u"),
                ][..],
                "SMTP_PASSWORD",
            ),
            (
                &[
                    ("SMTP_HOST", "relay"),
                    ("SMTP_FROM", "a@b.c"),
                    ("SMTP_PORT", "0"),
                ][..],
                "SMTP_PORT",
            ),
            (&[("INVITE_USER_PATH", "/")][..], "INVITE_USER_PATH"),
            (
                &[
                    ("SMTP_HOST", "relay"),
                    ("SMTP_FROM", "a@b.c"),
                    ("SMTP_CA_FILE", "/nonexistent/ca.pem"),
                ][..],
                "SMTP_CA_FILE",
            ),
            (
                &[
                    ("SMTP_HOST", "relay"),
                    ("SMTP_FROM", "a@b.c"),
                    ("SMTP_SECURITY", "none"),
                    ("SMTP_CA_FILE", "/etc/hostname"),
                ][..],
                "SMTP_CA_FILE",
            ),
            (&[("INVITE_LOGIN_URL", "erp/ops")][..], "INVITE_LOGIN_URL"),
        ] {
            assert_eq!(load(vars, None).unwrap_err().var, var, "{vars:?}");
        }
    }

    #[test]
    fn the_invite_settings_come_from_the_file_too_and_a_variable_wins() {
        let dir = std::env::temp_dir().join(format!(
            "hub-config-invites-{}-{}",
            std::process::id(),
            getrandom::u32().unwrap_or(0)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("hub.toml");
        std::fs::write(
            &path,
            r#"
[authentik]
url = "https://auth.example.com"
token = "file-token-secret"

[smtp]
host = "in-v3.mailjet.com"
port = 2525
username = "key"
password = "file-smtp-secret"
from = "Gigafibre <noreply@gigafibre.ca>"

[invites]
staff_groups = ["Ops", "Dispatch"]
language = "en"
wait_secs = 3
"#,
        )
        .unwrap();
        let s = load(&[("INVITE_LANGUAGE", "fr")], Some(&path)).unwrap();
        assert_eq!(
            s.authentik.as_ref().unwrap().url,
            "https://auth.example.com"
        );
        let m = s.smtp.as_ref().unwrap();
        assert_eq!((m.port, m.security), (2525, SmtpSecurity::StartTls));
        assert_eq!(s.invites.staff_groups, ["Ops", "Dispatch"]);
        assert_eq!(s.invites.language, Language::Fr, "the variable wins");
        assert_eq!(s.invites.wait, Duration::from_secs(3));
        let text = s.to_string();
        assert!(!text.contains("file-token-secret") && !text.contains("file-smtp-secret"));
        for (file, key) in [
            (
                "[smtp]\nhost = \"h\"\nfrom = \"a@b.c\"\nhots = \"typo\"\n",
                "[smtp] hots",
            ),
            ("[smtp]\nport = 25\n", "[smtp] port"),
            (
                "[frappe]\nurl = \"https://erp\"\napi_key = \"k\"\napi_secret = \"s\"\npoll_sec = 5\n",
                "[frappe] poll_sec",
            ),
        ] {
            std::fs::write(&path, file).unwrap();
            let err = load(&[], Some(&path)).unwrap_err();
            assert_eq!(err.var, "HUB_CONFIG_FILE");
            assert!(err.message.contains(key), "{err}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
