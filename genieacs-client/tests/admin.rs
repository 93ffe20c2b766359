//! The administrative NBI calls — tags, device deletion, faults, the task queue, presets,
//! provisions, files — against wiremock (the exact requests, each error path) and end to end
//! against the fake NBI.

use std::time::Duration;

use genieacs_client::testkit::{FakeNbi, SEED_SERIALS, TaskBehaviour};
use genieacs_client::{
    Client, Configuration, DeviceId, Error, FaultFilter, FileMeta, FileType, Preset, Query,
    RetryConfig, Task, TaskOptions, TaskOutcome,
};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const TASK: &str = "666da2f05f3c2a0012ab34e0";

fn resource(name: &str) -> Value {
    let p = format!("{}/tests/resources/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap()
}

fn sample_body(name: &str) -> Value {
    resource("tasks-and-faults.json")[name]["response"]["body"].clone()
}

fn client_for(url: &str) -> Client {
    Client::builder(url)
        .retry(
            RetryConfig::standard()
                .with_max_attempts(3)
                .with_initial_backoff(Duration::from_millis(1))
                .with_max_backoff(Duration::from_millis(5)),
        )
        .build()
        .unwrap()
}

fn client(server: &MockServer) -> Client {
    client_for(&server.uri())
}

fn device() -> DeviceId {
    DeviceId::parse("1C61B4-Device2-22411A5001234").unwrap()
}

/// `METHOD /raw/path?raw-query` of each request received.
async fn seen(server: &MockServer) -> Vec<String> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| match r.url.query() {
            Some(q) => format!("{} {}?{q}", r.method, r.url.path()),
            None => format!("{} {}", r.method, r.url.path()),
        })
        .collect()
}

/// The decoded query pairs of a request, for snapshots.
fn query_of(req: &Request) -> Vec<(String, String)> {
    req.url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn header<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.headers.get(name).and_then(|v| v.to_str().ok())
}

async fn answer_all(server: &MockServer, status: u16, body: &str) {
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(status).set_body_string(body))
        .mount(server)
        .await;
}

// ---------------------------------------------------------------------------------------------
// Tags and device deletion

#[tokio::test]
async fn tags_travel_as_one_strictly_encoded_segment_without_a_body() {
    let server = MockServer::start().await;
    answer_all(&server, 200, "").await;
    let id = DeviceId::from_parts("00259E", "HG8546M-RMS", "4857");
    let acs = client(&server);
    acs.devices()
        .add_tag(&id, "vip.résidentiel 2026:a+b")
        .await
        .unwrap();
    acs.devices().remove_tag(&id, "vip").await.unwrap();
    assert_eq!(
        seen(&server).await,
        [
            "POST /devices/00259E-HG8546M%252DRMS-4857/tags/vip%2Er%C3%A9sidentiel%202026%3Aa%2Bb",
            "DELETE /devices/00259E-HG8546M%252DRMS-4857/tags/vip",
        ]
    );
    let reqs = server.received_requests().await.unwrap();
    assert!(reqs[0].body.is_empty());
    assert!(header(&reqs[0], "content-type").is_none());
    assert_eq!(header(&reqs[0], "accept"), Some("application/json"));
}

#[tokio::test]
async fn a_tag_on_an_unknown_device_is_not_found() {
    let server = MockServer::start().await;
    answer_all(&server, 404, "No such device").await;
    let err = client(&server)
        .devices()
        .add_tag(&device(), "vip")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::NotFound(m) if m == "No such device"),
        "{err:?}"
    );
    assert_eq!(seen(&server).await.len(), 1, "a 404 is not retried");
}

#[tokio::test]
async fn tags_that_cannot_reach_the_route_are_refused_before_sending() {
    let server = MockServer::start().await;
    answer_all(&server, 200, "").await;
    let acs = client(&server);
    for bad in ["", ".", "..", "line\nbreak"] {
        let err = acs.devices().add_tag(&device(), bad).await.unwrap_err();
        assert!(matches!(err, Error::InvalidInput(_)), "{bad:?}: {err:?}");
        let err = acs.devices().remove_tag(&device(), bad).await.unwrap_err();
        assert!(matches!(err, Error::InvalidInput(_)), "{bad:?}: {err:?}");
    }
    assert!(seen(&server).await.is_empty());
}

