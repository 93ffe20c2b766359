//! GenieACS configuration: presets (`/presets`), provisions (`/provisions`) and files
//! (`/files`).
//!
//! Writes replace what is stored under the name (GenieACS upserts), so they are idempotent and
//! retried like reads. They take effect for new CWMP sessions (GenieACS invalidates its config
//! cache). Names travel as one path segment, percent-encoded so that any text reaches GenieACS
//! unchanged; empty names, control characters, `.` and `..` are refused before sending.
//!
//! A preset GenieACS cannot read breaks **every** session's preset evaluation (an unknown
//! configuration type throws, a precondition that is neither an expression nor JSON throws), so
//! [`Presets::put`] sends only the configuration types GenieACS knows.

use std::collections::BTreeMap;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use http::{HeaderValue, Method};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value, json};

use crate::api::{check_name, nbi_url};
use crate::client::{Body, Client};
use crate::{Error, Result};

// ---------------------------------------------------------------------------------------------
// Presets

/// One step of a preset (GenieACS's `configurations` array). Build with the constructors, which
/// check what GenieACS needs.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Configuration {
    /// Run a provision script with arguments (`{"type": "provision", "name", "args"}`).
    Provision {
        /// The provision's name.
        name: String,
        /// Its arguments (strings, numbers, booleans).
        args: Vec<Value>,
    },
    /// Declare a parameter value (`{"type": "value", "name", "value"}`).
    SetValue {
        /// The parameter path.
        name: String,
        /// The value (string, number, boolean).
        value: Value,
    },
    /// Refresh a parameter when its value is older than `age` seconds (`{"type": "age"}`).
    Refresh {
        /// The parameter path.
        name: String,
        /// Maximum age, in seconds.
        age: u64,
    },
    /// Tag the device (`{"type": "add_tag", "tag"}`).
    AddTag(String),
    /// Untag the device (`{"type": "delete_tag", "tag"}`).
    DeleteTag(String),
    /// Ensure an instance described by a legacy `objects` document exists under `name`.
    AddObject {
        /// The table path.
        name: String,
        /// The `objects` document's id.
        object: String,
    },
    /// Ensure such an instance does not exist.
    DeleteObject {
        /// The table path.
        name: String,
        /// The `objects` document's id.
        object: String,
    },
    /// A stored configuration of a type this crate does not know, kept as it came. Never sent:
    /// [`Presets::put`] refuses it (GenieACS throws on an unknown type in every session).
    Other(Value),
}

fn scalar(v: &Value) -> bool {
    v.is_string() || v.is_number() || v.is_boolean()
}

fn non_empty(kind: &str, s: &str) -> Result<()> {
    if s.trim().is_empty() {
        Err(Error::InvalidInput(format!("a {kind} is not empty")))
    } else {
        Ok(())
    }
}

impl Configuration {
    /// Run the provision `name` with `args` (scalars).
    pub fn provision(name: impl Into<String>, args: Vec<Value>) -> Result<Self> {
        let c = Configuration::Provision {
            name: name.into(),
            args,
        };
        c.check()?;
        Ok(c)
    }

    /// Declare `name` = `value` (a scalar).
    pub fn set_value(name: impl Into<String>, value: Value) -> Result<Self> {
        let c = Configuration::SetValue {
            name: name.into(),
            value,
        };
        c.check()?;
        Ok(c)
    }

    /// Refresh `name` when older than `age_secs`.
    pub fn refresh(name: impl Into<String>, age_secs: u64) -> Result<Self> {
        let c = Configuration::Refresh {
            name: name.into(),
            age: age_secs,
        };
        c.check()?;
        Ok(c)
    }

    /// Tag the device.
    pub fn add_tag(tag: impl Into<String>) -> Result<Self> {
        let c = Configuration::AddTag(tag.into());
        c.check()?;
        Ok(c)
    }

    /// Untag the device.
    pub fn delete_tag(tag: impl Into<String>) -> Result<Self> {
        let c = Configuration::DeleteTag(tag.into());
        c.check()?;
        Ok(c)
    }

