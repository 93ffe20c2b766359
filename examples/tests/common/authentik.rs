//! The authentik examples' set-up: a fake authentik seeded with the captured staff users and
//! groups, answering on its own runtime while the example runs, and a runner that clears every
//! `AUTHENTIK_*` variable of this process first.

use std::process::Output;

use authentik_admin::ExposeSecret;
use authentik_admin::testkit::{FAKE_TOKEN, FakeAuthentik};

/// A fake authentik on `127.0.0.1`; it stops when dropped.
pub struct Fake {
    fake: FakeAuthentik,
    runtime: tokio::runtime::Runtime,
}

impl Fake {
    /// Starts a fake seeded with the captured users (`alice.ops`, `bob.dispatch`, `carol.tech`
    /// and `dave.tech` sharing `shared@example.test`, `erin.nogroup`, `akadmin`, an outpost's
    /// service account; pks 3 to 9) and groups (`techs`, `dispatch`, `ops`,
    /// `authentik Admins`). The next user created gets pk 10.
    pub fn start() -> Self {
        let (fake, runtime) = super::serve_in_background(FakeAuthentik::start());
        Self { fake, runtime }
    }

    /// The server URL.
    pub fn url(&self) -> String {
        self.fake.url().to_string()
    }

    /// The token it accepts.
    pub fn token(&self) -> &'static str {
        FAKE_TOKEN
    }

    /// `AUTHENTIK_URL` and `AUTHENTIK_TOKEN` for this fake.
    pub fn env(&self) -> [(&'static str, String); 2] {
        [
            ("AUTHENTIK_URL", self.url()),
            ("AUTHENTIK_TOKEN", self.token().to_owned()),
        ]
    }

    /// Answers the next `times` requests under `path_prefix` (any when `None`) with `status`
    /// and an empty body.
    pub fn fail_next(&self, status: u16, times: u32, path_prefix: Option<&str>) {
        self.fake.fail_next(status, times, path_prefix);
    }

    /// The requests received, oldest first, as `METHOD path[?query]`.
    pub fn requests(&self) -> Vec<String> {
        self.fake
            .requests()
            .into_iter()
            .map(|r| match r.query {
                Some(q) => format!("{} {}?{q}", r.method, r.path),
                None => format!("{} {}", r.method, r.path),
            })
            .collect()
    }

    /// How many users were created (`POST /api/v3/core/users/` received).
    pub fn creations(&self) -> usize {
        self.fake
            .requests()
            .iter()
            .filter(|r| r.method == "POST" && r.path == "/api/v3/core/users/")
            .count()
    }

    /// The password set for user `pk`, if one was.
    pub fn password_of(&self, pk: i64) -> Option<String> {
        self.fake
            .password_of(pk)
            .flatten()
            .map(|p| p.expose_secret().to_owned())
    }

    /// User `pk` as the fake stores it.
    pub fn user(&self, pk: i64) -> Option<serde_json::Value> {
        self.fake.user(pk)
    }

    /// Creates a user directly in the fake (no example involved); its pk.
    pub fn add_user(&self, username: &str, email: &str) -> i64 {
        let client = self.fake.client().expect("a client");
        let new = authentik_admin::NewUser::new(username, username).email(email);
        self.runtime
            .block_on(client.users().create(&new))
            .expect("the user is created")
            .pk
    }
}

/// Runs the example `name` as n8n would: arguments, environment and stdin in (every
/// `AUTHENTIK_*` variable of this process removed first), output captured.
pub fn run(name: &str, args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Output {
    super::run(name, args, env, stdin)
}

/// Runs the example `name` against `fake` with its URL and token.
pub fn run_on(fake: &Fake, name: &str, args: &[&str], stdin: Option<&str>) -> Output {
    let env = fake.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    run(name, args, &env, stdin)
}
