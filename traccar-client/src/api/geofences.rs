//! Geofences and events: `client.geofences()`, `client.event(id)`.

use http::Method;

use crate::client::Body;
use crate::models::{DeviceId, Event, EventId, Geofence, GeofenceId};
use crate::{Client, Error, Result};

use super::with_query;

/// Geofence calls. From [`Client::geofences`].
#[derive(Debug, Clone)]
pub struct Geofences {
    client: Client,
}

impl Client {
    /// Geofence calls.
    pub fn geofences(&self) -> Geofences {
        Geofences {
            client: self.clone(),
        }
    }

    /// `GET /api/events/{id}`. Lists of events come from the events report
    /// ([`Reports::events`](crate::Reports::events)) or the live feed.
    ///
    /// # Errors
    /// [`Error::NotFound`] and the usual request errors.
    pub async fn event(&self, id: EventId) -> Result<Event> {
        let url = self.url(&["events", &id.to_string()]);
        self.execute(Method::GET, url, None).await?.json()
    }
}

impl Geofences {
    /// `GET /api/geofences`: the caller's geofences, or those linked to `device` when given.
    ///
    /// # Errors
    /// The usual request errors.
    pub async fn list(&self, device: Option<DeviceId>) -> Result<Vec<Geofence>> {
        let q: Vec<(&str, String)> = device
            .map(|d| ("deviceId", d.to_string()))
            .into_iter()
            .collect();
        let url = with_query(self.client.url(&["geofences"]), &q);
        self.client.execute(Method::GET, url, None).await?.json()
    }

    /// `GET /api/geofences/{id}`.
    ///
    /// # Errors
    /// [`Error::NotFound`] and the usual request errors.
    pub async fn get(&self, id: GeofenceId) -> Result<Geofence> {
        let url = self.client.url(&["geofences", &id.to_string()]);
        self.client.execute(Method::GET, url, None).await?.json()
    }

    /// `POST /api/geofences`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] without a name or area.
    pub async fn create(&self, geofence: &Geofence) -> Result<Geofence> {
        if geofence.name.trim().is_empty() || geofence.area.trim().is_empty() {
            return Err(Error::InvalidInput(
                "a geofence needs a name and an area".to_owned(),
            ));
        }
        let url = self.client.url(&["geofences"]);
        self.client
            .execute(Method::POST, url, Some(Body::json(geofence)?))
            .await?
            .json()
    }

    /// `DELETE /api/geofences/{id}` (204).
    ///
    /// # Errors
    /// The usual request errors.
    pub async fn delete(&self, id: GeofenceId) -> Result<()> {
        let url = self.client.url(&["geofences", &id.to_string()]);
        self.client.execute(Method::DELETE, url, None).await?;
        Ok(())
    }
}
