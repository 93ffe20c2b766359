//! The staff invite flow behind `POST /auth/users`: each step an outbox message, so that a
//! failure is resumed where it happened and never repeated from the start.
//!
//! 1. **authentik** — the user (username from the e-mail's local part, made unique; marked with
//!    the invite's id in its attributes, so a step that crashed after creating it finds it
//!    again), the configured staff groups, the temporary password.
//! 2. **erpnext** — the ERPNext `User` (System User, a `social_logins` row `{provider:
//!    authentik, userid: email}`), so that OAuth finds it at the first sign-in.
//! 3. **mail** — the temporary password through the SMTP relay.
//!
//! The mail goes last, once the accounts it announces exist. Each step records its result in
//! the invite before it queues the next, and is idempotent: a step found done is skipped. The
//! temporary password is stored only sealed (see [`seal`]) and forgotten once the invite is
//! complete; it is answered once, to the admin who asked.

pub mod mail;
pub mod seal;

use secrecy::SecretString;
use serde_json::{Map, Value, json};

use crate::config::{InviteKey, InviteSettings, Language, Settings};
use crate::state::AppState;
use crate::store::{Claimed, Invite, InviteStep, NewEvent};

pub use self::mail::{InviteMail, MailError, Mailer};

/// The attribute of an authentik user that names the invite which created it.
pub const INVITE_ATTRIBUTE: &str = "gigafibre.invite";

/// A step's failure: `(permanent, reason)` as the outbox worker takes it.
pub type StepOutcome = Result<(), (bool, String)>;

/// What the invite flow needs: authentik, the mailer, the sealing key and the settings.
pub struct Invites {
    authentik: authentik_admin::Client,
    mailer: Mailer,
    key: InviteKey,
    settings: InviteSettings,
}

impl std::fmt::Debug for Invites {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Invites")
            .field("authentik", self.authentik.base_url())
            .field("mailer", &self.mailer)
            .finish_non_exhaustive()
    }
}

impl Invites {
    /// The flow, when authentik and SMTP are configured (`Ok(None)` otherwise).
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Option<Self>> {
        let (Some(ak), Some(smtp)) = (&settings.authentik, &settings.smtp) else {
            return Ok(None);
        };
        let authentik = authentik_admin::Client::builder(&ak.url)
            .token(ak.token.clone())
            .timeout(ak.timeout)
            .build()
            .map_err(|e| anyhow::anyhow!("AUTHENTIK_URL: {e}"))?;
        let mailer = Mailer::new(smtp).map_err(|e| anyhow::anyhow!(e))?;
        let key = match &settings.invites.key {
            Some(k) => k.clone(),
            None => {
                tracing::warn!(
                    "INVITE_SECRET_KEY is not set: temporary passwords are sealed with a key made now; an invite resumed after a restart gets a new password"
                );
                seal::random_key()?
            }
        };
        Ok(Some(Self {
            authentik,
            mailer,
            key,
            settings: settings.invites.clone(),
        }))
    }

    /// The authentik client.
    pub fn authentik(&self) -> &authentik_admin::Client {
        &self.authentik
    }

    /// The settings.
    pub fn settings(&self) -> &InviteSettings {
        &self.settings
    }

    /// `/readyz`'s probe: authentik accepts the token and has the staff groups; the SMTP relay
    /// answers (and accepts the credentials).
    pub async fn ready(&self) -> Result<String, String> {
        let groups = self.authentik.groups();
        let mut missing = Vec::new();
        for name in &self.settings.staff_groups {
            match groups.find_by_name(name).await {
                Ok(Some(_)) => {}
                Ok(None) => missing.push(name.as_str()),
                Err(e) => return Err(format!("authentik: {e}")),
            }
        }
        if self.settings.staff_groups.is_empty() {
            self.authentik
                .users()
                .find_by_username("hub-readiness-probe")
                .await
                .map_err(|e| format!("authentik: {e}"))?;
        }
        if !missing.is_empty() {
            return Err(format!(
                "authentik has no group {} (INVITE_STAFF_GROUPS)",
                missing.join(", ")
            ));
        }
        self.mailer.check().await?;
        Ok(format!(
            "authentik answers ({} staff groups found), the SMTP relay answers",
            self.settings.staff_groups.len()
        ))
    }

