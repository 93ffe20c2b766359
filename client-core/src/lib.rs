#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod body;
pub mod decode;
pub mod env;
pub mod limit;
pub mod redact;
pub mod retry;
#[cfg(feature = "signal")]
#[cfg_attr(docsrs, doc(cfg(feature = "signal")))]
pub mod signal;
#[cfg(feature = "testkit")]
#[cfg_attr(docsrs, doc(cfg(feature = "testkit")))]
pub mod testkit;
pub mod transport;
pub mod url;

pub use body::{ErrorBody, retry_after};
pub use decode::{DecodeError, decode_json};
pub use limit::ConcurrencyLimit;
pub use redact::sensitive_header;
pub use retry::{RetryConfig, TimeoutConfig, Transient, retry, should_retry};
#[cfg(feature = "signal")]
pub use signal::shutdown_signal;
pub use transport::{Transport, TransportError, TransportOptions};
pub use url::{UrlError, base_url, join};
