//! Creates an authentik user from one JSON object on stdin, in groups given by name, optionally
//! with a temporary password, and prints the user as JSON. A user whose e-mail address is
//! already taken is not created again.
//!
//! ```text
//! echo '{"name": "Jane Doe", "email": "jane.doe@example.com", "groups": ["techs"], "password": "temporary"}' | \
//!   AUTHENTIK_URL=https://auth.example.com AUTHENTIK_TOKEN=... \
//!   cargo run -p gigafibre-examples --example authentik_create_user
//! echo '{"name": "Jane Doe", "email": "jane.doe@example.com"}' | \
//!   cargo run -p gigafibre-examples --example authentik_create_user -- --sandbox --temporary-password
//! ```
//!
//! Input: `{"name": string, "email": string, "username"?: string, "groups"?: [group names],
//! "path"?: string, "type"?: "internal" | "external" | "service_account" |
//! "internal_service_account", "attributes"?: object, "active"?: bool, "password"?:
//! "temporary"}`. Any other field is refused. `name` and `email` are required and not blank
//! (spaces around them, and around `username`, are removed). Without `username`, the e-mail's
//! local part is used (`jane.doe` for `jane.doe@example.com`), made unique by appending `-2`,
//! `-3`, ... when taken. Every group is looked up by its exact name first: an unknown one is an
//! error naming it, and nothing is created. `path` (authentik's default `users`), `type`
//! (`internal`), `attributes` and `active` (true) are passed to authentik as given.
//!
//! The e-mail address is looked up first (exactly and case-sensitively, as authentik compares
//! it): when some user already has it, those users are printed and nothing is created, unless
//! `--allow-duplicate-email` is given (authentik itself lets users share an address).
//!
//! `"password": "temporary"` (or `--temporary-password`) generates a temporary password
//! (16 random characters in groups of 4, 92.9 bits, from the system's CSPRNG), sets it on the
//! new user, and prints it once, in the output's `temporaryPassword`: hand it over and have it
//! changed. No other password is accepted on stdin. Without it the user has no usable password
//! (an enrollment or recovery flow sets one).
//!
//! `--sandbox` runs against an in-process fake authentik seeded with a few staff users and the
//! groups `techs`, `dispatch`, `ops` and `authentik Admins`, without any variable; what it
//! creates is gone when the program ends.
//!
//! Environment:
//! - `AUTHENTIK_URL`: the server (`https://auth.example.com`; `/api/v3` is added when missing).
//! - `AUTHENTIK_TOKEN`: an API token (intent `api`) of a user allowed to view groups and to
//!   view, add and change users (setting a password), sent as a bearer token.
//!
//! Output: JSON on stdout, messages on stderr. The created user is one object of `pk`,
//! `username`, `name`, `email`, `is_active`, `groups` (names), `path`, `type`, `last_login`,
//! plus `temporaryPassword` when one was set. The token and the password are never printed on
//! stderr.
//!
//! Exit codes: 0 created; 1 a user with that e-mail address exists already (stdout: a JSON
//! array of those users, as `authentik_find_user` prints them; nothing created); 2 bad usage,
//! bad input (not JSON, not an object, an unknown field, a missing or blank `name` or `email`,
//! an unknown `type`, an unknown group), bad settings (`AUTHENTIK_URL` or `AUTHENTIK_TOKEN`
//! missing), a request authentik refused (its field messages on stderr: `username: This field
//! must be unique.`, `email: Enter a valid email address.`), or a server that could not be
//! asked. When the user was created but its temporary password could not be set, the user is
//! printed (without a password) and the exit code is 2.

use std::collections::HashSet;
use std::io::Read;
use std::process::ExitCode;

use authentik_admin::{
    Client, ExposeSecret, Group, NewUser, SecretString, User, UserType, temporary_password,
};
use clap::Parser;
use serde::Deserialize;
use serde_json::{Map, Value, json};

#[path = "common/authentik.rs"]
mod authentik;

/// Create an authentik user (the user as JSON on stdin).
#[derive(Debug, Parser)]
#[command(name = "authentik_create_user")]
struct Args {
    /// Generate a temporary password, set it and print it (as `"password": "temporary"`).
    #[arg(long)]
    temporary_password: bool,
    /// Create the user even when other users have the same e-mail address.
    #[arg(long)]
    allow_duplicate_email: bool,
    /// Run against an in-process fake authentik seeded with a few staff users and groups.
    #[arg(long)]
    sandbox: bool,
}

/// The JSON object on stdin, as given.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    username: Option<String>,
    name: Option<String>,
    email: Option<String>,
    groups: Option<Vec<String>>,
    path: Option<String>,
    #[serde(rename = "type")]
    user_type: Option<String>,
    attributes: Option<Map<String, Value>>,
    active: Option<bool>,
    /// Kept as any JSON so that no error message can ever repeat a password given here.
    password: Option<Value>,
}

