//! A fake authentik admin API (feature `testkit`) for tests, examples and the hub's sandbox.
//!
//! It answers as a real authentik 2025.8.1 did when its answers were captured (the captures are
//! in `tests/resources/real-2025.8.1/`, see `SOURCE.txt` there): it is seeded with the captured
//! users and groups, pages the same way (`{"pagination": …, "results": …}`, a page past the end
//! is a 404 `Invalid page.`), filters e-mails exactly and case-sensitively, refuses bad or
//! missing tokens with 403, answers a path without its trailing slash with an HTML 404 (GET) or
//! an empty 405 (other verbs), accepts an empty `set_password` and leaves the user without a
//! usable password, and has no recovery flow.
//!
//! ```no_run
//! # async fn demo() -> authentik_admin::Result<()> {
//! let fake = authentik_admin::testkit::FakeAuthentik::start().await
//!     .map_err(|e| authentik_admin::Error::Config(e.to_string()))?;
//! let client = fake.client()?;
//! let shared = client.users().find_by_email("shared@example.test").await?;
//! assert_eq!(shared.len(), 2);
//! # Ok(()) }
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use gigafibre_client_core::testkit::{FakeServer, FaultQueue, RequestLog};
use secrecy::SecretString;
use serde_json::{Map, Value, json};
use url::Url;

use crate::{Client, Result};

/// The token the fake accepts unless told otherwise.
pub const FAKE_TOKEN: &str = "fake-authentik-api-token";

/// The captured answer bodies the fake serves or is seeded from.
pub mod captures {
    /// `GET /core/users/` of the seeded server: 7 users, page 1 of 1.
    pub const USERS_DEFAULT_LIST: &str =
        include_str!("../../tests/resources/real-2025.8.1/users_default_list.json");
    /// The HTML page answered for a GET without its trailing slash or an unknown endpoint.
    pub const NOT_FOUND_HTML: &str =
        include_str!("../../tests/resources/real-2025.8.1/no_trailing_slash_detail.json");
    /// `{"detail":"Authentication credentials were not provided."}` (403).
    pub const UNAUTHENTICATED: &str =
        include_str!("../../tests/resources/real-2025.8.1/unauthenticated.json");
    /// `{"detail":"Token invalid/expired"}` (403).
    pub const WRONG_TOKEN: &str =
        include_str!("../../tests/resources/real-2025.8.1/wrong_token.json");
    /// `{"detail":"Unsupported authentication type"}` (403).
    pub const WRONG_SCHEME: &str =
        include_str!("../../tests/resources/real-2025.8.1/wrong_scheme.json");
    /// `{"non_field_errors":"No recovery flow set."}` (400).
    pub const NO_RECOVERY_FLOW: &str =
        include_str!("../../tests/resources/real-2025.8.1/user_recovery_link.json");
    /// `{"detail":"Invalid page."}` (404).
    pub const INVALID_PAGE: &str =
        include_str!("../../tests/resources/real-2025.8.1/users_page_out_of_range.json");
}

/// A request the fake received. A `password` in a body is recorded as `[redacted]`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Recorded {
    /// The verb.
    pub method: String,
    /// The path (`/api/v3/core/users/`).
    pub path: String,
    /// The query string, if any.
    pub query: Option<String>,
    /// The JSON body, if any.
    pub body: Option<Value>,
}

#[derive(Default)]
struct Store {
    users: BTreeMap<i64, Value>,
    groups: Vec<Value>,
    passwords: BTreeMap<i64, Option<SecretString>>,
    next_user: i64,
    next_group: i64,
}

struct Shared {
    token: String,
    store: Mutex<Store>,
    log: RequestLog<Recorded>,
    faults: FaultQueue<StatusCode>,
}

/// The fake authentik. Cloning shares it; dropping the last clone stops it.
#[derive(Clone)]
pub struct FakeAuthentik {
    server: FakeServer,
    shared: Arc<Shared>,
}

