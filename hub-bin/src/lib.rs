#![doc = include_str!("../README.md")]

pub mod auth;
pub mod bus;
pub mod config;
pub mod diagnostic;
pub mod dispatch;
pub mod erpnext;
pub mod error;
pub mod geo;
pub mod invites;
pub mod olt;
pub mod routes;
pub mod sandbox;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod tplink;
pub mod upstream;
pub mod worker;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware::{from_fn, from_fn_with_state};
use secrecy::ExposeSecret;
use tokio::net::TcpListener;
use tokio::sync::{Mutex, Notify, watch};
use tokio::task::JoinHandle;

use crate::auth::RouteTable;
use crate::bus::Bus;
use crate::config::Settings;
use crate::error::AppError;
use crate::state::{AppState, ReadinessCache};
use crate::store::{Backend, Store};

/// How long a graceful shutdown waits for open connections.
pub const DRAIN: Duration = Duration::from_secs(10);

/// The largest request body outside the webhook routes (which have their own limit).
pub const BODY_LIMIT: usize = 1024 * 1024;

/// The router over a state: every route, the auth and metrics layers, a JSON 404.
pub fn app(state: AppState) -> Router {
    let (router, _) = routes::api();
    router
        .route_layer(from_fn_with_state(state.clone(), auth::enforce))
        .route_layer(from_fn(routes::track))
        .fallback(|| async { AppError::not_found("no such route") })
        .layer(axum::middleware::map_response(routes::json_errors))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
}

/// The Gemini client of the `/vision/*` routes.
fn vision_client(g: &config::GeminiSettings) -> anyhow::Result<gemini_vision::Client> {
    gemini_vision::Client::builder(&g.url)
        .api_key(g.api_key.clone())
        .model(g.model.clone())
        .deadline(g.deadline)
        .downscale(if g.max_side == 0 {
            gemini_vision::Downscale::off()
        } else {
            gemini_vision::Downscale::default().with_max_side(g.max_side)
        })
        .build()
        .map_err(|e| anyhow::anyhow!("GEMINI: {e}"))
}

/// Builds the shared state: connects the store (running migrations), the bus and the ERPNext
/// client. Nothing runs yet.
pub async fn build_state(
    settings: Settings,
    shutdown: watch::Receiver<bool>,
) -> anyhow::Result<AppState> {
    let store = Store::connect(&settings.database).await?;
    let bus = Bus::new(store.clone(), settings.sse.queue).await?;
    let frappe = match &settings.frappe {
        None => None,
        Some(f) => Some(
            frappe_client::Client::builder(&f.url)
                .token(f.api_key.clone(), f.api_secret.expose_secret().to_owned())
                .timeouts(
                    frappe_client::TimeoutConfig::standard()
                        .with_attempt(f.timeout)
                        .with_total(settings.workers.lease / 2),
                )
                .build()?,
        ),
    };
    let genieacs = match &settings.genieacs {
        None => None,
        Some(g) => {
            let mut b = genieacs_client::Client::builder(&g.url).timeout(g.timeout);
            b = match &g.auth {
                config::GenieacsAuth::None => b,
                config::GenieacsAuth::Basic(user, password) => {
                    b.basic(user.clone(), password.expose_secret().to_owned())
                }
                config::GenieacsAuth::Bearer(token) => b.bearer(token.expose_secret().to_owned()),
            };
            Some(b.build()?)
        }
    };
    let tplink = settings
        .tplink
        .as_ref()
        .map(tplink::RouterReader::new)
        .transpose()?;
    let olts = olt::Fleet::new(&settings.olt)?;
    let traccar = match &settings.traccar {
        None => None,
        Some(t) => {
            let b = traccar_client::Client::builder(&t.url).timeout(t.timeout);
            let b = match &t.auth {
                config::TraccarAuth::Bearer(token) => b.bearer(token.clone()),
                config::TraccarAuth::Session(user, password) => {
                    b.session(user.clone(), password.clone())
                }
            };
            Some(b.build()?)
        }
    };
    let invites = invites::Invites::from_settings(&settings)?.map(Arc::new);
    let vision = settings.gemini.as_ref().map(vision_client).transpose()?;
    let (_, doc) = routes::api();
    let routes = RouteTable::from_openapi(&doc).map_err(anyhow::Error::msg)?;
    Ok(AppState {
        settings: Arc::new(settings),
        store,
        bus,
        frappe,
        genieacs,
        tplink,
        olts,
        traccar,
        invites,
        vision,
        sandbox_mail: None,
        sandbox_olts: None,
        instance: Arc::from(format!(
            "hub-{}-{}",
            std::process::id(),
            sandbox::random_hex(6)
        )),
        routes: Arc::new(routes),
        openapi: Arc::new(doc),
        metrics: telemetry::metrics_handle(),
        inbox_wake: Arc::new(Notify::new()),
        outbox_wake: Arc::new(Notify::new()),
        invite_changed: Arc::new(Notify::new()),
        readiness: Arc::new(Mutex::new(ReadinessCache::default())),
        shutdown,
    })
}

