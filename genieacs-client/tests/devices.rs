//! Device lookups against wiremock, with the composed NBI documents of the contract.

use std::time::Duration;

use genieacs_client::{Client, DeviceId, Error, Query, RetryConfig};
use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

fn resource(name: &str) -> Value {
    let p = format!("{}/tests/resources/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap()
}

fn client(server: &MockServer) -> Client {
    Client::builder(server.uri())
        .bearer("proxy-token-never-logged")
        .retry(
            RetryConfig::standard()
                .with_initial_backoff(Duration::from_millis(1))
                .with_max_backoff(Duration::from_millis(5)),
        )
        .build()
        .unwrap()
}

/// The query string of a request, decoded, for snapshots.
fn query_of(req: &Request) -> Vec<(String, String)> {
    req.url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

#[tokio::test]
async fn find_by_serial_asks_a_safe_query_and_decodes_the_sample() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/devices/"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("total", "1")
                .insert_header("GenieACS-Version", "1.2.16")
                .set_body_json(resource("devices-lookup-by-serial.json")),
        )
        .expect(1)
        .mount(&server)
        .await;
    let found = client(&server)
        .devices()
        .find_by_serial("22411A5001234")
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    let d = &found[0];
    assert_eq!(d.id.as_str(), "1C61B4-Device2-22411A5001234");
    assert_eq!(d.identity.product_class.as_deref(), Some("Device2"));
    assert_eq!(d.tags, ["xx230v", "residential"]);
    assert!(d.last_inform.is_some());
    let reqs = server.received_requests().await.unwrap();
    insta::assert_debug_snapshot!(query_of(&reqs[0]));
    assert_eq!(
        reqs[0].headers["authorization"].to_str().unwrap(),
        "Bearer proxy-token-never-logged"
    );
}

#[tokio::test]
async fn a_device_id_is_raw_in_queries_and_encoded_again_in_paths() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!([])))
        .mount(&server)
        .await;
    let id = DeviceId::from_parts("00259E", "HG8546M-RMS", "48575443373CFD90");
    let none = client(&server)
        .devices()
        .get(&id, &["Device.DeviceInfo"])
        .await
        .unwrap();
    assert!(none.is_none());
    let reqs = server.received_requests().await.unwrap();
    let q: Vec<(String, String)> = query_of(&reqs[0]);
    assert_eq!(
        q[0].1,
        r#"{"_id":{"$regex":"^00259E-HG8546M%2DRMS-48575443373CFD90$"}}"#
    );
}

#[tokio::test]
async fn full_documents_decode_with_lenient_values() {
    let doc = resource("device-xx230v-online-mesh.json");
    let device: genieacs_client::Device = serde_json::from_value(doc).unwrap();
    let fw = device
        .param::<String>("Device.DeviceInfo.SoftwareVersion")
        .unwrap();
    assert!(!fw.value.is_empty());
    // Numbers come as JSON numbers (xsd:unsignedInt) or, for other types, as strings; both
    // decode as numbers.
    let uptime = device.param::<u64>("Device.DeviceInfo.UpTime").unwrap();
    assert!(uptime.value > 0);
    let status = device
        .param::<u64>("Device.Optical.Interface.1.X_TP_GPON_Config.Status")
        .unwrap();
    assert_eq!(
        (status.value, status.xsd_type.as_deref()),
        (5, Some("xsd:string"))
    );
    let ssids = device.instances("Device.WiFi.SSID");
    assert!(ssids.len() >= 10, "{ssids:?}");
    let enabled = device
        .param::<bool>(&format!("Device.WiFi.SSID.{}.Enable", ssids[0]))
        .unwrap();
    assert_eq!(enabled.xsd_type.as_deref(), Some("xsd:boolean"));
    // An object is not a leaf.
    assert!(device.param::<String>("Device.WiFi").is_none());
    let stale: genieacs_client::Device =
        serde_json::from_value(resource("device-xx230v-stale-degraded.json")).unwrap();
    assert!(stale.tags.is_empty(), "a never-tagged device has no _tags");
    assert!(stale.instances("Device.Hosts.Host").is_empty());
}

#[tokio::test]
async fn pages_carry_the_total_and_streams_walk_every_page() {
    let server = MockServer::start().await;
    let page = |ids: &[&str]| {
        serde_json::Value::Array(
            ids.iter()
                .map(|id| serde_json::json!({"_id": id, "_deviceId": {"_SerialNumber": id}}))
                .collect(),
        )
    };
    for (skip, ids) in [
        ("0", vec!["A-1", "A-2"]),
        ("2", vec!["A-3", "A-4"]),
        ("4", vec!["A-5"]),
    ] {
        Mock::given(method("GET"))
            .and(wiremock::matchers::query_param("skip", skip))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("total", "5")
                    .set_body_json(page(&ids)),
            )
            .mount(&server)
            .await;
    }
    let devices = client(&server).devices();
    let first = devices
        .page(&Query::tag("residential"), &["_id"], 0, 2)
        .await
        .unwrap();
    assert_eq!(first.total, Some(5));
    use futures::StreamExt;
    let all: Vec<_> = devices
        .stream(Query::All, vec!["_id".to_owned()], 2)
        .collect()
        .await;
    let ids: Vec<String> = all.into_iter().map(|d| d.unwrap().id.to_string()).collect();
    assert_eq!(ids, ["A-1", "A-2", "A-3", "A-4", "A-5"]);
}

