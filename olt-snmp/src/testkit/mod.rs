//! An in-process fake SNMP agent (feature `testkit`) serving `.snmprec` recordings over UDP on
//! `127.0.0.1:0`, for tests, examples and the hub's sandbox.
//!
//! It speaks SNMPv2c (and v1 requests) the way real agents do: the community selects the
//! recording (as with snmpsim, where the community is the file name), a wrong community gets
//! no answer at all, GET answers `noSuchInstance` for missing objects, GETNEXT and GETBULK walk
//! in OID order and end with `endOfMibView`. A GETBULK answer is capped at
//! [`max_varbinds`](FakeAgentBuilder::max_varbinds) and truncated to fit
//! [`max_response_bytes`](FakeAgentBuilder::max_response_bytes) (or answered `tooBig`, as some
//! agents do, with [`TooBigMode::Error`]); a GET or GETNEXT answer that does not fit is `tooBig`.
//! SNMPv3 requests are ignored: test v3 against a real agent.
//!
//! Faults are queued and consumed one per request: drop it, answer late, answer twice.
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! use olt_snmp::snmprec::Recording;
//! use olt_snmp::testkit::{FakeAgent, Fault};
//!
//! let text = std::fs::read_to_string("huawei-ma5800.snmprec")?;
//! let recording = Recording::parse(&text).map_err(std::io::Error::other)?;
//! let agent = FakeAgent::builder().recording("huawei-ma5800", recording).start().await?;
//! agent.push_fault(Fault::Drop, 1); // the next request goes unanswered
//! println!("agent on {}", agent.addr());
//! # Ok(()) }
//! ```

mod ber;

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::task::JoinHandle;

use crate::oid::{Oid, Value};
use crate::snmprec::Recording;

/// What the agent does with a GETBULK answer that does not fit in one datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TooBigMode {
    /// Drop varbinds from the end until it fits (net-snmp's behaviour).
    #[default]
    Truncate,
    /// Answer `tooBig` with no varbinds.
    Error,
}

/// A fault applied to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// No answer.
    Drop,
    /// Answer after this delay (past the client's timeout: a late reply).
    Delay(Duration),
    /// Answer twice (the second copy is a stale reply for whoever reads the socket next).
    Duplicate,
    /// Answer `tooBig`.
    TooBig,
}

/// Counters of what the agent received and did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AgentStats {
    /// Datagrams received.
    pub requests: u64,
    /// GET requests.
    pub get: u64,
    /// GETNEXT requests.
    pub getnext: u64,
    /// GETBULK requests.
    pub getbulk: u64,
    /// Requests ignored for an unknown community.
    pub wrong_community: u64,
    /// Requests dropped by a fault.
    pub dropped: u64,
    /// Datagrams that did not decode (or were SNMPv3).
    pub undecodable: u64,
    /// Most requests being answered at the same time (received, answer not yet sent).
    pub peak_in_flight: u64,
}

#[derive(Debug, Default)]
struct Counters {
    requests: AtomicU64,
    get: AtomicU64,
    getnext: AtomicU64,
    getbulk: AtomicU64,
    wrong_community: AtomicU64,
    dropped: AtomicU64,
    undecodable: AtomicU64,
    in_flight: AtomicU64,
    peak_in_flight: AtomicU64,
}

#[derive(Debug)]
struct State {
    recordings: RwLock<HashMap<Vec<u8>, Recording>>,
    faults: Mutex<VecDeque<Fault>>,
    latency: Mutex<Duration>,
    max_response_bytes: usize,
    max_varbinds: usize,
    too_big: TooBigMode,
    counters: Counters,
    bulk_log: Mutex<Vec<u32>>,
}

/// Builds a [`FakeAgent`].
#[derive(Debug)]
pub struct FakeAgentBuilder {
    recordings: HashMap<Vec<u8>, Recording>,
    latency: Duration,
    max_response_bytes: usize,
    max_varbinds: usize,
    too_big: TooBigMode,
}

impl FakeAgentBuilder {
    /// Serves `recording` to requests with this community.
    pub fn recording(mut self, community: impl Into<String>, recording: Recording) -> Self {
        self.recordings
            .insert(community.into().into_bytes(), recording);
        self
    }

    /// Delay added to every answer (the latency of a remote OLT). Default none.
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// Largest answer in bytes (default 65 507, the UDP limit; 1 472 models an agent that keeps
    /// to one Ethernet frame).
    pub fn max_response_bytes(mut self, n: usize) -> Self {
        self.max_response_bytes = n;
        self
    }

    /// Most varbinds in one answer (default 64, as snmpsim).
    pub fn max_varbinds(mut self, n: usize) -> Self {
        self.max_varbinds = n.max(1);
        self
    }

