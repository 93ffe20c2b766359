//! Prints the latest position of some devices, or of every device the token's user can see, as
//! one JSON array, each position joined with its device's name and unique id.
//!
//! ```text
//! TRACCAR_URL=https://gps.example.com TRACCAR_TOKEN=... \
//!   cargo run -p gigafibre-examples --example traccar_latest_positions
//! TRACCAR_URL=https://gps.example.com TRACCAR_TOKEN=... \
//!   cargo run -p gigafibre-examples --example traccar_latest_positions -- --device 12 --device 350000000000002
//! cargo run -p gigafibre-examples --example traccar_latest_positions -- --sandbox
//! ```
//!
//! `--device` (repeatable) takes a device's unique id (the identifier its tracker reports, the
//! IMEI for most) or its numeric Traccar id. A value is first looked up as a unique id; only
//! when no device has that unique id is a number taken as an id (IMEIs are numbers too). A
//! device given twice (by id and by unique id) is printed once. Without `--device`, every
//! device of the user (`GET /api/devices`: those linked to the user, not every device of the
//! server for an administrator) is asked. The latest positions come through the client's
//! `latest_many`: one request per device, 16 at a time, or one `GET /api/positions` for more
//! than 32 devices.
//!
//! `--sandbox` runs against an in-process fake Traccar holding three vans (ids 1 to 3, unique
//! ids `350000000000001` to `350000000000003`), without any variable.
//!
//! Environment:
//! - `TRACCAR_URL`: the server (`https://gps.example.com`; `/api` is added when missing).
//! - `TRACCAR_TOKEN`: a bearer token (Traccar 6.2+: a user's token or the server's
//!   `web.serviceAccountToken`); or, for older servers, `TRACCAR_USER` and `TRACCAR_PASSWORD`
//!   (session login).
//!
//! Output: JSON on stdout, messages on stderr. Each position is an object of `deviceId`,
//! `name`, `uniqueId`, `latitude`, `longitude`, `fixTime` (RFC 3339, UTC), `speedKmh`
//! (rounded to 0.01), `speedKnots` (as Traccar stores it), `course` (degrees), and `address`
//! when the server geocoded one. Positions come in the order the devices were given (without
//! `--device`, in the server's device order). A device that is unknown, or has no position
//! yet, gets a warning on stderr. The token or password is never printed.
//!
//! Exit codes: 0 at least one position; 1 none (`[]` on stdout: unknown devices, or devices
//! without a position); 2 bad usage or settings (`TRACCAR_URL` or the token missing), or a
//! server that could not be asked: unreachable, no answer, credentials refused (401), access
//! denied to a device (Traccar does not tell a non-administrator an absent id from a forbidden
//! one), or any other error answer.

use std::collections::{HashMap, HashSet};
use std::process::ExitCode;

use clap::Parser;
use serde_json::{Map, Value, json};
use traccar_client::{Client, Device, DeviceFilter, DeviceId, LatestVia, Position};

#[path = "common/traccar.rs"]
mod traccar;

/// Print the latest positions of Traccar devices as JSON.
#[derive(Debug, Parser)]
#[command(name = "traccar_latest_positions")]
struct Args {
    /// A device's unique id (IMEI) or numeric Traccar id; repeatable. Every device of the
    /// user when absent.
    #[arg(long, value_name = "ID", value_parser = not_blank)]
    device: Vec<String>,
    /// Run against an in-process fake Traccar holding three vans.
    #[arg(long)]
    sandbox: bool,
}

fn not_blank(s: &str) -> Result<String, String> {
    let s = s.trim();
    if s.is_empty() {
        Err("a device id or unique id, not blank".to_owned())
    } else {
        Ok(s.to_owned())
    }
}

