//! Gigafibre's custom doctypes: Service Location, Service Equipment, Technician, Tag and
//! Dispatch Job (`contracts/erpnext-custom/DOCTYPES.md`).
//!
//! The two Table MultiSelect rows ([`TechnicianSkill`], [`DispatchJobTag`]) hold one Link to
//! Tag in a field named `tag`.

use chrono::NaiveDate;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::password;
use crate::{DocName, FrappeDateTime};

string_enum! {
    /// `Service Location.status`.
    pub enum ServiceLocationStatus {
        /// `"Pending"`: not yet connected.
        Pending = "Pending",
        /// `"Active"`: in service.
        Active = "Active",
        /// `"Suspended"`: service paused (e.g. unpaid).
        Suspended = "Suspended",
        /// `"Disconnected"`.
        Disconnected = "Disconnected",
    }
}

/// One place where Gigafibre delivers service (`Service Location`, named `SL-.#####`); a
/// customer may have several.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ServiceLocation {
    /// Link to Customer (required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<String>,
    /// First address line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_line1: Option<String>,
    /// Second address line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_line2: Option<String>,
    /// City.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// Province.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub province: Option<String>,
    /// Canadian postal code, `H2X 1Y4`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// Latitude, for dispatch maps and travel time.
    #[serde(
        default,
        with = "crate::fields::float",
        skip_serializing_if = "Option::is_none"
    )]
    pub latitude: Option<f64>,
    /// Longitude.
    #[serde(
        default,
        with = "crate::fields::float",
        skip_serializing_if = "Option::is_none"
    )]
    pub longitude: Option<f64>,
    /// OLT name, as in the hub's OLT config.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub olt: Option<String>,
    /// PON port, `frame/slot/port` (e.g. `0/1/3`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pon_port: Option<String>,
    /// ONU id on that port.
    #[serde(
        default,
        with = "crate::fields::int",
        skip_serializing_if = "Option::is_none"
    )]
    pub onu_id: Option<i64>,
    /// Status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ServiceLocationStatus>,
    /// Gate codes, pets, parking.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_notes: Option<String>,
}

string_enum! {
    /// `Service Equipment.equipment_type`. The option `"Other"` decodes to `Other("Other")`.
    pub enum EquipmentType {
        /// `"ONT Router"`: the fibre gateway (e.g. TP-Link XX230v).
        OntRouter = "ONT Router",
        /// `"Mesh Node"`.
        MeshNode = "Mesh Node",
        /// `"Set-top Box"`.
        SetTopBox = "Set-top Box",
        /// `"Phone Adapter"`.
        PhoneAdapter = "Phone Adapter",
    }
}

string_enum! {
    /// `Service Equipment.status`.
    pub enum EquipmentStatus {
        /// `"In Stock"`.
        InStock = "In Stock",
        /// `"Installed"`: at its service location.
        Installed = "Installed",
        /// `"Faulty"`.
        Faulty = "Faulty",
        /// `"Returned"`.
        Returned = "Returned",
    }
}

/// A device at a service location (`Service Equipment`, named `SE-.#####`).
///
/// The hub looks equipment up by three unique keys, each a plain field filter:
/// [`serial_number`](Self::serial_number) (the CPE's TR-069 serial, from GenieACS),
/// [`mac_address`](Self::mac_address) (upper-case `AA:BB:CC:DD:EE:FF`, from the QR sticker
/// flow `/q/{mac}`; normalise input with [`ServiceEquipment::normalize_mac`]) and
/// [`gpon_serial`](Self::gpon_serial) (the ONU serial the OLT reports, `TPLG1A2B3C4D`).
///
/// [`admin_password`](Self::admin_password) is a Password field: redacted in `Debug`, and
/// returned as asterisks by document reads (read it with `frappe.client.get_password`).
/// `PartialEq` is written by hand because [`SecretString`] has none.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ServiceEquipment {
    /// Link to Service Location (required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_location: Option<String>,
    /// Link to Customer (fetched from the location).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<String>,
    /// Kind of device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equipment_type: Option<EquipmentType>,
    /// Brand, e.g. `TP-Link`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand: Option<String>,
    /// Model, e.g. `XX230v`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Lookup key: the CPE's TR-069 serial (unique).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial_number: Option<String>,
    /// Lookup key: MAC address, `AA:BB:CC:DD:EE:FF` (unique).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac_address: Option<String>,
    /// Lookup key: GPON serial, matching the OLT's ONU serial.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpon_serial: Option<String>,
    /// GenieACS device `_id`, filled when first seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acs_device_id: Option<String>,
    /// Firmware version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firmware_version: Option<String>,
    /// The router's web admin account (`user` on the XX230v).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin_username: Option<String>,
    /// Password field: the router's web admin password. Never in `Debug` output.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "super::password"
    )]
    pub admin_password: Option<SecretString>,
    /// Installation date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub installed_on: Option<NaiveDate>,
    /// Status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<EquipmentStatus>,
}

