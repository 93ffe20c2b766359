//! Typed models of the standard ERPNext / Frappe doctypes the hub uses, and of Gigafibre's own
//! doctypes (feature `erpnext`).
//!
//! Each struct holds one doctype's **business fields only** and implements [`DocType`]. Wrap it
//! in [`Doc`](crate::Doc) to read or write a whole document: `Doc<T>` types the standard columns
//! (`name`, `owner`, `creation`, `modified`, `modified_by`, `docstatus`, `idx`), decodes the
//! business fields into `T` and keeps every key neither of them knows (custom fields, child
//! tables not modelled here, `doctype`, `_user_tags`, ...) in `Doc::extra`. Nothing is lost and
//! `Doc<T>` serialises back to the object Frappe sent.
//!
//! | area | doctypes |
//! |---|---|
//! | selling | [`Customer`] |
//! | contacts | [`Contact`] ([`ContactEmail`], [`ContactPhone`], [`DynamicLink`]), [`Address`] |
//! | core | [`User`] ([`UserSocialLogin`], [`HasRole`]), [`Communication`] ([`CommunicationLink`]) |
//! | support | [`Issue`] |
//! | accounts | [`SalesInvoice`] ([`SalesInvoiceItem`], [`SalesTaxesAndCharges`]), [`PaymentEntry`] ([`PaymentEntryReference`]), [`Subscription`] ([`SubscriptionPlanDetail`]) |
//! | Gigafibre | [`ServiceLocation`], [`ServiceEquipment`], [`Technician`] ([`TechnicianSkill`]), [`Tag`], [`DispatchJob`] ([`DispatchJobTag`], [`DispatchJobEquipment`]) |
//!
//! # With the client
//!
//! The typed document handler takes the model as its type parameter, for example
//! `client.docs::<Customer>().get("CUST-0001")` answers a `Doc<Customer>`, and a list query
//! on `client.docs::<DispatchJob>()` requests exactly the fields the model declares.
//!
//! Without a client, a document is plain serde:
//!
//! ```
//! use frappe_client::erpnext::{Customer, CustomerType};
//! use frappe_client::{Doc, DocStatus};
//!
//! let json = r#"{
//!     "name": "CUST-0001",
//!     "owner": "Administrator",
//!     "creation": "2026-01-05 09:12:44.120331",
//!     "modified": "2026-02-11 16:03:10.004512",
//!     "modified_by": "ops@gigafibre.ca",
//!     "docstatus": 0,
//!     "idx": 0,
//!     "customer_name": "Marie Tremblay",
//!     "customer_type": "Individual",
//!     "customer_group": "Residential",
//!     "territory": "Quebec",
//!     "mobile_no": "+15145550123",
//!     "email_id": "marie@example.com",
//!     "disabled": 0,
//!     "custom_legacy_id": 4411,
//!     "doctype": "Customer"
//! }"#;
//! let customer: Doc<Customer> = serde_json::from_str(json).unwrap();
//! assert_eq!(customer.name.as_str(), "CUST-0001");
//! assert_eq!(customer.docstatus, DocStatus::Draft);
//! assert_eq!(customer.fields.customer_type, Some(CustomerType::Individual));
//! assert_eq!(customer.fields.mobile_no.as_deref(), Some("+15145550123"));
//! assert!(!customer.fields.disabled);
//! // A custom field nobody modelled is kept, not dropped.
//! assert_eq!(customer.extra["custom_legacy_id"], 4411);
//! ```
//!
//! # How fields are typed
//!
//! Frappe drops null keys from documents and a list query returns only the columns it asked
//! for, so a model must decode from any subset of its fields.
//!
//! | Frappe field type | Rust type |
//! |---|---|
//! | Data, Link, Dynamic Link, Text, Small Text, Text Editor, Phone, Color, Time | `Option<String>` |
//! | Select that the hub branches on | `Option<E>`, a string enum with an `Other(String)` catch-all (below) |
//! | other Select | `Option<String>` |
//! | Int | `Option<i64>`, through [`fields::int`](crate::models::fields::int) (numeric text and `""` too) |
//! | Float, Currency, Percent | `Option<f64>`, through [`fields::float`](crate::models::fields::float) |
//! | Date | `Option<chrono::NaiveDate>` (`"YYYY-MM-DD"`) |
//! | Datetime | `Option<`[`FrappeDateTime`](crate::FrappeDateTime)`>` (naive, site time zone) |
//! | Check | `bool` (see below) |
//! | Password | `Option<secrecy::SecretString>` (see below) |
//! | Table, Table MultiSelect | `Vec<Row>`, empty when absent and not serialised when empty |
//!
//! Every `Option` field is `#[serde(default, skip_serializing_if = "Option::is_none")]`, so a
//! missing key decodes to `None` and `None` is not sent back. Models never use
//! `deny_unknown_fields`.
//!
//! ## Check fields are plain `bool`
//!
//! A Check is `0`/`1` on the wire and `bool` here (through
//! [`fields::check`](crate::models::fields::check)). A missing Check decodes as `false`, and a
//! model always serialises its Checks. That is faithful for full documents: Check columns are
//! `NOT NULL DEFAULT 0`, so Frappe returns every Check of a document, and list queries built from
//! a model request all of its fields. The price is that a model is not a partial update: a
//! `Doc<T>` sent back as an update body writes every Check it holds. Send partial updates as
//! your own small patch struct (or a `serde_json` object) with only the keys you mean to change.
//!
//! ## Select fields as string enums
//!
//! Select fields with a closed, documented set of values that code branches on (statuses,
//! types, priorities) are enums such as [`DispatchJobStatus`]. Each one has a variant per known
//! value and an `Other(String)` catch-all, so a value added on the site (or a spelling from
//! another ERPNext version) decodes instead of failing, and serialises back exactly as it came.
//! Known values serialise in Frappe's spelling (`"En Route"`, `"Past Due Date"`). When Frappe's
//! own option list contains the literal value `"Other"` (equipment type, tag category,
//! communication medium), it decodes to the catch-all, `Other("Other")`.
//!
//! Every such enum also has `as_str()`, `VALUES` (the known spellings), `Display`,
//! `From<&str>`, `From<String>` and an infallible `FromStr`; `From` maps a known spelling to its
//! variant, so `E::from("Open") == E::Open`.
//!
//! ## Passwords
//!
//! Password fields ([`User::api_secret`], [`User::new_password`],
//! [`ServiceEquipment::admin_password`]) are `Option<SecretString>`: `Debug` prints them
//! redacted, and serialising exposes them (a model you send must carry the real value). Frappe
//! does not return a stored password in a document: a read gives asterisks (`"*****"`), and
//! sending the asterisks back leaves the password unchanged. The real value is read with the
//! whitelisted method `frappe.client.get_password(doctype, name, fieldname)` (System Manager
//! only). Because `SecretString` has no `PartialEq`, [`User`] and [`ServiceEquipment`] compare
//! passwords by value in a hand-written `PartialEq`.
//!
//! ## Child tables
//!
//! A child row struct has its own business fields, `name: Option<DocName>` and an `extra` map
//! that keeps the row's standard columns (`parent`, `parentfield`, `parenttype`, `idx`,
//! `doctype`, `owner`, `creation`, ...) and unknown keys. On update, Frappe replaces the whole
//! table: rows sent with their `name` are updated in place, rows without one are added, rows
//! left out are deleted. Keep the `name` of the rows you read; set it to `None` (and clear
//! `extra`) for a new row. Child row types implement [`DocType`] too, for child-table filters
//! such as `[DynamicLink::DOCTYPE, "link_name", "=", "CUST-0001"]`.
//!
//! List queries return no child tables (a table is not a column of the parent's table): read
//! the document itself for its rows. In a list result the `Vec`s are empty.
//!
//! Top-level models have no `extra` map of their own (and no `#[serde(flatten)]` at all):
//! `Doc::extra` takes the unknown keys, and list queries can derive their field list from the
//! struct.

