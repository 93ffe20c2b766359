//! The Traccar examples' set-up: a fake Traccar with devices driving along routes, answering
//! on its own runtime while the example runs, and a runner that clears every `TRACCAR_*`
//! variable of this process first.

use std::process::{Command, Output, Stdio};

use traccar_client::DeviceId;
use traccar_client::testkit::{FakeTraccar, Fault};

/// A fake Traccar on `127.0.0.1`; it stops when dropped.
pub struct Fake {
    fake: FakeTraccar,
    _runtime: tokio::runtime::Runtime,
}

impl Fake {
    /// Starts an empty fake.
    pub fn start() -> Self {
        let (fake, runtime) = super::serve_in_background(FakeTraccar::start());
        Self {
            fake,
            _runtime: runtime,
        }
    }

    /// The server URL.
    pub fn url(&self) -> String {
        self.fake.url().to_string()
    }

    /// The bearer token it accepts.
    pub fn token(&self) -> &str {
        self.fake.token()
    }

    /// `TRACCAR_URL` and `TRACCAR_TOKEN` for this fake.
    pub fn env(&self) -> [(&'static str, String); 2] {
        [
            ("TRACCAR_URL", self.url()),
            ("TRACCAR_TOKEN", self.token().to_owned()),
        ]
    }

    /// Adds a device driving along `route` at `speed_kmh`; its id.
    pub fn add_device(
        &self,
        name: &str,
        unique_id: &str,
        route: &[(f64, f64)],
        speed_kmh: f64,
    ) -> DeviceId {
        self.fake
            .add_device(name, unique_id, route.to_vec(), speed_kmh)
    }

    /// Every request about this device answers `Device access denied`.
    pub fn deny_device(&self, id: DeviceId) {
        self.fake.deny_device(id);
    }

    /// Queues a fault for the next `times` requests under `path_prefix`.
    pub fn push_fault(&self, fault: Fault, times: u32, path_prefix: Option<&str>) {
        self.fake.push_fault(fault, times, path_prefix);
    }

    /// The paths of the requests received, oldest first.
    pub fn paths(&self) -> Vec<String> {
        self.fake
            .requests()
            .into_iter()
            .map(|r| match r.query {
                Some(q) => format!("{}?{q}", r.path),
                None => r.path,
            })
            .collect()
    }
}

/// Runs the example `name` as n8n would: arguments and environment in (every `TRACCAR_*`
/// variable of this process removed first), no stdin, output captured.
pub fn run(name: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(super::example(name));
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, _) in std::env::vars() {
        if k.starts_with("TRACCAR_") {
            cmd.env_remove(k);
        }
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("example runs")
}
