//! The `hub` binary itself: `config check`, `serve --sandbox`, and a `kill -9` between a
//! webhook's acknowledgement and its processing.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{PROXY_SECRET, SseClient, WEBHOOK_SECRET, free_port};

const HUB: &str = env!("CARGO_BIN_EXE_hub");

/// A hub process that is killed when dropped.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn clean_env(cmd: &mut Command) -> &mut Command {
    for (k, _) in std::env::vars() {
        if hub::config::ENV_PREFIXES.iter().any(|p| k.starts_with(p)) {
            cmd.env_remove(k);
        }
    }
    cmd.env("HUB_LOG_FORMAT", "text").env("RUST_LOG", "warn")
}

async fn wait_ready(port: u16) {
    let http = reqwest::Client::new();
    for _ in 0..200 {
        if let Ok(r) = http
            .get(format!("http://127.0.0.1:{port}/healthz"))
            .send()
            .await
            && r.status() == StatusCode::OK
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the hub did not start on port {port}");
}

#[test]
fn config_check_names_the_bad_variable_and_exits_2() {
    let out = clean_env(&mut Command::new(HUB))
        .args(["config", "check"])
        .env("HUB_TRUSTED_PROXIES", "10.0.0.0/8,not-a-network")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("HUB_TRUSTED_PROXIES"), "{err}");
    let out = clean_env(&mut Command::new(HUB))
        .args(["config", "check"])
        .env("FRAPPE_URL", "https://erp.example.com")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("FRAPPE_API_KEY"));
}

