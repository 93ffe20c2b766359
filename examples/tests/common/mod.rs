//! Finds (or builds) an example program, to run it as n8n would.
#![allow(dead_code, unreachable_pub)]

pub mod authentik;
pub mod gemini;
pub mod olt;
pub mod traccar;

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

/// Starts a server (a fake) on a runtime of its own, which keeps serving while the test blocks
/// on the example's process; keep the runtime as long as the server.
pub fn serve_in_background<F, T, E>(start: F) -> (T, tokio::runtime::Runtime)
where
    F: std::future::Future<Output = Result<T, E>>,
    E: std::fmt::Debug,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime");
    let server = runtime.block_on(start).expect("the server starts");
    (server, runtime)
}

/// The path of the built example `name` (built first when `cargo test` has not: a test run
/// for one target alone does not build examples, and then may also find an older build — run
/// `cargo build --examples` first when iterating on one).
pub fn example(name: &str) -> PathBuf {
    // target/<profile>/deps/<this test> -> target/<profile>/examples/<name>
    let mut p = std::env::current_exe().expect("own path");
    p.pop();
    p.pop();
    p.push("examples");
    p.push(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    if !p.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let status = Command::new(cargo)
            .args(["build", "-p", "gigafibre-examples", "--example", name])
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building the example failed");
    }
    assert!(p.exists(), "{} is missing", p.display());
    p
}

/// Runs the example `name` as n8n would: arguments and environment in (every `GENIEACS_*`,
/// `FRAPPE_*`, `AUTHENTIK_*` and `GEMINI_*` variable of this process removed first), `stdin`
/// piped, output captured.
pub fn run(name: &str, args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Output {
    run_with_bytes(name, args, env, stdin.map(str::as_bytes))
}

/// [`run`] with any bytes on stdin (a photo).
pub fn run_with_bytes(
    name: &str,
    args: &[&str],
    env: &[(&str, &str)],
    stdin: Option<&[u8]>,
) -> Output {
    use std::io::Write;
    let mut cmd = Command::new(example(name));
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, _) in std::env::vars() {
        if ["GENIEACS_", "FRAPPE_", "AUTHENTIK_", "GEMINI_"]
            .iter()
            .any(|p| k.starts_with(p))
        {
            cmd.env_remove(k);
        }
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("example runs");
    let mut pipe = child.stdin.take().expect("stdin piped");
    if let Some(input) = stdin {
        pipe.write_all(input).expect("stdin written");
    }
    drop(pipe);
    child.wait_with_output().expect("example ends")
}
