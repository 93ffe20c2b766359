//! Staff invites (capability `users:invite`): `POST /auth/users` starts one (see
//! [`crate::invites`]), `GET /auth/invites[/{id}]` shows their progress, `POST
//! /auth/invites/{id}/resume` puts a dead-lettered step back in the outbox. `GET /sandbox/mail`
//! lists what the sandbox's SMTP sink received.

use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use lettre::Address;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{Caller, Identity};
use crate::config::Language;
use crate::error::AppError;
use crate::invites::queue_step;
use crate::sandbox::mail::SunkMail;
use crate::state::AppState;
use crate::store::{Invite, InviteStatus, InviteStep, NewInvite};

/// Whom to invite.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteRequest {
    /// Their e-mail address (the invite's idempotency key, compared in lower case).
    pub email: String,
    /// Their full name (`Jeanne Tremblay`).
    pub name: String,
    /// The mail's language, `fr` or `en` (default: `INVITE_LANGUAGE`).
    #[serde(default)]
    pub language: Option<String>,
}

/// The authentik step's result.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuthentikStep {
    /// Done.
    pub done: bool,
    /// The username given.
    pub username: Option<String>,
    /// The user's pk.
    pub pk: Option<i64>,
}

/// The ERPNext step's result.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErpnextStep {
    /// Done.
    pub done: bool,
    /// The User's name (the address).
    pub user: Option<String>,
}

/// The mail step's result.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MailStep {
    /// Done.
    pub done: bool,
    /// When the relay accepted it (ms since the epoch).
    pub sent_at: Option<i64>,
}

/// Each step's result.
#[derive(Debug, Serialize, ToSchema)]
pub struct InviteSteps {
    /// The authentik user, its groups and password.
    pub authentik: AuthentikStep,
    /// The ERPNext User.
    pub erpnext: ErpnextStep,
    /// The mail.
    pub mail: MailStep,
}

/// An invite's progress. The temporary password is answered once: to the request that created
/// the invite.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InviteView {
    /// `inv-` and 16 hex digits.
    pub id: String,
    /// The address (lower case).
    pub email: String,
    /// The person's name.
    pub name: String,
    /// `fr` or `en`.
    pub language: String,
    /// `pending`, `complete` or `failed`.
    pub status: InviteStatus,
    /// The next step (`done` when complete).
    pub step: InviteStep,
    /// Each step's result.
    pub steps: InviteSteps,
    /// The last failure of a step (the step is tried again, or resumable when `failed`).
    pub last_error: Option<String>,
    /// Who asked.
    pub requested_by: String,
    /// When (ms since the epoch).
    pub created_at: i64,
    /// When it last changed (ms).
    pub updated_at: i64,
    /// `true` when this request found an invite for the address already (nothing new was
    /// started; the password is not shown again).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub existing: bool,
    /// The temporary password, on the request that created the invite only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temporary_password: Option<String>,
}

impl InviteView {
    fn of(i: Invite) -> Self {
        Self {
            steps: InviteSteps {
                authentik: AuthentikStep {
                    done: i.step > InviteStep::Authentik,
                    username: i.username,
                    pk: i.authentik_pk,
                },
                erpnext: ErpnextStep {
                    done: i.step > InviteStep::Erpnext,
                    user: i.erpnext_user,
                },
                mail: MailStep {
                    done: i.step > InviteStep::Mail,
                    sent_at: i.mail_sent_at,
                },
            },
            id: i.id,
            email: i.email,
            name: i.full_name,
            language: i.language,
            status: i.status,
            step: i.step,
            last_error: i.last_error,
            requested_by: i.requested_by,
            created_at: i.created_at,
            updated_at: i.updated_at,
            existing: false,
            temporary_password: None,
        }
    }
}

fn who(caller: &Identity) -> String {
    match caller {
        Identity::Staff { username, .. } => username.clone(),
        Identity::Service { name, .. } => format!("service:{name}"),
    }
}

/// The address, checked and in lower case.
fn checked_email(raw: &str) -> Result<String, AppError> {
    let email = raw.trim().to_lowercase();
    if email.len() > 254 {
        return Err(AppError::invalid(
            "email",
            "an address is at most 254 characters",
        ));
    }
    email.parse::<Address>().map_err(|_| {
        AppError::invalid(
            "email",
            format!("{:?} is not an e-mail address", raw.trim()),
        )
    })?;
    Ok(email)
}

