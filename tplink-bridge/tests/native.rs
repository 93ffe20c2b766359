//! The native client against the emulator (PROTOCOL §9.10): the whole status, writes, the
//! single admin session, the lock-out guard, `user` vs `admin`, 1024-bit keys and unquoted
//! `seq`, GCM detection, faults, idle expiry.

use std::time::Duration;

use serde_json::{Map, Value, json};
use tplink_bridge::crypto::Variant;
use tplink_bridge::emulator::{Emulator, EmulatorConfig, Fault, RsaKey};
use tplink_bridge::models::Link;
use tplink_bridge::{BusyPolicy, Error, Router};

const PASSWORD: &str = "Test-Pass-123";

async fn emulator(config: EmulatorConfig) -> Emulator {
    Emulator::start(config).await.unwrap()
}

fn router(emu: &Emulator) -> Router {
    Router::builder(emu.url().as_str(), PASSWORD)
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

fn attrs(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        other => panic!("{other} is not an object"),
    }
}

#[tokio::test]
async fn the_whole_status_then_logout_frees_the_slot() {
    let emu = emulator(EmulatorConfig::default()).await;
    let r = router(&emu);
    let s = r.status(false).await.unwrap();
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    let d = s.device.as_ref().unwrap();
    assert_eq!(
        (d.model.as_deref(), d.cpu_percent, d.memory_percent),
        (Some("XX230v"), Some(12), Some(50))
    );
    let active: Vec<_> = s.wan.iter().filter(|w| w.active).collect();
    assert_eq!(active.len(), 1);
    assert_eq!(active[0].ipv4.as_deref(), Some("100.64.10.20"));
    assert_eq!(s.wifi.len(), 2);
    assert!(s.wifi.iter().all(|w| w.key.is_none()));
    assert_eq!(s.hosts.len(), 3);
    assert!(s.hosts.iter().any(|h| h.link == Link::Wired));
    assert_eq!(s.mesh.len(), 2);
    assert_eq!(s.optical.as_ref().unwrap().rx_dbm, Some(-18.0));
    // One login for the whole status: the session is reused.
    assert_eq!(emu.logins(), 1);
    assert_eq!(r.variant().await, Some(Variant::Cbc));
    assert_eq!(emu.active_sessions(), 1);
    r.logout().await.unwrap();
    assert_eq!(emu.active_sessions(), 0);
    assert!(!r.is_logged_in().await);
    insta::assert_json_snapshot!("native_status", s);
}

