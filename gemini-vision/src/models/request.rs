//! The request body (`GenerateContentRequest`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The body of `POST /v1beta/models/{model}:generateContent`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct GenerateContentRequest {
    /// The conversation; one `user` turn for a single-shot extraction.
    pub contents: Vec<Content>,
    /// Instructions the model follows for the whole request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_instruction: Option<Content>,
    /// Output settings: MIME type, schema, temperature, token limits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generation_config: Option<GenerationConfig>,
    /// At most one setting per harm category.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub safety_settings: Vec<SafetySetting>,
    /// Any other field (`tools`, `cachedContent`, ...), sent as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl GenerateContentRequest {
    /// A request of one `user` turn made of `parts`.
    pub fn user(parts: Vec<Part>) -> Self {
        Self {
            contents: vec![Content {
                role: Some("user".to_owned()),
                parts,
                extra: Map::new(),
            }],
            ..Self::default()
        }
    }

    /// Sets the system instruction (one text part).
    pub fn with_system_instruction(mut self, text: impl Into<String>) -> Self {
        self.system_instruction = Some(Content {
            role: None,
            parts: vec![Part::text(text)],
            extra: Map::new(),
        });
        self
    }

    /// Sets the generation config.
    pub fn with_generation_config(mut self, config: GenerationConfig) -> Self {
        self.generation_config = Some(config);
        self
    }

    /// Sets the safety settings.
    pub fn with_safety_settings(mut self, settings: Vec<SafetySetting>) -> Self {
        self.safety_settings = settings;
        self
    }
}

/// One turn: a role and its parts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Content {
    /// `user` or `model`; optional for a single turn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// The parts, in order.
    #[serde(default)]
    pub parts: Vec<Part>,
    /// Fields this crate does not use.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One part of a turn: text, inline data, or something this crate does not model (kept in
/// `extra`: `fileData`, `functionCall`, ...).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Part {
    /// Text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Bytes sent inline (an image).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inline_data: Option<Blob>,
    /// The model's reasoning rather than its answer (answers only); such parts are skipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thought: Option<bool>,
    /// Fields this crate does not use (`thoughtSignature`, `fileData`, ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Part {
    /// A text part.
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            text: Some(text.into()),
            ..Self::default()
        }
    }

    /// An inline-data part: `data` is standard base64 (with padding).
    pub fn inline_data(mime_type: impl Into<String>, data: impl Into<String>) -> Self {
        Self {
            inline_data: Some(Blob {
                mime_type: mime_type.into(),
                data: data.into(),
            }),
            ..Self::default()
        }
    }

    /// Whether the part is the model's reasoning (`thought: true`).
    pub fn is_thought(&self) -> bool {
        self.thought == Some(true)
    }
}

/// Inline bytes with their MIME type.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Blob {
    /// `image/jpeg`, `image/png`, ...
    pub mime_type: String,
    /// Standard base64 with padding.
    pub data: String,
}

impl std::fmt::Debug for Blob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Blob")
            .field("mime_type", &self.mime_type)
            .field("data", &format_args!("<{} base64 chars>", self.data.len()))
            .finish()
    }
}

/// Output settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct GenerationConfig {
    /// `application/json` for structured output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_mime_type: Option<String>,
    /// The Gemini `Schema` of the answer (see [`response_schema`](crate::response_schema)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_schema: Option<Value>,
    /// 0 to 2; 0 for extraction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// The longest answer, in tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_output_tokens: Option<u32>,
    /// Thinking settings; `None` leaves the model's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thinking_config: Option<ThinkingConfig>,
    /// Any other field (`seed`, `mediaResolution`, ...), sent as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Thinking settings. Gemini 2.5 takes `thinkingBudget` (0 disables thinking), Gemini 3.x
/// `thinkingLevel`; do not send both.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ThinkingConfig {
    /// Tokens the model may think with (2.5): 0 off, -1 dynamic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thinking_budget: Option<i32>,
    /// `low`, `high`, ... (3.x).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thinking_level: Option<String>,
}

impl ThinkingConfig {
    /// A thinking budget (Gemini 2.5).
    pub fn budget(tokens: i32) -> Self {
        Self {
            thinking_budget: Some(tokens),
            thinking_level: None,
        }
    }

    /// A thinking level (Gemini 3.x).
    pub fn level(level: impl Into<String>) -> Self {
        Self {
            thinking_budget: None,
            thinking_level: Some(level.into()),
        }
    }
}

/// A blocking threshold for one harm category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SafetySetting {
    /// `HARM_CATEGORY_DANGEROUS_CONTENT`, `HARM_CATEGORY_HARASSMENT`, ...
    pub category: String,
    /// `BLOCK_ONLY_HIGH`, `BLOCK_NONE`, `OFF`, ...
    pub threshold: String,
}

impl SafetySetting {
    /// A setting.
    pub fn new(category: impl Into<String>, threshold: impl Into<String>) -> Self {
        Self {
            category: category.into(),
            threshold: threshold.into(),
        }
    }

    /// `BLOCK_ONLY_HIGH` for the four current categories: what labels and invoices need to
    /// avoid false positives.
    pub fn only_high() -> Vec<Self> {
        [
            "HARM_CATEGORY_HARASSMENT",
            "HARM_CATEGORY_HATE_SPEECH",
            "HARM_CATEGORY_SEXUALLY_EXPLICIT",
            "HARM_CATEGORY_DANGEROUS_CONTENT",
        ]
        .into_iter()
        .map(|c| Self::new(c, "BLOCK_ONLY_HIGH"))
        .collect()
    }
}
