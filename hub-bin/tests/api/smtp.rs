//! A real SMTP server for the invite tests: `smtp_server.py` (Python's aiosmtpd, installed by
//! `scripts/test-all`) on 127.0.0.1, writing each message it accepts to a directory, refusing
//! with a 451 while told to.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use hub::config::{SmtpSecurity, SmtpSettings};
use secrecy::SecretString;

/// A message the server accepted.
#[derive(Debug, Clone)]
pub struct Received {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub message_id: String,
}

pub struct SmtpServer {
    child: Option<Child>,
    dir: PathBuf,
    pub port: u16,
    credentials: Option<(String, String)>,
}

impl SmtpServer {
    /// Starts a server on a free port; with `credentials`, AUTH is required.
    pub fn start(credentials: Option<(&str, &str)>) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "hub-smtp-{}-{}",
            std::process::id(),
            getrandom::u64().unwrap()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let mut server = Self {
            child: None,
            dir,
            port: crate::helpers::free_port(),
            credentials: credentials.map(|(u, p)| (u.to_owned(), p.to_owned())),
        };
        server.run();
        server
    }

    fn run(&mut self) {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/api/smtp_server.py");
        let mut cmd = Command::new("python3");
        cmd.arg(script)
            .arg("--port")
            .arg(self.port.to_string())
            .arg("--dir")
            .arg(&self.dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if let Some((u, p)) = &self.credentials {
            cmd.args(["--user", u, "--password", p]);
        }
        let mut child = cmd
            .spawn()
            .expect("python3 runs (scripts/test-all installs aiosmtpd)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(
            line.trim(),
            "READY",
            "the SMTP server did not start (is aiosmtpd installed? `pip install aiosmtpd`)"
        );
        self.child = Some(child);
    }

    /// Stops the server (connections are refused) until [`Self::restart`].
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            drop(child.stdin.take());
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port.
    pub fn restart(&mut self) {
        self.stop();
        self.run();
    }

    /// While `on`, every RCPT is answered `451`.
    pub fn refuse(&self, on: bool) {
        let flag = self.dir.join("refuse");
        if on {
            std::fs::write(flag, b"").unwrap();
        } else {
            let _ = std::fs::remove_file(flag);
        }
    }

    /// The hub's settings for it (no TLS).
    pub fn settings(&self) -> SmtpSettings {
        SmtpSettings {
            host: "127.0.0.1".to_owned(),
            port: self.port,
            security: SmtpSecurity::None,
            credentials: self
                .credentials
                .as_ref()
                .map(|(u, p)| (u.clone(), SecretString::from(p.clone()))),
            from: "Gigafibre <noreply@gigafibre.test>".to_owned(),
            timeout: Duration::from_secs(5),
        }
    }

    /// The messages accepted so far, oldest first.
    pub fn messages(&self) -> Vec<Received> {
        let mut files: Vec<_> = std::fs::read_dir(self.dir.join("mail"))
            .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
            .unwrap_or_default();
        files.sort();
        files
            .iter()
            .map(|f| {
                let raw = std::fs::read(f).unwrap();
                let m = mail_parser::MessageParser::default()
                    .parse(&raw)
                    .expect("a message");
                Received {
                    to: m
                        .header_raw("X-Envelope-To")
                        .unwrap_or_default()
                        .trim()
                        .to_owned(),
                    subject: m.subject().unwrap_or_default().to_owned(),
                    text: m.body_text(0).unwrap_or_default().into_owned(),
                    message_id: m.message_id().unwrap_or_default().to_owned(),
                }
            })
            .collect()
    }

    /// Waits (at most `wait`) until at least `n` messages arrived.
    pub async fn wait_for(&self, n: usize, wait: Duration) -> Vec<Received> {
        let until = Instant::now() + wait;
        loop {
            let got = self.messages();
            if got.len() >= n || Instant::now() > until {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
