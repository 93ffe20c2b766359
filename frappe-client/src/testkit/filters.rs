//! The `get_list` wire grammar — `fields`, `filters` / `or_filters`, `order_by`, `group_by`,
//! paging — parsed from request arguments and evaluated over in-memory documents the way
//! `frappe.model.db_query.DatabaseQuery` behaves on MariaDB.
//!
//! Semantics kept from MariaDB / Frappe:
//! * missing (NULL) values are compared through `ifnull(field, '')` (or `0` against a number), so
//!   `!=` and `not in` match documents where the field is unset;
//! * numbers compare numerically (a numeric string against a number too), strings byte-wise
//!   (Frappe's `YYYY-MM-DD HH:MM:SS.ffffff` datetimes therefore sort correctly);
//! * `like` is case-insensitive with `%` / `_` wildcards and `\` escapes;
//! * `is set` means "not NULL and not `''`" — and, as on MariaDB, a numeric `0` counts as not set;
//! * ascending order puts NULLs first.
//!
//! Equality stays case-sensitive (MariaDB's `_ci` collations are not reproduced).

use std::cmp::Ordering;
use std::collections::HashMap;

use serde_json::{Map, Number, Value};

/// Columns every doctype has (`frappe.model.default_fields` plus the optional meta columns).
pub(crate) const STANDARD_FIELDS: &[&str] = &[
    "name",
    "owner",
    "creation",
    "modified",
    "modified_by",
    "docstatus",
    "idx",
    "parent",
    "parentfield",
    "parenttype",
    "doctype",
    "_user_tags",
    "_comments",
    "_assign",
    "_liked_by",
    "_seen",
];

/// Frappe's `valid_operators`, in the order its error message lists them.
const OPERATORS: &[&str] = &[
    "=",
    "!=",
    ">",
    "<",
    ">=",
    "<=",
    "like",
    "not like",
    "in",
    "not in",
    "is",
    "between",
    "descendants of",
    "ancestors of",
    "not descendants of",
    "not ancestors of",
    "timespan",
    "previous",
    "next",
];

/// A malformed query argument; answered as a 417 with `exc_type`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QueryError {
    pub(crate) exc_type: &'static str,
    pub(crate) message: String,
}

impl QueryError {
    /// Python's `json.JSONDecodeError` for text that is not JSON (line and column 1-based,
    /// `char` 0-based, as Python counts on a one-line argument).
    pub(crate) fn json_decode(e: &serde_json::Error) -> Self {
        let column = e.column().max(1);
        Self {
            exc_type: "JSONDecodeError",
            message: format!(
                "Expecting value: line {} column {column} (char {})",
                e.line().max(1),
                column - 1
            ),
        }
    }

    pub(crate) fn validation(message: impl Into<String>) -> Self {
        Self {
            exc_type: "ValidationError",
            message: message.into(),
        }
    }

    pub(crate) fn data(message: impl Into<String>) -> Self {
        Self {
            exc_type: "DataError",
            message: message.into(),
        }
    }

    fn type_error(message: impl Into<String>) -> Self {
        Self {
            exc_type: "FrappeTypeError",
            message: message.into(),
        }
    }
}

/// A filter operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    Ne,
    Gt,
    Lt,
    Ge,
    Le,
    Like,
    NotLike,
    In,
    NotIn,
    Is,
    Between,
}

impl Op {
    fn parse(raw: &str) -> Result<Self, QueryError> {
        let op = raw
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase();
        Ok(match op.as_str() {
            "=" => Self::Eq,
            "!=" => Self::Ne,
            ">" => Self::Gt,
            "<" => Self::Lt,
            ">=" => Self::Ge,
            "<=" => Self::Le,
            "like" => Self::Like,
            "not like" => Self::NotLike,
            "in" => Self::In,
            "not in" => Self::NotIn,
            "is" => Self::Is,
            "between" => Self::Between,
            "descendants of"
            | "ancestors of"
            | "not descendants of"
            | "not ancestors of"
            | "descendants of (inclusive)"
            | "timespan"
            | "previous"
            | "next" => {
                return Err(QueryError::validation(format!(
                    "The testkit does not implement the '{op}' filter operator"
                )));
            }
            _ => {
                return Err(QueryError::validation(format!(
                    "Operator must be one of {}",
                    OPERATORS.join(", ")
                )));
            }
        })
    }
}

/// One filter condition. `child` names a child doctype for 4-element filters on child tables.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Condition {
    pub(crate) child: Option<String>,
    pub(crate) field: String,
    pub(crate) op: Op,
    pub(crate) value: Value,
}

/// An aggregate function in `fields`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Agg {
    Count,
    CountDistinct,
    Sum,
    Avg,
    Min,
    Max,
}

/// One entry of `fields`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum FieldSpec {
    /// `*`: every top-level column (child tables excluded).
    Star,
    /// A column, optionally `as` an alias.
    Column { name: String, alias: Option<String> },
    /// `count(*)`, `sum(qty) as total`, ...; `arg` is `None` for `*`.
    Aggregate {
        func: Agg,
        arg: Option<String>,
        alias: String,
    },
}

impl FieldSpec {
    fn key(&self) -> Option<&str> {
        match self {
            Self::Star => None,
            Self::Column { name, alias } => Some(alias.as_deref().unwrap_or(name)),
            Self::Aggregate { alias, .. } => Some(alias),
        }
    }
}

/// One `order_by` key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OrderKey {
    pub(crate) field: String,
    pub(crate) desc: bool,
}

impl OrderKey {
    pub(crate) fn new(field: &str, desc: bool) -> Self {
        Self {
            field: field.to_owned(),
            desc,
        }
    }
}

/// Which paging parameters a route reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Paging {
    /// `limit_start` / `limit_page_length` (default 20, `0` = all); `limit` is an alias when
    /// `limit_alias` (the v1 resource route).
    V1 { limit_alias: bool },
    /// Frappe 15's thin v2 list: `limit_start`, `limit_page_length = limit or 20`.
    V2Legacy,
    /// Frappe 16's v2 list: `start` (default 0), `limit` (default 20).
    V2,
}

