//! `GET /events`: one Server-Sent Events stream per browser tab, multiplexing topics.
//!
//! `?topic=/dispatch&topic=/tickets/*` (exact topics, or prefixes ending in `/*`); each topic
//! needs the capability of its area, checked at every (re)connection. `Last-Event-ID` (header)
//! or `?last_event_id=` / `?lastEventId=` replays what was missed from the store; when that is
//! older than the retained history the stream starts with a `reset` event (refetch over REST).
//! The stream sends `retry:` first, a heartbeat comment every 15 s, and ends — with a `reset`
//! when the client was too slow to keep up, or quietly after its maximum lifetime or at
//! shutdown (the bus drops every subscriber) — so that the browser reconnects with
//! `Last-Event-ID`. A connection's wait involves only its own queue and timers: nothing that
//! thousands of connections would contend on.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use bytes::Bytes;
use futures::Stream;
use http::{HeaderMap, HeaderValue, StatusCode};
use serde_json::json;
use tokio::time::Instant;

use crate::auth::Caller;
use crate::bus::{Delivered, Filter, Subscription, topics_for};
use crate::error::AppError;
use crate::state::AppState;

/// The most events replayed on one reconnection before a `reset` is sent instead.
pub const MAX_REPLAY: usize = 10_000;

/// The most stored events (of every topic) read to serve one reconnection.
pub const MAX_REPLAY_SCAN: usize = 50_000;

struct Params {
    topics: Vec<String>,
    last_event_id: Option<String>,
}

fn params(raw: Option<&str>) -> Result<Params, AppError> {
    let mut p = Params {
        topics: Vec::new(),
        last_event_id: None,
    };
    for (k, v) in super::query_params(raw, &["topic", "last_event_id", "lastEventId"])? {
        if k == "topic" {
            p.topics.push(v);
        } else {
            p.last_event_id = Some(v);
        }
    }
    Ok(p)
}

fn reset(reason: &str, latest: i64) -> Bytes {
    Bytes::from(format!(
        "id: {latest}\nevent: reset\ndata: {}\n\n",
        json!({"reason": reason, "last_event_id": latest})
    ))
}

/// The SSE heartbeat: an empty comment.
const HEARTBEAT: Bytes = Bytes::from_static(b":\n\n");

struct Conn {
    pre: VecDeque<Bytes>,
    sub: Subscription,
    last_sent: i64,
    /// Ends the stream at its maximum lifetime (created once: per-event work stays a queue
    /// pop, no timer churn across thousands of connections).
    deadline: Pin<Box<tokio::time::Sleep>>,
    heartbeat: tokio::time::Interval,
    done: bool,
}

/// The response body: written frames as they come. Each live frame is the bus's shared
/// buffer, sent as is.
fn stream(conn: Conn) -> impl Stream<Item = Result<Bytes, Infallible>> {
    futures::stream::unfold(conn, |mut c| async move {
        loop {
            if let Some(e) = c.pre.pop_front() {
                return Some((Ok(e), c));
            }
            if c.done {
                return None;
            }
            enum Next {
                Event(Arc<Delivered>),
                Closed,
                Beat,
                End,
            }
            let next = tokio::select! {
                biased;
                msg = c.sub.rx.recv() => msg.map_or(Next::Closed, Next::Event),
                _ = c.heartbeat.tick() => Next::Beat,
                () = &mut c.deadline => Next::End,
            };
            match next {
                Next::Event(d) if d.event.id <= c.last_sent => {}
                Next::Event(d) => {
                    c.last_sent = d.event.id;
                    return Some((Ok(d.frame.clone()), c));
                }
                Next::Beat => return Some((Ok(HEARTBEAT), c)),
                Next::Closed => {
                    c.done = true;
                    if c.sub.overflowed() {
                        c.pre.push_back(reset("slow_client", c.last_sent));
                    }
                }
                Next::End => c.done = true,
            }
        }
    })
}

