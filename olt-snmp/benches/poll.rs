//! Whole-OLT poll benchmark against the in-process fake agent.
//!
//! `cargo bench -p olt-snmp --features testkit --bench poll` polls a generated 2,048-ONU Huawei
//! recording (16 PON ports × 128 ONUs) for serial, status, ONU rx, ONU tx and OLT rx, and
//! prints wall time, request PDUs and ONUs per second for:
//!
//! - the crate's poll: the five columns walked side by side with adaptive GETBULK (start 25,
//!   grown to 50 while answers are whole);
//! - GETBULK walks of the columns one after another at a fixed max-repetitions of 25 and 50
//!   (what `snmpbulkwalk -Cr25` / `-Cr50` do column by column);
//! - a naive GETNEXT walk (one object per request), the baseline;
//!
//! once with no added latency and once with 10 ms added to every reply (a remote OLT), then
//! the latency of one-ONU lookups with a warm serial cache, and 10,000 lookups under a
//! fault-injecting agent (dropped and late replies), counting wrong values.
//!
//! When Python can import `snmpsim` (set `OLT_SNMP_PYTHON` for another interpreter than
//! `python3`), the full run also polls the same recording served by snmpsim, a CPU-bound agent
//! like an OLT's, next to net-snmp's `snmpbulkwalk` walking the five columns one after another
//! (when it is installed: Debian package `snmp`), request PDUs counted for both.
//!
//! Under `cargo test` it makes one small smoke run instead.

use std::time::{Duration, Instant};

use futures::TryStreamExt;
use olt_snmp::snmprec::Recording;
use olt_snmp::testkit::{FakeAgent, Fault};
use olt_snmp::{Field, GlobalLimit, Oid, Olt, OpticalStatus, Profile, Serial};

const COMMUNITY: &str = "huawei-big";
const ROOT: &str = "1.3.6.1.4.1.2011.6.128.1.1.2";

struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

/// A Huawei-layout recording: frame 0, slot 1, `ports` GPON ports, `onus` ONTs each.
fn recording(ports: u32, onus: u32) -> Recording {
    Recording::parse(&recording_text(ports, onus)).expect("generated recording parses")
}

/// The same as `.snmprec` text.
fn recording_text(ports: u32, onus: u32) -> String {
    let mut text = String::new();
    text.push_str(
        "1.3.6.1.2.1.1.1.0|4|Huawei Integrated Access Software (generated, MA5800-X17)\n",
    );
    text.push_str("1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.2011.2.248\n");
    text.push_str("1.3.6.1.2.1.1.3.0|67|1\n1.3.6.1.2.1.1.5.0|4|OLT-BENCH\n");
    let mut rng = Lcg(2026);
    let idx: Vec<(u32, u32)> = (0..ports)
        .flat_map(|p| (0..onus).map(move |o| (4_194_304_000 + 8192 + 256 * p, o)))
        .collect();
    let online: Vec<bool> = idx.iter().map(|_| !rng.next().is_multiple_of(20)).collect();
    let mut col = |c: &str, f: &mut dyn FnMut(usize, &mut Lcg) -> String| {
        for (i, (ifx, o)) in idx.iter().enumerate() {
            let v = f(i, &mut rng);
            text.push_str(&format!("{ROOT}.{c}.{ifx}.{o}|{v}\n"));
        }
    };
    col("43.1.3", &mut |_, r| {
        format!("4x|48575443{:08x}", r.next() as u32)
    });
    col("43.1.9", &mut |i, _| format!("4|cust-{i:06}"));
    col("46.1.15", &mut |i, _| {
        format!("2|{}", if online[i] { 1 } else { 2 })
    });
    col("46.1.20", &mut |i, r| {
        format!(
            "2|{}",
            if online[i] {
                500 + r.next() % 19_000
            } else {
                0
            }
        )
        .replace("|0", "|-1")
    });
    col("46.1.24", &mut |_, r| {
        format!("2|{}", [1, 2, 13, 9][(r.next() % 4) as usize])
    });
    let dbm = |i: usize, r: &mut Lcg, base: i64| -> String {
        if online[i] {
            format!("2|{}", base - (r.next() % 900) as i64)
        } else {
            "2|2147483647".to_owned()
        }
    };
    col("51.1.3", &mut |i, r| dbm(i, r, 400));
    col("51.1.4", &mut |i, r| dbm(i, r, -1800));
    col("51.1.6", &mut |i, r| dbm(i, r, 8200));
    text
}

