//! The few BER encodings an SNMPv2c agent needs to answer: a Response-PDU and its varbinds.

use crate::oid::{Oid, Value};

fn push_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
}

fn tlv(out: &mut Vec<u8>, tag: u8, content: &[u8]) {
    out.push(tag);
    push_len(out, content.len());
    out.extend_from_slice(content);
}

fn int_content(v: i64) -> Vec<u8> {
    let bytes = v.to_be_bytes();
    let mut start = 0;
    while start < 7 {
        let (b, next) = (bytes[start], bytes[start + 1]);
        if (b == 0x00 && next & 0x80 == 0) || (b == 0xFF && next & 0x80 != 0) {
            start += 1;
        } else {
            break;
        }
    }
    bytes[start..].to_vec()
}

fn uint_content(v: u64) -> Vec<u8> {
    let bytes = v.to_be_bytes();
    let skip = bytes.iter().take(7).take_while(|b| **b == 0).count();
    let mut out = Vec::with_capacity(9);
    if bytes[skip] & 0x80 != 0 {
        out.push(0);
    }
    out.extend_from_slice(&bytes[skip..]);
    out
}

fn push_base128(out: &mut Vec<u8>, mut v: u64) {
    let mut tmp = [0u8; 10];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = (v & 0x7F) as u8;
        v >>= 7;
        if v == 0 {
            break;
        }
    }
    let last = tmp.len() - 1;
    for (j, b) in tmp.iter().enumerate().skip(i) {
        out.push(if j == last { *b } else { b | 0x80 });
    }
}

fn oid_content(oid: &Oid) -> Vec<u8> {
    let arcs = oid.arcs();
    let mut out = Vec::with_capacity(arcs.len() + 4);
    match arcs {
        [a, b, rest @ ..] => {
            push_base128(&mut out, u64::from(*a) * 40 + u64::from(*b));
            for arc in rest {
                push_base128(&mut out, u64::from(*arc));
            }
        }
        [a] => push_base128(&mut out, u64::from(*a) * 40),
        [] => out.push(0),
    }
    out
}

fn push_value(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Integer(i) => tlv(out, 0x02, &int_content(*i)),
        Value::OctetString(b) => tlv(out, 0x04, b),
        Value::Null => tlv(out, 0x05, &[]),
        Value::ObjectId(o) => tlv(out, 0x06, &oid_content(o)),
        Value::IpAddress(a) => tlv(out, 0x40, a),
        Value::Counter32(c) => tlv(out, 0x41, &uint_content(u64::from(*c))),
        Value::Gauge32(c) => tlv(out, 0x42, &uint_content(u64::from(*c))),
        Value::TimeTicks(c) => tlv(out, 0x43, &uint_content(u64::from(*c))),
        Value::Opaque(b) => tlv(out, 0x44, b),
        Value::Counter64(c) => tlv(out, 0x46, &uint_content(*c)),
        Value::NoSuchObject => tlv(out, 0x80, &[]),
        Value::NoSuchInstance => tlv(out, 0x81, &[]),
        Value::EndOfMibView => tlv(out, 0x82, &[]),
    }
}

/// Encoded size of one varbind (for size budgeting).
pub(crate) fn varbind_len(oid: &Oid, v: &Value) -> usize {
    let mut buf = Vec::new();
    push_varbind(&mut buf, oid, v);
    buf.len()
}

fn push_varbind(out: &mut Vec<u8>, oid: &Oid, v: &Value) {
    let mut inner = Vec::new();
    tlv(&mut inner, 0x06, &oid_content(oid));
    push_value(&mut inner, v);
    tlv(out, 0x30, &inner);
}

/// An SNMPv2c (or v1) Response-PDU message.
pub(crate) fn response(
    version: i64,
    community: &[u8],
    req_id: i32,
    error_status: u32,
    error_index: u32,
    varbinds: &[(Oid, Value)],
) -> Vec<u8> {
    let mut vbs = Vec::new();
    for (o, v) in varbinds {
        push_varbind(&mut vbs, o, v);
    }
    let mut pdu = Vec::new();
    tlv(&mut pdu, 0x02, &int_content(i64::from(req_id)));
    tlv(&mut pdu, 0x02, &int_content(i64::from(error_status)));
    tlv(&mut pdu, 0x02, &int_content(i64::from(error_index)));
    tlv(&mut pdu, 0x30, &vbs);
    let mut msg = Vec::new();
    tlv(&mut msg, 0x02, &int_content(version));
    tlv(&mut msg, 0x04, community);
    tlv(&mut msg, 0xA2, &pdu);
    let mut out = Vec::new();
    tlv(&mut out, 0x30, &msg);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_use_the_shortest_twos_complement() {
        assert_eq!(int_content(0), [0x00]);
        assert_eq!(int_content(127), [0x7F]);
        assert_eq!(int_content(128), [0x00, 0x80]);
        assert_eq!(int_content(-1), [0xFF]);
        assert_eq!(int_content(-129), [0xFF, 0x7F]);
        assert_eq!(int_content(2147483647), [0x7F, 0xFF, 0xFF, 0xFF]);
        assert_eq!(uint_content(4194312192), [0x00, 0xFA, 0x00, 0x20, 0x00]);
    }

    #[test]
    fn responses_decode_with_the_wire_library() {
        let oid: Oid = "1.3.6.1.4.1.2011.6.128.1.1.2.51.1.4.4194312192.0"
            .parse()
            .unwrap();
        let msg = response(
            1,
            b"c",
            42,
            0,
            0,
            &[
                (oid.clone(), Value::Integer(-2249)),
                (oid.clone(), Value::OctetString(vec![0x48, 0x57])),
                (oid.clone(), Value::Counter64(u64::MAX)),
                (oid.clone(), Value::EndOfMibView),
            ],
        );
        let pdu = snmp2::Pdu::from_bytes(&msg).unwrap();
        assert_eq!(pdu.req_id, 42);
        let vbs: Vec<_> = pdu.varbinds.clone().collect();
        assert_eq!(vbs.len(), 4);
        assert_eq!(vbs[0].0.to_id_string(), oid.to_string());
        assert!(matches!(vbs[0].1, snmp2::Value::Integer(-2249)));
        assert!(matches!(vbs[2].1, snmp2::Value::Counter64(u64::MAX)));
        assert!(matches!(vbs[3].1, snmp2::Value::EndOfMibView));
        let big = response(
            1,
            b"c",
            1,
            0,
            0,
            &[(oid.clone(), Value::OctetString(vec![0; 300]))],
        );
        assert!(snmp2::Pdu::from_bytes(&big).is_ok());
        // A varbind is SEQUENCE { OID, value }: 2 + (2 + 22) + 2 bytes for a 22-byte OID body.
        assert_eq!(oid_content(&oid).len(), 22);
        assert_eq!(varbind_len(&oid, &Value::Null), 28);
    }
}
