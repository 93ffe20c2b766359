//! Reading a struct's field names from its `Deserialize` implementation.
//!
//! serde's derive passes the (renamed) field names to `Deserializer::deserialize_struct`. A
//! deserializer that records them and stops gives the exact list the decoder will look for, so
//! the `fields` a list query requests can never drift from the model it decodes into.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, Visitor};

#[derive(Debug)]
struct Found(Option<&'static [&'static str]>);

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("field introspection")
    }
}

impl std::error::Error for Found {}

impl de::Error for Found {
    fn custom<M: fmt::Display>(_msg: M) -> Self {
        Found(None)
    }
}

struct Probe;

impl<'de> Deserializer<'de> for Probe {
    type Error = Found;

    fn deserialize_any<V: Visitor<'de>>(self, _v: V) -> Result<V::Value, Found> {
        Err(Found(None))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _v: V,
    ) -> Result<V::Value, Found> {
        Err(Found(Some(fields)))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map enum identifier ignored_any
    }
}

/// The field names of `T` when it deserializes as a plain struct, else `None`.
pub(crate) fn struct_fields<'de, T: Deserialize<'de>>() -> Option<&'static [&'static str]> {
    match T::deserialize(Probe) {
        Err(Found(f)) => f,
        Ok(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    #[allow(dead_code)]
    struct Job {
        status: String,
        #[serde(rename = "job_type")]
        kind: Option<String>,
    }

    #[derive(serde::Deserialize)]
    #[allow(dead_code)]
    struct WithFlatten {
        a: String,
        #[serde(flatten)]
        rest: serde_json::Map<String, serde_json::Value>,
    }

    #[test]
    fn struct_fields_follow_serde_renames() {
        assert_eq!(struct_fields::<Job>(), Some(&["status", "job_type"][..]));
    }

    #[test]
    fn maps_and_flattened_structs_have_no_fixed_fields() {
        assert_eq!(struct_fields::<serde_json::Value>(), None);
        assert_eq!(struct_fields::<WithFlatten>(), None);
    }
}
