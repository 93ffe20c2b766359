//! Accounts: Sales Invoice, Payment Entry and Subscription.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::DocName;

string_enum! {
    /// `Sales Invoice.status` (read-only, set by ERPNext).
    pub enum SalesInvoiceStatus {
        /// `"Draft"`.
        Draft = "Draft",
        /// `"Return"`: a credit note.
        Return = "Return",
        /// `"Credit Note Issued"`.
        CreditNoteIssued = "Credit Note Issued",
        /// `"Submitted"`.
        Submitted = "Submitted",
        /// `"Paid"`.
        Paid = "Paid",
        /// `"Partly Paid"`.
        PartlyPaid = "Partly Paid",
        /// `"Unpaid"`.
        Unpaid = "Unpaid",
        /// `"Unpaid and Discounted"`.
        UnpaidAndDiscounted = "Unpaid and Discounted",
        /// `"Partly Paid and Discounted"`.
        PartlyPaidAndDiscounted = "Partly Paid and Discounted",
        /// `"Overdue and Discounted"`.
        OverdueAndDiscounted = "Overdue and Discounted",
        /// `"Overdue"`.
        Overdue = "Overdue",
        /// `"Cancelled"`.
        Cancelled = "Cancelled",
        /// `"Internal Transfer"`.
        InternalTransfer = "Internal Transfer",
    }
}

/// An invoice to a customer (`Sales Invoice`, erpnext/accounts; submittable).
///
/// Amounts are in the invoice [`currency`](Self::currency). ERPNext computes the totals and
/// the status on save; send `items` (and `taxes` or `taxes_and_charges`) and let it fill in
/// the rest.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SalesInvoice {
    /// Title (usually the customer name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Link to Customer (required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<String>,
    /// The customer's name (fetched).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_name: Option<String>,
    /// Link to Company.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    /// Posting date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub posting_date: Option<NaiveDate>,
    /// Posting time, `H:MM:SS[.ffffff]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub posting_time: Option<String>,
    /// Payment due date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<NaiveDate>,
    /// Link to Currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Exchange rate to the company currency.
    #[serde(
        default,
        with = "crate::fields::float",
        skip_serializing_if = "Option::is_none"
    )]
    pub conversion_rate: Option<f64>,
    /// Link to Price List.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selling_price_list: Option<String>,
    /// Table of Sales Invoice Item rows (required).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<SalesInvoiceItem>,
    /// Link to Sales Taxes and Charges Template.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taxes_and_charges: Option<String>,
    /// Table of Sales Taxes and Charges rows.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub taxes: Vec<SalesTaxesAndCharges>,
    /// Total quantity.
    #[serde(
        default,
        with = "crate::fields::float",
        skip_serializing_if = "Option::is_none"
    )]
    pub total_qty: Option<f64>,
    /// Sum of the item amounts.
    #[serde(
        default,
        with = "crate::fields::float",
        skip_serializing_if = "Option::is_none"
    )]
    pub total: Option<f64>,
    /// Total after discounts, before taxes.
    #[serde(
        default,
        with = "crate::fields::float",
        skip_serializing_if = "Option::is_none"
    )]
    pub net_total: Option<f64>,
    /// Sum of the taxes.
    #[serde(
        default,
        with = "crate::fields::float",
        skip_serializing_if = "Option::is_none"
    )]
    pub total_taxes_and_charges: Option<f64>,
    /// Additional discount amount.
    #[serde(
        default,
        with = "crate::fields::float",
        skip_serializing_if = "Option::is_none"
    )]
    pub discount_amount: Option<f64>,
    /// Total with taxes.
    #[serde(
        default,
        with = "crate::fields::float",
        skip_serializing_if = "Option::is_none"
    )]
    pub grand_total: Option<f64>,
    /// Rounding adjustment.
    #[serde(
        default,
        with = "crate::fields::float",
        skip_serializing_if = "Option::is_none"
    )]
    pub rounding_adjustment: Option<f64>,
    /// Grand total, rounded.
    #[serde(
        default,
        with = "crate::fields::float",
        skip_serializing_if = "Option::is_none"
    )]
    pub rounded_total: Option<f64>,
    /// What is still owed.
    #[serde(
        default,
        with = "crate::fields::float",
        skip_serializing_if = "Option::is_none"
    )]
    pub outstanding_amount: Option<f64>,
    /// Status (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<SalesInvoiceStatus>,
    /// A credit note.
    #[serde(default, with = "crate::models::fields::check")]
    pub is_return: bool,
    /// Link to the Sales Invoice a return credits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_against: Option<String>,
    /// A point-of-sale invoice.
    #[serde(default, with = "crate::models::fields::check")]
    pub is_pos: bool,
    /// Link to the Subscription that generated it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription: Option<String>,
    /// Start of the billed service period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_date: Option<NaiveDate>,
    /// End of the billed service period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_date: Option<NaiveDate>,
    /// Link to Address (billing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_address: Option<String>,
    /// Link to Contact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_person: Option<String>,
    /// Link to the receivable Account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub debit_to: Option<String>,
    /// Remarks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remarks: Option<String>,
    /// Link to the cancelled Sales Invoice this one amends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amended_from: Option<String>,
}

