//! One doctype's documents: [`Documents`] and the update builder [`DocPatch`].

use std::fmt;
use std::marker::PhantomData;

use bytes::Bytes;
use http::Method;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::list::ListQuery;
use super::methods::Reply;
use super::{check_doctype, check_name, resource_url};
use crate::client::{Body, Call};
use crate::{
    ApiVersion, Client, Doc, DocName, DocType, Error, Filter, FrappeDateTime, Result, Untyped,
};

/// The most documents `frappe.client.insert_many` accepts in one call.
pub const INSERT_MANY_LIMIT: usize = 200;

#[derive(Deserialize)]
pub(crate) struct Data<T> {
    pub(crate) data: T,
    #[serde(default)]
    pub(crate) has_next_page: Option<bool>,
}

/// The documents of one doctype. Created by [`Client::doctype`] (fields untyped) or
/// [`Client::docs`] (fields decoded into a [`DocType`] model).
///
/// `T` is the model documents decode into (`Doc<T>`); every method re-checks the doctype name
/// and refuses bad input with [`Error::InvalidInput`] before anything is sent.
pub struct Documents<T = Untyped> {
    client: Client,
    doctype: String,
    _model: PhantomData<fn() -> T>,
}

impl<T> Clone for Documents<T> {
    fn clone(&self) -> Self {
        Self {
            client: self.client.clone(),
            doctype: self.doctype.clone(),
            _model: PhantomData,
        }
    }
}

impl<T> fmt::Debug for Documents<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Documents")
            .field("doctype", &self.doctype)
            .field("model", &std::any::type_name::<T>())
            .finish()
    }
}

impl Client {
    /// The documents of `doctype`, with business fields left in [`Doc::extra`]; call
    /// [`Documents::typed`] to decode them into a model.
    pub fn doctype(&self, doctype: impl Into<String>) -> Documents<Untyped> {
        Documents {
            client: self.clone(),
            doctype: doctype.into(),
            _model: PhantomData,
        }
    }

    /// The documents of `T`'s doctype, decoded into `Doc<T>`.
    ///
    /// ```no_run
    /// # use frappe_client::{Client, DocType};
    /// #[derive(serde::Serialize, serde::Deserialize)]
    /// struct Technician { full_name: Option<String>, traccar_device_id: Option<i64> }
    /// impl DocType for Technician { const DOCTYPE: &'static str = "Technician"; }
    ///
    /// # async fn run(client: Client) -> frappe_client::Result<()> {
    /// let tech = client.docs::<Technician>().get("TECH-001").await?;
    /// println!("{:?} uses GPS device {:?}", tech.fields.full_name, tech.fields.traccar_device_id);
    /// # Ok(()) }
    /// ```
    pub fn docs<T: DocType>(&self) -> Documents<T> {
        Documents {
            client: self.clone(),
            doctype: T::DOCTYPE.to_owned(),
            _model: PhantomData,
        }
    }
}

/// Which document(s) a [`Documents::get_value`] call looks at.
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup {
    /// The document with this name.
    Name(String),
    /// The first document matching all these filters.
    Filters(Vec<Filter>),
}

impl From<&str> for Lookup {
    fn from(s: &str) -> Self {
        Lookup::Name(s.to_owned())
    }
}

impl From<String> for Lookup {
    fn from(s: String) -> Self {
        Lookup::Name(s)
    }
}

impl From<Vec<Filter>> for Lookup {
    fn from(f: Vec<Filter>) -> Self {
        Lookup::Filters(f)
    }
}

impl From<Filter> for Lookup {
    fn from(f: Filter) -> Self {
        Lookup::Filters(vec![f])
    }
}

impl<T> Documents<T> {
    /// The doctype's name.
    pub fn doctype_name(&self) -> &str {
        &self.doctype
    }