/// The devices asked for, in the order given (each once), with warnings for those not found.
async fn resolve(
    client: &Client,
    wanted: &[String],
) -> Result<(Vec<Device>, Vec<String>), traccar::Failure> {
    let mut seen = HashSet::new();
    let wanted: Vec<&String> = wanted.iter().filter(|w| seen.insert(*w)).collect();
    // One request for every value as a unique id.
    let by_uid: HashMap<String, Device> = client
        .devices()
        .list(&DeviceFilter::unique_ids(wanted.iter().map(|w| w.as_str())))
        .await
        .map_err(|e| traccar::failure(&e))?
        .into_iter()
        .map(|d| (d.unique_id.clone(), d))
        .collect();
    let mut found = Vec::new();
    let mut warnings = Vec::new();
    for w in wanted {
        if let Some(d) = by_uid.get(w) {
            found.push(d.clone());
            continue;
        }
        // Not a unique id: a number is tried as an id (an access denial is an error: 2).
        match w.parse::<i64>() {
            Ok(n) if n > 0 => match client.devices().get(DeviceId(n)).await {
                Ok(d) => found.push(d),
                Err(e) if e.is_not_found() => {
                    warnings.push(format!("no device with id or unique id {w}"));
                }
                Err(e) => return Err(traccar::failure(&e)),
            },
            _ => warnings.push(format!("no device with unique id {w:?}")),
        }
    }
    let mut ids = HashSet::new();
    found.retain(|d| ids.insert(d.id));
    Ok((found, warnings))
}

/// One position as printed: the position joined with its device.
fn printed(p: &Position, d: &Device) -> Value {
    let mut v = Map::new();
    v.insert("deviceId".to_owned(), json!(p.device_id));
    v.insert("name".to_owned(), json!(d.name));
    v.insert("uniqueId".to_owned(), json!(d.unique_id));
    v.insert("latitude".to_owned(), json!(p.latitude));
    v.insert("longitude".to_owned(), json!(p.longitude));
    v.insert("fixTime".to_owned(), json!(p.fix_time));
    v.insert(
        "speedKmh".to_owned(),
        json!((p.speed_kmh() * 100.0).round() / 100.0),
    );
    v.insert("speedKnots".to_owned(), json!(p.speed_knots()));
    v.insert("course".to_owned(), json!(p.course));
    if let Some(a) = p.address.as_deref().filter(|a| !a.trim().is_empty()) {
        v.insert("address".to_owned(), json!(a));
    }
    Value::Object(v)
}

/// The positions, and the warnings for stderr.
async fn run(args: &Args) -> Result<(Vec<Value>, Vec<String>), traccar::Failure> {
    let (client, _fake) = traccar::connect(args.sandbox).await?;
    let (devices, mut warnings) = if args.device.is_empty() {
        let all = client
            .devices()
            .list(&DeviceFilter::default())
            .await
            .map_err(|e| traccar::failure(&e))?;
        (all, Vec::new())
    } else {
        resolve(&client, &args.device).await?
    };
    let ids: Vec<DeviceId> = devices.iter().map(|d| d.id).collect();
    let positions = client
        .positions()
        .latest_many(&ids, LatestVia::Auto)
        .await
        .map_err(|e| traccar::failure(&e))?;
    let by_device: HashMap<DeviceId, &Position> =
        positions.iter().map(|p| (p.device_id, p)).collect();
    let mut out = Vec::with_capacity(positions.len());
    for d in &devices {
        match by_device.get(&d.id) {
            Some(p) => out.push(printed(p, d)),
            // Named only when asked for: a whole fleet has parked devices that never reported.
            None if !args.device.is_empty() => warnings.push(format!(
                "device {} ({}, {}) has no position yet",
                d.id, d.name, d.unique_id
            )),
            None => {}
        }
    }
    Ok((out, warnings))
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match traccar::args::<Args>() {
        Ok(args) => args,
        Err(code) => return code,
    };
    match run(&args).await {
        Ok((positions, warnings)) => {
            let none = positions.is_empty();
            println!("{}", Value::Array(positions));
            for w in &warnings {
                eprintln!("traccar_latest_positions: warning: {w}");
            }
            if none {
                eprintln!("traccar_latest_positions: no position to print");
                ExitCode::from(traccar::NOTHING)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err((code, message)) => {
            eprintln!("traccar_latest_positions: {message}");
            ExitCode::from(code)
        }
    }
}
