//! `POST /vision/*` end to end: the real `hub` binary (its own process) in front of the fake
//! Gemini, the ERPNext fake and the GenieACS fake (this process), with the sandbox's sample
//! photos.
//!
//! Prints p50 / p99 of a reading one at a time and 4 at once, against the floor measured in
//! the same run: the same reading made directly with gemini-vision's client (and, for the
//! equipment label, the same ERPNext and GenieACS lookups made directly). The ratio is what
//! the hub adds: the upload to the hub, the body's checks, the route, auth, metrics.
//!
//! `cargo bench -p hub --bench vision` runs 200 readings per case; under `cargo test` a smoke
//! run of 3 checks that it works.

use common::{line, start_hub, timed};
use frappe_client::Filter;
use frappe_client::testkit::FakeFrappe;
use gemini_vision::Image;
use gemini_vision::extractors::{Barcodes, EquipmentLabel, Kind};
use hub::sandbox::vision::SandboxVision;

mod common;

const TOKEN: &str = "bench-vision-token-0123456789";

fn main() {
    let full = common::full_run();
    let n = if full { 200 } else { 3 };
    let rt = common::runtime();
    rt.block_on(async {
        let frappe = FakeFrappe::start().await.expect("ERPNext fake");
        let nbi = hub::sandbox::fake_nbi_for(&frappe)
            .await
            .expect("GenieACS fake");
        let vision = SandboxVision::start(&frappe).await.expect("Gemini fake");
        let photo = |kind: Kind| {
            let (_, path) = vision
                .photos
                .iter()
                .find(|(k, _)| *k == kind)
                .expect("a sample photo");
            std::fs::read(path).expect("the sample photo")
        };
        let (barcodes, label) = (photo(Kind::Barcodes), photo(Kind::Equipment));
        let hash = hub::auth::ServiceToken::hash_hex(TOKEN);
        let (_hub, base) = start_hub(&[
            (
                "HUB_SERVICE_TOKENS",
                format!("bench:{hash}:vision,devices:read"),
            ),
            ("FRAPPE_URL", frappe.url().to_string()),
            ("FRAPPE_API_KEY", frappe.api_key().to_owned()),
            ("FRAPPE_API_SECRET", frappe.api_secret().to_owned()),
            ("GENIEACS_URL", nbi.url().to_string()),
            ("GEMINI_API_KEY", gemini_key(&vision)),
            ("GEMINI_URL", vision.gemini.url().to_string()),
        ])
        .await;
        let http = reqwest::Client::new();
        let post = {
            let (http, base) = (http.clone(), base.clone());
            move |route: &'static str, body: Vec<u8>| {
                let (http, base) = (http.clone(), base.clone());
                move |_: usize| {
                    let (http, base, body) = (http.clone(), base.clone(), body.clone());
                    async move {
                        http.post(format!("{base}{route}"))
                            .bearer_auth(TOKEN)
                            .header("Content-Type", "image/png")
                            .body(body)
                            .send()
                            .await
                            .is_ok_and(|r| r.status() == reqwest::StatusCode::OK)
                    }
                }
            }
        };
        let client = vision.gemini.client_builder().build().expect("client");
        let erp = frappe_client::Client::builder(frappe.url().as_str())
            .token(frappe.api_key(), frappe.api_secret())
            .build()
            .expect("frappe client");
        let acs = genieacs_client::Client::builder(nbi.url().as_str())
            .build()
            .expect("genieacs client");
        let direct_barcodes = {
            let (client, body) = (client.clone(), barcodes.clone());
            move |_: usize| {
                let (client, body) = (client.clone(), body.clone());
                async move {
                    let Ok(image) = Image::new(body) else {
                        return false;
                    };
                    client.read::<Barcodes>(image).await.is_ok()
                }
            }
        };
        let direct_label = {
            let (client, body) = (client.clone(), label.clone());
            move |_: usize| {
                let (client, body, erp, acs) =
                    (client.clone(), body.clone(), erp.clone(), acs.clone());
                async move {
                    let Ok(image) = Image::new(body) else {
                        return false;
                    };
                    let Ok(read) = client.read::<EquipmentLabel>(image).await else {
                        return false;
                    };
                    let Some(gpon) = read.value.gpon_serial.clone() else {
                        return false;
                    };
                    let found = erp
                        .doctype("Service Equipment")
                        .list()
                        .filter(Filter::eq("gpon_serial", gpon))
                        .page_size(2)
                        .page()
                        .await;
                    let serial = read.value.serial.clone().unwrap_or_default();
                    found.is_ok() && acs.devices().find_by_serial(&serial).await.is_ok()
                }
            }
        };
        assert!(
            post("/vision/barcodes", barcodes.clone())(0).await,
            "the hub reads barcodes"
        );
        assert!(
            post("/vision/equipment", label.clone())(0).await,
            "the hub reads a label"
        );
        assert!(direct_barcodes(0).await, "the direct reading works");
        assert!(direct_label(0).await, "the direct label lookup works");
        println!(
            "hub vision benchmark ({}): {n} readings per case, photos of {} and {} bytes",
            if full { "full" } else { "smoke" },
            barcodes.len(),
            label.len()
        );
        // A phone-sized photo (synthetic: 4032 x 3024, gradients and sensor-like noise, JPEG
        // at quality 92): both paths downscale it to 1536 px before the upload.
        let phone = phone_photo();
        let phone_n = if full { 20 } else { 1 };
        println!(
            "a phone-sized photo ({} bytes, 4032x3024), {phone_n} readings, one at a time:",
            phone.len()
        );
        let floor = line(
            "read::<Barcodes>, downscaled (floor)",
            timed(phone_n, 1, {
                let (client, body) = (client.clone(), phone.clone());
                move |_: usize| {
                    let (client, body) = (client.clone(), body.clone());
                    async move {
                        let Ok(image) = Image::new(body) else {
                            return false;
                        };
                        client.read::<Barcodes>(image).await.is_ok()
                    }
                }
            })
            .await,
            None,
        );
        line(
            "POST /vision/barcodes (12 MP) vs floor",
            timed(phone_n, 1, post("/vision/barcodes", phone.clone())).await,
            Some(floor),
        );
        for conc in [1, 4] {
            println!("concurrency {conc}:");
            let floor = line(
                "gemini-vision read::<Barcodes> (floor)",
                timed(n, conc, direct_barcodes.clone()).await,
                None,
            );
            line(
                "POST /vision/barcodes vs floor",
                timed(n, conc, post("/vision/barcodes", barcodes.clone())).await,
                Some(floor),
            );
            let floor = line(
                "read::<EquipmentLabel> + lookups (floor)",
                timed(n, conc, direct_label.clone()).await,
                None,
            );
            line(
                "POST /vision/equipment vs floor",
                timed(n, conc, post("/vision/equipment", label.clone())).await,
                Some(floor),
            );
        }
    });
}

fn gemini_key(vision: &SandboxVision) -> String {
    use secrecy::ExposeSecret;
    vision.gemini.api_key().expose_secret().to_owned()
}

/// A synthetic 12 MP phone photo: smooth gradients with +-6 levels of noise, JPEG quality 92.
fn phone_photo() -> Vec<u8> {
    let mut seed = 0x2545_f491_u32;
    let img = image::RgbImage::from_fn(4032, 3024, |x, y| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let noise = (seed % 13) as i32 - 6;
        let base = [
            (x * 255 / 4032) as i32,
            (y * 255 / 3024) as i32,
            (((x + y) / 16) % 256) as i32,
        ];
        image::Rgb(base.map(|c| (c + noise).clamp(0, 255) as u8))
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 92)
        .encode_image(&img)
        .expect("encode the phone photo");
    out.into_inner()
}
