//! The harness every client's fake server is built on (feature `testkit`): an axum app served
//! on `127.0.0.1:0` and stopped when its last handle goes, a bounded log of received requests,
//! and a queue of faults to inject into the next matching requests.
//!
//! ```
//! use gigafibre_client_core::testkit::{FakeServer, FaultQueue, RequestLog};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! let app = axum::Router::new().route("/ping", axum::routing::get(|| async { "pong" }));
//! let server = FakeServer::start(app).await?;
//! assert!(server.url().as_str().starts_with("http://127.0.0.1:"));
//!
//! let log: RequestLog<String> = RequestLog::new(100);
//! log.record("GET /ping".to_owned());
//! assert_eq!(log.all(), ["GET /ping"]);
//!
//! let faults: FaultQueue<u16> = FaultQueue::default();
//! faults.push(503, 2, Some("/api/".to_owned()));
//! assert_eq!(faults.take("/other", "/other"), None);
//! assert_eq!(faults.take("/api/x", "/api/x"), Some(503));
//! assert_eq!(faults.take("/api/x", "/api/x"), Some(503));
//! assert_eq!(faults.take("/api/x", "/api/x"), None);
//! # Ok(()) }
//! ```

use std::collections::VecDeque;
use std::fmt;
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::watch;
use url::Url;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Stops the server when the last handle goes away.
struct Guard {
    stop: watch::Sender<bool>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// A fake server running on the current tokio runtime. Cloning shares it; dropping the last
/// clone (or [`FakeServer::shutdown`]) stops it.
#[derive(Clone)]
pub struct FakeServer {
    url: Url,
    guard: Arc<Guard>,
}

impl fmt::Debug for FakeServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeServer")
            .field("url", &self.url.as_str())
            .finish_non_exhaustive()
    }
}

impl FakeServer {
    /// Binds `127.0.0.1:0` and serves `app` until the last handle is dropped. Must be called
    /// inside a tokio runtime.
    pub async fn start(app: axum::Router) -> std::io::Result<Self> {
        Self::start_on(app, (Ipv4Addr::LOCALHOST, 0).into()).await
    }

    /// Like [`start`](Self::start), on `addr` (a fake that must be reachable at a fixed or
    /// chosen address: an emulator started from the command line, a sandbox).
    pub async fn start_on(app: axum::Router, addr: std::net::SocketAddr) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let url = Url::parse(&format!("http://{addr}/")).map_err(std::io::Error::other)?;
        let (stop, mut stopped) = watch::channel(false);
        tokio::spawn(async move {
            let signal = async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            };
            if let Err(e) = axum::serve(listener, app)
                .with_graceful_shutdown(signal)
                .await
            {
                tracing::warn!(error = %e, "fake server stopped with an error");
            }
        });
        Ok(Self {
            url,
            guard: Arc::new(Guard { stop }),
        })
    }

    /// The base URL, `http://127.0.0.1:<port>/`.
    pub fn url(&self) -> Url {
        self.url.clone()
    }

    /// Stops the server even if other clones exist. In-flight requests finish.
    pub fn shutdown(&self) {
        let _ = self.guard.stop.send(true);
    }
}

/// The requests a fake received, oldest first, at most `capacity` (the oldest are dropped).
#[derive(Debug)]
pub struct RequestLog<R> {
    log: Mutex<VecDeque<R>>,
    capacity: usize,
}

impl<R: Clone> RequestLog<R> {
    /// An empty log keeping at most `capacity` entries.
    pub fn new(capacity: usize) -> Self {
        Self {
            log: Mutex::new(VecDeque::new()),
            capacity: capacity.max(1),
        }
    }

    /// Records a request.
    pub fn record(&self, r: R) {
        let mut log = lock(&self.log);
        if log.len() >= self.capacity {
            log.pop_front();
        }
        log.push_back(r);
    }

    /// Every recorded request, oldest first.
    pub fn all(&self) -> Vec<R> {
        lock(&self.log).iter().cloned().collect()
    }

    /// Forgets them.
    pub fn clear(&self) {
        lock(&self.log).clear();
    }
}

struct Queued<K> {
    kind: K,
    times: u32,
    path_prefix: Option<String>,
}

/// Faults to inject, in FIFO order: each request consumes one use of the first fault whose
/// path prefix matches (the raw or the percent-decoded path).
pub struct FaultQueue<K> {
    queue: Mutex<VecDeque<Queued<K>>>,
}

impl<K> Default for FaultQueue<K> {
    fn default() -> Self {
        Self {
            queue: Mutex::new(VecDeque::new()),
        }
    }
}

impl<K> fmt::Debug for FaultQueue<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FaultQueue")
            .field("queued", &lock(&self.queue).len())
            .finish()
    }
}

impl<K: Clone> FaultQueue<K> {
    /// Queues `kind` for the next `times` (at least 1) requests under `path_prefix` (any path
    /// when `None`).
    pub fn push(&self, kind: K, times: u32, path_prefix: Option<String>) {
        lock(&self.queue).push_back(Queued {
            kind,
            times: times.max(1),
            path_prefix,
        });
    }

    /// The fault for a request, consuming one use of it.
    pub fn take(&self, raw_path: &str, decoded_path: &str) -> Option<K> {
        let mut queue = lock(&self.queue);
        let pos = queue.iter().position(|f| {
            f.path_prefix
                .as_deref()
                .is_none_or(|p| raw_path.starts_with(p) || decoded_path.starts_with(p))
        })?;
        let fault = &mut queue[pos];
        let kind = fault.kind.clone();
        fault.times = fault.times.saturating_sub(1);
        if fault.times == 0 {
            queue.remove(pos);
        }
        Some(kind)
    }
}

/// Memory of a process as Linux reports it (KiB; zeros elsewhere), for benchmarks that print
/// memory figures: what it holds now, at its peak, and its proportional share (shared pages
/// split among the processes that map them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ProcessMemory {
    /// Resident set size (`VmRSS`).
    pub rss_kib: u64,
    /// Peak resident set size (`VmHWM`).
    pub peak_kib: u64,
    /// Proportional set size (`Pss` of `smaps_rollup`).
    pub pss_kib: u64,
}

impl ProcessMemory {
    /// Reads `/proc/<pid>/status` and `/proc/<pid>/smaps_rollup`.
    pub fn of(pid: u32) -> Self {
        let field = |file: &str, name: &str| {
            std::fs::read_to_string(format!("/proc/{pid}/{file}"))
                .ok()
                .and_then(|text| {
                    text.lines()
                        .find(|l| l.starts_with(name))?
                        .split_whitespace()
                        .nth(1)?
                        .parse()
                        .ok()
                })
                .unwrap_or(0)
        };
        Self {
            rss_kib: field("status", "VmRSS:"),
            peak_kib: field("status", "VmHWM:"),
            pss_kib: field("smaps_rollup", "Pss:"),
        }
    }

    /// This process.
    pub fn current() -> Self {
        Self::of(std::process::id())
    }
}
