use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{
    DISPATCH, Db, SseClient, settings, spawn_app, spawn_app_with, spawn_settings,
};
use hub::store::NewEvent;

const WAIT: Duration = Duration::from_secs(5);

fn ticket(name: &str, n: i64) -> NewEvent {
    NewEvent {
        kind: "ticket.updated".to_owned(),
        topics: vec![format!("/tickets/{name}")],
        acl: None,
        data: json!({"n": n}),
    }
}

#[tokio::test]
async fn the_stream_is_served_as_a_proxy_needs_it() {
    let t = spawn_app().await;
    let mut sse = t.events("topic=/dispatch", None).await;
    assert_eq!(sse.status, StatusCode::OK);
    let h = &sse.response_headers;
    assert!(
        h["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    assert_eq!(h["x-accel-buffering"], "no");
    assert!(h["cache-control"].to_str().unwrap().contains("no-cache"));
    assert!(h.get("content-encoding").is_none());
    assert!(h.get("content-length").is_none());
    // retry first, then heartbeats (every 300 ms in tests).
    let first = sse.next_frame(WAIT).await.unwrap();
    assert_eq!(first.retry.as_deref(), Some("3000"));
    // The opening frame carries the current id, so a reconnect resumes from here even when
    // nothing was received.
    assert_eq!(first.id.as_deref(), Some("0"));
    assert_eq!(sse.response_headers["x-hub-last-event-id"], "0");
    let started = std::time::Instant::now();
    let beat = sse.next_frame(WAIT).await.unwrap();
    assert!(beat.comment && beat.event.is_none(), "{beat:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

async fn publish_then_receive(db: Db) {
    let t = spawn_app_with(db, |_| {}).await;
    let mut sse = t.events("topic=/tickets/*", None).await;
    let bus = &t.app.state.bus;
    bus.publish(&ticket("ISS-1", 1), None).await.unwrap();
    bus.publish(
        &NewEvent {
            kind: "monitor.down".to_owned(),
            topics: vec!["/alerts".to_owned()],
            acl: None,
            data: json!({}),
        },
        None,
    )
    .await
    .unwrap();
    bus.publish(&ticket("ISS-2", 2), None).await.unwrap();
    let a = sse.next_event(WAIT).await.unwrap();
    let b = sse.next_event(WAIT).await.unwrap();
    assert_eq!(a.event.as_deref(), Some("ticket.updated"));
    assert_eq!(a.json()["data"]["n"], 1);
    assert_eq!(
        b.json()["data"]["n"],
        2,
        "the /alerts event is not on this stream"
    );
    let (ia, ib): (i64, i64) = (
        a.id.unwrap().parse().unwrap(),
        b.id.unwrap().parse().unwrap(),
    );
    assert!(ia < ib);
}
both_backends!(
    events_published_reach_matching_subscribers_in_order,
    publish_then_receive
);

async fn replay_and_reset(db: Db) {
    let t = spawn_app_with(db, |_| {}).await;
    let bus = &t.app.state.bus;
    let mut ids = Vec::new();
    for n in 0..5 {
        ids.push(
            bus.publish(&ticket("ISS-1", n), None)
                .await
                .unwrap()
                .unwrap()
                .id,
        );
    }
    // Reconnect after the second: the three after it are replayed, then live events follow.
    let mut sse = t.events("topic=/tickets/ISS-1", Some(ids[1])).await;
    for n in 2..5 {
        let f = sse.next_event(WAIT).await.unwrap();
        assert_eq!(f.json()["data"]["n"], n);
    }
    bus.publish(&ticket("ISS-1", 5), None).await.unwrap();
    assert_eq!(sse.next_event(WAIT).await.unwrap().json()["data"]["n"], 5);
    // The query-string form works too, and an up-to-date client gets nothing replayed.
    let latest = t.app.state.store.latest_event_id().await.unwrap();
    let mut sse2 = SseClient::open(t.staff(
        Method::GET,
        &format!("/events?topic=/tickets/ISS-1&last_event_id={latest}"),
        DISPATCH,
    ))
    .await;
    assert!(sse2.next_event(Duration::from_millis(500)).await.is_none());
    // History pruned past the client's id: a reset tells it to refetch.
    t.app.state.store.prune_events(i64::MAX, 1).await.unwrap();
    let mut sse3 = t.events("topic=/tickets/ISS-1", Some(ids[0])).await;
    let reset = sse3.next_event(WAIT).await.unwrap();
    assert_eq!(reset.event.as_deref(), Some("reset"));
    assert_eq!(reset.json()["reason"], "history_expired");
}
both_backends!(
    a_reconnecting_client_gets_what_it_missed_or_a_reset,
    replay_and_reset
);

async fn slow_client(db: Db) {
    let t = spawn_app_with(db, |s| s.sse.queue = 4).await;
    let slow = t.events("topic=/tickets/*", None).await;
    let mut fast = t.events("topic=/tickets/*", None).await;
    let bus = &t.app.state.bus;
    // The slow client reads nothing; its socket and queue fill up.
    let big = "x".repeat(64 * 1024);
    for n in 0..200 {
        let mut e = ticket("ISS-9", n);
        e.data = json!({"n": n, "pad": big});
        bus.publish(&e, None).await.unwrap();
        // The fast client keeps up.
        let f = fast.next_event(WAIT).await.unwrap();
        assert_eq!(f.json()["data"]["n"], n);
    }
    let mut slow = slow;
    let mut last = None;
    while let Some(f) = slow.next_frame(WAIT).await {
        if f.event.is_some() {
            last = Some(f);
        }
    }
    let last = last.expect("the slow client got some events");
    assert_eq!(last.event.as_deref(), Some("reset"), "{last:?}");
    assert_eq!(last.json()["reason"], "slow_client");
    assert!(slow.ended);
}
both_backends!(
    a_slow_client_is_disconnected_with_a_reset_and_the_bus_goes_on,
    slow_client
);

async fn topic_acl(db: Db) {
    let t = spawn_app_with(db, |_| {}).await;
    // A dispatcher may not watch alerts.
    let r = t
        .staff(Method::GET, "/events?topic=/alerts", DISPATCH)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    insta::assert_json_snapshot!("forbidden_topic", r.json::<Value>().await.unwrap());
    for (query, field) in [
        ("", "topic"),
        ("topic=dispatch", "topic"),
        ("topic=/dispatch&topic=/unknown", "topic"),
        ("topic=/tickets/*x", "topic"),
        ("topic=/dispatch&last_event_id=-4", "last_event_id"),
        ("topic=/dispatch&bogus=1", "bogus"),
    ] {
        let r = t
            .staff(Method::GET, &format!("/events?{query}"), DISPATCH)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{query}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["field"], field, "{query}: {body}");
    }
    // Events carrying an ACL reach only subscribers with that capability.
    let mut dispatcher = t.events("topic=/dispatch", None).await;
    let mut admin =
        SseClient::open(t.staff(Method::GET, "/events?topic=/dispatch", "Hub Admins")).await;
    let bus = &t.app.state.bus;
    bus.publish(
        &NewEvent {
            kind: "billing.invoice_failed".to_owned(),
            topics: vec!["/dispatch".to_owned()],
            acl: Some("billing".to_owned()),
            data: json!({"secret": true}),
        },
        None,
    )
    .await
    .unwrap();
    bus.publish(
        &NewEvent {
            kind: "dispatch_job.updated".to_owned(),
            topics: vec!["/dispatch".to_owned()],
            acl: None,
            data: json!({}),
        },
        None,
    )
    .await
    .unwrap();
    assert_eq!(
        admin.next_event(WAIT).await.unwrap().event.as_deref(),
        Some("billing.invoice_failed")
    );
    assert_eq!(
        dispatcher.next_event(WAIT).await.unwrap().event.as_deref(),
        Some("dispatch_job.updated"),
        "the billing event was filtered out"
    );
}
both_backends!(topics_are_authorized_per_connection, topic_acl);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_postgres_share_their_events() {
    let fake = frappe_client::testkit::FakeFrappe::start().await.unwrap();
    let mut s1 = settings(Db::Postgres, &fake).await;
    // No safety-net polling within the test: only NOTIFY can carry an event across.
    s1.sse.dispatch_fallback = Duration::from_secs(60);
    let mut s2 = s1.clone();
    s2.listen = "127.0.0.1:0".parse().unwrap();
    let a = spawn_settings(s1, fake.clone()).await;
    let b = spawn_settings(s2, fake).await;
    let mut on_b = b.events("topic=/tickets/*", None).await;
    let mut on_a = a.events("topic=/tickets/*", None).await;
    // Give B's listener a moment to LISTEN.
    tokio::time::sleep(Duration::from_millis(300)).await;
    a.app
        .state
        .bus
        .publish(&ticket("ISS-7", 7), None)
        .await
        .unwrap();
    let got_b = on_b
        .next_event(Duration::from_secs(2))
        .await
        .expect("published on A, received on B through NOTIFY");
    let got_a = on_a.next_event(WAIT).await.expect("and on A");
    assert_eq!(got_b.json()["data"]["n"], 7);
    assert_eq!(got_a.id, got_b.id);
    b.app
        .state
        .bus
        .publish(&ticket("ISS-7", 8), None)
        .await
        .unwrap();
    assert_eq!(
        on_a.next_event(Duration::from_secs(2))
            .await
            .unwrap()
            .json()["data"]["n"],
        8
    );
}

async fn shutdown(db: Db) {
    let t = spawn_app_with(db, |_| {}).await;
    let mut sse = t.events("topic=/dispatch", None).await;
    sse.next_frame(WAIT).await.unwrap();
    let state = t.app.state.clone();
    t.app.stop().await;
    while sse.next_frame(WAIT).await.is_some() {}
    assert!(sse.ended);
    // A subscription made during shutdown ends at once.
    let mut late = state.bus.subscribe(hub::bus::Filter {
        topics: vec![hub::bus::TopicPattern::parse("/dispatch").unwrap()],
        capabilities: vec![],
    });
    assert!(late.rx.recv().await.is_none());
}
both_backends!(shutdown_ends_open_streams, shutdown);
