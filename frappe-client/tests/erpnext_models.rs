//! The `erpnext` models against wire-shaped documents: decoding, unknown keys, string enums,
//! secrets and round trips.
//!
//! The User document is the real (redacted) sample from `contracts/frappe/samples/`; the other
//! fixtures are built by hand in Frappe's wire types (API.md §3): dates and datetimes as naive
//! strings, Checks as `0`/`1`, Float/Currency as JSON floats, child rows with their standard
//! columns, null keys dropped.

use chrono::NaiveDate;
use frappe_client::erpnext::{
    Contact, Customer, DispatchJob, DispatchJobEquipment, DispatchJobPriority, DispatchJobStatus,
    DispatchJobTag, DispatchJobType, DynamicLink, EquipmentAction, EquipmentStatus, EquipmentType,
    IssueStatus, PaymentType, SalesInvoice, SalesInvoiceStatus, ServiceEquipment,
    ServiceLocationStatus, Subscription, SubscriptionStatus, TagCategory, User,
};
use frappe_client::{Doc, DocName, DocStatus, DocType, FrappeDateTime};
use secrecy::ExposeSecret;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// `GET /api/resource/User/jane@example.com`, verbatim from the contracts.
const USER_SAMPLE: &str = include_str!("resources/user_with_social_logins.json");

const DISPATCH_JOB: &str = r#"{
  "name": "DJ-2026-00042",
  "owner": "dispatch@gigafibre.ca",
  "creation": "2026-03-02 08:15:02.118204",
  "modified": "2026-03-03 14:40:51.907113",
  "modified_by": "tech.gagnon@gigafibre.ca",
  "docstatus": 0,
  "idx": 0,
  "customer": "CUST-0001",
  "service_location": "SL-00017",
  "issue": "ISS-2026-00311",
  "job_type": "Repair",
  "priority": "High",
  "status": "En Route",
  "technician": "TECH-007",
  "scheduled_start": "2026-03-03 13:00:00",
  "scheduled_end": "2026-03-03 15:00:00",
  "description": "No sync on the ONT since last night, LOS light red.",
  "custom_dispatch_zone": "Plateau",
  "_assign": "[\"dispatch@gigafibre.ca\"]",
  "doctype": "Dispatch Job",
  "tags": [
    {
      "name": "8f3c1a9d2e",
      "owner": "dispatch@gigafibre.ca",
      "creation": "2026-03-02 08:15:02.118204",
      "modified": "2026-03-03 14:40:51.907113",
      "modified_by": "tech.gagnon@gigafibre.ca",
      "docstatus": 0,
      "idx": 1,
      "tag": "fibre-splicing",
      "parent": "DJ-2026-00042",
      "parentfield": "tags",
      "parenttype": "Dispatch Job",
      "doctype": "Dispatch Job Tag"
    },
    {
      "name": "b71e04c6aa",
      "owner": "dispatch@gigafibre.ca",
      "creation": "2026-03-02 08:15:02.118204",
      "modified": "2026-03-03 14:40:51.907113",
      "modified_by": "tech.gagnon@gigafibre.ca",
      "docstatus": 0,
      "idx": 2,
      "tag": "residential",
      "parent": "DJ-2026-00042",
      "parentfield": "tags",
      "parenttype": "Dispatch Job",
      "doctype": "Dispatch Job Tag"
    }
  ],
  "equipment": [
    {
      "name": "4d09e5f7c1",
      "owner": "tech.gagnon@gigafibre.ca",
      "creation": "2026-03-03 14:40:51.907113",
      "modified": "2026-03-03 14:40:51.907113",
      "modified_by": "tech.gagnon@gigafibre.ca",
      "docstatus": 0,
      "idx": 1,
      "service_equipment": "SE-00093",
      "action": "Swapped",
      "notes": "Old ONT power supply burnt.",
      "parent": "DJ-2026-00042",
      "parentfield": "equipment",
      "parenttype": "Dispatch Job",
      "doctype": "Dispatch Job Equipment"
    }
  ]
}"#;

