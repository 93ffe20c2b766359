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

/// What one probe of a single field saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Seq,
    Other,
}

#[derive(Debug)]
struct Seen(Option<Kind>);

impl fmt::Display for Seen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("field kind introspection")
    }
}

impl std::error::Error for Seen {}

impl de::Error for Seen {
    fn custom<M: fmt::Display>(_msg: M) -> Self {
        Seen(None)
    }
}

/// Deserialises a struct from a one-entry map whose value reports how it is read.
struct OneField(&'static str);

impl<'de> Deserializer<'de> for OneField {
    type Error = Seen;

    fn deserialize_any<V: Visitor<'de>>(self, _v: V) -> Result<V::Value, Seen> {
        Err(Seen(None))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Seen> {
        v.visit_map(OneEntry(Some(self.0)))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map enum identifier ignored_any
    }
}

struct OneEntry(Option<&'static str>);

impl<'de> de::MapAccess<'de> for OneEntry {
    type Error = Seen;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Seen> {
        match self.0 {
            Some(key) => seed
                .deserialize(de::value::BorrowedStrDeserializer::<Seen>::new(key))
                .map(Some),
            None => Ok(None),
        }
    }

    fn next_value_seed<V: de::DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Seen> {
        self.0 = None;
        seed.deserialize(ValueProbe)
    }
}

/// Stops at the first request, recording whether the value wanted a sequence (a child table
/// modelled as `Vec<Row>`, possibly inside `Option`).
struct ValueProbe;

impl<'de> Deserializer<'de> for ValueProbe {
    type Error = Seen;

    fn deserialize_any<V: Visitor<'de>>(self, _v: V) -> Result<V::Value, Seen> {
        Err(Seen(Some(Kind::Other)))
    }

    fn deserialize_seq<V: Visitor<'de>>(self, _v: V) -> Result<V::Value, Seen> {
        Err(Seen(Some(Kind::Seq)))
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Seen> {
        v.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        v: V,
    ) -> Result<V::Value, Seen> {
        v.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

/// The fields of `T` that are database columns: every field except those read as a sequence,
/// which in a Frappe model are child tables (lists cannot request them). `None` when `T` is not
/// a plain struct.
pub(crate) fn column_fields<T: for<'de> Deserialize<'de>>() -> Option<Vec<&'static str>> {
    let fields = struct_fields::<T>()?;
    Some(
        fields
            .iter()
            .copied()
            .filter(|f| !matches!(T::deserialize(OneField(f)), Err(Seen(Some(Kind::Seq)))))
            .collect(),
    )
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

    #[derive(serde::Deserialize)]
    #[allow(dead_code)]
    struct Invoice {
        customer: String,
        #[serde(default)]
        items: Vec<serde_json::Value>,
        taxes: Option<Vec<String>>,
        #[serde(default, with = "crate::models::fields::check")]
        is_return: bool,
        grand_total: Option<f64>,
        posting_date: Option<chrono::NaiveDate>,
        modified: Option<crate::FrappeDateTime>,
    }

    #[test]
    fn child_tables_are_not_columns() {
        assert_eq!(
            column_fields::<Invoice>().unwrap(),
            [
                "customer",
                "is_return",
                "grand_total",
                "posting_date",
                "modified"
            ]
        );
    }

    #[test]
    fn maps_and_flattened_structs_have_no_fixed_fields() {
        assert_eq!(struct_fields::<serde_json::Value>(), None);
        assert_eq!(struct_fields::<WithFlatten>(), None);
    }
}
