//! The Files API, for images too large to send inline: a resumable upload
//! (`POST /upload/v1beta/files`, then `upload, finalize` on the URL the server returns),
//! `GET` and `DELETE /v1beta/files/{id}`. Uploaded files expire after 48 hours.

use std::time::Duration;

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value, json};
use tokio::time::Instant;
use url::Url;

use crate::client::{Call, Deadline, decode};
use crate::image::Image;
use crate::models::{GenerateContentRequest, Part, string_enum};
use crate::{ApiError, Client, Error, Result};

string_enum! {
    /// Where a file is in its lifecycle.
    FileState {
        /// Not set.
        Unspecified = "STATE_UNSPECIFIED",
        /// Being processed; not usable yet.
        Processing = "PROCESSING",
        /// Ready to be referenced in a request.
        Active = "ACTIVE",
        /// Processing failed (see [`File::error`]).
        Failed = "FAILED",
    }
}

/// A file stored by the Files API.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct File {
    /// The resource name (`files/abc-123`).
    #[serde(default)]
    pub name: String,
    /// The name given at upload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// The MIME type (`image/jpeg`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
    /// The size in bytes (an int64, sent as a JSON string).
    #[serde(
        default,
        deserialize_with = "int64",
        skip_serializing_if = "Option::is_none"
    )]
    pub size_bytes: Option<u64>,
    /// When it was created (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_time: Option<String>,
    /// When it was last updated (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_time: Option<String>,
    /// When Gemini deletes it (RFC 3339; 48 h after the upload).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_time: Option<String>,
    /// The SHA-256 of the bytes, in base64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256_hash: Option<String>,
    /// The URI a request's `fileData.fileUri` names.
    #[serde(default)]
    pub uri: String,
    /// The processing state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<FileState>,
    /// Why processing failed, when it did (a `google.rpc.Status`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ApiError>,
    /// Fields this crate does not use (`source`, `videoMetadata`, ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl File {
    /// The id: the name without `files/`.
    pub fn id(&self) -> &str {
        self.name.strip_prefix("files/").unwrap_or(&self.name)
    }
}

/// An int64 in proto JSON: a string, or a number from a lenient server.
fn int64<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<u64>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_u64()),
        Some(Value::String(s)) => s.parse().map(Some).map_err(serde::de::Error::custom),
        Some(other) => Err(serde::de::Error::custom(format!(
            "expected an int64, got {other}"
        ))),
    }
}

/// The answer of an upload: `{"file": {...}}`.
#[derive(Deserialize)]
struct Uploaded {
    file: File,
}

/// Upload headers (Google's resumable upload protocol).
const PROTOCOL: &str = "x-goog-upload-protocol";
const COMMAND: &str = "x-goog-upload-command";
const OFFSET: &str = "x-goog-upload-offset";
const LENGTH: &str = "x-goog-upload-header-content-length";
const CONTENT_TYPE: &str = "x-goog-upload-header-content-type";
const UPLOAD_URL: &str = "x-goog-upload-url";
const STATUS: &str = "x-goog-upload-status";

/// How often a file still `PROCESSING` is looked at again.
const POLL: Duration = Duration::from_millis(250);

fn header(name: &'static str, value: &str) -> Result<(HeaderName, HeaderValue)> {
    let value = HeaderValue::from_str(value)
        .map_err(|_| Error::InvalidInput(format!("invalid {name} header value")))?;
    Ok((HeaderName::from_static(name), value))
}

/// A file id from `abc-123`, `files/abc-123` or a file URI: lower-case letters, digits and
/// dashes, at most 40 (the Files API's rule), so that it cannot change the path.
fn file_id(name: &str) -> Result<&str> {
    let id = name.trim();
    let id = id.rsplit_once("/files/").map_or(id, |(_, id)| id);
    let id = id.strip_prefix("files/").unwrap_or(id);
    let ok = !id.is_empty()
        && id.len() <= 40
        && !id.starts_with('-')
        && !id.ends_with('-')
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(id)
    } else {
        Err(Error::InvalidInput(format!(
            "invalid file name {name:?}: expected files/<id> with lower-case letters, digits and dashes"
        )))
    }
}

