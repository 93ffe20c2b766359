//! The client against answers captured from a real Frappe 15.86 + ERPNext 15.84 server
//! (`tests/resources/real-15.86/`, see its SOURCE.txt): each test names the fact it holds.

use std::time::Duration;

use frappe_client::{Client, DocPatch, Error, Untyped};
use serde_json::json;
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

mod common;
use common::{
    CookieHas, captured, captured_body, catch_all, fast_retry, login_ok, received, setup,
};

fn versions_body() -> serde_json::Value {
    // The shape of `frappe.utils.change_log.get_versions` (title, description, branch, version
    // per installed app).
    json!({"message": {
        "frappe": {"title": "Frappe Framework", "description": "Full stack web framework",
                   "branch": "version-15", "version": "15.86.0"},
        "erpnext": {"title": "ERPNext", "description": "ERP made simple",
                    "branch": "version-15", "version": "15.84.0"}
    }})
}

#[tokio::test]
async fn server_version_reads_the_installed_apps_and_never_the_removed_route() {
    let (server, client) = setup().await;
    Mock::given(path("/api/method/frappe.utils.change_log.get_versions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(versions_body()))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/api/method/version"))
        .respond_with(captured("version-removed"))
        .expect(0)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let v = client.server_version().await.unwrap();
    assert_eq!((v.major, v.minor, v.patch), (15, 86, 0));
    assert_eq!(v.raw, "15.86.0");
}

#[tokio::test]
async fn server_version_falls_back_to_the_old_route_on_older_servers() {
    let (server, client) = setup().await;
    // A server without the method (or refusing it): the old route answers.
    Mock::given(path("/api/method/frappe.utils.change_log.get_versions"))
        .respond_with(
            ResponseTemplate::new(404).set_body_json(json!({"exc_type": "DoesNotExistError"})),
        )
        .mount(&server)
        .await;
    Mock::given(path("/api/method/version"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"message": "14.82.1"})))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let v = client.server_version().await.unwrap();
    assert_eq!((v.major, v.minor, v.patch), (14, 82, 1));
}

#[tokio::test]
async fn the_removed_version_route_is_a_validation_error_with_its_message() {
    let (server, client) = setup().await;
    Mock::given(path("/api/method/version"))
        .respond_with(captured("version-removed"))
        .mount(&server)
        .await;
    let err = client.method("version").get::<String>().await.unwrap_err();
    assert!(err.is_validation(), "{err}");
    insta::assert_snapshot!(err.to_string());
}

#[tokio::test]
async fn when_both_version_routes_fail_the_first_error_is_reported() {
    let (server, client) = setup().await;
    Mock::given(path("/api/method/frappe.utils.change_log.get_versions"))
        .respond_with(captured("session-expired-get-logged-user"))
        .mount(&server)
        .await;
    Mock::given(path("/api/method/version"))
        .respond_with(captured("version-removed"))
        .mount(&server)
        .await;
    let err = client.server_version().await.unwrap_err();
    assert!(err.is_permission(), "{err}");
}

#[tokio::test]
async fn a_single_doctype_with_a_string_idx_decodes_in_v1_and_v2() {
    for (version, name, route) in [
        (
            frappe_client::ApiVersion::V1,
            "single-get",
            "/api/resource/System%20Settings/System%20Settings",
        ),
        (
            frappe_client::ApiVersion::V2,
            "v2-single-get",
            "/api/v2/document/System%20Settings/System%20Settings",
        ),
    ] {
        let server = MockServer::start().await;
        let client = common::builder(&server)
            .api_version(version)
            .build()
            .unwrap();
        Mock::given(method("GET"))
            .and(path(route))
            .respond_with(captured(name))
            .mount(&server)
            .await;
        catch_all(&server).await;
        let doc = client
            .doctype("System Settings")
            .get("System Settings")
            .await
            .unwrap();
        assert_eq!(doc.idx, Some(0), "{name}");
        assert_eq!(doc.name.as_str(), "System Settings");
        assert_eq!(doc.extra["minimum_password_score"], "2");
    }
}

