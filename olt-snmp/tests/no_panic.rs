//! Bad input is an error or `None`, never a panic: the pure decoders under arbitrary input.

use olt_snmp::profile::IndexDecoding;
use olt_snmp::snmprec::Recording;
use olt_snmp::{Oid, PonPort, Profile, Serial, Value};
use proptest::prelude::*;

proptest! {
    #[test]
    fn serial_parsing_never_panics(text in ".{0,40}", bytes in proptest::collection::vec(any::<u8>(), 0..20)) {
        if let Ok(s) = Serial::parse(&text) {
            prop_assert_eq!(s.as_str().len(), 12);
            prop_assert!(Serial::parse(s.as_str()).ok() == Some(s));
        }
        if let Some(s) = Serial::from_octets(&bytes) {
            prop_assert_eq!(s.as_str().len(), 12);
        }
    }

    #[test]
    fn serial_forms_agree(vendor in "[A-Z0-9]{4}", id in any::<[u8; 4]>()) {
        let mut octets = vendor.as_bytes().to_vec();
        octets.extend_from_slice(&id);
        let from_octets = Serial::from_octets(&octets).unwrap();
        let hex: String = octets.iter().map(|b| format!("{b:02x}")).collect();
        prop_assert!(Serial::parse(&hex).unwrap() == from_octets);
        prop_assert_eq!(Serial::parse(&from_octets.as_str().to_lowercase()).unwrap(), from_octets);
    }

    #[test]
    fn text_parsers_never_panic(text in ".{0,60}") {
        let _ = Recording::parse(&text);
        let _ = text.parse::<Oid>();
        let _ = text.parse::<PonPort>();
        let _ = Profile::from_toml(&text);
    }

    #[test]
    fn index_decoding_never_panics_and_round_trips(index in proptest::collection::vec(any::<u32>(), 0..6)) {
        for d in [IndexDecoding::Huawei, IndexDecoding::Zte, IndexDecoding::Pair, IndexDecoding::Quad] {
            if let Some(loc) = d.decode(&index) {
                let prefix = d.port_prefix(loc.pon_port);
                if let Some(p) = prefix {
                    let mut again = p.clone();
                    again.push(loc.onu_id);
                    prop_assert_eq!(d.decode(&again).map(|l| l.pon_port), Some(loc.pon_port));
                }
            }
        }
    }

    #[test]
    fn measures_never_panic_and_stay_in_range(raw in any::<i64>(), text in ".{0,20}") {
        for name in Profile::builtin_names() {
            let p = Profile::builtin(name).unwrap();
            for m in [&p.onu_rx, &p.onu_tx, &p.olt_rx, &p.temperature, &p.voltage, &p.bias, &p.distance].into_iter().flatten() {
                for v in [Value::Integer(raw), Value::OctetString(text.clone().into_bytes())] {
                    if let Some(x) = m.convert(&v) {
                        prop_assert!(x.is_finite());
                        prop_assert!(m.min.is_none_or(|lo| x >= lo - 0.001) && m.max.is_none_or(|hi| x <= hi + 0.001));
                    }
                }
            }
        }
    }
}