#[tokio::test]
async fn deleting_a_device_in_session_is_retried_until_the_session_ends() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(503).set_body_string("Device is in session"))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    client(&server)
        .devices()
        .delete_device(&device())
        .await
        .unwrap();
    assert_eq!(
        seen(&server).await,
        ["DELETE /devices/1C61B4-Device2-22411A5001234"; 3]
    );
}

#[tokio::test]
async fn a_device_in_session_through_every_retry_is_device_busy() {
    let server = MockServer::start().await;
    answer_all(&server, 503, "Device is in session").await;
    let err = client(&server)
        .devices()
        .delete_device(&device())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::DeviceBusy), "{err:?}");
    assert_eq!(seen(&server).await.len(), 3, "max_attempts");
}

// ---------------------------------------------------------------------------------------------
// Faults and the task queue

#[tokio::test]
async fn faults_are_listed_with_an_exact_filter_and_decoded_from_the_sample() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/faults/"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(sample_body("get_faults_for_device")),
        )
        .mount(&server)
        .await;
    let faults = client(&server)
        .faults()
        .list(&FaultFilter::device(&device()))
        .await
        .unwrap();
    let reqs = server.received_requests().await.unwrap();
    insta::assert_debug_snapshot!("faults_list_request", query_of(&reqs[0]));
    assert_eq!(faults.len(), 1);
    let f = &faults[0];
    assert_eq!(f.device.as_ref(), Some(&device()));
    assert_eq!(f.channel, format!("task_{TASK}"));
    assert_eq!(
        f.timestamp.map(|t| t.to_rfc3339()),
        Some("2026-06-15T14:07:13.880+00:00".to_owned())
    );
    assert_eq!(f.code, "cwmp.9007");
    assert!(f.provisions.as_ref().is_some_and(Value::is_string));
    assert!(f.expiry.is_none());
}

#[tokio::test]
async fn a_fault_is_deleted_by_its_encoded_id_and_retried_while_the_device_is_busy() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(503).set_body_string("Device is in session"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    client(&server)
        .faults()
        .delete(&device(), &format!("task_{TASK}"))
        .await
        .unwrap();
    // The path of the contract's `retry_then_delete` exchange.
    let expected = resource("tasks-and-faults.json")["retry_then_delete"][2]["request"]["path"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        seen(&server).await,
        [format!("DELETE {expected}"), format!("DELETE {expected}")]
    );
}

#[tokio::test]
async fn fault_channels_that_crash_the_nbi_are_refused_before_sending() {
    let server = MockServer::start().await;
    answer_all(&server, 200, "").await;
    let acs = client(&server);
    for bad in [
        "",
        "task_",
        "task_xyz",
        "task_666da2f05f3c2a0012ab34e",
        "a\tb",
    ] {
        let err = acs.faults().delete(&device(), bad).await.unwrap_err();
        assert!(matches!(err, Error::InvalidInput(_)), "{bad:?}: {err:?}");
    }
    assert!(seen(&server).await.is_empty());
}

#[tokio::test]
async fn queued_tasks_are_listed_in_run_order_and_decoded_from_the_sample() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/tasks/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(sample_body("get_tasks_for_device")))
        .mount(&server)
        .await;
    let tasks = client(&server)
        .tasks()
        .list_queued(&device())
        .await
        .unwrap();
    let reqs = server.received_requests().await.unwrap();
    insta::assert_debug_snapshot!("list_queued_request", query_of(&reqs[0]));
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0].id, TASK);
    assert_eq!(tasks[0].name, "setParameterValues");
    assert_eq!(tasks[0].device.as_ref(), Some(&device()));
    assert!(tasks[0].timestamp.is_some());
    assert!(tasks[0].fields.contains_key("parameterValues"));
}