/// As the hub's service user sees it once the password was read through
/// `frappe.client.get_password` (a plain document read returns asterisks).
const SERVICE_EQUIPMENT: &str = r#"{
  "name": "SE-00093",
  "owner": "stock@gigafibre.ca",
  "creation": "2025-11-20 10:02:13.550318",
  "modified": "2026-03-03 14:41:07.219806",
  "modified_by": "tech.gagnon@gigafibre.ca",
  "docstatus": 0,
  "idx": 0,
  "service_location": "SL-00017",
  "customer": "CUST-0001",
  "equipment_type": "ONT Router",
  "brand": "TP-Link",
  "model": "XX230v",
  "serial_number": "2237054001234",
  "mac_address": "5C:E9:31:0A:1B:2C",
  "gpon_serial": "TPLG1A2B3C4D",
  "acs_device_id": "1C61B4-Device2-2237054001234",
  "firmware_version": "1.2.0 Build 20240318",
  "admin_username": "user",
  "admin_password": "Rx7!tQ-v9sLp",
  "installed_on": "2026-03-03",
  "status": "Installed",
  "doctype": "Service Equipment"
}"#;

const SALES_INVOICE: &str = r#"{
  "name": "ACC-SINV-2026-00118",
  "owner": "Administrator",
  "creation": "2026-03-01 00:05:11.302117",
  "modified": "2026-03-01 00:05:13.880420",
  "modified_by": "Administrator",
  "docstatus": 1,
  "idx": 0,
  "title": "Marie Tremblay",
  "naming_series": "ACC-SINV-.YYYY.-",
  "customer": "CUST-0001",
  "customer_name": "Marie Tremblay",
  "company": "Gigafibre Inc.",
  "posting_date": "2026-03-01",
  "posting_time": "0:05:11.302117",
  "due_date": "2026-03-15",
  "currency": "CAD",
  "conversion_rate": 1.0,
  "selling_price_list": "Standard Selling",
  "taxes_and_charges": "Quebec Tax - GF",
  "total_qty": 2.0,
  "total": 100.0,
  "net_total": 100.0,
  "total_taxes_and_charges": 14.98,
  "discount_amount": 0.0,
  "grand_total": 114.98,
  "rounding_adjustment": 0.02,
  "rounded_total": 115.0,
  "outstanding_amount": 115.0,
  "status": "Unpaid",
  "is_return": 0,
  "is_pos": 0,
  "update_stock": 0,
  "subscription": "ACC-SUB-2026-00017",
  "from_date": "2026-03-01",
  "to_date": "2026-03-31",
  "debit_to": "Debtors - GF",
  "doctype": "Sales Invoice",
  "items": [
    {
      "name": "q1w2e3r4t5",
      "owner": "Administrator",
      "creation": "2026-03-01 00:05:11.302117",
      "modified": "2026-03-01 00:05:13.880420",
      "modified_by": "Administrator",
      "docstatus": 1,
      "idx": 1,
      "item_code": "FIBRE-1000",
      "item_name": "Internet Fibre 1000/1000",
      "description": "Internet Fibre 1000/1000, March 2026",
      "qty": 1.0,
      "uom": "Nos",
      "price_list_rate": 95.0,
      "discount_percentage": 0.0,
      "rate": 95.0,
      "amount": 95.0,
      "net_amount": 95.0,
      "income_account": "Sales - GF",
      "cost_center": "Main - GF",
      "parent": "ACC-SINV-2026-00118",
      "parentfield": "items",
      "parenttype": "Sales Invoice",
      "doctype": "Sales Invoice Item"
    },
    {
      "name": "y6u7i8o9p0",
      "owner": "Administrator",
      "creation": "2026-03-01 00:05:11.302117",
      "modified": "2026-03-01 00:05:13.880420",
      "modified_by": "Administrator",
      "docstatus": 1,
      "idx": 2,
      "item_code": "ROUTER-RENTAL",
      "item_name": "Wi-Fi router rental",
      "qty": 1.0,
      "uom": "Nos",
      "rate": 5.0,
      "amount": 5.0,
      "net_amount": 5.0,
      "income_account": "Sales - GF",
      "cost_center": "Main - GF",
      "service_start_date": "2026-03-01",
      "parent": "ACC-SINV-2026-00118",
      "parentfield": "items",
      "parenttype": "Sales Invoice",
      "doctype": "Sales Invoice Item"
    }
  ],
  "taxes": [
    {
      "name": "a9s8d7f6g5",
      "docstatus": 1,
      "idx": 1,
      "charge_type": "On Net Total",
      "account_head": "GST - GF",
      "description": "GST 5%",
      "rate": 5.0,
      "tax_amount": 5.0,
      "total": 105.0,
      "included_in_print_rate": 0,
      "cost_center": "Main - GF",
      "parent": "ACC-SINV-2026-00118",
      "parentfield": "taxes",
      "parenttype": "Sales Invoice",
      "doctype": "Sales Taxes and Charges"
    },
    {
      "name": "h4j3k2l1z0",
      "docstatus": 1,
      "idx": 2,
      "charge_type": "On Net Total",
      "account_head": "QST - GF",
      "description": "QST 9.975%",
      "rate": 9.975,
      "tax_amount": 9.98,
      "total": 114.98,
      "included_in_print_rate": 0,
      "cost_center": "Main - GF",
      "parent": "ACC-SINV-2026-00118",
      "parentfield": "taxes",
      "parenttype": "Sales Invoice",
      "doctype": "Sales Taxes and Charges"
    }
  ]
}"#;

