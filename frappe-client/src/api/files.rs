//! File upload (`upload_file`, multipart) and download.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use http::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::methods::Reply;
use crate::client::{Body, Call};
use crate::models::fields::check;
use crate::{ApiVersion, Client, DocName, Error, Result};

/// A file to upload, built with [`Upload::new`] and sent with [`Files::upload`].
#[derive(Clone)]
pub struct Upload {
    file_name: String,
    content: Bytes,
    mime: Option<String>,
    private: bool,
    attach: Option<(String, String)>,
    field: Option<String>,
    folder: Option<String>,
}

impl fmt::Debug for Upload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Upload")
            .field("file_name", &self.file_name)
            .field("bytes", &self.content.len())
            .field("mime", &self.mime)
            .field("private", &self.private)
            .field("attach", &self.attach)
            .field("field", &self.field)
            .field("folder", &self.folder)
            .finish()
    }
}

impl Upload {
    /// A file named `file_name` with `content`. Private by default: it can only be read by
    /// authenticated users.
    pub fn new(file_name: impl Into<String>, content: impl Into<Bytes>) -> Self {
        Self {
            file_name: file_name.into(),
            content: content.into(),
            mime: None,
            private: true,
            attach: None,
            field: None,
            folder: None,
        }
    }

    /// Public (`/files/...`, readable without login) or private (`/private/files/...`).
    pub fn private(mut self, private: bool) -> Self {
        self.private = private;
        self
    }

    /// The MIME type sent with the file part (default: guessed by the server from the name).
    pub fn mime(mut self, mime: impl Into<String>) -> Self {
        self.mime = Some(mime.into());
        self
    }

    /// Attaches the file to a document (it then shows in the document's sidebar).
    pub fn attach_to(mut self, doctype: impl Into<String>, name: impl Into<String>) -> Self {
        self.attach = Some((doctype.into(), name.into()));
        self
    }

    /// Also stores the file URL in the document's Attach field `field` (needs `attach_to`).
    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// The File Manager folder (default `Home`).
    pub fn folder(mut self, folder: impl Into<String>) -> Self {
        self.folder = Some(folder.into());
        self
    }
}

/// An upload's parts, kept so that the multipart form can be rebuilt for a retry.
#[derive(Debug)]
pub(crate) struct UploadParts {
    upload: Upload,
}

impl UploadParts {
    pub(crate) fn to_form(&self) -> Result<reqwest::multipart::Form> {
        let u = &self.upload;
        let mut part =
            reqwest::multipart::Part::stream(u.content.clone()).file_name(u.file_name.clone());
        if let Some(mime) = &u.mime {
            part = part
                .mime_str(mime)
                .map_err(|_| Error::InvalidInput(format!("{mime:?} is not a MIME type")))?;
        }
        let mut form = reqwest::multipart::Form::new()
            .part("file", part)
            .text("is_private", if u.private { "1" } else { "0" });
        if let Some((doctype, name)) = &u.attach {
            form = form
                .text("doctype", doctype.clone())
                .text("docname", name.clone());
        }
        if let Some(field) = &u.field {
            form = form.text("fieldname", field.clone());
        }
        if let Some(folder) = &u.folder {
            form = form.text("folder", folder.clone());
        }
        Ok(form)
    }
}

/// A `File` document, as `upload_file` returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FileDoc {
    /// The File document's name.
    pub name: DocName,
    /// The stored file name.
    #[serde(default)]
    pub file_name: Option<String>,
    /// Where to download it: `/files/x.pdf` or `/private/files/x.pdf`.
    #[serde(default)]
    pub file_url: Option<String>,
    /// Whether login is needed to read it.
    #[serde(default, with = "check")]
    pub is_private: bool,
    /// Size in bytes.
    #[serde(default)]
    pub file_size: Option<u64>,
    /// The server's hash of the content.
    #[serde(default)]
    pub content_hash: Option<String>,
    /// The doctype it is attached to.
    #[serde(default)]
    pub attached_to_doctype: Option<String>,
    /// The document it is attached to.
    #[serde(default)]
    pub attached_to_name: Option<String>,
    /// Every other field.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// File upload and download, from [`Client::files`].
#[derive(Debug, Clone)]
pub struct Files {
    client: Client,
}

impl Client {
    /// File upload and download.
    pub fn files(&self) -> Files {
        Files {
            client: self.clone(),
        }
    }
}

impl Files {
    /// Uploads a file (multipart `upload_file`), optionally attached to a document.
    ///
    /// ```no_run
    /// # async fn run(client: frappe_client::Client) -> frappe_client::Result<()> {
    /// use frappe_client::Upload;
    /// let photo = std::fs::read("onu-label.jpg").unwrap_or_default();
    /// let file = client
    ///     .files()
    ///     .upload(Upload::new("onu-label.jpg", photo).attach_to("Dispatch Job", "DJ-2026-00001"))
    ///     .await?;
    /// println!("stored at {:?}", file.file_url);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an empty file name or a `field` without `attach_to`; 413
    /// from the server when the file exceeds the site's size limit.
    pub async fn upload(&self, upload: Upload) -> Result<FileDoc> {
        if upload.file_name.trim().is_empty() {
            return Err(Error::InvalidInput("the file needs a name".to_owned()));
        }
        if upload.field.is_some() && upload.attach.is_none() {
            return Err(Error::InvalidInput(
                "an Attach field needs the document: call attach_to".to_owned(),
            ));
        }
        let segs: &[&str] = match self.client.api_version() {
            ApiVersion::V1 => &["api", "method", "upload_file"],
            ApiVersion::V2 => &["api", "v2", "method", "upload_file"],
        };
        let call = Call {
            method: Method::POST,
            url: self.client.url(segs),
            body: Body::Multipart(Arc::new(UploadParts { upload })),
            idempotent: false,
        };
        let resp = self.client.execute(&call).await?;
        let reply: Reply<FileDoc> = super::methods::decode_reply(self.client.api_version(), &resp)?;
        Ok(reply.value)
    }

    /// Downloads a file by its `file_url` (`/files/..`, `/private/files/..`) and returns its
    /// bytes. Private files need the client's credentials, which are sent; URLs on other
    /// hosts are refused so credentials never leave the site.
    pub async fn download(&self, file_url: &str) -> Result<Bytes> {
        let base = self.client.base_url();
        let url = base
            .join(file_url.trim_start_matches('/'))
            .map_err(|e| Error::InvalidInput(format!("file URL {file_url:?}: {e}")))?;
        if url.origin() != base.origin() {
            return Err(Error::InvalidInput(format!(
                "file URL {file_url:?} is not on this site"
            )));
        }
        let call = Call {
            method: Method::GET,
            url,
            body: Body::Empty,
            idempotent: true,
        };
        Ok(self.client.execute(&call).await?.body)
    }
}
