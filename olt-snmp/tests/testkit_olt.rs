//! The operations end to end against the in-process fake agent, over UDP on 127.0.0.1.

mod common;

use std::time::Duration;

use chrono::DateTime;
use futures::TryStreamExt;
use olt_snmp::testkit::{FakeAgent, Fault, TooBigMode};
use olt_snmp::{Error, Field, GlobalLimit, Oid, Olt, OnuStatus, PonPort, Profile, Serial, Value};

fn serial(s: &str) -> Serial {
    Serial::parse(s).unwrap()
}

fn without_time(mut v: Vec<olt_snmp::OpticalStatus>) -> Vec<olt_snmp::OpticalStatus> {
    for s in &mut v {
        s.polled_at = DateTime::UNIX_EPOCH;
    }
    v
}

#[tokio::test]
async fn detects_both_vendors_from_the_system_group() {
    let agent = common::agent().start().await.unwrap();
    let hw = common::olt(&agent, "huawei-ma5800").build().unwrap();
    assert_eq!(hw.profile().await.unwrap().name, "huawei-ma5800");
    let zte = common::olt(&agent, "zte-c300").build().unwrap();
    assert_eq!(zte.profile().await.unwrap().name, "zte-c300");
    let sys = zte.system().await.unwrap();
    assert_eq!(sys.name, "OLT-ZTE-LAB-01");
    assert_eq!(sys.uptime_ticks, Some(123_456_789));
}

#[tokio::test]
async fn unknown_vendor_is_a_typed_error_naming_the_olt() {
    let mut rec = common::recording("huawei-ma5800.snmprec");
    rec.set(
        "1.3.6.1.2.1.1.2.0".parse().unwrap(),
        Value::ObjectId("1.3.6.1.4.1.637.61.1".parse().unwrap()),
    );
    rec.set(
        "1.3.6.1.2.1.1.1.0".parse().unwrap(),
        Value::OctetString(b"ISAM FX".to_vec()),
    );
    let agent = FakeAgent::builder()
        .recording("nokia", rec)
        .start()
        .await
        .unwrap();
    let olt = common::olt(&agent, "nokia").build().unwrap();
    let err = olt.profile().await.unwrap_err();
    assert!(
        matches!(&err, Error::UnknownVendor { olt, .. } if olt == "nokia"),
        "{err}"
    );
    assert!(err.to_string().contains("1.3.6.1.4.1.637.61.1"), "{err}");
}

#[tokio::test]
async fn onu_status_reads_one_onu_in_one_get_once_the_serial_is_cached() {
    let agent = common::agent().start().await.unwrap();
    let olt = common::olt(&agent, "huawei-ma5800")
        .vendor("huawei-ma5800")
        .build()
        .unwrap();
    let first = olt.onu_status(&serial("HWTCC55642CF")).await.unwrap();
    assert_eq!(
        (first.pon_port, first.onu_id, first.status),
        (PonPort::new(0, 1, 0), 0, OnuStatus::Online)
    );
    assert_eq!(
        (first.onu_rx_dbm, first.olt_rx_dbm, first.distance_m),
        (Some(-22.49), Some(-23.45), Some(1786.0))
    );
    let before = agent.stats();
    let again = olt.onu_status(&serial("hwtcd36a6635")).await.unwrap();
    let after = agent.stats();
    assert_eq!(again.onu_id, 1);
    assert_eq!(
        (after.get - before.get, after.requests - before.requests),
        (1, 1),
        "one GET, nothing else"
    );
}