    /// The same doctype, decoded into another model.
    pub fn typed<U: DeserializeOwned>(self) -> Documents<U> {
        Documents {
            client: self.client,
            doctype: self.doctype,
            _model: PhantomData,
        }
    }

    fn call_json(
        &self,
        method: Method,
        name: Option<&str>,
        body: &impl Serialize,
        idempotent: bool,
    ) -> Result<Call> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| Error::InvalidInput(format!("document body: {e}")))?;
        Ok(Call {
            method,
            url: resource_url(&self.client, &self.doctype, name),
            body: Body::Json(Bytes::from(bytes)),
            idempotent,
        })
    }
}

fn object_of(value: &impl Serialize, what: &str) -> Result<Map<String, Value>> {
    match serde_json::to_value(value) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(Error::InvalidInput(format!(
            "{what} must serialise to a JSON object"
        ))),
        Err(e) => Err(Error::InvalidInput(format!("{what}: {e}"))),
    }
}

impl<T: DeserializeOwned> Documents<T> {
    /// Reads one document, child tables included.
    ///
    /// # Errors
    /// [`Error::Api`] with [`is_not_found`](Error::is_not_found) when it does not exist.
    pub async fn get(&self, name: impl AsRef<str>) -> Result<Doc<T>> {
        let name = name.as_ref();
        check_doctype(&self.doctype)?;
        check_name(name)?;
        let call = Call {
            method: Method::GET,
            url: resource_url(&self.client, &self.doctype, Some(name)),
            body: Body::Empty,
            idempotent: true,
        };
        let resp = self.client.execute(&call).await?;
        Ok(resp.json::<Data<Doc<T>>>()?.data)
    }

    /// Creates a document from any serialisable object (a model, a `json!` value). Child rows
    /// are arrays of objects under their table field. Returns the saved document, with the
    /// name the server chose.
    ///
    /// Not retried once the request may have reached the server (an insert is not idempotent).
    pub async fn insert(&self, doc: &impl Serialize) -> Result<Doc<T>> {
        check_doctype(&self.doctype)?;
        let body = object_of(doc, "the document")?;
        let call = self.call_json(Method::POST, None, &body, false)?;
        let resp = self.client.execute(&call).await?;
        Ok(resp.json::<Data<Doc<T>>>()?.data)
    }

    /// Changes the fields named in `patch` and nothing else; see [`DocPatch`] for child tables
    /// and optimistic locking.
    ///
    /// # Errors
    /// [`Error::Conflict`] when the patch carries a stale `modified`.
    pub async fn update(&self, name: impl AsRef<str>, patch: &DocPatch) -> Result<Doc<T>> {
        let name = name.as_ref();
        check_doctype(&self.doctype)?;
        check_name(name)?;
        let body = patch.to_body()?;
        let method = match self.client.api_version() {
            ApiVersion::V1 => Method::PUT,
            ApiVersion::V2 => Method::PATCH,
        };
        // Setting fields twice gives the same document, so the update may be retried; with a
        // `modified` guard a replay after a lost answer would fail as a conflict, so it is not.
        let call = self.call_json(method, Some(name), &body, patch.modified.is_none())?;
        let resp = self.client.execute(&call).await?;
        Ok(resp.json::<Data<Doc<T>>>()?.data)
    }

    /// Deletes a document (answered `202 {"data": "ok"}`).
    ///
    /// A delete is retried like any idempotent request; if an earlier attempt did delete the
    /// document but its answer was lost (a 504 from a proxy), the retry answers not-found.
    ///
    /// # Errors
    /// Not found when it does not exist; a validation error (`LinkExistsError`) when other
    /// documents link to it; submitted documents must be cancelled first.
    pub async fn delete(&self, name: impl AsRef<str>) -> Result<()> {
        let name = name.as_ref();
        check_doctype(&self.doctype)?;
        check_name(name)?;
        let call = Call {
            method: Method::DELETE,
            url: resource_url(&self.client, &self.doctype, Some(name)),
            body: Body::Empty,
            idempotent: true,
        };
        self.client.execute(&call).await.map(drop)
    }

