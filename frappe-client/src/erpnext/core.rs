//! Frappe core: User and Communication.

use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::password;
use crate::{DocName, FrappeDateTime};

/// A login account (`User`, frappe/core). The document name is the email address.
///
/// Staff sign in through Authentik, so their users carry a
/// [`social_logins`](Self::social_logins) row with `provider = "authentik"`; find a user by
/// external identity with the child-table filters
/// `[["User Social Login", "provider", "=", p], ["User Social Login", "userid", "=", id]]`.
///
/// `PartialEq` is written by hand because [`SecretString`] has none: passwords compare by
/// value.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct User {
    /// Email address (also the document name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
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
    /// Unique username.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Mobile number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mobile_no: Option<String>,
    /// Phone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Link to Language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// Time zone, e.g. `America/Toronto`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// Avatar URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_image: Option<String>,
    /// Link to User Type: `System User` (desk access) or `Website User`, or a custom type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_type: Option<String>,
    /// Disabled users cannot log in.
    #[serde(default, with = "crate::models::fields::check")]
    pub enabled: bool,
    /// Send the welcome email when the user is created.
    #[serde(default, with = "crate::models::fields::check")]
    pub send_welcome_email: bool,
    /// Table of Has Role rows.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<HasRole>,
    /// Table of User Social Login rows (OAuth identities).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub social_logins: Vec<UserSocialLogin>,
    /// API key of the token credential `token {api_key}:{api_secret}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key: Option<String>,
    /// Password field: API secret. Write-only; never returned in clear.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "super::password"
    )]
    pub api_secret: Option<SecretString>,
    /// Password field: sets a new login password on save. Write-only.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "super::password"
    )]
    pub new_password: Option<SecretString>,
}

impl User {
    /// The social login row of `provider` (e.g. `"authentik"`), if any.
    pub fn social_login(&self, provider: &str) -> Option<&UserSocialLogin> {
        self.social_logins
            .iter()
            .find(|row| row.provider.as_deref() == Some(provider))
    }

    /// Whether the user has `role` (e.g. `"System Manager"`).
    pub fn has_role(&self, role: &str) -> bool {
        self.roles
            .iter()
            .any(|row| row.role.as_deref() == Some(role))
    }

    /// Whether the user is a `System User` (has desk access).
    pub fn is_system_user(&self) -> bool {
        self.user_type.as_deref() == Some("System User")
    }
}

impl PartialEq for User {
    fn eq(&self, other: &Self) -> bool {
        // Destructured without `..` so that a new field cannot be forgotten here.
        let Self {
            email,
            first_name,
            middle_name,
            last_name,
            full_name,
            username,
            mobile_no,
            phone,
            language,
            time_zone,
            user_image,
            user_type,
            enabled,
            send_welcome_email,
            roles,
            social_logins,
            api_key,
            api_secret,
            new_password,
        } = self;
        *email == other.email
            && *first_name == other.first_name
            && *middle_name == other.middle_name
            && *last_name == other.last_name
            && *full_name == other.full_name
            && *username == other.username
            && *mobile_no == other.mobile_no
            && *phone == other.phone
            && *language == other.language
            && *time_zone == other.time_zone
            && *user_image == other.user_image
            && *user_type == other.user_type
            && *enabled == other.enabled
            && *send_welcome_email == other.send_welcome_email
            && *roles == other.roles
            && *social_logins == other.social_logins
            && *api_key == other.api_key
            && password::eq(api_secret, &other.api_secret)
            && password::eq(new_password, &other.new_password)
    }
}

/// A row of [`User::social_logins`] (`User Social Login`): one OAuth identity.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct UserSocialLogin {
    /// Row name; keep it to update the row in place, `None` adds a new row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<DocName>,
    /// Social Login Key name, e.g. `authentik`, `frappe`, `google`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// The user name at the provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The user id at the provider (for Authentik: the email).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub userid: Option<String>,
    /// The row's standard columns (`parent`, `parentfield`, `parenttype`, `idx`, `doctype`,
    /// ...) and any other key.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A row of [`User::roles`] (`Has Role`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct HasRole {
    /// Row name; keep it to update the row in place, `None` adds a new row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<DocName>,
    /// Link to Role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// The row's standard columns and any other key.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

