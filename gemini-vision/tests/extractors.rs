//! The built-in extractors on the wire: what `Client::read` sends (prompt, system instruction,
//! safety settings, the type's schema) and how the checks treat what comes back.

mod common;

use base64::Engine as _;
use common::*;
use gemini_vision::extractors::{
    Barcodes, EquipmentLabel, Extractor, Invoice, Kind, Problem, SYSTEM_INSTRUCTION,
};
use gemini_vision::{Error, ExtractOptions, FinishReason, Image, response_schema};
use wiremock::MockServer;

/// A valid 1x1 PNG.
fn pixel() -> Image {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=")
        .expect("base64");
    Image::new(bytes).expect("png")
}

#[tokio::test]
async fn a_label_reading_sends_its_prompt_schema_and_settings_and_checks_the_answer() {
    let server = MockServer::start().await;
    let answer = r#"{"brand":"Huawei","model":"HG8245H","hardware_version":null,"serial":" 2102351ABC ",
        "macs":["001122aabbcc","00:11:22:AA:BB"],"gpon_serial":"48575443 1A2B3C4D",
        "wifi":[{"ssid":"HUAWEI-AB12","key":"x7k2m9p4","band":null}]}"#;
    mount(&server, text_answer(answer, "STOP"), None).await;
    let got = client(&server)
        .read::<EquipmentLabel>(pixel())
        .await
        .unwrap();
    assert_eq!(got.value.serial.as_deref(), Some("2102351ABC"));
    assert_eq!(got.value.macs, ["00:11:22:AA:BB:CC", "00:11:22:AA:BB"]);
    assert_eq!(got.value.gpon_serial.as_deref(), Some("HWTC1A2B3C4D"));
    assert_eq!(got.flags.len(), 1);
    assert_eq!(got.flags[0].field, "macs[1]");
    assert_eq!(got.flags[0].problem, Problem::InvalidMac);
    assert_eq!(got.finish_reason, Some(FinishReason::Stop));

    let mut body = bodies(&server).await.remove(0);
    assert_eq!(
        body["generationConfig"]["responseSchema"],
        response_schema::<EquipmentLabel>().unwrap(),
        "the type's own schema"
    );
    assert_eq!(
        body["contents"][0]["parts"][1]["text"],
        EquipmentLabel::PROMPT
    );
    assert_eq!(
        body["systemInstruction"]["parts"][0]["text"],
        SYSTEM_INSTRUCTION
    );
    body["contents"][0]["parts"][0]["inlineData"]["data"] = "<base64>".into();
    body["generationConfig"]["responseSchema"] = "<schema>".into();
    insta::assert_json_snapshot!("read_equipment_request", body);
}

#[tokio::test]
async fn options_replace_the_extractors_own_settings() {
    let server = MockServer::start().await;
    mount(&server, text_answer(r#"{"barcodes":[]}"#, "STOP"), None).await;
    let opts = ExtractOptions::new()
        .system_instruction("Lis les codes-barres.")
        .temperature(0.2);
    let got = client(&server)
        .read_with::<Barcodes>(pixel(), &opts)
        .await
        .unwrap();
    assert!(got.value.barcodes.is_empty());
    assert!(got.flags.is_empty());
    let body = bodies(&server).await.remove(0);
    assert_eq!(
        body["systemInstruction"]["parts"][0]["text"],
        "Lis les codes-barres."
    );
    assert_eq!(
        body["generationConfig"]["temperature"], 0.2,
        "a temperature asked is sent, on any model"
    );
    assert_eq!(
        body["safetySettings"].as_array().map(Vec::len),
        Some(4),
        "BLOCK_ONLY_HIGH for the four categories"
    );
}

#[tokio::test]
async fn an_invoice_that_does_not_add_up_is_flagged_not_refused() {
    let server = MockServer::start().await;
    let answer = r#"{"vendor":"Fournitures Télécom","number":"F-1","issue_date":"2026-11-30",
        "due_date":null,"currency":"cad","subtotal":100.0,
        "taxes":[{"kind":"GST","rate_percent":5.0,"amount":5.0,"registration_number":"123456789RT0001"},
                 {"kind":"QST","rate_percent":9.975,"amount":9.98,"registration_number":"1234567890TQ0001"}],
        "total":124.98,
        "line_items":[{"description":"Câble","sku":null,"quantity":2.0,"unit_price":50.0,"amount":100.0}]}"#;
    mount(&server, text_answer(answer, "STOP"), None).await;
    let got = client(&server).read::<Invoice>(pixel()).await.unwrap();
    assert_eq!(got.value.currency.as_deref(), Some("CAD"));
    let flags: Vec<(&str, Problem)> = got
        .flags
        .iter()
        .map(|f| (f.field.as_str(), f.problem))
        .collect();
    assert_eq!(flags, [("total", Problem::TotalMismatch)]);
    assert!(got.flags[0].message.contains("114.98"), "{:?}", got.flags);
}

#[tokio::test]
async fn a_reading_that_is_not_the_type_is_a_decode_error_naming_the_path() {
    let server = MockServer::start().await;
    mount(
        &server,
        text_answer(
            r#"{"barcodes":[{"format":"QR","value":42,"meaning":"url","caption":null}]}"#,
            "STOP",
        ),
        None,
    )
    .await;
    let e = client(&server).read::<Barcodes>(pixel()).await.unwrap_err();
    assert!(
        matches!(&e, Error::Decode { path, .. } if path == "barcodes[0].value"),
        "{e:?}"
    );
}

#[test]
fn kinds_name_their_extractors() {
    assert_eq!(
        Kind::ALL.map(|k| k.to_string()),
        ["barcodes", "equipment", "invoice"]
    );
    for prompt in [Barcodes::PROMPT, EquipmentLabel::PROMPT, Invoice::PROMPT] {
        assert!(prompt.len() > 100 && !prompt.contains("  "), "{prompt}");
    }
}

#[tokio::test]
async fn a_damaged_photo_is_refused_before_anything_is_sent() {
    let server = MockServer::start().await;
    mount(&server, text_answer(r#"{"barcodes":[]}"#, "STOP"), None).await;
    let damaged = Image::new(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDRgarbage".to_vec()).unwrap();
    let e = client(&server).read::<Barcodes>(damaged).await.unwrap_err();
    assert!(matches!(e, Error::InvalidImage(_)), "{e:?}");
    assert!(server.received_requests().await.unwrap().is_empty());
}
