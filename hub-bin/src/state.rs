//! [`AppState`]: what every handler can reach. Cheap to clone.

use std::sync::Arc;
use std::time::{Duration, Instant};

use metrics_exporter_prometheus::PrometheusHandle;
use tokio::sync::{Mutex, Notify, watch};

use crate::auth::RouteTable;
use crate::bus::Bus;
use crate::config::Settings;
use crate::error::AppError;
use crate::store::Store;

/// ERPNext's readiness, remembered for a few seconds so that `/readyz` probes do not hammer it.
#[derive(Debug, Default)]
pub struct ReadinessCache {
    /// When ERPNext was last checked, and what it said (`Err` holds the reason).
    pub frappe: Option<(Instant, Result<String, String>)>,
    /// The same for GenieACS.
    pub genieacs: Option<(Instant, Result<String, String>)>,
    /// The same for the TP-Link bridge.
    pub tplink: Option<(Instant, Result<String, String>)>,
    /// The same for the invite flow (authentik and the SMTP relay).
    pub invites: Option<(Instant, Result<String, String>)>,
    /// The same for Gemini (the key and the model).
    pub vision: Option<(Instant, Result<String, String>)>,
}

/// How long a readiness answer is reused.
pub const READINESS_TTL: Duration = Duration::from_secs(10);

/// The hub's shared state.
#[derive(Clone)]
pub struct AppState {
    /// The settings it started with.
    pub settings: Arc<Settings>,
    /// The store.
    pub store: Store,
    /// The SSE bus.
    pub bus: Bus,
    /// ERPNext, when configured.
    pub frappe: Option<frappe_client::Client>,
    /// GenieACS, when configured.
    pub genieacs: Option<genieacs_client::Client>,
    /// TP-Link routers' own view, when configured.
    pub tplink: Option<crate::tplink::RouterReader>,
    /// The configured OLTs.
    pub olts: Option<crate::olt::Fleet>,
    /// Traccar, when configured.
    pub traccar: Option<traccar_client::Client>,
    /// Gemini, for the `/vision/*` readings, when configured.
    pub vision: Option<gemini_vision::Client>,
    /// The staff invite flow, when authentik and SMTP are configured.
    pub invites: Option<Arc<crate::invites::Invites>>,
    /// The sandbox's SMTP sink (`hub serve --sandbox` only), which `/sandbox/mail` lists.
    pub sandbox_mail: Option<Arc<crate::sandbox::mail::MailSink>>,
    /// The sandbox's fake OLTs (`hub serve --sandbox` only), which `/sandbox/olts/...` drives.
    pub sandbox_olts: Option<Arc<crate::sandbox::olts::SandboxOlts>>,
    /// This instance's name (`hub-<pid>-<random>`): the holder of the leases it takes.
    pub instance: Arc<str>,
    /// What each route requires (from the OpenAPI document).
    pub routes: Arc<RouteTable>,
    /// The OpenAPI document.
    pub openapi: Arc<utoipa::openapi::OpenApi>,
    /// The Prometheus recorder.
    pub metrics: PrometheusHandle,
    /// Wakes the inbox workers when a webhook arrives.
    pub inbox_wake: Arc<Notify>,
    /// Wakes the outbox workers when a write is queued.
    pub outbox_wake: Arc<Notify>,
    /// Wakes the requests waiting for an invite when one of its steps ends (this instance).
    pub invite_changed: Arc<Notify>,
    /// Cached upstream readiness.
    pub readiness: Arc<Mutex<ReadinessCache>>,
    /// Turns true when the hub shuts down (SSE streams end, workers stop).
    pub shutdown: watch::Receiver<bool>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("store", &self.store.backend())
            .field("bus", &self.bus)
            .field("frappe", &self.frappe.is_some())
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// Logs out of every router the hub holds a session on (at shutdown; bounded to 5 s).
    pub async fn log_out_routers(&self) {
        if let Some(reader) = &self.tplink {
            let _ = tokio::time::timeout(Duration::from_secs(5), reader.shutdown()).await;
        }
    }

    /// The GenieACS client, or the 503 that says what to configure.
    pub fn genieacs(&self) -> Result<&genieacs_client::Client, AppError> {
        self.genieacs
            .as_ref()
            .ok_or_else(|| AppError::not_configured("genieacs", &["GENIEACS_URL"]))
    }

    /// The Traccar client, or the 503 that says what to configure.
    pub fn traccar(&self) -> Result<&traccar_client::Client, AppError> {
        self.traccar
            .as_ref()
            .ok_or_else(|| AppError::not_configured("traccar", &["TRACCAR_URL", "TRACCAR_TOKEN"]))
    }

    /// The invite flow, or the 503 that says what to configure.
    pub fn invites(&self) -> Result<&crate::invites::Invites, AppError> {
        self.invites.as_deref().ok_or_else(|| {
            AppError::not_configured(
                "invites",
                &["AUTHENTIK_URL", "AUTHENTIK_TOKEN", "SMTP_HOST", "SMTP_FROM"],
            )
        })
    }

    /// The ERPNext client, or the 503 that says what to configure.
    pub fn frappe(&self) -> Result<&frappe_client::Client, AppError> {
        self.frappe.as_ref().ok_or_else(|| {
            AppError::not_configured(
                "erpnext",
                &["FRAPPE_URL", "FRAPPE_API_KEY", "FRAPPE_API_SECRET"],
            )
        })
    }
}
