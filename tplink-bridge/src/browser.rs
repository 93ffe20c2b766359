//! The browser client (feature `browser`): for firmware whose crypto the native client does not
//! speak yet, drive the router's own web page in headless Chromium and call its `$.dm`
//! functions, so that the page's JavaScript does the crypto (PROTOCOL §8).
//!
//! One Chromium process serves every router ([`BrowserPool`]); each router gets one page (its
//! session), at most `max_pages` at a time; a browser that died is launched again at the next
//! call. The client relies only on the login page's ids (`#pc-login-password`,
//! `#pc-login-btn`, `#confirm-yes`, `.content.error-tips-content`), `#topReboot` on the main
//! page, and `$.dm` — nothing else of the firmware's UI.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chromiumoxide::Page;
use chromiumoxide::browser::{Browser, BrowserConfig};
use chromiumoxide::cdp::browser_protocol::browser::BrowserContextId;
use chromiumoxide::cdp::browser_protocol::target::{
    CreateBrowserContextParams, CreateTargetParams,
};
use futures::StreamExt;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value, json};
use tokio::sync::{Mutex, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinHandle;

use crate::models::{Object, ObjectSource, RouterStatus};
use crate::{BusyPolicy, Error, Result};

/// Settings of the shared browser.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct BrowserSettings {
    /// The Chromium executable (default `$CHROMIUM_PATH`, else `/usr/bin/chromium`).
    pub executable: PathBuf,
    /// Pages (router sessions) open at once (default 4).
    pub max_pages: usize,
    /// How long one `$.dm` call or the login may take (default 30 s, the UI's own limit).
    pub call_timeout: Duration,
}

impl BrowserSettings {
    /// Sets the Chromium executable.
    pub fn executable(mut self, path: impl Into<PathBuf>) -> Self {
        self.executable = path.into();
        self
    }

    /// Sets how many router pages may be open at once.
    pub fn max_pages(mut self, n: usize) -> Self {
        self.max_pages = n.max(1);
        self
    }

    /// Sets how long one `$.dm` call or the login may take.
    pub fn call_timeout(mut self, d: Duration) -> Self {
        self.call_timeout = d;
        self
    }
}

impl Default for BrowserSettings {
    fn default() -> Self {
        Self {
            executable: std::env::var_os("CHROMIUM_PATH")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium")),
            max_pages: 4,
            call_timeout: Duration::from_secs(30),
        }
    }
}

struct Running {
    browser: Browser,
    handler: JoinHandle<()>,
    _profile: TempProfile,
}

/// A profile directory of its own per browser, removed when the browser goes.
struct TempProfile(PathBuf);

impl Drop for TempProfile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

struct PoolInner {
    settings: BrowserSettings,
    running: Mutex<Option<Running>>,
    pages: Arc<Semaphore>,
    launches: std::sync::atomic::AtomicU32,
}

/// One headless Chromium shared by all routers. Cheap to clone.
#[derive(Clone)]
pub struct BrowserPool {
    inner: Arc<PoolInner>,
}

impl std::fmt::Debug for BrowserPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrowserPool")
            .field("settings", &self.inner.settings)
            .finish_non_exhaustive()
    }
}

fn browser_error(e: impl std::fmt::Display) -> Error {
    Error::Browser(e.to_string())
}

impl BrowserPool {
    /// A pool; the browser starts at the first call.
    pub fn new(settings: BrowserSettings) -> Self {
        let pages = Arc::new(Semaphore::new(settings.max_pages.max(1)));
        Self {
            inner: Arc::new(PoolInner {
                settings,
                running: Mutex::new(None),
                pages,
                launches: std::sync::atomic::AtomicU32::new(0),
            }),
        }
    }

