//! [`Query`]: filters for `GET /devices/` that mean what they say and cannot crash the NBI.
//!
//! GenieACS rewrites a device filter before MongoDB sees it (NBI.md §4.1): every *string* value
//! becomes alternatives — itself, a regex when it looks like `/…/`, a number when it parses as
//! one, a date when it parses as one, a wildcard match when it holds `*` — and some shapes crash
//! the worker (`$where`, `$text`, `$expr`, a non-array `$and`). So the builder emits only safe
//! shapes: string equality is an anchored, escaped `$regex` (passed to MongoDB untouched, so a
//! serial `ABC*` means `ABC*`), numbers and booleans stay plain, and each node is one operator
//! on one field. [`Query::raw`] is the escape hatch, checked for the known crash triggers.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

/// A device filter. Build with the constructors, combine with [`Query::and`] / [`Query::or`],
/// send through [`Devices::page`](crate::Devices::page) or [`Devices::stream`](crate::Devices::stream).
///
/// ```
/// use genieacs_client::Query;
/// let q = Query::eq("_deviceId._SerialNumber", "22411A5001234")
///     .and(Query::tag("residential"))
///     .and(Query::before("_lastInform", "2026-06-15T00:00:00Z".parse().unwrap()));
/// assert_eq!(
///     q.to_json().unwrap().to_string(),
///     r#"{"$and":[{"_deviceId._SerialNumber":{"$regex":"^22411A5001234$"}},{"_tags":{"$regex":"^residential$"}},{"_lastInform":{"$lt":"2026-06-15T00:00:00.000Z"}}]}"#
/// );
/// // A wildcard in a serial is just a character.
/// assert_eq!(
///     Query::eq("_deviceId._SerialNumber", "ABC*").to_json().unwrap().to_string(),
///     r#"{"_deviceId._SerialNumber":{"$regex":"^ABC\\*$"}}"#
/// );
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Query {
    /// Every device.
    All,
    /// `path` equals a string exactly (case-sensitive).
    EqStr(String, String),
    /// `path` equals a number.
    EqNum(String, f64),
    /// `path` equals a boolean.
    EqBool(String, bool),
    /// `path` is not this string.
    NeStr(String, String),
    /// `path` is one of these strings.
    InStr(String, Vec<String>),
    /// `path` (a number) is greater than.
    Gt(String, f64),
    /// `path` (a number) is less than.
    Lt(String, f64),
    /// `path` (a date) is before.
    Before(String, DateTime<Utc>),
    /// `path` (a date) is after.
    After(String, DateTime<Utc>),
    /// `path` exists (or not).
    Exists(String, bool),
    /// The device carries this tag.
    Tag(String),
    /// All of these.
    And(Vec<Query>),
    /// Any of these.
    Or(Vec<Query>),
    /// A raw filter, checked by [`Query::raw`].
    Raw(Value),
}

/// Why a query was refused before sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError(pub String);

impl std::fmt::Display for QueryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for QueryError {}

/// Escapes every regex metacharacter.
fn regex_literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('^');
    for c in s.chars() {
        if "\\.^$|?*+()[]{}/".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('$');
    out
}

/// Checks a parameter path: dotted, no empty segment, no trailing dot, no operator segment.
pub(crate) fn check_path(path: &str) -> Result<(), QueryError> {
    let ok = !path.is_empty()
        && path.len() <= 512
        && path.split('.').all(|seg| {
            !seg.is_empty()
                && !seg.starts_with('$')
                && seg
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '*' | ':'))
        });
    if ok {
        Ok(())
    } else {
        Err(QueryError(format!(
            "{path:?} is not a parameter path (dotted names, no trailing dot)"
        )))
    }
}

