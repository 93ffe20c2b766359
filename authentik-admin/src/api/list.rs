//! Page-number pagination as a `Stream`.

use futures::stream::{self, Stream, StreamExt, TryStreamExt};
use http::Method;
use serde::de::DeserializeOwned;

use crate::models::Page;
use crate::{Client, Error, Result};

/// The page size lists ask for unless told otherwise (authentik's default is 100 too).
pub const DEFAULT_PAGE_SIZE: u32 = 100;

/// Streams every object of a list: pages `1, 2, …` until `next` is 0. A 404 on a later page
/// (authentik's `Invalid page.` when the list shrank meanwhile) ends the stream.
pub(crate) fn pages<T: DeserializeOwned + Send + 'static>(
    client: Client,
    segments: &'static [&'static str],
    query: Vec<(String, String)>,
    page_size: u32,
) -> impl Stream<Item = Result<T>> + Send + 'static {
    stream::try_unfold(Some(1u64), move |next| {
        let client = client.clone();
        let query = query.clone();
        async move {
            let Some(page) = next else {
                return Ok(None);
            };
            let mut url = client.url(segments);
            {
                let mut q = url.query_pairs_mut();
                for (k, v) in &query {
                    q.append_pair(k, v);
                }
                q.append_pair("page", &page.to_string());
                q.append_pair("page_size", &page_size.to_string());
            }
            let answer = match client.execute(Method::GET, url, None).await {
                Ok(a) => a,
                Err(Error::NotFound { .. }) if page > 1 => return Ok(None),
                Err(e) => return Err(e),
            };
            let p: Page<T> = answer.json()?;
            let n = p.pagination.next;
            let following = (n > page && !p.results.is_empty()).then_some(n);
            Ok(Some((p.results, following)))
        }
    })
    .map_ok(|items| stream::iter(items.into_iter().map(Ok)))
    .try_flatten()
    .boxed()
}
