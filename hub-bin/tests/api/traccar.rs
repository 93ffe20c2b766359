//! Traccar in the hub: the typed proxy (`/traccar/devices`, `/traccar/positions/latest`) with
//! devices matched to ERPNext Technicians, a job's ETA, and the live feed publishing
//! `technician.position` on `/dispatch` (throttled; one feed across instances). Traccar is
//! traccar-client's fake, with a device per seeded Technician driving between their jobs.

use std::time::{Duration, Instant};

use frappe_client::testkit::FakeFrappe;
use hub::config::{Settings, TraccarAuth, TraccarSettings};
use reqwest::{Method, StatusCode};
use secrecy::SecretString;
use serde_json::{Value, json};
use traccar_client::testkit::FakeTraccar;

use crate::helpers::{ADMIN_TOKEN, DISPATCH, Db, N8N_TOKEN, TestApp, settings, spawn_settings};

fn traccar_settings(fake: &FakeTraccar, live: bool) -> TraccarSettings {
    TraccarSettings {
        url: fake.url().to_string(),
        auth: TraccarAuth::Bearer(SecretString::from(fake.token().to_owned())),
        timeout: Duration::from_secs(5),
        live,
        position_throttle: Duration::from_secs(60),
    }
}

/// A hub with the fake ERPNext and a fake Traccar built from its Technicians.
async fn with_traccar(db: Db, tweak: impl FnOnce(&mut Settings)) -> (TestApp, FakeTraccar) {
    let erp = FakeFrappe::start().await.unwrap();
    let traccar = hub::sandbox::traccar_for(&erp, Duration::ZERO)
        .await
        .unwrap();
    let mut s = settings(db, &erp).await;
    s.traccar = Some(traccar_settings(&traccar, false));
    tweak(&mut s);
    (spawn_settings(s, erp).await, traccar)
}

async fn get(t: &TestApp, path: &str, token: &str) -> (StatusCode, Value) {
    let r = t.token(Method::GET, path, token).send().await.unwrap();
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn devices_and_latest_positions_come_with_their_technicians() {
    let (t, _traccar) = with_traccar(Db::Sqlite, |_| {}).await;
    let techs = t.fake.all("Technician");
    let (status, body) = get(&t, "/traccar/devices", N8N_TOKEN).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let devices = body["devices"].as_array().unwrap();
    let with_device = techs
        .iter()
        .filter(|t| t["traccar_device_id"].is_i64())
        .count();
    assert_eq!(devices.len(), with_device);
    for d in devices {
        let tech = techs
            .iter()
            .find(|t| t["traccar_device_id"] == d["id"])
            .unwrap();
        assert_eq!(d["technician"]["name"], tech["name"], "{d}");
        assert_eq!(d["technician"]["full_name"], tech["full_name"]);
    }
    // All latest positions, with km/h next to the knots Traccar speaks.
    let (status, body) = get(&t, "/traccar/positions/latest", N8N_TOKEN).await;
    assert_eq!(status, StatusCode::OK);
    let positions = body["positions"].as_array().unwrap();
    assert_eq!(positions.len(), with_device);
    for p in positions {
        let knots = p["speedKnots"].as_f64().unwrap();
        let kmh = p["speedKmh"].as_f64().unwrap();
        assert!((kmh - knots * 1.852).abs() < 0.1, "{p}");
        assert!(p["technician"]["name"].is_string());
    }
    // Some devices, repeated deviceId.
    let ids: Vec<i64> = devices
        .iter()
        .take(2)
        .map(|d| d["id"].as_i64().unwrap())
        .collect();
    let (_, body) = get(
        &t,
        &format!(
            "/traccar/positions/latest?deviceId={}&deviceId={}",
            ids[0], ids[1]
        ),
        N8N_TOKEN,
    )
    .await;
    let mut got: Vec<i64> = body["positions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["deviceId"].as_i64().unwrap())
        .collect();
    got.sort_unstable();
    let mut want = ids.clone();
    want.sort_unstable();
    assert_eq!(got, want);
    // A staff dispatcher may look too; bad input is named.
    let r = t
        .staff(Method::GET, "/traccar/devices", DISPATCH)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let (status, body) = get(&t, "/traccar/positions/latest?deviceId=abc", N8N_TOKEN).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["field"], "deviceId");
}

#[tokio::test]
async fn traccar_unconfigured_refusing_or_down_is_named() {
    let t = crate::helpers::spawn_app().await;
    let (status, body) = get(&t, "/traccar/devices", ADMIN_TOKEN).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(body.to_string().contains("TRACCAR_URL"), "{body}");
    // A token Traccar refuses: 502 naming Traccar, the token nowhere.
    let (t, _traccar) = with_traccar(Db::Sqlite, |s| {
        s.traccar.as_mut().unwrap().auth =
            TraccarAuth::Bearer(SecretString::from("wrong-token-xyz"));
    })
    .await;
    let (status, body) = get(&t, "/traccar/devices", ADMIN_TOKEN).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
    assert_eq!(body["error"]["upstream"], "traccar", "{body}");
    assert!(!body.to_string().contains("wrong-token-xyz"));
    // Down.
    let (t, _) = with_traccar(Db::Sqlite, |s| {
        s.traccar.as_mut().unwrap().url =
            format!("http://127.0.0.1:{}", crate::helpers::free_port());
    })
    .await;
    let (status, _) = get(&t, "/traccar/positions/latest", ADMIN_TOKEN).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
}

#[tokio::test]
async fn a_jobs_eta_is_the_straight_line_from_its_technicians_latest_position() {
    let (t, _traccar) = with_traccar(Db::Sqlite, |s| s.dispatch.average_speed_kmh = 30.0).await;
    let job = t
        .fake
        .all("Dispatch Job")
        .into_iter()
        .find(|j| j["technician"].is_string())
        .unwrap();
    let name = job["name"].as_str().unwrap();
    let (status, body) = get(&t, &format!("/dispatch/jobs/{name}/eta"), N8N_TOKEN).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["technician"]["name"], job["technician"]);
    assert_eq!(body["to"]["service_location"], job["service_location"]);
    assert_eq!(body["method"], "straight_line");
    assert_eq!(body["average_speed_kmh"], 30.0);
    // The distance is the great circle between the two points; the time is it at 30 km/h.
    let from = hub::geo::Point::new(
        body["from"]["latitude"].as_f64().unwrap(),
        body["from"]["longitude"].as_f64().unwrap(),
    )
    .unwrap();
    let to = hub::geo::Point::new(
        body["to"]["latitude"].as_f64().unwrap(),
        body["to"]["longitude"].as_f64().unwrap(),
    )
    .unwrap();
    let km = from.distance_m(&to) / 1000.0;
    assert!(
        (body["distance_km"].as_f64().unwrap() - km).abs() < 0.06,
        "{body}"
    );
    assert!(
        (body["eta_minutes"].as_f64().unwrap() - (km / 30.0 * 60.0).round()).abs() <= 1.0,
        "{body}"
    );
    // What makes an ETA impossible is said.
    let erp = frappe_client::Client::builder(t.fake.url().as_str())
        .token(t.fake.api_key(), t.fake.api_secret())
        .build()
        .unwrap();
    let (status, _) = get(&t, "/dispatch/jobs/DJ-2099-99999/eta", N8N_TOKEN).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let tech = job["technician"].as_str().unwrap();
    erp.doctype("Technician")
        .set_value(tech, &json!({"traccar_device_id": null}))
        .await
        .unwrap();
    let (status, body) = get(&t, &format!("/dispatch/jobs/{name}/eta"), N8N_TOKEN).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Traccar device")
    );
    erp.doctype("Dispatch Job")
        .set_value(name, &json!({"technician": null}))
        .await
        .unwrap();
    let (status, body) = get(&t, &format!("/dispatch/jobs/{name}/eta"), N8N_TOKEN).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no technician"),
        "{body}"
    );
}