    /// Seals a password for the invite `id`.
    pub fn seal(&self, id: &str, password: &SecretString) -> Result<String, seal::Unreadable> {
        seal::seal(&self.key, id, password)
    }
}

/// The username an e-mail address suggests: its local part, lower case, with only letters,
/// digits, `.`, `-` and `_` kept (`Jean.Tremblay+ops@x` → `jean.tremblayops`).
pub fn username_from(email: &str) -> String {
    let local = email.split('@').next().unwrap_or_default();
    let name: String = local
        .chars()
        .flat_map(char::to_lowercase)
        .filter(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_'))
        .take(100)
        .collect();
    let name = name.trim_matches(|c| matches!(c, '.' | '-' | '_'));
    if name.is_empty() {
        "user".to_owned()
    } else {
        name.to_owned()
    }
}

/// `first_name` and `last_name` for ERPNext from a full name.
pub fn split_name(full: &str) -> (String, Option<String>) {
    let full = full.trim();
    match full.split_once(char::is_whitespace) {
        Some((first, rest)) if !rest.trim().is_empty() => {
            (first.to_owned(), Some(rest.trim().to_owned()))
        }
        _ => (full.to_owned(), None),
    }
}

fn transient(reason: impl std::fmt::Display) -> (bool, String) {
    (false, reason.to_string())
}

fn permanent(reason: impl std::fmt::Display) -> (bool, String) {
    (true, reason.to_string())
}

fn ak_error(what: &str) -> impl Fn(authentik_admin::Error) -> (bool, String) + '_ {
    move |e| transient(format!("authentik, {what}: {e}"))
}

/// Runs the step of an `invite.*` outbox message.
pub async fn run_step(state: &AppState, msg: &Claimed) -> StepOutcome {
    let outcome = step(state, msg).await;
    state.invite_changed.notify_waiters();
    outcome
}

async fn step(state: &AppState, msg: &Claimed) -> StepOutcome {
    let step = InviteStep::from_outbox_source(&msg.source)
        .ok_or_else(|| permanent(format!("no invite step {:?}", msg.source)))?;
    let id = msg.delivery_key.as_str();
    let invites = state
        .invites
        .as_deref()
        .ok_or_else(|| transient("the invite flow is not configured (AUTHENTIK_URL, SMTP_HOST)"))?;
    let invite = state
        .store
        .invite(id)
        .await
        .map_err(transient)?
        .ok_or_else(|| permanent(format!("no invite {id}")))?;
    if invite.step > step {
        // Done before (the process stopped between recording it and completing this message):
        // only make sure the next step is queued.
        return queue_step(state, &invite.id, step.next()).await;
    }
    if invite.step < step {
        return Err(transient(format!(
            "step {} waits for step {}",
            step.as_str(),
            invite.step.as_str()
        )));
    }
    match step {
        InviteStep::Authentik => authentik_step(state, invites, &invite).await?,
        InviteStep::Erpnext => erpnext_step(state, &invite).await?,
        InviteStep::Mail => mail_step(state, invites, &invite).await?,
        InviteStep::Done => return Ok(()),
    }
    queue_step(state, &invite.id, step.next()).await
}

/// Queues `step` of the invite `id` (once: the invite's id is the delivery key) and wakes the
/// outbox workers.
pub async fn queue_step(state: &AppState, id: &str, step: InviteStep) -> StepOutcome {
    let Some(source) = step.outbox_source() else {
        return Ok(());
    };
    state
        .store
        .outbox()
        .enqueue(source, id, &json!({}), b"{}", Some(id), false)
        .await
        .map_err(transient)?;
    state.outbox_wake.notify_one();
    Ok(())
}

/// The temporary password: opened from the invite, or — when it cannot be (the hub restarted
/// without `INVITE_SECRET_KEY`) — a new one, set on the authentik user and sealed again.
async fn password_of(
    state: &AppState,
    invites: &Invites,
    invite: &Invite,
    pk: i64,
) -> Result<SecretString, (bool, String)> {
    if let Some(sealed) = &invite.sealed_password
        && let Ok(pw) = seal::open(&invites.key, &invite.id, sealed)
    {
        return Ok(pw);
    }
    let pw = authentik_admin::temporary_password().map_err(transient)?;
    let sealed = invites.seal(&invite.id, &pw).map_err(transient)?;
    state
        .store
        .set_invite_password(&invite.id, &sealed)
        .await
        .map_err(transient)?;
    invites
        .authentik
        .users()
        .set_password(pk, &pw)
        .await
        .map_err(ak_error("setting the new temporary password"))?;
    tracing::warn!(invite = %invite.id, "the sealed temporary password could not be opened (another key): a new one was set");
    Ok(pw)
}

