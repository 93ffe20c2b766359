//! The router's data model as the emulator holds it (PROTOCOL §9.7): objects and lists of
//! instances whose values are strings, kept in the order they were given, so that answers carry
//! the fields in fixture order (and the contract's sample answers come out byte for byte).

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::protocol::ROOT_STACK;

/// One instance: `name → value` pairs in order, values as strings (a `stack` among them).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Instance(Vec<(String, String)>);

/// A value as the router shows it: strings as they are, anything else as its JSON text
/// (`null` as the empty string).
fn as_router_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn quote(s: &str) -> String {
    Value::String(s.to_owned()).to_string()
}

impl Instance {
    fn from_map(m: &Map<String, Value>) -> Self {
        Self(
            m.iter()
                .map(|(k, v)| (k.clone(), as_router_string(v)))
                .collect(),
        )
    }

    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Sets a field in place, or appends it.
    pub(crate) fn set(&mut self, name: &str, value: String) {
        match self.0.iter_mut().find(|(k, _)| k == name) {
            Some((_, v)) => *v = value,
            None => self.0.push((name.to_owned(), value)),
        }
    }

    /// The instance's `stack`, the root path when it has none.
    pub(crate) fn stack(&self) -> &str {
        self.get("stack").unwrap_or(ROOT_STACK)
    }

    /// Compact JSON, fields in order.
    pub(crate) fn to_json(&self) -> String {
        let mut out = String::from("{");
        for (i, (k, v)) in self.0.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&quote(k));
            out.push(':');
            out.push_str(&quote(v));
        }
        out.push('}');
        out
    }

    fn to_value(&self) -> Value {
        Value::Object(
            self.0
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect(),
        )
    }
}

/// An object: one instance (`go`), or a list of instances in stack order (`gl`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Fixture {
    /// A single instance.
    Object(Instance),
    /// Every instance of a list object.
    List(Vec<Instance>),
}

impl Fixture {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Object(m) => Some(Fixture::Object(Instance::from_map(m))),
            Value::Array(items) => items
                .iter()
                .map(|i| i.as_object().map(Instance::from_map))
                .collect::<Option<Vec<_>>>()
                .map(Fixture::List),
            _ => None,
        }
    }

    fn to_value(&self) -> Value {
        match self {
            Fixture::Object(i) => i.to_value(),
            Fixture::List(items) => Value::Array(items.iter().map(Instance::to_value).collect()),
        }
    }
}

/// The objects an emulated router answers, by OID (PROTOCOL §9.7).
///
/// Values are strings, as on the wire. Fields keep the order they were loaded in when the set
/// comes from JSON text ([`from_json`](Self::from_json), [`default_set`](Self::default_set));
/// a [`serde_json::Value`] given to [`insert`](Self::insert) has its keys in that map's order.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Fixtures {
    objects: BTreeMap<String, Fixture>,
}

impl fmt::Debug for Fixtures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fixtures")
            .field("oids", &self.objects.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Fixtures {
    /// No objects: every OID answers `71011`.
    pub fn empty() -> Self {
        Self::default()
    }

    /// The contract's default data set (`default_fixtures` of `vectors.json`, PROTOCOL §9.7):
    /// an XX230v with six WAN profiles (`pppoe_gpon_3_3` connected), LAN, two Wi-Fi bands,
    /// three hosts, a two-node mesh and GPON optics.
    pub fn default_set() -> Self {
        super::defaults()
            .map(|d| d.default_fixtures)
            .unwrap_or_default()
    }

    /// Parses a JSON object `{"OID": {…} | [{…}, …], …}`; members whose name starts with `_`
    /// (notes) are skipped. Field order is kept.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// An object as JSON (an object, or an array of instances), if the router has it.
    pub fn get(&self, oid: &str) -> Option<Value> {
        self.objects.get(oid).map(Fixture::to_value)
    }

    /// Adds or replaces an object: a JSON object (one instance) or an array of objects
    /// (a list). Anything else is refused (`false`).
    pub fn insert(&mut self, oid: &str, value: &Value) -> bool {
        match Fixture::from_value(value) {
            Some(f) => {
                self.objects.insert(oid.to_owned(), f);
                true
            }
            None => false,
        }
    }

    /// Removes an object (it then answers `71011`); whether it was there.
    pub fn remove(&mut self, oid: &str) -> bool {
        self.objects.remove(oid).is_some()
    }

    /// The OIDs held, sorted.
    pub fn oids(&self) -> Vec<String> {
        self.objects.keys().cloned().collect()
    }

    /// The number of objects.
    pub fn len(&self) -> usize {
        self.objects.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    #[cfg(test)]
    pub(crate) fn object(&self, oid: &str) -> Option<&Fixture> {
        self.objects.get(oid)
    }

    pub(crate) fn object_mut(&mut self, oid: &str) -> Option<&mut Fixture> {
        self.objects.get_mut(oid)
    }
}

// Order-keeping deserialisation (serde_json's `Map` sorts its keys).

impl<'de> Deserialize<'de> for Instance {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Instance;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object instance")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Instance, A::Error> {
                let mut fields = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, Value>()? {
                    fields.push((k, as_router_string(&v)));
                }
                Ok(Instance(fields))
            }
        }
        d.deserialize_map(V)
    }
}

