//! Downscaling before upload and the Files API, against `FakeGemini` and wiremock.

use std::time::Duration;

use gemini_vision::models::{GenerateContentRequest, Part};
use gemini_vision::testkit::{FAKE_API_KEY, FakeGemini, Fault};
use gemini_vision::{Client, Downscale, Error, ExtractOptions, FileState, Image, RetryConfig};
use image::{Rgb, RgbImage};
use serde_json::{Value, json};
use wiremock::matchers::{header_regex, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The key of the wiremock tests; it must never appear anywhere but in its header.
const KEY: &str = "AIzaTEST-media-key-0123456789";

#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
struct Label {
    serial: String,
}

/// A noisy photo-like JPEG of `w` x `h` pixels at quality 95.
fn photo(w: u32, h: u32) -> Image {
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let img = RgbImage::from_fn(w, h, |x, y| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let n = (seed % 40) as u32;
        Rgb([
            ((x * 255 / w + n) % 256) as u8,
            ((y * 255 / h + n) % 256) as u8,
            (((x / 16 + y / 16) % 2) * 120 + n) as u8,
        ])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 95)
        .encode_image(&img)
        .unwrap();
    Image::new(out).unwrap()
}

fn part_kinds(body: &Value) -> Vec<String> {
    body["contents"][0]["parts"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p.as_object()?.keys().next().cloned())
        .collect()
}

async fn until_no_files(fake: &FakeGemini) {
    for _ in 0..200 {
        if fake.files().is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the uploaded file was not deleted: {:?}", fake.files());
}

#[tokio::test]
async fn a_large_image_is_downscaled_uploaded_referenced_and_deleted() {
    let fake = FakeGemini::start().await.unwrap();
    let client = fake
        .client_builder()
        .downscale(Downscale::default().with_max_side(400))
        .inline_limit(10_000)
        .build()
        .unwrap();
    let original = photo(1200, 900);
    let expected = original
        .downscaled(&Downscale::default().with_max_side(400))
        .unwrap();
    assert!(expected.bytes().len() > 10_000 && expected.bytes().len() < original.bytes().len());
    let got = client
        .extract::<Label>(original.clone(), "Read the label.")
        .await
        .unwrap();
    assert_eq!(got.value.serial, "sample");
    assert_eq!(
        got.usage.and_then(|u| u.prompt_tokens_of("IMAGE")),
        Some(258)
    );
    until_no_files(&fake).await;

    let reqs = fake.requests();
    let calls: Vec<(String, String)> = reqs
        .iter()
        .map(|r| (r.method.clone(), r.path.clone()))
        .collect();
    assert_eq!(
        calls[..3],
        [
            ("POST".to_owned(), "/upload/v1beta/files".to_owned()),
            ("POST".to_owned(), "/upload/v1beta/files".to_owned()),
            (
                "POST".to_owned(),
                "/v1beta/models/gemini-3.5-flash:generateContent".to_owned()
            ),
        ]
    );
    assert_eq!(calls[3].0, "DELETE");
    assert!(calls[3].1.starts_with("/v1beta/files/fake"));
    // The start carries the key and the metadata; the bytes go without the key, as in
    // Google's SDK, and are the downscaled image.
    assert_eq!(reqs[0].api_key, "[redacted]");
    assert_eq!(
        reqs[0].body,
        json!({"file": {"displayName": "gemini-vision image", "mimeType": "image/jpeg"}})
    );
    assert_eq!(reqs[1].api_key, "missing");
    assert_eq!(reqs[1].body_len, expected.bytes().len());
    assert!(reqs[1].body_len < original.bytes().len());
    // generateContent names the file instead of sending the bytes.
    assert_eq!(part_kinds(&reqs[2].body), ["fileData", "text"]);
    let file_data = &reqs[2].body["contents"][0]["parts"][0]["fileData"];
    assert_eq!(file_data["mimeType"], "image/jpeg");
    let uri = file_data["fileUri"].as_str().unwrap();
    assert!(uri.starts_with(fake.url().as_str()), "{uri}");
    assert!(uri.ends_with(&calls[3].1), "{uri}");
    assert!(reqs.iter().all(|r| !r.key_in_query));
    assert!(!format!("{reqs:?}").contains(FAKE_API_KEY));
}

#[tokio::test]
async fn a_small_image_goes_inline_downscaled() {
    let fake = FakeGemini::start().await.unwrap();
    let client = fake
        .client_builder()
        .downscale(Downscale::default().with_max_side(300))
        .build()
        .unwrap();
    let original = photo(900, 600);
    client
        .extract::<Label>(original.clone(), "Read the label.")
        .await
        .unwrap();
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(part_kinds(&reqs[0].body), ["inlineData", "text"]);
    let data = reqs[0].body["contents"][0]["parts"][0]["inlineData"]["data"]
        .as_str()
        .unwrap();
    use base64::Engine as _;
    let sent = Image::new(
        base64::engine::general_purpose::STANDARD
            .decode(data)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(sent.dimensions().unwrap(), Some((300, 200)));
    assert!(sent.bytes().len() < original.bytes().len());
    assert!(fake.files().is_empty());
    // Per call: no downscaling at all.
    client
        .extract_downscaled::<Label>(
            original.clone(),
            "Read.",
            &Default::default(),
            Downscale::off(),
        )
        .await
        .unwrap();
    let reqs = fake.requests();
    let data = reqs[1].body["contents"][0]["parts"][0]["inlineData"]["data"]
        .as_str()
        .unwrap();
    assert_eq!(data, original.to_base64());
}

#[tokio::test]
async fn the_files_api_by_hand_and_unknown_files() {
    let fake = FakeGemini::start().await.unwrap();
    let client = fake.client_builder().build().unwrap();
    let image = photo(64, 48);
    let file = client.upload_image(&image, "label").await.unwrap();
    assert_eq!(file.state, Some(FileState::Active));
    assert_eq!(file.display_name.as_deref(), Some("label"));
    assert_eq!(file.size_bytes, Some(image.bytes().len() as u64));
    assert_eq!(file.extra.get("source"), Some(&json!("UPLOADED")));
    let again = client.file(&file.name).await.unwrap();
    assert_eq!(again.uri, file.uri);
    assert_eq!(client.file(&file.uri).await.unwrap().name, file.name);
    client.delete_file(&file.name).await.unwrap();
    for e in [
        client.file(&file.name).await.unwrap_err(),
        client.delete_file(file.id()).await.unwrap_err(),
    ] {
        assert!(
            matches!(&e, Error::Api { status, code: Some(c), message, .. }
                if status.as_u16() == 403 && c == "PERMISSION_DENIED" && message.contains("may not exist")),
            "{e:?}"
        );
    }
    assert!(matches!(
        client.file("files/../models").await,
        Err(Error::InvalidInput(_))
    ));
    // A fileUri naming no stored file.
    let mut part = Part::default();
    part.extra.insert(
        "fileData".to_owned(),
        json!({"mimeType": "image/jpeg", "fileUri": file.uri}),
    );
    let request = GenerateContentRequest::user(vec![part, Part::text("Read.")]);
    let e = client.generate(&request).await.unwrap_err();
    assert_eq!(e.status().map(|s| s.as_u16()), Some(403), "{e:?}");
    assert!(!e.is_retryable());
}

#[tokio::test]
async fn a_failed_answer_still_deletes_the_file() {
    let fake = FakeGemini::start().await.unwrap();
    let client = fake.client_builder().inline_limit(1).build().unwrap();
    fake.push_fault(
        Fault::Status {
            status: 400,
            retry_delay: None,
        },
        1,
    );
    // The fault hits the first request to a faultable path: generateContent.
    let e = client
        .extract::<Label>(photo(64, 64), "Read.")
        .await
        .unwrap_err();
    assert_eq!(e.status().map(|s| s.as_u16()), Some(400));
    until_no_files(&fake).await;
}

fn wire_client(server: &MockServer) -> Client {
    Client::builder(server.uri())
        .api_key(KEY)
        .retry(
            RetryConfig::standard()
                .with_initial_backoff(Duration::from_millis(5))
                .with_jitter(false),
        )
        .build()
        .unwrap()
}

fn started(upload_url: &str) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("x-goog-upload-url", upload_url)
        .insert_header("x-goog-upload-status", "active")
}

const FILE_JSON: &str = r#"{"file": {"name": "files/abc123", "mimeType": "image/jpeg",
    "sizeBytes": "4", "uri": "https://generativelanguage.googleapis.com/v1beta/files/abc123",
    "state": "ACTIVE"}}"#;