/// `technician.position` events published so far, as (technician, deviceId).
async fn positions_published(app: &hub::Running) -> Vec<(String, i64)> {
    app.state
        .store
        .events_after(0, 10_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == "technician.position")
        .map(|e| {
            assert!(e.topics.contains(&"/dispatch".to_owned()));
            (
                e.data["technician"]["name"].as_str().unwrap().to_owned(),
                e.data["deviceId"].as_i64().unwrap(),
            )
        })
        .collect()
}

async fn wait_until<F: std::future::Future<Output = bool>>(mut check: impl FnMut() -> F) -> bool {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(10) {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

#[tokio::test]
async fn live_positions_reach_dispatch_throttled_per_technician() {
    let (t, traccar) = with_traccar(Db::Sqlite, |s| {
        let tc = s.traccar.as_mut().unwrap();
        tc.live = true;
        tc.position_throttle = Duration::from_secs(60);
    })
    .await;
    let devices = t
        .fake
        .all("Technician")
        .iter()
        .filter(|t| t["traccar_device_id"].is_i64())
        .count();
    // The snapshot on connect: one event per technician.
    assert!(
        wait_until(|| async { positions_published(&t.app).await.len() >= devices }).await,
        "the snapshot arrives"
    );
    // More positions within the throttle window: nothing new.
    for _ in 0..3 {
        traccar.advance(Duration::from_secs(5));
        traccar.publish_positions();
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let events = positions_published(&t.app).await;
    assert_eq!(events.len(), devices, "throttled: {events:?}");
    let mut techs: Vec<&str> = events.iter().map(|(t, _)| t.as_str()).collect();
    techs.dedup();
    assert_eq!(techs.len(), devices, "one per technician");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_hub_instance_keeps_the_feed_and_another_takes_over() {
    let erp = FakeFrappe::start().await.unwrap();
    let traccar = hub::sandbox::traccar_for(&erp, Duration::ZERO)
        .await
        .unwrap();
    let mut s = settings(Db::Postgres, &erp).await;
    let mut tc = traccar_settings(&traccar, true);
    tc.position_throttle = Duration::ZERO;
    s.traccar = Some(tc);
    let a = hub::Application::build(s.clone())
        .await
        .unwrap()
        .spawn()
        .unwrap();
    let b = hub::Application::build(s).await.unwrap().spawn().unwrap();
    let holder = || async { a.state.store.lease_holder("traccar-live").await.unwrap() };
    assert!(wait_until(|| async { holder().await.is_some() }).await);
    let first = holder().await.unwrap();
    assert!(first == *a.state.instance || first == *b.state.instance);
    assert!(wait_until(|| async { !positions_published(&a).await.is_empty() }).await);
    let (stopping, other) = if first == *a.state.instance {
        (a, b)
    } else {
        (b, a)
    };
    stopping.stop().await;
    let before = positions_published(&other).await.len();
    // The other instance takes the lease within a renewal period and opens its own feed.
    let started = Instant::now();
    let mut taken = false;
    while started.elapsed() < Duration::from_secs(20) && !taken {
        tokio::time::sleep(Duration::from_millis(200)).await;
        taken = other
            .state
            .store
            .lease_holder("traccar-live")
            .await
            .unwrap()
            .as_deref()
            == Some(&*other.state.instance);
    }
    assert!(taken, "the other instance took the feed over");
    traccar.advance(Duration::from_secs(30));
    assert!(
        wait_until(|| async {
            traccar.publish_positions();
            positions_published(&other).await.len() > before
        })
        .await,
        "positions flow again"
    );
    other.stop().await;
}