    /// What GenieACS needs of this step.
    fn check(&self) -> Result<()> {
        match self {
            Configuration::Provision { name, args } => {
                non_empty("provision name", name)?;
                if let Some(bad) = args.iter().find(|a| !scalar(a)) {
                    return Err(Error::InvalidInput(format!(
                        "{name}: a provision argument is a string, a number or a boolean, not {bad}"
                    )));
                }
                Ok(())
            }
            Configuration::SetValue { name, value } => {
                non_empty("parameter path", name)?;
                if scalar(value) {
                    Ok(())
                } else {
                    Err(Error::InvalidInput(format!(
                        "{name}: a value is a string, a number or a boolean"
                    )))
                }
            }
            Configuration::Refresh { name, .. } => non_empty("parameter path", name),
            Configuration::AddTag(t) | Configuration::DeleteTag(t) => non_empty("tag", t),
            Configuration::AddObject { name, object }
            | Configuration::DeleteObject { name, object } => {
                non_empty("table path", name)?;
                non_empty("object id", object)
            }
            Configuration::Other(v) => Err(Error::InvalidInput(format!(
                "configuration {v} has a type GenieACS does not know; it would break every session"
            ))),
        }
    }

    /// GenieACS's stored shape.
    pub fn to_json(&self) -> Value {
        match self {
            Configuration::Provision { name, args } => {
                json!({"type": "provision", "name": name, "args": args})
            }
            Configuration::SetValue { name, value } => {
                json!({"type": "value", "name": name, "value": value})
            }
            Configuration::Refresh { name, age } => {
                json!({"type": "age", "name": name, "age": age})
            }
            Configuration::AddTag(t) => json!({"type": "add_tag", "tag": t}),
            Configuration::DeleteTag(t) => json!({"type": "delete_tag", "tag": t}),
            Configuration::AddObject { name, object } => {
                json!({"type": "add_object", "name": name, "object": object})
            }
            Configuration::DeleteObject { name, object } => {
                json!({"type": "delete_object", "name": name, "object": object})
            }
            Configuration::Other(v) => v.clone(),
        }
    }

    /// Reads a stored configuration; what does not fit a known type is [`Configuration::Other`].
    pub fn from_json(v: &Value) -> Self {
        let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
        let known = match v.get("type").and_then(Value::as_str) {
            Some("provision") => s("name").map(|name| Configuration::Provision {
                name,
                args: match v.get("args") {
                    Some(Value::Array(a)) => a.clone(),
                    _ => Vec::new(),
                },
            }),
            Some("value") => s("name").map(|name| Configuration::SetValue {
                name,
                value: v.get("value").cloned().unwrap_or(Value::Null),
            }),
            Some("age") => {
                let age = match v.get("age") {
                    Some(Value::Number(n)) => n.as_u64(),
                    Some(Value::String(t)) => t.trim().parse().ok(),
                    _ => None,
                };
                s("name")
                    .zip(age)
                    .map(|(name, age)| Configuration::Refresh { name, age })
            }
            Some("add_tag") => s("tag").map(Configuration::AddTag),
            Some("delete_tag") => s("tag").map(Configuration::DeleteTag),
            Some("add_object") => s("name")
                .zip(s("object"))
                .map(|(name, object)| Configuration::AddObject { name, object }),
            Some("delete_object") => s("name")
                .zip(s("object"))
                .map(|(name, object)| Configuration::DeleteObject { name, object }),
            _ => None,
        };
        known.unwrap_or_else(|| Configuration::Other(v.clone()))
    }
}

