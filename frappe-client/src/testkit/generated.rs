//! Generated doctypes: `n` documents computed from their index on demand, never stored.
//!
//! Row `i` (1-based) is named `{PREFIX}-{i:08}` (`PREFIX` = the doctype's first word in upper
//! case: "Bench Item" → `BENCH-00000001`), was created at 2026-01-01 00:00:00 + `i` seconds
//! (`modified` = `creation`), and carries `item_name`, `qty` (int), `rate` (float), `enabled`
//! (0/1) and `status`. Names, `creation` and `modified` all increase with `i`, so ordering by
//! them and filtering them with `= > >= < <= between` is index arithmetic plus binary search:
//! memory stays O(page) and time O(page + log n) whatever `n` is. Other filters are evaluated
//! row by row inside the narrowed range; other orders fall back to materialising the range
//! (refused beyond [`FALLBACK_LIMIT`] rows).

use chrono::{Datelike, Timelike};
use serde_json::{Map, Value, json};

use super::filters::{self, Condition, FieldSpec, ListQuery, Op, OrderKey, QueryError};

/// The largest range a non-index order (or a `group_by`) may materialise.
pub(crate) const FALLBACK_LIMIT: u64 = 200_000;

/// The largest supported row count (names stay 8 digits wide).
pub(crate) const MAX_ROWS: u64 = 99_999_999;

const BASE_SECS: i64 = 1_767_225_600; // 2026-01-01 00:00:00
const STATUSES: [&str; 4] = ["Open", "Scheduled", "Completed", "Cancelled"];
const COLUMNS: &[&str] = &["item_name", "qty", "rate", "enabled", "status"];

/// A generated doctype.
#[derive(Debug, Clone)]
pub(crate) struct Generated {
    pub(crate) doctype: String,
    prefix: String,
    count: u64,
}

/// A column whose value grows with the row index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Name,
    Creation,
}

impl Generated {
    /// `count` rows of `doctype` (capped at [`MAX_ROWS`]).
    pub(crate) fn new(doctype: &str, count: u64) -> Self {
        let word: String = doctype
            .split_whitespace()
            .next()
            .unwrap_or("GEN")
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_uppercase();
        Self {
            doctype: doctype.to_owned(),
            prefix: if word.is_empty() {
                "GEN".to_owned()
            } else {
                word
            },
            count: count.min(MAX_ROWS),
        }
    }

    fn name(&self, i: u64) -> String {
        format!("{}-{i:08}", self.prefix)
    }

    fn creation(i: u64) -> String {
        let secs = BASE_SECS.saturating_add(i64::try_from(i).unwrap_or(i64::MAX / 2));
        chrono::DateTime::from_timestamp(secs, 0)
            .map(|d| {
                let d = d.naive_utc();
                format!(
                    "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.000000",
                    d.year(),
                    d.month(),
                    d.day(),
                    d.hour(),
                    d.minute(),
                    d.second()
                )
            })
            .unwrap_or_default()
    }

    fn key(&self, key: Key, i: u64) -> String {
        match key {
            Key::Name => self.name(i),
            Key::Creation => Self::creation(i),
        }
    }

    /// The index of a row name, if it is one of ours.
    pub(crate) fn index_of(&self, name: &str) -> Option<u64> {
        let digits = name.strip_prefix(&self.prefix)?.strip_prefix('-')?;
        let i: u64 = digits.parse().ok()?;
        (i >= 1 && i <= self.count && self.name(i) == name).then_some(i)
    }

    /// Row `i` as a full document.
    pub(crate) fn doc(&self, i: u64) -> Map<String, Value> {
        let creation = Self::creation(i);
        let mut m = Map::new();
        m.insert("name".to_owned(), json!(self.name(i)));
        m.insert("owner".to_owned(), json!("Administrator"));
        m.insert("creation".to_owned(), json!(creation));
        m.insert("modified".to_owned(), json!(creation));
        m.insert("modified_by".to_owned(), json!("Administrator"));
        m.insert("docstatus".to_owned(), json!(0));
        m.insert("idx".to_owned(), json!(0));
        m.insert("item_name".to_owned(), json!(format!("Bench item {i}")));
        m.insert("qty".to_owned(), json!(i % 100));
        m.insert("rate".to_owned(), json!((i % 1000) as f64 * 0.25 + 1.5));
        m.insert("enabled".to_owned(), json!(u8::from(!i.is_multiple_of(10))));
        m.insert("status".to_owned(), json!(STATUSES[(i % 4) as usize]));
        m.insert("doctype".to_owned(), json!(self.doctype));
        m
    }

