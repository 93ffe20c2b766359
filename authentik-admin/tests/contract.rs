//! Contract tests: the captured 2025.8.1 answers we decode, and the requests we send, are
//! validated against the upstream OpenAPI schema (`tests/resources/schema.yml`, authentik
//! 2026.8.5), with the differences between that schema and the real 2025.8.1 server applied
//! explicitly (each listed in `server_differences`).

mod common;

use std::sync::OnceLock;

use authentik_admin::{NewGroup, NewUser, SecretString, UserPatch, UserQuery, UserType};
use common::{capture, client, replay};
use futures::TryStreamExt;
use serde_json::{Value, json};
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// OpenAPI 3.0's `nullable: true` turned into JSON Schema (`type: [T, "null"]`, or `anyOf`
/// with `null` around a `$ref`/`allOf`).
fn nullable_to_json_schema(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (_, child) in map.iter_mut() {
                nullable_to_json_schema(child);
            }
            if map.remove("nullable") == Some(Value::Bool(true)) {
                if let Some(Value::String(t)) = map.get("type").cloned() {
                    map.insert("type".into(), json!([t, "null"]));
                    if let Some(Value::Array(e)) = map.get_mut("enum") {
                        e.push(Value::Null);
                    }
                } else {
                    let inner = Value::Object(std::mem::take(map));
                    map.insert("anyOf".into(), json!([inner, {"type": "null"}]));
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(nullable_to_json_schema),
        _ => {}
    }
}

/// Where the real authentik 2025.8.1 differs from the 2026.8.5 schema, seen in the captures.
fn server_differences(doc: &mut Value) {
    let s = &mut doc["components"]["schemas"];
    // Groups in 2025.8.1 have one `parent` (+ `parent_name`) and `children`/`children_obj`,
    // where the 2026 schema has `parents`/`parents_obj` (multiple parents came later).
    if let Some(req) = s["Group"]["required"].as_array_mut() {
        req.retain(|f| !matches!(f.as_str(), Some("parents_obj" | "inherited_roles_obj")));
    }
    // Users in 2025.8.1 have no `roles_obj` (roles on users came later).
    if let Some(req) = s["User"]["required"].as_array_mut() {
        req.retain(|f| f.as_str() != Some("roles_obj"));
    }
}

fn spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| {
        let text = std::fs::read_to_string(common::captures_dir().join("../schema.yml"))
            .expect("schema.yml");
        let mut doc: Value = serde_norway::from_str(&text).expect("yaml");
        nullable_to_json_schema(&mut doc);
        server_differences(&mut doc);
        doc
    })
}

/// Validates `body` against `components/schemas/<name>`.
fn check(name: &str, body: &Value) -> Vec<String> {
    let doc = spec();
    let mut root = json!({ "$ref": format!("#/components/schemas/{name}") });
    root["components"] = doc["components"].clone();
    let v = jsonschema::validator_for(&root).expect("schema");
    v.iter_errors(body)
        .map(|e| format!("{name}: {e} at {}", e.instance_path()))
        .collect()
}

#[test]
fn captured_answers_conform() {
    let mut errors = Vec::new();
    for (name, schema) in [
        ("user_create", "User"),
        ("user_retrieve", "User"),
        ("user_patch", "User"),
        ("users_default_list", "PaginatedUserList"),
        ("users_email_shared", "PaginatedUserList"),
        ("users_page1_size2", "PaginatedUserList"),
        ("users_groups_by_name", "PaginatedUserList"),
        ("group_create", "Group"),
        ("groups_list", "PaginatedGroupList"),
        ("groups_list_name", "PaginatedGroupList"),
        ("groups_list_include_users_false", "PaginatedGroupList"),
        ("user_create_duplicate_username", "ValidationError"),
        ("wrong_token", "GenericError"),
    ] {
        let (_, body) = capture(name);
        let body: Value = serde_json::from_str(&body).expect(name);
        errors.extend(
            check(schema, &body)
                .into_iter()
                .map(|e| format!("{name}: {e}")),
        );
    }
    assert!(errors.is_empty(), "{errors:#?}");
}

/// The request body schema and query parameters of `method path` in the spec.
fn operation(method: &str, path: &str) -> (String, Value) {
    let doc = spec();
    let p = path.strip_prefix("/api/v3").expect("api path");
    let (name, item) = doc["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .find(|(k, _)| {
            let a: Vec<&str> = k.split('/').collect();
            let b: Vec<&str> = p.split('/').collect();
            a.len() == b.len() && a.iter().zip(&b).all(|(x, y)| x.starts_with('{') || x == y)
        })
        .unwrap_or_else(|| panic!("{p} is not in the schema"));
    let op = item[method.to_lowercase()].clone();
    assert!(op.is_object(), "{method} {name} is not in the schema");
    (name.clone(), op)
}

