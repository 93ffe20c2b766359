//! `hub`: parses the command line and calls the library.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Gigafibre's msg service.
#[derive(Debug, Parser)]
#[command(name = "hub", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API (port 3300 unless --listen says otherwise).
    Serve {
        /// Address to listen on (overrides HUB_LISTEN).
        #[arg(long)]
        listen: Option<SocketAddr>,
        /// Replace every upstream by an in-process simulator (no credentials needed).
        #[arg(long)]
        sandbox: bool,
        /// A TOML settings file (environment variables override it).
        #[arg(long, env = "HUB_CONFIG_FILE")]
        config: Option<PathBuf>,
    },
    /// Configuration tools.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Print the OpenAPI document.
    Openapi,
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Validate the settings and print them with secrets redacted (exit 2 when invalid).
    Check {
        /// A TOML settings file (environment variables override it).
        #[arg(long, env = "HUB_CONFIG_FILE")]
        config: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Openapi => {
            let (_, doc) = hub::routes::api();
            match serde_json::to_string_pretty(&doc) {
                Ok(text) => {
                    println!("{text}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("hub: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Config {
            command: ConfigCommand::Check { config },
        } => match hub::config::Settings::from_env(config.as_deref()) {
            Ok(settings) => {
                println!("{settings}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("hub: invalid configuration: {e}");
                ExitCode::from(2)
            }
        },
        Command::Serve {
            listen,
            sandbox,
            config,
        } => {
            let mut settings = match hub::config::Settings::from_env(config.as_deref()) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("hub: invalid configuration: {e}");
                    return ExitCode::from(2);
                }
            };
            if let Some(listen) = listen {
                settings.listen = listen;
            }
            hub::telemetry::init_logs(settings.log_json);
            let mut builder = tokio::runtime::Builder::new_multi_thread();
            if let Some(n) = std::env::var("HUB_RUNTIME_THREADS")
                .ok()
                .and_then(|v| v.trim().parse::<usize>().ok())
                .filter(|n| (1..=256).contains(n))
            {
                builder.worker_threads(n);
            }
            let runtime = match builder.enable_all().build() {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("hub: cannot start the runtime: {e}");
                    return ExitCode::FAILURE;
                }
            };
            match runtime.block_on(serve(settings, sandbox)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("hub: {e:#}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

async fn serve(settings: hub::config::Settings, sandbox: bool) -> anyhow::Result<()> {
    let (settings, simulators) = if sandbox {
        let (s, sb) = hub::sandbox::prepare(settings).await?;
        (s, Some(sb))
    } else {
        (settings, None)
    };
    let header = settings.auth.proxy_secret_header.clone();
    let mut app = hub::Application::build(settings).await?;
    if let Some(sb) = &simulators {
        app = app
            .with_sandbox_olts(sb.olts.clone())
            .with_sandbox_mail(sb.mail.clone());
    }
    let addr = app.local_addr()?;
    match &simulators {
        Some(sb) => {
            // A closed stdout (a pipe whose reader left) must not stop the hub.
            use std::io::Write as _;
            let mut out = std::io::stdout();
            let _ = writeln!(out, "{}", hub::sandbox::instructions(addr, sb, &header));
            let _ = out.flush();
        }
        None => tracing::info!(%addr, "hub listening"),
    }
    app.run_until(hub::shutdown_signal()).await
}
