//! A one-line progress bar on stderr, hand-written (a few lines do not need a crate).

use std::io::{IsTerminal, Write};

/// A one-line progress bar on stderr, drawn only when stderr is a terminal (never in n8n or a
/// pipe): OLTs done out of all, and readings so far.
#[derive(Debug)]
pub(crate) struct Progress {
    shown: bool,
    olts: usize,
    done: usize,
    readings: usize,
}

impl Progress {
    /// A bar over `olts` OLTs, shown when stderr is a terminal.
    pub(crate) fn new(olts: usize) -> Self {
        Self {
            shown: std::io::stderr().is_terminal(),
            olts,
            done: 0,
            readings: 0,
        }
    }

    /// One more reading.
    pub(crate) fn reading(&mut self) {
        self.readings += 1;
        // Redrawn every few readings: a big OLT yields thousands.
        if self.readings.is_multiple_of(16) {
            self.draw();
        }
    }

    /// One more OLT finished.
    pub(crate) fn olt_done(&mut self) {
        self.done += 1;
        self.draw();
    }

    fn draw(&self) {
        if !self.shown {
            return;
        }
        const WIDTH: usize = 24;
        let filled = (self.done * WIDTH).checked_div(self.olts).unwrap_or(WIDTH);
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r[{}{}] {}/{} OLTs, {} ONUs",
            "#".repeat(filled),
            "-".repeat(WIDTH - filled),
            self.done,
            self.olts,
            self.readings
        );
        let _ = err.flush();
    }

    /// Clears the line, so that what follows on stderr starts clean.
    pub(crate) fn finish(&self) {
        if self.shown {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
        }
    }
}
