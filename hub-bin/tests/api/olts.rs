//! OLTs in the hub: the `olt` source of `/devices/lookup`, the poller's readings and alerts,
//! `/olts`, the sandbox's port switch, and one poller across two hub instances on one
//! PostgreSQL. The OLTs are the sandbox's fake SNMP agents (olt-snmp's testkit, UDP on
//! 127.0.0.1), holding the fake ERPNext's ONUs at the ports its Service Locations name.

use std::sync::Arc;
use std::time::{Duration, Instant};

use frappe_client::testkit::FakeFrappe;
use hub::config::Settings;
use hub::sandbox::olts::SandboxOlts;
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::{
    ADMIN_TOKEN, DISPATCH, Db, TestApp, lookup, settings, spawn_application, statuses,
};

struct OltApp {
    t: TestApp,
    olts: Arc<SandboxOlts>,
}

/// A hub with the sandbox's OLTs (the background poller off unless `tweak` turns it on).
async fn with_olts(db: Db, tweak: impl FnOnce(&mut Settings)) -> OltApp {
    let fake = FakeFrappe::start().await.unwrap();
    let olts = Arc::new(SandboxOlts::start(&fake).await.unwrap());
    let mut s = settings(db, &fake).await;
    s.olt.olts = olts.settings();
    s.olt.poll_interval = Duration::ZERO;
    tweak(&mut s);
    let app = hub::Application::build(s)
        .await
        .unwrap()
        .with_sandbox_olts(olts.clone());
    OltApp {
        t: spawn_application(app, fake),
        olts,
    }
}

impl OltApp {
    /// Polls OLT `name` once, as the poller does.
    async fn poll(&self, name: &str) -> hub::olt::poller::PollSummary {
        let state = &self.t.app.state;
        let fleet = state.olts.as_ref().unwrap();
        let index = fleet.olts().iter().position(|o| o.name() == name).unwrap();
        hub::olt::poller::poll_once(state, fleet, index, Duration::from_secs(10)).await
    }

    /// The events published so far, as (kind, data).
    async fn events(&self) -> Vec<(String, Value)> {
        self.t
            .app
            .state
            .store
            .events_after(0, 1000)
            .await
            .unwrap()
            .into_iter()
            .map(|e| (e.kind, e.data))
            .collect()
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        let r = self
            .t
            .token(Method::GET, path, ADMIN_TOKEN)
            .send()
            .await
            .unwrap();
        (r.status(), r.json().await.unwrap_or(Value::Null))
    }
}

/// The installed TP-Link ONT router at a Service Location with an OLT, and that location.
fn seeded_onu(fake: &FakeFrappe) -> (Value, Value) {
    fake.all("Service Equipment")
        .into_iter()
        .filter(|e| e["equipment_type"] == "ONT Router" && e["status"] == "Installed")
        .find_map(|e| {
            let loc = fake.get("Service Location", e["service_location"].as_str()?)?;
            loc["olt"].is_string().then_some((e, loc))
        })
        .unwrap()
}

