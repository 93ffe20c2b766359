//! Downscaling before upload: a photo larger than the model needs is decoded, turned upright
//! (EXIF orientation), resized so that its longest side fits, and re-encoded as JPEG. Fewer
//! bytes to send, and on Gemini 2.x (or with an explicit media resolution) fewer image tokens.

use std::io::Cursor;

use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageReader, Limits, RgbImage};

use crate::image::{Image, ImageFormat};
use crate::{Error, Result};

/// The default longest side, in pixels: enough for labels, barcodes and invoices (2.4 MP at
/// 4:3), a quarter of a 12 MP phone photo.
pub const DEFAULT_MAX_SIDE: u32 = 1536;
/// The default JPEG quality of a re-encoded image.
pub const DEFAULT_JPEG_QUALITY: u8 = 85;
/// The widest and tallest image decoded (larger declared sizes are refused before any pixel
/// buffer is allocated).
pub const MAX_DECODED_SIDE: u32 = 16_384;
/// The most memory the decoder may hold for one image.
pub const MAX_DECODE_ALLOC: u64 = 512 * 1024 * 1024;

/// The resampling filter: Catmull-Rom (bicubic) is as sharp as Lanczos3 on text and edges at a
/// lower cost (`benches/downscale.rs` measures the three).
const FILTER: FilterType = FilterType::CatmullRom;

/// How images are downscaled before upload ([`Image::downscaled`]); the client's default
/// ([`ClientBuilder::downscale`](crate::ClientBuilder::downscale)) is
/// [`Downscale::default`]: longest side 1536 px, JPEG quality 85.
///
/// ```
/// use gemini_vision::Downscale;
/// let d = Downscale::default().with_max_side(1024).with_jpeg_quality(80);
/// assert_eq!(d.max_side(), Some(1024));
/// assert_eq!(Downscale::off().max_side(), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Downscale {
    max_side: Option<u32>,
    quality: u8,
}

impl Default for Downscale {
    fn default() -> Self {
        Self {
            max_side: Some(DEFAULT_MAX_SIDE),
            quality: DEFAULT_JPEG_QUALITY,
        }
    }
}

impl Downscale {
    /// No downscaling: images are sent as given.
    pub fn off() -> Self {
        Self {
            max_side: None,
            quality: DEFAULT_JPEG_QUALITY,
        }
    }

    /// Sets the longest side, in pixels (at least 1).
    pub fn with_max_side(mut self, px: u32) -> Self {
        self.max_side = Some(px.max(1));
        self
    }

    /// Sets the JPEG quality of re-encoded images (1 to 100).
    pub fn with_jpeg_quality(mut self, quality: u8) -> Self {
        self.quality = quality.clamp(1, 100);
        self
    }

    /// The longest side; `None` when downscaling is off.
    pub fn max_side(&self) -> Option<u32> {
        self.max_side
    }

    /// The JPEG quality.
    pub fn jpeg_quality(&self) -> u8 {
        self.quality
    }
}

/// The image tokens Gemini 2.0 / 2.5 bill for an image of `width` x `height` pixels at the
/// default media resolution: 258 when both sides are at most 384 px, otherwise 258 per
/// 768 x 768 tile (Google's token documentation, "Image tokens"). An estimate: the real count
/// is in the answer's `usageMetadata` ([`UsageMetadata::prompt_tokens_of`](crate::UsageMetadata::prompt_tokens_of)).
/// Gemini 3.x bills a fixed count per image at its default media resolution, whatever the size.
///
/// ```
/// use gemini_vision::estimated_image_tokens;
/// assert_eq!(estimated_image_tokens(384, 200), 258);
/// assert_eq!(estimated_image_tokens(1536, 1152), 4 * 258);
/// assert_eq!(estimated_image_tokens(4032, 3024), 6 * 4 * 258);
/// ```
pub fn estimated_image_tokens(width: u32, height: u32) -> u32 {
    const TOKENS_PER_TILE: u32 = 258;
    if width <= 384 && height <= 384 {
        return TOKENS_PER_TILE;
    }
    width
        .div_ceil(768)
        .saturating_mul(height.div_ceil(768))
        .saturating_mul(TOKENS_PER_TILE)
}

