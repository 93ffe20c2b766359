//! The in-memory database: documents per doctype, naming, timestamps, child tables, links,
//! docstatus transitions — the parts of `frappe.model.document.Document` a client can observe.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use chrono::{Datelike, NaiveDateTime};
use serde_json::{Map, Value, json};

use super::ServerVersion;
use super::filters::{self, ListQuery, OrderKey, QueryError, STANDARD_FIELDS};
use super::generated::Generated;
use super::response::{ApiError, Msg, splitmix};
use super::schema::{self, Meta, Naming};

/// A document: a JSON object.
pub(crate) type Doc = Map<String, Value>;

/// Standard columns a client may not set through an update.
const PROTECTED_ON_UPDATE: &[&str] = &[
    "name",
    "doctype",
    "owner",
    "creation",
    "modified_by",
    "idx",
    "parent",
    "parentfield",
    "parenttype",
];

/// The standard columns of a document or child row: ignored when comparing rows, refused by
/// `set_value`.
pub(super) const ROW_META: &[&str] = &[
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
];

/// Who is storing a document, which decides naming and validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// Direct seeding (`FakeFrappe::insert`, the built-in seed): supplied name, timestamps, owner
    /// and docstatus are kept, nothing is validated, an existing document is replaced.
    Seed,
    /// v1 insert (`/api/resource`, `frappe.client.insert`): the naming rule overrides a supplied name.
    V1,
    /// v2 insert: a supplied name is kept (`flags.name_set`).
    V2,
}

/// A stored table.
#[derive(Debug, Clone, Default)]
struct Table {
    docs: BTreeMap<String, Doc>,
    /// Every top-level non-table key ever stored (the "columns" of a schemaless doctype).
    columns: BTreeSet<String>,
}

/// An uploaded file's bytes.
#[derive(Debug, Clone)]
pub(crate) struct StoredFile {
    pub(crate) bytes: Bytes,
    pub(crate) is_private: bool,
}

/// A saved document and the msgprint notices saving it produced.
#[derive(Debug, Clone)]
pub(crate) struct Saved {
    pub(crate) doc: Doc,
    pub(crate) notices: Vec<Msg>,
}

/// The database.
#[derive(Debug, Clone)]
pub(crate) struct Store {
    tables: HashMap<String, Table>,
    counters: HashMap<String, u64>,
    last_micros: i64,
    rng: u64,
    passwords: HashMap<(String, String, String), String>,
    files: HashMap<String, StoredFile>,
    generated: HashMap<String, Generated>,
    version: ServerVersion,
}

/// Formats microseconds since the epoch as Frappe does (`YYYY-MM-DD HH:MM:SS.ffffff`, naive).
pub(crate) fn format_micros(micros: i64) -> String {
    chrono::DateTime::from_timestamp_micros(micros)
        .map(|d| d.naive_utc().format("%Y-%m-%d %H:%M:%S%.6f").to_string())
        .unwrap_or_default()
}

/// Parses a Frappe datetime (or date) string into microseconds since the epoch.
pub(crate) fn parse_micros(s: &str) -> Option<i64> {
    let s = s.trim();
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f"))
        .ok()
        .or_else(|| {
            chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })
        .map(|n| n.and_utc().timestamp_micros())
}

/// A document name from JSON (strings, or integers for autoincrement doctypes).
pub(crate) fn name_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn as_int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        Value::Bool(b) => Some(i64::from(*b)),
        _ => None,
    }
}

fn str_field<'a>(doc: &'a Doc, key: &str) -> Option<&'a str> {
    doc.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
}

fn docstatus(doc: &Doc) -> i64 {
    doc.get("docstatus").and_then(as_int).unwrap_or(0)
}

/// "Dispatch Job" → "dispatch-job" (desk URL slug).
fn slug(doctype: &str) -> String {
    doctype.to_lowercase().replace(' ', "-")
}

/// Drops client-only keys (`doctype`, `flags`, `__islocal`...) and, when `drop_nulls`, null values.
fn clean(doc: Doc, drop_nulls: bool) -> Doc {
    doc.into_iter()
        .filter(|(k, v)| {
            k != "doctype" && k != "flags" && !k.starts_with("__") && !(drop_nulls && v.is_null())
        })
        .collect()
}

/// Equality that ignores number representation and child-row bookkeeping columns.
fn loose_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| loose_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => x
            .keys()
            .chain(y.keys())
            .filter(|k| !ROW_META.contains(&k.as_str()))
            .all(|k| {
                loose_eq(
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                )
            }),
        (Value::Null, Value::String(s)) | (Value::String(s), Value::Null) => s.is_empty(),
        _ => a == b,
    }
}

fn read_only(doctype: &str) -> ApiError {
    ApiError::validation(format!(
        "{doctype} is a generated doctype of the testkit and is read-only"
    ))
}

fn transition(from: i64, to: i64) -> ApiError {
    ApiError::throw(
        417,
        "DocstatusTransitionError",
        format!("Cannot change docstatus from {from} to {to}"),
    )
}

fn not_submittable(doctype: &str) -> ApiError {
    ApiError::validation(format!("{doctype} is not submittable"))
}

/// A query error as a 417.
pub(crate) fn query_error(e: QueryError) -> ApiError {
    if e.exc_type == "JSONDecodeError" {
        // Not a `frappe.throw`: an unhandled exception, answered 500 with its traceback.
        let exception = format!("json.decoder.JSONDecodeError: {}", e.message);
        return ApiError {
            status: 500,
            exc_type: e.exc_type.to_owned(),
            messages: Vec::new(),
            traceback: Some(
                format!(
                "Traceback (most recent call last):\n  File \"apps/frappe/frappe/desk/reportview.py\", line 232, in parse_json\n    data[\"filters\"] = json.loads(filters)\n{exception}\n"
            )
                .into(),
            ),
            exception: Some(exception),
            top_message: None,
        };
    }
    ApiError::throw(417, e.exc_type, e.message)
}

impl Store {
    /// An empty database.
    pub(crate) fn new(version: ServerVersion) -> Self {
        Self {
            tables: HashMap::new(),
            counters: HashMap::new(),
            last_micros: 0,
            rng: 0x0005_eedf_1b3e_2026,
            passwords: HashMap::new(),
            files: HashMap::new(),
            generated: HashMap::new(),
            version,
        }
    }

    /// Declares a generated (computed, unstored) doctype.
    pub(crate) fn add_generated(&mut self, g: Generated) {
        self.generated.insert(g.doctype.clone(), g);
    }

    /// The default list order of the server version.
    pub(crate) fn default_order(&self) -> Vec<OrderKey> {
        match self.version {
            ServerVersion::V15 => vec![OrderKey::new("modified", true)],
            ServerVersion::V16 => vec![OrderKey::new("creation", true)],
        }
    }

