//! JSON Schema (as `schemars` writes it) translated into the Gemini `Schema` subset that
//! `generationConfig.responseSchema` accepts: references inlined, `Option` as `nullable`,
//! upper-case single `type`, unsupported keywords dropped, `propertyOrdering` in declaration
//! order. Pure; no I/O.

mod order;

use std::collections::HashMap;

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

/// Why a Rust type cannot be expressed as a Gemini `Schema`. Each variant names where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SchemaError {
    /// A map (`HashMap<String, T>`, a flattened map): Gemini's schema has no
    /// `additionalProperties`. Model it as a `Vec` of `{key, value}` objects.
    #[error(
        "`{path}` is a map, which Gemini's response schema cannot express; use a Vec of {{key, value}} objects"
    )]
    Map {
        /// Where (`$.lines[].attributes`).
        path: String,
    },
    /// A type that contains itself: Gemini's schema has no references.
    #[error(
        "`{path}` refers to `{name}` recursively, which Gemini's response schema cannot express"
    )]
    Recursive {
        /// The type.
        name: String,
        /// Where.
        path: String,
    },
    /// A construct with no Gemini equivalent (a tuple, `allOf`, `not`, any JSON value).
    #[error("`{path}`: {what} cannot be expressed in Gemini's response schema")]
    Unsupported {
        /// What it was.
        what: String,
        /// Where.
        path: String,
    },
}

/// The Gemini `Schema` of `T`, ready for `generationConfig.responseSchema`.
///
/// ```
/// #[derive(serde::Deserialize, schemars::JsonSchema)]
/// struct Label {
///     /// The serial number exactly as printed.
///     serial: String,
///     mac: Option<String>,
/// }
/// let s = gemini_vision::response_schema::<Label>().unwrap();
/// assert_eq!(s["type"], "OBJECT");
/// assert_eq!(s["properties"]["mac"]["nullable"], true);
/// assert_eq!(s["required"], serde_json::json!(["serial"]));
/// assert_eq!(s["propertyOrdering"], serde_json::json!(["serial", "mac"]));
/// ```
///
/// # Errors
/// [`SchemaError`] naming the field that cannot be expressed.
pub fn response_schema<T: JsonSchema + DeserializeOwned>() -> Result<Value, SchemaError> {
    let schema = schemars::schema_for!(T);
    let orders = order::field_orders::<T>();
    translate_with(schema.as_value(), &orders)
}

/// Translates a JSON Schema (draft 2020-12 or 7, `$defs` or `definitions`) into the Gemini
/// subset. Without type information, `propertyOrdering` follows `required`, then the
/// remaining properties by name.
///
/// # Errors
/// [`SchemaError`] naming the part that cannot be expressed.
pub fn translate(schema: &Value) -> Result<Value, SchemaError> {
    translate_with(schema, &HashMap::new())
}

fn translate_with(
    schema: &Value,
    orders: &HashMap<String, Vec<String>>,
) -> Result<Value, SchemaError> {
    let empty = Map::new();
    let defs = schema
        .get("$defs")
        .or_else(|| schema.get("definitions"))
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let root_name = schema.get("title").and_then(Value::as_str);
    let mut t = Translator {
        defs,
        orders,
        stack: Vec::new(),
        root: root_name.unwrap_or("the root type").to_owned(),
    };
    let mut out = t.node(schema, "$", root_name)?;
    // The root's title is the Rust type's name: noise for the model.
    if let Some(o) = out.as_object_mut() {
        o.remove("title");
    }
    Ok(out)
}

struct Translator<'a> {
    defs: &'a Map<String, Value>,
    orders: &'a HashMap<String, Vec<String>>,
    stack: Vec<String>,
    root: String,
}

fn unsupported(what: impl Into<String>, path: &str) -> SchemaError {
    SchemaError::Unsupported {
        what: what.into(),
        path: path.to_owned(),
    }
}

fn is_null_schema(v: &Value) -> bool {
    v.get("type").and_then(Value::as_str) == Some("null")
        || v.get("const").is_some_and(Value::is_null)
}