/// A model of some System Settings: Int settings that a Single sends as text.
#[derive(Debug, serde::Deserialize, serde::Serialize)]
struct SystemSettings {
    #[serde(default, with = "frappe_client::fields::int")]
    minimum_password_score: Option<i64>,
    #[serde(default, with = "frappe_client::fields::int")]
    currency_precision: Option<i64>,
    #[serde(default, with = "frappe_client::fields::int")]
    allow_consecutive_login_attempts: Option<i64>,
    #[serde(default, with = "frappe_client::fields::float")]
    float_precision: Option<f64>,
}

#[tokio::test]
async fn update_and_set_value_on_a_single_decode_its_answer() {
    let (server, client) = setup().await;
    let doc = captured_body("single-get");
    Mock::given(method("PUT"))
        .and(path("/api/resource/System%20Settings/System%20Settings"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&doc))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/method/frappe.client.set_value"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"message": doc["data"]})))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let settings = client.doctype("System Settings").typed::<SystemSettings>();
    let updated = settings
        .update(
            "System Settings",
            &DocPatch::new().set("enable_scheduler", 0),
        )
        .await
        .unwrap();
    assert_eq!(updated.idx, Some(0));
    assert_eq!(updated.fields.minimum_password_score, Some(2));
    assert_eq!(updated.fields.currency_precision, None, "\"\" is no value");
    assert_eq!(updated.fields.allow_consecutive_login_attempts, Some(10));
    assert_eq!(updated.fields.float_precision, Some(3.0));
    let set = settings
        .set_value("System Settings", &json!({"enable_scheduler": 0}))
        .await
        .unwrap();
    assert_eq!(set.value.idx, Some(0));
}

#[tokio::test]
async fn a_decode_failure_after_a_committed_write_says_the_write_was_applied() {
    let (server, client) = setup().await;
    // The write succeeded (200) but the answer is not the document shape asked for.
    Mock::given(method("PUT"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": {"name": "X", "docstatus": "draft"}})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": {"name": "X", "docstatus": "draft"}})),
        )
        .mount(&server)
        .await;
    let err = client
        .doctype("ToDo")
        .update("X", &DocPatch::new().set("status", "Closed"))
        .await
        .unwrap_err();
    assert!(err.is_write_applied(), "{err}");
    assert!(err.to_string().contains("WAS applied"), "{err}");
    let read = client.doctype("ToDo").get("X").await.unwrap_err();
    assert!(
        matches!(
            read,
            Error::Decode {
                write_applied: false,
                ..
            }
        ),
        "{read}"
    );
    assert!(!read.is_write_applied());
    assert!(!read.to_string().contains("applied"), "{read}");
}

#[tokio::test]
async fn set_value_on_a_child_row_refuses_the_parent_and_set_child_value_types_it() {
    let (server, client) = setup().await;
    let parent = json!({"message": {
        "name": "Marie Tremblay-CUST-0001", "doctype": "Contact", "docstatus": 0, "idx": 0,
        "modified": "2026-12-02 01:19:33.389900",
        "phone_nos": [{"name": "a1b2c3d4e5", "phone": "+15145550123", "is_primary_mobile_no": 1,
                       "parent": "Marie Tremblay-CUST-0001", "parentfield": "phone_nos",
                       "parenttype": "Contact", "idx": 1, "doctype": "Contact Phone"}]
    }});
    Mock::given(method("POST"))
        .and(path("/api/method/frappe.client.set_value"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&parent))
        .expect(2)
        .mount(&server)
        .await;
    let phones = client.doctype("Contact Phone");
    let values = json!({"is_primary_mobile_no": 1});
    let err = phones.set_value("a1b2c3d4e5", &values).await.unwrap_err();
    assert!(err.is_write_applied(), "{err}");
    assert!(err.to_string().contains("WAS applied"), "{err}");
    let err_source = std::error::Error::source(&err)
        .map(ToString::to_string)
        .unwrap_or_default();
    assert!(err_source.contains("set_child_value"), "{err_source}");
    let contact = phones
        .set_child_value::<Untyped>("a1b2c3d4e5", &values)
        .await
        .unwrap()
        .value;
    assert_eq!(contact.name.as_str(), "Marie Tremblay-CUST-0001");
    assert_eq!(contact.extra["doctype"], "Contact");
}