    /// How often the browser was launched (1 after the first call; more after crashes).
    pub fn launches(&self) -> u32 {
        self.inner
            .launches
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The browser's process id, when it runs (for supervision).
    pub async fn browser_pid(&self) -> Option<u32> {
        let mut running = self.inner.running.lock().await;
        running
            .as_mut()?
            .browser
            .get_mut_child()?
            .as_mut_inner()
            .id()
    }

    /// Opens a page at `url` in a browser context of its own (its own cookies and storage, so
    /// that two routers' sessions never mix), launching the browser (again) when needed.
    async fn open(&self, url: &str) -> Result<(Page, BrowserContextId)> {
        let mut running = self.inner.running.lock().await;
        // A browser that died (its process exited, or its connection ended) is replaced.
        let dead = running
            .as_mut()
            .is_some_and(|r| r.handler.is_finished() || !matches!(r.browser.try_wait(), Ok(None)));
        if dead && let Some(old) = running.take() {
            old.handler.abort();
        }
        if running.is_none() {
            *running = Some(self.launch().await?);
        }
        let Some(r) = running.as_ref() else {
            return Err(browser_error("not running"));
        };
        let timeout = self.inner.settings.call_timeout;
        let opened = async {
            let ctx = r
                .browser
                .create_browser_context(CreateBrowserContextParams::default())
                .await?;
            let mut params = CreateTargetParams::new(url);
            params.browser_context_id = Some(ctx.clone());
            let page = r.browser.new_page(params).await?;
            Ok::<_, chromiumoxide::error::CdpError>((page, ctx))
        };
        match tokio::time::timeout(timeout, opened).await {
            Ok(Ok(p)) => Ok(p),
            Ok(Err(e)) => {
                // A dead browser: the next call launches a new one.
                if let Some(old) = running.take() {
                    old.handler.abort();
                }
                Err(browser_error(e))
            }
            Err(_) => {
                if let Some(old) = running.take() {
                    old.handler.abort();
                }
                Err(Error::Timeout(timeout))
            }
        }
    }

    /// Closes a page and drops its context.
    async fn close_page(&self, page: Page, ctx: BrowserContextId) {
        let t = self.inner.settings.call_timeout;
        let _ = tokio::time::timeout(t, page.close()).await;
        if let Some(r) = self.inner.running.lock().await.as_ref() {
            let _ = tokio::time::timeout(t, r.browser.dispose_browser_context(ctx)).await;
        }
    }

    async fn launch(&self) -> Result<Running> {
        let s = &self.inner.settings;
        // A profile of its own per launch: Chromium refuses a profile another one holds.
        static PROFILES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "tplink-bridge-chromium-{}-{}",
            std::process::id(),
            PROFILES.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        let mut b = BrowserConfig::builder()
            .chrome_executable(&s.executable)
            .new_headless_mode()
            .user_data_dir(&dir)
            .launch_timeout(Duration::from_secs(30))
            .request_timeout(s.call_timeout);
        if is_root() {
            b = b.no_sandbox();
        }
        let cfg = b.build().map_err(browser_error)?;
        let (browser, mut handler) = Browser::launch(cfg).await.map_err(browser_error)?;
        let handler = tokio::spawn(async move {
            while let Some(ev) = handler.next().await {
                if ev.is_err() {
                    // Keep draining: chromiumoxide reports undecodable CDP events here.
                }
            }
        });
        self.inner
            .launches
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(Running {
            browser,
            handler,
            _profile: TempProfile(dir),
        })
    }

    /// Closes the browser (pages first).
    pub async fn shutdown(&self) {
        if let Some(mut r) = self.inner.running.lock().await.take() {
            let t = self.inner.settings.call_timeout;
            if tokio::time::timeout(t, r.browser.close()).await.is_err() {
                let _ = r.browser.kill().await;
            }
            let _ = tokio::time::timeout(t, r.browser.wait()).await;
            r.handler.abort();
        }
    }

    /// A router driven through this browser.
    pub fn router(
        &self,
        address: &str,
        password: impl Into<SecretString>,
    ) -> Result<BrowserRouter> {
        let url = crate::client::router_url(address)?;
        Ok(BrowserRouter {
            pool: self.clone(),
            url: url.to_string(),
            password: password.into(),
            busy: BusyPolicy::default(),
            page: Arc::new(Mutex::new(None)),
        })
    }
}

fn is_root() -> bool {
    #[cfg(unix)]
    {
        std::env::var("USER").is_ok_and(|u| u == "root")
            || std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
                s.lines()
                    .find(|l| l.starts_with("Uid:"))
                    .is_some_and(|l| l.split_whitespace().nth(1) == Some("0"))
            })
    }
    #[cfg(not(unix))]
    {
        false
    }
}

/// A router's session in the shared browser: one page.
pub struct BrowserRouter {
    pool: BrowserPool,
    url: String,
    password: SecretString,
    busy: BusyPolicy,
    page: Arc<Mutex<Option<Session>>>,
}

/// A logged-in page: its context, and its place among the pool's pages.
struct Session {
    page: Page,
    ctx: BrowserContextId,
    _permit: OwnedSemaphorePermit,
}

impl std::fmt::Debug for BrowserRouter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrowserRouter")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// What the page shows.
#[derive(Debug, serde::Deserialize)]
struct PageState {
    login: bool,
    main: bool,
    error: bool,
    confirm: bool,
}