const SUBSCRIPTION: &str = r#"{
  "name": "ACC-SUB-2026-00017",
  "owner": "sales@gigafibre.ca",
  "creation": "2026-01-14 11:30:45.660912",
  "modified": "2026-03-01 00:05:13.990274",
  "modified_by": "Administrator",
  "docstatus": 0,
  "idx": 0,
  "party_type": "Customer",
  "party": "CUST-0001",
  "company": "Gigafibre Inc.",
  "status": "Active",
  "start_date": "2026-01-15",
  "current_invoice_start": "2026-03-01",
  "current_invoice_end": "2026-03-31",
  "days_until_due": 14,
  "generate_invoice_at": "Beginning of the current subscription period",
  "number_of_days": 0,
  "cancel_at_period_end": 0,
  "follow_calendar_months": 1,
  "generate_new_invoices_past_due_date": 1,
  "submit_invoice": 1,
  "sales_tax_template": "Quebec Tax - GF",
  "cost_center": "Main - GF",
  "service_location": "SL-00017",
  "plan_download_mbps": 1000,
  "plan_upload_mbps": 1000,
  "stripe_customer_id": "cus_QxY7aBcD3eFgH1",
  "apply_additional_discount": "",
  "doctype": "Subscription",
  "plans": [
    {
      "name": "m5n6b7v8c9",
      "owner": "sales@gigafibre.ca",
      "creation": "2026-01-14 11:30:45.660912",
      "modified": "2026-03-01 00:05:13.990274",
      "modified_by": "Administrator",
      "docstatus": 0,
      "idx": 1,
      "plan": "Fibre 1000",
      "qty": 1.0,
      "parent": "ACC-SUB-2026-00017",
      "parentfield": "plans",
      "parenttype": "Subscription",
      "doctype": "Subscription Plan Detail"
    }
  ]
}"#;

const CONTACT: &str = r#"{
  "name": "Marie Tremblay",
  "owner": "sales@gigafibre.ca",
  "creation": "2026-01-14 11:22:03.004215",
  "modified": "2026-02-02 09:48:30.771650",
  "modified_by": "sales@gigafibre.ca",
  "docstatus": 0,
  "idx": 0,
  "first_name": "Marie",
  "last_name": "Tremblay",
  "full_name": "Marie Tremblay",
  "email_id": "marie@example.com",
  "mobile_no": "+15145550123",
  "status": "Passive",
  "is_primary_contact": 1,
  "unsubscribed": 0,
  "is_billing_contact": 0,
  "sync_with_google_contacts": 0,
  "doctype": "Contact",
  "email_ids": [
    {
      "name": "e1e1e1e1e1",
      "owner": "sales@gigafibre.ca",
      "creation": "2026-01-14 11:22:03.004215",
      "modified": "2026-02-02 09:48:30.771650",
      "modified_by": "sales@gigafibre.ca",
      "docstatus": 0,
      "idx": 1,
      "email_id": "m.tremblay@work.example.com",
      "is_primary": 0,
      "parent": "Marie Tremblay",
      "parentfield": "email_ids",
      "parenttype": "Contact",
      "doctype": "Contact Email"
    },
    {
      "name": "e2e2e2e2e2",
      "owner": "sales@gigafibre.ca",
      "creation": "2026-02-02 09:48:30.771650",
      "modified": "2026-02-02 09:48:30.771650",
      "modified_by": "sales@gigafibre.ca",
      "docstatus": 0,
      "idx": 2,
      "email_id": "marie@example.com",
      "is_primary": 1,
      "parent": "Marie Tremblay",
      "parentfield": "email_ids",
      "parenttype": "Contact",
      "doctype": "Contact Email"
    }
  ],
  "phone_nos": [
    {
      "name": "p1p1p1p1p1",
      "owner": "sales@gigafibre.ca",
      "creation": "2026-01-14 11:22:03.004215",
      "modified": "2026-02-02 09:48:30.771650",
      "modified_by": "sales@gigafibre.ca",
      "docstatus": 0,
      "idx": 1,
      "phone": "+15145550123",
      "is_primary_phone": 0,
      "is_primary_mobile_no": 1,
      "parent": "Marie Tremblay",
      "parentfield": "phone_nos",
      "parenttype": "Contact",
      "doctype": "Contact Phone"
    }
  ],
  "links": [
    {
      "name": "l1l1l1l1l1",
      "owner": "sales@gigafibre.ca",
      "creation": "2026-01-14 11:22:03.004215",
      "modified": "2026-02-02 09:48:30.771650",
      "modified_by": "sales@gigafibre.ca",
      "docstatus": 0,
      "idx": 1,
      "link_doctype": "Customer",
      "link_name": "CUST-0001",
      "link_title": "Marie Tremblay",
      "parent": "Marie Tremblay",
      "parentfield": "links",
      "parenttype": "Contact",
      "doctype": "Dynamic Link"
    }
  ]
}"#;

