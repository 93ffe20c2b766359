//! `POST /auth/users` end to end: the real `hub` binary (its own process) in front of the
//! authentik fake, the ERPNext fake and the sandbox's SMTP sink (this process).
//!
//! Prints p50 / p99 of one complete invite (the request answers `201` once every step is done:
//! authentik user, groups and password; ERPNext User; the mail accepted by the relay), one at a
//! time and 4 at once (with `HUB_WORKERS=4`), against the floor measured in the same run: the same upstream calls made
//! directly, one after another, with the client crates and the hub's own mailer. The ratio is
//! what the durable steps cost (the invite and each outbox step written and claimed in the
//! store, the password sealed, the request woken when the last step ends).
//!
//! `cargo bench -p hub --bench invite` runs 100 invites per case; under `cargo test` a smoke
//! run of 3 checks that it works.

use std::time::Duration;

use authentik_admin::testkit::{FAKE_TOKEN, FakeAuthentik};
use common::{line, start_hub, timed};
use frappe_client::testkit::FakeFrappe;
use hub::config::{Language, SmtpSecurity, SmtpSettings};
use hub::invites::{InviteMail, Mailer};
use hub::sandbox::mail::MailSink;
use serde_json::json;

mod common;

const TOKEN: &str = "bench-invite-token-0123456789";
const GROUP: &str = "Gigafibre Ops";

fn main() {
    let full = common::full_run();
    let n = if full { 100 } else { 3 };
    let rt = common::runtime();
    rt.block_on(async {
        let frappe = FakeFrappe::start().await.expect("ERPNext fake");
        let authentik = FakeAuthentik::start().await.expect("authentik fake");
        let ak = authentik.client().expect("authentik client");
        ak.groups()
            .create(&authentik_admin::NewGroup::new(GROUP))
            .await
            .expect("the staff group");
        let sink = MailSink::start().await.expect("SMTP sink");
        let dir = std::env::temp_dir().join(format!("hub-invite-bench-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let hash = hub::auth::ServiceToken::hash_hex(TOKEN);
        let (_hub, base) = start_hub(&[
            (
                "HUB_DATABASE_URL",
                format!("sqlite://{}/invites.db", dir.display()),
            ),
            ("HUB_SERVICE_TOKENS", format!("bench:{hash}:users:invite")),
            ("FRAPPE_URL", frappe.url().to_string()),
            ("FRAPPE_API_KEY", frappe.api_key().to_owned()),
            ("FRAPPE_API_SECRET", frappe.api_secret().to_owned()),
            ("AUTHENTIK_URL", authentik.url().to_string()),
            ("AUTHENTIK_TOKEN", FAKE_TOKEN.to_owned()),
            ("SMTP_HOST", "127.0.0.1".to_owned()),
            ("SMTP_PORT", sink.addr().port().to_string()),
            ("SMTP_SECURITY", "none".to_owned()),
            ("SMTP_FROM", "Gigafibre <noreply@gigafibre.test>".to_owned()),
            ("INVITE_STAFF_GROUPS", GROUP.to_owned()),
            ("INVITE_WAIT_SECS", "30".to_owned()),
            // Four outbox workers: four invites' steps at once.
            ("HUB_WORKERS", "4".to_owned()),
        ])
        .await;
        let http = reqwest::Client::new();
        let invite = {
            let (http, base) = (http.clone(), base.clone());
            move |tag: String| {
                let (http, base) = (http.clone(), base.clone());
                async move {
                    http.post(format!("{base}/auth/users"))
                        .bearer_auth(TOKEN)
                        .json(&json!({"email": format!("hub-{tag}@bench.test"), "name": "Bench User"}))
                        .send()
                        .await
                        .is_ok_and(|r| r.status() == reqwest::StatusCode::CREATED)
                }
            }
        };
        // The same calls, made directly: what the hub's steps wait for.
        let erp = frappe_client::Client::builder(frappe.url().as_str())
            .token(frappe.api_key(), frappe.api_secret())
            .build()
            .expect("frappe client");
        let mailer = std::sync::Arc::new(
            Mailer::new(&SmtpSettings {
                host: "127.0.0.1".to_owned(),
                port: sink.addr().port(),
                security: SmtpSecurity::None,
                credentials: None,
                from: "Gigafibre <noreply@gigafibre.test>".to_owned(),
                timeout: Duration::from_secs(10),
                extra_ca: None,
            })
            .expect("mailer"),
        );
        let group = ak
            .groups()
            .find_by_name(GROUP)
            .await
            .expect("groups")
            .expect("the group")
            .pk;
        let direct = move |tag: String| {
            let (ak, erp, mailer, group) = (ak.clone(), erp.clone(), mailer.clone(), group.clone());
            async move {
                let email = format!("direct-{tag}@bench.test");
                let Ok(found) = ak.users().find_by_email(&email).await else {
                    return false;
                };
                if !found.is_empty() {
                    return false;
                }
                let new = authentik_admin::NewUser::new(format!("direct-{tag}"), "Bench User")
                    .email(&email)
                    .groups([group]);
                let Ok(user) = ak.users().create(&new).await else {
                    return false;
                };
                let Ok(password) = authentik_admin::temporary_password() else {
                    return false;
                };
                if ak.users().set_password(user.pk, &password).await.is_err() {
                    return false;
                }
                let doc = json!({"email": email, "first_name": "Bench", "user_type": "System User",
                    "social_logins": [{"provider": "authentik", "userid": email}]});
                if erp.doctype("User").insert(&doc).await.is_err() {
                    return false;
                }
                let mail = InviteMail {
                    id: &format!("direct-{tag}"),
                    to: &email,
                    name: "Bench User",
                    username: &user.username,
                    password: &password,
                    login_url: None,
                    language: Language::Fr,
                };
                mailer.send(&mail).await.is_ok()
            }
        };
        // Warm up both paths once.
        assert!(invite("warm".to_owned()).await, "the hub invites");
        assert!(direct("warm".to_owned()).await, "the direct calls work");
        println!(
            "hub invite benchmark ({}): {n} invites per case",
            if full { "full" } else { "smoke" }
        );
        for conc in [1, 4] {
            println!("concurrency {conc}:");
            let d = {
                let direct = direct.clone();
                line(
                    "the upstream calls made directly (floor)",
                    timed(n, conc, move |i| direct(format!("c{conc}-{i}"))).await,
                    None,
                )
            };
            let invite = invite.clone();
            line(
                "POST /auth/users until complete vs floor",
                timed(n, conc, move |i| invite(format!("c{conc}-{i}"))).await,
                Some(d),
            );
        }
        let mails = sink.messages().len();
        let expected = 2 * (1 + 2 * n);
        println!(
            "mails received by the sink: {mails} of {expected} (it keeps the last {})",
            hub::sandbox::mail::KEEP
        );
        assert_eq!(mails, expected.min(hub::sandbox::mail::KEEP));
        let _ = std::fs::remove_dir_all(&dir);
    });
}
