//! [`Barcodes`]: every barcode and 2-D code in a photo, with what each one identifies.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::checks::{gtin_check_digit_ok, normalize_gpon_serial, normalize_mac};
use super::{Extractor, Flag, Kind, Problem};

/// The barcodes and 2-D codes of a photo.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct Barcodes {
    /// Every barcode, QR code and Data Matrix code visible, left to right and top to
    /// bottom; empty when there is none.
    pub barcodes: Vec<Barcode>,
}

/// One code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct Barcode {
    /// The symbology.
    pub format: BarcodeFormat,
    /// The decoded payload exactly as encoded (for linear codes, the human-readable digits
    /// printed under the bars).
    pub value: String,
    /// What the value identifies, judged from the text printed next to the code (S/N, MAC,
    /// GPON SN, PON SN, IMEI, P/N) and from the value's shape.
    pub meaning: BarcodeMeaning,
    /// The text printed next to the code, when any (e.g. "S/N", "MAC", "GPON SN").
    pub caption: Option<String>,
}

/// Barcode symbologies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum BarcodeFormat {
    /// EAN-13 / GTIN-13.
    #[serde(rename = "EAN_13")]
    Ean13,
    /// EAN-8.
    #[serde(rename = "EAN_8")]
    Ean8,
    /// UPC-A.
    UpcA,
    /// UPC-E.
    UpcE,
    /// Code 128 (most serial and MAC labels).
    #[serde(rename = "CODE_128")]
    Code128,
    /// Code 39.
    #[serde(rename = "CODE_39")]
    Code39,
    /// Interleaved 2 of 5 / ITF-14.
    Itf,
    /// Codabar.
    Codabar,
    /// QR code.
    Qr,
    /// Data Matrix.
    DataMatrix,
    /// PDF417.
    Pdf417,
    /// Aztec.
    Aztec,
    /// Anything else.
    #[serde(other)]
    Other,
}

/// What a code identifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum BarcodeMeaning {
    /// The equipment's serial number.
    Serial,
    /// A MAC address.
    Mac,
    /// A GPON / PON serial (ONU serial, 4 letters + 8 hex digits).
    GponSerial,
    /// A model or part number.
    Model,
    /// An IMEI.
    Imei,
    /// Wi-Fi credentials (a `WIFI:` QR code).
    Wifi,
    /// A URL.
    Url,
    /// A product code (EAN/UPC).
    Product,
    /// Anything else.
    #[serde(other)]
    Other,
}

impl Barcodes {
    /// The values of the codes with this meaning.
    pub fn values_of(&self, meaning: BarcodeMeaning) -> impl Iterator<Item = &str> {
        self.barcodes
            .iter()
            .filter(move |b| b.meaning == meaning)
            .map(|b| b.value.as_str())
    }
}

impl Extractor for Barcodes {
    const KIND: Kind = Kind::Barcodes;
    const PROMPT: &'static str = "List every barcode, QR code and Data Matrix code in this \
photo. For each: its symbology; its value exactly as encoded (for a linear barcode, the \
digits or characters printed under it); what it identifies, judged from the caption printed \
next to it (S/N or SN: serial; MAC: mac; GPON SN, PON SN or ONT SN: gpon_serial; P/N or \
model: model; IMEI: imei) or, without a caption, from the value's shape; and the caption \
itself. Do not list a code you cannot read completely.";

