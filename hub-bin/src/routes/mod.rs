//! The router: one module per area, each route documented in OpenAPI with the capability it
//! needs (`security`), which [`crate::auth::enforce`] enforces.

pub mod admin;
pub mod device_actions;
pub mod devices;
pub mod events;
pub mod health;
pub mod invites;
pub mod olts;
pub mod traccar;
pub mod vision;
pub mod webhooks;

use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{STAFF_SCHEME, TOKEN_SCHEME};
use crate::error::AppError;
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Gigafibre hub (msg)",
        description = "The gateway between Gigafibre's staff app, field technicians and every outside system. Each operation's `security` names the capability it needs: `staff` (authentik ForwardAuth through Traefik) or `service_token` (a bearer token), with the capability as the scope; an empty requirement means public.",
    ),
    modifiers(&Schemes),
)]
struct ApiDoc;

struct Schemes;

impl Modify for Schemes {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            STAFF_SCHEME,
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-Authentik-Email",
                "Staff identity from authentik ForwardAuth, trusted only through the proxy; capabilities come from X-Authentik-Groups",
            ))),
        );
        components.add_security_scheme(
            TOKEN_SCHEME,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A service token for scripts and n8n"))
                    .build(),
            ),
        );
    }
}

/// Every route, and the OpenAPI document describing them.
pub fn api() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .routes(routes!(health::metrics))
        .routes(routes!(health::openapi))
        .routes(routes!(admin::whoami))
        .routes(routes!(admin::dead_letters))
        .routes(routes!(admin::replay))
        .routes(routes!(devices::lookup))
        .routes(routes!(device_actions::refresh))
        .routes(routes!(device_actions::reboot))
        .routes(routes!(device_actions::set_wifi))
        .routes(routes!(olts::list))
        .routes(routes!(olts::port))
        .routes(routes!(olts::sandbox_port))
        .routes(routes!(traccar::devices))
        .routes(routes!(traccar::latest_positions))
        .routes(routes!(traccar::eta))
        .routes(routes!(invites::invite))
        .routes(routes!(invites::list_invites))
        .routes(routes!(invites::get_invite))
        .routes(routes!(invites::resume))
        .routes(routes!(invites::sandbox_mail))
        .routes(routes!(vision::barcodes))
        .routes(routes!(vision::equipment))
        .routes(routes!(vision::invoice))
        .routes(routes!(events::events))
        .routes(routes!(webhooks::frappe))
        .split_for_parts()
}

/// Records each request's latency under its route template.
pub async fn track(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = req.method().to_string();
    let response = next.run(req).await;
    metrics::histogram!(
        "hub_http_request_duration_seconds",
        "method" => method,
        "route" => route,
        "status" => response.status().as_u16().to_string(),
    )
    .record(started.elapsed().as_secs_f64());
    response
}

/// A query string's pairs, each name checked against `known` (an unknown parameter is a 400
/// naming it: a typo is not silently ignored). Repeated names are kept.
pub fn query_params(raw: Option<&str>, known: &[&str]) -> Result<Vec<(String, String)>, AppError> {
    url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .map(|(k, v)| {
            if known.contains(&k.as_ref()) {
                Ok((k.into_owned(), v.into_owned()))
            } else {
                Err(AppError::invalid(
                    &k,
                    format!("unknown parameter {k:?} (expected {})", known.join(", ")),
                ))
            }
        })
        .collect()
}

/// Turns the framework's own error answers (a 405 with no body, a plain-text path or body
/// rejection) into the hub's JSON error shape, so every 4xx/5xx a caller sees is JSON.
pub async fn json_errors(response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json") || v.starts_with("text/event-stream"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let body = axum::body::to_bytes(response.into_body(), 16 * 1024)
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&body).trim().to_owned();
    let (code, fallback) = match status.as_u16() {
        400 | 415 | 422 => ("invalid_input", "the request is malformed"),
        404 => ("not_found", "no such route"),
        405 => ("method_not_allowed", "this route does not take that method"),
        413 => ("payload_too_large", "the request body is too large"),
        _ => ("error", "the request failed"),
    };
    let message = if text.is_empty() {
        fallback.to_owned()
    } else {
        text
    };
    use axum::response::IntoResponse;
    AppError::new(status, code, message).into_response()
}
