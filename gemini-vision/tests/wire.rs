//! The wire: request shapes, finish reasons, errors, retries and the deadline, against wiremock.

mod common;

use std::time::{Duration, Instant};

use common::*;
use gemini_vision::models::{SafetySetting, ThinkingConfig};
use gemini_vision::{Error, ExtractOptions, FinishReason, RetryConfig};
use wiremock::MockServer;

const GOOD: &str = r#"{"serial":"HWTC1A2B","mac":"00:11:22:33:44:55","ports":4,"kind":"router","barcodes":["4006381333931"]}"#;

#[tokio::test]
async fn the_request_carries_image_then_prompt_and_the_key_only_in_its_header() {
    let server = MockServer::start().await;
    mount(&server, text_answer(GOOD, "STOP"), None).await;
    let got = client(&server)
        .extract::<Label>(png(), "Read the label.")
        .await
        .unwrap();
    insta::assert_debug_snapshot!("extraction_decoded", got);
    let reqs = server.received_requests().await.unwrap();
    let r = &reqs[0];
    assert_eq!(r.url.path(), GENERATE);
    assert_eq!(r.url.query(), None, "nothing in the query string");
    assert_eq!(
        r.headers
            .get("x-goog-api-key")
            .and_then(|v| v.to_str().ok()),
        Some(KEY)
    );
    let body = String::from_utf8_lossy(&r.body);
    assert!(!body.contains(KEY));
    insta::assert_json_snapshot!("extract_request", bodies(&server).await[0]);
}

#[tokio::test]
async fn options_reach_the_request() {
    let server = MockServer::start().await;
    mount(&server, text_answer(GOOD, "STOP"), None).await;
    let opts = ExtractOptions::new()
        .model("models/gemini-2.5-flash")
        .system_instruction("You read equipment labels.")
        .max_output_tokens(512)
        .thinking(ThinkingConfig::budget(0))
        .safety_settings(SafetySetting::only_high());
    let e = client(&server)
        .extract_with::<Label>(png(), "Read the label.", &opts)
        .await
        .unwrap_err();
    // The mock answers only the default model's path.
    assert!(
        matches!(e, Error::ModelNotFound { ref model, .. } if model == "gemini-2.5-flash"),
        "{e:?}"
    );
    let mut body = bodies(&server).await.remove(0);
    body["contents"][0]["parts"][0]["inlineData"]["data"] = "<base64>".into();
    body["generationConfig"]["responseSchema"] = "<schema>".into();
    insta::assert_json_snapshot!("extract_request_with_options", body);
}

#[tokio::test]
async fn thought_parts_are_skipped_and_text_parts_joined() {
    let server = MockServer::start().await;
    let body = serde_json::json!({"candidates": [{"content": {"role": "model", "parts": [
        {"text": "Let me look at the label...", "thought": true},
        {"text": "{\"serial\":\"A\",\"mac\":null,"},
        {"text": "\"ports\":1,\"kind\":\"ont\",\"barcodes\":[]}", "thoughtSignature": "c2ln"}
    ]}, "finishReason": "STOP", "futureField": {"x": 1}}], "anotherNewField": true});
    mount(&server, json_answer(200, &body.to_string()), None).await;
    let got = client(&server)
        .extract::<Label>(png(), "Read.")
        .await
        .unwrap();
    assert_eq!(got.value.serial, "A");
    assert_eq!(got.finish_reason, Some(FinishReason::Stop));
}

#[tokio::test]
async fn every_finish_reason_other_than_stop_is_an_error() {
    for reason in [
        "SAFETY",
        "RECITATION",
        "LANGUAGE",
        "OTHER",
        "BLOCKLIST",
        "PROHIBITED_CONTENT",
        "SPII",
        "MALFORMED_FUNCTION_CALL",
        "IMAGE_SAFETY",
        "UNEXPECTED_TOOL_CALL",
        "A_REASON_FROM_THE_FUTURE",
    ] {
        let server = MockServer::start().await;
        mount(&server, text_answer(GOOD, reason), None).await;
        let e = client(&server)
            .extract::<Label>(png(), "Read.")
            .await
            .unwrap_err();
        let Error::Finished { reason: got, .. } = &e else {
            panic!("{reason}: {e:?}")
        };
        assert_eq!(got.as_str(), reason);
        assert!(!e.is_retryable());
        assert_eq!(
            server.received_requests().await.unwrap().len(),
            1,
            "{reason}"
        );
    }
    assert_eq!(
        FinishReason::from("A_REASON_FROM_THE_FUTURE"),
        FinishReason::Other("A_REASON_FROM_THE_FUTURE".to_owned())
    );
}

#[tokio::test]
async fn max_tokens_is_an_error_only_when_the_json_is_cut() {
    let server = MockServer::start().await;
    mount(&server, text_answer(&GOOD[..30], "MAX_TOKENS"), Some(1)).await;
    mount(&server, text_answer(GOOD, "MAX_TOKENS"), None).await;
    let c = client(&server);
    let e = c.extract::<Label>(png(), "Read.").await.unwrap_err();
    assert!(
        matches!(&e, Error::Finished { reason: FinishReason::MaxTokens, text: Some(t) } if t.len() == 30),
        "{e:?}"
    );
    let got = c.extract::<Label>(png(), "Read.").await.unwrap();
    assert_eq!(got.finish_reason, Some(FinishReason::MaxTokens));
}

