//! What authentik answers: users, groups, pages. Fields authentik may leave out are defaulted;
//! dates are kept as authentik's ISO 8601 text.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

/// A user's kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum UserType {
    /// A staff member (the default).
    #[default]
    Internal,
    /// A customer or partner.
    External,
    /// A service account (API tokens).
    ServiceAccount,
    /// A service account authentik manages itself (outposts).
    InternalServiceAccount,
    /// A kind this crate does not know (a newer authentik).
    #[serde(other)]
    Unknown,
}

/// A user (`User` in the schema). `pk` is the id used in paths.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct User {
    /// The numeric id (`/core/users/{pk}/`).
    pub pk: i64,
    /// The login name (unique).
    pub username: String,
    /// The display name.
    pub name: String,
    /// Whether the user may log in.
    #[serde(default)]
    pub is_active: bool,
    /// Last login (ISO 8601), if any.
    #[serde(default)]
    pub last_login: Option<String>,
    /// When the user was created (ISO 8601).
    #[serde(default)]
    pub date_joined: Option<String>,
    /// Derived from the user's groups.
    #[serde(default)]
    pub is_superuser: bool,
    /// The groups' UUIDs.
    #[serde(default)]
    pub groups: Vec<String>,
    /// The groups, when asked for (`null` with `include_groups=false`).
    #[serde(default)]
    pub groups_obj: Option<Vec<PartialGroup>>,
    /// The e-mail address (not unique in authentik; may be empty).
    #[serde(default)]
    pub email: String,
    /// Free-form attributes.
    #[serde(default)]
    pub attributes: Map<String, Value>,
    /// A hashed id.
    #[serde(default)]
    pub uid: String,
    /// The organisational folder (`users`, `goauthentik.io/outposts`).
    #[serde(default)]
    pub path: String,
    /// The kind of user.
    #[serde(rename = "type", default)]
    pub user_type: UserType,
    /// The UUID.
    #[serde(default)]
    pub uuid: String,
    /// When the password last changed (ISO 8601).
    #[serde(default)]
    pub password_change_date: Option<String>,
    /// Last change (ISO 8601).
    #[serde(default)]
    pub last_updated: Option<String>,
}

/// A group as embedded in a [`User`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PartialGroup {
    /// The UUID.
    pub pk: String,
    /// The numeric id.
    #[serde(default)]
    pub num_pk: i64,
    /// The name.
    pub name: String,
    /// Whether members are superusers.
    #[serde(default)]
    pub is_superuser: bool,
    /// Free-form attributes.
    #[serde(default)]
    pub attributes: Map<String, Value>,
}

/// A user as embedded in a [`Group`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PartialUser {
    /// The numeric id.
    pub pk: i64,
    /// The login name.
    pub username: String,
    /// The display name.
    #[serde(default)]
    pub name: String,
    /// Whether the user may log in.
    #[serde(default)]
    pub is_active: bool,
    /// The e-mail address.
    #[serde(default)]
    pub email: String,
}

/// A group (`Group` in the schema). `pk` is a UUID, the id used in paths.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Group {
    /// The UUID (`/core/groups/{pk}/`).
    pub pk: String,
    /// The numeric id.
    #[serde(default)]
    pub num_pk: i64,
    /// The name (unique).
    pub name: String,
    /// Whether members are superusers.
    #[serde(default)]
    pub is_superuser: bool,
    /// The parent group's UUID (authentik 2025.8 has one parent).
    #[serde(default)]
    pub parent: Option<String>,
    /// The parent group's name.
    #[serde(default)]
    pub parent_name: Option<String>,
    /// The members' ids.
    #[serde(default)]
    pub users: Vec<i64>,
    /// The members, when asked for (`null` with `include_users=false`).
    #[serde(default)]
    pub users_obj: Option<Vec<PartialUser>>,
    /// Free-form attributes.
    #[serde(default)]
    pub attributes: Map<String, Value>,
}

/// authentik's page counters. `next` and `previous` are page numbers, 0 for none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Pagination {
    /// The next page's number, 0 on the last page.
    #[serde(deserialize_with = "page_number")]
    pub next: u64,
    /// The previous page's number, 0 on the first page.
    #[serde(deserialize_with = "page_number")]
    pub previous: u64,
    /// Objects in all pages.
    #[serde(deserialize_with = "page_number")]
    pub count: u64,
    /// This page's number.
    #[serde(deserialize_with = "page_number")]
    pub current: u64,
    /// Pages in all.
    #[serde(deserialize_with = "page_number")]
    pub total_pages: u64,
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Page<T> {
    /// The counters.
    pub pagination: Pagination,
    /// The objects.
    pub results: Vec<T>,
}

/// A page number typed `number` in the schema: `2` or `2.0`.
fn page_number<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let v = f64::deserialize(d)?;
    if v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v < 9.0e15 {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Ok(v as u64)
    } else {
        Err(serde::de::Error::custom(format!(
            "{v} is not a page number"
        )))
    }
}

/// The answer of `recovery/`.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct RecoveryLink {
    pub(crate) link: String,
}
