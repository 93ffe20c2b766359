//! What the GenieACS examples share: the client (from the environment, or a sandbox), the
//! lookup by serial, outcomes as JSON, and the exit-code convention (0 ok, 1 failure, 2 bad
//! input).

use std::process::ExitCode;

use genieacs_client::testkit::FakeNbi;
use genieacs_client::{Client, DeviceId, Error, TaskOutcome};
use serde_json::{Value, json};

#[allow(dead_code, unused_imports)]
#[path = "exit.rs"]
mod exit;
#[allow(unused_imports)]
pub(crate) use exit::{BROKEN, Failure, NOTHING, args};

/// Maps a client error: the caller's mistake is 2, anything else 1.
pub(crate) fn failure(e: Error) -> Failure {
    match e {
        Error::InvalidInput(m) => (BROKEN, m),
        e => (NOTHING, e.to_string()),
    }
}

/// The client: `GENIEACS_*` from the environment, or an in-process fake NBI holding the real
/// XX230v and Huawei trees (kept alive by the returned handle).
pub(crate) async fn connect(sandbox: bool) -> Result<(Client, Option<FakeNbi>), Failure> {
    if sandbox {
        let nbi = FakeNbi::seeded()
            .await
            .map_err(|e| (1, format!("could not start the sandbox: {e}")))?;
        let c = Client::builder(nbi.url().as_str())
            .build()
            .map_err(failure)?;
        Ok((c, Some(nbi)))
    } else {
        Ok((Client::from_env().map_err(|e| (2, e.to_string()))?, None))
    }
}

/// The device that informed with this serial.
pub(crate) async fn find(client: &Client, serial: &str) -> Result<DeviceId, Failure> {
    let found = client
        .devices()
        .find_by_serial(serial)
        .await
        .map_err(failure)?;
    found
        .into_iter()
        .next()
        .map(|d| d.id)
        .ok_or_else(|| (1, format!("no device with serial {serial:?} in GenieACS")))
}

/// An outcome as JSON: `{"status": "done" | "faulted" | ..., "detail": ...}`.
pub(crate) fn outcome(o: &TaskOutcome) -> Value {
    json!({"status": o.status(), "detail": o.detail()})
}

/// Prints the answer (stdout) or the failure (stderr) and gives the exit code: an answer whose
/// `outcome.status` is not `done` exits 1, still printed.
pub(crate) fn finish(name: &str, result: Result<Value, Failure>) -> ExitCode {
    match result {
        Ok(v) => {
            println!("{v}");
            match v["outcome"]["status"].as_str() {
                None | Some("done") => ExitCode::SUCCESS,
                Some(_) => ExitCode::from(1),
            }
        }
        Err((code, message)) => {
            eprintln!("{name}: {message}");
            ExitCode::from(code)
        }
    }
}
