//! The client end to end against the fake Traccar: auth modes, history paging, the live feed
//! (disconnect, reconnect, re-snapshot).

use std::time::Duration;

use futures::StreamExt as _;
use traccar_client::testkit::{FakeTraccar, Fault};
use traccar_client::{Client, Error, LiveOptions, Update};

const ROUTE: [(f64, f64); 3] = [(45.50, -73.57), (45.52, -73.55), (45.53, -73.60)];

#[tokio::test]
async fn session_login_relogs_once_and_totp_is_typed() {
    let fake = FakeTraccar::start().await.unwrap();
    let van = fake.add_device("Van", "1001", ROUTE.to_vec(), 50.0);
    let (email, password) = fake.credentials();
    let c = Client::builder(fake.url().as_str())
        .session(email, password)
        .build()
        .unwrap();
    assert_eq!(c.devices().get(van).await.unwrap().name, "Van");
    fake.expire_sessions();
    assert_eq!(c.devices().get(van).await.unwrap().name, "Van");
    let logins = fake
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path == "/api/session")
        .count();
    assert_eq!(logins, 2);
    fake.require_totp("123456");
    let c2 = Client::builder(fake.url().as_str())
        .session(email, password)
        .build()
        .unwrap();
    assert!(matches!(
        c2.devices().get(van).await.unwrap_err(),
        Error::Unauthorized {
            totp_required: true
        }
    ));
    let c3 = Client::builder(fake.url().as_str())
        .session(email, password)
        .totp_code("123456")
        .build()
        .unwrap();
    assert!(c3.devices().get(van).await.is_ok());
    let basic = Client::builder(fake.url().as_str())
        .basic(email, password)
        .build()
        .unwrap();
    assert!(basic.positions().latest(van).await.unwrap().is_some());
    fake.deny_device(van);
    assert!(
        basic
            .positions()
            .latest(van)
            .await
            .unwrap_err()
            .is_access_denied()
    );
}

#[tokio::test]
async fn history_is_split_when_a_window_reaches_the_cap() {
    let fake = FakeTraccar::start().await.unwrap();
    let van = fake.add_device("Van", "1001", ROUTE.to_vec(), 50.0);
    fake.advance(Duration::from_secs(3600));
    let c = Client::builder(fake.url().as_str())
        .bearer(fake.token())
        .max_positions(100)
        .build()
        .unwrap();
    let from = c
        .positions()
        .latest(van)
        .await
        .unwrap()
        .unwrap()
        .fix_time
        .unwrap()
        - chrono::Duration::hours(1);
    let to = from + chrono::Duration::hours(1);
    let all = c.positions().history(van, from, to).await.unwrap();
    assert_eq!(
        all.len(),
        361,
        "one position every 10 s, both ends included"
    );
    let mut ids: Vec<_> = all.iter().map(|p| p.id).collect();
    ids.dedup();
    assert_eq!(ids.len(), all.len(), "windows do not overlap");
    assert!(fake.requests().len() > 5, "the hour was split");
    fake.push_fault(Fault::Status(503), 1, Some("/api/positions"));
    assert!(
        c.positions().latest(van).await.unwrap().is_some(),
        "a GET is retried after a 503"
    );
}

#[tokio::test]
async fn live_feed_reconnects_and_resnapshots() {
    let fake = FakeTraccar::start().await.unwrap();
    let van = fake.add_device("Van", "1001", ROUTE.to_vec(), 50.0);
    fake.set_keepalive(Duration::from_millis(50));
    let c = Client::builder(fake.url().as_str())
        .bearer(fake.token())
        .build()
        .unwrap();
    let mut feed = c.live_with(
        LiveOptions::default().backoff(Duration::from_millis(20), Duration::from_millis(200)),
    );
    let next = async |feed: &mut traccar_client::LiveFeed| {
        tokio::time::timeout(Duration::from_secs(5), feed.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap()
    };
    assert!(matches!(next(&mut feed).await, Update::Devices(d) if d[0].id == van));
    assert!(matches!(next(&mut feed).await, Update::Positions(p) if p[0].device_id == van));
    tokio::time::sleep(Duration::from_millis(150)).await; // keepalives pass silently
    fake.set_status(van, false);
    assert!(
        matches!(next(&mut feed).await, Update::Devices(d) if d[0].status == traccar_client::DeviceStatus::Offline)
    );
    assert!(matches!(next(&mut feed).await, Update::Events(e) if e[0].kind == "deviceOffline"));
    fake.drop_connections();
    assert_eq!(next(&mut feed).await, Update::Reconnected);
    assert!(matches!(next(&mut feed).await, Update::Devices(_)));
    assert!(
        matches!(next(&mut feed).await, Update::Positions(_)),
        "the snapshot after reconnecting"
    );
    fake.publish_positions();
    assert!(matches!(next(&mut feed).await, Update::Positions(_)));
    feed.stop();
    assert!(
        tokio::time::timeout(Duration::from_secs(5), feed.next())
            .await
            .unwrap()
            .is_none()
    );
    let bad = Client::builder(fake.url().as_str())
        .bearer("wrong")
        .build()
        .unwrap();
    let mut feed = bad.live();
    assert!(matches!(
        feed.next().await,
        Some(Err(Error::Unauthorized { .. }))
    ));
}
