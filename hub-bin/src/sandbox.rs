//! `hub serve --sandbox`: the whole hub on a laptop, with every upstream replaced by an
//! in-process simulator seeded with a small, realistic ISP (ERPNext: frappe-client's testkit).
//!
//! The sandbox trusts staff headers only with the proxy secret, exactly as production does: it
//! generates one (and a service token and a webhook secret) and prints ready-to-paste `curl`
//! commands.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::time::Duration;

use frappe_client::testkit::FakeFrappe;
use secrecy::SecretString;

use crate::auth::{Capability, ServiceToken};
use crate::config::{DatabaseUrl, FrappeSettings, Settings};

/// The simulators and the generated secrets of a sandbox.
#[derive(Debug)]
pub struct Sandbox {
    /// The fake ERPNext.
    pub frappe: FakeFrappe,
    /// The fake GenieACS NBI, with one device per ONT router of the fake ERPNext (the real
    /// XX230v TR-181 tree, or the Huawei TR-098 tree for the Huawei unit).
    pub genieacs: genieacs_client::testkit::FakeNbi,
    /// The proxy secret staff requests must carry.
    pub proxy_secret: String,
    /// A service token with every capability.
    pub service_token: String,
    /// The secret of the sandbox's ERPNext webhook.
    pub webhook_secret: String,
}

/// `bytes` random bytes as hex (secrets for the sandbox, unique keys elsewhere).
pub(crate) fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    if getrandom::fill(&mut buf).is_err() {
        // No OS randomness: still unique per process, never a fixed secret.
        let seed = std::process::id() as u64 ^ crate::store::now_ms() as u64;
        for (i, b) in buf.iter_mut().enumerate() {
            *b = (seed.rotate_left(i as u32 % 64) >> (i % 8)) as u8;
        }
    }
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// The staff group the sandbox's dispatchers are in.
pub const DISPATCH_GROUP: &str = "Gigafibre Dispatch";
/// The staff group with every capability.
pub const ADMIN_GROUP: &str = "Hub Admins";

/// A fake GenieACS NBI holding one device per ONT router of the fake ERPNext, under that
/// equipment's serial, informed two minutes ago: a Huawei's is the Huawei BM632w TR-098 tree,
/// every other brand's the real TP-Link XX230v TR-181 tree. Each device's id is the one GenieACS
/// builds from the dump's OUI and product class, which the seed's `acs_device_id` names.
pub async fn fake_nbi_for(
    frappe: &FakeFrappe,
) -> std::io::Result<genieacs_client::testkit::FakeNbi> {
    use genieacs_client::testkit::{FakeNbi, datamodel};
    let nbi = FakeNbi::start().await?;
    let recent = chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now())
        - chrono::TimeDelta::minutes(2);
    let when = recent.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    for equipment in frappe.all("Service Equipment") {
        if equipment["equipment_type"] == "ONT Router"
            && let Some(serial) = equipment["serial_number"].as_str()
        {
            let tree = match equipment["brand"].as_str() {
                Some("Huawei") => datamodel::HUAWEI_TR098,
                _ => datamodel::XX230V_TR181,
            };
            nbi.add_device(datamodel::device_from_csv(tree, serial, &when));
        }
    }
    Ok(nbi)
}

/// Starts the simulators and points `settings` at them (an in-memory store, generated secrets).
pub async fn prepare(mut settings: Settings) -> anyhow::Result<(Settings, Sandbox)> {
    let frappe = FakeFrappe::start().await?;
    let genieacs = fake_nbi_for(&frappe).await?;
    let sandbox = Sandbox {
        genieacs,
        proxy_secret: random_hex(16),
        service_token: random_hex(24),
        webhook_secret: random_hex(16),
        frappe,
    };
    settings.database = DatabaseUrl::SqliteMemory;
    settings.auth.proxy_secret = Some(SecretString::from(sandbox.proxy_secret.clone()));
    settings.auth.groups = BTreeMap::from([
        (
            DISPATCH_GROUP.to_owned(),
            vec![
                Capability::Dispatch,
                Capability::TicketsRead,
                Capability::CustomersRead,
                Capability::Alerts,
            ],
        ),
        (ADMIN_GROUP.to_owned(), Capability::ALL.to_vec()),
    ]);
    settings.auth.service_tokens = vec![ServiceToken::from_secret(
        "sandbox-n8n",
        &sandbox.service_token,
        Capability::ALL.to_vec(),
    )];
    settings.frappe = Some(FrappeSettings {
        url: sandbox.frappe.url().to_string(),
        api_key: sandbox.frappe.api_key().to_owned(),
        api_secret: SecretString::from(sandbox.frappe.api_secret().to_owned()),
        timeout: Duration::from_secs(10),
    });
    settings.frappe_webhooks.secrets = BTreeMap::from([(
        "sandbox".to_owned(),
        SecretString::from(sandbox.webhook_secret.clone()),
    )]);
    settings.frappe_webhooks.poll_interval = Duration::from_secs(10);
    settings.genieacs = Some(crate::config::GenieacsSettings {
        url: sandbox.genieacs.url().to_string(),
        auth: crate::config::GenieacsAuth::None,
        timeout: Duration::from_secs(5),
    });
    Ok((settings, sandbox))
}