fn iso(d: &DateTime<Utc>) -> String {
    d.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn field(path: &str, v: Value) -> Result<Value, QueryError> {
    check_path(path)?;
    let mut m = Map::new();
    m.insert(path.to_owned(), v);
    Ok(Value::Object(m))
}

impl Query {
    /// `path` equals `value` exactly.
    pub fn eq(path: impl Into<String>, value: impl Into<String>) -> Self {
        Query::EqStr(path.into(), value.into())
    }

    /// `path` is not `value`.
    pub fn ne(path: impl Into<String>, value: impl Into<String>) -> Self {
        Query::NeStr(path.into(), value.into())
    }

    /// The device carries `tag`.
    pub fn tag(tag: impl Into<String>) -> Self {
        Query::Tag(tag.into())
    }

    /// `path` is before `when` (`_lastInform`, a `xsd:dateTime` parameter).
    pub fn before(path: impl Into<String>, when: DateTime<Utc>) -> Self {
        Query::Before(path.into(), when)
    }

    /// `path` is after `when`.
    pub fn after(path: impl Into<String>, when: DateTime<Utc>) -> Self {
        Query::After(path.into(), when)
    }

    /// Both.
    pub fn and(self, other: Query) -> Self {
        match (self, other) {
            (Query::All, q) | (q, Query::All) => q,
            (Query::And(mut a), Query::And(b)) => {
                a.extend(b);
                Query::And(a)
            }
            (Query::And(mut a), q) => {
                a.push(q);
                Query::And(a)
            }
            (q, Query::And(mut b)) => {
                b.insert(0, q);
                Query::And(b)
            }
            (a, b) => Query::And(vec![a, b]),
        }
    }

    /// Either.
    pub fn or(self, other: Query) -> Self {
        match (self, other) {
            (Query::Or(mut a), q) => {
                a.push(q);
                Query::Or(a)
            }
            (a, b) => Query::Or(vec![a, b]),
        }
    }

    /// A raw MongoDB filter — **the escape hatch**: strings in it get GenieACS's rewriting.
    /// Refused: `$where`, `$text`, `$expr` (they crash the NBI worker), a logical operator whose
    /// value is not an array, `$ne`/`$not` beside another operator on one field.
    pub fn raw(filter: Value) -> Result<Self, QueryError> {
        check_raw(&filter, true)?;
        Ok(Query::Raw(filter))
    }

    /// The JSON filter sent as `query=`.
    pub fn to_json(&self) -> Result<Value, QueryError> {
        Ok(match self {
            Query::All => json!({}),
            Query::EqStr(p, v) => field(p, json!({ "$regex": regex_literal(v) }))?,
            Query::EqNum(p, n) => field(p, json!(n))?,
            Query::EqBool(p, b) => field(p, json!(b))?,
            Query::NeStr(p, v) => field(p, json!({ "$not": { "$regex": regex_literal(v) } }))?,
            Query::InStr(p, vs) => {
                if vs.is_empty() {
                    return Err(QueryError(format!("{p}: an empty list matches nothing")));
                }
                let alts: Result<Vec<Value>, _> = vs
                    .iter()
                    .map(|v| field(p, json!({ "$regex": regex_literal(v) })))
                    .collect();
                json!({ "$or": alts? })
            }
            Query::Gt(p, n) => field(p, json!({ "$gt": n }))?,
            Query::Lt(p, n) => field(p, json!({ "$lt": n }))?,
            Query::Before(p, d) => field(p, json!({ "$lt": iso(d) }))?,
            Query::After(p, d) => field(p, json!({ "$gt": iso(d) }))?,
            Query::Exists(p, e) => field(p, json!({ "$exists": e }))?,
            Query::Tag(t) => {
                if t.is_empty() {
                    return Err(QueryError("a tag is not empty".to_owned()));
                }
                json!({ "_tags": { "$regex": regex_literal(t) } })
            }
            Query::And(qs) if qs.is_empty() => json!({}),
            Query::And(qs) => {
                json!({ "$and": qs.iter().map(Query::to_json).collect::<Result<Vec<_>, _>>()? })
            }
            Query::Or(qs) if qs.is_empty() => {
                return Err(QueryError("an empty `or` matches nothing".to_owned()));
            }
            Query::Or(qs) => {
                json!({ "$or": qs.iter().map(Query::to_json).collect::<Result<Vec<_>, _>>()? })
            }
            Query::Raw(v) => v.clone(),
        })
    }
}

fn check_raw(v: &Value, top: bool) -> Result<(), QueryError> {
    let Value::Object(m) = v else {
        return Err(QueryError("a filter is a JSON object".to_owned()));
    };
    for (k, val) in m {
        match k.as_str() {
            "$where" | "$text" | "$expr" => {
                return Err(QueryError(format!("{k} crashes the GenieACS NBI")));
            }
            "$and" | "$or" | "$nor" => {
                let Value::Array(items) = val else {
                    return Err(QueryError(format!("{k} needs an array")));
                };
                for item in items {
                    check_raw(item, false)?;
                }
            }
            k if k.starts_with('$') && top => {
                return Err(QueryError(format!("{k} is not a top-level operator")));
            }
            path => {
                check_path(path)?;
                if let Value::Object(ops) = val {
                    let negated = ops.contains_key("$ne") || ops.contains_key("$not");
                    if negated && ops.len() > 1 {
                        return Err(QueryError(format!(
                            "{path}: $ne/$not beside another operator crashes the NBI"
                        )));
                    }
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_mean_themselves() {
        for (value, regex) in [
            ("ABC*", "^ABC\\*$"),
            ("/x/i", "^\\/x\\/i$"),
            ("12345", "^12345$"),
            ("a.b(c)", "^a\\.b\\(c\\)$"),
        ] {
            assert_eq!(
                Query::eq("Device.WiFi.SSID.1.SSID", value)
                    .to_json()
                    .unwrap(),
                json!({"Device.WiFi.SSID.1.SSID": {"$regex": regex}})
            );
        }
    }

    #[test]
    fn crash_triggers_are_refused() {
        for bad in [
            json!({"$where": "1"}),
            json!({"$expr": {}}),
            json!({"$and": {"a": 1}}),
            json!({"a": {"$ne": "x", "$gt": "y"}}),
            json!({"Device.": 1}),
            json!([1]),
        ] {
            assert!(Query::raw(bad.clone()).is_err(), "{bad}");
        }
        assert!(Query::raw(json!({"$or": [{"_tags": "vip"}, {"_id": "X"}]})).is_ok());
        assert!(Query::eq("Device.WiFi.", "x").to_json().is_err());
        assert!(Query::eq("$where", "x").to_json().is_err());
        assert!(Query::Or(vec![]).to_json().is_err());
    }
}
