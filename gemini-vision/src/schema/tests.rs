use super::*;
use schemars::JsonSchema;
use serde::Deserialize;
use std::collections::HashMap;

#[allow(dead_code)]
#[derive(Deserialize, JsonSchema)]
/// A network device's label.
struct Label {
    /// The serial number exactly as printed.
    serial: String,
    /// The MAC address, when printed.
    mac: Option<String>,
    kind: Kind,
    ports: u32,
    weight_kg: Option<f64>,
    address: Option<Address>,
    barcodes: Vec<Barcode>,
    /// When the label says it was made.
    #[serde(default)]
    made: Option<String>,
}

#[allow(dead_code)]
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum Kind {
    Ont,
    Router,
    AccessPoint,
}

#[allow(dead_code)]
#[derive(Deserialize, JsonSchema)]
struct Address {
    street: String,
    city: String,
}

#[allow(dead_code)]
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct Barcode {
    /// Decoded payload exactly as printed.
    value: String,
    symbology: Symbology,
    confidence: Option<f32>,
}

#[allow(dead_code)]
#[derive(Deserialize, JsonSchema)]
enum Symbology {
    /// EAN-13.
    Ean13,
    /// QR code.
    Qr,
    /// Anything else.
    Other,
}

fn keywords_ok(v: &Value, path: &str) {
    match v {
        Value::Object(o) => {
            for (k, child) in o {
                assert!(
                    GEMINI_SCHEMA_KEYWORDS.contains(&k.as_str()),
                    "{path}: `{k}` is not a Gemini keyword"
                );
                match k.as_str() {
                    "properties" => {
                        for (name, p) in child.as_object().into_iter().flatten() {
                            keywords_ok(p, &format!("{path}.{name}"));
                        }
                    }
                    "items" => keywords_ok(child, &format!("{path}[]")),
                    "anyOf" => {
                        for b in child.as_array().into_iter().flatten() {
                            keywords_ok(b, path);
                        }
                    }
                    "type" => assert!(child.as_str().is_some_and(|t| t == t.to_ascii_uppercase())),
                    "required" => assert!(child.as_array().is_some_and(|r| !r.is_empty())),
                    _ => {}
                }
            }
        }
        other => panic!("{path}: {other}"),
    }
}

#[test]
fn a_label_translates_into_the_subset() {
    let s = response_schema::<Label>().unwrap();
    keywords_ok(&s, "$");
    insta::assert_json_snapshot!("label", s);
    assert_eq!(
        s["propertyOrdering"],
        json!([
            "serial",
            "mac",
            "kind",
            "ports",
            "weight_kg",
            "address",
            "barcodes",
            "made"
        ])
    );
    assert_eq!(
        s["properties"]["ports"],
        json!({"type": "INTEGER", "minimum": 0})
    );
    assert_eq!(s["properties"]["address"]["nullable"], true);
    assert_eq!(
        s["properties"]["kind"]["enum"],
        json!(["ONT", "ROUTER", "ACCESS_POINT"])
    );
    assert_eq!(
        s["properties"]["barcodes"]["items"]["properties"]["symbology"]["enum"],
        json!(["Ean13", "Qr", "Other"])
    );
    assert_eq!(
        s["properties"]["barcodes"]["items"]["propertyOrdering"],
        json!(["value", "symbology", "confidence"])
    );
}

#[test]
fn primitives_options_and_vectors() {
    insta::assert_json_snapshot!(
        "option_vec_string",
        response_schema::<Option<Vec<String>>>().unwrap()
    );
    insta::assert_json_snapshot!("u8", response_schema::<u8>().unwrap());
}

#[allow(dead_code)]
#[derive(Deserialize, JsonSchema)]
struct WithMap {
    name: String,
    attributes: HashMap<String, String>,
}

#[allow(dead_code)]
#[derive(Deserialize, JsonSchema)]
struct Node {
    value: String,
    children: Vec<Node>,
}