#[tokio::test]
async fn an_offline_onu_reports_its_state_and_no_optics() {
    let agent = common::agent().start().await.unwrap();
    let hw = common::olt(&agent, "huawei-ma5800").build().unwrap();
    let s = hw.onu_status(&serial("TPLGB335F985")).await.unwrap();
    assert_eq!(
        (s.pon_port, s.onu_id, s.status),
        (PonPort::new(0, 1, 0), 3, OnuStatus::Los)
    );
    assert_eq!(s.last_down_cause.as_ref().map(|c| c.as_str()), Some("los"));
    assert_eq!(
        (s.onu_rx_dbm, s.onu_tx_dbm, s.olt_rx_dbm, s.distance_m),
        (None, None, None, None)
    );
    let json = serde_json::to_value(&s).unwrap();
    assert!(
        json.get("onuRxDbm").is_none() && json.get("distanceM").is_none(),
        "{json}"
    );

    let zte = common::olt(&agent, "zte-c300").build().unwrap();
    let s = zte.onu_status(&serial("TPLG769FAFBA")).await.unwrap();
    assert_eq!(
        (s.pon_port, s.onu_id, s.status),
        (PonPort::new(1, 1, 1), 3, OnuStatus::DyingGasp)
    );
    assert_eq!(
        (s.onu_rx_dbm, s.olt_rx_dbm, s.distance_m),
        (None, None, None)
    );
}

#[tokio::test]
async fn an_unknown_serial_is_onu_not_found_naming_the_olt() {
    let agent = common::agent().start().await.unwrap();
    let olt = common::olt(&agent, "zte-c300").build().unwrap();
    let err = olt.onu_status(&serial("ALCL00000001")).await.unwrap_err();
    assert!(err.is_not_found() && err.olt() == Some("zte-c300"), "{err}");
}

#[tokio::test]
async fn a_moved_onu_is_found_again_after_the_serial_no_longer_matches() {
    let agent = common::agent().start().await.unwrap();
    let olt = common::olt(&agent, "huawei-ma5800").build().unwrap();
    let a = serial("HWTCC55642CF");
    assert_eq!(olt.onu_status(&a).await.unwrap().onu_id, 0);
    // Swap ONT 0 and ONT 1: the cache still says ONT 0.
    let col = "1.3.6.1.4.1.2011.6.128.1.1.2.43.1.3.4194312192";
    let sn = |s: &str| {
        Value::OctetString(
            olt_snmp::snmprec::Recording::parse(&format!("1.3|4x|{s}\n"))
                .unwrap()
                .get(&"1.3".parse().unwrap())
                .unwrap()
                .as_bytes()
                .unwrap()
                .to_vec(),
        )
    };
    agent.set(
        "huawei-ma5800",
        format!("{col}.0").parse().unwrap(),
        sn("48575443d36a6635"),
    );
    agent.set(
        "huawei-ma5800",
        format!("{col}.1").parse().unwrap(),
        sn("48575443c55642cf"),
    );
    let moved = olt.onu_status(&a).await.unwrap();
    assert_eq!((moved.serial, moved.onu_id), (a, 1));
}

#[tokio::test]
async fn polling_a_port_returns_its_fourteen_onus() {
    let agent = common::agent().start().await.unwrap();
    let olt = common::olt(&agent, "zte-c300").build().unwrap();
    let port = olt.poll_port(PonPort::new(1, 1, 3)).await.unwrap();
    assert_eq!(port.len(), 14);
    assert!(port.iter().all(|s| s.pon_port == PonPort::new(1, 1, 3)));
    let down: Vec<u32> = port
        .iter()
        .filter(|s| !s.status.is_online())
        .map(|s| s.onu_id)
        .collect();
    assert_eq!(down, [5, 7, 9]);
    let err = olt.poll_port(PonPort::new(0, 1, 1)).await.unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)), "{err}");
}

#[tokio::test]
async fn polling_the_whole_olt_streams_every_onu_as_decoded_from_the_recording() {
    for (community, file) in [
        ("huawei-ma5800", "huawei-ma5800.snmprec"),
        ("zte-c300", "zte-c300.snmprec"),
    ] {
        let agent = common::agent().start().await.unwrap();
        let olt = common::olt(&agent, community).build().unwrap();
        let polled: Vec<_> = olt.poll_all().try_collect().await.unwrap();
        let rec = common::recording(file);
        let want = Profile::builtin(community).unwrap().decode_all(
            community,
            rec.iter(),
            DateTime::UNIX_EPOCH,
        );
        assert_eq!(without_time(polled), want, "{community}");
        assert_eq!(olt.stats().timeouts, 0);
    }
}

