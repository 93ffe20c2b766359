//! The router's cryptography (PROTOCOL §3.4–§3.7, §4.1): a session key (AES-128-CBC with a
//! 16-character IV, or AES-128-GCM with a 12-character nonce) used for every message of a
//! session in both directions, and the `sign` field — textbook RSA (no padding) over
//! zero-filled blocks of the signature text, with the router's public key.
//!
//! Both directions live here, so that the emulator and the client share one implementation
//! and the contract's vectors test each side.

use aes::Aes128;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes128Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use cbc::cipher::{BlockModeDecrypt, BlockModeEncrypt, KeyIvInit, block_padding::Pkcs7};
use md5::{Digest, Md5};
use num_bigint::BigUint;

/// A crypto failure: a key, a ciphertext or a signature that does not open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CryptoError(pub(crate) String);

fn err(m: impl Into<String>) -> CryptoError {
    CryptoError(m.into())
}

/// Which AES mode a router speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Variant {
    /// AES-128-CBC, PKCS#7, 16-character key and IV (the XX230v).
    #[default]
    Cbc,
    /// AES-128-GCM, 16-character key, 12-character nonce; the tag travels on its own `tag=`
    /// line, and answers are `base64(ciphertext)` followed by `base64(tag)`.
    Gcm,
}

impl Variant {
    /// `cbc` or `gcm`.
    pub fn as_str(self) -> &'static str {
        match self {
            Variant::Cbc => "cbc",
            Variant::Gcm => "gcm",
        }
    }
}

impl std::str::FromStr for Variant {
    type Err = CryptoError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "cbc" => Ok(Variant::Cbc),
            "gcm" => Ok(Variant::Gcm),
            other => Err(err(format!("{other:?} is not a crypto variant (cbc, gcm)"))),
        }
    }
}

/// `lowercase_hex(MD5(username ‖ password))` (PROTOCOL §3.5).
pub fn credential_hash(username: &str, password: &str) -> String {
    let mut h = Md5::new();
    h.update(username.as_bytes());
    h.update(password.as_bytes());
    hex::encode(h.finalize())
}

/// The router's RSA public key (`nn`, `ee` of the key fetch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RsaPublicKey {
    n: BigUint,
    e: BigUint,
    k: usize,
}

impl RsaPublicKey {
    /// From the hex modulus and exponent. Any even-length modulus (512-bit on the XX230v,
    /// 1024-bit on some EX firmware).
    pub fn from_hex(n_hex: &str, e_hex: &str) -> Result<Self, CryptoError> {
        let nb = hex::decode(n_hex).map_err(|_| err("the RSA modulus is not hex"))?;
        let eb = hex::decode(e_hex).map_err(|_| err("the RSA exponent is not hex"))?;
        let n = BigUint::from_bytes_be(&nb);
        let e = BigUint::from_bytes_be(&eb);
        let k = n.bits().div_ceil(8) as usize;
        if k < 32 || e.bits() == 0 {
            return Err(err("the RSA key is too small to sign with"));
        }
        Ok(Self { n, e, k })
    }

    /// The block size in bytes (64 for a 512-bit key).
    pub fn block_len(&self) -> usize {
        self.k
    }

    /// The `sign` field: `plaintext` in blocks of [`block_len`](Self::block_len) bytes, the
    /// last zero-filled, each raised to `e` mod `n`, hex, `2k` digits per block.
    pub fn sign(&self, plaintext: &[u8]) -> String {
        let mut out = String::with_capacity(plaintext.len().div_ceil(self.k) * self.k * 2);
        for chunk in plaintext.chunks(self.k) {
            let mut block = chunk.to_vec();
            block.resize(self.k, 0);
            let c = BigUint::from_bytes_be(&block).modpow(&self.e, &self.n);
            out.push_str(&format!(
                "{:0>width$}",
                c.to_str_radix(16),
                width = self.k * 2
            ));
        }
        out
    }

    /// The modulus as the key fetch shows it (lowercase hex, `2k` digits).
    pub fn n_hex(&self) -> String {
        format!("{:0>width$}", self.n.to_str_radix(16), width = self.k * 2)
    }

    /// The exponent as the key fetch shows it (`010001`).
    pub fn e_hex(&self) -> String {
        let h = self.e.to_str_radix(16);
        if !h.len().is_multiple_of(2) {
            format!("0{h}")
        } else {
            h
        }
    }
}

/// The router's RSA private key (the emulator's side).
#[derive(Clone)]
pub struct RsaPrivateKey {
    public: RsaPublicKey,
    d: BigUint,
}

impl std::fmt::Debug for RsaPrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RsaPrivateKey")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

