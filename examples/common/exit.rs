//! The exit-code convention of the examples and the parsing of their arguments, shared by the
//! per-crate modules beside this file (each includes it with `#[path = "exit.rs"]`).

use std::process::ExitCode;

/// A failure: the exit code and the message for stderr.
pub(crate) type Failure = (u8, String);

/// Exit code: nothing found, or an outcome that is not done.
pub(crate) const NOTHING: u8 = 1;
/// Exit code: bad input, bad settings, or a server that could not be asked.
pub(crate) const BROKEN: u8 = 2;

/// The arguments, or the exit code after clap printed why not (`--help`: 0, a mistake: 2).
pub(crate) fn args<A: clap::Parser>() -> Result<A, ExitCode> {
    A::try_parse().map_err(|e| {
        let _ = e.print();
        ExitCode::from(if e.use_stderr() { BROKEN } else { 0 })
    })
}

/// An error's message followed by its causes (`could not reach X (/path): ...: Connection
/// refused`).
pub(crate) fn with_causes(e: &dyn std::error::Error) -> String {
    let mut message = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        message.push_str(": ");
        message.push_str(&c.to_string());
        cause = c.source();
    }
    message
}
