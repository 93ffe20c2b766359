//! `spawn_app()`: the real hub on 127.0.0.1:0 with a fresh store (SQLite in memory, or a new
//! PostgreSQL database), the fake ERPNext, generated secrets, and an HTTP client.

use std::time::Duration;

use frappe_client::testkit::FakeFrappe;
use futures::StreamExt;
use hub::auth::{Capability, ServiceToken};
use hub::config::{DatabaseUrl, FrappeSettings, Settings};
use reqwest::{Method, StatusCode};
use secrecy::SecretString;
use serde_json::Value;

pub const PROXY_SECRET: &str = "test-proxy-secret-0123456789";
pub const ADMIN_TOKEN: &str = "admin-token-for-tests";
pub const N8N_TOKEN: &str = "n8n-token-dispatch-only";
pub const WEBHOOK_SECRET: &str = "frappe-webhook-secret";
pub const DISPATCH: &str = "Gigafibre Dispatch";

/// Which store backend a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// A fresh PostgreSQL database on 127.0.0.1:5432 (trust auth), named uniquely.
pub async fn fresh_postgres() -> String {
    use sqlx::Connection;
    let admin = "postgres://postgres@127.0.0.1:5432/postgres";
    let mut conn = sqlx::PgConnection::connect(admin)
        .await
        .expect("PostgreSQL on 127.0.0.1:5432");
    let name = format!(
        "hub_test_{}_{}",
        std::process::id(),
        getrandom::u32().unwrap_or(0)
    );
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .execute(&mut conn)
        .await
        .expect("create database");
    format!("postgres://postgres@127.0.0.1:5432/{name}")
}

/// `GET /readyz`: its status and body.
pub async fn readyz(t: &TestApp) -> (StatusCode, Value) {
    let r = t.http.get(t.at("/readyz")).send().await.unwrap();
    (r.status(), r.json().await.unwrap())
}

/// The settings of a test hub (before the tweak).
pub async fn settings(db: Db, fake: &FakeFrappe) -> Settings {
    let mut s = Settings {
        listen: "127.0.0.1:0".parse().unwrap(),
        database: match db {
            Db::Sqlite => DatabaseUrl::SqliteMemory,
            Db::Postgres => DatabaseUrl::parse(&fresh_postgres().await).unwrap(),
        },
        ..Settings::default()
    };
    s.auth.proxy_secret = Some(SecretString::from(PROXY_SECRET));
    s.auth.groups.insert(
        DISPATCH.to_owned(),
        vec![
            Capability::Dispatch,
            Capability::TicketsRead,
            Capability::CustomersRead,
        ],
    );
    s.auth
        .groups
        .insert("Hub Admins".to_owned(), Capability::ALL.to_vec());
    s.auth.service_tokens = vec![
        ServiceToken::from_secret("admin", ADMIN_TOKEN, Capability::ALL.to_vec()),
        ServiceToken::from_secret("n8n", N8N_TOKEN, vec![Capability::Dispatch]),
    ];
    s.frappe = Some(FrappeSettings {
        url: fake.url().to_string(),
        api_key: fake.api_key().to_owned(),
        api_secret: SecretString::from(fake.api_secret().to_owned()),
        timeout: Duration::from_secs(5),
    });
    s.frappe_webhooks
        .secrets
        .insert("test".to_owned(), SecretString::from(WEBHOOK_SECRET));
    s.frappe_webhooks.poll_interval = Duration::ZERO;
    s.sse.heartbeat = Duration::from_millis(300);
    s.workers.backoff = Duration::from_millis(20);
    s.workers.poll = Duration::from_millis(50);
    s
}

pub struct TestApp {
    pub app: hub::Running,
    pub url: String,
    pub http: reqwest::Client,
    pub fake: FakeFrappe,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Db::Sqlite, |_| {}).await
}