    fn known(c: &str) -> bool {
        filters::STANDARD_FIELDS.contains(&c) || COLUMNS.contains(&c)
    }

    fn key_of(field: &str) -> Option<Key> {
        match field {
            "name" => Some(Key::Name),
            "creation" | "modified" => Some(Key::Creation),
            _ => None,
        }
    }

    /// A filter value in the form of the index key (datetimes canonicalised).
    fn normalise(key: Key, v: &str) -> String {
        match key {
            Key::Name => v.to_owned(),
            Key::Creation => filters::canonical_datetime(v).unwrap_or_else(|| v.to_owned()),
        }
    }

    /// First index in `lo..=hi+1` where `pred` turns true (`pred` is monotonic).
    fn partition(lo: u64, hi: u64, pred: impl Fn(u64) -> bool) -> u64 {
        let (mut a, mut b) = (lo, hi + 1);
        while a < b {
            let mid = a + (b - a) / 2;
            if pred(mid) {
                b = mid;
            } else {
                a = mid + 1;
            }
        }
        a
    }

    /// Narrows `[lo, hi]` with the index-backed AND conditions; returns the rest.
    fn narrow(&self, conds: &[Condition]) -> (u64, u64, Vec<Condition>) {
        let (mut lo, mut hi) = (1u64, self.count);
        let mut residual = Vec::new();
        for c in conds {
            let key = if c.child.is_none() {
                Self::key_of(&c.field)
            } else {
                None
            };
            let narrowed = match (key, c.op, &c.value) {
                (Some(k), Op::Eq | Op::Gt | Op::Ge | Op::Lt | Op::Le, Value::String(v))
                    if k == Key::Name || filters::canonical_datetime(v).is_some() =>
                {
                    let v = &Self::normalise(k, v);
                    let n = self.count;
                    let (ge, gt) = (
                        Self::partition(1, n, |i| self.key(k, i).as_str() >= v.as_str()),
                        Self::partition(1, n, |i| self.key(k, i).as_str() > v.as_str()),
                    );
                    // ge / gt are the first indexes with key >= v / key > v.
                    let (l, h) = match c.op {
                        Op::Eq => (ge, gt.saturating_sub(1)),
                        Op::Gt => (gt, n),
                        Op::Ge => (ge, n),
                        Op::Lt => (1, ge.saturating_sub(1)),
                        _ => (1, gt.saturating_sub(1)),
                    };
                    lo = lo.max(l);
                    hi = hi.min(h);
                    true
                }
                (Some(k), Op::Between, Value::Array(b)) => match (b.first(), b.get(1)) {
                    (Some(Value::String(a)), Some(Value::String(z)))
                        if k == Key::Name
                            || (filters::canonical_datetime(a).is_some()
                                && filters::canonical_datetime(z).is_some()) =>
                    {
                        let a = &Self::normalise(k, a);
                        let z = if k == Key::Creation && filters::is_date_only(z) {
                            format!("{z} 23:59:59.999999")
                        } else {
                            Self::normalise(k, z)
                        };
                        let n = self.count;
                        lo = lo.max(Self::partition(1, n, |i| {
                            self.key(k, i).as_str() >= a.as_str()
                        }));
                        hi = hi.min(
                            Self::partition(1, n, |i| self.key(k, i).as_str() > z.as_str())
                                .saturating_sub(1),
                        );
                        true
                    }
                    _ => false,
                },
                _ => false,
            };
            if !narrowed {
                residual.push(c.clone());
            }
        }
        (lo, hi, residual)
    }

    fn range_len(lo: u64, hi: u64) -> u64 {
        if lo > hi { 0 } else { hi - lo + 1 }
    }

