//! Runs the `olt_find_onu` example as n8n would, against fake SNMP agents serving the contract
//! recordings: arguments and `OLT_*` variables in, JSON and an exit code out.

use std::time::{Duration, Instant};

mod common;

use common::olt::{Agent, HUAWEI, TempFile, ZTE, json, printed};

const COMMUNITY: &str = "lab-c0mmunity";

fn run(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    common::olt::run("olt_find_onu", args, env)
}

#[test]
fn finds_an_online_onu_with_its_optics_and_signal() {
    let hw = Agent::start(COMMUNITY, HUAWEI);
    let addr = hw.addr();
    let env = [
        ("OLT_HOST", addr.as_str()),
        ("OLT_NAME", "OLT-HW-LAB"),
        ("OLT_COMMUNITY", COMMUNITY),
    ];
    let out = run(&["--serial", "HWTCC55642CF"], &env);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out);
    assert_eq!(v["found"], true);
    assert_eq!(v["serial"], "HWTCC55642CF");
    assert_eq!(v["olt"], "OLT-HW-LAB");
    assert_eq!(v["ponPort"], "0/1/0");
    assert_eq!(v["onuId"], 0);
    assert_eq!(v["status"], "online");
    assert_eq!(v["onuRxDbm"], -22.49);
    assert_eq!(v["oltRxDbm"], -23.45);
    assert_eq!(v["signal"], "good");
    assert!(v["polledAt"].is_string());
    assert!(!printed(&out).contains(COMMUNITY));
    // The hex form of the serial, with the vendor detected likewise and set explicitly.
    let out = run(
        &["--serial", "48575443c55642cf"],
        &[
            ("OLT_HOST", addr.as_str()),
            ("OLT_COMMUNITY", COMMUNITY),
            ("OLT_VENDOR", "huawei-ma5800"),
        ],
    );
    assert!(out.status.success());
    let v = json(&out);
    assert_eq!(v["serial"], "HWTCC55642CF");
    // Without OLT_NAME, the OLT is named by its address.
    assert_eq!(v["olt"], addr.as_str());
}

#[test]
fn an_offline_onu_is_found_without_optics() {
    let hw = Agent::start(COMMUNITY, HUAWEI);
    let addr = hw.addr();
    // 0/1/0 ONT 3: run status down, every DDM column holding the sentinel (contract README).
    let out = run(
        &["--serial", "TPLGB335F985"],
        &[("OLT_HOST", &addr), ("OLT_COMMUNITY", COMMUNITY)],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out);
    assert_eq!(v["found"], true);
    assert_eq!(v["ponPort"], "0/1/0");
    assert_eq!(v["onuId"], 3);
    assert_ne!(v["status"], "online");
    for reading in [
        "onuRxDbm",
        "onuTxDbm",
        "oltRxDbm",
        "temperatureC",
        "voltageV",
        "biasMa",
        "distanceM",
    ] {
        assert!(v.get(reading).is_none(), "{reading} in {v}");
    }
    assert_eq!(v["signal"], "unknown");
}

#[test]
fn an_unknown_serial_exits_1_with_found_false() {
    let hw = Agent::start(COMMUNITY, HUAWEI);
    let addr = hw.addr();
    let out = run(
        &["--serial", "HWTC00000000"],
        &[("OLT_HOST", &addr), ("OLT_COMMUNITY", COMMUNITY)],
    );
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    assert_eq!(
        v,
        serde_json::json!({"found": false, "serial": "HWTC00000000"})
    );
}