string_enum! {
    /// `Communication.communication_type`.
    pub enum CommunicationType {
        /// `"Communication"`: an email, call, SMS, ...
        Communication = "Communication",
        /// `"Comment"`.
        Comment = "Comment",
        /// `"Chat"`.
        Chat = "Chat",
        /// `"Notification"`.
        Notification = "Notification",
        /// `"Feedback"`.
        Feedback = "Feedback",
        /// `"Automated Message"`.
        AutomatedMessage = "Automated Message",
    }
}

string_enum! {
    /// `Communication.communication_medium`. Frappe's own `"Other"` decodes to
    /// `Other("Other")`.
    pub enum CommunicationMedium {
        /// `"Email"`.
        Email = "Email",
        /// `"Chat"`.
        Chat = "Chat",
        /// `"Phone"`: a call.
        Phone = "Phone",
        /// `"SMS"`.
        Sms = "SMS",
        /// `"Event"`.
        Event = "Event",
        /// `"Meeting"`.
        Meeting = "Meeting",
        /// `"Visit"`.
        Visit = "Visit",
    }
}

string_enum! {
    /// `Communication.sent_or_received`: the direction.
    pub enum SentOrReceived {
        /// `"Sent"`: outbound.
        Sent = "Sent",
        /// `"Received"`: inbound.
        Received = "Received",
    }
}

/// A timeline entry: email, call, SMS, note (`Communication`, frappe/core).
///
/// It shows on the timeline of its [`reference_doctype`](Self::reference_doctype) /
/// [`reference_name`](Self::reference_name) and of every
/// [`timeline_links`](Self::timeline_links) row (e.g. both the Customer and the Contact).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Communication {
    /// Subject (required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Body (HTML for emails, plain text for SMS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// Kind of entry (required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub communication_type: Option<CommunicationType>,
    /// Channel: Email, Phone, SMS, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub communication_medium: Option<CommunicationMedium>,
    /// Direction (required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_or_received: Option<SentOrReceived>,
    /// Select (required): `Open`, `Replied`, `Closed`, `Linked`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Sender email address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender: Option<String>,
    /// Sender display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_full_name: Option<String>,
    /// Recipients, comma-separated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipients: Option<String>,
    /// Cc, comma-separated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cc: Option<String>,
    /// Bcc, comma-separated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bcc: Option<String>,
    /// The other party's phone number (calls, SMS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_no: Option<String>,
    /// When it happened (site time zone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub communication_date: Option<FrappeDateTime>,
    /// The primary document's doctype, e.g. `Issue`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_doctype: Option<String>,
    /// The primary document's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_name: Option<String>,
    /// Select: `Sent`, `Bounced`, `Opened`, `Error`, ... (email delivery).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_status: Option<String>,
    /// Link to the User it belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Link to the Communication this one replies to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_reply_to: Option<String>,
    /// Email `Message-ID`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// The recipient opened it.
    #[serde(default, with = "crate::models::fields::check")]
    pub read_by_recipient: bool,
    /// Seen by a user in the desk.
    #[serde(default, with = "crate::models::fields::check")]
    pub seen: bool,
    /// Has attachments.
    #[serde(default, with = "crate::models::fields::check")]
    pub has_attachment: bool,
    /// Table of Communication Link rows: the other timelines it shows on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub timeline_links: Vec<CommunicationLink>,
}

/// A row of [`Communication::timeline_links`] (`Communication Link`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CommunicationLink {
    /// Row name; keep it to update the row in place, `None` adds a new row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<DocName>,
    /// The linked doctype, e.g. `Customer`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_doctype: Option<String>,
    /// The linked document's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_name: Option<String>,
    /// The linked document's title (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_title: Option<String>,
    /// The row's standard columns and any other key.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl CommunicationLink {
    /// A new link row to `doctype` `name` (no row name: Frappe adds it).
    pub fn new(doctype: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            link_doctype: Some(doctype.into()),
            link_name: Some(name.into()),
            ..Self::default()
        }
    }
}
