//! `GET /devices/`: lookups by serial, by id, and queries streamed over skip/limit.

use futures::stream::{self, BoxStream, StreamExt};
use http::Method;
use serde_json::json;

use crate::client::Client;
use crate::query::check_path;
use std::time::Duration;

use crate::models::DataModel;
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
    "Device.WiFi.DataElements.Network",
    "Device.Hosts",
    "Device.Optical",
    "InternetGatewayDevice.DeviceInfo",
    "InternetGatewayDevice.Layer3Forwarding",
    "InternetGatewayDevice.WANDevice",
    "InternetGatewayDevice.LANDevice",
    "InternetGatewayDevice.X_HW_DEBUG.AdminTR069",
    "InternetGatewayDevice.X_ALU_OntOpticalParam",
];

/// The tables a snapshot reads, refreshed whole (`refreshObject`) because their rows come and
/// go: a new LAN host or mesh satellite only appears after its table is listed again.
const TR181_TABLES: &[&str] = &[
    "Device.IP.Interface",
    "Device.PPP.Interface",
    "Device.Routing.Router.1.IPv4Forwarding",
    "Device.WiFi.Radio",
    "Device.WiFi.SSID",
    "Device.WiFi.AccessPoint",
    "Device.WiFi.DataElements.Network",
    "Device.WiFi.MultiAP",
    "Device.Hosts.Host",
];

/// The TR-098 tables a snapshot reads.
const TR098_TABLES: &[&str] = &[
    "InternetGatewayDevice.Layer3Forwarding",
    "InternetGatewayDevice.WANDevice",
    "InternetGatewayDevice.LANDevice.1.WLANConfiguration",
    "InternetGatewayDevice.LANDevice.1.Hosts.Host",
];

fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from(std::time::SystemTime::now())
}

/// A task and the suffix of its `uniqueKey`.
type KeyedTask = (Task, String);

/// The refresh tasks for a snapshot, each with its `uniqueKey` suffix: one `refreshObject`
/// per table the device has, then one `getParameterValues` for the leaves read outside those
/// tables (identity, optical levels). Also answers every path asked for.
fn refresh_plan(device: &Device, snap: &ModemSnapshot) -> Result<(Vec<KeyedTask>, Vec<String>)> {
    let tables = match snap.data_model {
        DataModel::Tr181 => TR181_TABLES,
        DataModel::Tr098 => TR098_TABLES,
        DataModel::Unknown => &[],
    };
    let tables: Vec<&str> = tables
        .iter()
        .copied()
        .filter(|t| device.node(t).is_some())
        .collect();
    let mut plan = tables
        .iter()
        .map(|t| Ok((Task::refresh_object(t)?, (*t).to_owned())))
        .collect::<Result<Vec<_>>>()?;
    let mut leaves: Vec<&str> = snap
        .identity
        .sources
        .iter()
        .chain(snap.optical.iter().flat_map(|o| &o.sources))
        .map(String::as_str)
        .filter(|p| !tables.iter().any(|t| p.starts_with(&format!("{t}."))))
        .collect();
    leaves.sort_unstable();
    leaves.dedup();
    let mut asked: Vec<String> = tables.iter().map(|t| (*t).to_owned()).collect();
    asked.extend(leaves.iter().map(|l| (*l).to_owned()));
    if !leaves.is_empty() {
        plan.push((Task::get_parameter_values(&leaves)?, "leaves".to_owned()));
    }
    Ok((plan, asked))
}

/// A snapshot taken after asking the device for fresh values.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Refreshed {
    /// How the refresh went. Anything but [`TaskOutcome::Done`] means the snapshot shows the
    /// cached values (its sections' ages say how old); `Faulted` means the session ran but one
    /// subtree could not be read (the others are fresh).
    pub outcome: TaskOutcome,
    /// What was asked for: the tables refreshed whole, then the leaves read outside them.
    pub subtrees: Vec<String>,
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
        Ok(device.map(|d| ModemSnapshot::from_device(&d, now())))
    }

    /// Asks the device for fresh values of exactly what its snapshot reads, under `deadline`,
    /// then reads the snapshot again. `None` when the device is unknown.
    ///
    /// The tables the snapshot reads (interfaces, Wi-Fi, mesh, hosts — rows come and go) are
    /// each refreshed with a `refreshObject` task queued without waking the device, and the
    /// identity and optical leaves with one `getParameterValues` task sent last, with the
    /// connection request: the session it opens runs them all, in order. Each task carries a
    /// `uniqueKey`, so refreshes never pile up on a device that does not answer. Only subtrees
    /// the device is known to have are asked for (a missing one would fault the task).
    ///
    /// When the device does not answer (or not within `deadline`), the answer holds the cached
    /// snapshot, whose sections say how old they are, and the outcome says why; the queued
    /// tasks run at the device's next inform (or expire with `options.expiry`).
    pub async fn refresh_then_snapshot(
        &self,
        id: &DeviceId,
        options: &TaskOptions,
        deadline: Duration,
    ) -> Result<Option<Refreshed>> {
        let Some(device) = self.get(id, SNAPSHOT_PROJECTION).await? else {
            return Ok(None);
        };
        let before = ModemSnapshot::from_device(&device, now());
        let (plan, subtrees) = refresh_plan(&device, &before)?;
        if plan.is_empty() {
            return Ok(Some(Refreshed {
                outcome: TaskOutcome::Done,
                subtrees: Vec::new(),
                snapshot: before,
            }));
        }
        let options = options
            .clone()
            .session_timeout(options.session_timeout.min(deadline));
        let run = self.run_refresh(id, plan, &options);
        let outcome = match tokio::time::timeout(deadline, run).await {
            Ok(outcome) => outcome?,
            Err(_) => TaskOutcome::Queued(format!(
                "no answer within the {} ms deadline; the refresh stays queued",
                deadline.as_millis()
            )),
        };
        let snapshot = match &outcome {
            TaskOutcome::Done | TaskOutcome::Faulted(_) => {
                self.snapshot(id).await?.unwrap_or(before)
            }
            _ => before,
        };
        Ok(Some(Refreshed {
            outcome,
            subtrees,
            snapshot,
        }))
    }

    /// Queues every task of the plan but the last without a connection request, then sends
    /// the last with one; when the session ran, checks the queued ones left no fault.
    async fn run_refresh(
        &self,
        id: &DeviceId,
        mut plan: Vec<KeyedTask>,
        options: &TaskOptions,
    ) -> Result<TaskOutcome> {
        let tasks = self.client.tasks();
        let Some((last, last_key)) = plan.pop() else {
            return Ok(TaskOutcome::Done);
        };
        let mut queued = Vec::with_capacity(plan.len());
        for (task, key) in &plan {
            let o = options
                .clone()
                .without_connection_request()
                .unique_key(format!("gigafibre-refresh:{key}"));
            queued.push(tasks.submit(id, task, &o).await?.task_id);
        }
        let o = options
            .clone()
            .unique_key(format!("gigafibre-refresh:{last_key}"));
        let outcome = tasks.submit(id, &last, &o).await?.outcome;
        if outcome != TaskOutcome::Done {
            return Ok(outcome);
        }
        let faults = futures::future::join_all(queued.iter().map(|t| tasks.fault(id, t))).await;
        for fault in faults {
            if let Some(f) = fault? {
                return Ok(TaskOutcome::Faulted(f));
            }
        }
        Ok(TaskOutcome::Done)
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