/// The hub, bound to its address, with its background tasks not yet started.
#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    state: AppState,
    shutdown: watch::Sender<bool>,
}

/// A hub running in the background (tests, the sandbox).
#[derive(Debug)]
pub struct Running {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its state (store, bus, ...).
    pub state: AppState,
    shutdown: watch::Sender<bool>,
    server: JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// `http://127.0.0.1:port`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Shuts down gracefully (SSE streams end, workers stop) and waits.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        let _ = tokio::time::timeout(Duration::from_secs(10), self.server).await;
    }
}

impl Application {
    /// Connects the store and binds `settings.listen`.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let (shutdown, rx) = watch::channel(false);
        let listener = TcpListener::bind(settings.listen).await?;
        let state = build_state(settings, rx).await?;
        Ok(Self {
            listener,
            state,
            shutdown,
        })
    }

    /// Hands the sandbox's fake OLTs to `/sandbox/olts/...` (`serve --sandbox`).
    pub fn with_sandbox_olts(mut self, olts: Arc<sandbox::olts::SandboxOlts>) -> Self {
        self.state.sandbox_olts = Some(olts);
        self
    }

    /// Hands the sandbox's SMTP sink to `/sandbox/mail` (`serve --sandbox`).
    pub fn with_sandbox_mail(mut self, mail: Arc<sandbox::mail::MailSink>) -> Self {
        self.state.sandbox_mail = Some(mail);
        self
    }

    /// The bound address (the port when `:0` was asked).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The state.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    fn start_tasks(state: &AppState) -> Vec<JoinHandle<()>> {
        let s = &state.settings;
        let rx = || state.shutdown.clone();
        let mut tasks = vec![
            tokio::spawn(state.bus.clone().run(s.sse.dispatch_fallback, rx())),
            tokio::spawn(state.bus.clone().retain(
                s.sse.retention_age,
                s.sse.retention_count,
                rx(),
            )),
        ];
        if state.store.backend() == Backend::Postgres
            && let Some(url) = state.store.postgres_url()
        {
            tasks.push(tokio::spawn(
                state.bus.clone().listen_postgres(url.to_owned(), rx()),
            ));
        }
        for _ in 0..s.workers.workers {
            tasks.push(tokio::spawn(worker::run_inbox(state.clone(), rx())));
            tasks.push(tokio::spawn(worker::run_outbox(state.clone(), rx())));
        }
        if let Some(fleet) = &state.olts {
            for i in 0..fleet.olts().len() {
                tasks.push(tokio::spawn(olt::poller::run_olt(
                    state.clone(),
                    fleet.clone(),
                    i,
                    rx(),
                )));
            }
        }
        if state.traccar.is_some() {
            tasks.push(tokio::spawn(dispatch::run_live(state.clone(), rx())));
        }
        let poll = s.frappe_webhooks.poll_interval;
        if state.frappe.is_some() && !poll.is_zero() {
            tasks.push(tokio::spawn(erpnext::run_poll(state.clone(), poll, rx())));
        }
        tasks
    }

    /// Serves until `signal` completes, then shuts down gracefully: open SSE streams end, the
    /// workers finish the message in hand, and the server drains.
    pub async fn run_until(
        self,
        signal: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let tasks = Self::start_tasks(&self.state);
        let shutdown = self.shutdown;
        let mut stopped = self.state.shutdown.clone();
        let router = app(self.state.clone());
        tokio::spawn(async move {
            signal.await;
            let _ = shutdown.send(true);
        });
        let mut deadline = self.state.shutdown.clone();
        let serve = axum::serve(
            self.listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            let _ = stopped.wait_for(|s| *s).await;
        });
        // Draining is bounded: 10 s after the signal, whatever is still open is cut.
        tokio::select! {
            res = serve => res?,
            () = async move {
                let _ = deadline.wait_for(|s| *s).await;
                tokio::time::sleep(DRAIN).await;
            } => tracing::warn!("connections still open after the drain period; closing them"),
        }
        for t in tasks {
            let _ = tokio::time::timeout(Duration::from_secs(5), t).await;
        }
        self.state.log_out_routers().await;
        Ok(())
    }

    /// Serves in the background (tests).
    pub fn spawn(self) -> anyhow::Result<Running> {
        let addr = self.listener.local_addr()?;
        let state = self.state.clone();
        let shutdown = self.shutdown.clone();
        let tasks = Self::start_tasks(&self.state);
        let router = app(self.state.clone());
        let mut stopped = self.state.shutdown.clone();
        let listener = self.listener;
        let routers = self.state;
        let server = tokio::spawn(async move {
            let res = axum::serve(
                listener,
                router.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(async move {
                let _ = stopped.wait_for(|s| *s).await;
            })
            .await;
            for t in tasks {
                let _ = tokio::time::timeout(Duration::from_secs(5), t).await;
            }
            routers.log_out_routers().await;
            res
        });
        Ok(Running {
            addr,
            state,
            shutdown,
            server,
        })
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    gigafibre_client_core::shutdown_signal().await;
    tracing::info!("shutting down");
}