/// Decodes a document, naming the failing JSON path.
fn decode<T: DeserializeOwned>(json: &str) -> Doc<T> {
    let de = &mut serde_json::Deserializer::from_str(json);
    serde_path_to_error::deserialize(de).unwrap_or_else(|err| panic!("decode failed: {err}"))
}

/// The `data` object of a `/api/resource` answer.
fn resource_data(envelope: &str) -> Value {
    let mut body: Value = serde_json::from_str(envelope).expect("valid JSON");
    body["data"].take()
}

/// Decodes `original` into `Doc<T>`, serialises it again and returns the result.
fn reserialize<T: Serialize + DeserializeOwned>(original: &Value) -> Value {
    let doc: Doc<T> = serde_json::from_value(original.clone()).expect("decodes");
    serde_json::to_value(&doc).expect("serialises")
}

fn assert_round_trips<T: Serialize + DeserializeOwned>(json: &str) {
    let original: Value = serde_json::from_str(json).expect("valid JSON");
    assert_eq!(reserialize::<T>(&original), original, "{json}");
}

/// Each known spelling decodes to a variant other than the catch-all and prints back the same.
fn assert_known<E>(values: &[&str], other: fn(String) -> E)
where
    E: for<'a> From<&'a str> + std::fmt::Display + PartialEq + std::fmt::Debug + DeserializeOwned,
{
    for wire in values {
        let value = E::from(wire);
        assert_ne!(value, other((*wire).to_owned()), "{wire}");
        assert_eq!(value.to_string(), *wire);
        assert_eq!(serde_json::from_value::<E>(json!(wire)).unwrap(), value);
    }
}

fn datetime(s: &str) -> FrappeDateTime {
    s.parse().expect("a Frappe datetime")
}

#[test]
fn user_sample_decodes_social_logins_into_typed_rows() {
    let data = resource_data(USER_SAMPLE);
    let user: Doc<User> = decode(&data.to_string());

    assert_eq!(user.name.as_str(), "jane@example.com");
    assert_eq!(user.fields.email.as_deref(), Some("jane@example.com"));
    assert!(user.fields.enabled);
    assert!(!user.fields.is_system_user());
    let login = user
        .fields
        .social_login("frappe")
        .expect("a frappe login row");
    assert_eq!(login.name, Some(DocName::new("322456ba0b")));
    assert_eq!(
        login.userid.as_deref(),
        Some("46142bcd53ea31937b65b87ab402b8a4360be61")
    );
    assert_eq!(login.extra["parentfield"], "social_logins");
    assert!(user.fields.social_login("authentik").is_none());
    assert_eq!(user.extra["doctype"], "User");

    insta::assert_debug_snapshot!(user);
}

#[test]
fn user_sample_round_trips_with_its_missing_checks_written_as_zero() {
    let original = resource_data(USER_SAMPLE);
    let mut expected = original.clone();
    // The trimmed sample has no `send_welcome_email`; a model always writes its Checks.
    expected["send_welcome_email"] = json!(0);
    assert_eq!(reserialize::<User>(&original), expected);
}

