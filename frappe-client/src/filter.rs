//! Typed list filters, serialised to Frappe's list grammar.
//!
//! ```
//! use frappe_client::Filter;
//! let filters = [
//!     Filter::eq("status", "Open"),
//!     Filter::gt("grand_total", 100),
//!     Filter::is_in("customer", ["CUST-1", "CUST-2"]),
//!     Filter::is_set("technician"),
//!     Filter::eq("link_name", "CUST-1").on_child("Dynamic Link"),
//! ];
//! assert_eq!(
//!     serde_json::to_string(&filters).unwrap(),
//!     r#"[["status","=","Open"],["grand_total",">",100],["customer","in",["CUST-1","CUST-2"]],["technician","is","set"],["Dynamic Link","link_name","=","CUST-1"]]"#
//! );
//! ```

use serde::ser::{Serialize, SerializeSeq, Serializer};
use serde_json::Value;

/// A comparison operator of Frappe's filter grammar.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Operator {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `>`
    Gt,
    /// `>=`
    Gte,
    /// `<`
    Lt,
    /// `<=`
    Lte,
    /// `like` (`%` and `_` wildcards)
    Like,
    /// `not like`
    NotLike,
    /// `in` (a list)
    In,
    /// `not in` (a list)
    NotIn,
    /// `is` with `"set"` or `"not set"`
    Is,
    /// `between` (a two-element list; dates)
    Between,
    /// `timespan` (`"last week"`, `"this month"`, ...)
    Timespan,
    /// Any other operator Frappe knows (`descendants of`, `previous`, ...), spelled as Frappe spells it.
    Other(String),
}

impl Operator {
    /// The operator as it appears on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Operator::Eq => "=",
            Operator::Ne => "!=",
            Operator::Gt => ">",
            Operator::Gte => ">=",
            Operator::Lt => "<",
            Operator::Lte => "<=",
            Operator::Like => "like",
            Operator::NotLike => "not like",
            Operator::In => "in",
            Operator::NotIn => "not in",
            Operator::Is => "is",
            Operator::Between => "between",
            Operator::Timespan => "timespan",
            Operator::Other(s) => s,
        }
    }
}

/// One condition: `[field, operator, value]`, or `[child_doctype, field, operator, value]` to
/// match a child-table row.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    doctype: Option<String>,
    field: String,
    op: Operator,
    value: Value,
}

fn json(v: impl Serialize) -> Value {
    // Serialising plain data (strings, numbers, lists of them) into a Value cannot fail; a
    // type whose Serialize impl errors becomes null and the server rejects the filter.
    serde_json::to_value(v).unwrap_or(Value::Null)
}

impl Filter {
    /// A condition with any operator.
    pub fn new(field: impl Into<String>, op: Operator, value: impl Serialize) -> Self {
        Self {
            doctype: None,
            field: field.into(),
            op,
            value: json(value),
        }
    }

    /// `field = value`
    pub fn eq(field: impl Into<String>, value: impl Serialize) -> Self {
        Self::new(field, Operator::Eq, value)
    }

    /// `field != value`
    pub fn ne(field: impl Into<String>, value: impl Serialize) -> Self {
        Self::new(field, Operator::Ne, value)
    }

    /// `field > value`
    pub fn gt(field: impl Into<String>, value: impl Serialize) -> Self {
        Self::new(field, Operator::Gt, value)
    }

    /// `field >= value`
    pub fn gte(field: impl Into<String>, value: impl Serialize) -> Self {
        Self::new(field, Operator::Gte, value)
    }

    /// `field < value`
    pub fn lt(field: impl Into<String>, value: impl Serialize) -> Self {
        Self::new(field, Operator::Lt, value)
    }

    /// `field <= value`
    pub fn lte(field: impl Into<String>, value: impl Serialize) -> Self {
        Self::new(field, Operator::Lte, value)
    }

    /// `field like pattern` (`%` any run, `_` one character).
    pub fn like(field: impl Into<String>, pattern: impl Into<String>) -> Self {
        Self::new(field, Operator::Like, pattern.into())
    }