pub async fn spawn_app_with(db: Db, tweak: impl FnOnce(&mut Settings)) -> TestApp {
    let fake = FakeFrappe::start().await.expect("fake ERPNext");
    let mut s = settings(db, &fake).await;
    tweak(&mut s);
    spawn_settings(s, fake).await
}

pub async fn spawn_settings(s: Settings, fake: FakeFrappe) -> TestApp {
    spawn_application(hub::Application::build(s).await.expect("hub builds"), fake)
}

/// Runs a built hub in the background.
pub fn spawn_application(app: hub::Application, fake: FakeFrappe) -> TestApp {
    let app = app.spawn().expect("hub runs");
    let url = app.url();
    TestApp {
        app,
        url,
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap(),
        fake,
    }
}

/// A hub with ERPNext's fake and the sandbox's fake GenieACS NBI (a device for every seeded ONT
/// Router: the real XX230v tree, the Huawei TR-098 tree for the Huawei), `tweak`ed before it
/// starts.
pub async fn with_acs(
    tweak: impl FnOnce(&mut Settings) + Send,
) -> (TestApp, Option<genieacs_client::testkit::FakeNbi>) {
    let fake = FakeFrappe::start().await.unwrap();
    let nbi = hub::sandbox::fake_nbi_for(&fake).await.unwrap();
    let mut s = settings(Db::Sqlite, &fake).await;
    s.genieacs = Some(hub::config::GenieacsSettings {
        url: nbi.url().to_string(),
        auth: hub::config::GenieacsAuth::None,
        timeout: Duration::from_secs(5),
    });
    tweak(&mut s);
    (spawn_settings(s, fake).await, Some(nbi))
}

/// [`with_acs`] plus the sandbox's emulated TP-Link routers (one per installed TP-Link ONT
/// router, at the WAN address its NBI device now reports), read in-process.
pub async fn with_routers(
    tweak: impl FnOnce(&mut Settings) + Send,
) -> (
    TestApp,
    genieacs_client::testkit::FakeNbi,
    hub::sandbox::SandboxRouters,
) {
    let fake = FakeFrappe::start().await.unwrap();
    let nbi = hub::sandbox::fake_nbi_for(&fake).await.unwrap();
    let routers = hub::sandbox::routers_for(&fake, &nbi).await.unwrap();
    let mut s = settings(Db::Sqlite, &fake).await;
    s.genieacs = Some(hub::config::GenieacsSettings {
        url: nbi.url().to_string(),
        auth: hub::config::GenieacsAuth::None,
        timeout: Duration::from_secs(5),
    });
    s.tplink = Some(hub::config::TplinkSettings {
        mode: hub::config::TplinkMode::Direct,
        router_port: routers.port,
        timeout: Duration::from_secs(5),
    });
    tweak(&mut s);
    (spawn_settings(s, fake).await, nbi, routers)
}

impl TestApp {
    pub fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// A request as a staff member of `groups`, through the proxy.
    pub fn staff(
        &self,
        method: reqwest::Method,
        path: &str,
        groups: &str,
    ) -> reqwest::RequestBuilder {
        self.http
            .request(method, self.at(path))
            .header("x-hub-proxy-secret", PROXY_SECRET)
            .header("X-Authentik-Username", "marie")
            .header("X-Authentik-Email", "marie@gigafibre.ca")
            .header("X-Authentik-Groups", groups)
    }

    /// A request with a service token.
    pub fn token(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
    ) -> reqwest::RequestBuilder {
        self.http
            .request(method, self.at(path))
            .header("Authorization", format!("Bearer {token}"))
    }

    /// Posts a signed ERPNext webhook for `event` (carried in the signed body).
    pub async fn webhook(&self, body: &Value, event: &str) -> reqwest::Response {
        let mut body = body.clone();
        body["event"] = Value::String(event.to_owned());
        let raw = serde_json::to_vec(&body).unwrap();
        let sig = frappe_client::webhook::sign_webhook(WEBHOOK_SECRET, &raw);
        self.http
            .post(self.at("/webhooks/frappe"))
            .header("X-Frappe-Webhook-Signature", sig)
            .body(raw)
            .send()
            .await
            .unwrap()
    }

