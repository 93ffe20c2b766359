//! `GET /devices/`: lookups by serial, by id, and queries streamed over skip/limit.

use futures::stream::{self, BoxStream, StreamExt};
use http::Method;
use serde_json::json;

use crate::client::Client;
use crate::query::check_path;
use crate::{
    Device, DeviceId, Error, ModemSnapshot, Query, Result, Task, TaskOptions, TaskOutcome,
};

/// The fields a lookup by serial needs: identity, last inform, tags.
pub const SUMMARY_PROJECTION: &[&str] = &["_id", "_deviceId", "_lastInform", "_tags"];

/// The subtrees a [`ModemSnapshot`] reads, TR-181 and TR-098 (a projection naming a missing
/// path costs nothing).
pub const SNAPSHOT_PROJECTION: &[&str] = &[
    "_id",
    "_deviceId",
    "_lastInform",
    "_lastBoot",
    "_registered",
    "_tags",
    "Device.DeviceInfo",
    "Device.IP.Interface",
    "Device.PPP.Interface",
    "Device.Routing.Router.1.IPv4Forwarding",
    "Device.WiFi.Radio",
    "Device.WiFi.SSID",
    "Device.WiFi.AccessPoint",
    "Device.WiFi.MultiAP",
    "Device.Hosts",
    "Device.Optical",
    "InternetGatewayDevice.DeviceInfo",
    "InternetGatewayDevice.Layer3Forwarding",
    "InternetGatewayDevice.WANDevice",
    "InternetGatewayDevice.LANDevice",
];

/// A snapshot taken after asking the device for fresh values.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Refreshed {
    /// How the refresh went. Anything but [`TaskOutcome::Done`] means the snapshot shows the
    /// cached values (its sections' ages say how old).
    pub outcome: TaskOutcome,
    /// The snapshot, read after the refresh.
    pub snapshot: ModemSnapshot,
}

/// The devices collection. Created by [`Client::devices`].
#[derive(Debug, Clone)]
pub struct Devices {
    pub(crate) client: Client,
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

    /// The [`ModemSnapshot`] of a device from what GenieACS holds (no device contact).
    pub async fn snapshot(&self, id: &DeviceId) -> Result<Option<ModemSnapshot>> {
        let device = self.get(id, SNAPSHOT_PROJECTION).await?;
        Ok(device.map(|d| {
            ModemSnapshot::from_device(&d, chrono::DateTime::from(std::time::SystemTime::now()))
        }))
    }

    /// Asks the device for fresh values of every parameter its snapshot reads (one
    /// `getParameterValues` task, keyed so that refreshes never pile up), then reads the
    /// snapshot again. Table rows that appeared since GenieACS last listed a table (a new LAN
    /// host) need a [`Task::refresh_object`] first. `None` when the device is unknown.
    pub async fn refresh_then_snapshot(
        &self,
        id: &DeviceId,
        options: &TaskOptions,
    ) -> Result<Option<Refreshed>> {
        let Some(before) = self.snapshot(id).await? else {
            return Ok(None);
        };
        let mut paths: Vec<&str> = [
            &before.identity.sources,
            &before.wan.sources,
            &before.wifi.sources,
            &before.hosts.sources,
            &before.mesh.sources,
        ]
        .into_iter()
        .flatten()
        .chain(before.optical.iter().flat_map(|o| &o.sources))
        .map(String::as_str)
        .collect();
        paths.sort_unstable();
        paths.dedup();
        if paths.is_empty() {
            return Ok(Some(Refreshed {
                outcome: TaskOutcome::Done,
                snapshot: before,
            }));
        }
        let task = Task::get_parameter_values(&paths)?;
        let options = options.clone().unique_key("gigafibre-snapshot-refresh");
        let submitted = self.client.tasks().submit(id, &task, &options).await?;
        let snapshot = self.snapshot(id).await?.unwrap_or(before);
        Ok(Some(Refreshed {
            outcome: submitted.outcome,
            snapshot,
        }))
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
