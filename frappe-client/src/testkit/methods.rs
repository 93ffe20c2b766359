//! `/api/method/{dotted.path}`: the built-in whitelisted methods (`frappe.client.*`, login,
//! version, ...), custom methods registered on the builder, and `upload_file`.

use bytes::Bytes;
use http::Method;
use serde_json::{Map, Value, json};

use super::filters::{
    ListQuery, Paging, arg_bool, arg_json, arg_string, parse_fields, parse_filters,
};
use super::response::{Api, ApiError, Msg, random_hex};
use super::store::{Doc, Origin, ROW_META, Saved, StoredFile, name_of, query_error};
use super::{Shared, lock};
use md5::Digest as _;

/// Who calls, how.
pub(super) struct Ctx<'a> {
    pub(super) shared: &'a Shared,
    /// `None` = Guest.
    pub(super) user: Option<String>,
    pub(super) method: Method,
    pub(super) api: Api,
    /// The request's `sid` cookie (for logout).
    pub(super) sid: Option<String>,
}

/// What a method answers: `message` (v1) / `data` (v2), notices, cookies, extra top-level keys.
#[derive(Debug, Default)]
pub(super) struct Outcome {
    /// `None` = the Python function returned `None` (no `message` key).
    pub(super) value: Option<Value>,
    pub(super) notices: Vec<Msg>,
    pub(super) cookies: Vec<String>,
    pub(super) extra: Map<String, Value>,
}

impl Outcome {
    fn value(v: Value) -> Self {
        Self {
            value: Some(v),
            ..Self::default()
        }
    }