/// The request, checked.
#[derive(Debug)]
struct Wanted {
    username: Option<String>,
    name: String,
    email: String,
    groups: Vec<String>,
    path: Option<String>,
    user_type: Option<UserType>,
    attributes: Option<Map<String, Value>>,
    active: Option<bool>,
    temporary_password: bool,
}

/// What to print: stdout, the exit code, and messages for stderr.
struct Done {
    stdout: Value,
    code: u8,
    messages: Vec<String>,
}

/// The longest username authentik takes.
const MAX_USERNAME: usize = 150;
/// How many `-N` suffixes are tried for a username taken meanwhile.
const MAX_TRIES: u32 = 1000;

fn bad(message: impl Into<String>) -> authentik::Failure {
    (authentik::BROKEN, message.into())
}

/// A required text field, trimmed, not blank.
fn required(v: Option<&str>, field: &str) -> Result<String, authentik::Failure> {
    match v.map(str::trim) {
        None => Err(bad(format!("{field} is required"))),
        Some("") => Err(bad(format!("{field} is blank"))),
        Some(s) => Ok(s.to_owned()),
    }
}

/// The request from stdin; every mistake is bad input (2), never a panic.
fn wanted_from(input: &str, args: &Args) -> Result<Wanted, authentik::Failure> {
    if input.trim().is_empty() {
        return Err(bad(
            "stdin is empty: give one JSON object (name, email, ...)",
        ));
    }
    let v: Value =
        serde_json::from_str(input).map_err(|e| bad(format!("stdin is not valid JSON: {e}")))?;
    if !v.is_object() {
        return Err(bad("stdin is not a JSON object"));
    }
    let input: Input =
        serde_json::from_value(v).map_err(|e| bad(format!("bad input on stdin: {e}")))?;
    let name = required(input.name.as_deref(), "name")?;
    let email = required(input.email.as_deref(), "email")?;
    match email.split_once('@') {
        Some((local, domain)) if !local.is_empty() && !domain.is_empty() => {}
        _ => return Err(bad(format!("email {email:?} is not an e-mail address"))),
    }
    let username = match input.username.as_deref() {
        Some(u) => Some(required(Some(u), "username")?),
        None => None,
    };
    let mut seen = HashSet::new();
    let mut groups = Vec::new();
    for g in input.groups.unwrap_or_default() {
        if g.trim().is_empty() {
            return Err(bad("a group name is blank"));
        }
        if seen.insert(g.clone()) {
            groups.push(g);
        }
    }
    let user_type = match input.user_type {
        None => None,
        // Only the kinds authentik 2025.8 knows: any other one is refused, not passed on.
        Some(t) => match UserType::from(t.as_str()) {
            UserType::Other(_) => {
                return Err(bad(format!(
                    "type {t:?} is not one of {}",
                    UserType::VALUES.join(", ")
                )));
            }
            known => Some(known),
        },
    };
    let temporary_password = match input.password {
        None => args.temporary_password,
        Some(Value::String(p)) if p == "temporary" => true,
        // The value itself is never repeated: it may be a real password.
        Some(_) => {
            return Err(bad(
                "password: only \"temporary\" is accepted (a password generated here and printed \
                 once); no password is taken on stdin",
            ));
        }
    };
    Ok(Wanted {
        username,
        name,
        email,
        groups,
        path: input.path,
        user_type,
        attributes: input.attributes,
        active: input.active,
        temporary_password,
    })
}

/// The groups by name, in the order given; an unknown name is bad input (2), named.
async fn resolve_groups(
    client: &Client,
    names: &[String],
) -> Result<Vec<Group>, authentik::Failure> {
    let mut found = Vec::new();
    let mut unknown = Vec::new();
    for name in names {
        match client
            .groups()
            .find_by_name(name)
            .await
            .map_err(|e| authentik::failure(&e))?
        {
            Some(g) => found.push(g),
            None => unknown.push(format!("{name:?}")),
        }
    }
    if unknown.is_empty() {
        Ok(found)
    } else {
        Err(bad(format!(
            "no group named {} in authentik (names are exact and case-sensitive); nothing created",
            unknown.join(", ")
        )))
    }
}

/// `base`, or `base-N` for `n > 1`, cut to fit authentik's 150 characters.
fn candidate(base: &str, n: u32) -> String {
    let suffix = if n > 1 {
        format!("-{n}")
    } else {
        String::new()
    };
    let room = MAX_USERNAME.saturating_sub(suffix.chars().count());
    let mut s: String = base.chars().take(room).collect();
    s.push_str(&suffix);
    s
}

