//! Runs the `olt_poll` example as n8n would, against fake SNMP agents serving the contract
//! recordings: arguments and `OLT_*` variables in, JSON and an exit code out.

use std::time::{Duration, Instant};

mod common;

use common::olt::{Agent, HUAWEI, TempFile, ZTE, json, printed};

const COMMUNITY: &str = "lab-c0mmunity";

fn run(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    common::olt::run("olt_poll", args, env)
}

fn readings(out: &std::process::Output) -> Vec<serde_json::Value> {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    match json(out) {
        serde_json::Value::Array(a) => a,
        other => panic!("not an array: {other}"),
    }
}

#[test]
fn a_port_gives_exactly_its_onus() {
    let hw = Agent::start(COMMUNITY, HUAWEI);
    let addr = hw.addr();
    let env = [("OLT_HOST", addr.as_str()), ("OLT_COMMUNITY", COMMUNITY)];
    for port in ["0/1/0", "0/1/1", "0/1/2"] {
        let out = run(&["--port", port], &env);
        let r = readings(&out);
        assert_eq!(r.len(), 14, "{port}");
        assert!(r.iter().all(|v| v["ponPort"] == port), "{port}");
        let ids: Vec<_> = r.iter().map(|v| v["onuId"].as_u64().unwrap()).collect();
        assert_eq!(ids, (0..14).collect::<Vec<_>>(), "{port}");
        assert!(r.iter().all(|v| v["signal"].is_string()));
        // Not a terminal: no progress bar drawn.
        assert!(!String::from_utf8_lossy(&out.stderr).contains('\r'));
    }
    // 0/1/0 ONT 3 and 8 are offline: no optics, signal unknown; the others are read.
    let r = readings(&run(&["--port", "0/1/0"], &env));
    for v in &r {
        let offline = matches!(v["onuId"].as_u64(), Some(3 | 8));
        assert_eq!(v["status"] != "online", offline, "{v}");
        assert_eq!(v.get("onuRxDbm").is_none(), offline, "{v}");
        if offline {
            assert_eq!(v["signal"], "unknown");
        }
    }
    assert_eq!(r[0]["serial"], "HWTCC55642CF");
    assert_eq!(r[0]["onuRxDbm"], -22.49);
    // A port the OLT does not have: nothing, exit 1.
    let out = run(&["--port", "0/1/7"], &env);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json(&out), serde_json::json!([]));
}

#[test]
fn all_gives_every_onu_as_an_array_or_json_lines() {
    let hw = Agent::start(COMMUNITY, HUAWEI);
    let addr = hw.addr();
    let env = [
        ("OLT_HOST", addr.as_str()),
        ("OLT_COMMUNITY", COMMUNITY),
        ("OLT_VENDOR", "huawei-ma5800"),
    ];
    let r = readings(&run(&["--all"], &env));
    assert_eq!(r.len(), 42);
    let offline = r.iter().filter(|v| v["status"] != "online").count();
    assert_eq!(offline, 7, "the contract README's seven offline ONTs");
    let out = run(&["--all", "--jsonl"], &env);
    assert!(out.status.success());
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON object per line"))
        .collect();
    assert_eq!(lines.len(), 42);
    let serials = |v: &[serde_json::Value]| -> Vec<String> {
        v.iter().map(|x| x["serial"].to_string()).collect()
    };
    assert_eq!(serials(&lines), serials(&r));
    assert!(!printed(&out).contains(COMMUNITY));
}

#[test]
fn a_config_file_polls_every_olt_or_the_ones_named() {
    let hw = Agent::start("hw-community", HUAWEI);
    let zte = Agent::start("zte-community", ZTE);
    let config = TempFile::new(
        "olts.toml",
        &format!(
            r#"
[[olts]]
name = "OLT-HW-LAB"
address = "{}"
community = "hw-community"

[[olts]]
name = "OLT-ZTE-LAB"
address = "{}"
community = "zte-community"
vendor = "zte-c300"
"#,
            hw.addr(),
            zte.addr()
        ),
    );
    let r = readings(&run(&["--all", "--config", config.arg()], &[]));
    assert_eq!(r.len(), 84);
    // OLT by OLT, in the file's order.
    assert!(r[..42].iter().all(|v| v["olt"] == "OLT-HW-LAB"));
    assert!(r[42..].iter().all(|v| v["olt"] == "OLT-ZTE-LAB"));
    // A ZTE port: only the ZTE OLT has it.
    let r = readings(&run(&["--port", "1/1/2", "--config", config.arg()], &[]));
    assert_eq!(r.len(), 14);
    assert!(
        r.iter()
            .all(|v| v["olt"] == "OLT-ZTE-LAB" && v["ponPort"] == "1/1/2")
    );
    // One OLT of the file.
    let r = readings(&run(
        &["--all", "--config", config.arg(), "--olt", "OLT-ZTE-LAB"],
        &[],
    ));
    assert_eq!(r.len(), 42);
    let out = run(
        &["--all", "--config", config.arg(), "--olt", "OLT-NONE"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_wrong_community_exits_2_quickly_with_nothing_on_stdout() {
    let hw = Agent::start(COMMUNITY, HUAWEI);
    let addr = hw.addr();
    let started = Instant::now();
    let out = run(
        &["--port", "0/1/0"],
        &[
            ("OLT_HOST", &addr),
            ("OLT_COMMUNITY", "not-the-s3cret"),
            ("OLT_TIMEOUT_SECS", "0.2"),
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", printed(&out));
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(out.stdout.is_empty());
    assert!(!printed(&out).contains("not-the-s3cret"));
    // One OLT of two failing: the other's readings are printed, the exit code says 2.
    let config = TempFile::new(
        "olts.toml",
        &format!(
            "[[olts]]\nname = \"OLT-HW-LAB\"\naddress = \"{addr}\"\ncommunity = \"{COMMUNITY}\"\n\n[[olts]]\nname = \"OLT-GONE\"\naddress = \"{addr}\"\ncommunity = \"nobody-knows-it\"\n"
        ),
    );
    let out = run(
        &["--port", "0/1/0", "--config", config.arg()],
        &[("OLT_TIMEOUT_SECS", "0.2")],
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(json(&out).as_array().map(Vec::len), Some(14));
    assert!(String::from_utf8_lossy(&out.stderr).contains("OLT-GONE"));
    assert!(!printed(&out).contains("nobody-knows-it"));
}

#[test]
fn bad_usage_exits_2() {
    let env = [("OLT_HOST", "127.0.0.1:9"), ("OLT_COMMUNITY", COMMUNITY)];
    // Neither --port nor --all, or both.
    assert_eq!(run(&[], &env).status.code(), Some(2));
    assert_eq!(
        run(&["--port", "0/1/0", "--all"], &env).status.code(),
        Some(2)
    );
    // Not a port.
    assert_eq!(run(&["--port", "zero"], &env).status.code(), Some(2));
    // --olt without --config.
    assert_eq!(run(&["--all", "--olt", "A"], &env).status.code(), Some(2));
    // No OLT_HOST.
    let out = run(&["--all"], &[("OLT_COMMUNITY", COMMUNITY)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("OLT_HOST"));
    // --help is not a mistake.
    assert_eq!(run(&["--help"], &[]).status.code(), Some(0));
}