/// Live events on the caller's topics.
#[utoipa::path(get, path = "/events", tag = "events",
    security(("staff" = []), ("service_token" = [])),
    params(
        ("topic" = Vec<String>, Query, description = "A topic (`/dispatch`, `/tickets/ISS-2026-00001`) or a prefix (`/tickets/*`); repeat for more"),
        ("last_event_id" = Option<String>, Query, description = "Replay events after this id (the `Last-Event-ID` header wins)"),
        ("Last-Event-ID" = Option<String>, Header, description = "Set by the browser when it reconnects"),
    ),
    responses(
        (status = 200, description = "`text/event-stream`", content_type = "text/event-stream"),
        (status = 400, description = "A bad topic or id"),
        (status = 403, description = "A topic the caller may not see"),
    ))]
pub async fn events(
    State(state): State<AppState>,
    Caller(caller): Caller,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let p = params(raw.as_deref())?;
    let topics = topics_for(&p.topics, caller.capabilities())?;
    let header_id = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let last: Option<i64> = match header_id.or(p.last_event_id) {
        None => None,
        Some(s) if s.trim().is_empty() => None,
        Some(s) => Some(
            s.trim()
                .parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or_else(|| {
                    AppError::invalid("last_event_id", "an event id is a non-negative integer")
                })?,
        ),
    };
    let filter = Filter {
        topics,
        capabilities: caller.capabilities().to_vec(),
    };
    // Subscribe before reading history, so that nothing published meanwhile is missed.
    let sub = state.bus.subscribe(filter.clone());
    let store = state.bus.store();
    let latest = store.latest_event_id().await?;
    let sse = &state.settings.sse;
    let mut pre = VecDeque::new();
    // `id:` first: a browser that hears nothing on a quiet topic still reconnects from here
    // (an id-only frame sets EventSource's last event id), so nothing published while it
    // reconnects is lost.
    pre.push_back(Bytes::from(format!(
        "retry: {}\nid: {latest}\n: hub\n\n",
        sse.retry.as_millis()
    )));
    // Live events up to `latest` were replayed (or are history the caller did not ask for).
    let last_sent = latest;
    if let Some(last) = last {
        let oldest = store.oldest_event_id().await?;
        let gap = match oldest {
            _ if last > latest => Some("unknown_id"),
            None if last < latest => Some("history_expired"),
            Some(oldest) if last + 1 < oldest => Some("history_expired"),
            _ => None,
        };
        match gap {
            Some(reason) => pre.push_back(reset(reason, latest)),
            None => {
                // Bounded work per reconnection: at most MAX_REPLAY_SCAN stored events are
                // read (all topics) and MAX_REPLAY matching ones replayed; past either, the
                // client gets a reset and refetches.
                let mut after = last;
                let mut scanned = 0usize;
                let mut replayed = Vec::new();
                let mut too_many = latest - last > MAX_REPLAY_SCAN as i64;
                'pages: while !too_many && after < latest {
                    let page = store.events_after(after, 1000).await?;
                    if page.is_empty() {
                        break;
                    }
                    scanned += page.len();
                    for e in page {
                        if e.id > latest {
                            break 'pages;
                        }
                        after = e.id;
                        if filter.accepts(&e) {
                            replayed.push(e);
                        }
                    }
                    too_many = replayed.len() > MAX_REPLAY || scanned > MAX_REPLAY_SCAN;
                }
                if too_many {
                    pre.push_back(reset("too_many_missed", latest));
                } else {
                    pre.extend(replayed.into_iter().map(|e| Delivered::new(e).frame));
                }
            }
        }
    }
    let jitter = f64::from(getrandom::u32().unwrap_or(0) % 1000) / 10_000.0;
    let lifetime = sse.max_lifetime.mul_f64(1.0 + jitter);
    let conn = Conn {
        pre,
        sub,
        last_sent,
        deadline: Box::pin(tokio::time::sleep_until(Instant::now() + lifetime)),
        heartbeat: {
            let every = sse.heartbeat.max(Duration::from_millis(10));
            let mut i = tokio::time::interval_at(Instant::now() + every, every);
            i.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            i
        },
        done: false,
    };
    let mut response = Response::new(Body::from_stream(stream(conn)));
    *response.status_mut() = StatusCode::OK;
    let h = response.headers_mut();
    h.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream; charset=utf-8"),
    );
    h.insert(
        http::header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache, no-transform"),
    );
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    if let Ok(v) = HeaderValue::from_str(&latest.to_string()) {
        h.insert("x-hub-last-event-id", v);
    }
    Ok(response)
}
