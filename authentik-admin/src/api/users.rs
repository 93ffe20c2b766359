//! `/core/users/`: create, find, get, update, set password, deactivate, delete, list.

use futures::stream::{Stream, TryStreamExt};
use http::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::api::list::{DEFAULT_PAGE_SIZE, pages};
use crate::models::{RecoveryLink, User, UserType};
use crate::{Client, Error, Result};

const USERS: &[&str] = &["core", "users"];

/// A user to create (`UserRequest`). `username` and `name` are required by authentik; the
/// rest is optional. authentik ignores a password here: set it with
/// [`Users::set_password`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct NewUser {
    /// The login name (1 to 150 characters, unique).
    pub username: String,
    /// The display name (may be empty).
    pub name: String,
    /// The e-mail address (stored as given: authentik matches it case-sensitively).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The groups' UUIDs (the whole membership set).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<String>>,
    /// The organisational folder (authentik's default: `users`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The kind of user (authentik's default: internal).
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub user_type: Option<UserType>,
    /// Free-form attributes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Map<String, Value>>,
    /// Whether the user may log in (authentik's default: true).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_active: Option<bool>,
}

impl NewUser {
    /// A user with its login and display names.
    pub fn new(username: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            username: username.into(),
            name: name.into(),
            email: None,
            groups: None,
            path: None,
            user_type: None,
            attributes: None,
            is_active: None,
        }
    }

    /// Sets the e-mail address.
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    /// Sets the groups (their UUIDs, [`Group::pk`](crate::Group::pk)).
    pub fn groups<I: IntoIterator<Item = S>, S: Into<String>>(mut self, groups: I) -> Self {
        self.groups = Some(groups.into_iter().map(Into::into).collect());
        self
    }

    /// Sets the folder (`hub/staff`).
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// Sets the kind of user.
    pub fn user_type(mut self, t: UserType) -> Self {
        self.user_type = Some(t);
        self
    }

    /// Sets the attributes.
    pub fn attributes(mut self, attributes: Map<String, Value>) -> Self {
        self.attributes = Some(attributes);
        self
    }

    /// Sets whether the user may log in.
    pub fn active(mut self, active: bool) -> Self {
        self.is_active = Some(active);
        self
    }
}

/// A partial update (`PatchedUserRequest`): only the fields set are sent. `groups` and
/// `attributes` replace the whole value.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct UserPatch {
    /// New login name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// New display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// New e-mail address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// New groups (replaces them all).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<String>>,
    /// New folder.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// New kind.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub user_type: Option<UserType>,
    /// New attributes (replaces them all).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Map<String, Value>>,
    /// Active or not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_active: Option<bool>,
}

impl UserPatch {
    /// An empty patch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the display name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets the e-mail address.
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    /// Sets the login name.
    pub fn username(mut self, username: impl Into<String>) -> Self {
        self.username = Some(username.into());
        self
    }

    /// Sets the groups (replaces them all).
    pub fn groups<I: IntoIterator<Item = S>, S: Into<String>>(mut self, groups: I) -> Self {
        self.groups = Some(groups.into_iter().map(Into::into).collect());
        self
    }

    /// Sets the folder.
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// Sets the kind of user.
    pub fn user_type(mut self, t: UserType) -> Self {
        self.user_type = Some(t);
        self
    }

    /// Sets the attributes (replaces them all).
    pub fn attributes(mut self, attributes: Map<String, Value>) -> Self {
        self.attributes = Some(attributes);
        self
    }

    /// Sets whether the user may log in.
    pub fn active(mut self, active: bool) -> Self {
        self.is_active = Some(active);
        self
    }
}

/// Filters for [`Users::list`]; every filter is an exact match, as authentik does it.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct UserQuery {
    /// `email` (exact, case-sensitive).
    pub email: Option<String>,
    /// `username` (exact).
    pub username: Option<String>,
    /// `groups_by_name` (members of any; an unknown name is a 400).
    pub groups_by_name: Vec<String>,
    /// `path` (exact).
    pub path: Option<String>,
    /// `is_active`.
    pub is_active: Option<bool>,
    /// `include_groups` (embed `groups_obj`; authentik's default: true).
    pub include_groups: Option<bool>,
    /// Objects per page (default [`DEFAULT_PAGE_SIZE`]).
    pub page_size: Option<u32>,
}

impl UserQuery {
    /// Every user.
    pub fn new() -> Self {
        Self::default()
    }

    /// Users with exactly this e-mail address.
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    /// The user with this login name.
    pub fn username(mut self, username: impl Into<String>) -> Self {
        self.username = Some(username.into());
        self
    }

    /// Members of this group (repeatable: members of any).
    pub fn group(mut self, name: impl Into<String>) -> Self {
        self.groups_by_name.push(name.into());
        self
    }

    /// Users in this folder.
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// Active (or inactive) users only.
    pub fn active(mut self, active: bool) -> Self {
        self.is_active = Some(active);
        self
    }

    /// Whether to embed the groups (`false` saves a join per user).
    pub fn include_groups(mut self, on: bool) -> Self {
        self.include_groups = Some(on);
        self
    }

    /// Objects per page.
    pub fn page_size(mut self, n: u32) -> Self {
        self.page_size = Some(n);
        self
    }

