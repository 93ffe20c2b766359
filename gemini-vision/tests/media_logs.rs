//! That neither logs nor errors carry the API key, in a test binary of its own: the test
//! captures logs through a subscriber scoped to its thread, and tracing's per-callsite interest
//! is process-wide, so tests running beside it in one process could leave the client's debug
//! events disabled for it.

use std::time::Duration;

use gemini_vision::Image;
use gemini_vision::testkit::{FAKE_API_KEY, FakeGemini, Fault, sample_png};

#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
struct Label {
    #[allow(dead_code)]
    serial: String,
}

fn photo(w: u32, h: u32) -> Image {
    Image::new(sample_png(7, w, h).unwrap()).unwrap()
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

/// Log lines written while the test runs (this thread's subscriber, debug level).
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_key_is_in_no_log_line_query_or_error() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let fake = FakeGemini::start().await.unwrap();
    let client = fake.client_builder().inline_limit(1).build().unwrap();
    client
        .extract::<Label>(photo(64, 48), "Read.")
        .await
        .unwrap();
    until_no_files(&fake).await;
    let e = client.file("files/gone").await.unwrap_err();
    fake.push_fault(
        Fault::Status {
            status: 500,
            retry_delay: None,
        },
        5,
    );
    let e2 = client
        .extract::<Label>(photo(64, 48), "Read.")
        .await
        .unwrap_err();
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("/upload/v1beta/files"), "{logs}");
    assert!(logs.contains("DELETE"), "{logs}");
    for text in [
        logs,
        format!("{e:?} {e}"),
        format!("{e2:?} {e2}"),
        format!("{client:?}"),
    ] {
        assert!(!text.contains(FAKE_API_KEY), "{text}");
    }
    assert!(fake.requests().iter().all(|r| !r.key_in_query));
}
