//! A data-model dump (the CSV GenieACS's UI and genieacs-sim use) turned into the device
//! document the NBI would return for that device.

use serde_json::{Map, Value, json};

use crate::DeviceId;

/// The TP-Link Archer XX230v's TR-181 tree (a real dump, MIT: see its `.source.txt`).
pub const XX230V_TR181: &str = include_str!("tplink-xx230v-tr181.csv");
/// A Huawei BM632w's TR-098 tree (genieacs-sim's default model, MIT: see its `.source.txt`).
pub const HUAWEI_TR098: &str = include_str!("huawei-bm632w-tr098.csv");

/// Splits one CSV line (RFC 4180 quoting: `""` inside quotes is a quote).
fn fields(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut cur)),
            (c, _) => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// A leaf value typed as GenieACS stores it: booleans and (unsigned) ints as JSON, every other
/// type as a string; a value that does not parse for its type stays a string.
fn typed(value: &str, xsd: &str) -> Value {
    match xsd {
        "xsd:boolean" => match value {
            "true" | "1" => json!(true),
            "false" | "0" => json!(false),
            _ => json!(value),
        },
        "xsd:int" | "xsd:unsignedInt" => value
            .parse::<i64>()
            .map_or_else(|_| json!(value), |n| json!(n)),
        _ => json!(value),
    }
}

fn node_at<'a>(root: &'a mut Map<String, Value>, path: &[&str]) -> &'a mut Map<String, Value> {
    let mut node = root;
    for seg in path {
        let entry = node
            .entry((*seg).to_owned())
            .or_insert_with(|| json!({"_object": true}));
        if !entry.is_object() {
            *entry = json!({"_object": true});
        }
        node = match entry {
            Value::Object(m) => m,
            _ => unreachable!("just made an object"),
        };
    }
    node
}