    fn pairs(&self) -> Vec<(String, String)> {
        let mut q = Vec::new();
        let mut add = |k: &str, v: String| q.push((k.to_owned(), v));
        if let Some(v) = &self.email {
            add("email", v.clone());
        }
        if let Some(v) = &self.username {
            add("username", v.clone());
        }
        for g in &self.groups_by_name {
            add("groups_by_name", g.clone());
        }
        if let Some(v) = &self.path {
            add("path", v.clone());
        }
        if let Some(v) = self.is_active {
            add("is_active", v.to_string());
        }
        if let Some(v) = self.include_groups {
            add("include_groups", v.to_string());
        }
        q
    }
}

/// The users handler: [`Client::users`].
#[derive(Debug, Clone, Copy)]
pub struct Users<'c> {
    client: &'c Client,
}

impl<'c> Users<'c> {
    pub(crate) fn new(client: &'c Client) -> Self {
        Self { client }
    }

    /// Creates a user (`POST /core/users/`, 201).
    ///
    /// # Errors
    /// [`Error::Validation`] for a duplicate username (`This field must be unique.`), a bad
    /// e-mail, a missing name; [`Error::Forbidden`] without `add_user`.
    pub async fn create(&self, user: &NewUser) -> Result<User> {
        self.client
            .send_json(Method::POST, self.client.url(USERS), user)
            .await?
            .json()
    }

    /// Every user whose e-mail is exactly `email` (case-sensitive, as authentik compares it;
    /// several users may share one address). Empty when none.
    ///
    /// # Errors
    /// As [`list`](Self::list).
    pub async fn find_by_email(&self, email: &str) -> Result<Vec<User>> {
        self.list(&UserQuery::new().email(email))
            .try_collect()
            .await
    }

    /// The user with this login name, if any.
    ///
    /// # Errors
    /// As [`list`](Self::list).
    pub async fn find_by_username(&self, username: &str) -> Result<Option<User>> {
        let found: Vec<User> = self
            .list(&UserQuery::new().username(username))
            .try_collect()
            .await?;
        Ok(found.into_iter().find(|u| u.username == username))
    }

    /// One user by id (`GET /core/users/{pk}/`).
    ///
    /// # Errors
    /// [`Error::NotFound`] when there is none.
    pub async fn get(&self, pk: i64) -> Result<User> {
        self.client
            .execute(Method::GET, self.user_url(pk, None), None)
            .await?
            .json()
    }

    /// Changes the fields set in `patch` (`PATCH /core/users/{pk}/`).
    ///
    /// # Errors
    /// [`Error::NotFound`], [`Error::Validation`].
    pub async fn update(&self, pk: i64, patch: &UserPatch) -> Result<User> {
        self.client
            .send_json(Method::PATCH, self.user_url(pk, None), patch)
            .await?
            .json()
    }

    /// Deactivates the user (`is_active = false`: no login; authentik ends its sessions).
    ///
    /// # Errors
    /// As [`update`](Self::update).
    pub async fn deactivate(&self, pk: i64) -> Result<User> {
        self.update(pk, &UserPatch::new().active(false)).await
    }

    /// Sets the user's password (`POST /core/users/{pk}/set_password/`, 204).
    ///
    /// An empty password is refused here, before anything is sent: authentik accepts an
    /// empty or missing password and leaves the user without a usable one.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an empty password; [`Error::PasswordRejected`] for
    /// authentik's bodiless 400 (a policy refused it); [`Error::NotFound`].
    pub async fn set_password(&self, pk: i64, password: &SecretString) -> Result<()> {
        let pw = password.expose_secret();
        if pw.is_empty() {
            return Err(Error::InvalidInput(
                "the new password is empty (authentik would destroy the old one)".to_owned(),
            ));
        }
        #[derive(Serialize)]
        struct Body<'a> {
            password: &'a str,
        }
        let url = self.user_url(pk, Some("set_password"));
        match self
            .client
            .send_json(Method::POST, url, &Body { password: pw })
            .await
        {
            Ok(_) => Ok(()),
            Err(Error::Api {
                status, excerpt, ..
            }) if status.as_u16() == 400 && excerpt.is_empty() => Err(Error::PasswordRejected),
            Err(e) => Err(e),
        }
    }

    /// A one-time recovery link for the user (`POST /core/users/{pk}/recovery/`).
    ///
    /// # Errors
    /// [`Error::NoRecoveryFlow`] when the brand has no recovery flow (a fresh install).
    pub async fn recovery_link(&self, pk: i64) -> Result<String> {
        let url = self.user_url(pk, Some("recovery"));
        let link: RecoveryLink = self
            .client
            .send_json(Method::POST, url, &serde_json::json!({}))
            .await?
            .json()?;
        Ok(link.link)
    }

    /// Deletes the user (`DELETE /core/users/{pk}/`, 204).
    ///
    /// # Errors
    /// [`Error::NotFound`] when it is already gone.
    pub async fn delete(&self, pk: i64) -> Result<()> {
        self.client
            .execute(Method::DELETE, self.user_url(pk, None), None)
            .await
            .map(drop)
    }

    /// Every user matching `query`, page after page, as a stream. Pages are fetched as the
    /// stream is read; it ends after the last page (or at a 404 past the end).
    pub fn list(&self, query: &UserQuery) -> impl Stream<Item = Result<User>> + Send + 'static {
        pages(
            self.client.clone(),
            USERS,
            query.pairs(),
            query.page_size.unwrap_or(DEFAULT_PAGE_SIZE),
        )
    }

    fn user_url(&self, pk: i64, action: Option<&str>) -> url::Url {
        let pk = pk.to_string();
        match action {
            Some(a) => self.client.url(&["core", "users", &pk, a]),
            None => self.client.url(&["core", "users", &pk]),
        }
    }
}
