//! List queries: one [`Page`] at a time, or every match as a `Stream`.

use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::marker::PhantomData;

use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt, stream};
use http::Method;
use serde::de::DeserializeOwned;

use super::documents::{Data, check_filters};
use super::{check_doctype, resource_url};
use crate::client::{Body, Call, MAX_PAGE_SIZE};
use crate::models::fields_for;
use crate::{ApiVersion, Client, Doc, Error, Filter, FrappeDateTime, Result};

/// One page of a list.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The rows, in the requested order.
    pub items: Vec<T>,
    /// The offset of the first row.
    pub start: u64,
    /// Whether more rows may follow: the server's `has_next_page` (v2 on Frappe 16), else
    /// whether the page came back full.
    pub has_next: bool,
}

/// A list query over one doctype, built with [`Documents::list`](crate::Documents::list).
///
/// The page size is always sent (Frappe's silent default is 20). Unless
/// [`fields`](Self::fields) is called, the requested fields are derived from the model `T`, so
/// what is asked for and what is decoded cannot drift; an untyped model asks for `*`.
///
/// [`stream`](Self::stream) pages through every match. Without an explicit
/// [`order_by`](Self::order_by) it pages by key (`creation`, then `name`), which neither skips
/// nor repeats rows when documents are inserted or changed during the scan (offset paging over
/// `modified desc` does both). With an explicit order it pages by offset, adding `name` as a
/// tie-breaker.
pub struct ListQuery<T> {
    client: Client,
    doctype: String,
    filters: Vec<Filter>,
    or_filters: Vec<Filter>,
    fields: Option<Vec<String>>,
    order_by: Option<String>,
    page_size: u32,
    start: u64,
    limit: Option<u64>,
    parent: Option<String>,
    _model: PhantomData<fn() -> T>,
}

impl<T> fmt::Debug for ListQuery<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ListQuery")
            .field("doctype", &self.doctype)
            .field("filters", &self.filters)
            .field("or_filters", &self.or_filters)
            .field("fields", &self.fields)
            .field("order_by", &self.order_by)
            .field("page_size", &self.page_size)
            .field("start", &self.start)
            .field("limit", &self.limit)
            .field("parent", &self.parent)
            .finish()
    }
}

impl<T> Clone for ListQuery<T> {
    fn clone(&self) -> Self {
        Self {
            client: self.client.clone(),
            doctype: self.doctype.clone(),
            filters: self.filters.clone(),
            or_filters: self.or_filters.clone(),
            fields: self.fields.clone(),
            order_by: self.order_by.clone(),
            page_size: self.page_size,
            start: self.start,
            limit: self.limit,
            parent: self.parent.clone(),
            _model: PhantomData,
        }
    }
}

fn valid_order_by(s: &str) -> bool {
    !s.trim().is_empty() && s.split(',').all(valid_order_term)
}

/// `field`, `` `tabChild Doctype`.field ``, optionally followed by `asc` or `desc`.
fn valid_order_term(term: &str) -> bool {
    let term = term.trim();
    let field = match term.rsplit_once(char::is_whitespace) {
        Some((f, dir)) if dir.eq_ignore_ascii_case("asc") || dir.eq_ignore_ascii_case("desc") => {
            f.trim_end()
        }
        _ => term,
    };
    let mut quoted = false;
    !field.is_empty()
        && field.chars().all(|c| match c {
            '`' => {
                quoted = !quoted;
                true
            }
            ' ' => quoted,
            c => c.is_alphanumeric() || matches!(c, '_' | '.'),
        })
        && !quoted
}

impl<T: DeserializeOwned> ListQuery<T> {
    pub(crate) fn new(client: Client, doctype: String) -> Self {
        let page_size = client.page_size();
        Self {
            client,
            doctype,
            filters: Vec::new(),
            or_filters: Vec::new(),
            fields: None,
            order_by: None,
            page_size,
            start: 0,
            limit: None,
            parent: None,
            _model: PhantomData,
        }
    }

    /// Adds a condition; all conditions must hold.
    pub fn filter(mut self, filter: Filter) -> Self {
        self.filters.push(filter);
        self
    }

    /// Adds several conditions; all must hold.
    pub fn filters(mut self, filters: impl IntoIterator<Item = Filter>) -> Self {
        self.filters.extend(filters);
        self
    }

    /// Adds an alternative: at least one `or_filter` must hold (and every `filter`).
    pub fn or_filter(mut self, filter: Filter) -> Self {
        self.or_filters.push(filter);
        self
    }