#[tokio::test]
async fn no_candidate_and_decode_errors() {
    let server = MockServer::start().await;
    mount(
        &server,
        json_answer(200, r#"{"modelVersion":"x"}"#),
        Some(1),
    )
    .await;
    mount(
        &server,
        json_answer(200, r#"{"candidates":[{"finishReason":"STOP"}]}"#),
        Some(1),
    )
    .await;
    mount(
        &server,
        text_answer(
            r#"{"serial":"A","mac":null,"ports":400,"kind":"ont","barcodes":[]}"#,
            "STOP",
        ),
        None,
    )
    .await;
    let c = client(&server);
    assert!(matches!(
        c.extract::<Label>(png(), "Read.").await,
        Err(Error::NoCandidate)
    ));
    assert!(matches!(
        c.extract::<Label>(png(), "Read.").await,
        Err(Error::NoCandidate)
    ));
    let e = c.extract::<Label>(png(), "Read.").await.unwrap_err();
    assert!(
        matches!(&e, Error::Decode { path, .. } if path == "ports"),
        "{e:?}"
    );
}

#[tokio::test]
async fn overloaded_and_internal_errors_are_retried_client_errors_are_not() {
    let overloaded = r#"{"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}}"#;
    let internal = r#"[{"error":{"code":500,"message":"An internal error has occurred.","status":"INTERNAL"}}]"#;
    let server = MockServer::start().await;
    mount(&server, json_answer(503, overloaded), Some(1)).await;
    mount(&server, json_answer(500, internal), Some(1)).await;
    mount(&server, text_answer(GOOD, "STOP"), None).await;
    let got = client(&server)
        .extract::<Label>(png(), "Read.")
        .await
        .unwrap();
    assert_eq!(got.value.ports, 4);
    assert_eq!(server.received_requests().await.unwrap().len(), 3);

    let server = MockServer::start().await;
    mount(&server, json_answer(503, overloaded), None).await;
    let e = client(&server)
        .extract::<Label>(png(), "Read.")
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Unavailable { .. }), "{e:?}");
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        3,
        "max_attempts"
    );

    let bad = r#"{"error":{"code":400,"message":"Invalid JSON payload received. Unknown name \"additionalProperties\" at 'generation_config.response_schema': Cannot find field.","status":"INVALID_ARGUMENT"}}"#;
    let server = MockServer::start().await;
    mount(&server, json_answer(400, bad), None).await;
    let e = client(&server)
        .extract::<Label>(png(), "Read.")
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::Api { code: Some(c), message, .. } if c == "INVALID_ARGUMENT" && message.contains("additionalProperties")),
        "{e:?}"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 1);

    let key = r#"{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com"}]}}"#;
    let server = MockServer::start().await;
    mount(&server, json_answer(400, key), None).await;
    let e = client(&server)
        .extract::<Label>(png(), "Read.")
        .await
        .unwrap_err();
    assert!(matches!(e, Error::InvalidApiKey { .. }), "{e:?}");
    assert!(!format!("{e:?}").contains(KEY));
}

#[tokio::test]
async fn the_deadline_bounds_the_whole_call() {
    let server = MockServer::start().await;
    mount(
        &server,
        text_answer(GOOD, "STOP").set_delay(Duration::from_secs(3)),
        None,
    )
    .await;
    let c = client(&server);
    let started = Instant::now();
    let e = c
        .extract_with::<Label>(
            png(),
            "Read.",
            &ExtractOptions::new().deadline(Duration::from_millis(300)),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Timeout(_)), "{e:?}");
    assert!(e.is_retryable());
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );

    let c = gemini_vision::Client::builder(server.uri())
        .api_key(KEY)
        .deadline(Duration::from_millis(200))
        .retry(RetryConfig::disabled())
        .build()
        .unwrap();
    let started = Instant::now();
    assert!(matches!(
        c.extract::<Label>(png(), "Read.").await,
        Err(Error::Timeout(_))
    ));
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn bad_input_is_refused_before_sending() {
    let server = MockServer::start().await;
    let c = client(&server);
    assert!(matches!(
        c.extract::<Label>(png(), "  ").await,
        Err(Error::InvalidInput(_))
    ));
    #[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
    struct WithMap {
        #[allow(dead_code)]
        attrs: std::collections::HashMap<String, String>,
    }
    let e = c.extract::<WithMap>(png(), "Read.").await.unwrap_err();
    assert!(e.to_string().contains("$.attrs"), "{e}");
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn redirects_are_not_followed_with_the_key() {
    let elsewhere = MockServer::start().await;
    mount(&elsewhere, text_answer(GOOD, "STOP"), None).await;
    let server = MockServer::start().await;
    mount(
        &server,
        wiremock::ResponseTemplate::new(307)
            .insert_header("location", format!("{}{GENERATE}", elsewhere.uri())),
        None,
    )
    .await;
    let e = client(&server)
        .extract::<Label>(png(), "Read.")
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::Api { status, .. } if status.as_u16() == 307),
        "{e:?}"
    );
    assert!(elsewhere.received_requests().await.unwrap().is_empty());
}
