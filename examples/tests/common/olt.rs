//! The OLT examples' set-up: fake SNMP agents serving the contract recordings, a config file of
//! `[[olts]]` tables, and a runner that clears every `OLT_*` variable of this process first.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use olt_snmp::snmprec::Recording;
use olt_snmp::testkit::FakeAgent;

/// The Huawei MA5800 contract recording: ports 0/1/0..0/1/2, 14 ONTs each.
pub const HUAWEI: &str = include_str!("../../../olt-snmp/tests/resources/huawei-ma5800.snmprec");
/// The ZTE C300 contract recording: ports 1/1/1..1/1/3, 14 ONUs each.
pub const ZTE: &str = include_str!("../../../olt-snmp/tests/resources/zte-c300.snmprec");

/// A fake agent on `127.0.0.1`, answering on its own runtime while the example runs; it stops
/// when dropped.
pub struct Agent {
    agent: FakeAgent,
    _runtime: tokio::runtime::Runtime,
}

impl Agent {
    /// Serves `recording` (the text of a `.snmprec` file) to `community`.
    pub fn start(community: &str, recording: &str) -> Self {
        let rec = Recording::parse(recording).expect("the recording parses");
        let (agent, runtime) =
            super::serve_in_background(FakeAgent::builder().recording(community, rec).start());
        Self {
            agent,
            _runtime: runtime,
        }
    }

    /// `127.0.0.1:<port>`.
    pub fn addr(&self) -> String {
        self.agent.addr().to_string()
    }
}

/// A file in a fresh directory of its own, removed when dropped.
pub struct TempFile {
    dir: PathBuf,
    path: PathBuf,
}

impl TempFile {
    /// Writes `text` to a new file named `name`.
    pub fn new(name: &str, text: &str) -> Self {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "gigafibre-examples-olt-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join(name);
        std::fs::write(&path, text).expect("temp file written");
        Self { dir, path }
    }

    /// The file's path, as an argument.
    pub fn arg(&self) -> &str {
        self.path.to_str().expect("a UTF-8 temp path")
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Runs the example `name` as n8n would: arguments and environment in (every `OLT_*` variable
/// of this process removed first), no stdin, output captured.
pub fn run(name: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(super::example(name));
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, _) in std::env::vars() {
        if k.starts_with("OLT_") {
            cmd.env_remove(k);
        }
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("example runs")
}

/// stdout as one JSON value.
pub fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "JSON on stdout ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// stdout and stderr together, to look for what must never be printed.
pub fn printed(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}
