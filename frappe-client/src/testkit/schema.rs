//! The doctypes the fake server knows: naming rules, mandatory / link / table / password fields.
//!
//! Custom doctypes follow `shared/contracts/erpnext-custom/DOCTYPES.md`; standard ones carry the
//! fields of API.md §11 (a subset of the real DocType JSON). Doctypes not listed here exist once a
//! document has been seeded into them and are then schemaless.

use serde_json::{Map, Value, json};

/// How a doctype names new documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Naming {
    /// A naming series such as `DJ-.YYYY.-.#####`.
    Series(&'static str),
    /// `field:fieldname`; an existing name is a `DuplicateEntryError`.
    Field(&'static str),
    /// ERPNext's Customer naming by customer name, de-duplicated as `Name - 1`.
    CustomerName,
    /// Frappe's Contact autoname: `{full name}-{first link_name}`, de-duplicated with `-1`.
    ContactName,
    /// Frappe's Address autoname: `{address_title}-{address_type}`, then `-1`, `-2`...
    AddressName,
    /// A random 10-character hash.
    Hash,
    /// The name the client sends (a hash when none).
    Prompt,
}

/// One field of a doctype.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Df {
    pub(crate) fieldname: &'static str,
    pub(crate) fieldtype: &'static str,
    pub(crate) options: &'static str,
    pub(crate) reqd: bool,
    pub(crate) unique: bool,
}

impl Df {
    const fn new(fieldname: &'static str, fieldtype: &'static str, options: &'static str) -> Self {
        Self {
            fieldname,
            fieldtype,
            options,
            reqd: false,
            unique: false,
        }
    }

    const fn reqd(self) -> Self {
        Self { reqd: true, ..self }
    }

    const fn unique(self) -> Self {
        Self {
            unique: true,
            ..self
        }
    }

    /// A child table (`Table` or `Table MultiSelect`).
    pub(crate) fn is_table(&self) -> bool {
        matches!(self.fieldtype, "Table" | "Table MultiSelect")
    }

    /// The field's label: its name in title case ("service_location" → "Service Location").
    pub(crate) fn label(&self) -> String {
        label_of(self.fieldname)
    }
}

