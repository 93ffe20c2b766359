//! The sandbox's vision: a fake Gemini that knows three sample photos — the label of the
//! in-stock TP-Link ONT router (not yet bound to its GenieACS device), its barcodes, and a
//! supplier invoice — written to a temporary directory for `curl --data-binary @photo`.
//! Any other photo gets a reading generated from the schema.

use std::path::PathBuf;

use frappe_client::testkit::FakeFrappe;
use gemini_vision::Image;
use gemini_vision::extractors::Kind;
use gemini_vision::testkit::FakeGemini;
use serde_json::{Value, json};

/// The fake Gemini and the sample photos it knows.
#[derive(Debug)]
pub struct SandboxVision {
    /// The fake Gemini.
    pub gemini: FakeGemini,
    /// Each sample photo: what it shows, and where it was written.
    pub photos: Vec<(Kind, PathBuf)>,
    dir: PathBuf,
}

impl Drop for SandboxVision {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl SandboxVision {
    /// Starts the fake Gemini and writes the sample photos.
    pub async fn start(frappe: &FakeFrappe) -> anyhow::Result<Self> {
        let gemini = FakeGemini::start().await?;
        let dir = std::env::temp_dir().join(format!(
            "hub-sandbox-{}-{}",
            std::process::id(),
            super::random_hex(4)
        ));
        std::fs::create_dir_all(&dir)?;
        let mut photos = Vec::new();
        // The in-stock unit: in GenieACS already (it informed when plugged in), but its Service
        // Equipment has no acs_device_id yet — the label binds them.
        let unit = frappe
            .all("Service Equipment")
            .into_iter()
            .find(|e| e["equipment_type"] == "ONT Router" && e["acs_device_id"].is_null())
            .unwrap_or_else(|| json!({}));
        let text = |v: &str| unit[v].as_str().unwrap_or("").to_owned();
        let (serial, mac, gpon) = (
            text("serial_number"),
            text("mac_address"),
            text("gpon_serial"),
        );
        let readings: [(Kind, u8, Value); 3] = [
            (
                Kind::Equipment,
                1,
                json!({
                    "brand": text("brand"), "model": text("model"), "hardware_version": "1.0",
                    "serial": serial,
                    // As printed: no separators, lower case.
                    "macs": [mac.replace(':', "").to_ascii_lowercase()],
                    "gpon_serial": gpon,
                    "wifi": [
                        {"ssid": format!("TP-Link_{}", &serial[serial.len().saturating_sub(4)..]), "key": "82641957", "band": "2.4GHz"},
                        {"ssid": format!("TP-Link_{}_5G", &serial[serial.len().saturating_sub(4)..]), "key": "82641957", "band": "5GHz"}
                    ],
                }),
            ),
            (
                Kind::Barcodes,
                2,
                json!({"barcodes": [
                    {"format": "CODE_128", "value": serial, "meaning": "serial", "caption": "S/N"},
                    {"format": "CODE_128", "value": mac.replace(':', ""), "meaning": "mac", "caption": "MAC"},
                    {"format": "CODE_128", "value": gpon, "meaning": "gpon_serial", "caption": "GPON SN"},
                    {"format": "EAN_13", "value": "6935364072520", "meaning": "product", "caption": null},
                ]}),
            ),
            (
                Kind::Invoice,
                3,
                json!({
                    "vendor": "Fournitures Fibre Laurentides inc.", "number": "FL-20418",
                    "issue_date": "2026-11-27", "due_date": "2026-12-27", "currency": "CAD",
                    "subtotal": 412.5,
                    "taxes": [
                        {"kind": "GST", "rate_percent": 5.0, "amount": 20.63, "registration_number": "812345678RT0001"},
                        {"kind": "QST", "rate_percent": 9.975, "amount": 41.15, "registration_number": "1214567890TQ0001"}
                    ],
                    "total": 474.28,
                    "line_items": [
                        {"description": "Câble de branchement 12 fibres, 100 m", "sku": "DROP-12-100", "quantity": 3.0, "unit_price": 112.5, "amount": 337.5},
                        {"description": "Connecteurs SC/APC (sac de 50)", "sku": "SCAPC-50", "quantity": 1.0, "unit_price": 75.0, "amount": 75.0}
                    ]
                }),
            ),
        ];
        for (kind, pattern, answer) in readings {
            let bytes = gemini_vision::testkit::sample_png(pattern, 360, 160)?;
            let image = Image::new(bytes.clone())?;
            gemini.answer_for_image(&image, answer.to_string());
            let path = dir.join(format!("{kind}.png"));
            std::fs::write(&path, bytes)?;
            photos.push((kind, path));
        }
        Ok(Self {
            gemini,
            photos,
            dir,
        })
    }
}
