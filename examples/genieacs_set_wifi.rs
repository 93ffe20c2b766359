//! Sets a modem's Wi-Fi (SSID and/or passphrase, all bands or one), found by serial, from JSON on
//! stdin, and prints what became of it. The passphrase never reaches the command line (where
//! `ps` would show it), stdout or stderr.
//!
//! ```text
//! echo '{"band": "5GHz", "ssid": "Gigafibre-4821_5G", "passphrase": "..."}' | \
//!   GENIEACS_URL=http://acs.internal:7557 \
//!   cargo run -p gigafibre-examples --example genieacs_set_wifi -- --serial 22411A5001234
//! ```
//!
//! Input: `{"band"?: "2.4GHz" | "5GHz" | "6GHz", "ssid"?: string, "passphrase"?: string}`.
//! Prints `{"device_id", "networks", "confirmed", "outcome": {"status", "detail"}}`. Exit codes:
//! 0 done, 1 any other outcome (still printed) or a failure, 2 bad input.

use std::io::Read;
use std::process::ExitCode;

use clap::Parser;
use genieacs_client::{Band, Passphrase, TaskOptions, WifiChange};
use serde_json::{Value, json};

#[path = "common/acs.rs"]
mod acs;

/// Set a modem's Wi-Fi through GenieACS (the change as JSON on stdin).
#[derive(Debug, Parser)]
#[command(name = "genieacs_set_wifi")]
struct Args {
    /// The modem's serial number.
    #[arg(long)]
    serial: String,
    /// Run against an in-process fake NBI holding real XX230v and Huawei trees.
    #[arg(long)]
    sandbox: bool,
}

/// The change from stdin; every mistake is bad input (2), named without the secret.
fn change_from(input: &str) -> Result<WifiChange, acs::Failure> {
    let bad = |m: String| (2, m);
    let v: Value =
        serde_json::from_str(input).map_err(|e| bad(format!("stdin is not a JSON object: {e}")))?;
    let Value::Object(m) = v else {
        return Err(bad("stdin is not a JSON object".to_owned()));
    };
    if let Some(k) = m
        .keys()
        .find(|k| !["band", "ssid", "passphrase"].contains(&k.as_str()))
    {
        return Err(bad(format!("unknown field {k:?} (band, ssid, passphrase)")));
    }
    let text = |k: &str| -> Result<Option<String>, acs::Failure> {
        match m.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(bad(format!("{k} is a string"))),
        }
    };
    let mut change = WifiChange::new();
    if let Some(b) = text("band")? {
        change = change.band(b.parse::<Band>().map_err(acs::failure)?);
    }
    if let Some(s) = text("ssid")? {
        change = change.ssid(s);
    }
    if let Some(p) = text("passphrase")? {
        change = change.passphrase(Passphrase::new(p).map_err(acs::failure)?);
    }
    Ok(change)
}

async fn run(args: &Args) -> Result<Value, acs::Failure> {
    let mut input = String::new();
    std::io::stdin()
        .take(64 * 1024)
        .read_to_string(&mut input)
        .map_err(|e| (2, format!("could not read stdin: {e}")))?;
    let change = change_from(&input)?;
    let (client, _nbi) = acs::connect(args.sandbox).await?;
    let id = acs::find(&client, &args.serial).await?;
    let r = client
        .devices()
        .set_wifi(&id, &change, &TaskOptions::default())
        .await
        .map_err(acs::failure)?
        .ok_or_else(|| (1, "the device was deleted meanwhile".to_owned()))?;
    Ok(json!({
        "device_id": id,
        "networks": r.networks,
        "confirmed": r.confirmed,
        "outcome": acs::outcome(&r.outcome),
    }))
}

#[tokio::main]
async fn main() -> ExitCode {
    match acs::args::<Args>() {
        Ok(args) => acs::finish("genieacs_set_wifi", run(&args).await),
        Err(code) => code,
    }
}