fn olt(agent: &FakeAgent, in_flight: usize) -> Olt {
    olt_with(agent, in_flight, 25, 64)
}

fn olt_with(agent: &FakeAgent, in_flight: usize, reps: u32, ceiling: u32) -> Olt {
    Olt::builder("bench", agent.addr().to_string())
        .max_repetitions(reps)
        .bulk_ceiling(ceiling)
        .community(COMMUNITY)
        .vendor("huawei-ma5800")
        .timeout(Duration::from_secs(2))
        .max_in_flight(in_flight)
        .global_limit(GlobalLimit::new(64))
        .build()
        .expect("olt")
}

struct Run {
    secs: f64,
    requests: u64,
    onus: usize,
}

impl Run {
    fn line(&self, label: &str, baseline: Option<&Run>) {
        let ratio = baseline.map_or(String::new(), |b| {
            format!("   {:.2}x the time of the poll", self.secs / b.secs)
        });
        println!(
            "  {label:<44} {:>8.3} s {:>6} requests {:>9.0} ONUs/s{ratio}",
            self.secs,
            self.requests,
            self.onus as f64 / self.secs
        );
    }
}

async fn poll(agent: &FakeAgent) -> (Run, Vec<OpticalStatus>) {
    let olt = olt(agent, 4);
    let before = agent.stats().requests;
    let t = Instant::now();
    let got: Vec<OpticalStatus> = olt
        .poll_fields(&Field::LEVELS)
        .try_collect()
        .await
        .expect("poll");
    let run = Run {
        secs: t.elapsed().as_secs_f64(),
        requests: agent.stats().requests - before,
        onus: got.len(),
    };
    (run, got)
}

fn columns() -> Vec<Oid> {
    let p = Profile::builtin("huawei-ma5800").expect("profile");
    p.columns(&Field::LEVELS)
        .into_iter()
        .map(|(_, o, _)| o.clone())
        .collect()
}

async fn sequential(agent: &FakeAgent, getnext: bool, reps: u32) -> Run {
    let olt = olt_with(agent, 1, reps, reps);
    let before = agent.stats().requests;
    let t = Instant::now();
    let mut onus = 0;
    for (i, col) in columns().iter().enumerate() {
        let rows = if getnext {
            olt.walk_getnext(col).await
        } else {
            olt.walk(col).await
        }
        .expect("walk");
        if i == 0 {
            onus = rows.len();
        }
    }
    Run {
        secs: t.elapsed().as_secs_f64(),
        requests: agent.stats().requests - before,
        onus,
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).copied().unwrap_or_default()
}

async fn lookups(agent: &FakeAgent, serials: &[Serial], n: usize) -> (Duration, Duration) {
    let olt = olt(agent, 4);
    olt.refresh_serials().await.expect("warm cache");
    let mut times = Vec::with_capacity(n);
    for i in 0..n {
        let t = Instant::now();
        olt.onu_status(&serials[i * 7 % serials.len()])
            .await
            .expect("lookup");
        times.push(t.elapsed());
    }
    times.sort();
    (percentile(&times, 0.5), percentile(&times, 0.99))
}

