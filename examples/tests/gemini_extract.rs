//! Runs the `gemini_extract` example as n8n would, against a fake Gemini that knows a few
//! photos: a kind, a photo file (or stdin) and `GEMINI_*` variables in, one JSON object and an
//! exit code out.

use std::process::Output;

mod common;

use common::gemini::{Fake, TempFile, photo};
use common::olt::{json, printed};
use gemini_vision::extractors::{Barcodes, EquipmentLabel, Extractor, Invoice};
use gemini_vision::testkit::Fault;
use gemini_vision::{BlockReason, DEFAULT_MODEL, FinishReason};
use serde_json::{Value, json};

const NAME: &str = "gemini_extract";

fn run(args: &[&str], env: &[(&str, &str)], stdin: Option<&[u8]>) -> Output {
    common::gemini::run(NAME, args, env, stdin)
}

fn run_on(fake: &Fake, args: &[&str]) -> Output {
    common::gemini::run_on(fake, NAME, args, None)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The usage the fake reports for one photo and `prompt`: 258 tokens per image, one per 4
/// characters of text, 20 for the answer.
fn usage(prompt: &str) -> Value {
    let text = prompt.len().div_ceil(4);
    json!({
        "image_tokens": 258,
        "prompt_tokens": 258 + text,
        "total_tokens": 258 + text + 20,
    })
}

/// The label as printed: a MAC without separators in lower case, a GPON serial in its
/// 16-hex-digit form.
fn label() -> Value {
    json!({
        "brand": " TP-Link ", "model": "XC220-G3v", "hardware_version": "1.0",
        "serial": "22375A1000123",
        "macs": ["001122aabbcc"],
        "gpon_serial": "54504C471A2B3C4D",
        "wifi": [{"ssid": "TP-Link_0123", "key": "82641957", "band": "2.4GHz"}],
    })
}

fn invoice() -> Value {
    json!({
        "vendor": "Fournitures Fibre Laurentides inc.", "number": "FL-20418",
        "issue_date": "2026-11-27", "due_date": "2026-12-27", "currency": "cad",
        "subtotal": 412.5,
        "taxes": [
            {"kind": "GST", "rate_percent": 5.0, "amount": 20.63, "registration_number": "812345678RT0001"},
            {"kind": "QST", "rate_percent": 9.975, "amount": 41.15, "registration_number": "1214567890TQ0001"}
        ],
        "total": 474.28,
        "line_items": [
            {"description": "Câble de branchement 12 fibres, 100 m", "sku": "DROP-12-100", "quantity": 3.0, "unit_price": 112.5, "amount": 337.5},
            {"description": "Connecteurs SC/APC (sac de 50)", "sku": "SCAPC-50", "quantity": 1.0, "unit_price": 75.0, "amount": 75.0}
        ]
    })
}

#[test]
fn an_equipment_label_is_read_with_its_values_normalised() {
    let fake = Fake::start();
    let bytes = photo(1);
    fake.knows(&bytes, &label());
    let file = TempFile::new("label.png", &bytes);
    let out = run_on(&fake, &["--kind", "equipment", &file.arg()]);
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
    assert_eq!(
        json(&out),
        json!({
            "kind": "equipment",
            "value": {
                "brand": "TP-Link", "model": "XC220-G3v", "hardware_version": "1.0",
                "serial": "22375A1000123",
                "macs": ["00:11:22:AA:BB:CC"],
                "gpon_serial": "TPLG1A2B3C4D",
                "wifi": [{"ssid": "TP-Link_0123", "key": "82641957", "band": "2.4GHz"}],
            },
            "flags": [],
            "model": DEFAULT_MODEL,
            "usage": usage(EquipmentLabel::PROMPT),
        })
    );
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
    // One line, in the documented order; the reading's fields in their own.
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.starts_with(r#"{"kind":"equipment","value":{"brand":"TP-Link","model":"#),
        "{stdout}"
    );
    assert!(
        // (`usage` as a Value prints its keys sorted: the documented order too.)
        stdout.ends_with(&format!(
            "\"flags\":[],\"model\":\"{DEFAULT_MODEL}\",\"usage\":{}}}\n",
            usage(EquipmentLabel::PROMPT)
        )),
        "{stdout}"
    );
    // One request, the key in its header only.
    let requests = fake.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(
        requests[0].path,
        format!("/v1beta/models/{DEFAULT_MODEL}:generateContent")
    );
    assert_eq!(requests[0].api_key, "[redacted]");
    assert!(!requests[0].key_in_query);
}

#[test]
fn barcodes_are_read() {
    let fake = Fake::start();
    let bytes = photo(2);
    fake.knows(
        &bytes,
        &json!({"barcodes": [
            {"format": "CODE_128", "value": "22375A1000123", "meaning": "serial", "caption": "S/N"},
            {"format": "CODE_128", "value": "001122aabbcc", "meaning": "mac", "caption": "MAC"},
            {"format": "EAN_13", "value": "4006381333931", "meaning": "product", "caption": null},
        ]}),
    );
    let file = TempFile::new("barcodes.png", &bytes);
    let out = run_on(&fake, &["--kind", "barcodes", &file.arg()]);
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
    assert_eq!(
        json(&out),
        json!({
            "kind": "barcodes",
            "value": {"barcodes": [
                {"format": "CODE_128", "value": "22375A1000123", "meaning": "serial", "caption": "S/N"},
                {"format": "CODE_128", "value": "00:11:22:AA:BB:CC", "meaning": "mac", "caption": "MAC"},
                {"format": "EAN_13", "value": "4006381333931", "meaning": "product", "caption": null},
            ]},
            "flags": [],
            "model": DEFAULT_MODEL,
            "usage": usage(Barcodes::PROMPT),
        })
    );
}

#[test]
fn an_invoice_is_read_with_the_model_asked() {
    let fake = Fake::start();
    let bytes = photo(3);
    fake.knows(&bytes, &invoice());
    let file = TempFile::new("invoice.png", &bytes);
    let mut env = fake.env();
    env.push(("GEMINI_MODEL", "gemini-9-pro".to_owned()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let out = run(&["--kind", "invoice", &file.arg()], &env, None);
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
    let mut want = invoice();
    want["currency"] = json!("CAD");
    assert_eq!(
        json(&out),
        json!({
            "kind": "invoice",
            "value": want,
            "flags": [],
            "model": "gemini-9-pro",
            "usage": usage(Invoice::PROMPT),
        })
    );
    // --model wins over GEMINI_MODEL.
    let out = run(
        &[
            "--kind",
            "invoice",
            "--model",
            "gemini-9-flash",
            &file.arg(),
        ],
        &env,
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
    assert_eq!(json(&out)["model"], "gemini-9-flash");
    let paths: Vec<String> = fake.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(
        paths,
        [
            "/v1beta/models/gemini-9-pro:generateContent",
            "/v1beta/models/gemini-9-flash:generateContent"
        ]
    );
}

#[test]
fn a_photo_on_stdin_is_read() {
    let fake = Fake::start();
    let bytes = photo(4);
    fake.knows(&bytes, &label());
    let out = common::gemini::run_on(&fake, NAME, &["--kind", "equipment", "-"], Some(&bytes));
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
    assert_eq!(json(&out)["value"]["macs"], json!(["00:11:22:AA:BB:CC"]));
    // Empty stdin is no photo.
    let out = common::gemini::run_on(&fake, NAME, &["--kind", "equipment", "-"], Some(b""));
    assert_eq!(out.status.code(), Some(2), "{}", printed(&out));
    assert!(out.stdout.is_empty());
    assert!(stderr(&out).contains("stdin is empty"), "{}", stderr(&out));
    assert_eq!(fake.requests().len(), 1);
}

#[test]
fn values_that_fail_their_checks_exit_1_with_the_reading_and_its_flags() {
    let fake = Fake::start();
    let bytes = photo(5);
    let mut bad = label();
    bad["macs"] = json!(["001122aabbcc", "00:11:22:AA:BB"]);
    bad["gpon_serial"] = json!("TPLG1A2B3C4O");
    fake.knows(&bytes, &bad);
    let file = TempFile::new("label.png", &bytes);
    let out = run_on(&fake, &["--kind", "equipment", &file.arg()]);
    assert_eq!(out.status.code(), Some(1), "{}", printed(&out));
    let v = json(&out);
    // Kept as read, the good MAC normalised.
    assert_eq!(
        v["value"]["macs"],
        json!(["00:11:22:AA:BB:CC", "00:11:22:AA:BB"])
    );
    assert_eq!(v["value"]["gpon_serial"], "TPLG1A2B3C4O");
    let flags: Vec<(&str, &str)> = v["flags"]
        .as_array()
        .expect("flags")
        .iter()
        .map(|f| {
            assert!(f["message"].as_str().is_some_and(|m| !m.is_empty()), "{f}");
            (
                f["field"].as_str().expect("field"),
                f["problem"].as_str().expect("problem"),
            )
        })
        .collect();
    assert_eq!(
        flags,
        [
            ("macs[1]", "invalid_mac"),
            ("gpon_serial", "invalid_gpon_serial")
        ]
    );
    let err = stderr(&out);
    assert!(
        err.contains("2 values failed their checks: macs[1]: "),
        "{err}"
    );
    assert!(
        err.contains("macs[1]") && err.contains("gpon_serial"),
        "{err}"
    );
}

#[test]
fn a_photo_showing_nothing_of_the_kind_exits_1() {
    let fake = Fake::start();
    let (none, blank, empty_invoice) = (photo(6), photo(7), photo(8));
    fake.knows(&none, &json!({"barcodes": []}));
    fake.knows(
        &blank,
        &json!({"brand": "TP-Link", "model": null, "hardware_version": null, "serial": null,
                "macs": [], "gpon_serial": null, "wifi": []}),
    );
    fake.knows(
        &empty_invoice,
        &json!({"vendor": "Someone", "number": null, "issue_date": null, "due_date": null,
                "currency": null, "subtotal": null, "taxes": [], "total": null, "line_items": []}),
    );
    for (kind, bytes, said) in [
        ("barcodes", &none, "no barcode"),
        ("equipment", &blank, "no serial, MAC or GPON serial"),
        ("invoice", &empty_invoice, "no total and no line"),
    ] {
        let file = TempFile::new("photo.png", bytes);
        let out = run_on(&fake, &["--kind", kind, &file.arg()]);
        assert_eq!(out.status.code(), Some(1), "{kind}: {}", printed(&out));
        let v = json(&out);
        assert_eq!(v["kind"], kind);
        assert_eq!(v["flags"], json!([]));
        assert!(stderr(&out).contains(said), "{kind}: {}", stderr(&out));
    }
    let file = TempFile::new("photo.png", &none);
    let out = run_on(&fake, &["--kind", "barcodes", &file.arg()]);
    assert_eq!(
        json(&out),
        json!({
            "kind": "barcodes",
            "value": {"barcodes": []},
            "flags": [],
            "model": DEFAULT_MODEL,
            "usage": usage(Barcodes::PROMPT),
        })
    );
}

#[test]
fn a_missing_key_exits_2_naming_the_variable() {
    let fake = Fake::start();
    let file = TempFile::new("label.png", &photo(1));
    let url = fake.url();
    for env in [
        &[("GEMINI_URL", url.as_str())][..],
        &[("GEMINI_URL", url.as_str()), ("GEMINI_API_KEY", "  ")][..],
    ] {
        let out = run(&["--kind", "equipment", &file.arg()], env, None);
        assert_eq!(out.status.code(), Some(2), "{}", printed(&out));
        assert!(out.stdout.is_empty());
        assert!(stderr(&out).contains("GEMINI_API_KEY"), "{}", stderr(&out));
    }
    assert!(fake.requests().is_empty());
}

#[test]
fn a_wrong_key_exits_2_and_no_key_is_printed() {
    let fake = Fake::start();
    let file = TempFile::new("label.png", &photo(1));
    let url = fake.url();
    let out = run(
        &["--kind", "equipment", &file.arg()],
        &[("GEMINI_URL", &url), ("GEMINI_API_KEY", "wr0ng-k3y-value")],
        None,
    );
    assert_eq!(out.status.code(), Some(2), "{}", printed(&out));
    assert!(out.stdout.is_empty());
    let err = stderr(&out);
    assert!(err.contains("Gemini refused the API key"), "{err}");
    assert!(err.contains("GEMINI_API_KEY"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!printed(&out).contains("wr0ng-k3y-value"));
    assert!(!printed(&out).contains(fake.key()));
    // Not retried.
    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].api_key, "wrong");
}

#[test]
fn a_file_that_is_not_a_photo_exits_2_before_any_request() {
    let fake = Fake::start();
    let text = TempFile::new("label.png", b"%PDF-1.7 not a photo");
    let empty = TempFile::new("empty.png", b"");
    let damaged = TempFile::new("damaged.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDRgarbage");
    let missing = text.path().with_file_name("missing.png");
    let missing = missing.display().to_string();
    for (file, said) in [
        (text.arg(), "not a JPEG, PNG, WebP, HEIC or HEIF image"),
        (damaged.arg(), "could not be decoded"),
        (empty.arg(), "is empty"),
        (missing, "could not read"),
    ] {
        let out = run_on(&fake, &["--kind", "equipment", &file]);
        assert_eq!(out.status.code(), Some(2), "{file}: {}", printed(&out));
        assert!(out.stdout.is_empty());
        let err = stderr(&out);
        assert!(err.contains(said), "{err}");
        assert!(err.contains(&file), "{err}");
    }
    assert!(fake.requests().is_empty(), "{:?}", fake.requests());
}

#[test]
fn a_blocked_prompt_exits_2_naming_the_reason() {
    let fake = Fake::start();
    let file = TempFile::new("label.png", &photo(1));
    fake.push_fault(Fault::Blocked(BlockReason::ProhibitedContent), 1);
    let out = run_on(&fake, &["--kind", "equipment", &file.arg()]);
    assert_eq!(out.status.code(), Some(2), "{}", printed(&out));
    assert!(out.stdout.is_empty());
    let err = stderr(&out);
    assert!(
        err.contains("Gemini blocked the prompt (PROHIBITED_CONTENT)"),
        "{err}"
    );
    assert_eq!(fake.requests().len(), 1, "not retried");
}

#[test]
fn a_daily_quota_exits_2_at_once() {
    let fake = Fake::start();
    let file = TempFile::new("label.png", &photo(1));
    fake.push_fault(Fault::DailyQuota, 5);
    let out = run_on(&fake, &["--kind", "barcodes", &file.arg()]);
    assert_eq!(out.status.code(), Some(2), "{}", printed(&out));
    assert!(out.stdout.is_empty());
    let err = stderr(&out);
    assert!(err.contains("Gemini quota exhausted for the day"), "{err}");
    assert!(
        err.contains("GenerateRequestsPerDayPerProjectPerModel-FreeTier"),
        "{err}"
    );
    assert_eq!(fake.requests().len(), 1, "not retried");
}

#[test]
fn a_stopped_an_unfit_or_an_overloaded_answer_exits_2() {
    let fake = Fake::start();
    let file = TempFile::new("label.png", &photo(1));
    fake.push_fault(Fault::Finish(FinishReason::Safety), 1);
    let out = run_on(&fake, &["--kind", "invoice", &file.arg()]);
    assert_eq!(out.status.code(), Some(2), "{}", printed(&out));
    assert!(out.stdout.is_empty());
    assert!(
        stderr(&out).contains("Gemini stopped the answer (SAFETY)"),
        "{}",
        stderr(&out)
    );
    // JSON that is not a reading of the kind: where it went wrong.
    fake.push_fault(Fault::Answer(r#"{"barcodes": 3}"#.to_owned()), 1);
    let out = run_on(&fake, &["--kind", "barcodes", &file.arg()]);
    assert_eq!(out.status.code(), Some(2), "{}", printed(&out));
    assert!(out.stdout.is_empty());
    let err = stderr(&out);
    assert!(
        err.contains("the answer does not match the requested type at `barcodes`"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    // Overloaded on every attempt: asked 3 times, then 2.
    fake.push_fault(
        Fault::Status {
            status: 503,
            retry_delay: None,
        },
        3,
    );
    let before = fake.requests().len();
    let out = run_on(&fake, &["--kind", "equipment", &file.arg()]);
    assert_eq!(out.status.code(), Some(2), "{}", printed(&out));
    assert!(
        stderr(&out).contains("Gemini is unavailable"),
        "{}",
        stderr(&out)
    );
    assert_eq!(fake.requests().len() - before, 3);
    // Overloaded once: the second attempt reads.
    fake.push_fault(
        Fault::Status {
            status: 503,
            retry_delay: None,
        },
        1,
    );
    let out = run_on(&fake, &["--kind", "invoice", &file.arg()]);
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
    assert_eq!(json(&out)["kind"], "invoice");
}

#[test]
fn an_unknown_model_and_no_answer_in_time_exit_2() {
    let fake = Fake::start();
    let file = TempFile::new("label.png", &photo(1));
    fake.push_fault(
        Fault::Status {
            status: 404,
            retry_delay: None,
        },
        1,
    );
    let out = run_on(
        &fake,
        &["--kind", "equipment", "--model", "gemini-0", &file.arg()],
    );
    assert_eq!(out.status.code(), Some(2), "{}", printed(&out));
    let err = stderr(&out);
    assert!(err.contains("Gemini has no model `gemini-0`"), "{err}");
    assert!(err.contains("GEMINI_MODEL"), "{err}");
    fake.push_fault(Fault::Delay(std::time::Duration::from_secs(5)), 10);
    let out = run_on(
        &fake,
        &["--kind", "equipment", "--deadline-secs", "0.3", &file.arg()],
    );
    assert_eq!(out.status.code(), Some(2), "{}", printed(&out));
    assert!(out.stdout.is_empty());
    let err = stderr(&out);
    assert!(err.contains("no answer from Gemini within"), "{err}");
    assert!(err.contains("--deadline-secs"), "{err}");
}

#[test]
fn bad_usage_exits_2() {
    let file = TempFile::new("label.png", &photo(1));
    let path = file.arg();
    let path = path.as_str();
    for args in [
        &["--kind", "receipt", &file.arg()][..],
        &[path][..],
        &["--kind", "equipment"][..],
        &["--kind", "equipment", "--deadline-secs", "0", &file.arg()][..],
        &["--kind", "equipment", "--model", " ", &file.arg()][..],
    ] {
        let out = run(args, &[("GEMINI_API_KEY", "k")], None);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", printed(&out));
        assert!(out.stdout.is_empty());
    }
    let out = run(
        &["--kind", "receipt", &file.arg()],
        &[("GEMINI_API_KEY", "k")],
        None,
    );
    assert!(
        stderr(&out).contains("expected barcodes, equipment or invoice"),
        "{}",
        stderr(&out)
    );
    // A model id Gemini would refuse is refused before anything is sent.
    let out = run(
        &["--kind", "equipment", "--model", "gemini 3", &file.arg()],
        &[
            ("GEMINI_API_KEY", "k"),
            ("GEMINI_URL", "http://127.0.0.1:9"),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2), "{}", printed(&out));
    assert!(
        stderr(&out).contains("invalid model id"),
        "{}",
        stderr(&out)
    );
    let out = run(&["--help"], &[], None);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("--kind"));
}

#[test]
fn the_sandbox_needs_no_variable() {
    let file = TempFile::new("photo.png", &photo(9));
    // It knows no photo: values generated from the schema, `"sample"` for every string, which
    // fails the checks of a GTIN and of a MAC.
    for (kind, code, flagged) in [
        (
            "barcodes",
            1,
            Some(("barcodes[0].value", "invalid_check_digit")),
        ),
        ("equipment", 1, Some(("macs[0]", "invalid_mac"))),
        ("invoice", 0, None),
    ] {
        let out = run(&["--sandbox", "--kind", kind, &file.arg()], &[], None);
        assert_eq!(out.status.code(), Some(code), "{kind}: {}", printed(&out));
        let v = json(&out);
        assert_eq!(v["kind"], kind);
        assert_eq!(v["model"], DEFAULT_MODEL);
        assert_eq!(v["usage"]["image_tokens"], 258);
        let flags: Vec<(&str, &str)> = v["flags"]
            .as_array()
            .expect("flags")
            .iter()
            .map(|f| {
                (
                    f["field"].as_str().expect("field"),
                    f["problem"].as_str().expect("problem"),
                )
            })
            .collect();
        assert_eq!(flags, flagged.into_iter().collect::<Vec<_>>(), "{kind}");
    }
    let out = run(&["--sandbox", "--kind", "invoice", &file.arg()], &[], None);
    assert_eq!(
        json(&out)["value"]["line_items"][0]["description"],
        "sample"
    );
}
