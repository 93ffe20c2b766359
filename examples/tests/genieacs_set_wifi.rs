//! Runs the `genieacs_set_wifi` example as n8n would: the change as JSON on stdin.

mod common;

const SECRET: &str = "correct horse battery";

fn set(stdin: &str) -> std::process::Output {
    common::run(
        "genieacs_set_wifi",
        &["--sandbox", "--serial", "22411A5001234"],
        &[],
        Some(stdin),
    )
}

#[test]
fn a_change_on_one_band_is_confirmed_and_the_secret_never_printed() {
    let input =
        format!(r#"{{"band": "5GHz", "ssid": "Gigafibre-Test_5G", "passphrase": "{SECRET}"}}"#);
    let out = set(&input);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains(SECRET) && !stderr.contains(SECRET));
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("JSON on stdout");
    assert_eq!(v["outcome"]["status"], "done");
    assert_eq!(v["confirmed"], true);
    assert_eq!(v["networks"], serde_json::json!(["Device.WiFi.SSID.3"]));
}

#[test]
fn bad_changes_exit_2_naming_the_problem_without_the_secret() {
    for (input, says) in [
        ("not json", "JSON"),
        (r#"{"ssid": 5}"#, "ssid"),
        (r#"{"colour": "blue"}"#, "colour"),
        (r#"{"band": "7GHz", "ssid": "x"}"#, "band"),
        (r#"{"passphrase": "short"}"#, "8 to 63"),
        ("{}", "SSID"),
    ] {
        let out = set(input);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{input}: {stderr}");
        assert!(stderr.contains(says), "{input}: {stderr}");
        assert!(!stderr.contains("short"), "{stderr}");
    }
}
