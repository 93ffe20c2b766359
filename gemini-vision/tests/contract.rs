//! The client against the real samples of `tests/resources/` (they outrank everything else).

mod common;

use std::time::{Duration, Instant};

use common::*;
use gemini_vision::models::GenerateContentResponse;
use gemini_vision::{BlockReason, Error, Extraction, FinishReason};
use wiremock::MockServer;

#[tokio::test]
async fn the_real_200_decodes_and_its_text_is_the_answer() {
    let raw = sample("generate_content_response.gemini-2.5-flash.json");
    let response: GenerateContentResponse = serde_json::from_str(&raw).unwrap();
    insta::assert_debug_snapshot!("real_200_decoded", response);
    assert_eq!(
        response.text().as_deref(),
        Some("AI learns patterns from data to make decisions or predictions.")
    );
    let usage = response.usage_metadata.as_ref().unwrap();
    assert_eq!(usage.thoughts_token_count, Some(829));
    assert_eq!(usage.prompt_tokens_of("TEXT"), Some(8));
    // Not JSON: extraction reports a decode error with the model's text.
    let e = Extraction::<String>::from_response(response).unwrap_err();
    assert!(
        matches!(&e, Error::Decode { path, text, .. } if path == "." && text.starts_with("AI learns")),
        "{e:?}"
    );

    let server = MockServer::start().await;
    mount(&server, json_answer(200, &raw), None).await;
    let got = client(&server)
        .generate(&gemini_vision::models::GenerateContentRequest::default())
        .await
        .unwrap();
    assert_eq!(got.model_version.as_deref(), Some("gemini-2.5-flash"));
    assert_eq!(got.candidates[0].finish_reason, Some(FinishReason::Stop));
}

#[test]
fn the_real_blocked_answer_decodes() {
    let response: GenerateContentResponse =
        serde_json::from_str(&sample("prompt_blocked_safety.json")).unwrap();
    insta::assert_debug_snapshot!("real_blocked_decoded", response);
    assert!(response.candidates.is_empty());
}

#[tokio::test]
async fn the_real_blocked_prompt_is_blocked() {
    let server = MockServer::start().await;
    mount(
        &server,
        json_answer(200, &sample("prompt_blocked_safety.json")),
        None,
    )
    .await;
    let e = client(&server)
        .extract::<Label>(png(), "Read the label.")
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::Blocked {
                reason: BlockReason::Safety
            }
        ),
        "{e:?}"
    );
    assert!(!e.is_retryable());
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn the_real_429_is_retried_after_its_capped_delay() {
    let server = MockServer::start().await;
    mount(
        &server,
        json_answer(429, &sample("error_429_resource_exhausted.json")),
        Some(1),
    )
    .await;
    mount(
        &server,
        text_answer(
            r#"{"serial":"HWTC1","mac":null,"ports":4,"kind":"ont","barcodes":[]}"#,
            "STOP",
        ),
        None,
    )
    .await;
    let started = Instant::now();
    let got = client(&server)
        .extract::<Label>(png(), "Read the label.")
        .await
        .unwrap();
    assert_eq!(got.value.serial, "HWTC1");
    // "26s" capped to the client's max_retry_delay (50 ms), not the 10 ms backoff.
    assert!(started.elapsed() >= Duration::from_millis(50));
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn the_real_429_whose_delay_passes_the_deadline_is_returned_at_once() {
    let server = MockServer::start().await;
    mount(
        &server,
        json_answer(429, &sample("error_429_resource_exhausted.json")),
        None,
    )
    .await;
    let c = gemini_vision::Client::builder(server.uri())
        .api_key(KEY)
        .build()
        .unwrap();
    // Default cap 30 s, deadline 8 s: a 26 s wait would pass the deadline, so none is waited.
    let started = Instant::now();
    let e = c
        .extract::<Label>(png(), "Read the label.")
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2));
    let Error::QuotaExhausted {
        retry_after,
        per_day,
        quota_ids,
        ..
    } = &e
    else {
        panic!("{e:?}")
    };
    assert_eq!(*retry_after, Some(Duration::from_secs(26)));
    assert!(!per_day);
    assert_eq!(quota_ids.len(), 1);
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
    assert!(!format!("{e:?} {e}").contains(KEY));
}
