//! Positions: `client.positions()` — latest (all, one, many) and history by time window.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use futures::{Stream, StreamExt as _, TryStreamExt as _, stream};
use http::Method;

use crate::models::{DeviceId, Position};
use crate::{Client, Error, Result};

use super::{check_window, iso, with_query};

/// How [`Positions::latest_many`] fetches the latest position of several devices.
///
/// `GET /api/positions` takes **one** `deviceId` (the server keeps a single value), so there
/// are two ways:
/// - [`PerDevice`](Self::PerDevice): one `GET /api/positions?deviceId=N` per device, at most
///   [`max_concurrency`](crate::ClientBuilder::max_concurrency) in flight. Exact; costs one
///   request per device, but in `ceil(n / concurrency)` round trips.
/// - [`AllVisible`](Self::AllVisible): one `GET /api/positions` (the latest position of every
///   device the user can see), filtered here. One request, whose size grows with every device
///   the user can see, not just those asked for.
///
/// [`Auto`](Self::Auto) (the default) picks `PerDevice` for up to twice the concurrency limit
/// (all requests finish in at most two round trips) and `AllVisible` above that. The route
/// report (`/api/reports/route` with repeated `deviceId`) is not used for *latest* positions:
/// it returns only positions inside its time window, so a parked device would be missing;
/// it is what [`Positions::history_many`] uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum LatestVia {
    /// Per device up to twice the concurrency limit, else all visible.
    #[default]
    Auto,
    /// One request per device, with bounded concurrency.
    PerDevice,
    /// One request for every visible device, filtered.
    AllVisible,
}

/// Position calls. From [`Client::positions`].
#[derive(Debug, Clone)]
pub struct Positions {
    client: Client,
}

impl Client {
    /// Position calls.
    pub fn positions(&self) -> Positions {
        Positions {
            client: self.clone(),
        }
    }
}

/// What a history page asks.
#[derive(Debug, Clone)]
enum Target {
    Device(DeviceId),
    Route(Vec<DeviceId>),
}

/// A window `[from, to)`, or `[from, to]` when `inclusive` (the caller's last window).
#[derive(Debug, Clone, Copy)]
struct Window {
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    inclusive: bool,
}

impl Positions {
    /// `GET /api/positions`: the latest position of every device the user can see.
    ///
    /// # Errors
    /// The usual request errors.
    pub async fn latest_all(&self) -> Result<Vec<Position>> {
        let url = self.client.url(&["positions"]);
        self.client.execute(Method::GET, url, None).await?.json()
    }

    /// `GET /api/positions?deviceId=N`: the device's latest position (`None` when it has none).
    ///
    /// # Errors
    /// [`Error::AccessDenied`] for a device the user cannot see; the usual request errors.
    pub async fn latest(&self, device: DeviceId) -> Result<Option<Position>> {
        let url = with_query(
            self.client.url(&["positions"]),
            &[("deviceId", device.to_string())],
        );
        let found: Vec<Position> = self.client.execute(Method::GET, url, None).await?.json()?;
        Ok(found.into_iter().find(|p| p.device_id == device))
    }

    /// The latest position of each of `devices`, in their order (a device without one is left
    /// out); see [`LatestVia`] for how.
    ///
    /// # Errors
    /// The first failure of any request.
    pub async fn latest_many(&self, devices: &[DeviceId], via: LatestVia) -> Result<Vec<Position>> {
        let mut seen = HashSet::new();
        let ids: Vec<DeviceId> = devices
            .iter()
            .copied()
            .filter(|d| seen.insert(*d))
            .collect();
        let fan_out = self.client.tuning().fan_out;
        let per_device = match via {
            LatestVia::PerDevice => true,
            LatestVia::AllVisible => false,
            LatestVia::Auto => ids.len() <= 2 * fan_out,
        };
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        if per_device {
            let found: Vec<Option<Position>> = stream::iter(ids)
                .map(|id| self.latest(id))
                .buffered(fan_out)
                .try_collect()
                .await?;
            return Ok(found.into_iter().flatten().collect());
        }
        let mut all: std::collections::HashMap<DeviceId, Position> = self
            .latest_all()
            .await?
            .into_iter()
            .map(|p| (p.device_id, p))
            .collect();
        Ok(ids.iter().filter_map(|id| all.remove(id)).collect())
    }

