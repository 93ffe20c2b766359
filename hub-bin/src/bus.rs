//! The event bus behind `GET /events`.
//!
//! Publishing persists the event first (a monotonic id from the store), then wakes the
//! dispatcher, which reads new events from the store in id order and offers each to every
//! matching subscriber's bounded queue. A subscriber whose queue is full is dropped (its stream
//! ends with a `reset` event) — the bus never waits for a slow client. With PostgreSQL, the
//! append notifies `hub_events` in its transaction and every hub instance LISTENs, so an event
//! published on one instance reaches the subscribers of all of them, in the same order.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use serde_json::json;
use tokio::sync::{Notify, mpsc, watch};

use crate::auth::Capability;
use crate::error::AppError;
use crate::store::{NewEvent, Store, StoreResult, StoredEvent};

/// A topic pattern a subscriber asks for: exact (`/tickets/ISS-2026-00001`) or a prefix
/// (`/tickets/*`: every topic below `/tickets/`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TopicPattern {
    /// This topic only.
    Exact(String),
    /// Every topic that starts with this (it ends with `/`).
    Prefix(String),
}

/// One topic segment from a name (a customer, a ticket): every byte but ASCII letters, digits
/// and `-._~` is percent-encoded, so `Marie-Claude Tremblay` → `Marie-Claude%20Tremblay` and a
/// `/` inside a name cannot make a new segment. Subscribers use the same encoded form (and, in a
/// query string, encode its `%` as `%25`).
pub fn topic_segment(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// How long inbox and outbox rows are kept once done (their delivery keys dedupe senders'
/// retries, which come within hours).
pub const DONE_RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);

/// The most topics one connection may ask for.
pub const MAX_TOPICS: usize = 32;

impl TopicPattern {
    /// Parses and checks a pattern; the error names what is wrong.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if !raw.starts_with('/') {
            return Err(format!("{raw:?} must start with '/'"));
        }
        if raw.len() > 200 {
            return Err("a topic is at most 200 characters".to_owned());
        }
        if raw
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '?' || c == '#')
        {
            return Err(format!("{raw:?} holds a character topics may not contain"));
        }
        let pattern = match raw.strip_suffix('*') {
            Some(prefix) if prefix.ends_with('/') && !prefix.contains('*') => {
                TopicPattern::Prefix(prefix.to_owned())
            }
            Some(_) => return Err(format!("{raw:?}: '*' may only end a topic, after '/'")),
            None if raw.contains('*') => {
                return Err(format!("{raw:?}: '*' may only end a topic, after '/'"));
            }
            None => TopicPattern::Exact(raw.to_owned()),
        };
        if pattern.capability().is_none() {
            return Err(format!(
                "{raw:?} is not a known topic (/dispatch, /tickets/…, /customers/…, /alerts)"
            ));
        }
        Ok(pattern)
    }

    fn text(&self) -> &str {
        match self {
            TopicPattern::Exact(t) | TopicPattern::Prefix(t) => t,
        }
    }

    /// The capability needed to subscribe: decided by the topic's first segment.
    pub fn capability(&self) -> Option<Capability> {
        let first = self.text().trim_start_matches('/').split('/').next()?;
        match first {
            "dispatch" => Some(Capability::Dispatch),
            "tickets" => Some(Capability::TicketsRead),
            "customers" => Some(Capability::CustomersRead),
            "alerts" => Some(Capability::Alerts),
            _ => None,
        }
    }

    /// Whether `topic` matches.
    pub fn matches(&self, topic: &str) -> bool {
        match self {
            TopicPattern::Exact(t) => t == topic,
            TopicPattern::Prefix(p) => topic.starts_with(p.as_str()),
        }
    }
}

/// What one connection receives.
#[derive(Debug, Clone)]
pub struct Filter {
    /// The patterns asked for.
    pub topics: Vec<TopicPattern>,
    /// The subscriber's capabilities (an event with an `acl` needs it).
    pub capabilities: Vec<Capability>,
}

impl Filter {
    /// Whether the event goes to this subscriber.
    pub fn accepts(&self, event: &StoredEvent) -> bool {
        let allowed = event.acl.as_deref().is_none_or(|acl| {
            Capability::parse(acl).is_some_and(|c| self.capabilities.contains(&c))
        });
        allowed
            && event
                .topics
                .iter()
                .any(|t| self.topics.iter().any(|p| p.matches(t)))
    }
}

/// An event ready for the wire: its SSE frame is built once and shared by every subscriber
/// (a reference-counted buffer: fanning out to 10 000 streams copies nothing).
#[derive(Debug)]
pub struct Delivered {
    /// The event.
    pub event: StoredEvent,
    /// `id: …\nevent: …\ndata: {"id", "type", "ts", "topics", "data"}\n\n`.
    pub frame: bytes::Bytes,
}