/// A parsed list request.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ListQuery {
    pub(crate) fields: Vec<FieldSpec>,
    pub(crate) filters: Vec<Condition>,
    pub(crate) or_filters: Vec<Condition>,
    /// Empty means "the server's default order".
    pub(crate) order_by: Vec<OrderKey>,
    pub(crate) group_by: Option<String>,
    pub(crate) start: usize,
    /// `None` means every row.
    pub(crate) page_length: Option<usize>,
    pub(crate) as_dict: bool,
}

impl Default for ListQuery {
    fn default() -> Self {
        Self {
            fields: vec![FieldSpec::Column {
                name: "name".to_owned(),
                alias: None,
            }],
            filters: Vec::new(),
            or_filters: Vec::new(),
            order_by: Vec::new(),
            group_by: None,
            start: 0,
            page_length: Some(20),
            as_dict: true,
        }
    }
}

impl ListQuery {
    /// Parses the arguments of a list call (query-string values are JSON strings; JSON-body
    /// values may already be structured).
    pub(crate) fn from_args(
        doctype: &str,
        args: &Map<String, Value>,
        paging: Paging,
    ) -> Result<Self, QueryError> {
        let mut q = Self {
            fields: parse_fields(doctype, args.get("fields"))?,
            filters: parse_filter_arg(doctype, args.get("filters"), "filters")?,
            or_filters: parse_filter_arg(doctype, args.get("or_filters"), "or_filters")?,
            order_by: match arg_string(args.get("order_by")) {
                Some(s) => parse_order_by(doctype, &s)?,
                None => Vec::new(),
            },
            group_by: match arg_string(args.get("group_by")) {
                Some(s) if !s.trim().is_empty() => Some(column_name(doctype, &s, "group_by")?),
                _ => None,
            },
            as_dict: arg_bool(args.get("as_dict"), "as_dict")?.unwrap_or(true),
            ..Self::default()
        };
        match paging {
            Paging::V1 { limit_alias } => {
                q.start = arg_usize(args.get("limit_start"), "limit_start")?.unwrap_or(0);
                let mut len = arg_usize(args.get("limit_page_length"), "limit_page_length")?;
                if len.is_none() && limit_alias {
                    len = arg_usize(args.get("limit"), "limit")?;
                }
                q.page_length = match len {
                    None => Some(20),
                    Some(0) => None,
                    Some(n) => Some(n),
                };
            }
            Paging::V2Legacy => {
                q.start = arg_usize(args.get("limit_start"), "limit_start")?.unwrap_or(0);
                q.page_length = match arg_usize(args.get("limit"), "limit")? {
                    None | Some(0) => Some(20),
                    Some(n) => Some(n),
                };
            }
            Paging::V2 => {
                q.start = arg_usize(args.get("start"), "start")?.unwrap_or(0);
                q.page_length = Some(arg_usize(args.get("limit"), "limit")?.unwrap_or(20));
            }
        }
        Ok(q)
    }
}

/// A string argument (numbers are stringified; empty strings and nulls are absent).
pub(crate) fn arg_string(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if s.is_empty() => None,
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(if *b { "1" } else { "0" }.to_owned()),
        _ => None,
    }
}

/// An argument that is JSON when it arrives as a string (`frappe.parse_json`).
pub(crate) fn arg_json(v: Option<&Value>) -> Result<Option<Value>, QueryError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        // Frappe `json.loads` the argument unguarded: bad JSON is an unhandled 500.
        Some(Value::String(s)) => serde_json::from_str(s)
            .map(Some)
            .map_err(|e| QueryError::json_decode(&e)),
        Some(other) => Ok(Some(other.clone())),
    }
}

/// A non-negative integer argument.
pub(crate) fn arg_usize(v: Option<&Value>, name: &str) -> Result<Option<usize>, QueryError> {
    let bad = || QueryError::type_error(format!("Argument '{name}' should be of type int"));
    let n: i128 = match v {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => return Ok(None),
        Some(Value::String(s)) => s.trim().parse::<i128>().map_err(|_| bad())?,
        Some(Value::Number(n)) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => i128::from(i),
            (_, Some(u), _) => i128::from(u),
            (_, _, Some(f)) if f.fract() == 0.0 && f.abs() < 1e18 => f as i128,
            _ => return Err(bad()),
        },
        Some(Value::Bool(b)) => i128::from(*b),
        Some(_) => return Err(bad()),
    };
    if n < 0 {
        return Err(QueryError::validation(format!(
            "Argument '{name}' must not be negative"
        )));
    }
    Ok(Some(usize::try_from(n).unwrap_or(usize::MAX)))
}

/// A boolean argument (`1/0/true/false`).
pub(crate) fn arg_bool(v: Option<&Value>, name: &str) -> Result<Option<bool>, QueryError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::Number(n)) => Ok(Some(n.as_f64().is_some_and(|f| f != 0.0))),
        Some(Value::String(s)) => match s.trim().to_lowercase().as_str() {
            "" => Ok(None),
            "1" | "true" | "yes" => Ok(Some(true)),
            "0" | "false" | "no" => Ok(Some(false)),
            _ => Err(QueryError::type_error(format!(
                "Argument '{name}' should be of type bool"
            ))),
        },
        Some(_) => Err(QueryError::type_error(format!(
            "Argument '{name}' should be of type bool"
        ))),
    }
}

