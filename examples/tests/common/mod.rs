//! Finds (or builds) an example program, to run it as n8n would.
#![allow(dead_code, unreachable_pub)]

use std::path::PathBuf;
use std::process::Command;

/// The path of the built example `name`, built first (a no-op when `cargo test` just built it;
/// a test run for one target alone would otherwise find a stale program).
pub fn example(name: &str) -> PathBuf {
    // target/<profile>/deps/<this test> -> target/<profile>/examples/<name>
    let mut p = std::env::current_exe().expect("own path");
    p.pop();
    p.pop();
    p.push("examples");
    p.push(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    {
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