    /// Runs `f` as one transaction: on error every change is rolled back.
    pub(crate) fn transaction<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let backup = self.clone();
        let out = f(self);
        if out.is_err() {
            *self = backup;
        }
        out
    }

    // -----------------------------------------------------------------------------------------
    // Clock, hashes, naming

    /// Now, strictly after every timestamp handed out or stored so far.
    fn now(&mut self) -> (String, NaiveDateTime) {
        let sys = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX / 2))
            .unwrap_or(0);
        let micros = sys.max(self.last_micros.saturating_add(1));
        self.last_micros = micros;
        let naive = chrono::DateTime::from_timestamp_micros(micros)
            .map(|d| d.naive_utc())
            .unwrap_or_default();
        (format_micros(micros), naive)
    }

    fn observe(&mut self, ts: Option<&str>) {
        if let Some(m) = ts.and_then(parse_micros) {
            self.last_micros = self.last_micros.max(m);
        }
    }

    /// 10 lowercase hex characters (`frappe.generate_hash(length=10)`).
    pub(crate) fn hash10(&mut self) -> String {
        self.rng = self.rng.wrapping_add(1);
        format!("{:010x}", splitmix(self.rng) & 0xff_ffff_ffff)
    }

    fn series_parts(pattern: &str) -> Vec<&str> {
        pattern.split('.').filter(|p| !p.is_empty()).collect()
    }

    fn next_series(&mut self, pattern: &str, now: &NaiveDateTime) -> String {
        let mut prefix = String::new();
        let mut digits = 5;
        for part in Self::series_parts(pattern) {
            match part {
                "YYYY" => prefix.push_str(&format!("{:04}", now.year())),
                "YY" => prefix.push_str(&format!("{:02}", now.year() % 100)),
                "MM" => prefix.push_str(&format!("{:02}", now.month())),
                "DD" => prefix.push_str(&format!("{:02}", now.day())),
                p if p.chars().all(|c| c == '#') => digits = p.len(),
                p => prefix.push_str(p),
            }
        }
        let counter = self.counters.entry(prefix.clone()).or_insert(0);
        *counter += 1;
        format!("{prefix}{:0digits$}", *counter)
    }

    /// Keeps the series counter ahead of explicitly named documents (`SL-00007` → counter 7).
    fn note_name(&mut self, doctype: &str, name: &str) {
        let Some(Naming::Series(pattern)) = schema::meta(doctype).map(|m| m.naming) else {
            return;
        };
        let mut rest = name;
        let mut prefix_len = 0;
        for part in Self::series_parts(pattern) {
            let take = match part {
                "YYYY" => 4,
                "YY" | "MM" | "DD" => 2,
                p if p.chars().all(|c| c == '#') => {
                    if rest.is_empty() || !rest.chars().all(|c| c.is_ascii_digit()) {
                        return;
                    }
                    if let Ok(n) = rest.parse::<u64>() {
                        let counter = self
                            .counters
                            .entry(name[..prefix_len].to_owned())
                            .or_insert(0);
                        *counter = (*counter).max(n);
                    }
                    return;
                }
                p => {
                    if !rest.starts_with(p) {
                        return;
                    }
                    p.len()
                }
            };
            let Some(head) = rest.get(..take) else {
                return;
            };
            if matches!(part, "YYYY" | "YY" | "MM" | "DD")
                && !head.chars().all(|c| c.is_ascii_digit())
            {
                return;
            }
            rest = &rest[take..];
            prefix_len += take;
        }
    }

    fn exists(&self, doctype: &str, name: &str) -> bool {
        match self.generated.get(doctype) {
            Some(g) => g.index_of(name).is_some(),
            None => self
                .tables
                .get(doctype)
                .is_some_and(|t| t.docs.contains_key(name)),
        }
    }

    /// `name`, or `name-1`, `name-2`... (`append_number_if_name_exists`), with a separator.
    fn first_free(&self, doctype: &str, base: &str, sep: &str) -> String {
        if !self.exists(doctype, base) {
            return base.to_owned();
        }
        (1u64..)
            .map(|n| format!("{base}{sep}{n}"))
            .find(|candidate| !self.exists(doctype, candidate))
            .unwrap_or_else(|| base.to_owned())
    }

    fn auto_name(
        &mut self,
        doctype: &str,
        meta: Option<&Meta>,
        doc: &Doc,
        now: &NaiveDateTime,
        origin: Origin,
    ) -> Result<String, ApiError> {
        let naming = meta.map_or(Naming::Prompt, |m| m.naming);
        let missing = |field: &str| {
            ApiError::mandatory(
                doctype,
                &format!("new-{}-1", slug(doctype)),
                &[(field.to_owned(), schema::label_of(field))],
            )
        };
        Ok(match naming {
            Naming::Series(pattern) => self.next_series(pattern, now),
            Naming::Field(field) => match doc.get(field).and_then(name_of) {
                Some(n) => n,
                None if origin == Origin::Seed => self.hash10(),
                None => return Err(missing(field)),
            },
            Naming::CustomerName => match str_field(doc, "customer_name") {
                Some(cn) => {
                    let cn = cn.trim();
                    if self.exists(doctype, cn) {
                        let prefix = format!("{cn} - ");
                        let max = self
                            .tables
                            .get(doctype)
                            .map(|t| {
                                t.docs
                                    .keys()
                                    .filter_map(|k| k.strip_prefix(&prefix))
                                    .filter_map(|n| n.parse::<u64>().ok())
                                    .max()
                                    .unwrap_or(0)
                            })
                            .unwrap_or(0);
                        format!("{cn} - {}", max + 1)
                    } else {
                        cn.to_owned()
                    }
                }
                None if origin == Origin::Seed => self.hash10(),
                None => return Err(missing("customer_name")),
            },
            Naming::ContactName => {
                let mut base = full_name(doc)
                    .or_else(|| str_field(doc, "company_name").map(str::to_owned))
                    .unwrap_or_default();
                let first_link = doc
                    .get("links")
                    .and_then(Value::as_array)
                    .and_then(|rows| rows.first())
                    .and_then(|r| r.get("link_name"))
                    .and_then(Value::as_str);
                if let Some(link) = first_link {
                    base = if base.is_empty() {
                        link.trim().to_owned()
                    } else {
                        format!("{base}-{}", link.trim())
                    };
                }
                if base.is_empty() {
                    self.hash10()
                } else {
                    self.first_free(doctype, &base, "-")
                }
            }
            Naming::AddressName => {
                let title = str_field(doc, "address_title")
                    .map(str::to_owned)
                    .or_else(|| {
                        doc.get("links")
                            .and_then(Value::as_array)
                            .and_then(|rows| rows.first())
                            .and_then(|r| r.get("link_name"))
                            .and_then(Value::as_str)
                            .map(str::to_owned)
                    });
                match title {
                    Some(title) => {
                        let kind = str_field(doc, "address_type").unwrap_or("Billing");
                        let base = format!("{}-{}", title.trim(), kind.trim());
                        self.first_free(doctype, &base, "-")
                    }
                    None if origin == Origin::Seed => self.hash10(),
                    None => return Err(ApiError::validation("Address Title is mandatory.")),
                }
            }
            Naming::Hash | Naming::Prompt => self.hash10(),
        })
    }

    // -----------------------------------------------------------------------------------------
    // Reads

    /// Whether a doctype exists (known schema, seeded, or generated).
    pub(crate) fn doctype_exists(&self, doctype: &str) -> bool {
        schema::meta(doctype).is_some()
            || self.tables.contains_key(doctype)
            || self.generated.contains_key(doctype)
    }

    /// One document.
    pub(crate) fn get_doc(&self, doctype: &str, name: &str) -> Result<Doc, ApiError> {
        if let Some(g) = self.generated.get(doctype) {
            return g
                .index_of(name)
                .map(|i| g.doc(i))
                .ok_or_else(|| ApiError::doc_not_found(doctype, name));
        }
        if !self.doctype_exists(doctype) {
            // `frappe.get_doc` cannot import the controller of a doctype that does not exist.
            return Err(ApiError::import_error(doctype));
        }
        self.tables
            .get(doctype)
            .and_then(|t| t.docs.get(name))
            .cloned()
            .ok_or_else(|| ApiError::doc_not_found(doctype, name))
    }

    /// Every stored document of a doctype, oldest first.
    pub(crate) fn all(&self, doctype: &str) -> Vec<Doc> {
        let mut docs: Vec<Doc> = self
            .tables
            .get(doctype)
            .map(|t| t.docs.values().cloned().collect())
            .unwrap_or_default();
        docs.sort_by(|a, b| {
            filters::sort_cmp(a.get("creation"), b.get("creation"))
                .then_with(|| filters::sort_cmp(a.get("name"), b.get("name")))
        });
        docs
    }

    fn known_column(&self, doctype: &str, column: &str) -> bool {
        STANDARD_FIELDS.contains(&column)
            || schema::meta(doctype).is_some_and(|m| m.has_column(column))
            || self
                .tables
                .get(doctype)
                .is_some_and(|t| t.columns.contains(column))
    }

    /// Rows of a child doctype across the documents of `parent`.
    fn child_rows(&self, child: &str, parent: &str) -> Vec<Doc> {
        self.tables
            .get(parent)
            .map(|t| {
                t.docs
                    .values()
                    .flat_map(|d| d.values())
                    .filter_map(Value::as_array)
                    .flatten()
                    .filter_map(Value::as_object)
                    .filter(|r| r.get("doctype").and_then(Value::as_str) == Some(child))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The parent `(doctype, name)` holding the child row `row_name` of doctype `child`.
    pub(crate) fn child_parent(&self, child: &str, row_name: &str) -> Option<(String, String)> {
        let mut hits: Vec<(String, String)> = self
            .tables
            .iter()
            .flat_map(|(dt, t)| t.docs.iter().map(move |(n, d)| (dt, n, d)))
            .filter(|(_, _, d)| {
                d.values().filter_map(Value::as_array).flatten().any(|r| {
                    r.get("doctype").and_then(Value::as_str) == Some(child)
                        && r.get("name").and_then(Value::as_str) == Some(row_name)
                })
            })
            .map(|(dt, n, _)| (dt.clone(), n.clone()))
            .collect();
        hits.sort();
        hits.into_iter().next()
    }

    /// `frappe.client.get_list`.
    pub(crate) fn list(
        &self,
        doctype: &str,
        q: &ListQuery,
        parent: Option<&str>,
    ) -> Result<Vec<Value>, ApiError> {
        let default_order = self.default_order();
        let order = if q.order_by.is_empty() {
            default_order.as_slice()
        } else {
            q.order_by.as_slice()
        };
        if let Some(g) = self.generated.get(doctype) {
            return g.list(q, order).map_err(query_error);
        }
        if !self.doctype_exists(doctype) {
            return Err(ApiError::doctype_not_found(doctype));
        }
        if let Some(meta) = schema::meta(doctype).filter(|m| m.istable) {
            let Some(parent) = parent.filter(|p| self.doctype_exists(p)) else {
                return Err(ApiError::permission(format!(
                    "Please specify a valid parent DocType for <strong>{doctype}</strong>"
                )));
            };
            let rows = self.child_rows(doctype, parent);
            let known = |c: &str| {
                STANDARD_FIELDS.contains(&c)
                    || meta.has_column(c)
                    || rows.iter().any(|r| r.contains_key(c))
            };
            filters::validate_columns(q, &known).map_err(query_error)?;
            return Ok(filters::run(rows.iter(), q, order));
        }
        filters::validate_columns(q, &|c| self.known_column(doctype, c)).map_err(query_error)?;
        let docs = self.tables.get(doctype).map(|t| t.docs.values());
        Ok(filters::run(docs.into_iter().flatten(), q, order))
    }

    /// `frappe.client.get_count`.
    pub(crate) fn count(&self, doctype: &str, q: &ListQuery) -> Result<usize, ApiError> {
        if let Some(g) = self.generated.get(doctype) {
            return g.count(q).map_err(query_error);
        }
        if !self.doctype_exists(doctype) {
            return Err(ApiError::doctype_not_found(doctype));
        }
        filters::validate_columns(q, &|c| self.known_column(doctype, c)).map_err(query_error)?;
        Ok(self.tables.get(doctype).map_or(0, |t| {
            t.docs
                .values()
                .filter(|d| filters::matches(d, &q.filters, &q.or_filters))
                .count()
        }))
    }

    /// A stored password (`frappe.client.get_password`).
    pub(crate) fn password(&self, doctype: &str, name: &str, field: &str) -> Option<String> {
        self.passwords
            .get(&(doctype.to_owned(), name.to_owned(), field.to_owned()))
            .cloned()
    }

    /// An uploaded file by URL.
    pub(crate) fn file(&self, url: &str) -> Option<&StoredFile> {
        self.files.get(url)
    }

    /// Whether a file URL is taken.
    pub(crate) fn file_exists(&self, url: &str) -> bool {
        self.files.contains_key(url)
    }

    /// Stores file bytes under a URL.
    pub(crate) fn put_file(&mut self, url: String, file: StoredFile) {
        self.files.insert(url, file);
    }

    // -----------------------------------------------------------------------------------------
    // Writes

    fn table_mut(&mut self, doctype: &str) -> &mut Table {
        self.tables.entry(doctype.to_owned()).or_default()
    }

    fn store(&mut self, doctype: &str, name: &str, doc: Doc) {
        let table = self.table_mut(doctype);
        for (k, v) in &doc {
            if !filters::is_table_value(v) {
                table.columns.insert(k.clone());
            }
        }
        table.docs.insert(name.to_owned(), doc);
    }

    /// Inserts a document.
    pub(crate) fn insert(
        &mut self,
        doctype: &str,
        body: Doc,
        origin: Origin,
        user: &str,
    ) -> Result<Saved, ApiError> {
        if self.generated.contains_key(doctype) {
            return Err(read_only(doctype));
        }
        let meta = schema::meta(doctype);
        if origin != Origin::Seed && meta.is_none() && !self.tables.contains_key(doctype) {
            return Err(ApiError::doctype_not_found(doctype));
        }
        if meta.is_some_and(|m| m.istable) {
            return self.insert_child_row(doctype, body, user);
        }
        let mut doc = clean(body, true);
        let supplied = doc.remove("name").and_then(|v| name_of(&v));
        let status = match doc.remove("docstatus") {
            None => 0,
            Some(v) => {
                as_int(&v).ok_or_else(|| ApiError::validation("docstatus must be 0, 1 or 2"))?
            }
        };
        let (now, now_dt) = self.now();
        if origin != Origin::Seed {
            apply_defaults(doctype, &mut doc, &now);
            self.validate_links(doctype, &doc, None)?;
        }
        sync_contact(doctype, &mut doc);
        let keep_supplied = match origin {
            Origin::Seed | Origin::V2 => true,
            Origin::V1 => meta.is_none_or(|m| m.naming == Naming::Prompt),
        };
        let single = meta.is_some_and(|m| m.issingle);
        let name = match supplied {
            // A Single's one document is named like the doctype.
            _ if single => doctype.to_owned(),
            Some(n) if keep_supplied => n,
            _ => self.auto_name(doctype, meta, &doc, &now_dt, origin)?,
        };
        if origin != Origin::Seed {
            if let Some(meta) = meta {
                let missing = missing_mandatory(meta, &doc);
                if !missing.is_empty() {
                    return Err(ApiError::mandatory(doctype, &name, &missing));
                }
            }
            if self.exists(doctype, &name) {
                return Err(ApiError::throw(
                    409,
                    "DuplicateEntryError",
                    format!("{doctype} {name} already exists"),
                ));
            }
            self.check_unique(doctype, &name, &doc)?;
            match status {
                0 => {}
                1 if meta.is_some_and(|m| m.submittable) => {}
                1 => return Err(not_submittable(doctype)),
                other => return Err(transition(0, other)),
            }
        }
        let creation = str_field(&doc, "creation").map_or_else(|| now.clone(), str::to_owned);
        let modified = match origin {
            Origin::Seed => {
                str_field(&doc, "modified").map_or_else(|| creation.clone(), str::to_owned)
            }
            _ => now,
        };
        let owner = str_field(&doc, "owner").unwrap_or(user).to_owned();
        let modified_by = match origin {
            Origin::Seed => str_field(&doc, "modified_by").unwrap_or(user).to_owned(),
            _ => user.to_owned(),
        };
        self.observe(Some(&creation));
        self.observe(Some(&modified));
        doc.insert("name".to_owned(), json!(name));
        doc.insert("owner".to_owned(), json!(owner));
        if single {
            // Singles live in `tabSingles` as text: no `creation`, and `idx` comes back as the
            // string "0" (as a real Frappe 15 answers).
            doc.remove("creation");
        } else {
            doc.insert("creation".to_owned(), json!(creation));
        }
        doc.insert("modified".to_owned(), json!(modified));
        doc.insert("modified_by".to_owned(), json!(modified_by));
        doc.insert("docstatus".to_owned(), json!(status));
        doc.insert("idx".to_owned(), if single { json!("0") } else { json!(0) });
        doc.insert("doctype".to_owned(), json!(doctype));
        self.set_children(doctype, &mut doc, None)?;
        self.stash_passwords(doctype, &name, &mut doc);
        if origin != Origin::Seed && status == 1 {
            on_submit(doctype, &mut doc);
        }
        self.note_name(doctype, &name);
        self.store(doctype, &name, doc.clone());
        Ok(Saved {
            doc,
            notices: Vec::new(),
        })
    }

    /// Inserting a child doctype directly: needs `parent` + `parenttype` (the sample's
    /// MandatoryError), then appends the row to the parent's table.
    fn insert_child_row(
        &mut self,
        doctype: &str,
        body: Doc,
        user: &str,
    ) -> Result<Saved, ApiError> {
        let row = clean(body, true);
        let parent = row.get("parent").and_then(name_of);
        let parenttype = row.get("parenttype").and_then(name_of);
        let (Some(parent), Some(parenttype)) = (parent, parenttype) else {
            let missing: Vec<&str> = ["parent", "parenttype"]
                .into_iter()
                .filter(|f| row.get(*f).and_then(name_of).is_none())
                .collect();
            return Err(ApiError {
                status: 417,
                exc_type: "MandatoryError".to_owned(),
                messages: missing
                    .iter()
                    .map(|f| Msg::print(format!("Error: Value missing for None: {f}")))
                    .collect(),
                exception: Some(format!(
                    "[{doctype}, new-{}-1]: {}",
                    slug(doctype),
                    missing.join(", ")
                )),
                top_message: None,
                traceback: None,
            });
        };
        let parent_doc = self.get_doc(&parenttype, &parent)?;
        let parentfield = row.get("parentfield").and_then(name_of).or_else(|| {
            schema::meta(&parenttype).and_then(|m| {
                m.fields
                    .iter()
                    .find(|f| f.is_table() && f.options == doctype)
                    .map(|f| f.fieldname.to_owned())
            })
        });
        let Some(parentfield) = parentfield else {
            return Err(ApiError::validation(format!(
                "Could not find a table of {doctype} in {parenttype}: send parentfield"
            )));
        };
        let mut rows = parent_doc
            .get(&parentfield)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        rows.push(Value::Object(row));
        let mut patch = Doc::new();
        patch.insert(parentfield.clone(), Value::Array(rows));
        let saved = self.update(&parenttype, &parent, patch, user, false)?;
        let new_row = saved
            .doc
            .get(&parentfield)
            .and_then(Value::as_array)
            .and_then(|r| r.last())
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        Ok(Saved {
            doc: new_row,
            notices: saved.notices,
        })
    }

    /// Partial update (`doc.update(body); doc.save()`), including docstatus transitions.
    pub(crate) fn update(
        &mut self,
        doctype: &str,
        name: &str,
        patch: Doc,
        user: &str,
        check_modified: bool,
    ) -> Result<Saved, ApiError> {
        if self.generated.contains_key(doctype) {
            return Err(read_only(doctype));
        }
        let old = self.get_doc(doctype, name)?;
        let mut patch = clean(patch, false);
        for k in PROTECTED_ON_UPDATE {
            patch.remove(*k);
        }
        if let Some(sent) = patch.remove("modified") {
            let stored = old.get("modified").cloned().unwrap_or(Value::Null);
            let same = match (
                sent.as_str().and_then(parse_micros),
                stored.as_str().and_then(parse_micros),
            ) {
                (Some(a), Some(b)) => a == b,
                _ => sent == stored,
            };
            if check_modified && !same {
                return Err(ApiError::throw(
                    417,
                    "TimestampMismatchError",
                    format!(
                        "Error: Document has been modified after you have opened it ({}, {}). Please refresh to get the latest document.",
                        stored.as_str().unwrap_or_default(),
                        sent.as_str()
                            .map_or_else(|| sent.to_string(), str::to_owned),
                    ),
                ));
            }
        }
        let meta = schema::meta(doctype);
        let submittable = meta.is_some_and(|m| m.submittable);
        let from = docstatus(&old);
        let to = match patch.remove("docstatus") {
            None | Some(Value::Null) => from,
            Some(v) => {
                as_int(&v).ok_or_else(|| ApiError::validation("docstatus must be 0, 1 or 2"))?
            }
        };
        match (from, to) {
            (0, 0) | (1, 2) => {}
            (0, 1) if submittable => {}
            (0, 1) => return Err(not_submittable(doctype)),
            (1, 1) => {
                for (k, v) in &patch {
                    let before = old.get(k).unwrap_or(&Value::Null);
                    if !loose_eq(before, v) {
                        return Err(ApiError::throw(
                            417,
                            "UpdateAfterSubmitError",
                            format!(
                                "Not allowed to change {} after submission from {} to {}",
                                schema::label_of(k),
                                short(before),
                                short(v)
                            ),
                        ));
                    }
                }
            }
            (2, _) => return Err(ApiError::validation("Cannot edit cancelled document")),
            (f, t) => return Err(transition(f, t)),
        }
        let touched: BTreeSet<String> = patch.keys().cloned().collect();
        let mut doc = old.clone();
        for (k, v) in patch {
            if v.is_null() {
                doc.remove(&k);
            } else {
                doc.insert(k, v);
            }
        }
        self.validate_links(doctype, &doc, Some(&touched))?;
        sync_contact(doctype, &mut doc);
        if let Some(meta) = meta {
            let missing = missing_mandatory(meta, &doc);
            if !missing.is_empty() {
                return Err(ApiError::mandatory(doctype, name, &missing));
            }
        }
        self.check_unique(doctype, name, &doc)?;
        let (now, _) = self.now();
        let mut notices = Vec::new();
        if doctype == "Dispatch Job"
            && str_field(&doc, "status") == Some("Completed")
            && str_field(&old, "status") != Some("Completed")
        {
            doc.entry("completed_at").or_insert_with(|| json!(now));
            notices.push(Msg::notice(
                format!("Dispatch Job {name} completed"),
                "green",
            ));
        }
        doc.insert("modified".to_owned(), json!(now));
        doc.insert("modified_by".to_owned(), json!(user));
        doc.insert("docstatus".to_owned(), json!(to));
        self.set_children(doctype, &mut doc, Some(&old))?;
        self.stash_passwords(doctype, name, &mut doc);
        match (from, to) {
            (0, 1) => on_submit(doctype, &mut doc),
            (1, 2) => on_cancel(doctype, &mut doc),
            _ => {}
        }
        self.store(doctype, name, doc.clone());
        Ok(Saved { doc, notices })
    }

    /// `frappe.client.cancel`.
    pub(crate) fn cancel(
        &mut self,
        doctype: &str,
        name: &str,
        user: &str,
    ) -> Result<Saved, ApiError> {
        let doc = self.get_doc(doctype, name)?;
        let from = docstatus(&doc);
        if from != 1 {
            return Err(transition(from, 2));
        }
        if doctype == "Sales Invoice" {
            // ERPNext's default "Unlink Payment on Cancellation of Invoice": payments lose their
            // allocation to the invoice instead of blocking the cancellation.
            if let Some(table) = self.tables.get_mut("Payment Entry") {
                for pe in table.docs.values_mut() {
                    if let Some(Value::Array(rows)) = pe.get_mut("references") {
                        rows.retain(|r| {
                            !(r.get("reference_doctype").and_then(Value::as_str) == Some(doctype)
                                && r.get("reference_name").and_then(Value::as_str) == Some(name))
                        });
                    }
                }
            }
        }
        if let Some((ldt, lname)) = self.find_linker(doctype, name, true) {
            return Err(link_exists(doctype, name, &ldt, &lname));
        }
        let mut patch = Doc::new();
        patch.insert("docstatus".to_owned(), json!(2));
        self.update(doctype, name, patch, user, false)
    }

    /// `frappe.delete_doc`.
    pub(crate) fn delete(&mut self, doctype: &str, name: &str) -> Result<(), ApiError> {
        if self.generated.contains_key(doctype) {
            return Err(read_only(doctype));
        }
        let doc = self.get_doc(doctype, name)?;
        if docstatus(&doc) == 1 {
            return Err(ApiError::validation(format!(
                "{doctype} {name}: Submitted Record cannot be deleted. You must Cancel it first."
            )));
        }
        if let Some((ldt, lname)) = self.find_linker(doctype, name, false) {
            return Err(link_exists(doctype, name, &ldt, &lname));
        }
        // ERPNext unlinks (rather than blocks on) contacts and addresses of a deleted party.
        for dt in ["Contact", "Address"] {
            if let Some(table) = self.tables.get_mut(dt) {
                for d in table.docs.values_mut() {
                    if let Some(Value::Array(rows)) = d.get_mut("links") {
                        rows.retain(|r| {
                            !(r.get("link_doctype").and_then(Value::as_str) == Some(doctype)
                                && r.get("link_name").and_then(Value::as_str) == Some(name))
                        });
                    }
                }
            }
        }
        if let Some(table) = self.tables.get_mut(doctype) {
            table.docs.remove(name);
        }
        self.passwords
            .retain(|(dt, n, _), _| !(dt == doctype && n == name));
        if doctype == "File"
            && let Some(url) = str_field(&doc, "file_url")
        {
            let still_used = self.tables.get("File").is_some_and(|t| {
                t.docs
                    .values()
                    .any(|d| d.get("file_url").and_then(Value::as_str) == Some(url))
            });
            if !still_used {
                self.files.remove(url);
            }
        }
        Ok(())
    }

    /// `frappe.client.rename_doc`.
    pub(crate) fn rename(
        &mut self,
        doctype: &str,
        old: &str,
        new: &str,
        merge: bool,
        user: &str,
    ) -> Result<String, ApiError> {
        if self.generated.contains_key(doctype) {
            return Err(read_only(doctype));
        }
        let mut doc = self.get_doc(doctype, old)?;
        let new = new.trim();
        if new.is_empty() {
            return Err(ApiError::validation("Please select a new name to rename"));
        }
        if new == old {
            return Ok(new.to_owned());
        }
        let target_exists = self.exists(doctype, new);
        if target_exists && !merge {
            return Err(ApiError::throw(
                409,
                "DuplicateEntryError",
                format!("Another {doctype} with name {new} exists, select another name"),
            ));
        }
        if !target_exists && merge {
            return Err(ApiError::validation(format!(
                "{doctype} {new} does not exist, select a new target to merge"
            )));
        }
        if let Some(t) = self.tables.get_mut(doctype) {
            t.docs.remove(old);
        }
        if !merge {
            let (now, _) = self.now();
            doc.insert("name".to_owned(), json!(new));
            doc.insert("modified".to_owned(), json!(now));
            doc.insert("modified_by".to_owned(), json!(user));
            for rows in doc.values_mut().filter_map(Value::as_array_mut) {
                for row in rows.iter_mut().filter_map(Value::as_object_mut) {
                    if row.contains_key("parenttype") {
                        row.insert("parent".to_owned(), json!(new));
                    }
                }
            }
            self.note_name(doctype, new);
            self.store(doctype, new, doc);
        }
        self.rewrite_links(doctype, old, new);
        let moved: Vec<((String, String, String), String)> = self
            .passwords
            .iter()
            .filter(|((dt, n, _), _)| dt == doctype && n == old)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for ((dt, _, field), secret) in moved {
            self.passwords
                .remove(&(dt.clone(), old.to_owned(), field.clone()));
            if !merge {
                self.passwords.insert((dt, new.to_owned(), field), secret);
            }
        }
        Ok(new.to_owned())
    }

    // -----------------------------------------------------------------------------------------
    // Validation helpers

    fn validate_links(
        &self,
        doctype: &str,
        doc: &Doc,
        only: Option<&BTreeSet<String>>,
    ) -> Result<(), ApiError> {
        let Some(meta) = schema::meta(doctype) else {
            return Ok(());
        };
        let mut bad = Vec::new();
        for df in meta.fields {
            if only.is_some_and(|o| !o.contains(df.fieldname)) {
                continue;
            }
            let target = match df.fieldtype {
                "Link" => Some(df.options),
                "Dynamic Link" => str_field(doc, df.options),
                _ => None,
            };
            let Some(target) = target.filter(|t| schema::VALIDATED_LINK_TARGETS.contains(t)) else {
                continue;
            };
            if let Some(value) = doc.get(df.fieldname).and_then(name_of)
                && !self.exists(target, &value)
            {
                bad.push(format!("{}: {value}", df.label()));
            }
        }
        if bad.is_empty() {
            Ok(())
        } else {
            Err(ApiError::throw(
                417,
                "LinkValidationError",
                format!("Could not find {}", bad.join(", ")),
            ))
        }
    }

    fn check_unique(&self, doctype: &str, name: &str, doc: &Doc) -> Result<(), ApiError> {
        let (Some(meta), Some(table)) = (schema::meta(doctype), self.tables.get(doctype)) else {
            return Ok(());
        };
        for df in meta.fields.iter().filter(|f| f.unique) {
            let Some(value) = doc
                .get(df.fieldname)
                .filter(|v| !v.is_null() && v.as_str() != Some(""))
            else {
                continue;
            };
            let clash = table
                .docs
                .iter()
                .any(|(n, d)| n != name && d.get(df.fieldname) == Some(value));
            if clash {
                return Err(ApiError {
                    status: 417,
                    exc_type: "UniqueValidationError".to_owned(),
                    messages: vec![Msg::print(format!("{} must be unique", df.label()))],
                    exception: Some(format!(
                        "('{doctype}', '{name}', IntegrityError(1062, \"Duplicate entry '{}' for key '{}'\"))",
                        value
                            .as_str()
                            .map_or_else(|| value.to_string(), str::to_owned),
                        df.fieldname
                    )),
                    top_message: None,
                    traceback: None,
                });
            }
        }
        Ok(())
    }

    /// Some document (other than the target) linking to `target_doctype` / `target_name`.
    fn find_linker(
        &self,
        target_doctype: &str,
        target_name: &str,
        submitted_only: bool,
    ) -> Option<(String, String)> {
        let mut hits: Vec<(String, String)> = Vec::new();
        for (dt, table) in &self.tables {
            if schema::IGNORED_LINKERS.contains(&dt.as_str()) {
                continue;
            }
            for (name, doc) in &table.docs {
                if (dt == target_doctype && name == target_name)
                    || (submitted_only && docstatus(doc) != 1)
                {
                    continue;
                }
                if links_to(dt, doc, target_doctype, target_name) {
                    hits.push((dt.clone(), name.clone()));
                }
            }
        }
        hits.sort();
        hits.into_iter().next()
    }

    fn rewrite_links(&mut self, doctype: &str, old: &str, new: &str) {
        for (dt, table) in &mut self.tables {
            for doc in table.docs.values_mut() {
                rewrite_in(dt, doc, doctype, old, new);
                for (field, rows) in doc.iter_mut() {
                    let Value::Array(rows) = rows else { continue };
                    let child_dt = schema::child_doctype(dt, field, None);
                    for row in rows.iter_mut().filter_map(Value::as_object_mut) {
                        rewrite_in(&child_dt, row, doctype, old, new);
                    }
                }
            }
        }
    }

    fn stash_passwords(&mut self, doctype: &str, name: &str, doc: &mut Doc) {
        let Some(meta) = schema::meta(doctype) else {
            return;
        };
        for df in meta.fields.iter().filter(|f| f.fieldtype == "Password") {
            if let Some(Value::String(secret)) = doc.get(df.fieldname) {
                if secret.is_empty() || secret.chars().all(|c| c == '*') {
                    continue;
                }
                let masked = "*".repeat(secret.chars().count());
                self.passwords.insert(
                    (doctype.to_owned(), name.to_owned(), df.fieldname.to_owned()),
                    secret.clone(),
                );
                doc.insert(df.fieldname.to_owned(), json!(masked));
            }
        }
    }

    /// Normalises every child table of `doc` (Frappe's child-row bookkeeping). `old` is the stored
    /// version on update: rows sent with an existing `name` keep that row's identity.
    fn set_children(
        &mut self,
        parent_dt: &str,
        doc: &mut Doc,
        old: Option<&Doc>,
    ) -> Result<(), ApiError> {
        let meta = schema::meta(parent_dt);
        let parent_name = str_field(doc, "name").unwrap_or_default().to_owned();
        let owner = str_field(doc, "owner").unwrap_or_default().to_owned();
        let creation = str_field(doc, "creation").unwrap_or_default().to_owned();
        let modified = str_field(doc, "modified").unwrap_or_default().to_owned();
        let modified_by = str_field(doc, "modified_by").unwrap_or_default().to_owned();
        let status = docstatus(doc);
        let keys: Vec<String> = doc.keys().cloned().collect();
        for key in keys {
            let declared = meta.and_then(|m| m.field(&key)).map(|f| f.is_table());
            let old_rows: Vec<Doc> = old
                .and_then(|o| o.get(&key))
                .and_then(Value::as_array)
                .map(|rows| rows.iter().filter_map(Value::as_object).cloned().collect())
                .unwrap_or_default();
            let value = doc.get(&key).cloned().unwrap_or(Value::Null);
            let rows = match (value, declared) {
                (Value::Array(rows), Some(true)) => rows,
                (Value::Array(rows), None)
                    if rows.iter().all(Value::is_object)
                        && (!rows.is_empty() || !old_rows.is_empty()) =>
                {
                    rows
                }
                (_, Some(true)) => {
                    return Err(ApiError::validation(format!(
                        "{} must be a list of rows",
                        schema::label_of(&key)
                    )));
                }
                _ => continue,
            };
            let mut used: HashSet<String> = HashSet::new();
            let mut out = Vec::with_capacity(rows.len());
            for (i, row) in rows.into_iter().enumerate() {
                let Value::Object(row) = row else {
                    return Err(ApiError::validation(format!(
                        "Row #{}: rows of {} must be JSON objects",
                        i + 1,
                        schema::label_of(&key)
                    )));
                };
                let mut row = clean(row, true);
                let child_dt = schema::child_doctype(parent_dt, &key, Some(&row));
                let supplied = row
                    .get("name")
                    .and_then(name_of)
                    .filter(|n| !used.contains(n));
                let existing = supplied.as_ref().and_then(|n| {
                    old_rows
                        .iter()
                        .find(|r| r.get("name").and_then(Value::as_str) == Some(n.as_str()))
                });
                let row_owner = existing
                    .and_then(|r| str_field(r, "owner"))
                    .or_else(|| str_field(&row, "owner"))
                    .unwrap_or(&owner)
                    .to_owned();
                let row_creation = existing
                    .and_then(|r| str_field(r, "creation"))
                    .or_else(|| str_field(&row, "creation"))
                    .unwrap_or(&creation)
                    .to_owned();
                let row_name = match supplied {
                    Some(n) => n,
                    None => loop {
                        let h = self.hash10();
                        if !used.contains(&h) {
                            break h;
                        }
                    },
                };
                used.insert(row_name.clone());
                for k in ROW_META {
                    row.remove(*k);
                }
                row.insert("name".to_owned(), json!(row_name));
                row.insert("owner".to_owned(), json!(row_owner));
                row.insert("creation".to_owned(), json!(row_creation));
                row.insert("modified".to_owned(), json!(modified));
                row.insert("modified_by".to_owned(), json!(modified_by));
                row.insert("docstatus".to_owned(), json!(status));
                row.insert("idx".to_owned(), json!(i + 1));
                row.insert("parent".to_owned(), json!(parent_name));
                row.insert("parentfield".to_owned(), json!(key));
                row.insert("parenttype".to_owned(), json!(parent_dt));
                row.insert("doctype".to_owned(), json!(child_dt));
                out.push(Value::Object(row));
            }
            doc.insert(key, Value::Array(out));
        }
        Ok(())
    }
}

/// Whether `doc` (of doctype `dt`) links to the target through a Link field, a child-row Link
/// field or a dynamic pair. Dynamic Link rows of contacts and addresses do not count (ERPNext
/// unlinks them when the party is deleted).
fn links_to(dt: &str, doc: &Doc, target_dt: &str, target_name: &str) -> bool {
    if row_links_to(dt, doc, target_dt, target_name) {
        return true;
    }
    doc.iter().any(|(field, v)| {
        let Value::Array(rows) = v else { return false };
        if matches!(dt, "Contact" | "Address") && field == "links" {
            return false;
        }
        let child_dt = schema::child_doctype(dt, field, None);
        rows.iter()
            .filter_map(Value::as_object)
            .any(|row| row_links_to(&child_dt, row, target_dt, target_name))
    })
}

fn row_links_to(dt: &str, row: &Doc, target_dt: &str, target_name: &str) -> bool {
    let statik = schema::meta(dt).is_some_and(|m| {
        m.fields.iter().any(|f| {
            f.fieldtype == "Link"
                && f.options == target_dt
                && row.get(f.fieldname).and_then(Value::as_str) == Some(target_name)
        })
    });
    statik
        || schema::DYNAMIC_PAIRS.iter().any(|(t, n)| {
            row.get(*t).and_then(Value::as_str) == Some(target_dt)
                && row.get(*n).and_then(Value::as_str) == Some(target_name)
        })
}

fn rewrite_in(dt: &str, row: &mut Doc, target_dt: &str, old: &str, new: &str) {
    if let Some(meta) = schema::meta(dt) {
        for f in meta.fields {
            if f.fieldtype == "Link"
                && f.options == target_dt
                && row.get(f.fieldname).and_then(Value::as_str) == Some(old)
            {
                row.insert(f.fieldname.to_owned(), json!(new));
            }
        }
    }
    for (t, n) in schema::DYNAMIC_PAIRS {
        if row.get(*t).and_then(Value::as_str) == Some(target_dt)
            && row.get(*n).and_then(Value::as_str) == Some(old)
        {
            row.insert((*n).to_owned(), json!(new));
        }
    }
}

fn link_exists(doctype: &str, name: &str, linker_dt: &str, linker: &str) -> ApiError {
    ApiError::throw(
        417,
        "LinkExistsError",
        format!(
            "Cannot delete or cancel because {doctype} <a href=\"/app/{}/{name}\">{name}</a> is linked with {linker_dt} <a href=\"/app/{}/{linker}\">{linker}</a>",
            slug(doctype),
            slug(linker_dt)
        ),
    )
}

fn short(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "None".to_owned(),
        other => {
            let s = other.to_string();
            if s.chars().count() > 60 {
                format!("{}...", s.chars().take(57).collect::<String>())
            } else {
                s
            }
        }
    }
}

fn missing_mandatory(meta: &Meta, doc: &Doc) -> Vec<(String, String)> {
    meta.fields
        .iter()
        .filter(|f| f.reqd)
        .filter(|f| match doc.get(f.fieldname) {
            None | Some(Value::Null) => true,
            Some(Value::String(s)) => s.trim().is_empty(),
            Some(Value::Array(a)) => a.is_empty(),
            Some(_) => false,
        })
        .map(|f| (f.fieldname.to_owned(), f.label()))
        .collect()
}

fn full_name(doc: &Doc) -> Option<String> {
    let parts: Vec<&str> = ["first_name", "middle_name", "last_name"]
        .iter()
        .filter_map(|f| str_field(doc, f))
        .map(str::trim)
        .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// Defaults a controller or the DocType JSON would fill in.
fn apply_defaults(doctype: &str, doc: &mut Doc, now: &str) {
    let today = now.get(..10).unwrap_or(now).to_owned();
    let mut default = |k: &str, v: Value| {
        doc.entry(k.to_owned()).or_insert(v);
    };
    match doctype {
        "Customer" => default("customer_type", json!("Company")),
        "Issue" => {
            default("status", json!("Open"));
            default("opening_date", json!(today));
        }
        "Dispatch Job" => {
            default("status", json!("Open"));
            default("priority", json!("Normal"));
        }
        "Service Location" => default("status", json!("Pending")),
        "Service Equipment" => default("status", json!("In Stock")),
        "Communication" => {
            default("communication_type", json!("Communication"));
            default("sent_or_received", json!("Sent"));
            default("status", json!("Open"));
            default("communication_date", json!(now));
        }
        "Sales Invoice" => {
            default("status", json!("Draft"));
            default("posting_date", json!(today));
        }
        "Payment Entry" => {
            default("status", json!("Draft"));
            default("posting_date", json!(today));
        }
        "User" => {
            default("enabled", json!(1));
            default("user_type", json!("System User"));
        }
        "Technician" => default("active", json!(1)),
        "ToDo" => {
            default("status", json!("Open"));
            default("priority", json!("Medium"));
        }
        "Subscription" => default("status", json!("Active")),
        _ => {}
    }
}

/// Contact and User keep their scalar name / primary email / phone in sync with the rows.
fn sync_contact(doctype: &str, doc: &mut Doc) {
    if !matches!(doctype, "Contact" | "User") {
        return;
    }
    if let Some(name) = full_name(doc) {
        doc.insert("full_name".to_owned(), json!(name));
    }
    if doctype != "Contact" {
        return;
    }
    fn pick(doc: &Doc, table: &str, flag: &str, field: &str) -> Option<String> {
        let rows = doc.get(table)?.as_array()?;
        let primary = rows
            .iter()
            .find(|r| r.get(flag).and_then(as_int) == Some(1))
            .or_else(|| rows.first())?;
        primary.get(field)?.as_str().map(str::to_owned)
    }
    fn flagged(doc: &Doc, flag: &str) -> bool {
        doc.get("phone_nos")
            .and_then(Value::as_array)
            .is_some_and(|rows| rows.iter().any(|r| r.get(flag).and_then(as_int) == Some(1)))
    }
    if let Some(email) = pick(doc, "email_ids", "is_primary", "email_id") {
        doc.insert("email_id".to_owned(), json!(email));
    }
    if flagged(doc, "is_primary_mobile_no")
        && let Some(mobile) = pick(doc, "phone_nos", "is_primary_mobile_no", "phone")
    {
        doc.insert("mobile_no".to_owned(), json!(mobile));
    }
    if flagged(doc, "is_primary_phone")
        && let Some(phone) = pick(doc, "phone_nos", "is_primary_phone", "phone")
    {
        doc.insert("phone".to_owned(), json!(phone));
    }
}

fn on_submit(doctype: &str, doc: &mut Doc) {
    match doctype {
        "Sales Invoice" => {
            let outstanding = doc
                .get("outstanding_amount")
                .and_then(Value::as_f64)
                .or_else(|| doc.get("grand_total").and_then(Value::as_f64))
                .unwrap_or(0.0);
            if doc.get("outstanding_amount").is_none() {
                doc.insert("outstanding_amount".to_owned(), json!(outstanding));
            }
            let status = if outstanding > 0.0 { "Unpaid" } else { "Paid" };
            doc.insert("status".to_owned(), json!(status));
        }
        "Payment Entry" => {
            doc.insert("status".to_owned(), json!("Submitted"));
        }
        _ => {}
    }
}

fn on_cancel(doctype: &str, doc: &mut Doc) {
    if matches!(doctype, "Sales Invoice" | "Payment Entry") {
        doc.insert("status".to_owned(), json!("Cancelled"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(v: Value) -> Doc {
        match v {
            Value::Object(m) => m,
            _ => Doc::new(),
        }
    }

    fn store() -> Store {
        let mut s = Store::new(ServerVersion::V15);
        let seed = |s: &mut Store, dt: &str, v: Value| {
            s.insert(dt, obj(v), Origin::Seed, "Administrator")
                .map(|d| d.doc)
        };
        assert!(
            seed(
                &mut s,
                "Customer",
                json!({"name": "Acme", "customer_name": "Acme"})
            )
            .is_ok()
        );
        assert!(
            seed(
                &mut s,
                "Service Location",
                json!({"name": "SL-00007", "customer": "Acme"})
            )
            .is_ok()
        );
        assert!(
            seed(
                &mut s,
                "Dispatch Job",
                json!({"name": "DJ-2026-00041", "customer": "Acme", "service_location": "SL-00007"})
            )
            .is_ok()
        );
        s
    }

    #[test]
    fn naming_series_continue_after_seeded_names() {
        let mut s = store();
        let sl = s
            .insert(
                "Service Location",
                obj(json!({"customer": "Acme", "name": "ignored"})),
                Origin::V1,
                "a",
            )
            .map(|d| d.doc["name"].clone());
        assert_eq!(sl.ok(), Some(json!("SL-00008")));
        let dj = s
            .insert(
                "Dispatch Job",
                obj(json!({"customer": "Acme", "service_location": "SL-00007"})),
                Origin::V1,
                "a",
            )
            .map(|d| d.doc);
        let dj = dj.unwrap_or_default();
        let year = s.now().1.year();
        let expected = if year == 2026 {
            "DJ-2026-00042".to_owned()
        } else {
            format!("DJ-{year}-00001")
        };
        assert_eq!(dj["name"], json!(expected));
        assert_eq!(dj["status"], "Open");
        let tech = s.insert(
            "Technician",
            obj(json!({"full_name": "X"})),
            Origin::V1,
            "a",
        );
        assert_eq!(
            tech.map(|d| d.doc["name"].clone()).ok(),
            Some(json!("TECH-001"))
        );
        let kept = s.insert(
            "Service Location",
            obj(json!({"customer": "Acme", "name": "MY-SL"})),
            Origin::V2,
            "a",
        );
        assert_eq!(
            kept.map(|d| d.doc["name"].clone()).ok(),
            Some(json!("MY-SL"))
        );
    }

    #[test]
    fn field_and_script_naming() {
        let mut s = store();
        let c = s.insert(
            "Customer",
            obj(json!({"customer_name": "Acme"})),
            Origin::V1,
            "a",
        );
        assert_eq!(
            c.map(|d| d.doc["name"].clone()).ok(),
            Some(json!("Acme - 1"))
        );
        let c = s.insert(
            "Customer",
            obj(json!({"customer_name": "Acme"})),
            Origin::V1,
            "a",
        );
        assert_eq!(
            c.map(|d| d.doc["name"].clone()).ok(),
            Some(json!("Acme - 2"))
        );
        let t = s.insert("Tag", obj(json!({"tag_name": "urgent"})), Origin::V1, "a");
        assert_eq!(t.map(|d| d.doc["name"].clone()).ok(), Some(json!("urgent")));
        let dup = s.insert("Tag", obj(json!({"tag_name": "urgent"})), Origin::V1, "a");
        assert_eq!(
            dup.map_err(|e| (e.status, e.exc_type)).err(),
            Some((409, "DuplicateEntryError".to_owned()))
        );
        let u = s.insert(
            "User",
            obj(json!({"email": "a@b.c", "first_name": "A", "last_name": "B"})),
            Origin::V1,
            "a",
        );
        let u = u.map(|d| d.doc).unwrap_or_default();
        assert_eq!(
            (u["name"].clone(), u["full_name"].clone()),
            (json!("a@b.c"), json!("A B"))
        );
        let contact = s.insert(
            "Contact",
            obj(json!({"first_name": "Jo", "last_name": "Roy", "links": [{"link_doctype": "Customer", "link_name": "Acme"}],
                "email_ids": [{"email_id": "jo@x.ca", "is_primary": 1}]})),
            Origin::V1,
            "a",
        );
        let contact = contact.map(|d| d.doc).unwrap_or_default();
        assert_eq!(contact["name"], "Jo Roy-Acme");
        assert_eq!(contact["email_id"], "jo@x.ca");
        assert_eq!(contact["links"][0]["doctype"], "Dynamic Link");
        let again = s.insert("Contact", obj(json!({"first_name": "Jo", "last_name": "Roy", "links": [{"link_doctype": "Customer", "link_name": "Acme"}]})), Origin::V1, "a");
        assert_eq!(
            again.map(|d| d.doc["name"].clone()).ok(),
            Some(json!("Jo Roy-Acme-1"))
        );
        let hashed = s.insert("ToDo", obj(json!({"description": "x"})), Origin::V1, "a");
        let hashed = hashed
            .map(|d| d.doc["name"].as_str().unwrap_or_default().to_owned())
            .unwrap_or_default();
        assert_eq!(hashed.len(), 10);
        assert!(hashed.chars().all(|c| c.is_ascii_hexdigit()));
    }

    #[test]
    fn timestamps_strictly_increase_and_children_are_normalised() {
        let mut s = store();
        let mut last = String::new();
        for i in 0..50 {
            let d = s
                .insert(
                    "Note",
                    obj(json!({"title": format!("n{i}")})),
                    Origin::V1,
                    "a",
                )
                .map(|d| d.doc)
                .unwrap_or_default();
            let creation = d["creation"].as_str().unwrap_or_default().to_owned();
            assert_eq!(creation.len(), 26, "{creation}");
            assert!(creation > last, "{creation} <= {last}");
            assert_eq!(d["modified"], d["creation"]);
            last = creation;
        }
        let dj = s
            .insert(
                "Dispatch Job",
                obj(json!({"customer": "Acme", "service_location": "SL-00007",
                    "equipment": [{"action": "Installed"}, {"action": "Removed", "notes": "old"}]})),
                Origin::V1,
                "tech@x",
            )
            .map(|d| d.doc)
            .unwrap_or_default();
        let rows = dj["equipment"].as_array().cloned().unwrap_or_default();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1]["idx"], 2);
        assert_eq!(rows[0]["parent"], dj["name"]);
        assert_eq!(rows[0]["parentfield"], "equipment");
        assert_eq!(rows[0]["parenttype"], "Dispatch Job");
        assert_eq!(rows[0]["doctype"], "Dispatch Job Equipment");
        assert_eq!(rows[0]["owner"], "tech@x");
        assert_eq!(rows[0]["name"].as_str().map(str::len), Some(10));
    }

    #[test]
    fn update_replaces_child_tables_and_checks_modified() {
        let mut s = store();
        let dj = s
            .insert(
                "Dispatch Job",
                obj(json!({"customer": "Acme", "service_location": "SL-00007",
                    "equipment": [{"action": "Installed"}, {"action": "Removed"}]})),
                Origin::V1,
                "a",
            )
            .map(|d| d.doc)
            .unwrap_or_default();
        let name = dj["name"].as_str().unwrap_or_default().to_owned();
        let first = dj["equipment"][0]["name"].clone();
        let patch = obj(json!({"status": "Scheduled", "modified": dj["modified"],
            "equipment": [{"name": first, "action": "Swapped"}, {"action": "Installed", "notes": "new"}]}));
        let saved = s
            .update("Dispatch Job", &name, patch, "b", true)
            .map(|d| d.doc)
            .unwrap_or_default();
        assert_eq!(saved["status"], "Scheduled");
        assert_eq!(saved["customer"], "Acme");
        assert_eq!(saved["modified_by"], "b");
        assert!(saved["modified"].as_str() > dj["modified"].as_str());
        let rows = saved["equipment"].as_array().cloned().unwrap_or_default();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0]["name"], first);
        assert_eq!(rows[0]["action"], "Swapped");
        assert_ne!(rows[1]["name"], dj["equipment"][1]["name"]);
        let stale = obj(json!({"status": "Open", "modified": dj["modified"]}));
        let err = s.update("Dispatch Job", &name, stale, "b", true).err();
        assert_eq!(
            err.map(|e| e.exc_type),
            Some("TimestampMismatchError".to_owned())
        );
        let done = s
            .update(
                "Dispatch Job",
                &name,
                obj(json!({"status": "Completed"})),
                "b",
                true,
            )
            .map(|d| d.notices)
            .unwrap_or_default();
        assert_eq!(done.len(), 1);
        assert!(done[0].message.contains("completed"));
    }

    #[test]
    fn validation_errors() {
        let mut s = store();
        let err = s
            .insert(
                "Dispatch Job",
                obj(json!({"description": "x"})),
                Origin::V1,
                "a",
            )
            .err();
        let err = err.unwrap_or_else(|| ApiError::validation(""));
        assert_eq!((err.status, err.exc_type.as_str()), (417, "MandatoryError"));
        assert_eq!(err.messages.len(), 2);
        assert_eq!(
            err.messages[0].message,
            "Error: Value missing for Dispatch Job: Customer"
        );
        let err = s
            .insert(
                "Service Location",
                obj(json!({"customer": "Nobody"})),
                Origin::V1,
                "a",
            )
            .err();
        assert_eq!(
            err.map(|e| e.text()),
            Some("Could not find Customer: Nobody".to_owned())
        );
        let err = s
            .delete("Customer", "Acme")
            .err()
            .unwrap_or_else(|| ApiError::validation(""));
        assert_eq!(err.exc_type, "LinkExistsError");
        assert!(err.text().contains("is linked with"), "{}", err.text());
        let err = s
            .insert(
                "Dynamic Link",
                obj(json!({"link_doctype": "Customer"})),
                Origin::V1,
                "a",
            )
            .err();
        assert_eq!(err.map(|e| e.messages.len()), Some(2));
        let err = s.insert("Nope", obj(json!({})), Origin::V1, "a").err();
        assert_eq!(err.map(|e| e.status), Some(404));
    }

    #[test]
    fn submit_cancel_and_rename() {
        let mut s = store();
        let inv = s
            .insert("Sales Invoice", obj(json!({"customer": "Acme", "grand_total": 10.0, "items": [{"item_code": "X", "qty": 1}]})), Origin::V1, "a")
            .map(|d| d.doc)
            .unwrap_or_default();
        let name = inv["name"].as_str().unwrap_or_default().to_owned();
        let sub = s
            .update(
                "Sales Invoice",
                &name,
                obj(json!({"docstatus": 1})),
                "a",
                true,
            )
            .map(|d| d.doc)
            .unwrap_or_default();
        assert_eq!(
            (sub["docstatus"].clone(), sub["status"].clone()),
            (json!(1), json!("Unpaid"))
        );
        assert_eq!(sub["items"][0]["docstatus"], 1);
        let err = s
            .update(
                "Sales Invoice",
                &name,
                obj(json!({"grand_total": 11})),
                "a",
                true,
            )
            .err();
        assert_eq!(
            err.map(|e| e.exc_type),
            Some("UpdateAfterSubmitError".to_owned())
        );
        assert!(s.delete("Sales Invoice", &name).is_err());
        let c = s
            .cancel("Sales Invoice", &name, "a")
            .map(|d| d.doc)
            .unwrap_or_default();
        assert_eq!(c["docstatus"], 2);
        assert_eq!(
            s.cancel("Sales Invoice", &name, "a")
                .err()
                .map(|e| e.exc_type),
            Some("DocstatusTransitionError".to_owned())
        );
        let err = s
            .update(
                "Dispatch Job",
                "DJ-2026-00041",
                obj(json!({"docstatus": 1})),
                "a",
                true,
            )
            .err();
        assert_eq!(err.map(|e| e.status), Some(417));
        assert_eq!(
            s.rename("Customer", "Acme", "Acme Inc", false, "a").ok(),
            Some("Acme Inc".to_owned())
        );
        assert_eq!(
            s.get_doc("Service Location", "SL-00007")
                .map(|d| d["customer"].clone())
                .ok(),
            Some(json!("Acme Inc"))
        );
        assert_eq!(
            s.get_doc("Sales Invoice", &name)
                .map(|d| d["customer"].clone())
                .ok(),
            Some(json!("Acme Inc"))
        );
        let err = s.rename("Service Location", "SL-00007", "SL-00007", false, "a");
        assert!(err.is_ok());
    }

    #[test]
    fn transactions_roll_back() {
        let mut s = store();
        let before = s.all("Tag").len();
        let out: Result<(), ApiError> = s.transaction(|s| {
            s.insert("Tag", obj(json!({"tag_name": "a"})), Origin::V1, "x")?;
            s.insert("Tag", obj(json!({"tag_name": "a"})), Origin::V1, "x")?;
            Ok(())
        });
        assert!(out.is_err());
        assert_eq!(s.all("Tag").len(), before);
    }

    #[test]
    fn passwords_are_masked() {
        let mut s = store();
        let se = s
            .insert(
                "Service Equipment",
                obj(json!({"service_location": "SL-00007", "admin_password": "hunter2"})),
                Origin::V1,
                "a",
            )
            .map(|d| d.doc)
            .unwrap_or_default();
        assert_eq!(se["admin_password"], "*******");
        let name = se["name"].as_str().unwrap_or_default();
        assert_eq!(
            s.password("Service Equipment", name, "admin_password")
                .as_deref(),
            Some("hunter2")
        );
    }
}