fn is_identifier(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Splits `` `tabSales Invoice`.`name` `` into (`Some("Sales Invoice")`, `"name"`).
fn split_table(raw: &str) -> (Option<String>, String) {
    let raw = raw.trim();
    match raw.rfind('.') {
        Some(dot) => {
            let table = raw[..dot].trim().trim_matches('`').trim();
            let table = table.strip_prefix("tab").unwrap_or(table);
            let column = raw[dot + 1..].trim().trim_matches('`').trim();
            (Some(table.to_owned()), column.to_owned())
        }
        None => (None, raw.trim_matches('`').trim().to_owned()),
    }
}

/// A column of the listed doctype (a `tabX.` prefix naming it is accepted).
fn column_name(doctype: &str, raw: &str, what: &str) -> Result<String, QueryError> {
    let (table, column) = split_table(raw);
    if let Some(table) = table
        && table != doctype
    {
        return Err(QueryError::data(format!(
            "The testkit does not support child-table columns in {what}: {raw}"
        )));
    }
    if !is_identifier(&column) {
        return Err(QueryError::data(format!("Invalid field name: {raw}")));
    }
    Ok(column)
}

/// Parses `fields`: a JSON list, `"*"`, or (like `DatabaseQuery`) a comma-separated string.
pub(crate) fn parse_fields(doctype: &str, v: Option<&Value>) -> Result<Vec<FieldSpec>, QueryError> {
    let items: Vec<String> = match v {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) => {
            let t = s.trim();
            if t.is_empty() {
                Vec::new()
            } else if t.starts_with('[') || t.starts_with('{') || t.starts_with('"') {
                match serde_json::from_str::<Value>(t) {
                    Ok(Value::Array(a)) => string_items(&a)?,
                    Ok(Value::String(s)) => vec![s],
                    Ok(_) => return Err(QueryError::validation("fields must be a JSON list")),
                    Err(e) => return Err(QueryError::json_decode(&e)),
                }
            } else {
                t.split(',').map(|f| f.trim().to_owned()).collect()
            }
        }
        Some(Value::Array(a)) => string_items(a)?,
        Some(_) => return Err(QueryError::validation("fields must be a JSON list")),
    };
    let mut out = Vec::new();
    for item in items.iter().filter(|s| !s.trim().is_empty()) {
        out.push(parse_field(doctype, item)?);
    }
    if out.is_empty() {
        out.push(FieldSpec::Column {
            name: "name".to_owned(),
            alias: None,
        });
    }
    Ok(out)
}

fn string_items(a: &[Value]) -> Result<Vec<String>, QueryError> {
    a.iter()
        .map(|v| {
            v.as_str()
                .map(str::to_owned)
                .ok_or_else(|| QueryError::validation("fields must be a list of strings"))
        })
        .collect()
}

/// The last byte offset of an ASCII `needle` in `hay`, ignoring ASCII case.
fn rfind_ascii_ci(hay: &str, needle: &str) -> Option<usize> {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    (0..=h.len().checked_sub(n.len())?)
        .rev()
        .find(|&i| h[i..i + n.len()].eq_ignore_ascii_case(n))
}

fn parse_field(doctype: &str, raw: &str) -> Result<FieldSpec, QueryError> {
    let raw = raw.trim();
    let (expr, alias) = match rfind_ascii_ci(raw, " as ") {
        Some(at) => {
            let alias = raw[at + 4..].trim().trim_matches('`').trim().to_owned();
            if !is_identifier(&alias) {
                return Err(QueryError::data(format!("Invalid field name: {raw}")));
            }
            (raw[..at].trim(), Some(alias))
        }
        None => (raw, None),
    };
    if expr == "*" || expr.ends_with(".*") {
        return Ok(FieldSpec::Star);
    }
    if let Some(open) = expr.find('(') {
        let func = expr[..open].trim().to_lowercase();
        let Some(inner) = expr[open + 1..].trim().strip_suffix(')') else {
            return Err(QueryError::data(format!("Invalid field name: {raw}")));
        };
        let inner = inner.trim();
        let (distinct, inner) = match inner.get(..9).zip(inner.get(9..)) {
            Some((head, rest)) if head.eq_ignore_ascii_case("distinct ") => (true, rest.trim()),
            _ => (false, inner),
        };
        let func = match (func.as_str(), distinct) {
            ("count", false) => Agg::Count,
            ("count", true) => Agg::CountDistinct,
            ("sum", false) => Agg::Sum,
            ("avg", false) => Agg::Avg,
            ("min", false) => Agg::Min,
            ("max", false) => Agg::Max,
            _ => {
                return Err(QueryError::data(format!(
                    "The testkit does not support the expression in fields: {raw}"
                )));
            }
        };
        let arg = if inner == "*" {
            None
        } else {
            Some(column_name(doctype, inner, "fields")?)
        };
        return Ok(FieldSpec::Aggregate {
            func,
            arg,
            alias: alias.unwrap_or_else(|| expr.to_owned()),
        });
    }
    Ok(FieldSpec::Column {
        name: column_name(doctype, expr, "fields")?,
        alias,
    })
}

/// Parses a `filters` / `or_filters` argument (JSON string or structured value).
pub(crate) fn parse_filter_arg(
    doctype: &str,
    v: Option<&Value>,
    name: &str,
) -> Result<Vec<Condition>, QueryError> {
    match arg_json(v)? {
        None => Ok(Vec::new()),
        Some(v) => parse_filters(doctype, &v, name),
    }
}

/// Parses the dict or list form of filters.
pub(crate) fn parse_filters(
    doctype: &str,
    v: &Value,
    name: &str,
) -> Result<Vec<Condition>, QueryError> {
    match v {
        Value::Null => Ok(Vec::new()),
        Value::Object(map) => map
            .iter()
            .map(|(k, val)| from_dict_entry(doctype, k, val))
            .collect(),
        Value::Array(items) if items.first().is_some_and(Value::is_string) => {
            Ok(vec![from_list(doctype, items)?])
        }
        Value::Array(items) => items
            .iter()
            .map(|item| match item {
                Value::Array(parts) => from_list(doctype, parts),
                Value::Object(m) if m.len() == 1 => {
                    let (k, val) = m.iter().next().ok_or_else(|| bad_filter(item))?;
                    from_dict_entry(doctype, k, val)
                }
                other => Err(QueryError::validation(format!(
                    "Filter must be a tuple or list (in a list): {other}"
                ))),
            })
            .collect(),
        Value::String(s) if s.trim().is_empty() => Ok(Vec::new()),
        other => Err(QueryError::validation(format!(
            "{name} must be a JSON object or list, not {other}"
        ))),
    }
}

fn bad_filter(v: &Value) -> QueryError {
    QueryError::validation(format!(
        "Filter must have 4 values (doctype, fieldname, operator, value): {v}"
    ))
}

fn from_dict_entry(doctype: &str, key: &str, val: &Value) -> Result<Condition, QueryError> {
    match val {
        Value::Array(pair) => {
            if pair.len() < 2 {
                return Err(QueryError::validation(format!(
                    "Filter on {key} must be [operator, value], got {val}"
                )));
            }
            make_condition(doctype, doctype, key, &pair[0], &pair[1])
        }
        other => make_condition(doctype, doctype, key, &Value::String("=".to_owned()), other),
    }
}

