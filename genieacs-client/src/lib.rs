#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod api;
mod client;
mod error;
pub mod models;
mod query;

#[cfg(feature = "testkit")]
#[cfg_attr(docsrs, doc(cfg(feature = "testkit")))]
pub mod testkit;

pub use api::config::{
    Configuration, FileInfo, FileMeta, FileMetadata, FileType, Files, NamedPreset, Preset, Presets,
    Provision, Provisions,
};
pub use api::devices::{DevicePage, Devices, Refreshed, SNAPSHOT_PROJECTION, SUMMARY_PROJECTION};
pub use api::faults::{FaultFilter, Faults, QueuedTask};
pub use api::tasks::{Fault, Submitted, Task, TaskOptions, TaskOutcome, Tasks};
pub use api::wifi::{Band, Passphrase, WifiChange, WifiResult};
pub use client::{Client, ClientBuilder};
pub use error::{Error, Result};
pub use gigafibre_client_core::{RetryConfig, TimeoutConfig};
pub use models::{Device, DeviceId, DeviceIdentity, ModemSnapshot, Param, ParamValue};
pub use query::{Query, QueryError};
