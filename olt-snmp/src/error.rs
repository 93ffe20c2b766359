//! The crate's [`Error`].

use std::time::Duration;

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong polling an OLT.
///
/// Every variant that comes from talking to an OLT names it (the name given to the builder).
/// No variant ever holds a community string or a v3 key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The OLT's address could not be resolved, or the network refused the packet (ICMP port
    /// unreachable: no agent listens there).
    #[error("OLT {olt} is unreachable: {reason}")]
    Unreachable {
        /// The OLT's name.
        olt: String,
        /// What failed.
        reason: String,
    },
    /// No answer to a request within the timeout, after every retry, while the agent has
    /// answered this handle before: the OLT or the path to it is slow or down.
    #[error("OLT {olt} did not answer within {timeout:?} ({attempts} attempts)")]
    Timeout {
        /// The OLT's name.
        olt: String,
        /// The per-request timeout.
        timeout: Duration,
        /// Requests sent.
        attempts: u32,
    },
    /// Not a single answer ever, with SNMPv2c: agents stay silent on a wrong community, so this
    /// is a wrong community or an agent that is down; SNMP cannot tell the two apart.
    #[error(
        "OLT {olt} never answered ({attempts} attempts of {timeout:?}): wrong community, or no agent"
    )]
    NoAnswer {
        /// The OLT's name.
        olt: String,
        /// The per-request timeout.
        timeout: Duration,
        /// Requests sent.
        attempts: u32,
    },
    /// The agent refused our SNMPv3 credentials (a report PDU: unknown user, wrong digest,
    /// unsupported security level) or answered `authorizationError`.
    #[error("OLT {olt} refused the credentials: {reason}")]
    Auth {
        /// The OLT's name.
        olt: String,
        /// What the agent said (no secret).
        reason: String,
    },
    /// The agent answered with an SNMP error status (`genErr`, `noAccess`, ...).
    #[error("OLT {olt} answered {status} (error index {index})")]
    Agent {
        /// The OLT's name.
        olt: String,
        /// The error status's name.
        status: &'static str,
        /// The error index (1-based varbind).
        index: u32,
    },
    /// The agent's answer broke the protocol (a varbind outside the requested subtree, a walk
    /// that does not advance, an answer that does not decode).
    #[error("OLT {olt} sent a bad answer: {reason}")]
    Protocol {
        /// The OLT's name.
        olt: String,
        /// What was wrong.
        reason: String,
    },
    /// No profile recognises the OLT, or the named profile does not exist.
    #[error("OLT {olt}: unknown vendor ({detail})")]
    UnknownVendor {
        /// The OLT's name.
        olt: String,
        /// `sysObjectID` and `sysDescr` seen, or the profile name asked for.
        detail: String,
    },
    /// No ONU with this serial on the OLT.
    #[error("OLT {olt} has no ONU with serial {serial}")]
    OnuNotFound {
        /// The OLT's name.
        olt: String,
        /// The serial looked for.
        serial: String,
    },
    /// The caller's input was refused before anything was sent.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The configuration (builder settings, vendor profiles) is unusable.
    #[error("invalid configuration: {0}")]
    Config(String),
}

impl Error {
    /// Whether trying again later may succeed: timeouts, no answer, unreachable, and protocol
    /// errors (often a garbled packet). Credentials, unknown vendors, missing ONUs and bad
    /// input are not transient.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Error::Timeout { .. }
                | Error::NoAnswer { .. }
                | Error::Unreachable { .. }
                | Error::Protocol { .. }
        )
    }

    /// Whether this is [`Error::OnuNotFound`].
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::OnuNotFound { .. })
    }

    /// The OLT's name, for the variants that come from talking to one.
    pub fn olt(&self) -> Option<&str> {
        match self {
            Error::Unreachable { olt, .. }
            | Error::Timeout { olt, .. }
            | Error::NoAnswer { olt, .. }
            | Error::Auth { olt, .. }
            | Error::Agent { olt, .. }
            | Error::Protocol { olt, .. }
            | Error::UnknownVendor { olt, .. }
            | Error::OnuNotFound { olt, .. } => Some(olt),
            Error::InvalidInput(_) | Error::Config(_) => None,
        }
    }
}

/// The name of an SNMP error status (RFC 3416).
pub(crate) fn error_status_name(status: u32) -> &'static str {
    match status {
        1 => "tooBig",
        2 => "noSuchName",
        3 => "badValue",
        4 => "readOnly",
        5 => "genErr",
        6 => "noAccess",
        7 => "wrongType",
        8 => "wrongLength",
        9 => "wrongEncoding",
        10 => "wrongValue",
        11 => "noCreation",
        12 => "inconsistentValue",
        13 => "resourceUnavailable",
        14 => "commitFailed",
        15 => "undoFailed",
        16 => "authorizationError",
        17 => "notWritable",
        18 => "inconsistentName",
        _ => "unknown error status",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transient_predicate_separates_retryable_failures() {
        let olt = || "olt-1".to_owned();
        let t = Duration::from_secs(1);
        assert!(
            Error::Timeout {
                olt: olt(),
                timeout: t,
                attempts: 3
            }
            .is_transient()
        );
        assert!(
            Error::NoAnswer {
                olt: olt(),
                timeout: t,
                attempts: 3
            }
            .is_transient()
        );
        assert!(
            !Error::Auth {
                olt: olt(),
                reason: "wrong digest".into()
            }
            .is_transient()
        );
        assert!(
            !Error::OnuNotFound {
                olt: olt(),
                serial: "HWTC00000000".into()
            }
            .is_transient()
        );
        let e = Error::OnuNotFound {
            olt: olt(),
            serial: "HWTC00000000".into(),
        };
        assert!(e.is_not_found());
        assert_eq!(e.olt(), Some("olt-1"));
        assert!(e.to_string().contains("olt-1"));
        assert_eq!(error_status_name(16), "authorizationError");
    }
}