#[allow(dead_code)]
#[derive(Deserialize, JsonSchema)]
struct Tuple {
    pair: (String, u32),
}

#[test]
fn maps_recursion_and_tuples_are_errors_naming_the_field() {
    assert_eq!(
        response_schema::<WithMap>().unwrap_err(),
        SchemaError::Map {
            path: "$.attributes".to_owned()
        }
    );
    let e = response_schema::<Node>().unwrap_err();
    assert!(
        matches!(&e, SchemaError::Recursive { name, path } if name == "Node" && path == "$.children[]"),
        "{e:?}"
    );
    let e = response_schema::<Tuple>().unwrap_err();
    assert!(
        matches!(&e, SchemaError::Unsupported { path, .. } if path == "$.pair"),
        "{e:?}"
    );
    assert!(e.to_string().contains("$.pair"));
    let e = response_schema::<serde_json::Value>().unwrap_err();
    assert!(matches!(e, SchemaError::Unsupported { .. }));
}

#[test]
fn raw_json_schema_keywords() {
    let raw = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "x",
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "kind": {"const": "label"},
            "n": {"type": ["integer", "null"], "format": "int64", "exclusiveMinimum": 0, "multipleOf": 2},
            "when": {"type": "string", "format": "date-time"},
            "uri": {"type": "string", "format": "uri"},
            "either": {"oneOf": [{"type": "string"}, {"type": "number", "format": "double"}]},
            "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": true, "maxItems": 3}
        },
        "required": []
    });
    let s = translate(&raw).unwrap();
    keywords_ok(&s, "$");
    assert_eq!(s.get("required"), None);
    assert_eq!(
        s["properties"]["kind"],
        json!({"type": "STRING", "enum": ["label"]})
    );
    assert_eq!(
        s["properties"]["n"],
        json!({"type": "INTEGER", "format": "int64", "minimum": 0, "nullable": true})
    );
    assert_eq!(s["properties"]["uri"], json!({"type": "STRING"}));
    assert_eq!(s["properties"]["when"]["format"], "date-time");
    assert_eq!(
        s["properties"]["either"],
        json!({"anyOf": [{"type": "STRING"}, {"type": "NUMBER", "format": "double"}]})
    );
    // Without type information the order follows `required`, then names.
    assert_eq!(
        s["propertyOrdering"],
        json!(["either", "kind", "n", "tags", "uri", "when"])
    );
}

#[allow(dead_code)]
#[derive(Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
/// A line of an invoice.
enum Line {
    /// Equipment sold.
    Equipment { sku: String, quantity: u32 },
    /// A monthly service.
    Service {
        /// The plan's name.
        plan: String,
        monthly: f64,
    },
}

#[allow(dead_code)]
#[derive(Deserialize, JsonSchema)]
struct Invoice {
    /// The invoice number as printed.
    number: String,
    /// Every line, in order.
    lines: Vec<Line>,
    /// The symbology of the barcode printed at the bottom.
    barcode: Option<Symbology>,
}

#[test]
fn tagged_enums_become_any_of_and_documented_variants_keep_their_docs() {
    let s = response_schema::<Invoice>().unwrap();
    keywords_ok(&s, "$");
    insta::assert_json_snapshot!("invoice", s);
    let line = &s["properties"]["lines"]["items"];
    assert_eq!(
        line["anyOf"][0]["properties"]["kind"]["enum"],
        json!(["equipment"])
    );
    assert_eq!(
        line["anyOf"][1]["propertyOrdering"],
        json!(["kind", "plan", "monthly"])
    );
    let barcode = &s["properties"]["barcode"];
    assert_eq!(barcode["nullable"], true);
    assert_eq!(
        barcode["description"],
        "The symbology of the barcode printed at the bottom.\n`Ean13`: EAN-13. `Qr`: QR code. `Other`: Anything else."
    );
}
