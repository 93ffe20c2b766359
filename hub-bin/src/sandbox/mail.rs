//! The sandbox's SMTP sink: a small SMTP server on 127.0.0.1 that accepts every message and keeps
//! the last [`KEEP`] for `GET /sandbox/mail`, so the invite flow runs end to end — through the
//! hub's real SMTP client — without a relay.
//!
//! It speaks the part of SMTP (RFC 5321) a client sending one message uses: `EHLO`/`HELO`,
//! `MAIL`, `RCPT`, `DATA` (with dot-unstuffing), `RSET`, `NOOP`, `QUIT`; no TLS and no `AUTH`
//! (the sandbox's relay is `SMTP_SECURITY=none` without credentials). The Rust SMTP servers on
//! crates.io are unmaintained or pull a TLS stack the sink does not need; this is the one piece
//! of SMTP the hub writes itself, and only for the sandbox.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use serde::Serialize;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// How many messages the sink keeps (the oldest go first).
pub const KEEP: usize = 200;
/// The largest message accepted.
const MAX_MESSAGE: usize = 4 * 1024 * 1024;
/// The longest command line accepted.
const MAX_LINE: usize = 4096;

/// One message the sink received.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SunkMail {
    /// When it arrived (ms since the epoch).
    pub received_at: i64,
    /// The envelope's sender (`MAIL FROM`).
    pub from: String,
    /// The envelope's recipients (`RCPT TO`).
    pub to: Vec<String>,
    /// The `Subject` header, decoded.
    pub subject: Option<String>,
    /// The `Message-ID` header.
    pub message_id: Option<String>,
    /// The first text part, decoded.
    pub text: Option<String>,
}

type Mailbox = Arc<Mutex<VecDeque<SunkMail>>>;

/// The running sink; it stops when dropped.
#[derive(Debug)]
pub struct MailSink {
    addr: SocketAddr,
    messages: Mailbox,
    task: JoinHandle<()>,
}

impl Drop for MailSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl MailSink {
    /// Starts on `127.0.0.1` with a free port.
    pub async fn start() -> std::io::Result<Self> {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Starts on `addr`.
    pub async fn start_on(addr: SocketAddr) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let messages: Mailbox = Arc::default();
        let inbox = Arc::clone(&messages);
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let inbox = Arc::clone(&inbox);
                tokio::spawn(async move {
                    if let Err(e) = session(stream, inbox).await {
                        tracing::debug!(error = %e, "sandbox SMTP session ended");
                    }
                });
            }
        });
        Ok(Self {
            addr,
            messages,
            task,
        })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The messages received, oldest first.
    pub fn messages(&self) -> Vec<SunkMail> {
        self.messages
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .cloned()
            .collect()
    }
}

/// The address inside `FROM:<a@b> SIZE=12` / `TO:<a@b>`.
fn path_of(arg: &str) -> Option<String> {
    let start = arg.find('<')?;
    let end = arg[start..].find('>')? + start;
    Some(arg[start + 1..end].to_owned())
}

async fn session(stream: TcpStream, inbox: Mailbox) -> std::io::Result<()> {
    // Replies are small and each waits for the client's next command.
    stream.set_nodelay(true)?;
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    write.write_all(b"220 hub-sandbox ESMTP sink\r\n").await?;
    let mut from: Option<String> = None;
    let mut to: Vec<String> = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = (&mut read)
            .take(MAX_LINE as u64)
            .read_until(b'\n', &mut line)
            .await?;
        if n == 0 {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end();
        let (verb, arg) = text.split_once(' ').unwrap_or((text, ""));
        let reply: &[u8] = match verb.to_ascii_uppercase().as_str() {
            "EHLO" => b"250-hub-sandbox\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 4194304\r\n",
            "HELO" => b"250 hub-sandbox\r\n",
            "MAIL" => match path_of(arg) {
                Some(p) => {
                    from = Some(p);
                    to.clear();
                    b"250 2.1.0 OK\r\n"
                }
                None => b"501 5.5.4 MAIL FROM:<address>\r\n",
            },
            "RCPT" => match (&from, path_of(arg)) {
                (None, _) => b"503 5.5.1 MAIL first\r\n",
                (Some(_), Some(p)) if !p.is_empty() => {
                    to.push(p);
                    b"250 2.1.5 OK\r\n"
                }
                _ => b"501 5.5.4 RCPT TO:<address>\r\n",
            },
            "DATA" if from.is_none() || to.is_empty() => b"503 5.5.1 MAIL and RCPT first\r\n",
            "DATA" => {
                write
                    .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                let Some(body) = read_data(&mut read, |r| quick_ack(r.get_ref())).await? else {
                    write.write_all(b"552 5.3.4 Message too big\r\n").await?;
                    return Ok(());
                };
                keep(
                    &inbox,
                    from.take().unwrap_or_default(),
                    std::mem::take(&mut to),
                    &body,
                );
                b"250 2.0.0 Queued\r\n"
            }
            "RSET" => {
                from = None;
                to.clear();
                b"250 2.0.0 OK\r\n"
            }
            "NOOP" => b"250 2.0.0 OK\r\n",
            "QUIT" => {
                write.write_all(b"221 2.0.0 Bye\r\n").await?;
                return Ok(());
            }
            _ => b"502 5.5.2 Command not implemented\r\n",
        };
        write.write_all(reply).await?;
    }
}

