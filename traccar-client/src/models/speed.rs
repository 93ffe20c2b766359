//! [`Speed`]: Traccar stores knots; this type says so and converts.

use serde::{Deserialize, Serialize};

/// Kilometres per hour in one knot.
pub const KMH_PER_KNOT: f64 = 1.852;

/// A speed. Traccar sends and stores knots (`speed` of a position, `maxSpeed` and
/// `averageSpeed` of reports); this type keeps knots and gives km/h.
///
/// ```
/// use traccar_client::Speed;
/// let s = Speed::from_kmh(92.6);
/// assert!((s.knots() - 50.0).abs() < 1e-9);
/// assert!((Speed::from_knots(10.0).kmh() - 18.52).abs() < 1e-9);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Speed(f64);

impl Speed {
    /// A speed in knots (as on the wire).
    pub const fn from_knots(knots: f64) -> Self {
        Self(knots)
    }

    /// A speed in km/h.
    pub fn from_kmh(kmh: f64) -> Self {
        Self(kmh / KMH_PER_KNOT)
    }

    /// Knots.
    pub fn knots(self) -> f64 {
        self.0
    }

    /// Kilometres per hour.
    pub fn kmh(self) -> f64 {
        self.0 * KMH_PER_KNOT
    }

    /// Metres per second.
    pub fn meters_per_second(self) -> f64 {
        self.kmh() / 3.6
    }
}
