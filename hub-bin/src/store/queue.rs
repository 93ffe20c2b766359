//! The inbox and the outbox: durable work queues of the same shape.
//!
//! A row is stored once per `(source, delivery_key)` (a duplicate is recognised, not stored
//! twice), claimed by a worker under a lease (a worker that dies leaves it to be claimed again
//! when the lease ends), then completed, retried later with a growing delay, or dead-lettered
//! after too many attempts. Dead letters can be listed and replayed.

use std::time::Duration;

use serde::Serialize;
use serde_json::Value;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Store, StoreResult, now_ms};

/// Which queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum QueueKind {
    /// Received webhooks, waiting to be processed.
    Inbox,
    /// Outgoing writes, waiting to be sent.
    Outbox,
}

impl QueueKind {
    /// `inbox` / `outbox`.
    pub fn as_str(self) -> &'static str {
        match self {
            QueueKind::Inbox => "inbox",
            QueueKind::Outbox => "outbox",
        }
    }

    /// Parses `inbox` / `outbox`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "inbox" => Some(QueueKind::Inbox),
            "outbox" => Some(QueueKind::Outbox),
            _ => None,
        }
    }
}

/// The statements of one queue table (the same SQL but for the table's name).
struct Sql {
    insert: &'static str,
    find: &'static str,
    subject_seen: &'static str,
    claim: &'static str,
    complete: &'static str,
    retry: &'static str,
    bury: &'static str,
    prune: &'static str,
    dead: &'static str,
    replay: &'static str,
    depth: &'static str,
}

macro_rules! queue_sql {
    ($t:literal) => {
        Sql {
            insert: concat!(
                "INSERT INTO ", $t, " (source, delivery_key, received_at, headers, body, subject, next_attempt_at) ",
                "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (source, delivery_key) DO NOTHING RETURNING id"
            ),
            find: concat!("SELECT id FROM ", $t, " WHERE source = $1 AND delivery_key = $2"),
            subject_seen: concat!("SELECT id FROM ", $t, " WHERE subject = $1 LIMIT 1"),
            claim: concat!(
                "UPDATE ", $t, " SET lease_until = $1, attempts = attempts + 1 WHERE id = (",
                "SELECT id FROM ", $t, " WHERE status = 'pending' AND next_attempt_at <= $2 ",
                "AND (lease_until IS NULL OR lease_until < $3) ORDER BY next_attempt_at, id LIMIT 1) ",
                "AND status = 'pending' AND (lease_until IS NULL OR lease_until < $4) ",
                "RETURNING id, source, delivery_key, headers, body, attempts"
            ),
            // The outcome of a claim is recorded only by the claim that holds it: a worker whose
            // lease ran out (and whose message another worker claimed, raising `attempts`)
            // changes nothing.
            complete: concat!(
                "UPDATE ", $t, " SET status = 'done', done_at = $1, lease_until = NULL, last_error = NULL ",
                "WHERE id = $2 AND attempts = $3 AND status = 'pending'"
            ),
            retry: concat!(
                "UPDATE ", $t, " SET next_attempt_at = $1, last_error = $2, lease_until = NULL ",
                "WHERE id = $3 AND attempts = $4 AND status = 'pending'"
            ),
            bury: concat!(
                "UPDATE ", $t, " SET status = 'dead', last_error = $1, lease_until = NULL ",
                "WHERE id = $2 AND attempts = $3 AND status = 'pending'"
            ),
            prune: concat!(
                "DELETE FROM ", $t, " WHERE status = 'done' AND done_at < $1"
            ),
            dead: concat!(
                "SELECT id, source, delivery_key, received_at, attempts, last_error FROM ", $t,
                " WHERE status = 'dead' ORDER BY id DESC LIMIT $1"
            ),
            replay: concat!(
                "UPDATE ", $t, " SET status = 'pending', attempts = 0, next_attempt_at = $1, ",
                "lease_until = NULL WHERE id = $2 AND status = 'dead'"
            ),
            depth: concat!(
                "SELECT (SELECT COUNT(*) FROM ", $t, " WHERE status = 'pending') AS pending, ",
                "(SELECT COUNT(*) FROM ", $t, " WHERE status = 'dead') AS dead"
            ),
        }
    };
}

