//! Runs the `genieacs_reboot` example as n8n would.

mod common;

#[test]
fn a_sandbox_reboot_answers_the_real_outcome() {
    let out = common::run(
        "genieacs_reboot",
        &["--sandbox", "--serial", "22411A5001234"],
        &[],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(v["device_id"], "1C61B4-Device2-22411A5001234");
    assert_eq!(v["outcome"]["status"], "done");
    assert_eq!(v["task_id"].as_str().unwrap().len(), 24);
}

#[test]
fn bad_input_and_unknown_modems_have_their_exit_codes() {
    let out = common::run(
        "genieacs_reboot",
        &["--sandbox", "--serial", "NOPE"],
        &[],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let out = common::run(
        "genieacs_reboot",
        &["--sandbox", "--serial", "22411A5001234", "--timeout", "600"],
        &[],
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("140"));
}