/// Converts a dump into an NBI device document. `serial` replaces the dump's serial (as
/// genieacs-sim does), so several devices can share one model; `last_inform` is an ISO date.
/// The dump's value timestamps are moved together so that the newest is `last_inform` (their
/// spread is kept): a device that just informed holds fresh values, as it would in GenieACS.
///
/// The identity comes from the dump's `DeviceID.*` rows (TR-098 dumps) or from
/// `Device.DeviceInfo` (TR-181): OUI, product class, serial, manufacturer — and the id is built
/// with GenieACS's escaping.
pub fn device_from_csv(csv: &str, serial: &str, last_inform: &str) -> Value {
    let mut lines = csv.lines();
    let header = fields(lines.next().unwrap_or_default());
    let col = |name: &str| header.iter().position(|h| h == name);
    let (p, o, w, v, t) = (
        col("Parameter"),
        col("Object"),
        col("Writable"),
        col("Value"),
        col("Value type"),
    );
    let ts = col("Value timestamp");
    let parse = |s: &str| chrono::DateTime::parse_from_rfc3339(s.trim()).ok();
    let newest = csv
        .lines()
        .skip(1)
        .filter_map(|l| ts.and_then(|i| fields(l).get(i).and_then(|s| parse(s))))
        .max();
    let shift = match (newest, parse(last_inform)) {
        (Some(n), Some(li)) => Some(li.signed_duration_since(n)),
        _ => None,
    };
    let restamp = |s: &str| -> String {
        match (parse(s), shift) {
            (Some(t), Some(d)) => (t + d)
                .with_timezone(&chrono::Utc)
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            _ => last_inform.to_owned(),
        }
    };
    let mut tree = Map::new();
    let mut ident: [Option<String>; 4] = Default::default();
    for line in lines.filter(|l| !l.trim().is_empty()) {
        let f = fields(line);
        let get = |i: Option<usize>| i.and_then(|i| f.get(i)).map(String::as_str).unwrap_or("");
        let path = get(p);
        if path.is_empty() {
            continue;
        }
        let value = get(v);
        if let Some(field) = path.strip_prefix("DeviceID.") {
            let slot = match field {
                "Manufacturer" => 0,
                "OUI" => 1,
                "ProductClass" => 2,
                "SerialNumber" => 3,
                _ => continue,
            };
            ident[slot] = Some(value.to_owned());
            continue;
        }
        let segs: Vec<&str> = path.split('.').collect();
        let is_object = get(o) == "true";
        let writable = get(w) == "true";
        let stamp = restamp(get(ts));
        if is_object {
            let node = node_at(&mut tree, &segs);
            node.insert("_object".to_owned(), json!(true));
            node.insert("_writable".to_owned(), json!(writable));
            node.insert("_timestamp".to_owned(), json!(stamp));
        } else {
            let (leaf, parents) = segs.split_last().unwrap_or((&"", &[]));
            let xsd = match get(t) {
                "" => "xsd:string",
                x => x,
            };
            let mut val = typed(value, xsd);
            if path.ends_with("SerialNumber") && path.contains("DeviceInfo") {
                val = json!(serial);
            }
            node_at(&mut tree, parents).insert(
                (*leaf).to_owned(),
                json!({"_object": false, "_value": val, "_type": xsd, "_timestamp": stamp, "_writable": writable}),
            );
        }
    }
    let info = |name: &str| -> Option<String> {
        tree.get("Device")
            .and_then(|d| d.get("DeviceInfo"))
            .and_then(|d| d.get(name))
            .and_then(|n| n.get("_value"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let manufacturer = ident[0]
        .clone()
        .or_else(|| info("Manufacturer"))
        .unwrap_or_default();
    let oui = ident[1]
        .clone()
        .or_else(|| info("ManufacturerOUI"))
        .unwrap_or_default();
    let class = ident[2]
        .clone()
        .or_else(|| info("ProductClass"))
        .unwrap_or_default();
    let id = DeviceId::from_parts(&oui, &class, serial);
    let mut doc = Map::new();
    doc.insert("_id".to_owned(), json!(id.as_str()));
    doc.insert(
        "_deviceId".to_owned(),
        json!({"_Manufacturer": manufacturer, "_OUI": oui, "_ProductClass": class, "_SerialNumber": serial}),
    );
    doc.insert("_lastInform".to_owned(), json!(last_inform));
    doc.insert("_registered".to_owned(), json!(last_inform));
    doc.extend(tree);
    Value::Object(doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_respect_quotes() {
        assert_eq!(
            fields(r#"a,"b, c","say ""hi""",,"#),
            ["a", "b, c", "say \"hi\"", "", ""]
        );
    }

    #[test]
    fn both_dump_formats_become_nbi_documents() {
        let tp = device_from_csv(XX230V_TR181, "22411A5000001", "2026-06-15T14:02:11.482Z");
        assert_eq!(tp["_deviceId"]["_SerialNumber"], "22411A5000001");
        assert!(tp["_id"].as_str().unwrap().ends_with("-22411A5000001"));
        assert_eq!(
            tp["Device"]["DeviceInfo"]["SerialNumber"]["_value"],
            "22411A5000001"
        );
        assert_eq!(tp["Device"]["WiFi"]["SSID"]["_object"], true);
        let hw = device_from_csv(HUAWEI_TR098, "000001", "2026-06-15T14:02:11.482Z");
        assert_eq!(hw["_id"], "202BC1-BM632w-000001");
        assert!(hw["InternetGatewayDevice"].is_object());
        let device: crate::Device = serde_json::from_value(hw).unwrap();
        assert_eq!(device.identity.oui.as_deref(), Some("202BC1"));
    }

    #[test]
    fn value_timestamps_move_with_the_last_inform_keeping_their_spread() {
        let when = "2026-06-15T14:02:11.482Z";
        let doc = device_from_csv(XX230V_TR181, "22411A5000001", when);
        let device: crate::Device = serde_json::from_value(doc).unwrap();
        let stamps: Vec<_> = [
            "Device.DeviceInfo.UpTime",
            "Device.Hosts.Host.1.PhysAddress",
        ]
        .iter()
        .map(|p| device.param::<String>(p).unwrap().timestamp.unwrap())
        .collect();
        let inform = device.last_inform.unwrap();
        assert!(stamps.iter().all(|t| *t <= inform));
        // In the dump, UpTime was read 14 min 43.265 s after the host's address: still so.
        assert_eq!(
            stamps[0] - stamps[1],
            chrono::TimeDelta::milliseconds((14 * 60 + 43) * 1000 + 265)
        );
        assert!(inform - stamps[1] < chrono::TimeDelta::days(1));
    }
}
