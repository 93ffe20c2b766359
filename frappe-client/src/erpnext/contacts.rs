//! Contacts: Contact and Address, and the Dynamic Link rows that attach them to customers.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::DocName;

/// A person to reach (`Contact`, frappe/contacts). Named by script from the full name
/// (de-duplicated with `-1`, `-2`, ...).
///
/// A contact belongs to a customer through [`links`](Self::links), not through a Link field;
/// find a customer's contacts with the child-table filters
/// `[["Dynamic Link", "link_doctype", "=", "Customer"], ["Dynamic Link", "link_name", "=", name]]`.
/// Frappe syncs the scalar `email_id`, `phone` and `mobile_no` from the child tables on save.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Contact {
    /// First name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Middle name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub middle_name: Option<String>,
    /// Last name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// Full name (set by Frappe from the parts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_name: Option<String>,
    /// Primary email (read-only, synced from [`email_ids`](Self::email_ids)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_id: Option<String>,
    /// Primary phone (read-only, synced from [`phone_nos`](Self::phone_nos)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Primary mobile number (read-only, synced from [`phone_nos`](Self::phone_nos)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mobile_no: Option<String>,
    /// Link to the User this contact logs in as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Link to an Address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Company name, for business contacts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_name: Option<String>,
    /// Job title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub designation: Option<String>,
    /// Select: `Passive`, `Open`, `Replied`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The primary contact of the linked party.
    #[serde(default, with = "crate::models::fields::check")]
    pub is_primary_contact: bool,
    /// Unsubscribed from emails.
    #[serde(default, with = "crate::models::fields::check")]
    pub unsubscribed: bool,
    /// Table of Contact Email rows.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub email_ids: Vec<ContactEmail>,
    /// Table of Contact Phone rows.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phone_nos: Vec<ContactPhone>,
    /// Table of Dynamic Link rows: the parties (Customer, ...) this contact belongs to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<DynamicLink>,
}

impl Contact {
    /// The primary email: the row marked primary, else the synced `email_id`, else the first
    /// row.
    pub fn primary_email(&self) -> Option<&str> {
        self.email_ids
            .iter()
            .find(|row| row.is_primary)
            .and_then(|row| row.email_id.as_deref())
            .or(self.email_id.as_deref())
            .or_else(|| {
                self.email_ids
                    .iter()
                    .find_map(|row| row.email_id.as_deref())
            })
    }

    /// The primary mobile number: the row marked primary mobile, else the synced `mobile_no`.
    pub fn primary_mobile(&self) -> Option<&str> {
        self.phone_nos
            .iter()
            .find(|row| row.is_primary_mobile_no)
            .and_then(|row| row.phone.as_deref())
            .or(self.mobile_no.as_deref())
    }

    /// Whether [`links`](Self::links) attaches this contact to `doctype` `name` (for example
    /// `("Customer", "CUST-0001")`).
    pub fn links_to(&self, doctype: &str, name: &str) -> bool {
        DynamicLink::any_links_to(&self.links, doctype, name)
    }
}

/// A row of [`Contact::email_ids`] (`Contact Email`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ContactEmail {
    /// Row name; keep it to update the row in place, `None` adds a new row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<DocName>,
    /// The email address (required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_id: Option<String>,
    /// The contact's primary email.
    #[serde(default, with = "crate::models::fields::check")]
    pub is_primary: bool,
    /// The row's standard columns (`parent`, `parentfield`, `parenttype`, `idx`, `doctype`,
    /// ...) and any other key.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A row of [`Contact::phone_nos`] (`Contact Phone`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ContactPhone {
    /// Row name; keep it to update the row in place, `None` adds a new row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<DocName>,
    /// The number (required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// The contact's primary phone.
    #[serde(default, with = "crate::models::fields::check")]
    pub is_primary_phone: bool,
    /// The contact's primary mobile number.
    #[serde(default, with = "crate::models::fields::check")]
    pub is_primary_mobile_no: bool,
    /// The row's standard columns and any other key.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A link from a Contact or Address to a party (`Dynamic Link`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DynamicLink {
    /// Row name; keep it to update the row in place, `None` adds a new row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<DocName>,
    /// The linked doctype, e.g. `Customer` (required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_doctype: Option<String>,
    /// The linked document's name (required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_name: Option<String>,
    /// The linked document's title (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_title: Option<String>,
    /// The row's standard columns and any other key.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl DynamicLink {
    /// A new link row to `doctype` `name` (no row name: Frappe adds it).
    pub fn new(doctype: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            link_doctype: Some(doctype.into()),
            link_name: Some(name.into()),
            ..Self::default()
        }
    }

    /// Whether this row points at `doctype` `name`.
    pub fn is_link_to(&self, doctype: &str, name: &str) -> bool {
        self.link_doctype.as_deref() == Some(doctype) && self.link_name.as_deref() == Some(name)
    }

    fn any_links_to(links: &[Self], doctype: &str, name: &str) -> bool {
        links.iter().any(|link| link.is_link_to(doctype, name))
    }
}

/// A postal address (`Address`, frappe/contacts), attached to parties through
/// [`links`](Self::links).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Address {
    /// Title; the name is built from it and the type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_title: Option<String>,
    /// Select (required): `Billing`, `Shipping`, `Office`, `Personal`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_type: Option<String>,
    /// First line (required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_line1: Option<String>,
    /// Second line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_line2: Option<String>,
    /// City (required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// County.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub county: Option<String>,
    /// State or province.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Postal code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pincode: Option<String>,
    /// Link to Country (required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_id: Option<String>,
    /// Phone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// The linked party's preferred billing address.
    #[serde(default, with = "crate::models::fields::check")]
    pub is_primary_address: bool,
    /// The linked party's preferred shipping address.
    #[serde(default, with = "crate::models::fields::check")]
    pub is_shipping_address: bool,
    /// Disabled.
    #[serde(default, with = "crate::models::fields::check")]
    pub disabled: bool,
    /// Table of Dynamic Link rows: the parties this address belongs to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<DynamicLink>,
}

impl Address {
    /// Whether [`links`](Self::links) attaches this address to `doctype` `name`.
    pub fn links_to(&self, doctype: &str, name: &str) -> bool {
        DynamicLink::any_links_to(&self.links, doctype, name)
    }
}
