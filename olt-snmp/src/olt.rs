//! [`Olt`]: one OLT's handle, and the operations (find an ONU, read it, poll a port or the OLT).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use futures::stream::{self, Stream, StreamExt};
use secrecy::SecretString;

use crate::error::{Error, Result};
use crate::model::{OnuLocation, OpticalStatus, PonPort, Serial};
use crate::oid::{Oid, Value};
use crate::profile::{Field, IF_NAME, IndexDecoding, PortNames, Profile, ProfileSet, Row};
use crate::transport::{
    Credentials, GlobalLimit, Transport, TransportConfig, TransportStats, V3Credentials,
};

const SYS_DESCR: [u32; 9] = [1, 3, 6, 1, 2, 1, 1, 1, 0];
const SYS_OBJECT_ID: [u32; 9] = [1, 3, 6, 1, 2, 1, 1, 2, 0];
const SYS_NAME: [u32; 9] = [1, 3, 6, 1, 2, 1, 1, 5, 0];
const SYS_UPTIME: [u32; 9] = [1, 3, 6, 1, 2, 1, 1, 3, 0];

/// The agent's `system` group, as [`Olt::system`] reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SystemInfo {
    /// `sysDescr`.
    pub descr: String,
    /// `sysObjectID`.
    pub object_id: Option<Oid>,
    /// `sysName`.
    pub name: String,
    /// `sysUpTime`, hundredths of a second.
    pub uptime_ticks: Option<u32>,
}

/// Builds an [`Olt`]. See [`Olt::builder`].
#[derive(Debug)]
pub struct OltBuilder {
    name: String,
    address: String,
    credentials: Option<Credentials>,
    profiles: ProfileSet,
    profile: Option<ProfileChoice>,
    timeout: Duration,
    retries: u32,
    max_in_flight: usize,
    global: Option<GlobalLimit>,
    max_repetitions: u32,
    bulk_ceiling: u32,
    serial_cache_ttl: Duration,
    miss_rewalk_after: Duration,
}

#[derive(Debug, Clone)]
enum ProfileChoice {
    Named(String),
    Given(Box<Profile>),
}

impl OltBuilder {
    /// SNMPv2c with this community. The community is kept as a secret: never logged, never in
    /// `Debug` output or errors.
    pub fn community(mut self, community: impl Into<SecretString>) -> Self {
        self.credentials = Some(Credentials::V2c(community.into()));
        self
    }

    /// SNMPv3 with this user.
    pub fn v3(mut self, credentials: V3Credentials) -> Self {
        self.credentials = Some(Credentials::V3(credentials));
        self
    }

    /// Uses the profile with this name (from [`profiles`](Self::profiles) or the built-in ones)
    /// instead of detecting the vendor.
    pub fn vendor(mut self, profile_name: impl Into<String>) -> Self {
        self.profile = Some(ProfileChoice::Named(profile_name.into()));
        self
    }

    /// Uses this profile instead of detecting the vendor.
    pub fn profile(mut self, profile: Profile) -> Self {
        self.profile = Some(ProfileChoice::Given(Box::new(profile)));
        self
    }

    /// The profiles to detect from and to name (default: the built-in ones).
    pub fn profiles(mut self, profiles: ProfileSet) -> Self {
        self.profiles = profiles;
        self
    }

    /// Per-request timeout (default 3 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Retries after a timeout or a bad reply (default 2: three attempts).
    pub fn retries(mut self, retries: u32) -> Self {
        self.retries = retries;
        self
    }

    /// Requests in flight to this OLT at most (default 4).
    pub fn max_in_flight(mut self, n: usize) -> Self {
        self.max_in_flight = n;
        self
    }

    /// The limit shared with other OLTs (default [`GlobalLimit::shared`]).
    pub fn global_limit(mut self, limit: GlobalLimit) -> Self {
        self.global = Some(limit);
        self
    }

