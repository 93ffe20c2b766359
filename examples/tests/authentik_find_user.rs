//! Runs the `authentik_find_user` example as n8n would, against a fake authentik seeded with
//! the captured staff users: arguments and `AUTHENTIK_*` variables in, a JSON array and an exit
//! code out.

use std::process::Output;

mod common;

use common::authentik::Fake;
use common::olt::{json, printed};
use serde_json::json;

const NAME: &str = "authentik_find_user";

fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    common::authentik::run(NAME, args, env, None)
}

fn run_on(fake: &Fake, args: &[&str]) -> Output {
    common::authentik::run_on(fake, NAME, args, None)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn usernames(v: &serde_json::Value) -> Vec<&str> {
    v.as_array()
        .expect("a JSON array")
        .iter()
        .map(|u| u["username"].as_str().expect("username"))
        .collect()
}

#[test]
fn every_user_sharing_an_email_is_printed() {
    let fake = Fake::start();
    let out = run_on(&fake, &["--email", "shared@example.test"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(usernames(&v), ["carol.tech", "dave.tech"]);
    assert_eq!(
        v[1],
        json!({
            "pk": 7,
            "username": "dave.tech",
            "name": "Dave Tech",
            "email": "shared@example.test",
            "is_active": true,
            "groups": ["dispatch", "techs"],
            "path": "users",
            "type": "internal",
            "last_login": null,
        })
    );
    assert_eq!(v[0]["groups"], json!(["techs"]));
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
    assert!(!printed(&out).contains(fake.token()));
    // One exact, case-sensitive filter, not a search.
    let requests = fake.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert!(
        requests[0].contains("email=shared%40example.test"),
        "{requests:?}"
    );
}

#[test]
fn a_user_by_username_with_its_group_names() {
    let fake = Fake::start();
    let out = run_on(&fake, &["--username", "alice.ops"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(usernames(&v), ["alice.ops"]);
    assert_eq!(v[0]["pk"], 4);
    assert_eq!(v[0]["email"], "alice@example.test");
    assert_eq!(v[0]["groups"], json!(["ops"]));
    // Spaces around the value (an n8n expression's newline) are removed.
    let out = run_on(&fake, &["--username", " erin.nogroup\n"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(usernames(&v), ["erin.nogroup"]);
    assert_eq!(v[0]["groups"], json!([]));
}

#[test]
fn nobody_found_exits_1_with_an_empty_array() {
    let fake = Fake::start();
    for args in [
        &["--email", "nobody@example.test"][..],
        // E-mail addresses match case-sensitively, as authentik does it.
        &["--email", "Alice@example.test"][..],
        &["--username", "nobody"][..],
        // A username is not an e-mail address, nor the reverse.
        &["--username", "alice@example.test"][..],
    ] {
        let out = run_on(&fake, args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", printed(&out));
        assert_eq!(json(&out), json!([]), "{args:?}");
        assert!(stderr(&out).contains("no user with"), "{}", stderr(&out));
    }
}

#[test]
fn a_wrong_token_exits_2_with_a_clear_message_and_no_token_printed() {
    let fake = Fake::start();
    let url = fake.url();
    let out = run(
        &["--email", "shared@example.test"],
        &[
            ("AUTHENTIK_URL", &url),
            ("AUTHENTIK_TOKEN", "wr0ng-t0ken-value"),
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", printed(&out));
    assert!(out.stdout.is_empty());
    let err = stderr(&out);
    assert!(
        err.contains("authentik refused access (403 Forbidden): Token invalid/expired"),
        "{err}"
    );
    assert!(err.contains("AUTHENTIK_TOKEN"), "{err}");
    assert!(!printed(&out).contains("wr0ng-t0ken-value"));
    assert!(!printed(&out).contains(fake.token()));
}

#[test]
fn missing_settings_and_bad_usage_exit_2() {
    let fake = Fake::start();
    let url = fake.url();
    // Nothing set: the message names the variables.
    let out = run(&["--username", "alice.ops"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(stderr(&out).contains("AUTHENTIK_URL"), "{}", stderr(&out));
    // A URL without a token.
    let out = run(&["--username", "alice.ops"], &[("AUTHENTIK_URL", &url)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("AUTHENTIK_TOKEN"), "{}", stderr(&out));
    // A token without a URL: named, never shown.
    let out = run(
        &["--username", "alice.ops"],
        &[("AUTHENTIK_TOKEN", "s3cret-token")],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("AUTHENTIK_URL"));
    assert!(!printed(&out).contains("s3cret-token"));
    // Neither --email nor --username, both, a blank one, an unknown flag.
    for args in [
        &[][..],
        &["--email", "alice@example.test", "--username", "alice.ops"][..],
        &["--email", " "][..],
        &["--username"][..],
        &["--mail", "alice@example.test"][..],
    ] {
        let out = run_on(&fake, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    assert!(fake.requests().is_empty(), "{:?}", fake.requests());
    // --help is no mistake.
    let out = run(&["--help"], &[]);
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(
        help.contains("--email") && help.contains("--username"),
        "{help}"
    );
}

#[test]
fn a_failing_or_unreachable_server_exits_2() {
    // 503 from behind the proxy: a GET is tried 3 times, then given up.
    let fake = Fake::start();
    fake.fail_next(503, 3, Some("/api/v3/core/users/"));
    let out = run_on(&fake, &["--email", "shared@example.test"]);
    assert_eq!(out.status.code(), Some(2), "{}", printed(&out));
    assert!(out.stdout.is_empty());
    assert!(
        stderr(&out).contains("authentik answered 503"),
        "{}",
        stderr(&out)
    );
    assert_eq!(fake.requests().len(), 3, "{:?}", fake.requests());
    // Once the fault is spent, the same call works.
    let out = run_on(&fake, &["--email", "shared@example.test"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // Nobody listening.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("a port")
        .local_addr()
        .expect("its address");
    let out = run(
        &["--username", "alice.ops"],
        &[
            ("AUTHENTIK_URL", &format!("http://{closed}")),
            ("AUTHENTIK_TOKEN", "tok-unreachable"),
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", printed(&out));
    assert!(
        stderr(&out).contains("could not reach authentik"),
        "{}",
        stderr(&out)
    );
    assert!(!printed(&out).contains("tok-unreachable"));
}

#[test]
fn the_sandbox_holds_the_seeded_users() {
    let out = run(&["--sandbox", "--email", "shared@example.test"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(usernames(&json(&out)), ["carol.tech", "dave.tech"]);
    let out = run(&["--sandbox", "--username", "bob.dispatch"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json(&out)[0]["groups"], json!(["dispatch"]));
}