/// The origin (`scheme://host:port`) of a URL, for messages (never the path or query).
fn origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

/// Replaces the request's image part (`contents[0].parts[0]`, as
/// [`extraction_request`](crate::extraction_request) builds it) by a `fileData` part naming
/// `file`.
pub(crate) fn use_file(request: &mut GenerateContentRequest, file: &File) -> Result<()> {
    let part = request
        .contents
        .first_mut()
        .and_then(|c| c.parts.first_mut())
        .ok_or_else(|| Error::InvalidInput("the request has no image part".to_owned()))?;
    let mime_type = part
        .inline_data
        .as_ref()
        .map(|b| b.mime_type.clone())
        .or_else(|| file.mime_type.clone())
        .unwrap_or_default();
    let mut extra = Map::new();
    extra.insert(
        "fileData".to_owned(),
        json!({"mimeType": mime_type, "fileUri": file.uri}),
    );
    *part = Part {
        extra,
        ..Part::default()
    };
    Ok(())
}

impl Client {
    /// Uploads an image through the Files API (a resumable upload in one request) and
    /// returns the stored file, `ACTIVE` (a `PROCESSING` file is looked at again until it is,
    /// within the deadline). The image is sent as given: downscale it first
    /// ([`Image::downscaled`]) if needed. Reference it with a `fileData` part naming
    /// [`File::uri`]; delete it with [`delete_file`](Self::delete_file) (Gemini deletes it
    /// after 48 h).
    ///
    /// The API key goes with the request that starts the upload; the bytes go to the upload
    /// URL that request returns, which must be on the base URL's origin (scheme, host and
    /// port), and carry no key (the URL identifies the upload, as in Google's SDK). Starting is
    /// retried like `generateContent`; sending the bytes is retried only when they never
    /// reached the server. The client's deadline covers it all.
    ///
    /// # Errors
    /// [`Error::Protocol`] for an upload URL on another origin (nothing is sent there) or an
    /// upload answer without its URL or final status; [`Error::InvalidImage`] when Gemini
    /// could not process the file; error answers, transport failures, the deadline.
    pub async fn upload_image(&self, image: &Image, display_name: &str) -> Result<File> {
        self.upload_image_at(image, display_name, self.default_deadline())
            .await
    }

