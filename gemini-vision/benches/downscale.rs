//! What downscaling before upload saves, on the real photos of `tests/resources/photos/`
//! (see `SOURCES.md` there) and on phone-sized (4032 x 3024) versions of them.
//!
//! For each image: the original bytes and pixels, the downscaled bytes and pixels, the byte
//! ratio, the time `Image::downscaled` took (median of several runs), the estimated image
//! tokens on Gemini 2.x before and after (`estimated_image_tokens`), and the base64 request
//! size saved. Then the three resampling filters compared on one phone-sized image.
//!
//! None of the real photos is phone-sized: the 12 MP rows are the real photos upscaled
//! (Triangle) to 4032 x 3024, cropped to 4:3, with +-6 levels of noise standing in for a
//! sensor's, saved as JPEG at quality 92 (a phone's usual setting). They are synthetic.
//!
//! `cargo bench -p gemini-vision --bench downscale` measures; under `cargo test` a smoke run
//! downscales one photo once.

use std::time::{Duration, Instant};

use gemini_vision::{Downscale, Image, estimated_image_tokens};
use image::imageops::FilterType;
use image::{DynamicImage, Rgb, RgbImage};

const PHOTOS: [&str; 3] = ["rocket.jpg", "retina.jpg", "hubble_deep_field.jpg"];

fn photo(name: &str) -> Image {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/resources/photos")
        .join(name);
    let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    Image::new(bytes).expect("a JPEG")
}

fn base64_len(n: usize) -> usize {
    n.div_ceil(3) * 4
}

fn jpeg(img: &RgbImage, quality: u8) -> Image {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(img)
        .expect("encode");
    Image::new(out).expect("a JPEG")
}

/// A 4032 x 3024 version of a real photo: cropped to 4:3, upscaled, with sensor-like noise.
fn phone_sized(original: &Image) -> Image {
    let img = image::load_from_memory(original.bytes()).expect("decode");
    let (w, h) = (img.width(), img.height());
    let (cw, ch) = if w * 3 > h * 4 {
        (h * 4 / 3, h)
    } else {
        (w, w * 3 / 4)
    };
    let cropped = img.crop_imm((w - cw) / 2, (h - ch) / 2, cw, ch);
    let mut big = cropped
        .resize_exact(4032, 3024, FilterType::Triangle)
        .into_rgb8();
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for p in big.pixels_mut() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let n = (seed % 13) as i16 - 6;
        *p = Rgb(p.0.map(|c| (i16::from(c) + n).clamp(0, 255) as u8));
    }
    jpeg(&big, 92)
}

fn size(image: &Image) -> (u32, u32) {
    let img = image::load_from_memory(image.bytes()).expect("decode");
    (img.width(), img.height())
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn row(name: &str, original: &Image, settings: &Downscale, runs: usize) {
    let mut times = Vec::new();
    let mut out = original.clone();
    for _ in 0..runs {
        let t = Instant::now();
        out = original.downscaled(settings).expect("downscale");
        times.push(t.elapsed());
    }
    let (ow, oh) = size(original);
    let (dw, dh) = size(&out);
    let (ob, db) = (original.bytes().len(), out.bytes().len());
    let limit = settings
        .max_side()
        .map_or_else(|| "off".to_owned(), |m| m.to_string());
    println!(
        "| {name} | {limit} | {ob} B, {ow}x{oh} | {db} B, {dw}x{dh} | {:.2} | {:.1} ms | {} -> {} | {} KB |",
        db as f64 / ob as f64,
        median(times).as_secs_f64() * 1000.0,
        estimated_image_tokens(ow, oh),
        estimated_image_tokens(dw, dh),
        (base64_len(ob) - base64_len(db)) / 1000,
    );
}

fn filters(original: &Image, runs: usize) {
    let img = image::load_from_memory(original.bytes()).expect("decode");
    println!("\n| filter (4032x3024 -> 1536x1152, resize only) | median |");
    println!("|---|---|");
    for (name, filter) in [
        ("Triangle", FilterType::Triangle),
        ("CatmullRom", FilterType::CatmullRom),
        ("Lanczos3", FilterType::Lanczos3),
    ] {
        let times = (0..runs)
            .map(|_| {
                let t = Instant::now();
                let small: DynamicImage = img.resize_exact(1536, 1152, filter);
                std::hint::black_box(small);
                t.elapsed()
            })
            .collect();
        println!(
            "| {name} | {:.1} ms |",
            median(times).as_secs_f64() * 1000.0
        );
    }
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    println!(
        "| image | longest side | original | downscaled | bytes ratio | time | est. tokens (2.x) | base64 saved |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    if !full {
        // Smoke run under `cargo test` (a debug build): one small photo, once.
        row(
            "rocket.jpg",
            &photo("rocket.jpg"),
            &Downscale::default().with_max_side(256),
            1,
        );
        return;
    }
    let runs = 7;
    let default = Downscale::default();
    let smaller = Downscale::default().with_max_side(768);
    for name in PHOTOS {
        let original = photo(name);
        row(name, &original, &default, runs);
        row(name, &original, &smaller, runs);
    }
    let mut last = None;
    for name in PHOTOS {
        let big = phone_sized(&photo(name));
        let label = format!("{name} upscaled to 12 MP (synthetic)");
        row(&label, &big, &default, runs);
        row(
            &label,
            &big,
            &Downscale::default().with_max_side(1024),
            runs,
        );
        last = Some(big);
    }
    if let Some(big) = last {
        filters(&big, runs);
    }
}