/// "service_location" → "Service Location".
pub(crate) fn label_of(fieldname: &str) -> String {
    fieldname
        .split('_')
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(first) => first.to_uppercase().chain(c).collect::<String>(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

const fn data(f: &'static str) -> Df {
    Df::new(f, "Data", "")
}
const fn link(f: &'static str, to: &'static str) -> Df {
    Df::new(f, "Link", to)
}
const fn dynlink(f: &'static str, type_field: &'static str) -> Df {
    Df::new(f, "Dynamic Link", type_field)
}
const fn select(f: &'static str, options: &'static str) -> Df {
    Df::new(f, "Select", options)
}
const fn int(f: &'static str) -> Df {
    Df::new(f, "Int", "")
}
const fn float(f: &'static str) -> Df {
    Df::new(f, "Float", "")
}
const fn currency(f: &'static str) -> Df {
    Df::new(f, "Currency", "")
}
const fn check(f: &'static str) -> Df {
    Df::new(f, "Check", "")
}
const fn date(f: &'static str) -> Df {
    Df::new(f, "Date", "")
}
const fn datetime(f: &'static str) -> Df {
    Df::new(f, "Datetime", "")
}
const fn text(f: &'static str) -> Df {
    Df::new(f, "Text", "")
}
const fn password(f: &'static str) -> Df {
    Df::new(f, "Password", "")
}
const fn table(f: &'static str, child: &'static str) -> Df {
    Df::new(f, "Table", child)
}
const fn multi(f: &'static str, child: &'static str) -> Df {
    Df::new(f, "Table MultiSelect", child)
}

/// A doctype's metadata.
#[derive(Debug)]
pub(crate) struct Meta {
    pub(crate) name: &'static str,
    pub(crate) module: &'static str,
    pub(crate) naming: Naming,
    pub(crate) submittable: bool,
    pub(crate) istable: bool,
    /// A Single doctype: one document, named like the doctype, stored in `tabSingles`.
    pub(crate) issingle: bool,
    pub(crate) fields: &'static [Df],
}

impl Meta {
    /// A field by name.
    pub(crate) fn field(&self, fieldname: &str) -> Option<&'static Df> {
        self.fields.iter().find(|f| f.fieldname == fieldname)
    }

    /// Whether `column` is a column of this doctype that a query may name: a field modelled
    /// here (not a table), or one of the real doctype's fields (ERPNext / Frappe 15's doctype
    /// JSON, kept in `tests/resources/doctype-fields/`).
    pub(crate) fn has_column(&self, column: &str) -> bool {
        self.field(column).is_some_and(|f| !f.is_table())
            || real_fields(self.name).is_some_and(|fields| {
                fields.iter().any(|f| f == column) && self.table_doctype(column).is_none()
            })
    }

    /// The child doctype of a table field.
    pub(crate) fn table_doctype(&self, fieldname: &str) -> Option<&'static str> {
        self.field(fieldname)
            .filter(|f| f.is_table())
            .map(|f| f.options)
    }

    /// `/api/v2/doctype/{dt}/meta`: a trimmed DocType document.
    pub(crate) fn to_json(&self) -> Value {
        let fields: Vec<Value> = self
            .fields
            .iter()
            .enumerate()
            .map(|(i, f)| {
                json!({
                    "fieldname": f.fieldname,
                    "fieldtype": f.fieldtype,
                    "label": f.label(),
                    "options": f.options,
                    "reqd": i32::from(f.reqd),
                    "unique": i32::from(f.unique),
                    "idx": i + 1,
                    "parent": self.name,
                    "parentfield": "fields",
                    "parenttype": "DocType",
                    "doctype": "DocField",
                })
            })
            .collect();
        let autoname = match self.naming {
            Naming::Series(s) => s.to_owned(),
            Naming::Field(f) => format!("field:{f}"),
            Naming::Hash => "hash".to_owned(),
            Naming::Prompt => "Prompt".to_owned(),
            Naming::CustomerName => "naming_series:".to_owned(),
            Naming::ContactName | Naming::AddressName => String::new(),
        };
        let mut m = Map::new();
        m.insert("name".to_owned(), json!(self.name));
        m.insert("module".to_owned(), json!(self.module));
        m.insert("autoname".to_owned(), json!(autoname));
        m.insert(
            "is_submittable".to_owned(),
            json!(i32::from(self.submittable)),
        );
        m.insert("istable".to_owned(), json!(i32::from(self.istable)));
        m.insert("issingle".to_owned(), json!(i32::from(self.issingle)));
        m.insert(
            "custom".to_owned(),
            json!(i32::from(self.module == "Gigafibre")),
        );
        m.insert("fields".to_owned(), Value::Array(fields));
        m.insert("doctype".to_owned(), json!("DocType"));
        Value::Object(m)
    }
}

const fn parent(
    name: &'static str,
    module: &'static str,
    naming: Naming,
    fields: &'static [Df],
) -> Meta {
    Meta {
        name,
        module,
        naming,
        submittable: false,
        istable: false,
        issingle: false,
        fields,
    }
}

const fn single(name: &'static str, module: &'static str, fields: &'static [Df]) -> Meta {
    Meta {
        name,
        module,
        naming: Naming::Prompt,
        submittable: false,
        istable: false,
        issingle: true,
        fields,
    }
}

const fn submittable(
    name: &'static str,
    module: &'static str,
    naming: Naming,
    fields: &'static [Df],
) -> Meta {
    Meta {
        name,
        module,
        naming,
        submittable: true,
        istable: false,
        issingle: false,
        fields,
    }
}

const fn child(name: &'static str, module: &'static str, fields: &'static [Df]) -> Meta {
    Meta {
        name,
        module,
        naming: Naming::Hash,
        submittable: false,
        istable: true,
        issingle: false,
        fields,
    }
}