const STATE_JS: &str = r#"(() => {
  const vis = s => { const e = document.querySelector(s); return !!e && getComputedStyle(e).display !== 'none' && getComputedStyle(e).visibility !== 'hidden'; };
  return { login: vis('#pc-login-password'), main: vis('#topReboot'), error: vis('.content.error-tips-content'), confirm: vis('#confirm-yes') };
})()"#;

impl BrowserRouter {
    /// What to do when someone is logged in (default [`BusyPolicy::FailIfBusy`]).
    pub fn busy_policy(mut self, policy: BusyPolicy) -> Self {
        self.busy = policy;
        self
    }

    async fn state(page: &Page) -> Option<PageState> {
        tokio::time::timeout(Duration::from_secs(2), page.evaluate(STATE_JS))
            .await
            .ok()?
            .ok()?
            .into_value()
            .ok()
    }

    /// Opens the router's page and logs in through its own form.
    async fn login(&self) -> Result<Session> {
        let permit = Arc::clone(&self.pool.inner.pages)
            .acquire_owned()
            .await
            .map_err(|_| browser_error("the page pool is closed"))?;
        let (page, ctx) = self.pool.open(&self.url).await?;
        let timeout = self.pool.inner.settings.call_timeout;
        let result = tokio::time::timeout(timeout, self.drive_login(&page)).await;
        match result {
            Ok(Ok(())) => Ok(Session {
                page,
                ctx,
                _permit: permit,
            }),
            Ok(Err(e)) => {
                self.pool.close_page(page, ctx).await;
                Err(e)
            }
            Err(_) => {
                self.pool.close_page(page, ctx).await;
                Err(Error::Timeout(timeout))
            }
        }
    }