    /// Submits a draft of a submittable doctype (docstatus 0 → 1). The current document is
    /// read first and sent whole to `frappe.client.submit`, which refuses stale copies.
    pub async fn submit(&self, name: impl AsRef<str>) -> Result<Doc<T>> {
        let fresh = self.typed_ref::<Value>().get(name.as_ref()).await?;
        let mut doc = object_of(&fresh, "the document")?;
        doc.insert("doctype".to_owned(), Value::String(self.doctype.clone()));
        let reply: Reply<Doc<T>> = self
            .client
            .method("frappe.client.submit")
            .arg("doc", doc)
            .post()
            .await?;
        Ok(reply.value)
    }

    /// Cancels a submitted document (docstatus 1 → 2) and returns it.
    pub async fn cancel(&self, name: impl AsRef<str>) -> Result<Doc<T>> {
        let name = name.as_ref();
        check_doctype(&self.doctype)?;
        check_name(name)?;
        let reply: Reply<Option<Doc<T>>> = self
            .client
            .method("frappe.client.cancel")
            .arg("doctype", &self.doctype)
            .arg("name", name)
            .post()
            .await?;
        match reply.value {
            Some(doc) => Ok(doc),
            // Older servers return nothing: read the cancelled document back.
            None => self.get(name).await,
        }
    }

    /// Renames a document (`frappe.client.rename_doc`); with `merge`, into an existing one.
    /// Returns the new name.
    pub async fn rename(&self, old_name: &str, new_name: &str, merge: bool) -> Result<DocName> {
        check_doctype(&self.doctype)?;
        check_name(old_name)?;
        check_name(new_name)?;
        let reply: Reply<DocName> = self
            .client
            .method("frappe.client.rename_doc")
            .arg("doctype", &self.doctype)
            .arg("old_name", old_name)
            .arg("new_name", new_name)
            .arg("merge", merge)
            .post()
            .await?;
        Ok(reply.value)
    }

    /// Reads some fields of one document (`frappe.client.get_value`), by name or by filters.
    /// `None` when no document matches.
    ///
    /// ```no_run
    /// # async fn run(client: frappe_client::Client) -> frappe_client::Result<()> {
    /// use frappe_client::Filter;
    /// #[derive(serde::Deserialize)]
    /// struct Owner { customer: String, service_location: String }
    /// let owner: Option<Owner> = client
    ///     .doctype("Service Equipment")
    ///     .get_value(Filter::eq("mac_address", "AA:BB:CC:DD:EE:FF"), &["customer", "service_location"])
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn get_value<V: DeserializeOwned>(
        &self,
        lookup: impl Into<Lookup>,
        fields: &[&str],
    ) -> Result<Option<V>> {
        check_doctype(&self.doctype)?;
        if fields.is_empty() {
            return Err(Error::InvalidInput(
                "get_value needs at least one field".to_owned(),
            ));
        }
        let call = self
            .client
            .method("frappe.client.get_value")
            .arg("doctype", &self.doctype)
            .arg("fieldname", fields)
            .arg("as_dict", 1);
        let call = match lookup.into() {
            Lookup::Name(name) => {
                check_name(&name)?;
                call.arg("filters", name)
            }
            Lookup::Filters(filters) => {
                check_filters(&filters)?;
                call.arg("filters", filters)
            }
        };
        let value: Value = call.get().await?.value;
        match value {
            Value::Null => Ok(None),
            Value::Object(ref m) if m.is_empty() => Ok(None),
            v => V::deserialize(v).map(Some).map_err(|source| Error::Decode {
                endpoint: "frappe.client.get_value".to_owned(),
                path: "message".to_owned(),
                write_applied: false,
                source,
            }),
        }
    }

