//! `hub serve --sandbox`: the whole hub on a laptop, with every upstream replaced by an
//! in-process simulator seeded with a small, realistic ISP (ERPNext: frappe-client's testkit).
//!
//! The sandbox trusts staff headers only with the proxy secret, exactly as production does: it
//! generates one (and a service token and a webhook secret) and prints ready-to-paste `curl`
//! commands.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use frappe_client::testkit::FakeFrappe;
use genieacs_client::testkit::FakeNbi;
use secrecy::{ExposeSecret, SecretString};

pub mod mail;
pub mod olts;
pub mod vision;

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
    /// The emulated TP-Link routers, one per installed TP-Link ONT router.
    pub routers: SandboxRouters,
    /// The fake OLT agents, one per OLT the Service Locations name.
    pub olts: std::sync::Arc<olts::SandboxOlts>,
    /// The fake Traccar: one device per Technician, driving between their home and their jobs.
    pub traccar: traccar_client::testkit::FakeTraccar,
    /// The fake authentik (staff accounts), with the staff group [`STAFF_GROUP`].
    pub authentik: authentik_admin::testkit::FakeAuthentik,
    /// The SMTP sink the invite mails go to (`GET /sandbox/mail`).
    pub mail: std::sync::Arc<mail::MailSink>,
    /// The fake Gemini and its sample photos (`/vision/*`).
    pub vision: vision::SandboxVision,
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
/// The authentik group every invited staff member joins in the sandbox.
pub const STAFF_GROUP: &str = "Gigafibre Ops";
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
            let mut doc = datamodel::device_from_csv(tree, serial, &when);
            // The ONU serial the OLT knows it by, where the tree keeps one (TP-Link: 16 hex
            // digits), is the equipment's.
            if let (Some(gpon), Some(slot)) = (
                equipment["gpon_serial"].as_str(),
                doc.pointer_mut("/Device/Optical/Interface/1/GponAuth/GponSn/_value"),
            ) {
                let (vendor, rest) = gpon.split_at(4.min(gpon.len()));
                let hex: String = vendor.bytes().map(|b| format!("{b:02X}")).collect();
                *slot = serde_json::json!(format!("{hex}{rest}"));
            }
            nbi.add_device(doc);
        }
    }
    Ok(nbi)
}

/// The emulated TP-Link routers of a sandbox.
#[derive(Debug)]
pub struct SandboxRouters {
    /// The port every router's web interface listens on (the hub's `TPLINK_ROUTER_PORT`).
    pub port: u16,
    /// Each router: its Service Equipment, its (loopback) WAN address, the emulator.
    pub routers: Vec<(String, Ipv4Addr, tplink_bridge::emulator::Emulator)>,
}

