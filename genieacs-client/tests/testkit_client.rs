//! The client end to end against the fake NBI (the testkit), seeded from real data-model dumps.

use futures::StreamExt;
use genieacs_client::testkit::{FakeNbi, SEED_SERIALS, TaskBehaviour};
use genieacs_client::{Client, Query, Task, TaskOptions, TaskOutcome};
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn lookups_projections_and_streams_work_on_the_seeded_fleet() {
    let nbi = FakeNbi::seeded().await.unwrap();
    let acs = Client::builder(nbi.url().as_str()).build().unwrap();
    for serial in SEED_SERIALS {
        let found = acs.devices().find_by_serial(serial).await.unwrap();
        assert_eq!(found.len(), 1, "{serial}");
        assert_eq!(found[0].identity.serial_number.as_deref(), Some(*serial));
        // The summary projection leaves the tree out.
        assert!(found[0].tree.is_empty());
    }
    assert!(
        acs.devices()
            .find_by_serial("NOPE")
            .await
            .unwrap()
            .is_empty()
    );
    let tp = &acs.devices().find_by_serial(SEED_SERIALS[0]).await.unwrap()[0];
    let full = acs
        .devices()
        .get(&tp.id, &["Device.DeviceInfo"])
        .await
        .unwrap()
        .unwrap();
    assert!(
        full.param::<String>("Device.DeviceInfo.SoftwareVersion")
            .is_some()
    );
    assert!(full.node("Device.WiFi").is_none(), "projected out");
    let all: Vec<_> = acs
        .devices()
        .stream(Query::All, vec!["_id".to_owned()], 2)
        .collect()
        .await;
    assert_eq!(all.len(), SEED_SERIALS.len());
    let page = acs
        .devices()
        .page(&Query::All, &["_id"], 0, 1)
        .await
        .unwrap();
    assert_eq!(page.total, Some(SEED_SERIALS.len() as u64));
}

#[tokio::test]
async fn each_task_behaviour_reaches_the_caller_as_its_outcome() {
    let nbi = FakeNbi::seeded().await.unwrap();
    let acs = Client::builder(nbi.url().as_str()).build().unwrap();
    let id = acs.devices().find_by_serial(SEED_SERIALS[1]).await.unwrap()[0]
        .id
        .clone();
    let path = "Device.WiFi.SSID.1.SSID";
    let set = Task::set_parameter_values(vec![(path.to_owned(), json!("Gigafibre-Test"))]).unwrap();
    let opts = TaskOptions::default();
    let s = acs.tasks().submit(&id, &set, &opts).await.unwrap();
    assert_eq!(s.outcome, TaskOutcome::Done);
    let after = acs.devices().get(&id, &[path]).await.unwrap().unwrap();
    assert_eq!(after.param::<String>(path).unwrap().value, "Gigafibre-Test");
    nbi.set_task_behaviour(&id, TaskBehaviour::Queued);
    let s = acs.tasks().submit(&id, &Task::Reboot, &opts).await.unwrap();
    assert_eq!(
        s.outcome,
        TaskOutcome::Queued("Task queued but not processed".to_owned())
    );
    assert!(acs.tasks().is_queued(&s.task_id).await.unwrap());
    nbi.set_task_behaviour(
        &id,
        TaskBehaviour::Faults("cwmp.9007".into(), "Invalid parameter value".into()),
    );
    let s = acs.tasks().submit(&id, &set, &opts).await.unwrap();
    match s.outcome {
        TaskOutcome::Faulted(f) => assert_eq!(f.code, "cwmp.9007"),
        other => panic!("{other:?}"),
    }
    nbi.set_task_behaviour(
        &id,
        TaskBehaviour::ConnectionRequestFails("Device is offline".into()),
    );
    let s = acs.tasks().submit(&id, &Task::Reboot, &opts).await.unwrap();
    assert_eq!(
        s.outcome,
        TaskOutcome::ConnectionRequestFailed("Device is offline".into())
    );
    // Without a connection request the task just waits for the next inform.
    let s = acs
        .tasks()
        .submit(
            &id,
            &Task::Reboot,
            &TaskOptions::default().without_connection_request(),
        )
        .await
        .unwrap();
    assert!(
        matches!(s.outcome, TaskOutcome::Queued(_)),
        "{:?}",
        s.outcome
    );
    // The device id's `%`-free form went raw in the path; an escaped one is encoded again.
    assert!(nbi.requests().iter().any(|r| {
        r.target
            .starts_with(&format!("/devices/{}/tasks", id.path_segment()))
    }));
}