#[tokio::test]
async fn a_light_poll_reads_only_the_level_columns() {
    let agent = common::agent().start().await.unwrap();
    let olt = common::olt(&agent, "huawei-ma5800")
        .vendor("huawei-ma5800")
        .build()
        .unwrap();
    let polled: Vec<_> = olt.poll_fields(&Field::LEVELS).try_collect().await.unwrap();
    assert_eq!(polled.len(), 42);
    assert!(polled.iter().all(|s| s.temperature_c.is_none()
        && s.distance_m.is_none()
        && s.last_down_cause.is_none()));
    assert!(
        polled
            .iter()
            .filter(|s| s.status.is_online())
            .all(|s| s.onu_rx_dbm.is_some() && s.olt_rx_dbm.is_some())
    );
}

#[tokio::test]
async fn wrong_community_gets_silence_and_reads_as_no_answer() {
    let agent = common::agent().start().await.unwrap();
    let olt = Olt::builder("olt-x", agent.addr().to_string())
        .community("not-the-community")
        .timeout(Duration::from_millis(100))
        .retries(1)
        .build()
        .unwrap();
    let err = olt.system().await.unwrap_err();
    assert!(matches!(err, Error::NoAnswer { attempts: 2, .. }), "{err}");
    assert!(!err.to_string().contains("not-the-community"), "{err}");
    assert_eq!(agent.stats().wrong_community, 2);
}

#[tokio::test]
async fn a_stopped_agent_is_a_timeout_once_it_had_answered() {
    let agent = common::agent().start().await.unwrap();
    let olt = common::olt(&agent, "huawei-ma5800")
        .timeout(Duration::from_millis(100))
        .retries(1)
        .build()
        .unwrap();
    olt.system().await.unwrap();
    agent.stop();
    let err = olt.system().await.unwrap_err();
    assert!(matches!(err, Error::Timeout { attempts: 2, .. }), "{err}");
    assert!(err.is_transient());
}

#[tokio::test]
async fn a_closed_port_is_unreachable() {
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = sock.local_addr().unwrap();
    drop(sock);
    let olt = Olt::builder("olt-gone", addr.to_string())
        .community("c")
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let err = olt.system().await.unwrap_err();
    assert!(
        matches!(&err, Error::Unreachable { olt, .. } if olt == "olt-gone"),
        "{err}"
    );
}

#[tokio::test]
async fn getbulk_halves_its_repetitions_on_truncation_and_on_too_big() {
    for mode in [TooBigMode::Truncate, TooBigMode::Error] {
        let agent = common::agent()
            .max_response_bytes(600)
            .too_big(mode)
            .start()
            .await
            .unwrap();
        let olt = common::olt(&agent, "huawei-ma5800").build().unwrap();
        let polled: Vec<_> = olt.poll_all().try_collect().await.unwrap();
        assert_eq!(polled.len(), 42, "{mode:?}");
        assert!(olt.stats().bulk_shrinks > 0, "{mode:?}: {:?}", olt.stats());
        let root: Oid = "1.3.6.1.4.1.2011.6.128.1.1.2.43.1.9".parse().unwrap();
        let walked = olt.walk(&root).await.unwrap();
        assert_eq!(walked.len(), 42, "{mode:?}");
    }
}

#[tokio::test]
async fn too_big_with_one_repetition_is_an_error_not_a_loop() {
    let agent = common::agent()
        .max_response_bytes(60)
        .too_big(TooBigMode::Error)
        .start()
        .await
        .unwrap();
    let olt = common::olt(&agent, "huawei-ma5800")
        .vendor("huawei-ma5800")
        .build()
        .unwrap();
    let root: Oid = "1.3.6.1.4.1.2011.6.128.1.1.2.43.1.9".parse().unwrap();
    let err = olt.walk(&root).await.unwrap_err();
    assert!(matches!(err, Error::Protocol { .. }), "{err}");
}

