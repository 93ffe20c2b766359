//! Reboots a modem, found by serial, through GenieACS and prints the real outcome as JSON.
//!
//! ```text
//! GENIEACS_URL=http://acs.internal:7557 [GENIEACS_TOKEN=... | GENIEACS_USER=... GENIEACS_PASSWORD=...] \
//!   cargo run -p gigafibre-examples --example genieacs_reboot -- --serial 22411A5001234
//! ```
//!
//! Prints `{"device_id", "task_id", "outcome": {"status", "detail"}}`; `status` is `done`,
//! `faulted`, `queued` (runs at the next session) or `connection_request_failed` (runs at the
//! next periodic inform). Exit codes: 0 done, 1 any other outcome (still printed) or a failure
//! (message on stderr), 2 bad input.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use genieacs_client::{Task, TaskOptions};
use serde_json::json;

#[path = "common/acs.rs"]
mod acs;

/// Reboot a modem through GenieACS.
#[derive(Debug, Parser)]
#[command(name = "genieacs_reboot")]
struct Args {
    /// The modem's serial number.
    #[arg(long)]
    serial: String,
    /// Seconds GenieACS waits for the modem's session to start (at most 140).
    #[arg(long, default_value_t = 10)]
    timeout: u64,
    /// Run against an in-process fake NBI holding real XX230v and Huawei trees.
    #[arg(long)]
    sandbox: bool,
}

async fn run(args: &Args) -> Result<serde_json::Value, acs::Failure> {
    let (client, _nbi) = acs::connect(args.sandbox).await?;
    let id = acs::find(&client, &args.serial).await?;
    // One reboot at a time per modem: a second request replaces a queued one.
    let options = TaskOptions::default()
        .session_timeout(Duration::from_secs(args.timeout))
        .unique_key("gigafibre-reboot");
    let s = client
        .tasks()
        .submit(&id, &Task::Reboot, &options)
        .await
        .map_err(acs::failure)?;
    Ok(json!({"device_id": id, "task_id": s.task_id, "outcome": acs::outcome(&s.outcome)}))
}

#[tokio::main]
async fn main() -> ExitCode {
    match acs::args::<Args>() {
        Ok(args) => acs::finish("genieacs_reboot", run(&args).await),
        Err(code) => code,
    }
}
