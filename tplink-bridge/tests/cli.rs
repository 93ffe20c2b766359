//! The `tplink-bridge` binary: `emulate` prints its address and serves a router until killed;
//! `serve` prints its address and serves the bridge; a bad configuration is exit code 2 without
//! the secrets it holds.

#![cfg(feature = "cli")]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use tplink_bridge::Router;
use tplink_bridge::crypto::Variant;

/// Starts the binary and reads the address it prints first.
fn spawn(args: &[&str]) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tplink-bridge"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    (child, line.trim().to_owned())
}

#[tokio::test]
async fn emulate_serves_a_router_that_the_client_logs_in_to() {
    let (mut child, url) = spawn(&[
        "emulate",
        "--password",
        "cli-pass-1",
        "--crypto",
        "gcm",
        "--seed",
        "3",
    ]);
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let r = Router::builder(url.as_str(), "cli-pass-1").build().unwrap();
    let status = r.status(false).await.unwrap();
    assert_eq!(status.device.unwrap().model.as_deref(), Some("XX230v"));
    assert_eq!(r.variant().await, Some(Variant::Gcm));
    r.logout().await.unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
}

#[tokio::test]
async fn serve_answers_and_a_bad_configuration_is_exit_2_without_secrets() {
    let (mut child, url) = spawn(&["serve", "--listen", "127.0.0.1:0"]);
    let ok = reqwest::get(format!("{url}/healthz"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(ok, "ok");
    child.kill().unwrap();
    child.wait().unwrap();

    let dir = std::env::temp_dir().join(format!("tplink-bridge-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.toml");
    std::fs::write(
        &file,
        "[[routers]]\nmatch = \"10.0.0.0/99\"\npassword = \"hunter2-secret\"\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tplink-bridge"))
        .args(["serve", "--config", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("10.0.0.0/99") && !err.contains("hunter2"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
