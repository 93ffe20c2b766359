//! Faults (`GET /faults/`, `DELETE /faults/{deviceId}:{channel}`) and the task queue
//! (`GET /tasks/`, `DELETE /tasks/{id}`, `POST /tasks/{id}/retry`).
//!
//! A faulted task blocks its channel: GenieACS skips it until the fault is cleared —
//! [`Tasks::retry`] clears the fault so that it runs at the next session, [`Tasks::cancel`]
//! deletes task and fault, [`Faults::delete`] deletes a fault (and, for a `task_…` channel, its
//! task). Every call that takes the device's lock answers `503 Device is in session` while a
//! CWMP session runs: they are retried with back-off ([`Error::DeviceBusy`] once retries run
//! out). Inputs that crash the 1.2.16 NBI worker are refused before anything is sent.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use http::Method;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::api::nbi_url;
use crate::api::tasks::check_task_id;
use crate::client::Client;
use crate::{DeviceId, Error, Fault, Result, Tasks};

/// Tasks and faults run and are listed in timestamp order; `_id` breaks ties so that the order
/// is stable. Written by hand: a JSON map would sort the keys.
const BY_TIME: &str = r#"{"timestamp":1,"_id":1}"#;

/// Which faults to list: every field set must match exactly (the `faults` collection gets no
/// wildcard or regex rewriting, so plain equality means what it says).
///
/// ```
/// use genieacs_client::{DeviceId, FaultFilter};
/// let id = DeviceId::parse("1C61B4-Device2-22411A5001234").unwrap();
/// let f = FaultFilter::device(&id).channel("default");
/// assert_eq!(
///     f.to_json().to_string(),
///     r#"{"channel":"default","device":"1C61B4-Device2-22411A5001234"}"#
/// );
/// assert_eq!(FaultFilter::all().to_json().to_string(), "{}");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct FaultFilter {
    /// The device (raw id).
    pub device: Option<DeviceId>,
    /// The channel (`default`, `task_<id>`, a preset's channel).
    pub channel: Option<String>,
    /// The code (`cwmp.9005`, `timeout`, `script.Error`, ...).
    pub code: Option<String>,
}

impl FaultFilter {
    /// Every fault of the fleet.
    pub fn all() -> Self {
        Self::default()
    }

    /// The faults of one device.
    pub fn device(id: &DeviceId) -> Self {
        Self {
            device: Some(id.clone()),
            ..Self::default()
        }
    }

    /// Only this channel.
    pub fn channel(mut self, channel: impl Into<String>) -> Self {
        self.channel = Some(channel.into());
        self
    }

    /// Only this code.
    pub fn code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    /// The `query=` filter.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        if let Some(d) = &self.device {
            m.insert("device".to_owned(), json!(d.as_str()));
        }
        if let Some(c) = &self.channel {
            m.insert("channel".to_owned(), json!(c));
        }
        if let Some(c) = &self.code {
            m.insert("code".to_owned(), json!(c));
        }
        Value::Object(m)
    }
}

impl From<&DeviceId> for FaultFilter {
    fn from(id: &DeviceId) -> Self {
        Self::device(id)
    }
}

/// The faults collection. Created by [`Client::faults`].
#[derive(Debug, Clone)]
pub struct Faults {
    client: Client,
}

impl Client {
    /// Faults.
    pub fn faults(&self) -> Faults {
        Faults {
            client: self.clone(),
        }
    }
}

/// Checks a fault channel before it is put in a path: not empty, no control character, and a
/// `task_` channel names a task id — GenieACS turns what follows `task_` into an ObjectId and
/// crashes on anything but 24 hex digits.
fn check_channel(channel: &str) -> Result<()> {
    if channel.is_empty() || channel.chars().any(char::is_control) || channel.len() > 1024 {
        return Err(Error::InvalidInput(format!(
            "{channel:?} is not a fault channel"
        )));
    }
    if let Some(task) = channel.strip_prefix("task_") {
        check_task_id(task)?;
    }
    Ok(())
}

impl Faults {
    /// The faults matching `filter`, oldest first (`GET /faults/`, sorted by timestamp then id).
    /// Every match is returned: narrow the filter on a large fleet.
    pub async fn list(&self, filter: &FaultFilter) -> Result<Vec<Fault>> {
        let mut url = self.client.url(&["faults", ""]);
        url.query_pairs_mut()
            .append_pair("query", &filter.to_json().to_string())
            .append_pair("sort", BY_TIME);
        self.client
            .execute(Method::GET, url, None, true)
            .await?
            .json()
    }