#[tokio::test]
async fn the_wire_protocol_of_an_upload() {
    let server = MockServer::start().await;
    let upload_url = format!(
        "{}/upload/v1beta/files?upload_id=xyz&upload_protocol=resumable",
        server.uri()
    );
    Mock::given(method("POST"))
        .and(path("/upload/v1beta/files"))
        .and(header_regex("x-goog-upload-command", "^start$"))
        .respond_with(started(&upload_url))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/upload/v1beta/files"))
        .and(header_regex("x-goog-upload-command", "finalize"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-goog-upload-status", "final")
                .set_body_raw(FILE_JSON, "application/json"),
        )
        .mount(&server)
        .await;
    let image = Image::with_mime_type(b"\xFF\xD8\xFF\xD9".to_vec(), "image/jpeg").unwrap();
    let file = wire_client(&server)
        .upload_image(&image, "label")
        .await
        .unwrap();
    assert_eq!(file.id(), "abc123");
    assert_eq!(file.size_bytes, Some(4));
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(reqs.len(), 2);
    let h = |i: usize, name: &str| {
        reqs[i]
            .headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    assert_eq!(h(0, "x-goog-api-key").as_deref(), Some(KEY));
    assert_eq!(h(0, "x-goog-upload-protocol").as_deref(), Some("resumable"));
    assert_eq!(
        h(0, "x-goog-upload-header-content-length").as_deref(),
        Some("4")
    );
    assert_eq!(
        h(0, "x-goog-upload-header-content-type").as_deref(),
        Some("image/jpeg")
    );
    assert_eq!(h(0, "content-type").as_deref(), Some("application/json"));
    assert_eq!(h(1, "x-goog-upload-offset").as_deref(), Some("0"));
    assert_eq!(h(1, "x-goog-api-key"), None);
    assert_eq!(
        reqs[1].url.query(),
        Some("upload_id=xyz&upload_protocol=resumable")
    );
    assert_eq!(reqs[1].body, b"\xFF\xD8\xFF\xD9");
    for r in &reqs {
        assert!(!r.url.as_str().contains(KEY));
    }
}

#[tokio::test]
async fn an_upload_url_on_another_origin_is_refused() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/upload/v1beta/files"))
        .respond_with(started(
            "https://uploads.example.net/upload/v1beta/files?upload_id=xyz",
        ))
        .mount(&server)
        .await;
    let image = Image::with_mime_type(b"\xFF\xD8\xFF\xD9".to_vec(), "image/jpeg").unwrap();
    let e = wire_client(&server)
        .upload_image(&image, "label")
        .await
        .unwrap_err();
    let Error::Protocol(message) = &e else {
        panic!("{e:?}")
    };
    assert!(message.contains("https://uploads.example.net"), "{message}");
    assert!(!message.contains("upload_id"), "{message}");
    assert!(!e.is_retryable());
    // Same host, another port: another origin too.
    let server2 = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(started(
            "http://127.0.0.1:1/upload/v1beta/files?upload_id=x",
        ))
        .mount(&server2)
        .await;
    assert!(matches!(
        wire_client(&server2).upload_image(&image, "x").await,
        Err(Error::Protocol(_))
    ));
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
    assert_eq!(server2.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn the_start_is_retried_but_not_the_finalize() {
    let server = MockServer::start().await;
    let upload_url = format!("{}/upload/v1beta/files?upload_id=xyz", server.uri());
    Mock::given(method("POST"))
        .and(header_regex("x-goog-upload-command", "^start$"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(header_regex("x-goog-upload-command", "^start$"))
        .respond_with(started(&upload_url))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(header_regex("x-goog-upload-command", "finalize"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let image = Image::with_mime_type(b"\xFF\xD8\xFF\xD9".to_vec(), "image/jpeg").unwrap();
    let e = wire_client(&server)
        .upload_image(&image, "label")
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Unavailable { .. }), "{e:?}");
    let commands: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| {
            r.headers
                .get("x-goog-upload-command")
                .unwrap()
                .to_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(commands, ["start", "start", "upload, finalize"]);
}

#[tokio::test]
async fn an_upload_that_is_not_final_is_a_protocol_error() {
    let server = MockServer::start().await;
    let upload_url = format!("{}/upload/v1beta/files?upload_id=xyz", server.uri());
    Mock::given(method("POST"))
        .and(header_regex("x-goog-upload-command", "^start$"))
        .respond_with(started(&upload_url))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(header_regex("x-goog-upload-command", "finalize"))
        .respond_with(ResponseTemplate::new(200).insert_header("x-goog-upload-status", "active"))
        .mount(&server)
        .await;
    let image = Image::with_mime_type(b"\xFF\xD8\xFF\xD9".to_vec(), "image/jpeg").unwrap();
    let e = wire_client(&server)
        .upload_image(&image, "label")
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::Protocol(m) if m.contains("active")),
        "{e:?}"
    );
    // No upload URL at all.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let e = wire_client(&server)
        .upload_image(&image, "label")
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::Protocol(m) if m.contains("X-Goog-Upload-URL")),
        "{e:?}"
    );
}

#[tokio::test]
async fn a_corrupt_large_jpeg_is_refused_before_anything_is_sent() {
    let fake = FakeGemini::start().await.unwrap();
    let client = fake
        .client_builder()
        .downscale(Downscale::default().with_max_side(100))
        .build()
        .unwrap();
    let whole = photo(400, 300);
    let cut = Image::new(whole.bytes().slice(..whole.bytes().len() / 2)).unwrap();
    let e = client.extract::<Label>(cut, "Read.").await.unwrap_err();
    assert!(matches!(e, Error::InvalidImage(_)), "{e:?}");
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn downscaling_counts_against_the_deadline() {
    let fake = FakeGemini::start().await.unwrap();
    let client = fake.client_builder().build().unwrap();
    let e = client
        .extract_with::<Label>(
            photo(4000, 3000),
            "Read.",
            &ExtractOptions::new().deadline(Duration::from_millis(5)),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Timeout(_)), "{e:?}");
    assert!(
        fake.requests().is_empty(),
        "nothing sent after the deadline"
    );
}
