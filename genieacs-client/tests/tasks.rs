//! Task outcomes against a raw HTTP/1.1 peer that answers with GenieACS's reason phrases (the
//! outcome travels there, which a mock server framework does not let us set), using the
//! composed exchanges of `tasks-and-faults.json`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use genieacs_client::{Client, DeviceId, Error, RetryConfig, Task, TaskOptions, TaskOutcome};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn exchanges() -> Value {
    let p = format!(
        "{}/tests/resources/tasks-and-faults.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// One scripted answer: method + path prefix → status, reason, JSON body (`None`: hang up).
type Script = Vec<(&'static str, &'static str, Option<(u16, String, Value)>)>;

/// A raw HTTP/1.1 server answering from `script`; records `(method, path+query, body)`.
async fn peer(script: Script) -> (String, Arc<Mutex<Vec<(String, String, String)>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let script = script.clone();
            let log = Arc::clone(&log);
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 8192];
                // Read the head and a Content-Length body.
                let (head, body) = loop {
                    let Ok(n) = sock.read(&mut chunk).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&buf).into_owned();
                    if let Some(i) = text.find("\r\n\r\n") {
                        let head = text[..i].to_owned();
                        let len: usize = head
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse().unwrap_or(0))
                            })
                            .unwrap_or(0);
                        if buf.len() >= i + 4 + len {
                            break (
                                head,
                                String::from_utf8_lossy(&buf[i + 4..i + 4 + len]).into_owned(),
                            );
                        }
                    }
                };
                let mut first = head.lines().next().unwrap_or_default().split(' ');
                let (method, target) = (
                    first.next().unwrap_or("").to_owned(),
                    first.next().unwrap_or("").to_owned(),
                );
                log.lock()
                    .unwrap()
                    .push((method.clone(), target.clone(), body));
                let answer = script
                    .iter()
                    .find(|(m, prefix, _)| *m == method && target.starts_with(prefix))
                    .and_then(|(_, _, a)| a.clone());
                let Some((status, reason, body)) = answer else {
                    return;
                };
                let body = body.to_string();
                let resp = format!(
                    "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nGenieACS-Version: 1.2.16\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = sock.write_all(resp.as_bytes()).await;
            });
        }
    });
    (url, seen)
}

fn answer(ex: &Value, name: &str) -> Option<(u16, String, Value)> {
    let r = &ex[name]["response"];
    Some((
        r["status"].as_u64().unwrap() as u16,
        r["reason"].as_str().unwrap_or("OK").to_owned(),
        r["body"].clone(),
    ))
}

fn client(url: &str) -> Client {
    Client::builder(url)
        .retry(RetryConfig::standard().with_initial_backoff(Duration::from_millis(1)))
        .build()
        .unwrap()
}

fn device(id: &str) -> DeviceId {
    DeviceId::parse(id).unwrap()
}

#[tokio::test]
async fn a_task_that_ran_is_done_and_its_request_is_exact() {
    let ex = exchanges();
    let (url, seen) = peer(vec![("POST", "/devices/", answer(&ex, "post_task_done"))]).await;
    let task = Task::refresh_object("Device.WiFi").unwrap();
    let opts = TaskOptions::default().unique_key("wifi-refresh");
    let s = client(&url)
        .tasks()
        .submit(&device("1C61B4-Device2-22411A5001234"), &task, &opts)
        .await
        .unwrap();
    assert_eq!(s.outcome, TaskOutcome::Done);
    assert_eq!(s.task_id, "666da1be5f3c2a0012ab34cd");
    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen[0].1,
        "/devices/1C61B4-Device2-22411A5001234/tasks?timeout=10000&connection_request"
    );
    let body: Value = serde_json::from_str(&seen[0].2).unwrap();
    assert_eq!(
        body,
        json!({"name": "refreshObject", "objectName": "Device.WiFi", "uniqueKey": "wifi-refresh", "expiry": 3600})
    );
}

