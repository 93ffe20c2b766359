//! Shared set-up: the contract recordings and handles on the in-process fake agent.
#![allow(dead_code, unreachable_pub)]

use std::time::Duration;

use olt_snmp::snmprec::Recording;
use olt_snmp::testkit::{FakeAgent, FakeAgentBuilder};
use olt_snmp::{Olt, OltBuilder};

pub fn recording(file: &str) -> Recording {
    let path = format!("{}/tests/resources/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    Recording::parse(&text).unwrap()
}

/// An agent serving both recordings, communities `huawei-ma5800` and `zte-c300`.
pub fn agent() -> FakeAgentBuilder {
    FakeAgent::builder()
        .recording("huawei-ma5800", recording("huawei-ma5800.snmprec"))
        .recording("zte-c300", recording("zte-c300.snmprec"))
}

/// A handle on `agent` with short timeouts, a private global limit and the given community.
pub fn olt(agent: &FakeAgent, community: &str) -> OltBuilder {
    Olt::builder(community, agent.addr().to_string())
        .community(community.to_owned())
        .timeout(Duration::from_millis(300))
        .retries(2)
        .global_limit(olt_snmp::GlobalLimit::new(16))
}
