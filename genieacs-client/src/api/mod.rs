//! Request handlers, one module per area.

pub(crate) mod devices;
pub(crate) mod tasks;
pub(crate) mod wifi;
