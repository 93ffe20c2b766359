//! Structured extraction: the request built from a Rust type, and the answer interpreted
//! (blocked prompts, finish reasons, thought parts, decoding into the type).

use std::time::Duration;

use serde::de::DeserializeOwned;

use crate::error::{EXCERPT_CHARS, truncate};
use crate::image::Image;
use crate::models::{
    FinishReason, GenerateContentRequest, GenerateContentResponse, GenerationConfig, Part,
    SafetySetting, ThinkingConfig, UsageMetadata,
};
use crate::schema::response_schema;
use crate::{Error, Result};

/// Settings of one call; `Default` keeps the client's.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct ExtractOptions {
    /// The call's deadline, retries and waits included (default: the client's, 8 s).
    pub deadline: Option<Duration>,
    /// Another model than the client's.
    pub model: Option<String>,
    /// A system instruction.
    pub system_instruction: Option<String>,
    /// The longest answer, in tokens.
    pub max_output_tokens: Option<u32>,
    /// Thinking settings (`ThinkingConfig::budget(0)` on 2.5 Flash: cheaper and faster).
    pub thinking: Option<ThinkingConfig>,
    /// Safety settings (e.g. [`SafetySetting::only_high`] for labels and invoices).
    pub safety_settings: Vec<SafetySetting>,
    /// The sampling temperature; unset, the model's recommended one
    /// ([`default_temperature`]).
    pub temperature: Option<f64>,
}

impl ExtractOptions {
    /// Default options.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the deadline.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// Sets the model.
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }

    /// Sets the system instruction.
    pub fn system_instruction(mut self, text: impl Into<String>) -> Self {
        self.system_instruction = Some(text.into());
        self
    }

    /// Sets the token limit of the answer.
    pub fn max_output_tokens(mut self, n: u32) -> Self {
        self.max_output_tokens = Some(n);
        self
    }

    /// Sets the thinking settings.
    pub fn thinking(mut self, thinking: ThinkingConfig) -> Self {
        self.thinking = Some(thinking);
        self
    }

    /// Sets the safety settings.
    pub fn safety_settings(mut self, settings: Vec<SafetySetting>) -> Self {
        self.safety_settings = settings;
        self
    }

    /// Sets the sampling temperature (0 to 2).
    pub fn temperature(mut self, temperature: f64) -> Self {
        self.temperature = Some(temperature);
        self
    }
}

/// The temperature an extraction sends when the call sets none: 0 (the most deterministic
/// reading) for models before Gemini 3; none for Gemini 3 and later, and for ids whose
/// generation is not in the name (`gemini-flash-latest`), which then use their default, 1.0:
/// Google's guidance for Gemini 3 is to keep it, as a lower temperature can make the model
/// loop or degrade.
///
/// ```
/// use gemini_vision::default_temperature;
/// assert_eq!(default_temperature("gemini-2.5-flash"), Some(0.0));
/// assert_eq!(default_temperature("gemini-3.5-flash"), None);
/// assert_eq!(default_temperature("models/gemini-3-flash-preview"), None);
/// assert_eq!(default_temperature("gemini-flash-latest"), None);
/// ```
pub fn default_temperature(model: &str) -> Option<f64> {
    let id = model.trim();
    let id = id.strip_prefix("models/").unwrap_or(id);
    let generation: String = id
        .strip_prefix("gemini-")?
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    match generation.parse::<u32>() {
        Ok(major) if major < 3 => Some(0.0),
        _ => None,
    }
}

/// A value extracted from an image, with what the call cost.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct Extraction<T> {
    /// The value.
    pub value: T,
    /// Token counts (`prompt_tokens_of("IMAGE")`: what the image cost).
    pub usage: Option<UsageMetadata>,
    /// The model that answered.
    pub model_version: Option<String>,
    /// Why the answer ended (`STOP`, or `MAX_TOKENS` when the JSON still decoded).
    pub finish_reason: Option<FinishReason>,
    /// The answer's id.
    pub response_id: Option<String>,
    /// Values that failed their checks after decoding (kept as read); filled by
    /// [`Client::read`](crate::Client::read), empty for [`Client::extract`](crate::Client::extract).
    pub flags: Vec<crate::extractors::Flag>,
}

