//! Finds an ONU by its serial on one OLT, or on every OLT of a config file, and prints its
//! reading as one JSON object: the `OpticalStatus` record (serial, olt, ponPort, onuId, status,
//! lastDownCause, optical levels, distance, polledAt; readings the OLT did not give left out)
//! plus `"found": true` and `"signal"`, the verdict against the default thresholds (`good`,
//! `weak` below −27 dBm, `critical` below −30, `overload` above −8, `unknown` when the ONU is
//! not online).
//!
//! ```text
//! OLT_HOST=10.20.0.2[:161] OLT_COMMUNITY=... [OLT_VENDOR=huawei-ma5800] \
//!   cargo run -p gigafibre-examples --example olt_find_onu -- --serial HWTCC55642CF
//! OLT_HOST=10.20.0.2 OLT_V3_USER=noc OLT_V3_AUTH_PROTOCOL=sha256 OLT_V3_AUTH_PASSWORD=... \
//!   OLT_V3_PRIV_PROTOCOL=aes128 OLT_V3_PRIV_PASSWORD=... \
//!   cargo run -p gigafibre-examples --example olt_find_onu -- --serial HWTCC55642CF
//! cargo run -p gigafibre-examples --example olt_find_onu -- --serial HWTCC55642CF --config olts.toml
//! ```
//!
//! Environment (without `--config`):
//! - `OLT_HOST`: `host` or `host:port` (port 161 by default); `OLT_NAME`: the OLT's name in the
//!   output (default: `OLT_HOST`).
//! - `OLT_COMMUNITY` (SNMPv2c), or `OLT_V3_USER` with `OLT_V3_AUTH_PROTOCOL` (md5, sha1, sha224,
//!   sha256, sha384, sha512; sha1 by default), `OLT_V3_AUTH_PASSWORD`, `OLT_V3_PRIV_PROTOCOL`
//!   (des, aes128, aes192, aes256; aes128 by default), `OLT_V3_PRIV_PASSWORD`, `OLT_V3_CONTEXT`.
//! - `OLT_VENDOR`: a profile name (`huawei-ma5800`, `zte-c300`, ...); detected when absent.
//! - `OLT_TIMEOUT_SECS`: per-request timeout (3 s by default; 2 retries), also with `--config`.
//!
//! `--config FILE` is a TOML file of `[[olts]]` tables (`name`, `address`, `community` or a
//! `v3` table of `user`, `auth_protocol`, `auth_password`, `priv_protocol`, `priv_password`,
//! and an optional `vendor`): the hub's config file does, its other sections are ignored. Every
//! OLT of the file is asked at once; the first one in file order that has the ONU answers.
//!
//! Output: JSON on stdout, messages on stderr. A community or passphrase is never printed.
//!
//! Exit codes: 0 found; 1 not found on any OLT (stdout: `{"found":false,"serial":"..."}`);
//! 2 bad usage or settings, or an OLT that could not be asked (unreachable, no answer — a
//! wrong community looks the same —, refused credentials, unknown vendor) while no other OLT
//! had the ONU.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use olt_snmp::Serial;
use serde_json::json;

#[path = "common/olt.rs"]
mod olt;

/// Find an ONU by serial on one OLT or on every OLT of a config file.
#[derive(Debug, Parser)]
#[command(name = "olt_find_onu")]
struct Args {
    /// The ONU's serial: `HWTCC55642CF`, or 16 hex digits (`48575443C55642CF`).
    #[arg(long)]
    serial: Serial,
    /// A TOML file of `[[olts]]` tables to search, instead of the `OLT_*` variables.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

async fn run(args: &Args) -> Result<serde_json::Value, olt::Failure> {
    let olts = olt::olts(args.config.as_deref())?;
    let answers = futures::future::join_all(olts.iter().map(|o| o.onu_status(&args.serial))).await;
    let mut found = None;
    let mut unasked = Vec::new();
    for answer in answers {
        match answer {
            Ok(s) => {
                found.get_or_insert(s);
            }
            Err(e) if e.is_not_found() => {} // not on this OLT
            Err(e) => unasked.push(olt::failure(&e).1),
        }
    }
    if let Some(s) = found {
        // Found: the OLTs that could not be asked are only worth a warning.
        for message in &unasked {
            eprintln!("olt_find_onu: warning: {message}");
        }
        let mut v = olt::reading(&s);
        v["found"] = json!(true);
        return Ok(v);
    }
    // Not found anywhere: certain only if every OLT answered.
    if unasked.is_empty() {
        Ok(json!({"found": false, "serial": args.serial}))
    } else {
        Err((olt::BROKEN, unasked.join("; ")))
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match olt::args::<Args>() {
        Ok(args) => args,
        Err(code) => return code,
    };
    match run(&args).await {
        Ok(v) => {
            println!("{v}");
            if v["found"] == json!(true) {
                ExitCode::SUCCESS
            } else {
                eprintln!(
                    "olt_find_onu: no OLT has an ONU with serial {}",
                    args.serial
                );
                ExitCode::from(olt::NOTHING)
            }
        }
        Err((code, message)) => {
            eprintln!("olt_find_onu: {message}");
            ExitCode::from(code)
        }
    }
}
