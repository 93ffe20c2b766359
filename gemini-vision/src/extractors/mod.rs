//! Built-in extractors: the types, prompts and value checks of the three readings a field
//! operation needs — [`Barcodes`], an [`EquipmentLabel`], an [`Invoice`].
//!
//! [`Client::read`] sends the extractor's prompt with its schema, decodes the answer, then
//! checks the values ([`Extractor::check`]): a MAC is a MAC, a GPON serial is 4 letters and
//! 8 hex digits, a GTIN's check digit holds, an invoice's totals add up. A value that fails
//! is kept as read and named in [`Extraction::flags`]; one that passes is normalised
//! (`00:11:22:AA:BB:CC`, `HWTC1A2B3C4D`).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> gemini_vision::Result<()> {
//! # let fake = gemini_vision::testkit::FakeGemini::start().await.unwrap();
//! # let client = fake.client_builder().build()?;
//! # let photo = gemini_vision::testkit::sample_png(1, 64, 32)?;
//! use gemini_vision::Image;
//! use gemini_vision::extractors::EquipmentLabel;
//!
//! let label = client.read::<EquipmentLabel>(Image::new(photo)?).await?;
//! for flag in &label.flags {
//!     eprintln!("check {}: {}", flag.field, flag.message);
//! }
//! println!("serial {:?}, MACs {:?}", label.value.serial, label.value.macs);
//! # Ok(()) }
//! ```

mod barcodes;
pub mod checks;
mod equipment;
mod invoice;

use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use barcodes::{Barcode, BarcodeFormat, BarcodeMeaning, Barcodes};
pub use equipment::{EquipmentLabel, WifiNetwork};
pub use invoice::{Invoice, LineItem, Tax, TaxKind};

use crate::extract::{ExtractOptions, Extraction};
use crate::image::Image;
use crate::models::{SafetySetting, ThinkingConfig};
use crate::{Client, Result};

/// The system instruction every built-in extractor sends.
pub const SYSTEM_INSTRUCTION: &str = "You read photos taken by the field technicians of an \
internet service provider: equipment labels, barcodes, supplier invoices. Report only what is \
printed or encoded in the photo, exactly as printed; use null (or an empty list) for what is \
absent or unreadable, and never guess or invent a value.";

/// A reading of a photo into a type: its prompt and the checks of its values.
pub trait Extractor: JsonSchema + DeserializeOwned + Serialize + Send + 'static {
    /// What it reads.
    const KIND: Kind;
    /// The instruction sent after the image.
    const PROMPT: &'static str;

    /// Normalises the values that pass their checks and returns a flag for each that does
    /// not (kept as read).
    fn check(&mut self) -> Vec<Flag>;

    /// `Some(why)` when the reading holds nothing of its kind (no code in the photo, no
    /// identifier on the label, neither a total nor a line on the invoice): the photo was
    /// probably not what the caller meant to send.
    fn nothing_found(&self) -> Option<&'static str>;
}

/// A value that failed its check after decoding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Flag {
    /// Where, as a path into the value (`macs[1]`, `line_items[0].amount`, `total`).
    pub field: String,
    /// Which check failed.
    pub problem: Problem,
    /// A sentence saying what is wrong.
    pub message: String,
}

impl Flag {
    /// A flag.
    pub fn new(field: impl Into<String>, problem: Problem, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            problem,
            message: message.into(),
        }
    }
}

/// The checks a value can fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Problem {
    /// Not a device MAC address.
    InvalidMac,
    /// Not 4 letters + 8 hexadecimal digits.
    InvalidGponSerial,
    /// A GTIN (EAN/UPC/ITF-14) whose check digit does not hold, or not digits.
    InvalidCheckDigit,
    /// Not a `YYYY-MM-DD` calendar date.
    InvalidDate,
    /// Not an ISO 4217 currency code.
    InvalidCurrency,
    /// Not a GST/HST or QST registration number.
    InvalidTaxNumber,
    /// A line's quantity × unit price differs from its amount.
    LineAmountMismatch,
    /// The line amounts do not add up to the subtotal.
    SubtotalMismatch,
    /// Subtotal + taxes differ from the total.
    TotalMismatch,
    /// A tax amount differs from its rate × the subtotal.
    TaxMismatch,
    /// A date that comes before the one it follows (due before issued).
    DateOrder,
    /// A value that should not be negative is.
    Negative,
}

/// The three built-in readings, by name (`barcodes`, `equipment`, `invoice`), for programs
/// and routes that choose at run time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Kind {
    /// [`Barcodes`].
    Barcodes,
    /// [`EquipmentLabel`].
    Equipment,
    /// [`Invoice`].
    Invoice,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 3] = [Kind::Barcodes, Kind::Equipment, Kind::Invoice];

    /// The name.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Barcodes => "barcodes",
            Kind::Equipment => "equipment",
            Kind::Invoice => "invoice",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Kind {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        Kind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown kind {s:?}: expected barcodes, equipment or invoice"))
    }
}