    /// `field not like pattern`
    pub fn not_like(field: impl Into<String>, pattern: impl Into<String>) -> Self {
        Self::new(field, Operator::NotLike, pattern.into())
    }

    /// `field in [values]`
    pub fn is_in<V: Serialize>(
        field: impl Into<String>,
        values: impl IntoIterator<Item = V>,
    ) -> Self {
        let values: Vec<Value> = values.into_iter().map(json).collect();
        Self::new(field, Operator::In, values)
    }

    /// `field not in [values]`
    pub fn not_in<V: Serialize>(
        field: impl Into<String>,
        values: impl IntoIterator<Item = V>,
    ) -> Self {
        let values: Vec<Value> = values.into_iter().map(json).collect();
        Self::new(field, Operator::NotIn, values)
    }

    /// `field between [from, to]` (inclusive; dates or datetimes).
    pub fn between(field: impl Into<String>, from: impl Serialize, to: impl Serialize) -> Self {
        Self::new(field, Operator::Between, [json(from), json(to)])
    }

    /// `field is set`: not null and not empty.
    pub fn is_set(field: impl Into<String>) -> Self {
        Self::new(field, Operator::Is, "set")
    }

    /// `field is not set`: null or empty.
    pub fn is_not_set(field: impl Into<String>) -> Self {
        Self::new(field, Operator::Is, "not set")
    }

    /// Makes this a child-table condition: a parent matches when one of its rows of
    /// `child_doctype` ("Dynamic Link", "Sales Invoice Item") matches.
    pub fn on_child(mut self, child_doctype: impl Into<String>) -> Self {
        self.doctype = Some(child_doctype.into());
        self
    }

    /// The field the condition tests.
    pub fn field(&self) -> &str {
        &self.field
    }

    /// The operator.
    pub fn operator(&self) -> &Operator {
        &self.op
    }

    /// The value compared with.
    pub fn value(&self) -> &Value {
        &self.value
    }

    pub(crate) fn validate(&self) -> Result<(), String> {
        let ok = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_alphanumeric() || matches!(c, '_' | ' ' | '.' | '`' | '-'))
        };
        if !ok(&self.field) {
            return Err(format!("filter field {:?} is not a field name", self.field));
        }
        if let Some(dt) = &self.doctype
            && !ok(dt)
        {
            return Err(format!("filter doctype {dt:?} is not a doctype name"));
        }
        match (&self.op, &self.value) {
            (Operator::In | Operator::NotIn, Value::Array(_)) => Ok(()),
            (Operator::In | Operator::NotIn, _) => {
                Err(format!("filter on {:?}: `in` needs a list", self.field))
            }
            (Operator::Between, Value::Array(a)) if a.len() == 2 => Ok(()),
            (Operator::Between, _) => Err(format!(
                "filter on {:?}: `between` needs exactly two values",
                self.field
            )),
            _ => Ok(()),
        }
    }
}

impl Serialize for Filter {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let n = if self.doctype.is_some() { 4 } else { 3 };
        let mut seq = s.serialize_seq(Some(n))?;
        if let Some(dt) = &self.doctype {
            seq.serialize_element(dt)?;
        }
        seq.serialize_element(&self.field)?;
        seq.serialize_element(self.op.as_str())?;
        seq.serialize_element(&self.value)?;
        seq.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_filters_are_refused_before_sending() {
        assert!(Filter::eq("status", "Open").validate().is_ok());
        assert!(Filter::eq("", "x").validate().is_err());
        assert!(Filter::eq("a; drop table", "x").validate().is_err());
        assert!(Filter::new("a", Operator::In, "x").validate().is_err());
        assert!(
            Filter::new("d", Operator::Between, ["2026-01-01"])
                .validate()
                .is_err()
        );
        assert!(
            Filter::between("d", "2026-01-01", "2026-02-01")
                .validate()
                .is_ok()
        );
    }

    #[test]
    fn child_filters_have_four_elements() {
        let f = Filter::eq("link_name", "C1").on_child("Dynamic Link");
        assert_eq!(
            serde_json::to_value(&f).unwrap(),
            serde_json::json!(["Dynamic Link", "link_name", "=", "C1"])
        );
    }
}