#[tokio::test]
async fn a_lookup_shows_the_onus_optics_from_its_olt_with_the_signal_verdict() {
    let app = with_olts(Db::Sqlite, |_| {}).await;
    let (equipment, location) = seeded_onu(&app.t.fake);
    let serial = equipment["serial_number"].as_str().unwrap();
    let (status, body) = lookup(&app.t, &format!("serial={serial}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(statuses(&body)[3], ("olt".into(), "ok".into()), "{body}");
    let o = &body["opticalStatus"];
    assert_eq!(o["serial"], equipment["gpon_serial"]);
    assert_eq!(o["olt"], location["olt"]);
    assert_eq!(o["ponPort"], location["pon_port"]);
    assert_eq!(o["onuId"], location["onu_id"]);
    assert_eq!(o["status"], "online");
    assert_eq!(o["signal"], "good");
    assert!(o["onuRxDbm"].as_f64().unwrap() > -27.0, "{o}");
    for key in [
        "onuTxDbm",
        "oltRxDbm",
        "temperatureC",
        "voltageV",
        "biasMa",
        "distanceM",
    ] {
        assert!(o[key].is_number(), "{key}: {o}");
    }
    // Its port down: offline, no optics (never 0), the cause named.
    let port = location["pon_port"].as_str().unwrap();
    app.olts
        .set_port(location["olt"].as_str().unwrap(), port, false)
        .unwrap();
    let (_, body) = lookup(&app.t, &format!("serial={serial}")).await;
    let o = &body["opticalStatus"];
    assert_eq!(o["status"], "los", "{o}");
    assert_eq!(o["signal"], "unknown");
    assert!(
        o.get("onuRxDbm").is_none() && o.get("distanceM").is_none(),
        "{o}"
    );
}

#[tokio::test]
async fn without_a_gpon_serial_in_erpnext_the_acs_snapshots_one_finds_the_onu() {
    let fake = FakeFrappe::start().await.unwrap();
    let nbi = hub::sandbox::fake_nbi_for(&fake).await.unwrap();
    let olts = Arc::new(SandboxOlts::start(&fake).await.unwrap());
    let mut s = settings(Db::Sqlite, &fake).await;
    s.olt.olts = olts.settings();
    s.olt.poll_interval = Duration::ZERO;
    s.genieacs = Some(hub::config::GenieacsSettings {
        url: nbi.url().to_string(),
        auth: hub::config::GenieacsAuth::None,
        timeout: Duration::from_secs(5),
    });
    let (equipment, location) = seeded_onu(&fake);
    let gpon = equipment["gpon_serial"].as_str().unwrap().to_owned();
    let erp = frappe_client::Client::builder(fake.url().as_str())
        .token(fake.api_key(), fake.api_secret())
        .build()
        .unwrap();
    erp.doctype("Service Equipment")
        .set_value(
            equipment["name"].as_str().unwrap(),
            &serde_json::json!({"gpon_serial": null}),
        )
        .await
        .unwrap();
    let t = spawn_application(hub::Application::build(s).await.unwrap(), fake);
    let (_, body) = lookup(
        &t,
        &format!("serial={}", equipment["serial_number"].as_str().unwrap()),
    )
    .await;
    assert!(body["equipment"]["gpon_serial"].is_null(), "{body}");
    assert_eq!(body["acs"]["identity"]["value"]["gpon_serial"], gpon);
    assert_eq!(body["sources"][3]["status"], "ok", "{body}");
    assert_eq!(body["opticalStatus"]["serial"], gpon);
    assert_eq!(body["opticalStatus"]["olt"], location["olt"]);
    drop(nbi);
}

#[tokio::test]
async fn the_olt_source_unconfigured_or_unreachable_leaves_the_rest_of_the_answer() {
    // Not configured.
    let (t, _nbi) = crate::helpers::with_acs(|_| {}).await;
    let serial = seeded_onu(&t.fake).0["serial_number"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, body) = lookup(&t, &format!("serial={serial}")).await;
    let olt = &body["sources"][3];
    assert_eq!(olt["status"], "not_configured");
    assert!(olt["error"].as_str().unwrap().contains("OLTS"));
    assert!(body["opticalStatus"].is_null());
    // Every agent stopped: no answer within the deadline; ERPNext still answered.
    let app = with_olts(Db::Sqlite, |s| {
        s.olt.timeout = Duration::from_millis(300);
        s.lookup_deadline = Duration::from_secs(3);
    })
    .await;
    for o in &app.olts.olts {
        o.agent.stop();
    }
    // Every OLT's last poll failed: the hub says so and is not ready.
    for o in &app.olts.olts {
        let s = app.poll(&o.name).await;
        assert!(s.error.is_some(), "{s:?}");
    }
    let (status, body) = app.get("/readyz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["olts"]["status"], "failing");
    let started = Instant::now();
    let (status, body) = lookup(&app.t, &format!("serial={serial}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        matches!(
            body["sources"][3]["status"].as_str(),
            Some("error" | "timeout")
        ),
        "{body}"
    );
    assert_eq!(body["sources"][0]["status"], "ok");
    assert!(body["equipment"].is_object());
    // Equipment without a GPON serial is not an OLT's.
    let app = with_olts(Db::Sqlite, |_| {}).await;
    let mesh = app
        .t
        .fake
        .all("Service Equipment")
        .into_iter()
        .find(|e| e["gpon_serial"].is_null())
        .unwrap();
    let (_, body) = lookup(
        &app.t,
        &format!("equipment={}", mesh["name"].as_str().unwrap()),
    )
    .await;
    assert_eq!(body["sources"][3]["status"], "not_applicable", "{body}");
}

#[tokio::test]
async fn the_poller_keeps_every_reading_and_raises_down_up_degraded_and_one_area_outage() {
    let app = with_olts(Db::Sqlite, |_| {}).await;
    let (equipment, location) = seeded_onu(&app.t.fake);
    let olt = location["olt"].as_str().unwrap();
    let port = location["pon_port"].as_str().unwrap();
    // First poll: a baseline; the weak neighbour is the only alert.
    let summary = app.poll(olt).await;
    assert!(summary.error.is_none(), "{summary:?}");
    assert!(summary.onus >= 8);
    let events = app.events().await;
    let weak: Vec<&Value> = events
        .iter()
        .filter(|(k, _)| k == "optical.degraded")
        .map(|(_, d)| d)
        .collect();
    assert_eq!(weak.len(), summary.alerts, "{events:?}");
    assert!(events.iter().all(|(k, _)| k == "optical.degraded"));
    let weak_serial = weak[0]["serial"].as_str().unwrap().to_owned();
    // /olts and the port answer the poll.
    let (status, body) = app.get("/olts").await;
    assert_eq!(status, StatusCode::OK);
    let mine = body["olts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == olt)
        .unwrap();
    assert_eq!(mine["last_poll"]["onus"], summary.onus);
    assert_eq!(mine["totals"]["online"], summary.onus);
    let (status, body) = app
        .get(&format!("/olts/{olt}/ports/{}", port.replace('/', "-")))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let onus = body["onus"].as_array().unwrap();
    let me = onus
        .iter()
        .find(|o| o["serial"] == equipment["gpon_serial"])
        .unwrap();
    assert_eq!(me["signal"], "good");
    assert_eq!(me["degraded"], false);
    // A level flapping just above the threshold, below the hysteresis: no new alert; clearly
    // above: one optical.recovered.
    let before = app.events().await.len();
    for centi_dbm in [-2680, -2720, -2650] {
        app.olts
            .set_column(&weak_serial, "51.1.4", centi_dbm)
            .unwrap();
        app.poll(olt).await;
    }
    assert_eq!(
        app.events().await.len(),
        before,
        "one alert for a flapping level"
    );
    app.olts.set_column(&weak_serial, "51.1.4", -2450).unwrap();
    app.poll(olt).await;
    let events = app.events().await;
    assert_eq!(events.last().unwrap().0, "optical.recovered");
    // One ONU down (dying gasp), then up.
    let gpon = equipment["gpon_serial"].as_str().unwrap();
    app.olts.set_column(gpon, "46.1.15", 2).unwrap();
    app.olts.set_column(gpon, "46.1.24", 13).unwrap();
    app.poll(olt).await;
    let (kind, data) = app.events().await.last().unwrap().clone();
    assert_eq!(kind, "onu.down");
    assert_eq!(data["cause"], "dyinggasp");
    assert_eq!(data["serial"], gpon);
    assert_eq!(
        data["customers"][0]["customer"], equipment["customer"],
        "{data}"
    );
    app.olts.set_column(gpon, "46.1.15", 1).unwrap();
    app.poll(olt).await;
    assert_eq!(app.events().await.last().unwrap().0, "onu.up");
    // The whole port down: one area outage naming the port and its customers, no onu.down.
    let before = app.events().await.len();
    app.olts.set_port(olt, port, false).unwrap();
    app.poll(olt).await;
    let new: Vec<(String, Value)> = app.events().await.split_off(before);
    assert_eq!(new.len(), 1, "{new:?}");
    let (kind, data) = &new[0];
    assert_eq!(kind, "area.outage");
    assert_eq!(data["pon_port"], port);
    assert_eq!(data["cause"], "los");
    assert!(data["serials"].as_array().unwrap().len() >= 4);
    assert!(
        data["customers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["customer"] == location["customer"]),
        "{data}"
    );
    let (_, body) = app
        .get(&format!("/olts/{olt}/ports/{}", port.replace('/', "%2F")))
        .await;
    assert_eq!(body["totals"]["online"], 0, "{body}");
    // Readiness names the OLTs; one OLT polled fine is ready.
    let (status, body) = app.get("/readyz").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["olts"]["status"], "ok");
    // Back: one area.restored.
    let before = app.events().await.len();
    app.olts.set_port(olt, port, true).unwrap();
    app.poll(olt).await;
    let new: Vec<String> = app
        .events()
        .await
        .split_off(before)
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    // (The weak neighbour is back at its weak level too: degraded again.)
    assert_eq!(new, ["optical.degraded", "area.restored"]);
}

#[tokio::test]
async fn olt_routes_check_their_input_and_the_sandbox_switch_exists_only_in_the_sandbox() {
    let app = with_olts(Db::Sqlite, |_| {}).await;
    let olt = app.olts.olts[0].name.clone();
    for (path, status) in [
        (format!("/olts/{olt}/ports/zero"), StatusCode::BAD_REQUEST),
        ("/olts/NOPE/ports/0-1-0".to_owned(), StatusCode::NOT_FOUND),
    ] {
        assert_eq!(app.get(&path).await.0, status, "{path}");
    }
    // Staff without devices:read may not look.
    let r = app
        .t
        .staff(Method::GET, "/olts", DISPATCH)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // The switch, in this hub (handed the sandbox's OLTs).
    let port = app.olts.ports(&olt)[0].replace('/', "-");
    let r = app
        .t
        .token(
            Method::POST,
            &format!("/sandbox/olts/{olt}/ports/{port}/down"),
            ADMIN_TOKEN,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(app.olts.down_ports().len(), 1);
    let r = app
        .t
        .token(
            Method::POST,
            &format!("/sandbox/olts/{olt}/ports/{port}/sideways"),
            ADMIN_TOKEN,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    // Not a sandbox, no OLTs: 404 and 503.
    let t = crate::helpers::spawn_app().await;
    let r = t
        .token(
            Method::POST,
            "/sandbox/olts/X/ports/0-1-0/down",
            ADMIN_TOKEN,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = t
        .token(Method::GET, "/olts", ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hub_instances_on_one_postgresql_poll_an_olt_once() {
    let fake = FakeFrappe::start().await.unwrap();
    let olts = Arc::new(SandboxOlts::start(&fake).await.unwrap());
    let mut s = settings(Db::Postgres, &fake).await;
    s.olt.olts = olts.settings();
    s.olt.olts.truncate(1);
    s.olt.poll_interval = Duration::from_millis(400);
    let name = s.olt.olts[0].name.clone();
    let a = hub::Application::build(s.clone())
        .await
        .unwrap()
        .spawn()
        .unwrap();
    let b = hub::Application::build(s).await.unwrap().spawn().unwrap();
    // Watch who polls for a while: one holder, several polls.
    let mut seen = std::collections::BTreeSet::new();
    let mut polls = std::collections::BTreeSet::new();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(3) {
        if let Some(raw) = a
            .state
            .store
            .watermark(&format!("olt-poll:{name}"))
            .await
            .unwrap()
        {
            let v: Value = serde_json::from_str(&raw).unwrap();
            seen.insert(v["holder"].as_str().unwrap().to_owned());
            polls.insert(v["at"].as_i64().unwrap());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(seen.len(), 1, "one instance polls: {seen:?}");
    assert!(polls.len() >= 3, "it polls every interval: {polls:?}");
    // The holder stops (its lease is given back): the other takes over.
    let holder = seen.into_iter().next().unwrap();
    let (stopping, other) = if *a.state.instance == *holder {
        (a, b)
    } else {
        (b, a)
    };
    stopping.stop().await;
    let started = Instant::now();
    let mut took_over = false;
    while started.elapsed() < Duration::from_secs(5) && !took_over {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let raw = other
            .state
            .store
            .watermark(&format!("olt-poll:{name}"))
            .await
            .unwrap()
            .unwrap_or_default();
        took_over = raw.contains(&*other.state.instance);
    }
    assert!(took_over, "the other instance polls once the holder stops");
    other.stop().await;
}

async fn leases_are_exclusive_until_they_expire(db: Db) {
    let fake = FakeFrappe::start().await.unwrap();
    let s = settings(db, &fake).await;
    let store = hub::store::Store::connect(&s.database).await.unwrap();
    assert!(store.try_lease("job", "a", 60_000).await.unwrap());
    assert!(
        store.try_lease("job", "a", 60_000).await.unwrap(),
        "renewed"
    );
    assert!(
        !store.try_lease("job", "b", 60_000).await.unwrap(),
        "held by a"
    );
    store.release_lease("job", "b").await.unwrap();
    assert!(
        !store.try_lease("job", "b", 60_000).await.unwrap(),
        "only a gives it back"
    );
    store.release_lease("job", "a").await.unwrap();
    assert!(store.try_lease("job", "b", 1).await.unwrap(), "free again");
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert!(
        store.try_lease("job", "a", 60_000).await.unwrap(),
        "expired"
    );
}

crate::both_backends!(leases, leases_are_exclusive_until_they_expire);