    fn nothing_found(&self) -> Option<&'static str> {
        self.barcodes
            .is_empty()
            .then_some("no barcode or 2-D code in the photo")
    }

    fn check(&mut self) -> Vec<Flag> {
        let mut flags = Vec::new();
        for (i, b) in self.barcodes.iter_mut().enumerate() {
            let field = format!("barcodes[{i}].value");
            b.value = b.value.trim().to_owned();
            match b.meaning {
                BarcodeMeaning::Mac => match normalize_mac(&b.value) {
                    Ok(mac) => b.value = mac,
                    Err(m) => flags.push(Flag::new(&field, Problem::InvalidMac, m)),
                },
                BarcodeMeaning::GponSerial => match normalize_gpon_serial(&b.value) {
                    Ok(sn) => b.value = sn,
                    Err(m) => flags.push(Flag::new(&field, Problem::InvalidGponSerial, m)),
                },
                _ => {}
            }
            let gtin = matches!(
                b.format,
                BarcodeFormat::Ean13 | BarcodeFormat::Ean8 | BarcodeFormat::UpcA
            ) || (b.format == BarcodeFormat::Itf && b.value.len() == 14);
            if gtin && !gtin_check_digit_ok(&b.value) {
                flags.push(Flag::new(
                    &field,
                    Problem::InvalidCheckDigit,
                    format!(
                        "{:?} is not a valid {:?} code (wrong length, not digits, or a wrong check digit)",
                        b.value, b.format
                    ),
                ));
            }
        }
        flags
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(format: BarcodeFormat, value: &str, meaning: BarcodeMeaning) -> Barcode {
        Barcode {
            format,
            value: value.to_owned(),
            meaning,
            caption: None,
        }
    }

    #[test]
    fn values_are_normalised_or_flagged() {
        let mut b = Barcodes {
            barcodes: vec![
                code(
                    BarcodeFormat::Code128,
                    "0011.22aa.bbcc",
                    BarcodeMeaning::Mac,
                ),
                code(
                    BarcodeFormat::Code128,
                    "48575443 1A2B3C4D",
                    BarcodeMeaning::GponSerial,
                ),
                code(
                    BarcodeFormat::Ean13,
                    "4006381333931",
                    BarcodeMeaning::Product,
                ),
                code(
                    BarcodeFormat::Ean13,
                    "4006381333932",
                    BarcodeMeaning::Product,
                ),
                code(BarcodeFormat::Code128, "00:11:22", BarcodeMeaning::Mac),
                code(BarcodeFormat::Qr, "HWTC1A2B3C4", BarcodeMeaning::GponSerial),
                code(BarcodeFormat::Code128, " SN123 ", BarcodeMeaning::Serial),
            ],
        };
        let flags = b.check();
        let got: Vec<(&str, Problem)> = flags
            .iter()
            .map(|f| (f.field.as_str(), f.problem))
            .collect();
        assert_eq!(
            got,
            [
                ("barcodes[3].value", Problem::InvalidCheckDigit),
                ("barcodes[4].value", Problem::InvalidMac),
                ("barcodes[5].value", Problem::InvalidGponSerial),
            ]
        );
        assert_eq!(b.barcodes[0].value, "00:11:22:AA:BB:CC");
        assert_eq!(b.barcodes[1].value, "HWTC1A2B3C4D");
        assert_eq!(
            b.barcodes[4].value, "00:11:22",
            "a failing value is kept as read"
        );
        assert_eq!(b.barcodes[6].value, "SN123");
        assert_eq!(
            b.values_of(BarcodeMeaning::Mac).collect::<Vec<_>>(),
            ["00:11:22:AA:BB:CC", "00:11:22"]
        );
    }

    #[test]
    fn unknown_enum_values_decode_as_other() {
        let b: Barcode = serde_json::from_str(
            r#"{"format":"MAXICODE","value":"x","meaning":"asset_tag","caption":null}"#,
        )
        .unwrap();
        assert_eq!(b.format, BarcodeFormat::Other);
        assert_eq!(b.meaning, BarcodeMeaning::Other);
        let b: Barcode =
            serde_json::from_str(r#"{"format":"EAN_13","value":"x","meaning":"gpon_serial"}"#)
                .unwrap();
        assert_eq!(b.format, BarcodeFormat::Ean13);
        assert_eq!(b.meaning, BarcodeMeaning::GponSerial);
    }
}
