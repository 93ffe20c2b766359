//! Device tags (`POST`/`DELETE /devices/{id}/tags/{tag}`) and device deletion
//! (`DELETE /devices/{id}`).
//!
//! A tag is free text in GenieACS (stored in the device's `_tags` array), but it travels as one
//! path segment that the NBI's route captures with `[A-Za-z0-9_%-]+` and decodes once: the tag
//! is therefore sent with every other byte percent-encoded (`.` → `%2E`, a space → `%20`), so
//! any text reaches GenieACS unchanged. Refused before sending: an empty tag, one with a control
//! character, `.` and `..` (URL normalisation would drop the segment), more than 1,024 bytes.

use http::Method;

use crate::api::{check_name, nbi_url};
use crate::{DeviceId, Devices, Result};

impl Devices {
    /// Adds `tag` to the device (`POST /devices/{id}/tags/{tag}`, GenieACS's `$addToSet`: adding
    /// a tag twice keeps one, so the call is retried like a read).
    ///
    /// # Errors
    /// [`Error::InvalidInput`](crate::Error::InvalidInput) for a tag that cannot be sent,
    /// [`Error::NotFound`](crate::Error::NotFound) (`No such device`) for an unknown device.
    pub async fn add_tag(&self, id: &DeviceId, tag: &str) -> Result<()> {
        self.tag_call(Method::POST, id, tag).await
    }

    /// Removes `tag` from the device (`DELETE /devices/{id}/tags/{tag}`; removing a tag the
    /// device does not carry succeeds).
    ///
    /// # Errors
    /// As [`add_tag`](Self::add_tag).
    pub async fn remove_tag(&self, id: &DeviceId, tag: &str) -> Result<()> {
        self.tag_call(Method::DELETE, id, tag).await
    }

    async fn tag_call(&self, method: Method, id: &DeviceId, tag: &str) -> Result<()> {
        check_name("tag", tag)?;
        let url = nbi_url(&self.client, &["devices", id.as_str(), "tags", tag]);
        self.client.execute(method, url, None, true).await?;
        Ok(())
    }

    /// Deletes the device with its tasks, faults and pending operations (`DELETE
    /// /devices/{id}`). The CPE registers again at its next inform, with no tags and only the
    /// parameters the presets fetch. GenieACS answers 200 whether or not the device existed.
    ///
    /// Idempotent, so retried with back-off on `503 Device is in session` (a CWMP session holds
    /// the device) and on connection failures.
    ///
    /// # Errors
    /// [`Error::DeviceBusy`](crate::Error::DeviceBusy) when the device stayed in session
    /// through every retry.
    pub async fn delete_device(&self, id: &DeviceId) -> Result<()> {
        let url = nbi_url(&self.client, &["devices", id.as_str()]);
        self.client.execute(Method::DELETE, url, None, true).await?;
        Ok(())
    }
}