    /// GETBULK max-repetitions to start walks with (default 25; halved on `tooBig`, truncation
    /// or timeout, never below 1).
    pub fn max_repetitions(mut self, n: u32) -> Self {
        self.max_repetitions = n;
        self
    }

    /// Highest max-repetitions a walk grows to while the agent answers in full (default 64;
    /// doubled after each full answer until something shrinks it). Set it to the
    /// [`max_repetitions`](Self::max_repetitions) value to keep repetitions fixed.
    pub fn bulk_ceiling(mut self, n: u32) -> Self {
        self.bulk_ceiling = n;
        self
    }

    /// How long a serial → index map stays valid (default 10 minutes).
    pub fn serial_cache_ttl(mut self, ttl: Duration) -> Self {
        self.serial_cache_ttl = ttl;
        self
    }

    /// A serial missing from a map younger than this is reported not found without walking the
    /// serial column again (default 30 s). A lookup that fans out over many OLTs misses on all
    /// but one; this keeps those misses from walking every OLT each time.
    pub fn miss_rewalk_after(mut self, age: Duration) -> Self {
        self.miss_rewalk_after = age;
        self
    }

    /// Checks the settings and builds the handle. Nothing is sent yet.
    pub fn build(self) -> Result<Olt> {
        let address = normalise_address(&self.address)?;
        let credentials = self.credentials.ok_or_else(|| {
            Error::Config(format!(
                "OLT {}: no community or SNMPv3 user given",
                self.name
            ))
        })?;
        if self.timeout.is_zero() {
            return Err(Error::Config(format!("OLT {}: zero timeout", self.name)));
        }
        if self.max_in_flight == 0 || self.max_repetitions == 0 {
            return Err(Error::Config(format!(
                "OLT {}: max_in_flight and max_repetitions must be at least 1",
                self.name
            )));
        }
        let fixed = match self.profile {
            None => None,
            Some(ProfileChoice::Given(p)) => Some(Arc::new(*p)),
            Some(ProfileChoice::Named(n)) => match self.profiles.get(&n) {
                Some(p) => Some(Arc::new(p.clone())),
                None => {
                    return Err(Error::UnknownVendor {
                        olt: self.name,
                        detail: format!("no profile named {n:?}"),
                    });
                }
            },
        };
        let transport = Transport::new(TransportConfig {
            olt: self.name.clone(),
            address,
            credentials,
            timeout: self.timeout,
            retries: self.retries,
            max_in_flight: self.max_in_flight,
            global: self.global.unwrap_or_else(GlobalLimit::shared),
            max_repetitions: self.max_repetitions,
            bulk_ceiling: self.bulk_ceiling,
        });
        let profile = tokio::sync::OnceCell::new();
        if let Some(p) = fixed {
            // A fresh cell cannot be full.
            let _ = profile.set(p);
        }
        Ok(Olt {
            inner: Arc::new(Inner {
                name: self.name,
                transport,
                profiles: self.profiles,
                profile,
                cache: Mutex::new(SerialCache::default()),
                cache_ttl: self.serial_cache_ttl,
                miss_rewalk_after: self.miss_rewalk_after,
                refresh: tokio::sync::Mutex::new(()),
                ports: Mutex::new(None),
            }),
        })
    }
}

/// `host`, `host:port`, `a.b.c.d`, `[v6]:port` or a bare IPv6 address; port 161 by default.
fn normalise_address(addr: &str) -> Result<String> {
    let a = addr.trim();
    let bad = || Error::Config(format!("not an OLT address (host or host:port): {a:?}"));
    if a.is_empty() || a.contains(['/', '@', ' ']) {
        return Err(bad());
    }
    if a.parse::<std::net::SocketAddr>().is_ok() {
        return Ok(a.to_owned());
    }
    if let Ok(ip) = a.parse::<std::net::IpAddr>() {
        return Ok(std::net::SocketAddr::new(ip, 161).to_string());
    }
    match a.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() && !host.contains(':') => {
            port.parse::<u16>().map_err(|_| bad())?;
            Ok(a.to_owned())
        }
        Some(_) => Err(bad()),
        None => Ok(format!("{a}:161")),
    }
}