impl ServiceEquipment {
    /// The fields the hub looks equipment up by, each unique.
    pub const LOOKUP_KEYS: &'static [&'static str] =
        &["serial_number", "mac_address", "gpon_serial"];

    /// A MAC address in the stored form, upper-case `AA:BB:CC:DD:EE:FF`, from any common
    /// spelling (`aabbccddeeff`, `aa-bb-cc-dd-ee-ff`, `AABB.CCDD.EEFF`); `None` unless it has
    /// exactly 12 hex digits.
    pub fn normalize_mac(input: &str) -> Option<String> {
        let digits: Vec<char> = input
            .chars()
            .filter(|c| !matches!(c, ':' | '-' | '.' | ' '))
            .collect();
        if digits.len() != 12 || !digits.iter().all(char::is_ascii_hexdigit) {
            return None;
        }
        let pairs: Vec<String> = digits
            .chunks(2)
            .map(|pair| pair.iter().collect::<String>().to_ascii_uppercase())
            .collect();
        Some(pairs.join(":"))
    }
}

impl PartialEq for ServiceEquipment {
    fn eq(&self, other: &Self) -> bool {
        // Destructured without `..` so that a new field cannot be forgotten here.
        let Self {
            service_location,
            customer,
            equipment_type,
            brand,
            model,
            serial_number,
            mac_address,
            gpon_serial,
            acs_device_id,
            firmware_version,
            admin_username,
            admin_password,
            installed_on,
            status,
        } = self;
        *service_location == other.service_location
            && *customer == other.customer
            && *equipment_type == other.equipment_type
            && *brand == other.brand
            && *model == other.model
            && *serial_number == other.serial_number
            && *mac_address == other.mac_address
            && *gpon_serial == other.gpon_serial
            && *acs_device_id == other.acs_device_id
            && *firmware_version == other.firmware_version
            && *admin_username == other.admin_username
            && password::eq(admin_password, &other.admin_password)
            && *installed_on == other.installed_on
            && *status == other.status
    }
}

/// A field technician (`Technician`, named `TECH-.###`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Technician {
    /// Full name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_name: Option<String>,
    /// Link to User: the staff account (Authentik email).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Mobile number, E.164, for SMS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mobile_no: Option<String>,
    /// Lookup key: the Traccar device id of the technician's GPS positions.
    #[serde(
        default,
        with = "crate::fields::int",
        skip_serializing_if = "Option::is_none"
    )]
    pub traccar_device_id: Option<i64>,
    /// Table MultiSelect of Technician Skill rows (Tags such as `fibre-splicing`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skills: Vec<TechnicianSkill>,
    /// Available for dispatch.
    #[serde(default, with = "crate::models::fields::check")]
    pub active: bool,
    /// Start-of-day latitude.
    #[serde(
        default,
        with = "crate::fields::float",
        skip_serializing_if = "Option::is_none"
    )]
    pub home_latitude: Option<f64>,
    /// Start-of-day longitude.
    #[serde(
        default,
        with = "crate::fields::float",
        skip_serializing_if = "Option::is_none"
    )]
    pub home_longitude: Option<f64>,
}

impl Technician {
    /// Whether the technician has the skill tag `tag`.
    pub fn has_skill(&self, tag: &str) -> bool {
        self.skills
            .iter()
            .any(|row| row.tag.as_deref() == Some(tag))
    }
}

/// A row of [`Technician::skills`] (`Technician Skill`, Table MultiSelect).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TechnicianSkill {
    /// Row name; keep it to update the row in place, `None` adds a new row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<DocName>,
    /// Link to Tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// The row's standard columns (`parent`, `parentfield`, `parenttype`, `idx`, `doctype`,
    /// ...) and any other key.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl TechnicianSkill {
    /// A new row for the tag `tag`.
    pub fn new(tag: impl Into<String>) -> Self {
        Self {
            tag: Some(tag.into()),
            ..Self::default()
        }
    }
}

string_enum! {
    /// `Tag.category`. The option `"Other"` decodes to `Other("Other")`.
    pub enum TagCategory {
        /// `"Skill"`: a technician skill.
        Skill = "Skill",
        /// `"Area"`: a service area.
        Area = "Area",
        /// `"Priority"`.
        Priority = "Priority",
    }
}