#[tokio::test]
async fn a_task_is_cancelled_by_id_and_an_unknown_one_is_not_found() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .and(path(format!("/tasks/{TASK}")))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(404).set_body_string("Task not found"))
        .mount(&server)
        .await;
    let acs = client(&server);
    acs.tasks().cancel(TASK).await.unwrap();
    let err = acs
        .tasks()
        .cancel("0123456789abcdef01234567")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::NotFound(m) if m == "Task not found"),
        "{err:?}"
    );
    assert_eq!(
        seen(&server).await,
        [
            format!("DELETE /tasks/{TASK}"),
            "DELETE /tasks/0123456789abcdef01234567".to_owned()
        ]
    );
}

#[tokio::test]
async fn task_ids_that_crash_the_nbi_are_refused_before_sending() {
    let server = MockServer::start().await;
    answer_all(&server, 200, "[]").await;
    let acs = client(&server);
    for bad in [
        "",
        "666da2f05f3c",
        "666da2f05f3c2a0012ab34eZ",
        "../devices/x",
    ] {
        let err = acs.tasks().cancel(bad).await.unwrap_err();
        assert!(matches!(err, Error::InvalidInput(_)), "{bad:?}: {err:?}");
        let err = acs.tasks().retry(bad).await.unwrap_err();
        assert!(matches!(err, Error::InvalidInput(_)), "{bad:?}: {err:?}");
    }
    assert!(seen(&server).await.is_empty());
}

#[tokio::test]
async fn a_retry_first_confirms_the_task_exists() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/tasks/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([{"_id": TASK}])))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    client(&server).tasks().retry(TASK).await.unwrap();
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(reqs.len(), 2);
    assert_eq!(
        query_of(&reqs[0]),
        [
            ("query".to_owned(), format!(r#"{{"_id":"{TASK}"}}"#)),
            ("projection".to_owned(), "_id".to_owned())
        ]
    );
    assert_eq!(reqs[1].method.as_str(), "POST");
    assert_eq!(
        reqs[1].url.path(),
        resource("tasks-and-faults.json")["retry_then_delete"][0]["request"]["path"]
            .as_str()
            .unwrap()
    );
    assert!(reqs[1].body.is_empty());
}

#[tokio::test]
async fn the_retry_of_an_unknown_task_is_never_sent() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let err = client(&server).tasks().retry(TASK).await.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert_eq!(
        seen(&server).await,
        [format!(
            "GET /tasks/?query=%7B%22_id%22%3A%22{TASK}%22%7D&projection=_id"
        )]
    );
}

#[tokio::test]
async fn a_retry_refused_while_the_device_is_in_session_is_retried() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([{"_id": TASK}])))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503).set_body_string("Device is in session"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    client(&server).tasks().retry(TASK).await.unwrap();
    let posts = seen(&server)
        .await
        .into_iter()
        .filter(|r| r.starts_with("POST"))
        .count();
    assert_eq!(
        posts, 2,
        "a 503 refused the POST before any work: replayed once"
    );
}

// ---------------------------------------------------------------------------------------------
// Presets, provisions, files

fn sample_preset() -> Preset {
    Preset::new(vec![
        Configuration::refresh("Device.DeviceInfo.UpTime", 3600).unwrap(),
        Configuration::set_value("Device.ManagementServer.PeriodicInformInterval", json!(300))
            .unwrap(),
        Configuration::provision("gigafibre-wifi", vec![json!("5GHz"), json!(true)]).unwrap(),
        Configuration::add_tag("managed").unwrap(),
    ])
    .weight(10)
    .channel("gigafibre")
    .event("0 BOOTSTRAP", true)
    .event("1 BOOT", false)
    .precondition_filter(&json!({"_tags": "residential"}))
    .schedule("600 0 3 * * *")
}

#[tokio::test]
async fn a_preset_is_put_in_genieacs_stored_shape() {
    let server = MockServer::start().await;
    answer_all(&server, 200, "").await;
    let acs = client(&server);
    acs.presets()
        .put("gigafibre inform", &sample_preset())
        .await
        .unwrap();
    acs.presets().delete("gigafibre inform").await.unwrap();
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(reqs[0].method.as_str(), "PUT");
    assert_eq!(reqs[0].url.path(), "/presets/gigafibre%20inform");
    assert_eq!(header(&reqs[0], "content-type"), Some("application/json"));
    let body: Value = serde_json::from_slice(&reqs[0].body).unwrap();
    insta::assert_json_snapshot!("preset_put_body", body);
    assert_eq!(reqs[1].method.as_str(), "DELETE");
    assert_eq!(reqs[1].url.path(), "/presets/gigafibre%20inform");
}