const INBOX: Sql = queue_sql!("inbox");
const OUTBOX: Sql = queue_sql!("outbox");

/// What storing a message did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnqueueOutcome {
    /// Stored, with this id.
    New(i64),
    /// Already stored under this id: acknowledged again, not processed twice.
    Duplicate(i64),
    /// Not stored: a message about the same subject exists (the catch-up poll's check).
    SubjectSeen,
}

/// A message a worker holds under a lease.
#[derive(Debug, Clone, PartialEq)]
pub struct Claimed {
    /// Row id.
    pub id: i64,
    /// `frappe`, `frappe.update`, ...
    pub source: String,
    /// Its idempotency key.
    pub delivery_key: String,
    /// Headers kept with it.
    pub headers: Value,
    /// The raw body.
    pub body: Vec<u8>,
    /// Attempts so far, this one included.
    pub attempts: i64,
}

/// A message that failed too often.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DeadLetter {
    /// Row id (replay it with this).
    pub id: i64,
    /// `frappe`, `frappe.update`, ...
    pub source: String,
    /// Its idempotency key.
    pub delivery_key: String,
    /// When it arrived (ms since the epoch).
    pub received_at: i64,
    /// How often it was tried.
    pub attempts: i64,
    /// The last failure.
    pub last_error: Option<String>,
}

/// One queue.
#[derive(Debug, Clone)]
pub struct Queue {
    store: Store,
    kind: QueueKind,
}

impl Queue {
    pub(super) fn new(store: Store, kind: QueueKind) -> Self {
        Self { store, kind }
    }

