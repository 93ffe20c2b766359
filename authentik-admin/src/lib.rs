#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod api;
mod client;
mod error;
pub mod models;
mod password;
mod retry;

#[cfg(feature = "testkit")]
#[cfg_attr(docsrs, doc(cfg(feature = "testkit")))]
pub mod testkit;

pub use api::groups::{GroupQuery, Groups, NewGroup};
pub use api::list::DEFAULT_PAGE_SIZE;
pub use api::users::{NewUser, UserPatch, UserQuery, Users};
pub use client::{Client, ClientBuilder};
pub use error::{EXCERPT_CHARS, Error, Result};
pub use models::{Group, Page, Pagination, PartialGroup, PartialUser, User, UserType};
pub use password::{
    DEFAULT_PASSWORD_CHARS, PASSWORD_ALPHABET, password_entropy_bits, temporary_password,
    temporary_password_of,
};
pub use retry::{RetryConfig, TimeoutConfig};
pub use secrecy::{ExposeSecret, SecretString};