/// The banner printed at start: what runs, and `curl` commands to try it.
pub fn instructions(addr: SocketAddr, sandbox: &Sandbox, header: &str) -> String {
    let host = if addr.ip().is_unspecified() {
        format!("127.0.0.1:{}", addr.port())
    } else {
        addr.to_string()
    };
    let staff = format!(
        "-H '{header}: {}' -H 'X-Authentik-Username: marie' -H 'X-Authentik-Email: marie@gigafibre.ca' -H 'X-Authentik-Groups: {DISPATCH_GROUP}'",
        sandbox.proxy_secret
    );
    let body = format!(
        r#"{{"doctype":"Issue","name":"ISS-2026-00001","modified":"{}","customer":"Marie-Claude Tremblay","status":"Replied","event":"on_update"}}"#,
        chrono_now()
    );
    let signature = frappe_client::webhook::sign_webhook(&sandbox.webhook_secret, body.as_bytes());
    let mut out = String::new();
    let _ = writeln!(out, "hub sandbox listening on http://{host}");
    let _ = writeln!(out, "  ERPNext (fake, seeded): {}", sandbox.frappe.url());
    let _ = writeln!(
        out,
        "  GenieACS NBI (fake, the ERPNext ONT routers): {}",
        sandbox.genieacs.url()
    );
    let _ = writeln!(out, "  store: SQLite in memory");
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "# who am I, as a dispatcher (staff headers count only with the proxy secret):"
    );
    let _ = writeln!(out, "curl -s http://{host}/whoami {staff}");
    let _ = writeln!(out, "# watch the live events (leave it running):");
    let _ = writeln!(
        out,
        "curl -N 'http://{host}/events?topic=/dispatch&topic=/tickets/*&topic=/customers/*' {staff}"
    );
    let _ = writeln!(
        out,
        "# post a signed ERPNext webhook and see it arrive above:"
    );
    let _ = writeln!(
        out,
        "curl -s -X POST 'http://{host}/webhooks/frappe' -H 'X-Frappe-Webhook-Signature: {signature}' --data-raw '{body}'"
    );
    let _ = writeln!(
        out,
        "# diagnose a modem (ERPNext equipment + GenieACS) by serial, MAC or equipment name:"
    );
    let _ = writeln!(
        out,
        "curl -s 'http://{host}/devices/lookup?serial=22C5A1000101' -H 'Authorization: Bearer {}'",
        sandbox.service_token
    );
    let huawei = sandbox
        .frappe
        .all("Service Equipment")
        .into_iter()
        .find(|e| e["equipment_type"] == "ONT Router" && e["brand"] == "Huawei")
        .and_then(|e| e["serial_number"].as_str().map(str::to_owned));
    if let Some(serial) = huawei {
        let _ = writeln!(
            out,
            "# the same for the Huawei unit (a TR-098 tree in GenieACS):"
        );
        let _ = writeln!(
            out,
            "curl -s 'http://{host}/devices/lookup?serial={serial}' -H 'Authorization: Bearer {}'",
            sandbox.service_token
        );
    }
    let _ = writeln!(out, "# as a script, with the service token:");
    let _ = writeln!(
        out,
        "curl -s http://{host}/admin/dead-letters/inbox -H 'Authorization: Bearer {}'",
        sandbox.service_token
    );
    let _ = writeln!(out, "# readiness:");
    let _ = writeln!(out, "curl -s http://{host}/readyz");
    out
}

/// Now as Frappe writes `modified` (UTC here).
fn chrono_now() -> String {
    chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now())
        .format("%Y-%m-%d %H:%M:%S%.6f")
        .to_string()
}
