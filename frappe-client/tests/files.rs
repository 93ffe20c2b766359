//! File upload and download.

use frappe_client::{Error, Upload};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

mod common;
use common::{catch_all, received, setup};

#[tokio::test]
async fn upload_sends_a_multipart_form_attached_to_a_document() {
    let (server, client) = setup().await;
    Mock::given(method("POST"))
        .and(path("/api/method/upload_file"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"message": {
            "name": "a1b2c3d4e5", "file_name": "onu-label.jpg", "file_url": "/private/files/onu-label.jpg",
            "is_private": 1, "file_size": 11, "content_hash": "9e107d9d372bb6826bd81d3542a419d6",
            "attached_to_doctype": "Dispatch Job", "attached_to_name": "DJ-2026-00001", "folder": "Home/Attachments"
        }})))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let file = client
        .files()
        .upload(
            Upload::new("onu-label.jpg", &b"hello-label"[..])
                .mime("image/jpeg")
                .attach_to("Dispatch Job", "DJ-2026-00001")
                .field("photo"),
        )
        .await
        .unwrap();
    assert!(file.is_private);
    assert_eq!(
        file.file_url.as_deref(),
        Some("/private/files/onu-label.jpg")
    );
    assert_eq!(file.extra["folder"], "Home/Attachments");
    let reqs = server.received_requests().await.unwrap();
    let body = String::from_utf8_lossy(&reqs[0].body);
    for part in [
        "name=\"file\"; filename=\"onu-label.jpg\"",
        "Content-Type: image/jpeg",
        "hello-label",
        "name=\"is_private\"\r\n\r\n1",
        "name=\"doctype\"\r\n\r\nDispatch Job",
        "name=\"docname\"\r\n\r\nDJ-2026-00001",
        "name=\"fieldname\"\r\n\r\nphoto",
    ] {
        assert!(body.contains(part), "missing {part:?} in {body}");
    }
    insta::assert_json_snapshot!(received(&server).await, { "[].body" => "[multipart]" });
}

#[tokio::test]
async fn download_reads_a_private_file_with_the_credentials() {
    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .and(path("/private/files/onu-label.jpg"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(&b"\xff\xd8jpeg"[..], "image/jpeg"))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let bytes = client
        .files()
        .download("/private/files/onu-label.jpg")
        .await
        .unwrap();
    assert_eq!(&bytes[..], b"\xff\xd8jpeg");
    assert!(
        received(&server).await[0]
            .headers
            .iter()
            .any(|(k, _)| k == "authorization")
    );
}

#[tokio::test]
async fn foreign_urls_and_bad_uploads_are_refused() {
    let (server, client) = setup().await;
    for url in [
        "https://evil.example/files/x",
        "ftp://evil.example/x",
        "http://[::1",
    ] {
        assert!(
            matches!(
                client.files().download(url).await,
                Err(Error::InvalidInput(_))
            ),
            "{url}"
        );
    }
    assert!(matches!(
        client.files().upload(Upload::new(" ", vec![1])).await,
        Err(Error::InvalidInput(_))
    ));
    assert!(matches!(
        client
            .files()
            .upload(Upload::new("a.txt", vec![1]).field("photo"))
            .await,
        Err(Error::InvalidInput(_))
    ));
    assert!(received(&server).await.is_empty());
}
