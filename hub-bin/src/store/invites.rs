//! Staff invites: one row per invited e-mail address (its idempotency key), the step reached,
//! what each step made (the authentik user, the ERPNext user, the mail), and the temporary
//! password sealed until the invite is complete.

use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Store, StoreResult, now_ms};

/// Where an invite stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum InviteStatus {
    /// Steps remain; they run (or wait for their next attempt) in the outbox.
    Pending,
    /// Every step is done.
    Complete,
    /// A step was dead-lettered; `POST /auth/invites/{id}/resume` tries it again.
    Failed,
}

impl InviteStatus {
    fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Complete => "complete",
            Self::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "complete" => Self::Complete,
            "failed" => Self::Failed,
            _ => Self::Pending,
        }
    }
}

/// The next step of an invite (in order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum InviteStep {
    /// Create the authentik user, join the staff groups, set the temporary password.
    Authentik,
    /// Create the ERPNext User with its authentik social login.
    Erpnext,
    /// Mail the temporary password.
    Mail,
    /// Nothing left.
    Done,
}

impl InviteStep {
    /// `authentik`, `erpnext`, `mail`, `done`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Authentik => "authentik",
            Self::Erpnext => "erpnext",
            Self::Mail => "mail",
            Self::Done => "done",
        }
    }

    /// The step's outbox kind (`invite.authentik`, ...); `None` for `Done`.
    pub fn outbox_source(self) -> Option<&'static str> {
        match self {
            Self::Authentik => Some("invite.authentik"),
            Self::Erpnext => Some("invite.erpnext"),
            Self::Mail => Some("invite.mail"),
            Self::Done => None,
        }
    }

    /// The step of an outbox kind.
    pub fn from_outbox_source(source: &str) -> Option<Self> {
        match source {
            "invite.authentik" => Some(Self::Authentik),
            "invite.erpnext" => Some(Self::Erpnext),
            "invite.mail" => Some(Self::Mail),
            _ => None,
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "erpnext" => Self::Erpnext,
            "mail" => Self::Mail,
            "done" => Self::Done,
            _ => Self::Authentik,
        }
    }

    /// The step after this one.
    pub fn next(self) -> Self {
        match self {
            Self::Authentik => Self::Erpnext,
            Self::Erpnext => Self::Mail,
            Self::Mail | Self::Done => Self::Done,
        }
    }
}

/// What an admin asked for.
#[derive(Debug, Clone)]
pub struct NewInvite {
    /// `inv-` and 16 hex digits.
    pub id: String,
    /// The address as given.
    pub email: String,
    /// Its idempotency key: the address in lower case.
    pub email_key: String,
    /// The person's name.
    pub full_name: String,
    /// `fr` / `en`.
    pub language: String,
    /// Who asked (the staff e-mail or the service token's name).
    pub requested_by: String,
    /// The temporary password, sealed.
    pub sealed_password: String,
}

/// A stored invite.
#[derive(Debug, Clone)]
pub struct Invite {
    /// `inv-` and 16 hex digits.
    pub id: String,
    /// The address as given.
    pub email: String,
    /// The person's name.
    pub full_name: String,
    /// `fr` / `en`.
    pub language: String,
    /// Who asked.
    pub requested_by: String,
    /// When it was asked (ms since the epoch).
    pub created_at: i64,
    /// When it last changed (ms).
    pub updated_at: i64,
    /// Pending, complete or failed.
    pub status: InviteStatus,
    /// The next step.
    pub step: InviteStep,
    /// The authentik username, once the user exists.
    pub username: Option<String>,
    /// The authentik user's pk, once it exists.
    pub authentik_pk: Option<i64>,
    /// The ERPNext User's name, once it exists.
    pub erpnext_user: Option<String>,
    /// When the mail was accepted by the relay (ms).
    pub mail_sent_at: Option<i64>,
    /// The sealed temporary password (gone once the invite is complete).
    pub sealed_password: Option<String>,
    /// The last failure of a step.
    pub last_error: Option<String>,
}

impl Invite {
    fn from_row(row: &AnyRow) -> StoreResult<Self> {
        let status: String = row.try_get("status")?;
        let step: String = row.try_get("step")?;
        Ok(Self {
            id: row.try_get("id")?,
            email: row.try_get("email")?,
            full_name: row.try_get("full_name")?,
            language: row.try_get("language")?,
            requested_by: row.try_get("requested_by")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
            status: InviteStatus::parse(&status),
            step: InviteStep::parse(&step),
            username: row.try_get("username")?,
            authentik_pk: row.try_get("authentik_pk")?,
            erpnext_user: row.try_get("erpnext_user")?,
            mail_sent_at: row.try_get("mail_sent_at")?,
            sealed_password: row.try_get("sealed_password")?,
            last_error: row.try_get("last_error")?,
        })
    }
}

