//! Prints the snapshot GenieACS holds of a modem, found by serial, as one JSON object: identity,
//! WAN, customer Wi-Fi, hosts, mesh nodes and optical levels, each with its source paths and age.
//! `--refresh` asks the modem for fresh values first and adds the outcome.
//!
//! ```text
//! GENIEACS_URL=http://acs.internal:7557 [GENIEACS_TOKEN=... | GENIEACS_USER=... GENIEACS_PASSWORD=...] \
//!   cargo run -p gigafibre-examples --example genieacs_diagnose -- --serial 22411A5001234
//! cargo run -p gigafibre-examples --example genieacs_diagnose -- --sandbox --serial 22411A5001234
//! ```
//!
//! Exit codes: 0 found (JSON on stdout), 1 upstream or runtime failure or not found (message on
//! stderr), 2 bad input.

use std::process::ExitCode;

use clap::Parser;
use serde_json::json;

#[path = "common/acs.rs"]
mod acs;

/// Print a modem's snapshot from GenieACS.
#[derive(Debug, Parser)]
#[command(name = "genieacs_diagnose")]
struct Args {
    /// The modem's serial number.
    #[arg(long)]
    serial: String,
    /// Ask the modem for fresh values first (wakes it with a connection request).
    #[arg(long)]
    refresh: bool,
    /// With --refresh: how long to wait for the modem before answering the cached snapshot.
    #[arg(long, default_value_t = 30)]
    deadline_secs: u64,
    /// Run against an in-process fake NBI holding real XX230v and Huawei trees.
    #[arg(long)]
    sandbox: bool,
}

async fn run(args: &Args) -> Result<serde_json::Value, acs::Failure> {
    let (client, _nbi) = acs::connect(args.sandbox).await?;
    let id = acs::find(&client, &args.serial).await?;
    let devices = client.devices();
    let gone = || (1, "the device was deleted meanwhile".to_owned());
    if args.refresh {
        let r = devices
            .refresh_then_snapshot(
                &id,
                &genieacs_client::TaskOptions::default(),
                std::time::Duration::from_secs(args.deadline_secs),
            )
            .await
            .map_err(acs::failure)?
            .ok_or_else(gone)?;
        let mut v = json!(r.snapshot);
        // The refresh's outcome travels as `refresh`: a stale snapshot is still an answer.
        v["refresh"] = acs::outcome(&r.outcome);
        return Ok(v);
    }
    let snapshot = devices
        .snapshot(&id)
        .await
        .map_err(acs::failure)?
        .ok_or_else(gone)?;
    Ok(json!(snapshot))
}

#[tokio::main]
async fn main() -> ExitCode {
    match acs::args::<Args>() {
        Ok(args) => acs::finish("genieacs_diagnose", run(&args).await),
        Err(code) => code,
    }
}