#[derive(Debug, Default)]
struct SerialCache {
    map: HashMap<Serial, OnuLocation>,
    loaded_at: Option<Instant>,
    generation: u64,
}

struct Inner {
    name: String,
    transport: Transport,
    profiles: ProfileSet,
    profile: tokio::sync::OnceCell<Arc<Profile>>,
    cache: Mutex<SerialCache>,
    cache_ttl: Duration,
    miss_rewalk_after: Duration,
    /// Held while the serial column is walked, so that concurrent misses walk it once.
    refresh: tokio::sync::Mutex<()>,
    /// Port names from `ifName`, for `ifname` profiles.
    ports: Mutex<Option<Arc<PortNames>>>,
}

/// One OLT: cheap to clone (an `Arc` inside), safe to share between tasks.
///
/// Requests to the OLT go through one transport: at most
/// [`max_in_flight`](OltBuilder::max_in_flight) at a time, within the [`GlobalLimit`] shared
/// with other OLTs, each with a timeout and retries.
#[derive(Clone)]
pub struct Olt {
    inner: Arc<Inner>,
}

impl fmt::Debug for Olt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Olt")
            .field("name", &self.inner.name)
            .field("transport", &self.inner.transport)
            .field(
                "profile",
                &self.inner.profile.get().map(|p| p.name.as_str()),
            )
            .finish_non_exhaustive()
    }
}

/// The readings of a poll, one ONU at a time.
pub type Readings = Pin<Box<dyn Stream<Item = Result<OpticalStatus>> + Send>>;

impl Olt {
    /// Starts building a handle for the OLT called `name` (used in readings and errors) at
    /// `address` (`host` or `host:port`, port 161 by default).
    pub fn builder(name: impl Into<String>, address: impl Into<String>) -> OltBuilder {
        OltBuilder {
            name: name.into(),
            address: address.into(),
            credentials: None,
            profiles: ProfileSet::builtin(),
            profile: None,
            timeout: Duration::from_secs(3),
            retries: 2,
            max_in_flight: 4,
            global: None,
            max_repetitions: 25,
            bulk_ceiling: 64,
            serial_cache_ttl: Duration::from_secs(600),
            miss_rewalk_after: Duration::from_secs(30),
        }
    }

    /// The OLT's name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// Counters of this handle's transport (requests sent, timeouts, sessions dropped, ...).
    pub fn stats(&self) -> TransportStats {
        self.inner.transport.stats()
    }

    /// Reads `sysDescr`, `sysObjectID`, `sysName` and `sysUpTime` in one GET.
    pub async fn system(&self) -> Result<SystemInfo> {
        let oids = [
            Oid::new(SYS_DESCR),
            Oid::new(SYS_OBJECT_ID),
            Oid::new(SYS_NAME),
            Oid::new(SYS_UPTIME),
        ];
        let vb = self.inner.transport.get(&oids).await?;
        let text = |i: usize| {
            vb.get(i)
                .and_then(|(_, v)| v.as_bytes())
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default()
        };
        Ok(SystemInfo {
            descr: text(0),
            object_id: match vb.get(1) {
                Some((_, Value::ObjectId(o))) => Some(o.clone()),
                _ => None,
            },
            name: text(2),
            uptime_ticks: match vb.get(3) {
                Some((_, Value::TimeTicks(t))) => Some(*t),
                _ => None,
            },
        })
    }