use crate::DocType;

/// Defines a string enum for a Frappe Select field: one variant per known value, an
/// `Other(String)` catch-all, and serde, `Display`, `FromStr` and `From` impls that use the
/// exact Frappe spelling.
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $(
                $(#[$vmeta:meta])*
                $variant:ident = $wire:literal,
            )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        $vis enum $name {
            $(
                $(#[$vmeta])*
                $variant,
            )+
            /// A value not listed above, kept verbatim so it serialises back unchanged.
            Other(String),
        }

        impl $name {
            /// The known values, as Frappe spells them.
            pub const VALUES: &'static [&'static str] = &[$($wire),+];

            /// The value as Frappe spells it.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $wire,)+
                    Self::Other(other) => other,
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::convert::From<&str> for $name {
            fn from(value: &str) -> Self {
                match value {
                    $($wire => Self::$variant,)+
                    other => Self::Other(other.to_owned()),
                }
            }
        }

        impl ::std::convert::From<String> for $name {
            fn from(value: String) -> Self {
                match value.as_str() {
                    $($wire => Self::$variant,)+
                    _ => Self::Other(value),
                }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::std::convert::Infallible;

            fn from_str(value: &str) -> Result<Self, Self::Err> {
                Ok(Self::from(value))
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                <String as ::serde::Deserialize>::deserialize(deserializer).map(Self::from)
            }
        }
    };
}

mod accounts;
mod contacts;
mod core;
mod gigafibre;
mod password;
mod selling;
mod support;

pub use self::accounts::{
    PaymentEntry, PaymentEntryReference, PaymentType, SalesInvoice, SalesInvoiceItem,
    SalesInvoiceStatus, SalesTaxesAndCharges, Subscription, SubscriptionPlanDetail,
    SubscriptionStatus,
};
pub use self::contacts::{Address, Contact, ContactEmail, ContactPhone, DynamicLink};
pub use self::core::{
    Communication, CommunicationLink, CommunicationMedium, CommunicationType, HasRole,
    SentOrReceived, User, UserSocialLogin,
};
pub use self::gigafibre::{
    DispatchJob, DispatchJobEquipment, DispatchJobPriority, DispatchJobStatus, DispatchJobTag,
    DispatchJobType, EquipmentAction, EquipmentStatus, EquipmentType, ServiceEquipment,
    ServiceLocation, ServiceLocationStatus, Tag, TagCategory, Technician, TechnicianSkill,
};
pub use self::selling::{Customer, CustomerType};
pub use self::support::{Issue, IssueStatus};

/// Implements [`DocType`] for each `Type => "Doctype Name"` pair.
macro_rules! doctypes {
    ($($ty:ty => $name:literal,)+) => {
        $(
            impl DocType for $ty {
                const DOCTYPE: &'static str = $name;
            }
        )+
    };
}

doctypes! {
    Customer => "Customer",
    Contact => "Contact",
    ContactEmail => "Contact Email",
    ContactPhone => "Contact Phone",
    DynamicLink => "Dynamic Link",
    Address => "Address",
    User => "User",
    UserSocialLogin => "User Social Login",
    HasRole => "Has Role",
    Communication => "Communication",
    CommunicationLink => "Communication Link",
    Issue => "Issue",
    SalesInvoice => "Sales Invoice",
    SalesInvoiceItem => "Sales Invoice Item",
    SalesTaxesAndCharges => "Sales Taxes and Charges",
    PaymentEntry => "Payment Entry",
    PaymentEntryReference => "Payment Entry Reference",
    Subscription => "Subscription",
    SubscriptionPlanDetail => "Subscription Plan Detail",
    ServiceLocation => "Service Location",
    ServiceEquipment => "Service Equipment",
    Technician => "Technician",
    TechnicianSkill => "Technician Skill",
    Tag => "Tag",
    DispatchJob => "Dispatch Job",
    DispatchJobTag => "Dispatch Job Tag",
    DispatchJobEquipment => "Dispatch Job Equipment",
}
