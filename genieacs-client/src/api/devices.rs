//! `GET /devices/`: lookups by serial, by id, and queries streamed over skip/limit.

use futures::stream::{self, BoxStream, StreamExt};
use http::Method;
use serde_json::json;

use crate::client::Client;
use crate::query::check_path;
use crate::{Device, DeviceId, Error, Query, Result};

/// The fields a lookup by serial needs: identity, last inform, tags.
pub const SUMMARY_PROJECTION: &[&str] = &["_id", "_deviceId", "_lastInform", "_tags"];

/// The devices collection. Created by [`Client::devices`].
#[derive(Debug, Clone)]
pub struct Devices {
    client: Client,
}

impl Client {
    /// The devices.
    pub fn devices(&self) -> Devices {
        Devices {
            client: self.clone(),
        }
    }
}

/// One page of a device query, with the full match count (the `total` header).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct DevicePage {
    /// The devices on this page.
    pub items: Vec<Device>,
    /// How many devices match the query in all.
    pub total: Option<u64>,
}

impl Devices {
    /// The devices whose Inform reported this serial (`_deviceId._SerialNumber`), with the
    /// summary projection. Usually one; several when a serial was reused. Never build an id
    /// from a serial: the product class a CPE reports is not predictable.
    pub async fn find_by_serial(&self, serial: &str) -> Result<Vec<Device>> {
        let serial = serial.trim();
        if serial.is_empty() || serial.len() > 128 || serial.chars().any(char::is_control) {
            return Err(Error::InvalidInput(format!(
                "{serial:?} is not a serial number"
            )));
        }
        Ok(self
            .page(
                &Query::eq("_deviceId._SerialNumber", serial),
                SUMMARY_PROJECTION,
                0,
                50,
            )
            .await?
            .items)
    }

    /// One device by id, with `projection` (empty: the whole document, which can be large).
    pub async fn get(&self, id: &DeviceId, projection: &[&str]) -> Result<Option<Device>> {
        let mut page = self
            .page(&Query::eq("_id", id.as_str()), projection, 0, 1)
            .await?;
        Ok(page.items.pop())
    }

    /// One page of a query, sorted by `_id` (stable while devices inform).
    pub async fn page(
        &self,
        query: &Query,
        projection: &[&str],
        skip: u64,
        limit: u32,
    ) -> Result<DevicePage> {
        let filter = query.to_json().map_err(|e| Error::InvalidInput(e.0))?;
        for p in projection {
            check_path(p).map_err(|e| Error::InvalidInput(e.0))?;
        }
        if limit == 0 {
            return Err(Error::InvalidInput("limit must be at least 1".to_owned()));
        }
        let mut url = self.client.url(&["devices", ""]);
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("query", &filter.to_string());
            if !projection.is_empty() {
                q.append_pair("projection", &projection.join(","));
            }
            q.append_pair("sort", &json!({"_id": 1}).to_string());
            q.append_pair("skip", &skip.to_string());
            q.append_pair("limit", &limit.to_string());
        }
        let answer = self.client.execute(Method::GET, url, None, true).await?;
        Ok(DevicePage {
            total: answer.total(),
            items: answer.json()?,
        })
    }

    /// Every device matching `query`, page by page (`page_size` per request, at most one page
    /// in memory), as a stream.
    pub fn stream(
        &self,
        query: Query,
        projection: Vec<String>,
        page_size: u32,
    ) -> BoxStream<'static, Result<Device>> {
        let devices = self.clone();
        let page_size = page_size.clamp(1, 10_000);
        stream::unfold(Some(0u64), move |skip| {
            let devices = devices.clone();
            let query = query.clone();
            let projection = projection.clone();
            async move {
                let skip = skip?;
                let fields: Vec<&str> = projection.iter().map(String::as_str).collect();
                match devices.page(&query, &fields, skip, page_size).await {
                    Ok(page) => {
                        let n = page.items.len() as u64;
                        let next = (n == u64::from(page_size)).then_some(skip + n);
                        Some((stream::iter(page.items.into_iter().map(Ok)).boxed(), next))
                    }
                    Err(e) => Some((stream::iter([Err(e)]).boxed(), None)),
                }
            }
        })
        .flatten()
        .boxed()
    }
}