    /// Opens `/events` as a dispatcher.
    pub async fn events(&self, query: &str, last_event_id: Option<i64>) -> SseClient {
        let mut rb = self.staff(reqwest::Method::GET, &format!("/events?{query}"), DISPATCH);
        if let Some(id) = last_event_id {
            rb = rb.header("Last-Event-ID", id.to_string());
        }
        SseClient::open(rb).await
    }
}

/// One parsed SSE frame.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Frame {
    pub id: Option<String>,
    pub event: Option<String>,
    pub data: String,
    pub retry: Option<String>,
    pub comment: bool,
}

impl Frame {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.data).unwrap_or(Value::Null)
    }
}

/// A minimal SSE reader over a real HTTP response.
pub struct SseClient {
    pub response_headers: reqwest::header::HeaderMap,
    pub status: reqwest::StatusCode,
    stream: futures::stream::BoxStream<'static, reqwest::Result<bytes::Bytes>>,
    buf: String,
    pub ended: bool,
}

impl SseClient {
    pub async fn open(rb: reqwest::RequestBuilder) -> Self {
        let resp = rb.send().await.expect("events request");
        Self {
            response_headers: resp.headers().clone(),
            status: resp.status(),
            stream: resp.bytes_stream().boxed(),
            buf: String::new(),
            ended: false,
        }
    }

    /// The next frame (comments included), or `None` when the stream ended or nothing came
    /// within `wait`.
    pub async fn next_frame(&mut self, wait: Duration) -> Option<Frame> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(i) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..i + 2).collect();
                let mut f = Frame::default();
                for line in block.lines() {
                    if let Some(rest) = line.strip_prefix(':') {
                        let _ = rest;
                        f.comment = true;
                    } else if let Some((k, v)) = line.split_once(':') {
                        let v = v.strip_prefix(' ').unwrap_or(v);
                        match k {
                            "id" => f.id = Some(v.to_owned()),
                            "event" => f.event = Some(v.to_owned()),
                            "data" => {
                                if !f.data.is_empty() {
                                    f.data.push('\n');
                                }
                                f.data.push_str(v);
                            }
                            "retry" => f.retry = Some(v.to_owned()),
                            _ => {}
                        }
                    }
                }
                return Some(f);
            }
            if self.ended {
                return None;
            }
            match tokio::time::timeout_at(deadline, self.stream.next()).await {
                Err(_) => return None,
                Ok(None) | Ok(Some(Err(_))) => self.ended = true,
                Ok(Some(Ok(bytes))) => self.buf.push_str(&String::from_utf8_lossy(&bytes)),
            }
        }
    }

    /// The next frame that is an event (skipping comments and the opening `retry:`/`id:` frame).
    pub async fn next_event(&mut self, wait: Duration) -> Option<Frame> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let f = self.next_frame(left).await?;
            if f.event.is_some() || !f.data.is_empty() {
                return Some(f);
            }
        }
    }
}

/// Runs a test body against SQLite and PostgreSQL.
#[macro_export]
macro_rules! both_backends {
    ($name:ident, $body:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$body($crate::helpers::Db::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$body($crate::helpers::Db::Postgres).await;
            }
        }
    };
}

/// `GET /devices/lookup?{query}` with the admin token: status and body.
pub async fn lookup(t: &TestApp, query: &str) -> (StatusCode, Value) {
    let r = t
        .token(
            Method::GET,
            &format!("/devices/lookup?{query}"),
            ADMIN_TOKEN,
        )
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

/// Each source's (name, status).
pub fn statuses(body: &Value) -> Vec<(String, String)> {
    body["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_owned(),
                s["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// A port nothing listens on (bound, then freed): a free port for a server, or a closed one.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