    /// Requests exactly these fields instead of those derived from the model (`["*"]` for all
    /// columns; child tables are never included in lists).
    pub fn fields<S: Into<String>>(mut self, fields: impl IntoIterator<Item = S>) -> Self {
        self.fields = Some(fields.into_iter().map(Into::into).collect());
        self
    }

    /// Sorts by `order` (`"scheduled_start asc, name asc"`).
    pub fn order_by(mut self, order: impl Into<String>) -> Self {
        self.order_by = Some(order.into());
        self
    }

    /// Rows per request (1 to [`MAX_PAGE_SIZE`]); defaults to the client's page size.
    pub fn page_size(mut self, n: u32) -> Self {
        self.page_size = n;
        self
    }

    /// Skips the first `n` rows ([`page`](Self::page) and offset streams).
    pub fn start(mut self, n: u64) -> Self {
        self.start = n;
        self
    }

    /// Stops a stream after `n` rows in all.
    pub fn limit(mut self, n: u64) -> Self {
        self.limit = Some(n);
        self
    }

    /// Lists a child doctype ("Sales Invoice Item") directly: Frappe needs the parent doctype
    /// to check permissions.
    pub fn parent(mut self, parent_doctype: impl Into<String>) -> Self {
        self.parent = Some(parent_doctype.into());
        self
    }

    fn check(&self) -> Result<()> {
        check_doctype(&self.doctype)?;
        check_filters(&self.filters)?;
        check_filters(&self.or_filters)?;
        if self.page_size == 0 || self.page_size > MAX_PAGE_SIZE {
            return Err(Error::InvalidInput(format!(
                "page size must be between 1 and {MAX_PAGE_SIZE}, got {}",
                self.page_size
            )));
        }
        if let Some(order) = &self.order_by
            && !valid_order_by(order)
        {
            return Err(Error::InvalidInput(format!(
                "order_by {order:?} must be `field [asc|desc]` terms separated by commas"
            )));
        }
        if let Some(fields) = &self.fields
            && (fields.is_empty() || fields.iter().any(|f| f.trim().is_empty()))
        {
            return Err(Error::InvalidInput(
                "fields must be non-empty names".to_owned(),
            ));
        }
        Ok(())
    }

    fn requested_fields(&self, need_keys: bool) -> Vec<String> {
        let mut fields = self
            .fields
            .clone()
            .or_else(fields_for::<T>)
            .unwrap_or_else(|| vec!["*".to_owned()]);
        if need_keys && !fields.iter().any(|f| f == "*") {
            for key in ["name", "creation"] {
                if !fields.iter().any(|f| f == key) {
                    fields.push(key.to_owned());
                }
            }
        }
        fields
    }

