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
use genieacs_client::Client;
use serde_json::json;

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
    /// Run against an in-process fake NBI holding real XX230v and Huawei trees.
    #[arg(long)]
    sandbox: bool,
}

async fn run(args: &Args) -> Result<serde_json::Value, (u8, String)> {
    let _nbi;
    let client = if args.sandbox {
        let nbi = genieacs_client::testkit::FakeNbi::seeded()
            .await
            .map_err(|e| (1, format!("could not start the sandbox: {e}")))?;
        let c = Client::builder(nbi.url().as_str()).build();
        _nbi = Some(nbi);
        c
    } else {
        _nbi = None;
        Client::from_env()
    }
    .map_err(|e| (2, e.to_string()))?;
    let devices = client.devices();
    let found = devices
        .find_by_serial(&args.serial)
        .await
        .map_err(|e| match e {
            genieacs_client::Error::InvalidInput(m) => (2, m),
            e => (1, e.to_string()),
        })?;
    let Some(device) = found.into_iter().next() else {
        return Err((
            1,
            format!("no device with serial {:?} in GenieACS", args.serial),
        ));
    };
    if args.refresh {
        let r = devices
            .refresh_then_snapshot(&device.id, &genieacs_client::TaskOptions::default())
            .await
            .map_err(|e| (1, e.to_string()))?
            .ok_or((1, "the device was deleted meanwhile".to_owned()))?;
        let mut v = json!(r.snapshot);
        v["refresh"] = json!(format!("{:?}", r.outcome));
        return Ok(v);
    }
    let snapshot = devices
        .snapshot(&device.id)
        .await
        .map_err(|e| (1, e.to_string()))?
        .ok_or((1, "the device was deleted meanwhile".to_owned()))?;
    Ok(json!(snapshot))
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match Args::try_parse() {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match run(&args).await {
        Ok(v) => {
            println!("{v}");
            ExitCode::SUCCESS
        }
        Err((code, message)) => {
            eprintln!("genieacs_diagnose: {message}");
            ExitCode::from(code)
        }
    }
}
