//! The response parsers never panic, whatever the router (or something posing as one) sends:
//! arbitrary bytes through every parser of the native client.

use proptest::prelude::*;
use serde_json::{Map, Value};
use tplink_bridge::crypto::{RsaPrivateKey, SessionKey, Variant};
use tplink_bridge::models::{DeviceInfo, Optical, Wan, WifiBand, mesh_and_hosts, normalize_mac};
use tplink_bridge::protocol::{
    Envelope, extract_token, parse_answer, parse_key_params, ret_code, script_vars, sign_pairs,
};

fn test_key() -> RsaPrivateKey {
    let p = format!(
        "{}/tests/resources/vectors.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let v: Value = serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
    let r = &v["rsa"];
    RsaPrivateKey::from_hex(
        r["nn"].as_str().unwrap(),
        r["ee"].as_str().unwrap(),
        r["d_hex"].as_str().unwrap(),
    )
    .unwrap()
}

/// Arbitrary JSON values, a few levels deep, strings included.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| Value::Number(n.into())),
        ".{0,12}".prop_map(Value::String),
        "-?[0-9]{1,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("RXPower".to_owned()),
                    Just("physAddress".to_owned()),
                    Just("MACAddress".to_owned()),
                    Just("stack".to_owned()),
                    Just("enable".to_owned()),
                    Just("connStatusV4".to_owned()),
                    Just("X_TP_LanConnType".to_owned()),
                    Just("total".to_owned()),
                    Just("free".to_owned()),
                    ".{0,8}"
                ],
                inner,
                0..8
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn objects(v: &Value) -> Vec<Map<String, Value>> {
    match v {
        Value::Array(a) => a.iter().filter_map(|x| x.as_object().cloned()).collect(),
        Value::Object(m) => vec![m.clone()],
        _ => Vec::new(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn text_parsers_take_anything(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = script_vars(&text);
        let _ = parse_key_params(&text);
        let _ = ret_code(&text);
        let _ = extract_token(&text);
        let _ = Envelope::parse(&text);
        let _ = parse_answer(&text);
        let _ = sign_pairs(&text);
        let _ = normalize_mac(&text);
    }

    #[test]
    fn decryption_takes_anything(body in "[A-Za-z0-9+/=]{0,200}|.{0,64}") {
        let cbc = SessionKey::from_ascii(Variant::Cbc, "1718000000000123", "1718000000000456").unwrap();
        let gcm = SessionKey::from_ascii(Variant::Gcm, "1718000000000123", "171800000000").unwrap();
        let _ = cbc.open_answer(&body);
        let _ = gcm.open_answer(&body);
        let _ = cbc.open(&body, None);
        let _ = gcm.open(&body, Some(&body));
        let _ = test_key().open(&body);
    }

    #[test]
    fn signs_of_any_hex_open_or_fail(hex in "[0-9a-f]{0,300}") {
        let _ = test_key().open(&hex);
    }

    #[test]
    fn models_take_any_json(v in json_value()) {
        let list = objects(&v);
        let _ = Wan::from_list(&list);
        let _ = WifiBand::from_list(&list, true);
        for o in &list {
            let _ = Optical::from_object(o);
            let _ = DeviceInfo::from_objects(o, Some(o), Some(o));
        }
        let _ = mesh_and_hosts(&list, &list, &list, &list, &list);
        let _ = parse_answer(&v.to_string());
    }
}
