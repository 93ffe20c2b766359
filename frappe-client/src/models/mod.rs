//! Document models: the generic [`Doc<T>`] and the wire types it is made of.
//!
//! A Frappe document is a JSON object with a few standard columns (`name`, `owner`, `creation`,
//! `modified`, `modified_by`, `docstatus`, `idx`) and the doctype's own fields. [`Doc<T>`] types
//! the standard columns, decodes the business fields into `T` and keeps every other key in
//! [`Doc::extra`], so a field added upstream never breaks decoding.

mod datetime;
pub mod fields;
mod introspect;

use std::fmt;

use serde::de::{self, DeserializeOwned, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};

pub use datetime::FrappeDateTime;
pub(crate) use introspect::column_fields;

/// A doctype with a Rust model: `DOCTYPE` is the doctype's name as Frappe spells it.
///
/// Implement it on the struct that holds the doctype's business fields, then use the typed
/// handler [`Client::docs`](crate::Client::docs):
///
/// ```
/// use frappe_client::DocType;
/// #[derive(serde::Serialize, serde::Deserialize)]
/// struct ServiceLocation {
///     customer: String,
///     city: Option<String>,
/// }
/// impl DocType for ServiceLocation {
///     const DOCTYPE: &'static str = "Service Location";
/// }
/// ```
pub trait DocType: Serialize + DeserializeOwned {
    /// The doctype's name, with its spaces ("Sales Invoice").
    const DOCTYPE: &'static str;
}

/// The primary key of a document (`name`).
///
/// Frappe names are strings, except for autoincrement doctypes, whose JSON carries an integer:
/// both decode into a `DocName`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct DocName(String);

impl DocName {
    /// Wraps a name.
    pub fn new(name: impl Into<String>) -> Self {
        Self(name.into())
    }

    /// The name as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name as an owned string.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for DocName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for DocName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<&str> for DocName {
    fn from(s: &str) -> Self {
        Self(s.to_owned())
    }
}

impl From<String> for DocName {
    fn from(s: String) -> Self {
        Self(s)
    }
}

impl From<&DocName> for DocName {
    fn from(s: &DocName) -> Self {
        s.clone()
    }
}

impl Serialize for DocName {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for DocName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = DocName;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a document name (string or integer)")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<DocName, E> {
                Ok(DocName(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<DocName, E> {
                Ok(DocName(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<DocName, E> {
                Ok(DocName(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<DocName, E> {
                Ok(DocName(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// The lifecycle state of a document (`docstatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum DocStatus {
    /// `0`: saved, editable.
    #[default]
    Draft,
    /// `1`: submitted (submittable doctypes only); only "allow on submit" fields can change.
    Submitted,
    /// `2`: cancelled; read-only.
    Cancelled,
}

impl DocStatus {
    /// The wire value: 0, 1 or 2.
    pub fn as_u8(self) -> u8 {
        match self {
            DocStatus::Draft => 0,
            DocStatus::Submitted => 1,
            DocStatus::Cancelled => 2,
        }
    }
}

impl Serialize for DocStatus {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(self.as_u8())
    }
}

impl<'de> Deserialize<'de> for DocStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Numbers, or (leniently, like `idx`) numeric strings.
        match fields::int::deserialize(d)?.unwrap_or(0) {
            0 => Ok(DocStatus::Draft),
            1 => Ok(DocStatus::Submitted),
            2 => Ok(DocStatus::Cancelled),
            other => Err(de::Error::custom(format_args!(
                "docstatus must be 0, 1 or 2, got {other}"
            ))),
        }
    }
}

/// Business fields for a document read without a model: every field lands in [`Doc::extra`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Untyped {}

/// A Frappe document: standard columns typed, business fields in `T`, the rest in `extra`.
///
/// `Doc<T>` serialises back to the same flat JSON object Frappe sent, so a document can be
/// round-tripped. Standard columns that a list query did not request are `None`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Doc<T = Untyped> {
    /// Primary key.
    pub name: DocName,
    /// The user who created the document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// When it was created (site time zone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation: Option<FrappeDateTime>,
    /// When it was last saved (site time zone); sent back on update for optimistic locking.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified: Option<FrappeDateTime>,
    /// The user who saved it last.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified_by: Option<String>,
    /// Draft, submitted or cancelled.
    #[serde(default)]
    pub docstatus: DocStatus,
    /// Row position (1-based in child tables, 0 on top-level documents). Decoded leniently: a
    /// Single doctype's document carries it as the string `"0"`.
    #[serde(default, with = "fields::int", skip_serializing_if = "Option::is_none")]
    pub idx: Option<i64>,
    /// The doctype's business fields.
    #[serde(flatten)]
    pub fields: T,
    /// Every key neither the standard columns nor `T` took: custom fields, child tables you did
    /// not model, `doctype`, meta columns.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl<T> Doc<T> {
    /// A key from [`extra`](Self::extra), decoded into `V`; `None` when absent or of another
    /// shape.
    pub fn extra_field<V: DeserializeOwned>(&self, key: &str) -> Option<V> {
        self.extra.get(key).and_then(|v| V::deserialize(v).ok())
    }
}

/// The standard columns every document has, in the order list queries request them.
pub const STANDARD_FIELDS: &[&str] = &[
    "name",
    "owner",
    "creation",
    "modified",
    "modified_by",
    "docstatus",
    "idx",
];

/// The field list a list query must request to fill a `T`: the standard columns plus the
/// names `T`'s `Deserialize` implementation asks for, minus child tables (fields read as a
/// list), which are not columns and which list answers never carry. `None` when `T` does not
/// describe a fixed set of fields (a map, [`Untyped`], or a struct with a flattened member):
/// the caller then asks for `*`.
///
/// ```
/// #[derive(serde::Deserialize)]
/// struct Job { customer: String, status: Option<String>, #[serde(default)] equipment: Vec<serde_json::Value> }
/// let fields = frappe_client::models::fields_for::<Job>().unwrap();
/// assert_eq!(&fields[7..], ["customer", "status"]);
/// ```
pub fn fields_for<T: DeserializeOwned>() -> Option<Vec<String>> {
    let own = column_fields::<T>().filter(|f| !f.is_empty())?;
    let mut out: Vec<String> = STANDARD_FIELDS.iter().map(|s| (*s).to_owned()).collect();
    for f in own {
        if !out.iter().any(|o| o == f) {
            out.push((*f).to_owned());
        }
    }
    Some(out)
}