/// A row of [`SalesInvoice::items`] (`Sales Invoice Item`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SalesInvoiceItem {
    /// Row name; keep it to update the row in place, `None` adds a new row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<DocName>,
    /// Link to Item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_code: Option<String>,
    /// Item name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_name: Option<String>,
    /// Description (HTML).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Quantity.
    #[serde(
        default,
        with = "crate::fields::float",
        skip_serializing_if = "Option::is_none"
    )]
    pub qty: Option<f64>,
    /// Link to UOM.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uom: Option<String>,
    /// Price list rate, before discounts.
    #[serde(
        default,
        with = "crate::fields::float",
        skip_serializing_if = "Option::is_none"
    )]
    pub price_list_rate: Option<f64>,
    /// Discount, in percent.
    #[serde(
        default,
        with = "crate::fields::float",
        skip_serializing_if = "Option::is_none"
    )]
    pub discount_percentage: Option<f64>,
    /// Unit rate.
    #[serde(
        default,
        with = "crate::fields::float",
        skip_serializing_if = "Option::is_none"
    )]
    pub rate: Option<f64>,
    /// `qty * rate`.
    #[serde(
        default,
        with = "crate::fields::float",
        skip_serializing_if = "Option::is_none"
    )]
    pub amount: Option<f64>,
    /// Amount after the invoice-level discount.
    #[serde(
        default,
        with = "crate::fields::float",
        skip_serializing_if = "Option::is_none"
    )]
    pub net_amount: Option<f64>,
    /// Link to the income Account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub income_account: Option<String>,
    /// Link to Cost Center.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_center: Option<String>,
    /// The row's standard columns (`parent`, `parentfield`, `parenttype`, `idx`, `doctype`,
    /// ...) and any other key.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A row of [`SalesInvoice::taxes`] (`Sales Taxes and Charges`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SalesTaxesAndCharges {
    /// Row name; keep it to update the row in place, `None` adds a new row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<DocName>,
    /// Select: `Actual`, `On Net Total`, `On Previous Row Amount`, `On Previous Row Total`,
    /// `On Item Quantity`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charge_type: Option<String>,
    /// Link to the tax Account (required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_head: Option<String>,
    /// Description, e.g. `GST 5%`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Rate, in percent.
    #[serde(
        default,
        with = "crate::fields::float",
        skip_serializing_if = "Option::is_none"
    )]
    pub rate: Option<f64>,
    /// Tax amount.
    #[serde(
        default,
        with = "crate::fields::float",
        skip_serializing_if = "Option::is_none"
    )]
    pub tax_amount: Option<f64>,
    /// Running total after this row.
    #[serde(
        default,
        with = "crate::fields::float",
        skip_serializing_if = "Option::is_none"
    )]
    pub total: Option<f64>,
    /// The tax is included in the item rates.
    #[serde(default, with = "crate::models::fields::check")]
    pub included_in_print_rate: bool,
    /// Link to Cost Center.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_center: Option<String>,
    /// The row's standard columns and any other key.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

string_enum! {
    /// `Payment Entry.payment_type`.
    pub enum PaymentType {
        /// `"Receive"`: money in, from a customer.
        Receive = "Receive",
        /// `"Pay"`: money out.
        Pay = "Pay",
        /// `"Internal Transfer"`: between own accounts.
        InternalTransfer = "Internal Transfer",
    }
}

