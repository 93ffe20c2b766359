//! Whitelisted server methods: `/api/method/{dotted.path}` (v1) and `/api/v2/method/...`.

use std::fmt;

use bytes::Bytes;
use http::Method;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::client::{Body, Call, RawResponse};
use crate::error::{ApiError, AuthScheme, ServerMessage};
use crate::{ApiVersion, Client, Error, Result};
use http::{HeaderMap, StatusCode};

/// A server method's answer: its return value plus the notices (`msgprint`) it emitted.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply<R> {
    /// The method's return value (`message` in v1, `data` in v2).
    pub value: R,
    /// Notices the server emitted while succeeding; show them to the user, they are not errors.
    pub notices: Vec<ServerMessage>,
    /// Documents the server sent along (`docs`, from document methods).
    pub docs: Vec<Value>,
}

impl<R> Reply<R> {
    /// The return value alone.
    pub fn into_value(self) -> R {
        self.value
    }
}

#[derive(Deserialize)]
pub(crate) struct V1Message<R> {
    #[serde(default = "Option::default")]
    pub(crate) message: Option<R>,
    #[serde(default, rename = "_server_messages")]
    server_messages: Option<String>,
    #[serde(default)]
    docs: Vec<Value>,
}

#[derive(Deserialize)]
struct V2Data<R> {
    #[serde(default = "Option::default")]
    data: Option<R>,
    #[serde(default)]
    messages: Vec<Value>,
    #[serde(default)]
    docs: Vec<Value>,
}

/// Decodes a method answer in the envelope of `version`. A missing value (a method that
/// returned `None`) decodes from JSON `null`, so `R` may be `()`, `Option<_>` or `Value`.
pub(crate) fn decode_reply<R: DeserializeOwned>(
    version: ApiVersion,
    resp: &RawResponse,
) -> Result<Reply<R>> {
    let (value, notices, docs) = match version {
        ApiVersion::V1 => {
            let env: V1Message<R> = resp.json()?;
            let notices = env
                .server_messages
                .as_deref()
                .map(ServerMessage::decode_v1)
                .unwrap_or_default();
            (env.message, notices, env.docs)
        }
        ApiVersion::V2 => {
            let env: V2Data<R> = resp.json()?;
            let notices = env
                .messages
                .into_iter()
                .filter_map(ServerMessage::from_json)
                .collect();
            (env.data, notices, env.docs)
        }
    };
    let value = match value {
        Some(v) => v,
        None => {
            R::deserialize(Value::Null).map_err(|source| resp.decode_error("message", source))?
        }
    };
    Ok(Reply {
        value,
        notices,
        docs,
    })
}

/// A call of one whitelisted method, built with [`Client::method`].
///
/// Send it with [`get`](Self::get) for reads (retried when safe) or [`post`](Self::post) for
/// anything that writes: Frappe commits only POST/PUT/DELETE requests.
#[derive(Clone)]
pub struct MethodCall {
    client: Client,
    path: String,
    args: Map<String, Value>,
    invalid: Option<String>,
}

impl fmt::Debug for MethodCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MethodCall")
            .field("path", &self.path)
            .field("args", &self.args.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

fn valid_method_path(path: &str) -> bool {
    !path.is_empty()
        && path.split('/').all(|seg| {
            !seg.is_empty()
                && !seg.starts_with('.')
                && seg
                    .chars()
                    .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | ' ' | '-'))
        })
        && path.split('/').count() <= 2
}

impl MethodCall {
    pub(crate) fn new(client: Client, path: &str) -> Self {
        let invalid =
            (!valid_method_path(path)).then(|| format!("{path:?} is not a dotted method path"));
        Self {
            client,
            path: path.to_owned(),
            args: Map::new(),
            invalid,
        }
    }

    /// Adds one argument. Structured values (lists, objects) are JSON-encoded for GET calls,
    /// as `frappe.client` functions expect.
    pub fn arg(mut self, key: impl Into<String>, value: impl Serialize) -> Self {
        match serde_json::to_value(value) {
            Ok(v) => {
                self.args.insert(key.into(), v);
            }
            Err(e) => self.invalid = Some(format!("argument {}: {e}", key.into())),
        }
        self
    }

    /// Adds every field of a serialisable struct or map as an argument.
    pub fn args(mut self, args: &impl Serialize) -> Self {
        match serde_json::to_value(args) {
            Ok(Value::Object(map)) => self.args.extend(map),
            Ok(Value::Null) => {}
            Ok(_) => self.invalid = Some("method arguments must serialise to an object".to_owned()),
            Err(e) => self.invalid = Some(format!("method arguments: {e}")),
        }
        self
    }

    fn url(&self) -> url::Url {
        let mut segs: Vec<&str> = match self.client.api_version() {
            ApiVersion::V1 => vec!["api", "method"],
            ApiVersion::V2 => vec!["api", "v2", "method"],
        };
        segs.extend(self.path.split('/'));
        self.client.url(&segs)
    }

