//! The limit on requests in flight, shared by every clone of a client.

use tokio::sync::{Semaphore, SemaphorePermit};

/// At most `n` requests in flight at once.
#[derive(Debug)]
pub struct ConcurrencyLimit {
    semaphore: Semaphore,
    max: usize,
}

impl ConcurrencyLimit {
    /// The largest limit there can be.
    pub const MAX: usize = Semaphore::MAX_PERMITS;

    /// A limit of `max` (at least 1, at most [`MAX`](Self::MAX)).
    pub fn new(max: usize) -> Self {
        let max = max.clamp(1, Self::MAX);
        Self {
            semaphore: Semaphore::new(max),
            max,
        }
    }

    /// The configured limit.
    pub fn max(&self) -> usize {
        self.max
    }

    /// Waits for a slot; the request holds the permit while it runs.
    pub async fn acquire(&self) -> SemaphorePermit<'_> {
        match self.semaphore.acquire().await {
            Ok(p) => p,
            // The semaphore is never closed.
            Err(_) => unreachable!("the concurrency limit's semaphore is never closed"),
        }
    }
}
