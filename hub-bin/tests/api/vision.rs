//! `/vision/*`: photos read through the fake Gemini (the sandbox's, with its known photos),
//! the equipment label matched and bound, bad photos refused before Gemini is asked, and
//! Gemini's failures mapped to the caller's answer.

use std::time::Duration;

use frappe_client::testkit::FakeFrappe;
use gemini_vision::Image;
use gemini_vision::extractors::Kind;
use gemini_vision::testkit::Fault;
use hub::auth::Capability;
use hub::config::{GeminiSettings, Settings};
use hub::sandbox::vision::SandboxVision;
use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::helpers::*;

const TECHS: &str = "Field Techs";

struct VisionApp {
    t: TestApp,
    vision: SandboxVision,
    _nbi: genieacs_client::testkit::FakeNbi,
}

impl VisionApp {
    fn photo(&self, kind: Kind) -> Vec<u8> {
        let (_, path) = self.vision.photos.iter().find(|(k, _)| *k == kind).unwrap();
        std::fs::read(path).unwrap()
    }

    async fn post(&self, path: &str, ctype: &str, body: Vec<u8>) -> (u16, Value) {
        let r = self
            .t
            .token(Method::POST, path, ADMIN_TOKEN)
            .header("Content-Type", ctype)
            .body(body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    fn gemini_requests(&self) -> usize {
        self.vision.gemini.requests().len()
    }
}

async fn vision_app(tweak: impl FnOnce(&mut Settings)) -> VisionApp {
    let fake = FakeFrappe::start().await.unwrap();
    let nbi = hub::sandbox::fake_nbi_for(&fake).await.unwrap();
    let vision = SandboxVision::start(&fake).await.unwrap();
    let mut s = settings(Db::Sqlite, &fake).await;
    s.genieacs = Some(hub::config::GenieacsSettings {
        url: nbi.url().to_string(),
        auth: hub::config::GenieacsAuth::None,
        timeout: Duration::from_secs(5),
    });
    s.gemini = Some(GeminiSettings {
        api_key: vision.gemini.api_key(),
        model: "gemini-3.5-flash".to_owned(),
        url: vision.gemini.url().to_string(),
        deadline: Duration::from_secs(8),
        max_image_bytes: 1024 * 1024,
        max_side: 1536,
    });
    s.auth.groups.insert(
        TECHS.to_owned(),
        vec![Capability::Vision, Capability::DevicesRead],
    );
    tweak(&mut s);
    VisionApp {
        t: spawn_settings(s, fake).await,
        vision,
        _nbi: nbi,
    }
}

#[tokio::test]
async fn barcodes_and_invoices_are_read_and_checked() {
    let v = vision_app(|_| {}).await;
    // Multipart, as the apps send it.
    let form = Form::new().part(
        "image",
        Part::bytes(v.photo(Kind::Barcodes))
            .file_name("scan.png")
            .mime_str("image/png")
            .unwrap(),
    );
    let r =
        v.t.staff(Method::POST, "/vision/barcodes", TECHS)
            .multipart(form)
            .send()
            .await
            .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["kind"], "barcodes");
    let codes = body["value"]["barcodes"].as_array().unwrap();
    let mac = codes.iter().find(|c| c["meaning"] == "mac").unwrap();
    assert_eq!(
        mac["value"], "AA:BB:CC:10:01:06",
        "the MAC as printed (no separators) is normalised"
    );
    assert_eq!(body["flags"], json!([]));
    assert_eq!(body["nothing_found"], Value::Null);
    assert_eq!(body["image_tokens"], 258);
    assert!(body["received_bytes"].as_u64().unwrap() > 100);

    // What reached Gemini: the image inline, the key only in its header, the schema.
    let sent = v.vision.gemini.requests().pop().unwrap();
    assert_eq!(sent.api_key, "[redacted]");
    assert!(!sent.key_in_query);
    let parts = &sent.body["contents"][0]["parts"];
    assert_eq!(parts[0]["inlineData"]["mimeType"], "image/png");
    assert!(sent.body["generationConfig"]["responseSchema"]["properties"]["barcodes"].is_object());

    // The raw image as the body.
    let (status, body) = v
        .post("/vision/invoice", "image/png", v.photo(Kind::Invoice))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["value"]["total"], 474.28);
    assert_eq!(body["value"]["taxes"][1]["kind"], "QST");
    assert_eq!(body["flags"], json!([]));