fn check_request(r: &Request) -> Vec<String> {
    let (name, op) = operation(r.method.as_str(), r.url.path());
    let mut errors = Vec::new();
    // A parameter is inline or a `$ref` to `components/parameters` (`page`, `page_size`, ...).
    let doc = spec();
    let known: Vec<&str> = op["parameters"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| match x["$ref"].as_str() {
                    Some(r) => {
                        let key = r.trim_start_matches("#/components/parameters/");
                        doc["components"]["parameters"][key]["name"].as_str()
                    }
                    None => x["name"].as_str(),
                })
                .collect()
        })
        .unwrap_or_default();
    for (k, _) in r.url.query_pairs() {
        if !known.contains(&k.as_ref()) {
            errors.push(format!(
                "{} {name}: parameter {k} not in the schema",
                r.method
            ));
        }
    }
    let schema_ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        .as_str()
        .map(|s| s.trim_start_matches("#/components/schemas/").to_owned());
    if let Some(schema) = schema_ref {
        let body: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
        errors.extend(
            check(&schema, &body)
                .into_iter()
                .map(|e| format!("{name}: {e}")),
        );
    }
    errors
}

#[tokio::test]
async fn requests_conform() {
    let server = MockServer::start().await;
    for (verb, re, name) in [
        ("POST", r"^/api/v3/core/users/$", "user_create"),
        ("GET", r"^/api/v3/core/users/$", "users_email_shared"),
        ("GET", r"^/api/v3/core/users/10/$", "user_retrieve"),
        ("PATCH", r"^/api/v3/core/users/10/$", "user_patch"),
        (
            "POST",
            r"^/api/v3/core/users/10/set_password/$",
            "user_set_password",
        ),
        ("DELETE", r"^/api/v3/core/users/10/$", "user_delete"),
        ("GET", r"^/api/v3/core/groups/$", "groups_list_name"),
        ("POST", r"^/api/v3/core/groups/$", "group_create"),
        (
            "POST",
            r"^/api/v3/core/groups/[^/]+/(add|remove)_user/$",
            "group_add_user",
        ),
    ] {
        Mock::given(method(verb))
            .and(path_regex(re))
            .respond_with(replay(name))
            .mount(&server)
            .await;
    }
    Mock::given(method("POST"))
        .and(path_regex(r"^/api/v3/core/users/10/recovery/$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"link": "https://x/"})))
        .mount(&server)
        .await;
    let c = client(&server);
    let mut attrs = serde_json::Map::new();
    attrs.insert("employee_id".into(), json!("E-42"));
    let g = "0e72ee68-9fb0-40c5-a7ce-ed8d531d5a14";
    c.users()
        .create(
            &NewUser::new("frank.new", "Frank New")
                .email("frank@example.test")
                .groups([g])
                .path("hub/staff")
                .user_type(UserType::External)
                .attributes(attrs.clone())
                .active(true),
        )
        .await
        .expect("create");
    let _: Vec<_> = c
        .users()
        .list(
            &UserQuery::new()
                .email("shared@example.test")
                .username("carol.tech")
                .group("techs")
                .path("users")
                .active(true)
                .include_groups(false)
                .page_size(50),
        )
        .try_collect()
        .await
        .expect("list");
    c.users().get(10).await.expect("get");
    c.users()
        .update(
            10,
            &UserPatch::new()
                .name("N")
                .email("n@example.test")
                .username("n")
                .groups([g])
                .path("p")
                .user_type(UserType::Internal)
                .attributes(attrs)
                .active(false),
        )
        .await
        .expect("patch");
    c.users()
        .set_password(10, &SecretString::from("xK7m-pQ9r"))
        .await
        .expect("set");
    c.users().recovery_link(10).await.expect("link");
    c.users().delete(10).await.expect("delete");
    c.groups().find_by_name("ops").await.expect("find");
    c.groups()
        .create(&NewGroup::new("contractors").users(vec![4]).superuser(false))
        .await
        .expect("group");
    c.groups().add_user(g, 4).await.expect("add");
    c.groups().remove_user(g, 4).await.expect("remove");
    let reqs = server.received_requests().await.unwrap_or_default();
    assert_eq!(reqs.len(), 11);
    let errors: Vec<String> = reqs.iter().flat_map(check_request).collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[tokio::test]
async fn the_fake_answers_conform() {
    let fake = authentik_admin::testkit::FakeAuthentik::start()
        .await
        .expect("fake");
    let http = reqwest::Client::new();
    let mut errors = Vec::new();
    for (p, schema) in [
        ("api/v3/core/users/?page_size=3&page=2", "PaginatedUserList"),
        ("api/v3/core/users/3/", "User"),
        ("api/v3/core/groups/", "PaginatedGroupList"),
        (
            "api/v3/core/groups/?include_users=false",
            "PaginatedGroupList",
        ),
    ] {
        let url = fake.url().join(p).expect("url");
        let body: Value = http
            .get(url)
            .bearer_auth(authentik_admin::testkit::FAKE_TOKEN)
            .send()
            .await
            .expect("send")
            .json()
            .await
            .expect("json");
        errors.extend(
            check(schema, &body)
                .into_iter()
                .map(|e| format!("{p}: {e}")),
        );
    }
    let c = fake.client().expect("client");
    let created = c
        .users()
        .create(&NewUser::new("new.one", "New One"))
        .await
        .expect("create");
    let body = fake.user(created.pk).expect("stored");
    errors.extend(check("User", &body));
    assert!(errors.is_empty(), "{errors:#?}");
}