fn limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DECODED_SIDE);
    limits.max_image_height = Some(MAX_DECODED_SIDE);
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    limits
}

fn invalid(format: ImageFormat, e: &image::ImageError) -> Error {
    match e {
        image::ImageError::Limits(_) => Error::InvalidImage(format!(
            "the {format} image is too large to decode (limit {MAX_DECODED_SIDE} x {MAX_DECODED_SIDE} px): {e}"
        )),
        _ => Error::InvalidImage(format!("the {format} image could not be decoded: {e}")),
    }
}

fn reader(image: &Image) -> Result<ImageReader<Cursor<&[u8]>>> {
    let format = match image.format() {
        ImageFormat::Jpeg => image::ImageFormat::Jpeg,
        ImageFormat::Png => image::ImageFormat::Png,
        other => {
            return Err(Error::InvalidImage(format!(
                "{other} images are not decoded here"
            )));
        }
    };
    let mut reader = ImageReader::with_format(Cursor::new(image.bytes().as_ref()), format);
    reader.limits(limits());
    Ok(reader)
}

/// The width and height stored in a JPEG or PNG header (before EXIF orientation); `None` for
/// other formats.
pub(crate) fn dimensions(image: &Image) -> Result<Option<(u32, u32)>> {
    if !matches!(image.format(), ImageFormat::Jpeg | ImageFormat::Png) {
        return Ok(None);
    }
    let decoder = reader(image)?
        .into_decoder()
        .map_err(|e| invalid(image.format(), &e))?;
    Ok(Some(decoder.dimensions()))
}

/// The size that fits `(w, h)` into `max` on its longest side, aspect ratio kept.
fn fit(w: u32, h: u32, max: u32) -> (u32, u32) {
    let long = w.max(h);
    if long <= max {
        return (w, h);
    }
    let scale = |side: u32| {
        let scaled = (u64::from(side) * u64::from(max) + u64::from(long) / 2) / u64::from(long);
        u32::try_from(scaled.max(1)).unwrap_or(max)
    };
    (scale(w), scale(h))
}

/// Whether a JPEG has an end-of-image marker (`FF D9`) after its last start-of-scan
/// (`FF DA`). Neither can appear inside entropy-coded data (`FF` is stuffed there), an EXIF
/// thumbnail comes before the main image, and data appended after the end (MPF) ends with its
/// own marker.
fn jpeg_is_complete(bytes: &[u8]) -> bool {
    let last_scan = bytes.windows(2).rposition(|w| w == [0xFF, 0xDA]);
    last_scan.is_some_and(|at| bytes[at..].windows(2).any(|w| w == [0xFF, 0xD9]))
}

/// Flattens an image with alpha onto white (JPEG has no alpha).
fn flatten_on_white(img: DynamicImage) -> RgbImage {
    if !img.color().has_alpha() {
        return img.into_rgb8();
    }
    let rgba = img.into_rgba8();
    let (w, h) = rgba.dimensions();
    let mut out = RgbImage::new(w, h);
    for (dst, src) in out.pixels_mut().zip(rgba.pixels()) {
        let a = u16::from(src[3]);
        for c in 0..3 {
            let v = (u16::from(src[c]) * a + 255 * (255 - a) + 127) / 255;
            dst[c] = u8::try_from(v).unwrap_or(u8::MAX);
        }
    }
    out
}

/// See [`Image::downscaled`].
pub(crate) fn downscale(image: &Image, settings: &Downscale) -> Result<Image> {
    downscale_with(image, settings)
}

/// What the client does before sending: [`downscale`]. A JPEG or PNG whose header does not
/// decode is [`Error::InvalidImage`] before anything is sent, as is one over the decoding
/// limits or a corrupt one that needs downscaling.
pub(crate) fn downscale_for_upload(image: &Image, settings: &Downscale) -> Result<Image> {
    downscale(image, settings)
}

