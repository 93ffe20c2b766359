//! The client against a real SNMP agent: snmpsim (Python) serving the contract recordings.
//!
//! The test starts snmpsim itself on 127.0.0.1 with a free port, through
//! `tests/snmpsim/run_snmpsim.py` (the responder without its privilege drop). It is skipped,
//! saying so, only when Python cannot import `snmpsim` (`pip install snmpsim pysmi`). Set
//! `OLT_SNMP_PYTHON` to use another interpreter than `python3`.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::DateTime;
use futures::TryStreamExt;
use olt_snmp::{
    AuthProtocol, Error, Field, GlobalLimit, Olt, OltBuilder, OnuStatus, PrivProtocol, Profile,
    Serial, V3Credentials,
};

fn python() -> String {
    std::env::var("OLT_SNMP_PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

fn snmpsim_importable() -> bool {
    Command::new(python())
        .args(["-c", "import snmpsim, pysmi"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A running snmpsim, killed and cleaned up on drop.
struct Snmpsim {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Drop for Snmpsim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_udp_port() -> u16 {
    let s = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    s.local_addr().unwrap().port()
}

impl Snmpsim {
    /// Serves the recordings in `files` (paths), each under its file name as community.
    fn start(files: &[PathBuf]) -> Snmpsim {
        let dir = std::env::temp_dir().join(format!(
            "olt-snmp-snmpsim-{}-{}",
            std::process::id(),
            free_udp_port()
        ));
        let data = dir.join("data");
        std::fs::create_dir_all(&data).unwrap();
        std::fs::create_dir_all(dir.join("cache")).unwrap();
        for f in files {
            std::fs::copy(f, data.join(f.file_name().unwrap())).unwrap();
        }
        let launcher = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snmpsim/run_snmpsim.py");
        for _ in 0..3 {
            let port = free_udp_port();
            let log = dir.join(format!("snmpsim-{port}.log"));
            let out = std::fs::File::create(&log).unwrap();
            let err = out.try_clone().unwrap();
            let child = Command::new(python())
                .arg(&launcher)
                .arg(format!("--data-dir={}", data.display()))
                .arg(format!("--cache-dir={}", dir.join("cache").display()))
                .arg(format!("--agent-udpv4-endpoint=127.0.0.1:{port}"))
                .stdin(Stdio::null())
                .stdout(out)
                .stderr(err)
                .spawn()
                .unwrap();
            let mut sim = Snmpsim {
                child,
                port,
                dir: dir.clone(),
            };
            let started = Instant::now();
            while started.elapsed() < Duration::from_secs(60) {
                if std::fs::read_to_string(&log)
                    .unwrap_or_default()
                    .contains("Listening at")
                {
                    return sim;
                }
                if let Ok(Some(_)) = sim.child.try_wait() {
                    break; // the port was taken in between: try another
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = sim.child.kill();
            let _ = sim.child.wait();
            std::mem::forget(sim); // keep the directory for the next try
        }
        panic!("snmpsim did not start; logs in {}", dir.display());
    }

    /// Waits until the agent answers a GET (it logs "Listening" a little before it does).
    async fn ready(&self, community: &str) {
        let probe = Olt::builder("probe", format!("127.0.0.1:{}", self.port))
            .community(community.to_owned())
            .timeout(Duration::from_millis(500))
            .retries(0)
            .build()
            .unwrap();
        let started = Instant::now();
        loop {
            match probe.system().await {
                Ok(_) => return,
                Err(e) if started.elapsed() > Duration::from_secs(30) => {
                    panic!("snmpsim never answered: {e}")
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        }
    }

    fn olt(&self, community: &str) -> OltBuilder {
        Olt::builder(community, format!("127.0.0.1:{}", self.port))
            .community(community.to_owned())
            .timeout(Duration::from_secs(2))
            .retries(1)
            .global_limit(GlobalLimit::new(8))
    }
}

/// A directory removed on drop, also when an assertion fails.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn resource(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/resources")
        .join(file)
}

fn without_time(mut v: Vec<olt_snmp::OpticalStatus>) -> Vec<olt_snmp::OpticalStatus> {
    for s in &mut v {
        s.polled_at = DateTime::UNIX_EPOCH;
    }
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn against_snmpsim() {
    if !snmpsim_importable() {
        eprintln!(
            "SKIPPED against_snmpsim: `{} -c 'import snmpsim, pysmi'` failed; run `pip install snmpsim pysmi`",
            python()
        );
        return;
    }
    // The 2,048-ONU recording, generated from the contract's generator.
    let dir = TempDir(std::env::temp_dir().join(format!("olt-snmp-big-{}", std::process::id())));
    std::fs::create_dir_all(&dir.0).unwrap();
    let big = dir.0.join("huawei-big.snmprec");
    let generated = Command::new(python())
        .arg(resource("gen_snmprec.py"))
        .args(["--vendor", "huawei", "--preset", "big", "-o"])
        .arg(&big)
        .status()
        .unwrap();
    assert!(generated.success(), "gen_snmprec.py failed");

    let sim = Snmpsim::start(&[
        resource("huawei-ma5800.snmprec"),
        resource("zte-c300.snmprec"),
        big.clone(),
    ]);
    sim.ready("huawei-ma5800").await;

    // v2c, both vendors: detection and the whole-OLT stream agree with the recordings.
    for (community, file) in [
        ("huawei-ma5800", "huawei-ma5800.snmprec"),
        ("zte-c300", "zte-c300.snmprec"),
    ] {
        let olt = sim.olt(community).build().unwrap();
        assert_eq!(olt.profile().await.unwrap().name, community);
        let polled: Vec<_> = olt.poll_all().try_collect().await.unwrap();
        let want = Profile::builtin(community).unwrap().decode_all(
            community,
            common::recording(file).iter(),
            DateTime::UNIX_EPOCH,
        );
        assert_eq!(without_time(polled), want, "{community} through snmpsim");
    }

    // One ONU, online and offline.
    let hw = sim.olt("huawei-ma5800").build().unwrap();
    let s = hw
        .onu_status(&Serial::parse("HWTCC55642CF").unwrap())
        .await
        .unwrap();
    assert_eq!(
        (s.status, s.onu_rx_dbm, s.distance_m),
        (OnuStatus::Online, Some(-22.49), Some(1786.0))
    );
    let s = hw
        .onu_status(&Serial::parse("TPLGB335F985").unwrap())
        .await
        .unwrap();
    assert_eq!((s.status, s.onu_rx_dbm), (OnuStatus::Los, None));
    let zte = sim.olt("zte-c300").build().unwrap();
    let down: Vec<_> = zte
        .poll_all()
        .try_filter(|s| futures::future::ready(!s.status.is_online()))
        .map_ok(|s| format!("{}:{}", s.pon_port, s.onu_id))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        down,
        ["1/1/1:3", "1/1/2:6", "1/1/3:5", "1/1/3:7", "1/1/3:9"]
    );

    // A wrong community gets silence.
    let wrong = Olt::builder("olt-wrong", format!("127.0.0.1:{}", sim.port))
        .community("nope")
        .timeout(Duration::from_millis(300))
        .retries(1)
        .build()
        .unwrap();
    let err = wrong.system().await.unwrap_err();
    assert!(matches!(err, Error::NoAnswer { .. }), "{err}");

    // SNMPv3 authPriv (snmpsim's default user; the context name is the recording's name).
    let v3 = V3Credentials::auth_priv(
        "simulator",
        AuthProtocol::Md5,
        "auctoritas",
        PrivProtocol::Des,
        "privatus",
    )
    .context("huawei-ma5800");
    let olt = Olt::builder("olt-v3", format!("127.0.0.1:{}", sim.port))
        .v3(v3)
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let s = olt
        .onu_status(&Serial::parse("HWTCD36A6635").unwrap())
        .await
        .unwrap();
    assert_eq!((s.onu_id, s.status), (1, OnuStatus::Online));
    let polled: Vec<_> = olt.poll_fields(&Field::LEVELS).try_collect().await.unwrap();
    assert_eq!(polled.len(), 42);

    // SNMPv3 with a wrong passphrase is refused as such.
    let bad = V3Credentials::auth_priv(
        "simulator",
        AuthProtocol::Md5,
        "not-the-passphrase",
        PrivProtocol::Des,
        "privatus",
    )
    .context("huawei-ma5800");
    let olt = Olt::builder("olt-v3-bad", format!("127.0.0.1:{}", sim.port))
        .v3(bad)
        .timeout(Duration::from_millis(500))
        .retries(0)
        .build()
        .unwrap();
    let err = olt.system().await.unwrap_err();
    assert!(
        matches!(&err, Error::Auth { olt, .. } if olt == "olt-v3-bad"),
        "{err}"
    );
    assert!(!err.to_string().contains("not-the-passphrase"));
    let unknown_user = V3Credentials::auth_priv(
        "nobody",
        AuthProtocol::Md5,
        "auctoritas",
        PrivProtocol::Des,
        "privatus",
    );
    let olt = Olt::builder("olt-v3-user", format!("127.0.0.1:{}", sim.port))
        .v3(unknown_user)
        .timeout(Duration::from_millis(500))
        .retries(0)
        .build()
        .unwrap();
    let err = olt.system().await.unwrap_err();
    assert!(matches!(err, Error::Auth { .. }), "{err}");

    // The 2,048-ONU recording, five columns.
    let big_olt = sim
        .olt("huawei-big")
        .vendor("huawei-ma5800")
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let polled: Vec<_> = big_olt
        .poll_fields(&Field::LEVELS)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(polled.len(), 2048);
    assert_eq!(
        (big_olt.stats().timeouts, big_olt.stats().bulk_shrinks),
        (0, 0)
    );

    // snmpsim answers at most 64 varbinds: asking for 100 repetitions gets truncated answers,
    // and the walker halves its repetitions; the readings are the same.
    let greedy = sim
        .olt("huawei-big")
        .vendor("huawei-ma5800")
        .max_repetitions(100)
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let again: Vec<_> = greedy
        .poll_fields(&Field::LEVELS)
        .try_collect()
        .await
        .unwrap();
    assert!(greedy.stats().bulk_shrinks > 0, "{:?}", greedy.stats());
    assert_eq!(without_time(again), without_time(polled));

    // The agent goes away: a timeout, naming the OLT.
    let hw = sim
        .olt("huawei-ma5800")
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    hw.system().await.unwrap();
    drop(sim);
    let err = hw.system().await.unwrap_err();
    assert!(
        matches!(&err, Error::Timeout { olt, .. } | Error::Unreachable { olt, .. } if olt == "huawei-ma5800"),
        "{err}"
    );
}
