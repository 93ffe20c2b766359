//! Newtype ids: a device id cannot be passed where a position id is expected.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl $name {
            /// The number.
            pub fn get(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<i64> for $name {
            fn from(v: i64) -> Self {
                Self(v)
            }
        }
    };
}

id!(
    /// A device's id.
    DeviceId
);
id!(
    /// A position's id.
    PositionId
);
id!(
    /// An event's id.
    EventId
);
id!(
    /// A geofence's id.
    GeofenceId
);
id!(
    /// A group's id.
    GroupId
);
id!(
    /// A user's id.
    UserId
);