    async fn drive_login(&self, page: &Page) -> Result<()> {
        let mut submitted = false;
        let mut confirmed = false;
        loop {
            let Some(st) = Self::state(page).await else {
                // Navigating: ask again.
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            };
            if st.main {
                return Ok(());
            }
            if st.error && submitted {
                return Err(Error::BadCredentials { admin_hint: false });
            }
            if st.confirm && !confirmed {
                if self.busy == BusyPolicy::FailIfBusy {
                    return Err(Error::Busy);
                }
                page.find_element("#confirm-yes")
                    .await
                    .map_err(browser_error)?
                    .click()
                    .await
                    .map_err(browser_error)?;
                confirmed = true;
            } else if st.login && !submitted {
                let set = format!(
                    "document.getElementById('pc-login-password').value = {};",
                    serde_json::to_string(self.password.expose_secret()).map_err(browser_error)?
                );
                page.evaluate(set).await.map_err(browser_error)?;
                page.find_element("#pc-login-btn")
                    .await
                    .map_err(browser_error)?
                    .click()
                    .await
                    .map_err(browser_error)?;
                submitted = true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Calls `$.dm.<method>` in the page: the page's JavaScript does the protocol.
    async fn dm(&self, method: &str, oid: &str, extra: Value) -> Result<Value> {
        crate::client::check_oid(oid)?;
        let mut relogged = false;
        loop {
            let mut slot = self.page.lock().await;
            if slot.is_none() {
                *slot = Some(self.login().await?);
            }
            let Some(Session { page, .. }) = slot.as_ref() else {
                return Err(Error::SessionLost);
            };
            let mut args = json!({"oid": oid});
            if let (Value::Object(a), Value::Object(e)) = (&mut args, extra.clone()) {
                a.extend(e);
            }
            let js = format!(
                "new Promise(res => {{ const a = {args}; a.callback = {{ success: d => res({{ok: d === undefined ? null : d}}), fail: c => res({{fail: c}}), error: e => res({{error: String(e)}}) }}; $.dm.{method}(a); }})"
            );
            let timeout = self.pool.inner.settings.call_timeout;
            let answer: Value = match tokio::time::timeout(timeout, page.evaluate(js)).await {
                Err(_) => return Err(Error::Timeout(timeout)),
                Ok(Err(e)) => {
                    // The page or the browser died: start over once.
                    *slot = None;
                    if relogged {
                        return Err(browser_error(e));
                    }
                    relogged = true;
                    continue;
                }
                Ok(Ok(r)) => r.into_value().map_err(browser_error)?,
            };
            if let Some(d) = answer.get("ok") {
                return Ok(d.clone());
            }
            if let Some(code) = answer.get("fail") {
                return Err(Error::Refused {
                    oid: oid.to_owned(),
                    code: code.as_i64().unwrap_or(-1),
                });
            }
            let message = answer
                .get("error")
                .and_then(Value::as_str)
                .unwrap_or("unknown")
                .to_owned();
            // A session the router ended (403): log in again once.
            if message.contains("403") && !relogged {
                if let Some(old) = slot.take() {
                    self.pool.close_page(old.page, old.ctx).await;
                }
                relogged = true;
                continue;
            }
            return Err(Error::Protocol(format!("{oid} in the page: {message}")));
        }
    }

    /// `$.dm.get`: one object.
    pub async fn get(&self, oid: &str) -> Result<Object> {
        match self.dm("get", oid, json!({})).await? {
            Value::Object(m) => Ok(m),
            Value::Null => Ok(Map::new()),
            _ => Err(Error::Protocol(format!("{oid}: not an object"))),
        }
    }

    /// `$.dm.getList`: every instance.
    pub async fn list(&self, oid: &str) -> Result<Vec<Object>> {
        match self.dm("getList", oid, json!({})).await? {
            Value::Array(a) => Ok(a
                .into_iter()
                .filter_map(|v| match v {
                    Value::Object(m) => Some(m),
                    _ => None,
                })
                .collect()),
            Value::Object(m) => Ok(vec![m]),
            Value::Null => Ok(Vec::new()),
            _ => Err(Error::Protocol(format!("{oid}: not a list"))),
        }
    }

    /// `$.dm.set`: sets attributes of the instance at `stack`.
    pub async fn set(&self, oid: &str, stack: &str, attrs: &Map<String, Value>) -> Result<()> {
        crate::client::check_stack(stack)?;
        let data = crate::client::as_strings(attrs)?;
        self.dm("set", oid, json!({"stack": stack, "data": data}))
            .await
            .map(drop)
    }

    /// The router's own view, as the native client reads it.
    pub async fn status(&self, with_keys: bool) -> Result<RouterStatus> {
        crate::models::read_status(self, with_keys).await
    }

    /// Closes the page (the router's session ends at its idle timeout).
    pub async fn close(&self) {
        if let Some(old) = self.page.lock().await.take() {
            self.pool.close_page(old.page, old.ctx).await;
        }
    }
}

impl ObjectSource for BrowserRouter {
    async fn get(&self, oid: &str) -> Result<Object> {
        BrowserRouter::get(self, oid).await
    }

    async fn list(&self, oid: &str) -> Result<Vec<Object>> {
        BrowserRouter::list(self, oid).await
    }
}

/// Which client read a router.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Backend {
    /// The native client.
    Native,
    /// The browser client.
    Browser,
}

/// A router with both clients in front of it: the native one by default, the browser one for
/// router models known to need it ([`prefer_browser`](Self::prefer_browser)) or once the native
/// client met a crypto it does not speak (a protocol mismatch at login) — remembered, so that
/// the router is not probed again. Never both at once: a router admits one session.
#[derive(Debug)]
pub struct FallbackRouter {
    native: crate::Router,
    browser: BrowserRouter,
    chosen: Mutex<Option<Backend>>,
}

impl FallbackRouter {
    /// Both clients for one router.
    pub fn new(native: crate::Router, browser: BrowserRouter) -> Self {
        Self {
            native,
            browser,
            chosen: Mutex::new(None),
        }
    }

    /// Use the browser from the start (a router model whose crypto the native client lacks).
    pub fn prefer_browser(self) -> Self {
        Self {
            chosen: Mutex::new(Some(Backend::Browser)),
            ..self
        }
    }

    /// The client in use, once chosen.
    pub async fn backend(&self) -> Option<Backend> {
        *self.chosen.lock().await
    }

    /// The router's own view, and which client read it.
    pub async fn status(&self, with_keys: bool) -> Result<(RouterStatus, Backend)> {
        let mut chosen = self.chosen.lock().await;
        if *chosen == Some(Backend::Browser) {
            return Ok((self.browser.status(with_keys).await?, Backend::Browser));
        }
        match self.native.status(with_keys).await {
            Ok(s) => {
                *chosen = Some(Backend::Native);
                Ok((s, Backend::Native))
            }
            // The native client could not speak this router's crypto: the page can.
            Err(Error::Protocol(reason)) if chosen.is_none() => {
                tracing::info!(router = %self.native.address(), %reason, "falling back to the browser client");
                let s = self.browser.status(with_keys).await?;
                *chosen = Some(Backend::Browser);
                Ok((s, Backend::Browser))
            }
            Err(e) => Err(e),
        }
    }

    /// Logs out or closes whichever client holds the session.
    pub async fn close(&self) {
        let _ = self.native.logout().await;
        self.browser.close().await;
    }
}