#[test]
fn dispatch_job_decodes_child_rows_and_keeps_unknown_keys() {
    let job: Doc<DispatchJob> = decode(DISPATCH_JOB);

    assert_eq!(job.name.as_str(), "DJ-2026-00042");
    assert_eq!(job.modified, Some(datetime("2026-03-03 14:40:51.907113")));
    assert_eq!(job.fields.status, Some(DispatchJobStatus::EnRoute));
    assert_eq!(job.fields.job_type, Some(DispatchJobType::Repair));
    assert_eq!(job.fields.priority, Some(DispatchJobPriority::High));
    assert_eq!(
        job.fields.scheduled_start,
        Some(datetime("2026-03-03 13:00:00"))
    );
    assert!(job.fields.is_open());
    assert_eq!(
        job.fields.tag_names().collect::<Vec<_>>(),
        ["fibre-splicing", "residential"]
    );

    let swap = &job.fields.equipment[0];
    assert_eq!(swap.name, Some(DocName::new("4d09e5f7c1")));
    assert_eq!(swap.service_equipment.as_deref(), Some("SE-00093"));
    assert_eq!(swap.action, Some(EquipmentAction::Swapped));
    assert_eq!(swap.extra["parent"], "DJ-2026-00042");
    assert_eq!(swap.extra["parenttype"], "Dispatch Job");
    assert_eq!(swap.extra["idx"], 1);
    assert_eq!(swap.extra["doctype"], "Dispatch Job Equipment");

    // Unknown top-level keys land in `Doc::extra`, not in the model.
    assert_eq!(job.extra["custom_dispatch_zone"], "Plateau");
    assert_eq!(job.extra["_assign"], "[\"dispatch@gigafibre.ca\"]");
    assert_eq!(job.extra["doctype"], "Dispatch Job");
    assert!(!job.extra.contains_key("tags"));
    assert!(!job.extra.contains_key("status"));

    insta::assert_debug_snapshot!(job);
}

#[test]
fn unknown_select_values_decode_to_other_and_serialise_back_unchanged() {
    let mut original: Value = serde_json::from_str(DISPATCH_JOB).unwrap();
    original["status"] = json!("Awaiting Parts");
    original["equipment"][0]["action"] = json!("Loaned");

    let job: Doc<DispatchJob> = serde_json::from_value(original.clone()).unwrap();
    assert_eq!(
        job.fields.status,
        Some(DispatchJobStatus::Other("Awaiting Parts".to_owned()))
    );
    assert_eq!(
        job.fields.equipment[0].action,
        Some(EquipmentAction::Other("Loaned".to_owned()))
    );
    // Not a known final status, so still open.
    assert!(job.fields.is_open());
    assert_eq!(serde_json::to_value(&job).unwrap(), original);
}

#[test]
fn string_enums_use_the_exact_frappe_spelling() {
    let cases = [
        (serde_json::to_value(DispatchJobStatus::EnRoute), "En Route"),
        (serde_json::to_value(DispatchJobStatus::OnSite), "On Site"),
        (
            serde_json::to_value(SubscriptionStatus::PastDueDate),
            "Past Due Date",
        ),
        (
            serde_json::to_value(SubscriptionStatus::GracePeriod),
            "Grace Period",
        ),
        (
            serde_json::to_value(EquipmentType::SetTopBox),
            "Set-top Box",
        ),
        (serde_json::to_value(EquipmentType::OntRouter), "ONT Router"),
        (serde_json::to_value(EquipmentStatus::InStock), "In Stock"),
        (serde_json::to_value(IssueStatus::OnHold), "On Hold"),
        (serde_json::to_value(IssueStatus::Hold), "Hold"),
        (
            serde_json::to_value(SalesInvoiceStatus::CreditNoteIssued),
            "Credit Note Issued",
        ),
        (
            serde_json::to_value(PaymentType::InternalTransfer),
            "Internal Transfer",
        ),
        (
            serde_json::to_value(ServiceLocationStatus::Disconnected),
            "Disconnected",
        ),
    ];
    for (value, wire) in cases {
        assert_eq!(value.unwrap(), json!(wire));
    }

    // Every known spelling maps to its own variant and back.
    assert_known(DispatchJobStatus::VALUES, DispatchJobStatus::Other);
    assert_known(SubscriptionStatus::VALUES, SubscriptionStatus::Other);
    assert_known(SalesInvoiceStatus::VALUES, SalesInvoiceStatus::Other);
    assert_known(EquipmentType::VALUES, EquipmentType::Other);
    assert_known(IssueStatus::VALUES, IssueStatus::Other);
    assert_eq!(
        "Trialing".parse::<SubscriptionStatus>(),
        Ok(SubscriptionStatus::Trialing)
    );
    assert!(SubscriptionStatus::Trialling.is_trial());

    // Frappe's own "Other" option is the catch-all.
    let other: EquipmentType = serde_json::from_value(json!("Other")).unwrap();
    assert_eq!(other, EquipmentType::Other("Other".to_owned()));
    assert_eq!(serde_json::to_value(&other).unwrap(), json!("Other"));
    assert_eq!(
        TagCategory::from("Other"),
        TagCategory::Other("Other".to_owned())
    );
    // Matching is exact: Frappe stores the spelling it was given.
    assert_eq!(
        DispatchJobStatus::from("en route"),
        DispatchJobStatus::Other("en route".to_owned())
    );
}