#[tokio::test]
async fn the_v2_import_error_of_an_unknown_doctype_has_a_message() {
    let (server, _) = setup().await;
    let client = common::builder(&server)
        .api_version(frappe_client::ApiVersion::V2)
        .build()
        .unwrap();
    Mock::given(path_regex("^/api/v2/document/NoSuchDoctype/.+"))
        .respond_with(captured("v2-unknown-doctype-doc"))
        .mount(&server)
        .await;
    let err = client.doctype("NoSuchDoctype").get("X").await.unwrap_err();
    let text = err.to_string();
    assert!(!text.trim_end().ends_with(':'), "{text}");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(500));
    // Reported faithfully: a 500 ImportError, not a not-found.
    assert!(!err.is_not_found());
    let api = err.api().unwrap();
    assert_eq!(
        api.exc_type.as_ref().map(|e| e.as_str()),
        Some("ImportError")
    );
    insta::assert_snapshot!(text);
}

#[tokio::test]
async fn the_v1_unknown_doctype_is_not_found_on_the_list_route_and_500_on_the_document_route() {
    let (server, client) = setup().await;
    Mock::given(path("/api/resource/NoSuchDoctype"))
        .respond_with(captured("v1-unknown-doctype-list"))
        .mount(&server)
        .await;
    Mock::given(path("/api/resource/NoSuchDoctype/X"))
        .respond_with(captured("v1-unknown-doctype-doc"))
        .mount(&server)
        .await;
    let list = client
        .doctype("NoSuchDoctype")
        .list()
        .page()
        .await
        .unwrap_err();
    assert!(list.is_not_found(), "{list}");
    let doc = client.doctype("NoSuchDoctype").get("X").await.unwrap_err();
    assert!(!doc.is_not_found(), "{doc}");
    insta::assert_snapshot!(format!("list: {list}\ndocument: {doc}"));
}

#[tokio::test]
async fn the_real_error_answers_decode_to_the_right_kinds() {
    let (server, client) = setup().await;
    Mock::given(path("/api/resource/ToDo"))
        .respond_with(captured("v1-unknown-field"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/api/resource/ToDo"))
        .respond_with(captured("v1-bad-filters-json"))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .respond_with(captured("timestamp-mismatch"))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .respond_with(captured("v1-delete-202"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .respond_with(captured("v1-delete-again-404"))
        .mount(&server)
        .await;
    let todo = client.doctype("ToDo");
    let unknown = todo
        .list()
        .fields(["doesnotexist"])
        .page()
        .await
        .unwrap_err();
    assert!(unknown.is_validation(), "{unknown}");
    let bad_json = todo.list().page().await.unwrap_err();
    assert_eq!(bad_json.status().map(|s| s.as_u16()), Some(500));
    let stale = todo
        .update("T1", &DocPatch::new().set("status", "Closed"))
        .await
        .unwrap_err();
    assert!(stale.is_conflict(), "{stale}");
    todo.delete("T1").await.unwrap();
    let again = todo.delete("T1").await.unwrap_err();
    assert!(again.is_not_found(), "{again}");
    insta::assert_snapshot!(format!(
        "unknown field: {unknown}\nbad filters JSON: {bad_json}\nstale modified: {stale}\ndeleted twice: {again}"
    ));
}

#[tokio::test]
async fn a_429_from_the_limiter_is_json_and_retried() {
    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "0")
                .set_body_json(json!({"exc_type": "TooManyRequestsError"})),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {"name": "T1"}})))
        .mount(&server)
        .await;
    client.doctype("ToDo").get("T1").await.unwrap();
    assert_eq!(received(&server).await.len(), 2);
    let no_retry = Client::builder(server.uri())
        .token("k", "s")
        .retry(frappe_client::RetryConfig::disabled())
        .build()
        .unwrap();
    server.reset().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(429).set_body_json(json!({"exc_type": "TooManyRequestsError"})),
        )
        .mount(&server)
        .await;
    let err = no_retry.doctype("ToDo").get("T1").await.unwrap_err();
    assert!(err.is_retryable());
    assert_eq!(
        err.to_string(),
        "frappe answered 429 TooManyRequestsError Too Many Requests"
    );
}