    fn saved(saved: Saved) -> Self {
        Self {
            value: Some(Value::Object(saved.doc)),
            notices: saved.notices,
            ..Self::default()
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Verbs {
    Any,
    PostPut,
    PostDelete,
}

/// `(guest allowed, verbs)` of a built-in method.
fn builtin(name: &str) -> Option<(bool, Verbs)> {
    Some(match name {
        // `version` is gone: Frappe 15 removed `frappe.handler.version` (PR #21786), so
        // `/api/method/version` falls through to "Failed to get method for command version".
        "ping"
        | "frappe.ping"
        | "frappe.handler.ping"
        | "login"
        | "logout"
        | "frappe.handler.logout" => (true, Verbs::Any),
        // `@frappe.whitelist()` without `allow_guest` in frappe/auth.py: a Guest (an expired
        // session included) is refused with 403, it never hears "Guest".
        "frappe.auth.get_logged_user"
        | "frappe.realtime.get_user_info"
        | "frappe.utils.change_log.get_versions"
        | "frappe.client.get_list"
        | "frappe.client.get_count"
        | "frappe.client.get"
        | "frappe.client.get_value"
        | "frappe.client.get_password" => (false, Verbs::Any),
        "frappe.client.set_value"
        | "frappe.client.insert"
        | "frappe.client.insert_many"
        | "frappe.client.save"
        | "frappe.client.rename_doc"
        | "frappe.client.submit"
        | "frappe.client.cancel" => (false, Verbs::PostPut),
        "frappe.client.delete" => (false, Verbs::PostDelete),
        _ => return None,
    })
}

fn not_whitelisted(name: &str) -> ApiError {
    ApiError {
        messages: vec![Msg {
            title: Some("Method Not Allowed".to_owned()),
            ..Msg::raised(format!(
                "<details><summary>You are not permitted to access this resource.</summary>Function <strong>{name}</strong> is not whitelisted.</details>"
            ))
        }],
        ..ApiError::permission("")
    }
}

fn unknown_method(name: &str) -> ApiError {
    let reason = match name.rsplit_once('.') {
        Some((module, attr)) if module == "frappe" || module.starts_with("frappe.") => {
            format!("module '{module}' has no attribute '{attr}'")
        }
        Some((module, _)) => format!("No module named '{module}'"),
        None => format!("'{name}'"),
    };
    ApiError::validation(format!(
        "Failed to get method for command {name} with {reason}"
    ))
}

fn required(args: &Map<String, Value>, key: &str) -> Result<String, ApiError> {
    arg_string(args.get(key)).ok_or_else(|| {
        ApiError::throw(
            417,
            "FrappeTypeError",
            format!("Missing required argument '{key}'"),
        )
    })
}

/// A JSON argument that must be an object (`doc`).
fn json_object(args: &Map<String, Value>, key: &str) -> Result<Doc, ApiError> {
    match arg_json(args.get(key)).map_err(query_error)? {
        Some(Value::Object(m)) => Ok(m),
        Some(_) => Err(ApiError::validation(format!("{key} must be a JSON object"))),
        None => Err(ApiError::throw(
            417,
            "FrappeTypeError",
            format!("Missing required argument '{key}'"),
        )),
    }
}

/// Runs a method.
pub(super) fn call(
    ctx: &Ctx<'_>,
    name: &str,
    args: Map<String, Value>,
) -> Result<Outcome, ApiError> {
    if let Some(handler) = ctx.shared.config.methods.get(name) {
        if ctx.user.is_none() {
            return Err(not_whitelisted(name));
        }
        return match handler(Value::Object(args)) {
            Ok(Value::Null) => Ok(Outcome::default()),
            Ok(v) => Ok(Outcome::value(v)),
            Err(e) => Err(ApiError::throw(e.status, &e.exc_type, e.message)),
        };
    }
    let Some((guest, verbs)) = builtin(name) else {
        return Err(unknown_method(name));
    };
    if ctx.user.is_none() && !guest {
        return Err(not_whitelisted(name));
    }
    let verb_ok = match verbs {
        Verbs::Any => true,
        Verbs::PostPut => matches!(ctx.method, Method::POST | Method::PUT),
        Verbs::PostDelete => matches!(ctx.method, Method::POST | Method::DELETE),
    };
    if !verb_ok {
        return Err(ApiError::permission("Not permitted"));
    }
    let user = ctx.user.as_deref().unwrap_or("Guest");
    let shared = ctx.shared;
    let version = shared.config.version;
    match name {
        "ping" | "frappe.ping" | "frappe.handler.ping" => Ok(Outcome::value(json!("pong"))),
        "login" => login(ctx, &args),
        "logout" | "frappe.handler.logout" => Ok(logout(ctx)),
        "frappe.auth.get_logged_user" => Ok(Outcome::value(json!(user))),
        "frappe.realtime.get_user_info" => {
            let user_type = if shared.is_website_user() {
                "Website User"
            } else {
                "System User"
            };
            Ok(Outcome::value(
                json!({ "user": user, "user_type": user_type }),
            ))
        }
        "frappe.utils.change_log.get_versions" => Ok(Outcome::value(json!({
            "frappe": {
                "title": "Frappe Framework",
                "description": "Full stack web framework with Python, Javascript, MariaDB, Redis, Node",
                "branch": version.branch(),
                "version": version.frappe_version(),
            },
            "erpnext": {
                "title": "ERPNext",
                "description": "ERP made simple",
                "branch": version.branch(),
                "version": version.erpnext_version(),
            },
        }))),
        "frappe.client.get_list" => {
            let doctype = required(&args, "doctype")?;
            let q = ListQuery::from_args(&doctype, &args, Paging::V1 { limit_alias: false })
                .map_err(query_error)?;
            let parent = arg_string(args.get("parent"));
            let rows = lock(&shared.store).list(&doctype, &q, parent.as_deref())?;
            Ok(Outcome::value(Value::Array(rows)))
        }
        "frappe.client.get_count" => {
            let doctype = required(&args, "doctype")?;
            let mut filter_args = Map::new();
            if let Some(f) = args.get("filters") {
                filter_args.insert("filters".to_owned(), f.clone());
            }
            let q = ListQuery::from_args(&doctype, &filter_args, Paging::V1 { limit_alias: false })
                .map_err(query_error)?;
            let n = lock(&shared.store).count(&doctype, &q)?;
            Ok(Outcome::value(json!(n)))
        }
        "frappe.client.get" => get(ctx, &args),
        "frappe.client.get_value" => get_value(ctx, &args),
        "frappe.client.get_password" => {
            let doctype = required(&args, "doctype")?;
            let docname = required(&args, "name")?;
            let field = required(&args, "fieldname")?;
            let store = lock(&shared.store);
            store.get_doc(&doctype, &docname)?;
            store
                .password(&doctype, &docname, &field)
                .map(|p| Outcome::value(json!(p)))
                .ok_or_else(|| {
                    ApiError::validation(format!(
                        "Password not found for {doctype} {docname} {field}"
                    ))
                })
        }
        "frappe.client.set_value" => set_value(ctx, &args),
        "frappe.client.insert" => {
            let doc = json_object(&args, "doc")?;
            let doctype = doc
                .get("doctype")
                .and_then(name_of)
                .ok_or_else(|| ApiError::validation("doc must have a doctype"))?;
            let saved = lock(&shared.store).insert(&doctype, doc, Origin::V1, user)?;
            Ok(Outcome::saved(saved))
        }
        "frappe.client.insert_many" => {
            let docs = match arg_json(args.get("docs")).map_err(query_error)? {
                Some(Value::Array(d)) => d,
                Some(_) => return Err(ApiError::validation("docs must be a JSON list")),
                None => {
                    return Err(ApiError::throw(
                        417,
                        "FrappeTypeError",
                        "Missing required argument 'docs'",
                    ));
                }
            };
            if docs.len() > 200 {
                return Err(ApiError::validation(
                    "Only 200 inserts allowed in one request",
                ));
            }
            let names = lock(&shared.store).transaction(|store| {
                let mut names = Vec::with_capacity(docs.len());
                for doc in docs {
                    let Value::Object(doc) = doc else {
                        return Err(ApiError::validation("Each doc must be a JSON object"));
                    };
                    let doctype = doc
                        .get("doctype")
                        .and_then(name_of)
                        .ok_or_else(|| ApiError::validation("Each doc must have a doctype"))?;
                    let saved = store.insert(&doctype, doc, Origin::V1, user)?;
                    names.push(saved.doc.get("name").cloned().unwrap_or(Value::Null));
                }
                Ok(names)
            })?;
            Ok(Outcome::value(Value::Array(names)))
        }
        "frappe.client.save" => {
            let doc = json_object(&args, "doc")?;
            save_or_submit(ctx, doc, false)
        }
        "frappe.client.submit" => {
            let doc = json_object(&args, "doc")?;
            save_or_submit(ctx, doc, true)
        }
        "frappe.client.cancel" => {
            let doctype = required(&args, "doctype")?;
            let docname = required(&args, "name")?;
            let saved = lock(&shared.store).cancel(&doctype, &docname, user)?;
            Ok(Outcome::saved(saved))
        }
        "frappe.client.rename_doc" => {
            let doctype = required(&args, "doctype")?;
            let old = required(&args, "old_name")?;
            let new = required(&args, "new_name")?;
            let merge = arg_bool(args.get("merge"), "merge")
                .map_err(query_error)?
                .unwrap_or(false);
            let new_name = lock(&shared.store).rename(&doctype, &old, &new, merge, user)?;
            Ok(Outcome::value(json!(new_name)))
        }
        "frappe.client.delete" => {
            let doctype = required(&args, "doctype")?;
            let docname = required(&args, "name")?;
            lock(&shared.store).delete(&doctype, &docname)?;
            Ok(Outcome::default())
        }
        _ => Err(unknown_method(name)),
    }
}

fn url_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

fn login(ctx: &Ctx<'_>, args: &Map<String, Value>) -> Result<Outcome, ApiError> {
    if ctx.api == Api::V2 {
        // LoginManager only treats /api/method/login as a login: v2 answers without a session.
        return Ok(Outcome::default());
    }
    let fail = |message: &str| ApiError {
        status: 401,
        exc_type: "AuthenticationError".to_owned(),
        messages: Vec::new(),
        exception: Some(message.to_owned()),
        top_message: Some(message.to_owned()),
        traceback: None,
    };
    let config = &ctx.shared.config;
    let (Some(usr), Some(pwd)) = (arg_string(args.get("usr")), arg_string(args.get("pwd"))) else {
        return Err(fail("Incomplete login details"));
    };
    if !usr.eq_ignore_ascii_case(&config.username) || pwd != config.password {
        return Err(fail("Invalid login credentials"));
    }
    let sid = random_hex(56);
    lock(&ctx.shared.sessions).insert(sid.clone(), config.username.clone());
    let full_name = ctx.shared.full_name();
    let website = ctx.shared.is_website_user();
    let mut outcome = Outcome::value(json!(if website { "No App" } else { "Logged In" }));
    outcome.extra.insert(
        "home_page".to_owned(),
        json!(if website { "/me" } else { "/app" }),
    );
    outcome
        .extra
        .insert("full_name".to_owned(), json!(full_name));
    outcome.cookies = vec![
        format!("sid={sid}; Path=/; HttpOnly"),
        format!("system_user={}; Path=/", if website { "no" } else { "yes" }),
        format!("full_name={}; Path=/", url_encode(&full_name)),
        format!("user_id={}; Path=/", url_encode(&config.username)),
        "user_image=; Path=/".to_owned(),
    ];
    Ok(outcome)
}

fn logout(ctx: &Ctx<'_>) -> Outcome {
    if let Some(sid) = &ctx.sid {
        lock(&ctx.shared.sessions).remove(sid);
    }
    let expired = "Expires=Thu, 01 Jan 1970 00:00:00 GMT";
    Outcome {
        cookies: vec![
            format!("sid=Guest; Path=/; HttpOnly; {expired}"),
            format!("system_user=; Path=/; {expired}"),
            format!("full_name=; Path=/; {expired}"),
            format!("user_id=; Path=/; {expired}"),
            format!("user_image=; Path=/; {expired}"),
        ],
        ..Outcome::default()
    }
}

/// `filters` of `get` / `get_value`: a name string, or a JSON dict / list.
fn name_or_filters(
    doctype: &str,
    v: Option<&Value>,
) -> Result<Vec<super::filters::Condition>, ApiError> {
    let parsed = match v {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
            Ok(j @ (Value::Object(_) | Value::Array(_))) => j,
            Ok(Value::Number(n)) => json!({ "name": n.to_string() }),
            _ if s.is_empty() => return Ok(Vec::new()),
            _ => json!({ "name": s }),
        },
        Some(Value::Number(n)) => json!({ "name": n.to_string() }),
        Some(other) => other.clone(),
    };
    parse_filters(doctype, &parsed, "filters").map_err(query_error)
}

fn get(ctx: &Ctx<'_>, args: &Map<String, Value>) -> Result<Outcome, ApiError> {
    let doctype = required(args, "doctype")?;
    let store = lock(&ctx.shared.store);
    if let Some(name) = arg_string(args.get("name")) {
        return Ok(Outcome::value(Value::Object(
            store.get_doc(&doctype, &name)?,
        )));
    }
    let q = ListQuery {
        filters: name_or_filters(&doctype, args.get("filters"))?,
        page_length: Some(1),
        ..ListQuery::default()
    };
    let rows = store.list(&doctype, &q, arg_string(args.get("parent")).as_deref())?;
    let name = rows
        .first()
        .and_then(|r| r.get("name"))
        .and_then(name_of)
        .ok_or_else(|| ApiError::not_found(format!("{doctype} not found")))?;
    Ok(Outcome::value(Value::Object(
        store.get_doc(&doctype, &name)?,
    )))
}

fn get_value(ctx: &Ctx<'_>, args: &Map<String, Value>) -> Result<Outcome, ApiError> {
    let doctype = required(args, "doctype")?;
    let fieldname = args
        .get("fieldname")
        .cloned()
        .unwrap_or_else(|| json!("name"));
    let fields = match &fieldname {
        Value::String(s) => match serde_json::from_str::<Value>(s) {
            Ok(Value::Array(a)) => Value::Array(a),
            Ok(Value::String(f)) => json!([f]),
            _ => json!([s]),
        },
        Value::Array(_) => fieldname.clone(),
        other => json!([other.to_string()]),
    };
    let field_count = fields.as_array().map_or(1, Vec::len);
    let as_dict = arg_bool(args.get("as_dict"), "as_dict")
        .map_err(query_error)?
        .unwrap_or(true);
    let q = ListQuery {
        fields: parse_fields(&doctype, Some(&fields)).map_err(query_error)?,
        filters: name_or_filters(&doctype, args.get("filters"))?,
        page_length: Some(1),
        as_dict,
        ..ListQuery::default()
    };
    let rows =
        lock(&ctx.shared.store).list(&doctype, &q, arg_string(args.get("parent")).as_deref())?;
    let first = rows.into_iter().next();
    Ok(match (first, as_dict) {
        (Some(row), true) => Outcome::value(row),
        (None, true) => Outcome::value(json!({})),
        (None, false) => Outcome::default(),
        (Some(Value::Array(mut values)), false) if field_count == 1 => {
            Outcome::value(if values.is_empty() {
                Value::Null
            } else {
                values.swap_remove(0)
            })
        }
        (Some(row), false) => Outcome::value(row),
    })
}

fn set_value(ctx: &Ctx<'_>, args: &Map<String, Value>) -> Result<Outcome, ApiError> {
    let doctype = required(args, "doctype")?;
    let docname = required(args, "name")?;
    let user = ctx.user.as_deref().unwrap_or("Guest");
    let values: Doc = match args.get("fieldname") {
        Some(Value::Object(m)) => m.clone(),
        Some(Value::String(s)) if s.trim_start().starts_with('{') => {
            match serde_json::from_str(s) {
                Ok(Value::Object(m)) => m,
                _ => return Err(ApiError::validation("Invalid JSON in fieldname")),
            }
        }
        Some(Value::String(s)) if !s.is_empty() => {
            let mut m = Doc::new();
            m.insert(s.clone(), args.get("value").cloned().unwrap_or(Value::Null));
            m
        }
        _ => {
            return Err(ApiError::throw(
                417,
                "FrappeTypeError",
                "Missing required argument 'fieldname'",
            ));
        }
    };
    if values.keys().any(|k| ROW_META.contains(&k.as_str())) {
        return Err(ApiError::validation("Cannot edit standard fields"));
    }
    let mut store = lock(&ctx.shared.store);
    let is_child = super::schema::meta(&doctype).is_some_and(|m| m.istable);
    if !is_child {
        return Ok(Outcome::saved(
            store.update(&doctype, &docname, values, user, false)?,
        ));
    }
    // A child row: find its parent, patch the row, save the parent, answer the parent.
    let (parent_dt, parent_name) = store
        .child_parent(&doctype, &docname)
        .ok_or_else(|| ApiError::doc_not_found(&doctype, &docname))?;
    let parent = store.get_doc(&parent_dt, &parent_name)?;
    let mut patch = Doc::new();
    for (field, rows) in &parent {
        let Value::Array(rows) = rows else { continue };
        if !rows
            .iter()
            .any(|r| r.get("name").and_then(Value::as_str) == Some(docname.as_str()))
        {
            continue;
        }
        let rows: Vec<Value> = rows
            .iter()
            .cloned()
            .map(|mut r| {
                if r.get("name").and_then(Value::as_str) == Some(docname.as_str())
                    && let Value::Object(row) = &mut r
                {
                    row.extend(values.clone());
                }
                r
            })
            .collect();
        patch.insert(field.clone(), Value::Array(rows));
    }
    Ok(Outcome::saved(store.update(
        &parent_dt,
        &parent_name,
        patch,
        user,
        false,
    )?))
}

/// `frappe.client.save` / `submit`: an update of an existing doc (checking `modified`), or an
/// insert when the doc has no (existing) name.
fn save_or_submit(ctx: &Ctx<'_>, mut doc: Doc, submit: bool) -> Result<Outcome, ApiError> {
    let user = ctx.user.as_deref().unwrap_or("Guest");
    let doctype = doc
        .get("doctype")
        .and_then(name_of)
        .ok_or_else(|| ApiError::validation("doc must have a doctype"))?;
    if submit {
        if !super::schema::meta(&doctype).is_some_and(|m| m.submittable) {
            return Err(ApiError::validation(format!(
                "{doctype} is not submittable"
            )));
        }
        doc.insert("docstatus".to_owned(), json!(1));
    }
    let mut store = lock(&ctx.shared.store);
    let existing = doc
        .get("name")
        .and_then(name_of)
        .filter(|n| store.get_doc(&doctype, n).is_ok());
    let saved = match existing {
        Some(name) => store.update(&doctype, &name, doc, user, true)?,
        None => store.insert(&doctype, doc, Origin::V1, user)?,
    };
    Ok(Outcome::saved(saved))
}

/// `upload_file`: stores the bytes (or registers `file_url`) and inserts a File document.
pub(super) fn upload_file(
    ctx: &Ctx<'_>,
    args: &Map<String, Value>,
    file: Option<(String, Bytes)>,
) -> Result<Value, ApiError> {
    let user = ctx
        .user
        .as_deref()
        .ok_or_else(|| ApiError::permission("Not permitted"))?;
    let is_private = arg_bool(args.get("is_private"), "is_private")
        .map_err(query_error)?
        .unwrap_or(false);
    let doctype = arg_string(args.get("doctype"));
    let docname = arg_string(args.get("docname"));
    let fieldname = arg_string(args.get("fieldname"));
    let folder = arg_string(args.get("folder")).unwrap_or_else(|| {
        if doctype.is_some() {
            "Home/Attachments"
        } else {
            "Home"
        }
        .to_owned()
    });
    let mut store = lock(&ctx.shared.store);
    if let (Some(dt), Some(dn)) = (&doctype, &docname) {
        store.get_doc(dt, dn)?;
    }
    let mut file_doc = Doc::new();
    match file {
        Some((raw_name, bytes)) => {
            let base_name = raw_name
                .rsplit(['/', '\\'])
                .next()
                .filter(|n| !n.trim().is_empty() && *n != "." && *n != "..")
                .unwrap_or("file")
                .to_owned();
            let hash: String = md5::Md5::digest(&bytes)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            let dir = if is_private {
                "/private/files/"
            } else {
                "/files/"
            };
            let same = store.all("File").into_iter().find(|d| {
                d.get("content_hash").and_then(Value::as_str) == Some(hash.as_str())
                    && d.get("is_private").and_then(Value::as_i64) == Some(i64::from(is_private))
                    && d.get("file_url")
                        .and_then(Value::as_str)
                        .is_some_and(|u| store.file_exists(u))
            });
            let (file_name, url) = match same {
                Some(d) => (
                    d.get("file_name")
                        .and_then(Value::as_str)
                        .unwrap_or(&base_name)
                        .to_owned(),
                    d.get("file_url")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                ),
                None => {
                    let mut file_name = base_name.clone();
                    if store.file_exists(&format!("{dir}{file_name}")) {
                        let suffix = &hash[hash.len() - 6..];
                        file_name = match base_name.rsplit_once('.') {
                            Some((stem, ext)) if !stem.is_empty() => {
                                format!("{stem}{suffix}.{ext}")
                            }
                            _ => format!("{base_name}{suffix}"),
                        };
                    }
                    let url = format!("{dir}{file_name}");
                    store.put_file(
                        url.clone(),
                        StoredFile {
                            bytes: bytes.clone(),
                            is_private,
                        },
                    );
                    (file_name, url)
                }
            };
            let ext = file_name
                .rsplit_once('.')
                .map(|(_, e)| e.to_uppercase())
                .unwrap_or_default();
            file_doc.insert("file_name".to_owned(), json!(file_name));
            file_doc.insert("file_url".to_owned(), json!(url));
            file_doc.insert("file_size".to_owned(), json!(bytes.len()));
            file_doc.insert("content_hash".to_owned(), json!(hash));
            file_doc.insert("file_type".to_owned(), json!(ext));
        }
        None => {
            let Some(url) = arg_string(args.get("file_url")) else {
                return Err(ApiError::validation("No file attached"));
            };
            let file_name = arg_string(args.get("file_name"))
                .or_else(|| url.rsplit('/').next().map(str::to_owned))
                .unwrap_or_else(|| "file".to_owned());
            file_doc.insert("file_name".to_owned(), json!(file_name));
            file_doc.insert("file_url".to_owned(), json!(url));
            file_doc.insert("file_size".to_owned(), json!(0));
        }
    }
    file_doc.insert("is_private".to_owned(), json!(i32::from(is_private)));
    file_doc.insert("is_folder".to_owned(), json!(0));
    file_doc.insert("folder".to_owned(), json!(folder));
    if let Some(dt) = doctype {
        file_doc.insert("attached_to_doctype".to_owned(), json!(dt));
    }
    if let Some(dn) = docname {
        file_doc.insert("attached_to_name".to_owned(), json!(dn));
    }
    if let Some(f) = fieldname {
        file_doc.insert("attached_to_field".to_owned(), json!(f));
    }
    let saved = store.insert("File", file_doc, Origin::V1, user)?;
    Ok(Value::Object(saved.doc))
}
