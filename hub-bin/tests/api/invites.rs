//! The staff invite flow (`POST /auth/users`) end to end: the fake authentik (answering as the
//! captured 2025.8.1 server), the fake ERPNext, and a real SMTP server (aiosmtpd) on 127.0.0.1.
//! Faults at each step (authentik down, SMTP refusing, ERPNext 417) resume to one complete
//! invite; a dead-lettered step alerts and resumes on request.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use authentik_admin::testkit::{FAKE_TOKEN, FakeAuthentik};
use frappe_client::testkit::{FakeFrappe, Fault};
use hub::config::{AuthentikSettings, Settings};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

use crate::helpers::{ADMIN_TOKEN, Db, N8N_TOKEN, TestApp, readyz, settings, spawn_settings};
use crate::smtp::SmtpServer;

const STAFF_GROUP: &str = "Gigafibre Ops";

fn authentik_settings(url: &str) -> AuthentikSettings {
    AuthentikSettings {
        url: url.to_owned(),
        token: SecretString::from(FAKE_TOKEN.to_owned()),
        timeout: Duration::from_secs(3),
    }
}

/// A fake authentik with the staff group.
async fn authentik_on(addr: Option<SocketAddr>) -> FakeAuthentik {
    let fake = match addr {
        Some(a) => FakeAuthentik::start_on(FAKE_TOKEN, a).await.unwrap(),
        None => FakeAuthentik::start().await.unwrap(),
    };
    fake.client()
        .unwrap()
        .groups()
        .create(&authentik_admin::NewGroup::new(STAFF_GROUP))
        .await
        .unwrap();
    fake
}

/// A hub with the invite flow: fast retries, `wait` before `POST /auth/users` answers.
async fn invite_settings(
    db: Db,
    erp: &FakeFrappe,
    authentik_url: &str,
    smtp: &SmtpServer,
    wait: Duration,
) -> Settings {
    let mut s = settings(db, erp).await;
    s.authentik = Some(authentik_settings(authentik_url));
    s.smtp = Some(smtp.settings());
    s.invites.staff_groups = vec![STAFF_GROUP.to_owned()];
    s.invites.login_url = Some("https://erp.gigafibre.test/ops/".to_owned());
    s.invites.key = Some(hub::config::InviteKey([7; 32]));
    s.invites.wait = wait;
    s.workers.backoff = Duration::from_millis(100);
    s.workers.poll = Duration::from_millis(50);
    s.workers.max_attempts = 30;
    s
}

/// A hub with the invite flow against the fake authentik at `authentik_url` and `smtp`,
/// `tweak`ed before it starts.
async fn hub_at(
    authentik_url: &str,
    smtp: &SmtpServer,
    db: Db,
    wait: Duration,
    tweak: impl FnOnce(&mut Settings),
) -> TestApp {
    let erp = FakeFrappe::start().await.unwrap();
    let mut s = invite_settings(db, &erp, authentik_url, smtp, wait).await;
    tweak(&mut s);
    spawn_settings(s, erp).await
}

async fn hub_for(
    ak: &FakeAuthentik,
    smtp: &SmtpServer,
    db: Db,
    wait: Duration,
    tweak: impl FnOnce(&mut Settings),
) -> TestApp {
    hub_at(ak.url().as_str(), smtp, db, wait, tweak).await
}

