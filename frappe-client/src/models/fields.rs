//! serde helpers for Frappe field types that JSON does not carry natively.
//!
//! Use them on your own doctype models:
//!
//! ```
//! #[derive(serde::Serialize, serde::Deserialize)]
//! struct Technician {
//!     #[serde(default, with = "frappe_client::fields::check")]
//!     active: bool,
//! }
//! let t: Technician = serde_json::from_str(r#"{"active": 1}"#).unwrap();
//! assert!(t.active);
//! assert_eq!(serde_json::to_string(&t).unwrap(), r#"{"active":1}"#);
//! ```

/// A `Check` field: `0`/`1` on the wire, `bool` in Rust. Also accepts JSON booleans, `"0"`/`"1"`
/// and `null` (false).
pub mod check {
    use serde::Serializer;
    use serde::de::{self, Deserializer, Visitor};
    use std::fmt;

    /// Serialises `true` as `1` and `false` as `0`.
    pub fn serialize<S: Serializer>(v: &bool, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(u8::from(*v))
    }

    /// Reads `0`/`1`, booleans, `"0"`/`"1"` or `null`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = bool;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a Check value: 0, 1, true or false")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
                Ok(v)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<bool, E> {
                Ok(v != 0)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<bool, E> {
                Ok(v != 0)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<bool, E> {
                Ok(v != 0.0)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
                match v {
                    "0" | "" => Ok(false),
                    "1" => Ok(true),
                    other => Err(E::invalid_value(de::Unexpected::Str(other), &self)),
                }
            }
            fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
                Ok(false)
            }
            fn visit_none<E: de::Error>(self) -> Result<bool, E> {
                Ok(false)
            }
        }
        d.deserialize_any(V)
    }
}