    pub(crate) async fn upload_image_at(
        &self,
        image: &Image,
        display_name: &str,
        deadline: Deadline,
    ) -> Result<File> {
        let base = self.base_url();
        let start_url = gigafibre_client_core::join(base, &["upload", "v1beta", "files"]);
        let meta = json!({"file": {"displayName": display_name, "mimeType": image.mime_type()}});
        let mut start = Call::post_json(start_url, Bytes::from(meta.to_string()));
        start.headers = vec![
            header(PROTOCOL, "resumable")?,
            header(COMMAND, "start")?,
            header(LENGTH, &image.bytes().len().to_string())?,
            header(CONTENT_TYPE, image.mime_type())?,
        ];
        let started = self.send(&start, deadline).await?;
        let upload_url = started
            .headers
            .get(UPLOAD_URL)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| {
                Error::Protocol("the upload answer has no X-Goog-Upload-URL header".to_owned())
            })?;
        let upload_url = base.join(upload_url).map_err(|_| {
            Error::Protocol("the upload answer's X-Goog-Upload-URL is not a URL".to_owned())
        })?;
        if upload_url.origin() != base.origin() {
            return Err(Error::Protocol(format!(
                "the upload URL is on {}, not on {}: refused",
                origin(&upload_url),
                origin(base)
            )));
        }
        let finalize = Call {
            method: Method::POST,
            url: upload_url,
            content_type: None,
            headers: vec![header(COMMAND, "upload, finalize")?, header(OFFSET, "0")?],
            body: image.bytes().clone(),
            // A repeated finalize could store the bytes twice or fail on a closed upload.
            idempotent: false,
            send_key: false,
            model: None,
        };
        let done = self.send(&finalize, deadline).await?;
        let status = done.headers.get(STATUS).and_then(|v| v.to_str().ok());
        if !status.is_some_and(|s| s.eq_ignore_ascii_case("final")) {
            return Err(Error::Protocol(format!(
                "the upload did not finish (X-Goog-Upload-Status: {})",
                status.unwrap_or("missing")
            )));
        }
        let file = decode::<Uploaded>(&done.body)?.file;
        self.until_active(file, deadline).await
    }

    async fn until_active(&self, mut file: File, deadline: Deadline) -> Result<File> {
        loop {
            match &file.state {
                Some(FileState::Processing) => {}
                Some(FileState::Failed) => {
                    return Err(Error::InvalidImage(format!(
                        "Gemini could not process the uploaded file {}: {}",
                        file.name,
                        file.error
                            .as_ref()
                            .map_or("no reason given", |e| &e.message)
                    )));
                }
                _ => return Ok(file),
            }
            if Instant::now() + POLL >= deadline.at {
                return Err(Error::Timeout(deadline.total));
            }
            tokio::time::sleep(POLL).await;
            file = self.file_at(&file.name, deadline).await?;
        }
    }

    /// `GET /v1beta/files/{id}`: a stored file. `name` is `files/{id}`, the id alone, or the
    /// file's URI.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a malformed name; error answers (an unknown or expired file
    /// is a 403 `PERMISSION_DENIED` from Gemini), transport failures, the deadline.
    pub async fn file(&self, name: &str) -> Result<File> {
        self.file_at(name, self.default_deadline()).await
    }

    async fn file_at(&self, name: &str, deadline: Deadline) -> Result<File> {
        let url =
            gigafibre_client_core::join(self.base_url(), &["v1beta", "files", file_id(name)?]);
        let answer = self.send(&Call::empty(Method::GET, url), deadline).await?;
        decode(&answer.body)
    }

    /// `DELETE /v1beta/files/{id}`. `name` as for [`file`](Self::file).
    ///
    /// # Errors
    /// As [`file`](Self::file).
    pub async fn delete_file(&self, name: &str) -> Result<()> {
        let url =
            gigafibre_client_core::join(self.base_url(), &["v1beta", "files", file_id(name)?]);
        self.send(&Call::empty(Method::DELETE, url), self.default_deadline())
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_checked() {
        assert_eq!(file_id("files/abc-123").unwrap(), "abc-123");
        assert_eq!(file_id("abc").unwrap(), "abc");
        assert_eq!(
            file_id("https://generativelanguage.googleapis.com/v1beta/files/x9").unwrap(),
            "x9"
        );
        for bad in [
            "",
            "files/",
            "files/../models",
            "files/ABC",
            "-a",
            "a?b",
            &"a".repeat(41),
        ] {
            assert!(file_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_real_file_answer_decodes() {
        let body = r#"{"file": {"name": "files/3kq9x2b7mz1d", "displayName": "label",
            "mimeType": "image/jpeg", "sizeBytes": "1843200",
            "createTime": "2026-12-04T10:00:00.123456Z", "updateTime": "2026-12-04T10:00:00.123456Z",
            "expirationTime": "2026-12-06T10:00:00.100000Z", "sha256Hash": "ZmFrZQ==",
            "uri": "https://generativelanguage.googleapis.com/v1beta/files/3kq9x2b7mz1d",
            "state": "ACTIVE", "source": "UPLOADED"}}"#;
        let file = decode::<Uploaded>(body.as_bytes()).unwrap().file;
        assert_eq!(file.id(), "3kq9x2b7mz1d");
        assert_eq!(file.size_bytes, Some(1_843_200));
        assert_eq!(file.state, Some(FileState::Active));
        assert_eq!(file.extra.get("source"), Some(&json!("UPLOADED")));
    }

    #[test]
    fn the_image_part_is_replaced_by_file_data() {
        let mut request = GenerateContentRequest::user(vec![
            Part::inline_data("image/png", "AA=="),
            Part::text("Read it."),
        ]);
        let file = File {
            name: "files/a".to_owned(),
            uri: "http://h/v1beta/files/a".to_owned(),
            ..File::default()
        };
        use_file(&mut request, &file).unwrap();
        let json = serde_json::to_value(&request).unwrap();
        assert_eq!(
            json["contents"][0]["parts"],
            json!([{"fileData": {"mimeType": "image/png", "fileUri": "http://h/v1beta/files/a"}},
                   {"text": "Read it."}])
        );
    }
}
