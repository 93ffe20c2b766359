//! Reads a photo with Gemini — its barcodes, an equipment label, or a supplier invoice — and
//! prints the typed reading as one JSON object, its values checked and normalised.
//!
//! ```text
//! GEMINI_API_KEY=... \
//!   cargo run -p gigafibre-examples --example gemini_extract -- --kind equipment label.jpg
//! curl -s https://files.example.com/invoice.png | GEMINI_API_KEY=... GEMINI_MODEL=gemini-3.5-flash \
//!   cargo run -p gigafibre-examples --example gemini_extract -- --kind invoice --deadline-secs 30 -
//! cargo run -p gigafibre-examples --example gemini_extract -- --sandbox --kind barcodes photo.png
//! ```
//!
//! `--kind` says what the photo shows: `barcodes` (every barcode and 2-D code, with what each
//! identifies), `equipment` (the label of an ONT, a router or an access point: brand, model,
//! serial, MACs, GPON serial, default Wi-Fi) or `invoice` (vendor, number, dates, currency,
//! subtotal, taxes, total, lines). FILE is a JPEG, PNG, WebP, HEIC or HEIF photo (the format is
//! read from its first bytes, not its name; a JPEG or PNG header must decode); `-` reads it
//! from stdin. An empty file, one that is not an image or a damaged one never reaches Gemini.
//!
//! The values are checked after reading: a MAC is a MAC (printed `00:11:22:AA:BB:CC`, whatever
//! the label's form), a GPON serial is 4 letters and 8 hex digits (`HWTC1A2B3C4D`), a GTIN's
//! check digit holds, an invoice's dates, currency, tax numbers and totals add up. A value that
//! fails is printed as read, and named in `flags`.
//!
//! `--model M` asks another model than `GEMINI_MODEL`. `--deadline-secs S` gives the call S
//! seconds (fractions allowed, at most 600), retries and waits included (8 by default; a large
//! invoice may need more). `--sandbox` runs against an in-process fake Gemini that knows no
//! photo and answers with values generated from the schema (`"sample"`, so a MAC or a GTIN is
//! flagged), without any variable.
//!
//! Environment:
//! - `GEMINI_API_KEY`: a Gemini API key (Google AI Studio), sent only in the
//!   `x-goog-api-key` header.
//! - `GEMINI_MODEL`: the model (default `gemini-3.5-flash`, the client's default); `--model`
//!   wins.
//! - `GEMINI_URL`: another endpoint (a proxy; default
//!   `https://generativelanguage.googleapis.com`).
//!
//! Output: JSON on stdout, messages on stderr. One object:
//! `{"kind": "barcodes"|"equipment"|"invoice", "value": {...}, "flags": [{"field",
//! "problem", "message"}], "model": "...", "usage": {"image_tokens", "prompt_tokens",
//! "total_tokens"}}`: `value` is the reading (`{"barcodes": [{"format", "value", "meaning",
//! "caption"}]}`; `{"brand", "model", "hardware_version", "serial", "macs", "gpon_serial",
//! "wifi": [{"ssid", "key", "band"}]}`; `{"vendor", "number", "issue_date", "due_date",
//! "currency", "subtotal", "taxes": [{"kind", "rate_percent", "amount",
//! "registration_number"}], "total", "line_items": [{"description", "sku", "quantity",
//! "unit_price", "amount"}]}`), absent values `null`; `flags` the values that failed their
//! checks (`field` a path such as `macs[1]`, `problem` such as `invalid_mac`); `model` the
//! model that answered; `usage` the tokens Gemini counted (`null` when not reported). The key
//! is never printed.
//!
//! Exit codes: 0 a reading whose values all passed their checks; 1 a reading printed as
//! above, but either some value failed its check (`flags` not empty) or the photo shows
//! nothing of the kind — no barcode; a label with no serial, no MAC and no GPON serial; an
//! invoice with no total and no line (stderr says which values failed, or what is missing);
//! 2 bad usage or settings (an unknown kind,
//! `GEMINI_API_KEY` missing, a bad model id or URL), a file that cannot be read, is empty or
//! is not an image, or a Gemini that could not be asked or refused: unreachable, no answer
//! within the deadline, the key refused, no such model, a quota exhausted (after waiting
//! within the deadline when Gemini asks for seconds; at once for a per-day quota), the prompt
//! blocked, the answer stopped (safety, recitation, ...), an answer that does not fit the
//! kind, any other error answer (after 3 attempts for 500, 503, 504). Nothing is printed on
//! stdout with 2.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use gemini_vision::extractors::{Barcodes, EquipmentLabel, Extractor, Flag, Invoice, Kind};
use gemini_vision::{Client, Image};
use serde::Serialize;

#[path = "common/gemini.rs"]
mod gemini;

