//! The `.snmprec` recording format (one `oid|type|value` per line), as snmpsim reads it.
//!
//! Types are the BER tags in decimal: 2 INTEGER, 4 OCTET STRING, 5 NULL, 6 OBJECT IDENTIFIER,
//! 64 IpAddress, 65 Counter32, 66 Gauge32, 67 TimeTicks, 68 Opaque, 70 Counter64. A type followed
//! by `x` carries its value as hex (`4x|48575443c55642cf`). Blank lines and lines starting with
//! `#` are skipped. Variation modules (`:` in the type) are refused.

use std::collections::BTreeMap;
use std::ops::Bound;

use crate::oid::{Oid, Value};

/// A line that could not be read, with its 1-based number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("snmprec line {line}: {message}")]
pub struct SnmprecError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong with it.
    pub message: String,
}

/// A parsed recording: values by OID, in walk order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recording {
    records: BTreeMap<Oid, Value>,
}

impl Recording {
    /// Parses the text of a `.snmprec` file.
    pub fn parse(text: &str) -> Result<Self, SnmprecError> {
        let mut records = BTreeMap::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim_end_matches('\r');
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let err = |message: String| SnmprecError {
                line: i + 1,
                message,
            };
            let mut parts = line.splitn(3, '|');
            let (Some(oid), Some(tag), Some(value)) = (parts.next(), parts.next(), parts.next())
            else {
                return Err(err("expected `oid|type|value`".to_owned()));
            };
            let oid: Oid = oid.parse().map_err(|e| err(format!("{e}")))?;
            let value = parse_value(tag, value).map_err(err)?;
            records.insert(oid, value);
        }
        Ok(Self { records })
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether there are no records.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The value at exactly `oid`.
    pub fn get(&self, oid: &Oid) -> Option<&Value> {
        self.records.get(oid)
    }

    /// The first record strictly after `oid` (GETNEXT semantics).
    pub fn next_after(&self, oid: &Oid) -> Option<(&Oid, &Value)> {
        self.records
            .range((Bound::Excluded(oid), Bound::Unbounded))
            .next()
    }

    /// Every record, in walk order.
    pub fn iter(&self) -> impl Iterator<Item = (&Oid, &Value)> {
        self.records.iter()
    }

    /// The records below `root`, in walk order.
    pub fn subtree<'a>(&'a self, root: &'a Oid) -> impl Iterator<Item = (&'a Oid, &'a Value)> {
        self.records
            .range((Bound::Excluded(root), Bound::Unbounded))
            .take_while(move |(k, _)| k.starts_with(root))
    }

    /// Sets (or adds) one record; the fake agent uses it to change a recording while it runs.
    pub fn set(&mut self, oid: Oid, value: Value) {
        self.records.insert(oid, value);
    }
}