#[tokio::test]
async fn errors_are_typed_and_bad_input_never_reaches_the_nbi() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(400).set_body_string("SyntaxError: Unexpected token"))
        .mount(&server)
        .await;
    let c = client(&server);
    let err = c.devices().page(&Query::All, &[], 0, 10).await.unwrap_err();
    assert!(
        matches!(err, Error::Api { ref message, .. } if message.starts_with("SyntaxError")),
        "{err}"
    );
    for bad in ["", "x\ny"] {
        assert!(matches!(
            c.devices().find_by_serial(bad).await,
            Err(Error::InvalidInput(_))
        ));
    }
    assert!(matches!(
        c.devices()
            .page(&Query::All, &["Device.WiFi."], 0, 10)
            .await,
        Err(Error::InvalidInput(_))
    ));
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
    assert!(!format!("{c:?}").contains("proxy-token"));
}

#[tokio::test]
async fn reads_retry_on_gateway_errors_and_a_busy_device_is_its_own_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(502))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!([])))
        .mount(&server)
        .await;
    client(&server)
        .devices()
        .page(&Query::All, &[], 0, 1)
        .await
        .unwrap();
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_connection_closed_without_an_answer_is_its_own_error() {
    // A server that reads the request and hangs up, as a crashed NBI worker does.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = listener.accept().await else {
                return;
            };
            use tokio::io::AsyncReadExt;
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf).await;
            drop(s);
        }
    });
    let c = Client::builder(format!("http://{addr}"))
        .retry(RetryConfig::disabled())
        .build()
        .unwrap();
    let err = c.devices().page(&Query::All, &[], 0, 1).await.unwrap_err();
    assert!(matches!(err, Error::ConnectionClosed { .. }), "{err:?}");
}

#[test]
fn a_document_decodes_its_metadata_and_keeps_the_rest_as_the_tree() {
    let doc = serde_json::json!({
        "_id": "1C61B4-Device2-22411A5001234",
        "_deviceId": {"_SerialNumber": "22411A5001234"},
        "_lastInform": 1_781_532_131_482_i64,
        "_tags": null,
        "Device": {"_object": true}
    });
    let d: genieacs_client::Device = serde_json::from_value(doc).unwrap();
    assert_eq!(d.identity.serial_number.as_deref(), Some("22411A5001234"));
    assert!(d.last_inform.is_some() && d.last_boot.is_none());
    assert!(d.tags.is_empty());
    assert_eq!(d.tree.keys().collect::<Vec<_>>(), ["Device"]);
    // Round trip: what it serializes decodes to the same device.
    let again: genieacs_client::Device =
        serde_json::from_value(serde_json::to_value(&d).unwrap()).unwrap();
    assert_eq!(again, d);
    // A document without its id, or with tags of the wrong shape, is an error that says so.
    let e = serde_json::from_value::<genieacs_client::Device>(serde_json::json!({"Device": {}}))
        .unwrap_err();
    assert!(e.to_string().contains("_id"), "{e}");
    let e = serde_json::from_value::<genieacs_client::Device>(
        serde_json::json!({"_id": "A-B-C", "_tags": "x"}),
    )
    .unwrap_err();
    assert!(e.to_string().contains("_tags"), "{e}");
}

#[test]
fn the_concurrency_limit_is_checked_at_build() {
    for n in [0, usize::MAX] {
        let err = Client::builder("http://acs.example:7557")
            .max_concurrency(n)
            .build()
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("max_concurrency must be between 1 and"),
            "{err}"
        );
    }
    Client::builder("http://acs.example:7557")
        .max_concurrency(1)
        .timeouts(genieacs_client::TimeoutConfig::standard())
        .connect_timeout(std::time::Duration::from_secs(1))
        .build()
        .unwrap();
}

#[test]
fn tls_settings_are_checked_at_build_and_never_echo_the_key() {
    let dir = format!("{}/tests/resources/tls", env!("CARGO_MANIFEST_DIR"));
    let cert = std::fs::read(format!("{dir}/client.crt")).unwrap();
    let key = std::fs::read(format!("{dir}/client.key")).unwrap();
    // A real chain and PKCS#8 key, and a private CA: accepted.
    Client::builder("https://acs.example:7557")
        .ca_certificate_pem(&cert)
        .client_identity_pem(&cert, &key)
        .build()
        .unwrap();
    // A key that is not one: a configuration error that does not show the key.
    let secret =
        b"-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWtleS1tYXRlcmlhbA==\n-----END PRIVATE KEY-----\n";
    let err = Client::builder("https://acs.example:7557")
        .client_identity_pem(&cert, secret)
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
    assert!(!format!("{err} {err:?}").contains("c2VjcmV0"));
    // A CA that is not PEM.
    let err = Client::builder("https://acs.example:7557")
        .ca_certificate_pem(b"not a certificate")
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("CA certificate"), "{err}");
    // Certificates on the builder and an injected client: ambiguous, refused.
    let err = Client::builder("https://acs.example:7557")
        .http_client(reqwest::Client::new())
        .ca_certificate_pem(&cert)
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("injected"), "{err}");
}
