//! Reports: `client.reports()` — route, events, trips, stops, summary, always as JSON.

use chrono::{DateTime, Utc};
use http::Method;
use serde::de::DeserializeOwned;

use crate::models::{DeviceId, Event, GroupId, Position, ReportStops, ReportSummary, ReportTrips};
use crate::{Client, Error, Result};

use super::{check_window, iso, with_query};

/// What a report covers: devices and/or groups, and a time window.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ReportQuery {
    /// Devices (repeated `deviceId`).
    pub devices: Vec<DeviceId>,
    /// Groups (repeated `groupId`).
    pub groups: Vec<GroupId>,
    /// Start (inclusive).
    pub from: DateTime<Utc>,
    /// End (inclusive).
    pub to: DateTime<Utc>,
}

impl ReportQuery {
    /// A report over these devices in `[from, to]`.
    pub fn devices(
        devices: impl IntoIterator<Item = DeviceId>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Self {
        Self {
            devices: devices.into_iter().collect(),
            groups: Vec::new(),
            from,
            to,
        }
    }

    /// Adds groups.
    pub fn groups(mut self, groups: impl IntoIterator<Item = GroupId>) -> Self {
        self.groups.extend(groups);
        self
    }

    fn pairs(&self) -> Result<Vec<(&'static str, String)>> {
        if self.devices.is_empty() && self.groups.is_empty() {
            return Err(Error::InvalidInput(
                "a report needs at least one device or group".to_owned(),
            ));
        }
        check_window(self.from, self.to)?;
        let mut q: Vec<(&str, String)> = self
            .devices
            .iter()
            .map(|d| ("deviceId", d.to_string()))
            .collect();
        q.extend(self.groups.iter().map(|g| ("groupId", g.to_string())));
        q.push(("from", iso(self.from)));
        q.push(("to", iso(self.to)));
        Ok(q)
    }
}

/// Report calls. From [`Client::reports`]. Every call sends `Accept: application/json`
/// (the same paths produce Excel for another `Accept`). The server may refuse a window
/// longer than its `report.periodLimit` ([`Error::InvalidArgument`]) and users with
/// `disableReports` ([`Error::ServerException`]).
#[derive(Debug, Clone)]
pub struct Reports {
    client: Client,
}

impl Client {
    /// Report calls.
    pub fn reports(&self) -> Reports {
        Reports {
            client: self.clone(),
        }
    }
}

impl Reports {
    async fn get<T: DeserializeOwned>(&self, name: &str, q: Vec<(&str, String)>) -> Result<T> {
        let url = with_query(self.client.url(&["reports", name]), &q);
        self.client.execute(Method::GET, url, None).await?.json()
    }

    /// `GET /api/reports/route`: the positions of the devices and groups in the window, in
    /// one request (subject to the server's `report.maxPositions` cap: for long windows use
    /// [`Positions::history_many`](crate::Positions::history_many), which pages).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an empty query or window; the usual request errors.
    pub async fn route(&self, query: &ReportQuery) -> Result<Vec<Position>> {
        self.get("route", query.pairs()?).await
    }

    /// `GET /api/reports/events`, of these `types` (`deviceOnline`, `geofenceEnter`, `alarm`
    /// ...; empty means all: `type=allEvents`).
    ///
    /// # Errors
    /// As [`route`](Self::route).
    pub async fn events(&self, query: &ReportQuery, types: &[&str]) -> Result<Vec<Event>> {
        let mut q = query.pairs()?;
        if types.is_empty() {
            q.push(("type", "allEvents".to_owned()));
        }
        q.extend(types.iter().map(|t| ("type", (*t).to_owned())));
        self.get("events", q).await
    }

    /// `GET /api/reports/trips`.
    ///
    /// # Errors
    /// As [`route`](Self::route).
    pub async fn trips(&self, query: &ReportQuery) -> Result<Vec<ReportTrips>> {
        self.get("trips", query.pairs()?).await
    }

    /// `GET /api/reports/stops`.
    ///
    /// # Errors
    /// As [`route`](Self::route).
    pub async fn stops(&self, query: &ReportQuery) -> Result<Vec<ReportStops>> {
        self.get("stops", query.pairs()?).await
    }

    /// `GET /api/reports/summary`; `daily` gives one row per device and day.
    ///
    /// # Errors
    /// As [`route`](Self::route).
    pub async fn summary(&self, query: &ReportQuery, daily: bool) -> Result<Vec<ReportSummary>> {
        let mut q = query.pairs()?;
        if daily {
            q.push(("daily", "true".to_owned()));
        }
        self.get("summary", q).await
    }
}