    /// Sets fields of one document through `frappe.client.set_value` (a POST) and returns the
    /// saved document with any notices the server emitted. `values` is an object of fields.
    ///
    /// **Child rows**: on a child doctype (a row of a child table, such as `Dynamic Link`),
    /// Frappe saves through the parent and answers the **parent** document. Use
    /// [`set_child_value`](Self::set_child_value) there, which types the reply as the parent;
    /// this method refuses an answer for another doctype with [`Error::Decode`] whose
    /// `write_applied` is true (the row *was* changed), instead of decoding the parent as if it
    /// were the row.
    pub async fn set_value(
        &self,
        name: impl AsRef<str>,
        values: &impl Serialize,
    ) -> Result<Reply<Doc<T>>> {
        let reply: Reply<Value> = self.set_value_call(name.as_ref(), values).await?;
        let answered = reply
            .value
            .get("doctype")
            .and_then(Value::as_str)
            .map(str::to_owned);
        if let Some(other) = answered.filter(|dt| *dt != self.doctype) {
            return Err(Error::Decode {
                endpoint: "frappe.client.set_value".to_owned(),
                path: "message.doctype".to_owned(),
                write_applied: true,
                source: serde::de::Error::custom(format_args!(
                    "the server answered a {other} document (the parent of this {} row); \
                     use set_child_value for child rows",
                    self.doctype
                )),
            });
        }
        decode_value(reply, "frappe.client.set_value")
    }

    /// Sets fields of one **child row** through `frappe.client.set_value`: Frappe finds the
    /// row's parent, changes the row, saves the parent and answers the parent document, decoded
    /// here into `Doc<P>` (use [`Untyped`] when the parent's model does not matter).
    ///
    /// ```no_run
    /// # async fn run(client: frappe_client::Client) -> frappe_client::Result<()> {
    /// use frappe_client::Untyped;
    /// let contact = client
    ///     .doctype("Contact Phone")
    ///     .set_child_value::<Untyped>("a1b2c3d4e5", &serde_json::json!({"is_primary_mobile_no": 1}))
    ///     .await?
    ///     .value;
    /// println!("saved {} ({:?})", contact.name, contact.extra.get("doctype"));
    /// # Ok(()) }
    /// ```
    pub async fn set_child_value<P: DeserializeOwned>(
        &self,
        row_name: impl AsRef<str>,
        values: &impl Serialize,
    ) -> Result<Reply<Doc<P>>> {
        let reply: Reply<Value> = self.set_value_call(row_name.as_ref(), values).await?;
        decode_value(reply, "frappe.client.set_value")
    }

    async fn set_value_call(&self, name: &str, values: &impl Serialize) -> Result<Reply<Value>> {
        check_doctype(&self.doctype)?;
        check_name(name)?;
        let values = object_of(values, "values")?;
        if values.is_empty() {
            return Err(Error::InvalidInput(
                "set_value needs at least one field".to_owned(),
            ));
        }
        self.client
            .method("frappe.client.set_value")
            .arg("doctype", &self.doctype)
            .arg("name", name)
            .arg("fieldname", values)
            .post()
            .await
    }

    /// Counts the documents matching `filters` (the caller's permissions apply).
    pub async fn count(&self, filters: &[Filter]) -> Result<u64> {
        check_doctype(&self.doctype)?;
        check_filters(filters)?;
        Ok(self
            .client
            .method("frappe.client.get_count")
            .arg("doctype", &self.doctype)
            .arg("filters", filters)
            .get()
            .await?
            .value)
    }

