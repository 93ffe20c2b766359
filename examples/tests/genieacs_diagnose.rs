//! Runs the `genieacs_diagnose` example as n8n would: arguments in, JSON and an exit code out.

use std::process::Output;

mod common;

fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    common::run("genieacs_diagnose", args, env, None)
}

#[test]
fn the_sandbox_diagnoses_a_seeded_modem() {
    let out = run(&["--sandbox", "--serial", "22411A5001234"], &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(v["identity"]["value"]["serial"], "22411A5001234");
    assert_eq!(v["identity"]["value"]["model"], "XX230v");
    assert_eq!(v["data_model"], "tr181");
    // With --refresh, the outcome of the refresh comes along.
    let out = run(
        &["--sandbox", "--refresh", "--serial", "22411A5001234"],
        &[],
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(v["refresh"]["status"], "done");
    // The Huawei TR-098 tree too.
    let out = run(&["--sandbox", "--serial", "8KA8WA1151100043"], &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["device_id"], "202BC1-BM632w-8KA8WA1151100043");
}

#[test]
fn exit_codes_tell_bad_input_from_failures() {
    // Unknown serial: a failure (1), message on stderr.
    let out = run(&["--sandbox", "--serial", "NOPE"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no device"));
    // No GENIEACS_URL: bad configuration (2), naming the variable.
    let out = run(&["--serial", "X"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("GENIEACS_URL"));
    // Missing argument: 2.
    let out = run(&["--sandbox"], &[]);
    assert_eq!(out.status.code(), Some(2));
    // Unreachable NBI: 1.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let out = run(
        &["--serial", "X"],
        &[("GENIEACS_URL", &format!("http://{closed}"))],
    );
    assert_eq!(out.status.code(), Some(1));
}
