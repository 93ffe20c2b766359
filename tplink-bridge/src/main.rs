//! `tplink-bridge serve` — the bridge service; `tplink-bridge emulate` — a TP-Link router
//! emulator (PROTOCOL §9) for tests and sandboxes.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tplink_bridge::emulator::{Account, Emulator, EmulatorConfig, Role};
use tplink_bridge::service::{Bridge, BridgeConfig};

/// TP-Link ISP routers: the bridge service and an emulator.
#[derive(Debug, Parser)]
#[command(name = "tplink-bridge", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the JSON REST API in front of the routers.
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:3301")]
        listen: SocketAddr,
        /// TOML configuration (credentials per host or network, default, token).
        #[arg(long, env = "TPLINK_BRIDGE_CONFIG")]
        config: Option<PathBuf>,
        /// Bearer token the callers must send (overrides the file's).
        #[arg(long, env = "TPLINK_BRIDGE_TOKEN", hide_env_values = true)]
        token: Option<String>,
    },
    /// Run a router emulator until killed; prints its address.
    Emulate {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:0")]
        listen: SocketAddr,
        /// The web account.
        #[arg(long, default_value = "user")]
        user: String,
        /// Its password.
        #[arg(long, env = "TPLINK_EMULATOR_PASSWORD", hide_env_values = true)]
        password: String,
        /// Crypto variant.
        #[arg(long, default_value = "cbc")]
        crypto: String,
        /// Seed for the emulator's random choices (session ids, tokens).
        #[arg(long)]
        seed: Option<u64>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .json()
        .try_init();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tplink-bridge: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tplink-bridge: {e}");
            ExitCode::from(2)
        }
    }
}

async fn run(command: Command) -> Result<(), String> {
    match command {
        Command::Serve {
            listen,
            config,
            token,
        } => {
            let mut cfg = match config {
                Some(path) => {
                    let text = std::fs::read_to_string(&path)
                        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                    BridgeConfig::from_toml(&text).map_err(|e| e.to_string())?
                }
                None => BridgeConfig::default(),
            };
            if let Some(t) = token.filter(|t| !t.is_empty()) {
                cfg.token = Some(t.into());
            }
            let bridge = Bridge::new(cfg).map_err(|e| e.to_string())?;
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
            let addr = listener.local_addr().map_err(|e| e.to_string())?;
            println!("http://{addr}");
            tracing::info!(%addr, "tplink-bridge serving");
            axum::serve(listener, bridge.routes())
                .with_graceful_shutdown(gigafibre_client_core::shutdown_signal())
                .await
                .map_err(|e| e.to_string())?;
            bridge.shutdown().await;
            Ok(())
        }
        Command::Emulate {
            listen,
            user,
            password,
            crypto,
            seed,
        } => {
            let variant = crypto
                .parse()
                .map_err(|e: tplink_bridge::crypto::CryptoError| e.to_string())?;
            let config = EmulatorConfig {
                variant,
                accounts: vec![Account::new(user, password, Role::User)],
                seed,
                ..EmulatorConfig::default()
            };
            let emu = Emulator::start_on(config, listen)
                .await
                .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
            println!("{}", emu.url());
            gigafibre_client_core::shutdown_signal().await;
            emu.shutdown();
            Ok(())
        }
    }
}