static DOCTYPES: &[Meta] = &[
    parent(
        "Customer",
        "Selling",
        Naming::CustomerName,
        &[
            data("customer_name").reqd(),
            select("customer_type", "Company\nIndividual\nPartnership"),
            link("customer_group", "Customer Group"),
            link("territory", "Territory"),
            data("mobile_no"),
            data("email_id"),
            link("customer_primary_contact", "Contact"),
            link("customer_primary_address", "Address"),
            check("disabled"),
            link("default_currency", "Currency"),
            link("language", "Language"),
            data("tax_id"),
            text("customer_details"),
            Df::new("image", "Attach Image", ""),
        ],
    ),
    parent(
        "Contact",
        "Contacts",
        Naming::ContactName,
        &[
            data("first_name"),
            data("middle_name"),
            data("last_name"),
            data("full_name"),
            data("email_id"),
            data("phone"),
            data("mobile_no"),
            link("user", "User"),
            select("status", "Passive\nOpen\nReplied"),
            check("is_primary_contact"),
            data("company_name"),
            data("designation"),
            link("address", "Address"),
            table("email_ids", "Contact Email"),
            table("phone_nos", "Contact Phone"),
            table("links", "Dynamic Link"),
        ],
    ),
    parent(
        "Address",
        "Contacts",
        Naming::AddressName,
        &[
            data("address_title"),
            select(
                "address_type",
                "Billing\nShipping\nOffice\nPersonal\nPlant\nCurrent\nPermanent\nOther",
            )
            .reqd(),
            data("address_line1").reqd(),
            data("address_line2"),
            data("city").reqd(),
            data("county"),
            data("state"),
            data("pincode"),
            link("country", "Country").reqd(),
            data("email_id"),
            data("phone"),
            check("is_primary_address"),
            check("is_shipping_address"),
            check("disabled"),
            table("links", "Dynamic Link"),
        ],
    ),
    parent(
        "User",
        "Core",
        Naming::Field("email"),
        &[
            data("email").reqd(),
            data("first_name").reqd(),
            data("middle_name"),
            data("last_name"),
            data("full_name"),
            data("username"),
            data("mobile_no"),
            data("phone"),
            link("language", "Language"),
            select("time_zone", ""),
            check("enabled"),
            select("user_type", "System User\nWebsite User"),
            table("roles", "Has Role"),
            table("social_logins", "User Social Login"),
            data("api_key"),
            password("api_secret"),
            password("new_password"),
            check("send_welcome_email"),
            Df::new("user_image", "Attach Image", ""),
        ],
    ),
    parent(
        "Communication",
        "Core",
        Naming::Hash,
        &[
            data("subject").reqd(),
            Df::new("content", "Text Editor", ""),
            select(
                "communication_type",
                "Communication\nComment\nChat\nNotification\nFeedback\nAutomated Message",
            ),
            select(
                "communication_medium",
                "\nEmail\nChat\nPhone\nSMS\nEvent\nMeeting\nVisit\nOther",
            ),
            select("sent_or_received", "Sent\nReceived"),
            select("status", "Open\nReplied\nClosed\nLinked"),
            data("sender"),
            data("sender_full_name"),
            Df::new("recipients", "Code", ""),
            Df::new("cc", "Code", ""),
            data("phone_no"),
            datetime("communication_date"),
            link("reference_doctype", "DocType"),
            dynlink("reference_name", "reference_doctype"),
            table("timeline_links", "Communication Link"),
            select("delivery_status", ""),
            link("user", "User"),
            check("read_by_recipient"),
            check("seen"),
        ],
    ),
    parent(
        "Issue",
        "Support",
        Naming::Series("ISS-.YYYY.-.#####"),
        &[
            data("subject").reqd(),
            select("status", "Open\nReplied\nOn Hold\nResolved\nClosed"),
            link("priority", "Issue Priority"),
            link("issue_type", "Issue Type"),
            link("customer", "Customer"),
            data("customer_name"),
            data("raised_by"),
            link("contact", "Contact"),
            Df::new("description", "Text Editor", ""),
            date("opening_date"),
            Df::new("opening_time", "Time", ""),
            Df::new("resolution_details", "Text Editor", ""),
            datetime("sla_resolution_date"),
            link("service_level_agreement", "Service Level Agreement"),
            datetime("first_responded_on"),
            link("company", "Company"),
        ],
    ),
    parent(
        "Subscription",
        "Accounts",
        Naming::Series("ACC-SUB-.YYYY.-.#####"),
        &[
            link("party_type", "DocType").reqd(),
            dynlink("party", "party_type").reqd(),
            select(
                "status",
                "\nTrialling\nActive\nPast Due Date\nCancelled\nUnpaid\nCompleted",
            ),
            date("start_date"),
            date("end_date"),
            date("trial_period_start"),
            date("trial_period_end"),
            check("follow_calendar_months"),
            date("current_invoice_start"),
            date("current_invoice_end"),
            int("days_until_due"),
            check("cancel_at_period_end"),
            check("generate_invoice_at_period_start"),
            table("plans", "Subscription Plan Detail"),
            link("company", "Company"),
            link("service_location", "Service Location"),
            int("plan_download_mbps"),
            int("plan_upload_mbps"),
            data("stripe_customer_id"),
        ],
    ),
    submittable(
        "Sales Invoice",
        "Accounts",
        Naming::Series("ACC-SINV-.YYYY.-.#####"),
        &[
            link("customer", "Customer").reqd(),
            data("customer_name"),
            date("posting_date"),
            date("due_date"),
            link("currency", "Currency"),
            table("items", "Sales Invoice Item"),
            table("taxes", "Sales Taxes and Charges"),
            currency("total"),
            currency("net_total"),
            currency("total_taxes_and_charges"),
            currency("grand_total"),
            currency("rounded_total"),
            currency("outstanding_amount"),
            select(
                "status",
                "\nDraft\nReturn\nCredit Note Issued\nSubmitted\nPaid\nPartly Paid\nUnpaid\nOverdue\nCancelled",
            ),
            check("is_return"),
            link("return_against", "Sales Invoice"),
            link("subscription", "Subscription"),
            link("company", "Company"),
        ],
    ),
    submittable(
        "Payment Entry",
        "Accounts",
        Naming::Series("ACC-PAY-.YYYY.-.#####"),
        &[
            select("payment_type", "Receive\nPay\nInternal Transfer").reqd(),
            link("party_type", "DocType"),
            dynlink("party", "party_type"),
            data("party_name"),
            date("posting_date"),
            currency("paid_amount"),
            currency("received_amount"),
            link("paid_from", "Account"),
            link("paid_to", "Account"),
            link("mode_of_payment", "Mode of Payment"),
            data("reference_no"),
            date("reference_date"),
            table("references", "Payment Entry Reference"),
            select("status", "Draft\nSubmitted\nCancelled"),
            link("company", "Company"),
        ],
    ),
    parent(
        "Service Location",
        "Gigafibre",
        Naming::Series("SL-.#####"),
        &[
            link("customer", "Customer").reqd(),
            data("address_line1"),
            data("address_line2"),
            data("city"),
            data("province"),
            data("postal_code"),
            float("latitude"),
            float("longitude"),
            data("olt"),
            data("pon_port"),
            int("onu_id"),
            select("status", "Pending\nActive\nSuspended\nDisconnected"),
            Df::new("access_notes", "Small Text", ""),
        ],
    ),
    parent(
        "Service Equipment",
        "Gigafibre",
        Naming::Series("SE-.#####"),
        &[
            link("service_location", "Service Location").reqd(),
            link("customer", "Customer"),
            select(
                "equipment_type",
                "ONT Router\nMesh Node\nSet-top Box\nPhone Adapter\nOther",
            ),
            data("brand"),
            data("model"),
            data("serial_number").unique(),
            data("mac_address").unique(),
            data("gpon_serial"),
            data("acs_device_id"),
            data("firmware_version"),
            data("admin_username"),
            password("admin_password"),
            date("installed_on"),
            select("status", "In Stock\nInstalled\nFaulty\nReturned"),
        ],
    ),
    parent(
        "Technician",
        "Gigafibre",
        Naming::Series("TECH-.###"),
        &[
            data("full_name"),
            link("user", "User"),
            data("mobile_no"),
            int("traccar_device_id"),
            multi("skills", "Technician Skill"),
            check("active"),
            float("home_latitude"),
            float("home_longitude"),
        ],
    ),
    parent(
        "Tag",
        "Gigafibre",
        Naming::Field("tag_name"),
        &[
            data("tag_name").reqd(),
            select("category", "Skill\nArea\nPriority\nOther"),
            Df::new("color", "Color", ""),
        ],
    ),
    parent(
        "Dispatch Job",
        "Gigafibre",
        Naming::Series("DJ-.YYYY.-.#####"),
        &[
            link("customer", "Customer").reqd(),
            link("service_location", "Service Location").reqd(),
            link("issue", "Issue"),
            select("job_type", "Installation\nRepair\nUpgrade\nRemoval\nSurvey"),
            select("priority", "Low\nNormal\nHigh\nUrgent"),
            select(
                "status",
                "Open\nScheduled\nEn Route\nOn Site\nCompleted\nCancelled",
            ),
            link("technician", "Technician"),
            datetime("scheduled_start"),
            datetime("scheduled_end"),
            text("description"),
            multi("tags", "Dispatch Job Tag"),
            text("resolution_notes"),
            datetime("completed_at"),
            table("equipment", "Dispatch Job Equipment"),
        ],
    ),
    // A Single: its document is read and written at `/api/resource/System Settings/System
    // Settings`; the seed copies a real Frappe 15 site's answer (string `idx`, Int settings as
    // text). Only the fields seeded there are columns.
    single(
        "System Settings",
        "Core",
        &[
            data("country"),
            data("language"),
            data("time_zone"),
            data("currency"),
            check("enable_onboarding"),
            check("setup_complete"),
            data("date_format"),
            data("time_format"),
            data("number_format"),
            select("float_precision", "\n2\n3\n4\n5\n6\n7\n8\n9"),
            select("currency_precision", "\n0\n1\n2\n3\n4\n5\n6\n7\n8\n9"),
            data("session_expiry"),
            select("minimum_password_score", "1\n2\n3\n4"),
            int("allow_consecutive_login_attempts"),
            int("allow_login_after_fail"),
            check("enable_scheduler"),
            check("allow_error_traceback"),
            int("max_report_rows"),
        ],
    ),
    parent(
        "File",
        "Core",
        Naming::Hash,
        &[
            data("file_name"),
            Df::new("file_url", "Code", ""),
            check("is_private"),
            int("file_size"),
            data("content_hash"),
            link("folder", "File"),
            check("is_folder"),
            link("attached_to_doctype", "DocType"),
            data("attached_to_name"),
            data("attached_to_field"),
            data("file_type"),
        ],
    ),
    parent(
        "Item",
        "Stock",
        Naming::Field("item_code"),
        &[
            data("item_code").reqd(),
            data("item_name"),
            link("item_group", "Item Group"),
            link("stock_uom", "UOM"),
            check("is_stock_item"),
            text("description"),
            currency("standard_rate"),
        ],
    ),
    parent(
        "ToDo",
        "Desk",
        Naming::Hash,
        &[
            select("status", "Open\nClosed\nCancelled"),
            select("priority", "High\nMedium\nLow"),
            date("date"),
            link("allocated_to", "User"),
            Df::new("description", "Text Editor", "").reqd(),
            link("reference_type", "DocType"),
            dynlink("reference_name", "reference_type"),
        ],
    ),
    parent(
        "Note",
        "Desk",
        Naming::Field("title"),
        &[
            data("title").reqd(),
            check("public"),
            Df::new("content", "Text Editor", ""),
        ],
    ),
    child(
        "Dynamic Link",
        "Core",
        &[
            link("link_doctype", "DocType").reqd(),
            dynlink("link_name", "link_doctype").reqd(),
            data("link_title"),
        ],
    ),
    child(
        "Contact Email",
        "Contacts",
        &[data("email_id").reqd(), check("is_primary")],
    ),
    child(
        "Contact Phone",
        "Contacts",
        &[
            data("phone").reqd(),
            check("is_primary_phone"),
            check("is_primary_mobile_no"),
        ],
    ),
    child("Has Role", "Core", &[link("role", "Role")]),
    child(
        "User Social Login",
        "Core",
        &[data("provider").reqd(), data("username"), data("userid")],
    ),
    child(
        "Communication Link",
        "Core",
        &[
            link("link_doctype", "DocType"),
            dynlink("link_name", "link_doctype"),
            data("link_title"),
        ],
    ),
    child(
        "Subscription Plan Detail",
        "Accounts",
        &[link("plan", "Subscription Plan").reqd(), int("qty")],
    ),
    child(
        "Sales Invoice Item",
        "Accounts",
        &[
            link("item_code", "Item"),
            data("item_name"),
            text("description"),
            float("qty"),
            link("uom", "UOM"),
            currency("rate"),
            currency("amount"),
            link("income_account", "Account"),
        ],
    ),
    child(
        "Sales Taxes and Charges",
        "Accounts",
        &[
            select(
                "charge_type",
                "\nActual\nOn Net Total\nOn Previous Row Amount\nOn Previous Row Total\nOn Item Quantity",
            ),
            link("account_head", "Account"),
            text("description"),
            float("rate"),
            currency("tax_amount"),
            currency("total"),
        ],
    ),
    child(
        "Payment Entry Reference",
        "Accounts",
        &[
            link("reference_doctype", "DocType"),
            dynlink("reference_name", "reference_doctype"),
            date("due_date"),
            currency("total_amount"),
            currency("outstanding_amount"),
            currency("allocated_amount"),
        ],
    ),
    child("Technician Skill", "Gigafibre", &[link("tag", "Tag")]),
    child("Dispatch Job Tag", "Gigafibre", &[link("tag", "Tag")]),
    child(
        "Dispatch Job Equipment",
        "Gigafibre",
        &[
            link("service_equipment", "Service Equipment"),
            select("action", "Installed\nRemoved\nSwapped"),
            Df::new("notes", "Small Text", ""),
        ],
    ),
];

