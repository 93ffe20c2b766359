//! The `generateContent` v1beta wire models (REST JSON: lowerCamelCase). Forward-compatible:
//! fields this crate does not use land in `extra`, unknown enum values in an `Other` variant,
//! so decoding never fails on an upstream addition.

mod request;
mod response;

pub use request::{
    Blob, Content, GenerateContentRequest, GenerationConfig, Part, SafetySetting, ThinkingConfig,
};
pub use response::{
    BlockReason, Candidate, FinishReason, GenerateContentResponse, ModalityTokenCount, ModelInfo,
    PromptFeedback, SafetyRating, UsageMetadata,
};

/// A string enum with an `Other(String)` catch-all: known values typed, unknown ones kept and
/// sent back unchanged.
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $wire:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
            /// A value this crate does not know, kept as received.
            Other(String),
        }

        impl $name {
            /// The wire value (`"STOP"`).
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $wire,)+
                    Self::Other(s) => s,
                }
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                match s {
                    $($wire => Self::$variant,)+
                    other => Self::Other(other.to_owned()),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                Ok(Self::from(&*s))
            }
        }
    };
}
pub(crate) use string_enum;