impl fmt::Debug for FakeAuthentik {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeAuthentik")
            .field("url", &self.server.url().as_str())
            .finish_non_exhaustive()
    }
}

impl FakeAuthentik {
    /// Starts a fake seeded with the captured users and groups, accepting [`FAKE_TOKEN`].
    ///
    /// # Errors
    /// When it cannot bind `127.0.0.1:0`.
    pub async fn start() -> std::io::Result<Self> {
        Self::start_with_token(FAKE_TOKEN).await
    }

    /// Like [`start`](Self::start), accepting `token`.
    ///
    /// # Errors
    /// When it cannot bind `127.0.0.1:0`.
    pub async fn start_with_token(token: &str) -> std::io::Result<Self> {
        Self::start_on(token, std::net::SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Like [`start_with_token`](Self::start_with_token), on `addr` (a sandbox reachable at a
    /// chosen address).
    ///
    /// # Errors
    /// When it cannot bind `addr`.
    pub async fn start_on(token: &str, addr: std::net::SocketAddr) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            token: token.to_owned(),
            store: Mutex::new(seed()),
            log: RequestLog::new(1000),
            faults: FaultQueue::default(),
        });
        let s = shared.clone();
        let app = axum::Router::new().fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let s = s.clone();
                async move { handle(&s, &method, &uri, &headers, &body) }
            },
        );
        let server = FakeServer::start_on(app, addr).await?;
        Ok(Self { server, shared })
    }

    /// The server's URL (`http://127.0.0.1:<port>/`; the API is under `api/v3/`).
    pub fn url(&self) -> Url {
        self.server.url()
    }

    /// The token the fake accepts as `Authorization: Bearer <token>` ([`FAKE_TOKEN`] unless
    /// it was started with another one); any other token is answered with 403.
    pub fn token(&self) -> &str {
        &self.shared.token
    }

    /// A client for this fake with the accepted token and no retries.
    ///
    /// # Errors
    /// Never in practice (the URL is valid).
    pub fn client(&self) -> Result<Client> {
        Client::builder(self.url())
            .token(self.shared.token.clone())
            .retry(crate::RetryConfig::disabled())
            .build()
    }

    /// Answers the next `times` requests under `path_prefix` (any path when `None`; e.g.
    /// `/api/v3/core/users/`) with `status` and an empty body, as an authentik that is down
    /// behind its proxy would (502, 503).
    pub fn fail_next(&self, status: u16, times: u32, path_prefix: Option<&str>) {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        self.shared
            .faults
            .push(status, times, path_prefix.map(str::to_owned));
    }

    /// Every request received, oldest first.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.log.all()
    }

    /// The password last set for user `pk`: `None` when it was never set, `Some(None)` when
    /// it was set to nothing (unusable, as authentik does with an empty body).
    pub fn password_of(&self, pk: i64) -> Option<Option<SecretString>> {
        lock(&self.shared.store).passwords.get(&pk).cloned()
    }

    /// User `pk` as the fake stores it, if it exists.
    pub fn user(&self, pk: i64) -> Option<Value> {
        let store = lock(&self.shared.store);
        store.users.get(&pk).map(|u| render_user(&store, u, true))
    }
}

fn lock(m: &Mutex<Store>) -> MutexGuard<'_, Store> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn seed() -> Store {
    let mut store = Store::default();
    let list: Value = serde_json::from_str(captures::USERS_DEFAULT_LIST).unwrap_or(Value::Null);
    let users = list["results"].as_array().cloned().unwrap_or_default();
    for u in users {
        for g in u["groups_obj"].as_array().into_iter().flatten() {
            if !store.groups.iter().any(|x| x["pk"] == g["pk"]) {
                let mut g = g.clone();
                g["users"] = json!([]);
                g["roles"] = json!([]);
                g["children"] = json!([]);
                store.groups.push(g);
            }
        }
        if let Some(pk) = u["pk"].as_i64() {
            store.users.insert(pk, u);
        }
    }
    let members: Vec<(i64, Vec<Value>)> = store
        .users
        .iter()
        .map(|(pk, u)| (*pk, u["groups"].as_array().cloned().unwrap_or_default()))
        .collect();
    for (pk, groups) in members {
        for g in groups {
            if let Some(group) = store.groups.iter_mut().find(|x| x["pk"] == g)
                && let Some(users) = group["users"].as_array_mut()
            {
                users.push(json!(pk));
            }
        }
    }
    store.next_user = store.users.keys().max().copied().unwrap_or(0) + 1;
    store.next_group = 30_000;
    store
}