/// The real Frappe / ERPNext 15 doctypes' field names, extracted from their doctype JSON (see
/// `tests/resources/doctype-fields/SOURCE.txt`).
const REAL_FIELDS: &[&str] = &[
    include_str!("../../tests/resources/doctype-fields/address.json"),
    include_str!("../../tests/resources/doctype-fields/communication.json"),
    include_str!("../../tests/resources/doctype-fields/communication_link.json"),
    include_str!("../../tests/resources/doctype-fields/contact.json"),
    include_str!("../../tests/resources/doctype-fields/contact_email.json"),
    include_str!("../../tests/resources/doctype-fields/contact_phone.json"),
    include_str!("../../tests/resources/doctype-fields/customer.json"),
    include_str!("../../tests/resources/doctype-fields/dynamic_link.json"),
    include_str!("../../tests/resources/doctype-fields/file.json"),
    include_str!("../../tests/resources/doctype-fields/has_role.json"),
    include_str!("../../tests/resources/doctype-fields/issue.json"),
    include_str!("../../tests/resources/doctype-fields/item.json"),
    include_str!("../../tests/resources/doctype-fields/note.json"),
    include_str!("../../tests/resources/doctype-fields/payment_entry.json"),
    include_str!("../../tests/resources/doctype-fields/payment_entry_reference.json"),
    include_str!("../../tests/resources/doctype-fields/sales_invoice.json"),
    include_str!("../../tests/resources/doctype-fields/sales_invoice_item.json"),
    include_str!("../../tests/resources/doctype-fields/sales_taxes_and_charges.json"),
    include_str!("../../tests/resources/doctype-fields/subscription.json"),
    include_str!("../../tests/resources/doctype-fields/subscription_plan_detail.json"),
    include_str!("../../tests/resources/doctype-fields/todo.json"),
    include_str!("../../tests/resources/doctype-fields/user.json"),
    include_str!("../../tests/resources/doctype-fields/user_social_login.json"),
];