#[test]
fn service_equipment_debug_output_never_shows_the_admin_password() {
    let equipment: Doc<ServiceEquipment> = decode(SERVICE_EQUIPMENT);

    let password = equipment
        .fields
        .admin_password
        .as_ref()
        .expect("a password");
    assert_eq!(password.expose_secret(), "Rx7!tQ-v9sLp");
    let debug = format!("{equipment:?}");
    assert!(!debug.contains("Rx7!tQ-v9sLp"), "{debug}");
    let pretty = format!("{equipment:#?}");
    assert!(!pretty.contains("Rx7!tQ-v9sLp"), "{pretty}");

    assert_eq!(
        equipment.fields.equipment_type,
        Some(EquipmentType::OntRouter)
    );
    assert_eq!(equipment.fields.status, Some(EquipmentStatus::Installed));
    assert_eq!(
        equipment.fields.installed_on,
        NaiveDate::from_ymd_opt(2026, 3, 3)
    );
    // Serialising exposes it: a model sent to Frappe must carry the real value.
    assert_round_trips::<ServiceEquipment>(SERVICE_EQUIPMENT);

    insta::assert_debug_snapshot!(equipment);
}

#[test]
fn equipment_lookup_keys_and_mac_normalisation() {
    assert_eq!(
        ServiceEquipment::LOOKUP_KEYS,
        ["serial_number", "mac_address", "gpon_serial"]
    );
    for input in [
        "5ce9310a1b2c",
        "5C-E9-31-0A-1B-2C",
        "5ce9.310a.1b2c",
        "5C:E9:31:0A:1B:2C",
    ] {
        assert_eq!(
            ServiceEquipment::normalize_mac(input).as_deref(),
            Some("5C:E9:31:0A:1B:2C"),
            "{input}"
        );
    }
    assert_eq!(ServiceEquipment::normalize_mac("5C:E9:31:0A:1B"), None);
    assert_eq!(ServiceEquipment::normalize_mac("5C:E9:31:0A:1B:2G"), None);
}

#[test]
fn passwords_compare_by_value_in_partial_eq() {
    let a: Doc<ServiceEquipment> = decode(SERVICE_EQUIPMENT);
    let mut b = a.clone();
    assert_eq!(a, b);
    b.fields.admin_password = Some("something-else".into());
    assert_ne!(a, b);
    b.fields.admin_password = None;
    assert_ne!(a, b);
}

#[test]
fn submitted_sales_invoice_decodes_items_and_taxes() {
    let invoice: Doc<SalesInvoice> = decode(SALES_INVOICE);

    assert_eq!(invoice.docstatus, DocStatus::Submitted);
    let fields = &invoice.fields;
    assert_eq!(fields.status, Some(SalesInvoiceStatus::Unpaid));
    assert_eq!(fields.posting_date, NaiveDate::from_ymd_opt(2026, 3, 1));
    assert_eq!(fields.posting_time.as_deref(), Some("0:05:11.302117"));
    assert_eq!(fields.grand_total, Some(114.98));
    assert_eq!(fields.rounded_total, Some(115.0));
    assert!(!fields.is_return);
    assert_eq!(fields.subscription.as_deref(), Some("ACC-SUB-2026-00017"));

    assert_eq!(fields.items.len(), 2);
    assert_eq!(fields.items[0].item_code.as_deref(), Some("FIBRE-1000"));
    assert_eq!(fields.items[0].qty, Some(1.0));
    assert_eq!(fields.items[0].amount, Some(95.0));
    assert_eq!(fields.items[1].extra["service_start_date"], "2026-03-01");
    assert_eq!(fields.taxes[1].rate, Some(9.975));
    assert_eq!(fields.taxes[1].account_head.as_deref(), Some("QST - GF"));

    assert_eq!(invoice.extra["naming_series"], "ACC-SINV-.YYYY.-");
    assert_eq!(invoice.extra["update_stock"], 0);
}