    /// The vendor profile: the one set on the builder, or detected once from `sysObjectID` and
    /// `sysDescr`.
    pub async fn profile(&self) -> Result<Arc<Profile>> {
        self.inner
            .profile
            .get_or_try_init(|| async {
                let sys = self.system().await?;
                let object_id = sys.object_id.clone().unwrap_or_default();
                self.inner
                    .profiles
                    .detect(&object_id, &sys.descr)
                    .map(|p| Arc::new(p.clone()))
                    .ok_or_else(|| Error::UnknownVendor {
                        olt: self.inner.name.clone(),
                        detail: format!("sysObjectID {object_id}, sysDescr {:?}", sys.descr),
                    })
            })
            .await
            .cloned()
    }

    /// GET of up to a PDU's worth of OIDs in one request. Missing instances come back as
    /// [`Value::NoSuchInstance`] / [`Value::NoSuchObject`].
    pub async fn get(&self, oids: &[Oid]) -> Result<Vec<(Oid, Value)>> {
        if oids.is_empty() || oids.iter().any(|o| !o.is_encodable()) {
            return Err(Error::InvalidInput("GET needs encodable OIDs".to_owned()));
        }
        self.inner.transport.get(oids).await
    }

    /// Walks the subtree below `root` with adaptive GETBULK.
    pub async fn walk(&self, root: &Oid) -> Result<Vec<(Oid, Value)>> {
        check_root(root)?;
        let mut out = Vec::new();
        self.inner
            .transport
            .walk_bulk(root, |chunk| out.extend(chunk))
            .await?;
        Ok(out)
    }

    /// Walks the subtree below `root` with GETNEXT, one object per request: slow, for agents
    /// without GETBULK and as a baseline.
    pub async fn walk_getnext(&self, root: &Oid) -> Result<Vec<(Oid, Value)>> {
        check_root(root)?;
        let mut out = Vec::new();
        self.inner
            .transport
            .walk_next(root, |chunk| out.extend(chunk))
            .await?;
        Ok(out)
    }

    /// The PON port names of an `ifname` profile: walked once, again with `refresh`.
    async fn port_names(&self, profile: &Profile, refresh: bool) -> Result<Arc<PortNames>> {
        if profile.index != IndexDecoding::IfName {
            return Ok(Arc::default());
        }
        if !refresh && let Some(p) = self.inner.ports.lock().ok().and_then(|p| p.clone()) {
            return Ok(p);
        }
        let root = Oid::new(IF_NAME);
        let mut pairs = Vec::new();
        self.inner
            .transport
            .walk_bulk(&root, |chunk| pairs.extend(chunk))
            .await?;
        let names = Arc::new(PortNames::from_pairs(pairs.iter().map(|(o, v)| (o, v))));
        if let Ok(mut p) = self.inner.ports.lock() {
            *p = Some(Arc::clone(&names));
        }
        Ok(names)
    }

    /// The cached location (when the map is fresh), the map's age, and its generation.
    fn cached(&self, serial: &Serial) -> (Option<OnuLocation>, Option<Duration>, u64) {
        let Ok(cache) = self.inner.cache.lock() else {
            return (None, None, 0);
        };
        let age = cache
            .loaded_at
            .map(|t| t.elapsed())
            .filter(|age| *age < self.inner.cache_ttl);
        let hit = age.and_then(|_| cache.map.get(serial).cloned());
        (hit, age, cache.generation)
    }

    /// Walks the serial column and rebuilds the serial → location cache.
    pub async fn refresh_serials(&self) -> Result<usize> {
        let profile = self.profile().await?;
        let ports = self.port_names(&profile, true).await?;
        let col = &profile.serial.oid;
        let mut map = HashMap::new();
        self.inner
            .transport
            .walk_bulk(col, |chunk| {
                for (oid, value) in chunk {
                    let Some(idx) = profile.row_index(Field::Serial, &oid) else {
                        continue;
                    };
                    let Some(serial) = value.as_bytes().and_then(Serial::from_octets) else {
                        continue;
                    };
                    if let Some(loc) = profile.locate(&idx, &ports) {
                        map.insert(serial, loc);
                    }
                }
            })
            .await?;
        let n = map.len();
        if let Ok(mut cache) = self.inner.cache.lock() {
            cache.map = map;
            cache.loaded_at = Some(Instant::now());
            cache.generation += 1;
        }
        Ok(n)
    }

