//! Support: Issue (tickets).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::FrappeDateTime;

string_enum! {
    /// `Issue.status`. Current ERPNext has `Open`, `Replied`, `On Hold`, `Resolved`, `Closed`;
    /// 2020-era versions used `Hold` instead of `On Hold`.
    pub enum IssueStatus {
        /// `"Open"`.
        Open = "Open",
        /// `"Replied"`: waiting for the customer.
        Replied = "Replied",
        /// `"On Hold"`: SLA timers paused.
        OnHold = "On Hold",
        /// `"Resolved"`.
        Resolved = "Resolved",
        /// `"Closed"`.
        Closed = "Closed",
        /// `"Hold"`: the legacy spelling of `On Hold`.
        Hold = "Hold",
    }
}

impl IssueStatus {
    /// `Resolved` or `Closed`: nothing left to do.
    pub fn is_closed(&self) -> bool {
        matches!(self, Self::Resolved | Self::Closed)
    }
}

/// A support ticket (`Issue`, erpnext/support), named by naming series `ISS-.YYYY.-`.
///
/// Replies are [`Communication`](super::Communication)s with `reference_doctype = "Issue"`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Issue {
    /// Subject (required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<IssueStatus>,
    /// Link to Issue Priority (`Low`, `Medium`, `High`, or site-defined).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<String>,
    /// Link to Issue Type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue_type: Option<String>,
    /// Link to Customer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<String>,
    /// The customer's name (fetched).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_name: Option<String>,
    /// The reporter's email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raised_by: Option<String>,
    /// Link to Contact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    /// Link to Lead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead: Option<String>,
    /// Description (HTML).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Opening date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opening_date: Option<NaiveDate>,
    /// Opening time, `H:MM:SS[.ffffff]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opening_time: Option<String>,
    /// When it was resolved (`sla_resolution_date` in ERPNext 15; older versions called it
    /// `resolution_date`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sla_resolution_date: Option<FrappeDateTime>,
    /// How it was resolved (HTML).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution_details: Option<String>,
    /// Link to Service Level Agreement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_level_agreement: Option<String>,
    /// Select: `First Response Due`, `Resolution Due`, `Fulfilled`, `Failed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agreement_status: Option<String>,
    /// SLA deadline for the first response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_by: Option<FrappeDateTime>,
    /// SLA deadline for the resolution (`sla_resolution_by` in ERPNext 15; older versions called
    /// it `resolution_by`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sla_resolution_by: Option<FrappeDateTime>,
    /// When the first response was sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_responded_on: Option<FrappeDateTime>,
    /// Link to Company.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    /// Link to Project.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
}