/// A label for skills, areas and priorities (`Tag`; the name is the tag itself).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Tag {
    /// The tag (unique), e.g. `fibre-splicing`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag_name: Option<String>,
    /// Category.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<TagCategory>,
    /// Color, `#rrggbb`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
}

string_enum! {
    /// `Dispatch Job.job_type`.
    pub enum DispatchJobType {
        /// `"Installation"`.
        Installation = "Installation",
        /// `"Repair"`.
        Repair = "Repair",
        /// `"Upgrade"`.
        Upgrade = "Upgrade",
        /// `"Removal"`.
        Removal = "Removal",
        /// `"Survey"`.
        Survey = "Survey",
    }
}

string_enum! {
    /// `Dispatch Job.priority`.
    pub enum DispatchJobPriority {
        /// `"Low"`.
        Low = "Low",
        /// `"Normal"`.
        Normal = "Normal",
        /// `"High"`.
        High = "High",
        /// `"Urgent"`.
        Urgent = "Urgent",
    }
}

string_enum! {
    /// `Dispatch Job.status`: `Open` → `Scheduled` → `En Route` → `On Site` → `Completed`, or
    /// `Cancelled`.
    pub enum DispatchJobStatus {
        /// `"Open"`: not scheduled yet.
        Open = "Open",
        /// `"Scheduled"`: has a technician and a time slot.
        Scheduled = "Scheduled",
        /// `"En Route"`: the technician is driving there.
        EnRoute = "En Route",
        /// `"On Site"`.
        OnSite = "On Site",
        /// `"Completed"`.
        Completed = "Completed",
        /// `"Cancelled"`.
        Cancelled = "Cancelled",
    }
}

impl DispatchJobStatus {
    /// `Completed` or `Cancelled`: the job will not move any more.
    pub fn is_final(&self) -> bool {
        matches!(self, Self::Completed | Self::Cancelled)
    }
}

/// A visit to do (`Dispatch Job`, named `DJ-.YYYY.-.#####`). The tech page `/t/{token}` shows
/// one; dispatch moves them through [`DispatchJobStatus`].
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DispatchJob {
    /// Link to Customer (required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<String>,
    /// Link to Service Location (required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_location: Option<String>,
    /// Link to the Issue the job comes from, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue: Option<String>,
    /// Kind of visit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_type: Option<DispatchJobType>,
    /// Priority.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<DispatchJobPriority>,
    /// Status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<DispatchJobStatus>,
    /// Link to Technician.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub technician: Option<String>,
    /// Slot start (site time zone, America/Toronto).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled_start: Option<FrappeDateTime>,
    /// Slot end (site time zone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled_end: Option<FrappeDateTime>,
    /// What to do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Table MultiSelect of Dispatch Job Tag rows.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<DispatchJobTag>,
    /// What the technician did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution_notes: Option<String>,
    /// When the job was completed (site time zone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<FrappeDateTime>,
    /// Table of Dispatch Job Equipment rows: devices installed, removed or swapped.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub equipment: Vec<DispatchJobEquipment>,
}

impl DispatchJob {
    /// Whether the job still needs work: its status is known and not `Completed` or
    /// `Cancelled`. A job whose status was not read counts as not open.
    pub fn is_open(&self) -> bool {
        self.status
            .as_ref()
            .is_some_and(|status| !status.is_final())
    }

    /// The job's tags, in row order.
    pub fn tag_names(&self) -> impl Iterator<Item = &str> + '_ {
        self.tags.iter().filter_map(|row| row.tag.as_deref())
    }
}

/// A row of [`DispatchJob::tags`] (`Dispatch Job Tag`, Table MultiSelect).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DispatchJobTag {
    /// Row name; keep it to update the row in place, `None` adds a new row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<DocName>,
    /// Link to Tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// The row's standard columns and any other key.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl DispatchJobTag {
    /// A new row for the tag `tag`.
    pub fn new(tag: impl Into<String>) -> Self {
        Self {
            tag: Some(tag.into()),
            ..Self::default()
        }
    }
}

string_enum! {
    /// `Dispatch Job Equipment.action`.
    pub enum EquipmentAction {
        /// `"Installed"`.
        Installed = "Installed",
        /// `"Removed"`.
        Removed = "Removed",
        /// `"Swapped"`.
        Swapped = "Swapped",
    }
}

/// A row of [`DispatchJob::equipment`] (`Dispatch Job Equipment`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DispatchJobEquipment {
    /// Row name; keep it to update the row in place, `None` adds a new row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<DocName>,
    /// Link to Service Equipment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_equipment: Option<String>,
    /// What was done with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<EquipmentAction>,
    /// Notes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// The row's standard columns and any other key.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
