//! The client end to end against `FakeGemini`.

mod common;

use std::time::{Duration, Instant};

use common::*;
use gemini_vision::models::{GenerateContentRequest, GenerationConfig, Part};
use gemini_vision::testkit::{FAKE_API_KEY, FakeGemini, Fault};
use gemini_vision::{BlockReason, Client, Error, ExtractOptions, FinishReason};

#[tokio::test]
async fn extract_end_to_end_from_the_requests_own_schema() {
    let fake = FakeGemini::start().await.unwrap();
    let client = fake.client_builder().build().unwrap();
    let got = client
        .extract::<Label>(png(), "Read the label.")
        .await
        .unwrap();
    insta::assert_json_snapshot!("fake_label", got.value);
    assert_eq!(got.value.kind, Kind::Ont);
    assert_eq!(got.value.mac, None);
    let usage = got.usage.unwrap();
    assert_eq!(usage.prompt_tokens_of("IMAGE"), Some(258));
    assert_eq!(got.model_version.as_deref(), Some("gemini-3.5-flash"));
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].api_key, "[redacted]");
    assert!(!reqs[0].key_in_query);
    assert!(!format!("{reqs:?}").contains(FAKE_API_KEY));
}

#[tokio::test]
async fn a_wrong_or_missing_key_gets_the_real_error() {
    let fake = FakeGemini::start().await.unwrap();
    let client = Client::builder(fake.url().as_str())
        .api_key("not-the-key")
        .build()
        .unwrap();
    let e = client.extract::<Label>(png(), "Read.").await.unwrap_err();
    assert!(
        matches!(e, Error::InvalidApiKey { ref message } if message.starts_with("API key not valid")),
        "{e:?}"
    );
    assert_eq!(fake.requests()[0].api_key, "wrong");
    let raw = reqwest::Client::new()
        .post(format!("{}v1beta/models/m:generateContent", fake.url()))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 400);
    assert_eq!(fake.requests()[1].api_key, "missing");
}

#[tokio::test]
async fn schema_keywords_gemini_lacks_are_refused_as_gemini_does() {
    let fake = FakeGemini::start().await.unwrap();
    let client = fake.client_builder().build().unwrap();
    let schema = serde_json::json!({"type": "OBJECT", "properties": {
        "a": {"type": "STRING"},
        "m": {"type": "OBJECT", "additionalProperties": {"type": "STRING"}}
    }});
    let mut config = GenerationConfig::default();
    config.response_mime_type = Some("application/json".to_owned());
    config.response_schema = Some(schema);
    let req = GenerateContentRequest::user(vec![Part::text("hi")]).with_generation_config(config);
    let e = client.generate(&req).await.unwrap_err();
    let Error::Api {
        status,
        code,
        message,
        ..
    } = &e
    else {
        panic!("{e:?}")
    };
    assert_eq!(status.as_u16(), 400);
    assert_eq!(code.as_deref(), Some("INVALID_ARGUMENT"));
    assert_eq!(
        message,
        "Invalid JSON payload received. Unknown name \"additionalProperties\" at 'generation_config.response_schema.properties[1].value': Cannot find field."
    );
    assert_eq!(fake.requests().len(), 1, "a 400 is not retried");
}