    /// Inserts up to [`INSERT_MANY_LIMIT`] documents in one transaction
    /// (`frappe.client.insert_many`): all are saved or, when one fails, none. Returns the new
    /// names in order.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for more than 200 documents (split them yourself, knowing that
    /// each call is its own transaction) or a document that is not an object.
    pub async fn insert_many<D: Serialize>(&self, docs: &[D]) -> Result<Vec<DocName>> {
        check_doctype(&self.doctype)?;
        if docs.len() > INSERT_MANY_LIMIT {
            return Err(Error::InvalidInput(format!(
                "insert_many takes at most {INSERT_MANY_LIMIT} documents, got {}",
                docs.len()
            )));
        }
        if docs.is_empty() {
            return Ok(Vec::new());
        }
        let docs = docs
            .iter()
            .map(|d| {
                let mut m = object_of(d, "each document")?;
                m.insert("doctype".to_owned(), Value::String(self.doctype.clone()));
                Ok(Value::Object(m))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(self
            .client
            .method("frappe.client.insert_many")
            .arg("docs", docs)
            .post()
            .await?
            .value)
    }

    /// Starts a list query; see [`ListQuery`].
    pub fn list(&self) -> ListQuery<T> {
        ListQuery::new(self.client.clone(), self.doctype.clone())
    }

    fn typed_ref<U: DeserializeOwned>(&self) -> Documents<U> {
        self.clone().typed()
    }
}

/// Decodes the value of a write's reply: the write was committed, so a failure says so.
fn decode_value<R: DeserializeOwned>(reply: Reply<Value>, endpoint: &str) -> Result<Reply<R>> {
    let value = {
        let mut track = serde_path_to_error::Track::new();
        let de = serde_path_to_error::Deserializer::new(reply.value, &mut track);
        R::deserialize(de).map_err(|source| Error::Decode {
            endpoint: endpoint.to_owned(),
            path: format!("message.{}", track.path()),
            write_applied: true,
            source,
        })?
    };
    Ok(Reply {
        value,
        notices: reply.notices,
        docs: reply.docs,
    })
}

pub(crate) fn check_filters(filters: &[Filter]) -> Result<()> {
    filters
        .iter()
        .try_for_each(Filter::validate)
        .map_err(Error::InvalidInput)
}

/// The changes of a partial update: only the fields set here are sent.
///
/// Frappe replaces a child table **whole** when its field is sent: rows you leave out are
/// deleted, rows with a `name` are updated in place, rows without one are added. To make that
/// explicit, table fields can only be sent through [`replace_table`](Self::replace_table);
/// [`set`](Self::set) refuses a list of objects.
///
/// ```
/// use frappe_client::DocPatch;
/// let patch = DocPatch::new()
///     .set("status", "Scheduled")
///     .set("technician", "TECH-004")
///     .replace_table("tags", [serde_json::json!({"tag": "fibre-splicing"})]);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DocPatch {
    fields: Map<String, Value>,
    modified: Option<FrappeDateTime>,
    invalid: Option<String>,
}

/// A list that would replace a child table: rows (objects), or an empty list, which would
/// delete every row.
fn is_table(v: &Value) -> bool {
    matches!(v, Value::Array(rows) if rows.is_empty() || rows.iter().any(Value::is_object))
}

impl DocPatch {
    /// An empty patch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every non-null field of a serialisable struct or map (e.g. a patch struct with only the
    /// fields to change; `None` fields are left out, not cleared). Lists of objects and empty
    /// lists are refused as in [`set`](Self::set).
    pub fn from_fields(fields: &impl Serialize) -> Self {
        let mut patch = Self::new();
        match object_of(fields, "the patch") {
            Ok(map) => {
                for (k, v) in map {
                    // A `None` field means "leave it", not "clear it": to clear a field, call
                    // `set(field, serde_json::Value::Null)`.
                    if !v.is_null() {
                        patch = patch.set(k, v);
                    }
                }
            }
            Err(e) => patch.invalid = Some(e.to_string()),
        }
        patch
    }

    /// Sets one field. A list of objects, or an empty list, is refused: that would replace (or
    /// empty) a child table, which must be asked for with [`replace_table`](Self::replace_table).
    pub fn set(mut self, field: impl Into<String>, value: impl Serialize) -> Self {
        let field = field.into();
        match serde_json::to_value(value) {
            Ok(v) if is_table(&v) => {
                self.invalid = Some(format!(
                    "field {field:?} holds child rows; use replace_table to replace the whole table"
                ));
            }
            Ok(v) => {
                self.fields.insert(field, v);
            }
            Err(e) => self.invalid = Some(format!("field {field:?}: {e}")),
        }
        self
    }