/// The real doctype's field names, when the testkit carries them.
pub(crate) fn real_fields(doctype: &str) -> Option<&'static [String]> {
    static PARSED: std::sync::OnceLock<Vec<(String, Vec<String>)>> = std::sync::OnceLock::new();
    let parsed = PARSED.get_or_init(|| {
        REAL_FIELDS
            .iter()
            .filter_map(|text| {
                let v: Value = serde_json::from_str(text).ok()?;
                let name = v.get("doctype")?.as_str()?.to_owned();
                let fields = v
                    .get("fieldnames")?
                    .as_array()?
                    .iter()
                    .filter_map(|f| f.as_str().map(str::to_owned))
                    .collect();
                Some((name, fields))
            })
            .collect()
    });
    parsed
        .iter()
        .find(|(name, _)| name == doctype)
        .map(|(_, fields)| fields.as_slice())
}

/// A known doctype's metadata.
pub(crate) fn meta(doctype: &str) -> Option<&'static Meta> {
    DOCTYPES.iter().find(|m| m.name == doctype)
}

/// Every known doctype.
#[cfg(test)]
pub(crate) fn all() -> &'static [Meta] {
    DOCTYPES
}

/// Link targets whose existence the fake validates (others — Customer Group, Currency, User... —
/// are not seeded, so links to them are accepted as is).
pub(crate) const VALIDATED_LINK_TARGETS: &[&str] = &[
    "Customer",
    "Contact",
    "Address",
    "Service Location",
    "Service Equipment",
    "Technician",
    "Issue",
    "Dispatch Job",
    "Subscription",
    "Sales Invoice",
];