/// The string values of a branch that is only a string constant or string enum.
fn string_values(v: &Value) -> Option<Vec<Value>> {
    let o = v.as_object()?;
    if o.get("type").is_some_and(|t| t != "string") {
        return None;
    }
    if let Some(c) = o.get("const") {
        return c.is_string().then(|| vec![c.clone()]);
    }
    let e = o.get("enum")?.as_array()?;
    let strings: Vec<Value> = e.iter().filter(|v| !v.is_null()).cloned().collect();
    (!strings.is_empty() && strings.iter().all(Value::is_string)).then_some(strings)
}

/// Puts the `description` and `title` of an outer node (a field's doc comment next to a `$ref`)
/// on the translated inner one: the title replaces, the description comes first and the inner
/// one (the type's doc comment) follows it.
fn overlay(to: &mut Value, from: &Map<String, Value>) {
    let Some(o) = to.as_object_mut() else {
        return;
    };
    if let Some(t) = from.get("title").filter(|v| v.is_string()) {
        o.insert("title".to_owned(), t.clone());
    }
    if let Some(outer) = from.get("description").and_then(Value::as_str) {
        let joined = match o.get("description").and_then(Value::as_str) {
            Some(inner) if inner != outer && !outer.contains(inner) => format!("{outer}\n{inner}"),
            _ => outer.to_owned(),
        };
        o.insert("description".to_owned(), Value::String(joined));
    }
}

/// The doc comments of string-constant branches (`oneOf` of documented enum variants) as one
/// description: "`A`: first. `B`: second."
fn variant_docs(branches: &[&Value]) -> Option<String> {
    let docs: Vec<String> = branches
        .iter()
        .filter_map(|b| {
            let d = b.get("description")?.as_str()?;
            let v = b
                .get("const")
                .or_else(|| b.get("enum")?.as_array()?.first())?
                .as_str()?;
            Some(format!("`{v}`: {d}"))
        })
        .collect();
    (!docs.is_empty()).then(|| docs.join(" "))
}

fn set_nullable(v: &mut Value) {
    if let Some(o) = v.as_object_mut() {
        o.insert("nullable".to_owned(), Value::Bool(true));
    }
}