/// Starts one emulated TP-Link router (tplink-bridge's emulator: the XX230v's protocol and
/// fixtures) per installed TP-Link ONT router of the fake ERPNext, its web account the
/// equipment's `admin_username` / `admin_password`. Router `k` listens on `127.0.1.k`, all on
/// one port (the hub reaches routers at their WAN address on one configured port), and its
/// device in the fake NBI gets that WAN address, so that `/devices/lookup` reads the router's
/// own view there.
pub async fn routers_for(frappe: &FakeFrappe, nbi: &FakeNbi) -> anyhow::Result<SandboxRouters> {
    use tplink_bridge::emulator::{Account, Emulator, EmulatorConfig, Role};
    let client = frappe_client::Client::builder(frappe.url().as_str())
        .token(frappe.api_key(), frappe.api_secret())
        .build()?;
    let mut wanted = Vec::new();
    for e in frappe.all("Service Equipment") {
        let (Some(name), Some(id)) = (e["name"].as_str(), e["acs_device_id"].as_str()) else {
            continue;
        };
        if e["equipment_type"] != "ONT Router"
            || !e["brand"].as_str().is_some_and(crate::tplink::is_tplink)
        {
            continue;
        }
        let Some(id) = genieacs_client::DeviceId::parse(id) else {
            continue;
        };
        let username = e["admin_username"].as_str().unwrap_or("user").to_owned();
        let password = crate::erpnext::admin_password(&client, name)
            .await?
            .ok_or_else(|| anyhow::anyhow!("{name} has no admin_password"))?;
        wanted.push((name.to_owned(), id, username, password));
    }
    // One port free on every address: bind the first on :0, the others on its port; start
    // over on another port if one of them is taken.
    'attempt: for _ in 0..8 {
        let mut routers = Vec::new();
        let mut port = 0;
        for (k, (name, _, username, password)) in wanted.iter().enumerate() {
            let ip = Ipv4Addr::new(127, 0, 1, u8::try_from(k + 1)?);
            let config = EmulatorConfig {
                accounts: vec![Account::new(
                    username.clone(),
                    password.expose_secret(),
                    Role::User,
                )],
                seed: Some(k as u64 + 1),
                ..EmulatorConfig::default()
            };
            match Emulator::start_on(config, SocketAddr::from((ip, port))).await {
                Ok(emulator) => {
                    port = emulator.url().port().unwrap_or(port);
                    routers.push((name.clone(), ip, emulator));
                }
                Err(e) if port != 0 && e.kind() == std::io::ErrorKind::AddrInUse => {
                    continue 'attempt;
                }
                Err(e) => return Err(e.into()),
            }
        }
        for ((_, id, _, _), (_, ip, _)) in wanted.iter().zip(&routers) {
            if let Some(mut doc) = nbi.device(id) {
                readdress_wan(&mut doc, *ip);
                nbi.add_device(doc);
            }
        }
        return Ok(SandboxRouters { port, routers });
    }
    anyhow::bail!("no port free on every sandbox router address")
}

/// Moves a fake NBI device's WAN address (its default route's IPv4, wherever the tree holds
/// it, the connection request URL too) to `ip`.
fn readdress_wan(doc: &mut serde_json::Value, ip: Ipv4Addr) {
    fn replace(v: &mut serde_json::Value, from: &str, to: &str) {
        match v {
            serde_json::Value::String(s) if s == from || s.contains(&format!("//{from}:")) => {
                *s = s.replace(from, to);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(|i| replace(i, from, to)),
            serde_json::Value::Object(m) => m.values_mut().for_each(|i| replace(i, from, to)),
            _ => {}
        }
    }
    let Ok(device) = serde_json::from_value::<genieacs_client::Device>(doc.clone()) else {
        return;
    };
    let snapshot = genieacs_client::ModemSnapshot::from_device(
        &device,
        chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now()),
    );
    let Ok(value) = serde_json::to_value(&snapshot) else {
        return;
    };
    if let Some(old) = crate::tplink::wan_address(&value) {
        replace(doc, &old.to_string(), &ip.to_string());
    }
}

/// A fake Traccar with a device per ERPNext Technician that has a `traccar_device_id` (under
/// that id), driving at 40 km/h from their home to each of their jobs' Service Locations and
/// back, and pushing positions to the live feed every `publish_every`.
pub async fn traccar_for(
    frappe: &FakeFrappe,
    publish_every: Duration,
) -> std::io::Result<traccar_client::testkit::FakeTraccar> {
    let fake = traccar_client::testkit::FakeTraccar::start().await?;
    let locations = frappe.all("Service Location");
    let place = |name: &str| {
        locations
            .iter()
            .find(|l| l["name"] == name)
            .and_then(|l| Some((l["latitude"].as_f64()?, l["longitude"].as_f64()?)))
    };
    let jobs = frappe.all("Dispatch Job");
    for t in frappe.all("Technician") {
        let (Some(name), Some(id)) = (t["name"].as_str(), t["traccar_device_id"].as_i64()) else {
            continue;
        };
        let home = t["home_latitude"]
            .as_f64()
            .zip(t["home_longitude"].as_f64())
            .unwrap_or((45.5017, -73.5673));
        let mut route = vec![home];
        route.extend(
            jobs.iter()
                .filter(|j| j["technician"] == name)
                .filter_map(|j| j["service_location"].as_str().and_then(place)),
        );
        if route.len() == 1 {
            // No job: a short loop around home.
            route.push((home.0 + 0.01, home.1 + 0.01));
        }
        let full = t["full_name"].as_str().unwrap_or(name);
        fake.add_device_with_id(
            traccar_client::DeviceId(id),
            &format!("{full} ({name})"),
            &format!("gigafibre-{}", name.to_ascii_lowercase()),
            route,
            40.0,
        );
    }
    if !publish_every.is_zero() {
        let feed = fake.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(publish_every);
            loop {
                tick.tick().await;
                feed.publish_positions();
            }
        });
    }
    Ok(fake)
}

