//! Devices: `client.devices()`.

use http::Method;

use crate::client::Body;
use crate::models::{Device, DeviceId, UserId};
use crate::version::Version;
use crate::{Client, Error, Result};

use super::with_query;

/// Filters of `GET /api/devices`. The default lists the caller's devices.
///
/// `limit`, `offset` and `keyword` need Traccar 6.13, `exclude_attributes` 6.10: older servers
/// ignore unknown parameters silently (a page would silently be the whole list), so the client
/// reads the server version first (once, cached) and refuses them with
/// [`Error::Unsupported`] on an older server.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct DeviceFilter {
    /// Every device on the server (administrators and managers).
    pub all: bool,
    /// The devices of this user.
    pub user_id: Option<UserId>,
    /// Only these ids.
    pub ids: Vec<DeviceId>,
    /// Only these unique ids.
    pub unique_ids: Vec<String>,
    /// Leave out `attributes` (6.10+).
    pub exclude_attributes: bool,
    /// At most this many (6.13+).
    pub limit: Option<u32>,
    /// Skip this many (6.13+).
    pub offset: Option<u32>,
    /// Search in name, unique id, phone, model, contact (6.13+).
    pub keyword: Option<String>,
}

impl DeviceFilter {
    /// Every device on the server (administrators and managers).
    pub fn all() -> Self {
        Self {
            all: true,
            ..Self::default()
        }
    }

    /// Only these ids.
    pub fn ids(ids: impl IntoIterator<Item = DeviceId>) -> Self {
        Self {
            ids: ids.into_iter().collect(),
            ..Self::default()
        }
    }

    /// Only these unique ids.
    pub fn unique_ids<S: Into<String>>(ids: impl IntoIterator<Item = S>) -> Self {
        Self {
            unique_ids: ids.into_iter().map(Into::into).collect(),
            ..Self::default()
        }
    }

    /// Sets a page (6.13+).
    pub fn page(mut self, offset: u32, limit: u32) -> Self {
        self.offset = Some(offset);
        self.limit = Some(limit);
        self
    }

    /// Sets a keyword search (6.13+).
    pub fn keyword(mut self, keyword: impl Into<String>) -> Self {
        self.keyword = Some(keyword.into());
        self
    }

    /// Leaves out attributes (6.10+).
    pub fn without_attributes(mut self) -> Self {
        self.exclude_attributes = true;
        self
    }

    pub(crate) fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut q = Vec::new();
        if self.all {
            q.push(("all", "true".to_owned()));
        }
        if let Some(u) = self.user_id {
            q.push(("userId", u.to_string()));
        }
        q.extend(self.ids.iter().map(|i| ("id", i.to_string())));
        q.extend(self.unique_ids.iter().map(|u| ("uniqueId", u.clone())));
        if self.exclude_attributes {
            q.push(("excludeAttributes", "true".to_owned()));
        }
        if let Some(l) = self.limit {
            q.push(("limit", l.to_string()));
        }
        if let Some(o) = self.offset {
            q.push(("offset", o.to_string()));
        }
        if let Some(k) = &self.keyword {
            q.push(("keyword", k.clone()));
        }
        q
    }
}

/// Device calls: list, get, create, update, delete. From [`Client::devices`].
#[derive(Debug, Clone)]
pub struct Devices {
    client: Client,
}

impl Client {
    /// Device calls.
    pub fn devices(&self) -> Devices {
        Devices {
            client: self.clone(),
        }
    }
}

impl Devices {
    /// `GET /api/devices` with a filter.
    ///
    /// # Errors
    /// [`Error::Unsupported`] for a parameter the server is too old for (see
    /// [`DeviceFilter`]); the usual request errors.
    pub async fn list(&self, filter: &DeviceFilter) -> Result<Vec<Device>> {
        if filter.limit.is_some() || filter.offset.is_some() {
            self.client
                .require("limit/offset", Version::DEVICE_PAGING)
                .await?;
        }
        if filter.keyword.is_some() {
            self.client
                .require("keyword", Version::DEVICE_PAGING)
                .await?;
        }
        if filter.exclude_attributes {
            self.client
                .require("excludeAttributes", Version::EXCLUDE_ATTRIBUTES)
                .await?;
        }
        let url = with_query(self.client.url(&["devices"]), &filter.pairs());
        self.client.execute(Method::GET, url, None).await?.json()
    }

    /// `GET /api/devices/{id}`.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::AccessDenied`] for a device of another user.
    pub async fn get(&self, id: DeviceId) -> Result<Device> {
        let url = self.client.url(&["devices", &id.to_string()]);
        self.client.execute(Method::GET, url, None).await?.json()
    }

    /// The device with this unique id (IMEI), if any.
    ///
    /// # Errors
    /// The usual request errors.
    pub async fn by_unique_id(&self, unique_id: &str) -> Result<Option<Device>> {
        let found = self
            .list(&DeviceFilter::unique_ids([unique_id.to_owned()]))
            .await?;
        Ok(found.into_iter().find(|d| d.unique_id == unique_id))
    }

    /// `POST /api/devices` (Traccar answers 200 with the device, its id set).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] without a name or unique id; the server's errors (a duplicate
    /// unique id is a storage exception).
    pub async fn create(&self, device: &Device) -> Result<Device> {
        if device.name.trim().is_empty() || device.unique_id.trim().is_empty() {
            return Err(Error::InvalidInput(
                "a device needs a name and a unique id".to_owned(),
            ));
        }
        let url = self.client.url(&["devices"]);
        self.client
            .execute(Method::POST, url, Some(Body::json(device)?))
            .await?
            .json()
    }

    /// `PUT /api/devices/{id}` with the whole device (fetch it, change it, send it back:
    /// unknown fields travel in `extra`).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a device without an id.
    pub async fn update(&self, device: &Device) -> Result<Device> {
        if device.id.get() <= 0 {
            return Err(Error::InvalidInput("the device has no id".to_owned()));
        }
        let url = self.client.url(&["devices", &device.id.to_string()]);
        self.client
            .execute(Method::PUT, url, Some(Body::json(device)?))
            .await?
            .json()
    }

    /// `DELETE /api/devices/{id}` (204).
    ///
    /// # Errors
    /// The usual request errors.
    pub async fn delete(&self, id: DeviceId) -> Result<()> {
        let url = self.client.url(&["devices", &id.to_string()]);
        self.client.execute(Method::DELETE, url, None).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_pairs() {
        let f = DeviceFilter {
            ids: vec![DeviceId(1), DeviceId(2)],
            ..DeviceFilter::all().page(20, 10).keyword("van")
        };
        let q: Vec<String> = f.pairs().iter().map(|(k, v)| format!("{k}={v}")).collect();
        assert_eq!(
            q,
            [
                "all=true",
                "id=1",
                "id=2",
                "limit=10",
                "offset=20",
                "keyword=van"
            ]
        );
        assert!(DeviceFilter::default().pairs().is_empty());
    }
}