macro_rules! select_invites {
    ($rest:literal) => {
        concat!(
            "SELECT id, email, full_name, language, requested_by, created_at, updated_at, ",
            "status, step, username, authentik_pk, erpnext_user, mail_sent_at, sealed_password, ",
            "last_error FROM invites ",
            $rest
        )
    };
}

impl Store {
    /// Stores an invite unless one exists for the same address: `(invite, true)` when stored,
    /// `(the existing invite, false)` otherwise.
    pub async fn create_invite(&self, new: &NewInvite) -> StoreResult<(Invite, bool)> {
        let now = now_ms();
        let inserted = sqlx::query(
            "INSERT INTO invites (id, email_key, email, full_name, language, requested_by, \
             created_at, updated_at, status, step, sealed_password) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', 'authentik', $9) \
             ON CONFLICT (email_key) DO NOTHING RETURNING id",
        )
        .bind(&new.id)
        .bind(&new.email_key)
        .bind(&new.email)
        .bind(&new.full_name)
        .bind(&new.language)
        .bind(&new.requested_by)
        .bind(now)
        .bind(now)
        .bind(&new.sealed_password)
        .fetch_optional(self.pool())
        .await?
        .is_some();
        let row = sqlx::query(select_invites!("WHERE email_key = $1"))
            .bind(&new.email_key)
            .fetch_one(self.pool())
            .await?;
        Ok((Invite::from_row(&row)?, inserted))
    }

    /// An invite by id.
    pub async fn invite(&self, id: &str) -> StoreResult<Option<Invite>> {
        let row = sqlx::query(select_invites!("WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(Invite::from_row).transpose()
    }

    /// The newest invites first, at most `limit`.
    pub async fn invites(&self, limit: i64) -> StoreResult<Vec<Invite>> {
        let rows = sqlx::query(select_invites!("ORDER BY created_at DESC, id LIMIT $1"))
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(Invite::from_row).collect()
    }

    /// Records the authentik user and moves on to the ERPNext step (once).
    pub async fn invite_authentik_done(
        &self,
        id: &str,
        username: &str,
        pk: i64,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE invites SET username = $1, authentik_pk = $2, step = 'erpnext', \
             last_error = NULL, updated_at = $3 WHERE id = $4 AND step = 'authentik'",
        )
        .bind(username)
        .bind(pk)
        .bind(now_ms())
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Records the ERPNext user and moves on to the mail (once).
    pub async fn invite_erpnext_done(&self, id: &str, user: &str) -> StoreResult<()> {
        sqlx::query(
            "UPDATE invites SET erpnext_user = $1, step = 'mail', last_error = NULL, \
             updated_at = $2 WHERE id = $3 AND step = 'erpnext'",
        )
        .bind(user)
        .bind(now_ms())
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Records the mail, completes the invite and forgets the sealed password.
    pub async fn invite_mail_done(&self, id: &str) -> StoreResult<()> {
        let now = now_ms();
        sqlx::query(
            "UPDATE invites SET mail_sent_at = $1, step = 'done', status = 'complete', \
             sealed_password = NULL, last_error = NULL, updated_at = $2 \
             WHERE id = $3 AND step = 'mail'",
        )
        .bind(now)
        .bind(now)
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Replaces the sealed password (a new one was set).
    pub async fn set_invite_password(&self, id: &str, sealed: &str) -> StoreResult<()> {
        sqlx::query("UPDATE invites SET sealed_password = $1, updated_at = $2 WHERE id = $3")
            .bind(sealed)
            .bind(now_ms())
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Records a step's failure: `failed` when it was dead-lettered, else still pending.
    pub async fn invite_error(&self, id: &str, error: &str, dead: bool) -> StoreResult<()> {
        let status = if dead {
            InviteStatus::Failed
        } else {
            InviteStatus::Pending
        };
        let error: String = error.chars().take(2000).collect();
        sqlx::query(
            "UPDATE invites SET last_error = $1, status = $2, updated_at = $3 \
             WHERE id = $4 AND status <> 'complete'",
        )
        .bind(error)
        .bind(status.as_str())
        .bind(now_ms())
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Marks a failed invite pending again (its step was put back in the outbox).
    pub async fn invite_resumed(&self, id: &str) -> StoreResult<()> {
        sqlx::query(
            "UPDATE invites SET status = 'pending', updated_at = $1 \
             WHERE id = $2 AND status = 'failed'",
        )
        .bind(now_ms())
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(())
    }
}