    fn forget(&self) {
        if let Ok(mut cache) = self.inner.cache.lock() {
            cache.loaded_at = None;
        }
    }

    /// Finds an ONU by serial: from the cache while it is fresh, else by walking the serial
    /// column once (the walk refills the cache for every ONU of the OLT). Concurrent misses
    /// share one walk; a miss within [`miss_rewalk_after`](OltBuilder::miss_rewalk_after) of
    /// the last walk does not walk again.
    pub async fn find_onu(&self, serial: &Serial) -> Result<OnuLocation> {
        let not_found = || Error::OnuNotFound {
            olt: self.inner.name.clone(),
            serial: serial.to_string(),
        };
        let (hit, age, generation) = self.cached(serial);
        if let Some(loc) = hit {
            return Ok(loc);
        }
        if age.is_some_and(|a| a < self.inner.miss_rewalk_after) {
            return Err(not_found());
        }
        let _walking = self.inner.refresh.lock().await;
        let (hit, _, now) = self.cached(serial);
        if let Some(loc) = hit {
            return Ok(loc);
        }
        if now != generation {
            return Err(not_found()); // walked by another lookup while this one waited
        }
        self.refresh_serials().await?;
        self.cached(serial).0.ok_or_else(not_found)
    }

    /// One ONU's status, last down cause, optical levels and distance, read in one GET of
    /// that ONU's row (the serial is read too: when it no longer matches, the cache is
    /// refreshed and the ONU looked up again).
    pub async fn onu_status(&self, serial: &Serial) -> Result<OpticalStatus> {
        let profile = self.profile().await?;
        let cols = profile.columns(&Field::ALL);
        for round in 0..2 {
            let ports = self.port_names(&profile, false).await?;
            let loc = if round == 0 {
                self.find_onu(serial).await?
            } else {
                self.forget();
                self.find_onu(serial).await?
            };
            let oids: Vec<Oid> = cols
                .iter()
                .map(|(_, col, suffix)| col.child(&loc.index).child(suffix))
                .collect();
            let vb = self.inner.transport.get(&oids).await?;
            let mut row = Row::default();
            for ((field, _, _), (_, value)) in cols.iter().zip(vb) {
                if !value.is_exception() {
                    row.set(*field, value);
                }
            }
            let polled_at = Utc::now();
            match profile.decode_row(&self.inner.name, &loc.index, &row, &ports, polled_at) {
                Some(s) if &s.serial == serial => return Ok(s),
                _ => tracing::debug!(olt = %self.inner.name, %serial, "serial moved; re-walking"),
            }
        }
        self.forget();
        Err(Error::OnuNotFound {
            olt: self.inner.name.clone(),
            serial: serial.to_string(),
        })
    }

    /// Every ONU of one PON port, all fields: each column walked below the port's index.
    pub async fn poll_port(&self, port: PonPort) -> Result<Vec<OpticalStatus>> {
        let profile = self.profile().await?;
        let ports = self.port_names(&profile, false).await?;
        let prefix = profile.port_index(port, &ports).ok_or_else(|| {
            Error::InvalidInput(format!(
                "port {port} does not exist in {}'s index",
                profile.name
            ))
        })?;
        let cols = profile.columns(&Field::ALL);
        let walks = cols.iter().map(|(_, col, _)| {
            let root = col.child(&prefix);
            async move { self.walk(&root).await }
        });
        let results = futures::future::try_join_all(walks).await?;
        let pairs: Vec<(Oid, Value)> = results.into_iter().flatten().collect();
        Ok(profile.decode_with_ports(
            &self.inner.name,
            pairs.iter().map(|(o, v)| (o, v)),
            &ports,
            Utc::now(),
        ))
    }