    // A reading whose totals do not add up comes back flagged, values kept as read.
    let odd = photo_bytes(7);
    v.vision.gemini.answer_for_image(
        &Image::new(odd.clone()).unwrap(),
        json!({"vendor": "X", "number": "1", "issue_date": "2026-11-31", "due_date": null,
               "currency": "CAD", "subtotal": 100.0,
               "taxes": [{"kind": "GST", "rate_percent": 5.0, "amount": 5.0, "registration_number": null}],
               "total": 110.0, "line_items": []})
        .to_string(),
    );
    let (status, body) = v.post("/vision/invoice", "image/png", odd).await;
    assert_eq!(status, 200, "{body}");
    let problems: Vec<(&str, &str)> = body["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["field"].as_str().unwrap(), f["problem"].as_str().unwrap()))
        .collect();
    assert_eq!(
        problems,
        [("issue_date", "invalid_date"), ("total", "total_mismatch")]
    );
    assert_eq!(body["value"]["issue_date"], "2026-11-31");
}

#[tokio::test]
async fn an_equipment_label_finds_and_binds_its_equipment_and_device() {
    let v = vision_app(|_| {}).await;
    let photo = v.photo(Kind::Equipment);
    // Read only: matched, nothing written.
    let (status, body) = v
        .post("/vision/equipment", "image/png", photo.clone())
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["value"]["macs"], json!(["AA:BB:CC:10:01:06"]));
    assert_eq!(body["equipment"]["name"], "SE-00006");
    assert_eq!(body["acs"]["serial"], "22C5A1000106");
    assert_eq!(body["binding"]["status"], "not_requested");
    assert_eq!(
        body["sources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["status"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["ok", "ok"]
    );

    // A technician with devices:read only may not bind.
    let r =
        v.t.staff(Method::POST, "/vision/equipment?bind=true", TECHS)
            .header("Content-Type", "image/png")
            .body(photo.clone())
            .send()
            .await
            .unwrap();
    assert_eq!(r.status(), 403);

    // Binding: the ACS device id queued for the equipment, then written by the outbox.
    let (status, body) = v
        .post("/vision/equipment?bind=true", "image/png", photo.clone())
        .await;
    assert_eq!(status, 200, "{body}");
    let device = body["acs"]["id"].as_str().unwrap().to_owned();
    assert_eq!(body["binding"]["status"], "bound");
    assert_eq!(body["binding"]["fields"], json!({"acs_device_id": device}));
    let mut written = Value::Null;
    for _ in 0..100 {
        written =
            v.t.fake
                .all("Service Equipment")
                .into_iter()
                .find(|e| e["name"] == "SE-00006")
                .unwrap();
        if written["acs_device_id"] == device.as_str() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(written["acs_device_id"], device.as_str());
    // Scanning again finds it bound.
    let (_, body) = v
        .post("/vision/equipment?bind=true", "image/png", photo)
        .await;
    assert_eq!(body["binding"]["status"], "already_bound");

    // An installed unit's label: its equipment already names its device.
    let other = photo_bytes(9);
    v.vision.gemini.answer_for_image(
        &Image::new(other.clone()).unwrap(),
        json!({"brand": "TP-Link", "model": "XX230v", "hardware_version": null,
               "serial": "22C5A1000101", "macs": [], "gpon_serial": null, "wifi": []})
        .to_string(),
    );
    let (status, body) = v
        .post("/vision/equipment?bind=true", "image/png", other)
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["equipment"]["name"], "SE-00001");
    assert_eq!(body["binding"]["status"], "already_bound");

    let (status, body) = v
        .post("/vision/equipment?bind=maybe", "image/png", photo_bytes(1))
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["field"], "bind");
}

#[tokio::test]
async fn bad_photos_are_refused_before_gemini_is_asked() {
    let v = vision_app(|s| {
        if let Some(g) = &mut s.gemini {
            g.max_image_bytes = 4096;
        }
    })
    .await;
    let cases: Vec<(&str, &str, Vec<u8>, u16, &str)> = vec![
        ("empty", "image/jpeg", vec![], 400, "invalid_input"),
        (
            "not an image",
            "image/jpeg",
            b"%PDF-1.7 not a photo".to_vec(),
            400,
            "invalid_input",
        ),
        (
            "a damaged header",
            "image/png",
            b"\x89PNG\r\n\x1a\n\0\0\0\rIHDRgarbage".to_vec(),
            400,
            "invalid_input",
        ),
        (
            "too large",
            "image/jpeg",
            [&[0xFFu8, 0xD8, 0xFF][..], &[0u8; 5000][..]].concat(),
            413,
            "payload_too_large",
        ),
        (
            "not a photo type",
            "application/json",
            b"{}".to_vec(),
            415,
            "unsupported_media_type",
        ),
        (
            "multipart without a boundary",
            "multipart/form-data",
            b"x".to_vec(),
            400,
            "invalid_input",
        ),
    ];
    for (what, ctype, body, want, code) in cases {
        for route in ["/vision/barcodes", "/vision/equipment", "/vision/invoice"] {
            let (status, answer) = v.post(route, ctype, body.clone()).await;
            assert_eq!(status, want, "{what} at {route}: {answer}");
            assert_eq!(answer["error"]["code"], code, "{what} at {route}");
        }
    }
    // A form without the image field names what it had.
    let form = Form::new().text("note", "hello");
    let r =
        v.t.token(Method::POST, "/vision/barcodes", ADMIN_TOKEN)
            .multipart(form)
            .send()
            .await
            .unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["error"]["message"].as_str().unwrap().contains("note"),
        "{body}"
    );
    // A too-large image inside a form.
    let form = Form::new().part(
        "image",
        Part::bytes([&[0xFFu8, 0xD8, 0xFF][..], &[0u8; 5000][..]].concat()).file_name("a.jpg"),
    );
    let r =
        v.t.token(Method::POST, "/vision/barcodes", ADMIN_TOKEN)
            .multipart(form)
            .send()
            .await
            .unwrap();
    assert_eq!(r.status(), 413);
    assert_eq!(
        v.gemini_requests(),
        0,
        "Gemini never asked about a bad photo"
    );
}

