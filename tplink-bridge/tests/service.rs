//! The bridge service end to end over HTTP, in front of emulated routers: every route, the
//! credentials (headers and configuration), the bearer token, and each error's status and code.

use gigafibre_client_core::testkit::FakeServer;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tplink_bridge::emulator::{Emulator, EmulatorConfig};
use tplink_bridge::service::{Bridge, BridgeConfig};

const PASSWORD: &str = "Test-Pass-123";

struct Setup {
    emu: Emulator,
    bridge: Bridge,
    server: FakeServer,
    http: reqwest::Client,
}

impl Setup {
    async fn new(config: &str) -> Self {
        let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
        let bridge = Bridge::new(BridgeConfig::from_toml(config).unwrap()).unwrap();
        let server = FakeServer::start(bridge.routes()).await.unwrap();
        Self {
            emu,
            bridge,
            server,
            http: reqwest::Client::new(),
        }
    }

    fn host(&self) -> String {
        let u = self.emu.url();
        format!("{}:{}", u.host_str().unwrap(), u.port().unwrap())
    }

    fn url(&self, path: &str) -> String {
        format!("{}v1/routers/{}/{path}", self.server.url(), self.host())
    }

    async fn get(
        &self,
        path: &str,
        password: Option<&str>,
    ) -> (StatusCode, Value, reqwest::header::HeaderMap) {
        let mut rb = self.http.get(self.url(path));
        if let Some(p) = password {
            rb = rb.header("X-Router-Password", p);
        }
        let r = rb.send().await.unwrap();
        let (s, h) = (r.status(), r.headers().clone());
        (s, r.json().await.unwrap_or(Value::Null), h)
    }
}

#[tokio::test]
async fn every_route_answers_the_routers_own_view() {
    let s = Setup::new("").await;
    let (status, body, _) = s.get("status", Some(PASSWORD)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["device"]["model"], "XX230v");
    let mut parts = serde_json::Map::new();
    for part in ["wifi", "hosts", "mesh", "optical"] {
        let (status, v, _) = s.get(part, Some(PASSWORD)).await;
        assert_eq!(status, StatusCode::OK, "{part}: {v}");
        assert_eq!(v[part], body[part], "{part} alone is the status's {part}");
        parts.insert(part.to_owned(), v);
    }
    // One session owner: one login for all of it.
    assert_eq!(s.emu.logins(), 1);
    assert_eq!(s.bridge.routers().await, 1);
    insta::assert_json_snapshot!("service_status", body);

    // Raw reads and writes.
    let call = |b: Value| {
        s.http
            .post(s.url("objects"))
            .header("X-Router-Password", PASSWORD)
            .json(&b)
            .send()
    };
    let r = call(json!({"op": "gl", "oid": "DEV2_ADT_LAN"}))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["data"][0]["IPAddress"], "192.168.1.1");
    let r = call(json!({"op": "so", "oid": "DEV2_ADT_WIFI_COMMON", "stack": "1,0,0,0,0,0", "attrs": {"guestEnable": "1"}})).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        s.emu.fixture("DEV2_ADT_WIFI_COMMON").unwrap()[0]["guestEnable"],
        "1"
    );
    let r = call(json!({"op": "gl", "oid": "DEV2_NOT_THERE"}))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "refused");
    for bad in [
        json!({"op": "cgi", "oid": "/cgi/logout"}),
        json!({"op": "gl"}),
        json!({"op": "gl", "oid": "X", "extra": 1}),
    ] {
        let r = call(bad.clone()).await.unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{bad}");
    }

    // Health and metrics.
    let h = s
        .http
        .get(format!("{}healthz", s.server.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(h.text().await.unwrap(), "ok");
    let m = s
        .http
        .get(format!("{}metrics", s.server.url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(m.contains("tplink_bridge_requests_total"), "{m}");

    // Shutdown logs every router out.
    s.bridge.shutdown().await;
    assert_eq!(s.emu.active_sessions(), 0);
}

#[tokio::test]
async fn errors_are_json_with_stable_codes_and_no_secrets() {
    let s = Setup::new("").await;
    // No credentials at all.
    let (st, v, _) = s.get("status", None).await;
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("no_credentials"))
    );
    // A wrong password, three times; then the bridge pauses logins before the router locks.
    for _ in 0..3 {
        let (st, v, _) = s.get("status", Some("wrong-secret")).await;
        assert_eq!(
            (st, v["error"]["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("bad_credentials"))
        );
        assert!(!v.to_string().contains("wrong-secret"));
    }
    let (st, v, h) = s.get("status", Some("wrong-secret")).await;
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (StatusCode::LOCKED, Some("locked_out"))
    );
    assert!(h.get("retry-after").is_some());
    assert!(!s.emu.locked_out());
    // Someone else is logged in to another router: busy, not taken over.
    let s2 = Setup::new("").await;
    let other = tplink_bridge::Router::builder(s2.emu.url().as_str(), PASSWORD)
        .build()
        .unwrap();
    other.get("DEV2_DEV_INFO").await.unwrap();
    let (st, v, _) = s2.get("status", Some(PASSWORD)).await;
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("busy"))
    );
    assert_eq!(s2.emu.logins(), 1, "the person's session was left alone");
    // A bad address; an unreachable router.
    let r = s
        .http
        .get(format!("{}v1/routers/a@b/status", s.server.url()))
        .header("X-Router-Password", "p")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = s
        .http
        .get(format!("{}v1/routers/127.0.0.1:9/status", s.server.url()))
        .header("X-Router-Password", "p")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::GATEWAY_TIMEOUT);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["code"],
        "unreachable"
    );
}

#[tokio::test]
async fn configured_credentials_by_network_and_the_bearer_token() {
    let s = Setup::new(&format!(
        "token = \"bridge-token\"\n[[routers]]\nmatch = \"127.0.0.0/8\"\npassword = \"{PASSWORD}\"\ntake_over = true\n"
    ))
    .await;
    // Without the token: refused before any router is touched.
    let (st, v, _) = s.get("status", None).await;
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthorized"))
    );
    assert_eq!(s.emu.logins(), 0);
    let r = s
        .http
        .get(s.url("status"))
        .bearer_auth("bridge-token")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // Someone takes the router from the bridge; the rule's take_over takes it back.
    let other = tplink_bridge::Router::builder(s.emu.url().as_str(), PASSWORD)
        .busy_policy(tplink_bridge::BusyPolicy::TakeOver)
        .build()
        .unwrap();
    other.get("DEV2_DEV_INFO").await.unwrap();
    let r = s
        .http
        .get(s.url("optical"))
        .bearer_auth("bridge-token")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap()["optical"]["rx_dbm"], -18.0);
    assert_eq!(s.emu.logins(), 3);
}