#[test]
fn config_check_prints_the_effective_settings_with_secrets_redacted() {
    let token_hash = hub::auth::ServiceToken::hash_hex("n8n-secret-token");
    let out = clean_env(&mut Command::new(HUB))
        .args(["config", "check"])
        .env(
            "HUB_DATABASE_URL",
            "postgres://hub:db-password-123@db:5432/hub",
        )
        .env("HUB_PROXY_SECRET", "proxy-secret-abcdefghijkl")
        .env(
            "HUB_GROUP_CAPABILITIES",
            "Gigafibre Dispatch=dispatch,tickets:read;Hub Admins=*",
        )
        .env("HUB_SERVICE_TOKENS", format!("n8n:{token_hash}:dispatch"))
        .env("FRAPPE_URL", "https://erp.example.com")
        .env("FRAPPE_API_KEY", "hubkey")
        .env("FRAPPE_API_SECRET", "frappe-secret-xyz")
        .env(
            "FRAPPE_WEBHOOK_SECRETS",
            "issues=whsecret-1-abcdefghij,jobs=whsecret-2-abcdefghij",
        )
        .env("TPLINK_BRIDGE_URL", "http://tplink-bridge:3301")
        .env("TPLINK_BRIDGE_TOKEN", "bridge-token-secret-42")
        .env(
            "OLTS",
            "OLT-MTL-01=snmp://olt-community-77@10.20.0.2?vendor=huawei-ma5800,OLT-LGL-01=snmpv3://noc:v3-auth-pass-99@10.20.0.3:1161?auth=sha256&priv=aes128&privpass=v3-priv-pass-88",
        )
        .env("AUTHENTIK_URL", "https://auth.example.com")
        .env("AUTHENTIK_TOKEN", "authentik-token-secret-5")
        .env("SMTP_HOST", "in-v3.mailjet.com")
        .env("SMTP_USERNAME", "mailjet-api-key")
        .env("SMTP_PASSWORD", "mailjet-secret-6")
        .env("SMTP_FROM", "Gigafibre <noreply@gigafibre.ca>")
        .env("INVITE_STAFF_GROUPS", "Gigafibre Ops, Gigafibre Dispatch")
        .env("INVITE_SECRET_KEY", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
        .env("GEMINI_API_KEY", "AIza-gemini-secret-7")
        .env("GEMINI_MODEL", "gemini-2.5-flash")
        .env("GEMINI_MAX_SIDE", "1024")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    for secret in [
        "db-password-123",
        "proxy-secret-abcdefghijkl",
        "frappe-secret-xyz",
        "whsecret-1-abcdefghij",
        "bridge-token-secret-42",
        "olt-community-77",
        "v3-auth-pass-99",
        "v3-priv-pass-88",
        "authentik-token-secret-5",
        "mailjet-secret-6",
        "AIza-gemini-secret-7",
        "0123456789abcdef",
        &token_hash,
    ] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
    let v: Value = serde_json::from_str(&text).unwrap();
    insta::assert_json_snapshot!(v);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_acknowledged_before_a_kill_9_is_processed_after_restart() {
    let dir =
        std::env::temp_dir().join(format!("hub-kill9-{}-{}", std::process::id(), free_port()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = format!("sqlite://{}/hub.db", dir.display());
    let port = free_port();
    let start = |workers: &str| {
        Proc(
            clean_env(&mut Command::new(HUB))
                .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
                .env("HUB_DATABASE_URL", &db)
                .env("HUB_WORKERS", workers)
                .env("HUB_PROXY_SECRET", PROXY_SECRET)
                .env(
                    "HUB_GROUP_CAPABILITIES",
                    "Gigafibre Dispatch=dispatch,tickets:read,customers:read",
                )
                .env("FRAPPE_WEBHOOK_SECRETS", format!("test={WEBHOOK_SECRET}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        )
    };
    // Workers off: the delivery is acknowledged (stored) but not processed.
    let mut first = start("0");
    wait_ready(port).await;
    let body = serde_json::to_vec(&json!({"doctype": "Issue", "name": "ISS-2026-00042", "modified": "2026-12-02 11:00:00.000001", "event": "after_insert"})).unwrap();
    let sig = frappe_client::webhook::sign_webhook(WEBHOOK_SECRET, &body);
    let http = reqwest::Client::new();
    let r = http
        .post(format!("http://127.0.0.1:{port}/webhooks/frappe"))
        .header("X-Frappe-Webhook-Signature", sig)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    // kill -9.
    first.0.kill().unwrap();
    first.0.wait().unwrap();
    drop(first);
    let _second = start("1");
    wait_ready(port).await;
    let mut found = None;
    for _ in 0..50 {
        let mut sse = SseClient::open(
            http.get(format!(
                "http://127.0.0.1:{port}/events?topic=/tickets/*&last_event_id=0"
            ))
            .header("x-hub-proxy-secret", PROXY_SECRET)
            .header("X-Authentik-Username", "marie")
            .header("X-Authentik-Groups", "Gigafibre Dispatch"),
        )
        .await;
        if let Some(f) = sse.next_event(Duration::from_millis(200)).await {
            found = Some(f);
            break;
        }
    }
    let f = found.expect("the acknowledged webhook was processed after the restart");
    assert_eq!(f.event.as_deref(), Some("ticket.created"));
    assert_eq!(f.json()["data"]["name"], "ISS-2026-00042");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sandbox_prints_commands_that_work() {
    let mut child = Proc(
        clean_env(&mut Command::new(HUB))
            .args(["serve", "--sandbox", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    // Read the banner, then keep draining stdout so the hub never writes to a closed pipe.
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let mut lines = Vec::new();
        let mut tx = Some(tx);
        for line in BufReader::new(stdout).lines() {
            let line = line.unwrap_or_default();
            if tx.is_some() {
                let last = line.contains("/readyz");
                lines.push(line);
                if last && let Some(tx) = tx.take() {
                    let _ = tx.send(std::mem::take(&mut lines));
                }
            }
        }
    });
    let banner = tokio::time::timeout(Duration::from_secs(30), rx)
        .await
        .expect("the sandbox printed its banner")
        .expect("banner");
    let port: u16 = banner
        .iter()
        .find_map(|l| l.strip_prefix("hub sandbox listening on http://127.0.0.1:"))
        .and_then(|p| p.trim().parse().ok())
        .expect("the banner says where the sandbox listens");
    wait_ready(port).await;
    let secret = banner
        .iter()
        .find_map(|l| l.split("x-hub-proxy-secret: ").nth(1))
        .and_then(|s| s.split('\'').next())
        .expect("the banner prints the proxy secret")
        .to_owned();
    let hook = banner
        .iter()
        .find(|l| l.contains("X-Frappe-Webhook-Signature"))
        .expect("the banner prints a signed webhook")
        .clone();
    let http = reqwest::Client::new();
    let me: Value = http
        .get(format!("http://127.0.0.1:{port}/whoami"))
        .header("x-hub-proxy-secret", &secret)
        .header("X-Authentik-Username", "marie")
        .header("X-Authentik-Groups", "Gigafibre Dispatch")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["kind"], "staff");
    // Run the printed webhook command's request.
    let sig = hook
        .split("X-Frappe-Webhook-Signature: ")
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap();
    let data = hook
        .split("--data-raw '")
        .nth(1)
        .unwrap()
        .trim_end_matches('\'');
    let r = http
        .post(format!("http://127.0.0.1:{port}/webhooks/frappe"))
        .header("X-Frappe-Webhook-Signature", sig)
        .body(data.to_owned())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let ready: Value = http
        .get(format!("http://127.0.0.1:{port}/readyz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["status"], "ready", "{ready}");
}