#[test]
fn subscription_decodes_plans_and_gigafibre_custom_fields() {
    let sub: Doc<Subscription> = decode(SUBSCRIPTION);

    let fields = &sub.fields;
    assert_eq!(fields.status, Some(SubscriptionStatus::Active));
    assert_eq!(fields.party.as_deref(), Some("CUST-0001"));
    assert_eq!(fields.service_location.as_deref(), Some("SL-00017"));
    assert_eq!(fields.plan_download_mbps, Some(1000));
    assert_eq!(fields.plan_upload_mbps, Some(1000));
    assert_eq!(
        fields.stripe_customer_id.as_deref(),
        Some("cus_QxY7aBcD3eFgH1")
    );
    assert_eq!(fields.days_until_due, Some(14));
    assert_eq!(
        fields.current_invoice_end,
        NaiveDate::from_ymd_opt(2026, 3, 31)
    );
    assert!(fields.follow_calendar_months);
    assert!(fields.submit_invoice);
    assert!(!fields.cancel_at_period_end);
    assert_eq!(fields.end_date, None);

    assert_eq!(fields.plans.len(), 1);
    assert_eq!(fields.plans[0].plan.as_deref(), Some("Fibre 1000"));
    assert_eq!(fields.plans[0].qty, Some(1.0));
    assert_eq!(fields.plans[0].extra["parentfield"], "plans");

    assert_eq!(sub.extra["apply_additional_discount"], "");
}

#[test]
fn contact_primary_email_and_links_come_from_child_tables() {
    let contact: Doc<Contact> = decode(CONTACT);

    let fields = &contact.fields;
    assert_eq!(fields.primary_email(), Some("marie@example.com"));
    assert_eq!(fields.primary_mobile(), Some("+15145550123"));
    assert!(fields.is_primary_contact);
    assert!(fields.links_to("Customer", "CUST-0001"));
    assert!(!fields.links_to("Customer", "CUST-0002"));
    assert_eq!(fields.email_ids[0].name, Some(DocName::new("e1e1e1e1e1")));
    assert!(!fields.email_ids[0].is_primary);
    assert_eq!(
        fields.links[0].link_title.as_deref(),
        Some("Marie Tremblay")
    );
    assert_eq!(contact.extra["is_billing_contact"], 0);
}

#[test]
fn every_fixture_round_trips_to_an_equal_json_object() {
    assert_round_trips::<DispatchJob>(DISPATCH_JOB);
    assert_round_trips::<ServiceEquipment>(SERVICE_EQUIPMENT);
    assert_round_trips::<SalesInvoice>(SALES_INVOICE);
    assert_round_trips::<Subscription>(SUBSCRIPTION);
    assert_round_trips::<Contact>(CONTACT);
}

