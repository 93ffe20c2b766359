use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::{
    ADMIN_TOKEN, DISPATCH, Db, N8N_TOKEN, PROXY_SECRET, spawn_app, spawn_app_with,
};

#[tokio::test]
async fn forged_staff_headers_without_the_proxy_proof_get_no_staff_access() {
    let t = spawn_app().await;
    // No proxy secret: the X-Authentik headers are stripped, so there is no identity.
    let r = t
        .http
        .get(t.at("/whoami"))
        .header("X-Authentik-Username", "mallory")
        .header("X-Authentik-Email", "mallory@example.com")
        .header("X-Authentik-Groups", "Hub Admins")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    insta::assert_json_snapshot!("no_identity", r.json::<Value>().await.unwrap());
    // A wrong proxy secret is no proof either.
    let r = t
        .http
        .get(t.at("/admin/dead-letters/inbox"))
        .header("x-hub-proxy-secret", "not-the-secret-at-all")
        .header("X-Authentik-Username", "mallory")
        .header("X-Authentik-Groups", "Hub Admins")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // A service token does not make forged staff headers count.
    let r = t
        .token(Method::GET, "/whoami", N8N_TOKEN)
        .header("X-Authentik-Groups", "Hub Admins")
        .send()
        .await
        .unwrap();
    let me: Value = r.json().await.unwrap();
    assert_eq!(me["kind"], "service");
    assert_eq!(me["capabilities"], serde_json::json!(["dispatch"]));
}

#[tokio::test]
async fn staff_through_the_proxy_get_their_groups_capabilities() {
    let t = spawn_app().await;
    let r = t
        .staff(Method::GET, "/whoami", &format!("{DISPATCH}|Somebody Else"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let me: Value = r.json().await.unwrap();
    insta::assert_json_snapshot!(me);
    // A dispatcher is not an admin.
    let r = t
        .staff(Method::GET, "/admin/dead-letters/inbox", DISPATCH)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    insta::assert_json_snapshot!("missing_capability", r.json::<Value>().await.unwrap());
    let r = t
        .staff(Method::GET, "/admin/dead-letters/inbox", "Hub Admins")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_trusted_proxy_network_counts_as_proof() {
    let t = spawn_app_with(Db::Sqlite, |s| {
        s.auth.proxy_secret = None;
        s.auth.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
    })
    .await;
    let r = t
        .http
        .get(t.at("/whoami"))
        .header("X-Authentik-Username", "marie")
        .header("X-Authentik-Groups", DISPATCH)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let t = spawn_app_with(Db::Sqlite, |s| {
        s.auth.proxy_secret = None;
        s.auth.trusted_proxies = vec!["10.0.0.0/8".parse().unwrap()];
    })
    .await;
    let r = t
        .http
        .get(t.at("/whoami"))
        .header("X-Authentik-Username", "marie")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn service_tokens_are_checked_and_scoped() {
    let t = spawn_app().await;
    let r = t
        .token(Method::GET, "/admin/dead-letters/outbox", ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = t
        .token(Method::GET, "/admin/dead-letters/outbox", N8N_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = t
        .token(Method::GET, "/whoami", "not-a-token")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let body = r.text().await.unwrap();
    assert!(!body.contains("not-a-token"), "{body}");
    // A public route ignores credentials it does not need.
    let r = t
        .token(Method::GET, "/healthz", "not-a-token")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn every_route_declares_what_it_needs_and_it_is_enforced() {
    // Walk the router's OpenAPI document: every operation names its requirement.
    let (_, doc) = hub::routes::api();
    let table = hub::auth::RouteTable::from_openapi(&doc).unwrap();
    let mut undeclared = Vec::new();
    let mut count = 0;
    for (path, item) in &doc.paths.paths {
        for (method, op) in [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PUT", &item.put),
            ("PATCH", &item.patch),
            ("DELETE", &item.delete),
        ] {
            let Some(_) = op else { continue };
            count += 1;
            let m: http::Method = method.parse().unwrap();
            if table.get(&m, path).is_none() {
                undeclared.push(format!("{method} {path}"));
            }
        }
    }
    assert!(
        undeclared.is_empty(),
        "routes without a declared requirement: {undeclared:?}"
    );
    assert!(count >= 9, "{count}");
    let summary: Vec<String> = table
        .all()
        .into_iter()
        .map(|(m, p, r)| format!("{m} {p}: {r:?}"))
        .collect();
    insta::assert_debug_snapshot!(summary);
    // And walking the live router: without credentials, everything but the public routes is
    // refused before its handler runs.
    let t = spawn_app().await;
    for (method, path, req) in table.all() {
        let path = path.replace("{queue}", "inbox").replace("{id}", "1");
        let r = t
            .http
            .request(method.clone(), t.at(&path))
            .send()
            .await
            .unwrap();
        let status = r.status();
        let body = r.text().await.unwrap_or_default();
        let refused =
            status == StatusCode::UNAUTHORIZED && body.contains("sign in through the staff portal");
        match req {
            hub::auth::Requirement::Public => assert!(!refused, "{method} {path}: {body}"),
            _ => assert!(
                refused,
                "{method} {path} answered {status} without credentials"
            ),
        }
    }
    let _ = PROXY_SECRET;
}

#[test]
fn a_route_without_a_declaration_is_refused() {
    use axum::Router;
    use axum::routing::get;
    use tower::ServiceExt;
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let (router, doc) = hub::routes::api();
        let table = hub::auth::RouteTable::from_openapi(&doc).unwrap();
        let fake = frappe_client::testkit::FakeFrappe::start().await.unwrap();
        let settings = crate::helpers::settings(Db::Sqlite, &fake).await;
        let (_tx, rx) = tokio::sync::watch::channel(false);
        let state = hub::build_state(settings, rx).await.unwrap();
        assert!(table.get(&http::Method::GET, "/sneaky").is_none());
        // A route added beside the documented ones, with no declaration.
        let app: Router = router
            .route("/sneaky", get(|| async { "secret stuff" }))
            .route_layer(axum::middleware::from_fn_with_state(
                state.clone(),
                hub::auth::enforce,
            ))
            .with_state(state);
        let req = http::Request::get("/sneaky")
            .header("Authorization", format!("Bearer {ADMIN_TOKEN}"))
            .body(axum::body::Body::empty())
            .unwrap();
        let resp = app.oneshot(req).await.unwrap();
        assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    });
}
