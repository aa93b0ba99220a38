//! All user-facing output goes through here.
//!
//! Results (tables, paths a user asked for) go to standard output; progress,
//! notes, warnings and errors go to standard error so that output can be
//! piped. Progress bars are drawn only on a terminal and never with
//! `--quiet`. Every message passes through [`crate::text::visible`], so a
//! control character or bidirectional override from an extract (a header, a
//! value quoted in a message) never acts on the terminal.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::text::visible;

/// Where sprout talks to its user.
#[derive(Debug, Clone, Copy)]
pub struct Console {
    quiet: bool,
}

impl Console {
    /// A console; `quiet` silences notes and progress (warnings and results still show).
    pub fn new(quiet: bool) -> Self {
        Console { quiet }
    }

    /// A progress note on standard error.
    pub fn note(&self, message: impl AsRef<str>) {
        if !self.quiet {
            eprintln!("{}", visible(message.as_ref()));
        }
    }

    /// A warning on standard error; shown even when quiet.
    pub fn warn(&self, message: impl AsRef<str>) {
        eprintln!("warning: {}", visible(message.as_ref()));
    }

    /// The error that stopped sprout, on standard error.
    pub fn error(&self, message: impl AsRef<str>) {
        eprintln!("error: {}", visible(message.as_ref()));
    }

    /// A result on standard output. A closed pipe (e.g. `| head`) is not an error.
    pub fn result(&self, text: impl AsRef<str>) {
        let mut out = std::io::stdout().lock();
        let text = visible(text.as_ref());
        let written = out
            .write_all(text.as_bytes())
            .and_then(|()| {
                if text.ends_with('\n') {
                    Ok(())
                } else {
                    out.write_all(b"\n")
                }
            })
            .and_then(|()| out.flush());
        if let Err(e) = written
            && e.kind() == std::io::ErrorKind::BrokenPipe
        {
            std::process::exit(0);
        }
    }

    /// A spinner for a long stage with no count (its message says which);
    /// hidden when quiet or not on a terminal.
    pub fn stage(&self) -> ProgressBar {
        if self.quiet || !std::io::stderr().is_terminal() {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(Duration::from_millis(200));
        bar
    }

    /// A progress bar of `len` steps (a counter when the length is unknown) labelled
    /// `label`; hidden when quiet or not on a terminal.
    pub fn progress(&self, len: Option<u64>, label: &str) -> ProgressBar {
        if self.quiet || !std::io::stderr().is_terminal() {
            return ProgressBar::with_draw_target(len, ProgressDrawTarget::hidden());
        }
        let (bar, template) = match len {
            Some(n) => (
                ProgressBar::new(n),
                "{msg:>28} [{bar:30}] {percent:>3}% {elapsed}",
            ),
            None => (
                ProgressBar::new_spinner(),
                "{spinner} {msg:>28} {human_pos} rows {elapsed}",
            ),
        };
        let style = ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        bar.set_style(style);
        bar.set_message(visible(label).into_owned());
        bar.enable_steady_tick(Duration::from_millis(200));
        bar
    }
}
