//! Handlers, one module per area, and the pagination they share.

pub(crate) mod groups;
pub(crate) mod list;
pub(crate) mod users;