    fn call(
        &self,
        fields: &[String],
        filters: &[Filter],
        order: &str,
        start: u64,
        size: u64,
    ) -> Result<Call> {
        // v2 lists have no `or_filters`; such queries use the v1 route, present on every server.
        let v2 = self.client.api_version() == ApiVersion::V2 && self.or_filters.is_empty();
        let mut url = if v2 {
            resource_url(&self.client, &self.doctype, None)
        } else {
            self.client.url(&["api", "resource", &self.doctype])
        };
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("fields", &to_json(fields)?);
            if !filters.is_empty() {
                q.append_pair("filters", &to_json(filters)?);
            }
            if !self.or_filters.is_empty() {
                q.append_pair("or_filters", &to_json(&self.or_filters)?);
            }
            q.append_pair("order_by", order);
            if let Some(parent) = &self.parent {
                q.append_pair("parent", parent);
            }
            let (start, size) = (start.to_string(), size.to_string());
            // Both spellings: v1 and Frappe 15's v2 read limit_start/limit_page_length,
            // Frappe 16's v2 reads start/limit; each ignores the other's.
            q.append_pair("limit_start", &start);
            q.append_pair("limit_page_length", &size);
            if v2 {
                q.append_pair("start", &start);
                q.append_pair("limit", &size);
            }
        }
        Ok(Call {
            method: Method::GET,
            url,
            body: Body::Empty,
            idempotent: true,
        })
    }

    async fn fetch(&self, call: &Call) -> Result<(Vec<Doc<T>>, Option<bool>)> {
        let resp = self.client.execute(call).await?;
        let data: Data<Vec<Doc<T>>> = resp.json()?;
        Ok((data.data, data.has_next_page))
    }

    fn order_or_default(&self) -> String {
        match &self.order_by {
            Some(o)
                if o.split(',')
                    .any(|t| t.split_whitespace().next() == Some("name")) =>
            {
                o.clone()
            }
            Some(o) => format!("{o}, name asc"),
            None => "creation asc, name asc".to_owned(),
        }
    }

    /// Fetches one page: `page_size` rows from [`start`](Self::start), in the requested order
    /// (default `creation asc, name asc`).
    ///
    /// ```no_run
    /// # async fn run(client: frappe_client::Client) -> frappe_client::Result<()> {
    /// use frappe_client::Filter;
    /// let page = client
    ///     .doctype("Dispatch Job")
    ///     .list()
    ///     .filter(Filter::eq("status", "Open"))
    ///     .fields(["name", "customer", "scheduled_start"])
    ///     .order_by("scheduled_start asc")
    ///     .page_size(50)
    ///     .page()
    ///     .await?;
    /// println!("{} open jobs on this page, more: {}", page.items.len(), page.has_next);
    /// # Ok(()) }
    /// ```
    pub async fn page(&self) -> Result<Page<Doc<T>>> {
        self.check()?;
        let size = u64::from(self.page_size);
        let call = self.call(
            &self.requested_fields(false),
            &self.filters,
            &self.order_or_default(),
            self.start,
            size,
        )?;
        let (items, has_next) = self.fetch(&call).await?;
        let has_next = has_next.unwrap_or(items.len() as u64 >= size);
        Ok(Page {
            items,
            start: self.start,
            has_next,
        })
    }

    /// Every matching document, fetched page by page as the stream is polled (memory stays at
    /// one page). The stream ends after the first error.
    ///
    /// ```no_run
    /// # async fn run(client: frappe_client::Client) -> frappe_client::Result<()> {
    /// use futures::TryStreamExt;
    /// let mut jobs = client.doctype("Dispatch Job").list().page_size(500).stream();
    /// while let Some(job) = jobs.try_next().await? {
    ///     println!("{}", job.name);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn stream(self) -> BoxStream<'static, Result<Doc<T>>>
    where
        T: Send + 'static,
    {
        let state = Scan::new(self);
        stream::try_unfold(state, |mut s| async move {
            let page = s.next_page().await?;
            Ok::<_, Error>(page.map(|p| (p, s)))
        })
        .map_ok(|page: VecDeque<Doc<T>>| stream::iter(page.into_iter().map(Ok)))
        .try_flatten()
        .boxed()
    }

    /// Every matching document, collected. Prefer [`stream`](Self::stream) for large doctypes.
    pub async fn all(self) -> Result<Vec<Doc<T>>>
    where
        T: Send + 'static,
    {
        self.stream().try_collect().await
    }
}

/// Where a keyset scan goes next.
enum Keyset {
    /// The first page: no bound on `creation`.
    First,
    /// `creation >= at`, ordered by `creation, name`, dropping `seen`: the rows the previous
    /// page ended with that have exactly this `creation` (names compared as names, so the
    /// server's collation does not matter).
    From {
        at: FrappeDateTime,
        seen: HashSet<String>,
    },
    /// More rows share `at` than re-fetching them would be worth: `creation = at and name >
    /// after`, ordered by `name` (the server compares and orders names with one collation).
    Ties { at: FrappeDateTime, after: String },
    /// Past those ties: `creation > at`.
    After { at: FrappeDateTime },
}

/// The state of a full scan.
struct Scan<T> {
    query: ListQuery<T>,
    fields: Vec<String>,
    order: String,
    /// `None` pages by offset (an explicit `order_by`).
    keyset: Option<Keyset>,
    next_start: u64,
    emitted: u64,
    done: bool,
    checked: bool,
}

/// How many already-returned rows a keyset page may fetch again before the scan switches to
/// paging through the tie by name (bounded by the page size too).
const MAX_REFETCHED_TIES: usize = 100;

impl<T: DeserializeOwned> Scan<T> {
    fn new(query: ListQuery<T>) -> Self {
        let keyset = query.order_by.is_none();
        Self {
            fields: query.requested_fields(keyset),
            order: query.order_or_default(),
            keyset: keyset.then_some(Keyset::First),
            next_start: query.start,
            emitted: 0,
            done: false,
            checked: false,
            query,
        }
    }

