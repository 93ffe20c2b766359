//! Finds authentik users by e-mail address or by username and prints them as one JSON array.
//!
//! ```text
//! AUTHENTIK_URL=https://auth.example.com AUTHENTIK_TOKEN=... \
//!   cargo run -p gigafibre-examples --example authentik_find_user -- --email jane.doe@example.com
//! AUTHENTIK_URL=https://auth.example.com AUTHENTIK_TOKEN=... \
//!   cargo run -p gigafibre-examples --example authentik_find_user -- --username jane.doe
//! cargo run -p gigafibre-examples --example authentik_find_user -- --sandbox --email shared@example.test
//! ```
//!
//! `--email` matches exactly and case-sensitively, as authentik compares e-mail addresses
//! (`Jane@example.com` does not find `jane@example.com`); several users may share an address,
//! and every one of them is printed. `--username` matches one login name exactly. One of the
//! two is required; spaces around the value are removed.
//!
//! `--sandbox` runs against an in-process fake authentik seeded with a few staff users
//! (`alice.ops`, `bob.dispatch`, `carol.tech` and `dave.tech` sharing `shared@example.test`,
//! `erin.nogroup`, ...), without any variable.
//!
//! Environment:
//! - `AUTHENTIK_URL`: the server (`https://auth.example.com`; `/api/v3` is added when missing).
//! - `AUTHENTIK_TOKEN`: an API token (intent `api`) of a user allowed to view users, sent as a
//!   bearer token.
//!
//! Output: JSON on stdout, messages on stderr. Each user is an object of `pk`, `username`,
//! `name`, `email`, `is_active`, `groups` (the groups' names; their UUIDs if authentik did not
//! embed the groups), `path`, `type` (`internal`, `external`, `service_account`, ...) and
//! `last_login` (ISO 8601, or `null` when the user never logged in), in authentik's order (by
//! username). The token is never printed.
//!
//! Exit codes: 0 at least one user; 1 none (`[]` on stdout); 2 bad usage or settings
//! (`AUTHENTIK_URL` or `AUTHENTIK_TOKEN` missing), or a server that could not be asked:
//! unreachable, no answer, token refused (authentik answers 403 for a missing, invalid or
//! expired token and for a missing permission), or any other error answer (after 3 attempts
//! for 502, 503, 504).

use std::process::ExitCode;

use authentik_admin::User;
use clap::{ArgGroup, Parser};

#[path = "common/authentik.rs"]
mod authentik;

/// Find authentik users by e-mail address or username; print them as JSON.
#[derive(Debug, Parser)]
#[command(name = "authentik_find_user")]
#[command(group(ArgGroup::new("by").required(true).args(["email", "username"])))]
struct Args {
    /// Every user with exactly this e-mail address (case-sensitive).
    #[arg(long, value_name = "E", value_parser = not_blank)]
    email: Option<String>,
    /// The user with exactly this login name.
    #[arg(long, value_name = "U", value_parser = not_blank)]
    username: Option<String>,
    /// Run against an in-process fake authentik seeded with a few staff users.
    #[arg(long)]
    sandbox: bool,
}

fn not_blank(s: &str) -> Result<String, String> {
    let s = s.trim();
    if s.is_empty() {
        Err("a value, not blank".to_owned())
    } else {
        Ok(s.to_owned())
    }
}

/// The users found.
async fn run(args: &Args) -> Result<Vec<User>, authentik::Failure> {
    let (client, _fake) = authentik::connect(args.sandbox).await?;
    let users = client.users();
    match (&args.email, &args.username) {
        (Some(email), _) => users
            .find_by_email(email)
            .await
            .map_err(|e| authentik::failure(&e)),
        (None, Some(username)) => users
            .find_by_username(username)
            .await
            .map(|u| u.into_iter().collect())
            .map_err(|e| authentik::failure(&e)),
        (None, None) => Err((authentik::BROKEN, "give --email or --username".to_owned())),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match authentik::args::<Args>() {
        Ok(args) => args,
        Err(code) => return code,
    };
    match run(&args).await {
        Ok(found) => {
            println!("{}", authentik::users(&found));
            if found.is_empty() {
                let what = match (&args.email, &args.username) {
                    (Some(e), _) => format!("e-mail {e:?}"),
                    (None, u) => format!("username {:?}", u.as_deref().unwrap_or_default()),
                };
                eprintln!("authentik_find_user: no user with {what}");
                ExitCode::from(authentik::NOTHING)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err((code, message)) => {
            eprintln!("authentik_find_user: {message}");
            ExitCode::from(code)
        }
    }
}