fn from_list(doctype: &str, parts: &[Value]) -> Result<Condition, QueryError> {
    let whole = Value::Array(parts.to_vec());
    match parts.len() {
        3 => {
            let field = parts[0].as_str().ok_or_else(|| bad_filter(&whole))?;
            make_condition(doctype, doctype, field, &parts[1], &parts[2])
        }
        n if n >= 4 => {
            let dt = parts[0].as_str().ok_or_else(|| bad_filter(&whole))?;
            let field = parts[1].as_str().ok_or_else(|| bad_filter(&whole))?;
            make_condition(doctype, dt, field, &parts[2], &parts[3])
        }
        _ => Err(bad_filter(&whole)),
    }
}

fn make_condition(
    listed: &str,
    cond_doctype: &str,
    field: &str,
    op: &Value,
    value: &Value,
) -> Result<Condition, QueryError> {
    let op = match op {
        Value::String(s) => Op::parse(s)?,
        _ => Op::parse("")?,
    };
    let (table, column) = split_table(field);
    let cond_doctype = table.as_deref().unwrap_or(cond_doctype).trim();
    if !is_identifier(&column) {
        return Err(QueryError::data(format!("Invalid field name: {field}")));
    }
    if op == Op::Between && !matches!(value, Value::Array(a) if a.len() == 2) {
        return Err(QueryError::validation(format!(
            "Filter on {column}: 'between' needs a list of two values"
        )));
    }
    Ok(Condition {
        child: (cond_doctype != listed && !cond_doctype.is_empty())
            .then(|| cond_doctype.to_owned()),
        field: column,
        op,
        value: value.clone(),
    })
}

/// Parses `order_by`: `"a asc, b desc"` (backticked / `tabX.` prefixed columns accepted).
pub(crate) fn parse_order_by(doctype: &str, s: &str) -> Result<Vec<OrderKey>, QueryError> {
    let mut out = Vec::new();
    for part in s.split(',') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let (field, desc) = match part.rsplit_once(char::is_whitespace) {
            Some((f, dir)) if dir.eq_ignore_ascii_case("desc") => (f.trim(), true),
            Some((f, dir)) if dir.eq_ignore_ascii_case("asc") => (f.trim(), false),
            _ => (part, false),
        };
        out.push(OrderKey {
            field: column_name(doctype, field, "order_by")?,
            desc,
        });
    }
    Ok(out)
}

/// Checks every column a query names against `known` (unknown → 417 `DataError`). Fields and
/// filters are checked first, as `frappe.desk.reportview.validate_args` does ("Field not
/// permitted in query: x"); an unknown `order_by` / `group_by` column only fails in the
/// database ("Unknown column 'x' in 'order clause'").
pub(crate) fn validate_columns(
    q: &ListQuery,
    known: &dyn Fn(&str) -> bool,
) -> Result<(), QueryError> {
    let not_permitted =
        |col: &str| QueryError::data(format!("Field not permitted in query: {col}"));
    let unknown =
        |col: &str, clause: &str| QueryError::data(format!("Unknown column '{col}' in '{clause}'"));
    for f in &q.fields {
        match f {
            FieldSpec::Column { name, .. } if !known(name) => {
                return Err(not_permitted(name));
            }
            FieldSpec::Aggregate { arg: Some(a), .. } if !known(a) => {
                return Err(not_permitted(a));
            }
            _ => {}
        }
    }
    for c in q.filters.iter().chain(&q.or_filters) {
        if c.child.is_none() && !known(&c.field) {
            return Err(not_permitted(&c.field));
        }
    }
    for k in &q.order_by {
        let is_alias = q.fields.iter().any(|f| f.key() == Some(k.field.as_str()));
        if !is_alias && !known(&k.field) {
            return Err(unknown(&k.field, "order clause"));
        }
    }
    if let Some(g) = &q.group_by
        && !known(g)
    {
        return Err(unknown(g, "group statement"));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Evaluation

/// Whether a document satisfies `and` (all) and `or` (any, when non-empty).
pub(crate) fn matches(doc: &Map<String, Value>, and: &[Condition], or: &[Condition]) -> bool {
    let mut groups: Vec<(&str, Vec<&Condition>)> = Vec::new();
    for c in and {
        match &c.child {
            None => {
                if !eval(doc.get(&c.field), c) {
                    return false;
                }
            }
            Some(dt) => match groups.iter_mut().find(|(d, _)| d == dt) {
                Some((_, list)) => list.push(c),
                None => groups.push((dt, vec![c])),
            },
        }
    }
    for (dt, conds) in groups {
        if !child_match(doc, dt, |row| {
            conds
                .iter()
                .all(|c| eval(row.and_then(|r| r.get(&c.field)), c))
        }) {
            return false;
        }
    }
    or.is_empty()
        || or.iter().any(|c| match &c.child {
            None => eval(doc.get(&c.field), c),
            Some(dt) => child_match(doc, dt, |row| eval(row.and_then(|r| r.get(&c.field)), c)),
        })
}

/// LEFT JOIN semantics: some row of that child doctype passes, or there is none and the NULL row passes.
fn child_match(
    doc: &Map<String, Value>,
    child_doctype: &str,
    pred: impl Fn(Option<&Map<String, Value>>) -> bool,
) -> bool {
    let mut any_row = false;
    for row in child_rows(doc, child_doctype) {
        any_row = true;
        if pred(Some(row)) {
            return true;
        }
    }
    !any_row && pred(None)
}

fn child_rows<'a>(
    doc: &'a Map<String, Value>,
    child_doctype: &'a str,
) -> impl Iterator<Item = &'a Map<String, Value>> + 'a {
    doc.values()
        .filter_map(Value::as_array)
        .flatten()
        .filter_map(Value::as_object)
        .filter(move |r| r.get("doctype").and_then(Value::as_str) == Some(child_doctype))
}

/// Evaluates one condition against a field value (`None` = NULL).
pub(crate) fn eval(field: Option<&Value>, c: &Condition) -> bool {
    match c.op {
        Op::Eq => cmp_filter(field, &c.value) == Some(Ordering::Equal),
        Op::Ne => cmp_filter(field, &c.value) != Some(Ordering::Equal),
        Op::Gt => cmp_filter(field, &c.value) == Some(Ordering::Greater),
        Op::Lt => cmp_filter(field, &c.value) == Some(Ordering::Less),
        Op::Ge => matches!(
            cmp_filter(field, &c.value),
            Some(Ordering::Greater | Ordering::Equal)
        ),
        Op::Le => matches!(
            cmp_filter(field, &c.value),
            Some(Ordering::Less | Ordering::Equal)
        ),
        Op::Like => like_match(&text(field), &text(Some(&c.value))),
        Op::NotLike => !like_match(&text(field), &text(Some(&c.value))),
        Op::In => in_values(&c.value)
            .iter()
            .any(|v| cmp_filter(field, v) == Some(Ordering::Equal)),
        Op::NotIn => !in_values(&c.value)
            .iter()
            .any(|v| cmp_filter(field, v) == Some(Ordering::Equal)),
        Op::Is => {
            let want_set = c
                .value
                .as_str()
                .is_some_and(|s| s.trim().eq_ignore_ascii_case("set"));
            is_set(field) == want_set
        }
        Op::Between => between(field, &c.value),
    }
}

fn between(field: Option<&Value>, bounds: &Value) -> bool {
    let Some([low, high]) = bounds.as_array().map(Vec::as_slice) else {
        return false;
    };
    let Some(value) = field.filter(|v| !v.is_null()) else {
        return false;
    };
    let high = match (high, value) {
        (Value::String(h), Value::String(v)) if is_date_only(h) && v.len() > 10 => {
            Value::String(format!("{h} 23:59:59.999999"))
        }
        _ => high.clone(),
    };
    matches!(
        cmp_filter(Some(value), low),
        Some(Ordering::Greater | Ordering::Equal)
    ) && matches!(
        cmp_filter(Some(value), &high),
        Some(Ordering::Less | Ordering::Equal)
    )
}

/// `YYYY-MM-DD`.
pub(crate) fn is_date_only(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// A date or datetime string in the canonical 26-character form `YYYY-MM-DD HH:MM:SS.ffffff`
/// (dates at midnight, missing fractions padded), so `"2026-01-01 13:00:00"` equals
/// `"2026-01-01 13:00:00.000000"` as it does for a MariaDB DATETIME column. `None` otherwise.
pub(crate) fn canonical_datetime(s: &str) -> Option<String> {
    let date = s.get(..10).filter(|d| is_date_only(d))?;
    let rest = &s[10..];
    if rest.is_empty() {
        return Some(format!("{date} 00:00:00.000000"));
    }
    let time = rest.strip_prefix(' ').or_else(|| rest.strip_prefix('T'))?;
    let b = time.as_bytes();
    let hms_ok = b.len() >= 8
        && b[2] == b':'
        && b[5] == b':'
        && b[..8]
            .iter()
            .enumerate()
            .all(|(i, c)| i == 2 || i == 5 || c.is_ascii_digit());
    if !hms_ok {
        return None;
    }
    let frac = match &time[8..] {
        "" => "",
        f => {
            let digits = f.strip_prefix('.')?;
            if digits.is_empty() || digits.len() > 6 || !digits.bytes().all(|c| c.is_ascii_digit())
            {
                return None;
            }
            digits
        }
    };
    Some(format!("{date} {}.{frac:0<6}", &time[..8]))
}

fn in_values(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(a) if a.is_empty() => vec![Value::String(String::new())],
        Value::Array(a) => a.clone(),
        Value::String(s) => s
            .split(',')
            .map(|p| Value::String(p.trim().to_owned()))
            .collect(),
        Value::Null => vec![Value::String(String::new())],
        other => vec![other.clone()],
    }
}

fn is_set(field: Option<&Value>) -> bool {
    match field {
        None | Some(Value::Null) => false,
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
        Some(Value::Bool(b)) => *b,
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(_)) => true,
    }
}

