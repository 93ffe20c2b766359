//! Runs the `traccar_latest_positions` example as n8n would, against a fake Traccar: arguments
//! and `TRACCAR_*` variables in, a JSON array and an exit code out.

use std::process::Output;

mod common;

use common::olt::{json, printed};
use common::traccar::Fake;
use traccar_client::testkit::Fault;

const PLATEAU: &[(f64, f64)] = &[(45.5230, -73.5810), (45.5400, -73.5650)];
const VERDUN: &[(f64, f64)] = &[(45.4590, -73.5700), (45.4700, -73.5560)];
const LAVAL: &[(f64, f64)] = &[(45.5700, -73.7200)];

fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    common::traccar::run("traccar_latest_positions", args, env)
}

/// Runs against `fake` with its URL and token.
fn run_on(fake: &Fake, args: &[&str]) -> Output {
    let env = fake.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    run(args, &env)
}

/// A fake with three vans: ids 1, 2, 3.
fn fleet() -> Fake {
    let fake = Fake::start();
    fake.add_device("Van 1", "350000000000001", PLATEAU, 40.0);
    fake.add_device("Van 2", "350000000000002", VERDUN, 55.0);
    fake.add_device("Van 3 (parked)", "350000000000003", LAVAL, 0.0);
    fake
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn device_ids(v: &serde_json::Value) -> Vec<i64> {
    v.as_array()
        .expect("a JSON array")
        .iter()
        .map(|p| p["deviceId"].as_i64().expect("deviceId"))
        .collect()
}

#[test]
fn every_device_by_default_joined_with_its_name_and_unique_id() {
    let fake = fleet();
    let out = run_on(&fake, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(device_ids(&v), [1, 2, 3]);
    let van = &v[0];
    assert_eq!(van["name"], "Van 1");
    assert_eq!(van["uniqueId"], "350000000000001");
    assert_eq!(van["latitude"], 45.523);
    assert_eq!(van["longitude"], -73.581);
    assert_eq!(van["speedKmh"], 40.0);
    let knots = van["speedKnots"].as_f64().unwrap();
    assert!((knots - 40.0 / 1.852).abs() < 1e-9, "{knots}");
    assert!(van["course"].is_number());
    let fix = van["fixTime"].as_str().expect("fixTime");
    assert!(fix.ends_with('Z') && fix.contains('T'), "{fix}");
    // The fake geocodes nothing: no address key at all.
    assert!(van.get("address").is_none(), "{van}");
    assert_eq!(v[2]["name"], "Van 3 (parked)");
    assert_eq!(v[2]["speedKmh"], 0.0);
    assert!(!printed(&out).contains(fake.token()));
    // One device list, then one request per device.
    let paths = fake.paths();
    assert_eq!(paths[0], "/api/devices");
    assert_eq!(
        paths
            .iter()
            .filter(|p| p.starts_with("/api/positions?deviceId="))
            .count(),
        3,
        "{paths:?}"
    );
}

#[test]
fn devices_by_id_and_unique_id_in_the_order_given_each_once() {
    let fake = fleet();
    let out = run_on(
        &fake,
        &[
            "--device",
            "3",
            "--device",
            "350000000000001",
            "--device",
            "350000000000003",
            "--device",
            "3",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(device_ids(&v), [3, 1]);
    assert_eq!(v[0]["uniqueId"], "350000000000003");
    assert_eq!(v[1]["name"], "Van 1");
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
    // A unique id that looks like another device's id is the unique id.
    let short = fake.add_device("Scooter", "2", PLATEAU, 20.0);
    let out = run_on(&fake, &["--device", "2"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(device_ids(&json(&out)), [short.get()]);
}

#[test]
fn unknown_devices_exit_1_with_an_empty_array() {
    let fake = fleet();
    let out = run_on(&fake, &["--device", "99", "--device", "no-such-imei"]);
    assert_eq!(out.status.code(), Some(1), "{}", printed(&out));
    assert_eq!(json(&out), serde_json::json!([]));
    let err = stderr(&out);
    assert!(err.contains("99") && err.contains("no-such-imei"), "{err}");
    // With a known one: printed, the unknown one only warned about.
    let out = run_on(&fake, &["--device", "2", "--device", "no-such-imei"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(device_ids(&json(&out)), [2]);
    assert!(stderr(&out).contains("warning: no device with unique id \"no-such-imei\""));
    // A server without devices: nothing either.
    let empty = Fake::start();
    let out = run_on(&empty, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json(&out), serde_json::json!([]));
}

#[test]
fn a_refused_token_exits_2_without_printing_it() {
    let fake = fleet();
    let url = fake.url();
    let out = run(
        &[],
        &[
            ("TRACCAR_URL", &url),
            ("TRACCAR_TOKEN", "wr0ng-t0ken-value"),
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", printed(&out));
    assert!(out.stdout.is_empty());
    let err = stderr(&out);
    assert!(err.contains("refused the credentials (401)"), "{err}");
    assert!(!printed(&out).contains("wr0ng-t0ken-value"));
    assert!(!printed(&out).contains(fake.token()));
    // By --device too.
    let out = run(
        &["--device", "1"],
        &[
            ("TRACCAR_URL", &url),
            ("TRACCAR_TOKEN", "wr0ng-t0ken-value"),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(!printed(&out).contains("wr0ng-t0ken-value"));
}

#[test]
fn missing_settings_and_bad_usage_exit_2() {
    let fake = fleet();
    let url = fake.url();
    // Nothing set: the message names the variables.
    let out = run(&[], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(stderr(&out).contains("TRACCAR_URL"), "{}", stderr(&out));
    // A URL without a token.
    let out = run(&["--device", "1"], &[("TRACCAR_URL", &url)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("TRACCAR_TOKEN"), "{}", stderr(&out));
    // A token without a URL: named, never shown.
    let out = run(&[], &[("TRACCAR_TOKEN", "s3cret-token")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("TRACCAR_URL"));
    assert!(!printed(&out).contains("s3cret-token"));
    // A blank --device, an unknown flag, --device without its value.
    assert_eq!(run_on(&fake, &["--device", " "]).status.code(), Some(2));
    assert_eq!(run_on(&fake, &["--imei", "1"]).status.code(), Some(2));
    assert_eq!(run_on(&fake, &["--device"]).status.code(), Some(2));
    // --help is no mistake.
    let out = run(&["--help"], &[]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("--device"));
}

#[test]
fn a_denied_device_exits_2_with_the_denial() {
    let fake = fleet();
    fake.deny_device(traccar_client::DeviceId(2));
    let out = run_on(&fake, &["--device", "1", "--device", "2"]);
    assert_eq!(out.status.code(), Some(2), "{}", printed(&out));
    assert!(out.stdout.is_empty());
    let err = stderr(&out);
    assert!(
        err.contains("Traccar denied access: Device access denied"),
        "{err}"
    );
    // Not the stack trace.
    assert!(!err.contains("PermissionsService"), "{err}");
    // Every device of the user: the server leaves the denied one out of the list.
    let out = run_on(&fake, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(device_ids(&json(&out)), [1, 3]);
}

#[test]
fn an_unreachable_or_failing_server_exits_2() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let out = run(
        &[],
        &[
            ("TRACCAR_URL", &format!("http://{closed}")),
            ("TRACCAR_TOKEN", "tok-unreachable"),
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", printed(&out));
    assert!(out.stdout.is_empty());
    assert!(
        stderr(&out).contains("could not reach Traccar"),
        "{}",
        stderr(&out)
    );
    assert!(!printed(&out).contains("tok-unreachable"));
    // An error answer (not retried) on the positions.
    let fake = fleet();
    fake.push_fault(Fault::Status(500), 1, Some("/api/positions"));
    let out = run_on(&fake, &["--device", "1"]);
    assert_eq!(out.status.code(), Some(2), "{}", printed(&out));
    assert!(stderr(&out).contains("500"), "{}", stderr(&out));
}

#[test]
fn the_sandbox_has_three_vans() {
    let out = run(&["--sandbox"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(device_ids(&v), [1, 2, 3]);
    assert_eq!(v[1]["uniqueId"], "350000000000002");
    let out = run(&["--sandbox", "--device", "350000000000003"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(device_ids(&json(&out)), [3]);
}