/// A preset: when (precondition, events, schedule) GenieACS applies which configurations to a
/// device, in `weight` order, on `channel` (a fault on one channel does not block the others).
///
/// ```
/// use genieacs_client::{Configuration, Preset};
/// use serde_json::json;
/// let p = Preset::new(vec![Configuration::provision("gigafibre-inform", vec![]).unwrap()])
///     .precondition_filter(&json!({"_tags": "residential"}))
///     .event("2 PERIODIC", true)
///     .weight(10);
/// assert_eq!(
///     p.to_json().unwrap(),
///     json!({
///         "weight": 10, "channel": "default", "events": {"2 PERIODIC": true},
///         "precondition": "{\"_tags\":\"residential\"}",
///         "configurations": [{"type": "provision", "name": "gigafibre-inform", "args": []}]
///     })
/// );
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Preset {
    /// Presets apply in ascending weight (then name) order.
    pub weight: i64,
    /// The fault channel (default `default`).
    pub channel: String,
    /// Session events that must be present (`true`) or absent (`false`): `0 BOOTSTRAP`,
    /// `1 BOOT`, `2 PERIODIC`, `Registered`, ... Empty: any session.
    pub events: BTreeMap<String, bool>,
    /// Which devices: a GenieACS expression (`Tags.residential IS NOT NULL`) or the JSON text
    /// of a filter (`{"_tags":"residential"}`, the 1.2 UI's format). Empty: every device.
    pub precondition: String,
    /// What to do, in order.
    pub configurations: Vec<Configuration>,
    /// `"<duration seconds> <cron expression>"`: apply only within these windows.
    pub schedule: Option<String>,
    /// Stored fields this crate does not know, sent back as they came.
    pub extra: Map<String, Value>,
}

impl Preset {
    /// A preset applying `configurations` to every device in every session, weight 0, channel
    /// `default`.
    pub fn new(configurations: Vec<Configuration>) -> Self {
        Self {
            weight: 0,
            channel: "default".to_owned(),
            events: BTreeMap::new(),
            precondition: String::new(),
            configurations,
            schedule: None,
            extra: Map::new(),
        }
    }

    /// Sets the weight.
    pub fn weight(mut self, weight: i64) -> Self {
        self.weight = weight;
        self
    }

    /// Sets the channel.
    pub fn channel(mut self, channel: impl Into<String>) -> Self {
        self.channel = channel.into();
        self
    }

    /// Requires an event to be present (`true`) or absent (`false`).
    pub fn event(mut self, event: impl Into<String>, present: bool) -> Self {
        self.events.insert(event.into(), present);
        self
    }

    /// Sets the precondition to a MongoDB-style device filter, stored as its JSON text.
    pub fn precondition_filter(mut self, filter: &Value) -> Self {
        self.precondition = filter.to_string();
        self
    }

    /// Sets the precondition to a GenieACS expression (not checked here: GenieACS parses it).
    pub fn precondition_expression(mut self, expression: impl Into<String>) -> Self {
        self.precondition = expression.into();
        self
    }

    /// Sets the schedule (`"300 0 3 * * *"`: 300 s from 03:00 every day).
    pub fn schedule(mut self, schedule: impl Into<String>) -> Self {
        self.schedule = Some(schedule.into());
        self
    }

    /// The body `PUT /presets/{name}` sends, after the checks GenieACS needs: known
    /// configuration types only, a non-empty channel, a precondition that is not a broken
    /// filter (text starting with `{` must be a JSON object), a schedule that starts with a
    /// duration.
    pub fn to_json(&self) -> Result<Value> {
        for c in &self.configurations {
            c.check()?;
        }
        non_empty("channel", &self.channel)?;
        let pre = self.precondition.trim();
        if pre.starts_with('{') && !serde_json::from_str::<Value>(pre).is_ok_and(|v| v.is_object())
        {
            return Err(Error::InvalidInput(
                "the precondition starts like a JSON filter but is not one".to_owned(),
            ));
        }
        if let Some(s) = &self.schedule {
            let mut parts = s.split_whitespace();
            let duration_ok = parts.next().is_some_and(|d| d.parse::<f64>().is_ok());
            if !duration_ok || parts.next().is_none() {
                return Err(Error::InvalidInput(format!(
                    "schedule {s:?} is \"<duration seconds> <cron expression>\""
                )));
            }
        }
        let mut m = self.extra.clone();
        m.remove("_id");
        m.insert("weight".to_owned(), json!(self.weight));
        m.insert("channel".to_owned(), json!(self.channel));
        m.insert("events".to_owned(), json!(self.events));
        m.insert("precondition".to_owned(), json!(self.precondition));
        m.insert(
            "configurations".to_owned(),
            Value::Array(
                self.configurations
                    .iter()
                    .map(Configuration::to_json)
                    .collect(),
            ),
        );
        if let Some(s) = &self.schedule {
            m.insert("schedule".to_owned(), json!(s));
        }
        Ok(Value::Object(m))
    }