    async fn next_page(&mut self) -> Result<Option<VecDeque<Doc<T>>>> {
        if !self.checked {
            self.query.check()?;
            self.checked = true;
        }
        loop {
            if self.done {
                return Ok(None);
            }
            let mut want = u64::from(self.query.page_size);
            if let Some(limit) = self.query.limit {
                want = want.min(limit.saturating_sub(self.emitted));
                if want == 0 {
                    return Ok(None);
                }
            }
            let mut filters = self.query.filters.clone();
            let mut order = self.order.as_str();
            let (start, size) = match &self.keyset {
                None => (self.next_start, want),
                Some(Keyset::First) => (self.query.start, want),
                Some(Keyset::From { at, seen }) => {
                    filters.push(Filter::gte("creation", at.to_string()));
                    (0, want + seen.len() as u64)
                }
                Some(Keyset::Ties { at, after }) => {
                    filters.push(Filter::eq("creation", at.to_string()));
                    filters.push(Filter::gt("name", after));
                    order = "name asc";
                    (0, want)
                }
                Some(Keyset::After { at }) => {
                    filters.push(Filter::gt("creation", at.to_string()));
                    (0, want)
                }
            };
            let call = self
                .query
                .call(&self.fields, &filters, order, start, size)?;
            let (rows, has_next) = self.query.fetch(&call).await?;
            let full = rows.len() as u64 >= size && has_next != Some(false);
            let mut page: VecDeque<Doc<T>> = match self.keyset.take() {
                None => {
                    self.next_start += rows.len() as u64;
                    self.done = !full;
                    rows.into()
                }
                Some(state) => self.advance_keyset(state, rows, full)?,
            };
            if let Some(limit) = self.query.limit {
                page.truncate(limit.saturating_sub(self.emitted) as usize);
            }
            self.emitted += page.len() as u64;
            if !page.is_empty() {
                return Ok(Some(page));
            }
            // An empty page ends the scan, except at the end of a tie, where the rows after
            // it come next.
        }
    }

    fn advance_keyset(
        &mut self,
        state: Keyset,
        rows: Vec<Doc<T>>,
        full: bool,
    ) -> Result<VecDeque<Doc<T>>> {
        if let Some(pos) = rows.iter().position(|d| d.creation.is_none()) {
            return Err(Error::Decode {
                endpoint: format!("list of {}", self.query.doctype),
                path: format!("data[{pos}].creation"),
                write_applied: false,
                source: serde::de::Error::custom("a row has no `creation`, needed to page"),
            });
        }
        let mut page: VecDeque<Doc<T>> = rows.into();
        let (prev_at, mut seen) = match state {
            Keyset::Ties { at, .. } => {
                // Every row has creation == at and a name past the last one.
                self.keyset = Some(match page.back() {
                    Some(last) if full => Keyset::Ties {
                        at,
                        after: last.name.as_str().to_owned(),
                    },
                    _ => Keyset::After { at },
                });
                return Ok(page);
            }
            Keyset::From { at, seen } => {
                page.retain(|d| d.creation != Some(at) || !seen.contains(d.name.as_str()));
                (Some(at), seen)
            }
            Keyset::First | Keyset::After { .. } => (None, HashSet::new()),
        };
        self.done = !full;
        // Every row has a `creation` (checked above). A full page of rows already returned
        // cannot happen (it holds at least one new row); an empty one is the end.
        let Some((last, at)) = page.back().and_then(|d| Some((d, d.creation?))) else {
            self.done = true;
            return Ok(page);
        };
        if prev_at != Some(at) {
            seen.clear();
        }
        for d in page.iter().rev().take_while(|d| d.creation == Some(at)) {
            seen.insert(d.name.as_str().to_owned());
        }
        let limit = MAX_REFETCHED_TIES.min(self.query.page_size as usize);
        self.keyset = Some(if seen.len() > limit {
            Keyset::Ties {
                at,
                after: last.name.as_str().to_owned(),
            }
        } else {
            Keyset::From { at, seen }
        });
        Ok(page)
    }
}

fn to_json<S: serde::Serialize + ?Sized>(v: &S) -> Result<String> {
    serde_json::to_string(v).map_err(|e| Error::InvalidInput(format!("query parameter: {e}")))
}

#[cfg(test)]
mod tests {
    use super::valid_order_by;

    #[test]
    fn order_by_accepts_terms_and_refuses_sql() {
        assert!(valid_order_by("creation asc, name asc"));
        assert!(valid_order_by("`tabSales Invoice Item`.qty desc, name"));
        assert!(valid_order_by("modified"));
        assert!(!valid_order_by("name; drop table x"));
        assert!(!valid_order_by("(select 1)"));
        assert!(!valid_order_by("name asc extra"));
        assert!(!valid_order_by("`unclosed name asc"));
        assert!(!valid_order_by(""));
    }
}
