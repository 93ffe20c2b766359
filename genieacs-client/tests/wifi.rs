//! Safe Wi-Fi writes against the fake NBI seeded with the real XX230v and Huawei trees.

use genieacs_client::testkit::{FakeNbi, SEED_SERIALS, TaskBehaviour};
use genieacs_client::{
    Band, Client, DeviceId, Error, Passphrase, TaskOptions, TaskOutcome, WifiChange,
};

async fn setup(serial: &str) -> (FakeNbi, Client, DeviceId) {
    let nbi = FakeNbi::seeded().await.unwrap();
    let acs = Client::builder(nbi.url().as_str()).build().unwrap();
    let id = acs.devices().find_by_serial(serial).await.unwrap()[0]
        .id
        .clone();
    (nbi, acs, id)
}

const SECRET: &str = "correct horse battery";

#[tokio::test]
async fn one_band_is_refreshed_set_and_read_back() {
    let (nbi, acs, id) = setup(SEED_SERIALS[0]).await;
    let change = WifiChange::new()
        .band(Band::Ghz5)
        .ssid("Gigafibre-Test_5G")
        .passphrase(Passphrase::new(SECRET).unwrap());
    let r = acs
        .devices()
        .set_wifi(&id, &change, &TaskOptions::default())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r.outcome, TaskOutcome::Done);
    assert!(r.confirmed);
    assert_eq!(r.networks, ["Device.WiFi.SSID.3"]);
    let doc = nbi.device(&id).unwrap();
    let wifi = &doc["Device"]["WiFi"];
    assert_eq!(wifi["SSID"]["3"]["SSID"]["_value"], "Gigafibre-Test_5G");
    // The passphrase went to the access point of that SSID, and only there.
    let aps: Vec<&str> = wifi["AccessPoint"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, ap)| ap["Security"]["KeyPassphrase"]["_value"] == SECRET)
        .map(|(_, ap)| ap["SSIDReference"]["_value"].as_str().unwrap())
        .collect();
    assert_eq!(aps.len(), 1, "{aps:?}");
    assert!(aps[0].trim_end_matches('.').ends_with("SSID.3"));
    // The 2.4 GHz network is untouched; nothing in the result shows the secret.
    assert_ne!(wifi["SSID"]["1"]["SSID"]["_value"], "Gigafibre-Test_5G");
    assert!(!format!("{r:?}{change:?}").contains(SECRET));
}

#[tokio::test]
async fn an_unreachable_modem_gets_nothing_queued() {
    let (nbi, acs, id) = setup(SEED_SERIALS[1]).await;
    nbi.set_task_behaviour(
        &id,
        TaskBehaviour::ConnectionRequestFails("Device is offline".into()),
    );
    let change = WifiChange::new().ssid("Later");
    let r = acs
        .devices()
        .set_wifi(&id, &change, &TaskOptions::default())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        r.outcome,
        TaskOutcome::ConnectionRequestFailed("Device is offline".into())
    );
    assert!(!r.confirmed);
    assert!(
        nbi.tasks()
            .iter()
            .all(|t| t["name"] != "setParameterValues")
    );
}

#[tokio::test]
async fn a_fault_stops_the_change_and_reaches_the_caller() {
    let (nbi, acs, id) = setup(SEED_SERIALS[2]).await;
    let change = WifiChange::new().ssid("Refused");
    nbi.set_task_behaviour(
        &id,
        TaskBehaviour::Faults("cwmp.9007".into(), "Invalid parameter value".into()),
    );
    let r = acs
        .devices()
        .set_wifi(&id, &change, &TaskOptions::default())
        .await
        .unwrap()
        .unwrap();
    // The device faults every task: the refresh faults, the caller sees the fault, nothing
    // is written.
    assert!(matches!(r.outcome, TaskOutcome::Faulted(ref f) if f.code == "cwmp.9007"));
    assert!(!r.confirmed);
    assert!(
        nbi.tasks()
            .iter()
            .all(|t| t["name"] != "setParameterValues")
    );
}

#[tokio::test]
async fn tr098_sets_the_ssid_and_says_when_no_passphrase_parameter_exists() {
    let (nbi, acs, id) = setup(SEED_SERIALS[3]).await;
    let r = acs
        .devices()
        .set_wifi(
            &id,
            &WifiChange::new().ssid("Gigafibre-HW"),
            &TaskOptions::default(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r.outcome, TaskOutcome::Done);
    assert!(r.confirmed);
    let doc = nbi.device(&id).unwrap();
    assert_eq!(
        doc["InternetGatewayDevice"]["LANDevice"]["1"]["WLANConfiguration"]["1"]["SSID"]["_value"],
        "Gigafibre-HW"
    );
    // This Huawei tree has only a raw PreSharedKey: a passphrase cannot be set there.
    let change = WifiChange::new().passphrase(Passphrase::new(SECRET).unwrap());
    let e = acs
        .devices()
        .set_wifi(&id, &change, &TaskOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::InvalidInput(m) if m.contains("no passphrase parameter")),
        "{e}"
    );
    assert!(!e.to_string().contains(SECRET));
}

#[tokio::test]
async fn bad_input_is_refused_before_any_request() {
    let (nbi, acs, id) = setup(SEED_SERIALS[0]).await;
    let before = nbi.requests().len();
    for bad in ["short", &"x".repeat(64), "tab\there-is-bad"] {
        let e = Passphrase::new(bad).unwrap_err();
        assert!(matches!(e, Error::InvalidInput(_)));
        assert!(!e.to_string().contains(bad), "{e}");
    }
    assert!(Passphrase::new("a".repeat(63)).is_ok());
    assert!(Passphrase::new("0123456789abcdef".repeat(4)).is_ok());
    for change in [
        WifiChange::new(),
        WifiChange::new().ssid(""),
        WifiChange::new().ssid("x".repeat(33)),
    ] {
        let e = acs
            .devices()
            .set_wifi(&id, &change, &TaskOptions::default())
            .await
            .unwrap_err();
        assert!(matches!(e, Error::InvalidInput(_)), "{e}");
    }
    assert_eq!(nbi.requests().len(), before);
    let e = acs
        .devices()
        .set_wifi(
            &id,
            &WifiChange::new().band(Band::Ghz6).ssid("x"),
            &TaskOptions::default(),
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("6GHz"), "{e}");
    assert!(
        acs.devices()
            .set_wifi(
                &DeviceId::from_parts("000000", "X", "0"),
                &WifiChange::new().ssid("x"),
                &TaskOptions::default()
            )
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!("2.4 GHz".parse::<Band>().unwrap(), Band::Ghz2_4);
    assert!("7GHz".parse::<Band>().is_err());
}