    /// The device's positions with `fixTime` in `[from, to]`, oldest first.
    ///
    /// Fetched in windows of [`history_window`](crate::ClientBuilder::history_window) (one
    /// request each): the server silently cuts a history answer at `report.maxPositions`
    /// (default 50 000, [`max_positions`](crate::ClientBuilder::max_positions)), so a window
    /// whose answer reaches that count is split in two and fetched again, down to one second.
    /// Windows do not overlap, so no position appears twice.
    ///
    /// # Errors
    /// [`Error::HistoryTruncated`] when a one-second window still reaches the cap;
    /// [`Error::InvalidInput`] when `from >= to`; the usual request errors.
    pub async fn history(
        &self,
        device: DeviceId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Position>> {
        let pages: Vec<Vec<Position>> = self.history_pages(device, from, to).try_collect().await?;
        Ok(pages.into_iter().flatten().collect())
    }

    /// [`history`](Self::history) as a stream of pages (one per window), oldest first, for
    /// ranges too large to hold.
    pub fn history_pages(
        &self,
        device: DeviceId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> impl Stream<Item = Result<Vec<Position>>> + Send + 'static {
        self.pages(Target::Device(device), from, to)
    }

    /// History of several devices through the route report (`GET /api/reports/route` with
    /// repeated `deviceId`): one request per window for all of them, paged like
    /// [`history`](Self::history). Positions come as the server orders them (by device, then
    /// time).
    ///
    /// # Errors
    /// As [`history`](Self::history); [`Error::InvalidInput`] for an empty device list.
    pub async fn history_many(
        &self,
        devices: &[DeviceId],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Position>> {
        if devices.is_empty() {
            return Err(Error::InvalidInput("no device given".to_owned()));
        }
        let pages: Vec<Vec<Position>> = self
            .pages(Target::Route(devices.to_vec()), from, to)
            .try_collect()
            .await?;
        Ok(pages.into_iter().flatten().collect())
    }

    fn pages(
        &self,
        target: Target,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> impl Stream<Item = Result<Vec<Position>>> + Send + 'static {
        let client = self.client.clone();
        let tuning = client.tuning().clone();
        // Windows still to fetch, the earliest last (popped first).
        let mut todo = Vec::new();
        let mut failed = check_window(from, to).err();
        if failed.is_none() {
            let mut start = from;
            while start < to {
                let end = (start + tuning.history_window).min(to);
                todo.push(Window {
                    from: start,
                    to: end,
                    inclusive: end == to,
                });
                start = end;
            }
            todo.reverse();
        }
        stream::unfold(
            (client, target, todo, tuning.max_positions),
            move |(client, target, mut todo, cap)| {
                let early = failed.take();
                async move {
                    if let Some(e) = early {
                        return Some((Err(e), (client, target, Vec::new(), cap)));
                    }
                    loop {
                        let w = todo.pop()?;
                        let page = match fetch_window(&client, &target, w).await {
                            Ok(p) => p,
                            Err(e) => return Some((Err(e), (client, target, Vec::new(), cap))),
                        };
                        if page.len() < cap {
                            return Some((Ok(page), (client, target, todo, cap)));
                        }
                        let span = w.to - w.from;
                        if span <= chrono::Duration::seconds(1) {
                            let e = Error::HistoryTruncated {
                                from: w.from,
                                to: w.to,
                                count: page.len(),
                            };
                            return Some((Err(e), (client, target, Vec::new(), cap)));
                        }
                        tracing::debug!(
                            count = page.len(),
                            "history window reached the server's cap; splitting it"
                        );
                        let mid = w.from + span / 2;
                        todo.push(Window {
                            from: mid,
                            to: w.to,
                            inclusive: w.inclusive,
                        });
                        todo.push(Window {
                            from: w.from,
                            to: mid,
                            inclusive: false,
                        });
                    }
                }
            },
        )
    }
}

async fn fetch_window(client: &Client, target: &Target, w: Window) -> Result<Vec<Position>> {
    let to = if w.inclusive {
        w.to
    } else {
        w.to - chrono::Duration::milliseconds(1)
    };
    let (segments, mut q): (&[&str], Vec<(&str, String)>) = match target {
        Target::Device(d) => (&["positions"], vec![("deviceId", d.to_string())]),
        Target::Route(ds) => (
            &["reports", "route"],
            ds.iter().map(|d| ("deviceId", d.to_string())).collect(),
        ),
    };
    q.push(("from", iso(w.from)));
    q.push(("to", iso(to)));
    let url = with_query(client.url(segments), &q);
    client.execute(Method::GET, url, None).await?.json()
}