const DEADLINE: Duration = Duration::from_secs(30);

#[tokio::test]
async fn refresh_then_snapshot_refreshes_the_snapshot_tables_and_leaves_in_keyed_tasks() {
    let nbi = FakeNbi::seeded().await.unwrap();
    let acs = Client::builder(nbi.url().as_str()).build().unwrap();
    let id = acs.devices().find_by_serial(SEED_SERIALS[2]).await.unwrap()[0]
        .id
        .clone();
    let cached = acs.devices().snapshot(&id).await.unwrap().unwrap();
    assert!(cached.online);
    let r = acs
        .devices()
        .refresh_then_snapshot(&id, &TaskOptions::default(), DEADLINE)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r.outcome, TaskOutcome::Done);
    assert_eq!(r.snapshot.wifi.value, cached.wifi.value);

    // A device that does not answer in time: the task stays queued, with the cached snapshot.
    nbi.set_task_behaviour(&id, TaskBehaviour::Queued);
    let r = acs
        .devices()
        .refresh_then_snapshot(&id, &TaskOptions::default(), DEADLINE)
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(r.outcome, TaskOutcome::Queued(_)));
    // One refreshObject per table the snapshot reads (rows come and go), queued without a
    // connection request, then the leaves in one getParameterValues that wakes the device.
    let tasks = nbi.tasks();
    let refreshed: Vec<&str> = tasks
        .iter()
        .filter(|t| t["name"] == "refreshObject")
        .map(|t| t["objectName"].as_str().unwrap())
        .collect();
    for table in [
        "Device.Hosts.Host",
        "Device.WiFi.AccessPoint",
        "Device.IP.Interface",
    ] {
        assert!(
            refreshed.contains(&table),
            "{table} not refreshed: {refreshed:?}"
        );
    }
    assert!(
        refreshed.iter().all(|t| !t.is_empty()),
        "never the whole tree"
    );
    for t in tasks.iter().filter(|t| t["name"] == "refreshObject") {
        assert_eq!(
            t["uniqueKey"],
            format!("gigafibre-refresh:{}", t["objectName"].as_str().unwrap())
        );
    }
    let task = tasks.last().unwrap();
    assert_eq!(task["name"], "getParameterValues");
    assert_eq!(task["uniqueKey"], "gigafibre-refresh:leaves");
    let names: Vec<&str> = task["parameterNames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(names.contains(&"Device.DeviceInfo.SoftwareVersion"));
    assert!(names.iter().all(|n| !n.contains("KeyPassphrase")));
    assert!(r.subtrees.iter().any(|s| s == "Device.Hosts.Host"));
    // Keyed tasks replace each other: a second refresh does not pile up.
    let before = nbi.tasks().len();
    acs.devices()
        .refresh_then_snapshot(&id, &TaskOptions::default(), DEADLINE)
        .await
        .unwrap();
    assert_eq!(nbi.tasks().len(), before);

    // An unreachable device: the cached snapshot comes back with the reason.
    nbi.set_task_behaviour(
        &id,
        TaskBehaviour::ConnectionRequestFails("Device is offline".into()),
    );
    let r = acs
        .devices()
        .refresh_then_snapshot(&id, &TaskOptions::default(), DEADLINE)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        r.outcome,
        TaskOutcome::ConnectionRequestFailed("Device is offline".into())
    );
    assert_eq!(r.snapshot.identity.value, cached.identity.value);

    let unknown = genieacs_client::DeviceId::from_parts("000000", "Nope", "0");
    assert!(
        acs.devices()
            .refresh_then_snapshot(&unknown, &TaskOptions::default(), DEADLINE)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn a_refresh_that_ran_gives_fresh_sections_and_empties_the_queue() {
    let nbi = FakeNbi::seeded().await.unwrap();
    let acs = Client::builder(nbi.url().as_str()).build().unwrap();
    let id = acs.devices().find_by_serial(SEED_SERIALS[0]).await.unwrap()[0]
        .id
        .clone();
    let cached = acs.devices().snapshot(&id).await.unwrap().unwrap();
    // Seeded a minute ago: every section is about a minute old.
    assert!(
        cached.hosts.age_secs.unwrap() >= 50,
        "{:?}",
        cached.hosts.age_secs
    );
    let r = acs
        .devices()
        .refresh_then_snapshot(&id, &TaskOptions::default(), DEADLINE)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r.outcome, TaskOutcome::Done);
    for (name, age) in [
        ("identity", r.snapshot.identity.age_secs),
        ("wan", r.snapshot.wan.age_secs),
        ("wifi", r.snapshot.wifi.age_secs),
        ("hosts", r.snapshot.hosts.age_secs),
        ("optical", r.snapshot.optical.as_ref().unwrap().age_secs),
    ] {
        assert!(
            age.unwrap() < 5,
            "{name} is {age:?} s old after the refresh"
        );
    }
    // The session worked off the queued refreshObject tasks too.
    assert!(nbi.tasks().is_empty(), "{:?}", nbi.tasks());
}

