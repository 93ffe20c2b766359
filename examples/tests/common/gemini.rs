//! The Gemini examples' set-up: a fake Gemini answering on its own runtime while the example
//! runs, small PNG photos whose readings it knows, photo files, and a runner that clears every
//! `GEMINI_*` variable of this process first.

use std::path::{Path, PathBuf};
use std::process::Output;

use gemini_vision::Image;
use gemini_vision::testkit::{FAKE_API_KEY, FakeGemini, Fault, Recorded};

/// A fake Gemini on `127.0.0.1`; it stops when dropped.
pub struct Fake {
    fake: FakeGemini,
    _runtime: tokio::runtime::Runtime,
}

impl Fake {
    /// Starts a fake that accepts [`FAKE_API_KEY`] and knows no photo.
    pub fn start() -> Self {
        let (fake, runtime) = super::serve_in_background(FakeGemini::start());
        Self {
            fake,
            _runtime: runtime,
        }
    }

    /// The server URL.
    pub fn url(&self) -> String {
        self.fake.url().to_string()
    }

    /// The key it accepts.
    pub fn key(&self) -> &'static str {
        FAKE_API_KEY
    }

    /// `GEMINI_URL` and `GEMINI_API_KEY` for this fake.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("GEMINI_URL", self.url()),
            ("GEMINI_API_KEY", self.key().to_owned()),
        ]
    }

    /// Answers `reading` (the model's JSON text) to every request carrying `photo`.
    pub fn knows(&self, photo: &[u8], reading: &serde_json::Value) {
        let image = Image::new(photo.to_vec()).expect("a photo Gemini reads");
        self.fake.answer_for_image(&image, reading.to_string());
    }

    /// Injects `fault` into the next `times` requests.
    pub fn push_fault(&self, fault: Fault, times: u32) {
        self.fake.push_fault(fault, times);
    }

    /// The requests received, oldest first.
    pub fn requests(&self) -> Vec<Recorded> {
        self.fake.requests()
    }
}

/// A small PNG photo drawn from `pattern` (bars on white), distinct per pattern.
pub fn photo(pattern: u8) -> Vec<u8> {
    gemini_vision::testkit::sample_png(pattern, 64, 32).expect("a PNG is written")
}

/// A file in a fresh directory of its own, removed when dropped.
pub struct TempFile {
    dir: PathBuf,
    path: PathBuf,
}

impl TempFile {
    /// Writes `bytes` to a new file named `name`.
    pub fn new(name: &str, bytes: &[u8]) -> Self {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "gigafibre-examples-gemini-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join(name);
        std::fs::write(&path, bytes).expect("temp file written");
        Self { dir, path }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file's path as a string, for an argument.
    pub fn arg(&self) -> String {
        self.path.display().to_string()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Runs the example `name` as n8n would: arguments, environment and stdin bytes in (every
/// `GEMINI_*` variable of this process removed first), output captured.
pub fn run(name: &str, args: &[&str], env: &[(&str, &str)], stdin: Option<&[u8]>) -> Output {
    super::run_with_bytes(name, args, env, stdin)
}

/// Runs the example `name` against `fake` with its URL and key.
pub fn run_on(fake: &Fake, name: &str, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let env = fake.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    run(name, args, &env, stdin)
}