    /// Every ONU of the OLT, all fields: see [`poll_fields`](Self::poll_fields).
    pub fn poll_all(&self) -> Readings {
        self.poll_fields(&Field::ALL)
    }

    /// Every ONU of the OLT as a stream, reading `fields` (serial and status are always read).
    ///
    /// Each column is walked on its own with GETBULK, the walks running side by side within
    /// the OLT's in-flight limit; an ONU is yielded as soon as every column has passed its
    /// index, so readings flow while the walks go on. The stream ends after an error.
    pub fn poll_fields(&self, fields: &[Field]) -> Readings {
        let olt = self.clone();
        let fields = fields.to_vec();
        let setup = async move {
            let profile = olt.profile().await?;
            let ports = olt.port_names(&profile, false).await?;
            Ok::<_, Error>((olt, profile, ports, fields))
        };
        let s = stream::once(setup).flat_map(|r| match r {
            Err(e) => stream::once(async move { Err(e) }).boxed(),
            Ok((olt, profile, ports, fields)) => merged_poll(olt, profile, ports, &fields),
        });
        Box::pin(s)
    }
}

fn check_root(root: &Oid) -> Result<()> {
    if root.is_encodable() {
        Ok(())
    } else {
        Err(Error::InvalidInput(format!("cannot walk {root}")))
    }
}

enum Event {
    Chunk(usize, Vec<(Oid, Value)>),
    Done(usize),
    Failed(Error),
}

struct Merge {
    olt: Olt,
    profile: Arc<Profile>,
    ports: Arc<PortNames>,
    cols: Vec<(Field, Oid, Vec<u32>)>,
    rows: BTreeMap<Vec<u32>, Row>,
    frontier: Vec<Option<Vec<u32>>>,
    finished: Vec<bool>,
    ready: VecDeque<OpticalStatus>,
    events: Pin<Box<dyn Stream<Item = Event> + Send>>,
    over: bool,
}

impl Merge {
    fn take(&mut self, col: usize, chunk: Vec<(Oid, Value)>) {
        let Some((field, oid, suffix)) = self.cols.get(col) else {
            return;
        };
        for (o, v) in chunk {
            let Some(idx) = o
                .suffix(oid)
                .and_then(|r| r.strip_suffix(suffix.as_slice()))
            else {
                continue;
            };
            if idx.is_empty() {
                continue;
            }
            self.rows.entry(idx.to_vec()).or_default().set(*field, v);
            if let Some(f) = self.frontier.get_mut(col) {
                *f = Some(idx.to_vec());
            }
        }
    }

    /// Moves every row that no unfinished column can still add to into `ready`.
    fn release(&mut self) {
        let mut bound: Option<&Vec<u32>> = None;
        for (i, done) in self.finished.iter().enumerate() {
            if *done {
                continue;
            }
            match self.frontier.get(i).and_then(Option::as_ref) {
                None => return,
                Some(f) => bound = Some(bound.map_or(f, |b| b.min(f))),
            }
        }
        let rest = match bound {
            None => std::mem::take(&mut self.rows),
            Some(b) => {
                let mut after = b.clone();
                after.push(0);
                let rest = self.rows.split_off(&after);
                std::mem::replace(&mut self.rows, rest)
            }
        };
        let now = Utc::now();
        for (idx, row) in rest {
            match self
                .profile
                .decode_row(&self.olt.inner.name, &idx, &row, &self.ports, now)
            {
                Some(s) => self.ready.push_back(s),
                None => {
                    tracing::debug!(olt = %self.olt.inner.name, ?idx, "row without a readable serial or index")
                }
            }
        }
    }
}