/// Acknowledges received data at once. lettre writes a message and its final `.` in two
/// writes without `TCP_NODELAY`, so Nagle's algorithm holds the `.` until the body is
/// acknowledged — 40 ms later with a delayed ACK. Linux only (elsewhere the sink is slower).
fn quick_ack(stream: &tokio::net::tcp::OwnedReadHalf) {
    #[cfg(target_os = "linux")]
    {
        let s: &TcpStream = stream.as_ref();
        let _ = socket2::SockRef::from(s).set_tcp_quickack(true);
    }
    #[cfg(not(target_os = "linux"))]
    let _ = stream;
}

/// The message up to the lone `.` line, dot-unstuffed; `None` past [`MAX_MESSAGE`].
/// `before_read` runs before each line is read.
async fn read_data<R: tokio::io::AsyncBufRead + Unpin>(
    read: &mut R,
    before_read: impl Fn(&R),
) -> std::io::Result<Option<Vec<u8>>> {
    let mut body = Vec::new();
    let mut line = Vec::new();
    loop {
        before_read(read);
        line.clear();
        let n = read.read_until(b'\n', &mut line).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if line == b".\r\n" || line == b".\n" {
            return Ok(Some(body));
        }
        let content = line.strip_prefix(b".").unwrap_or(&line);
        if body.len() + content.len() > MAX_MESSAGE {
            return Ok(None);
        }
        body.extend_from_slice(content);
    }
}

fn keep(inbox: &Mailbox, from: String, to: Vec<String>, raw: &[u8]) {
    let parsed = mail_parser::MessageParser::default().parse(raw);
    let mail = SunkMail {
        received_at: crate::store::now_ms(),
        from,
        to,
        subject: parsed.as_ref().and_then(|m| m.subject()).map(str::to_owned),
        message_id: parsed
            .as_ref()
            .and_then(|m| m.message_id())
            .map(str::to_owned),
        text: parsed
            .as_ref()
            .and_then(|m| m.body_text(0))
            .map(|t| t.into_owned()),
    };
    let mut messages = inbox.lock().unwrap_or_else(PoisonError::into_inner);
    if messages.len() == KEEP {
        messages.pop_front();
    }
    messages.push_back(mail);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_read_between_angle_brackets() {
        assert_eq!(path_of("FROM:<a@b.c> SIZE=12").as_deref(), Some("a@b.c"));
        assert_eq!(path_of("TO:<>").as_deref(), Some(""));
        assert_eq!(path_of("TO:a@b.c"), None);
    }

    #[tokio::test]
    async fn data_is_dot_unstuffed_and_ends_at_the_lone_dot() {
        let input = b"Subject: x\r\n\r\n..hidden\r\nline\r\n.\r\nNEXT\r\n";
        let mut read = BufReader::new(&input[..]);
        let body = read_data(&mut read, |_| {})
            .await
            .expect("read")
            .expect("whole");
        assert_eq!(body, b"Subject: x\r\n\r\n.hidden\r\nline\r\n");
    }
}