impl RsaPrivateKey {
    /// From hex modulus, public and private exponents.
    pub fn from_hex(n_hex: &str, e_hex: &str, d_hex: &str) -> Result<Self, CryptoError> {
        let public = RsaPublicKey::from_hex(n_hex, e_hex)?;
        let d = BigUint::from_bytes_be(
            &hex::decode(d_hex).map_err(|_| err("the private exponent is not hex"))?,
        );
        Ok(Self { public, d })
    }

    /// The public half.
    pub fn public(&self) -> &RsaPublicKey {
        &self.public
    }

    /// Opens a `sign` field: hex blocks of `2k` digits, each raised to `d`, trailing zero
    /// bytes of each block removed, concatenated.
    pub fn open(&self, sign_hex: &str) -> Result<Vec<u8>, CryptoError> {
        let k = self.public.k;
        if sign_hex.is_empty() || !sign_hex.len().is_multiple_of(2 * k) {
            return Err(err("the sign is not whole RSA blocks"));
        }
        let mut out = Vec::new();
        for block in sign_hex.as_bytes().chunks(2 * k) {
            let c = BigUint::parse_bytes(block, 16).ok_or_else(|| err("the sign is not hex"))?;
            if c >= self.public.n {
                return Err(err("a sign block is not below the modulus"));
            }
            let m = c.modpow(&self.d, &self.public.n).to_bytes_be();
            let mut m = m.as_slice();
            while let [rest @ .., 0] = m {
                m = rest;
            }
            out.extend_from_slice(m);
        }
        Ok(out)
    }
}

/// A session's AES key and IV (or nonce): ASCII characters whose bytes are the key material,
/// as the router's own page makes them.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionKey {
    variant: Variant,
    key: [u8; 16],
    iv: Vec<u8>,
}

impl std::fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionKey")
            .field("variant", &self.variant)
            .finish_non_exhaustive()
    }
}

/// `data` and, for GCM, `tag` of a request envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    /// base64 ciphertext.
    pub data: String,
    /// base64 GCM tag (GCM only).
    pub tag: Option<String>,
}

/// 16 (or `n`) decimal digits: the epoch milliseconds followed by random digits, as the
/// router's page builds its key and IV.
fn digits(n: usize) -> String {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    let mut random = [0u8; 16];
    // A failing OS RNG leaves zeros: the key stays valid (the firmware's own keys are
    // time-based and guessable anyway).
    let _ = getrandom::fill(&mut random);
    let mut s = ms.to_string();
    for b in random {
        s.push(char::from(b'0' + b % 10));
    }
    s.truncate(n);
    s
}

impl SessionKey {
    /// A fresh key and IV for a login (digits only, byte-identical in shape to the UI's).
    pub fn generate(variant: Variant) -> Self {
        let key = digits(16);
        let iv = digits(Self::iv_len(variant));
        // Both are ASCII digits of the right length.
        Self::from_ascii(variant, &key, &iv).unwrap_or_else(|_| Self {
            variant,
            key: [b'0'; 16],
            iv: vec![b'0'; Self::iv_len(variant)],
        })
    }

    fn iv_len(variant: Variant) -> usize {
        match variant {
            Variant::Cbc => 16,
            Variant::Gcm => 12,
        }
    }

    /// From the ASCII key and IV (nonce).
    pub fn from_ascii(variant: Variant, key: &str, iv: &str) -> Result<Self, CryptoError> {
        Self::from_bytes(variant, key.as_bytes(), iv.as_bytes())
    }

    /// From raw key and IV bytes (16 and 16, or 16 and 12 for GCM).
    pub fn from_bytes(variant: Variant, key: &[u8], iv: &[u8]) -> Result<Self, CryptoError> {
        let key: [u8; 16] = key
            .try_into()
            .map_err(|_| err("the AES key is not 16 bytes"))?;
        if iv.len() != Self::iv_len(variant) {
            return Err(err(format!(
                "the {} IV is not {} bytes",
                variant.as_str(),
                Self::iv_len(variant)
            )));
        }
        Ok(Self {
            variant,
            key,
            iv: iv.to_vec(),
        })
    }

    /// The variant.
    pub fn variant(&self) -> Variant {
        self.variant
    }

    /// The `key=…&iv=…` part of a login sign (GCM sends them base64).
    pub fn login_sign_prefix(&self) -> String {
        match self.variant {
            Variant::Cbc => format!(
                "key={}&iv={}",
                String::from_utf8_lossy(&self.key),
                String::from_utf8_lossy(&self.iv)
            ),
            Variant::Gcm => format!("key={}&iv={}", B64.encode(self.key), B64.encode(&self.iv)),
        }
    }

    /// Reads `key` and `iv` from an opened login sign's pairs.
    pub fn from_login_sign(variant: Variant, key: &str, iv: &str) -> Result<Self, CryptoError> {
        match variant {
            Variant::Cbc => Self::from_ascii(variant, key, iv),
            Variant::Gcm => {
                let k = B64
                    .decode(key)
                    .map_err(|_| err("the GCM key is not base64"))?;
                let i = B64
                    .decode(iv)
                    .map_err(|_| err("the GCM nonce is not base64"))?;
                Self::from_bytes(variant, &k, &i)
            }
        }
    }