impl Delivered {
    /// Wraps a stored event.
    pub fn new(event: StoredEvent) -> Self {
        let json = json!({
            "id": event.id,
            "type": event.kind,
            "ts": event.ts,
            "topics": event.topics,
            "data": event.data,
        });
        // Compact JSON has no raw line breaks, and event types are ours (no line breaks
        // either), so each field is one SSE line.
        let kind: String = event
            .kind
            .chars()
            .filter(|c| *c != '\n' && *c != '\r')
            .collect();
        let frame = format!("id: {}\nevent: {kind}\ndata: {json}\n\n", event.id);
        Self {
            event,
            frame: bytes::Bytes::from(frame),
        }
    }

    /// The JSON envelope (the frame's `data:`).
    pub fn json(&self) -> &str {
        let text = std::str::from_utf8(&self.frame).unwrap_or_default();
        text.split_once("\ndata: ")
            .map_or("", |(_, rest)| rest.trim_end_matches('\n'))
    }
}

struct Subscriber {
    filter: Filter,
    tx: mpsc::Sender<Arc<Delivered>>,
    overflowed: Arc<AtomicBool>,
}

struct Inner {
    store: Store,
    subs: Mutex<HashMap<u64, Subscriber>>,
    next_id: AtomicU64,
    wake: Notify,
    dispatched: AtomicI64,
    queue: usize,
    /// Set at shutdown: new subscriptions end at once.
    closed: AtomicBool,
}

/// The bus. Cheap to clone.
#[derive(Clone)]
pub struct Bus {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Bus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bus")
            .field("subscribers", &self.subscriber_count())
            .field("dispatched", &self.inner.dispatched.load(Ordering::Relaxed))
            .finish()
    }
}

/// A live subscription: its queue, and whether the bus dropped it for being slow. Dropping it
/// unsubscribes.
#[derive(Debug)]
pub struct Subscription {
    id: u64,
    /// Events, in id order.
    pub rx: mpsc::Receiver<Arc<Delivered>>,
    overflowed: Arc<AtomicBool>,
    bus: Weak<Inner>,
}

