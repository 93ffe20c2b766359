#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]

mod client;
mod error;
mod extract;
pub mod extractors;
mod files;
mod image;
pub mod models;
mod resize;
mod retry;
pub mod schema;

#[cfg(feature = "testkit")]
#[cfg_attr(docsrs, doc(cfg(feature = "testkit")))]
pub mod testkit;

pub use client::DEFAULT_INLINE_LIMIT;
pub use client::{
    API_KEY_HEADER, Client, ClientBuilder, DEFAULT_BASE_URL, DEFAULT_DEADLINE,
    DEFAULT_MAX_RETRY_DELAY, DEFAULT_MODEL,
};
pub use error::{ApiError, EXCERPT_CHARS, Error, Result, parse_duration};
pub use extract::{ExtractOptions, Extraction, default_temperature, extraction_request};
pub use files::{File, FileState};
pub use image::{Image, ImageFormat};
pub use models::{BlockReason, FinishReason, UsageMetadata};
pub use resize::{
    DEFAULT_JPEG_QUALITY, DEFAULT_MAX_SIDE, Downscale, MAX_DECODE_ALLOC, MAX_DECODED_SIDE,
    estimated_image_tokens,
};
pub use retry::{RetryConfig, TimeoutConfig};
pub use schema::{SchemaError, response_schema};
