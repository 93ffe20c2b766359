//! Every error shape of contracts/frappe/API.md §7, decoded.

use frappe_client::{AuthScheme, Error, ExcType};
use serde_json::json;
use wiremock::matchers::method;
use wiremock::{Mock, ResponseTemplate};

mod common;
use common::{resource, setup};

async fn error_for(template: ResponseTemplate) -> Error {
    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .respond_with(template)
        .mount(&server)
        .await;
    client.doctype("Customer").get("CUST-1").await.unwrap_err()
}

#[tokio::test]
async fn a_double_encoded_mandatory_error_yields_every_message() {
    let err = error_for(
        ResponseTemplate::new(417).set_body_json(resource("v1_error_417_mandatory.json")),
    )
    .await;
    assert!(err.is_validation());
    let api = err.api().unwrap();
    assert_eq!(api.exc_type, Some(ExcType::MandatoryError));
    insta::assert_debug_snapshot!(api.messages);
    assert_eq!(api.message(), Some("Fehler: Wert fehlt für None: parent"));
    assert_eq!(
        err.to_string(),
        "frappe answered 417 MandatoryError: Fehler: Wert fehlt für None: parent"
    );
}

#[tokio::test]
async fn a_csrf_error_is_decoded_with_its_raising_message() {
    let err =
        error_for(ResponseTemplate::new(400).set_body_json(resource("v1_error_400_csrf.json")))
            .await;
    let api = err.api().unwrap();
    assert_eq!(api.exc_type, Some(ExcType::CSRFTokenError));
    assert!(api.messages[0].raise_exception);
    assert_eq!(api.message(), Some("Invalid Request"));
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn a_v2_error_list_is_decoded_with_its_traceback() {
    let err =
        error_for(ResponseTemplate::new(417).set_body_json(resource("v2_error_validation.json")))
            .await;
    let api = err.api().unwrap();
    assert_eq!(api.exc_type, Some(ExcType::ValidationError));
    assert_eq!(api.message(), Some("Failed v2"));
    assert!(api.traceback.as_deref().unwrap().starts_with("Traceback"));
    assert_eq!(api.messages[0].title.as_deref(), Some("Message"));
}

#[tokio::test]
async fn a_v1_traceback_and_exception_are_kept_when_the_server_allows_them() {
    let body = json!({
        "exc_type": "DoesNotExistError",
        "exception": "frappe.exceptions.DoesNotExistError: Customer CUST-1 not found",
        "exc": serde_json::to_string(&["Traceback (most recent call last):\n  File \"app.py\"\nDoesNotExistError"]).unwrap(),
        "_exc_source": "frappe (app)"
    });
    let err = error_for(ResponseTemplate::new(404).set_body_json(body)).await;
    assert!(err.is_not_found());
    let api = err.api().unwrap();
    assert_eq!(api.message(), Some("Customer CUST-1 not found"));
    assert!(
        api.traceback
            .as_deref()
            .unwrap()
            .contains("most recent call last")
    );
}

#[tokio::test]
async fn a_plain_text_429_is_kept_as_text_with_its_retry_after() {
    let (server, client) = setup().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "120")
                .set_body_string("Too Many Requests"),
        )
        .mount(&server)
        .await;
    let err = client
        .doctype("Customer")
        .insert(&json!({"customer_name": "X"}))
        .await
        .unwrap_err();
    let api = err.api().unwrap();
    assert_eq!(api.status.as_u16(), 429);
    assert_eq!(api.exc_type, None);
    assert_eq!(api.body, "Too Many Requests");
    assert_eq!(api.retry_after, Some(std::time::Duration::from_secs(120)));
    assert!(err.is_retryable());
    assert_eq!(err.to_string(), "frappe answered 429: Too Many Requests");
    // 120 s is over the 60 s the client waits for: it gave up after one attempt.
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn an_html_502_from_a_proxy_is_kept_as_text() {
    let html = "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>";
    let err = error_for(ResponseTemplate::new(502).set_body_raw(html, "text/html")).await;
    let api = err.api().unwrap();
    assert_eq!(api.body, html);
    assert_eq!(api.message(), None);
    assert_eq!(err.to_string(), "frappe answered 502 Bad Gateway");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn permission_duplicate_and_server_errors_have_predicates() {
    let perm = error_for(ResponseTemplate::new(403).set_body_json(json!({"exc_type": "PermissionError", "_server_messages": "[\"{\\\"message\\\": \\\"Not permitted\\\"}\"]"}))).await;
    assert!(perm.is_permission() && !perm.is_not_found());
    let dup = error_for(
        ResponseTemplate::new(409).set_body_json(json!({"exc_type": "DuplicateEntryError"})),
    )
    .await;
    assert!(dup.is_duplicate());
    let boom = error_for(ResponseTemplate::new(500).set_body_string("Internal Server Error")).await;
    assert_eq!(boom.status().unwrap().as_u16(), 500);
    assert!(!boom.is_retryable());
    let other = error_for(
        ResponseTemplate::new(417)
            .set_body_json(json!({"exc_type": "erpnext.stock.InsufficientStockError"})),
    )
    .await;
    assert_eq!(
        other.api().unwrap().exc_type,
        Some(ExcType::Other("InsufficientStockError".into()))
    );
}

#[tokio::test]
async fn a_rejected_token_says_generate_keys_is_the_usual_cause_and_hides_the_secret() {
    let err = error_for(ResponseTemplate::new(401).set_body_json(json!({
        "exc_type": "AuthenticationError",
        "_server_messages": "[\"{\\\"message\\\": \\\"Invalid API key or secret\\\", \\\"raise_exception\\\": 1}\"]"
    })))
    .await;
    assert!(
        matches!(
            err,
            Error::Unauthorized {
                scheme: AuthScheme::Token,
                ..
            }
        ),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(text.contains("Generate Keys"), "{text}");
    assert!(!text.contains(common::API_SECRET));
    assert!(!format!("{err:?}").contains(common::API_SECRET));
}

#[tokio::test]
async fn a_malformed_success_body_names_the_json_path() {
    let err = error_for(
        ResponseTemplate::new(200)
            .set_body_json(json!({"data": {"name": "CUST-1", "docstatus": 7}})),
    )
    .await;
    match err {
        Error::Decode { path, endpoint, .. } => {
            assert_eq!(path, "data.docstatus");
            assert_eq!(endpoint, "/api/resource/Customer/CUST-1");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn an_unreachable_server_is_a_transport_error_naming_the_path() {
    // A port that was free a moment ago: nothing listens there now.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = frappe_client::Client::builder(format!("http://127.0.0.1:{port}"))
        .token("k", "s")
        .retry(common::fast_retry())
        .build()
        .unwrap();
    let err = client.doctype("Customer").get("CUST-1").await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert!(err.is_retryable());
    assert!(
        err.to_string().contains("/api/resource/Customer/CUST-1"),
        "{err}"
    );
}