enum Scalar<'a> {
    Num(f64),
    Str(&'a str),
}

fn scalar(v: &Value) -> Option<Scalar<'_>> {
    match v {
        Value::Null => Some(Scalar::Str("")),
        Value::Bool(b) => Some(Scalar::Num(if *b { 1.0 } else { 0.0 })),
        Value::Number(n) => n.as_f64().map(Scalar::Num),
        Value::String(s) => Some(Scalar::Str(s)),
        _ => None,
    }
}

/// MariaDB's string-to-number coercion (non-numeric → 0).
fn str_num(s: &str) -> f64 {
    s.trim().parse::<f64>().unwrap_or(0.0)
}

/// `ifnull(field, '' | 0) <op> value` comparison; `None` when not comparable.
pub(crate) fn cmp_filter(field: Option<&Value>, value: &Value) -> Option<Ordering> {
    let value = scalar(value)?;
    let field = match field {
        None | Some(Value::Null) => match value {
            Scalar::Num(_) => Scalar::Num(0.0),
            Scalar::Str(_) => Scalar::Str(""),
        },
        Some(v) => scalar(v)?,
    };
    match (field, value) {
        (Scalar::Num(a), Scalar::Num(b)) => a.partial_cmp(&b),
        (Scalar::Str(a), Scalar::Str(b)) => match (canonical_datetime(a), canonical_datetime(b)) {
            (Some(x), Some(y)) => Some(x.cmp(&y)),
            _ => Some(a.cmp(b)),
        },
        (Scalar::Num(a), Scalar::Str(b)) => a.partial_cmp(&str_num(b)),
        (Scalar::Str(a), Scalar::Num(b)) => str_num(a).partial_cmp(&b),
    }
}

fn text(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(b)) => if *b { "1" } else { "0" }.to_owned(),
        Some(other) => other.to_string(),
    }
}

/// SQL `LIKE`, case-insensitive, `%` any run, `_` one character, `\` escapes.
pub(crate) fn like_match(text: &str, pattern: &str) -> bool {
    #[derive(Clone, Copy, PartialEq)]
    enum Tok {
        Any,
        One,
        Lit(char),
    }
    let t: Vec<char> = text.chars().flat_map(char::to_lowercase).collect();
    let mut p: Vec<Tok> = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '%' => p.push(Tok::Any),
            '_' => p.push(Tok::One),
            '\\' => {
                let escaped = chars.next().unwrap_or('\\');
                p.extend(escaped.to_lowercase().map(Tok::Lit));
            }
            c => p.extend(c.to_lowercase().map(Tok::Lit)),
        }
    }
    let (mut ti, mut pi) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some(Tok::Any) => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(Tok::One) => {
                ti += 1;
                pi += 1;
            }
            Some(Tok::Lit(c)) if *c == t[ti] => {
                ti += 1;
                pi += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|tok| *tok == Tok::Any)
}