    /// What to do with an oversized GETBULK answer (default: truncate).
    pub fn too_big(mut self, mode: TooBigMode) -> Self {
        self.too_big = mode;
        self
    }

    /// Binds `127.0.0.1:0` and starts answering.
    pub async fn start(self) -> std::io::Result<FakeAgent> {
        let socket = Arc::new(UdpSocket::bind("127.0.0.1:0").await?);
        let addr = socket.local_addr()?;
        let state = Arc::new(State {
            recordings: RwLock::new(self.recordings),
            faults: Mutex::new(VecDeque::new()),
            latency: Mutex::new(self.latency),
            max_response_bytes: self.max_response_bytes,
            max_varbinds: self.max_varbinds,
            too_big: self.too_big,
            counters: Counters::default(),
            bulk_log: Mutex::new(Vec::new()),
        });
        let task = tokio::spawn(serve(Arc::clone(&socket), Arc::clone(&state)));
        Ok(FakeAgent {
            addr,
            state,
            task,
            _socket: socket,
        })
    }
}

/// A running fake agent; it stops when dropped.
#[derive(Debug)]
pub struct FakeAgent {
    addr: SocketAddr,
    state: Arc<State>,
    task: JoinHandle<()>,
    _socket: Arc<UdpSocket>,
}

impl Drop for FakeAgent {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeAgent {
    /// Starts building an agent.
    pub fn builder() -> FakeAgentBuilder {
        FakeAgentBuilder {
            recordings: HashMap::new(),
            latency: Duration::ZERO,
            max_response_bytes: 65_507,
            max_varbinds: 64,
            too_big: TooBigMode::default(),
        }
    }

    /// The address it listens on (`127.0.0.1:<port>`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Queues `fault` for the next `times` requests (after those already queued).
    pub fn push_fault(&self, fault: Fault, times: usize) {
        if let Ok(mut q) = self.state.faults.lock() {
            q.extend(std::iter::repeat_n(fault, times));
        }
    }

    /// Faults still queued.
    pub fn pending_faults(&self) -> usize {
        self.state.faults.lock().map_or(0, |q| q.len())
    }

    /// Changes the delay added to every answer.
    pub fn set_latency(&self, latency: Duration) {
        if let Ok(mut l) = self.state.latency.lock() {
            *l = latency;
        }
    }

