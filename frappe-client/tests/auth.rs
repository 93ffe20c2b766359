//! Token, bearer and session authentication.

use frappe_client::{AuthScheme, Client, Error};
use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

mod common;
use common::{
    CookieHas, assert_secret_never_sent_in_clear, catch_all, fast_retry, login_ok, received, setup,
};

/// A server whose first login opens `sid-one` and every later one `sid-two`, and a session
/// client pointed at it.
async fn session_expiring_after_first_login() -> (MockServer, Client) {
    let server = MockServer::start().await;
    let client = Client::builder(server.uri())
        .password("Administrator", "admin-pw")
        .retry(fast_retry())
        .build()
        .unwrap();
    Mock::given(path("/api/method/login"))
        .respond_with(login_ok("sid-one"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/api/method/login"))
        .respond_with(login_ok("sid-two"))
        .mount(&server)
        .await;
    (server, client)
}

#[tokio::test]
async fn token_auth_sends_the_token_header_and_never_a_cookie() {
    let (server, client) = setup().await;
    // The server tries to set a session cookie; a token client must not send it back.
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": {"name": "CUST-1"}}))
                .append_header("Set-Cookie", "sid=abcdef; Path=/; HttpOnly"),
        )
        .mount(&server)
        .await;
    client.doctype("Customer").get("CUST-1").await.unwrap();
    client.doctype("Customer").get("CUST-1").await.unwrap();
    let reqs = received(&server).await;
    assert!(
        reqs.iter()
            .all(|r| r.headers.iter().all(|(k, _)| k != "cookie"))
    );
    let raw = server.received_requests().await.unwrap();
    assert_eq!(
        raw[0].headers["authorization"].to_str().unwrap(),
        format!("token {}:{}", common::API_KEY, common::API_SECRET)
    );
    insta::assert_json_snapshot!(reqs[1]);
}

#[tokio::test]
async fn bearer_auth_sends_the_oauth_token() {
    let server = MockServer::start().await;
    let client = Client::builder(server.uri())
        .bearer("oauth-access-token")
        .build()
        .unwrap();
    Mock::given(header("authorization", "Bearer oauth-access-token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"message": "pong"})))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let pong: String = client.method("ping").get().await.unwrap().value;
    assert_eq!(pong, "pong");
}

#[tokio::test]
async fn a_session_client_logs_in_once_and_sends_its_cookie() {
    let server = MockServer::start().await;
    let client = Client::builder(server.uri())
        .password("Administrator", "admin-pw")
        .retry(fast_retry())
        .build()
        .unwrap();
    Mock::given(method("POST"))
        .and(path("/api/method/login"))
        .respond_with(login_ok("sid-one"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/resource/Customer/CUST-1"))
        .and(CookieHas("sid=sid-one"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {"name": "CUST-1"}})))
        .expect(2)
        .mount(&server)
        .await;
    catch_all(&server).await;
    client.doctype("Customer").get("CUST-1").await.unwrap();
    client.doctype("Customer").get("CUST-1").await.unwrap();
    let reqs = received(&server).await;
    insta::assert_json_snapshot!(reqs[0]);
    assert!(
        reqs.iter()
            .all(|r| r.headers.iter().all(|(k, _)| k != "authorization"))
    );
}

#[tokio::test]
async fn an_expired_session_is_renewed_once_and_the_request_replayed() {
    let server = MockServer::start().await;
    let client = Client::builder(server.uri())
        .password("Administrator", "admin-pw")
        .retry(fast_retry())
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
    // sid-one has expired server-side: Frappe treats the request as Guest, and
    // get_logged_user (not open to guests) refuses it too.
    Mock::given(CookieHas("sid=sid-one"))
        .respond_with(
            ResponseTemplate::new(403).set_body_json(json!({"exc_type": "PermissionError"})),
        )
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(CookieHas("sid=sid-two"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": {"name": "DJ-1", "status": "On Site"}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let doc = client
        .doctype("Dispatch Job")
        .update(
            "DJ-1",
            &frappe_client::DocPatch::new().set("status", "On Site"),
        )
        .await
        .unwrap();
    assert_eq!(doc.extra["status"], "On Site");
    let seq: Vec<String> = received(&server)
        .await
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        seq,
        [
            "POST /api/method/login",
            "PUT /api/resource/Dispatch%20Job/DJ-1",
            "GET /api/method/frappe.auth.get_logged_user",
            "POST /api/method/login",
            "PUT /api/resource/Dispatch%20Job/DJ-1"
        ]
    );
}

#[tokio::test]
async fn a_real_permission_error_is_not_mistaken_for_an_expired_session() {
    let server = MockServer::start().await;
    let client = Client::builder(server.uri())
        .password("tech@gigafibre.ca", "pw")
        .retry(fast_retry())
        .build()
        .unwrap();
    Mock::given(path("/api/method/login"))
        .respond_with(login_ok("sid-one"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/api/method/frappe.auth.get_logged_user"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"message": "tech@gigafibre.ca"})),
        )
        .mount(&server)
        .await;
    Mock::given(path("/api/resource/Sales%20Invoice/X"))
        .respond_with(
            ResponseTemplate::new(403).set_body_json(json!({"exc_type": "PermissionError"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let err = client.doctype("Sales Invoice").get("X").await.unwrap_err();
    assert!(err.is_permission());
}

#[tokio::test]
async fn a_wrong_password_is_an_unauthorized_error_without_the_password() {
    let server = MockServer::start().await;
    let client = Client::builder(server.uri())
        .password("Administrator", "wrong-pw-123")
        .build()
        .unwrap();
    Mock::given(path("/api/method/login"))
        .respond_with(ResponseTemplate::new(401).set_body_json(
            json!({"exc_type": "AuthenticationError", "message": "Invalid Login. Try again."}),
        ))
        .mount(&server)
        .await;
    let err = client.doctype("Customer").get("CUST-1").await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Unauthorized {
                scheme: AuthScheme::Password,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        !err.to_string().contains("wrong-pw-123") && !format!("{err:?}").contains("wrong-pw-123")
    );
    assert!(!format!("{client:?}").contains("wrong-pw-123"));
}

#[tokio::test]
async fn the_site_name_header_selects_a_bench_site() {
    let server = MockServer::start().await;
    let client = common::builder(&server)
        .site_name("erp.gigafibre.ca")
        .build()
        .unwrap();
    Mock::given(header("x-frappe-site-name", "erp.gigafibre.ca"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"message": {"frappe": {"title": "Frappe Framework", "version": "16.10.1"}}}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let v = client.server_version().await.unwrap();
    assert_eq!((v.major, v.minor, v.patch), (16, 10, 1));
    assert_secret_never_sent_in_clear(&server).await;
}

#[tokio::test]
async fn a_guest_answer_from_the_probe_also_means_expiry() {
    let (server, client) = session_expiring_after_first_login().await;
    Mock::given(CookieHas("sid=sid-one"))
        .and(path("/api/method/frappe.auth.get_logged_user"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"message": "Guest"})))
        .mount(&server)
        .await;
    Mock::given(CookieHas("sid=sid-one"))
        .respond_with(
            ResponseTemplate::new(403).set_body_json(json!({"exc_type": "PermissionError"})),
        )
        .mount(&server)
        .await;
    Mock::given(CookieHas("sid=sid-two"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {"name": "CUST-1"}})))
        .mount(&server)
        .await;
    client.doctype("Customer").get("CUST-1").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_share_one_renewal_of_an_expired_session() {
    let (server, client) = session_expiring_after_first_login().await;
    Mock::given(CookieHas("sid=sid-two"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {"name": "CUST-1"}})))
        .mount(&server)
        .await;
    Mock::given(CookieHas("sid=sid-one"))
        .respond_with(
            ResponseTemplate::new(403)
                .set_body_json(json!({"exc_type": "PermissionError"}))
                .set_delay(std::time::Duration::from_millis(50)),
        )
        .mount(&server)
        .await;
    let calls = (0..6).map(|_| {
        let c = client.clone();
        async move { c.doctype("Customer").get("CUST-1").await }
    });
    for r in futures::future::join_all(calls).await {
        r.unwrap();
    }
    let logins = received(&server)
        .await
        .iter()
        .filter(|r| r.path == "/api/method/login")
        .count();
    assert_eq!(
        logins, 2,
        "one login, then one renewal for all six requests"
    );
}

#[tokio::test]
async fn a_login_that_needs_two_factor_verification_is_a_clear_error() {
    let server = MockServer::start().await;
    let client = Client::builder(server.uri())
        .password("admin@gigafibre.ca", "pw")
        .build()
        .unwrap();
    Mock::given(path("/api/method/login"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"verification": {"token_delivery": true, "method": "OTP App"}, "tmp_id": "abc"}),
        ))
        .mount(&server)
        .await;
    let err = client.doctype("Customer").get("CUST-1").await.unwrap_err();
    assert!(
        matches!(err, Error::Config(ref m) if m.contains("two-factor")),
        "{err:?}"
    );
}

#[tokio::test]
async fn check_auth_reports_an_older_servers_403_for_a_bad_token_as_unauthorized() {
    let (server, client) = setup().await;
    // Before frappe/frappe PR #23049 a wrong token fell back to Guest: 403, not 401.
    Mock::given(path("/api/method/frappe.auth.get_logged_user"))
        .respond_with(
            ResponseTemplate::new(403).set_body_json(json!({"exc_type": "PermissionError"})),
        )
        .mount(&server)
        .await;
    let err = client.check_auth().await.unwrap_err();
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
    assert!(err.to_string().contains("Generate Keys"), "{err}");
}
