//! `GET /events`: one Server-Sent Events stream per browser tab, multiplexing topics.
//!
//! `?topic=/dispatch&topic=/tickets/*` (exact topics, or prefixes ending in `/*`); each topic
//! needs the capability of its area, checked at every (re)connection. `Last-Event-ID` (header)
//! or `?last_event_id=` / `?lastEventId=` replays what was missed from the store; when that is
//! older than the retained history the stream starts with a `reset` event (refetch over REST).
//! The stream sends `retry:` first, a heartbeat comment every 15 s, and ends — with a `reset`
//! when the client was too slow to keep up, or quietly after its maximum lifetime or at
//! shutdown — so that the browser reconnects with `Last-Event-ID`.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{RawQuery, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::Stream;
use http::{HeaderMap, HeaderValue};
use serde_json::json;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::auth::Caller;
use crate::bus::{Delivered, Filter, Subscription, topics_for};
use crate::error::AppError;
use crate::state::AppState;

/// The most events replayed on one reconnection before a `reset` is sent instead.
pub const MAX_REPLAY: usize = 10_000;

struct Params {
    topics: Vec<String>,
    last_event_id: Option<String>,
}

fn params(raw: Option<&str>) -> Result<Params, AppError> {
    let mut p = Params {
        topics: Vec::new(),
        last_event_id: None,
    };
    for (k, v) in url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        match k.as_ref() {
            "topic" => p.topics.push(v.into_owned()),
            "last_event_id" | "lastEventId" => p.last_event_id = Some(v.into_owned()),
            other => {
                return Err(AppError::invalid(
                    other,
                    format!("unknown parameter {other:?} (topic, last_event_id)"),
                ));
            }
        }
    }
    Ok(p)
}

fn reset(reason: &str, latest: i64) -> Event {
    Event::default()
        .event("reset")
        .id(latest.to_string())
        .data(json!({"reason": reason, "last_event_id": latest}).to_string())
}

fn wire(d: &Delivered) -> Event {
    Event::default()
        .id(d.event.id.to_string())
        .event(d.event.kind.as_str())
        .data(d.json.as_str())
}

struct Conn {
    pre: VecDeque<Event>,
    sub: Subscription,
    last_sent: i64,
    deadline: Instant,
    shutdown: watch::Receiver<bool>,
    done: bool,
}

fn stream(conn: Conn) -> impl Stream<Item = Result<Event, Infallible>> {
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
                End,
            }
            let next = tokio::select! {
                msg = c.sub.rx.recv() => msg.map_or(Next::Closed, Next::Event),
                () = tokio::time::sleep_until(c.deadline) => Next::End,
                _ = c.shutdown.wait_for(|s| *s) => Next::End,
            };
            match next {
                Next::Event(d) if d.event.id <= c.last_sent => {}
                Next::Event(d) => {
                    c.last_sent = d.event.id;
                    return Some((Ok(wire(&d)), c));
                }
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
    pre.push_back(Event::default().retry(sse.retry).comment("hub"));
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
                let mut after = last;
                let mut replayed = Vec::new();
                'pages: while after < latest {
                    let page = store.events_after(after, 1000).await?;
                    if page.is_empty() {
                        break;
                    }
                    for e in page {
                        if e.id > latest {
                            break 'pages;
                        }
                        after = e.id;
                        if filter.accepts(&e) {
                            replayed.push(e);
                        }
                    }
                    if replayed.len() > MAX_REPLAY {
                        break;
                    }
                }
                if replayed.len() > MAX_REPLAY {
                    pre.push_back(reset("too_many_missed", latest));
                } else {
                    pre.extend(replayed.into_iter().map(|e| wire(&Delivered::new(e))));
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
        deadline: Instant::now() + lifetime,
        shutdown: state.shutdown.clone(),
        done: false,
    };
    let body = Sse::new(stream(conn)).keep_alive(
        KeepAlive::new()
            .interval(sse.heartbeat.max(Duration::from_millis(10)))
            .text(""),
    );
    let mut response = body.into_response();
    let h = response.headers_mut();
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    h.insert(
        http::header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache, no-transform"),
    );
    if let Ok(v) = HeaderValue::from_str(&latest.to_string()) {
        h.insert("x-hub-last-event-id", v);
    }
    Ok(response)
}
