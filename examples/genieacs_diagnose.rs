//! Prints what GenieACS knows of a modem, found by serial, as one JSON object.
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

/// Print a modem's identity, last inform and device info from GenieACS.
#[derive(Debug, Parser)]
#[command(name = "genieacs_diagnose")]
struct Args {
    /// The modem's serial number.
    #[arg(long)]
    serial: String,
    /// Run against an in-process fake NBI holding real XX230v and Huawei trees.
    #[arg(long)]
    sandbox: bool,
}

const INFO: &[&str] = &["SoftwareVersion", "HardwareVersion", "ModelName", "UpTime"];

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
    let mut projection: Vec<String> =
        vec!["_deviceId".into(), "_lastInform".into(), "_tags".into()];
    for root in ["Device", "InternetGatewayDevice"] {
        projection.extend(INFO.iter().map(|leaf| format!("{root}.DeviceInfo.{leaf}")));
    }
    let fields: Vec<&str> = projection.iter().map(String::as_str).collect();
    let full = devices
        .get(&device.id, &fields)
        .await
        .map_err(|e| (1, e.to_string()))?
        .unwrap_or(device);
    let mut info = serde_json::Map::new();
    for leaf in INFO {
        if let Some(p) = ["Device", "InternetGatewayDevice"]
            .iter()
            .find_map(|root| full.param::<String>(&format!("{root}.DeviceInfo.{leaf}")))
        {
            info.insert(
                (*leaf).to_owned(),
                json!({"value": p.value, "timestamp": p.timestamp}),
            );
        }
    }
    Ok(json!({
        "device_id": full.id,
        "identity": full.identity,
        "last_inform": full.last_inform,
        "tags": full.tags,
        "device_info": info,
    }))
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
