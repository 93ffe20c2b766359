//! The durable store: one interface, two backends through `sqlx`'s `Any` driver — SQLite (the
//! embedded default, one file) and PostgreSQL (`HUB_DATABASE_URL=postgres://...`, for several
//! hub instances). The SQL is the same for both (numbered placeholders, `RETURNING`,
//! `ON CONFLICT`); only the schema's migrations differ per backend.
//!
//! What it keeps: the event log behind SSE replay, the webhook inbox, the outbox, and named
//! watermarks. Times are milliseconds since the Unix epoch.

mod invites;
mod migrations;
mod onus;
mod queue;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use secrecy::ExposeSecret;
use serde_json::Value;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};

pub use self::invites::{Invite, InviteStatus, InviteStep, NewInvite};
pub use self::onus::OnuState;
pub use self::queue::{Claimed, DeadLetter, EnqueueOutcome, Queue, QueueKind};
use crate::config::DatabaseUrl;

/// A store failure (the database is unreachable, or refused a statement).
#[derive(Debug, thiserror::Error)]
#[error("store: {0}")]
pub struct StoreError(#[from] sqlx::Error);

impl StoreError {
    /// A short, secret-free kind for answers and metrics.
    pub fn kind(&self) -> &'static str {
        match &self.0 {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => "pool",
            sqlx::Error::Io(_) | sqlx::Error::Tls(_) => "connection",
            sqlx::Error::Database(_) => "database",
            sqlx::Error::Migrate(_) => "migration",
            _ => "other",
        }
    }
}

/// `Result` with [`StoreError`].
pub type StoreResult<T> = Result<T, StoreError>;

/// Which database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite (file or memory).
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// An event to publish.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// `ticket.updated`, `communication.created`, ...
    pub kind: String,
    /// The topics it is published on (`/tickets/ISS-2026-00001`).
    pub topics: Vec<String>,
    /// The capability a subscriber needs to receive it.
    pub acl: Option<String>,
    /// The payload.
    pub data: Value,
}

/// A persisted event, with its monotonic id.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    /// Monotonic id (the SSE `id:`).
    pub id: i64,
    /// When it was stored (ms).
    pub ts: i64,
    /// The event type (the SSE `event:`).
    pub kind: String,
    /// Its topics.
    pub topics: Vec<String>,
    /// The capability needed to receive it.
    pub acl: Option<String>,
    /// The payload.
    pub data: Value,
}

impl StoredEvent {
    fn from_row(row: &AnyRow) -> StoreResult<Self> {
        let topics: String = row.try_get("topics")?;
        let data: String = row.try_get("data")?;
        Ok(Self {
            id: row.try_get("id")?,
            ts: row.try_get("ts")?,
            kind: row.try_get("kind")?,
            topics: serde_json::from_str(&topics).unwrap_or_default(),
            acl: row.try_get("acl")?,
            data: serde_json::from_str(&data).unwrap_or(Value::Null),
        })
    }
}

/// The hub's database.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    url: Option<String>,
}

impl Store {
    /// Connects (creating an SQLite file and its directory when missing) and runs the embedded
    /// migrations.
    pub async fn connect(url: &DatabaseUrl) -> StoreResult<Self> {
        sqlx::any::install_default_drivers();
        let (conn, backend, max) = match url {
            DatabaseUrl::SqliteMemory => {
                // One connection: every SQLite memory connection is its own database.
                ("sqlite::memory:".to_owned(), Backend::Sqlite, 1)
            }
            DatabaseUrl::SqliteFile(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(sqlx::Error::Io)?;
                }
                (
                    format!("sqlite://{}?mode=rwc", path.display()),
                    Backend::Sqlite,
                    4,
                )
            }
            DatabaseUrl::Postgres(url) => (url.expose_secret().to_owned(), Backend::Postgres, 8),
        };
        let mut options = AnyPoolOptions::new()
            .max_connections(max)
            .acquire_timeout(Duration::from_secs(10));
        if backend == Backend::Sqlite {
            options = options
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .after_connect(|conn, _| {
                    Box::pin(async move {
                        use sqlx::Executor;
                        // WAL with synchronous=NORMAL: a committed row survives the process
                        // being killed (it is in the WAL), at ~10x the write rate of FULL.
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA synchronous = NORMAL").await?;
                        conn.execute("PRAGMA busy_timeout = 5000").await?;
                        Ok(())
                    })
                });
        }
        let pool = options.connect(&conn).await?;
        migrations::run(&pool, backend).await?;
        Ok(Self {
            pool,
            backend,
            url: (backend == Backend::Postgres).then_some(conn),
        })
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The PostgreSQL URL, for the LISTEN connection (never logged).
    pub(crate) fn postgres_url(&self) -> Option<&str> {
        self.url.as_deref()
    }