/// The thinking a built-in extractor asks for when the call sets none: reading a label is not
/// a reasoning task, and the field app waits 8 s. Gemini 3 and later: `thinkingLevel: low`
/// (the lowest level every Gemini 3 model takes); Gemini 2.5 Flash and Flash-Lite:
/// `thinkingBudget: 0` (off); others (2.5 Pro cannot turn thinking off, unknown ids): none.
///
/// ```
/// use gemini_vision::extractors::default_thinking;
/// use gemini_vision::models::ThinkingConfig;
/// assert_eq!(default_thinking("gemini-3.5-flash"), Some(ThinkingConfig::level("low")));
/// assert_eq!(default_thinking("gemini-2.5-flash-lite"), Some(ThinkingConfig::budget(0)));
/// assert_eq!(default_thinking("gemini-2.5-pro"), None);
/// ```
pub fn default_thinking(model: &str) -> Option<ThinkingConfig> {
    let id = model.trim();
    let id = id.strip_prefix("models/").unwrap_or(id);
    let rest = id.strip_prefix("gemini-")?;
    let generation: String = rest.chars().take_while(char::is_ascii_digit).collect();
    match generation.parse::<u32>().ok()? {
        3.. => Some(ThinkingConfig::level("low")),
        2 if rest.starts_with("2.5-flash") => Some(ThinkingConfig::budget(0)),
        _ => None,
    }
}

impl Client {
    /// Reads a photo with a built-in extractor ([`Barcodes`], [`EquipmentLabel`],
    /// [`Invoice`], or one of your own implementing [`Extractor`]): its prompt, the shared
    /// [`SYSTEM_INSTRUCTION`], `BLOCK_ONLY_HIGH` safety settings, the model's lowest thinking
    /// ([`default_thinking`]); then its checks, whose
    /// findings land in [`Extraction::flags`].
    ///
    /// # Errors
    /// As [`Client::extract`].
    pub async fn read<E: Extractor>(&self, image: Image) -> Result<Extraction<E>> {
        self.read_with(image, &ExtractOptions::default()).await
    }

    /// [`read`](Self::read) with options; a system instruction, safety settings or thinking
    /// given there replace the extractor's.
    ///
    /// # Errors
    /// As [`Client::extract`].
    pub async fn read_with<E: Extractor>(
        &self,
        image: Image,
        options: &ExtractOptions,
    ) -> Result<Extraction<E>> {
        let mut options = options.clone();
        if options.system_instruction.is_none() {
            options.system_instruction = Some(SYSTEM_INSTRUCTION.to_owned());
        }
        if options.safety_settings.is_empty() {
            options.safety_settings = SafetySetting::only_high();
        }
        if options.thinking.is_none() {
            let model = options.model.as_deref().unwrap_or(self.model());
            options.thinking = default_thinking(model);
        }
        let mut extraction = self.extract_with::<E>(image, E::PROMPT, &options).await?;
        extraction.flags = extraction.value.check();
        Ok(extraction)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::response_schema;

    #[test]
    fn translated_schemas_are_pinned() {
        insta::assert_json_snapshot!("barcodes", response_schema::<Barcodes>().unwrap());
        insta::assert_json_snapshot!("equipment", response_schema::<EquipmentLabel>().unwrap());
        insta::assert_json_snapshot!("invoice", response_schema::<Invoice>().unwrap());
    }

    #[test]
    fn kinds_parse() {
        for k in Kind::ALL {
            assert_eq!(k.as_str().parse::<Kind>(), Ok(k));
        }
        assert!("receipt".parse::<Kind>().unwrap_err().contains("barcodes"));
        assert_eq!(Barcodes::KIND, Kind::Barcodes);
        assert_eq!(EquipmentLabel::KIND, Kind::Equipment);
        assert_eq!(Invoice::KIND, Kind::Invoice);
    }

    #[test]
    fn empty_readings_say_so() {
        assert!(Barcodes::default().nothing_found().is_some());
        assert!(EquipmentLabel::default().nothing_found().is_some());
        assert!(Invoice::default().nothing_found().is_some());
        let label = EquipmentLabel {
            macs: vec!["00:11:22:AA:BB:CC".into()],
            ..EquipmentLabel::default()
        };
        assert_eq!(label.nothing_found(), None);
        let invoice = Invoice {
            total: Some(1.0),
            ..Invoice::default()
        };
        assert_eq!(invoice.nothing_found(), None);
    }
}