impl Subscription {
    /// Whether the bus dropped this subscriber because its queue was full.
    pub fn overflowed(&self) -> bool {
        self.overflowed.load(Ordering::Relaxed)
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if let Some(inner) = self.bus.upgrade() {
            lock(&inner.subs).remove(&self.id);
            metrics::gauge!("hub_sse_connections").decrement(1.0);
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Bus {
    /// A bus over `store`; nothing runs until [`Bus::run`].
    pub async fn new(store: Store, queue: usize) -> StoreResult<Self> {
        let latest = store.latest_event_id().await?;
        Ok(Self {
            inner: Arc::new(Inner {
                store,
                subs: Mutex::new(HashMap::new()),
                next_id: AtomicU64::new(1),
                wake: Notify::new(),
                dispatched: AtomicI64::new(latest),
                queue,
                closed: AtomicBool::new(false),
            }),
        })
    }

    /// The store behind the bus.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// Persists an event and wakes the dispatcher. `None` when `dedupe_key` was published
    /// before.
    pub async fn publish(
        &self,
        event: &NewEvent,
        dedupe_key: Option<&str>,
    ) -> StoreResult<Option<StoredEvent>> {
        let stored = self.inner.store.append_event(event, dedupe_key).await?;
        if stored.is_some() {
            metrics::counter!("hub_events_published_total").increment(1);
            self.inner.wake.notify_one();
        }
        Ok(stored)
    }

    /// Subscribes with a bounded queue. Register before replaying history, so that nothing
    /// published meanwhile is missed (skip ids already replayed).
    pub fn subscribe(&self, filter: Filter) -> Subscription {
        let (tx, rx) = mpsc::channel(self.inner.queue.max(1));
        let overflowed = Arc::new(AtomicBool::new(false));
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        {
            let mut subs = lock(&self.inner.subs);
            // Checked under the lock that `close_all` takes: a subscription made during
            // shutdown gets a closed queue, so its stream ends at once.
            if !self.inner.closed.load(Ordering::SeqCst) {
                subs.insert(
                    id,
                    Subscriber {
                        filter,
                        tx,
                        overflowed: Arc::clone(&overflowed),
                    },
                );
            }
        }
        metrics::gauge!("hub_sse_connections").increment(1.0);
        Subscription {
            id,
            rx,
            overflowed,
            bus: Arc::downgrade(&self.inner),
        }
    }

    /// Drops every subscriber, and every later one at once: their streams end (at shutdown).
    pub fn close_all(&self) {
        self.inner.closed.store(true, Ordering::SeqCst);
        lock(&self.inner.subs).clear();
    }

    /// Connected subscribers.
    pub fn subscriber_count(&self) -> usize {
        lock(&self.inner.subs).len()
    }

    /// The id of the last event handed to subscribers.
    pub fn dispatched(&self) -> i64 {
        self.inner.dispatched.load(Ordering::Relaxed)
    }

    /// Wakes the dispatcher (the PostgreSQL listener calls this on a notification).
    pub fn wake(&self) {
        self.inner.wake.notify_one();
    }

    fn fan_out(&self, event: StoredEvent) {
        let delivered = Arc::new(Delivered::new(event));
        let mut subs = lock(&self.inner.subs);
        let mut dropped = Vec::new();
        for (id, sub) in subs.iter() {
            if !sub.filter.accepts(&delivered.event) {
                continue;
            }
            match sub.tx.try_send(Arc::clone(&delivered)) {
                Ok(()) => {}
                Err(mpsc::error::TrySendError::Full(_)) => {
                    sub.overflowed.store(true, Ordering::Relaxed);
                    metrics::counter!("hub_sse_dropped_total", "reason" => "slow_client")
                        .increment(1);
                    dropped.push(*id);
                }
                Err(mpsc::error::TrySendError::Closed(_)) => dropped.push(*id),
            }
        }
        for id in dropped {
            // Dropping the sender ends the subscriber's stream (with a reset when it overflowed).
            subs.remove(&id);
        }
    }

    /// Runs the dispatcher until `shutdown` turns true; with nothing to wake it, it reads the
    /// log every `fallback`.
    pub async fn run(self, fallback: Duration, mut shutdown: watch::Receiver<bool>) {
        let mut failures = crate::telemetry::Throttle::new(Duration::from_secs(60));
        loop {
            loop {
                let after = self.inner.dispatched.load(Ordering::Relaxed);
                match self.inner.store.events_after(after, 500).await {
                    Ok(batch) if batch.is_empty() => break,
                    Ok(batch) => {
                        for event in batch {
                            let id = event.id;
                            self.fan_out(event);
                            self.inner.dispatched.store(id, Ordering::Relaxed);
                        }
                    }
                    Err(e) => {
                        failures.error("bus.dispatch", &e);
                        break;
                    }
                }
            }
            tokio::select! {
                () = self.inner.wake.notified() => {}
                () = tokio::time::sleep(fallback) => {}
                _ = shutdown.wait_for(|s| *s) => {
                    self.close_all();
                    return;
                }
            }
        }
    }

    /// With PostgreSQL: LISTENs on `hub_events` and wakes the dispatcher on each notification
    /// (reconnecting after a failure), until `shutdown`.
    pub async fn listen_postgres(self, url: String, mut shutdown: watch::Receiver<bool>) {
        let mut failures = crate::telemetry::Throttle::new(Duration::from_secs(60));
        loop {
            let session = async {
                let mut listener = sqlx::postgres::PgListener::connect(&url).await?;
                listener.listen("hub_events").await?;
                // Anything published while we were not listening.
                self.wake();
                loop {
                    listener.recv().await?;
                    self.wake();
                }
                #[allow(unreachable_code)]
                Ok::<(), sqlx::Error>(())
            };
            tokio::select! {
                res = session => {
                    if let Err(e) = res {
                        failures.error("bus.listen", &e);
                    }
                }
                _ = shutdown.wait_for(|s| *s) => return,
            }
            tokio::select! {
                () = tokio::time::sleep(Duration::from_secs(1)) => {}
                _ = shutdown.wait_for(|s| *s) => return,
            }
        }
    }

    /// Every five minutes, until `shutdown`: prunes the event log (by age and count) and the
    /// inbox and outbox rows done more than [`DONE_RETENTION`] ago.
    pub async fn retain(self, age: Duration, count: i64, mut shutdown: watch::Receiver<bool>) {
        let mut failures = crate::telemetry::Throttle::new(Duration::from_secs(300));
        let ms = |d: Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 2);
        loop {
            let now = crate::store::now_ms();
            if let Err(e) = self.inner.store.prune_events(now - ms(age), count).await {
                failures.error("bus.retain", &e);
            }
            for queue in [self.inner.store.inbox(), self.inner.store.outbox()] {
                if let Err(e) = queue.prune_done(now - ms(DONE_RETENTION)).await {
                    failures.error("queue.retain", &e);
                }
            }
            tokio::select! {
                () = tokio::time::sleep(Duration::from_secs(300)) => {}
                _ = shutdown.wait_for(|s| *s) => return,
            }
        }
    }
}

/// Parses `topic` parameters and checks them against the caller's capabilities.
pub fn topics_for(
    raw: &[String],
    capabilities: &[Capability],
) -> Result<Vec<TopicPattern>, AppError> {
    if raw.is_empty() {
        return Err(AppError::invalid(
            "topic",
            "name at least one topic: /events?topic=/dispatch&topic=/tickets/*",
        ));
    }
    if raw.len() > MAX_TOPICS {
        return Err(AppError::invalid(
            "topic",
            format!("at most {MAX_TOPICS} topics per connection"),
        ));
    }
    raw.iter()
        .map(|t| {
            let p = TopicPattern::parse(t).map_err(|m| AppError::invalid("topic", m))?;
            match p.capability() {
                Some(cap) if capabilities.contains(&cap) => Ok(p),
                Some(cap) => Err(AppError::forbidden(format!(
                    "topic {t:?} needs the {cap} capability"
                ))
                .with_field("field", "topic")
                .with_field("capability", cap.as_str())),
                None => Err(AppError::invalid(
                    "topic",
                    format!("{t:?} is not a known topic"),
                )),
            }
        })
        .collect()
}