#[tokio::test]
async fn writes_read_back_and_unknown_objects_are_refused() {
    let emu = emulator(EmulatorConfig::default()).await;
    let r = router(&emu);
    r.set(
        "DEV2_ADT_WIFI_COMMON",
        "2,0,0,0,0,0",
        &attrs(json!({"primaryEnable": false, "channel": 44})),
    )
    .await
    .unwrap();
    let wifi = r.list("DEV2_ADT_WIFI_COMMON").await.unwrap();
    assert_eq!(wifi[1]["primaryEnable"], "0");
    assert_eq!(wifi[1]["channel"], "44");
    assert_eq!(
        emu.fixture("DEV2_ADT_WIFI_COMMON").unwrap()[1]["channel"],
        "44"
    );
    let err = r.list("DEV2_NOT_THERE").await.unwrap_err();
    assert!(matches!(err, Error::Refused { code: 71011, .. }), "{err:?}");
    // Refused before sending: a factory reset, a malformed stack, a nested value.
    assert!(matches!(
        r.action("ACT_FACTORY_RESET").await,
        Err(Error::InvalidInput(_))
    ));
    assert!(matches!(
        r.set("DEV2_ADT_WAN", "1,0", &Map::new()).await,
        Err(Error::InvalidInput(_))
    ));
    assert!(matches!(
        r.set(
            "DEV2_ADT_WAN",
            "1,0,0,0,0,0",
            &attrs(json!({"x": {"y": 1}}))
        )
        .await,
        Err(Error::InvalidInput(_))
    ));
    assert!(matches!(
        r.get("DEV2 DEV").await,
        Err(Error::InvalidInput(_))
    ));
    // Static DHCP leases: add, duplicate, delete.
    emu.set_fixture("DEV2_DHCPV4_POOL_STATICADDR", &json!([]));
    let lease =
        attrs(json!({"enable": "1", "chaddr": "AA:BB:CC:00:00:01", "yiaddr": "192.168.1.50"}));
    let stack = r
        .add("DEV2_DHCPV4_POOL_STATICADDR", "1,0,0,0,0,0", &lease)
        .await
        .unwrap();
    assert_eq!(stack, "1,1,0,0,0,0");
    let dup = r
        .add("DEV2_DHCPV4_POOL_STATICADDR", "1,0,0,0,0,0", &lease)
        .await
        .unwrap_err();
    assert!(matches!(dup, Error::Refused { code: 5024, .. }), "{dup:?}");
    r.delete("DEV2_DHCPV4_POOL_STATICADDR", &stack)
        .await
        .unwrap();
    assert!(
        r.list("DEV2_DHCPV4_POOL_STATICADDR")
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn one_admin_session_busy_takeover_and_eviction() {
    let emu = emulator(EmulatorConfig::default()).await;
    let polite = router(&emu);
    polite.get("DEV2_DEV_INFO").await.unwrap();
    // A second owner that takes over evicts the first ...
    let rude = Router::builder(emu.url().as_str(), PASSWORD)
        .busy_policy(BusyPolicy::TakeOver)
        .build()
        .unwrap();
    rude.get("DEV2_DEV_INFO").await.unwrap();
    assert_eq!(emu.logins(), 2);
    // ... whose next call finds its session gone and someone logged in: it does not log them
    // out (fail_if_busy), and says so.
    assert!(polite.is_busy().await.unwrap());
    let err = polite.get("DEV2_DEV_INFO").await.unwrap_err();
    assert!(matches!(err, Error::Busy), "{err:?}");
    assert_eq!(emu.logins(), 2);
    // With relogin off, a lost session is reported as such.
    let strict = Router::builder(emu.url().as_str(), PASSWORD)
        .busy_policy(BusyPolicy::TakeOver)
        .relogin(false)
        .build()
        .unwrap();
    strict.get("DEV2_DEV_INFO").await.unwrap();
    emu.evict();
    assert!(matches!(
        strict.get("DEV2_DEV_INFO").await,
        Err(Error::SessionLost)
    ));
    // Evicted by a human who left again: the owner logs in again, exactly once.
    let r = router(&emu);
    r.get("DEV2_DEV_INFO").await.unwrap();
    let before = emu.logins();
    emu.evict();
    r.get("DEV2_DEV_INFO").await.unwrap();
    assert_eq!(emu.logins(), before + 1);
}

#[tokio::test]
async fn wrong_passwords_stop_before_the_routers_lock_out() {
    let emu = emulator(EmulatorConfig::default()).await;
    let r = Router::builder(emu.url().as_str(), "wrong")
        .login_guard(3, Duration::from_secs(120))
        .build()
        .unwrap();
    for _ in 0..3 {
        let e = r.get("DEV2_DEV_INFO").await.unwrap_err();
        assert!(
            matches!(e, Error::BadCredentials { admin_hint: false }),
            "{e:?}"
        );
    }
    assert_eq!(emu.login_failures(), 3);
    // The fourth call never reaches the router: the router (locking at 5) is never locked.
    let e = r.get("DEV2_DEV_INFO").await.unwrap_err();
    match e {
        Error::LockedOut { wait } => assert!(wait > Duration::from_secs(100)),
        other => panic!("{other:?}"),
    }
    assert_eq!(emu.login_failures(), 3);
    assert!(!emu.locked_out());
    // `admin` on a JSON-dialect router: the hint says to try `user`.
    let admin = Router::builder(emu.url().as_str(), PASSWORD)
        .username("admin")
        .build()
        .unwrap();
    let e = admin.get("DEV2_DEV_INFO").await.unwrap_err();
    assert!(matches!(e, Error::BadCredentials { admin_hint: true }));
    assert!(e.to_string().contains("`user`"));
    assert!(!format!("{e} {e:?}").contains(PASSWORD));
}

#[tokio::test]
async fn a_1024_bit_key_and_an_unquoted_seq_work() {
    let emu = emulator(EmulatorConfig {
        rsa_key: RsaKey::Generated {
            bits: 1024,
            seed: 7,
        },
        seq_quoted: false,
        ..EmulatorConfig::default()
    })
    .await;
    assert_eq!(emu.public_key().block_len(), 128);
    let r = router(&emu);
    assert_eq!(r.get("DEV2_DEV_INFO").await.unwrap()["modelName"], "XX230v");
}

#[tokio::test]
async fn gcm_is_detected_in_at_most_three_login_attempts_and_remembered() {
    for concat in [false, true] {
        let emu = emulator(EmulatorConfig {
            variant: Variant::Gcm,
            gcm_concat: concat,
            ..EmulatorConfig::default()
        })
        .await;
        let r = router(&emu);
        r.get("DEV2_DEV_INFO").await.unwrap();
        assert_eq!(r.variant().await, Some(Variant::Gcm));
        let logins = emu
            .requests()
            .iter()
            .filter(|q| q.path == "/cgi_gdpr")
            .count()
            - 1;
        assert!(logins <= 3, "{logins} login attempts");
        // The CBC probe did not count as a failed password.
        assert_eq!(emu.login_failures(), 0);
        // Remembered: a re-login goes straight to GCM.
        emu.evict();
        emu.clear_requests();
        r.get("DEV2_DEV_INFO").await.unwrap();
        let posts = emu
            .requests()
            .iter()
            .filter(|q| q.path == "/cgi_gdpr")
            .count();
        assert_eq!(
            posts, 3,
            "the failed command, one GCM login, the command again"
        );
    }
}

#[tokio::test]
async fn transient_errors_are_retried_three_times_at_most_and_hangs_time_out() {
    let emu = emulator(EmulatorConfig::default()).await;
    let r = router(&emu);
    r.get("DEV2_DEV_INFO").await.unwrap();
    emu.set_fault(Fault::Http500, 2);
    r.get("DEV2_DEV_INFO").await.unwrap();
    emu.set_fault(Fault::Http406, 1);
    r.get("DEV2_DEV_INFO").await.unwrap();
    emu.set_fault(Fault::Http500, 5);
    let e = r.get("DEV2_DEV_INFO").await.unwrap_err();
    assert!(
        matches!(e, Error::Http { status } if status.as_u16() == 500),
        "{e:?}"
    );
    emu.clear_faults();
    // A write is never replayed.
    emu.set_fault(Fault::Http500, 1);
    let e = r
        .set(
            "DEV2_ADT_WIFI_COMMON",
            "1,0,0,0,0,0",
            &attrs(json!({"channel": "1"})),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Http { .. }), "{e:?}");
    emu.clear_faults();
    // A body that never comes: a timeout, not a hang.
    let quick = Router::builder(emu.url().as_str(), PASSWORD)
        .busy_policy(BusyPolicy::TakeOver)
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    quick.get("DEV2_DEV_INFO").await.unwrap();
    emu.set_fault(Fault::HangAfterHeaders, 3);
    let started = std::time::Instant::now();
    let e = quick.get("DEV2_DEV_INFO").await.unwrap_err();
    assert!(matches!(e, Error::Timeout(_)), "{e:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
    emu.clear_faults();
    // Invalid UTF-8 in a host name is read lossily.
    emu.set_fault(Fault::GarbageUtf8InHostname, 1);
    let hosts = quick.list("DEV2_HOST_ENTRY").await.unwrap();
    assert!(hosts[0]["hostName"].as_str().unwrap().contains('\u{fffd}'));
}

#[tokio::test]
async fn an_idle_session_that_expired_is_logged_in_again_exactly_once() {
    let emu = emulator(EmulatorConfig {
        session_idle_timeout: Duration::from_millis(300),
        ..EmulatorConfig::default()
    })
    .await;
    let r = router(&emu);
    r.get("DEV2_DEV_INFO").await.unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    r.get("DEV2_DEV_INFO").await.unwrap();
    assert_eq!(emu.logins(), 2);
}

#[tokio::test]
async fn an_unreachable_router_and_a_bad_address_are_typed_errors() {
    let dead = Router::builder("127.0.0.1:9", PASSWORD)
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let e = dead.get("DEV2_DEV_INFO").await.unwrap_err();
    assert!(
        matches!(e, Error::Transport(_) | Error::Timeout(_)),
        "{e:?}"
    );
    assert_eq!(
        e.code(),
        if matches!(e, Error::Timeout(_)) {
            "timeout"
        } else {
            "unreachable"
        }
    );
    for bad in ["", "ftp://x", "http://user:pw@192.0.2.1"] {
        assert!(
            matches!(
                Router::builder(bad, PASSWORD).build(),
                Err(Error::Config(_))
            ),
            "{bad}"
        );
    }
}

#[tokio::test]
async fn a_registry_keeps_one_owner_per_router_and_logs_them_out() {
    use tplink_bridge::Routers;
    let emu = emulator(EmulatorConfig::default()).await;
    let routers = Routers::new(reqwest::Client::new());
    let addr = emu.url().to_string();
    let a = routers
        .get(&addr, "user", PASSWORD.into(), |b| b)
        .await
        .unwrap();
    a.get("DEV2_DEV_INFO").await.unwrap();
    let again = routers
        .get(&addr, "user", PASSWORD.into(), |b| b)
        .await
        .unwrap();
    again.get("DEV2_DEV_INFO").await.unwrap();
    assert_eq!(emu.logins(), 1, "the same owner, the same session");
    assert_eq!(routers.len().await, 1);
    // Other credentials replace the owner (the old one is logged out, its slot freed).
    let other = routers
        .get(&addr, "user", "another-password".into(), |b| {
            b.busy_policy(BusyPolicy::TakeOver)
        })
        .await
        .unwrap();
    assert!(matches!(
        other.get("DEV2_DEV_INFO").await,
        Err(Error::BadCredentials { .. })
    ));
    assert_eq!(routers.len().await, 1);
    let ok = routers
        .get(&addr, "user", PASSWORD.into(), |b| b)
        .await
        .unwrap();
    ok.get("DEV2_DEV_INFO").await.unwrap();
    routers.shutdown().await;
    assert_eq!(emu.active_sessions(), 0);
    assert!(routers.is_empty().await);
}
