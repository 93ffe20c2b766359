//! What the authentik examples share: the client (from `AUTHENTIK_*` variables, or a sandbox),
//! the mapping of client errors to messages, users as printed, and the exit-code convention
//! (0 found or done, 1 nothing found or already there, 2 bad input or settings, or a server that
//! could not be asked).
//!
//! No token or password is ever printed on stderr: the token goes straight into the client,
//! which keeps it as a secret, and its errors hold none.

use authentik_admin::testkit::FakeAuthentik;
use authentik_admin::{Client, Error, User};
use serde_json::{Map, Value, json};

#[allow(dead_code, unused_imports)]
#[path = "exit.rs"]
mod exit;
/// `NOTHING` (1) also means, when creating, that a user with that e-mail exists already.
#[allow(unused_imports)]
pub(crate) use exit::{BROKEN, Failure, NOTHING, args};

/// Maps a client error to 2 with its message and causes (`could not reach authentik
/// (/api/v3/core/users/): ... Connection refused`); a refused token gets a hint. The client's
/// errors never hold the token or a password, and carry no URL.
pub(crate) fn failure(e: &Error) -> Failure {
    let mut message = exit::with_causes(e);
    if e.is_forbidden() {
        message.push_str(
            " (check AUTHENTIK_TOKEN: an API token, intent `api`, of a user allowed to manage users)",
        );
    }
    (BROKEN, message)
}

/// The client: `AUTHENTIK_URL` with `AUTHENTIK_TOKEN`, or an in-process fake authentik seeded
/// with a few staff users (kept alive by the returned handle).
pub(crate) async fn connect(sandbox: bool) -> Result<(Client, Option<FakeAuthentik>), Failure> {
    if sandbox {
        let fake = FakeAuthentik::start()
            .await
            .map_err(|e| (BROKEN, format!("could not start the sandbox: {e}")))?;
        let client = fake.client().map_err(|e| failure(&e))?;
        return Ok((client, Some(fake)));
    }
    let set = |k: &str| std::env::var(k).is_ok_and(|v| !v.trim().is_empty());
    if !set("AUTHENTIK_URL") {
        return Err((
            BROKEN,
            "set AUTHENTIK_URL (the server, https://auth.example.com) and AUTHENTIK_TOKEN, or give --sandbox"
                .to_owned(),
        ));
    }
    if !set("AUTHENTIK_TOKEN") {
        return Err((
            BROKEN,
            "set AUTHENTIK_TOKEN (an authentik API token; authentik accepts bearer tokens only)"
                .to_owned(),
        ));
    }
    Ok((Client::from_env().map_err(|e| failure(&e))?, None))
}

/// A user as printed: `pk`, `username`, `name`, `email`, `is_active`, `groups` (names when
/// authentik embedded them, as it does by default; their UUIDs otherwise), `path`, `type`,
/// `last_login` (ISO 8601 or `null`).
pub(crate) fn user(u: &User) -> Map<String, Value> {
    let groups: Vec<&str> = match &u.groups_obj {
        Some(objs) => objs.iter().map(|g| g.name.as_str()).collect(),
        None => u.groups.iter().map(String::as_str).collect(),
    };
    let mut v = Map::new();
    v.insert("pk".to_owned(), json!(u.pk));
    v.insert("username".to_owned(), json!(u.username));
    v.insert("name".to_owned(), json!(u.name));
    v.insert("email".to_owned(), json!(u.email));
    v.insert("is_active".to_owned(), json!(u.is_active));
    v.insert("groups".to_owned(), json!(groups));
    v.insert("path".to_owned(), json!(u.path));
    v.insert("type".to_owned(), json!(u.user_type));
    v.insert("last_login".to_owned(), json!(u.last_login));
    v
}

/// Users as one JSON array.
pub(crate) fn users(us: &[User]) -> Value {
    Value::Array(us.iter().map(|u| Value::Object(user(u))).collect())
}