#[tokio::test]
async fn presets_genieacs_could_not_evaluate_are_refused_before_sending() {
    let server = MockServer::start().await;
    answer_all(&server, 200, "").await;
    let acs = client(&server);
    let unknown = Preset::new(vec![Configuration::from_json(
        &json!({"type": "reboot_now"}),
    )]);
    for (name, preset) in [
        ("p", unknown),
        ("p", sample_preset().precondition_expression("{not json")),
        ("p", sample_preset().schedule("nightly")),
        ("..", sample_preset()),
    ] {
        let err = acs.presets().put(name, &preset).await.unwrap_err();
        assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
    }
    assert!(seen(&server).await.is_empty());
}

#[tokio::test]
async fn stored_presets_are_listed_by_name_and_decoded() {
    let server = MockServer::start().await;
    let mut stored = sample_preset().to_json().unwrap();
    stored["_id"] = json!("gigafibre inform");
    let legacy = json!({"_id": "inform", "weight": 0, "precondition": "", "events": {},
        "configurations": [{"type": "provision", "name": "inform"}]});
    Mock::given(method("GET"))
        .and(path("/presets/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([stored, legacy])))
        .mount(&server)
        .await;
    let presets = client(&server).presets().list().await.unwrap();
    assert_eq!(presets.len(), 2);
    assert_eq!(presets[0].name, "gigafibre inform");
    assert_eq!(presets[0].preset, sample_preset());
    assert_eq!(presets[1].preset.channel, "default");
    assert_eq!(
        presets[1].preset.configurations,
        [Configuration::provision("inform", vec![]).unwrap()]
    );
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(
        query_of(&reqs[0]),
        [("sort".to_owned(), r#"{"_id":1}"#.to_owned())]
    );
}

const SCRIPT: &str =
    "const now = Date.now();\ndeclare(\"Device.DeviceInfo.UpTime\", {value: now - 3600 * 1000});\n";

#[tokio::test]
async fn a_provision_is_sent_as_raw_javascript() {
    let server = MockServer::start().await;
    answer_all(&server, 200, "").await;
    client(&server)
        .provisions()
        .put("refresh-uptime", SCRIPT)
        .await
        .unwrap();
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(reqs[0].method.as_str(), "PUT");
    assert_eq!(reqs[0].url.path(), "/provisions/refresh-uptime");
    assert_eq!(
        header(&reqs[0], "content-type"),
        Some("application/javascript")
    );
    assert_eq!(header(&reqs[0], "accept"), Some("application/json"));
    assert_eq!(reqs[0].body, SCRIPT.as_bytes(), "not JSON-quoted");
}

#[tokio::test]
async fn a_provision_with_a_syntax_error_is_an_api_error_with_genieacs_message() {
    let server = MockServer::start().await;
    answer_all(&server, 400, "SyntaxError: Unexpected token '}'").await;
    let err = client(&server)
        .provisions()
        .put("broken", "declare(\"x\", {value: 1}});")
        .await
        .unwrap_err();
    let Error::Api { status, message } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(status.as_u16(), 400);
    assert_eq!(message, "SyntaxError: Unexpected token '}'");
    assert_eq!(seen(&server).await.len(), 1, "a 400 is not retried");
}

#[tokio::test]
async fn provisions_are_listed_as_name_and_script() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/provisions/"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!([{"_id": "refresh-uptime", "script": SCRIPT}])),
        )
        .mount(&server)
        .await;
    let list = client(&server).provisions().list().await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].name, "refresh-uptime");
    assert_eq!(list[0].script, SCRIPT);
}

