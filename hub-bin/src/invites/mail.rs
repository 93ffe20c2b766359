//! The invite mail: a French or English plain-text template (`hub-bin/templates/`) rendered with
//! minijinja and sent through the configured SMTP relay with lettre.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use minijinja::Environment;
use secrecy::{ExposeSecret, SecretString};

use crate::config::{Language, SmtpSecurity, SmtpSettings};

const FR: &str = include_str!("../../templates/invite.fr.txt");
const EN: &str = include_str!("../../templates/invite.en.txt");

/// Why a mail was not sent.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The relay refused it for good (5xx), or the message could not be built: trying again
    /// will not help.
    #[error("{0}")]
    Permanent(String),
    /// The relay is unreachable, slow, or refused it for now (4xx).
    #[error("{0}")]
    Transient(String),
}

/// What one invite mail says.
#[derive(Debug)]
pub struct InviteMail<'a> {
    /// The invite's id (the Message-ID is made from it, so a resent mail is recognisably the
    /// same message).
    pub id: &'a str,
    /// The recipient.
    pub to: &'a str,
    /// The person's name.
    pub name: &'a str,
    /// Their authentik username.
    pub username: &'a str,
    /// The temporary password.
    pub password: &'a SecretString,
    /// Where to sign in.
    pub login_url: Option<&'a str>,
    /// French or English.
    pub language: Language,
}

/// The SMTP relay and the templates.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    templates: Environment<'static>,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

impl Mailer {
    /// A mailer for the relay (no connection is made until a mail is sent). Call it inside a
    /// Tokio runtime: the connection pool starts its own task.
    pub fn new(settings: &SmtpSettings) -> Result<Self, String> {
        let host = settings.host.as_str();
        // The public roots (webpki-roots), and the configured CA when there is one.
        let tls = || -> Result<TlsParameters, String> {
            let mut params = TlsParameters::builder(host.to_owned());
            if let Some(ca) = &settings.extra_ca {
                let cert = Certificate::from_pem(&ca.pem)
                    .map_err(|e| format!("SMTP_CA_FILE {}: {e}", ca.path.display()))?;
                params = params.add_root_certificate(cert);
            }
            params.build_rustls().map_err(|e| format!("SMTP_HOST: {e}"))
        };
        let plain = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host);
        let builder = match settings.security {
            SmtpSecurity::None => plain,
            SmtpSecurity::StartTls => plain.tls(Tls::Required(tls()?)),
            SmtpSecurity::Tls => plain.tls(Tls::Wrapper(tls()?)),
        };
        let mut builder = builder
            .port(settings.port)
            .timeout(Some(settings.timeout))
            .pool_config(
                PoolConfig::new()
                    .max_size(2)
                    .idle_timeout(Duration::from_secs(30)),
            );
        if let Some((user, password)) = &settings.credentials {
            builder = builder.credentials(Credentials::new(
                user.clone(),
                password.expose_secret().to_owned(),
            ));
        }
        let from: Mailbox = settings
            .from
            .parse()
            .map_err(|_| "SMTP_FROM: expected an address or `Name <address>`".to_owned())?;
        let mut templates = Environment::new();
        templates
            .add_template("fr", FR)
            .map_err(|e| format!("the French template: {e}"))?;
        templates
            .add_template("en", EN)
            .map_err(|e| format!("the English template: {e}"))?;
        Ok(Self {
            transport: builder.build(),
            from,
            templates,
        })
    }

    /// The subject and body of an invite mail.
    pub fn render(&self, mail: &InviteMail<'_>) -> Result<(String, String), MailError> {
        let template = self
            .templates
            .get_template(mail.language.as_str())
            .map_err(|e| MailError::Permanent(format!("template: {e}")))?;
        let text = template
            .render(minijinja::context! {
                name => mail.name,
                email => mail.to,
                username => mail.username,
                password => mail.password.expose_secret(),
                login_url => mail.login_url,
            })
            .map_err(|e| MailError::Permanent(format!("template: {e}")))?;
        let (subject, body) = text.split_once('\n').unwrap_or((text.as_str(), ""));
        Ok((subject.trim().to_owned(), format!("{}\n", body.trim())))
    }

    /// Connects to the relay (with `AUTH` when configured) and leaves: `/readyz`'s probe.
    pub async fn check(&self) -> Result<(), String> {
        match self.transport.test_connection().await {
            Ok(true) => Ok(()),
            Ok(false) => Err("the SMTP relay does not answer".to_owned()),
            Err(e) => Err(format!("the SMTP relay: {e}")),
        }
    }

    /// Sends an invite mail.
    pub async fn send(&self, mail: &InviteMail<'_>) -> Result<(), MailError> {
        let (subject, body) = self.render(mail)?;
        let to: Mailbox = format!("{} <{}>", mail.name.replace(['<', '>', '"'], ""), mail.to)
            .parse()
            .or_else(|_| mail.to.parse())
            .map_err(|_| MailError::Permanent(format!("{:?} is not an address", mail.to)))?;
        let domain = self.from.email.domain().to_owned();
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .message_id(Some(format!("<{}@{domain}>", mail.id)))
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| MailError::Permanent(format!("the message: {e}")))?;
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(MailError::Permanent(format!("SMTP: {e}"))),
            Err(e) => Err(MailError::Transient(format!("SMTP: {e}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mailer() -> Mailer {
        Mailer::new(&SmtpSettings {
            host: "127.0.0.1".to_owned(),
            port: 2525,
            security: SmtpSecurity::None,
            credentials: None,
            from: "Gigafibre <noreply@gigafibre.ca>".to_owned(),
            timeout: Duration::from_secs(5),
            extra_ca: None,
        })
        .expect("a mailer")
    }

    fn mail(language: Language, login_url: Option<&str>) -> (String, String) {
        let password = SecretString::from("Abcd-Efgh-Jkmn-Pqrs");
        mailer()
            .render(&InviteMail {
                id: "inv-1",
                to: "jane@example.com",
                name: "Jane Doe",
                username: "jane",
                password: &password,
                login_url,
                language,
            })
            .expect("rendered")
    }

    // The transport's connection pool starts a task: a mailer is built inside a runtime.
    #[tokio::test]
    async fn each_language_renders_its_own_text_with_the_password() {
        let (subject, body) = mail(Language::Fr, Some("https://erp.example.com/ops/"));
        assert_eq!(subject, "Votre accès Gigafibre / Your Gigafibre access");
        assert!(body.starts_with("Bonjour Jane Doe,"), "{body}");
        assert!(body.contains("Identifiant : jane"), "{body}");
        assert!(body.contains("Abcd-Efgh-Jkmn-Pqrs"), "{body}");
        assert!(body.contains("https://erp.example.com/ops/"), "{body}");
        let (subject, body) = mail(Language::En, None);
        assert_eq!(subject, "Your Gigafibre access / Votre accès Gigafibre");
        assert!(body.starts_with("Hello Jane Doe,"), "{body}");
        assert!(
            body.contains("Temporary password: Abcd-Efgh-Jkmn-Pqrs"),
            "{body}"
        );
        assert!(body.contains("Sign in to the staff portal"), "{body}");
    }
}