impl<'de> Deserialize<'de> for Fixture {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Fixture;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object instance or an array of instances")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Fixture, A::Error> {
                Instance::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(Fixture::Object)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Fixture, A::Error> {
                let mut items = Vec::new();
                while let Some(i) = seq.next_element::<Instance>()? {
                    items.push(i);
                }
                Ok(Fixture::List(items))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for Fixtures {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Fixtures;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of OIDs")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Fixtures, A::Error> {
                let mut objects = BTreeMap::new();
                while let Some(k) = map.next_key::<String>()? {
                    if k.starts_with('_') {
                        map.next_value::<IgnoredAny>()?;
                    } else {
                        objects.insert(k, map.next_value::<Fixture>()?);
                    }
                }
                Ok(Fixtures { objects })
            }
        }
        d.deserialize_map(V)
    }
}

/// The six levels of a stack (`"1,2,0,0,0,0"`); missing or malformed levels count as 0.
pub(crate) fn parse_stack(s: &str) -> [u64; 6] {
    let mut out = [0u64; 6];
    for (slot, part) in out.iter_mut().zip(s.split(',')) {
        *slot = part.trim().parse().unwrap_or(0);
    }
    out
}

fn format_stack(levels: &[u64; 6]) -> String {
    levels
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

fn same_stack(a: &str, b: &str) -> bool {
    parse_stack(a) == parse_stack(b)
}

/// What a command does to the data model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// `success:true` with this `data` (compact JSON).
    Data(String),
    /// `{"success":false,"errorcode":N}`.
    Refused(i64),
}

/// Unknown object, or an operation it does not support (PROTOCOL §7.1).
pub(crate) const E_UNKNOWN_OID: i64 = 71011;
/// `ao` of an entry that already exists.
pub(crate) const E_DUPLICATE: i64 = 5024;

fn stack_data(stack: &str) -> String {
    format!("{{\"stack\":{}}}", quote(stack))
}

/// The attributes a write carries: everything but `stack`/`pstack`, as router strings.
fn attributes(data: &Map<String, Value>) -> Vec<(String, String)> {
    data.iter()
        .filter(|(k, _)| k.as_str() != "stack" && k.as_str() != "pstack")
        .map(|(k, v)| (k.clone(), as_router_string(v)))
        .collect()
}

/// Runs `go`/`gl`/`gs`/`so`/`ao`/`do` against the fixtures (the caller handles `op` and `cgi`).
pub(crate) fn execute(
    fixtures: &mut Fixtures,
    op: &str,
    oid: &str,
    data: &Map<String, Value>,
) -> Outcome {
    let stack = data
        .get("stack")
        .and_then(Value::as_str)
        .unwrap_or(ROOT_STACK);
    let pstack = data
        .get("pstack")
        .and_then(Value::as_str)
        .unwrap_or(ROOT_STACK);
    let Some(object) = fixtures.object_mut(oid) else {
        return Outcome::Refused(E_UNKNOWN_OID);
    };
    match (op, object) {
        ("go", Fixture::Object(i)) => Outcome::Data(i.to_json()),
        ("go", Fixture::List(items)) => {
            let found = if same_stack(stack, ROOT_STACK) {
                items.first()
            } else {
                items.iter().find(|i| same_stack(i.stack(), stack))
            };
            found.map_or(Outcome::Refused(E_UNKNOWN_OID), |i| {
                Outcome::Data(i.to_json())
            })
        }
        ("gl" | "gs", Fixture::Object(i)) => Outcome::Data(format!("[{}]", i.to_json())),
        ("gl" | "gs", Fixture::List(items)) => Outcome::Data(format!(
            "[{}]",
            items
                .iter()
                .map(Instance::to_json)
                .collect::<Vec<_>>()
                .join(",")
        )),
        ("so", Fixture::Object(i)) => {
            if !same_stack(stack, ROOT_STACK) && !same_stack(stack, i.stack()) {
                return Outcome::Refused(E_UNKNOWN_OID);
            }
            for (k, v) in attributes(data) {
                i.set(&k, v);
            }
            Outcome::Data(stack_data(i.stack()))
        }
        ("so", Fixture::List(items)) => {
            let Some(i) = items.iter_mut().find(|i| same_stack(i.stack(), stack)) else {
                return Outcome::Refused(E_UNKNOWN_OID);
            };
            for (k, v) in attributes(data) {
                i.set(&k, v);
            }
            Outcome::Data(stack_data(i.stack()))
        }
        ("ao", Fixture::List(items)) => add(items, pstack, attributes(data)),
        ("do", Fixture::List(items)) => {
            let Some(pos) = items.iter().position(|i| same_stack(i.stack(), stack)) else {
                return Outcome::Refused(E_UNKNOWN_OID);
            };
            let removed = items.remove(pos);
            Outcome::Data(stack_data(removed.stack()))
        }
        _ => Outcome::Refused(E_UNKNOWN_OID),
    }
}

