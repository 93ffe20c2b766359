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

/// Shared visitor of the lenient numeric helpers: numbers as numbers, numeric text as numbers,
/// `""` and `null` as `None`.
macro_rules! lenient_number {
    ($ty:ty, $expecting:literal, $parse:expr, $from_i64:expr, $from_u64:expr, $from_f64:expr) => {
        use serde::Serializer;
        use serde::de::{self, Deserializer, Visitor};
        use std::fmt;

        /// Serialises `Some(n)` as a JSON number and `None` as `null`.
        pub fn serialize<S: Serializer>(v: &Option<$ty>, s: S) -> Result<S::Ok, S::Error> {
            match v {
                Some(n) => s.serialize_some(n),
                None => s.serialize_none(),
            }
        }

        /// Reads a JSON number, a string holding one (`"0"`, `" 42 "`), `""` or `null`.
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<$ty>, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Option<$ty>;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str($expecting)
                }
                fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                    $from_i64(v)
                        .map(Some)
                        .ok_or_else(|| E::invalid_value(de::Unexpected::Signed(v), &self))
                }
                fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                    $from_u64(v)
                        .map(Some)
                        .ok_or_else(|| E::invalid_value(de::Unexpected::Unsigned(v), &self))
                }
                fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                    $from_f64(v)
                        .map(Some)
                        .ok_or_else(|| E::invalid_value(de::Unexpected::Float(v), &self))
                }
                fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                    let t = v.trim();
                    if t.is_empty() {
                        return Ok(None);
                    }
                    $parse(t)
                        .map(Some)
                        .ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))
                }
                fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                    Ok(None)
                }
                fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                    Ok(None)
                }
                fn visit_some<D2: Deserializer<'de>>(
                    self,
                    d: D2,
                ) -> Result<Self::Value, D2::Error> {
                    d.deserialize_any(self)
                }
            }
            d.deserialize_any(V)
        }
    };
}

/// An `Int` field as `Option<i64>`, decoded leniently: a real Frappe server sends some integer
/// columns as strings — every Single doctype's document carries `"idx": "0"`, and a Single's
/// Int settings come back as text (`"minimum_password_score": "2"`, `"currency_precision": ""`).
/// Accepts JSON integers, floats without a fraction, numeric strings, `""` and `null` (`None`).
///
/// ```
/// #[derive(serde::Deserialize)]
/// struct Settings {
///     #[serde(default, with = "frappe_client::fields::int")]
///     minimum_password_score: Option<i64>,
///     #[serde(default, with = "frappe_client::fields::int")]
///     currency_precision: Option<i64>,
/// }
/// let s: Settings =
///     serde_json::from_str(r#"{"minimum_password_score": "2", "currency_precision": ""}"#).unwrap();
/// assert_eq!((s.minimum_password_score, s.currency_precision), (Some(2), None));
/// ```
pub mod int {
    lenient_number!(
        i64,
        "an integer, a string holding one, \"\" or null",
        |t: &str| t
            .parse::<i64>()
            .ok()
            .or_else(|| t.parse::<f64>().ok().and_then(super::whole)),
        Some,
        |v: u64| i64::try_from(v).ok(),
        super::whole
    );
}

/// A `Float`, `Currency` or `Percent` field as `Option<f64>`, decoded leniently: numbers, numeric
/// strings (`"3"`, `"0.15"`, as a Single's settings arrive), `""` and `null` (`None`).
///
/// ```
/// #[derive(serde::Deserialize)]
/// struct Line {
///     #[serde(default, with = "frappe_client::fields::float")]
///     rate: Option<f64>,
/// }
/// let l: Line = serde_json::from_str(r#"{"rate": "12.5"}"#).unwrap();
/// assert_eq!(l.rate, Some(12.5));
/// ```
pub mod float {
    lenient_number!(
        f64,
        "a number, a string holding one, \"\" or null",
        |t: &str| t.parse::<f64>().ok().filter(|f| f.is_finite()),
        |v: i64| Some(v as f64),
        |v: u64| Some(v as f64),
        |v: f64| Some(v)
    );
}

/// `v` as an `i64` when it is a whole number in range.
fn whole(v: f64) -> Option<i64> {
    (v.is_finite() && v.fract() == 0.0 && v.abs() < 9.0e15).then_some(v as i64)
}