#[tokio::test]
async fn a_failed_connection_request_and_a_busy_queue_are_told_apart() {
    let ex = exchanges();
    let (url, _) = peer(vec![(
        "POST",
        "/devices/",
        answer(&ex, "post_task_queued_device_offline"),
    )])
    .await;
    let s = client(&url)
        .tasks()
        .submit(
            &device("1C61B4-Device2-22411A5009876"),
            &Task::Reboot,
            &TaskOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(
        s.outcome,
        TaskOutcome::ConnectionRequestFailed("Device is offline".to_owned())
    );
    let mut queued = answer(&ex, "post_task_queued_device_offline").unwrap();
    queued.1 = "Task queued but not processed".to_owned();
    let (url, _) = peer(vec![("POST", "/devices/", Some(queued))]).await;
    let s = client(&url)
        .tasks()
        .submit(
            &device("1C61B4-Device2-22411A5009876"),
            &Task::Reboot,
            &TaskOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(
        s.outcome,
        TaskOutcome::Queued("Task queued but not processed".to_owned())
    );
}

#[tokio::test]
async fn a_faulted_task_carries_its_fault() {
    let ex = exchanges();
    let (url, seen) = peer(vec![
        ("POST", "/devices/", answer(&ex, "post_task_faulted")),
        ("GET", "/faults/", answer(&ex, "get_faults_for_device")),
    ])
    .await;
    let task = Task::set_parameter_values(vec![(
        "Device.WiFi.AccessPoint.1.Security.KeyPassphrase".to_owned(),
        json!("short"),
    )])
    .unwrap();
    let s = client(&url)
        .tasks()
        .submit(
            &device("1C61B4-Device2-22411A5001234"),
            &task,
            &TaskOptions::default(),
        )
        .await
        .unwrap();
    let TaskOutcome::Faulted(fault) = s.outcome else {
        panic!("{:?}", s.outcome)
    };
    assert_eq!(fault.code, "cwmp.9007");
    assert_eq!(fault.message, "Invalid parameter value");
    let seen = seen.lock().unwrap().clone();
    let fault_query = url::form_urlencoded::parse(seen[1].1.split_once('?').unwrap().1.as_bytes())
        .find(|(k, _)| k == "query")
        .unwrap()
        .1
        .into_owned();
    assert_eq!(
        fault_query,
        r#"{"_id":"1C61B4-Device2-22411A5001234:task_666da2f05f3c2a0012ab34e0"}"#
    );
}

#[tokio::test]
async fn a_task_post_that_gets_no_answer_is_not_sent_twice() {
    let (url, seen) = peer(vec![("POST", "/devices/", None)]).await;
    let err = client(&url)
        .tasks()
        .submit(
            &device("1C61B4-Device2-22411A5001234"),
            &Task::Reboot,
            &TaskOptions::default(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ConnectionClosed { .. }), "{err:?}");
    assert_eq!(seen.lock().unwrap().len(), 1, "a POST is never replayed");
}

#[test]
fn tasks_that_would_crash_the_nbi_are_refused() {
    assert!(Task::get_parameter_values::<&str>(&[]).is_err());
    assert!(Task::refresh_object("Device.WiFi.").is_err());
    assert!(Task::refresh_object("").is_err());
    assert!(Task::set_parameter_values(vec![]).is_err());
    assert!(Task::set_parameter_values(vec![("Device.X".to_owned(), json!({"a": 1}))]).is_err());
    assert!(Task::delete_object("Device.Hosts.Host.3").is_ok());
    assert!(Task::download("").is_err());
    assert!(Task::download_as("fw.bin", Some("a\nb")).is_err());
}

#[tokio::test]
async fn a_download_names_the_stored_file_and_the_fake_accepts_it() {
    let task = Task::download_as("XX230v_1.2.3.bin", Some("firmware.bin")).unwrap();
    let body = task.body(&TaskOptions::default().unique_key("firmware"));
    assert_eq!(
        body,
        json!({"name": "download", "file": "XX230v_1.2.3.bin", "targetFileName": "firmware.bin",
               "uniqueKey": "firmware", "expiry": 3600})
    );
    // The fake NBI applies GenieACS's own validation: a download it would crash on is a 500
    // there, so a 200 proves the body is one GenieACS accepts.
    let nbi = genieacs_client::testkit::FakeNbi::seeded().await.unwrap();
    let acs = Client::builder(nbi.url().as_str()).build().unwrap();
    let id = acs
        .devices()
        .find_by_serial(genieacs_client::testkit::SEED_SERIALS[0])
        .await
        .unwrap()
        .remove(0)
        .id;
    let s = acs
        .tasks()
        .submit(&id, &task, &TaskOptions::default())
        .await
        .unwrap();
    assert_eq!(s.outcome, TaskOutcome::Done);
}