#[tokio::test]
async fn each_route_needs_its_capability() {
    let v = vision_app(|_| {}).await;
    for route in ["/vision/barcodes", "/vision/equipment", "/vision/invoice"] {
        let r =
            v.t.token(Method::POST, route, N8N_TOKEN)
                .header("Content-Type", "image/png")
                .body(photo_bytes(1))
                .send()
                .await
                .unwrap();
        assert_eq!(r.status(), 403, "{route}");
        let r =
            v.t.http
                .post(v.t.at(route))
                .header("Content-Type", "image/png")
                .body(photo_bytes(1))
                .send()
                .await
                .unwrap();
        assert_eq!(r.status(), 401, "{route}");
    }
    // Technicians read barcodes and labels, not invoices.
    for (route, want) in [
        ("/vision/barcodes", 200),
        ("/vision/equipment", 200),
        ("/vision/invoice", 403),
    ] {
        let r =
            v.t.staff(Method::POST, route, TECHS)
                .header("Content-Type", "image/png")
                .body(photo_bytes(1))
                .send()
                .await
                .unwrap();
        assert_eq!(r.status(), want, "{route}");
    }
}

#[tokio::test]
async fn gemini_failures_become_the_callers_answers() {
    let cases = [
        (
            Fault::Blocked(gemini_vision::BlockReason::Safety),
            422,
            "vision_refused",
        ),
        (
            Fault::Finish(gemini_vision::FinishReason::Recitation),
            422,
            "vision_refused",
        ),
        (Fault::DailyQuota, 429, "quota_exhausted"),
        (
            Fault::Status {
                status: 503,
                retry_delay: None,
            },
            503,
            "upstream_error",
        ),
        (
            Fault::Status {
                status: 404,
                retry_delay: None,
            },
            502,
            "upstream_error",
        ),
        (Fault::Delay(Duration::from_secs(4)), 504, "upstream_error"),
    ];
    for (fault, want, code) in cases {
        // A hub of its own per fault: what one leaves queued cannot reach the next.
        let v = vision_app(|s| {
            if let Some(g) = &mut s.gemini {
                g.deadline = Duration::from_secs(2);
            }
        })
        .await;
        v.vision.gemini.push_fault(fault.clone(), 100);
        let (status, body) = v
            .post("/vision/barcodes", "image/png", photo_bytes(2))
            .await;
        assert_eq!(status, want, "{fault:?}: {body}");
        assert_eq!(body["error"]["code"], code, "{fault:?}");
        assert!(
            !body
                .to_string()
                .contains(gemini_vision::testkit::FAKE_API_KEY),
            "no key in an answer"
        );
    }

    // Not configured: a 503 naming the variable.
    let plain = spawn_app().await;
    let r = plain
        .token(Method::POST, "/vision/barcodes", ADMIN_TOKEN)
        .header("Content-Type", "image/png")
        .body(photo_bytes(1))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    let body: Value = r.json().await.unwrap();
    assert!(body.to_string().contains("GEMINI_API_KEY"), "{body}");
}

/// A small valid PNG, distinct per `seed`.
fn photo_bytes(seed: u8) -> Vec<u8> {
    gemini_vision::testkit::sample_png(seed, 64, 48).unwrap()
}

#[tokio::test]
async fn readiness_asks_gemini_for_its_model_and_a_refused_key_only_degrades() {
    let v = vision_app(|_| {}).await;
    let body = readyz(&v.t).await.1;
    assert_eq!(body["vision"]["status"], "ok", "{body}");
    assert_eq!(v.gemini_requests(), 0, "no generation spent on readiness");

    let v = vision_app(|s| {
        if let Some(g) = &mut s.gemini {
            g.api_key = secrecy::SecretString::from("AIza-revoked-key");
        }
    })
    .await;
    let (status, body) = readyz(&v.t).await;
    assert_eq!(status, 200, "the hub stays ready");
    assert_eq!(body["vision"]["status"], "degraded", "{body}");
    assert!(
        body["vision"]["detail"]
            .as_str()
            .unwrap()
            .contains("GEMINI_API_KEY")
    );
    assert!(!body.to_string().contains("AIza-revoked-key"));

    let plain = spawn_app().await;
    let body = readyz(&plain).await.1;
    assert_eq!(body["vision"]["status"], "not_configured");
}