#[tokio::test]
async fn a_file_is_uploaded_as_bytes_with_its_metadata_in_headers() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(201))
        .mount(&server)
        .await;
    let meta = FileMeta::new(FileType::FirmwareUpgradeImage)
        .oui("1C61B4")
        .product_class("Device2")
        .version("1.2.0 Build 20260601");
    let bytes: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
    client(&server)
        .files()
        .upload("XX230v fw 1.2.0.bin", &meta, bytes.clone())
        .await
        .unwrap();
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(reqs[0].method.as_str(), "PUT");
    assert_eq!(reqs[0].url.path(), "/files/XX230v%20fw%201%2E2%2E0%2Ebin");
    assert_eq!(reqs[0].body, bytes);
    let headers: Vec<(&str, Option<&str>)> = [
        "content-type",
        "accept",
        "filetype",
        "oui",
        "productclass",
        "version",
    ]
    .into_iter()
    .map(|h| (h, header(&reqs[0], h)))
    .collect();
    insta::assert_debug_snapshot!("file_upload_headers", headers);
}

#[tokio::test]
async fn file_metadata_that_cannot_travel_in_a_header_is_refused_before_sending() {
    let server = MockServer::start().await;
    answer_all(&server, 201, "").await;
    let acs = client(&server);
    for meta in [
        FileMeta::new(FileType::Other("Firmware\r\nX-Injected: 1".to_owned())),
        FileMeta::new(FileType::WebContent).version("v1 "),
        FileMeta::new(FileType::WebContent).product_class("Gerät"),
    ] {
        let err = acs
            .files()
            .upload("f.bin", &meta, vec![1])
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
    }
    let err = acs
        .files()
        .upload("..", &FileMeta::new(FileType::WebContent), vec![1])
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
    assert!(seen(&server).await.is_empty());
}

#[tokio::test]
async fn files_are_listed_typed_and_deleting_a_missing_one_is_not_found() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/files/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([{
            "_id": "fw.bin", "filename": "fw.bin", "length": 1000, "chunkSize": 261120,
            "uploadDate": "2026-06-15T10:00:00.000Z",
            "metadata": {"fileType": "1 Firmware Upgrade Image", "oui": "1C61B4",
                         "productClass": "Device2", "version": "1.2.0"}
        }, {"_id": "bare", "length": 3, "uploadDate": "2026-06-15T10:00:00.000Z", "metadata": {}}])))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(404).set_body_string("404 Not Found"))
        .mount(&server)
        .await;
    let acs = client(&server);
    let files = acs.files().list().await.unwrap();
    insta::assert_debug_snapshot!("files_list_decoded", files);
    let err = acs.files().delete("fw.bin").await.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert!(
        seen(&server)
            .await
            .contains(&"DELETE /files/fw%2Ebin".to_owned())
    );
}

// ---------------------------------------------------------------------------------------------
// End to end against the fake NBI

async fn fake() -> (FakeNbi, Client, DeviceId) {
    let nbi = FakeNbi::seeded().await.unwrap();
    let acs = client_for(nbi.url().as_str());
    let id = acs.devices().find_by_serial(SEED_SERIALS[0]).await.unwrap()[0]
        .id
        .clone();
    (nbi, acs, id)
}

#[tokio::test]
async fn fake_tags_are_stored_in_tags_and_seen_by_queries() {
    let (_nbi, acs, id) = fake().await;
    let tag = "vip.2026 résidentiel";
    acs.devices().add_tag(&id, tag).await.unwrap();
    acs.devices().add_tag(&id, tag).await.unwrap();
    let found = &acs.devices().find_by_serial(SEED_SERIALS[0]).await.unwrap()[0];
    assert_eq!(
        found.tags.iter().filter(|t| t.as_str() == tag).count(),
        1,
        "added once"
    );
    let page = acs
        .devices()
        .page(&Query::tag(tag), &["_id"], 0, 10)
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].id, id);
    acs.devices().remove_tag(&id, tag).await.unwrap();
    let page = acs
        .devices()
        .page(&Query::tag(tag), &["_id"], 0, 10)
        .await
        .unwrap();
    assert!(page.items.is_empty());
    let unknown = DeviceId::from_parts("000000", "X", "NOPE");
    let err = acs.devices().add_tag(&unknown, "vip").await.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
}