/// Starts the simulators and points `settings` at them (an in-memory store, generated secrets).
pub async fn prepare(mut settings: Settings) -> anyhow::Result<(Settings, Sandbox)> {
    let frappe = FakeFrappe::start().await?;
    let genieacs = fake_nbi_for(&frappe).await?;
    let routers = routers_for(&frappe, &genieacs).await?;
    let olts = std::sync::Arc::new(olts::SandboxOlts::start(&frappe).await?);
    let traccar = traccar_for(&frappe, Duration::from_secs(5)).await?;
    let authentik = authentik_admin::testkit::FakeAuthentik::start().await?;
    authentik
        .client()?
        .groups()
        .create(&authentik_admin::NewGroup::new(STAFF_GROUP))
        .await?;
    let mail = std::sync::Arc::new(mail::MailSink::start().await?);
    let vision = vision::SandboxVision::start(&frappe).await?;
    let sandbox = Sandbox {
        authentik,
        mail,
        vision,
        genieacs,
        routers,
        olts,
        traccar,
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
    settings.tplink = Some(crate::config::TplinkSettings {
        mode: crate::config::TplinkMode::Direct,
        router_port: sandbox.routers.port,
        timeout: Duration::from_secs(5),
    });
    settings.olt.olts = sandbox.olts.settings();
    settings.olt.poll_interval = Duration::from_secs(15);
    settings.traccar = Some(crate::config::TraccarSettings {
        url: sandbox.traccar.url().to_string(),
        auth: crate::config::TraccarAuth::Bearer(SecretString::from(
            sandbox.traccar.token().to_owned(),
        )),
        timeout: Duration::from_secs(5),
        live: true,
        position_throttle: Duration::from_secs(10),
    });
    settings.authentik = Some(crate::config::AuthentikSettings {
        url: sandbox.authentik.url().to_string(),
        token: SecretString::from(authentik_admin::testkit::FAKE_TOKEN.to_owned()),
        timeout: Duration::from_secs(5),
    });
    settings.smtp = Some(crate::config::SmtpSettings {
        host: sandbox.mail.addr().ip().to_string(),
        port: sandbox.mail.addr().port(),
        security: crate::config::SmtpSecurity::None,
        credentials: None,
        from: "Gigafibre sandbox <noreply@sandbox.example>".to_owned(),
        timeout: Duration::from_secs(5),
        extra_ca: None,
    });
    settings.gemini = Some(crate::config::GeminiSettings {
        api_key: sandbox.vision.gemini.api_key(),
        model: gemini_vision::DEFAULT_MODEL.to_owned(),
        url: sandbox.vision.gemini.url().to_string(),
        deadline: gemini_vision::DEFAULT_DEADLINE,
        max_image_bytes: 10 * 1024 * 1024,
        max_side: 1536,
    });
    settings.invites.staff_groups = vec![STAFF_GROUP.to_owned()];
    // A key of its own, like the other generated secrets (no warning about a missing one).
    settings.invites.key = Some(crate::invites::seal::random_key()?);
    settings.invites.login_url = Some("https://erp.example.com/ops/".to_owned());
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
    let _ = writeln!(
        out,
        "  TP-Link routers (emulated, in-process client): {} on 127.0.1.1-{}:{}",
        sandbox.routers.routers.len(),
        sandbox.routers.routers.len(),
        sandbox.routers.port
    );
    let _ = writeln!(
        out,
        "  OLTs (fake SNMP agents, {} layout, polled every 15 s): {}",
        olts::PROFILE,
        sandbox
            .olts
            .olts
            .iter()
            .map(|o| format!("{} at {}", o.name, o.agent.addr()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(
        out,
        "  Traccar (fake: the technicians driving between their jobs): {}",
        sandbox.traccar.url()
    );
    let _ = writeln!(
        out,
        "  authentik (fake, staff group {STAFF_GROUP:?}): {}",
        sandbox.authentik.url()
    );
    let _ = writeln!(out, "  SMTP sink (invite mails): {}", sandbox.mail.addr());
    let _ = writeln!(
        out,
        "  Gemini (fake: knows the sample photos, answers others from the schema): {}",
        sandbox.vision.gemini.url()
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
        "# diagnose a modem (ERPNext equipment + GenieACS + the router's own view) by serial, MAC or equipment name:"
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
    if let Some(o) = sandbox.olts.olts.first() {
        let token = &sandbox.service_token;
        let _ = writeln!(out, "# the OLTs' last poll (every ONU, by port):");
        let _ = writeln!(
            out,
            "curl -s http://{host}/olts -H 'Authorization: Bearer {token}'"
        );
        let _ = writeln!(
            out,
            "# watch the alerts (leave it running), then take a PON port down: one area.outage within 15 s:"
        );
        let _ = writeln!(
            out,
            "curl -N 'http://{host}/events?topic=/alerts' -H 'Authorization: Bearer {token}'"
        );
        if let Some(port) = sandbox.olts.ports(&o.name).first() {
            let port = port.replace('/', "-");
            let _ = writeln!(
                out,
                "curl -s -X POST http://{host}/sandbox/olts/{}/ports/{port}/down -H 'Authorization: Bearer {token}'",
                o.name
            );
            let _ = writeln!(
                out,
                "curl -s http://{host}/olts/{}/ports/{port} -H 'Authorization: Bearer {token}'",
                o.name
            );
        }
    }
    {
        let token = &sandbox.service_token;
        let _ = writeln!(
            out,
            "# technicians on the map (live positions arrive on /dispatch as technician.position):"
        );
        let _ = writeln!(
            out,
            "curl -s http://{host}/traccar/positions/latest -H 'Authorization: Bearer {token}'"
        );
        if let Some(job) = sandbox
            .frappe
            .all("Dispatch Job")
            .into_iter()
            .find(|j| j["technician"].is_string() && j["status"] != "Completed")
            .and_then(|j| j["name"].as_str().map(str::to_owned))
        {
            let _ = writeln!(out, "# when will the technician reach the job:");
            let _ = writeln!(
                out,
                "curl -s http://{host}/dispatch/jobs/{job}/eta -H 'Authorization: Bearer {token}'"
            );
        }
    }
    {
        let token = &sandbox.service_token;
        let _ = writeln!(
            out,
            "# invite a staff member (authentik user, ERPNext user, mail with a temporary password), then read the mail:"
        );
        let _ = writeln!(
            out,
            "curl -s -X POST http://{host}/auth/users -H 'Authorization: Bearer {token}' -H 'Content-Type: application/json' -d '{{\"email\":\"jeanne.tremblay@example.com\",\"name\":\"Jeanne Tremblay\"}}'"
        );
        let _ = writeln!(
            out,
            "curl -s http://{host}/sandbox/mail -H 'Authorization: Bearer {token}'"
        );
    }
    {
        let token = &sandbox.service_token;
        for (kind, path) in &sandbox.vision.photos {
            let (what, query) = match kind.as_str() {
                "equipment" => (
                    "read the label of the in-stock ONT router, find its equipment and ACS device, and bind them",
                    "?bind=true",
                ),
                "barcodes" => (
                    "read the barcodes of a photo (multipart, as the apps send it)",
                    "",
                ),
                _ => ("read a supplier invoice (GST/QST checked)", ""),
            };
            let _ = writeln!(out, "# {what}:");
            let body = if kind.as_str() == "barcodes" {
                format!("-F 'image=@{}'", path.display())
            } else {
                format!(
                    "-H 'Content-Type: image/png' --data-binary '@{}'",
                    path.display()
                )
            };
            let _ = writeln!(
                out,
                "curl -s -X POST 'http://{host}/vision/{kind}{query}' -H 'Authorization: Bearer {token}' {body}"
            );
        }
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
