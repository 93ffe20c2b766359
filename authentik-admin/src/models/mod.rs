//! What authentik answers: users, groups, pages. Fields authentik may leave out are defaulted;
//! dates are kept as authentik's ISO 8601 text.
//!
//! The models are typed but forward-compatible: the fields this crate uses are typed, every
//! other key of the object lands in the model's `extra` map (e.g. a user's `avatar`, a
//! group's `roles`, and whatever a newer authentik adds), and a user kind this crate does not
//! know lands in [`UserType::Other`]. Decoding never fails on an upstream addition, and a
//! decoded model serialises back to the keys and values it came with. A key in `extra` that
//! a typed field also names is left out when serialising, so no key is written twice.

use std::convert::Infallible;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// A user's kind (`type`).
///
/// A kind this crate does not know (a newer authentik's) decodes to [`Other`](Self::Other)
/// with the value verbatim, and serialises back unchanged. Known kinds serialise as their
/// snake_case names (`"internal"`, `"service_account"`). [`as_str`](Self::as_str),
/// [`Display`](std::fmt::Display), `From<&str>`, `From<String>` and an infallible
/// [`FromStr`] use the same spelling, so
/// `UserType::from("external") == UserType::External`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum UserType {
    /// A staff member (the default), `internal`.
    #[default]
    Internal,
    /// A customer or partner, `external`.
    External,
    /// A service account (API tokens), `service_account`.
    ServiceAccount,
    /// A service account authentik manages itself (outposts), `internal_service_account`.
    InternalServiceAccount,
    /// A kind not listed above (a newer authentik), kept verbatim so it serialises back
    /// unchanged.
    Other(String),
}

impl UserType {
    /// The known kinds, as authentik spells them.
    pub const VALUES: &'static [&'static str] = &[
        "internal",
        "external",
        "service_account",
        "internal_service_account",
    ];

    /// The kind as authentik spells it.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Internal => "internal",
            Self::External => "external",
            Self::ServiceAccount => "service_account",
            Self::InternalServiceAccount => "internal_service_account",
            Self::Other(other) => other,
        }
    }

    /// The known kind spelt `value`, if it is one.
    fn known(value: &str) -> Option<Self> {
        match value {
            "internal" => Some(Self::Internal),
            "external" => Some(Self::External),
            "service_account" => Some(Self::ServiceAccount),
            "internal_service_account" => Some(Self::InternalServiceAccount),
            _ => None,
        }
    }
}

impl fmt::Display for UserType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&str> for UserType {
    fn from(value: &str) -> Self {
        Self::known(value).unwrap_or_else(|| Self::Other(value.to_owned()))
    }
}

impl From<String> for UserType {
    fn from(value: String) -> Self {
        Self::known(&value).unwrap_or(Self::Other(value))
    }
}

impl FromStr for UserType {
    type Err = Infallible;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Ok(Self::from(value))
    }
}

impl Serialize for UserType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for UserType {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self::from)
    }
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
    /// Every key of authentik's answer not named above (`avatar`, and what a newer authentik
    /// adds), kept as it came so the user serialises back unchanged. Keys that a typed field
    /// names are skipped when serialising.
    #[serde(flatten, serialize_with = "extra::user")]
    pub extra: Map<String, Value>,
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
    /// Every key of authentik's answer not named above (what a newer authentik adds), kept as
    /// it came. Keys that a typed field names are skipped when serialising.
    #[serde(flatten, serialize_with = "extra::partial_group")]
    pub extra: Map<String, Value>,
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
    /// Every key of authentik's answer not named above (`last_login`, `attributes`, `uid`,
    /// and what a newer authentik adds), kept as it came. Keys that a typed field names are
    /// skipped when serialising.
    #[serde(flatten, serialize_with = "extra::partial_user")]
    pub extra: Map<String, Value>,
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
    /// Every key of authentik's answer not named above (`roles`, `roles_obj`, `children`,
    /// `children_obj`, and what a newer authentik adds), kept as it came so the group
    /// serialises back unchanged. Keys that a typed field names are skipped when serialising.
    #[serde(flatten, serialize_with = "extra::group")]
    pub extra: Map<String, Value>,
}

/// Serialising the `extra` maps without the keys the typed fields write already.
mod extra {
    use serde::Serializer;
    use serde::ser::SerializeMap;
    use serde_json::{Map, Value};

    /// The keys [`User`](super::User)'s typed fields write.
    pub(super) const USER: &[&str] = &[
        "pk",
        "username",
        "name",
        "is_active",
        "last_login",
        "date_joined",
        "is_superuser",
        "groups",
        "groups_obj",
        "email",
        "attributes",
        "uid",
        "path",
        "type",
        "uuid",
        "password_change_date",
        "last_updated",
    ];
    /// The keys [`PartialGroup`](super::PartialGroup)'s typed fields write.
    pub(super) const PARTIAL_GROUP: &[&str] =
        &["pk", "num_pk", "name", "is_superuser", "attributes"];
    /// The keys [`PartialUser`](super::PartialUser)'s typed fields write.
    pub(super) const PARTIAL_USER: &[&str] = &["pk", "username", "name", "is_active", "email"];
    /// The keys [`Group`](super::Group)'s typed fields write.
    pub(super) const GROUP: &[&str] = &[
        "pk",
        "num_pk",
        "name",
        "is_superuser",
        "parent",
        "parent_name",
        "users",
        "users_obj",
        "attributes",
    ];

