//! Every vector of the contract's `vectors.json`, both directions: the client side produces
//! byte-identical `data`, `sign` and bodies; the router side (the emulator's crypto) opens them
//! and its answers decrypt to the vectors' plaintexts.

use serde_json::Value;
use tplink_bridge::crypto::{RsaPrivateKey, RsaPublicKey, SessionKey, Variant, credential_hash};
use tplink_bridge::protocol::{
    Answer, Envelope, parse_answer, parse_key_params, ret_code, seal_request, sign_pairs,
};

fn vectors() -> Value {
    let p = format!(
        "{}/tests/resources/vectors.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or_else(|| panic!("{k}"))
}

fn keys(v: &Value) -> (RsaPublicKey, RsaPrivateKey) {
    let rsa = &v["rsa"];
    let public = RsaPublicKey::from_hex(s(rsa, "nn"), s(rsa, "ee")).unwrap();
    let private = RsaPrivateKey::from_hex(s(rsa, "nn"), s(rsa, "ee"), s(rsa, "d_hex")).unwrap();
    (public, private)
}

#[test]
fn credential_hash_and_key_fetch() {
    let v = vectors();
    assert_eq!(
        credential_hash(s(&v, "username"), s(&v, "password")),
        s(&v, "h_md5")
    );
    let rsa = &v["rsa"];
    let body = format!(
        "var ee=\"{}\";\nvar nn=\"{}\";\nvar seq=\"{}\";\n$.ret=0;\n",
        s(rsa, "ee"),
        s(rsa, "nn"),
        v["seq"]
    );
    let k = parse_key_params(&body).unwrap();
    assert_eq!(
        (k.n_hex.as_str(), k.seq),
        (s(rsa, "nn"), v["seq"].as_u64().unwrap())
    );
    let (public, _) = keys(&v);
    assert_eq!(public.block_len(), 64);
    assert_eq!(public.n_hex(), s(rsa, "nn"));
    assert_eq!(public.e_hex(), "010001");
    // EX520V's unquoted seq and extra vars; two assignments on one line.
    let k = parse_key_params(
        "var ee=\"010001\"; var nn=\"ab12\";var seq=123;var adminSetting=1;\n$.ret=0;",
    )
    .unwrap();
    assert_eq!(
        (k.e_hex.as_str(), k.n_hex.as_str(), k.seq),
        ("010001", "ab12", 123)
    );
    // A refusal, a missing key, garbage: no parameters, no panic.
    assert!(parse_key_params("var ee=\"010001\";var nn=\"ab\";var seq=\"1\";$.ret=1;").is_none());
    assert!(parse_key_params("var ee=\"010001\";var seq=\"1\";").is_none());
    assert!(parse_key_params("\u{0}\u{ffff}var =;;").is_none());
}

fn check_cbc_exchange(v: &Value, name: &str, login: bool) {
    let e = &v[name];
    let (public, private) = keys(v);
    let key =
        SessionKey::from_ascii(Variant::Cbc, s(v, "aes_key_ascii"), s(v, "aes_iv_ascii")).unwrap();
    let env = seal_request(
        &key,
        &public,
        s(v, "h_md5"),
        v["seq"].as_u64().unwrap(),
        s(e, "payload"),
        login,
    )
    .unwrap();
    assert_eq!(env.data, s(e, "data_b64"), "{name} data");
    assert_eq!(env.data.len() as u64, e["data_len"].as_u64().unwrap());
    assert_eq!(env.sign, s(e, "sign_hex"), "{name} sign");
    if let Some(body) = e.get("body").and_then(Value::as_str) {
        assert_eq!(env.to_body(), body, "{name} body");
        assert_eq!(Envelope::parse(body).unwrap(), env);
    }
    // The router's side.
    let opened = String::from_utf8(private.open(&env.sign).unwrap()).unwrap();
    assert_eq!(opened, s(e, "sign_plain"));
    assert!(sign_pairs(&opened).iter().any(|(k, _)| k == "h"));
    assert_eq!(
        String::from_utf8(key.open(&env.data, None).unwrap()).unwrap(),
        s(e, "payload")
    );
    assert_eq!(
        key.seal_answer(s(e, "response_plain").as_bytes(), false)
            .unwrap(),
        s(e, "response_b64")
    );
    assert_eq!(
        String::from_utf8(key.open_answer(s(e, "response_b64")).unwrap()).unwrap(),
        s(e, "response_plain")
    );
}

#[test]
fn cbc_login_and_command_are_byte_exact() {
    let v = vectors();
    check_cbc_exchange(&v, "json_login", true);
    check_cbc_exchange(&v, "c6u_json_login", true);
    check_cbc_exchange(&v, "json_go_dev_info", false);
    let e = &v["c6u_json_login"];
    let key = SessionKey::from_ascii(Variant::Cbc, s(&v, "aes_key_ascii"), s(&v, "aes_iv_ascii"))
        .unwrap();
    let wrong = key
        .open_answer(s(e, "response_b64_wrong_password"))
        .unwrap();
    assert_eq!(ret_code(&String::from_utf8(wrong).unwrap()), Some(71233));
    let answer = String::from_utf8(
        key.open_answer(s(&v["json_go_dev_info"], "response_b64"))
            .unwrap(),
    )
    .unwrap();
    match parse_answer(&answer).unwrap() {
        Answer::Data(d) => assert_eq!(d["modelName"], "XX230v"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn c6u_firmware_request_is_byte_exact() {
    let v = vectors();
    let e = &v["c6u_go_firmware"];
    let (public, private) = keys(&v);
    let key = SessionKey::from_ascii(Variant::Cbc, s(&v, "aes_key_ascii"), s(&v, "aes_iv_ascii"))
        .unwrap();
    let env = seal_request(
        &key,
        &public,
        s(&v, "h_md5"),
        v["seq"].as_u64().unwrap(),
        s(e, "payload"),
        false,
    )
    .unwrap();
    assert_eq!(env.to_body(), s(e, "body"));
    assert_eq!(
        String::from_utf8(private.open(&env.sign).unwrap()).unwrap(),
        s(e, "sign_plain")
    );
}

#[test]
fn gcm_command_and_c6u_login_are_byte_exact() {
    let v = vectors();
    let (public, private) = keys(&v);
    let e = &v["gcm_go_dev_info"];
    let key =
        SessionKey::from_ascii(Variant::Gcm, s(e, "aes_key_ascii"), s(e, "nonce_ascii")).unwrap();
    let sealed = key.seal(s(e, "payload").as_bytes()).unwrap();
    assert_eq!(sealed.data, s(e, "data_b64"));
    assert_eq!(sealed.tag.as_deref(), Some(s(e, "tag_b64")));
    assert_eq!(
        key.login_sign_prefix(),
        "key=MTcxODAwMDAwMDAwMDEyMw==&iv=MTcxODAwMDAwMDAw"
    );
    // Both answer framings decode; the router's default is the split one.
    let split = s(e, "response_ct_b64_plus_tag_b64");
    assert_eq!(
        key.seal_answer(s(e, "response_plain").as_bytes(), false)
            .unwrap(),
        split
    );
    assert_eq!(
        key.seal_answer(s(e, "response_plain").as_bytes(), true)
            .unwrap(),
        s(e, "response_b64_of_ct_concat_tag_variant")
    );
    for body in [split, s(e, "response_b64_of_ct_concat_tag_variant")] {
        assert_eq!(
            String::from_utf8(key.open_answer(body).unwrap()).unwrap(),
            s(e, "response_plain")
        );
    }

    let e = &v["c6u_gcm_login"];
    let env = seal_request(
        &key,
        &public,
        s(&v, "h_md5"),
        v["seq"].as_u64().unwrap(),
        s(e, "payload"),
        true,
    )
    .unwrap();
    assert_eq!(env.data, s(e, "data_b64"));
    assert_eq!(env.tag.as_deref(), Some(s(e, "tag_b64")));
    assert_eq!(env.sign, s(e, "sign_hex"));
    assert_eq!(env.to_body(), s(e, "body"));
    let opened = String::from_utf8(private.open(&env.sign).unwrap()).unwrap();
    assert_eq!(opened, s(e, "sign_plain"));
    let pairs = sign_pairs(&opened);
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .unwrap()
    };
    let reopened = SessionKey::from_login_sign(Variant::Gcm, get("key"), get("iv")).unwrap();
    assert_eq!(reopened, key);
    assert_eq!(
        String::from_utf8(key.open(&env.data, env.tag.as_deref()).unwrap()).unwrap(),
        s(e, "payload")
    );
    assert_eq!(
        key.seal_answer(b"$.ret=0;", false).unwrap(),
        s(e, "response_ct_b64_plus_tag_b64")
    );
    assert_eq!(
        key.seal_answer(b"$.ret=71233;", false).unwrap(),
        s(e, "response_wrong_password_ct_b64_plus_tag_b64")
    );
    // A wrong tag never decrypts.
    assert!(
        key.open(&env.data, Some("AAAAAAAAAAAAAAAAAAAAAA=="))
            .is_err()
    );
}

#[test]
fn malformed_inputs_are_errors_not_panics() {
    let v = vectors();
    let (_, private) = keys(&v);
    for sign in ["", "zz", &"f".repeat(128), &"0".repeat(127)] {
        let _ = private.open(sign);
    }
    assert!(private.open("zz").is_err());
    let key = SessionKey::from_ascii(Variant::Cbc, s(&v, "aes_key_ascii"), s(&v, "aes_iv_ascii"))
        .unwrap();
    for body in ["", "!!!", "AAAA", "ZBnlrNKgjNvA7Zb1W/YZ"] {
        assert!(key.open_answer(body).is_err(), "{body}");
    }
    let gcm = SessionKey::from_ascii(Variant::Gcm, "1718000000000123", "171800000000").unwrap();
    for body in ["", "AAAA", &"A".repeat(30)] {
        assert!(gcm.open_answer(body).is_err(), "{body}");
    }
    assert!(SessionKey::from_ascii(Variant::Cbc, "short", "1718000000000456").is_err());
    assert!(RsaPublicKey::from_hex("xyz", "010001").is_err());
    assert!(parse_answer("not json").is_none());
    assert_eq!(parse_answer("").unwrap(), Answer::Empty);
    assert_eq!(
        parse_answer("{\"success\":false,\"errorcode\":71011}").unwrap(),
        Answer::Refused(71011)
    );
}