async fn post_invite(t: &TestApp, body: &Value, token: &str) -> (StatusCode, Value) {
    let r = t
        .token(Method::POST, "/auth/users", token)
        .json(body)
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

async fn get(t: &TestApp, path: &str) -> (StatusCode, Value) {
    let r = t
        .token(Method::GET, path, ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

/// Polls the invite until it is complete (or `wait` passes) and answers its last state.
async fn until_complete(t: &TestApp, id: &str, wait: Duration) -> Value {
    let until = Instant::now() + wait;
    loop {
        let (status, body) = get(t, &format!("/auth/invites/{id}")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        if body["status"] == "complete" || Instant::now() > until {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn authentik_users_with(fake: &FakeAuthentik, email: &str) -> Vec<authentik_admin::User> {
    fake.client()
        .unwrap()
        .users()
        .find_by_email(email)
        .await
        .unwrap()
}

/// Everything one complete invite leaves behind: one authentik user (in the staff group, with
/// the password), one ERPNext User with the social login, one mail with the password.
async fn assert_one_complete_invite(
    t: &TestApp,
    ak: &FakeAuthentik,
    smtp: &SmtpServer,
    email: &str,
    password: &str,
) -> authentik_admin::User {
    let users = authentik_users_with(ak, email).await;
    assert_eq!(users.len(), 1, "one authentik user: {users:?}");
    let user = users[0].clone();
    let group = ak
        .client()
        .unwrap()
        .groups()
        .find_by_name(STAFF_GROUP)
        .await
        .unwrap()
        .unwrap();
    assert!(user.groups.contains(&group.pk), "in the staff group");
    let set = ak.password_of(user.pk).flatten().expect("a password set");
    assert_eq!(
        set.expose_secret(),
        password,
        "the answered password is the one set"
    );
    let erp_users: Vec<Value> = t
        .fake
        .all("User")
        .into_iter()
        .filter(|u| u["email"] == email)
        .collect();
    assert_eq!(erp_users.len(), 1, "one ERPNext user");
    let u = &erp_users[0];
    assert_eq!(u["name"], email);
    assert_eq!(u["user_type"], "System User");
    let logins = u["social_logins"].as_array().unwrap();
    assert!(
        logins
            .iter()
            .any(|l| l["provider"] == "authentik" && l["userid"] == email),
        "{logins:?}"
    );
    let mails = smtp.wait_for(1, Duration::from_secs(5)).await;
    let to_them: Vec<_> = mails.iter().filter(|m| m.to == email).collect();
    assert_eq!(to_them.len(), 1, "one mail: {mails:?}");
    assert!(to_them[0].text.contains(password), "{}", to_them[0].text);
    assert!(
        to_them[0].text.contains(&user.username),
        "{}",
        to_them[0].text
    );
    user
}

#[tokio::test]
async fn an_invite_creates_both_users_and_mails_the_temporary_password() {
    let smtp = SmtpServer::start(Some(("mailjet-key", "mailjet-secret")));
    let ak = authentik_on(None).await;
    let t = hub_for(&ak, &smtp, Db::Sqlite, Duration::from_secs(10), |_| {}).await;
    let email = "jeanne.tremblay@gigafibre.test";
    let (status, body) = post_invite(
        &t,
        &json!({"email": "Jeanne.Tremblay@Gigafibre.test", "name": "Jeanne  Tremblay"}),
        ADMIN_TOKEN,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["status"], "complete");
    assert_eq!(body["email"], email, "the address is kept in lower case");
    assert_eq!(body["name"], "Jeanne Tremblay");
    assert_eq!(body["steps"]["authentik"]["username"], "jeanne.tremblay");
    let password = body["temporaryPassword"].as_str().unwrap().to_owned();
    assert_eq!(password.len(), 19, "four groups of four: {password}");
    let user = assert_one_complete_invite(&t, &ak, &smtp, email, &password).await;
    assert_eq!(user.username, "jeanne.tremblay");
    assert_eq!(user.name, "Jeanne Tremblay");
    assert_eq!(
        user.attributes["gigafibre.invite"], body["id"],
        "the user names its invite"
    );
    let mail = &smtp.messages()[0];
    assert_eq!(
        mail.subject,
        "Votre accès Gigafibre / Your Gigafibre access"
    );
    assert!(
        mail.text.contains("https://erp.gigafibre.test/ops/"),
        "{}",
        mail.text
    );
    assert!(mail.message_id.starts_with("inv-"), "{}", mail.message_id);
    // The progress is shown without the password; the store no longer holds it.
    let id = body["id"].as_str().unwrap();
    let (status, shown) = get(&t, &format!("/auth/invites/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(shown.get("temporaryPassword").is_none(), "{shown}");
    assert_eq!(shown["steps"]["mail"]["done"], true);
    let stored = t.app.state.store.invite(id).await.unwrap().unwrap();
    assert!(stored.sealed_password.is_none(), "forgotten once complete");
    let (_, listed) = get(&t, "/auth/invites").await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert!(!listed.to_string().contains(&password));
    // ERPNext's user is in the mail's language.
    let erp_user = t.fake.get("User", email).unwrap();
    assert_eq!(erp_user["first_name"], "Jeanne");
    assert_eq!(erp_user["last_name"], "Tremblay");
}

#[tokio::test]
async fn inviting_an_address_again_answers_the_first_invite_never_a_second_user() {
    let smtp = SmtpServer::start(None);
    let ak = authentik_on(None).await;
    let t = hub_for(&ak, &smtp, Db::Sqlite, Duration::from_secs(10), |_| {}).await;
    let body =
        json!({"email": "luc.gagnon@gigafibre.test", "name": "Luc Gagnon", "language": "en"});
    // Three at once: one invite.
    let upper = json!({"email": "LUC.GAGNON@gigafibre.test", "name": "Luc G.", "language": "en"});
    let (a, b, c) = tokio::join!(
        post_invite(&t, &body, ADMIN_TOKEN),
        post_invite(&t, &body, ADMIN_TOKEN),
        post_invite(&t, &upper, ADMIN_TOKEN),
    );
    let answers = [a, b, c];
    let created: Vec<_> = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .collect();
    assert_eq!(created.len(), 1, "{answers:?}");
    let first = &created[0].1;
    for (status, again) in answers.iter().filter(|(s, _)| *s != StatusCode::CREATED) {
        assert_eq!(*status, StatusCode::OK, "{again}");
        assert_eq!(again["id"], first["id"]);
        assert_eq!(again["existing"], true);
        assert!(
            again.get("temporaryPassword").is_none(),
            "shown once: {again}"
        );
    }
    let password = first["temporaryPassword"].as_str().unwrap();
    assert_one_complete_invite(&t, &ak, &smtp, "luc.gagnon@gigafibre.test", password).await;
    assert_eq!(
        smtp.messages()[0].subject,
        "Your Gigafibre access / Votre accès Gigafibre",
        "in English"
    );
    // Later, once complete: the same answer.
    let (status, later) = post_invite(&t, &body, ADMIN_TOKEN).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(later["status"], "complete");
    assert_eq!(smtp.messages().len(), 1, "no second mail");
}

#[tokio::test]
async fn a_taken_username_gets_the_next_free_suffix() {
    let smtp = SmtpServer::start(None);
    let ak = authentik_on(None).await;
    let client = ak.client().unwrap();
    for taken in ["marc", "marc-2"] {
        client
            .users()
            .create(
                &authentik_admin::NewUser::new(taken, "Someone Else")
                    .email(format!("{taken}@elsewhere.test")),
            )
            .await
            .unwrap();
    }
    let t = hub_for(&ak, &smtp, Db::Sqlite, Duration::from_secs(10), |_| {}).await;
    let (status, body) = post_invite(
        &t,
        &json!({"email": "marc@gigafibre.test", "name": "Marc Roy"}),
        ADMIN_TOKEN,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["steps"]["authentik"]["username"], "marc-3");
}

#[tokio::test]
async fn authentik_down_at_first_resumes_to_one_complete_invite() {
    let smtp = SmtpServer::start(None);
    // Nothing listens on authentik's address yet.
    let addr = SocketAddr::from(([127, 0, 0, 1], crate::helpers::free_port()));
    let url = format!("http://{addr}");
    let t = hub_at(&url, &smtp, Db::Sqlite, Duration::from_millis(600), |_| {}).await;
    let email = "nadia.roy@gigafibre.test";
    let (status, body) = post_invite(
        &t,
        &json!({"email": email, "name": "Nadia Roy"}),
        ADMIN_TOKEN,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["status"], "pending");
    assert_eq!(body["step"], "authentik");
    let password = body["temporaryPassword"].as_str().unwrap().to_owned();
    let id = body["id"].as_str().unwrap().to_owned();
    // The failure is visible while it lasts.
    let until = Instant::now() + Duration::from_secs(5);
    loop {
        let (_, now) = get(&t, &format!("/auth/invites/{id}")).await;
        if now["lastError"]
            .as_str()
            .is_some_and(|e| e.contains("authentik"))
        {
            assert!(!now.to_string().contains(&password));
            break;
        }
        assert!(Instant::now() < until, "no error recorded: {now}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let ak = authentik_on(Some(addr)).await;
    let done = until_complete(&t, &id, Duration::from_secs(20)).await;
    assert_eq!(done["status"], "complete", "{done}");
    assert!(done["lastError"].is_null());
    assert_one_complete_invite(&t, &ak, &smtp, email, &password).await;
}

#[tokio::test]
async fn smtp_refusing_then_down_resumes_to_one_mail() {
    let mut smtp = SmtpServer::start(None);
    smtp.refuse(true);
    let ak = authentik_on(None).await;
    let t = hub_for(&ak, &smtp, Db::Postgres, Duration::from_secs(2), |_| {}).await;
    let email = "eric.cote@gigafibre.test";
    let (status, body) = post_invite(
        &t,
        &json!({"email": email, "name": "Éric Côté"}),
        ADMIN_TOKEN,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(
        body["step"], "mail",
        "the accounts exist; the mail waits: {body}"
    );
    assert_eq!(body["steps"]["authentik"]["done"], true);
    assert_eq!(body["steps"]["erpnext"]["done"], true);
    assert!(
        body["lastError"].as_str().unwrap().contains("451"),
        "{body}"
    );
    let password = body["temporaryPassword"].as_str().unwrap().to_owned();
    let id = body["id"].as_str().unwrap().to_owned();
    // Then the relay is down altogether, then back and accepting.
    smtp.stop();
    smtp.refuse(false);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (_, still) = get(&t, &format!("/auth/invites/{id}")).await;
    assert_eq!(still["status"], "pending", "{still}");
    smtp.restart();
    let done = until_complete(&t, &id, Duration::from_secs(20)).await;
    assert_eq!(done["status"], "complete", "{done}");
    assert_one_complete_invite(&t, &ak, &smtp, email, &password).await;
    assert!(smtp.messages()[0].text.contains("Éric Côté"));
}

#[tokio::test]
async fn erpnext_417_resumes_to_one_erpnext_user() {
    let smtp = SmtpServer::start(None);
    let ak = authentik_on(None).await;
    let t = hub_for(&ak, &smtp, Db::Sqlite, Duration::from_millis(300), |_| {}).await;
    t.fake.inject(
        Fault::status(417)
            .frappe_error("ValidationError", "Language en-XX not found")
            .times(3)
            .only_path("/api/resource/User"),
    );
    let email = "sophie.lavoie@gigafibre.test";
    let (status, body) = post_invite(
        &t,
        &json!({"email": email, "name": "Sophie Lavoie"}),
        ADMIN_TOKEN,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let password = body["temporaryPassword"].as_str().unwrap().to_owned();
    let id = body["id"].as_str().unwrap().to_owned();
    let done = until_complete(&t, &id, Duration::from_secs(20)).await;
    assert_eq!(done["status"], "complete", "{done}");
    assert_one_complete_invite(&t, &ak, &smtp, email, &password).await;
    let inserts = t
        .fake
        .requests()
        .iter()
        .filter(|r| r.method == Method::POST && r.path == "/api/resource/User")
        .count();
    assert_eq!(inserts, 4, "three refused with 417, then one accepted");
}

#[tokio::test]
async fn an_existing_erpnext_user_gets_the_authentik_login_added() {
    let smtp = SmtpServer::start(None);
    let ak = authentik_on(None).await;
    let t = hub_for(&ak, &smtp, Db::Sqlite, Duration::from_secs(10), |_| {}).await;
    // A seeded customer-facing user with another social login.
    let email = "marie-claude.tremblay@example.com";
    let before = t.fake.get("User", email).unwrap();
    let (status, body) = post_invite(
        &t,
        &json!({"email": email, "name": "Marie-Claude Tremblay"}),
        ADMIN_TOKEN,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let after = t.fake.get("User", email).unwrap();
    let logins = after["social_logins"].as_array().unwrap();
    assert_eq!(logins.len(), 2, "{logins:?}");
    assert_eq!(
        logins[0]["provider"], before["social_logins"][0]["provider"],
        "kept"
    );
    assert_eq!(logins[1]["provider"], "authentik");
    assert_eq!(logins[1]["userid"], email);
}

#[tokio::test]
async fn a_dead_lettered_step_alerts_then_resumes_on_request() {
    let smtp = SmtpServer::start(None);
    let ak = authentik_on(None).await;
    // Someone already has this address in authentik: the invite must not take that account.
    let email = "julie.morin@gigafibre.test";
    let other = ak
        .client()
        .unwrap()
        .users()
        .create(&authentik_admin::NewUser::new("jmorin", "Julie Morin").email(email))
        .await
        .unwrap();
    let t = hub_for(&ak, &smtp, Db::Sqlite, Duration::from_secs(5), |_| {}).await;
    let mut alerts =
        crate::helpers::SseClient::open(t.token(Method::GET, "/events?topic=/alerts", ADMIN_TOKEN))
            .await;
    let (status, body) = post_invite(
        &t,
        &json!({"email": email, "name": "Julie Morin"}),
        ADMIN_TOKEN,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["status"], "failed", "{body}");
    assert!(
        body["lastError"].as_str().unwrap().contains("jmorin"),
        "{body}"
    );
    let password = body["temporaryPassword"].as_str().unwrap().to_owned();
    let id = body["id"].as_str().unwrap().to_owned();
    let alert = alerts
        .next_event(Duration::from_secs(5))
        .await
        .expect("an alert");
    assert_eq!(alert.event.as_deref(), Some("invite.failed"));
    let data = alert.json()["data"].clone();
    assert_eq!(data["invite"], id.as_str());
    assert_eq!(data["step"], "authentik");
    assert_eq!(data["email"], email);
    assert!(!alert.data.contains(&password), "no password in the alert");
    assert!(
        ak.password_of(other.pk).is_none(),
        "the other account's password is untouched"
    );
    let (status, _) = get(&t, "/auth/invites/inv-0000000000000000").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The admin removes the stray account, then resumes.
    ak.client().unwrap().users().delete(other.pk).await.unwrap();
    let r = t
        .token(
            Method::POST,
            &format!("/auth/invites/{id}/resume"),
            ADMIN_TOKEN,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let done = until_complete(&t, &id, Duration::from_secs(20)).await;
    assert_eq!(done["status"], "complete", "{done}");
    assert_one_complete_invite(&t, &ak, &smtp, email, &password).await;
    let r = t
        .token(
            Method::POST,
            &format!("/auth/invites/{id}/resume"),
            ADMIN_TOKEN,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::CONFLICT,
        "complete: nothing to resume"
    );
}

#[tokio::test]
async fn bad_requests_are_400s_naming_the_field_and_start_nothing() {
    let smtp = SmtpServer::start(None);
    let ak = authentik_on(None).await;
    let t = hub_for(&ak, &smtp, Db::Sqlite, Duration::from_secs(5), |_| {}).await;
    for (body, field) in [
        (json!({"email": "not-an-address", "name": "X"}), "email"),
        (json!({"email": "a b@c.test", "name": "X"}), "email"),
        (json!({"email": "x@y.test", "name": "  "}), "name"),
        (
            json!({"email": "x@y.test", "name": "X", "language": "de"}),
            "language",
        ),
        (
            json!({"email": "x@y.test", "name": "X", "password": "hunter2-hunter2"}),
            "body",
        ),
        (json!({"name": "X"}), "body"),
        (json!(["x@y.test"]), "body"),
    ] {
        let (status, err) = post_invite(&t, &body, ADMIN_TOKEN).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body} → {err}");
        assert_eq!(err["error"]["field"], field, "{body} → {err}");
        assert!(!err.to_string().contains("hunter2"), "never echoed: {err}");
    }
    let r = t
        .token(Method::POST, "/auth/users", ADMIN_TOKEN)
        .body("{\"email\":")
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    // Without the capability.
    let (status, _) = post_invite(&t, &json!({"email": "x@y.test", "name": "X"}), N8N_TOKEN).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, listed) = get(&t, "/auth/invites").await;
    assert_eq!(listed, json!([]), "nothing started");
    assert!(
        ak.requests()
            .iter()
            .all(|r| r.method == "GET" || r.path.contains("groups")),
        "no user created"
    );
}

#[tokio::test]
async fn without_authentik_or_smtp_the_route_says_what_to_set() {
    let erp = FakeFrappe::start().await.unwrap();
    let s = settings(Db::Sqlite, &erp).await;
    let t = spawn_settings(s, erp).await;
    let (status, err) =
        post_invite(&t, &json!({"email": "x@y.test", "name": "X"}), ADMIN_TOKEN).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{err}");
    assert_eq!(err["error"]["code"], "not_configured");
    let set = err["error"]["set"].to_string();
    assert!(
        set.contains("AUTHENTIK_URL") && set.contains("SMTP_HOST"),
        "{err}"
    );
}

#[tokio::test]
async fn the_sandbox_invites_through_its_fake_authentik_and_mail_sink() {
    let (s, sandbox) = hub::sandbox::prepare(Settings {
        listen: "127.0.0.1:0".parse().unwrap(),
        ..Settings::default()
    })
    .await
    .unwrap();
    let app = hub::Application::build(s)
        .await
        .map_err(|e| format!("{e:#}"))
        .unwrap()
        .with_sandbox_mail(sandbox.mail.clone());
    let running = app.spawn().unwrap();
    let http = reqwest::Client::new();
    let token = format!("Bearer {}", sandbox.service_token);
    let r = http
        .post(format!("{}/auth/users", running.url()))
        .header("authorization", &token)
        .json(&json!({"email": "jeanne.tremblay@example.com", "name": "Jeanne Tremblay"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let body: Value = r.json().await.unwrap();
    let password = body["temporaryPassword"].as_str().unwrap();
    let mail: Value = http
        .get(format!("{}/sandbox/mail", running.url()))
        .header("authorization", &token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mails = mail.as_array().unwrap();
    assert_eq!(mails.len(), 1, "{mail}");
    assert_eq!(mails[0]["to"], json!(["jeanne.tremblay@example.com"]));
    assert!(mails[0]["text"].as_str().unwrap().contains(password));
    assert!(
        sandbox
            .frappe
            .get("User", "jeanne.tremblay@example.com")
            .is_some()
    );
    running.stop().await;
}

#[tokio::test]
async fn readiness_names_the_invite_flow_and_its_failures_do_not_take_the_hub_down() {
    let mut smtp = SmtpServer::start(Some(("mailjet-key", "mailjet-secret")));
    let ak = authentik_on(None).await;
    let t = hub_for(&ak, &smtp, Db::Sqlite, Duration::from_secs(5), |_| {}).await;
    let (status, body) = readyz(&t).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["invites"]["status"], "ok", "{body}");
    // A staff group that does not exist, and a relay that is down: degraded, still ready.
    let t2 = hub_for(&ak, &smtp, Db::Sqlite, Duration::from_secs(5), |s| {
        s.invites.staff_groups.push("Nobody".to_owned());
    })
    .await;
    let body = readyz(&t2).await.1;
    assert_eq!(body["invites"]["status"], "degraded", "{body}");
    assert!(
        body["invites"]["detail"]
            .as_str()
            .unwrap()
            .contains("Nobody"),
        "{body}"
    );
    assert_eq!(body["status"], "ready");
    smtp.stop();
    let t3 = hub_for(&ak, &smtp, Db::Sqlite, Duration::from_secs(5), |_| {}).await;
    let (status, body) = readyz(&t3).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["invites"]["status"], "degraded", "{body}");
    assert!(
        body["invites"]["detail"].as_str().unwrap().contains("SMTP"),
        "{body}"
    );
    assert!(!body.to_string().contains("mailjet-secret"));
}

#[tokio::test]
async fn wrong_smtp_credentials_dead_letter_the_mail_with_an_alert() {
    let smtp = SmtpServer::start(Some(("mailjet-key", "mailjet-secret")));
    let ak = authentik_on(None).await;
    let t = hub_for(&ak, &smtp, Db::Sqlite, Duration::from_secs(10), |s| {
        if let Some(m) = s.smtp.as_mut() {
            m.credentials = Some((
                "mailjet-key".to_owned(),
                SecretString::from("wrong-secret-7"),
            ));
        }
    })
    .await;
    let (status, body) = post_invite(
        &t,
        &json!({"email": "paul.bouchard@gigafibre.test", "name": "Paul Bouchard"}),
        ADMIN_TOKEN,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(
        body["status"], "failed",
        "a refused login is not retried: {body}"
    );
    assert_eq!(body["step"], "mail");
    let error = body["lastError"].as_str().unwrap();
    assert!(error.contains("535"), "{error}");
    assert!(!error.contains("wrong-secret-7"), "{error}");
    let events = t.app.state.store.events_after(0, 100).await.unwrap();
    let alert = events
        .iter()
        .find(|e| e.kind == "invite.failed")
        .expect("an alert");
    assert_eq!(alert.data["step"], "mail");
    assert!(alert.topics.contains(&"/alerts".to_owned()));
    assert!(smtp.messages().is_empty());
}

#[tokio::test]
async fn the_mail_goes_over_starttls_to_a_relay_with_a_private_ca() {
    let smtp = SmtpServer::start_tls(Some(("mailjet-key", "mailjet-secret")));
    let ak = authentik_on(None).await;
    let t = hub_for(&ak, &smtp, Db::Sqlite, Duration::from_secs(10), |_| {}).await;
    let email = "ana.silva@gigafibre.test";
    let (status, body) = post_invite(
        &t,
        &json!({"email": email, "name": "Ana Silva"}),
        ADMIN_TOKEN,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let password = body["temporaryPassword"].as_str().unwrap();
    assert_one_complete_invite(&t, &ak, &smtp, email, password).await;
    // Without the CA the relay's certificate is refused: nothing is sent in clear.
    let t2 = hub_for(&ak, &smtp, Db::Sqlite, Duration::from_millis(800), |s| {
        if let Some(m) = s.smtp.as_mut() {
            m.extra_ca = None;
        }
    })
    .await;
    let (status, body) = post_invite(
        &t2,
        &json!({"email": "bruno.costa@gigafibre.test", "name": "Bruno Costa"}),
        ADMIN_TOKEN,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["step"], "mail");
    let error = body["lastError"]
        .as_str()
        .unwrap_or_default()
        .to_lowercase();
    assert!(error.contains("certificate"), "{body}");
    assert_eq!(smtp.messages().len(), 1, "only the first invite's mail");
}