#[tokio::test]
async fn a_modem_slower_than_the_deadline_gets_the_cached_snapshot_in_time() {
    let nbi = FakeNbi::seeded().await.unwrap();
    let acs = Client::builder(nbi.url().as_str()).build().unwrap();
    let id = acs.devices().find_by_serial(SEED_SERIALS[1]).await.unwrap()[0]
        .id
        .clone();
    nbi.set_task_behaviour(&id, TaskBehaviour::Slow(Duration::from_secs(5)));
    let started = std::time::Instant::now();
    let r = acs
        .devices()
        .refresh_then_snapshot(&id, &TaskOptions::default(), Duration::from_millis(400))
        .await
        .unwrap()
        .unwrap();
    let took = started.elapsed();
    assert!(took < Duration::from_secs(2), "took {took:?}");
    match &r.outcome {
        TaskOutcome::Queued(reason) => assert!(reason.contains("400 ms deadline"), "{reason}"),
        other => panic!("{other:?}"),
    }
    // The cached sections, with their (old) age.
    assert!(r.snapshot.hosts.age_secs.unwrap() >= 50);
}

#[tokio::test]
async fn a_device_in_session_for_the_whole_lock_wait_is_device_busy() {
    let nbi = FakeNbi::seeded().await.unwrap();
    // Above the session timeout + the 2 s connection request, as GenieACS's own 30 s is.
    let wait = Duration::from_millis(2500);
    nbi.set_session_lock_wait(wait);
    let acs = Client::builder(nbi.url().as_str())
        .session_lock_wait(wait)
        .build()
        .unwrap();
    let id = acs.devices().find_by_serial(SEED_SERIALS[2]).await.unwrap()[0]
        .id
        .clone();
    nbi.set_in_session(&id, true);
    let options = TaskOptions::default().session_timeout(Duration::from_millis(100));
    let s = acs
        .tasks()
        .submit(&id, &Task::Reboot, &options)
        .await
        .unwrap();
    assert!(
        matches!(&s.outcome, TaskOutcome::DeviceBusy(r) if r.starts_with("Task queued but not processed")),
        "{:?}",
        s.outcome
    );
    assert_eq!(s.outcome.status(), "device_busy");
    // Stored for that session, not lost.
    assert!(acs.tasks().is_queued(&s.task_id).await.unwrap());

    // The same answer without the lock wait (the session did not start) stays `Queued`.
    nbi.set_in_session(&id, false);
    nbi.set_task_behaviour(&id, TaskBehaviour::Queued);
    let s = acs
        .tasks()
        .submit(&id, &Task::Reboot, &options)
        .await
        .unwrap();
    assert!(
        matches!(s.outcome, TaskOutcome::Queued(_)),
        "{:?}",
        s.outcome
    );
}
