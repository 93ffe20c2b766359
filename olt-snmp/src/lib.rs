#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod error;
mod model;
pub mod oid;
mod olt;
pub mod profile;
pub mod snmprec;
mod transport;

#[cfg(feature = "testkit")]
#[cfg_attr(docsrs, doc(cfg(feature = "testkit")))]
pub mod testkit;

pub use error::{Error, Result};
pub use model::{
    DownCause, InvalidPonPort, InvalidSerial, OnuLocation, OnuStatus, OpticalStatus, PonPort,
    Serial, SignalQuality, SignalThresholds,
};
pub use oid::{Oid, Value};
pub use olt::{Olt, OltBuilder, Readings, SystemInfo};
pub use profile::{Field, PortNames, Profile, ProfileSet};
pub use transport::{
    AuthProtocol, Credentials, GlobalLimit, PrivProtocol, TransportStats, UnknownProtocol,
    V3Credentials,
};