async fn authentik_step(state: &AppState, invites: &Invites, invite: &Invite) -> StepOutcome {
    let users = invites.authentik.users();
    let same_email = users
        .find_by_email(&invite.email)
        .await
        .map_err(ak_error("finding the e-mail"))?;
    let ours = same_email
        .iter()
        .find(|u| u.attributes.get(INVITE_ATTRIBUTE).and_then(Value::as_str) == Some(&invite.id));
    // The staff groups, by name (an unknown one is a configuration error).
    let mut groups = Vec::with_capacity(invites.settings.staff_groups.len());
    for name in &invites.settings.staff_groups {
        let group = invites
            .authentik
            .groups()
            .find_by_name(name)
            .await
            .map_err(ak_error("finding the staff groups"))?
            .ok_or_else(|| {
                permanent(format!(
                    "authentik has no group {name:?} (INVITE_STAFF_GROUPS)"
                ))
            })?;
        groups.push(group.pk);
    }
    let user = match ours {
        Some(u) => u.clone(),
        None => {
            if let Some(other) = same_email.first() {
                return Err(permanent(format!(
                    "authentik already has a user with this e-mail ({}, pk {}) that this invite did not create",
                    other.username, other.pk
                )));
            }
            create_user(invites, invite, &groups).await?
        }
    };
    for pk in groups.iter().filter(|g| !user.groups.contains(g)) {
        invites
            .authentik
            .groups()
            .add_user(pk, user.pk)
            .await
            .map_err(ak_error("adding the user to a staff group"))?;
    }
    let password = password_of(state, invites, invite, user.pk).await?;
    users
        .set_password(user.pk, &password)
        .await
        .map_err(|e| match e {
            authentik_admin::Error::PasswordRejected => {
                permanent(format!("authentik refused the temporary password: {e}"))
            }
            e => transient(format!("authentik, setting the password: {e}")),
        })?;
    state
        .store
        .invite_authentik_done(&invite.id, &user.username, user.pk)
        .await
        .map_err(transient)
}

/// Creates the user under the first free username (`jane`, `jane-2`, ...).
async fn create_user(
    invites: &Invites,
    invite: &Invite,
    groups: &[String],
) -> Result<authentik_admin::User, (bool, String)> {
    let base = username_from(&invite.email);
    let mut attributes = Map::new();
    attributes.insert(INVITE_ATTRIBUTE.to_owned(), json!(invite.id));
    attributes.insert(
        "gigafibre.invited_by".to_owned(),
        json!(invite.requested_by),
    );
    for n in 1..=50u32 {
        let username = if n == 1 {
            base.clone()
        } else {
            format!("{base}-{n}")
        };
        let new = authentik_admin::NewUser::new(&username, &invite.full_name)
            .email(&invite.email)
            .groups(groups.iter().cloned())
            .path(&invites.settings.user_path)
            .user_type(authentik_admin::UserType::Internal)
            .attributes(attributes.clone())
            .active(true);
        match invites.authentik.users().create(&new).await {
            Ok(user) => return Ok(user),
            Err(e) if e.field_errors("username").is_some() => {}
            Err(e @ authentik_admin::Error::Validation { .. }) => {
                return Err(permanent(format!("authentik refused the user: {e}")));
            }
            Err(e) => return Err(transient(format!("authentik, creating the user: {e}"))),
        }
    }
    Err(permanent(format!(
        "no free username from {base:?} (tried {base} to {base}-50)"
    )))
}