#[tokio::test]
async fn token_answers_that_set_guest_cookies_never_make_the_client_send_cookies() {
    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .respond_with(captured("v1-token-guest-cookies"))
        .mount(&server)
        .await;
    for _ in 0..2 {
        let _ = client
            .method("frappe.auth.get_logged_user")
            .get::<String>()
            .await;
    }
    for r in received(&server).await {
        assert!(r.headers.iter().all(|(k, _)| k != "cookie"), "{r:?}");
    }
}

async fn session_server() -> (MockServer, Client) {
    let server = MockServer::start().await;
    let client = Client::builder(server.uri())
        .password("Administrator", "admin-pw")
        .retry(fast_retry())
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    Mock::given(method("POST"))
        .and(path("/api/method/login"))
        .respond_with(login_ok("sid-one"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/method/login"))
        .respond_with(login_ok("sid-two"))
        .mount(&server)
        .await;
    (server, client)
}

#[tokio::test]
async fn session_expired_in_the_403_body_renews_the_session_without_a_probe() {
    let (server, client) = session_server().await;
    Mock::given(CookieHas("sid=sid-one"))
        .respond_with(captured("session-expired-403"))
        .mount(&server)
        .await;
    Mock::given(CookieHas("sid=sid-two"))
        .and(path("/api/resource/ToDo"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": []})))
        .mount(&server)
        .await;
    catch_all(&server).await;
    client.doctype("ToDo").list().page().await.unwrap();
    let seq: Vec<String> = received(&server)
        .await
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        seq,
        [
            "POST /api/method/login",
            "GET /api/resource/ToDo",
            "POST /api/method/login",
            "GET /api/resource/ToDo"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_expired_answer_cannot_wipe_the_session_a_newer_login_opened() {
    let server = MockServer::start().await;
    let client = Client::builder(server.uri())
        .password("Administrator", "admin-pw")
        .retry(fast_retry())
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    // Log in first (sid-one), so that both requests below go out under it.
    Mock::given(method("POST"))
        .and(path("/api/method/login"))
        .respond_with(login_ok("sid-one"))
        .mount(&server)
        .await;
    Mock::given(CookieHas("sid=sid-one"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": []})))
        .mount(&server)
        .await;
    client.doctype("Note").list().page().await.unwrap();
    server.reset().await;
    // Now sid-one has expired. The slow request (an upload in the field) is sent under it; its
    // 403 — which sets sid=Guest and then expires sid — arrives long after another request
    // logged in again.
    Mock::given(CookieHas("sid=sid-one"))
        .and(path("/api/resource/File"))
        .respond_with(captured("session-expired-403").set_delay(Duration::from_millis(800)))
        .mount(&server)
        .await;
    Mock::given(CookieHas("sid=sid-one"))
        .respond_with(captured("session-expired-403"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/method/login"))
        .respond_with(login_ok("sid-two"))
        .mount(&server)
        .await;
    Mock::given(CookieHas("sid=sid-two"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": []})))
        .mount(&server)
        .await;
    catch_all(&server).await;
    let slow = {
        let client = client.clone();
        tokio::spawn(async move { client.doctype("File").list().page().await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    // This one sees the expiry, logs in again (sid-two) and succeeds well before the slow
    // answer lands.
    client.doctype("ToDo").list().page().await.unwrap();
    // The slow answer now arrives and must neither wipe sid-two nor make its replay a Guest.
    slow.await.unwrap().unwrap();
    // And the session is still good afterwards.
    client.doctype("ToDo").list().page().await.unwrap();
    let reqs = received(&server).await;
    let logins = reqs
        .iter()
        .filter(|r| r.path == "/api/method/login")
        .count();
    assert_eq!(logins, 1, "one re-login: {reqs:#?}");
    let last_file = reqs
        .iter()
        .rev()
        .find(|r| r.path == "/api/resource/File")
        .unwrap();
    assert!(
        last_file
            .headers
            .iter()
            .any(|(k, v)| k == "cookie" && v.split("; ").any(|c| c == "sid=sid-two")),
        "the replay carries the new session: {last_file:?}"
    );
}
