//! The browser client in real headless Chromium (Debian's `/usr/bin/chromium`, installed by the
//! test script) against the emulator's page: login through the form, the same status as the
//! native client, a write, the busy router, a wrong password, and a browser that dies.

#![cfg(feature = "browser")]

use std::time::Duration;

use serde_json::json;
use tplink_bridge::browser::{BrowserPool, BrowserSettings};
use tplink_bridge::crypto::Variant;
use tplink_bridge::emulator::{Emulator, EmulatorConfig};
use tplink_bridge::{BusyPolicy, Error, Router};

const PASSWORD: &str = "Test-Pass-123";

fn pool() -> BrowserPool {
    BrowserPool::new(BrowserSettings::default().call_timeout(Duration::from_secs(20)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_browser_reads_what_the_native_client_reads_and_writes_through_the_page() {
    for variant in [Variant::Cbc, Variant::Gcm] {
        let emu = Emulator::start(EmulatorConfig {
            variant,
            ..EmulatorConfig::default()
        })
        .await
        .unwrap();
        let native = Router::builder(emu.url().as_str(), PASSWORD)
            .build()
            .unwrap();
        let expected = native.status(false).await.unwrap();
        native.logout().await.unwrap();

        let pool = pool();
        let r = pool.router(emu.url().as_str(), PASSWORD).unwrap();
        let got = r.status(false).await.unwrap();
        assert_eq!(
            got, expected,
            "{variant:?}: the same model from either client"
        );
        assert_eq!(emu.logins(), 2, "one native login, one from the page");

        r.set(
            "DEV2_ADT_WIFI_COMMON",
            "1,0,0,0,0,0",
            json!({"channel": 11}).as_object().unwrap(),
        )
        .await
        .unwrap();
        assert_eq!(
            emu.fixture("DEV2_ADT_WIFI_COMMON").unwrap()[0]["channel"],
            "11"
        );
        let e = r.list("DEV2_NOT_THERE").await.unwrap_err();
        assert!(matches!(e, Error::Refused { code: 71011, .. }), "{e:?}");
        r.close().await;
        pool.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn busy_router_wrong_password_and_a_browser_that_dies() {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let pool = pool();

    // Someone is logged in: the page shows the force-login confirmation.
    let native = Router::builder(emu.url().as_str(), PASSWORD)
        .build()
        .unwrap();
    native.get("DEV2_DEV_INFO").await.unwrap();
    let polite = pool.router(emu.url().as_str(), PASSWORD).unwrap();
    let e = polite.get("DEV2_DEV_INFO").await.unwrap_err();
    assert!(matches!(e, Error::Busy), "{e:?}");
    let rude = pool
        .router(emu.url().as_str(), PASSWORD)
        .unwrap()
        .busy_policy(BusyPolicy::TakeOver);
    assert_eq!(
        rude.get("DEV2_DEV_INFO").await.unwrap()["modelName"],
        "XX230v"
    );

    // A wrong password: the page's error tip.
    let wrong = pool
        .router(emu.url().as_str(), "nope")
        .unwrap()
        .busy_policy(BusyPolicy::TakeOver);
    let e = wrong.get("DEV2_DEV_INFO").await.unwrap_err();
    assert!(matches!(e, Error::BadCredentials { .. }), "{e:?}");

    // The browser dies: the next call launches it again and logs in again.
    assert_eq!(pool.launches(), 1);
    let pid = pool.browser_pid().await.unwrap();
    std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let again = pool
        .router(emu.url().as_str(), PASSWORD)
        .unwrap()
        .busy_policy(BusyPolicy::TakeOver);
    assert_eq!(
        again.get("DEV2_DEV_INFO").await.unwrap()["modelName"],
        "XX230v"
    );
    assert_eq!(pool.launches(), 2);
    pool.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_browser_takes_over_when_the_native_crypto_does_not_match() {
    use tplink_bridge::browser::{Backend, FallbackRouter};
    // A GCM router, and a native client pinned to CBC: its login cannot be read.
    let emu = Emulator::start(EmulatorConfig {
        variant: Variant::Gcm,
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let native = Router::builder(emu.url().as_str(), PASSWORD)
        .variant(Variant::Cbc)
        .build()
        .unwrap();
    let pool = pool();
    let r = FallbackRouter::new(native, pool.router(emu.url().as_str(), PASSWORD).unwrap());
    let (status, backend) = r.status(false).await.unwrap();
    assert_eq!(backend, Backend::Browser);
    assert_eq!(status.device.unwrap().model.as_deref(), Some("XX230v"));
    assert_eq!(
        emu.login_failures(),
        0,
        "the mismatched probe was no password failure"
    );
    // Remembered: the next read goes straight to the page.
    let logins = emu.logins();
    let (_, backend) = r.status(false).await.unwrap();
    assert_eq!((backend, emu.logins()), (Backend::Browser, logins));
    r.close().await;

    // A router the native client speaks stays native.
    let cbc = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let r = FallbackRouter::new(
        Router::builder(cbc.url().as_str(), PASSWORD)
            .build()
            .unwrap(),
        pool.router(cbc.url().as_str(), PASSWORD).unwrap(),
    );
    assert_eq!(r.status(false).await.unwrap().1, Backend::Native);
    r.close().await;
    pool.shutdown().await;
}
