//! Deterministic RSA key generation for the emulator (PROTOCOL §9.2 `rsa_bits`/`rsa_seed`):
//! two primes found by Miller–Rabin over a seeded generator, public exponent 65537. For tests
//! only — the keys are as guessable as their seed.

use num_bigint::BigUint;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::crypto::{CryptoError, RsaPrivateKey};

const ROUNDS: usize = 24;

fn small_primes() -> Vec<u32> {
    let limit = 2000usize;
    let mut sieve = vec![true; limit];
    let mut out = Vec::new();
    for i in 2..limit {
        if sieve[i] {
            out.push(i as u32);
            let mut j = i * i;
            while j < limit {
                sieve[j] = false;
                j += i;
            }
        }
    }
    out
}

fn random_below(rng: &mut StdRng, bound: &BigUint) -> BigUint {
    let mut bytes = vec![0u8; bound.bits().div_ceil(8) as usize + 8];
    rng.fill(bytes.as_mut_slice());
    BigUint::from_bytes_be(&bytes) % bound
}

fn probably_prime(n: &BigUint, rng: &mut StdRng) -> bool {
    let one = BigUint::from(1u32);
    let two = BigUint::from(2u32);
    let n_minus_1 = n - &one;
    let r = n_minus_1.trailing_zeros().unwrap_or(0);
    let d = &n_minus_1 >> r;
    let span = n - BigUint::from(3u32);
    'rounds: for _ in 0..ROUNDS {
        let a = random_below(rng, &span) + &two;
        let mut x = a.modpow(&d, n);
        if x == one || x == n_minus_1 {
            continue;
        }
        for _ in 1..r {
            x = x.modpow(&two, n);
            if x == n_minus_1 {
                continue 'rounds;
            }
        }
        return false;
    }
    true
}

fn prime(bits: u64, rng: &mut StdRng, small: &[u32]) -> BigUint {
    let len = (bits / 8) as usize;
    loop {
        let mut bytes = vec![0u8; len];
        rng.fill(bytes.as_mut_slice());
        // The two top bits make p·q exactly 2·bits long; the low bit makes it odd.
        bytes[0] |= 0xC0;
        bytes[len - 1] |= 1;
        let candidate = BigUint::from_bytes_be(&bytes);
        if small
            .iter()
            .any(|&p| (&candidate % p) == BigUint::ZERO && candidate != BigUint::from(p))
        {
            continue;
        }
        if probably_prime(&candidate, rng) {
            return candidate;
        }
    }
}

fn even_hex(n: &BigUint) -> String {
    let h = n.to_str_radix(16);
    if !h.len().is_multiple_of(2) {
        format!("0{h}")
    } else {
        h
    }
}

/// A `bits`-bit key (a multiple of 16 from 256 to 4096) derived from `seed`.
pub(crate) fn generate(bits: u32, seed: u64) -> Result<RsaPrivateKey, CryptoError> {
    if !(256..=4096).contains(&bits) || !bits.is_multiple_of(16) {
        return Err(CryptoError(format!(
            "{bits}-bit RSA keys are not generated (a multiple of 16 from 256 to 4096)"
        )));
    }
    let mut rng = StdRng::seed_from_u64(seed);
    let small = small_primes();
    let e = BigUint::from(65_537u32);
    let one = BigUint::from(1u32);
    loop {
        let p = prime(u64::from(bits / 2), &mut rng, &small);
        let q = prime(u64::from(bits / 2), &mut rng, &small);
        if p == q {
            continue;
        }
        let n = &p * &q;
        let phi = (&p - &one) * (&q - &one);
        let Some(d) = e.modinv(&phi) else {
            continue;
        };
        if n.bits() != u64::from(bits) {
            continue;
        }
        return RsaPrivateKey::from_hex(&even_hex(&n), "010001", &even_hex(&d));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_keys_are_deterministic_and_open_what_they_sign() {
        let a = generate(512, 7).unwrap();
        let b = generate(512, 7).unwrap();
        assert_eq!(a.public().n_hex(), b.public().n_hex());
        assert_eq!(a.public().n_hex().len(), 128);
        assert_eq!(a.public().e_hex(), "010001");
        let text =
            b"key=1718000000000123&iv=1718000000000456&h=805a3ee9dedbc194f594dd053004a14c&s=1";
        let sign = a.public().sign(text);
        assert_eq!(a.open(&sign).unwrap(), text);
        assert_ne!(
            generate(512, 8).unwrap().public().n_hex(),
            a.public().n_hex()
        );
        assert!(generate(500, 1).is_err());
    }

    #[test]
    fn miller_rabin_knows_small_cases() {
        let mut rng = StdRng::seed_from_u64(1);
        // 2^89 − 1 is prime; 2^67 − 1 is not.
        let m89 = (BigUint::from(1u32) << 89u32) - 1u32;
        let m67 = (BigUint::from(1u32) << 67u32) - 1u32;
        assert!(probably_prime(&m89, &mut rng));
        assert!(!probably_prime(&m67, &mut rng));
    }
}
