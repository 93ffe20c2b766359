//! Checks of values read from photos: MAC addresses, GPON serials, GTIN check digits, dates,
//! currency codes, Canadian tax numbers, amounts. Pure functions; each returns the normalised
//! value or why it is not one.

/// A MAC address in any common notation (`00:11:22:AA:BB:CC`, `00-11-22-aa-bb-cc`,
/// `0011.22aa.bbcc`, `001122AABBCC`) as `00:11:22:AA:BB:CC`.
///
/// ```
/// use gemini_vision::extractors::checks::normalize_mac;
/// assert_eq!(normalize_mac("0011.22aa.bbcc").unwrap(), "00:11:22:AA:BB:CC");
/// assert!(normalize_mac("00:11:22:AA:BB").is_err());
/// assert!(normalize_mac("01:00:5E:00:00:01").is_err()); // multicast: no device has it
/// ```
///
/// # Errors
/// Why it is not a device's MAC address.
pub fn normalize_mac(raw: &str) -> Result<String, String> {
    let digits: String = raw
        .trim()
        .chars()
        .filter(|c| !matches!(c, ':' | '-' | '.' | ' '))
        .collect();
    if digits.len() != 12 || !digits.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(format!(
            "{raw:?} is not a MAC address (expected 12 hexadecimal digits)"
        ));
    }
    let digits = digits.to_ascii_uppercase();
    let first = u8::from_str_radix(&digits[..2], 16).map_err(|e| e.to_string())?;
    if first & 1 == 1 {
        return Err(format!(
            "{raw:?} is a multicast address, which no device carries"
        ));
    }
    if digits.chars().all(|c| c == '0') {
        return Err(format!("{raw:?} is the all-zero address"));
    }
    let pairs: Vec<&str> = (0..6).map(|i| &digits[i * 2..i * 2 + 2]).collect();
    Ok(pairs.join(":"))
}

/// A GPON serial (ONU serial number) as 4 letters + 8 hexadecimal digits (`HWTC1A2B3C4D`).
/// The 16-hex-digit form some labels print (`485754431A2B3C4D`: the vendor id in hex) and
/// separators are accepted.
///
/// ```
/// use gemini_vision::extractors::checks::normalize_gpon_serial;
/// assert_eq!(normalize_gpon_serial("485754431a2b3c4d").unwrap(), "HWTC1A2B3C4D");
/// assert_eq!(normalize_gpon_serial("zteg-c0ffee01").unwrap(), "ZTEGC0FFEE01");
/// assert!(normalize_gpon_serial("HWTC1A2B3C4").is_err());
/// ```
///
/// # Errors
/// Why it is not a GPON serial.
pub fn normalize_gpon_serial(raw: &str) -> Result<String, String> {
    let s: String = raw
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | ':' | '_'))
        .collect::<String>()
        .to_ascii_uppercase();
    let bad =
        || format!("{raw:?} is not a GPON serial (expected 4 letters and 8 hexadecimal digits)");
    if s.len() == 16 && s.chars().all(|c| c.is_ascii_hexdigit()) {
        let mut vendor = String::with_capacity(4);
        for i in 0..4 {
            let byte = u8::from_str_radix(&s[i * 2..i * 2 + 2], 16).map_err(|_| bad())?;
            if !byte.is_ascii_uppercase() {
                return Err(bad());
            }
            vendor.push(char::from(byte));
        }
        return Ok(format!("{vendor}{}", &s[8..]));
    }
    if s.len() == 12
        && s[..4].chars().all(|c| c.is_ascii_uppercase())
        && s[4..].chars().all(|c| c.is_ascii_hexdigit())
    {
        return Ok(s);
    }
    Err(bad())
}

/// Whether a GTIN (EAN-8, UPC-A, EAN-13, ITF-14: 8, 12, 13 or 14 digits) has a valid check
/// digit (GS1's mod-10 with weights 3 and 1).
///
/// ```
/// use gemini_vision::extractors::checks::gtin_check_digit_ok;
/// assert!(gtin_check_digit_ok("4006381333931"));
/// assert!(!gtin_check_digit_ok("4006381333932"));
/// ```
pub fn gtin_check_digit_ok(digits: &str) -> bool {
    if !matches!(digits.len(), 8 | 12 | 13 | 14) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let values: Vec<u32> = digits.bytes().map(|b| u32::from(b - b'0')).collect();
    let (body, check) = values.split_at(values.len() - 1);
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| if i % 2 == 0 { d * 3 } else { *d })
        .sum();
    (10 - sum % 10) % 10 == check[0]
}

/// Whether `s` is a real calendar date written `YYYY-MM-DD`.
///
/// ```
/// use gemini_vision::extractors::checks::is_iso_date;
/// assert!(is_iso_date("2024-02-29"));
/// assert!(!is_iso_date("2023-02-29"));
/// assert!(!is_iso_date("03/04/2024"));
/// ```
pub fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = &s[r];
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())
            .flatten()
    };
    let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d) && y >= 1900
}