fn json_answer(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [("content-type", "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn raw_json(status: StatusCode, body: &'static str) -> Response {
    (status, [("content-type", "application/json")], body).into_response()
}

fn not_found(what: &str) -> Response {
    json_answer(
        StatusCode::NOT_FOUND,
        &json!({ "detail": format!("No {what} matches the given query.") }),
    )
}

fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

fn redact(mut v: Value) -> Value {
    if let Some(p) = v.get_mut("password") {
        *p = json!("[redacted]");
    }
    v
}

fn handle(s: &Shared, method: &Method, uri: &Uri, headers: &HeaderMap, body: &Bytes) -> Response {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    s.log.record(Recorded {
        method: method.to_string(),
        path: uri.path().to_owned(),
        query: uri.query().map(str::to_owned),
        body: parsed.clone().map(redact),
    });
    if let Some(status) = s.faults.take(uri.path(), uri.path()) {
        return status.into_response();
    }
    let Some(rest) = uri.path().strip_prefix("/api/v3/") else {
        return (StatusCode::NOT_FOUND, captures::NOT_FOUND_HTML).into_response();
    };
    if !rest.ends_with('/') {
        return if method == Method::GET {
            (StatusCode::NOT_FOUND, captures::NOT_FOUND_HTML).into_response()
        } else {
            StatusCode::METHOD_NOT_ALLOWED.into_response()
        };
    }
    match headers.get("authorization").and_then(|v| v.to_str().ok()) {
        None => return raw_json(StatusCode::FORBIDDEN, captures::UNAUTHENTICATED),
        Some(v) => match v.strip_prefix("Bearer ") {
            None => return raw_json(StatusCode::FORBIDDEN, captures::WRONG_SCHEME),
            Some(t) if t != s.token => {
                return raw_json(StatusCode::FORBIDDEN, captures::WRONG_TOKEN);
            }
            Some(_) => {}
        },
    }
    let query: Vec<(String, String)> = uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    if !body.is_empty() && parsed.is_none() {
        return json_answer(
            StatusCode::BAD_REQUEST,
            &json!({ "detail": "JSON parse error" }),
        );
    }
    let body = parsed.unwrap_or_else(|| json!({}));
    let segs: Vec<&str> = rest.trim_end_matches('/').split('/').collect();
    let mut store = lock(&s.store);
    match (method.as_str(), segs.as_slice()) {
        ("GET", ["core", "users"]) => list_users(&store, &query),
        ("POST", ["core", "users"]) => create_user(&mut store, &body),
        (m, ["core", "users", pk]) => {
            let Ok(pk) = pk.parse::<i64>() else {
                return raw_json(StatusCode::NOT_FOUND, r#"{"detail":"Not found."}"#);
            };
            user_detail(&mut store, m, pk, &body)
        }
        ("POST", ["core", "users", pk, "set_password"]) => {
            let Some(pk) = pk
                .parse::<i64>()
                .ok()
                .filter(|pk| store.users.contains_key(pk))
            else {
                return not_found("User");
            };
            let pw = body["password"]
                .as_str()
                .filter(|p| !p.is_empty())
                .map(|p| SecretString::from(p.to_owned()));
            store.passwords.insert(pk, pw);
            no_content()
        }
        ("POST", ["core", "users", pk, "recovery" | "recovery_email"]) => {
            match pk
                .parse::<i64>()
                .ok()
                .filter(|pk| store.users.contains_key(pk))
            {
                Some(_) => raw_json(StatusCode::BAD_REQUEST, captures::NO_RECOVERY_FLOW),
                None => not_found("User"),
            }
        }
        ("GET", ["core", "groups"]) => list_groups(&store, &query),
        ("POST", ["core", "groups"]) => create_group(&mut store, &body),
        ("POST", ["core", "groups", g, action @ ("add_user" | "remove_user")]) => {
            membership(&mut store, g, *action == "add_user", &body)
        }
        _ => (StatusCode::NOT_FOUND, captures::NOT_FOUND_HTML).into_response(),
    }
}

fn render_user(store: &Store, u: &Value, include_groups: bool) -> Value {
    let mut u = u.clone();
    u["groups_obj"] = if include_groups {
        let ids = u["groups"].as_array().cloned().unwrap_or_default();
        Value::Array(
            store
                .groups
                .iter()
                .filter(|g| ids.contains(&g["pk"]))
                .map(|g| {
                    json!({"pk": g["pk"], "num_pk": g["num_pk"], "name": g["name"],
                        "is_superuser": g["is_superuser"], "parent": g["parent"],
                        "parent_name": g["parent_name"], "attributes": g["attributes"]})
                })
                .collect(),
        )
    } else {
        Value::Null
    };
    u
}

fn render_group(store: &Store, g: &Value, include_users: bool) -> Value {
    let mut g = g.clone();
    g["users_obj"] = if include_users {
        let ids = g["users"].as_array().cloned().unwrap_or_default();
        Value::Array(
            ids.iter()
                .filter_map(|id| id.as_i64().and_then(|id| store.users.get(&id)))
                .map(|u| {
                    json!({"pk": u["pk"], "username": u["username"], "name": u["name"],
                        "is_active": u["is_active"], "last_login": u["last_login"],
                        "email": u["email"], "attributes": u["attributes"], "uid": u["uid"]})
                })
                .collect(),
        )
    } else {
        Value::Null
    };
    g["roles_obj"] = json!([]);
    g["children_obj"] = Value::Null;
    g
}

fn get<'q>(query: &'q [(String, String)], key: &str) -> Option<&'q str> {
    query
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// One page as authentik answers it, or its 404 `Invalid page.`.
fn paginate(items: Vec<Value>, query: &[(String, String)]) -> Response {
    let size = match get(query, "page_size").and_then(|v| v.parse::<usize>().ok()) {
        Some(0) | None => 100,
        Some(n) => n,
    };
    let Some(page) = get(query, "page").map_or(Some(1), |p| p.parse::<usize>().ok()) else {
        return raw_json(StatusCode::NOT_FOUND, captures::INVALID_PAGE);
    };
    let count = items.len();
    let total_pages = count.div_ceil(size).max(1);
    if page == 0 || page > total_pages {
        return raw_json(StatusCode::NOT_FOUND, captures::INVALID_PAGE);
    }
    let start = (page - 1) * size;
    let results: Vec<Value> = items.into_iter().skip(start).take(size).collect();
    let end_index = start + results.len();
    json_answer(
        StatusCode::OK,
        &json!({
            "pagination": {
                "next": if page < total_pages { page + 1 } else { 0 },
                "previous": page - 1,
                "count": count,
                "current": page,
                "total_pages": total_pages,
                "start_index": if count == 0 { 0 } else { start + 1 },
                "end_index": end_index,
            },
            "results": results,
            "autocomplete": {},
        }),
    )
}

fn list_users(store: &Store, query: &[(String, String)]) -> Response {
    let wanted_groups: Vec<&str> = query
        .iter()
        .filter(|(k, _)| k == "groups_by_name")
        .map(|(_, v)| v.as_str())
        .collect();
    let mut group_ids = Vec::new();
    for name in &wanted_groups {
        match store.groups.iter().find(|g| g["name"] == *name) {
            Some(g) => group_ids.push(g["pk"].clone()),
            None => {
                return json_answer(
                    StatusCode::BAD_REQUEST,
                    &json!({ "groups_by_name": [format!(
                        "Select a valid choice. {name} is not one of the available choices."
                    )] }),
                );
            }
        }
    }
    let include_groups = get(query, "include_groups") != Some("false");
    let mut users: Vec<&Value> = store.users.values().collect();
    users.sort_by(|a, b| a["username"].as_str().cmp(&b["username"].as_str()));
    let items = users
        .into_iter()
        .filter(|u| get(query, "email").is_none_or(|e| u["email"] == e))
        .filter(|u| get(query, "username").is_none_or(|n| u["username"] == n))
        .filter(|u| get(query, "path").is_none_or(|p| u["path"] == p))
        .filter(|u| {
            get(query, "is_active").is_none_or(|a| u["is_active"].as_bool() == Some(a == "true"))
        })
        .filter(|u| {
            group_ids.is_empty()
                || u["groups"]
                    .as_array()
                    .is_some_and(|gs| gs.iter().any(|g| group_ids.contains(g)))
        })
        .map(|u| render_user(store, u, include_groups))
        .collect();
    paginate(items, query)
}

fn field_error(field: &str, message: &str) -> Response {
    json_answer(StatusCode::BAD_REQUEST, &json!({ field: [message] }))
}

fn create_user(store: &mut Store, body: &Value) -> Response {
    let mut missing = Map::new();
    for f in ["username", "name"] {
        if !body[f].is_string() {
            missing.insert(f.to_owned(), json!(["This field is required."]));
        }
    }
    if !missing.is_empty() {
        return json_answer(StatusCode::BAD_REQUEST, &Value::Object(missing));
    }
    let username = body["username"].as_str().unwrap_or_default();
    if store.users.values().any(|u| u["username"] == username) {
        return field_error("username", "This field must be unique.");
    }
    let email = body["email"].as_str().unwrap_or_default();
    if !email.is_empty() && !email.contains('@') {
        return field_error("email", "Enter a valid email address.");
    }
    let pk = store.next_user;
    store.next_user += 1;
    let now = "2026-12-02T01:38:08.297083Z";
    let user = json!({
        "pk": pk,
        "username": username,
        "name": body["name"],
        "is_active": body["is_active"].as_bool().unwrap_or(true),
        "last_login": null,
        "date_joined": now,
        "is_superuser": false,
        "groups": body.get("groups").cloned().unwrap_or_else(|| json!([])),
        "email": email,
        "avatar": "data:image/svg+xml;base64,",
        "attributes": body.get("attributes").cloned().unwrap_or_else(|| json!({})),
        "uid": format!("{pk:064x}"),
        "path": body["path"].as_str().unwrap_or("users"),
        "type": body["type"].as_str().unwrap_or("internal"),
        "uuid": format!("00000000-0000-4000-8000-{pk:012x}"),
        "password_change_date": now,
        "last_updated": now,
    });
    sync_groups(store, pk, &user["groups"]);
    store.users.insert(pk, user.clone());
    json_answer(StatusCode::CREATED, &render_user(store, &user, true))
}

/// Makes the groups' member lists agree with a user's `groups`.
fn sync_groups(store: &mut Store, pk: i64, groups: &Value) {
    let ids = groups.as_array().cloned().unwrap_or_default();
    for g in &mut store.groups {
        let member = ids.contains(&g["pk"]);
        let Some(users) = g["users"].as_array_mut() else {
            continue;
        };
        users.retain(|u| u.as_i64() != Some(pk));
        if member {
            users.push(json!(pk));
        }
    }
}

fn user_detail(store: &mut Store, method: &str, pk: i64, body: &Value) -> Response {
    if !store.users.contains_key(&pk) {
        return not_found("User");
    }
    match method {
        "GET" => match store.users.get(&pk) {
            Some(u) => json_answer(StatusCode::OK, &render_user(store, u, true)),
            None => not_found("User"),
        },
        "PATCH" => {
            let fields = [
                "username",
                "name",
                "email",
                "groups",
                "path",
                "type",
                "attributes",
                "is_active",
            ];
            if let Some(u) = body["username"].as_str()
                && store
                    .users
                    .iter()
                    .any(|(k, x)| *k != pk && x["username"] == u)
            {
                return field_error("username", "This field must be unique.");
            }
            if let Some(groups) = body.get("groups").cloned() {
                sync_groups(store, pk, &groups);
            }
            let Some(user) = store.users.get_mut(&pk) else {
                return not_found("User");
            };
            for f in fields {
                if let Some(v) = body.get(f) {
                    user[f] = v.clone();
                }
            }
            let user = user.clone();
            json_answer(StatusCode::OK, &render_user(store, &user, true))
        }
        "DELETE" => {
            store.users.remove(&pk);
            sync_groups(store, pk, &json!([]));
            no_content()
        }
        _ => json_answer(
            StatusCode::METHOD_NOT_ALLOWED,
            &json!({ "detail": format!("Method \"{method}\" not allowed.") }),
        ),
    }
}

fn list_groups(store: &Store, query: &[(String, String)]) -> Response {
    let include_users = get(query, "include_users") != Some("false");
    let mut groups: Vec<&Value> = store.groups.iter().collect();
    groups.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    let items = groups
        .into_iter()
        .filter(|g| get(query, "name").is_none_or(|n| g["name"] == n))
        .map(|g| render_group(store, g, include_users))
        .collect();
    paginate(items, query)
}

fn create_group(store: &mut Store, body: &Value) -> Response {
    let Some(name) = body["name"].as_str() else {
        return field_error("name", "This field is required.");
    };
    if store.groups.iter().any(|g| g["name"] == name) {
        return field_error("name", "This field must be unique.");
    }
    let num_pk = store.next_group;
    store.next_group += 1;
    let group = json!({
        "pk": format!("00000000-0000-4000-9000-{num_pk:012x}"),
        "num_pk": num_pk,
        "name": name,
        "is_superuser": body["is_superuser"].as_bool().unwrap_or(false),
        "parent": null,
        "parent_name": null,
        "users": body.get("users").cloned().unwrap_or_else(|| json!([])),
        "attributes": body.get("attributes").cloned().unwrap_or_else(|| json!({})),
        "roles": [],
        "children": [],
    });
    for u in group["users"].as_array().into_iter().flatten() {
        if let Some(user) = u.as_i64().and_then(|u| store.users.get_mut(&u))
            && let Some(gs) = user["groups"].as_array_mut()
        {
            gs.push(group["pk"].clone());
        }
    }
    store.groups.push(group.clone());
    json_answer(StatusCode::CREATED, &render_group(store, &group, true))
}

fn membership(store: &mut Store, group: &str, add: bool, body: &Value) -> Response {
    let Some(gi) = store.groups.iter().position(|g| g["pk"] == group) else {
        return not_found("Group");
    };
    // An unknown user or a missing pk: 404 {"detail":"Not found."}, as captured.
    let Some(pk) = body["pk"]
        .as_i64()
        .filter(|pk| store.users.contains_key(pk))
    else {
        return raw_json(StatusCode::NOT_FOUND, r#"{"detail":"Not found."}"#);
    };
    let gpk = store.groups[gi]["pk"].clone();
    if let Some(users) = store.groups[gi]["users"].as_array_mut() {
        users.retain(|u| u.as_i64() != Some(pk));
        if add {
            users.push(json!(pk));
        }
    }
    if let Some(gs) = store
        .users
        .get_mut(&pk)
        .and_then(|u| u["groups"].as_array_mut())
    {
        gs.retain(|g| *g != gpk);
        if add {
            gs.push(gpk);
        }
    }
    no_content()
}
