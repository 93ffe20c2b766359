//! `POST /devices/{id}/tasks`: typed tasks and their real outcome.
//!
//! GenieACS answers a task call 200 only when a CWMP session ran and the task left no fault;
//! every other outcome is a 202 whose meaning is in the HTTP/1.1 **reason phrase** (`Task
//! queued but not processed`, `Task faulted`, or the connection request's failure such as
//! `Device is offline`) — the body is always the task as inserted. [`Tasks::submit`] reads the
//! phrase, fetches the fault when there is one, and answers a [`TaskOutcome`]; [`Tasks::wait`]
//! follows a queued task through `/tasks` and `/faults`.

use std::time::Duration;

use bytes::Bytes;
use http::Method;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::client::Client;
use crate::query::check_path;
use crate::{DeviceId, Error, Result};

/// A task GenieACS runs in the device's next CWMP session. Build with the constructors, which
/// apply GenieACS's own validation (an invalid task body crashes the NBI worker).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Task {
    /// Refresh these parameters (objects refresh their subtree).
    GetParameterValues(Vec<String>),
    /// Set these parameters: `(path, value)`.
    SetParameterValues(Vec<(String, Value)>),
    /// Refresh an object and all its descendants.
    RefreshObject(String),
    /// Add an instance to a table, with its values.
    AddObject(String, Vec<(String, Value)>),
    /// Delete an instance (`Device.Hosts.Host.3`).
    DeleteObject(String),
    /// Reboot.
    Reboot,
    /// Factory reset.
    FactoryReset,
    /// The Download RPC of a file stored in GenieACS ([`Files`](crate::Files)), by name, with
    /// the name the CPE should give it. Completion arrives later (TransferComplete, up to an
    /// hour): a `Done` outcome means the CPE accepted the download, not that it finished.
    Download {
        /// The stored file's name (its `_id`).
        file: String,
        /// `targetFileName`, when the CPE needs one.
        target_file_name: Option<String>,
    },
}

fn path_arg(path: &str) -> Result<String> {
    check_path(path).map_err(|e| Error::InvalidInput(e.0))?;
    Ok(path.to_owned())
}

fn values_arg(values: Vec<(String, Value)>) -> Result<Vec<(String, Value)>> {
    if values.is_empty() {
        return Err(Error::InvalidInput("set at least one parameter".to_owned()));
    }
    for (p, v) in &values {
        check_path(p).map_err(|e| Error::InvalidInput(e.0))?;
        if !(v.is_string() || v.is_number() || v.is_boolean()) {
            return Err(Error::InvalidInput(format!(
                "{p}: a value is a string, a number or a boolean"
            )));
        }
    }
    Ok(values)
}

impl Task {
    /// Refresh parameters or subtrees.
    pub fn get_parameter_values<S: AsRef<str>>(paths: &[S]) -> Result<Self> {
        if paths.is_empty() {
            return Err(Error::InvalidInput(
                "name at least one parameter".to_owned(),
            ));
        }
        Ok(Task::GetParameterValues(
            paths
                .iter()
                .map(|p| path_arg(p.as_ref()))
                .collect::<Result<_>>()?,
        ))
    }

    /// Set parameters. GenieACS sends a value only when it differs from its cached one: refresh
    /// first when the cache may be stale.
    pub fn set_parameter_values(values: Vec<(String, Value)>) -> Result<Self> {
        Ok(Task::SetParameterValues(values_arg(values)?))
    }

    /// Refresh an object's subtree (never `""`, the whole tree, which takes minutes).
    pub fn refresh_object(path: &str) -> Result<Self> {
        Ok(Task::RefreshObject(path_arg(path)?))
    }

    /// Add an instance to `table` with `values`.
    pub fn add_object(table: &str, values: Vec<(String, Value)>) -> Result<Self> {
        let values = if values.is_empty() {
            values
        } else {
            values_arg(values)?
        };
        Ok(Task::AddObject(path_arg(table)?, values))
    }

    /// Delete an instance.
    pub fn delete_object(instance: &str) -> Result<Self> {
        Ok(Task::DeleteObject(path_arg(instance)?))
    }

    /// Download a file stored in GenieACS (by its name) to the CPE.
    pub fn download(file: &str) -> Result<Self> {
        Self::download_as(file, None)
    }