/// The total order of `ORDER BY`: NULL, then numbers, then strings (byte-wise).
pub(crate) fn sort_cmp(a: Option<&Value>, b: Option<&Value>) -> Ordering {
    fn rank(v: Option<&Value>) -> u8 {
        match v {
            None | Some(Value::Null) => 0,
            Some(Value::Bool(_) | Value::Number(_)) => 1,
            Some(Value::String(_)) => 2,
            Some(Value::Array(_)) => 3,
            Some(Value::Object(_)) => 4,
        }
    }
    let (ra, rb) = (rank(a), rank(b));
    if ra != rb {
        return ra.cmp(&rb);
    }
    match (a, b) {
        (Some(x), Some(y)) if ra == 1 => {
            let fx = scalar(x).map_or(0.0, |s| if let Scalar::Num(n) = s { n } else { 0.0 });
            let fy = scalar(y).map_or(0.0, |s| if let Scalar::Num(n) = s { n } else { 0.0 });
            fx.total_cmp(&fy)
        }
        (Some(Value::String(x)), Some(Value::String(y))) => x.cmp(y),
        _ => Ordering::Equal,
    }
}

fn cmp_by_keys(
    keys: &[OrderKey],
    a: &dyn Fn(&str) -> Option<Value>,
    b: &dyn Fn(&str) -> Option<Value>,
) -> Ordering {
    for k in keys {
        let (x, y) = (a(&k.field), b(&k.field));
        let ord = sort_cmp(x.as_ref(), y.as_ref());
        let ord = if k.desc { ord.reverse() } else { ord };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    Ordering::Equal
}

/// A value that is a child table (an array of objects).
pub(crate) fn is_table_value(v: &Value) -> bool {
    matches!(v, Value::Array(a) if a.iter().all(Value::is_object) && !a.is_empty())
}

/// Projects one document onto `fields`.
pub(crate) fn project(doc: &Map<String, Value>, fields: &[FieldSpec], as_dict: bool) -> Value {
    if as_dict {
        let mut out = Map::new();
        for f in fields {
            match f {
                FieldSpec::Star => {
                    for (k, v) in doc {
                        if !is_table_value(v) {
                            out.insert(k.clone(), v.clone());
                        }
                    }
                }
                FieldSpec::Column { name, alias } => {
                    out.insert(
                        alias.clone().unwrap_or_else(|| name.clone()),
                        doc.get(name).cloned().unwrap_or(Value::Null),
                    );
                }
                FieldSpec::Aggregate { alias, .. } => {
                    out.insert(
                        alias.clone(),
                        doc.get(alias).cloned().unwrap_or(Value::Null),
                    );
                }
            }
        }
        Value::Object(out)
    } else {
        let mut out = Vec::new();
        for f in fields {
            match f {
                FieldSpec::Star => out.extend(doc.values().filter(|v| !is_table_value(v)).cloned()),
                FieldSpec::Column { name, .. } => {
                    out.push(doc.get(name).cloned().unwrap_or(Value::Null));
                }
                FieldSpec::Aggregate { alias, .. } => {
                    out.push(doc.get(alias).cloned().unwrap_or(Value::Null));
                }
            }
        }
        Value::Array(out)
    }
}

fn page<T>(rows: Vec<T>, start: usize, len: Option<usize>) -> impl Iterator<Item = T> {
    rows.into_iter().skip(start).take(len.unwrap_or(usize::MAX))
}

/// Runs a list query over documents: filter, group, order, page, project.
/// `order` is the effective order (the query's, or the server default).
pub(crate) fn run<'a>(
    docs: impl IntoIterator<Item = &'a Map<String, Value>>,
    q: &ListQuery,
    order: &[OrderKey],
) -> Vec<Value> {
    let rows: Vec<&Map<String, Value>> = docs
        .into_iter()
        .filter(|d| matches(d, &q.filters, &q.or_filters))
        .collect();
    let aggregated = q
        .fields
        .iter()
        .any(|f| matches!(f, FieldSpec::Aggregate { .. }));
    if q.group_by.is_none() && !aggregated {
        let mut rows = rows;
        rows.sort_by(|a, b| cmp_by_keys(order, &|k| a.get(k).cloned(), &|k| b.get(k).cloned()));
        return page(rows, q.start, q.page_length)
            .map(|d| project(d, &q.fields, q.as_dict))
            .collect();
    }
    // Grouping (MariaDB without ONLY_FULL_GROUP_BY: plain columns come from the first row).
    let mut groups: Vec<Vec<&Map<String, Value>>> = Vec::new();
    match &q.group_by {
        Some(g) => {
            let mut index: HashMap<String, usize> = HashMap::new();
            for r in rows {
                let key = r.get(g).map(Value::to_string).unwrap_or_default();
                let at = *index.entry(key).or_insert_with(|| {
                    groups.push(Vec::new());
                    groups.len() - 1
                });
                groups[at].push(r);
            }
        }
        None => groups.push(rows),
    }
    // One row per group: the first row's columns plus the aggregates.
    let mut out: Vec<Map<String, Value>> = groups
        .iter()
        .map(|group| {
            let mut m = group.first().map(|r| (*r).clone()).unwrap_or_default();
            for f in &q.fields {
                if let FieldSpec::Aggregate { func, arg, alias } = f {
                    m.insert(alias.clone(), aggregate(*func, arg.as_deref(), group));
                }
            }
            m
        })
        .collect();
    out.sort_by(|a, b| cmp_by_keys(order, &|k| a.get(k).cloned(), &|k| b.get(k).cloned()));
    page(out, q.start, q.page_length)
        .map(|m| project(&m, &q.fields, q.as_dict))
        .collect()
}

