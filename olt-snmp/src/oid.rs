//! Object identifiers and the values an agent returns, independent of the wire library.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A numeric object identifier, `1.3.6.1.2.1.1.1.0`.
///
/// Ordered as SNMP orders instances (arc by arc), so a sorted collection of `Oid`s is in walk
/// order. Parsed from dotted text with an optional leading dot.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Oid(Vec<u32>);

/// Text that is not a numeric object identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a numeric OID: {0:?}")]
pub struct InvalidOid(pub String);

impl Oid {
    /// An OID from its arcs.
    pub fn new(arcs: impl Into<Vec<u32>>) -> Self {
        Self(arcs.into())
    }

    /// The arcs, in order.
    pub fn arcs(&self) -> &[u32] {
        &self.0
    }

    /// Number of arcs.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the OID has no arcs.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `self` lies in the subtree rooted at `root` (or is `root` itself).
    pub fn starts_with(&self, root: &Oid) -> bool {
        self.0.starts_with(&root.0)
    }

    /// Whether `self` lies strictly below `root`.
    pub fn is_below(&self, root: &Oid) -> bool {
        self.0.len() > root.0.len() && self.starts_with(root)
    }

    /// The arcs after `root`, when `self` lies in `root`'s subtree.
    pub fn suffix(&self, root: &Oid) -> Option<&[u32]> {
        self.0.strip_prefix(root.0.as_slice())
    }

    /// This OID followed by `arcs`.
    pub fn child(&self, arcs: &[u32]) -> Oid {
        let mut v = Vec::with_capacity(self.0.len() + arcs.len());
        v.extend_from_slice(&self.0);
        v.extend_from_slice(arcs);
        Oid(v)
    }

    /// Whether the OID can be encoded on the wire (at least two arcs, the first 0..=2, the
    /// second below 40 unless the first is 2).
    pub fn is_encodable(&self) -> bool {
        match self.0.as_slice() {
            [first, second, ..] => *first < 2 && *second < 40 || *first == 2,
            _ => false,
        }
    }
}

impl FromStr for Oid {
    type Err = InvalidOid;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let t = t.strip_prefix('.').unwrap_or(t);
        if t.is_empty() {
            return Err(InvalidOid(s.to_owned()));
        }
        t.split('.')
            .map(|a| a.parse::<u32>().map_err(|_| InvalidOid(s.to_owned())))
            .collect::<Result<Vec<_>, _>>()
            .map(Oid)
    }
}

impl fmt::Display for Oid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for a in &self.0 {
            if !first {
                f.write_str(".")?;
            }
            first = false;
            write!(f, "{a}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Oid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Oid({self})")
    }
}

impl Serialize for Oid {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Oid {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A value as an agent returns it (SNMPv2 SMI types and the three exceptions).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Value {
    /// INTEGER / Integer32.
    Integer(i64),
    /// OCTET STRING.
    OctetString(Vec<u8>),
    /// OBJECT IDENTIFIER.
    ObjectId(Oid),
    /// IpAddress.
    IpAddress([u8; 4]),
    /// Counter32.
    Counter32(u32),
    /// Gauge32 / Unsigned32.
    Gauge32(u32),
    /// TimeTicks (hundredths of a second).
    TimeTicks(u32),
    /// Opaque.
    Opaque(Vec<u8>),
    /// Counter64.
    Counter64(u64),
    /// NULL.
    Null,
    /// The exception `noSuchObject`.
    NoSuchObject,
    /// The exception `noSuchInstance`.
    NoSuchInstance,
    /// The exception `endOfMibView`.
    EndOfMibView,
}

impl Value {
    /// The value as a signed integer, for the integer types.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Value::Integer(v) => Some(v),
            Value::Counter32(v) | Value::Gauge32(v) | Value::TimeTicks(v) => Some(i64::from(v)),
            Value::Counter64(v) => i64::try_from(v).ok(),
            _ => None,
        }
    }

    /// The bytes of an OCTET STRING or Opaque.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::OctetString(b) | Value::Opaque(b) => Some(b),
            _ => None,
        }
    }

    /// Whether this is one of the exceptions (`noSuchObject`, `noSuchInstance`, `endOfMibView`).
    pub fn is_exception(&self) -> bool {
        matches!(
            self,
            Value::NoSuchObject | Value::NoSuchInstance | Value::EndOfMibView
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_dotted_oids() {
        let oid: Oid = ".1.3.6.1.2.1.1.1.0".parse().unwrap();
        assert_eq!(oid.to_string(), "1.3.6.1.2.1.1.1.0");
        assert!("1.3.x".parse::<Oid>().is_err());
        assert!("".parse::<Oid>().is_err());
        assert!("1..3".parse::<Oid>().is_err());
    }

    #[test]
    fn orders_arc_by_arc_not_as_text() {
        let a: Oid = "1.3.6.1.9".parse().unwrap();
        let b: Oid = "1.3.6.1.10".parse().unwrap();
        assert!(a < b);
        let c: Oid = "1.3.6.1.9.1".parse().unwrap();
        assert!(a < c && c < b);
    }

    #[test]
    fn subtree_checks_are_arc_exact() {
        let root: Oid = "1.3.6.1.4.1.2011.6.128.1.1.2.51.1.4".parse().unwrap();
        let inside: Oid = "1.3.6.1.4.1.2011.6.128.1.1.2.51.1.4.4194312192.0"
            .parse()
            .unwrap();
        let sibling: Oid = "1.3.6.1.4.1.2011.6.128.1.1.2.51.1.40.1".parse().unwrap();
        assert!(inside.is_below(&root));
        assert_eq!(inside.suffix(&root), Some(&[4194312192, 0][..]));
        assert!(!sibling.starts_with(&root));
        assert!(!root.is_below(&root));
    }
}