    /// Sets one object of the recording served to `community` (to move an ONU, change a level).
    pub fn set(&self, community: &str, oid: Oid, value: Value) {
        if let Ok(mut r) = self.state.recordings.write()
            && let Some(rec) = r.get_mut(community.as_bytes())
        {
            rec.set(oid, value);
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> AgentStats {
        let c = &self.state.counters;
        let l = |a: &AtomicU64| a.load(Ordering::Relaxed);
        AgentStats {
            requests: l(&c.requests),
            get: l(&c.get),
            getnext: l(&c.getnext),
            getbulk: l(&c.getbulk),
            wrong_community: l(&c.wrong_community),
            dropped: l(&c.dropped),
            undecodable: l(&c.undecodable),
            peak_in_flight: l(&c.peak_in_flight),
        }
    }

    /// The max-repetitions of every GETBULK received, in order.
    pub fn bulk_repetitions(&self) -> Vec<u32> {
        self.state
            .bulk_log
            .lock()
            .map(|l| l.clone())
            .unwrap_or_default()
    }

    /// Stops answering (the port stays bound until the agent is dropped, so clients see
    /// silence, as from an OLT that went down).
    pub fn stop(&self) {
        self.task.abort();
    }
}

async fn serve(socket: Arc<UdpSocket>, state: Arc<State>) {
    let mut buf = vec![0u8; 65_535];
    loop {
        let Ok((n, peer)) = socket.recv_from(&mut buf).await else {
            continue;
        };
        state.counters.requests.fetch_add(1, Ordering::Relaxed);
        let Some(packet) = buf.get(..n) else { continue };
        let answer = answer(&state, packet);
        let Some(reply) = answer else { continue };
        let c = &state.counters;
        let now = c.in_flight.fetch_add(1, Ordering::Relaxed) + 1;
        c.peak_in_flight.fetch_max(now, Ordering::Relaxed);
        let fault = state.faults.lock().ok().and_then(|mut q| q.pop_front());
        let latency = state.latency.lock().map_or(Duration::ZERO, |l| *l);
        let (delay, copies, reply) = match fault {
            Some(Fault::Drop) => {
                state.counters.dropped.fetch_add(1, Ordering::Relaxed);
                state.counters.in_flight.fetch_sub(1, Ordering::Relaxed);
                continue;
            }
            Some(Fault::Delay(d)) => (latency + d, 1, reply.bytes),
            Some(Fault::Duplicate) => (latency, 2, reply.bytes),
            Some(Fault::TooBig) => (latency, 1, reply.too_big),
            None => (latency, 1, reply.bytes),
        };
        let socket = Arc::clone(&socket);
        let st = Arc::clone(&state);
        let send = async move {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            for _ in 0..copies {
                let _ = socket.send_to(&reply, peer).await;
            }
            st.counters.in_flight.fetch_sub(1, Ordering::Relaxed);
        };
        if delay.is_zero() {
            send.await;
        } else {
            tokio::spawn(send);
        }
    }
}

struct Reply {
    bytes: Vec<u8>,
    too_big: Vec<u8>,
}

fn answer(state: &State, packet: &[u8]) -> Option<Reply> {
    let Ok(pdu) = snmp2::Pdu::from_bytes(packet) else {
        state.counters.undecodable.fetch_add(1, Ordering::Relaxed);
        return None;
    };
    let version = match pdu.version() {
        Ok(snmp2::Version::V1) => 0,
        Ok(snmp2::Version::V2C) => 1,
        _ => {
            state.counters.undecodable.fetch_add(1, Ordering::Relaxed);
            return None;
        }
    };
    let recordings = state.recordings.read().ok()?;
    let Some(rec) = recordings.get(pdu.community) else {
        state
            .counters
            .wrong_community
            .fetch_add(1, Ordering::Relaxed);
        return None;
    };
    let mut oids = Vec::new();
    for (o, _) in pdu.varbinds.clone() {
        let arcs = o
            .iter()?
            .map(|a| u32::try_from(a).ok())
            .collect::<Option<Vec<u32>>>()?;
        oids.push(Oid::new(arcs));
    }
    let c = &state.counters;
    let next = |o: &Oid| -> (Oid, Value) {
        match rec.next_after(o) {
            Some((k, v)) => (k.clone(), v.clone()),
            None => (o.clone(), Value::EndOfMibView),
        }
    };
    let (varbinds, bulk) = match pdu.message_type {
        snmp2::MessageType::GetRequest => {
            c.get.fetch_add(1, Ordering::Relaxed);
            let vbs = oids
                .iter()
                .map(|o| {
                    (
                        o.clone(),
                        rec.get(o).cloned().unwrap_or(Value::NoSuchInstance),
                    )
                })
                .collect();
            (vbs, false)
        }
        snmp2::MessageType::GetNextRequest => {
            c.getnext.fetch_add(1, Ordering::Relaxed);
            (oids.iter().map(next).collect(), false)
        }
        snmp2::MessageType::GetBulkRequest => {
            c.getbulk.fetch_add(1, Ordering::Relaxed);
            // In a GETBULK PDU the error-status and error-index fields carry non-repeaters and
            // max-repetitions.
            let non_rep = (pdu.error_status as usize).min(oids.len());
            let max_rep = pdu.error_index as usize;
            if let Ok(mut log) = state.bulk_log.lock() {
                log.push(pdu.error_index);
            }
            let mut vbs: Vec<(Oid, Value)> = oids[..non_rep].iter().map(next).collect();
            let mut cur: Vec<Oid> = oids[non_rep..].to_vec();
            'rows: for _ in 0..max_rep {
                let mut all_end = true;
                for o in &mut cur {
                    if vbs.len() >= state.max_varbinds {
                        break 'rows;
                    }
                    let (k, v) = next(o);
                    all_end &= matches!(v, Value::EndOfMibView);
                    *o = k.clone();
                    vbs.push((k, v));
                }
                if all_end || cur.is_empty() {
                    break;
                }
            }
            (vbs, true)
        }
        _ => return None,
    };
    let too_big = ber::response(version, pdu.community, pdu.req_id, 1, 0, &[]);
    let mut bytes = ber::response(version, pdu.community, pdu.req_id, 0, 0, &varbinds);
    if bytes.len() > state.max_response_bytes {
        if bulk && state.too_big == TooBigMode::Truncate {
            let fixed = too_big.len() + 4;
            let mut size = fixed;
            let fit = varbinds
                .iter()
                .take_while(|(o, v)| {
                    size += ber::varbind_len(o, v);
                    size <= state.max_response_bytes
                })
                .count()
                .max(1);
            bytes = ber::response(version, pdu.community, pdu.req_id, 0, 0, &varbinds[..fit]);
        } else {
            bytes = too_big.clone();
        }
    }
    Some(Reply { bytes, too_big })
}