#[tokio::test]
async fn dropped_late_and_duplicated_replies_never_give_a_wrong_value() {
    let agent = common::agent().start().await.unwrap();
    let olt = common::olt(&agent, "huawei-ma5800")
        .timeout(Duration::from_millis(80))
        .retries(3)
        .build()
        .unwrap();
    let serials = [
        "HWTCC55642CF",
        "HWTCD36A6635",
        "HWTCD1DDAADA",
        "TPLGDED3C5C8",
    ];
    let expected: Vec<_> = {
        let mut v = Vec::new();
        for s in serials {
            v.push(olt.onu_status(&serial(s)).await.unwrap());
        }
        v
    };
    for round in 0..40 {
        let fault = match round % 4 {
            0 => Fault::Drop,
            1 => Fault::Delay(Duration::from_millis(120)),
            2 => Fault::Duplicate,
            _ => Fault::Delay(Duration::from_millis(10)),
        };
        agent.push_fault(fault, 1);
        let i = round % serials.len();
        let got = olt.onu_status(&serial(serials[i])).await.unwrap();
        let mut want = expected[i].clone();
        want.polled_at = got.polled_at;
        assert_eq!(got, want, "round {round} with {fault:?}");
    }
    let st = olt.stats();
    assert!(st.timeouts >= 20, "{st:?}");
    assert!(
        st.sessions_dropped >= st.timeouts,
        "every timed-out session is dropped: {st:?}"
    );
}

#[tokio::test]
async fn requests_in_flight_stay_within_the_olt_limit_and_the_global_limit() {
    let agent = common::agent()
        .latency(Duration::from_millis(20))
        .start()
        .await
        .unwrap();
    let olt = common::olt(&agent, "huawei-ma5800")
        .vendor("huawei-ma5800")
        .max_in_flight(2)
        .build()
        .unwrap();
    let _: Vec<_> = olt.poll_all().try_collect().await.unwrap();
    let peak = agent.stats().peak_in_flight;
    assert!((1..=2).contains(&peak), "peak {peak}");

    let agent = common::agent()
        .latency(Duration::from_millis(20))
        .start()
        .await
        .unwrap();
    let shared = GlobalLimit::new(3);
    let a = common::olt(&agent, "huawei-ma5800")
        .max_in_flight(4)
        .global_limit(shared.clone())
        .build()
        .unwrap();
    let b = common::olt(&agent, "zte-c300")
        .max_in_flight(4)
        .global_limit(shared)
        .build()
        .unwrap();
    let (ra, rb) = tokio::join!(
        a.poll_all().try_collect::<Vec<_>>(),
        b.poll_all().try_collect::<Vec<_>>()
    );
    assert_eq!((ra.unwrap().len(), rb.unwrap().len()), (42, 42));
    let peak = agent.stats().peak_in_flight;
    assert_eq!(peak, 3, "two OLTs of 4 each, global limit 3");
}