    /// A round trip to the database (`/readyz`).
    pub async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// The pool, for the queues.
    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The webhook inbox.
    pub fn inbox(&self) -> Queue {
        Queue::new(self.clone(), QueueKind::Inbox)
    }

    /// The outbox.
    pub fn outbox(&self) -> Queue {
        Queue::new(self.clone(), QueueKind::Outbox)
    }

    // -----------------------------------------------------------------------------------------
    // Events

    /// Appends an event and returns it with its id; `None` when `dedupe_key` was already used
    /// (the event was published before). On PostgreSQL, appends are serialized by an advisory
    /// lock so that ids commit in order (a reader never sees id 12 before id 11 exists), and
    /// `hub_events` is notified in the same transaction.
    pub async fn append_event(
        &self,
        event: &NewEvent,
        dedupe_key: Option<&str>,
    ) -> StoreResult<Option<StoredEvent>> {
        let topics = serde_json::to_string(&event.topics).unwrap_or_else(|_| "[]".to_owned());
        let data = serde_json::to_string(&event.data).unwrap_or_else(|_| "null".to_owned());
        let ts = now_ms();
        let mut tx = self.pool.begin().await?;
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock(7041) IS NULL AS locked")
                .fetch_one(&mut *tx)
                .await?;
        }
        let row = sqlx::query(
            "INSERT INTO events (ts, kind, topics, acl, data, dedupe_key) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
        )
        .bind(ts)
        .bind(&event.kind)
        .bind(&topics)
        .bind(event.acl.as_deref())
        .bind(&data)
        .bind(dedupe_key)
        .fetch_optional(&mut *tx)
        .await?;
        if self.backend == Backend::Postgres && row.is_some() {
            sqlx::query("SELECT pg_notify('hub_events', '') IS NULL AS sent")
                .fetch_one(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(StoredEvent {
            id: row.try_get("id")?,
            ts,
            kind: event.kind.clone(),
            topics: event.topics.clone(),
            acl: event.acl.clone(),
            data: event.data.clone(),
        }))
    }

    /// Events with an id above `after`, oldest first, at most `limit`.
    pub async fn events_after(&self, after: i64, limit: i64) -> StoreResult<Vec<StoredEvent>> {
        let rows = sqlx::query(
            "SELECT id, ts, kind, topics, acl, data FROM events WHERE id > $1 ORDER BY id LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(StoredEvent::from_row).collect()
    }

    /// The highest event id (0 when there is none).
    pub async fn latest_event_id(&self) -> StoreResult<i64> {
        let row = sqlx::query("SELECT COALESCE(MAX(id), 0) AS id FROM events")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("id")?)
    }

    /// The lowest event id still kept (`None` when the log is empty).
    pub async fn oldest_event_id(&self) -> StoreResult<Option<i64>> {
        let row = sqlx::query("SELECT MIN(id) AS id FROM events")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("id")?)
    }

    /// Deletes events older than `before_ms` and all but the newest `keep` events — never the
    /// newest one, which keeps the latest id known. Returns how many were deleted.
    pub async fn prune_events(&self, before_ms: i64, keep: i64) -> StoreResult<u64> {
        let latest = self.latest_event_id().await?;
        let res = sqlx::query("DELETE FROM events WHERE (ts < $1 OR id <= $2) AND id < $3")
            .bind(before_ms)
            .bind(latest - keep.max(1))
            .bind(latest)
            .execute(&self.pool)
            .await?;
        Ok(res.rows_affected())
    }

    // -----------------------------------------------------------------------------------------
    // Watermarks

    /// A named watermark (the catch-up poll's last `modified`).
    pub async fn watermark(&self, name: &str) -> StoreResult<Option<String>> {
        let row = sqlx::query("SELECT value FROM watermarks WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| r.try_get("value"))
            .transpose()
            .map_err(Into::into)
    }

    /// Sets a watermark.
    pub async fn set_watermark(&self, name: &str, value: &str) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO watermarks (name, value) VALUES ($1, $2) \
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        )
        .bind(name)
        .bind(value)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
