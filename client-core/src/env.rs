//! Connection settings from the environment, read the same way by every client's
//! `Client::from_env()`: `{PREFIX}_URL`, then `{PREFIX}_TOKEN`, or `{PREFIX}_USER` with
//! `{PREFIX}_PASSWORD`. Blank values count as unset; errors name the variable, never a value.

use secrecy::SecretString;

/// The credentials found.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum EnvAuth {
    /// None set.
    None,
    /// `{PREFIX}_TOKEN`.
    Token(SecretString),
    /// `{PREFIX}_USER` and `{PREFIX}_PASSWORD`.
    UserPassword(String, SecretString),
}

/// A server and its credentials.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct EnvConnection {
    /// `{PREFIX}_URL`, as given.
    pub url: String,
    /// What authenticates to it.
    pub auth: EnvAuth,
}

/// A setting missing or incomplete; the message names the variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvError(pub String);

impl std::fmt::Display for EnvError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for EnvError {}

/// Reads `{prefix}_URL`, `{prefix}_TOKEN`, `{prefix}_USER`, `{prefix}_PASSWORD` from the
/// process environment.
///
/// ```
/// let c = gigafibre_client_core::env::connection_with(
///     |v| (v == "ACS_URL").then(|| "http://acs:7557".to_owned()),
///     "ACS",
/// )
/// .unwrap();
/// assert_eq!(c.url, "http://acs:7557");
/// ```
pub fn connection_from_env(prefix: &str) -> Result<EnvConnection, EnvError> {
    connection_with(|name| std::env::var(name).ok(), prefix)
}

/// [`connection_from_env`] over any lookup (tests, a config file).
pub fn connection_with(
    lookup: impl Fn(&str) -> Option<String>,
    prefix: &str,
) -> Result<EnvConnection, EnvError> {
    let var = |suffix: &str| lookup(&format!("{prefix}_{suffix}")).filter(|v| !v.trim().is_empty());
    let url = var("URL")
        .ok_or_else(|| EnvError(format!("environment variable {prefix}_URL is not set")))?;
    let auth = if let Some(token) = var("TOKEN") {
        EnvAuth::Token(SecretString::from(token))
    } else if let Some(user) = var("USER") {
        let password = var("PASSWORD").ok_or_else(|| {
            EnvError(format!("{prefix}_USER is set but {prefix}_PASSWORD is not"))
        })?;
        EnvAuth::UserPassword(user, SecretString::from(password))
    } else {
        EnvAuth::None
    };
    Ok(EnvConnection { url, auth })
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn with<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn token_wins_then_user_and_password_and_errors_name_the_variable() {
        let c = connection_with(
            with(&[("X_URL", "http://x"), ("X_TOKEN", "t"), ("X_USER", "u")]),
            "X",
        )
        .unwrap();
        assert!(matches!(c.auth, EnvAuth::Token(t) if t.expose_secret() == "t"));
        let c = connection_with(
            with(&[("X_URL", "http://x"), ("X_USER", "u"), ("X_PASSWORD", "p")]),
            "X",
        )
        .unwrap();
        assert!(
            matches!(c.auth, EnvAuth::UserPassword(u, p) if u == "u" && p.expose_secret() == "p")
        );
        let c = connection_with(with(&[("X_URL", "http://x"), ("X_TOKEN", "  ")]), "X").unwrap();
        assert!(matches!(c.auth, EnvAuth::None), "blank is unset");
        let e = connection_with(with(&[]), "X").unwrap_err();
        assert!(e.0.contains("X_URL"));
        let e =
            connection_with(with(&[("X_URL", "u"), ("X_USER", "secret-user")]), "X").unwrap_err();
        assert!(e.0.contains("X_PASSWORD") && !e.0.contains("secret-user"));
    }
}