#[tokio::test]
async fn getbulk_starts_at_25_grows_while_answers_are_full_and_halves_for_good_on_truncation() {
    let root: Oid = "1.3.6.1.4.1.2011.6.128.1.1.2.43.1.9".parse().unwrap();
    // Whole answers: 25, then doubled to the ceiling (42 rows need two requests).
    let agent = common::agent().start().await.unwrap();
    let olt = common::olt(&agent, "huawei-ma5800")
        .bulk_ceiling(40)
        .build()
        .unwrap();
    assert_eq!(olt.walk(&root).await.unwrap().len(), 42);
    assert_eq!(agent.bulk_repetitions(), [25, 40]);

    // Fixed repetitions when the ceiling is the start.
    let agent = common::agent().start().await.unwrap();
    let olt = common::olt(&agent, "huawei-ma5800")
        .max_repetitions(10)
        .bulk_ceiling(10)
        .build()
        .unwrap();
    assert_eq!(olt.walk(&root).await.unwrap().len(), 42);
    assert_eq!(agent.bulk_repetitions(), [10, 10, 10, 10, 10]);

    // An agent that answers at most 8 varbinds: 25 is truncated, halved to 12 (truncated), to 6,
    // and it never grows again; never 0.
    let agent = common::agent().max_varbinds(8).start().await.unwrap();
    let olt = common::olt(&agent, "huawei-ma5800").build().unwrap();
    assert_eq!(olt.walk(&root).await.unwrap().len(), 42);
    let reps = agent.bulk_repetitions();
    assert_eq!(&reps[..3], [25, 12, 6]);
    assert!(reps[3..].iter().all(|r| *r == 6), "{reps:?}");

    // Timeouts halve too.
    let agent = common::agent().start().await.unwrap();
    let olt = common::olt(&agent, "huawei-ma5800")
        .timeout(Duration::from_millis(80))
        .build()
        .unwrap();
    agent.push_fault(Fault::Drop, 2);
    assert_eq!(olt.walk(&root).await.unwrap().len(), 42);
    assert_eq!(&agent.bulk_repetitions()[..3], [25, 12, 6]);
}

#[tokio::test]
async fn concurrent_misses_share_one_walk_and_a_recent_miss_does_not_walk_again() {
    let agent = common::agent().start().await.unwrap();
    let olt = common::olt(&agent, "huawei-ma5800")
        .vendor("huawei-ma5800")
        .build()
        .unwrap();
    let lookups = [
        "HWTCC55642CF",
        "HWTCD36A6635",
        "TPLGB335F985",
        "ALCL00000001",
    ]
    .iter()
    .cycle()
    .take(20)
    .map(|s| {
        let olt = olt.clone();
        async move { olt.find_onu(&serial(s)).await }
    });
    let results = futures::future::join_all(lookups).await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 15);
    assert_eq!(
        agent.stats().getbulk,
        2,
        "one walk of the 42 serials: 25 + 50 repetitions"
    );

    let before = agent.stats().requests;
    let err = olt.find_onu(&serial("ALCL00000002")).await.unwrap_err();
    assert!(err.is_not_found());
    assert_eq!(
        agent.stats().requests,
        before,
        "the map is seconds old: no new walk"
    );

    let eager = common::olt(&agent, "huawei-ma5800")
        .vendor("huawei-ma5800")
        .miss_rewalk_after(Duration::ZERO)
        .build()
        .unwrap();
    for _ in 0..2 {
        assert!(
            eager
                .find_onu(&serial("ALCL00000002"))
                .await
                .unwrap_err()
                .is_not_found()
        );
    }
    assert_eq!(agent.stats().getbulk, 6, "two more walks");
}

#[tokio::test]
async fn an_ifname_profile_reads_ports_from_interface_names_and_agrees_with_the_bit_decoding() {
    let agent = common::agent().start().await.unwrap();
    let builtin = common::olt(&agent, "zte-c300").build().unwrap();
    let mut p = Profile::builtin("zte-c300").unwrap();
    p.name = "zte-by-ifname".to_owned();
    p.index = olt_snmp::profile::IndexDecoding::IfName;
    let by_name = common::olt(&agent, "zte-c300").profile(p).build().unwrap();

    let want: Vec<_> = builtin.poll_all().try_collect().await.unwrap();
    let got: Vec<_> = by_name.poll_all().try_collect().await.unwrap();
    assert_eq!(without_time(got), without_time(want.clone()));

    let port = by_name.poll_port(PonPort::new(1, 1, 2)).await.unwrap();
    assert_eq!(port.len(), 14);
    let s = by_name.onu_status(&want[20].serial).await.unwrap();
    assert_eq!((s.pon_port, s.onu_id), (want[20].pon_port, want[20].onu_id));
    let err = by_name.poll_port(PonPort::new(1, 1, 9)).await.unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)), "{err}");
}