    /// Calls the method with GET (arguments in the query string). Use it for reads only:
    /// Frappe rolls back a GET's transaction. GET calls are retried on transient failures.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a malformed path or arguments; otherwise as any request.
    pub async fn get<R: DeserializeOwned>(self) -> Result<Reply<R>> {
        if let Some(msg) = self.invalid {
            return Err(Error::InvalidInput(msg));
        }
        let mut url = self.url();
        if !self.args.is_empty() {
            let mut q = url.query_pairs_mut();
            for (k, v) in &self.args {
                match v {
                    Value::String(s) => q.append_pair(k, s),
                    Value::Null => q.append_pair(k, ""),
                    other => q.append_pair(k, &other.to_string()),
                };
            }
        }
        let call = Call {
            method: Method::GET,
            url,
            body: Body::Empty,
            idempotent: true,
        };
        let resp = self.client.execute(&call).await?;
        decode_reply(self.client.api_version(), &resp)
    }

    /// Calls the method with POST and a JSON body; the server commits. Not retried after it
    /// may have reached the server (only connection failures and 429 are retried).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a malformed path or arguments; otherwise as any request.
    pub async fn post<R: DeserializeOwned>(self) -> Result<Reply<R>> {
        self.send_body(Method::POST, false).await
    }

    /// Like [`post`](Self::post), but marks the call as safe to repeat (a read that must be a
    /// POST, or a write you made idempotent), so it is retried like a GET.
    pub async fn post_idempotent<R: DeserializeOwned>(self) -> Result<Reply<R>> {
        self.send_body(Method::POST, true).await
    }

    async fn send_body<R: DeserializeOwned>(
        self,
        method: Method,
        idempotent: bool,
    ) -> Result<Reply<R>> {
        if let Some(msg) = self.invalid {
            return Err(Error::InvalidInput(msg));
        }
        let body = serde_json::to_vec(&self.args)
            .map_err(|e| Error::InvalidInput(format!("method arguments: {e}")))?;
        let call = Call {
            method,
            url: self.url(),
            body: Body::Json(Bytes::from(body)),
            idempotent,
        };
        let resp = self.client.execute(&call).await?;
        decode_reply(self.client.api_version(), &resp)
    }
}

impl Client {
    /// Prepares a call of the whitelisted method at `dotted_path`
    /// (`"frappe.auth.get_logged_user"`, or in v2 the `"DocType/method"` shorthand).
    ///
    /// ```no_run
    /// # async fn run(client: frappe_client::Client) -> frappe_client::Result<()> {
    /// let user: String = client
    ///     .method("frappe.auth.get_logged_user")
    ///     .get()
    ///     .await?
    ///     .into_value();
    /// let reply = client
    ///     .method("erpnext.accounts.doctype.subscription.subscription.cancel_subscription")
    ///     .arg("name", "ACC-SUB-2026-00001")
    ///     .post::<serde_json::Value>()
    ///     .await?;
    /// for notice in &reply.notices {
    ///     println!("server says: {}", notice.message);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn method(&self, dotted_path: &str) -> MethodCall {
        MethodCall::new(self.clone(), dotted_path)
    }

    /// The logged-in user (`frappe.auth.get_logged_user`): the API user's id. Frappe refuses
    /// this method to guests (403).
    pub async fn logged_user(&self) -> Result<String> {
        Ok(self
            .method("frappe.auth.get_logged_user")
            .get()
            .await?
            .value)
    }

    /// Checks that the server accepts the credentials and returns the user they log in as: a
    /// readiness probe. Besides the 401 of current servers, it recognises the answers of
    /// servers that treat bad credentials as Guest (403 before Frappe 15, or `"Guest"`), and
    /// reports all of them as [`Error::Unauthorized`], whose message names the usual cause.
    ///
    /// ```no_run
    /// # async fn run(client: frappe_client::Client) {
    /// match client.check_auth().await {
    ///     Ok(user) => println!("ERPNext ready, acting as {user}"),
    ///     Err(e) if e.is_unauthorized() => eprintln!("ERPNext refuses our token: {e}"),
    ///     Err(e) => eprintln!("ERPNext unreachable: {e}"),
    /// }
    /// # }
    /// ```
    pub async fn check_auth(&self) -> Result<String> {
        let scheme = self.auth_scheme();
        if scheme == AuthScheme::Anonymous {
            return self.logged_user().await;
        }
        let refused = |api: ApiError| Error::Unauthorized {
            scheme,
            api: Box::new(api),
        };
        match self.logged_user().await {
            Ok(user) if user == "Guest" => {
                let mut api =
                    ApiError::from_response(StatusCode::FORBIDDEN, &HeaderMap::new(), b"");
                api.error_message = Some("the server treats these credentials as Guest".to_owned());
                Err(refused(api))
            }
            Err(Error::Api(api)) if api.status == StatusCode::FORBIDDEN => Err(refused(*api)),
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_paths_are_checked() {
        assert!(valid_method_path("frappe.client.get_count"));
        assert!(valid_method_path("Sales Invoice/make_payment"));
        assert!(!valid_method_path(""));
        assert!(!valid_method_path("../etc"));
        assert!(!valid_method_path("a?b=c"));
        assert!(!valid_method_path("a/b/c"));
    }
}
