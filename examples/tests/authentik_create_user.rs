//! Runs the `authentik_create_user` example as n8n would, against a fake authentik seeded with
//! the captured staff users and groups: a JSON object on stdin and `AUTHENTIK_*` variables in,
//! the created user (or the users already holding the e-mail) and an exit code out.

use std::process::Output;

mod common;

use common::authentik::Fake;
use common::olt::{json, printed};
use serde_json::json;

const NAME: &str = "authentik_create_user";

/// The pk the fake gives the first user created.
const FIRST_NEW_PK: i64 = 10;

fn run_on(fake: &Fake, args: &[&str], stdin: &str) -> Output {
    common::authentik::run_on(fake, NAME, args, Some(stdin))
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn sorted(v: &serde_json::Value) -> Vec<String> {
    let mut names: Vec<String> = v
        .as_array()
        .expect("an array")
        .iter()
        .map(|g| g.as_str().expect("a name").to_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn created_in_groups_with_a_temporary_password_printed_once() {
    let fake = Fake::start();
    let input = json!({
        "name": "Jane Doe",
        "email": "jane.doe@example.test",
        "groups": ["techs", "dispatch", "techs"],
        "path": "hub/staff",
        "attributes": {"employee_id": "E-7"},
        "password": "temporary",
    });
    let out = run_on(&fake, &[], &input.to_string());
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
    let v = json(&out);
    assert_eq!(v["pk"], FIRST_NEW_PK);
    assert_eq!(v["username"], "jane.doe");
    assert_eq!(v["name"], "Jane Doe");
    assert_eq!(v["email"], "jane.doe@example.test");
    assert_eq!(v["is_active"], true);
    assert_eq!(v["path"], "hub/staff");
    assert_eq!(v["type"], "internal");
    assert_eq!(sorted(&v["groups"]), ["dispatch", "techs"]);
    // The printed password is the one set, shaped as temporary_password() makes them.
    let password = v["temporaryPassword"].as_str().expect("temporaryPassword");
    assert_eq!(
        fake.password_of(FIRST_NEW_PK).as_deref(),
        Some(password),
        "the printed password is the one set"
    );
    assert_eq!(password.len(), 19, "{password}");
    assert_eq!(password.split('-').count(), 4, "{password}");
    // Printed once: on stdout, never on stderr.
    assert!(!stderr(&out).contains(password), "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout)
            .matches(password)
            .count(),
        1
    );
    assert!(!printed(&out).contains(fake.token()));
    // authentik holds the user with the groups' pks, the folder and the attributes.
    let stored = fake.user(FIRST_NEW_PK).expect("stored");
    assert_eq!(stored["groups"].as_array().map(Vec::len), Some(2));
    assert_eq!(stored["attributes"], json!({"employee_id": "E-7"}));
    assert_eq!(stored["path"], "hub/staff");
    assert_eq!(fake.creations(), 1);
}

#[test]
fn the_temporary_password_flag_and_no_password_without_it() {
    let fake = Fake::start();
    let out = run_on(
        &fake,
        &["--temporary-password"],
        r#"{"name": "Kim Lee", "email": "kim@example.test", "type": "external", "active": false}"#,
    );
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
    let v = json(&out);
    let password = v["temporaryPassword"].as_str().expect("temporaryPassword");
    assert_eq!(fake.password_of(FIRST_NEW_PK).as_deref(), Some(password));
    assert_eq!(v["type"], "external");
    assert_eq!(v["is_active"], false);
    assert_eq!(v["groups"], json!([]));
    // Without: no password set, none printed.
    let out = run_on(
        &fake,
        &[],
        r#"{"name": "Lou Ray", "email": "lou@example.test"}"#,
    );
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
    let v = json(&out);
    assert!(v.get("temporaryPassword").is_none(), "{v}");
    assert_eq!(fake.password_of(FIRST_NEW_PK + 1), None);
}

#[test]
fn the_username_defaults_to_the_email_local_part_made_unique() {
    let fake = Fake::start();
    // `alice.ops` is taken (seeded), so is `alice.ops-2` (added here).
    fake.add_user("alice.ops-2", "a2@example.test");
    let out = run_on(
        &fake,
        &[],
        r#"{"name": "Alice Other", "email": "alice.ops@other.test"}"#,
    );
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
    assert_eq!(json(&out)["username"], "alice.ops-3");
    // The next one gets the next free suffix.
    let out = run_on(
        &fake,
        &[],
        r#"{"name": "Alice Third", "email": "alice.ops@third.test"}"#,
    );
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
    assert_eq!(json(&out)["username"], "alice.ops-4");
    // A free local part is taken as is; a username given is used as given.
    let out = run_on(
        &fake,
        &[],
        r#"{"name": "Max", "email": "max@example.test"}"#,
    );
    assert_eq!(json(&out)["username"], "max");
    let out = run_on(
        &fake,
        &[],
        r#"{"name": "Nia", "email": "nia@example.test", "username": "n.tech"}"#,
    );
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
    assert_eq!(json(&out)["username"], "n.tech");
}

#[test]
fn an_existing_email_exits_1_printing_those_users_and_creates_nothing() {
    let fake = Fake::start();
    let input =
        r#"{"name": "Someone Else", "email": "shared@example.test", "password": "temporary"}"#;
    let out = run_on(&fake, &[], input);
    assert_eq!(out.status.code(), Some(1), "{}", printed(&out));
    let v = json(&out);
    let found: Vec<&str> = v
        .as_array()
        .expect("the existing users")
        .iter()
        .map(|u| u["username"].as_str().expect("username"))
        .collect();
    assert_eq!(found, ["carol.tech", "dave.tech"]);
    assert!(stderr(&out).contains("nothing created"), "{}", stderr(&out));
    assert!(!printed(&out).contains("temporaryPassword"));
    assert_eq!(fake.creations(), 0);
    assert!(fake.user(FIRST_NEW_PK).is_none());
    // --allow-duplicate-email creates another, with a warning.
    let out = run_on(&fake, &["--allow-duplicate-email"], input);
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
    assert_eq!(json(&out)["username"], "shared");
    assert!(stderr(&out).contains("warning"), "{}", stderr(&out));
    assert_eq!(fake.creations(), 1);
}

#[test]
fn an_unknown_group_exits_2_naming_it_and_creates_nothing() {
    let fake = Fake::start();
    let out = run_on(
        &fake,
        &[],
        r#"{"name": "Jane Doe", "email": "jane@example.test", "groups": ["techs", "no-such-group", "Techs"]}"#,
    );
    assert_eq!(out.status.code(), Some(2), "{}", printed(&out));
    assert!(out.stdout.is_empty());
    let err = stderr(&out);
    assert!(
        err.contains("\"no-such-group\"") && err.contains("\"Techs\""),
        "{err}"
    );
    assert!(err.contains("nothing created"), "{err}");
    assert_eq!(fake.creations(), 0);
    assert!(fake.user(FIRST_NEW_PK).is_none());
}

#[test]
fn bad_json_unknown_fields_and_missing_fields_exit_2_without_a_panic() {
    let fake = Fake::start();
    for (input, expected) in [
        ("", "stdin is empty"),
        ("not json", "not valid JSON"),
        ("{\"name\": \"Jane\"", "not valid JSON"),
        ("[]", "not a JSON object"),
        ("\"jane@example.test\"", "not a JSON object"),
        (
            r#"{"name": "Jane", "email": "jane@example.test", "nickname": "JD"}"#,
            "unknown field `nickname`",
        ),
        (
            r#"{"name": "Jane", "email": "jane@example.test", "is_active": true}"#,
            "unknown field `is_active`",
        ),
        (r#"{"email": "jane@example.test"}"#, "name is required"),
        (r#"{"name": "Jane"}"#, "email is required"),
        (
            r#"{"name": " ", "email": "jane@example.test"}"#,
            "name is blank",
        ),
        (
            r#"{"name": "Jane", "email": "jane"}"#,
            "not an e-mail address",
        ),
        (
            r#"{"name": "Jane", "email": "@example.test"}"#,
            "not an e-mail address",
        ),
        (
            r#"{"name": "Jane", "email": "jane@example.test", "type": "robot"}"#,
            "type \"robot\"",
        ),
        (
            r#"{"name": "Jane", "email": "jane@example.test", "groups": "techs"}"#,
            "expected a sequence",
        ),
        (
            r#"{"name": "Jane", "email": "jane@example.test", "active": "yes"}"#,
            "expected a boolean",
        ),
        (
            r#"{"name": 42, "email": "jane@example.test"}"#,
            "expected a string",
        ),
    ] {
        let out = run_on(&fake, &[], input);
        assert_eq!(out.status.code(), Some(2), "{input}: {}", printed(&out));
        assert!(out.stdout.is_empty(), "{input}");
        let err = stderr(&out);
        assert!(err.contains(expected), "{input}: {err}");
        assert!(!err.contains("panicked"), "{input}: {err}");
    }
    // Bad input is refused before authentik is asked anything.
    assert!(fake.requests().is_empty(), "{:?}", fake.requests());
}

#[test]
fn a_password_given_on_stdin_is_refused_and_never_repeated() {
    let fake = Fake::start();
    for password in [
        r#""hunter2-Secret""#,
        "12345678",
        r#"{"value": "hunter2-Secret"}"#,
    ] {
        let input =
            format!(r#"{{"name": "Jane", "email": "jane@example.test", "password": {password}}}"#);
        let out = run_on(&fake, &[], &input);
        assert_eq!(out.status.code(), Some(2), "{}", printed(&out));
        let all = printed(&out);
        assert!(all.contains("only \"temporary\""), "{all}");
        assert!(
            !all.contains("hunter2") && !all.contains("12345678"),
            "{all}"
        );
    }
    assert_eq!(fake.creations(), 0);
}

#[test]
fn a_validation_error_exits_2_with_the_field_messages() {
    let fake = Fake::start();
    let out = run_on(
        &fake,
        &[],
        r#"{"name": "Alice Again", "email": "alice.again@example.test", "username": "alice.ops"}"#,
    );
    assert_eq!(out.status.code(), Some(2), "{}", printed(&out));
    assert!(out.stdout.is_empty());
    let err = stderr(&out);
    assert!(
        err.contains("authentik refused the request: username: This field must be unique."),
        "{err}"
    );
    assert!(fake.user(FIRST_NEW_PK).is_none());
}

#[test]
fn a_server_failure_exits_2_and_creates_nothing() {
    let fake = Fake::start();
    let input = r#"{"name": "Jane Doe", "email": "jane@example.test", "groups": ["techs"]}"#;
    // The group lookup fails (500: not retried).
    fake.fail_next(500, 1, Some("/api/v3/core/groups/"));
    let out = run_on(&fake, &[], input);
    assert_eq!(out.status.code(), Some(2), "{}", printed(&out));
    assert!(out.stdout.is_empty());
    assert!(
        stderr(&out).contains("authentik answered 500"),
        "{}",
        stderr(&out)
    );
    // The e-mail lookup fails 3 times (502: retried, then given up).
    fake.fail_next(502, 3, Some("/api/v3/core/users/"));
    let out = run_on(&fake, &[], input);
    assert_eq!(out.status.code(), Some(2), "{}", printed(&out));
    assert!(out.stdout.is_empty());
    assert!(
        stderr(&out).contains("authentik answered 502"),
        "{}",
        stderr(&out)
    );
    assert_eq!(fake.creations(), 0);
    assert!(fake.user(FIRST_NEW_PK).is_none());
}

#[test]
fn a_password_that_cannot_be_set_exits_2_with_the_user_and_no_password() {
    let fake = Fake::start();
    fake.fail_next(
        500,
        1,
        Some(&format!("/api/v3/core/users/{FIRST_NEW_PK}/set_password/")),
    );
    let out = run_on(
        &fake,
        &["--temporary-password"],
        r#"{"name": "Jane Doe", "email": "jane@example.test"}"#,
    );
    assert_eq!(out.status.code(), Some(2), "{}", printed(&out));
    let v = json(&out);
    assert_eq!(v["pk"], FIRST_NEW_PK);
    assert!(v.get("temporaryPassword").is_none(), "{v}");
    let err = stderr(&out);
    assert!(
        err.contains("was created, but its temporary password could not be set"),
        "{err}"
    );
    assert_eq!(fake.password_of(FIRST_NEW_PK), None);
}

#[test]
fn a_wrong_token_or_missing_settings_exit_2_without_printing_the_token() {
    let fake = Fake::start();
    let url = fake.url();
    let input = r#"{"name": "Jane Doe", "email": "jane@example.test"}"#;
    let out = common::authentik::run(
        NAME,
        &[],
        &[
            ("AUTHENTIK_URL", &url),
            ("AUTHENTIK_TOKEN", "wr0ng-t0ken-value"),
        ],
        Some(input),
    );
    assert_eq!(out.status.code(), Some(2), "{}", printed(&out));
    assert!(out.stdout.is_empty());
    let err = stderr(&out);
    assert!(err.contains("Token invalid/expired"), "{err}");
    assert!(!printed(&out).contains("wr0ng-t0ken-value"));
    assert!(!printed(&out).contains(fake.token()));
    assert_eq!(fake.creations(), 0);
    let out = common::authentik::run(NAME, &[], &[], Some(input));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("AUTHENTIK_URL"), "{}", stderr(&out));
}

#[test]
fn the_sandbox_creates_in_a_throwaway_fake() {
    let out = common::authentik::run(
        NAME,
        &["--sandbox", "--temporary-password"],
        &[],
        Some(r#"{"name": "Sam Box", "email": "sam@example.test", "groups": ["ops"]}"#),
    );
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
    let v = json(&out);
    assert_eq!(v["username"], "sam");
    assert_eq!(v["groups"], json!(["ops"]));
    assert!(v["temporaryPassword"].is_string());
}