    /// Replaces the child table `table_field` with `rows`: rows with a `name` are kept and
    /// updated, rows without one are added, every other existing row is deleted.
    pub fn replace_table<R: Serialize>(
        mut self,
        table_field: impl Into<String>,
        rows: impl IntoIterator<Item = R>,
    ) -> Self {
        let field = table_field.into();
        let rows: std::result::Result<Vec<Value>, _> =
            rows.into_iter().map(serde_json::to_value).collect();
        match rows {
            Ok(rows) if rows.iter().all(Value::is_object) => {
                self.fields.insert(field, Value::Array(rows));
            }
            Ok(_) => self.invalid = Some(format!("rows of table {field:?} must be objects")),
            Err(e) => self.invalid = Some(format!("rows of table {field:?}: {e}")),
        }
        self
    }

    /// Sends `modified`: the server refuses the update with [`Error::Conflict`] if the
    /// document was saved after that time (optimistic locking).
    pub fn if_unmodified_since(mut self, modified: FrappeDateTime) -> Self {
        self.modified = Some(modified);
        self
    }

    /// Whether the patch changes nothing.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    fn to_body(&self) -> Result<Map<String, Value>> {
        if let Some(msg) = &self.invalid {
            return Err(Error::InvalidInput(msg.clone()));
        }
        if self.fields.is_empty() {
            return Err(Error::InvalidInput("the patch changes no field".to_owned()));
        }
        for std_field in [
            "name",
            "owner",
            "creation",
            "modified",
            "modified_by",
            "doctype",
        ] {
            if self.fields.contains_key(std_field) {
                return Err(Error::InvalidInput(format!(
                    "{std_field:?} is a standard column and cannot be patched{}",
                    if std_field == "modified" {
                        "; use if_unmodified_since"
                    } else {
                        ""
                    }
                )));
            }
        }
        let mut body = self.fields.clone();
        if let Some(m) = self.modified {
            body.insert("modified".to_owned(), Value::String(m.to_string()));
        }
        Ok(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_of_rows_must_go_through_replace_table() {
        let err = DocPatch::new()
            .set("items", serde_json::json!([{"item_code": "X"}]))
            .to_body()
            .unwrap_err();
        assert!(err.to_string().contains("replace_table"), "{err}");
        let ok = DocPatch::new()
            .set("tags_csv", ["a", "b"])
            .replace_table("items", [serde_json::json!({"item_code": "X"})])
            .to_body()
            .unwrap();
        assert_eq!(ok["items"][0]["item_code"], "X");
    }

    #[test]
    fn empty_patches_and_standard_columns_are_refused() {
        assert!(DocPatch::new().to_body().is_err());
        assert!(DocPatch::new().set("modified", "x").to_body().is_err());
        assert!(DocPatch::from_fields(&42).to_body().is_err());
    }

    #[test]
    fn empty_lists_and_nulls_never_wipe_data_by_accident() {
        assert!(
            DocPatch::new()
                .set("items", Vec::<Value>::new())
                .to_body()
                .is_err()
        );
        let cleared = DocPatch::new().replace_table("items", Vec::<Value>::new());
        assert_eq!(cleared.to_body().unwrap()["items"], serde_json::json!([]));
        let body =
            DocPatch::from_fields(&serde_json::json!({"status": "Open", "technician": null}))
                .to_body()
                .unwrap();
        assert_eq!(body.len(), 1);
        assert_eq!(
            DocPatch::new()
                .set("technician", Value::Null)
                .to_body()
                .unwrap()["technician"],
            Value::Null
        );
    }
}
