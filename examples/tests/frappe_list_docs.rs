//! Runs the `frappe_list_docs` example as n8n would: arguments in, JSON lines and an exit code out.

use std::path::PathBuf;
use std::process::{Command, Output};

mod common;

fn example() -> PathBuf {
    static PATH: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    PATH.get_or_init(|| common::example("frappe_list_docs"))
        .clone()
}

fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(example());
    cmd.args(args)
        .env_remove("FRAPPE_URL")
        .env_remove("FRAPPE_API_KEY")
        .env_remove("FRAPPE_API_SECRET");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("example runs")
}

fn lines(out: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect()
}

#[test]
fn the_sandbox_lists_customers_as_json_lines() {
    let out = run(&["--sandbox", "--doctype", "Customer"], &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let docs = lines(&out);
    assert!(docs.len() >= 5, "the seed has several customers");
    assert!(
        docs.iter()
            .all(|d| d["name"].is_string() && d["customer_name"].is_string())
    );
}

#[test]
fn filters_fields_and_limit_shape_the_output() {
    let all = lines(&run(&["--sandbox", "--doctype", "Dispatch Job"], &[]));
    let open = all.iter().filter(|d| d["status"] == "Open").count();
    let out = run(
        &[
            "--sandbox",
            "--doctype",
            "Dispatch Job",
            "--filter",
            "status=Open",
            "--fields",
            "name,status",
        ],
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let docs = lines(&out);
    assert_eq!(docs.len(), open);
    assert!(
        docs.iter()
            .all(|d| d["status"] == "Open" && d.get("customer").is_none())
    );
    let limited = lines(&run(
        &["--sandbox", "--doctype", "Dispatch Job", "--limit", "2"],
        &[],
    ));
    assert_eq!(limited.len(), 2.min(all.len()));
}

#[test]
fn bad_input_exits_2_with_a_message() {
    for args in [
        &[
            "--sandbox",
            "--doctype",
            "Customer",
            "--filter",
            "no-operator",
        ][..],
        &["--sandbox"][..],
        &["--sandbox", "--doctype", "Customer", "--limit", "many"][..],
        &["--sandbox", "--doctype", "Customer", "--page-size", "0"][..],
    ] {
        let out = run(args, &[]);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!out.stderr.is_empty());
    }
    // Without --sandbox the connection settings come from the environment.
    let out = run(&["--doctype", "Customer"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("FRAPPE_URL"));
}

#[test]
fn upstream_failures_exit_1_and_never_print_the_secret() {
    let out = run(&["--sandbox", "--doctype", "No Such Doctype"], &[]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let out = run(
        &["--doctype", "Customer"],
        &[
            ("FRAPPE_URL", &url),
            ("FRAPPE_API_KEY", "k"),
            ("FRAPPE_API_SECRET", "s3cr3t-value"),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("could not reach frappe"), "{err}");
    assert!(!err.contains("s3cr3t-value"));
}
