//! What the Gemini examples share: the client (from `GEMINI_*` variables, or a sandbox), the
//! mapping of client errors to one-line messages, and the exit-code convention (0 read, 1
//! nothing read or values that failed their checks, 2 bad input or settings, or a Gemini that
//! could not be asked or refused).
//!
//! The API key is never printed: it goes straight into the client, which keeps it as a secret
//! and sends it only in a header; the client's errors never hold it.

use std::time::Duration;

use gemini_vision::testkit::FakeGemini;
use gemini_vision::{Client, ClientBuilder, Error, FinishReason};

#[allow(dead_code, unused_imports)]
#[path = "exit.rs"]
mod exit;
#[allow(unused_imports)]
pub(crate) use exit::{BROKEN, Failure, NOTHING, args};

/// The settings of a run besides the variables: `--model`, `--deadline-secs`, `--sandbox`.
#[derive(Debug, Default)]
pub(crate) struct Settings {
    /// Another model than `GEMINI_MODEL` (or the crate's default).
    pub(crate) model: Option<String>,
    /// The deadline of the call, retries and waits included (default: the crate's, 8 s).
    pub(crate) deadline: Option<Duration>,
    /// An in-process fake Gemini instead of the variables.
    pub(crate) sandbox: bool,
}

/// One line: runs of whitespace (Gemini's messages may end in a newline) made one space.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Maps a client error to 2 with a one-line message naming what happened and, where the
/// settings are the likely cause, which one to check. Every variant is 2: a refused, blocked or
/// stopped request has no reading to print. The client's errors never hold the key.
pub(crate) fn failure(e: &Error) -> Failure {
    let message = match e {
        Error::InvalidApiKey { .. } => {
            format!("{e} (check GEMINI_API_KEY: a Gemini API key from Google AI Studio)")
        }
        Error::ModelNotFound { .. } => format!(
            "{e} (check GEMINI_MODEL or --model; the default is {})",
            gemini_vision::DEFAULT_MODEL
        ),
        Error::QuotaExhausted {
            per_day: true,
            quota_ids,
            ..
        } => format!(
            "{e} ({}; it resets at midnight Pacific time)",
            quota_ids.join(", ")
        ),
        Error::QuotaExhausted {
            retry_after,
            quota_ids,
            ..
        } => {
            let wait = retry_after
                .map(|d| format!("; Gemini asks to wait {}s", d.as_secs_f64().ceil()))
                .unwrap_or_default();
            format!("{e} ({}{wait})", quota_ids.join(", "))
        }
        Error::Blocked { .. } => {
            format!("{e}: Gemini refuses to read this photo; take another one")
        }
        Error::Finished {
            reason: FinishReason::MaxTokens,
            ..
        } => format!("{e}: the answer was cut at the token limit before its end"),
        Error::Finished { .. } => format!("{e}: no reading; take another photo"),
        Error::NoCandidate => format!("{e}: no reading; try again or take another photo"),
        Error::Unavailable { .. } => format!("{e} (asked again within the deadline; try later)"),
        Error::Transport(_) => format!(
            "{} (check GEMINI_URL and the network)",
            exit::with_causes(e)
        ),
        Error::Timeout(_) => format!("{e} (give --deadline-secs to wait longer)"),
        Error::InvalidImage(m) => format!("not an image Gemini reads: {m}"),
        // Config (the setting named), Decode (where the answer went wrong, without the
        // model's text), Api (status, code, Gemini's message), Schema, InvalidInput, and any
        // variant a later version adds: the message and its causes.
        _ => exit::with_causes(e),
    };
    (BROKEN, one_line(&message))
}

/// A builder aimed at Google's Gemini (or `GEMINI_URL`) with `GEMINI_API_KEY`, or at an
/// in-process fake Gemini that knows no photo and answers with values generated from the
/// schema (kept alive by the returned handle); `--model` and `--deadline-secs` applied.
pub(crate) async fn connect(settings: &Settings) -> Result<(Client, Option<FakeGemini>), Failure> {
    let (mut builder, fake): (ClientBuilder, _) = if settings.sandbox {
        let fake = FakeGemini::start()
            .await
            .map_err(|e| (BROKEN, format!("could not start the sandbox: {e}")))?;
        (fake.client_builder(), Some(fake))
    } else {
        let set = |k: &str| std::env::var(k).is_ok_and(|v| !v.trim().is_empty());
        if !set("GEMINI_API_KEY") {
            return Err((
                BROKEN,
                "set GEMINI_API_KEY (a Gemini API key from Google AI Studio), or give --sandbox"
                    .to_owned(),
            ));
        }
        let builder =
            Client::builder_from(|name| std::env::var(name).ok()).map_err(|e| failure(&e))?;
        (builder, None)
    };
    if let Some(model) = &settings.model {
        builder = builder.model(model);
    }
    if let Some(deadline) = settings.deadline {
        // One attempt may take the whole deadline, as by default.
        builder = builder.deadline(deadline).timeout(deadline);
    }
    Ok((builder.build().map_err(|e| failure(&e))?, fake))
}