/// Whether `s` looks like an ISO 4217 code (three upper-case letters).
pub fn is_currency_code(s: &str) -> bool {
    s.len() == 3 && s.bytes().all(|b| b.is_ascii_uppercase())
}

/// A Canadian GST/HST registration number (business number + `RT` + 4 digits,
/// `123456789RT0001`), spaces and dashes removed.
///
/// # Errors
/// Why it is not one.
pub fn normalize_gst_number(raw: &str) -> Result<String, String> {
    registration(raw, 9, "RT").ok_or_else(|| {
        format!("{raw:?} is not a GST/HST number (expected 9 digits, RT and 4 digits)")
    })
}

/// A Québec QST registration number (10 digits + `TQ` + 4 digits, `1234567890TQ0001`),
/// spaces and dashes removed.
///
/// # Errors
/// Why it is not one.
pub fn normalize_qst_number(raw: &str) -> Result<String, String> {
    registration(raw, 10, "TQ")
        .ok_or_else(|| format!("{raw:?} is not a QST number (expected 10 digits, TQ and 4 digits)"))
}

fn registration(raw: &str, digits: usize, program: &str) -> Option<String> {
    let s: String = raw
        .chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .collect::<String>()
        .to_ascii_uppercase();
    let ok = s.len() == digits + 6
        && s[..digits].bytes().all(|b| b.is_ascii_digit())
        && &s[digits..digits + 2] == program
        && s[digits + 2..].bytes().all(|b| b.is_ascii_digit());
    ok.then_some(s)
}

/// How far apart two amounts may be and still agree: two cents (rounding of per-line taxes
/// and amounts).
pub const AMOUNT_TOLERANCE: f64 = 0.02;

/// Whether two amounts agree within [`AMOUNT_TOLERANCE`].
pub fn amounts_agree(a: f64, b: f64) -> bool {
    (a - b).abs() <= AMOUNT_TOLERANCE + f64::EPSILON * a.abs().max(b.abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macs() {
        for ok in [
            "00:11:22:aa:bb:cc",
            "00-11-22-AA-BB-CC",
            "001122AABBCC",
            "0011.22AA.BBCC",
            " 00 11 22 AA BB CC ",
        ] {
            assert_eq!(normalize_mac(ok).unwrap(), "00:11:22:AA:BB:CC", "{ok}");
        }
        for bad in [
            "",
            "00:11:22:AA:BB",
            "00:11:22:AA:BB:CC:DD",
            "00:11:22:AA:BB:CG",
        ] {
            assert!(normalize_mac(bad).is_err(), "{bad}");
        }
        assert!(normalize_mac("00:00:00:00:00:00").is_err());
        assert!(normalize_mac("FF:FF:FF:FF:FF:FF").is_err());
    }

    #[test]
    fn gpon_serials() {
        assert_eq!(
            normalize_gpon_serial("HWTC 1A2B3C4D").unwrap(),
            "HWTC1A2B3C4D"
        );
        assert_eq!(
            normalize_gpon_serial("414c434cfffe0001").unwrap(),
            "ALCLFFFE0001"
        );
        for bad in [
            "",
            "HWTC1A2B3C4G",
            "HWT11A2B3C4D",
            "1234567812345678",
            "HWTC1A2B3C4D5",
        ] {
            assert!(normalize_gpon_serial(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn gtins() {
        assert!(gtin_check_digit_ok("96385074")); // EAN-8
        assert!(gtin_check_digit_ok("036000291452")); // UPC-A
        assert!(gtin_check_digit_ok("00012345600012")); // ITF-14
        assert!(!gtin_check_digit_ok("036000291453"));
        assert!(!gtin_check_digit_ok("12345"));
        assert!(!gtin_check_digit_ok("40063813339a1"));
    }

    #[test]
    fn dates_currencies_tax_numbers_amounts() {
        assert!(is_iso_date("2000-02-29"));
        assert!(!is_iso_date("1900-02-29"));
        assert!(!is_iso_date("2024-13-01"));
        assert!(!is_iso_date("2024-04-31"));
        assert!(!is_iso_date("2024-4-30"));
        assert!(is_currency_code("CAD"));
        assert!(!is_currency_code("cad"));
        assert!(!is_currency_code("$"));
        assert_eq!(
            normalize_gst_number("123456789 RT 0001").unwrap(),
            "123456789RT0001"
        );
        assert!(normalize_gst_number("123456789TQ0001").is_err());
        assert_eq!(
            normalize_qst_number("1234567890-tq-0001").unwrap(),
            "1234567890TQ0001"
        );
        assert!(normalize_qst_number("123456789RT0001").is_err());
        assert!(amounts_agree(114.975, 114.99));
        assert!(!amounts_agree(114.97, 115.0));
    }
}
