//! What the Traccar examples share: the client (from `TRACCAR_*` variables, or a sandbox), the
//! mapping of client errors to messages, and the exit-code convention (0 found, 1 nothing,
//! 2 bad input or settings, or a server that could not be asked).
//!
//! No token or password is ever printed: they go straight into the client, which keeps them as
//! secrets, and its errors hold none.

use traccar_client::Client;
use traccar_client::testkit::FakeTraccar;

#[allow(dead_code, unused_imports)]
#[path = "exit.rs"]
mod exit;
#[allow(unused_imports)]
pub(crate) use exit::{BROKEN, Failure, NOTHING, args};

/// Maps a client error to 2 with its message and causes (`could not reach Traccar
/// (/api/devices): ... Connection refused`). The client's errors never hold a credential, and
/// carry no URL.
pub(crate) fn failure(e: &traccar_client::Error) -> Failure {
    (BROKEN, exit::with_causes(e))
}

/// The client: `TRACCAR_URL` with `TRACCAR_TOKEN` (bearer) or `TRACCAR_USER` +
/// `TRACCAR_PASSWORD` (session login), or an in-process fake Traccar with a few technicians'
/// vans driving around Montréal (kept alive by the returned handle).
pub(crate) async fn connect(sandbox: bool) -> Result<(Client, Option<FakeTraccar>), Failure> {
    if sandbox {
        let fake = FakeTraccar::start()
            .await
            .map_err(|e| (BROKEN, format!("could not start the sandbox: {e}")))?;
        for (name, unique_id, route, kmh) in SANDBOX {
            fake.add_device(name, unique_id, route.to_vec(), *kmh);
        }
        let client = Client::builder(fake.url().as_str())
            .bearer(fake.token())
            .build()
            .map_err(|e| failure(&e))?;
        return Ok((client, Some(fake)));
    }
    let set = |k: &str| std::env::var(k).is_ok_and(|v| !v.trim().is_empty());
    if !set("TRACCAR_URL") {
        return Err((
            BROKEN,
            "set TRACCAR_URL (the server, https://gps.example.com) and TRACCAR_TOKEN, or give --sandbox"
                .to_owned(),
        ));
    }
    if !set("TRACCAR_TOKEN") && !set("TRACCAR_USER") {
        return Err((
            BROKEN,
            "set TRACCAR_TOKEN (a bearer token), or TRACCAR_USER and TRACCAR_PASSWORD".to_owned(),
        ));
    }
    Ok((Client::from_env().map_err(|e| failure(&e))?, None))
}

/// A route: (latitude, longitude) points.
type Route = &'static [(f64, f64)];

/// The sandbox's devices: name, unique id (IMEI), route, speed in km/h. Ids are given in this
/// order, from 1.
const SANDBOX: &[(&str, &str, Route, f64)] = &[
    (
        "Van 1 - Plateau",
        "350000000000001",
        &[
            (45.5230, -73.5810),
            (45.5310, -73.5700),
            (45.5400, -73.5650),
        ],
        40.0,
    ),
    (
        "Van 2 - Verdun",
        "350000000000002",
        &[(45.4590, -73.5700), (45.4700, -73.5560)],
        55.0,
    ),
    (
        "Van 3 - Laval (parked)",
        "350000000000003",
        &[(45.5700, -73.7200)],
        0.0,
    ),
];