fn parse_value(tag: &str, value: &str) -> Result<Value, String> {
    if tag.contains(':') {
        return Err(format!(
            "variation modules are not supported (type `{tag}`)"
        ));
    }
    let (num, hex) = match tag.strip_suffix('x') {
        Some(t) => (t, true),
        None => (tag, false),
    };
    let bytes = || -> Result<Vec<u8>, String> {
        if hex {
            decode_hex(value).ok_or_else(|| format!("bad hex value {value:?}"))
        } else {
            Ok(value.as_bytes().to_vec())
        }
    };
    let text = || -> Result<String, String> {
        String::from_utf8(bytes()?).map_err(|_| "value is not text".to_owned())
    };
    let int = |t: String| -> Result<i64, String> {
        t.trim()
            .parse::<i64>()
            .map_err(|_| format!("bad integer {t:?}"))
    };
    let u32v = |t: String| -> Result<u32, String> {
        t.trim()
            .parse::<u32>()
            .map_err(|_| format!("bad unsigned integer {t:?}"))
    };
    Ok(match num {
        "2" => Value::Integer(int(text()?)?),
        "4" => Value::OctetString(bytes()?),
        "5" => Value::Null,
        "6" => Value::ObjectId(text()?.parse().map_err(|e| format!("{e}"))?),
        "64" => {
            let b = bytes()?;
            if hex {
                let arr: [u8; 4] = b.try_into().map_err(|_| "IpAddress needs 4 octets")?;
                Value::IpAddress(arr)
            } else {
                let ip: std::net::Ipv4Addr = text()?
                    .parse()
                    .map_err(|_| format!("bad IpAddress {value:?}"))?;
                Value::IpAddress(ip.octets())
            }
        }
        "65" => Value::Counter32(u32v(text()?)?),
        "66" => Value::Gauge32(u32v(text()?)?),
        "67" => Value::TimeTicks(u32v(text()?)?),
        "68" => Value::Opaque(bytes()?),
        "70" => Value::Counter64(
            text()?
                .trim()
                .parse()
                .map_err(|_| format!("bad Counter64 {value:?}"))?,
        ),
        "128" => Value::NoSuchObject,
        "129" => Value::NoSuchInstance,
        "130" => Value::EndOfMibView,
        other => return Err(format!("unknown type `{other}`")),
    })
}

pub(crate) fn decode_hex(s: &str) -> Option<Vec<u8>> {
    let s = s.trim();
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|p| u8::from_str_radix(p, 16).ok()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_type_used_by_the_recordings() {
        let rec = Recording::parse(
            "# comment\n\
             1.3.6.1.2.1.1.1.0|4|Huawei Integrated Access Software\n\
             1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.2011.2.248\n\
             1.3.6.1.2.1.1.3.0|67|123456789\n\
             1.3.6.1.4.1.2011.6.128.1.1.2.43.1.3.4194312192.0|4x|48575443c55642cf\n\
             1.3.6.1.4.1.2011.6.128.1.1.2.51.1.4.4194312192.0|2|-2249\n\
             \n",
        )
        .unwrap();
        assert_eq!(rec.len(), 5);
        let sn: Oid = "1.3.6.1.4.1.2011.6.128.1.1.2.43.1.3.4194312192.0"
            .parse()
            .unwrap();
        assert_eq!(
            rec.get(&sn),
            Some(&Value::OctetString(vec![
                0x48, 0x57, 0x54, 0x43, 0xc5, 0x56, 0x42, 0xcf
            ]))
        );
        let up: Oid = "1.3.6.1.2.1.1.3.0".parse().unwrap();
        assert_eq!(rec.get(&up), Some(&Value::TimeTicks(123_456_789)));
        let rx: Oid = "1.3.6.1.4.1.2011.6.128.1.1.2.51.1.4.4194312192.0"
            .parse()
            .unwrap();
        assert_eq!(rec.get(&rx), Some(&Value::Integer(-2249)));
    }

    #[test]
    fn bad_lines_are_errors_naming_the_line() {
        let e = Recording::parse("1.3.6.1.2.1.1.1.0|4|ok\n1.3.6|2|twelve\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(Recording::parse("1.3.6.1|4x|abc\n").is_err());
        assert!(Recording::parse("1.3.6.1|4:numeric|1\n").is_err());
        assert!(Recording::parse("no pipes here\n").is_err());
    }

    #[test]
    fn next_after_and_subtree_follow_walk_order() {
        let rec = Recording::parse("1.3.6.1.9|2|1\n1.3.6.1.10|2|2\n1.3.6.1.9.1|2|3\n").unwrap();
        let (oid, _) = rec.next_after(&"1.3.6.1.9".parse().unwrap()).unwrap();
        assert_eq!(oid.to_string(), "1.3.6.1.9.1");
        let root: Oid = "1.3.6.1.9".parse().unwrap();
        assert_eq!(rec.subtree(&root).count(), 1);
        assert!(rec.next_after(&"1.3.6.1.10".parse().unwrap()).is_none());
    }
}
