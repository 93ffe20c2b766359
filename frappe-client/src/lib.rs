#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod api;
mod client;
mod error;
mod filter;
pub mod models;
mod retry;
pub mod webhook;

#[cfg(feature = "erpnext")]
#[cfg_attr(docsrs, doc(cfg(feature = "erpnext")))]
pub mod erpnext;

#[cfg(feature = "testkit")]
#[cfg_attr(docsrs, doc(cfg(feature = "testkit")))]
pub mod testkit;

pub use api::documents::{DocPatch, Documents, INSERT_MANY_LIMIT, Lookup};
pub use api::files::{FileDoc, Files, Upload};
pub use api::list::{ListQuery, Page};
pub use api::methods::{MethodCall, Reply};
pub use api::server::{AppVersion, ServerVersion};
pub use client::{ApiVersion, Client, ClientBuilder, MAX_PAGE_SIZE, RateLimit};
pub use error::{ApiError, AuthScheme, Error, ExcType, Result, ServerMessage};
pub use filter::{Filter, Operator};
pub use models::fields;
pub use models::{Doc, DocName, DocStatus, DocType, FrappeDateTime, Untyped};
pub use retry::{RetryConfig, TimeoutConfig};
pub use webhook::{parse_webhook, verify_webhook};