    /// Download a stored file, telling the CPE the name to store it under.
    pub fn download_as(file: &str, target_file_name: Option<&str>) -> Result<Self> {
        let ok = |s: &str| !s.trim().is_empty() && !s.chars().any(char::is_control);
        if !ok(file) || target_file_name.is_some_and(|t| !ok(t)) {
            return Err(Error::InvalidInput(
                "a download names a stored file (non-empty, no control characters)".to_owned(),
            ));
        }
        Ok(Task::Download {
            file: file.to_owned(),
            target_file_name: target_file_name.map(str::to_owned),
        })
    }

    /// The task's `name` in GenieACS.
    pub fn name(&self) -> &'static str {
        match self {
            Task::GetParameterValues(_) => "getParameterValues",
            Task::SetParameterValues(_) => "setParameterValues",
            Task::RefreshObject(_) => "refreshObject",
            Task::AddObject(..) => "addObject",
            Task::DeleteObject(_) => "deleteObject",
            Task::Reboot => "reboot",
            Task::FactoryReset => "factoryReset",
            Task::Download { .. } => "download",
        }
    }

    /// The task body (one object, never an array: GenieACS would store an array's tasks
    /// without their device).
    pub fn body(&self, options: &TaskOptions) -> Value {
        let pairs = |v: &[(String, Value)]| -> Value {
            Value::Array(v.iter().map(|(p, x)| json!([p, x])).collect())
        };
        let mut m = Map::new();
        m.insert("name".to_owned(), json!(self.name()));
        match self {
            Task::GetParameterValues(p) => {
                m.insert("parameterNames".to_owned(), json!(p));
            }
            Task::SetParameterValues(v) => {
                m.insert("parameterValues".to_owned(), pairs(v));
            }
            Task::RefreshObject(o) | Task::DeleteObject(o) => {
                m.insert("objectName".to_owned(), json!(o));
            }
            Task::AddObject(o, v) => {
                m.insert("objectName".to_owned(), json!(o));
                if !v.is_empty() {
                    m.insert("parameterValues".to_owned(), pairs(v));
                }
            }
            Task::Reboot | Task::FactoryReset => {}
            Task::Download {
                file,
                target_file_name,
            } => {
                m.insert("file".to_owned(), json!(file));
                if let Some(t) = target_file_name {
                    m.insert("targetFileName".to_owned(), json!(t));
                }
            }
        }
        if let Some(key) = &options.unique_key {
            m.insert("uniqueKey".to_owned(), json!(key));
        }
        m.insert("expiry".to_owned(), json!(options.expiry.as_secs()));
        Value::Object(m)
    }
}

/// How a task is submitted.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct TaskOptions {
    /// Wake the device with a connection request and wait for the session (default true).
    pub connection_request: bool,
    /// How long GenieACS waits for the session to start (`timeout=`; default 10 s — its own
    /// 4 s default reports "queued" for slow CPEs behind NAT). At most 140 s.
    pub session_timeout: Duration,
    /// Replaces an older task with the same key on the device (stops pile-ups).
    pub unique_key: Option<String>,
    /// Dropped if not run within this (default 1 h), so tasks never accumulate forever.
    pub expiry: Duration,
}

impl Default for TaskOptions {
    fn default() -> Self {
        Self {
            connection_request: true,
            session_timeout: Duration::from_secs(10),
            unique_key: None,
            expiry: Duration::from_secs(3600),
        }
    }
}

impl TaskOptions {
    /// Replaces an older task with this key on the device.
    pub fn unique_key(mut self, key: impl Into<String>) -> Self {
        self.unique_key = Some(key.into());
        self
    }

    /// Queues the task for the next periodic inform instead of waking the device.
    pub fn without_connection_request(mut self) -> Self {
        self.connection_request = false;
        self
    }

    /// How long GenieACS waits for the session to start (at most 140 s).
    pub fn session_timeout(mut self, d: Duration) -> Self {
        self.session_timeout = d;
        self
    }

    /// Drop the task if it has not run within `d`.
    pub fn expiry(mut self, d: Duration) -> Self {
        self.expiry = d;
        self
    }
}

