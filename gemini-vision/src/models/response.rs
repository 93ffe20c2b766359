//! The answer (`GenerateContentResponse`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Content, string_enum};

/// The answer of `generateContent` (HTTP 200).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct GenerateContentResponse {
    /// The candidates; absent when the prompt was blocked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub candidates: Vec<Candidate>,
    /// Set when the prompt was blocked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_feedback: Option<PromptFeedback>,
    /// Token counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage_metadata: Option<UsageMetadata>,
    /// The model that answered (`gemini-2.5-flash`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_version: Option<String>,
    /// The answer's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_id: Option<String>,
    /// Fields this crate does not use.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl GenerateContentResponse {
    /// The text of the first candidate: its parts' text concatenated, thought parts skipped.
    /// `None` without a candidate or text.
    pub fn text(&self) -> Option<String> {
        self.candidates.first().and_then(Candidate::text)
    }
}

/// One answer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Candidate {
    /// The content; may be absent (a candidate stopped for safety).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<Content>,
    /// Why generation stopped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish_reason: Option<FinishReason>,
    /// Its index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<i32>,
    /// Safety ratings (often absent on 2.5 and later).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub safety_ratings: Vec<SafetyRating>,
    /// Fields this crate does not use (`citationMetadata`, `avgLogprobs`, ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Candidate {
    /// Its text parts concatenated, thought parts skipped; `None` when there is no text.
    pub fn text(&self) -> Option<String> {
        let parts = &self.content.as_ref()?.parts;
        let mut text = String::new();
        let mut any = false;
        for t in parts
            .iter()
            .filter(|p| !p.is_thought())
            .filter_map(|p| p.text.as_deref())
        {
            any = true;
            text.push_str(t);
        }
        any.then_some(text)
    }
}

string_enum! {
    /// Why a candidate stopped.
    FinishReason {
        /// Not set.
        Unspecified = "FINISH_REASON_UNSPECIFIED",
        /// Natural end: the answer is complete.
        Stop = "STOP",
        /// The token limit was reached: the answer may be cut.
        MaxTokens = "MAX_TOKENS",
        /// Stopped for safety.
        Safety = "SAFETY",
        /// Stopped for reciting training data.
        Recitation = "RECITATION",
        /// An unsupported language.
        Language = "LANGUAGE",
        /// Another reason (sometimes a schema too complex).
        OtherReason = "OTHER",
        /// A blocked term.
        Blocklist = "BLOCKLIST",
        /// Prohibited content.
        ProhibitedContent = "PROHIBITED_CONTENT",
        /// Sensitive personal information.
        Spii = "SPII",
        /// A malformed function call.
        MalformedFunctionCall = "MALFORMED_FUNCTION_CALL",
        /// An image safety violation.
        ImageSafety = "IMAGE_SAFETY",
        /// A prohibited image.
        ImageProhibitedContent = "IMAGE_PROHIBITED_CONTENT",
        /// Another image problem.
        ImageOther = "IMAGE_OTHER",
        /// No image was generated.
        NoImage = "NO_IMAGE",
        /// An image recitation.
        ImageRecitation = "IMAGE_RECITATION",
        /// An unexpected tool call.
        UnexpectedToolCall = "UNEXPECTED_TOOL_CALL",
        /// Too many tool calls.
        TooManyToolCalls = "TOO_MANY_TOOL_CALLS",
    }
}

string_enum! {
    /// Why a prompt was blocked.
    BlockReason {
        /// Not set.
        Unspecified = "BLOCK_REASON_UNSPECIFIED",
        /// Safety.
        Safety = "SAFETY",
        /// Another reason.
        OtherReason = "OTHER",
        /// A blocked term.
        Blocklist = "BLOCKLIST",
        /// Prohibited content.
        ProhibitedContent = "PROHIBITED_CONTENT",
        /// An image safety violation.
        ImageSafety = "IMAGE_SAFETY",
    }
}

/// Why the prompt was (or was not) blocked.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct PromptFeedback {
    /// Set when the prompt was blocked (then there are no candidates).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block_reason: Option<BlockReason>,
    /// Per-category ratings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub safety_ratings: Vec<SafetyRating>,
    /// Fields this crate does not use.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A safety rating of one category.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SafetyRating {
    /// `HARM_CATEGORY_HARASSMENT`, ...
    #[serde(default)]
    pub category: String,
    /// `NEGLIGIBLE`, `LOW`, `MEDIUM`, `HIGH`.
    #[serde(default)]
    pub probability: String,
    /// Whether this rating blocked the content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocked: Option<bool>,
    /// Fields this crate does not use.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Token counts; every field optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct UsageMetadata {
    /// Tokens of the prompt (image included).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_token_count: Option<u32>,
    /// Tokens of the answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub candidates_token_count: Option<u32>,
    /// Thinking tokens (billed as output).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thoughts_token_count: Option<u32>,
    /// Tokens read from a cache.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cached_content_token_count: Option<u32>,
    /// Tokens of tool-use prompts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_use_prompt_token_count: Option<u32>,
    /// All of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_token_count: Option<u32>,
    /// Prompt tokens by modality (`IMAGE`: what the image cost).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prompt_tokens_details: Vec<ModalityTokenCount>,
    /// Answer tokens by modality.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub candidates_tokens_details: Vec<ModalityTokenCount>,
    /// Cached tokens by modality.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cache_tokens_details: Vec<ModalityTokenCount>,
    /// Fields this crate does not use.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl UsageMetadata {
    /// The prompt tokens of one modality (`"IMAGE"`), when reported.
    pub fn prompt_tokens_of(&self, modality: &str) -> Option<u32> {
        self.prompt_tokens_details
            .iter()
            .find(|d| d.modality == modality)
            .and_then(|d| d.token_count)
    }
}

/// Tokens of one modality.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ModalityTokenCount {
    /// `TEXT`, `IMAGE`, `AUDIO`, `VIDEO`, `DOCUMENT`.
    #[serde(default)]
    pub modality: String,
    /// The count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_count: Option<u32>,
}

/// A model as `GET /v1beta/models/{model}` describes it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ModelInfo {
    /// `models/gemini-3.5-flash`.
    #[serde(default)]
    pub name: String,
    /// The base model's id, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_model_id: Option<String>,
    /// The version (`"3.5"`, `"001"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// A human-readable name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// The largest prompt, in tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_token_limit: Option<u64>,
    /// The longest answer, in tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_token_limit: Option<u64>,
    /// `generateContent`, `countTokens`, ...
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub supported_generation_methods: Vec<String>,
    /// Any other field (`thinking`, `temperature`, `topK`, ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