async fn faults(rec: &Recording, expected: &[OpticalStatus], n: usize) {
    let agent = FakeAgent::builder()
        .recording(COMMUNITY, rec.clone())
        .start()
        .await
        .expect("agent");
    let olt = Olt::builder("bench", agent.addr().to_string())
        .community(COMMUNITY)
        .vendor("huawei-ma5800")
        .timeout(Duration::from_millis(25))
        .retries(4)
        .global_limit(GlobalLimit::new(64))
        .build()
        .expect("olt");
    olt.refresh_serials().await.expect("warm cache");
    let (mut wrong, mut errors) = (0, 0);
    let t = Instant::now();
    for i in 0..n {
        if i % 10 == 0 {
            agent.push_fault(
                match (i / 10) % 3 {
                    0 => Fault::Drop,
                    1 => Fault::Delay(Duration::from_millis(40)),
                    _ => Fault::Duplicate,
                },
                1,
            );
        }
        let want = &expected[i * 13 % expected.len()];
        match olt.onu_status(&want.serial).await {
            Ok(got) => {
                let same = got.serial == want.serial
                    && got.pon_port == want.pon_port
                    && got.onu_id == want.onu_id
                    && got.status == want.status
                    && got.onu_rx_dbm == want.onu_rx_dbm
                    && got.onu_tx_dbm == want.onu_tx_dbm
                    && got.olt_rx_dbm == want.olt_rx_dbm;
                wrong += usize::from(!same);
            }
            Err(_) => errors += 1,
        }
    }
    let st = olt.stats();
    println!(
        "\n{n} one-ONU lookups, a fault on every 10th request (drop / reply 40 ms late past a 25 ms timeout / reply twice):"
    );
    println!(
        "  wrong values: {wrong}, errors: {errors}, timeouts: {}, sessions dropped: {}, replies to other requests discarded: {}, {:.1} s",
        st.timeouts,
        st.sessions_dropped,
        st.bad_replies,
        t.elapsed().as_secs_f64()
    );
    assert_eq!(wrong, 0, "a fault produced a wrong value");
}

async fn run(full: bool) {
    let (ports, onus) = if full { (16, 128) } else { (2, 16) };
    let rec = recording(ports, onus);
    let total = (ports * onus) as usize;
    let expected = Profile::builtin("huawei-ma5800")
        .expect("profile")
        .decode_all("bench", rec.iter(), chrono::DateTime::UNIX_EPOCH);
    assert_eq!(expected.len(), total);
    let serials: Vec<Serial> = expected.iter().map(|s| s.serial.clone()).collect();

    let agent = FakeAgent::builder()
        .recording(COMMUNITY, rec.clone())
        .start()
        .await
        .expect("agent");
    println!(
        "whole-OLT poll of {total} ONUs x 5 columns (serial, status, ONU rx, ONU tx, OLT rx), fake agent on loopback, no added latency:"
    );
    let (fast, got) = poll(&agent).await;
    assert_eq!(got.len(), total);
    fast.line("adaptive GETBULK, columns side by side", None);
    let seq = sequential(&agent, false, 25).await;
    seq.line("GETBULK -Cr25, one column after another", Some(&fast));
    let seq50 = sequential(&agent, false, 50).await;
    seq50.line("GETBULK -Cr50, one column after another", Some(&fast));
    let next = sequential(&agent, true, 1).await;
    next.line("GETNEXT, one object per request (baseline)", Some(&fast));
    assert_eq!((seq.onus, next.onus), (total, total));

    let latency = Duration::from_millis(10);
    agent.set_latency(latency);
    println!("\nthe same with 10 ms added to every reply (a remote OLT):");
    let (fast_l, got) = poll(&agent).await;
    assert_eq!(got.len(), total);
    fast_l.line("adaptive GETBULK, columns side by side", None);
    let seq_l = sequential(&agent, false, 25).await;
    seq_l.line("GETBULK -Cr25, one column after another", Some(&fast_l));
    let seq50_l = sequential(&agent, false, 50).await;
    seq50_l.line("GETBULK -Cr50, one column after another", Some(&fast_l));
    if full {
        bulkwalk(&agent.addr().to_string(), &fast_l);
    }
    println!(
        "  {:<44} {:>8.1} s (estimated: {} requests x 10 ms; not run)",
        "GETNEXT, one object per request (baseline)",
        next.requests as f64 * latency.as_secs_f64(),
        next.requests
    );

    let n = if full { 500 } else { 20 };
    agent.set_latency(Duration::ZERO);
    let (p50, p99) = lookups(&agent, &serials, n).await;
    println!("\none-ONU lookup (one GET), warm serial cache, {n} lookups:");
    println!(
        "  no added latency: p50 {:.2} ms, p99 {:.2} ms",
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3
    );
    agent.set_latency(latency);
    let (p50, p99) = lookups(&agent, &serials, n / 5).await;
    println!(
        "  10 ms added:      p50 {:.2} ms, p99 {:.2} ms",
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3
    );

    faults(&rec, &expected, if full { 10_000 } else { 100 }).await;
    if full {
        against_snmpsim(ports, onus).await;
    }
}