/// A payment received or made (`Payment Entry`, erpnext/accounts; submittable).
///
/// `erpnext.accounts.doctype.payment_entry.payment_entry.get_payment_entry(dt, dn)` builds a
/// draft against an invoice.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct PaymentEntry {
    /// Direction (required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_type: Option<PaymentType>,
    /// Posting date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub posting_date: Option<NaiveDate>,
    /// Link to Company.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    /// Link to Mode of Payment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode_of_payment: Option<String>,
    /// Link to DocType: `Customer`, `Supplier`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub party_type: Option<String>,
    /// Dynamic Link to the party.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub party: Option<String>,
    /// The party's name (fetched).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub party_name: Option<String>,
    /// Link to the Account paid from (the receivable account for `Receive`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paid_from: Option<String>,
    /// Currency of `paid_from`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paid_from_account_currency: Option<String>,
    /// Link to the Account paid to (the bank account for `Receive`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paid_to: Option<String>,
    /// Currency of `paid_to`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paid_to_account_currency: Option<String>,
    /// Amount in the `paid_from` currency.
    #[serde(
        default,
        with = "crate::fields::float",
        skip_serializing_if = "Option::is_none"
    )]
    pub paid_amount: Option<f64>,
    /// Amount in the `paid_to` currency.
    #[serde(
        default,
        with = "crate::fields::float",
        skip_serializing_if = "Option::is_none"
    )]
    pub received_amount: Option<f64>,
    /// Exchange rate of `paid_from` to the company currency.
    #[serde(
        default,
        with = "crate::fields::float",
        skip_serializing_if = "Option::is_none"
    )]
    pub source_exchange_rate: Option<f64>,
    /// Exchange rate of `paid_to` to the company currency.
    #[serde(
        default,
        with = "crate::fields::float",
        skip_serializing_if = "Option::is_none"
    )]
    pub target_exchange_rate: Option<f64>,
    /// Sum of the allocated amounts.
    #[serde(
        default,
        with = "crate::fields::float",
        skip_serializing_if = "Option::is_none"
    )]
    pub total_allocated_amount: Option<f64>,
    /// Amount not allocated to any reference (an advance).
    #[serde(
        default,
        with = "crate::fields::float",
        skip_serializing_if = "Option::is_none"
    )]
    pub unallocated_amount: Option<f64>,
    /// Difference to book (exchange gain/loss, deductions).
    #[serde(
        default,
        with = "crate::fields::float",
        skip_serializing_if = "Option::is_none"
    )]
    pub difference_amount: Option<f64>,
    /// Transaction reference, e.g. the Stripe charge id (required for bank modes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_no: Option<String>,
    /// Transaction date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_date: Option<NaiveDate>,
    /// Table of Payment Entry Reference rows: the invoices paid.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<PaymentEntryReference>,
    /// Select (read-only): `Draft`, `Submitted`, `Cancelled`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Remarks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remarks: Option<String>,
}

/// A row of [`PaymentEntry::references`] (`Payment Entry Reference`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct PaymentEntryReference {
    /// Row name; keep it to update the row in place, `None` adds a new row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<DocName>,
    /// Link to DocType, e.g. `Sales Invoice` (required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_doctype: Option<String>,
    /// Dynamic Link to the paid document (required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_name: Option<String>,
    /// The document's due date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<NaiveDate>,
    /// The document's grand total.
    #[serde(
        default,
        with = "crate::fields::float",
        skip_serializing_if = "Option::is_none"
    )]
    pub total_amount: Option<f64>,
    /// What the document still owed.
    #[serde(
        default,
        with = "crate::fields::float",
        skip_serializing_if = "Option::is_none"
    )]
    pub outstanding_amount: Option<f64>,
    /// The part of this payment allocated to it.
    #[serde(
        default,
        with = "crate::fields::float",
        skip_serializing_if = "Option::is_none"
    )]
    pub allocated_amount: Option<f64>,
    /// Exchange rate.
    #[serde(
        default,
        with = "crate::fields::float",
        skip_serializing_if = "Option::is_none"
    )]
    pub exchange_rate: Option<f64>,
    /// The row's standard columns and any other key.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

string_enum! {
    /// `Subscription.status` (read-only, set by ERPNext). The option list changed across
    /// versions: current ERPNext has `Trialing`, `Active`, `Grace Period`, `Cancelled`,
    /// `Unpaid`, `Completed`; older versions used `Trialling` and `Past Due Date`. All of them
    /// are known values.
    pub enum SubscriptionStatus {
        /// `"Trialing"`: in the trial period (current spelling).
        Trialing = "Trialing",
        /// `"Trialling"`: in the trial period (older spelling).
        Trialling = "Trialling",
        /// `"Active"`.
        Active = "Active",
        /// `"Grace Period"`: an invoice is overdue, within the grace period.
        GracePeriod = "Grace Period",
        /// `"Past Due Date"`: an invoice is overdue (older versions).
        PastDueDate = "Past Due Date",
        /// `"Cancelled"`.
        Cancelled = "Cancelled",
        /// `"Unpaid"`: past the grace period.
        Unpaid = "Unpaid",
        /// `"Completed"`: past the end date.
        Completed = "Completed",
    }
}