    /// Deletes the fault of `device` on `channel` (`DELETE /faults/{deviceId}:{channel}`); for a
    /// `task_<id>` channel GenieACS deletes the task too. Deleting a fault that does not exist
    /// succeeds. Idempotent: retried with back-off on `503 Device is in session`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an empty channel or a `task_` channel whose id is not 24 hex
    /// digits (the NBI worker would crash); [`Error::DeviceBusy`] when the device stayed in
    /// session through every retry.
    pub async fn delete(&self, device: &DeviceId, channel: &str) -> Result<()> {
        check_channel(channel)?;
        let id = format!("{}:{channel}", device.as_str());
        let url = nbi_url(&self.client, &["faults", &id]);
        self.client.execute(Method::DELETE, url, None, true).await?;
        Ok(())
    }
}

/// A task waiting in GenieACS's queue (`/tasks/`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct QueuedTask {
    /// The task id (24 hex digits).
    #[serde(rename = "_id")]
    pub id: String,
    /// The device (raw id).
    #[serde(default)]
    pub device: Option<DeviceId>,
    /// `getParameterValues`, `setParameterValues`, `reboot`, ...
    #[serde(default)]
    pub name: String,
    /// When it was queued (it runs in timestamp order).
    #[serde(default, deserialize_with = "crate::api::opt_date")]
    pub timestamp: Option<DateTime<Utc>>,
    /// When GenieACS drops it if it has not run.
    #[serde(default, deserialize_with = "crate::api::opt_date")]
    pub expiry: Option<DateTime<Utc>>,
    /// Its unique key, if any.
    #[serde(default, rename = "uniqueKey")]
    pub unique_key: Option<String>,
    /// The task's own fields (`parameterNames`, `objectName`, ...) and anything else stored.
    #[serde(flatten)]
    pub fields: BTreeMap<String, Value>,
}

impl Tasks {
    /// The tasks queued for `device`, in the order they run (`GET /tasks/?query={"device":
    /// id}` sorted by timestamp, then id).
    pub async fn list_queued(&self, device: &DeviceId) -> Result<Vec<QueuedTask>> {
        let mut url = self.client.url(&["tasks", ""]);
        url.query_pairs_mut()
            .append_pair("query", &json!({"device": device.as_str()}).to_string())
            .append_pair("sort", BY_TIME);
        self.client
            .execute(Method::GET, url, None, true)
            .await?
            .json()
    }

    /// Deletes a queued task and its fault (`DELETE /tasks/{id}`). Retried with back-off on
    /// `503 Device is in session`. If an earlier attempt deleted it but its answer was lost, a
    /// retry answers [`Error::NotFound`]: either way the task is no longer queued.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an id that is not 24 hex digits (refused before sending: the
    /// 1.2.16 worker crashes on it); [`Error::NotFound`] (`Task not found`);
    /// [`Error::DeviceBusy`].
    pub async fn cancel(&self, task_id: &str) -> Result<()> {
        check_task_id(task_id)?;
        let url = nbi_url(&self.client, &["tasks", task_id]);
        self.client.execute(Method::DELETE, url, None, true).await?;
        Ok(())
    }

    /// Clears a faulted task's fault so that it runs again at the device's next session
    /// (`POST /tasks/{id}/retry`). GenieACS 1.2.16 crashes on the retry of an unknown task, so
    /// the task is looked up first and an unknown one answers [`Error::NotFound`] without the
    /// retry being sent. Retried on `503 Device is in session`, never after a connection closed
    /// without an answer.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an id that is not 24 hex digits; [`Error::NotFound`];
    /// [`Error::DeviceBusy`].
    pub async fn retry(&self, task_id: &str) -> Result<()> {
        check_task_id(task_id)?;
        if !self.is_queued(task_id).await? {
            return Err(Error::NotFound(format!("Task not found: {task_id}")));
        }
        let url = nbi_url(&self.client, &["tasks", task_id, "retry"]);
        self.client.execute(Method::POST, url, None, false).await?;
        Ok(())
    }
}