    /// Reads a stored preset leniently (missing fields take their defaults).
    pub fn from_json(v: &Value) -> Self {
        let mut m = v.as_object().cloned().unwrap_or_default();
        let weight = match m.remove("weight") {
            Some(Value::Number(n)) => n
                .as_i64()
                .or_else(|| n.as_f64().map(|f| f as i64))
                .unwrap_or(0),
            Some(Value::String(s)) => s.trim().parse().unwrap_or(0),
            _ => 0,
        };
        let channel = match m.remove("channel") {
            Some(Value::String(s)) if !s.is_empty() => s,
            _ => "default".to_owned(),
        };
        let events = match m.remove("events") {
            Some(Value::Object(e)) => e
                .into_iter()
                .filter_map(|(k, v)| v.as_bool().map(|b| (k, b)))
                .collect(),
            _ => BTreeMap::new(),
        };
        let precondition = match m.remove("precondition") {
            Some(Value::String(s)) => s,
            _ => String::new(),
        };
        let configurations = match m.remove("configurations") {
            Some(Value::Array(a)) => a.iter().map(Configuration::from_json).collect(),
            _ => Vec::new(),
        };
        let schedule = match m.remove("schedule") {
            Some(Value::String(s)) if !s.is_empty() => Some(s),
            _ => None,
        };
        m.remove("_id");
        Self {
            weight,
            channel,
            events,
            precondition,
            configurations,
            schedule,
            extra: m,
        }
    }
}

/// A stored preset and its name.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct NamedPreset {
    /// The preset's name (`_id`).
    pub name: String,
    /// The preset.
    pub preset: Preset,
}

/// Presets. Created by [`Client::presets`].
#[derive(Debug, Clone)]
pub struct Presets {
    client: Client,
}

impl Client {
    /// Presets.
    pub fn presets(&self) -> Presets {
        Presets {
            client: self.clone(),
        }
    }

    /// Provisions.
    pub fn provisions(&self) -> Provisions {
        Provisions {
            client: self.clone(),
        }
    }

    /// Files (firmware images, configuration files) for download tasks.
    pub fn files(&self) -> Files {
        Files {
            client: self.clone(),
        }
    }
}

/// `GET /{collection}/` sorted by name.
/// A configuration collection, sorted by name.
async fn list_docs<T: serde::de::DeserializeOwned>(
    client: &Client,
    collection: &str,
) -> Result<Vec<T>> {
    let mut url = client.url(&[collection, ""]);
    url.query_pairs_mut()
        .append_pair("sort", &json!({"_id": 1}).to_string());
    client.execute(Method::GET, url, None, true).await?.json()
}

