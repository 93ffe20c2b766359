#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod api;
mod client;
mod error;
mod live;
pub mod models;
mod version;

#[cfg(feature = "testkit")]
#[cfg_attr(docsrs, doc(cfg(feature = "testkit")))]
pub mod testkit;

pub use api::devices::{DeviceFilter, Devices};
pub use api::geofences::Geofences;
pub use api::positions::{LatestVia, Positions};
pub use api::reports::{ReportQuery, Reports};
pub use client::{Client, ClientBuilder};
pub use error::{Error, Result, TRACE_EXCERPT_CHARS};
pub use gigafibre_client_core::{RetryConfig, TimeoutConfig};
pub use live::{LiveFeed, LiveOptions, Update};
pub use models::{
    Device, DeviceId, DeviceStatus, Event, EventId, Geofence, GeofenceId, GroupId, Position,
    PositionId, ReportStops, ReportSummary, ReportTrips, Server, Speed, User, UserId,
};
pub use version::Version;
