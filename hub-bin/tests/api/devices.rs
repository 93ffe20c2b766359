use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};

use crate::helpers::{DISPATCH, N8N_TOKEN};

use crate::helpers::{lookup, statuses, with_acs};

#[tokio::test]
async fn a_modem_is_found_by_serial_mac_or_equipment_with_its_customer() {
    let (t, _nbi) = with_acs(|_| {}).await;
    let se = t
        .fake
        .all("Service Equipment")
        .into_iter()
        .find(|e| e["equipment_type"] == "ONT Router")
        .unwrap();
    let serial = se["serial_number"].as_str().unwrap();
    for query in [
        format!("serial={serial}"),
        format!(
            "mac={}",
            se["mac_address"]
                .as_str()
                .unwrap()
                .to_lowercase()
                .replace(':', "-")
        ),
        format!("equipment={}", se["name"].as_str().unwrap()),
    ] {
        let (status, body) = lookup(&t, &query).await;
        assert_eq!(status, StatusCode::OK, "{query}: {body}");
        assert_eq!(
            statuses(&body),
            [
                ("erpnext".into(), "ok".into()),
                ("genieacs".into(), "ok".into()),
                ("tplink".into(), "not_configured".into()),
                ("olt".into(), "not_configured".into())
            ],
            "{query}"
        );
        assert_eq!(body["equipment"]["customer"], se["customer"]);
        assert_eq!(
            body["equipment"]["service_location"],
            se["service_location"]
        );
        assert_eq!(body["acs"]["serial"], serial, "{body}");
        assert_eq!(body["acs"]["online"], true);
        // The modem snapshot: firmware with its provenance, customer Wi-Fi only, no secret.
        let identity = &body["acs"]["identity"];
        assert!(identity["value"]["firmware"].is_string(), "{body}");
        assert!(identity["age_secs"].is_i64(), "{body}");
        assert!(!body["acs"]["wifi"]["value"].as_array().unwrap().is_empty());
        assert!(!body.to_string().contains("KeyPassphrase"));
    }
    // Staff without devices:read may not look.
    let r = t
        .staff(
            Method::GET,
            &format!("/devices/lookup?serial={serial}"),
            DISPATCH,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = t
        .token(
            Method::GET,
            &format!("/devices/lookup?serial={serial}"),
            N8N_TOKEN,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_unknown_modem_is_not_found_by_each_source() {
    let (t, _nbi) = with_acs(|_| {}).await;
    let (status, body) = lookup(&t, "serial=NOPE000").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        statuses(&body),
        [
            ("erpnext".into(), "not_found".into()),
            ("genieacs".into(), "not_found".into()),
            ("tplink".into(), "not_found".into()),
            ("olt".into(), "not_configured".into())
        ]
    );
    assert!(body["equipment"].is_null() && body["acs"].is_null());
    assert!(body["router"].is_null() && body["diagnostic"].is_null());
}

#[tokio::test]
async fn a_source_that_is_down_slow_or_unconfigured_makes_the_answer_partial() {
    // Not configured.
    let (t, _) = with_acs(|s| s.genieacs = None).await;
    let serial = t.fake.all("Service Equipment")[0]["serial_number"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, body) = lookup(&t, &format!("serial={serial}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        statuses(&body)[1],
        ("genieacs".into(), "not_configured".into())
    );
    assert!(
        body["sources"][1]["error"]
            .as_str()
            .unwrap()
            .contains("GENIEACS_URL")
    );
    assert!(body["equipment"].is_object(), "ERPNext still answered");
    // Down: nothing listens there.
    let closed = format!("127.0.0.1:{}", crate::helpers::free_port());
    let (t, _) = with_acs(|s| {
        s.genieacs.as_mut().unwrap().url = format!("http://{closed}");
    })
    .await;
    let (_, body) = lookup(&t, &format!("serial={serial}")).await;
    assert_eq!(statuses(&body)[1], ("genieacs".into(), "error".into()));
    assert!(body["equipment"].is_object());
    // Slow: an NBI that takes 3 s, a lookup deadline of 400 ms.
    let slow = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::any())
        .respond_with(
            wiremock::ResponseTemplate::new(200)
                .set_delay(Duration::from_secs(3))
                .set_body_json(serde_json::json!([])),
        )
        .mount(&slow)
        .await;
    let (t, _) = with_acs(|s| {
        s.genieacs.as_mut().unwrap().url = slow.uri();
        s.lookup_deadline = Duration::from_millis(400);
    })
    .await;
    let started = Instant::now();
    let (status, body) = lookup(&t, &format!("serial={serial}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "answered within the deadline"
    );
    assert_eq!(statuses(&body)[1], ("genieacs".into(), "timeout".into()));
    assert!(body["equipment"].is_object());
}

#[tokio::test]
async fn bad_lookups_name_the_field() {
    let (t, _) = with_acs(|_| {}).await;
    for (query, field) in [
        ("", "serial"),
        ("serial=a&mac=b", "serial"),
        ("mac=zz", "mac"),
        ("imei=1", "imei"),
        ("serial=%0A", "serial"),
    ] {
        let (status, body) = lookup(&t, query).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert_eq!(body["error"]["field"], field, "{query}");
    }
}

/// The Huawei unit the fake ERPNext seeds (`SE-00011`) and the customer it is installed for.
const HUAWEI_SERIAL: &str = "8KA8WA1151100043";
const HUAWEI_CUSTOMER: &str = "Clinique Vétérinaire Rive-Sud";

#[tokio::test]
async fn every_seeded_acs_device_id_is_the_id_of_a_device_in_the_sandbox_nbi() {
    let fake = frappe_client::testkit::FakeFrappe::start().await.unwrap();
    let nbi = hub::sandbox::fake_nbi_for(&fake).await.unwrap();
    let mut brands = std::collections::BTreeSet::new();
    for se in fake.all("Service Equipment") {
        let Some(id) = se["acs_device_id"].as_str() else {
            continue;
        };
        let name = &se["name"];
        let parsed = genieacs_client::DeviceId::parse(id)
            .unwrap_or_else(|| panic!("{name}: {id} is not a GenieACS id"));
        let device = nbi
            .device(&parsed)
            .unwrap_or_else(|| panic!("{name}: the NBI has no device {id}"));
        assert_eq!(device["_id"], id, "{name}");
        assert_eq!(
            device["_deviceId"]["_SerialNumber"], se["serial_number"],
            "{name}"
        );
        brands.insert(se["brand"].as_str().unwrap_or_default().to_owned());
    }
    assert_eq!(
        brands.into_iter().collect::<Vec<_>>(),
        ["Huawei", "TP-Link"],
        "both brands of ONT router carry an acs_device_id"
    );
}

#[tokio::test]
async fn the_sandbox_huawei_is_looked_up_with_its_tr098_tree_and_its_customer() {
    let (t, _nbi) = with_acs(|_| {}).await;
    let (status, body) = lookup(&t, &format!("serial={HUAWEI_SERIAL}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        statuses(&body),
        [
            ("erpnext".into(), "ok".into()),
            ("genieacs".into(), "ok".into()),
            ("tplink".into(), "not_applicable".into()),
            ("olt".into(), "not_configured".into())
        ],
        "{body}"
    );
    assert_eq!(body["equipment"]["brand"], "Huawei");
    assert_eq!(body["equipment"]["customer"], HUAWEI_CUSTOMER);
    assert_eq!(body["acs"]["data_model"], "tr098", "{body}");
    assert_eq!(body["acs"]["serial"], HUAWEI_SERIAL);
    assert_eq!(body["acs"]["device_id"], body["equipment"]["acs_device_id"]);
    assert_eq!(body["acs"]["online"], true);
}
