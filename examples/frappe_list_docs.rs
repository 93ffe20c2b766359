//! Lists the documents of one doctype as JSON lines.
//!
//! ```text
//! FRAPPE_URL=https://erp.example.com FRAPPE_API_KEY=... FRAPPE_API_SECRET=... \
//!   cargo run -p gigafibre-examples --example frappe_list_docs -- \
//!   --doctype "Dispatch Job" --filter status=Open --fields name,customer,status --limit 50
//! cargo run -p gigafibre-examples --example frappe_list_docs -- --sandbox --doctype Customer
//! ```
//!
//! Filters are `field=value`, or with another operator: `!=`, `>=`, `<=`, `>`, `<`, `~`
//! (like, `%` wildcards). Exit codes: 0 ok, 1 upstream or runtime failure (message on stderr),
//! 2 bad input.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;
use frappe_client::{Client, Filter};
use futures::TryStreamExt;

/// List documents of a Frappe doctype as JSON lines.
#[derive(Debug, Parser)]
#[command(name = "frappe_list_docs")]
struct Args {
    /// Doctype to list, e.g. "Dispatch Job".
    #[arg(long)]
    doctype: String,
    /// A condition `field<op>value` (op: = != >= <= > < ~); repeat for several (all must hold).
    #[arg(long = "filter", value_name = "FIELD=VALUE")]
    filters: Vec<String>,
    /// Comma-separated fields to return (default: all columns).
    #[arg(long, value_delimiter = ',')]
    fields: Vec<String>,
    /// Sort order, e.g. "modified desc" (default: creation, name; stable paging).
    #[arg(long)]
    order_by: Option<String>,
    /// Stop after this many documents (default: all).
    #[arg(long)]
    limit: Option<u64>,
    /// Documents per request.
    #[arg(long, default_value_t = 500)]
    page_size: u32,
    /// Run against an in-process fake Frappe seeded with a small ISP (no credentials needed).
    #[arg(long)]
    sandbox: bool,
}

/// A failure and the exit code it maps to.
enum Failure {
    BadInput(String),
    Upstream(String),
}

fn parse_filter(spec: &str) -> Result<Filter, String> {
    // Longest operators first, so that `>=` is not read as `>`.
    for (op, make) in [
        ("!=", Filter::ne as fn(String, String) -> Filter),
        (">=", Filter::gte),
        ("<=", Filter::lte),
        ("=", Filter::eq),
        (">", Filter::gt),
        ("<", Filter::lt),
        ("~", |f, v| Filter::like(f, v)),
    ] {
        if let Some((field, value)) = spec.split_once(op) {
            let field = field.trim();
            if field.is_empty() {
                break;
            }
            return Ok(make(field.to_owned(), value.to_owned()));
        }
    }
    Err(format!(
        "--filter {spec:?}: expected FIELD=VALUE (or !=, >=, <=, >, <, ~)"
    ))
}

/// An error and its causes on one line: `could not reach frappe (/api/...): connection refused`.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

async fn run(args: Args) -> Result<(), Failure> {
    let filters = args
        .filters
        .iter()
        .map(|f| parse_filter(f))
        .collect::<Result<Vec<_>, _>>()
        .map_err(Failure::BadInput)?;

    // Keep the fake server alive for the whole run.
    let (_sandbox, client) = if args.sandbox {
        let fake = frappe_client::testkit::FakeFrappe::start()
            .await
            .map_err(|e| Failure::Upstream(format!("cannot start the sandbox: {e}")))?;
        let client = Client::builder(fake.url().as_str())
            .token(fake.api_key(), fake.api_secret())
            .build()
            .map_err(|e| Failure::Upstream(e.to_string()))?;
        (Some(fake), client)
    } else {
        let client = Client::from_env().map_err(|e| Failure::BadInput(e.to_string()))?;
        (None, client)
    };

    let mut query = client
        .doctype(args.doctype)
        .list()
        .filters(filters)
        .page_size(args.page_size);
    if !args.fields.is_empty() {
        query = query.fields(args.fields);
    }
    if let Some(order) = args.order_by {
        query = query.order_by(order);
    }
    if let Some(limit) = args.limit {
        query = query.limit(limit);
    }

    let mut docs = query.stream();
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    loop {
        let doc = match docs.try_next().await {
            Ok(Some(doc)) => doc,
            Ok(None) => break,
            Err(frappe_client::Error::InvalidInput(msg)) => return Err(Failure::BadInput(msg)),
            Err(e) => return Err(Failure::Upstream(chain(&e))),
        };
        let line = serde_json::to_string(&doc).map_err(|e| Failure::Upstream(e.to_string()))?;
        if let Err(e) = writeln!(out, "{line}") {
            // A closed pipe (`| head`) is the reader's choice, not a failure.
            if e.kind() == io::ErrorKind::BrokenPipe {
                return Ok(());
            }
            return Err(Failure::Upstream(format!("cannot write output: {e}")));
        }
    }
    match out.flush() {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            Err(Failure::Upstream(format!("cannot write output: {e}")))
        }
        _ => Ok(()),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    // clap exits with code 2 on bad arguments, matching the examples' convention.
    let args = Args::parse();
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::BadInput(msg)) => {
            eprintln!("frappe_list_docs: {msg}");
            ExitCode::from(2)
        }
        Err(Failure::Upstream(msg)) => {
            eprintln!("frappe_list_docs: {msg}");
            ExitCode::from(1)
        }
    }
}