impl SubscriptionStatus {
    /// In the trial period, whichever spelling the site uses.
    pub fn is_trial(&self) -> bool {
        matches!(self, Self::Trialing | Self::Trialling)
    }
}

/// A recurring billing agreement (`Subscription`, erpnext/accounts; not submittable), with
/// Gigafibre's custom fields.
///
/// Actions are whitelisted module functions in
/// `erpnext.accounts.doctype.subscription.subscription` (`cancel_subscription`,
/// `restart_subscription`, `get_subscription_updates`), called with the subscription name.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Subscription {
    /// Link to DocType: `Customer` or `Supplier` (required, set once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub party_type: Option<String>,
    /// Dynamic Link to the party (required, set once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub party: Option<String>,
    /// Link to Company.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    /// Status (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<SubscriptionStatus>,
    /// Start date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_date: Option<NaiveDate>,
    /// End date; none for an open-ended subscription.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_date: Option<NaiveDate>,
    /// When it was cancelled (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelation_date: Option<NaiveDate>,
    /// Trial start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trial_period_start: Option<NaiveDate>,
    /// Trial end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trial_period_end: Option<NaiveDate>,
    /// Start of the current billing period (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_invoice_start: Option<NaiveDate>,
    /// End of the current billing period (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_invoice_end: Option<NaiveDate>,
    /// Days the customer has to pay each invoice.
    #[serde(
        default,
        with = "crate::fields::int",
        skip_serializing_if = "Option::is_none"
    )]
    pub days_until_due: Option<i64>,
    /// Select: `End of the current subscription period`, `Beginning of the current
    /// subscription period`, `Days before the current subscription period` (ERPNext 15+;
    /// replaces the Check `generate_invoice_at_period_start`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generate_invoice_at: Option<String>,
    /// Days before the period, with `Days before the current subscription period`.
    #[serde(
        default,
        with = "crate::fields::int",
        skip_serializing_if = "Option::is_none"
    )]
    pub number_of_days: Option<i64>,
    /// Cancel at the end of the current period instead of now.
    #[serde(default, with = "crate::models::fields::check")]
    pub cancel_at_period_end: bool,
    /// Align periods on calendar months.
    #[serde(default, with = "crate::models::fields::check")]
    pub follow_calendar_months: bool,
    /// Keep invoicing while earlier invoices are unpaid.
    #[serde(default, with = "crate::models::fields::check")]
    pub generate_new_invoices_past_due_date: bool,
    /// Submit the generated invoices (else they stay drafts).
    #[serde(default, with = "crate::models::fields::check")]
    pub submit_invoice: bool,
    /// Table of Subscription Plan Detail rows (required).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub plans: Vec<SubscriptionPlanDetail>,
    /// Link to Sales Taxes and Charges Template.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sales_tax_template: Option<String>,
    /// Link to Cost Center.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_center: Option<String>,
    /// Custom field: Link to the Service Location this subscription serves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_location: Option<String>,
    /// Custom field: provisioned download speed, in Mbit/s.
    #[serde(
        default,
        with = "crate::fields::int",
        skip_serializing_if = "Option::is_none"
    )]
    pub plan_download_mbps: Option<i64>,
    /// Custom field: provisioned upload speed, in Mbit/s.
    #[serde(
        default,
        with = "crate::fields::int",
        skip_serializing_if = "Option::is_none"
    )]
    pub plan_upload_mbps: Option<i64>,
    /// Custom field: the Stripe customer id (`cus_...`), for payment webhooks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stripe_customer_id: Option<String>,
}

/// A row of [`Subscription::plans`] (`Subscription Plan Detail`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SubscriptionPlanDetail {
    /// Row name; keep it to update the row in place, `None` adds a new row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<DocName>,
    /// Link to Subscription Plan (required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<String>,
    /// Quantity.
    #[serde(
        default,
        with = "crate::fields::float",
        skip_serializing_if = "Option::is_none"
    )]
    pub qty: Option<f64>,
    /// The row's standard columns and any other key.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