fn aggregate(func: Agg, arg: Option<&str>, rows: &[&Map<String, Value>]) -> Value {
    let values = || {
        rows.iter()
            .filter_map(move |r| arg.and_then(|a| r.get(a)))
            .filter(|v| !v.is_null())
    };
    let numbers = || {
        values().filter_map(|v| {
            scalar(v).map(|s| match s {
                Scalar::Num(n) => n,
                Scalar::Str(s) => str_num(s),
            })
        })
    };
    match func {
        Agg::Count => Value::from(match arg {
            None => rows.len(),
            Some(_) => values().count(),
        }),
        Agg::CountDistinct => {
            let mut seen: Vec<String> = values().map(Value::to_string).collect();
            seen.sort();
            seen.dedup();
            Value::from(seen.len())
        }
        Agg::Sum => {
            if values().next().is_none() {
                return Value::Null;
            }
            if values().all(|v| v.as_i64().is_some()) {
                Value::from(
                    values()
                        .filter_map(Value::as_i64)
                        .fold(0i64, i64::saturating_add),
                )
            } else {
                Number::from_f64(numbers().sum()).map_or(Value::Null, Value::Number)
            }
        }
        Agg::Avg => {
            let n = numbers().count();
            if n == 0 {
                return Value::Null;
            }
            Number::from_f64(numbers().sum::<f64>() / n as f64).map_or(Value::Null, Value::Number)
        }
        Agg::Min => values()
            .min_by(|a, b| sort_cmp(Some(a), Some(b)))
            .cloned()
            .unwrap_or(Value::Null),
        Agg::Max => values()
            .max_by(|a, b| sort_cmp(Some(a), Some(b)))
            .cloned()
            .unwrap_or(Value::Null),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    fn docs() -> Vec<Map<String, Value>> {
        vec![
            obj(
                json!({"name": "A", "status": "Open", "qty": 5, "city": "Montréal",
                "creation": "2026-01-02 10:00:00.000000",
                "links": [{"doctype": "Dynamic Link", "link_doctype": "Customer", "link_name": "C1"}]}),
            ),
            obj(
                json!({"name": "B", "status": "Closed", "qty": 12, "city": "Longueuil",
                "creation": "2026-01-03 09:00:00.000000",
                "links": [{"doctype": "Dynamic Link", "link_doctype": "Supplier", "link_name": "C1"},
                          {"doctype": "Dynamic Link", "link_doctype": "Customer", "link_name": "C2"}]}),
            ),
            obj(json!({"name": "C", "qty": null, "city": "brossard",
                "creation": "2026-02-01 00:00:00.000000"})),
        ]
    }

    fn names(q: &ListQuery) -> Vec<String> {
        let d = docs();
        run(d.iter(), q, &[OrderKey::new("name", false)])
            .into_iter()
            .map(|r| r["name"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    fn query(args: Value) -> ListQuery {
        ListQuery::from_args("Thing", &obj(args), Paging::V1 { limit_alias: true }).unwrap_or_else(
            |e| {
                panic!("query failed: {e:?}");
            },
        )
    }

    #[test]
    fn dict_and_list_forms_are_equivalent() {
        let a = query(json!({"filters": r#"{"status": "Open", "qty": [">", 1]}"#}));
        let b = query(json!({"filters": r#"[["status","=","Open"],["Thing","qty",">",1]]"#}));
        assert_eq!(a.filters.len(), 2);
        assert!(a.filters.iter().all(|c| b.filters.contains(c)));
        assert_eq!(names(&a), ["A"]);
        assert_eq!(names(&b), ["A"]);
        let flat = query(json!({"filters": r#"["status","=","Open"]"#}));
        assert_eq!(names(&flat), ["A"]);
    }

    #[test]
    fn null_semantics_follow_ifnull() {
        assert_eq!(
            names(&query(json!({"filters": r#"[["status","!=","Open"]]"#}))),
            ["B", "C"]
        );
        assert_eq!(
            names(&query(json!({"filters": r#"[["qty","<",10]]"#}))),
            ["A", "C"]
        );
        assert_eq!(
            names(&query(json!({"filters": r#"[["status","is","not set"]]"#}))),
            ["C"]
        );
        assert_eq!(
            names(&query(json!({"filters": r#"[["status","is","set"]]"#}))),
            ["A", "B"]
        );
        assert_eq!(
            names(&query(
                json!({"filters": r#"[["status","not in",["Open"]]]"#})
            )),
            ["B", "C"]
        );
    }

    #[test]
    fn operators() {
        assert_eq!(
            names(&query(json!({"filters": r#"[["city","like","%MONT%"]]"#}))),
            ["A"]
        );
        assert_eq!(
            names(&query(
                json!({"filters": r#"[["city","like","_ongueuil"]]"#})
            )),
            ["B"]
        );
        assert_eq!(
            names(&query(json!({"filters": r#"[["city","not like","%o%"]]"#}))),
            Vec::<String>::new()
        );
        assert_eq!(
            names(&query(json!({"filters": r#"[["name","in","A, C"]]"#}))),
            ["A", "C"]
        );
        assert_eq!(
            names(&query(json!({"filters": r#"[["qty",">=","5"]]"#}))),
            ["A", "B"]
        );
        assert_eq!(
            names(&query(
                json!({"filters": r#"[["creation","between",["2026-01-01","2026-01-03"]]]"#})
            )),
            ["A", "B"]
        );
        assert_eq!(
            names(&query(
                json!({"filters": r#"[["creation",">","2026-01-31"]]"#})
            )),
            ["C"]
        );
        assert_eq!(
            names(&query(
                json!({"or_filters": r#"[["status","=","Closed"],["qty","=",5]]"#})
            )),
            ["A", "B"]
        );
    }

    #[test]
    fn child_table_filters_match_a_single_row() {
        let q = query(
            json!({"filters": r#"[["Dynamic Link","link_doctype","=","Customer"],["Dynamic Link","link_name","=","C1"]]"#}),
        );
        assert_eq!(q.filters[0].child.as_deref(), Some("Dynamic Link"));
        assert_eq!(names(&q), ["A"]);
        let q = query(json!({"filters": r#"[["Dynamic Link","link_name","=","C2"]]"#}));
        assert_eq!(names(&q), ["B"]);
    }

    #[test]
    fn bad_input_is_a_validation_error_and_bad_json_a_decode_error() {
        // Frappe `json.loads` the argument unguarded: Python's JSONDecodeError, as captured.
        let args = obj(json!({"filters": "{x"}));
        let err = ListQuery::from_args("T", &args, Paging::V1 { limit_alias: false }).unwrap_err();
        assert_eq!(err.exc_type, "JSONDecodeError");
        assert_eq!(err.message, "Expecting value: line 1 column 2 (char 1)");
        let args = obj(json!({"filters": r#"[["status","~","x"]]"#}));
        let err = ListQuery::from_args("T", &args, Paging::V1 { limit_alias: false }).unwrap_err();
        assert!(
            err.message.starts_with("Operator must be one of =, !=, >"),
            "{}",
            err.message
        );
        let args = obj(json!({"fields": "[\"name\""}));
        let err = ListQuery::from_args("T", &args, Paging::V1 { limit_alias: false }).unwrap_err();
        assert_eq!(err.exc_type, "JSONDecodeError");
        let args = obj(json!({"limit_page_length": "lots"}));
        let err = ListQuery::from_args("T", &args, Paging::V1 { limit_alias: false }).unwrap_err();
        assert_eq!(err.exc_type, "FrappeTypeError");
        let args = obj(json!({"filters": r#"[["a;drop","=",1]]"#}));
        let err = ListQuery::from_args("T", &args, Paging::V1 { limit_alias: false }).unwrap_err();
        assert_eq!(err.exc_type, "DataError");
        let args = obj(json!({"filters": r#"[["a","="]]"#}));
        assert!(ListQuery::from_args("T", &args, Paging::V1 { limit_alias: false }).is_err());
    }

    #[test]
    fn paging_parameters() {
        assert_eq!(query(json!({})).page_length, Some(20));
        assert_eq!(query(json!({"limit_page_length": "0"})).page_length, None);
        assert_eq!(query(json!({"limit": 7})).page_length, Some(7));
        let v2 = ListQuery::from_args("T", &obj(json!({"start": "40", "limit": "10"})), Paging::V2)
            .unwrap_or_default();
        assert_eq!((v2.start, v2.page_length), (40, Some(10)));
        let legacy = ListQuery::from_args("T", &obj(json!({"limit": "0"})), Paging::V2Legacy)
            .unwrap_or_default();
        assert_eq!(legacy.page_length, Some(20));
        let all = query(json!({"limit_start": 1, "limit_page_length": 1}));
        assert_eq!(names(&all), ["B"]);
    }

    #[test]
    fn order_by_parsing_and_null_first() {
        let keys =
            parse_order_by("Thing", "`tabThing`.`qty` DESC, name asc,creation").unwrap_or_default();
        assert_eq!(
            keys,
            vec![
                OrderKey::new("qty", true),
                OrderKey::new("name", false),
                OrderKey::new("creation", false)
            ]
        );
        let d = docs();
        let q = query(json!({"fields": "[\"name\",\"qty\"]"}));
        let rows = run(d.iter(), &q, &[OrderKey::new("qty", false)]);
        assert_eq!(rows[0]["name"], "C");
        assert_eq!(rows[2]["name"], "B");
        let rows = run(d.iter(), &q, &[OrderKey::new("creation", true)]);
        assert_eq!(rows[0]["name"], "C");
    }

    #[test]
    fn fields_projection_and_aggregates() {
        let d = docs();
        let q = query(json!({"fields": r#"["*"]"#, "as_dict": "0"}));
        let rows = run(d.iter(), &q, &[OrderKey::new("name", false)]);
        assert!(rows[0].is_array());
        let q = query(json!({"fields": r#"["*"]"#}));
        let rows = run(d.iter(), &q, &[OrderKey::new("name", false)]);
        assert!(
            rows[0].get("links").is_none(),
            "child tables are not columns"
        );
        assert_eq!(rows[0]["city"], "Montréal");
        let q = query(
            json!({"fields": r#"["status", "count(name) as n", "sum(qty)"]"#, "group_by": "status"}),
        );
        let rows = run(d.iter(), &q, &[OrderKey::new("status", false)]);
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0]["status"], Value::Null);
        assert_eq!(rows[1]["n"], 1);
        assert_eq!(rows[1]["sum(qty)"], 12);
        let q = query(json!({"fields": "name, status as s"}));
        let rows = run(d.iter(), &q, &[OrderKey::new("name", false)]);
        assert_eq!(rows[0]["s"], "Open");
        let q = query(json!({"fields": r#"["count(*) as total"]"#}));
        assert_eq!(run(d.iter(), &q, &[])[0]["total"], 3);
    }

    #[test]
    fn unknown_columns_are_data_errors() {
        let q = query(json!({"fields": r#"["nope"]"#}));
        let err = validate_columns(&q, &|c| c == "name").unwrap_err();
        assert_eq!(err.exc_type, "DataError");
        assert_eq!(err.message, "Field not permitted in query: nope");
        let q = query(json!({"fields": r#"["count(name) as n"]"#, "order_by": "n desc"}));
        assert!(validate_columns(&q, &|c| c == "name").is_ok());
    }

    #[test]
    fn datetimes_compare_as_datetimes() {
        assert_eq!(
            canonical_datetime("2026-01-01").as_deref(),
            Some("2026-01-01 00:00:00.000000")
        );
        assert_eq!(
            canonical_datetime("2026-01-01 13:00:00").as_deref(),
            Some("2026-01-01 13:00:00.000000")
        );
        assert_eq!(
            canonical_datetime("2026-01-01T13:00:00.5").as_deref(),
            Some("2026-01-01 13:00:00.500000")
        );
        assert_eq!(canonical_datetime("2026-01-01 x"), None);
        assert_eq!(canonical_datetime("SL-00001"), None);
        let field = json!("2026-01-01 13:00:00.000000");
        assert_eq!(
            cmp_filter(Some(&field), &json!("2026-01-01 13:00:00")),
            Some(Ordering::Equal)
        );
        assert_eq!(
            cmp_filter(Some(&json!("2026-01-01")), &json!("2026-01-01 00:00:00")),
            Some(Ordering::Equal)
        );
    }

    #[test]
    fn like_edge_cases() {
        assert!(like_match("abc", "%"));
        assert!(like_match("", "%"));
        assert!(like_match("ÉCOLE", "%école"));
        assert!(like_match("50%", "50\\%"));
        assert!(!like_match("500", "50\\%"));
        assert!(like_match("aXbXc", "a%b%c"));
        assert!(!like_match("abc", "a_"));
    }
}
