//! Contract tests against wiremock: our requests and the fixtures we decode are validated
//! against the upstream OpenAPI spec (tests/resources/openapi.yaml), with the deviations that
//! API.md (read from the server's code) documents applied explicitly.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use traccar_client::{
    Client, DeviceFilter, DeviceId, Error, LatestVia, ReportQuery, RetryConfig, Version,
};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

fn resource(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/resources/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// The spec as JSON, with API.md's corrections: these fields are nullable on the wire
/// (`address`, `network`, `geofenceIds` of a position).
fn spec() -> Value {
    let mut doc: Value = serde_norway::from_str(&resource("openapi.yaml")).unwrap();
    let pos = &mut doc["components"]["schemas"]["Position"]["properties"];
    pos["address"]["type"] = json!(["string", "null"]);
    pos["network"]["type"] = json!(["object", "null"]);
    pos["geofenceIds"]["type"] = json!(["array", "null"]);
    doc
}

/// Validates `body` against the 200 JSON schema of `GET spec_path`.
fn check_response(doc: &Value, spec_path: &str, body: &Value) {
    let schema = doc["paths"][spec_path]["get"]["responses"]["200"]["content"]["application/json"]
        ["schema"]
        .clone();
    assert!(!schema.is_null(), "no schema for {spec_path}");
    let mut root = schema;
    root["components"] = doc["components"].clone();
    let v = jsonschema::validator_for(&root).unwrap();
    let errors: Vec<String> = v
        .iter_errors(body)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{spec_path}: {errors:?}");
}

/// Parameters API.md documents that the spec lacks.
const API_MD_ONLY: &[(&str, &str)] = &[("/reports/summary", "daily")];

/// Checks a request's path, method and query parameter names against the spec.
fn check_request(doc: &Value, req: &Request) {
    let p = req.url.path().strip_prefix("/api").unwrap();
    let m = req.method.as_str().to_lowercase();
    let paths = doc["paths"].as_object().unwrap();
    let (name, item) = paths
        .iter()
        .find(|(k, _)| {
            let a: Vec<&str> = k.split('/').collect();
            let b: Vec<&str> = p.split('/').collect();
            a.len() == b.len() && a.iter().zip(&b).all(|(x, y)| x.starts_with('{') || x == y)
        })
        .unwrap_or_else(|| panic!("{p} is not in the spec"));
    let op = &item[&m];
    assert!(op.is_object(), "{m} {name} is not in the spec");
    let known: Vec<&str> = op["parameters"]
        .as_array()
        .map(|a| a.iter().filter_map(|x| x["name"].as_str()).collect())
        .unwrap_or_default();
    for (k, _) in req.url.query_pairs() {
        assert!(
            known.contains(&k.as_ref()) || API_MD_ONLY.contains(&(name.as_str(), k.as_ref())),
            "{m} {name}: parameter {k} not in the spec"
        );
    }
    assert_eq!(req.headers.get("accept").unwrap(), "application/json");
}

fn client(server: &MockServer) -> Client {
    Client::builder(server.uri())
        .bearer("tok-never-logged")
        .assume_version(Version::new(6, 14, 5))
        .retry(
            RetryConfig::standard()
                .with_initial_backoff(Duration::from_millis(1))
                .with_max_backoff(Duration::from_millis(5)),
        )
        .build()
        .unwrap()
}

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

#[tokio::test]
async fn fixtures_conform_and_decode_and_requests_conform() {
    let doc = spec();
    let server = MockServer::start().await;
    for (p, file) in [
        ("/api/devices", "devices.json"),
        ("/api/positions", "positions.json"),
        ("/api/reports/trips", "report-trips.json"),
        ("/api/reports/route", "positions.json"),
        ("/api/reports/summary", "report-trips.json"),
    ] {
        Mock::given(method("GET"))
            .and(path(p))
            .respond_with(
                ResponseTemplate::new(200).set_body_raw(resource(file), "application/json"),
            )
            .mount(&server)
            .await;
    }
    for (p, file) in [
        ("/devices", "devices.json"),
        ("/positions", "positions.json"),
        ("/reports/trips", "report-trips.json"),
        ("/reports/route", "positions.json"),
    ] {
        check_response(&doc, p, &serde_json::from_str(&resource(file)).unwrap());
    }
    let c = client(&server);
    let devices = c
        .devices()
        .list(&DeviceFilter::all().page(0, 50).keyword("van"))
        .await
        .unwrap();
    assert_eq!(devices[0].extra["calendarId"], 0);
    let p = c.positions().latest(DeviceId(1)).await.unwrap().unwrap();
    assert!((p.speed_kmh() - 40.0032).abs() < 1e-6);
    assert_eq!(p.attribute_bool("ignition"), Some(true));
    let q = ReportQuery::devices(
        [DeviceId(1), DeviceId(2)],
        t("2026-08-20T00:00:00Z"),
        t("2026-08-21T00:00:00Z"),
    );
    let trips = c.reports().trips(&q).await.unwrap();
    assert_eq!(trips[0].duration, 1_860_000);
    c.positions()
        .history(
            DeviceId(1),
            t("2026-08-20T00:00:00Z"),
            t("2026-08-20T06:00:00Z"),
        )
        .await
        .unwrap();
    c.positions()
        .history_many(
            &[DeviceId(1), DeviceId(2)],
            t("2026-08-20T00:00:00Z"),
            t("2026-08-20T06:00:00Z"),
        )
        .await
        .unwrap();
    let _ = c.reports().summary(&q, true).await;
    let reqs = server.received_requests().await.unwrap();
    for r in &reqs {
        check_request(&doc, r);
    }
    let shapes: Vec<String> = reqs
        .iter()
        .map(|r| {
            format!(
                "{} {}",
                r.method,
                r.url.as_str().trim_start_matches(&server.uri())
            )
        })
        .collect();
    insta::assert_json_snapshot!("requests", shapes);
    insta::assert_json_snapshot!("decoded_trip", trips[0]);
    insta::assert_json_snapshot!("decoded_device", devices[0]);
    insta::assert_json_snapshot!("decoded_position", p);
}

#[tokio::test]
async fn error_shapes() {
    let server = MockServer::start().await;
    let trace = "java.lang.SecurityException: Device access denied\n\tat org.traccar.api.security.PermissionsService.checkPermission(PermissionsService.java:190)\n";
    Mock::given(path("/api/devices/7"))
        .respond_with(ResponseTemplate::new(400).set_body_string(trace))
        .mount(&server)
        .await;
    Mock::given(path("/api/devices/8"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    Mock::given(path("/api/devices/9"))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_string("java.lang.IllegalArgumentException: bad id\n\tat x"),
        )
        .mount(&server)
        .await;
    Mock::given(path("/api/devices/10"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    Mock::given(path("/api/devices/11"))
        .respond_with(ResponseTemplate::new(503))
        .expect(3)
        .mount(&server)
        .await;
    Mock::given(path("/api/devices/12"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(2)))
        .mount(&server)
        .await;
    let c = client(&server);
    let e = c.devices().get(DeviceId(7)).await.unwrap_err();
    assert!(
        e.is_access_denied() && !e.to_string().contains("PermissionsService"),
        "{e}"
    );
    assert!(
        c.devices()
            .get(DeviceId(8))
            .await
            .unwrap_err()
            .is_not_found()
    );
    assert!(matches!(
        c.devices().get(DeviceId(9)).await.unwrap_err(),
        Error::InvalidArgument { .. }
    ));
    assert!(
        c.devices()
            .get(DeviceId(10))
            .await
            .unwrap_err()
            .is_unauthorized()
    );
    assert!(matches!(
        c.devices().get(DeviceId(11)).await.unwrap_err(),
        Error::Api { .. }
    ));
    let quick = Client::builder(server.uri())
        .retry(RetryConfig::disabled())
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    assert!(matches!(
        quick.devices().get(DeviceId(12)).await.unwrap_err(),
        Error::Timeout(_)
    ));
    // Writes are not retried after a 503.
    Mock::given(method("DELETE"))
        .and(path("/api/devices/13"))
        .respond_with(ResponseTemplate::new(503))
        .expect(1)
        .mount(&server)
        .await;
    assert!(c.devices().delete(DeviceId(13)).await.is_err());
}

#[tokio::test]
async fn old_servers_refuse_new_parameters() {
    let server = MockServer::start().await;
    Mock::given(path("/api/server"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id":1,"version":"6.9.1"})))
        .expect(1)
        .mount(&server)
        .await;
    let c = Client::builder(server.uri()).bearer("t").build().unwrap();
    let e = c
        .devices()
        .list(&DeviceFilter::default().keyword("van"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::Unsupported {
                feature: "keyword",
                ..
            }
        ),
        "{e}"
    );
    let e = c
        .devices()
        .list(&DeviceFilter::default().without_attributes())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Unsupported { .. }));
    let _ = LatestVia::Auto;
}