#[tokio::test]
async fn fake_faulted_task_is_listed_retried_and_deleted_with_its_fault() {
    let (nbi, acs, id) = fake().await;
    nbi.set_task_behaviour(
        &id,
        TaskBehaviour::Faults("cwmp.9007".into(), "Invalid parameter value".into()),
    );
    let s = acs
        .tasks()
        .submit(&id, &Task::Reboot, &TaskOptions::default())
        .await
        .unwrap();
    assert!(matches!(s.outcome, TaskOutcome::Faulted(_)));
    let faults = acs.faults().list(&FaultFilter::device(&id)).await.unwrap();
    assert_eq!(faults.len(), 1);
    assert_eq!(faults[0].channel, format!("task_{}", s.task_id));
    assert!(faults[0].timestamp.is_some());
    let queued = acs.tasks().list_queued(&id).await.unwrap();
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].id, s.task_id);
    assert_eq!(queued[0].name, "reboot");

    // Retry clears the fault; the task stays queued.
    acs.tasks().retry(&s.task_id).await.unwrap();
    assert!(
        acs.faults()
            .list(&FaultFilter::device(&id))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(acs.tasks().list_queued(&id).await.unwrap().len(), 1);

    // Deleting a task_ fault deletes its task too.
    nbi.add_fault(
        json!({"_id": format!("{id}:task_{}", s.task_id), "device": id.as_str(),
        "channel": format!("task_{}", s.task_id), "code": "timeout", "message": "Session timeout",
        "timestamp": "2026-06-15T10:00:00.000Z", "retries": 1}),
    );
    acs.faults()
        .delete(&id, &format!("task_{}", s.task_id))
        .await
        .unwrap();
    assert!(nbi.faults().is_empty());
    assert!(acs.tasks().list_queued(&id).await.unwrap().is_empty());
}

#[tokio::test]
async fn fake_cancel_deletes_a_queued_task_and_an_unknown_retry_is_never_sent() {
    let (nbi, acs, id) = fake().await;
    nbi.set_task_behaviour(&id, TaskBehaviour::Queued);
    let first = acs
        .tasks()
        .submit(&id, &Task::Reboot, &TaskOptions::default())
        .await
        .unwrap();
    let second = acs
        .tasks()
        .submit(
            &id,
            &Task::refresh_object("Device.WiFi").unwrap(),
            &TaskOptions::default(),
        )
        .await
        .unwrap();
    let order: Vec<String> = acs
        .tasks()
        .list_queued(&id)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(order, [first.task_id.clone(), second.task_id.clone()]);
    acs.tasks().cancel(&first.task_id).await.unwrap();
    let left = acs.tasks().list_queued(&id).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].id, second.task_id);
    let err = acs.tasks().cancel(&first.task_id).await.unwrap_err();
    assert!(
        matches!(&err, Error::NotFound(m) if m == "Task not found"),
        "{err:?}"
    );
    let err = acs.tasks().retry(&first.task_id).await.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert!(
        !nbi.requests()
            .iter()
            .any(|r| r.method == "POST" && r.target.ends_with("/retry")),
        "the 1.2.16 crash trigger was not sent"
    );
}

#[tokio::test]
async fn fake_device_in_session_refuses_deletes_and_retry_until_it_ends() {
    let (nbi, acs, id) = fake().await;
    nbi.set_task_behaviour(
        &id,
        TaskBehaviour::Faults("cwmp.9002".into(), "Internal error".into()),
    );
    let s = acs
        .tasks()
        .submit(&id, &Task::Reboot, &TaskOptions::default())
        .await
        .unwrap();
    nbi.set_in_session(&id, true);
    for err in [
        acs.devices().delete_device(&id).await.unwrap_err(),
        acs.tasks().cancel(&s.task_id).await.unwrap_err(),
        acs.tasks().retry(&s.task_id).await.unwrap_err(),
        acs.faults().delete(&id, "default").await.unwrap_err(),
    ] {
        assert!(matches!(err, Error::DeviceBusy), "{err:?}");
    }
    // Tags take no lock.
    acs.devices().add_tag(&id, "busy-but-tagged").await.unwrap();
    assert_eq!(nbi.tasks().len(), 1);
    assert_eq!(nbi.faults().len(), 1);

    nbi.set_in_session(&id, false);
    acs.devices().delete_device(&id).await.unwrap();
    assert!(nbi.device(&id).is_none());
    assert!(nbi.tasks().is_empty(), "its tasks went with it");
    assert!(nbi.faults().is_empty(), "its faults went with it");
    assert!(
        acs.devices()
            .find_by_serial(SEED_SERIALS[0])
            .await
            .unwrap()
            .is_empty()
    );
    // Other devices are untouched, and deleting again still succeeds.
    assert_eq!(
        acs.devices()
            .find_by_serial(SEED_SERIALS[1])
            .await
            .unwrap()
            .len(),
        1
    );
    acs.devices().delete_device(&id).await.unwrap();
}