fn doc_name(v: &Value) -> String {
    match v.get("_id") {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

impl Presets {
    /// Every preset, by name.
    pub async fn list(&self) -> Result<Vec<NamedPreset>> {
        Ok(list_docs::<Value>(&self.client, "presets")
            .await?
            .iter()
            .map(|v| NamedPreset {
                name: doc_name(v),
                preset: Preset::from_json(v),
            })
            .collect())
    }

    /// Stores `preset` under `name`, replacing any preset of that name (`PUT /presets/{name}`).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a name that cannot be sent or a preset GenieACS could not
    /// evaluate (see [`Preset::to_json`]); [`Error::Api`] (400 `SyntaxError: …`) if GenieACS
    /// refuses the body.
    pub async fn put(&self, name: &str, preset: &Preset) -> Result<()> {
        check_name("preset", name)?;
        let body = Bytes::from(preset.to_json()?.to_string());
        let url = nbi_url(&self.client, &["presets", name]);
        self.client
            .execute(Method::PUT, url, Some(body), true)
            .await?;
        Ok(())
    }

    /// Deletes the preset (`DELETE /presets/{name}`; succeeds if there was none).
    pub async fn delete(&self, name: &str) -> Result<()> {
        delete_named(&self.client, "preset", "presets", name).await
    }
}

/// `DELETE /{collection}/{name}` after checking the name; idempotent, so retried like a read.
async fn delete_named(client: &Client, kind: &str, collection: &str, name: &str) -> Result<()> {
    check_name(kind, name)?;
    let url = nbi_url(client, &[collection, name]);
    client.execute(Method::DELETE, url, None, true).await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Provisions

/// A provision script (`/provisions/`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Provision {
    /// Its name (`_id`).
    #[serde(rename = "_id")]
    pub name: String,
    /// The JavaScript.
    #[serde(default)]
    pub script: String,
}

/// Provisions. Created by [`Client::provisions`].
#[derive(Debug, Clone)]
pub struct Provisions {
    client: Client,
}

impl Provisions {
    /// Every provision, by name.
    pub async fn list(&self) -> Result<Vec<Provision>> {
        list_docs(&self.client, "provisions").await
    }

    /// Stores `script` (JavaScript, sent raw as `application/javascript`) under `name`,
    /// replacing any provision of that name (`PUT /provisions/{name}`). GenieACS compiles it
    /// first and refuses a syntax error.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a name that cannot be sent; [`Error::Api`] with status 400
    /// and GenieACS's `SyntaxError: …` message for a script that does not compile.
    pub async fn put(&self, name: &str, script: &str) -> Result<()> {
        check_name("provision", name)?;
        let url = nbi_url(&self.client, &["provisions", name]);
        let body = Body::new(
            Bytes::copy_from_slice(script.as_bytes()),
            "application/javascript",
        );
        self.client
            .execute_body(Method::PUT, url, Some(body), true)
            .await?;
        Ok(())
    }

    /// Deletes the provision (`DELETE /provisions/{name}`; succeeds if there was none).
    pub async fn delete(&self, name: &str) -> Result<()> {
        delete_named(&self.client, "provision", "provisions", name).await
    }
}

// ---------------------------------------------------------------------------------------------
// Files

/// A file's TR-069 type (the `FileType` argument of the Download RPC).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FileType {
    /// `1 Firmware Upgrade Image`.
    FirmwareUpgradeImage,
    /// `2 Web Content`.
    WebContent,
    /// `3 Vendor Configuration File`.
    VendorConfigurationFile,
    /// `4 Tone File`.
    ToneFile,
    /// `5 Ringer File`.
    RingerFile,
    /// Any other text (vendor types: `X <OUI> <name>`).
    Other(String),
}

impl FileType {
    /// The text GenieACS stores and sends to the CPE.
    pub fn as_str(&self) -> &str {
        match self {
            FileType::FirmwareUpgradeImage => "1 Firmware Upgrade Image",
            FileType::WebContent => "2 Web Content",
            FileType::VendorConfigurationFile => "3 Vendor Configuration File",
            FileType::ToneFile => "4 Tone File",
            FileType::RingerFile => "5 Ringer File",
            FileType::Other(s) => s,
        }
    }

    /// Reads the stored text.
    pub fn parse(s: &str) -> Self {
        match s {
            "1 Firmware Upgrade Image" => FileType::FirmwareUpgradeImage,
            "2 Web Content" => FileType::WebContent,
            "3 Vendor Configuration File" => FileType::VendorConfigurationFile,
            "4 Tone File" => FileType::ToneFile,
            "5 Ringer File" => FileType::RingerFile,
            other => FileType::Other(other.to_owned()),
        }
    }
}

impl<'de> Deserialize<'de> for FileType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        Ok(FileType::parse(&String::deserialize(d)?))
    }
}

