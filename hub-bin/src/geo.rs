//! Distances and travel-time estimates on the Earth's surface, for ETAs without a routing
//! engine.

/// Mean Earth radius (m), IUGG.
const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// A point in WGS 84 degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// Latitude (°, −90..90).
    pub lat: f64,
    /// Longitude (°, −180..180).
    pub lon: f64,
}

impl Point {
    /// A point, when the coordinates are finite and in range (and not the 0, 0 that an unset
    /// location often holds).
    pub fn new(lat: f64, lon: f64) -> Option<Self> {
        let ok = lat.is_finite()
            && lon.is_finite()
            && (-90.0..=90.0).contains(&lat)
            && (-180.0..=180.0).contains(&lon)
            && !(lat == 0.0 && lon == 0.0);
        ok.then_some(Self { lat, lon })
    }

    /// The great-circle (haversine) distance to `other`, in metres.
    pub fn distance_m(&self, other: &Point) -> f64 {
        let (p1, p2) = (self.lat.to_radians(), other.lat.to_radians());
        let dp = p2 - p1;
        let dl = (other.lon - self.lon).to_radians();
        let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_M * a.sqrt().min(1.0).asin()
    }
}

/// Minutes to cover `distance_m` at `speed_kmh` (`None` for a speed that is not positive).
pub fn travel_minutes(distance_m: f64, speed_kmh: f64) -> Option<f64> {
    (speed_kmh.is_finite() && speed_kmh > 0.0 && distance_m.is_finite())
        .then(|| distance_m / 1000.0 / speed_kmh * 60.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_match_known_city_pairs() {
        // Montréal (Place Ville Marie) to Longueuil (métro station): about 4.6 km.
        let mtl = Point::new(45.5017, -73.5673).unwrap();
        let lgl = Point::new(45.5250, -73.5219).unwrap();
        let d = mtl.distance_m(&lgl);
        assert!((4_100.0..4_400.0).contains(&d), "{d}");
        // Montréal to Québec City: about 233 km.
        let qc = Point::new(46.8139, -71.2080).unwrap();
        let d = mtl.distance_m(&qc) / 1000.0;
        assert!((230.0..236.0).contains(&d), "{d}");
        assert_eq!(mtl.distance_m(&mtl), 0.0);
        // Antipodes: half the circumference.
        let a = Point::new(10.0, 20.0).unwrap();
        let b = Point::new(-10.0, -160.0).unwrap();
        let half = std::f64::consts::PI * EARTH_RADIUS_M;
        assert!((a.distance_m(&b) - half).abs() < 1.0);
    }

    #[test]
    fn bad_points_and_speeds_are_refused() {
        for (lat, lon) in [(91.0, 0.0), (0.0, 181.0), (f64::NAN, 1.0), (0.0, 0.0)] {
            assert!(Point::new(lat, lon).is_none(), "{lat},{lon}");
        }
        assert_eq!(travel_minutes(10_000.0, 40.0), Some(15.0));
        assert_eq!(travel_minutes(10_000.0, 0.0), None);
        assert_eq!(travel_minutes(10_000.0, -5.0), None);
    }
}