#[test]
fn a_wrong_community_or_v3_user_exits_2_quickly_and_prints_no_secret() {
    let hw = Agent::start(COMMUNITY, HUAWEI);
    let addr = hw.addr();
    let started = Instant::now();
    let out = run(
        &["--serial", "HWTCC55642CF"],
        &[
            ("OLT_HOST", &addr),
            ("OLT_COMMUNITY", "not-the-s3cret"),
            ("OLT_TIMEOUT_SECS", "0.2"),
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", printed(&out));
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("never answered"), "{err}");
    assert!(!err.contains("not-the-s3cret"), "{err}");
    // SNMPv3 (which the fake agent does not speak): no answer either, and no passphrase shown.
    let out = run(
        &["--serial", "HWTCC55642CF"],
        &[
            ("OLT_HOST", &addr),
            ("OLT_V3_USER", "noc"),
            ("OLT_V3_AUTH_PROTOCOL", "sha256"),
            ("OLT_V3_AUTH_PASSWORD", "auth-pass-phrase"),
            ("OLT_V3_PRIV_PROTOCOL", "aes128"),
            ("OLT_V3_PRIV_PASSWORD", "priv-pass-phrase"),
            ("OLT_TIMEOUT_SECS", "0.2"),
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", printed(&out));
    let shown = printed(&out);
    assert!(!shown.contains("auth-pass-phrase") && !shown.contains("priv-pass-phrase"));
}

#[test]
fn bad_usage_and_settings_exit_2() {
    let host = [("OLT_HOST", "127.0.0.1:9"), ("OLT_COMMUNITY", COMMUNITY)];
    // No --serial.
    assert_eq!(run(&[], &host).status.code(), Some(2));
    // Not a serial.
    assert_eq!(run(&["--serial", "XYZ"], &host).status.code(), Some(2));
    // No OLT_HOST: the message names the variable.
    let out = run(
        &["--serial", "HWTCC55642CF"],
        &[("OLT_COMMUNITY", COMMUNITY)],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("OLT_HOST"));
    // No credentials.
    let out = run(&["--serial", "HWTCC55642CF"], &[("OLT_HOST", "127.0.0.1")]);
    assert_eq!(out.status.code(), Some(2));
    // An unknown v3 protocol.
    let out = run(
        &["--serial", "HWTCC55642CF"],
        &[
            ("OLT_HOST", "127.0.0.1"),
            ("OLT_V3_USER", "noc"),
            ("OLT_V3_AUTH_PROTOCOL", "sha3"),
            ("OLT_V3_AUTH_PASSWORD", "auth-pass-phrase"),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(!printed(&out).contains("auth-pass-phrase"));
    // An unknown vendor profile.
    let out = run(
        &["--serial", "HWTCC55642CF"],
        &[
            ("OLT_HOST", "127.0.0.1"),
            ("OLT_COMMUNITY", COMMUNITY),
            ("OLT_VENDOR", "acme-9000"),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    // A missing or malformed config file.
    let out = run(
        &[
            "--serial",
            "HWTCC55642CF",
            "--config",
            "/nonexistent/olts.toml",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    let bad = TempFile::new("olts.toml", "[[olts]]\nname = \"A\"\naddress = \"h\"\n");
    let out = run(&["--serial", "HWTCC55642CF", "--config", bad.arg()], &[]);
    assert_eq!(out.status.code(), Some(2));
    let bad = TempFile::new("olts.toml", "[[olts]\ncommunity = \"in-a-broken-line\"\n");
    let out = run(&["--serial", "HWTCC55642CF", "--config", bad.arg()], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        !printed(&out).contains("in-a-broken-line"),
        "{}",
        printed(&out)
    );
}

#[test]
fn a_config_file_of_olts_is_searched_whole() {
    let hw = Agent::start("hw-community", HUAWEI);
    let zte = Agent::start("zte-community", ZTE);
    // The hub's file: other sections are ignored.
    let config = TempFile::new(
        "hub.toml",
        &format!(
            r#"
listen = "0.0.0.0:8080"

[olt]
timeout_secs = 0.2

[[olts]]
name = "OLT-HW-LAB"
address = "{}"
community = "hw-community"
vendor = "huawei-ma5800"

[[olts]]
name = "OLT-ZTE-LAB"
address = "{}"
community = "zte-community"
poll_interval_secs = 60
"#,
            hw.addr(),
            zte.addr()
        ),
    );
    // 1/1/1 ONU 2 on the second OLT.
    let out = run(&["--serial", "ZTEG4CAE9A15", "--config", config.arg()], &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out);
    assert_eq!(v["olt"], "OLT-ZTE-LAB");
    assert_eq!(v["ponPort"], "1/1/1");
    assert_eq!(v["onuId"], 2);
    assert_eq!(v["status"], "online");
    assert!(v["onuRxDbm"].is_number());
    assert!(!printed(&out).contains("hw-community") && !printed(&out).contains("zte-community"));
    // On the first too.
    let out = run(&["--serial", "HWTCC55642CF", "--config", config.arg()], &[]);
    assert_eq!(json(&out)["olt"], "OLT-HW-LAB");
    // On neither: 1.
    let out = run(&["--serial", "ZTEG00000000", "--config", config.arg()], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json(&out)["found"], false);

    // A third OLT that does not answer: found elsewhere is still found (with a warning), but
    // "not found" can no longer be told, so 2.
    let silent = TempFile::new(
        "olts.toml",
        &format!(
            "[olt]\ntimeout_secs = 0.2\n\n[[olts]]\nname = \"OLT-ZTE-LAB\"\naddress = \"{}\"\ncommunity = \"zte-community\"\n\n[[olts]]\nname = \"OLT-GONE\"\naddress = \"{}\"\ncommunity = \"nobody-knows-it\"\n",
            zte.addr(),
            hw.addr()
        ),
    );
    let out = run(&["--serial", "ZTEG4CAE9A15", "--config", silent.arg()], &[]);
    assert!(out.status.success(), "{}", printed(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("OLT-GONE"));
    let out = run(&["--serial", "ZTEG00000000", "--config", silent.arg()], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(!printed(&out).contains("nobody-knows-it"));
}