fn merged_poll(
    olt: Olt,
    profile: Arc<Profile>,
    ports: Arc<PortNames>,
    fields: &[Field],
) -> stream::BoxStream<'static, Result<OpticalStatus>> {
    let cols: Vec<(Field, Oid, Vec<u32>)> = profile
        .columns(fields)
        .into_iter()
        .map(|(f, o, s)| (f, o.clone(), s.to_vec()))
        .collect();
    let (tx, rx) = futures::channel::mpsc::unbounded::<Event>();
    let walker = olt.clone();
    let roots: Vec<Oid> = cols.iter().map(|(_, o, _)| o.clone()).collect();
    let driver = async move {
        let walks = roots.iter().enumerate().map(|(i, root)| {
            let tx = tx.clone();
            let walker = &walker;
            async move {
                let res = walker
                    .inner
                    .transport
                    .walk_bulk(root, |chunk| {
                        let _ = tx.unbounded_send(Event::Chunk(i, chunk));
                    })
                    .await;
                let _ = tx.unbounded_send(match res {
                    Ok(()) => Event::Done(i),
                    Err(e) => Event::Failed(e),
                });
            }
        });
        futures::future::join_all(walks).await;
    };
    let events = stream::select(rx, stream::once(driver).filter_map(|()| async { None }));
    let n = cols.len();
    let merge = Merge {
        olt,
        profile,
        ports,
        cols,
        rows: BTreeMap::new(),
        frontier: vec![None; n],
        finished: vec![false; n],
        ready: VecDeque::new(),
        events: Box::pin(events),
        over: false,
    };
    stream::unfold(merge, |mut m| async move {
        loop {
            if let Some(s) = m.ready.pop_front() {
                return Some((Ok(s), m));
            }
            if m.over {
                return None;
            }
            match m.events.next().await {
                Some(Event::Chunk(i, chunk)) => {
                    m.take(i, chunk);
                    m.release();
                }
                Some(Event::Done(i)) => {
                    if let Some(f) = m.finished.get_mut(i) {
                        *f = true;
                    }
                    m.release();
                }
                Some(Event::Failed(e)) => {
                    m.over = true;
                    m.ready.clear();
                    return Some((Err(e), m));
                }
                None => {
                    m.finished.iter_mut().for_each(|f| *f = true);
                    m.release();
                    m.over = true;
                }
            }
        }
    })
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_default_to_port_161() {
        assert_eq!(normalise_address("10.0.0.2").unwrap(), "10.0.0.2:161");
        assert_eq!(normalise_address("10.0.0.2:1161").unwrap(), "10.0.0.2:1161");
        assert_eq!(
            normalise_address("olt1.example.net").unwrap(),
            "olt1.example.net:161"
        );
        assert_eq!(
            normalise_address("olt1.example.net:16100").unwrap(),
            "olt1.example.net:16100"
        );
        assert_eq!(normalise_address("::1").unwrap(), "[::1]:161");
        assert_eq!(normalise_address("[::1]:1161").unwrap(), "[::1]:1161");
        for bad in ["", "host:port", "host:99999", "public@10.0.0.2", "a:b:c"] {
            assert!(normalise_address(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn builder_refuses_missing_credentials_and_unknown_profiles() {
        let e = Olt::builder("olt-1", "127.0.0.1").build().unwrap_err();
        assert!(matches!(e, Error::Config(_)), "{e}");
        let e = Olt::builder("olt-1", "127.0.0.1")
            .community("c")
            .vendor("nokia-isam")
            .build()
            .unwrap_err();
        assert!(matches!(e, Error::UnknownVendor { .. }), "{e}");
        let e = Olt::builder("olt-1", "127.0.0.1")
            .community("c")
            .max_in_flight(0)
            .build()
            .unwrap_err();
        assert!(matches!(e, Error::Config(_)), "{e}");
    }

    #[test]
    fn debug_shows_no_community() {
        let olt = Olt::builder("olt-1", "127.0.0.1")
            .community("very-secret-c")
            .build()
            .unwrap();
        let dbg = format!("{olt:?}");
        assert!(
            dbg.contains("olt-1") && !dbg.contains("very-secret-c"),
            "{dbg}"
        );
    }
}