/// A GenieACS fault (`/faults/`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Fault {
    /// `{deviceId}:{channel}`.
    #[serde(rename = "_id")]
    pub id: String,
    /// The device (raw id).
    #[serde(default)]
    pub device: Option<DeviceId>,
    /// `task_<task id>`, `default`, or the channel of a preset or provision.
    #[serde(default)]
    pub channel: String,
    /// When the fault happened.
    #[serde(default, deserialize_with = "crate::api::opt_date")]
    pub timestamp: Option<chrono::DateTime<chrono::Utc>>,
    /// When GenieACS drops the fault, if it expires.
    #[serde(default, deserialize_with = "crate::api::opt_date")]
    pub expiry: Option<chrono::DateTime<chrono::Utc>>,
    /// The provisions that were running (GenieACS stores them as a JSON string).
    #[serde(default)]
    pub provisions: Option<Value>,
    /// `cwmp.9005`, `timeout`, `script.Error`, ...
    #[serde(default)]
    pub code: String,
    /// What went wrong.
    #[serde(default)]
    pub message: String,
    /// CWMP details (`faultCode`, `faultString`, per-parameter faults).
    #[serde(default)]
    pub detail: Option<Value>,
    /// How often GenieACS retried.
    #[serde(default)]
    pub retries: Option<i64>,
}

/// What became of a task.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum TaskOutcome {
    /// The session ran and the task left no fault.
    Done,
    /// The task ran and faulted.
    Faulted(Fault),
    /// Stored; it runs at the next session (the reason says why not now).
    Queued(String),
    /// The connection request failed (`Device is offline`, ...): stored, runs at the next
    /// periodic inform.
    ConnectionRequestFailed(String),
    /// The device was in a CWMP session for GenieACS's whole session-lock wait (30 s), so the
    /// task was stored without waking it: it runs in that session or the next. Try again
    /// shortly to learn its real outcome ([`Tasks::wait`]).
    DeviceBusy(String),
}

impl TaskOutcome {
    /// A stable name for the outcome: `done`, `faulted`, `queued`, `connection_request_failed`,
    /// `device_busy`.
    pub fn status(&self) -> &'static str {
        match self {
            TaskOutcome::Done => "done",
            TaskOutcome::Faulted(_) => "faulted",
            TaskOutcome::Queued(_) => "queued",
            TaskOutcome::ConnectionRequestFailed(_) => "connection_request_failed",
            TaskOutcome::DeviceBusy(_) => "device_busy",
        }
    }

    /// What GenieACS said: the reason phrase, or the fault's code and message.
    pub fn detail(&self) -> Option<String> {
        match self {
            TaskOutcome::Done => None,
            TaskOutcome::Faulted(f) => Some(format!("{}: {}", f.code, f.message)),
            TaskOutcome::Queued(r)
            | TaskOutcome::ConnectionRequestFailed(r)
            | TaskOutcome::DeviceBusy(r) => Some(r.clone()),
        }
    }
}

/// A submitted task: its id and outcome.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Submitted {
    /// The task id (`_id`, 24 hex digits).
    pub task_id: String,
    /// The device.
    pub device: DeviceId,
    /// The outcome GenieACS reported.
    pub outcome: TaskOutcome,
}

/// Tasks. Created by [`Client::tasks`].
#[derive(Debug, Clone)]
pub struct Tasks {
    pub(crate) client: Client,
}

impl Client {
    /// Tasks.
    pub fn tasks(&self) -> Tasks {
        Tasks {
            client: self.clone(),
        }
    }
}

const QUEUED: &str = "Task queued but not processed";
const FAULTED: &str = "Task faulted";

impl Tasks {
    /// Submits `task` to `device` and reports its outcome. Never retried once sent (a replay
    /// would queue it twice).
    pub async fn submit(
        &self,
        device: &DeviceId,
        task: &Task,
        options: &TaskOptions,
    ) -> Result<Submitted> {
        if options.session_timeout > Duration::from_secs(140) {
            return Err(Error::InvalidInput(
                "session_timeout is at most 140 s (the NBI drops the connection after 300 s)"
                    .to_owned(),
            ));
        }
        let mut url = self.client.url(&["devices", device.as_str(), "tasks"]);
        if options.connection_request {
            let ms = options.session_timeout.as_millis().to_string();
            url.set_query(Some(&format!("timeout={ms}&connection_request")));
        }
        let body = Bytes::from(task.body(options).to_string());
        // Worst case: 30 s for the lock + the CR + the session start + 120 s for the session.
        let wait = options.session_timeout + Duration::from_secs(160);
        let sent = tokio::time::Instant::now();
        let answer = self
            .client
            .execute_long(Method::POST, url, Some(body), wait)
            .await?;
        let took = sent.elapsed();
        #[derive(Deserialize)]
        struct Inserted {
            #[serde(rename = "_id")]
            id: String,
        }
        let task_id = answer.json::<Inserted>()?.id;
        let outcome = match (answer.status.as_u16(), answer.reason.as_deref()) {
            (200, _) => TaskOutcome::Done,
            (_, Some(FAULTED)) => match self.fault(device, &task_id).await? {
                Some(f) => TaskOutcome::Faulted(f),
                None => {
                    TaskOutcome::Queued("faulted, but the fault was already cleared".to_owned())
                }
            },
            (_, Some(QUEUED))
                if options.connection_request
                    && held_by_a_session(took, options, self.client.session_lock_wait()) =>
            {
                TaskOutcome::DeviceBusy(format!(
                    "{QUEUED}: the device was in a session for the whole {} s lock wait",
                    self.client.session_lock_wait().as_secs_f32()
                ))
            }
            (_, Some(QUEUED)) => TaskOutcome::Queued(QUEUED.to_owned()),
            (_, Some(reason)) if options.connection_request => {
                TaskOutcome::ConnectionRequestFailed(reason.to_owned())
            }
            (_, reason) => TaskOutcome::Queued(
                reason
                    .unwrap_or("queued for the device's next session")
                    .to_owned(),
            ),
        };
        Ok(Submitted {
            task_id,
            device: device.clone(),
            outcome,
        })
    }

