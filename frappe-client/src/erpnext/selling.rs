//! Selling: Customer.

use serde::{Deserialize, Serialize};

string_enum! {
    /// `Customer.customer_type`.
    pub enum CustomerType {
        /// `"Company"`.
        Company = "Company",
        /// `"Individual"`: residential subscribers.
        Individual = "Individual",
        /// `"Partnership"` (ERPNext 14+).
        Partnership = "Partnership",
    }
}

/// A customer (`Customer`, erpnext/selling). Named by naming series or by customer name,
/// depending on Selling Settings.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Customer {
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_name: Option<String>,
    /// Company, individual or partnership.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_type: Option<CustomerType>,
    /// Link to Customer Group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_group: Option<String>,
    /// Link to Territory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub territory: Option<String>,
    /// Primary mobile number, synced from the primary contact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mobile_no: Option<String>,
    /// Primary email, synced from the primary contact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_id: Option<String>,
    /// Link to the primary Contact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_primary_contact: Option<String>,
    /// Link to the primary Address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_primary_address: Option<String>,
    /// The primary address rendered as text (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_address: Option<String>,
    /// Link to Currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_currency: Option<String>,
    /// Tax registration number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_id: Option<String>,
    /// Link to Language (print and email language).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// Disabled customers cannot be used in new transactions.
    #[serde(default, with = "crate::models::fields::check")]
    pub disabled: bool,
}
