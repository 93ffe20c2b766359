//! [`DeviceId`]: GenieACS's device id, with its escaping.
//!
//! GenieACS builds an id from the Inform's DeviceId: OUI, product class and serial, each with
//! every character other than `A-Z a-z 0-9 _` escaped as `%XX` (uppercase hex of each UTF-8
//! byte), joined with `-` (`OUI-Serial` when the product class is empty). The id therefore
//! contains literal `%` sequences: it is used **raw** in queries and **percent-encoded once
//! more** in URL paths (`%` → `%25`), the mistake most integrations make.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A GenieACS device id (`_id`), as stored: `1C61B4-Device2-22411A5001234`,
/// `00259E-HG8546M%2DRMS-48575443373CFD90`.
///
/// ```
/// use genieacs_client::DeviceId;
/// let id = DeviceId::from_parts("00259E", "HG8546M-RMS", "48575443373CFD90");
/// assert_eq!(id.as_str(), "00259E-HG8546M%2DRMS-48575443373CFD90");
/// // In a URL path the `%` itself is encoded.
/// assert_eq!(id.path_segment(), "00259E-HG8546M%252DRMS-48575443373CFD90");
/// let (oui, class, serial) = id.parts().unwrap();
/// assert_eq!((oui.as_str(), class.as_deref(), serial.as_str()), ("00259E", Some("HG8546M-RMS"), "48575443373CFD90"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DeviceId(String);

/// GenieACS's escaping of one id part: everything but `A-Z a-z 0-9 _` as `%XX`.
fn escape(part: &str) -> String {
    let mut out = String::with_capacity(part.len());
    for b in part.bytes() {
        if b.is_ascii_alphanumeric() || b == b'_' {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn unescape(part: &str) -> Option<String> {
    let bytes = part.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = part.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

impl DeviceId {
    /// The id GenieACS gives a device reporting this OUI, product class and serial. Use it to
    /// compare or to build fixtures — to find a customer's modem, look it up by serial
    /// ([`Devices::find_by_serial`](crate::Devices::find_by_serial)): the product class a CPE
    /// reports is not its model (a TP-Link XX230v says `Device2`).
    pub fn from_parts(oui: &str, product_class: &str, serial: &str) -> Self {
        if product_class.is_empty() {
            Self(format!("{}-{}", escape(oui), escape(serial)))
        } else {
            Self(format!(
                "{}-{}-{}",
                escape(oui),
                escape(product_class),
                escape(serial)
            ))
        }
    }

    /// Wraps an id as stored (`_id`). `None` when it holds a character GenieACS never puts in
    /// an id (only `A-Z a-z 0-9 _ % -` occur) or is empty.
    pub fn parse(raw: &str) -> Option<Self> {
        let ok = !raw.is_empty()
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'%' | b'-'));
        ok.then(|| Self(raw.to_owned()))
    }

    /// The id as stored: use it raw in queries (`{"_id": "..."}`).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id as one URL path segment: percent-encoded once more (`%` → `%25`).
    pub fn path_segment(&self) -> String {
        self.0.replace('%', "%25")
    }

    /// `(OUI, product class, serial)`, unescaped; `None` when the id does not have GenieACS's
    /// shape. An id of two parts has no product class.
    pub fn parts(&self) -> Option<(String, Option<String>, String)> {
        let parts: Vec<&str> = self.0.split('-').collect();
        match parts.as_slice() {
            [oui, serial] => Some((unescape(oui)?, None, unescape(serial)?)),
            [oui, class, serial] => {
                Some((unescape(oui)?, Some(unescape(class)?), unescape(serial)?))
            }
            _ => None,
        }
    }
}

impl fmt::Display for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for DeviceId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_match_genieacs_examples_and_round_trip() {
        for (oui, class, serial, id) in [
            (
                "00259E",
                "HG8546M-RMS",
                "48575443373CFD90",
                "00259E-HG8546M%2DRMS-48575443373CFD90",
            ),
            (
                "C0B101",
                "ZXHN H199A",
                "ZTEYH86LCN10105",
                "C0B101-ZXHN%20H199A-ZTEYH86LCN10105",
            ),
            (
                "9075BC",
                "G-1425G-A",
                "ALCLFC265D6F",
                "9075BC-G%2D1425G%2DA-ALCLFC265D6F",
            ),
            (
                "1C61B4",
                "Device2",
                "22411A5001234",
                "1C61B4-Device2-22411A5001234",
            ),
        ] {
            let built = DeviceId::from_parts(oui, class, serial);
            assert_eq!(built.as_str(), id);
            let parsed = DeviceId::parse(id).unwrap();
            assert_eq!(
                parsed.parts(),
                Some((oui.to_owned(), Some(class.to_owned()), serial.to_owned()))
            );
        }
        assert_eq!(
            DeviceId::from_parts("9CA2F4", "", "X1").as_str(),
            "9CA2F4-X1"
        );
        assert_eq!(
            DeviceId::from_parts("A", "é.", "s").as_str(),
            "A-%C3%A9%2E-s",
            "each UTF-8 byte, uppercase hex"
        );
    }

    #[test]
    fn only_genieacs_characters_make_an_id() {
        for bad in ["", "has space", "a/b", "x.y", "id:1"] {
            assert!(DeviceId::parse(bad).is_none(), "{bad}");
        }
        assert_eq!(
            DeviceId::parse("00259E-HG8546M%2DRMS-4857")
                .unwrap()
                .path_segment(),
            "00259E-HG8546M%252DRMS-4857"
        );
    }
}