    /// The fault a task left, if any (`/faults/?query={"_id": "<device>:task_<id>"}`).
    pub async fn fault(&self, device: &DeviceId, task_id: &str) -> Result<Option<Fault>> {
        check_task_id(task_id)?;
        let mut url = self.client.url(&["faults", ""]);
        url.query_pairs_mut().append_pair(
            "query",
            &json!({"_id": format!("{}:task_{task_id}", device.as_str())}).to_string(),
        );
        let mut faults: Vec<Fault> = self
            .client
            .execute(Method::GET, url, None, true)
            .await?
            .json()?;
        Ok(faults.pop())
    }

    /// Whether the task is still queued (`/tasks/?query={"_id": id}`).
    pub async fn is_queued(&self, task_id: &str) -> Result<bool> {
        check_task_id(task_id)?;
        let mut url = self.client.url(&["tasks", ""]);
        url.query_pairs_mut()
            .append_pair("query", &json!({"_id": task_id}).to_string())
            .append_pair("projection", "_id");
        let tasks: Vec<Value> = self
            .client
            .execute(Method::GET, url, None, true)
            .await?
            .json()?;
        Ok(!tasks.is_empty())
    }

    /// Follows a queued task until it is done or faulted, or `deadline` passes (then it is
    /// still queued). Polls every 2 s.
    pub async fn wait(&self, submitted: &Submitted, deadline: Duration) -> Result<TaskOutcome> {
        let end = tokio::time::Instant::now() + deadline;
        loop {
            if let Some(f) = self.fault(&submitted.device, &submitted.task_id).await? {
                return Ok(TaskOutcome::Faulted(f));
            }
            if !self.is_queued(&submitted.task_id).await? {
                // Gone without a fault: done (or expired, which `expiry` bounds).
                return Ok(TaskOutcome::Done);
            }
            if tokio::time::Instant::now() >= end {
                return Ok(TaskOutcome::Queued(
                    "still queued at the deadline".to_owned(),
                ));
            }
            tokio::time::sleep(Duration::from_secs(2).min(end - tokio::time::Instant::now())).await;
        }
    }
}

/// Whether a `Task queued but not processed` answer came from the session-lock wait (NBI.md
/// §6.2 step 1: GenieACS waits `lock_wait` for the lock, then stores the task and answers at
/// once). The other two ways to that answer take less (the session did not start within
/// `session_timeout` + the 2 s connection request) or far more (a session that started but
/// did not end within 120 s), so an answer between `lock_wait` and `lock_wait` + 15 s is the
/// lock — when `session_timeout` + 2 s stays below `lock_wait`; otherwise it cannot be told.
fn held_by_a_session(took: Duration, options: &TaskOptions, lock_wait: Duration) -> bool {
    options.session_timeout + Duration::from_secs(2) < lock_wait
        && took >= lock_wait
        && took < lock_wait + Duration::from_secs(15)
}

/// A task id is 24 hex digits: anything else crashes the NBI worker on some routes.
pub(crate) fn check_task_id(id: &str) -> Result<()> {
    if id.len() == 24 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(Error::InvalidInput(format!(
            "{id:?} is not a task id (24 hex digits)"
        )))
    }
}