fn checked_name(raw: &str) -> Result<String, AppError> {
    let name = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        return Err(AppError::invalid("name", "the name is empty"));
    }
    if name.chars().count() > 140
        || name
            .chars()
            .any(|c| c.is_control() || matches!(c, '<' | '>'))
    {
        return Err(AppError::invalid(
            "name",
            "a name is at most 140 characters, without control characters or angle brackets",
        ));
    }
    Ok(name)
}

/// Waits (at most `wait`) for the invite to be complete or failed: woken when a step ends on
/// this instance, and looking again every 250 ms for steps another instance ran.
async fn settled(state: &AppState, id: &str, wait: Duration) -> Result<Invite, AppError> {
    let until = Instant::now() + wait;
    loop {
        let changed = state.invite_changed.notified();
        let invite = state
            .store
            .invite(id)
            .await
            .map_err(AppError::internal)?
            .ok_or_else(|| AppError::not_found(format!("no invite {id}")))?;
        let left = until.saturating_duration_since(Instant::now());
        if invite.status != InviteStatus::Pending || left.is_zero() {
            return Ok(invite);
        }
        tokio::select! {
            () = changed => {}
            () = tokio::time::sleep(left.min(Duration::from_millis(250))) => {}
        }
    }
}

fn answer(status: StatusCode, view: InviteView) -> Response {
    let location = HeaderValue::from_str(&format!("/auth/invites/{}", view.id)).ok();
    let mut response = (status, Json(view)).into_response();
    if let Some(l) = location {
        response.headers_mut().insert(header::LOCATION, l);
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Invites a staff member: the authentik user (staff groups, temporary password), the ERPNext
/// User with its authentik social login, then the mail with the temporary password — each an
/// outbox step, resumed where it failed. Inviting an address again answers its invite (200,
/// `existing: true`), never a second user.
#[utoipa::path(post, path = "/auth/users", tag = "auth",
    security(("staff" = ["users:invite"]), ("service_token" = ["users:invite"])),
    request_body = InviteRequest,
    responses(
        (status = 201, description = "Invited: every step done; the temporary password is shown this once", body = InviteView),
        (status = 202, description = "Started; steps remain (they resume in the background; see Location). The temporary password is shown this once", body = InviteView),
        (status = 200, description = "The address was invited before: that invite's progress", body = InviteView),
        (status = 400, description = "Not an address, no name, an unknown language or field"),
        (status = 503, description = "authentik, SMTP or ERPNext is not configured"),
    ))]
pub async fn invite(
    State(state): State<AppState>,
    Caller(caller): Caller,
    body: Result<Json<InviteRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, AppError> {
    let Json(body) = body.map_err(|e| {
        AppError::invalid(
            "body",
            match e {
                axum::extract::rejection::JsonRejection::MissingJsonContentType(_) => {
                    "send the invite as application/json".to_owned()
                }
                e => format!(
                    "the body is {{\"email\", \"name\", \"language\"?}}: {}",
                    e.body_text()
                ),
            },
        )
    })?;
    let email = checked_email(&body.email)?;
    let name = checked_name(&body.name)?;
    let invites = state.invites()?;
    state.frappe()?;
    let language = match &body.language {
        None => invites.settings().language,
        Some(l) => Language::parse(l)
            .ok_or_else(|| AppError::invalid("language", "the language is fr or en"))?,
    };
    let id = format!("inv-{}", crate::sandbox::random_hex(8));
    let password = authentik_admin::temporary_password().map_err(AppError::internal)?;
    let sealed = invites.seal(&id, &password).map_err(AppError::internal)?;
    let new = NewInvite {
        id,
        email_key: email.clone(),
        email,
        full_name: name,
        language: language.as_str().to_owned(),
        requested_by: who(&caller),
        sealed_password: sealed,
    };
    let (invite, created) = state
        .store
        .create_invite(&new)
        .await
        .map_err(AppError::internal)?;
    if !created {
        let mut view = InviteView::of(invite);
        view.existing = true;
        return Ok(answer(StatusCode::OK, view));
    }
    tracing::info!(invite = %invite.id, by = %new.requested_by, "staff invite started");
    queue_step(&state, &invite.id, InviteStep::Authentik)
        .await
        .map_err(|(_, e)| AppError::internal(e))?;
    let invite = settled(&state, &invite.id, invites.settings().wait).await?;
    let status = if invite.status == InviteStatus::Complete {
        StatusCode::CREATED
    } else {
        StatusCode::ACCEPTED
    };
    let mut view = InviteView::of(invite);
    view.temporary_password = Some(password.expose_secret().to_owned());
    Ok(answer(status, view))
}

/// One invite's progress (never its password).
#[utoipa::path(get, path = "/auth/invites/{id}", tag = "auth",
    security(("staff" = ["users:invite"]), ("service_token" = ["users:invite"])),
    params(("id" = String, Path, description = "The invite's id (inv-...)")),
    responses(
        (status = 200, description = "Its progress", body = InviteView),
        (status = 404, description = "No such invite"),
    ))]