/// `ao`: the new instance goes one level below `pstack` (the first level that is 0 there),
/// numbered one past the highest sibling. Refused with 5024 when a sibling already carries
/// every given attribute with the same value.
fn add(items: &mut Vec<Instance>, pstack: &str, attrs: Vec<(String, String)>) -> Outcome {
    let parent = parse_stack(pstack);
    let Some(depth) = parent.iter().position(|&l| l == 0) else {
        return Outcome::Refused(E_UNKNOWN_OID);
    };
    let siblings = || {
        items.iter().filter(move |i| {
            let s = parse_stack(i.stack());
            s[..depth] == parent[..depth] && s[depth] != 0
        })
    };
    if !attrs.is_empty()
        && siblings().any(|i| attrs.iter().all(|(k, v)| i.get(k) == Some(v.as_str())))
    {
        return Outcome::Refused(E_DUPLICATE);
    }
    let next = siblings()
        .map(|i| parse_stack(i.stack())[depth])
        .max()
        .unwrap_or(0)
        + 1;
    let mut levels = parent;
    levels[depth] = next;
    let stack = format_stack(&levels);
    let mut instance = Instance(attrs);
    instance.set("stack", stack.clone());
    items.push(instance);
    Outcome::Data(stack_data(&stack))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn data(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn order_is_kept_and_notes_skipped() {
        let f = Fixtures::from_json(
            r#"{"_note":"x","B":{"z":"1","a":2,"stack":"0,0,0,0,0,0"},"A":[]}"#,
        )
        .unwrap();
        assert_eq!(f.oids(), ["A", "B"]);
        let Some(Fixture::Object(i)) = f.object("B") else {
            panic!("B is an object")
        };
        assert_eq!(i.to_json(), r#"{"z":"1","a":"2","stack":"0,0,0,0,0,0"}"#);
    }

    #[test]
    fn add_numbers_below_the_parent_and_refuses_duplicates() {
        let mut f = Fixtures::empty();
        f.insert(
            "L",
            &json!([{"x":"1","stack":"1,1,0,0,0,0"}, {"x":"9","stack":"2,1,0,0,0,0"}]),
        );
        let parent = json!({"pstack":"1,0,0,0,0,0","x":"2"});
        assert_eq!(
            execute(&mut f, "ao", "L", &data(parent.clone())),
            Outcome::Data(r#"{"stack":"1,2,0,0,0,0"}"#.into())
        );
        assert_eq!(
            execute(&mut f, "ao", "L", &data(parent)),
            Outcome::Refused(E_DUPLICATE)
        );
        assert_eq!(
            execute(&mut f, "ao", "L", &data(json!({"x":"3"}))),
            Outcome::Data(r#"{"stack":"3,0,0,0,0,0"}"#.into())
        );
        assert_eq!(
            execute(&mut f, "do", "L", &data(json!({"stack":"1,2,0,0,0,0"}))),
            Outcome::Data(r#"{"stack":"1,2,0,0,0,0"}"#.into())
        );
        assert_eq!(
            execute(&mut f, "do", "L", &data(json!({"stack":"1,2,0,0,0,0"}))),
            Outcome::Refused(E_UNKNOWN_OID)
        );
    }

    #[test]
    fn reads_and_sets() {
        let mut f = Fixtures::empty();
        f.insert("O", &json!({"a":"1","stack":"0,0,0,0,0,0"}));
        f.insert(
            "L",
            &json!([{"a":"1","stack":"1,0,0,0,0,0"},{"a":"2","stack":"2,0,0,0,0,0"}]),
        );
        let root = data(json!({"stack":"0,0,0,0,0,0"}));
        assert_eq!(
            execute(&mut f, "gl", "O", &root),
            Outcome::Data(r#"[{"a":"1","stack":"0,0,0,0,0,0"}]"#.into())
        );
        assert_eq!(
            execute(&mut f, "go", "L", &root),
            Outcome::Data(r#"{"a":"1","stack":"1,0,0,0,0,0"}"#.into())
        );
        let set = data(json!({"stack":"2,0,0,0,0,0","a":0,"b":true}));
        assert!(matches!(execute(&mut f, "so", "L", &set), Outcome::Data(_)));
        assert_eq!(
            f.get("L").unwrap()[1],
            json!({"a":"0","b":"true","stack":"2,0,0,0,0,0"})
        );
        assert_eq!(
            execute(&mut f, "go", "NOPE", &root),
            Outcome::Refused(E_UNKNOWN_OID)
        );
        assert_eq!(
            execute(&mut f, "ao", "O", &root),
            Outcome::Refused(E_UNKNOWN_OID)
        );
    }
}