impl Translator<'_> {
    fn node(&mut self, v: &Value, path: &str, name: Option<&str>) -> Result<Value, SchemaError> {
        let o = match v {
            Value::Object(o) => o,
            Value::Bool(_) => return Err(unsupported("any JSON value", path)),
            _ => return Err(unsupported("a schema that is not an object", path)),
        };
        for k in ["not", "prefixItems", "patternProperties", "if"] {
            if o.contains_key(k) {
                return Err(unsupported(format!("`{k}`"), path));
            }
        }
        if let Some(r) = o.get("$ref").and_then(Value::as_str) {
            if r == "#" {
                return Err(SchemaError::Recursive {
                    name: self.root.clone(),
                    path: path.to_owned(),
                });
            }
            let def = r
                .strip_prefix("#/$defs/")
                .or_else(|| r.strip_prefix("#/definitions/"))
                .ok_or_else(|| unsupported(format!("the reference `{r}`"), path))?;
            if self.stack.iter().any(|s| s == def) {
                return Err(SchemaError::Recursive {
                    name: def.to_owned(),
                    path: path.to_owned(),
                });
            }
            let target = self
                .defs
                .get(def)
                .ok_or_else(|| unsupported(format!("the unknown reference `{r}`"), path))?;
            self.stack.push(def.to_owned());
            let out = self.node(target, path, Some(def));
            self.stack.pop();
            let mut out = out?;
            overlay(&mut out, o);
            if o.get("nullable") == Some(&Value::Bool(true)) {
                set_nullable(&mut out);
            }
            return Ok(out);
        }
        if let Some(all) = o.get("allOf").and_then(Value::as_array) {
            return match all.as_slice() {
                [one] => {
                    let mut out = self.node(one, path, name)?;
                    overlay(&mut out, o);
                    Ok(out)
                }
                _ => Err(unsupported("`allOf` of several schemas", path)),
            };
        }
        if let Some(branches) = o
            .get("anyOf")
            .or_else(|| o.get("oneOf"))
            .and_then(Value::as_array)
        {
            return self.union(o, branches, path, name);
        }
        self.typed(o, path, name)
    }

    fn union(
        &mut self,
        o: &Map<String, Value>,
        branches: &[Value],
        path: &str,
        name: Option<&str>,
    ) -> Result<Value, SchemaError> {
        let nullable = branches.iter().any(is_null_schema);
        let rest: Vec<&Value> = branches.iter().filter(|b| !is_null_schema(b)).collect();
        let mut out = match rest.as_slice() {
            [] => return Err(unsupported("a union of nothing but null", path)),
            [one] => self.node(one, path, name)?,
            many => {
                let strings: Option<Vec<Vec<Value>>> =
                    many.iter().map(|b| string_values(b)).collect();
                if let Some(strings) = strings {
                    let mut out = json!({"type": "STRING", "enum": strings.concat()});
                    if let Some(docs) = variant_docs(many) {
                        out["description"] = Value::String(docs);
                    }
                    out
                } else {
                    let mut items = Vec::new();
                    for (i, b) in many.iter().enumerate() {
                        items.push(self.node(b, &format!("{path}<{i}>"), None)?);
                    }
                    json!({ "anyOf": items })
                }
            }
        };
        overlay(&mut out, o);
        if nullable {
            set_nullable(&mut out);
        }
        Ok(out)
    }

    fn typed(
        &mut self,
        o: &Map<String, Value>,
        path: &str,
        name: Option<&str>,
    ) -> Result<Value, SchemaError> {
        let mut nullable = o.get("nullable") == Some(&Value::Bool(true))
            || o.get("enum")
                .and_then(Value::as_array)
                .is_some_and(|e| e.iter().any(Value::is_null));
        let ty: String = match o.get("type") {
            Some(Value::String(t)) => t.clone(),
            Some(Value::Array(ts)) => {
                let names: Vec<&str> = ts.iter().filter_map(Value::as_str).collect();
                nullable |= names.contains(&"null");
                let rest: Vec<&str> = names.into_iter().filter(|t| *t != "null").collect();
                match rest.as_slice() {
                    [one] => (*one).to_owned(),
                    [] => "null".to_owned(),
                    many => {
                        // `type: ["string", "number"]`: a union of the plain types.
                        let mut items = Vec::new();
                        for t in many {
                            let mut b = o.clone();
                            b.insert("type".to_owned(), Value::String((*t).to_owned()));
                            items.push(self.typed(&b, path, name)?);
                        }
                        let mut out = json!({ "anyOf": items });
                        overlay(&mut out, o);
                        if nullable {
                            set_nullable(&mut out);
                        }
                        return Ok(out);
                    }
                }
            }
            _ => {
                if string_values(&Value::Object(o.clone())).is_some() {
                    "string".to_owned()
                } else if o.contains_key("properties") {
                    "object".to_owned()
                } else if o.contains_key("items") {
                    "array".to_owned()
                } else {
                    return Err(unsupported(
                        "a schema without a type (any JSON value)",
                        path,
                    ));
                }
            }
        };
        let mut out = Map::new();
        out.insert("type".to_owned(), Value::String(ty.to_ascii_uppercase()));
        for k in ["description", "title"] {
            if let Some(v) = o.get(k).filter(|v| v.is_string()) {
                out.insert(k.to_owned(), v.clone());
            }
        }
        let format = o.get("format").and_then(Value::as_str);
        let copy = |out: &mut Map<String, Value>, keys: &[&str]| {
            for k in keys {
                if let Some(v) = o.get(*k) {
                    out.insert((*k).to_owned(), v.clone());
                }
            }
        };
        match ty.as_str() {
            "string" => {
                if let Some(values) = string_values(&Value::Object(o.clone())) {
                    out.insert("enum".to_owned(), Value::Array(values));
                }
                if let Some(f @ ("date-time" | "enum")) = format {
                    out.insert("format".to_owned(), json!(f));
                }
                copy(&mut out, &["minLength", "maxLength", "pattern"]);
            }
            "integer" | "number" => {
                if let Some(f @ ("int32" | "int64" | "float" | "double")) = format {
                    let fits = if ty == "integer" {
                        f.starts_with("int")
                    } else {
                        !f.starts_with("int")
                    };
                    if fits {
                        out.insert("format".to_owned(), json!(f));
                    }
                }
                copy(&mut out, &["minimum", "maximum"]);
                if !out.contains_key("minimum") {
                    copy(&mut out, &["exclusiveMinimum"]);
                    if let Some(v) = out.remove("exclusiveMinimum") {
                        out.insert("minimum".to_owned(), v);
                    }
                }
                if !out.contains_key("maximum") {
                    copy(&mut out, &["exclusiveMaximum"]);
                    if let Some(v) = out.remove("exclusiveMaximum") {
                        out.insert("maximum".to_owned(), v);
                    }
                }
            }
            "boolean" | "null" => {}
            "array" => {
                let items = match o.get("items") {
                    Some(Value::Array(_)) => return Err(unsupported("a tuple", path)),
                    Some(items) => self.node(items, &format!("{path}[]"), None)?,
                    None => return Err(unsupported("an array without `items`", path)),
                };
                out.insert("items".to_owned(), items);
                copy(&mut out, &["minItems", "maxItems"]);
            }
            "object" => self.object(o, &mut out, path, name)?,
            other => return Err(unsupported(format!("the type `{other}`"), path)),
        }
        if nullable {
            out.insert("nullable".to_owned(), Value::Bool(true));
        }
        Ok(Value::Object(out))
    }

    fn object(
        &mut self,
        o: &Map<String, Value>,
        out: &mut Map<String, Value>,
        path: &str,
        name: Option<&str>,
    ) -> Result<(), SchemaError> {
        let empty = Map::new();
        let props = o
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        match o.get("additionalProperties") {
            None | Some(Value::Bool(false)) => {}
            Some(_) => {
                return Err(SchemaError::Map {
                    path: path.to_owned(),
                });
            }
        }
        if props.is_empty() {
            return Err(unsupported("an object without properties", path));
        }
        let mut translated = Map::new();
        for (k, v) in props {
            translated.insert(k.clone(), self.node(v, &format!("{path}.{k}"), None)?);
        }
        let required: Vec<String> = o
            .get("required")
            .and_then(Value::as_array)
            .map(|r| {
                r.iter()
                    .filter_map(Value::as_str)
                    .filter(|k| props.contains_key(*k))
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let mut ordering: Vec<String> = Vec::new();
        let declared = name.and_then(|n| self.orders.get(n));
        for k in declared.into_iter().flatten().chain(required.iter()) {
            if props.contains_key(k) && !ordering.contains(k) {
                ordering.push(k.clone());
            }
        }
        for k in props.keys() {
            if !ordering.contains(k) {
                ordering.push(k.clone());
            }
        }
        out.insert("properties".to_owned(), Value::Object(translated));
        if !required.is_empty() {
            out.insert("required".to_owned(), json!(required));
        }
        out.insert("propertyOrdering".to_owned(), json!(ordering));
        copy_keys(o, out, &["minProperties", "maxProperties"]);
        Ok(())
    }
}

fn copy_keys(from: &Map<String, Value>, to: &mut Map<String, Value>, keys: &[&str]) {
    for k in keys {
        if let Some(v) = from.get(*k) {
            to.insert((*k).to_owned(), v.clone());
        }
    }
}

/// The keywords of Gemini's `Schema`: anything else in a `responseSchema` is refused with 400
/// "Unknown name".
pub const GEMINI_SCHEMA_KEYWORDS: &[&str] = &[
    "type",
    "format",
    "title",
    "description",
    "nullable",
    "enum",
    "items",
    "minItems",
    "maxItems",
    "properties",
    "required",
    "minProperties",
    "maxProperties",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "pattern",
    "anyOf",
    "propertyOrdering",
    "example",
    "default",
];

#[cfg(test)]
mod tests;
