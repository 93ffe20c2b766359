//! `/core/groups/`: find by name, list, create, add and remove members.

use futures::stream::{Stream, TryStreamExt};
use http::Method;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::api::list::{DEFAULT_PAGE_SIZE, pages};
use crate::models::Group;
use crate::{Client, Result};

const GROUPS: &[&str] = &["core", "groups"];

/// A group to create (`GroupRequest`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct NewGroup {
    /// The name (unique).
    pub name: String,
    /// Whether members are superusers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_superuser: Option<bool>,
    /// The first members' ids.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub users: Option<Vec<i64>>,
    /// Free-form attributes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Map<String, Value>>,
}

impl NewGroup {
    /// A group with this name.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            is_superuser: None,
            users: None,
            attributes: None,
        }
    }

    /// Sets the first members.
    pub fn users(mut self, users: Vec<i64>) -> Self {
        self.users = Some(users);
        self
    }

    /// Sets the attributes.
    pub fn attributes(mut self, attributes: Map<String, Value>) -> Self {
        self.attributes = Some(attributes);
        self
    }

    /// Makes members superusers.
    pub fn superuser(mut self, on: bool) -> Self {
        self.is_superuser = Some(on);
        self
    }
}

/// Filters for [`Groups::list`].
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct GroupQuery {
    /// `name` (exact).
    pub name: Option<String>,
    /// `include_users` (embed every member; this crate's default: false).
    pub include_users: bool,
    /// Objects per page (default [`DEFAULT_PAGE_SIZE`]).
    pub page_size: Option<u32>,
}

impl GroupQuery {
    /// Every group, members not embedded.
    pub fn new() -> Self {
        Self::default()
    }

    /// The group with exactly this name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Embeds the members (`users_obj`).
    pub fn include_users(mut self, on: bool) -> Self {
        self.include_users = on;
        self
    }

    /// Objects per page.
    pub fn page_size(mut self, n: u32) -> Self {
        self.page_size = Some(n);
        self
    }
}

#[derive(Serialize)]
struct Member {
    pk: i64,
}

/// The groups handler: [`Client::groups`].
#[derive(Debug, Clone, Copy)]
pub struct Groups<'c> {
    client: &'c Client,
}

impl<'c> Groups<'c> {
    pub(crate) fn new(client: &'c Client) -> Self {
        Self { client }
    }

    /// The group with exactly this name, if any (members not embedded).
    ///
    /// # Errors
    /// As [`list`](Self::list).
    pub async fn find_by_name(&self, name: &str) -> Result<Option<Group>> {
        let found: Vec<Group> = self
            .list(&GroupQuery::new().name(name))
            .try_collect()
            .await?;
        Ok(found.into_iter().find(|g| g.name == name))
    }

    /// Every group matching `query`, page after page, as a stream.
    pub fn list(&self, query: &GroupQuery) -> impl Stream<Item = Result<Group>> + Send + 'static {
        let mut q = Vec::new();
        if let Some(n) = &query.name {
            q.push(("name".to_owned(), n.clone()));
        }
        q.push(("include_users".to_owned(), query.include_users.to_string()));
        pages(
            self.client.clone(),
            GROUPS,
            q,
            query.page_size.unwrap_or(DEFAULT_PAGE_SIZE),
        )
    }

    /// Creates a group (`POST /core/groups/`, 201).
    ///
    /// # Errors
    /// [`Error::Validation`](crate::Error::Validation) for a duplicate name.
    pub async fn create(&self, group: &NewGroup) -> Result<Group> {
        self.client
            .send_json(Method::POST, self.client.url(GROUPS), group)
            .await?
            .json()
    }

    /// Adds a user to the group (`POST /core/groups/{uuid}/add_user/`, 204; adding a member
    /// again is a no-op).
    ///
    /// # Errors
    /// [`Error::NotFound`](crate::Error::NotFound) for an unknown user or group.
    pub async fn add_user(&self, group_pk: &str, user_pk: i64) -> Result<()> {
        let url = self.client.url(&["core", "groups", group_pk, "add_user"]);
        self.client
            .send_json(Method::POST, url, &Member { pk: user_pk })
            .await
            .map(drop)
    }

    /// Removes a user from the group (`POST /core/groups/{uuid}/remove_user/`, 204; removing
    /// a non-member is a no-op).
    ///
    /// # Errors
    /// [`Error::NotFound`](crate::Error::NotFound) for an unknown user or group.
    pub async fn remove_user(&self, group_pk: &str, user_pk: i64) -> Result<()> {
        let url = self
            .client
            .url(&["core", "groups", group_pk, "remove_user"]);
        self.client
            .send_json(Method::POST, url, &Member { pk: user_pk })
            .await
            .map(drop)
    }
}
