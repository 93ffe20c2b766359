#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod error;
mod model;
pub mod oid;
pub mod profile;
pub mod snmprec;

pub use error::{Error, Result};
pub use model::{
    DownCause, InvalidPonPort, InvalidSerial, OnuLocation, OnuStatus, OpticalStatus, PonPort,
    Serial, SignalQuality, SignalThresholds,
};
pub use oid::{Oid, Value};
pub use profile::{Field, Profile, ProfileSet};