    /// `get_list` over the generated rows.
    pub(crate) fn list(&self, q: &ListQuery, order: &[OrderKey]) -> Result<Vec<Value>, QueryError> {
        filters::validate_columns(q, &Self::known)?;
        let (lo, hi, residual) = self.narrow(&q.filters);
        let fast_order = order.first().filter(|k| Self::key_of(&k.field).is_some());
        let aggregated = q.group_by.is_some()
            || q.fields
                .iter()
                .any(|f| matches!(f, FieldSpec::Aggregate { .. }));
        let Some(first) = fast_order.filter(|_| !aggregated) else {
            return self.materialised(q, order, lo, hi, residual);
        };
        let desc = first.desc;
        let at = |k: u64| if desc { hi - k } else { lo + k };
        let total = Self::range_len(lo, hi);
        let len = q
            .page_length
            .map_or(u64::MAX, |l| u64::try_from(l).unwrap_or(u64::MAX));
        let start = u64::try_from(q.start).unwrap_or(u64::MAX);
        let mut out = Vec::new();
        if residual.is_empty() && q.or_filters.is_empty() {
            let take = len.min(total.saturating_sub(start));
            for k in start..start.saturating_add(take) {
                out.push(Self::project(self.doc(at(k)), q));
            }
            return Ok(out);
        }
        let mut skipped = 0u64;
        for k in 0..total {
            if out.len() as u64 >= len {
                break;
            }
            let doc = self.doc(at(k));
            if !Self::residual_match(&doc, &residual, &q.or_filters) {
                continue;
            }
            if skipped < start {
                skipped += 1;
                continue;
            }
            out.push(Self::project(doc, q));
        }
        Ok(out)
    }

    /// Projects a generated row, moving it as is for `fields=["*"]` (it has no child tables)
    /// and moving the named values out of it for a list of plain columns.
    fn project(mut doc: Map<String, Value>, q: &ListQuery) -> Value {
        if !q.as_dict {
            return filters::project(&doc, &q.fields, q.as_dict);
        }
        if matches!(q.fields.as_slice(), [FieldSpec::Star]) {
            return Value::Object(doc);
        }
        if !q
            .fields
            .iter()
            .all(|f| matches!(f, FieldSpec::Column { .. }))
        {
            return filters::project(&doc, &q.fields, q.as_dict);
        }
        let mut out = Map::new();
        for f in &q.fields {
            if let FieldSpec::Column { name, alias } = f {
                let key = alias.as_ref().unwrap_or(name);
                // A column named twice was moved already: copy it from the output.
                let value = doc
                    .remove(name)
                    .or_else(|| out.get(name).cloned())
                    .unwrap_or(Value::Null);
                out.insert(key.clone(), value);
            }
        }
        Value::Object(out)
    }

    fn residual_match(doc: &Map<String, Value>, residual: &[Condition], or: &[Condition]) -> bool {
        filters::matches(doc, residual, or)
    }

    fn materialised(
        &self,
        q: &ListQuery,
        order: &[OrderKey],
        lo: u64,
        hi: u64,
        residual: Vec<Condition>,
    ) -> Result<Vec<Value>, QueryError> {
        let total = Self::range_len(lo, hi);
        if total > FALLBACK_LIMIT {
            return Err(QueryError::validation(format!(
                "{} is a generated doctype: order it by name, creation or modified (or narrow it to at most {FALLBACK_LIMIT} rows with filters on those columns)",
                self.doctype
            )));
        }
        let docs: Vec<Map<String, Value>> = (lo..=hi).map(|i| self.doc(i)).collect();
        let mut rest = q.clone();
        rest.filters = residual;
        Ok(filters::run(docs.iter(), &rest, order))
    }

    /// `get_count` over the generated rows.
    pub(crate) fn count(&self, q: &ListQuery) -> Result<usize, QueryError> {
        filters::validate_columns(q, &Self::known)?;
        let (lo, hi, residual) = self.narrow(&q.filters);
        let total = Self::range_len(lo, hi);
        if residual.is_empty() && q.or_filters.is_empty() {
            return Ok(usize::try_from(total).unwrap_or(usize::MAX));
        }
        Ok((lo..=hi)
            .filter(|&i| Self::residual_match(&self.doc(i), &residual, &q.or_filters))
            .count())
    }
}

