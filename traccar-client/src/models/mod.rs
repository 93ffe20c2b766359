//! Serde models of Traccar's objects. Forward compatible: fields the client uses are typed,
//! the free `attributes` object stays a JSON map, and fields this crate does not know land in
//! `extra` (and are sent back on update).

mod ids;
mod speed;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use ids::{DeviceId, EventId, GeofenceId, GroupId, PositionId, UserId};
pub use speed::{KMH_PER_KNOT, Speed};

/// A free JSON object (`attributes`, `extra`).
pub type Attributes = Map<String, Value>;

/// A device's connection status.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum DeviceStatus {
    /// Connected now.
    Online,
    /// Not connected.
    Offline,
    /// Never seen, or the status is not known.
    #[default]
    Unknown,
    /// A value this crate does not know.
    Other(String),
}

impl DeviceStatus {
    /// The wire text.
    pub fn as_str(&self) -> &str {
        match self {
            DeviceStatus::Online => "online",
            DeviceStatus::Offline => "offline",
            DeviceStatus::Unknown => "unknown",
            DeviceStatus::Other(s) => s,
        }
    }
}

impl Serialize for DeviceStatus {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for DeviceStatus {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = Option::<String>::deserialize(d)?;
        Ok(match s.as_deref() {
            Some("online") => DeviceStatus::Online,
            Some("offline") => DeviceStatus::Offline,
            Some("unknown") | None => DeviceStatus::Unknown,
            Some(other) => DeviceStatus::Other(other.to_owned()),
        })
    }
}

/// A tracked device (`/api/devices`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Device {
    /// Id (0 for a device not yet created).
    #[serde(default)]
    pub id: DeviceId,
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// The identifier the tracker reports (IMEI, ...). Unique on the server.
    #[serde(default)]
    pub unique_id: String,
    /// Connection status.
    #[serde(default)]
    pub status: DeviceStatus,
    /// Disabled by an administrator.
    #[serde(default)]
    pub disabled: bool,
    /// Last time the device was heard from.
    #[serde(default)]
    pub last_update: Option<DateTime<Utc>>,
    /// Its latest position.
    #[serde(default)]
    pub position_id: Option<PositionId>,
    /// Its group.
    #[serde(default)]
    pub group_id: Option<GroupId>,
    /// Phone number of the SIM.
    #[serde(default)]
    pub phone: Option<String>,
    /// Model.
    #[serde(default)]
    pub model: Option<String>,
    /// Contact.
    #[serde(default)]
    pub contact: Option<String>,
    /// Icon category (`car`, `truck`, `person`...).
    #[serde(default)]
    pub category: Option<String>,
    /// Free attributes.
    #[serde(default)]
    pub attributes: Attributes,
    /// Fields this crate does not know (`expirationTime`, `calendarId`, ...).
    #[serde(flatten)]
    pub extra: Attributes,
}

impl Device {
    /// A device to create: name and unique id.
    pub fn new(name: impl Into<String>, unique_id: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            unique_id: unique_id.into(),
            ..Self::default()
        }
    }
}

/// A position report (`/api/positions`, the route report, the WebSocket feed).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Position {
    /// Id.
    #[serde(default)]
    pub id: PositionId,
    /// The device.
    #[serde(default)]
    pub device_id: DeviceId,
    /// The tracker protocol (`osmand`, `teltonika`...).
    #[serde(default)]
    pub protocol: Option<String>,
    /// Time the device reported.
    #[serde(default)]
    pub device_time: Option<DateTime<Utc>>,
    /// Time of the GPS fix (history is filtered on it).
    #[serde(default)]
    pub fix_time: Option<DateTime<Utc>>,
    /// Time the server received it.
    #[serde(default)]
    pub server_time: Option<DateTime<Utc>>,
    /// A valid fix.
    #[serde(default)]
    pub valid: bool,
    /// Latitude, degrees.
    #[serde(default)]
    pub latitude: f64,
    /// Longitude, degrees.
    #[serde(default)]
    pub longitude: f64,
    /// Altitude, metres.
    #[serde(default)]
    pub altitude: f64,
    /// Speed (knots on the wire).
    #[serde(default)]
    pub speed: Speed,
    /// Course, degrees.
    #[serde(default)]
    pub course: f64,
    /// Reverse-geocoded address.
    #[serde(default)]
    pub address: Option<String>,
    /// Accuracy, metres.
    #[serde(default)]
    pub accuracy: f64,
    /// Cell and Wi-Fi information.
    #[serde(default)]
    pub network: Option<Value>,
    /// Geofences the position is inside.
    #[serde(default)]
    pub geofence_ids: Option<Vec<GeofenceId>>,
    /// Free attributes (`batteryLevel`, `ignition`, `motion`, `odometer`, `totalDistance`...).
    #[serde(default)]
    pub attributes: Attributes,
    /// Fields this crate does not know.
    #[serde(flatten)]
    pub extra: Attributes,
}