fn downscale_with(image: &Image, settings: &Downscale) -> Result<Image> {
    let Some(max) = settings.max_side else {
        return Ok(image.clone());
    };
    if !matches!(image.format(), ImageFormat::Jpeg | ImageFormat::Png) {
        // WebP, HEIC, HEIF: not decodable here; sent as given.
        return Ok(image.clone());
    }
    let format = image.format();
    let mut decoder = reader(image)?
        .into_decoder()
        .map_err(|e| invalid(format, &e))?;
    let (w, h) = decoder.dimensions();
    if w.max(h) <= max {
        return Ok(image.clone());
    }
    // `DynamicImage::from_decoder` allocates the whole image without looking at `max_alloc`.
    if decoder.total_bytes() > MAX_DECODE_ALLOC {
        return Err(Error::InvalidImage(format!(
            "the {format} image is too large to decode ({w} x {h} px, {} MiB decoded; limit {} MiB)",
            decoder.total_bytes() / (1024 * 1024),
            MAX_DECODE_ALLOC / (1024 * 1024)
        )));
    }
    if format == ImageFormat::Jpeg && !jpeg_is_complete(image.bytes()) {
        // The decoder fills a cut image with grey rather than failing.
        return Err(Error::InvalidImage(
            "the image/jpeg image is truncated (no end-of-image marker after its last scan)"
                .to_owned(),
        ));
    }
    let orientation = decoder.orientation().map_err(|e| invalid(format, &e))?;
    let mut img = DynamicImage::from_decoder(decoder).map_err(|e| invalid(format, &e))?;
    let (tw, th) = fit(w, h, max);
    img = img.resize_exact(tw, th, FILTER);
    img.apply_orientation(orientation);
    let rgb = flatten_on_white(img);
    let mut out = Vec::with_capacity(image.bytes().len() / 4);
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, settings.quality);
    rgb.write_with_encoder(encoder)
        .map_err(|e| Error::InvalidImage(format!("could not re-encode the image: {e}")))?;
    if out.len() >= image.bytes().len() {
        return Ok(image.clone());
    }
    Image::new(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageEncoder, Rgb, Rgba, RgbaImage};

    /// A photo-like picture: gradients, shapes and noise, so JPEG sizes are realistic.
    fn photo(w: u32, h: u32) -> RgbImage {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        RgbImage::from_fn(w, h, |x, y| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let noise = (seed % 24) as i32 - 12;
            let px = |v: u32| u8::try_from((v as i32 + noise).clamp(0, 255)).unwrap();
            let ring = ((x / 37 + y / 23) % 2) * 60;
            Rgb([px(x * 255 / w), px(y * 255 / h), px(ring + (x ^ y) % 128)])
        })
    }

    fn jpeg(img: &RgbImage, quality: u8) -> Vec<u8> {
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
            .encode_image(img)
            .unwrap();
        out
    }

    fn size_of(image: &Image) -> (u32, u32) {
        image::load_from_memory(image.bytes())
            .unwrap()
            .into_rgb8()
            .dimensions()
    }

    #[test]
    fn a_large_jpeg_is_reduced_to_the_limit_keeping_the_aspect_ratio() {
        let original = Image::new(jpeg(&photo(1200, 800), 95)).unwrap();
        let small = original
            .downscaled(&Downscale::default().with_max_side(600))
            .unwrap();
        assert_eq!(small.format(), ImageFormat::Jpeg);
        assert_eq!(size_of(&small), (600, 400));
        assert!(small.bytes().len() * 2 < original.bytes().len());
        // Odd sizes round to the nearest pixel.
        let odd = Image::new(jpeg(&photo(1001, 333), 95)).unwrap();
        let odd = odd
            .downscaled(&Downscale::default().with_max_side(500))
            .unwrap();
        assert_eq!(size_of(&odd), (500, 166));
        assert_eq!(fit(3, 10_000, 100), (1, 100));
    }

    #[test]
    fn small_images_and_other_formats_are_returned_byte_identical() {
        let original = Image::new(jpeg(&photo(400, 300), 90)).unwrap();
        let same = original.downscaled(&Downscale::default()).unwrap();
        assert!(same.bytes() == original.bytes());
        let off = Image::new(jpeg(&photo(700, 300), 90)).unwrap();
        let same = off.downscaled(&Downscale::off()).unwrap();
        assert!(same.bytes() == off.bytes());
        // WebP is passed through (not decodable with these features), even when invalid.
        let webp = Image::new(b"RIFF\x10\0\0\0WEBPVP8 garbage".to_vec()).unwrap();
        assert_eq!(
            webp.downscaled(&Downscale::default().with_max_side(1))
                .unwrap()
                .bytes(),
            webp.bytes()
        );
    }

    #[test]
    fn a_reencoding_that_would_be_larger_keeps_the_original() {
        // Saved at quality 5, a photo is smaller than its slightly smaller copy at 100.
        let original = Image::new(jpeg(&photo(800, 800), 5)).unwrap();
        let out = original
            .downscaled(
                &Downscale::default()
                    .with_max_side(790)
                    .with_jpeg_quality(100),
            )
            .unwrap();
        assert!(out.bytes() == original.bytes());
        let bytes = original.bytes();
        assert!(jpeg_is_complete(bytes));
        assert!(!jpeg_is_complete(&bytes[..bytes.len() - 2]));
    }

    /// A JPEG with an EXIF APP1 segment carrying `orientation`, inserted after SOI.
    fn with_exif_orientation(jpeg: &[u8], orientation: u16) -> Vec<u8> {
        let mut tiff = Vec::new();
        tiff.extend_from_slice(b"MM\0\x2a\0\0\0\x08"); // big endian, IFD0 at 8
        tiff.extend_from_slice(&1u16.to_be_bytes()); // one entry
        tiff.extend_from_slice(&0x0112u16.to_be_bytes()); // Orientation
        tiff.extend_from_slice(&3u16.to_be_bytes()); // SHORT
        tiff.extend_from_slice(&1u32.to_be_bytes()); // count
        tiff.extend_from_slice(&orientation.to_be_bytes());
        tiff.extend_from_slice(&[0, 0]); // value padding
        tiff.extend_from_slice(&0u32.to_be_bytes()); // no next IFD
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend_from_slice(&tiff);
        let len = u16::try_from(app1.len() + 2).unwrap();
        let mut out = jpeg[..2].to_vec();
        out.extend_from_slice(&[0xFF, 0xE1]);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&app1);
        out.extend_from_slice(&jpeg[2..]);
        out
    }

    #[test]
    fn exif_orientation_6_is_applied_swapping_width_and_height() {
        let bytes = with_exif_orientation(&jpeg(&photo(1000, 500), 92), 6);
        let original = Image::new(bytes).unwrap();
        assert_eq!(original.dimensions().unwrap(), Some((1000, 500)));
        let upright = original
            .downscaled(&Downscale::default().with_max_side(400))
            .unwrap();
        assert_eq!(size_of(&upright), (200, 400));
    }

    #[test]
    fn a_png_is_reencoded_as_jpeg_with_alpha_flattened_on_white() {
        let rgba = RgbaImage::from_fn(900, 600, |x, y| {
            let a = if x < 450 { 0 } else { 255 };
            Rgba([(x % 251) as u8, (y % 253) as u8, ((x * y) % 255) as u8, a])
        });
        let mut png = Vec::new();
        image::codecs::png::PngEncoder::new(&mut png)
            .write_image(rgba.as_raw(), 900, 600, image::ExtendedColorType::Rgba8)
            .unwrap();
        let original = Image::new(png).unwrap();
        let out = original
            .downscaled(&Downscale::default().with_max_side(300))
            .unwrap();
        assert_eq!(out.format(), ImageFormat::Jpeg);
        let decoded = image::load_from_memory(out.bytes()).unwrap().into_rgb8();
        assert_eq!(decoded.dimensions(), (300, 200));
        let left = decoded.get_pixel(10, 100);
        assert!(left.0.iter().all(|&c| c > 245), "{left:?}");
    }

    #[test]
    fn a_truncated_jpeg_is_an_invalid_image() {
        let bytes = jpeg(&photo(800, 600), 90);
        let cut = Image::new(bytes[..bytes.len() / 3].to_vec()).unwrap();
        let err = cut
            .downscaled(&Downscale::default().with_max_side(100))
            .unwrap_err();
        assert!(
            matches!(&err, Error::InvalidImage(m) if m.contains("image/jpeg")),
            "{err:?}"
        );
        let garbage = Image::new(b"\xFF\xD8\xFF\xE0 not a jpeg at all".to_vec()).unwrap();
        assert!(matches!(
            garbage.downscaled(&Downscale::default()),
            Err(Error::InvalidImage(_))
        ));
    }

    #[test]
    fn a_header_declaring_60000_px_is_refused_without_decoding() {
        let mut bytes = jpeg(&photo(16, 16), 90);
        // The SOF0 segment: FF C0, length, precision, height, width.
        let sof = bytes.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
        bytes[sof + 5..sof + 7].copy_from_slice(&60_000u16.to_be_bytes());
        bytes[sof + 7..sof + 9].copy_from_slice(&60_000u16.to_be_bytes());
        let bomb = Image::new(bytes).unwrap();
        let err = bomb.downscaled(&Downscale::default()).unwrap_err();
        assert!(
            matches!(&err, Error::InvalidImage(m) if m.contains("too large")),
            "{err:?}"
        );
        // Within the side limit, but 16000 x 16000 x 3 bytes is over the memory limit.
        let mut bytes = jpeg(&photo(16, 16), 90);
        bytes[sof + 5..sof + 9].copy_from_slice(&[0x3E, 0x80, 0x3E, 0x80]);
        let err = Image::new(bytes)
            .unwrap()
            .downscaled(&Downscale::default())
            .unwrap_err();
        assert!(
            matches!(&err, Error::InvalidImage(m) if m.contains("16000 x 16000")),
            "{err:?}"
        );
        // A PNG header declaring 60000 x 60000.
        let mut png = Vec::new();
        image::codecs::png::PngEncoder::new(&mut png)
            .write_image(&[0; 3], 1, 1, image::ExtendedColorType::Rgb8)
            .unwrap();
        png[16..20].copy_from_slice(&60_000u32.to_be_bytes());
        png[20..24].copy_from_slice(&60_000u32.to_be_bytes());
        let crc = crc32(&png[12..29]);
        png[29..33].copy_from_slice(&crc.to_be_bytes());
        let bomb = Image::new(png).unwrap();
        let err = bomb.downscaled(&Downscale::default()).unwrap_err();
        assert!(
            matches!(&err, Error::InvalidImage(m) if m.contains("too large")),
            "{err:?}"
        );
    }

    #[test]
    fn the_client_refuses_an_unreadable_header_and_a_bomb() {
        let stub = Image::new(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec()).unwrap();
        assert!(stub.downscaled(&Downscale::default()).is_err());
        assert!(matches!(
            downscale_for_upload(&stub, &Downscale::default()),
            Err(Error::InvalidImage(_))
        ));
        let off = downscale_for_upload(&stub, &Downscale::off()).unwrap();
        assert!(
            off.bytes() == stub.bytes(),
            "downscaling off: sent as given"
        );
        let mut bytes = jpeg(&photo(16, 16), 90);
        let sof = bytes.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
        bytes[sof + 5..sof + 9].copy_from_slice(&[0xEA, 0x60, 0xEA, 0x60]);
        let bomb = Image::new(bytes).unwrap();
        assert!(downscale_for_upload(&bomb, &Downscale::default()).is_err());
    }

    /// The CRC-32 of a PNG chunk (type and data).
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn token_estimates() {
        assert_eq!(estimated_image_tokens(100, 100), 258);
        assert_eq!(estimated_image_tokens(385, 100), 258);
        assert_eq!(estimated_image_tokens(768, 769), 2 * 258);
        assert_eq!(estimated_image_tokens(0, 0), 258);
    }
}