pub async fn get_invite(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let invite = find(&state, &id).await?;
    Ok(answer(StatusCode::OK, InviteView::of(invite)))
}

async fn find(state: &AppState, id: &str) -> Result<Invite, AppError> {
    if !id.starts_with("inv-") || id.len() > 40 {
        return Err(AppError::invalid(
            "id",
            "an invite id is inv- and 16 hex digits",
        ));
    }
    state
        .store
        .invite(id)
        .await
        .map_err(AppError::internal)?
        .ok_or_else(|| AppError::not_found(format!("no invite {id}")))
}

/// The newest invites (at most 100), newest first.
#[utoipa::path(get, path = "/auth/invites", tag = "auth",
    security(("staff" = ["users:invite"]), ("service_token" = ["users:invite"])),
    responses((status = 200, description = "The newest invites", body = [InviteView])))]
pub async fn list_invites(
    State(state): State<AppState>,
) -> Result<Json<Vec<InviteView>>, AppError> {
    let all = state.store.invites(100).await.map_err(AppError::internal)?;
    Ok(Json(all.into_iter().map(InviteView::of).collect()))
}

/// Puts a failed invite's dead-lettered step back in the outbox (after fixing its cause: a
/// missing staff group, a refused address, ...).
#[utoipa::path(post, path = "/auth/invites/{id}/resume", tag = "auth",
    security(("staff" = ["users:invite"]), ("service_token" = ["users:invite"])),
    params(("id" = String, Path, description = "The invite's id (inv-...)")),
    responses(
        (status = 202, description = "The step is queued again", body = InviteView),
        (status = 404, description = "No such invite"),
        (status = 409, description = "The invite is not failed (pending or complete)"),
    ))]
pub async fn resume(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let invite = find(&state, &id).await?;
    if invite.status != InviteStatus::Failed {
        return Err(AppError::new(
            StatusCode::CONFLICT,
            "not_failed",
            format!(
                "invite {id} is {}, not failed",
                match invite.status {
                    InviteStatus::Pending => "pending",
                    InviteStatus::Complete => "complete",
                    InviteStatus::Failed => "failed",
                }
            ),
        ));
    }
    let outbox = state.store.outbox();
    if let Some(source) = invite.step.outbox_source()
        && let Some(row) = outbox.find(source, &id).await.map_err(AppError::internal)?
    {
        outbox.replay(row).await.map_err(AppError::internal)?;
    }
    state
        .store
        .invite_resumed(&id)
        .await
        .map_err(AppError::internal)?;
    state.outbox_wake.notify_one();
    let invite = find(&state, &id).await?;
    Ok(answer(StatusCode::ACCEPTED, InviteView::of(invite)))
}

/// Sandbox only: the messages the SMTP sink received, oldest first.
#[utoipa::path(get, path = "/sandbox/mail", tag = "auth",
    security(("staff" = ["admin"]), ("service_token" = ["admin"])),
    responses(
        (status = 200, description = "The messages", body = [SunkMail]),
        (status = 404, description = "Not a sandbox"),
    ))]
pub async fn sandbox_mail(State(state): State<AppState>) -> Result<Json<Vec<SunkMail>>, AppError> {
    let sink = state.sandbox_mail.as_ref().ok_or_else(|| {
        AppError::not_found("only the sandbox (hub serve --sandbox) has this route")
    })?;
    Ok(Json(sink.messages()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_checked_and_lowered() {
        assert_eq!(
            checked_email(" Jeanne.Tremblay@Gigafibre.CA ").expect("valid"),
            "jeanne.tremblay@gigafibre.ca"
        );
        for bad in ["", "jeanne", "a@", "@b.c", "a b@c.d", "a@b@c"] {
            assert!(checked_email(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn names_are_trimmed_and_checked() {
        assert_eq!(
            checked_name("  Jeanne   Tremblay ").expect("valid"),
            "Jeanne Tremblay"
        );
        assert!(checked_name("   ").is_err());
        assert!(checked_name("Eve <eve@x>").is_err());
        assert!(checked_name(&"x".repeat(141)).is_err());
    }
}