/// Orders two rows by the same rules as [`filters::sort_cmp`] (used by tests).
#[cfg(test)]
fn cmp_rows(a: &Value, b: &Value, field: &str) -> std::cmp::Ordering {
    filters::sort_cmp(a.get(field), b.get(field))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::testkit::filters::Paging;

    fn query(args: Value) -> ListQuery {
        let Value::Object(m) = args else {
            return ListQuery::default();
        };
        ListQuery::from_args("Bench Item", &m, Paging::V1 { limit_alias: false })
            .unwrap_or_default()
    }

    fn names(rows: &[Value]) -> Vec<String> {
        rows.iter()
            .map(|r| r["name"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// The same query answered by materialising every row.
    fn naive(g: &Generated, q: &ListQuery, order: &[OrderKey]) -> Vec<Value> {
        let docs: Vec<_> = (1..=g.count).map(|i| g.doc(i)).collect();
        filters::run(docs.iter(), q, order)
    }

    #[test]
    fn rows_are_computed_and_monotonic() {
        let g = Generated::new("Bench Item", 50_000);
        assert_eq!(g.doc(1)["name"], "BENCH-00000001");
        assert_eq!(g.doc(1)["creation"], "2026-01-01 00:00:01.000000");
        assert_eq!(g.index_of("BENCH-00049999"), Some(49_999));
        assert_eq!(g.index_of("BENCH-00050001"), None);
        assert_eq!(g.index_of("BENCH-1"), None);
        assert!(g.doc(10)["creation"].as_str() < g.doc(11)["creation"].as_str());
        assert_eq!(
            cmp_rows(&Value::Object(g.doc(2)), &Value::Object(g.doc(3)), "name"),
            std::cmp::Ordering::Less
        );
    }

    #[test]
    fn fast_paths_agree_with_the_naive_engine() {
        let g = Generated::new("Bench Item", 3_000);
        let cases = [
            json!({"limit_start": 500, "limit_page_length": 500, "fields": "[\"*\"]"}),
            json!({"limit_start": 2990, "limit_page_length": 500}),
            json!({"filters": r#"[["creation",">","2026-01-01 00:10:00"]]"#, "limit_page_length": 0}),
            json!({"filters": r#"[["creation","<=","2026-01-01 00:10:00.5"]]"#, "limit_page_length": 0}),
            json!({"filters": r#"[["modified","=","2026-01-01 00:10:00"]]"#, "limit_page_length": 0}),
            json!({"filters": r#"[["name","<=","BENCH-00000100"],["name",">=","BENCH-00000050"]]"#, "limit_page_length": 0}),
            json!({"filters": r#"[["name","=","BENCH-00000777"]]"#}),
            json!({"filters": r#"[["creation","between",["2026-01-01","2026-01-01"]]]"#, "limit_page_length": 0}),
            json!({"filters": r#"[["status","=","Open"],["creation","<","2026-01-01 00:30:00"]]"#, "limit_start": 3}),
            json!({"or_filters": r#"[["qty","=",3],["enabled","=",0]]"#, "limit_page_length": 50}),
        ];
        for args in cases {
            let q = query(args.clone());
            for order in [
                vec![OrderKey::new("creation", true)],
                vec![
                    OrderKey::new("name", false),
                    OrderKey::new("creation", false),
                ],
                vec![OrderKey::new("modified", true)],
            ] {
                let fast = g.list(&q, &order).unwrap_or_default();
                assert_eq!(
                    names(&fast),
                    names(&naive(&g, &q, &order)),
                    "{args} {order:?}"
                );
            }
            let counted = g.count(&q).unwrap_or_default();
            let mut all = q.clone();
            all.page_length = None;
            all.start = 0;
            assert_eq!(counted, naive(&g, &all, &[]).len(), "{args}");
        }
        let q = query(json!({"limit_page_length": 5}));
        let by_qty = g.list(
            &q,
            &[OrderKey::new("qty", true), OrderKey::new("name", false)],
        );
        assert_eq!(
            names(&by_qty.unwrap_or_default()),
            [
                "BENCH-00000099",
                "BENCH-00000199",
                "BENCH-00000299",
                "BENCH-00000399",
                "BENCH-00000499"
            ]
        );
    }

    #[test]
    fn huge_counts_stay_cheap() {
        let g = Generated::new("Bench Item", MAX_ROWS);
        let q = query(
            json!({"filters": r#"[["creation",">","2026-06-01"]]"#, "limit_start": 1000000, "limit_page_length": 3}),
        );
        let rows = g
            .list(&q, &[OrderKey::new("creation", false)])
            .unwrap_or_default();
        assert_eq!(rows.len(), 3);
        assert!(g.count(&q).unwrap_or_default() > 80_000_000);
        let err = g.list(&q, &[OrderKey::new("qty", false)]).err();
        assert!(err.is_some());
        assert!(
            g.list(&query(json!({"fields": r#"["nope"]"#})), &[])
                .is_err()
        );
    }
}