#[tokio::test]
async fn fake_crash_triggers_answer_500_like_a_dropped_connection() {
    let (nbi, _acs, id) = fake().await;
    let http = reqwest::Client::new();
    let base = nbi.url();
    for (method, path) in [
        (reqwest::Method::DELETE, "tasks/not-an-object-id".to_owned()),
        (
            reqwest::Method::POST,
            "tasks/not-an-object-id/retry".to_owned(),
        ),
        (
            reqwest::Method::POST,
            "tasks/0123456789abcdef01234567/retry".to_owned(),
        ),
        (
            reqwest::Method::DELETE,
            format!("faults/{}%3Atask_nothex", id.path_segment()),
        ),
    ] {
        let r = http
            .request(method.clone(), base.join(&path).unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 500, "{method} {path}");
    }
    // A raw `.` in an id does not match GenieACS's route.
    let r = http
        .post(base.join("devices/x/tags/a.b").unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    assert_eq!(r.text().await.unwrap(), "404 Not Found");
    let r = http
        .get(base.join("presets/p").unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 405);
    assert_eq!(r.headers()["allow"], "PUT, DELETE");
}

#[tokio::test]
async fn fake_presets_provisions_and_files_round_trip() {
    let (nbi, acs, _id) = fake().await;

    acs.presets()
        .put("gigafibre inform", &sample_preset())
        .await
        .unwrap();
    let presets = acs.presets().list().await.unwrap();
    assert_eq!(presets.len(), 1);
    assert_eq!(presets[0].name, "gigafibre inform");
    assert_eq!(presets[0].preset, sample_preset());
    acs.presets().delete("gigafibre inform").await.unwrap();
    assert!(acs.presets().list().await.unwrap().is_empty());

    acs.provisions()
        .put("refresh-uptime", SCRIPT)
        .await
        .unwrap();
    let err = acs
        .provisions()
        .put("broken", "declare(\"x\", {value: [1, 2}]);")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Api { status, message } if status.as_u16() == 400 && message.starts_with("SyntaxError: ")),
        "{err:?}"
    );
    let provisions = acs.provisions().list().await.unwrap();
    assert_eq!(provisions.len(), 1, "the broken one was not stored");
    assert_eq!(provisions[0].script, SCRIPT);
    acs.provisions().delete("refresh-uptime").await.unwrap();
    assert!(nbi.provisions().is_empty());

    let meta = FileMeta::new(FileType::FirmwareUpgradeImage)
        .oui("1C61B4")
        .product_class("Device2")
        .version("1.2.0");
    let name = "XX230v fw 1.2.0.bin";
    acs.files()
        .upload(name, &meta, vec![7u8; 4096])
        .await
        .unwrap();
    let files = acs.files().list().await.unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].name, name);
    assert_eq!(files[0].length, 4096);
    assert!(files[0].upload_date.is_some());
    assert_eq!(
        files[0].metadata.file_type,
        Some(FileType::FirmwareUpgradeImage)
    );
    assert_eq!(files[0].metadata.oui.as_deref(), Some("1C61B4"));
    assert_eq!(files[0].metadata.product_class.as_deref(), Some("Device2"));
    assert_eq!(files[0].metadata.version.as_deref(), Some("1.2.0"));
    assert_eq!(nbi.file_content(name), Some(vec![7u8; 4096]));
    acs.files().delete(name).await.unwrap();
    let err = acs.files().delete(name).await.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
}