    fn sql(&self) -> &'static Sql {
        match self.kind {
            QueueKind::Inbox => &INBOX,
            QueueKind::Outbox => &OUTBOX,
        }
    }

    /// Which queue this is.
    pub fn kind(&self) -> QueueKind {
        self.kind
    }

    /// Stores a message once per `(source, delivery_key)`. With `only_new_subject`, it is not
    /// stored when any message about `subject` exists.
    pub async fn enqueue(
        &self,
        source: &str,
        delivery_key: &str,
        headers: &Value,
        body: &[u8],
        subject: Option<&str>,
        only_new_subject: bool,
    ) -> StoreResult<EnqueueOutcome> {
        let sql = self.sql();
        let pool = self.store.pool();
        if only_new_subject
            && let Some(subject) = subject
            && sqlx::query(sql.subject_seen)
                .bind(subject)
                .fetch_optional(pool)
                .await?
                .is_some()
        {
            return Ok(EnqueueOutcome::SubjectSeen);
        }
        let now = now_ms();
        let row = sqlx::query(sql.insert)
            .bind(source)
            .bind(delivery_key)
            .bind(now)
            .bind(headers.to_string())
            .bind(body.to_vec())
            .bind(subject)
            .bind(now)
            .fetch_optional(pool)
            .await?;
        if let Some(row) = row {
            return Ok(EnqueueOutcome::New(row.try_get("id")?));
        }
        let row = sqlx::query(sql.find)
            .bind(source)
            .bind(delivery_key)
            .fetch_one(pool)
            .await?;
        Ok(EnqueueOutcome::Duplicate(row.try_get("id")?))
    }

    /// The id of the message stored under `(source, delivery_key)`, if any.
    pub async fn find(&self, source: &str, delivery_key: &str) -> StoreResult<Option<i64>> {
        let row = sqlx::query(self.sql().find)
            .bind(source)
            .bind(delivery_key)
            .fetch_optional(self.store.pool())
            .await?;
        row.map(|r| r.try_get("id")).transpose().map_err(Into::into)
    }

    /// Claims the next due message for `lease`.
    pub async fn claim(&self, lease: Duration) -> StoreResult<Option<Claimed>> {
        let now = now_ms();
        let until = now + i64::try_from(lease.as_millis()).unwrap_or(i64::MAX / 2);
        let row = sqlx::query(self.sql().claim)
            .bind(until)
            .bind(now)
            .bind(now)
            .bind(now)
            .fetch_optional(self.store.pool())
            .await?;
        row.as_ref().map(claimed).transpose()
    }

    /// Marks a claimed message done. `false` when the claim was lost (its lease ran out and
    /// another worker claimed the message): nothing changed.
    pub async fn complete(&self, msg: &Claimed) -> StoreResult<bool> {
        let res = sqlx::query(self.sql().complete)
            .bind(now_ms())
            .bind(msg.id)
            .bind(msg.attempts)
            .execute(self.store.pool())
            .await?;
        Ok(res.rows_affected() == 1)
    }

    /// Deletes messages done before `before_ms` (they served their purpose: dedupe windows of
    /// senders are hours, not weeks). Returns how many.
    pub async fn prune_done(&self, before_ms: i64) -> StoreResult<u64> {
        let res = sqlx::query(self.sql().prune)
            .bind(before_ms)
            .execute(self.store.pool())
            .await?;
        Ok(res.rows_affected())
    }

    /// Records a failure: the message is tried again after `backoff · 2^(attempts-1)` (at most
    /// 10 min), or dead-lettered once it was tried `max_attempts` times. Returns whether it
    /// was dead-lettered (by this claim; a lost claim changes nothing).
    pub async fn fail(
        &self,
        msg: &Claimed,
        error: &str,
        max_attempts: i64,
        backoff: Duration,
    ) -> StoreResult<bool> {
        let error: String = error.chars().take(2000).collect();
        if msg.attempts >= max_attempts {
            let res = sqlx::query(self.sql().bury)
                .bind(&error)
                .bind(msg.id)
                .bind(msg.attempts)
                .execute(self.store.pool())
                .await?;
            return Ok(res.rows_affected() == 1);
        }
        let shift = u32::try_from(msg.attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
        let delay = backoff
            .saturating_mul(1u32 << shift)
            .min(Duration::from_secs(600));
        let next = now_ms() + i64::try_from(delay.as_millis()).unwrap_or(600_000);
        sqlx::query(self.sql().retry)
            .bind(next)
            .bind(&error)
            .bind(msg.id)
            .bind(msg.attempts)
            .execute(self.store.pool())
            .await?;
        Ok(false)
    }

    /// Dead-lettered messages, newest first.
    pub async fn dead_letters(&self, limit: i64) -> StoreResult<Vec<DeadLetter>> {
        let rows = sqlx::query(self.sql().dead)
            .bind(limit)
            .fetch_all(self.store.pool())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(DeadLetter {
                    id: r.try_get("id")?,
                    source: r.try_get("source")?,
                    delivery_key: r.try_get("delivery_key")?,
                    received_at: r.try_get("received_at")?,
                    attempts: r.try_get("attempts")?,
                    last_error: r.try_get("last_error")?,
                })
            })
            .collect()
    }

    /// Puts a dead letter back in the queue. `false` when no dead letter has that id.
    pub async fn replay(&self, id: i64) -> StoreResult<bool> {
        let res = sqlx::query(self.sql().replay)
            .bind(now_ms())
            .bind(id)
            .execute(self.store.pool())
            .await?;
        Ok(res.rows_affected() == 1)
    }

    /// `(pending, dead)` counts.
    pub async fn depth(&self) -> StoreResult<(i64, i64)> {
        let row = sqlx::query(self.sql().depth)
            .fetch_one(self.store.pool())
            .await?;
        Ok((row.try_get("pending")?, row.try_get("dead")?))
    }
}

fn claimed(row: &AnyRow) -> StoreResult<Claimed> {
    let headers: String = row.try_get("headers")?;
    Ok(Claimed {
        id: row.try_get("id")?,
        source: row.try_get("source")?,
        delivery_key: row.try_get("delivery_key")?,
        headers: serde_json::from_str(&headers).unwrap_or(Value::Null),
        body: row.try_get("body")?,
        attempts: row.try_get("attempts")?,
    })
}