async fn erpnext_step(state: &AppState, invite: &Invite) -> StepOutcome {
    let frappe = state.frappe().map_err(|e| transient(e.message))?;
    let users = frappe.doctype("User");
    let login = json!({
        "provider": "authentik",
        "userid": invite.email,
        "username": invite.username,
    });
    let (first, last) = split_name(&invite.full_name);
    let mut doc = json!({
        "email": invite.email,
        "first_name": first,
        "user_type": "System User",
        "enabled": 1,
        "send_welcome_email": 0,
        "language": invite.language,
        "social_logins": [login.clone()],
    });
    if let Some(last) = last {
        doc["last_name"] = json!(last);
    }
    match users.insert(&doc).await {
        Ok(_) => {}
        // The user exists (made by hand, or by this step before the process stopped): it
        // gets the authentik login when it lacks one.
        Err(e) if e.is_duplicate() => {
            let existing = users
                .get(&invite.email)
                .await
                .map_err(|e| transient(format!("ERPNext, reading the user: {e}")))?;
            let mut rows = existing
                .extra
                .get("social_logins")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let has = rows.iter().any(|r| {
                r.get("provider").and_then(Value::as_str) == Some("authentik")
                    && r.get("userid").and_then(Value::as_str) == Some(&invite.email)
            });
            if !has {
                rows.push(login);
                let patch = frappe_client::DocPatch::new().replace_table("social_logins", rows);
                users
                    .update(&invite.email, &patch)
                    .await
                    .map_err(|e| transient(format!("ERPNext, adding the social login: {e}")))?;
            }
        }
        Err(e) => return Err(transient(format!("ERPNext, creating the user: {e}"))),
    }
    state
        .store
        .invite_erpnext_done(&invite.id, &invite.email)
        .await
        .map_err(transient)
}

async fn mail_step(state: &AppState, invites: &Invites, invite: &Invite) -> StepOutcome {
    let (Some(username), Some(pk)) = (&invite.username, invite.authentik_pk) else {
        return Err(permanent("the invite has no authentik user"));
    };
    let password = password_of(state, invites, invite, pk).await?;
    let language = Language::parse(&invite.language).unwrap_or(invites.settings.language);
    let mail = InviteMail {
        id: &invite.id,
        to: &invite.email,
        name: &invite.full_name,
        username,
        password: &password,
        login_url: invites.settings.login_url.as_deref(),
        language,
    };
    invites.mailer.send(&mail).await.map_err(|e| match e {
        MailError::Permanent(m) => permanent(m),
        MailError::Transient(m) => transient(m),
    })?;
    state
        .store
        .invite_mail_done(&invite.id)
        .await
        .map_err(transient)
}

/// Records a step's failure on its invite; when the step was dead-lettered, the invite is
/// `failed` and an `invite.failed` alert is published on `/alerts` and `/alerts/invites/{id}`.
pub async fn step_failed(state: &AppState, msg: &Claimed, reason: &str, dead: bool) {
    let id = msg.delivery_key.as_str();
    if let Err(e) = state.store.invite_error(id, reason, dead).await {
        tracing::warn!(invite = id, error = %e, "the invite's failure was not recorded");
    }
    state.invite_changed.notify_waiters();
    if !dead {
        return;
    }
    let invite = state.store.invite(id).await.ok().flatten();
    let event = NewEvent {
        kind: "invite.failed".to_owned(),
        topics: vec![
            "/alerts".to_owned(),
            format!("/alerts/invites/{}", crate::bus::topic_segment(id)),
        ],
        acl: None,
        data: json!({
            "invite": id,
            "email": invite.as_ref().map(|i| i.email.clone()),
            "step": InviteStep::from_outbox_source(&msg.source).map(InviteStep::as_str),
            "attempts": msg.attempts,
            "error": reason,
            "resume": format!("/auth/invites/{id}/resume"),
        }),
    };
    let key = format!("invite.failed:{id}:{}:{}", msg.source, msg.attempts);
    if let Err(e) = state.bus.publish(&event, Some(&key)).await {
        tracing::warn!(invite = id, error = %e, "the invite alert was not published");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_come_from_the_local_part() {
        assert_eq!(username_from("Jean.Tremblay@gigafibre.ca"), "jean.tremblay");
        assert_eq!(username_from("ops+night@x.ca"), "opsnight");
        assert_eq!(username_from("Élodie@x.ca"), "élodie");
        assert_eq!(username_from("..@x.ca"), "user");
        assert_eq!(username_from("_a-b_@x.ca"), "a-b");
    }

    #[test]
    fn names_split_at_the_first_space() {
        assert_eq!(
            split_name("Marie-Claude  Tremblay Roy"),
            ("Marie-Claude".to_owned(), Some("Tremblay Roy".to_owned()))
        );
        assert_eq!(split_name("Cher"), ("Cher".to_owned(), None));
    }
}