/// net-snmp's `snmpbulkwalk` over the five columns one after another at each of its usual
/// `-Cr` settings, against `address`, compared with `ours`. Prints a line when it is not
/// installed.
fn bulkwalk(address: &str, ours: &Run) {
    use std::process::{Command, Stdio};
    let have_walk = Command::new("snmpbulkwalk")
        .arg("-V")
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !have_walk {
        println!("  snmpbulkwalk: not installed (Debian package `snmp`), not compared");
        return;
    }
    for reps in [10, 25, 50, 64] {
        let t = Instant::now();
        let mut pdus = 0;
        let mut onus = 0;
        for (i, col) in columns().iter().enumerate() {
            let out = Command::new("snmpbulkwalk")
                .args([
                    "-v2c",
                    "-c",
                    COMMUNITY,
                    &format!("-Cr{reps}"),
                    "-On",
                    "-d",
                    address,
                    &col.to_string(),
                ])
                .output()
                .expect("snmpbulkwalk");
            let text = String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr);
            pdus += text.lines().filter(|l| l.starts_with("Sending ")).count() as u64;
            if i == 0 {
                onus = text.lines().filter(|l| l.starts_with('.')).count();
            }
        }
        let run = Run {
            secs: t.elapsed().as_secs_f64(),
            requests: pdus,
            onus,
        };
        run.line(
            &format!("snmpbulkwalk -Cr{reps}, one column after another"),
            Some(ours),
        );
    }
}

fn python() -> String {
    std::env::var("OLT_SNMP_PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

/// Polls the recording through snmpsim, then walks it with `snmpbulkwalk` when installed.
async fn against_snmpsim(ports: u32, onus: u32) {
    use std::process::{Command, Stdio};
    println!(
        "\nagainst snmpsim (Python, CPU-bound), the same {} ONUs x 5 columns:",
        ports * onus
    );
    let importable = Command::new(python())
        .args(["-c", "import snmpsim, pysmi"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !importable {
        println!("  skipped: python cannot import snmpsim (pip install snmpsim pysmi)");
        return;
    }
    let dir = std::env::temp_dir().join(format!("olt-snmp-bench-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("data")).expect("temp dir");
    std::fs::create_dir_all(dir.join("cache")).expect("temp dir");
    std::fs::write(
        dir.join("data").join(format!("{COMMUNITY}.snmprec")),
        recording_text(ports, onus),
    )
    .expect("write");
    let port = std::net::UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .expect("port")
        .port();
    let launcher =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snmpsim/run_snmpsim.py");
    let mut child = Command::new(python())
        .arg(launcher)
        .arg(format!("--data-dir={}", dir.join("data").display()))
        .arg(format!("--cache-dir={}", dir.join("cache").display()))
        .arg(format!("--agent-udpv4-endpoint=127.0.0.1:{port}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("snmpsim");
    let address = format!("127.0.0.1:{port}");
    let build = |in_flight: usize| {
        Olt::builder("bench-snmpsim", address.clone())
            .community(COMMUNITY)
            .vendor("huawei-ma5800")
            .timeout(Duration::from_secs(5))
            .max_in_flight(in_flight)
            .global_limit(GlobalLimit::new(64))
            .build()
            .expect("olt")
    };
    let started = Instant::now();
    while build(1).system().await.is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "snmpsim did not answer"
        );
    }
    let mut ours = None;
    for (label, in_flight) in [
        ("this crate, 4 in flight", 4),
        ("this crate, 1 in flight", 1),
    ] {
        let olt = build(in_flight);
        let t = Instant::now();
        let got: Vec<OpticalStatus> = olt
            .poll_fields(&Field::LEVELS)
            .try_collect()
            .await
            .expect("poll");
        let run = Run {
            secs: t.elapsed().as_secs_f64(),
            requests: olt.stats().requests,
            onus: got.len(),
        };
        run.line(label, None);
        ours.get_or_insert(run);
    }
    if let Some(ours) = ours.as_ref() {
        bulkwalk(&address, ours);
    }
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run(full));
    if !full {
        println!(
            "poll bench smoke run: ok (run `cargo bench -p olt-snmp --features testkit --bench poll` for figures)"
        );
    }
}