/// Doctypes whose links never block a delete (`frappe.model.delete_doc` ignores them).
pub(crate) const IGNORED_LINKERS: &[&str] = &[
    "Communication",
    "ToDo",
    "File",
    "Comment",
    "Version",
    "Activity Log",
];

/// Dynamic-link column pairs `(doctype column, name column)` looked at for links and renames.
pub(crate) const DYNAMIC_PAIRS: &[(&str, &str)] = &[
    ("link_doctype", "link_name"),
    ("reference_doctype", "reference_name"),
    ("reference_type", "reference_name"),
    ("party_type", "party"),
    ("attached_to_doctype", "attached_to_name"),
];

/// The child doctype for a table field of a parent doctype: from the schema, else the row's own
/// `doctype`, else `"{Parent} Item"`.
pub(crate) fn child_doctype(
    parent: &str,
    fieldname: &str,
    row: Option<&Map<String, Value>>,
) -> String {
    if let Some(dt) = meta(parent).and_then(|m| m.table_doctype(fieldname)) {
        return dt.to_owned();
    }
    if let Some(dt) = row.and_then(|r| r.get("doctype")).and_then(Value::as_str)
        && !dt.is_empty()
        && dt != parent
    {
        return dt.to_owned();
    }
    format!("{parent} Item")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_map_to_child_doctypes() {
        assert_eq!(
            child_doctype("User", "social_logins", None),
            "User Social Login"
        );
        assert_eq!(child_doctype("Contact", "links", None), "Dynamic Link");
        assert_eq!(
            child_doctype("Dispatch Job", "equipment", None),
            "Dispatch Job Equipment"
        );
        assert_eq!(
            child_doctype("Sales Invoice", "items", None),
            "Sales Invoice Item"
        );
        assert_eq!(child_doctype("Widget", "parts", None), "Widget Item");
        for m in all() {
            for f in m.fields.iter().filter(|f| f.is_table()) {
                assert!(
                    meta(f.options).is_some_and(|c| c.istable),
                    "{} {}",
                    m.name,
                    f.fieldname
                );
            }
        }
        assert_eq!(label_of("service_location"), "Service Location");
    }
}
