//! A real SMTP server for the invite tests: `smtp_server.py` (Python's aiosmtpd, installed by
//! `scripts/test-all`) on 127.0.0.1, writing each message it accepts to a directory, refusing
//! with a 451 while told to.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use hub::config::{ExtraCa, SmtpSecurity, SmtpSettings};
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
    /// With STARTTLS: the test CA that signed the server's certificate (for `localhost`).
    ca: Option<PathBuf>,
}

/// Runs `openssl` with `args` in `dir`.
fn openssl(dir: &std::path::Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl SmtpServer {
    /// Starts a server on a free port; with `credentials`, AUTH is required.
    pub fn start(credentials: Option<(&str, &str)>) -> Self {
        Self::start_with(credentials, false)
    }

    /// Starts a server that requires STARTTLS, with a certificate for `localhost` signed by a
    /// CA made for it (see [`Self::settings`]).
    pub fn start_tls(credentials: Option<(&str, &str)>) -> Self {
        Self::start_with(credentials, true)
    }

    fn start_with(credentials: Option<(&str, &str)>, tls: bool) -> Self {
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
            ca: None,
        };
        if tls {
            let ec = [
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
            ];
            let mut ca = vec!["req", "-x509"];
            ca.extend(ec);
            ca.extend([
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
                "-days",
                "2",
                "-subj",
                "/CN=hub test CA",
            ]);
            openssl(&server.dir, &ca);
            let mut csr = vec!["req"];
            csr.extend(ec);
            csr.extend([
                "-keyout",
                "leaf.key",
                "-out",
                "leaf.csr",
                "-subj",
                "/CN=localhost",
            ]);
            openssl(&server.dir, &csr);
            std::fs::write(
                server.dir.join("leaf.ext"),
                "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
            )
            .unwrap();
            openssl(
                &server.dir,
                &[
                    "x509",
                    "-req",
                    "-in",
                    "leaf.csr",
                    "-CA",
                    "ca.pem",
                    "-CAkey",
                    "ca.key",
                    "-CAcreateserial",
                    "-out",
                    "leaf.pem",
                    "-days",
                    "2",
                    "-extfile",
                    "leaf.ext",
                ],
            );
            server.ca = Some(server.dir.join("ca.pem"));
        }
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
        if self.ca.is_some() {
            cmd.arg("--tls-cert")
                .arg(self.dir.join("leaf.pem"))
                .arg("--tls-key")
                .arg(self.dir.join("leaf.key"));
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

    /// The hub's settings for it: no TLS, or STARTTLS to `localhost` trusting the test CA.
    pub fn settings(&self) -> SmtpSettings {
        let extra_ca = self.ca.as_ref().map(|path| ExtraCa {
            path: path.clone(),
            pem: std::fs::read(path).unwrap(),
        });
        SmtpSettings {
            host: if extra_ca.is_some() {
                "localhost"
            } else {
                "127.0.0.1"
            }
            .to_owned(),
            port: self.port,
            security: if extra_ca.is_some() {
                SmtpSecurity::StartTls
            } else {
                SmtpSecurity::None
            },
            extra_ca,
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