/// What GenieACS records about a file (sent as the `fileType`, `oui`, `productClass` and
/// `version` request headers; GenieACS matches download tasks and the UI's filters on them).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FileMeta {
    /// The TR-069 file type.
    pub file_type: FileType,
    /// The OUI it is for.
    pub oui: Option<String>,
    /// The product class it is for.
    pub product_class: Option<String>,
    /// Its version.
    pub version: Option<String>,
}

impl FileMeta {
    /// Metadata with this file type only.
    pub fn new(file_type: FileType) -> Self {
        Self {
            file_type,
            oui: None,
            product_class: None,
            version: None,
        }
    }

    /// Sets the OUI.
    pub fn oui(mut self, oui: impl Into<String>) -> Self {
        self.oui = Some(oui.into());
        self
    }

    /// Sets the product class.
    pub fn product_class(mut self, class: impl Into<String>) -> Self {
        self.product_class = Some(class.into());
        self
    }

    /// Sets the version.
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = Some(version.into());
        self
    }

    /// The request headers, each checked: printable ASCII without surrounding spaces (a header
    /// carries nothing else faithfully; Node trims the spaces).
    fn headers(&self) -> Result<Vec<(&'static str, HeaderValue)>> {
        let mut out = Vec::new();
        let fields = [
            ("filetype", Some(self.file_type.as_str())),
            ("oui", self.oui.as_deref()),
            ("productclass", self.product_class.as_deref()),
            ("version", self.version.as_deref()),
        ];
        for (name, value) in fields {
            let Some(value) = value else { continue };
            let ok = !value.is_empty()
                && value.trim() == value
                && value.bytes().all(|b| (0x20..0x7f).contains(&b));
            let header = HeaderValue::from_str(value).ok().filter(|_| ok);
            let Some(header) = header else {
                return Err(Error::InvalidInput(format!(
                    "file {name} {value:?}: printable ASCII without surrounding spaces"
                )));
            };
            out.push((name, header));
        }
        Ok(out)
    }
}

/// The metadata of a stored file, as listed (every field optional: GenieACS stores what the
/// upload's headers carried).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct FileMetadata {
    /// The TR-069 file type.
    #[serde(default, rename = "fileType")]
    pub file_type: Option<FileType>,
    /// The OUI.
    #[serde(default)]
    pub oui: Option<String>,
    /// The product class.
    #[serde(default, rename = "productClass")]
    pub product_class: Option<String>,
    /// The version.
    #[serde(default)]
    pub version: Option<String>,
}

/// A stored file (`GET /files/`: GridFS's `fs.files`; the bytes are served by `genieacs-fs`,
/// not the NBI).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct FileInfo {
    /// The file's name (`_id`, which download tasks name as `file`).
    #[serde(rename = "_id", deserialize_with = "string_id")]
    pub name: String,
    /// Size in bytes.
    #[serde(default)]
    pub length: u64,
    /// When it was uploaded.
    #[serde(
        default,
        rename = "uploadDate",
        deserialize_with = "crate::api::opt_date"
    )]
    pub upload_date: Option<DateTime<Utc>>,
    /// Its metadata.
    #[serde(default, deserialize_with = "lenient_metadata")]
    pub metadata: FileMetadata,
}

fn string_id<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<String, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => s,
        other => other.to_string(),
    })
}

fn lenient_metadata<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<FileMetadata, D::Error> {
    let v = Value::deserialize(d)?;
    Ok(serde_json::from_value(v).unwrap_or_default())
}

/// Files. Created by [`Client::files`].
#[derive(Debug, Clone)]
pub struct Files {
    client: Client,
}

impl Files {
    /// Every file, by name.
    pub async fn list(&self) -> Result<Vec<FileInfo>> {
        list_docs(&self.client, "files").await
    }