/// Read a photo's barcodes, equipment label or invoice with Gemini; print the reading as JSON.
#[derive(Debug, Parser)]
#[command(name = "gemini_extract")]
struct Args {
    /// What the photo shows: barcodes, equipment or invoice.
    #[arg(long, value_name = "KIND")]
    kind: Kind,
    /// The model, instead of GEMINI_MODEL (e.g. gemini-3.5-flash).
    #[arg(long, value_name = "M", value_parser = not_blank)]
    model: Option<String>,
    /// Seconds the call may take, retries included (default 8).
    #[arg(long, value_name = "S", value_parser = seconds)]
    deadline_secs: Option<Duration>,
    /// Run against an in-process fake Gemini that answers from the schema.
    #[arg(long)]
    sandbox: bool,
    /// The photo (JPEG, PNG, WebP, HEIC, HEIF); `-` for stdin.
    #[arg(value_name = "FILE")]
    file: PathBuf,
}

fn not_blank(s: &str) -> Result<String, String> {
    let s = s.trim();
    if s.is_empty() {
        Err("a value, not blank".to_owned())
    } else {
        Ok(s.to_owned())
    }
}

fn seconds(s: &str) -> Result<Duration, String> {
    s.trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0 && *s <= 600.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| "seconds, more than 0 and at most 600".to_owned())
}

/// The photo from FILE or stdin, checked: not empty, an image format Gemini reads.
fn photo(file: &std::path::Path) -> Result<Image, gemini::Failure> {
    let (name, bytes) = if file.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| (gemini::BROKEN, format!("could not read stdin: {e}")))?;
        ("stdin".to_owned(), bytes)
    } else {
        let name = file.display().to_string();
        let bytes = std::fs::read(file)
            .map_err(|e| (gemini::BROKEN, format!("could not read {name}: {e}")))?;
        (name, bytes)
    };
    if bytes.is_empty() {
        return Err((gemini::BROKEN, format!("{name} is empty: no photo")));
    }
    let refused = |e: gemini_vision::Error| match e {
        gemini_vision::Error::InvalidImage(m) => (gemini::BROKEN, format!("{name}: {m}")),
        other => (
            gemini::BROKEN,
            format!("{name}: {}", gemini::failure(&other).1),
        ),
    };
    let image = Image::new(bytes).map_err(refused)?;
    // A JPEG or PNG whose header does not decode (cut short, damaged) is not sent.
    image.dimensions().map_err(refused)?;
    Ok(image)
}

/// A reading as printed, and why it is not a clean one (exit 1), if it is not.
struct Reading {
    json: String,
    nothing: Option<String>,
}

/// The printed object, in this order, the reading's fields in their declaration order.
#[derive(Serialize)]
struct Printed<'a, E> {
    kind: Kind,
    value: &'a E,
    flags: &'a [Flag],
    model: &'a str,
    usage: Usage,
}

/// The tokens Gemini counted, `null` when not reported.
#[derive(Serialize)]
struct Usage {
    image_tokens: Option<u32>,
    prompt_tokens: Option<u32>,
    total_tokens: Option<u32>,
}

async fn read<E: Extractor>(client: &Client, image: Image) -> Result<Reading, gemini::Failure> {
    let x = client
        .read::<E>(image)
        .await
        .map_err(|e| gemini::failure(&e))?;
    let nothing = match (x.value.nothing_found(), x.flags.as_slice()) {
        (Some(what), _) => Some(what.to_owned()),
        (None, []) => None,
        (None, [flag]) => Some(format!(
            "a value failed its check: {}: {}",
            flag.field, flag.message
        )),
        (None, flags) => Some(format!(
            "{} values failed their checks: {}",
            flags.len(),
            flags
                .iter()
                .map(|f| format!("{}: {}", f.field, f.message))
                .collect::<Vec<_>>()
                .join("; ")
        )),
    };
    let usage = x.usage.as_ref();
    let printed = Printed {
        kind: E::KIND,
        value: &x.value,
        flags: &x.flags,
        model: x.model_version.as_deref().unwrap_or(client.model()),
        usage: Usage {
            image_tokens: usage.and_then(|u| u.prompt_tokens_of("IMAGE")),
            prompt_tokens: usage.and_then(|u| u.prompt_token_count),
            total_tokens: usage.and_then(|u| u.total_token_count),
        },
    };
    let json = serde_json::to_string(&printed)
        .map_err(|e| (gemini::BROKEN, format!("could not print the reading: {e}")))?;
    Ok(Reading { json, nothing })
}

async fn run(args: &Args) -> Result<Reading, gemini::Failure> {
    let image = photo(&args.file)?;
    let settings = gemini::Settings {
        model: args.model.clone(),
        deadline: args.deadline_secs,
        sandbox: args.sandbox,
    };
    let (client, _fake) = gemini::connect(&settings).await?;
    match args.kind {
        Kind::Barcodes => read::<Barcodes>(&client, image).await,
        Kind::Equipment => read::<EquipmentLabel>(&client, image).await,
        Kind::Invoice => read::<Invoice>(&client, image).await,
        other => Err((gemini::BROKEN, format!("kind {other} is not supported"))),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match gemini::args::<Args>() {
        Ok(args) => args,
        Err(code) => return code,
    };
    match run(&args).await {
        Ok(reading) => {
            println!("{}", reading.json);
            match reading.nothing {
                Some(why) => {
                    eprintln!("gemini_extract: {why}");
                    ExitCode::from(gemini::NOTHING)
                }
                None => ExitCode::SUCCESS,
            }
        }
        Err((code, message)) => {
            eprintln!("gemini_extract: {message}");
            ExitCode::from(code)
        }
    }
}
