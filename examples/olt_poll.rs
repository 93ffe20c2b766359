//! Polls one PON port, or every ONU, of one OLT or of every OLT of a config file, and prints
//! the readings as a JSON array (or with `--jsonl`, one JSON object per line, written as each
//! OLT finishes). Each reading is the `OpticalStatus` record (serial, olt, ponPort, onuId,
//! status, lastDownCause, optical levels, distance, polledAt; readings the OLT did not give left
//! out) plus `"signal"`, the verdict against the default thresholds (`good`, `weak` below −27
//! dBm, `critical` below −30, `overload` above −8, `unknown` when the ONU is not online).
//! Readings come OLT by OLT in the order given, each OLT's in index order.
//!
//! ```text
//! OLT_HOST=10.20.0.2[:161] OLT_COMMUNITY=... [OLT_VENDOR=huawei-ma5800] \
//!   cargo run -p gigafibre-examples --example olt_poll -- --port 0/1/0
//! OLT_HOST=10.20.0.2 OLT_COMMUNITY=... cargo run -p gigafibre-examples --example olt_poll -- --all --jsonl
//! cargo run -p gigafibre-examples --example olt_poll -- --all --config olts.toml [--olt OLT-MTL-01]
//! ```
//!
//! `--port` takes `shelf/slot/port` as the OLT's CLI writes it (`0/1/0` on a Huawei, `1/1/1`
//! or `gpon-olt_1/1/1` on a ZTE); with several OLTs, one that has no such port gives nothing.
//! While polling, a progress bar (OLTs done, ONUs read) is drawn on stderr when stderr is a
//! terminal, never otherwise.
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
//! and an optional `vendor`): the hub's config file does, its other sections are ignored.
//! `--olt NAME` (repeatable) keeps only those OLTs of the file. Up to four OLTs are polled at
//! once.
//!
//! Output: JSON on stdout, messages on stderr. A community or passphrase is never printed.
//!
//! Exit codes: 0 at least one reading; 1 no reading (`[]`, or nothing with `--jsonl`);
//! 2 bad usage or settings, or an OLT that could not be polled (unreachable, no answer — a
//! wrong community looks the same —, refused credentials, unknown vendor): the readings of
//! the other OLTs are still printed.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;

use clap::{ArgGroup, Parser};
use futures::{StreamExt, TryStreamExt};
use olt_snmp::{Olt, OpticalStatus, PonPort};

#[path = "common/olt.rs"]
mod olt;
#[path = "common/progress.rs"]
mod progress;

/// Poll a PON port or every ONU of one OLT, or of every OLT of a config file.
#[derive(Debug, Parser)]
#[command(name = "olt_poll")]
#[command(group(ArgGroup::new("what").required(true).args(["port", "all"])))]
struct Args {
    /// The PON port to poll: `shelf/slot/port`, e.g. `0/1/0`.
    #[arg(long, value_name = "SHELF/SLOT/PORT")]
    port: Option<PonPort>,
    /// Poll every ONU of the OLT.
    #[arg(long)]
    all: bool,
    /// A TOML file of `[[olts]]` tables to poll, instead of the `OLT_*` variables.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// With --config: poll only the OLT of this name (repeat for several).
    #[arg(long = "olt", value_name = "NAME", requires = "config")]
    only: Vec<String>,
    /// One JSON object per line instead of a JSON array.
    #[arg(long)]
    jsonl: bool,
}

/// One OLT's readings, or why there are none; `Ok(None)`: the OLT has no such port.
async fn poll(
    olt: &Olt,
    port: Option<PonPort>,
    progress: &Mutex<progress::Progress>,
) -> Result<Option<Vec<OpticalStatus>>, olt_snmp::Error> {
    let tick = || {
        if let Ok(mut p) = progress.lock() {
            p.reading();
        }
    };
    let readings = match port {
        Some(port) => match olt.poll_port(port).await {
            Ok(v) => {
                v.iter().for_each(|_| tick());
                v
            }
            // The only input poll_port refuses: a port that is not in the OLT's index.
            Err(olt_snmp::Error::InvalidInput(_)) => return Ok(None),
            Err(e) => return Err(e),
        },
        None => {
            let mut v = Vec::new();
            let mut stream = olt.poll_all();
            while let Some(r) = stream.try_next().await? {
                tick();
                v.push(r);
            }
            v
        }
    };
    Ok(Some(readings))
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match olt::args::<Args>() {
        Ok(args) => args,
        Err(code) => return code,
    };
    let fail = |(code, message): olt::Failure| {
        eprintln!("olt_poll: {message}");
        ExitCode::from(code)
    };
    let mut olts = match olt::olts(args.config.as_deref()) {
        Ok(o) => o,
        Err(f) => return fail(f),
    };
    if !args.only.is_empty() {
        if let Some(missing) = args
            .only
            .iter()
            .find(|n| !olts.iter().any(|o| o.name() == n.as_str()))
        {
            return fail((olt::BROKEN, format!("no OLT named {missing:?} in the file")));
        }
        olts.retain(|o| args.only.iter().any(|n| n == o.name()));
    }

    let progress = Mutex::new(progress::Progress::new(olts.len()));
    let mut results = futures::stream::iter(&olts)
        .map(|o| {
            let progress = &progress;
            async move {
                let r = poll(o, args.port, progress).await;
                if let Ok(mut p) = progress.lock() {
                    p.olt_done();
                }
                (o.name().to_owned(), r)
            }
        })
        .buffered(4);

    let mut all = Vec::new();
    let mut broken = false;
    let mut messages = Vec::new();
    while let Some((name, r)) = results.next().await {
        match r {
            Ok(Some(readings)) => {
                let readings: Vec<_> = readings.iter().map(olt::reading).collect();
                if args.jsonl {
                    for v in &readings {
                        println!("{v}");
                    }
                }
                all.extend(readings);
            }
            Ok(None) => {
                if let Some(port) = args.port {
                    messages.push(format!("OLT {name} has no port {port}"));
                }
            }
            Err(e) => {
                broken = true;
                messages.push(olt::failure(&e).1);
            }
        }
    }
    drop(results);
    if let Ok(p) = progress.lock() {
        p.finish();
    }
    for m in &messages {
        eprintln!("olt_poll: {m}");
    }
    let count = all.len();
    // The array, unless the lines went out already or no OLT could be polled at all.
    if !(args.jsonl || (broken && count == 0)) {
        println!("{}", serde_json::Value::Array(all));
    }
    if broken {
        ExitCode::from(olt::BROKEN)
    } else if count == 0 {
        eprintln!("olt_poll: no ONU to report");
        ExitCode::from(olt::NOTHING)
    } else {
        ExitCode::SUCCESS
    }
}