    /// `map` without the keys in `typed`.
    fn without<S: Serializer>(
        map: &Map<String, Value>,
        typed: &[&str],
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        let mut m = serializer.serialize_map(None)?;
        for (k, v) in map {
            if !typed.contains(&k.as_str()) {
                m.serialize_entry(k, v)?;
            }
        }
        m.end()
    }

    pub(super) fn user<S: Serializer>(map: &Map<String, Value>, s: S) -> Result<S::Ok, S::Error> {
        without(map, USER, s)
    }

    pub(super) fn partial_group<S: Serializer>(
        map: &Map<String, Value>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        without(map, PARTIAL_GROUP, s)
    }

    pub(super) fn partial_user<S: Serializer>(
        map: &Map<String, Value>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        without(map, PARTIAL_USER, s)
    }

    pub(super) fn group<S: Serializer>(map: &Map<String, Value>, s: S) -> Result<S::Ok, S::Error> {
        without(map, GROUP, s)
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The keys a model writes with an empty `extra`, sorted.
    fn keys<T: Serialize>(model: &T) -> Vec<String> {
        match serde_json::to_value(model) {
            Ok(Value::Object(m)) => m.keys().cloned().collect(),
            other => panic!("not an object: {other:?}"),
        }
    }

    /// `typed`, sorted.
    fn sorted(typed: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = typed.iter().map(|k| (*k).to_owned()).collect();
        v.sort();
        v
    }

    #[test]
    fn the_typed_key_lists_match_the_fields() {
        let user: User =
            serde_json::from_value(json!({"pk": 1, "username": "u", "name": "U"})).expect("user");
        assert_eq!(keys(&user), sorted(extra::USER));
        let group: Group = serde_json::from_value(json!({"pk": "g", "name": "G"})).expect("group");
        assert_eq!(keys(&group), sorted(extra::GROUP));
        let pg: PartialGroup =
            serde_json::from_value(json!({"pk": "g", "name": "G"})).expect("partial group");
        assert_eq!(keys(&pg), sorted(extra::PARTIAL_GROUP));
        let pu: PartialUser =
            serde_json::from_value(json!({"pk": 1, "username": "u"})).expect("partial user");
        assert_eq!(keys(&pu), sorted(extra::PARTIAL_USER));
    }

    #[test]
    fn unknown_keys_land_in_extra_and_typed_ones_are_not_written_twice() {
        let mut user: User = serde_json::from_value(json!({
            "pk": 1, "username": "u", "name": "U", "avatar": "a", "future": {"x": 1}
        }))
        .expect("user");
        assert_eq!(user.extra.len(), 2);
        assert_eq!(user.extra["future"], json!({"x": 1}));
        user.extra.insert("pk".to_owned(), json!(99));
        user.extra.insert("type".to_owned(), json!("robot"));
        let text = serde_json::to_string(&user).expect("serialise");
        assert_eq!(text.matches("\"pk\"").count(), 1, "{text}");
        assert_eq!(text.matches("\"type\"").count(), 1, "{text}");
        let back: Value = serde_json::from_str(&text).expect("json");
        assert_eq!(back["pk"], 1);
        assert_eq!(back["type"], "internal");
        assert_eq!(back["avatar"], "a");
    }

    #[test]
    fn user_types_round_trip() {
        for (t, wire) in [
            (UserType::Internal, "internal"),
            (UserType::External, "external"),
            (UserType::ServiceAccount, "service_account"),
            (UserType::InternalServiceAccount, "internal_service_account"),
            (UserType::Other("robot".to_owned()), "robot"),
        ] {
            assert_eq!(serde_json::to_value(&t).expect("serialise"), json!(wire));
            assert_eq!(
                serde_json::from_value::<UserType>(json!(wire)).expect("decode"),
                t
            );
            assert_eq!(t.to_string(), wire);
            assert_eq!(wire.parse::<UserType>(), Ok(t.clone()));
            assert_eq!(UserType::from(wire.to_owned()), t);
        }
        assert_eq!(UserType::VALUES.len(), 4);
        for v in UserType::VALUES {
            assert!(!matches!(UserType::from(*v), UserType::Other(_)), "{v}");
        }
        // "unknown" is no longer special: it is a value like any other.
        assert_eq!(
            UserType::from("unknown"),
            UserType::Other("unknown".to_owned())
        );
        assert_eq!(UserType::default(), UserType::Internal);
    }
}
