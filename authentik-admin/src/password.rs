//! Temporary passwords for invites: readable, without look-alike characters, from the
//! operating system's CSPRNG.

use secrecy::SecretString;

use crate::{Error, Result};

/// The characters used: letters and digits without `0 O o 1 l I` (56 symbols).
pub const PASSWORD_ALPHABET: &str = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// Random characters in a default temporary password (shown in groups of 4 joined by `-`).
pub const DEFAULT_PASSWORD_CHARS: usize = 16;

/// Bits of entropy of a password of `chars` random characters: `chars × log2(56)` (5.807 bits
/// each; the `-` separators add none). The default 16 characters give 92.9 bits.
pub fn password_entropy_bits(chars: usize) -> f64 {
    #[allow(clippy::cast_precision_loss)]
    let n = chars as f64;
    n * (PASSWORD_ALPHABET.len() as f64).log2()
}

/// A temporary password of [`DEFAULT_PASSWORD_CHARS`] random characters, in groups of 4:
/// `xK7m-pQ9r-Ab3d-Tz4h` (92.9 bits of entropy).
///
/// # Errors
/// [`Error::Config`] when the system's random source fails.
pub fn temporary_password() -> Result<SecretString> {
    temporary_password_of(DEFAULT_PASSWORD_CHARS)
}

/// A temporary password of `chars` random characters (at least 8), in groups of 4 joined by
/// `-`. Each character is drawn uniformly from [`PASSWORD_ALPHABET`] by rejection sampling of
/// CSPRNG bytes.
///
/// # Errors
/// [`Error::InvalidInput`] for fewer than 8 characters; [`Error::Config`] when the system's
/// random source fails.
pub fn temporary_password_of(chars: usize) -> Result<SecretString> {
    if chars < 8 {
        return Err(Error::InvalidInput(
            "a temporary password needs at least 8 characters".to_owned(),
        ));
    }
    let alphabet = PASSWORD_ALPHABET.as_bytes();
    // The largest multiple of the alphabet's size that fits a byte: bytes above are rejected so
    // that every symbol is equally likely.
    let limit = 256 - 256 % alphabet.len();
    let mut out = String::with_capacity(chars + chars / 4);
    let mut picked = 0;
    let mut buf = [0u8; 64];
    while picked < chars {
        getrandom::fill(&mut buf)
            .map_err(|e| Error::Config(format!("the system's random source failed: {e}")))?;
        for &b in &buf {
            if picked == chars {
                break;
            }
            if usize::from(b) >= limit {
                continue;
            }
            if picked > 0 && picked % 4 == 0 {
                out.push('-');
            }
            out.push(char::from(alphabet[usize::from(b) % alphabet.len()]));
            picked += 1;
        }
    }
    Ok(SecretString::from(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn alphabet_has_no_look_alikes() {
        for c in ['0', 'O', 'o', '1', 'l', 'I'] {
            assert!(!PASSWORD_ALPHABET.contains(c), "{c}");
        }
        assert_eq!(PASSWORD_ALPHABET.len(), 56);
        let mut seen: Vec<char> = PASSWORD_ALPHABET.chars().collect();
        seen.dedup();
        assert_eq!(seen.len(), 56);
    }

    #[test]
    fn length_shape_and_entropy() {
        let bits = password_entropy_bits(DEFAULT_PASSWORD_CHARS);
        assert!((bits - 92.92).abs() < 0.01, "{bits}");
        for _ in 0..200 {
            let Ok(p) = temporary_password() else {
                panic!("random source");
            };
            let p = p.expose_secret();
            assert_eq!(p.len(), 19);
            let groups: Vec<&str> = p.split('-').collect();
            assert_eq!(groups.len(), 4);
            assert!(groups.iter().all(|g| g.len() == 4));
            assert!(p.chars().all(|c| c == '-' || PASSWORD_ALPHABET.contains(c)));
        }
        assert!(temporary_password_of(7).is_err());
        assert!(matches!(temporary_password_of(10), Ok(p) if p.expose_secret().len() == 12));
    }
}