/// The first free username from `base` (suffix `n` on), and that `n`.
async fn free_username(
    client: &Client,
    base: &str,
    from: u32,
) -> Result<(String, u32), authentik::Failure> {
    for n in from..from.saturating_add(MAX_TRIES) {
        let name = candidate(base, n);
        let taken = client
            .users()
            .find_by_username(&name)
            .await
            .map_err(|e| authentik::failure(&e))?;
        if taken.is_none() {
            return Ok((name, n));
        }
    }
    Err(bad(format!(
        "no free username from {base:?} (tried {MAX_TRIES}); give a username"
    )))
}

/// Whether authentik refused the username as taken.
fn username_taken(e: &authentik_admin::Error) -> bool {
    e.field_errors("username")
        .is_some_and(|m| m.iter().any(|s| s.contains("unique")))
}

/// Creates the user; a defaulted username taken meanwhile moves on to the next suffix.
async fn create(client: &Client, w: &Wanted, groups: &[Group]) -> Result<User, authentik::Failure> {
    let base = w
        .email
        .split_once('@')
        .map_or(w.email.as_str(), |(local, _)| local);
    let (mut username, mut n) = match &w.username {
        Some(u) => (u.clone(), 0),
        None => free_username(client, base, 1).await?,
    };
    let mut races = 0;
    loop {
        let mut new = NewUser::new(username.clone(), w.name.clone()).email(w.email.clone());
        if !groups.is_empty() {
            new = new.groups(groups.iter().map(|g| g.pk.clone()));
        }
        if let Some(p) = &w.path {
            new = new.path(p.clone());
        }
        if let Some(t) = &w.user_type {
            new = new.user_type(t.clone());
        }
        if let Some(a) = &w.attributes {
            new = new.attributes(a.clone());
        }
        if let Some(a) = w.active {
            new = new.active(a);
        }
        match client.users().create(&new).await {
            Ok(u) => return Ok(u),
            Err(e) if w.username.is_none() && races < 3 && username_taken(&e) => {
                races += 1;
                (username, n) = free_username(client, base, n + 1).await?;
            }
            Err(e) => return Err(authentik::failure(&e)),
        }
    }
}

async fn run(args: &Args) -> Result<Done, authentik::Failure> {
    let mut input = String::new();
    std::io::stdin()
        .take(64 * 1024)
        .read_to_string(&mut input)
        .map_err(|e| bad(format!("could not read stdin: {e}")))?;
    let w = wanted_from(&input, args)?;
    let (client, _fake) = authentik::connect(args.sandbox).await?;
    let groups = resolve_groups(&client, &w.groups).await?;
    let mut messages = Vec::new();
    let same = client
        .users()
        .find_by_email(&w.email)
        .await
        .map_err(|e| authentik::failure(&e))?;
    if !same.is_empty() {
        let names: Vec<&str> = same.iter().map(|u| u.username.as_str()).collect();
        let has = format!(
            "{} already ha{} the e-mail {:?}: {}",
            if same.len() == 1 { "a user" } else { "users" },
            if same.len() == 1 { "s" } else { "ve" },
            w.email,
            names.join(", ")
        );
        if !args.allow_duplicate_email {
            return Ok(Done {
                stdout: authentik::users(&same),
                code: authentik::NOTHING,
                messages: vec![format!(
                    "{has}; nothing created (--allow-duplicate-email creates another)"
                )],
            });
        }
        messages.push(format!("warning: {has}; creating another"));
    }
    // Drawn before anything is created: a failing random source leaves nothing behind.
    let password: Option<SecretString> = if w.temporary_password {
        Some(temporary_password().map_err(|e| authentik::failure(&e))?)
    } else {
        None
    };
    let user = create(&client, &w, &groups).await?;
    let mut out = authentik::user(&user);
    if let Some(p) = &password {
        if let Err(e) = client.users().set_password(user.pk, p).await {
            messages.push(format!(
                "user {:?} (pk {}) was created, but its temporary password could not be set: {}",
                user.username,
                user.pk,
                authentik::failure(&e).1
            ));
            return Ok(Done {
                stdout: Value::Object(out),
                code: authentik::BROKEN,
                messages,
            });
        }
        out.insert("temporaryPassword".to_owned(), json!(p.expose_secret()));
    }
    Ok(Done {
        stdout: Value::Object(out),
        code: 0,
        messages,
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match authentik::args::<Args>() {
        Ok(args) => args,
        Err(code) => return code,
    };
    match run(&args).await {
        Ok(done) => {
            println!("{}", done.stdout);
            for m in &done.messages {
                eprintln!("authentik_create_user: {m}");
            }
            ExitCode::from(done.code)
        }
        Err((code, message)) => {
            eprintln!("authentik_create_user: {message}");
            ExitCode::from(code)
        }
    }
}