    fn gcm(&self) -> Result<Aes128Gcm, CryptoError> {
        Aes128Gcm::new_from_slice(&self.key).map_err(|_| err("the AES key is not 16 bytes"))
    }

    fn nonce(&self) -> Result<Nonce<aes_gcm::aead::consts::U12>, CryptoError> {
        Nonce::try_from(self.iv.as_slice()).map_err(|_| err("the GCM nonce is not 12 bytes"))
    }

    /// Encrypts `plaintext` into a request's `data` (and `tag`).
    pub fn seal(&self, plaintext: &[u8]) -> Result<Sealed, CryptoError> {
        match self.variant {
            Variant::Cbc => {
                let ct = cbc::Encryptor::<Aes128>::new_from_slices(&self.key, &self.iv)
                    .map_err(|_| err("bad CBC key or IV"))?
                    .encrypt_padded_vec::<Pkcs7>(plaintext);
                Ok(Sealed {
                    data: B64.encode(ct),
                    tag: None,
                })
            }
            Variant::Gcm => {
                let mut ct = self
                    .gcm()?
                    .encrypt(&self.nonce()?, plaintext)
                    .map_err(|_| err("GCM encryption failed"))?;
                let tag = ct.split_off(ct.len().saturating_sub(16));
                Ok(Sealed {
                    data: B64.encode(ct),
                    tag: Some(B64.encode(tag)),
                })
            }
        }
    }

    /// Decrypts a request's `data` (and `tag`).
    pub fn open(&self, data_b64: &str, tag_b64: Option<&str>) -> Result<Vec<u8>, CryptoError> {
        let ct = B64
            .decode(data_b64.trim())
            .map_err(|_| err("the data is not base64"))?;
        match self.variant {
            Variant::Cbc => cbc::Decryptor::<Aes128>::new_from_slices(&self.key, &self.iv)
                .map_err(|_| err("bad CBC key or IV"))?
                .decrypt_padded_vec::<Pkcs7>(&ct)
                .map_err(|_| err("the data does not decrypt (wrong key or padding)")),
            Variant::Gcm => {
                let tag = B64
                    .decode(
                        tag_b64
                            .ok_or_else(|| err("a GCM message needs its tag"))?
                            .trim(),
                    )
                    .map_err(|_| err("the tag is not base64"))?;
                self.gcm_open(&ct, &tag)
            }
        }
    }

    fn gcm_open(&self, ct: &[u8], tag: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let mut msg = ct.to_vec();
        msg.extend_from_slice(tag);
        self.gcm()?
            .decrypt(
                &self.nonce()?,
                Payload {
                    msg: &msg,
                    aad: &[],
                },
            )
            .map_err(|_| err("the GCM tag does not verify"))
    }

    /// Encrypts an answer body (the router's side): CBC `base64(ct)`; GCM `base64(ct)`
    /// followed by `base64(tag)` (`concat`: `base64(ct ‖ tag)`, the other framing seen).
    pub fn seal_answer(&self, plaintext: &[u8], concat: bool) -> Result<String, CryptoError> {
        let s = self.seal(plaintext)?;
        Ok(match (s.tag, concat) {
            (None, _) => s.data,
            (Some(tag), false) => format!("{}{tag}", s.data),
            (Some(tag), true) => {
                let mut raw = B64.decode(&s.data).map_err(|_| err("base64"))?;
                raw.extend(B64.decode(tag).map_err(|_| err("base64"))?);
                B64.encode(raw)
            }
        })
    }

    /// Decrypts an answer body. GCM: the last 24 characters as the tag (`base64(ct)` +
    /// `base64(tag)`), else the whole body decoded and its last 16 bytes as the tag.
    pub fn open_answer(&self, body: &str) -> Result<Vec<u8>, CryptoError> {
        let body = body.trim();
        match self.variant {
            Variant::Cbc => self.open(body, None),
            Variant::Gcm => {
                if body.len() > 24 && body.is_char_boundary(body.len() - 24) {
                    let (ct, tag) = body.split_at(body.len() - 24);
                    if let (Ok(ct), Ok(tag)) = (B64.decode(ct), B64.decode(tag))
                        && let Ok(pt) = self.gcm_open(&ct, &tag)
                    {
                        return Ok(pt);
                    }
                }
                let raw = B64
                    .decode(body)
                    .map_err(|_| err("the answer is not base64"))?;
                if raw.len() < 16 {
                    return Err(err("the answer is shorter than a GCM tag"));
                }
                let (ct, tag) = raw.split_at(raw.len() - 16);
                self.gcm_open(ct, tag)
            }
        }
    }
}