#[tokio::test]
async fn injected_faults() {
    let fake = FakeGemini::start().await.unwrap();
    let client = fake
        .client_builder()
        .max_retry_delay(Duration::from_millis(100))
        .build()
        .unwrap();
    let extract = || client.extract::<Label>(png(), "Read.");

    fake.push_fault(
        Fault::Status {
            status: 429,
            retry_delay: Some(Duration::from_millis(40)),
        },
        1,
    );
    let started = Instant::now();
    extract().await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(40));
    assert_eq!(fake.requests().len(), 2);

    fake.push_fault(Fault::DailyQuota, 1);
    let e = extract().await.unwrap_err();
    assert!(
        matches!(e, Error::QuotaExhausted { per_day: true, .. }),
        "{e:?}"
    );
    assert!(!e.is_retryable());
    assert_eq!(fake.requests().len(), 3, "a per-day quota is not retried");

    fake.push_fault(Fault::Blocked(BlockReason::ProhibitedContent), 1);
    assert!(matches!(
        extract().await,
        Err(Error::Blocked {
            reason: BlockReason::ProhibitedContent
        })
    ));
    fake.push_fault(Fault::Finish(FinishReason::Safety), 1);
    assert!(matches!(
        extract().await,
        Err(Error::Finished {
            reason: FinishReason::Safety,
            ..
        })
    ));
    fake.push_fault(Fault::Finish(FinishReason::MaxTokens), 1);
    assert!(matches!(
        extract().await,
        Err(Error::Finished {
            reason: FinishReason::MaxTokens,
            ..
        })
    ));
    fake.push_fault(Fault::Answer("{\"serial\": 1}".to_owned()), 1);
    assert!(matches!(extract().await, Err(Error::Decode { ref path, .. }) if path == "serial"));
    fake.push_fault(
        Fault::Status {
            status: 503,
            retry_delay: None,
        },
        2,
    );
    extract().await.unwrap();
    fake.push_fault(
        Fault::Status {
            status: 404,
            retry_delay: None,
        },
        1,
    );
    assert!(matches!(extract().await, Err(Error::ModelNotFound { .. })));
    fake.push_fault(Fault::Delay(Duration::from_secs(3)), 1);
    let started = Instant::now();
    let e = client
        .extract_with::<Label>(
            png(),
            "Read.",
            &ExtractOptions::new().deadline(Duration::from_millis(300)),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Timeout(_)), "{e:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

/// A tagged enum inside a Vec, an optional documented enum: the fake answers from the schema.
#[derive(Debug, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Line {
    Equipment { sku: String, quantity: u32 },
    Service { plan: String, monthly: f64 },
}

#[derive(Debug, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
struct Invoice {
    number: String,
    #[schemars(length(min = 2))]
    lines: Vec<Line>,
    due: Option<String>,
}

#[tokio::test]
async fn a_nested_type_end_to_end() {
    let fake = FakeGemini::start().await.unwrap();
    let client = fake.client_builder().build().unwrap();
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 80)
        .encode_image(&image::RgbImage::new(32, 16))
        .unwrap();
    let jpeg = gemini_vision::Image::new(bytes).unwrap();
    let got = client
        .extract::<Invoice>(jpeg, "Read the invoice.")
        .await
        .unwrap();
    insta::assert_json_snapshot!("fake_invoice", got.value);
    assert_eq!(got.value.lines.len(), 2);
    let sent = &fake.requests()[0].body;
    assert_eq!(
        sent["contents"][0]["parts"][0]["inlineData"]["mimeType"],
        "image/jpeg"
    );
}

#[tokio::test]
async fn model_info_checks_the_key_and_the_model_without_generating() {
    let fake = FakeGemini::start().await.unwrap();
    let client = fake.client_builder().build().unwrap();
    let info = client.model_info().await.unwrap();
    assert_eq!(info.name, "models/gemini-3.5-flash");
    assert!(
        info.supported_generation_methods
            .iter()
            .any(|m| m == "generateContent")
    );
    assert!(fake.requests().is_empty(), "no generation asked");

    let wrong = Client::builder(fake.url().as_str())
        .api_key("not-the-key")
        .build()
        .unwrap();
    let e = wrong.model_info().await.unwrap_err();
    assert!(matches!(e, Error::InvalidApiKey { .. }), "{e:?}");
    assert!(!format!("{e:?}").contains("not-the-key"));

    fake.push_fault(
        Fault::Status {
            status: 404,
            retry_delay: None,
        },
        1,
    );
    let e = client.model_info().await.unwrap_err();
    assert!(
        matches!(&e, Error::ModelNotFound { model, .. } if model == "gemini-3.5-flash"),
        "{e:?}"
    );
}

#[tokio::test]
async fn a_thinking_budget_and_level_together_get_geminis_400() {
    let fake = FakeGemini::start().await.unwrap();
    let client = fake.client_builder().build().unwrap();
    let mut both = gemini_vision::models::ThinkingConfig::budget(0);
    both.thinking_level = Some("low".to_owned());
    let e = client
        .extract_with::<Label>(png(), "Read.", &ExtractOptions::new().thinking(both))
        .await
        .unwrap_err();
    assert_eq!(e.status().map(|s| s.as_u16()), Some(400), "{e:?}");
    assert!(
        e.to_string()
            .contains("only one of thinking budget and thinking level")
    );
    assert!(!e.is_retryable());
}