    /// Uploads `bytes` as `name` with `meta` (`PUT /files/{name}`, body
    /// `application/octet-stream`, metadata in headers; GenieACS answers 201). Replaces a file
    /// of that name, so it is retried like a read. GenieACS buffers the whole body in memory and
    /// the upload must finish within the client's per-attempt timeout.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a name or metadata that cannot be sent.
    pub async fn upload(&self, name: &str, meta: &FileMeta, bytes: impl Into<Bytes>) -> Result<()> {
        check_name("file", name)?;
        let mut body = Body::new(bytes.into(), "application/octet-stream");
        for (header, value) in meta.headers()? {
            body = body.header(header, value);
        }
        let url = nbi_url(&self.client, &["files", name]);
        self.client
            .execute_body(Method::PUT, url, Some(body), true)
            .await?;
        Ok(())
    }

    /// Deletes the file (`DELETE /files/{name}`).
    ///
    /// # Errors
    /// [`Error::NotFound`] when there is no such file.
    pub async fn delete(&self, name: &str) -> Result<()> {
        delete_named(&self.client, "file", "files", name).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_configurations_round_trip_and_unknown_ones_are_kept_but_not_sent() {
        for c in [
            json!({"type": "provision", "name": "inform", "args": ["x", 1]}),
            json!({"type": "value", "name": "Device.X", "value": true}),
            json!({"type": "age", "name": "Device.X", "age": 3600}),
            json!({"type": "add_tag", "tag": "vip"}),
            json!({"type": "delete_tag", "tag": "vip"}),
            json!({"type": "add_object", "name": "Device.T", "object": "o1"}),
            json!({"type": "delete_object", "name": "Device.T", "object": "o1"}),
        ] {
            let parsed = Configuration::from_json(&c);
            assert!(!matches!(parsed, Configuration::Other(_)), "{c}");
            assert_eq!(parsed.to_json(), c);
        }
        let odd = json!({"type": "script", "name": "x"});
        let parsed = Configuration::from_json(&odd);
        assert_eq!(parsed, Configuration::Other(odd));
        assert!(Preset::new(vec![parsed]).to_json().is_err());
    }

    #[test]
    fn presets_that_genieacs_could_not_evaluate_are_refused() {
        assert!(Configuration::provision("", vec![]).is_err());
        assert!(Configuration::provision("p", vec![json!({"a": 1})]).is_err());
        assert!(Configuration::set_value("Device.X", json!([1])).is_err());
        let ok = Preset::new(vec![]);
        assert!(ok.to_json().is_ok());
        assert!(ok.clone().channel("").to_json().is_err());
        assert!(
            ok.clone()
                .precondition_expression("{broken")
                .to_json()
                .is_err()
        );
        assert!(ok.clone().schedule("every day").to_json().is_err());
        assert!(ok.schedule("300 0 3 * * *").to_json().is_ok());
    }

    #[test]
    fn stored_presets_decode_leniently() {
        let p = Preset::from_json(&json!({
            "_id": "bootstrap", "weight": "5", "events": {"0 BOOTSTRAP": true, "bad": 1},
            "configurations": [{"type": "age", "name": "Device.", "age": "60"}],
            "future": 1
        }));
        assert_eq!(p.weight, 5);
        assert_eq!(p.channel, "default");
        assert_eq!(p.events.len(), 1);
        assert_eq!(
            p.configurations,
            [Configuration::Refresh {
                name: "Device.".to_owned(),
                age: 60
            }]
        );
        assert_eq!(p.extra.get("future"), Some(&json!(1)));
        assert!(!p.extra.contains_key("_id"));
    }

    #[test]
    fn file_metadata_must_fit_in_a_header() {
        let ok = FileMeta::new(FileType::FirmwareUpgradeImage).oui("1C61B4");
        assert_eq!(ok.headers().map(|h| h.len()).ok(), Some(2));
        for bad in ["", " x", "é", "a\nb"] {
            assert!(
                FileMeta::new(FileType::WebContent)
                    .version(bad)
                    .headers()
                    .is_err(),
                "{bad:?}"
            );
        }
        assert_eq!(FileType::parse("2 Web Content"), FileType::WebContent);
        assert_eq!(
            FileType::parse("X 1C61B4 Log"),
            FileType::Other("X 1C61B4 Log".to_owned())
        );
    }
}
