//! Temporary passwords at rest: AES-256-GCM under the invite key, a random nonce per seal, the
//! invite's id as associated data (a sealed password cannot be moved to another invite).
//! Stored as base64 of `nonce ‖ ciphertext ‖ tag`.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use secrecy::{ExposeSecret, SecretString};

use crate::config::InviteKey;

const NONCE_LEN: usize = 12;

/// Why a sealed password could not be opened (another key, or a damaged value).
#[derive(Debug, thiserror::Error)]
#[error("the sealed password cannot be opened with this key")]
pub struct Unreadable;

/// A random key, for a hub started without `INVITE_SECRET_KEY`.
pub fn random_key() -> Result<InviteKey, getrandom::Error> {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key)?;
    Ok(InviteKey(key))
}

/// Seals `password` for the invite `id`.
pub fn seal(key: &InviteKey, id: &str, password: &SecretString) -> Result<String, Unreadable> {
    let cipher = Aes256Gcm::new(&key.0.into());
    let mut nonce = [0u8; NONCE_LEN];
    getrandom::fill(&mut nonce).map_err(|_| Unreadable)?;
    let sealed = cipher
        .encrypt(
            &Nonce::from(nonce),
            Payload {
                msg: password.expose_secret().as_bytes(),
                aad: id.as_bytes(),
            },
        )
        .map_err(|_| Unreadable)?;
    let mut out = nonce.to_vec();
    out.extend_from_slice(&sealed);
    Ok(base64::engine::general_purpose::STANDARD.encode(out))
}

/// Opens what [`seal`] made for the invite `id`.
pub fn open(key: &InviteKey, id: &str, sealed: &str) -> Result<SecretString, Unreadable> {
    let raw = base64::engine::general_purpose::STANDARD
        .decode(sealed)
        .map_err(|_| Unreadable)?;
    if raw.len() <= NONCE_LEN {
        return Err(Unreadable);
    }
    let (nonce, body) = raw.split_at(NONCE_LEN);
    let nonce = <[u8; NONCE_LEN]>::try_from(nonce).map_err(|_| Unreadable)?;
    let cipher = Aes256Gcm::new(&key.0.into());
    let plain = cipher
        .decrypt(
            &Nonce::from(nonce),
            Payload {
                msg: body,
                aad: id.as_bytes(),
            },
        )
        .map_err(|_| Unreadable)?;
    String::from_utf8(plain)
        .map(SecretString::from)
        .map_err(|_| Unreadable)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: u8) -> InviteKey {
        InviteKey([b; 32])
    }

    #[test]
    fn a_sealed_password_opens_with_its_key_and_invite_only() {
        let pw = SecretString::from("Abcd-Efgh-Jkmn-Pqrs");
        let sealed = seal(&key(1), "inv-1", &pw).expect("sealed");
        assert!(!sealed.contains("Abcd"), "not in clear: {sealed}");
        let opened = open(&key(1), "inv-1", &sealed).expect("opens");
        assert_eq!(opened.expose_secret(), pw.expose_secret());
        assert!(open(&key(2), "inv-1", &sealed).is_err(), "another key");
        assert!(open(&key(1), "inv-2", &sealed).is_err(), "another invite");
        assert!(open(&key(1), "inv-1", "bm9wZQ==").is_err(), "too short");
        assert!(open(&key(1), "inv-1", "%%%").is_err(), "not base64");
    }

    #[test]
    fn two_seals_of_one_password_differ() {
        let pw = SecretString::from("Abcd-Efgh-Jkmn-Pqrs");
        let a = seal(&key(1), "inv-1", &pw).expect("sealed");
        let b = seal(&key(1), "inv-1", &pw).expect("sealed");
        assert_ne!(a, b, "a fresh nonce each time");
    }
}