impl Position {
    /// Speed in knots, as Traccar stores it.
    pub fn speed_knots(&self) -> f64 {
        self.speed.knots()
    }

    /// Speed in km/h.
    pub fn speed_kmh(&self) -> f64 {
        self.speed.kmh()
    }

    /// A numeric attribute (`batteryLevel`, `odometer`...).
    pub fn attribute_f64(&self, name: &str) -> Option<f64> {
        self.attributes.get(name).and_then(Value::as_f64)
    }

    /// A boolean attribute (`ignition`, `motion`).
    pub fn attribute_bool(&self, name: &str) -> Option<bool> {
        self.attributes.get(name).and_then(Value::as_bool)
    }
}

/// An event (`/api/events/{id}`, the events report, the WebSocket feed).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Event {
    /// Id.
    #[serde(default)]
    pub id: EventId,
    /// Type (`deviceOnline`, `geofenceEnter`, `alarm`, ...), as the server spells it.
    #[serde(default, rename = "type")]
    pub kind: String,
    /// When it happened.
    #[serde(default)]
    pub event_time: Option<DateTime<Utc>>,
    /// The device.
    #[serde(default)]
    pub device_id: DeviceId,
    /// The position it happened at (0 or absent when none).
    #[serde(default)]
    pub position_id: Option<PositionId>,
    /// The geofence, for geofence events.
    #[serde(default)]
    pub geofence_id: Option<GeofenceId>,
    /// The maintenance, for maintenance events.
    #[serde(default)]
    pub maintenance_id: Option<i64>,
    /// Free attributes (`alarm`, ...).
    #[serde(default)]
    pub attributes: Attributes,
    /// Fields this crate does not know.
    #[serde(flatten)]
    pub extra: Attributes,
}

/// A geofence (`/api/geofences`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Geofence {
    /// Id (0 for one not yet created).
    #[serde(default)]
    pub id: GeofenceId,
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// The area in WKT (`CIRCLE (lat lon, radius)`, `POLYGON ((...))`).
    #[serde(default)]
    pub area: String,
    /// Its calendar.
    #[serde(default)]
    pub calendar_id: Option<i64>,
    /// Free attributes.
    #[serde(default)]
    pub attributes: Attributes,
    /// Fields this crate does not know.
    #[serde(flatten)]
    pub extra: Attributes,
}

impl Geofence {
    /// A geofence to create.
    pub fn new(name: impl Into<String>, area: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            area: area.into(),
            ..Self::default()
        }
    }
}

/// The server's settings (`/api/server`), with its `version`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Server {
    /// Id.
    #[serde(default)]
    pub id: i64,
    /// Self-registration allowed.
    #[serde(default)]
    pub registration: bool,
    /// Read-only server.
    #[serde(default)]
    pub readonly: bool,
    /// The server version (`6.14.5`).
    #[serde(default)]
    pub version: Option<String>,
    /// Free attributes.
    #[serde(default)]
    pub attributes: Attributes,
    /// Fields this crate does not know (map settings, OpenID flags, ...).
    #[serde(flatten)]
    pub extra: Attributes,
}