#[test]
fn a_list_row_with_few_fields_and_nulls_decodes_with_the_rest_empty() {
    // A list query that asked for two fields, answered by a plain dict (nulls kept).
    let row: Doc<DispatchJob> =
        decode(r#"{"name": "DJ-2026-00042", "status": "Open", "technician": null}"#);
    assert_eq!(row.fields.status, Some(DispatchJobStatus::Open));
    assert_eq!(row.fields.technician, None);
    assert!(row.fields.tags.is_empty());
    assert_eq!(row.docstatus, DocStatus::Draft);
    assert!(row.extra.is_empty());

    let customer: Doc<Customer> = decode(r#"{"name": "CUST-0001", "disabled": null}"#);
    assert!(!customer.fields.disabled);
    assert_eq!(customer.fields, Customer::default());
}

#[test]
fn new_child_rows_serialise_without_a_name_so_frappe_adds_them() {
    let mut job: Doc<DispatchJob> = decode(DISPATCH_JOB);
    job.fields.tags.push(DispatchJobTag::new("business"));
    job.fields.equipment.push(DispatchJobEquipment {
        service_equipment: Some("SE-00101".to_owned()),
        action: Some(EquipmentAction::Installed),
        ..DispatchJobEquipment::default()
    });

    let body = serde_json::to_value(&job.fields).unwrap();
    assert_eq!(body["tags"][0]["name"], "8f3c1a9d2e");
    assert_eq!(body["tags"][2], json!({"tag": "business"}));
    assert_eq!(
        body["equipment"][1],
        json!({"service_equipment": "SE-00101", "action": "Installed"})
    );
    assert_eq!(
        serde_json::to_value(DynamicLink::new("Customer", "CUST-0001")).unwrap(),
        json!({"link_doctype": "Customer", "link_name": "CUST-0001"})
    );
}

#[test]
fn doctype_names_are_spelled_as_in_frappe() {
    assert_eq!(DispatchJob::DOCTYPE, "Dispatch Job");
    assert_eq!(DispatchJobEquipment::DOCTYPE, "Dispatch Job Equipment");
    assert_eq!(ServiceEquipment::DOCTYPE, "Service Equipment");
    assert_eq!(SalesInvoice::DOCTYPE, "Sales Invoice");
    assert_eq!(DynamicLink::DOCTYPE, "Dynamic Link");
    assert_eq!(User::DOCTYPE, "User");
    assert_eq!(Subscription::DOCTYPE, "Subscription");
}

// ---------------------------------------------------------------------------------------------
// Field names against the real ERPNext / Frappe 15 doctypes

/// The field names of the real doctype (its doctype JSON on the version-15 branch; see
/// `resources/doctype-fields/SOURCE.txt`).
fn real_fieldnames(file: &str) -> Vec<String> {
    let path = format!(
        "{}/tests/resources/doctype-fields/{file}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    v["fieldnames"]
        .as_array()
        .unwrap_or_else(|| panic!("{path}: no fieldnames"))
        .iter()
        .map(|f| f.as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Every key a top-level model's `Deserialize` reads, tables included, as serde's derive hands
/// them to `deserialize_struct`.
fn model_keys<T: DeserializeOwned>() -> Vec<&'static str> {
    use serde::de::{self, Deserializer, Visitor};
    #[derive(Debug)]
    struct Found(Option<&'static [&'static str]>);
    impl std::fmt::Display for Found {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("probe")
        }
    }
    impl std::error::Error for Found {}
    impl de::Error for Found {
        fn custom<M: std::fmt::Display>(_: M) -> Self {
            Found(None)
        }
    }
    struct Probe;
    impl<'de> Deserializer<'de> for Probe {
        type Error = Found;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Found> {
            Err(Found(None))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Found> {
            Err(Found(Some(fields)))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
            option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
            ignored_any
        }
    }
    match T::deserialize(Probe) {
        Err(Found(Some(fields))) => fields.to_vec(),
        _ => panic!("{} is not a plain struct", std::any::type_name::<T>()),
    }
}

fn assert_model_matches_real<T: DocType>(file: &str) {
    let real = real_fieldnames(file);
    let keys = model_keys::<T>();
    let unknown: Vec<&str> = keys
        .iter()
        .copied()
        .filter(|k| !real.iter().any(|r| r == k))
        .collect();
    assert!(
        unknown.is_empty(),
        "{} names fields the real {} doctype does not have: {unknown:?}",
        std::any::type_name::<T>(),
        T::DOCTYPE
    );
    // And what a typed list query requests is those columns plus the standard ones.
    let requested = frappe_client::models::fields_for::<T>().expect("a plain struct");
    for f in &requested[frappe_client::models::STANDARD_FIELDS.len()..] {
        assert!(real.iter().any(|r| r == f), "{}: {f}", T::DOCTYPE);
    }
}

#[test]
fn every_standard_model_names_only_fields_of_the_real_erpnext_15_doctype() {
    use frappe_client::erpnext::{Address, Communication, Issue, PaymentEntry};
    assert_model_matches_real::<Customer>("customer");
    assert_model_matches_real::<Contact>("contact");
    assert_model_matches_real::<Address>("address");
    assert_model_matches_real::<User>("user");
    assert_model_matches_real::<Communication>("communication");
    assert_model_matches_real::<Issue>("issue");
    assert_model_matches_real::<SalesInvoice>("sales_invoice");
    assert_model_matches_real::<PaymentEntry>("payment_entry");
}

#[test]
fn the_issue_model_uses_erpnext_15_sla_names() {
    use frappe_client::erpnext::Issue;
    // Also held against the field list a real ERPNext 15.84 answered (issue-fieldnames.json).
    let captured: Value =
        serde_json::from_str(include_str!("resources/real-15.86/issue-fieldnames.json")).unwrap();
    let real: Vec<&str> = captured["fieldnames"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let keys = model_keys::<Issue>();
    for k in &keys {
        assert!(real.contains(k), "Issue.{k} is not an ERPNext 15 field");
    }
    assert!(keys.contains(&"sla_resolution_by") && keys.contains(&"sla_resolution_date"));
    assert!(!keys.contains(&"resolution_by") && !keys.contains(&"resolution_date"));
}
