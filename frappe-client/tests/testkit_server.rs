//! Drives `frappe_client::testkit::FakeFrappe` over real HTTP with raw `reqwest`, checking the
//! wire behaviour documented in `shared/contracts/frappe/API.md`.

use std::time::{Duration, Instant};

use frappe_client::testkit::{FakeFrappe, Fault, FrappeError, ServerVersion};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

fn token(s: &FakeFrappe) -> String {
    format!("token {}:{}", s.api_key(), s.api_secret())
}

fn url(s: &FakeFrappe, path: &str) -> url::Url {
    s.url()
        .join(path.trim_start_matches('/'))
        .expect("valid path")
}

/// GET with the API token; answers (status, JSON body).
async fn get(s: &FakeFrappe, path: &str, query: &[(&str, &str)]) -> (StatusCode, Value) {
    let resp = Client::new()
        .get(url(s, path))
        .query(query)
        .header("Authorization", token(s))
        .header("Accept", "application/json")
        .send()
        .await
        .expect("request");
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// A JSON request with the API token.
async fn send(
    s: &FakeFrappe,
    method: reqwest::Method,
    path: &str,
    body: &Value,
) -> (StatusCode, Value) {
    let resp = Client::new()
        .request(method, url(s, path))
        .header("Authorization", token(s))
        .json(body)
        .send()
        .await
        .expect("request");
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// A form-encoded POST (reqwest's `form` feature is not enabled in this workspace).
fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// `_server_messages` → the decoded message objects.
/// A JSON resource of `tests/resources/`.
fn resource(name: &str) -> Value {
    let path = format!("{}/tests/resources/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A `Set-Cookie` value with its date replaced by `<date>`.
fn undated(cookie: &str) -> String {
    cookie
        .split("; ")
        .map(|part| match part.split_once('=') {
            Some(("Expires", _)) => "Expires=<date>".to_owned(),
            _ => part.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The `Set-Cookie` lines of an answer, undated.
fn set_cookies(resp: &reqwest::Response) -> Vec<String> {
    resp.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(undated)
        .collect()
}

/// The `Set-Cookie` lines of a captured answer's `.headers` file, dates replaced.
fn captured_cookies(name: &str) -> Vec<String> {
    let path = format!(
        "{}/tests/resources/real-15.86/{name}.headers",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .lines()
        .filter_map(|l| l.strip_prefix("Set-Cookie: "))
        .map(undated)
        .collect()
}

fn server_messages(body: &Value) -> Vec<Value> {
    let outer = body["_server_messages"]
        .as_str()
        .expect("_server_messages is a string");
    let list: Vec<String> = serde_json::from_str(outer).expect("a JSON list of strings");
    list.iter()
        .map(|s| serde_json::from_str(s).expect("each entry is a JSON object"))
        .collect()
}

fn names(rows: &Value) -> Vec<String> {
    rows.as_array()
        .expect("rows")
        .iter()
        .map(|r| r["name"].as_str().expect("name").to_owned())
        .collect()
}

#[tokio::test]
async fn envelopes_and_token_auth() {
    let s = FakeFrappe::start().await.expect("start");
    let anon = Client::new();

    let ping: Value = anon
        .get(url(&s, "api/method/ping"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ping, json!({"message": "pong"}));
    // Frappe 15 removed the version route: 417, as a real 15.86 answers (for guests too).
    let resp = anon
        .get(url(&s, "api/method/version"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::EXPECTATION_FAILED);
    let version: Value = resp.json().await.unwrap();
    assert_eq!(version["exc_type"], "ValidationError");
    assert_eq!(
        server_messages(&version)[0]["message"],
        "Failed to get method for command version with 'version'"
    );
    let (_, apps) = get(&s, "api/method/frappe.utils.change_log.get_versions", &[]).await;
    assert_eq!(apps["message"]["frappe"]["version"], "15.86.0");
    let v2ping: Value = anon
        .get(url(&s, "api/v2/method/ping"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v2ping, json!({"data": "pong"}));

    // Guest → 403 PermissionError with a double-encoded message log.
    let resp = anon
        .get(url(&s, "api/resource/Customer"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["exc_type"], "PermissionError");
    assert_eq!(server_messages(&body)[0]["raise_exception"], 1);
    let who = anon
        .get(url(&s, "api/method/frappe.auth.get_logged_user"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        who.status(),
        StatusCode::FORBIDDEN,
        "not allow_guest in Frappe"
    );
    let resp = anon
        .get(url(
            &s,
            "api/method/frappe.client.get_list?doctype=Customer",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);

    // Wrong key → 401; Basic and token auth both work.
    let resp = anon
        .get(url(&s, "api/resource/Customer"))
        .header("Authorization", "token fake_api_key:wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["exc_type"], "AuthenticationError");
    let resp = anon
        .get(url(&s, "api/resource/Customer"))
        .basic_auth(s.api_key(), Some(s.api_secret()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["data"].as_array().map(Vec::len), Some(8));
    assert_eq!(
        body["data"][0].as_object().map(|o| o.len()),
        Some(1),
        "default fields = [\"name\"]"
    );
    let (status, who) = get(&s, "api/method/frappe.auth.get_logged_user", &[]).await;
    assert_eq!(
        (status, who["message"].clone()),
        (StatusCode::OK, json!("Administrator"))
    );

    // Resources answer under data, methods under message; v1 and v2 prefixes.
    let (status, doc) = get(&s, "api/resource/Customer/Marie-Claude Tremblay", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc["data"]["customer_name"], "Marie-Claude Tremblay");
    assert_eq!(doc["data"]["doctype"], "Customer");
    let (_, doc) = get(&s, "api/v1/resource/Service Location/SL-00001", &[]).await;
    assert_eq!(doc["data"]["pon_port"], "0/1/3");
    let (_, doc) = get(&s, "api/v2/document/Service Equipment/SE-00001", &[]).await;
    assert_eq!(doc["data"]["gpon_serial"], "TPLG1A2B3C01");
    assert_eq!(doc["data"]["admin_password"], "************");
    let (_, dj) = get(&s, "api/resource/Dispatch Job/DJ-2026-00001", &[]).await;
    assert_eq!(dj["data"]["equipment"][0]["parenttype"], "Dispatch Job");
    assert_eq!(dj["data"]["equipment"][0]["idx"], 1);
    let (_, user) = get(&s, "api/resource/User/alexandre.roy@gigafibre.ca", &[]).await;
    assert_eq!(
        user["data"]["social_logins"][0]["doctype"],
        "User Social Login"
    );
    assert_eq!(user["data"]["social_logins"][0]["provider"], "authentik");
    let (_, versions) = get(&s, "api/method/frappe.utils.change_log.get_versions", &[]).await;
    assert_eq!(versions["message"]["frappe"]["branch"], "version-15");

    // 404s, v1 and v2 shapes; unknown methods as real Frappe answers them.
    let (status, body) = get(&s, "api/resource/Customer/Nobody", &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["exc_type"], "DoesNotExistError");
    assert_eq!(
        server_messages(&body)[0]["message"],
        "Customer Nobody not found"
    );
    let (status, body) = get(&s, "api/v2/document/Customer/Nobody", &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["errors"][0]["type"], "DoesNotExistError");
    assert_eq!(body["errors"][0]["message"], "Customer Nobody not found");
    let (status, body) = get(&s, "api/resource/Widget", &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        server_messages(&body)[0]["message"],
        "DocType Widget not found"
    );
    let (status, body) = get(&s, "api/nothing/here", &[]).await;
    assert_eq!(
        (status, body["exc_type"].clone()),
        (StatusCode::NOT_FOUND, json!("DoesNotExistError"))
    );
    let (status, body) = get(&s, "api/method/gigafibre.api.nope", &[]).await;
    assert_eq!(status, StatusCode::EXPECTATION_FAILED);
    let msg = server_messages(&body)[0]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        msg.starts_with("Failed to get method for command gigafibre.api.nope"),
        "{msg}"
    );

    let requests = s.requests();
    assert_eq!(requests[0].path, "/api/method/ping");
    assert!(!requests[0].has_authorization);
    assert!(
        requests
            .iter()
            .any(|r| r.has_authorization && r.path == "/api/resource/Customer")
    );
    assert!(
        requests
            .iter()
            .all(|r| !format!("{r:?}").contains("fake_api_secret"))
    );
}

#[tokio::test]
async fn session_login_expiry_and_csrf() {
    let s = FakeFrappe::start().await.expect("start");
    let client = Client::builder().cookie_store(true).build().unwrap();

    let resp = client
        .post(url(&s, "api/method/login"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(form(&[("usr", s.username()), ("pwd", "wrong")]))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["exc_type"], "AuthenticationError");
    assert_eq!(body["message"], "Invalid login credentials");

    let resp = client
        .post(url(&s, "api/method/login"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(form(&[("usr", s.username()), ("pwd", s.password())]))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let cookies: Vec<String> = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap_or_default().to_owned())
        .collect();
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("sid=") && c.contains("HttpOnly") && c.contains("Path=/")),
        "{cookies:?}"
    );
    assert!(cookies.iter().any(|c| c.starts_with("system_user=yes")));
    let body: Value = resp.json().await.unwrap();
    assert_eq!(
        body,
        json!({"message": "Logged In", "home_page": "/app", "full_name": "Administrator"})
    );

    let resp = client
        .get(url(&s, "api/resource/Customer"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    // Safe verbs with cookie + token are fine; unsafe ones hit the CSRF check.
    let resp = client
        .get(url(&s, "api/resource/Tag"))
        .header("Authorization", token(&s))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = client
        .post(url(&s, "api/resource/Tag"))
        .header("Authorization", token(&s))
        .json(&json!({"tag_name": "csrf"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["exc_type"], "CSRFTokenError");
    let msg = &server_messages(&body)[0];
    assert_eq!(
        (
            msg["message"].clone(),
            msg["title"].clone(),
            msg["indicator"].clone()
        ),
        (json!("Invalid Request"), json!("Message"), json!("red"))
    );
    // A pure cookie session may write.
    let resp = client
        .post(url(&s, "api/resource/Tag"))
        .json(&json!({"tag_name": "via-cookie"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);

    // Expired sessions silently become Guest → 403, and the probe says Guest.
    s.expire_sessions();
    let resp = client
        .get(url(&s, "api/resource/Customer"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let who = client
        .get(url(&s, "api/method/frappe.auth.get_logged_user"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        who.status(),
        StatusCode::FORBIDDEN,
        "an expired session is a Guest"
    );
    assert!(s.requests().iter().any(|r| r.has_cookie));

    // JSON login works too; logout ends the session.
    let resp = client
        .post(url(&s, "api/method/login"))
        .json(&json!({"usr": "Administrator", "pwd": "admin"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        client
            .get(url(&s, "api/resource/Customer"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let resp = client
        .post(url(&s, "api/method/logout"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        client
            .get(url(&s, "api/resource/Customer"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn list_filters_paging_and_errors() {
    let s = FakeFrappe::start().await.expect("start");
    for i in 0..25 {
        s.insert(
            "Tag",
            json!({"tag_name": format!("zz-{i:02}"), "category": "Other"}),
        );
    }
    let (_, body) = get(&s, "api/resource/Tag", &[]).await;
    assert_eq!(
        body["data"].as_array().map(Vec::len),
        Some(20),
        "default page size is 20"
    );
    let (_, body) = get(&s, "api/resource/Tag", &[("limit_page_length", "0")]).await;
    assert_eq!(body["data"].as_array().map(Vec::len), Some(33), "0 = all");
    let (_, body) = get(&s, "api/resource/Tag", &[("limit", "3")]).await;
    assert_eq!(
        body["data"].as_array().map(Vec::len),
        Some(3),
        "limit alias"
    );
    // Default order (v15) is modified desc: the last inserted tag comes first.
    let (_, body) = get(&s, "api/resource/Tag", &[("limit_page_length", "1")]).await;
    assert_eq!(names(&body["data"]), ["zz-24"]);

    // Stable paging over creation asc.
    let mut seen = Vec::new();
    for page in 0..4 {
        let start = (page * 10).to_string();
        let (_, body) = get(
            &s,
            "api/resource/Tag",
            &[
                ("order_by", "creation asc, name asc"),
                ("limit_start", &start),
                ("limit_page_length", "10"),
            ],
        )
        .await;
        seen.extend(names(&body["data"]));
    }
    assert_eq!(seen.len(), 33);
    assert_eq!(seen[0], "install");
    assert_eq!(seen[32], "zz-24");

    // Dict and list filters, or_filters, as_dict=0, fields.
    let (_, body) = get(
        &s,
        "api/resource/Dispatch Job",
        &[
            ("filters", r#"{"status": "Scheduled"}"#),
            ("order_by", "name asc"),
        ],
    )
    .await;
    assert_eq!(names(&body["data"]), ["DJ-2026-00003", "DJ-2026-00007"]);
    let (_, body) = get(
        &s,
        "api/resource/Dispatch Job",
        &[
            (
                "filters",
                r#"[["status","in","Scheduled, En Route"],["technician","=","TECH-002"]]"#,
            ),
            ("order_by", "name asc"),
        ],
    )
    .await;
    assert_eq!(names(&body["data"]), ["DJ-2026-00003", "DJ-2026-00004"]);
    let (_, body) = get(
        &s,
        "api/resource/Dispatch Job",
        &[
            (
                "or_filters",
                r#"[["priority","=","Urgent"],["job_type","=","Survey"]]"#,
            ),
            ("order_by", "name asc"),
        ],
    )
    .await;
    assert_eq!(names(&body["data"]), ["DJ-2026-00004", "DJ-2026-00006"]);
    let (_, body) = get(
        &s,
        "api/resource/Dispatch Job",
        &[
            ("filters", r#"[["technician","is","not set"]]"#),
            ("order_by", "name asc"),
        ],
    )
    .await;
    assert_eq!(names(&body["data"]), ["DJ-2026-00006", "DJ-2026-00008"]);
    let (_, body) = get(
        &s,
        "api/resource/Customer",
        &[
            ("filters", r#"[["customer_name","like","%côté%"]]"#),
            ("fields", r#"["name","mobile_no"]"#),
        ],
    )
    .await;
    assert_eq!(
        body["data"],
        json!([{"name": "Luc Côté", "mobile_no": "+1 514 555 0178"}])
    );
    let (_, body) = get(
        &s,
        "api/resource/Service Location",
        &[
            ("fields", r#"["name","onu_id"]"#),
            ("filters", r#"[["onu_id",">",10]]"#),
            ("as_dict", "0"),
            ("order_by", "onu_id desc"),
        ],
    )
    .await;
    assert_eq!(body["data"], json!([["SL-00006", 14], ["SL-00002", 12]]));
    let (_, body) = get(
        &s,
        "api/resource/Service Location",
        &[("fields", r#"["*"]"#), ("limit_page_length", "1")],
    )
    .await;
    assert!(body["data"][0].get("latitude").is_some());
    let (_, body) = get(
        &s,
        "api/resource/Dispatch Job",
        &[
            ("fields", r#"["*"]"#),
            ("filters", r#"{"name": "DJ-2026-00001"}"#),
        ],
    )
    .await;
    assert!(
        body["data"][0].get("equipment").is_none(),
        "child tables are not in *"
    );
    let (_, body) = get(
        &s,
        "api/resource/Dispatch Job",
        &[
            ("fields", r#"["status","count(name) as n"]"#),
            ("group_by", "status"),
            ("order_by", "n desc, status asc"),
        ],
    )
    .await;
    assert_eq!(body["data"][0], json!({"status": "Completed", "n": 2}));

    // Child-table filters (4-element): a customer's contacts; a user by external identity.
    let (_, body) = get(&s, "api/resource/Contact", &[("filters", r#"[["Dynamic Link","link_doctype","=","Customer"],["Dynamic Link","link_name","=","Luc Côté"]]"#)]).await;
    assert_eq!(names(&body["data"]), ["Luc Côté-Luc Côté"]);
    let (_, body) = get(&s, "api/resource/User", &[("filters", r#"[["User Social Login","provider","=","authentik"],["User Social Login","userid","=","0a7e55c2-93d1-4f0b-8c3e-5e9d2b71a102"]]"#)]).await;
    assert_eq!(names(&body["data"]), ["emilie.fortin@gigafibre.ca"]);
    let (_, body) = get(
        &s,
        "api/resource/Dispatch Job",
        &[("filters", r#"[["Dispatch Job Tag","tag","=","urgent"]]"#)],
    )
    .await;
    assert_eq!(names(&body["data"]), ["DJ-2026-00004"]);

    // Malformed filters JSON is an unhandled JSONDecodeError (500), as a real Frappe 15.86
    // answers (samples/real-15.86/v1-bad-filters-json): same keys, same message.
    let (status, body) = get(&s, "api/resource/Customer", &[("filters", "{x")]).await;
    let real = resource("real-15.86/v1-bad-filters-json.json");
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    let keys = |v: &Value| {
        let mut k: Vec<String> = v
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default();
        k.sort();
        k
    };
    assert_eq!(keys(&body), keys(&real));
    assert_eq!(body["exc_type"], real["exc_type"]);
    assert_eq!(body["exception"], real["exception"]);
    let (status, body) = get(&s, "api/resource/Customer", &[("fields", "[\"name\"")]).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body["exc_type"], "JSONDecodeError");
    // A field the real doctype does not have: 417 DataError, as captured (v1-unknown-field).
    let (status, body) = get(
        &s,
        "api/resource/ToDo",
        &[("fields", r#"["doesnotexist"]"#)],
    )
    .await;
    let real = resource("real-15.86/v1-unknown-field.json");
    assert_eq!(status, StatusCode::EXPECTATION_FAILED);
    assert_eq!(body["exc_type"], real["exc_type"]);
    assert_eq!(
        server_messages(&body)[0]["message"],
        server_messages(&real)[0]["message"]
    );
    // On a standard ERPNext doctype too (the real field list), in filters as in fields; the
    // ERPNext 15 names pass.
    let (status, body) = get(
        &s,
        "api/resource/Issue",
        &[("fields", r#"["name","resolution_date"]"#)],
    )
    .await;
    assert_eq!(status, StatusCode::EXPECTATION_FAILED);
    assert_eq!(
        server_messages(&body)[0]["message"],
        "Field not permitted in query: resolution_date"
    );
    let (status, _) = get(
        &s,
        "api/resource/Customer",
        &[("filters", r#"[["no_such_column","=","x"]]"#)],
    )
    .await;
    assert_eq!(status, StatusCode::EXPECTATION_FAILED);
    let (status, body) = get(
        &s,
        "api/resource/Issue",
        &[(
            "fields",
            r#"["name","sla_resolution_date","sla_resolution_by","response_by"]"#,
        )],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = get(
        &s,
        "api/resource/Customer",
        &[("filters", r#"[["name","~","x"]]"#)],
    )
    .await;
    assert_eq!(status, StatusCode::EXPECTATION_FAILED);
    assert!(
        server_messages(&body)[0]["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("Operator must be one of")
    );
    let (status, body) = get(
        &s,
        "api/resource/Service Location",
        &[("fields", r#"["no_such_column"]"#)],
    )
    .await;
    assert_eq!(
        (status, body["exc_type"].clone()),
        (StatusCode::EXPECTATION_FAILED, json!("DataError"))
    );
    assert_eq!(
        server_messages(&body)[0]["message"],
        "Field not permitted in query: no_such_column"
    );
    // An unknown order_by column only fails in the database.
    let (status, body) = get(
        &s,
        "api/resource/Service Location",
        &[("order_by", "no_such_column asc")],
    )
    .await;
    assert_eq!(status, StatusCode::EXPECTATION_FAILED);
    assert_eq!(
        server_messages(&body)[0]["message"],
        "Unknown column 'no_such_column' in 'order clause'"
    );
    // Standard ERPNext doctypes have more columns than the fake models: a real ERPNext 15
    // column the fake does not model is accepted and reads as null.
    let (status, body) = get(
        &s,
        "api/resource/Customer",
        &[
            ("fields", r#"["name","primary_address"]"#),
            ("limit_page_length", "1"),
        ],
    )
    .await;
    assert_eq!(
        (status, body["data"][0]["primary_address"].clone()),
        (StatusCode::OK, Value::Null)
    );
    let (status, body) = get(
        &s,
        "api/resource/Customer",
        &[("fields", r#"["name; drop table"]"#)],
    )
    .await;
    assert_eq!(
        (status, body["exc_type"].clone()),
        (StatusCode::EXPECTATION_FAILED, json!("DataError"))
    );
    let (status, _) = get(&s, "api/resource/Customer", &[("limit_page_length", "ten")]).await;
    assert_eq!(status, StatusCode::EXPECTATION_FAILED);
    let (_, body) = get(
        &s,
        "api/resource/Customer",
        &[("limit_page_length", "99999999999999999999999")],
    )
    .await;
    assert_eq!(
        body["data"].as_array().map(Vec::len),
        Some(8),
        "huge limits are just large"
    );
    let (_, body) = get(
        &s,
        "api/resource/Customer",
        &[("limit_start", "18446744073709551616")],
    )
    .await;
    assert_eq!(body["data"], json!([]));

    // get_count / v2 count / get_value.
    let (_, body) = get(
        &s,
        "api/method/frappe.client.get_count",
        &[
            ("doctype", "Service Location"),
            ("filters", r#"{"status": "Active"}"#),
        ],
    )
    .await;
    assert_eq!(body["message"], 6);
    let (_, body) = get(
        &s,
        "api/v2/doctype/Service Equipment/count",
        &[("filters", r#"[["status","=","Installed"]]"#)],
    )
    .await;
    assert_eq!(body["data"], 8);
    let (_, body) = get(
        &s,
        "api/method/frappe.client.get_value",
        &[
            ("doctype", "Service Equipment"),
            ("fieldname", r#"["name","serial_number"]"#),
            ("filters", r#"{"mac_address": "AA:BB:CC:10:01:03"}"#),
        ],
    )
    .await;
    assert_eq!(
        body["message"],
        json!({"name": "SE-00003", "serial_number": "22C5A1000103"})
    );
    let (_, body) = get(
        &s,
        "api/method/frappe.client.get_value",
        &[
            ("doctype", "Customer"),
            ("fieldname", "mobile_no"),
            ("filters", "Luc Côté"),
        ],
    )
    .await;
    assert_eq!(body["message"], json!({"mobile_no": "+1 514 555 0178"}));
    let (_, body) = get(
        &s,
        "api/method/frappe.client.get_value",
        &[
            ("doctype", "Customer"),
            ("fieldname", "mobile_no"),
            ("filters", "Nobody"),
        ],
    )
    .await;
    assert_eq!(body["message"], json!({}));
    let (_, body) = get(
        &s,
        "api/method/frappe.client.get_list",
        &[
            ("doctype", "Technician"),
            ("fields", r#"["name","traccar_device_id"]"#),
            ("filters", r#"{"active": 1}"#),
            ("order_by", "traccar_device_id asc"),
        ],
    )
    .await;
    assert_eq!(
        names(&body["message"]),
        ["TECH-001", "TECH-002", "TECH-003"]
    );
    let (_, body) = get(
        &s,
        "api/method/frappe.client.get_list",
        &[
            ("doctype", "User Social Login"),
            ("parent", "User"),
            ("fields", r#"["parent","userid"]"#),
            ("filters", r#"{"provider": "frappe"}"#),
        ],
    )
    .await;
    assert_eq!(
        body["message"][0]["parent"],
        "marie-claude.tremblay@example.com"
    );
}

#[tokio::test]
async fn v2_lists_by_version() {
    let v16 = FakeFrappe::builder()
        .version(ServerVersion::V16)
        .start()
        .await
        .expect("start");
    let (_, body) = get(
        &v16,
        "api/v2/document/Tag",
        &[("limit", "5"), ("order_by", "name asc")],
    )
    .await;
    assert_eq!(body["has_next_page"], true);
    assert_eq!(
        names(&body["data"]),
        [
            "business",
            "fibre-splicing",
            "install",
            "repair",
            "richelieu"
        ]
    );
    let (_, body) = get(
        &v16,
        "api/v2/document/Tag",
        &[("limit", "5"), ("start", "5"), ("order_by", "name asc")],
    )
    .await;
    assert_eq!(body["has_next_page"], false);
    assert_eq!(names(&body["data"]), ["rive-sud", "urgent", "vip"]);
    // v16 default order is creation desc.
    let (_, body) = get(&v16, "api/resource/Tag", &[("limit_page_length", "1")]).await;
    assert_eq!(names(&body["data"]), ["vip"]);
    let (_, body) = get(&v16, "api/method/frappe.utils.change_log.get_versions", &[]).await;
    assert!(
        body["message"]["frappe"]["version"]
            .as_str()
            .unwrap_or_default()
            .starts_with("16.")
    );

    let v15 = FakeFrappe::start().await.expect("start");
    let (_, body) = get(&v15, "api/v2/document/Tag", &[("limit", "5")]).await;
    assert!(body.get("has_next_page").is_none());
    assert_eq!(body["data"].as_array().map(Vec::len), Some(5));
}

#[tokio::test]
async fn insert_naming_and_validation() {
    let s = FakeFrappe::start().await.expect("start");
    let (status, body) = send(&s, reqwest::Method::POST, "api/resource/Dispatch Job", &json!({
        "customer": "Sophie Bouchard", "service_location": "SL-00004", "job_type": "Repair",
        "name": "ignored-on-v1", "equipment": [{"service_equipment": "SE-00004", "action": "Swapped"}],
    })).await;
    assert_eq!(status, StatusCode::OK);
    let doc = &body["data"];
    let creation = doc["creation"].as_str().unwrap_or_default();
    let year = &creation[..4];
    let expected = if year == "2026" {
        "DJ-2026-00009".to_owned()
    } else {
        format!("DJ-{year}-00001")
    };
    assert_eq!(doc["name"], json!(expected));
    assert_eq!(creation.len(), 26, "YYYY-MM-DD HH:MM:SS.ffffff");
    assert_eq!(doc["owner"], "Administrator");
    assert_eq!(doc["modified_by"], "Administrator");
    assert_eq!(
        (
            doc["docstatus"].clone(),
            doc["idx"].clone(),
            doc["status"].clone()
        ),
        (json!(0), json!(0), json!("Open"))
    );
    let row = &doc["equipment"][0];
    assert_eq!(row["name"].as_str().map(str::len), Some(10));
    assert_eq!(
        (
            row["parent"].clone(),
            row["parentfield"].clone(),
            row["idx"].clone()
        ),
        (doc["name"].clone(), json!("equipment"), json!(1))
    );
    assert_eq!(row["doctype"], "Dispatch Job Equipment");

    let (_, body) = send(
        &s,
        reqwest::Method::POST,
        "api/resource/Service Location",
        &json!({"customer": "Luc Côté"}),
    )
    .await;
    assert_eq!(body["data"]["name"], "SL-00010");
    let (_, body) = send(
        &s,
        reqwest::Method::POST,
        "api/v2/document/Service Location",
        &json!({"customer": "Luc Côté", "name": "SL-CUSTOM"}),
    )
    .await;
    assert_eq!(
        body["data"]["name"], "SL-CUSTOM",
        "v2 keeps a supplied name"
    );
    let (_, body) = send(
        &s,
        reqwest::Method::POST,
        "api/resource/Customer",
        &json!({"customer_name": "Coopérative Fibre Plus", "customer_type": "Company"}),
    )
    .await;
    assert_eq!(body["data"]["name"], "Coopérative Fibre Plus");
    let (_, body) = send(
        &s,
        reqwest::Method::POST,
        "api/resource/Customer",
        &json!({"customer_name": "Luc Côté"}),
    )
    .await;
    assert_eq!(body["data"]["name"], "Luc Côté - 1");
    let (_, body) = send(
        &s,
        reqwest::Method::POST,
        "api/resource/Issue",
        &json!({"subject": "Test", "customer": "Luc Côté"}),
    )
    .await;
    assert!(
        body["data"]["name"]
            .as_str()
            .unwrap_or_default()
            .starts_with("ISS-")
    );

    // Mandatory fields: 417 MandatoryError, one msgprint per field, double-encoded.
    let resp = Client::new()
        .post(url(&s, "api/resource/Dispatch Job"))
        .header("Authorization", token(&s))
        .json(&json!({"description": "no customer"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::EXPECTATION_FAILED);
    let raw = resp.text().await.unwrap();
    let body: Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(body["exc_type"], "MandatoryError");
    let outer = body["_server_messages"].as_str().unwrap();
    assert!(
        outer.starts_with("[\"{\\\"message\\\": \\\""),
        "Python json.dumps formatting: {outer}"
    );
    let msgs = server_messages(&body);
    assert_eq!(msgs.len(), 2);
    assert_eq!(
        msgs[0]["message"],
        "Error: Value missing for Dispatch Job: Customer"
    );
    assert_eq!(
        msgs[1]["message"],
        "Error: Value missing for Dispatch Job: Service Location"
    );
    let (status, body) = send(
        &s,
        reqwest::Method::POST,
        "api/v2/document/Dispatch Job",
        &json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::EXPECTATION_FAILED);
    assert_eq!(body["errors"][0]["type"], "MandatoryError");
    assert_eq!(body["messages"].as_array().map(Vec::len), Some(2));

    let (status, body) = send(
        &s,
        reqwest::Method::POST,
        "api/resource/Tag",
        &json!({"tag_name": "urgent"}),
    )
    .await;
    assert_eq!(
        (status, body["exc_type"].clone()),
        (StatusCode::CONFLICT, json!("DuplicateEntryError"))
    );
    let (status, body) = send(
        &s,
        reqwest::Method::POST,
        "api/resource/Service Location",
        &json!({"customer": "Nobody"}),
    )
    .await;
    assert_eq!(
        (status, body["exc_type"].clone()),
        (StatusCode::EXPECTATION_FAILED, json!("LinkValidationError"))
    );
    let (status, body) = send(
        &s,
        reqwest::Method::POST,
        "api/resource/Service Equipment",
        &json!({"service_location": "SL-00001", "serial_number": "22C5A1000101"}),
    )
    .await;
    assert_eq!(
        (status, body["exc_type"].clone()),
        (
            StatusCode::EXPECTATION_FAILED,
            json!("UniqueValidationError")
        )
    );
    let resp = Client::new()
        .post(url(&s, "api/resource/Tag"))
        .header("Authorization", token(&s))
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::EXPECTATION_FAILED);

    // Names with '/' and spaces arrive percent-encoded.
    s.insert(
        "Tag",
        json!({"name": "zone 3/nord", "tag_name": "zone 3/nord"}),
    );
    let (status, body) = get(&s, "api/resource/Tag/zone%203%2Fnord", &[]).await;
    assert_eq!(
        (status, body["data"]["name"].clone()),
        (StatusCode::OK, json!("zone 3/nord"))
    );
}

#[tokio::test]
async fn updates_child_tables_timestamps_and_notices() {
    let s = FakeFrappe::start().await.expect("start");
    let (_, before) = get(&s, "api/resource/Dispatch Job/DJ-2026-00001", &[]).await;
    let before = &before["data"];
    let kept = before["equipment"][0]["name"].clone();
    let (status, body) = send(&s, reqwest::Method::PUT, "api/resource/Dispatch Job/DJ-2026-00001", &json!({
        "resolution_notes": "Re-vérifié", "modified": before["modified"],
        "equipment": [{"name": kept, "service_equipment": "SE-00001", "action": "Installed", "notes": "ok"},
                      {"service_equipment": "SE-00008", "action": "Installed"}],
    })).await;
    assert_eq!(status, StatusCode::OK);
    let after = &body["data"];
    assert_eq!(after["resolution_notes"], "Re-vérifié");
    assert_eq!(
        after["customer"], before["customer"],
        "partial update keeps other fields"
    );
    assert!(after["modified"].as_str() > before["modified"].as_str());
    let rows = after["equipment"].as_array().cloned().unwrap_or_default();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["name"], kept);
    assert_eq!(rows[0]["notes"], "ok");
    assert_ne!(
        rows[1]["name"], before["equipment"][1]["name"],
        "omitted rows are deleted, new rows get new names"
    );
    assert_eq!(rows[1]["idx"], 2);

    // Stale modified → TimestampMismatchError.
    let (status, body) = send(
        &s,
        reqwest::Method::PUT,
        "api/resource/Dispatch Job/DJ-2026-00001",
        &json!({"status": "Open", "modified": before["modified"]}),
    )
    .await;
    assert_eq!(
        (status, body["exc_type"].clone()),
        (
            StatusCode::EXPECTATION_FAILED,
            json!("TimestampMismatchError")
        )
    );
    assert!(
        server_messages(&body)[0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("Document has been modified after you have opened it")
    );

    // v2 PATCH.
    let (status, body) = send(
        &s,
        reqwest::Method::PATCH,
        "api/v2/document/Dispatch Job/DJ-2026-00003",
        &json!({"status": "En Route"}),
    )
    .await;
    assert_eq!(
        (status, body["data"]["status"].clone()),
        (StatusCode::OK, json!("En Route"))
    );

    // set_value: POST only; completing a job adds a notice to the success response.
    let (status, body) = get(
        &s,
        "api/method/frappe.client.set_value",
        &[
            ("doctype", "Dispatch Job"),
            ("name", "DJ-2026-00003"),
            ("fieldname", "status"),
            ("value", "Completed"),
        ],
    )
    .await;
    assert_eq!(
        (status, body["exc_type"].clone()),
        (StatusCode::FORBIDDEN, json!("PermissionError"))
    );
    let resp = Client::new()
        .post(url(&s, "api/method/frappe.client.set_value"))
        .header("Authorization", token(&s))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("doctype", "Dispatch Job"),
            ("name", "DJ-2026-00003"),
            (
                "fieldname",
                r#"{"status": "Completed", "resolution_notes": "Connecteur remplacé"}"#,
            ),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["message"]["status"], "Completed");
    assert!(body["message"]["completed_at"].is_string());
    let notices = server_messages(&body);
    assert_eq!(
        notices[0]["message"],
        "Dispatch Job DJ-2026-00003 completed"
    );
    assert!(notices[0].get("raise_exception").is_none());

    // Submit / update after submit / cancel.
    let (_, draft) = get(&s, "api/resource/Sales Invoice/ACC-SINV-2026-00003", &[]).await;
    let (status, body) = send(
        &s,
        reqwest::Method::POST,
        "api/method/frappe.client.submit",
        &json!({"doc": draft["data"]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (
            body["message"]["docstatus"].clone(),
            body["message"]["status"].clone()
        ),
        (json!(1), json!("Unpaid"))
    );
    let (status, body) = send(
        &s,
        reqwest::Method::PUT,
        "api/resource/Sales Invoice/ACC-SINV-2026-00003",
        &json!({"grand_total": 1.0}),
    )
    .await;
    assert_eq!(
        (status, body["exc_type"].clone()),
        (
            StatusCode::EXPECTATION_FAILED,
            json!("UpdateAfterSubmitError")
        )
    );
    let (status, body) = send(
        &s,
        reqwest::Method::POST,
        "api/method/frappe.client.cancel",
        &json!({"doctype": "Sales Invoice", "name": "ACC-SINV-2026-00003"}),
    )
    .await;
    assert_eq!(
        (status, body["message"]["docstatus"].clone()),
        (StatusCode::OK, json!(2))
    );
    let (status, body) = send(
        &s,
        reqwest::Method::POST,
        "api/method/frappe.client.cancel",
        &json!({"doctype": "Sales Invoice", "name": "ACC-SINV-2026-00003"}),
    )
    .await;
    assert_eq!(
        (status, body["exc_type"].clone()),
        (
            StatusCode::EXPECTATION_FAILED,
            json!("DocstatusTransitionError")
        )
    );
    // Cancelling a paid invoice unlinks the payment (ERPNext's default), it is not blocked.
    let (status, body) = send(
        &s,
        reqwest::Method::POST,
        "api/method/frappe.client.cancel",
        &json!({"doctype": "Sales Invoice", "name": "ACC-SINV-2026-00001"}),
    )
    .await;
    assert_eq!(
        (status, body["message"]["status"].clone()),
        (StatusCode::OK, json!("Cancelled"))
    );
    assert_eq!(
        s.get("Payment Entry", "ACC-PAY-2026-00001")
            .map(|p| p["references"].clone()),
        Some(json!([]))
    );
    // Deleting a linked customer is refused.
    let (status, body) = send(
        &s,
        reqwest::Method::DELETE,
        "api/resource/Customer/Sophie Bouchard",
        &Value::Null,
    )
    .await;
    assert_eq!(
        (status, body["exc_type"].clone()),
        (StatusCode::EXPECTATION_FAILED, json!("LinkExistsError"))
    );
    let (status, body) = send(
        &s,
        reqwest::Method::POST,
        "api/method/frappe.client.submit",
        &json!({"doc": {"doctype": "Tag", "name": "vip"}}),
    )
    .await;
    assert_eq!(
        (status, body["exc_type"].clone()),
        (StatusCode::EXPECTATION_FAILED, json!("ValidationError"))
    );

    // rename_doc moves links.
    let (status, body) = send(
        &s,
        reqwest::Method::POST,
        "api/method/frappe.client.rename_doc",
        &json!({"doctype": "Technician", "old_name": "TECH-004", "new_name": "TECH-099"}),
    )
    .await;
    assert_eq!(
        (status, body["message"].clone()),
        (StatusCode::OK, json!("TECH-099"))
    );
    let (status, _) = send(
        &s,
        reqwest::Method::POST,
        "api/method/frappe.client.rename_doc",
        &json!({"doctype": "Technician", "old_name": "TECH-001", "new_name": "TECH-002"}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn delete_and_insert_many() {
    let s = FakeFrappe::start().await.expect("start");
    let (_, body) = send(
        &s,
        reqwest::Method::POST,
        "api/resource/Customer",
        &json!({"customer_name": "À supprimer"}),
    )
    .await;
    let name = body["data"]["name"].as_str().unwrap_or_default().to_owned();
    let resp = Client::new()
        .delete(url(&s, &format!("api/resource/Customer/{name}")))
        .header("Authorization", token(&s))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    assert_eq!(resp.json::<Value>().await.unwrap(), json!({"data": "ok"}));
    assert!(s.get("Customer", &name).is_none());
    let (status, _) = send(
        &s,
        reqwest::Method::DELETE,
        &format!("api/resource/Customer/{name}"),
        &Value::Null,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = send(
        &s,
        reqwest::Method::DELETE,
        "api/resource/Customer/Luc Côté",
        &Value::Null,
    )
    .await;
    assert_eq!(
        (status, body["exc_type"].clone()),
        (StatusCode::EXPECTATION_FAILED, json!("LinkExistsError"))
    );
    let (status, body) = send(
        &s,
        reqwest::Method::DELETE,
        "api/v2/document/Tag/vip",
        &Value::Null,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::EXPECTATION_FAILED,
        "vip is used by a dispatch job"
    );
    assert_eq!(body["errors"][0]["type"], "LinkExistsError");

    // insert_many: all or nothing, names back, max 200.
    let docs = json!([{"doctype": "Tag", "tag_name": "batch-a"}, {"doctype": "Tag", "tag_name": "batch-b"}, {"doctype": "Tag", "tag_name": "batch-a"}]);
    let (status, body) = send(
        &s,
        reqwest::Method::POST,
        "api/method/frappe.client.insert_many",
        &json!({"docs": docs}),
    )
    .await;
    assert_eq!(
        (status, body["exc_type"].clone()),
        (StatusCode::CONFLICT, json!("DuplicateEntryError"))
    );
    assert!(
        s.get("Tag", "batch-a").is_none(),
        "the batch was rolled back"
    );
    let resp = Client::new()
        .post(url(&s, "api/method/frappe.client.insert_many"))
        .header("Authorization", token(&s))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(form(&[("docs", r#"[{"doctype": "Tag", "tag_name": "batch-a"}, {"doctype": "Service Location", "customer": "Luc Côté"}]"#)]))
        .send()
        .await
        .unwrap();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["message"], json!(["batch-a", "SL-00010"]));
    let many: Vec<Value> = (0..201)
        .map(|i| json!({"doctype": "Tag", "tag_name": format!("t{i}")}))
        .collect();
    let (status, _) = send(
        &s,
        reqwest::Method::POST,
        "api/method/frappe.client.insert_many",
        &json!({"docs": many}),
    )
    .await;
    assert_eq!(status, StatusCode::EXPECTATION_FAILED);
    let (status, _) = get(
        &s,
        "api/method/frappe.client.insert_many",
        &[("docs", "[]")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "mutating methods refuse GET");
    let (status, body) = send(
        &s,
        reqwest::Method::POST,
        "api/method/frappe.client.delete",
        &json!({"doctype": "Tag", "name": "batch-a"}),
    )
    .await;
    assert_eq!((status, body), (StatusCode::OK, json!({})));
}

#[tokio::test]
async fn injected_faults() {
    let s = FakeFrappe::start().await.expect("start");
    s.inject(
        Fault::status(429)
            .retry_after(1)
            .only_path("/api/resource/Customer"),
    );
    s.inject(Fault::status(503).times(2));
    s.inject(Fault::status(502));
    s.inject(Fault::status(417).frappe_error("ValidationError", "Nope"));
    s.inject(Fault::delay(Duration::from_millis(300)));

    let client = Client::new();
    // The 429 is reserved for Customer paths: this ping takes the 503 instead.
    let resp = client.get(url(&s, "api/method/ping")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["exc_type"], "SessionStopped");
    let resp = client
        .get(url(&s, "api/resource/Customer"))
        .header("Authorization", token(&s))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        resp.headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("1")
    );
    // JSON on `/api` routes (TooManyRequestsError), not the plain text of older servers.
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["exc_type"], "TooManyRequestsError");
    assert_eq!(
        client
            .get(url(&s, "api/method/ping"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    let resp = client.get(url(&s, "api/method/ping")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_GATEWAY);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("<h1>502 Bad Gateway</h1>")
    );
    let resp = client
        .get(url(&s, "api/v2/method/ping"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::EXPECTATION_FAILED);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["errors"][0]["message"], "Nope");
    let t0 = Instant::now();
    let resp = client.get(url(&s, "api/method/ping")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(t0.elapsed() >= Duration::from_millis(300));
    assert_eq!(
        client
            .get(url(&s, "api/method/ping"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn upload_and_download() {
    let s = FakeFrappe::start().await.expect("start");
    let client = Client::new();
    let part = reqwest::multipart::Part::bytes(b"hello".to_vec()).file_name("photo ONT.txt");
    let form_data = reqwest::multipart::Form::new()
        .text("is_private", "0")
        .text("doctype", "Dispatch Job")
        .text("docname", "DJ-2026-00001")
        .part("file", part);
    let resp = client
        .post(url(&s, "api/method/upload_file"))
        .header("Authorization", token(&s))
        .multipart(form_data)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.unwrap();
    let file = &body["message"];
    assert_eq!(file["file_url"], "/files/photo ONT.txt");
    assert_eq!(file["is_private"], 0);
    assert_eq!(file["file_size"], 5);
    assert_eq!(file["content_hash"], "5d41402abc4b2a76b9719d911017c592");
    assert_eq!(
        (
            file["attached_to_doctype"].clone(),
            file["attached_to_name"].clone()
        ),
        (json!("Dispatch Job"), json!("DJ-2026-00001"))
    );
    assert_eq!(file["doctype"], "File");
    let resp = client
        .get(url(&s, "files/photo%20ONT.txt"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.bytes().await.unwrap().as_ref(), b"hello");

    let part = reqwest::multipart::Part::bytes(vec![0u8, 1, 2, 255]).file_name("contrat.pdf");
    let resp = client
        .post(url(&s, "api/method/upload_file"))
        .header("Authorization", token(&s))
        .multipart(
            reqwest::multipart::Form::new()
                .text("is_private", "1")
                .part("file", part),
        )
        .send()
        .await
        .unwrap();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["message"]["file_url"], "/private/files/contrat.pdf");
    let resp = client
        .get(url(&s, "private/files/contrat.pdf"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let resp = client
        .get(url(&s, "private/files/contrat.pdf"))
        .header("Authorization", token(&s))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        resp.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/pdf")
    );
    assert_eq!(resp.bytes().await.unwrap().as_ref(), &[0u8, 1, 2, 255]);

    // Guests may not upload; a missing file is a 404 page.
    let part = reqwest::multipart::Part::bytes(b"x".to_vec()).file_name("x.txt");
    let resp = client
        .post(url(&s, "api/method/upload_file"))
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        client
            .get(url(&s, "files/nope.txt"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn custom_methods_and_rate_limit_headers() {
    let s = FakeFrappe::builder()
        .empty()
        .credentials("k", "s")
        .rate_limit_headers(true)
        .method("gigafibre.api.echo", Ok)
        .method("gigafibre.api.fail", |_| {
            Err(FrappeError::validation("OLT injoignable"))
        })
        .method("gigafibre.api.nothing", |_| Ok(Value::Null))
        .start()
        .await
        .expect("start");
    assert_eq!(token(&s), "token k:s");
    let (status, body) = get(
        &s,
        "api/method/gigafibre.api.echo",
        &[("olt", "OLT-LGL-01")],
    )
    .await;
    assert_eq!(
        (status, body),
        (StatusCode::OK, json!({"message": {"olt": "OLT-LGL-01"}}))
    );
    let (_, body) = send(
        &s,
        reqwest::Method::POST,
        "api/v2/method/gigafibre.api.echo",
        &json!({"port": [0, 1, 3]}),
    )
    .await;
    assert_eq!(body, json!({"data": {"port": [0, 1, 3]}}));
    let (status, body) = get(&s, "api/method/gigafibre.api.fail", &[]).await;
    assert_eq!(status, StatusCode::EXPECTATION_FAILED);
    assert_eq!(server_messages(&body)[0]["message"], "OLT injoignable");
    let (_, body) = get(&s, "api/method/gigafibre.api.nothing", &[]).await;
    assert_eq!(body, json!({}));
    let resp = Client::new()
        .get(url(&s, "api/method/gigafibre.api.echo"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::FORBIDDEN,
        "custom methods are not guest methods"
    );
    for h in [
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
        "x-ratelimit-used",
    ] {
        let v = resp
            .headers()
            .get(h)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert!(v.parse::<u64>().is_ok(), "{h}: {v:?}");
    }
    // Empty seed: known doctypes exist and are empty.
    let (status, body) = get(&s, "api/resource/Customer", &[]).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"data": []})));
}

#[tokio::test]
async fn generated_doctype_paging() {
    let s = FakeFrappe::builder()
        .empty()
        .generated("Bench Item", 50_000)
        .start()
        .await
        .expect("start");
    let client = Client::new();
    let started = Instant::now();
    let mut total = 0usize;
    let mut last: Option<String> = None;
    for page in 0..100 {
        let start = (page * 500).to_string();
        let body: Value = client
            .get(url(&s, "api/resource/Bench Item"))
            .header("Authorization", token(&s))
            .query(&[
                ("fields", r#"["*"]"#),
                ("order_by", "creation asc, name asc"),
                ("limit_start", &start),
                ("limit_page_length", "500"),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let rows = body["data"].as_array().cloned().unwrap_or_default();
        assert_eq!(rows.len(), 500);
        for r in &rows {
            let name = r["name"].as_str().unwrap_or_default().to_owned();
            assert!(last.as_deref() < Some(name.as_str()), "strictly increasing");
            last = Some(name);
        }
        total += rows.len();
    }
    let elapsed = started.elapsed();
    println!("100 pages x 500 generated rows: {elapsed:?}");
    assert_eq!(total, 50_000);
    assert_eq!(last.as_deref(), Some("BENCH-00050000"));
    assert!(elapsed < Duration::from_secs(60));

    // Keyset paging and counts.
    let (_, body) = get(
        &s,
        "api/resource/Bench Item",
        &[
            (
                "filters",
                r#"[["creation",">","2026-01-01 13:53:20.000000"]]"#,
            ),
            ("order_by", "creation asc"),
            ("limit_page_length", "2"),
        ],
    )
    .await;
    assert_eq!(
        body["data"].as_array().map(Vec::len),
        Some(0),
        "creation of row 50000 is 13:53:20"
    );
    let (_, body) = get(
        &s,
        "api/resource/Bench Item",
        &[
            ("filters", r#"[["creation",">","2026-01-01 13:00:00"]]"#),
            ("order_by", "creation asc"),
            ("limit_page_length", "2"),
        ],
    )
    .await;
    assert_eq!(names(&body["data"]), ["BENCH-00046801", "BENCH-00046802"]);
    let (_, body) = get(
        &s,
        "api/method/frappe.client.get_count",
        &[
            ("doctype", "Bench Item"),
            ("filters", r#"[["name",">=","BENCH-00049001"]]"#),
        ],
    )
    .await;
    assert_eq!(body["message"], 1000);
    let (_, body) = get(&s, "api/resource/Bench Item/BENCH-00000042", &[]).await;
    assert_eq!(body["data"]["qty"], 42);
    let (status, _) = send(
        &s,
        reqwest::Method::POST,
        "api/resource/Bench Item",
        &json!({"item_name": "x"}),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::EXPECTATION_FAILED,
        "generated doctypes are read-only"
    );
}

#[test]
fn handles_are_shareable() {
    fn check<T: Send + Sync + Clone + std::fmt::Debug + 'static>() {}
    check::<FakeFrappe>();
    check::<Fault>();
    check::<FrappeError>();
    check::<frappe_client::testkit::RecordedRequest>();
}

#[tokio::test]
async fn shutdown_stops_the_server() {
    let s = FakeFrappe::start().await.expect("start");
    let target = url(&s, "api/method/ping");
    let client = Client::builder().pool_max_idle_per_host(0).build().unwrap();
    assert!(client.get(target.clone()).send().await.is_ok());
    s.shutdown();
    let mut refused = false;
    for _ in 0..50 {
        if client.get(target.clone()).send().await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(refused, "the server should stop accepting connections");
}

#[tokio::test]
async fn answers_like_the_captured_frappe_15_server() {
    let s = FakeFrappe::start().await.expect("start");
    let http = Client::new();

    // A token-authenticated answer still sets the Guest cookies.
    let resp = http
        .get(url(&s, "api/method/frappe.auth.get_logged_user"))
        .header("Authorization", token(&s))
        .send()
        .await
        .unwrap();
    assert_eq!(
        set_cookies(&resp),
        captured_cookies("v1-token-guest-cookies")
    );

    // A Single: `idx` is the string "0", v1 and v2, and there is no `creation`.
    for (route, sample) in [
        ("api/resource/System Settings/System Settings", "single-get"),
        (
            "api/v2/document/System Settings/System Settings",
            "v2-single-get",
        ),
    ] {
        let (status, body) = get(&s, route, &[]).await;
        assert_eq!(status, StatusCode::OK);
        let real = resource(&format!("real-15.86/{sample}.json"));
        assert_eq!(body["data"]["idx"], json!("0"));
        assert_eq!(body["data"], real["data"], "{route}");
    }
    let (status, body) = send(
        &s,
        reqwest::Method::PUT,
        "api/resource/System Settings/System Settings",
        &json!({"enable_scheduler": 1}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["idx"], json!("0"));
    assert_eq!(body["data"]["enable_scheduler"], 1);
    assert!(body["data"].get("creation").is_none());

    // An unknown doctype: 404 on the list route, 500 ImportError on the document route; the v2
    // error has only `type` and `exception`.
    let (status, body) = get(&s, "api/resource/NoSuchDoctype", &[]).await;
    let real = resource("real-15.86/v1-unknown-doctype-list.json");
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        server_messages(&body)[0]["message"],
        server_messages(&real)[0]["message"]
    );
    let (status, body) = get(&s, "api/resource/NoSuchDoctype/X", &[]).await;
    let real = resource("real-15.86/v1-unknown-doctype-doc.json");
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body["exc_type"], real["exc_type"]);
    assert_eq!(body["exception"], real["exception"]);
    assert!(body["exc"].is_string());
    let (status, body) = get(&s, "api/v2/document/NoSuchDoctype/X", &[]).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    let real = resource("real-15.86/v2-unknown-doctype-doc.json");
    let keys = |v: &Value| {
        let mut k: Vec<String> = v["errors"][0]
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default();
        k.sort();
        k
    };
    assert_eq!(keys(&body), keys(&real));
    assert_eq!(body["errors"][0]["type"], "ImportError");
    assert!(
        body["errors"][0]["exception"]
            .as_str()
            .unwrap_or_default()
            .ends_with("Error: No module named 'frappe.core.doctype.nosuchdoctype'\n")
    );

    // An expired session: 403 with `session_expired: 1`, the Guest cookies, then lines that
    // expire every session cookie — exactly the captured sequence.
    let login = http
        .post(url(&s, "api/method/login"))
        .form(&[("usr", s.username()), ("pwd", s.password())])
        .send()
        .await
        .unwrap();
    let sid = login
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("sid="))
        .and_then(|v| v.split(';').next())
        .unwrap()
        .to_owned();
    let live = http
        .get(url(&s, "api/resource/ToDo"))
        .header("Cookie", format!("sid={sid}"))
        .send()
        .await
        .unwrap();
    assert_eq!(live.status(), StatusCode::OK);
    assert!(
        set_cookies(&live).is_empty(),
        "a live session gets no cookies"
    );
    s.expire_sessions();
    let expired = http
        .get(url(&s, "api/resource/ToDo"))
        .header("Cookie", format!("sid={sid}"))
        .send()
        .await
        .unwrap();
    assert_eq!(expired.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        set_cookies(&expired),
        captured_cookies("session-expired-403")
    );
    let body: Value = expired.json().await.unwrap();
    let real = resource("real-15.86/session-expired-403.json");
    assert_eq!(body["session_expired"], real["session_expired"]);
    assert_eq!(body["exc_type"], real["exc_type"]);
    assert_eq!(
        server_messages(&body)[0]["message"],
        server_messages(&real)[0]["message"]
    );
    let probe = http
        .get(url(&s, "api/method/frappe.auth.get_logged_user"))
        .header("Cookie", format!("sid={sid}"))
        .send()
        .await
        .unwrap();
    assert_eq!(probe.status(), StatusCode::FORBIDDEN);
    let body: Value = probe.json().await.unwrap();
    assert_eq!(body["session_expired"], 1);
}