/// A user (`/api/session`). Its password is never decoded.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct User {
    /// Id.
    #[serde(default)]
    pub id: UserId,
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Email (also the login).
    #[serde(default)]
    pub email: String,
    /// Administrator.
    #[serde(default)]
    pub administrator: bool,
    /// Read-only.
    #[serde(default)]
    pub readonly: bool,
    /// Disabled.
    #[serde(default)]
    pub disabled: bool,
    /// Free attributes.
    #[serde(default)]
    pub attributes: Attributes,
    /// Fields this crate does not know (`password` is dropped, never kept).
    #[serde(flatten, deserialize_with = "without_password")]
    pub extra: Attributes,
}

fn without_password<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Attributes, D::Error> {
    let mut m = Attributes::deserialize(d)?;
    m.remove("password");
    Ok(m)
}

/// A row of the summary report (`/api/reports/summary`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ReportSummary {
    /// The device.
    #[serde(default)]
    pub device_id: DeviceId,
    /// Its name.
    #[serde(default)]
    pub device_name: String,
    /// Highest speed.
    #[serde(default)]
    pub max_speed: Speed,
    /// Average speed.
    #[serde(default)]
    pub average_speed: Speed,
    /// Distance, metres.
    #[serde(default)]
    pub distance: f64,
    /// Fuel spent, litres.
    #[serde(default)]
    pub spent_fuel: f64,
    /// Engine hours, milliseconds.
    #[serde(default)]
    pub engine_hours: i64,
    /// Fields this crate does not know (`startTime`, `startOdometer`...).
    #[serde(flatten)]
    pub extra: Attributes,
}

/// A row of the trips report (`/api/reports/trips`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ReportTrips {
    /// The device.
    #[serde(default)]
    pub device_id: DeviceId,
    /// Its name.
    #[serde(default)]
    pub device_name: String,
    /// Highest speed.
    #[serde(default)]
    pub max_speed: Speed,
    /// Average speed.
    #[serde(default)]
    pub average_speed: Speed,
    /// Distance, metres.
    #[serde(default)]
    pub distance: f64,
    /// Fuel spent, litres.
    #[serde(default)]
    pub spent_fuel: f64,
    /// Duration, milliseconds.
    #[serde(default)]
    pub duration: i64,
    /// Start.
    #[serde(default)]
    pub start_time: Option<DateTime<Utc>>,
    /// Start address.
    #[serde(default)]
    pub start_address: Option<String>,
    /// Start latitude.
    #[serde(default)]
    pub start_lat: f64,
    /// Start longitude.
    #[serde(default)]
    pub start_lon: f64,
    /// End.
    #[serde(default)]
    pub end_time: Option<DateTime<Utc>>,
    /// End address.
    #[serde(default)]
    pub end_address: Option<String>,
    /// End latitude.
    #[serde(default)]
    pub end_lat: f64,
    /// End longitude.
    #[serde(default)]
    pub end_lon: f64,
    /// Driver's unique id.
    #[serde(default)]
    pub driver_unique_id: Option<String>,
    /// Driver's name.
    #[serde(default)]
    pub driver_name: Option<String>,
    /// Fields this crate does not know.
    #[serde(flatten)]
    pub extra: Attributes,
}

/// A row of the stops report (`/api/reports/stops`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ReportStops {
    /// The device.
    #[serde(default)]
    pub device_id: DeviceId,
    /// Its name.
    #[serde(default)]
    pub device_name: String,
    /// Duration, milliseconds.
    #[serde(default)]
    pub duration: i64,
    /// Start.
    #[serde(default)]
    pub start_time: Option<DateTime<Utc>>,
    /// Address.
    #[serde(default)]
    pub address: Option<String>,
    /// Latitude.
    #[serde(default)]
    pub lat: f64,
    /// Longitude.
    #[serde(default)]
    pub lon: f64,
    /// End.
    #[serde(default)]
    pub end_time: Option<DateTime<Utc>>,
    /// Fuel spent, litres.
    #[serde(default)]
    pub spent_fuel: f64,
    /// Engine hours, milliseconds.
    #[serde(default)]
    pub engine_hours: i64,
    /// Fields this crate does not know.
    #[serde(flatten)]
    pub extra: Attributes,
}
