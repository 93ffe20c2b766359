//! Decoding of the two contract recordings, without any network: every ONU row of each file
//! through its vendor profile, pinned as insta snapshots.

use chrono::DateTime;
use olt_snmp::snmprec::Recording;
use olt_snmp::{OnuStatus, OpticalStatus, Profile, SignalQuality, SignalThresholds};

fn decode(profile: &str, file: &str) -> Vec<OpticalStatus> {
    let text = std::fs::read_to_string(format!(
        "{}/tests/resources/{file}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let rec = Recording::parse(&text).unwrap();
    let p = Profile::builtin(profile).unwrap();
    p.decode_all("lab", rec.iter(), DateTime::UNIX_EPOCH)
}

#[test]
fn huawei_recording_decodes_to_42_onts_with_seven_offline() {
    let all = decode("huawei-ma5800", "huawei-ma5800.snmprec");
    assert_eq!(all.len(), 42);
    let down: Vec<String> = all
        .iter()
        .filter(|s| !s.status.is_online())
        .map(|s| format!("{}:{}", s.pon_port, s.onu_id))
        .collect();
    assert_eq!(
        down,
        [
            "0/1/0:3", "0/1/0:8", "0/1/1:6", "0/1/1:7", "0/1/1:8", "0/1/2:4", "0/1/2:10"
        ]
    );
    let ont3 = &all[3];
    assert_eq!(ont3.serial.as_str(), "TPLGB335F985");
    assert_eq!(
        ont3.status,
        OnuStatus::Los,
        "RunStatus 2 with last down cause 1 (LOS)"
    );
    assert_eq!(
        (
            ont3.onu_rx_dbm,
            ont3.olt_rx_dbm,
            ont3.temperature_c,
            ont3.distance_m
        ),
        (None, None, None, None),
        "the 2147483647 sentinels and ranging -1 are no reading, never 0"
    );
    let ont0 = &all[0];
    assert_eq!(ont0.serial.as_str(), "HWTCC55642CF");
    assert_eq!(
        (ont0.onu_rx_dbm, ont0.onu_tx_dbm, ont0.olt_rx_dbm),
        (Some(-22.49), Some(1.8), Some(-23.45))
    );
    assert_eq!(
        (
            ont0.temperature_c,
            ont0.voltage_v,
            ont0.bias_ma,
            ont0.distance_m
        ),
        (Some(53.0), Some(3.25), Some(13.0), Some(1786.0))
    );
    insta::assert_json_snapshot!("huawei_ma5800_decoded", all);
}

#[test]
fn zte_recording_decodes_to_42_onus_with_five_down() {
    let all = decode("zte-c300", "zte-c300.snmprec");
    assert_eq!(all.len(), 42);
    let down: Vec<String> = all
        .iter()
        .filter(|s| !s.status.is_online())
        .map(|s| format!("{}:{}", s.pon_port, s.onu_id))
        .collect();
    assert_eq!(
        down,
        ["1/1/1:3", "1/1/2:6", "1/1/3:5", "1/1/3:7", "1/1/3:9"]
    );
    let onu3 = all
        .iter()
        .find(|s| s.pon_port.to_string() == "1/1/1" && s.onu_id == 3)
        .unwrap();
    assert_eq!(onu3.status, OnuStatus::DyingGasp, "PhaseState 4");
    assert_eq!(
        (onu3.onu_rx_dbm, onu3.olt_rx_dbm, onu3.distance_m),
        (None, None, None)
    );
    let onu1 = &all[0];
    assert_eq!(onu1.serial.as_str(), "ZTEGC55642CF");
    assert_eq!(
        (onu1.onu_rx_dbm, onu1.onu_tx_dbm, onu1.olt_rx_dbm),
        (Some(-22.49), Some(1.8), Some(-23.45))
    );
    assert_eq!(
        (
            onu1.temperature_c,
            onu1.voltage_v,
            onu1.bias_ma,
            onu1.distance_m
        ),
        (Some(53.0), Some(3.24), Some(13.1), Some(1786.0))
    );
    insta::assert_json_snapshot!("zte_c300_decoded", all);
}

#[test]
fn the_recordings_hold_weak_onus_for_threshold_tests() {
    let t = SignalThresholds::default();
    for (p, f) in [
        ("huawei-ma5800", "huawei-ma5800.snmprec"),
        ("zte-c300", "zte-c300.snmprec"),
    ] {
        let all = decode(p, f);
        let weak = all
            .iter()
            .filter(|s| t.verdict(s) == SignalQuality::Weak)
            .count();
        assert!(weak >= 2, "{f}: {weak} weak ONUs");
        for s in &all {
            if s.status.is_online() {
                assert!(
                    s.onu_rx_dbm.is_some_and(|v| (-50.0..=10.0).contains(&v)),
                    "{s:?}"
                );
            } else {
                assert_eq!(t.verdict(s), SignalQuality::Unknown);
            }
        }
    }
}

#[test]
fn index_decoding_agrees_with_the_recorded_port_names() {
    for (p, f) in [
        ("huawei-ma5800", "huawei-ma5800.snmprec"),
        ("zte-c300", "zte-c300.snmprec"),
    ] {
        let text = std::fs::read_to_string(format!(
            "{}/tests/resources/{f}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let rec = Recording::parse(&text).unwrap();
        let profile = Profile::builtin(p).unwrap();
        let if_name: olt_snmp::Oid = "1.3.6.1.2.1.31.1.1.1.1".parse().unwrap();
        let mut n = 0;
        for (oid, value) in rec.subtree(&if_name) {
            let if_index = oid.suffix(&if_name).unwrap()[0];
            let name = String::from_utf8(value.as_bytes().unwrap().to_vec()).unwrap();
            let port = profile.index.decode(&[if_index, 1]).unwrap().pon_port;
            assert!(
                name.ends_with(&port.to_string()),
                "{f}: ifName {name:?} vs decoded {port}"
            );
            assert_eq!(name.parse::<olt_snmp::PonPort>().unwrap(), port);
            assert_eq!(profile.index.port_prefix(port), Some(vec![if_index]));
            n += 1;
        }
        assert_eq!(n, 3, "{f}");
    }
}