impl<T: DeserializeOwned> Extraction<T> {
    /// Interprets an answer: a blocked prompt is [`Error::Blocked`]; no candidate or no text
    /// [`Error::NoCandidate`]; a finish reason other than `STOP` [`Error::Finished`] (for
    /// `MAX_TOKENS` only when the JSON does not decode); the text parts (thoughts skipped)
    /// decoded into `T`, [`Error::Decode`] naming the path when they do not fit.
    ///
    /// # Errors
    /// As above.
    pub fn from_response(response: GenerateContentResponse) -> Result<Self> {
        let Some(candidate) = response.candidates.first() else {
            return Err(
                match response.prompt_feedback.and_then(|f| f.block_reason) {
                    Some(reason) => Error::Blocked { reason },
                    None => Error::NoCandidate,
                },
            );
        };
        let text = candidate.text();
        let reason = candidate.finish_reason.clone();
        match &reason {
            None
            | Some(FinishReason::Stop | FinishReason::Unspecified | FinishReason::MaxTokens) => {}
            Some(other) => {
                return Err(Error::Finished {
                    reason: other.clone(),
                    text: text.map(|t| truncate(&t, EXCERPT_CHARS)),
                });
            }
        }
        let Some(text) = text.filter(|t| !t.trim().is_empty()) else {
            return Err(match reason {
                Some(FinishReason::MaxTokens) => Error::Finished {
                    reason: FinishReason::MaxTokens,
                    text: None,
                },
                _ => Error::NoCandidate,
            });
        };
        let value = match gigafibre_client_core::decode_json::<T>(text.as_bytes()) {
            Ok(v) => v,
            Err(_) if reason == Some(FinishReason::MaxTokens) => {
                return Err(Error::Finished {
                    reason: FinishReason::MaxTokens,
                    text: Some(truncate(&text, EXCERPT_CHARS)),
                });
            }
            Err(e) => {
                return Err(Error::Decode {
                    path: e.path,
                    source: e.source,
                    text: truncate(&text, EXCERPT_CHARS),
                });
            }
        };
        Ok(Self {
            value,
            usage: response.usage_metadata,
            model_version: response.model_version,
            finish_reason: reason,
            response_id: response.response_id,
            flags: Vec::new(),
        })
    }
}

/// The request [`Client::extract`](crate::Client::extract) sends: the image part first, then
/// the prompt; `responseMimeType: application/json`, `T`'s schema translated
/// ([`response_schema`]), the options' temperature or else [`default_temperature`] of the
/// options' model ([`DEFAULT_MODEL`](crate::DEFAULT_MODEL) when they name none).
///
/// # Errors
/// [`Error::Schema`] when `T` cannot be expressed; [`Error::InvalidInput`] for an empty prompt.
pub fn extraction_request<T>(
    image: &Image,
    prompt: &str,
    options: &ExtractOptions,
) -> Result<GenerateContentRequest>
where
    T: schemars::JsonSchema + DeserializeOwned,
{
    if prompt.trim().is_empty() {
        return Err(Error::InvalidInput("the prompt is empty".to_owned()));
    }
    let schema = response_schema::<T>()?;
    let mut config = GenerationConfig {
        response_mime_type: Some("application/json".to_owned()),
        response_schema: Some(schema),
        temperature: options.temperature.or_else(|| {
            default_temperature(options.model.as_deref().unwrap_or(crate::DEFAULT_MODEL))
        }),
        max_output_tokens: options.max_output_tokens,
        thinking_config: options.thinking.clone(),
        ..GenerationConfig::default()
    };
    config.extra.clear();
    let mut request = GenerateContentRequest::user(vec![
        Part::inline_data(image.mime_type(), image.to_base64()),
        Part::text(prompt),
    ])
    .with_generation_config(config)
    .with_safety_settings(options.safety_settings.clone());
    if let Some(s) = &options.system_instruction {
        request = request.with_system_instruction(s.clone());
    }
    Ok(request)
}
