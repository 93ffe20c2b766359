//! [`Image`]: the bytes of a photo and its MIME type, checked before anything is sent.

use std::fmt;

use base64::Engine as _;
use bytes::Bytes;

use crate::resize::Downscale;
use crate::{Error, Result};

/// The image formats Gemini reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ImageFormat {
    /// `image/jpeg`
    Jpeg,
    /// `image/png`
    Png,
    /// `image/webp`
    Webp,
    /// `image/heic`
    Heic,
    /// `image/heif`
    Heif,
}

impl ImageFormat {
    /// The MIME type.
    pub fn mime_type(self) -> &'static str {
        match self {
            ImageFormat::Jpeg => "image/jpeg",
            ImageFormat::Png => "image/png",
            ImageFormat::Webp => "image/webp",
            ImageFormat::Heic => "image/heic",
            ImageFormat::Heif => "image/heif",
        }
    }

    /// The format of a MIME type (`image/jpeg`, `IMAGE/JPG`, `image/png; q=1`); `None` for
    /// anything Gemini does not read as an image.
    pub fn from_mime_type(mime: &str) -> Option<Self> {
        let essence = mime
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        Some(match essence.as_str() {
            "image/jpeg" | "image/jpg" | "image/pjpeg" => ImageFormat::Jpeg,
            "image/png" => ImageFormat::Png,
            "image/webp" => ImageFormat::Webp,
            "image/heic" => ImageFormat::Heic,
            "image/heif" => ImageFormat::Heif,
            _ => return None,
        })
    }

    /// The format read from the first bytes (magic numbers); `None` when unknown.
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            return Some(ImageFormat::Jpeg);
        }
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            return Some(ImageFormat::Png);
        }
        if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            return Some(ImageFormat::Webp);
        }
        if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
            return match &bytes[8..12] {
                b"heic" | b"heix" | b"hevc" | b"hevx" | b"heim" | b"heis" => {
                    Some(ImageFormat::Heic)
                }
                b"mif1" | b"msf1" | b"heif" => Some(ImageFormat::Heif),
                _ => None,
            };
        }
        None
    }
}

impl fmt::Display for ImageFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.mime_type())
    }
}

/// An image to send inline: its bytes and format. Cheap to clone (`Bytes`).
#[derive(Clone, PartialEq, Eq)]
pub struct Image {
    bytes: Bytes,
    format: ImageFormat,
}

impl fmt::Debug for Image {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Image")
            .field("format", &self.format)
            .field("len", &self.bytes.len())
            .finish()
    }
}

impl Image {
    /// An image whose format is read from its first bytes.
    ///
    /// ```
    /// let png = gemini_vision::Image::new(b"\x89PNG\r\n\x1a\n....".to_vec()).unwrap();
    /// assert_eq!(png.mime_type(), "image/png");
    /// assert!(gemini_vision::Image::new(b"%PDF-1.7".to_vec()).is_err());
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidImage`] for empty bytes or an unknown format.
    pub fn new(bytes: impl Into<Bytes>) -> Result<Self> {
        let bytes = bytes.into();
        if bytes.is_empty() {
            return Err(Error::InvalidImage("the image is empty".to_owned()));
        }
        let format = ImageFormat::sniff(&bytes).ok_or_else(|| {
            Error::InvalidImage("not a JPEG, PNG, WebP, HEIC or HEIF image".to_owned())
        })?;
        Ok(Self { bytes, format })
    }

    /// An image of a given MIME type (not checked against the bytes, which may be a format
    /// the sniffer does not know).
    ///
    /// # Errors
    /// [`Error::InvalidImage`] for empty bytes or a MIME type Gemini does not read as an image.
    pub fn with_mime_type(bytes: impl Into<Bytes>, mime_type: &str) -> Result<Self> {
        let bytes = bytes.into();
        if bytes.is_empty() {
            return Err(Error::InvalidImage("the image is empty".to_owned()));
        }
        let format = ImageFormat::from_mime_type(mime_type).ok_or_else(|| {
            Error::InvalidImage(format!(
                "unsupported MIME type {mime_type:?}: expected image/jpeg, image/png, image/webp, image/heic or image/heif"
            ))
        })?;
        Ok(Self { bytes, format })
    }

    /// The format.
    pub fn format(&self) -> ImageFormat {
        self.format
    }

    /// The MIME type sent.
    pub fn mime_type(&self) -> &'static str {
        self.format.mime_type()
    }

    /// The bytes.
    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// A copy whose longest side is at most `settings.max_side()`: a JPEG or PNG larger than
    /// that is decoded, turned upright by its EXIF orientation, resized (Catmull-Rom) and
    /// re-encoded as JPEG at `settings.jpeg_quality()` (a PNG's transparency is flattened on
    /// white). The image itself (the same bytes) is returned when it already fits, when the
    /// re-encoded copy would not be smaller, when downscaling is [off](Downscale::off), and for
    /// WebP, HEIC and HEIF, which are not decoded here.
    ///
    /// CPU-bound (about 0.2 s for a 12 MP photo in a release build): in async code run
    /// it on a blocking thread, as [`Client::extract`](crate::Client::extract) does.
    ///
    /// # Errors
    /// [`Error::InvalidImage`] for bytes that do not decode, and for a declared size over
    /// 16384 px a side (refused before the pixels are allocated).
    pub fn downscaled(&self, settings: &Downscale) -> Result<Image> {
        crate::resize::downscale(self, settings)
    }

    /// The width and height in pixels stored in a JPEG or PNG header (before any EXIF
    /// rotation); `None` for WebP, HEIC and HEIF.
    ///
    /// # Errors
    /// [`Error::InvalidImage`] when the header does not decode or declares more than 16384 px
    /// a side.
    pub fn dimensions(&self) -> Result<Option<(u32, u32)>> {
        crate::resize::dimensions(self)
    }

    /// The bytes in standard base64 with padding, as `inlineData.data` carries them.
    pub fn to_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(&self.bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_sniffed_and_others_refused() {
        let cases: [(&[u8], Option<ImageFormat>); 7] = [
            (b"\xFF\xD8\xFF\xE0\x00\x10JFIF", Some(ImageFormat::Jpeg)),
            (b"\x89PNG\r\n\x1a\n\0\0", Some(ImageFormat::Png)),
            (b"RIFF\x10\0\0\0WEBPVP8 ", Some(ImageFormat::Webp)),
            (b"\0\0\0\x18ftypheic\0\0\0\0", Some(ImageFormat::Heic)),
            (b"\0\0\0\x18ftypmif1\0\0\0\0", Some(ImageFormat::Heif)),
            (b"\0\0\0\x18ftypisom\0\0\0\0", None),
            (b"GIF89a", None),
        ];
        for (bytes, want) in cases {
            assert_eq!(ImageFormat::sniff(bytes), want, "{bytes:?}");
        }
        assert!(matches!(
            Image::new(Vec::new()),
            Err(Error::InvalidImage(_))
        ));
        assert!(matches!(
            Image::new(b"GIF89a".to_vec()),
            Err(Error::InvalidImage(_))
        ));
        let img = Image::with_mime_type(b"abc".to_vec(), "IMAGE/JPG; x=1").unwrap();
        assert_eq!(img.mime_type(), "image/jpeg");
        assert_eq!(img.to_base64(), "YWJj");
        assert!(Image::with_mime_type(b"abc".to_vec(), "image/gif").is_err());
        assert!(!format!("{img:?}").contains("abc"));
    }
}
