//! What a SIPp run did, read back from the files it wrote: call counts from the statistics CSV
//! (`-trace_stat`, falling back to the final screen dump `-trace_screen`), every message sent and
//! received from the short message log (`-trace_shortmsg`), the scenarios' `<log>` actions
//! (`-trace_logs`: `answered <call-id>`, `rejected <call-id>`, ...) and the error log.
//!
//! Must not decide pass or fail for a test beyond [`SippOutcome::all_successful`]; the parsers are
//! pure functions over the files' text so they are tested on samples of SIPp 3.6's output.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::thread;

use tempfile::TempDir;

use crate::process::tail;
use crate::sip_message::SipMessage;

/// File names inside a run's directory (SIPp runs with that directory as its cwd).
pub(crate) const STAT_FILE: &str = "stat.csv";
pub(crate) const SCREEN_FILE: &str = "screen.log";
pub(crate) const ERROR_FILE: &str = "errors.log";
pub(crate) const SHORT_MESSAGE_FILE: &str = "shortmessages.log";
pub(crate) const LOG_FILE: &str = "logs.log";
pub(crate) const MESSAGE_FILE: &str = "messages.log";
pub(crate) const STDOUT_FILE: &str = "stdout.log";
pub(crate) const STDERR_FILE: &str = "stderr.log";

/// Sent by this SIPp or received by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Sent,
    Received,
}

/// One line of the short message log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TracedMessage {
    pub direction: Direction,
    pub call_id: String,
    /// `1 INVITE`.
    pub cseq: String,
    /// `INVITE sip:... SIP/2.0` or `SIP/2.0 200 OK`.
    pub first_line: String,
}

impl TracedMessage {
    /// Whether the first line starts with `prefix` as a whole token (`"BYE"` matches
    /// `BYE sip:...`, `"SIP/2.0 486"` matches `SIP/2.0 486 Busy Here`).
    pub fn starts_with(&self, prefix: &str) -> bool {
        self.first_line
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(' '))
    }
}

/// Call counters of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct CallCounts {
    pub successful: u64,
    pub failed: u64,
    /// Calls created (outgoing for a uac, incoming for a uas).
    pub created: u64,
}

/// The result of a finished (or killed) SIPp run. Keeps the run's directory alive; when dropped
/// during a panic the directory is kept on disk and its path printed.
#[derive(Debug)]
pub struct SippOutcome {
    /// SIPp's exit code: 0 all calls successful, 1 some failed, 97/99 stopped, 254 bind error,
    /// 255 fatal. `None` if killed by a signal.
    pub exit_code: Option<i32>,
    /// The run was still going at its time limit and was killed by the driver.
    pub killed: bool,
    pub successful: u64,
    pub failed: u64,
    pub created: u64,
    pub messages: Vec<TracedMessage>,
    /// Lines written by the scenario's `<log>` actions.
    pub logs: Vec<String>,
    pub errors: String,
    pub stderr: String,
    pub command_line: String,
    pub(crate) dir: TempDir,
}

impl SippOutcome {
    /// Reads the files of a run from `dir`.
    pub(crate) fn read(
        dir: TempDir,
        exit_code: Option<i32>,
        killed: bool,
        command_line: String,
    ) -> SippOutcome {
        let read = |name: &str| fs::read_to_string(dir.path().join(name)).unwrap_or_default();
        let counts = parse_stat_csv(&read(STAT_FILE))
            .or_else(|| parse_screen(&read(SCREEN_FILE)))
            .unwrap_or_default();
        SippOutcome {
            exit_code,
            killed,
            successful: counts.successful,
            failed: counts.failed,
            created: counts.created,
            messages: parse_short_messages(&read(SHORT_MESSAGE_FILE)),
            logs: read(LOG_FILE).lines().map(str::to_string).collect(),
            errors: read(ERROR_FILE),
            stderr: read(STDERR_FILE),
            command_line,
            dir,
        }
    }

    /// Exit code 0, not killed, no failed call.
    pub fn all_successful(&self) -> bool {
        self.exit_code == Some(0) && !self.killed && self.failed == 0
    }

    /// Asserts that this side ran `calls` calls, every one successful; the failure names `side`
    /// and [`SippOutcome::describe`]s the run.
    pub fn assert_succeeded(&self, side: &str, calls: u64) {
        assert!(self.all_successful(), "{side}:\n{}", self.describe());
        assert_eq!(self.successful, calls, "{side}:\n{}", self.describe());
    }

    /// Asserts that `event` was logged for exactly `calls` calls.
    pub fn assert_logged_for(&self, event: &str, calls: u64) {
        assert_eq!(
            self.logged(event).len() as u64,
            calls,
            "{}",
            self.describe()
        );
    }

    /// Asserts that this side received a BYE in `calls` calls and sent none: it was hung up on
    /// (by the peer or by the proxy) and never hung up itself.
    pub fn assert_hung_up_on(&self, calls: u64) {
        self.assert_logged_for("bye_received", calls);
        assert!(self.sent("BYE").is_empty(), "{}", self.describe());
    }

    /// Call-IDs of the `<log message="EVENT [call_id]"/>` lines for `event`.
    pub fn logged(&self, event: &str) -> BTreeSet<String> {
        logged_calls(&self.logs, event)
    }

    /// Messages received whose first line starts with `prefix` (`"BYE"`, `"SIP/2.0 486"`).
    pub fn received(&self, prefix: &str) -> Vec<&TracedMessage> {
        self.traced(Direction::Received, prefix)
    }

    /// Messages sent whose first line starts with `prefix`.
    pub fn sent(&self, prefix: &str) -> Vec<&TracedMessage> {
        self.traced(Direction::Sent, prefix)
    }

    fn traced(&self, direction: Direction, prefix: &str) -> Vec<&TracedMessage> {
        self.messages
            .iter()
            .filter(|m| m.direction == direction && m.starts_with(prefix))
            .collect()
    }

    /// Distinct Call-IDs among [`SippOutcome::received`].
    pub fn received_calls(&self, prefix: &str) -> BTreeSet<String> {
        self.received(prefix)
            .into_iter()
            .map(|m| m.call_id.clone())
            .collect()
    }

    /// Every message in full, from `messages.log` (only with [`crate::Sipp::trace_messages`]).
    pub fn full_messages(&self) -> Vec<(Direction, SipMessage)> {
        let text = fs::read_to_string(self.dir.path().join(MESSAGE_FILE)).unwrap_or_default();
        parse_message_log(&text)
    }

    /// The first full message in `direction` whose first line starts with `prefix`.
    pub fn full_message(&self, direction: Direction, prefix: &str) -> Option<SipMessage> {
        self.full_messages()
            .into_iter()
            .find(|(d, m)| {
                *d == direction
                    && m.first_line()
                        .strip_prefix(prefix)
                        .is_some_and(|rest| rest.is_empty() || rest.starts_with(' '))
            })
            .map(|(_, m)| m)
    }

    /// The run's directory (traces, stdout, stderr).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// A summary for assertion messages: command, exit, counts, and the tails of the logs.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "sipp: {}", self.command_line);
        let _ = writeln!(
            out,
            "exit {:?}{}, successful {}, failed {}, created {}, files in {}",
            self.exit_code,
            if self.killed {
                " (killed by the driver: still running at its time limit)"
            } else {
                ""
            },
            self.successful,
            self.failed,
            self.created,
            self.dir.path().display()
        );
        if !self.errors.trim().is_empty() {
            let _ = writeln!(out, "--- errors.log tail ---\n{}", tail(&self.errors, 30));
        }
        if !self.stderr.trim().is_empty() {
            let _ = writeln!(out, "--- stderr tail ---\n{}", tail(&self.stderr, 10));
        }
        let lines: Vec<String> = self
            .messages
            .iter()
            .rev()
            .take(12)
            .rev()
            .map(|m| {
                let arrow = match m.direction {
                    Direction::Sent => "->",
                    Direction::Received => "<-",
                };
                format!("{arrow} {} [{}] {}", m.call_id, m.cseq, m.first_line)
            })
            .collect();
        if !lines.is_empty() {
            let _ = writeln!(out, "--- last messages ---\n{}", lines.join("\n"));
        }
        out
    }
}

impl Drop for SippOutcome {
    fn drop(&mut self) {
        if thread::panicking() {
            self.dir.disable_cleanup(true);
            eprintln!("--- SIPp run kept for a look ---\n{}", self.describe());
        }
    }
}

/// Counts from the last row of the `-trace_stat` CSV (`;`-separated, header first).
pub(crate) fn parse_stat_csv(text: &str) -> Option<CallCounts> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<&str> = lines.next()?.split(';').collect();
    let last: Vec<&str> = lines.next_back()?.split(';').collect();
    let column = |name: &str| -> Option<u64> {
        let i = header.iter().position(|h| h.trim() == name)?;
        last.get(i)?.trim().parse().ok()
    };
    Some(CallCounts {
        successful: column("SuccessfulCall(C)")?,
        failed: column("FailedCall(C)")?,
        created: column("OutgoingCall(C)")? + column("IncomingCall(C)")?,
    })
}

/// Counts from the last statistics screen of `-trace_screen`: the cumulative (last) column of
/// the `Successful call`, `Failed call`, `Outgoing calls created`, `Incoming calls created` rows.
pub(crate) fn parse_screen(text: &str) -> Option<CallCounts> {
    let last_number = |label: &str| -> Option<u64> {
        text.lines()
            .rfind(|l| l.trim_start().starts_with(label))?
            .split('|')
            .next_back()?
            .trim()
            .parse()
            .ok()
    };
    Some(CallCounts {
        successful: last_number("Successful call")?,
        failed: last_number("Failed call")?,
        created: last_number("Outgoing calls created").unwrap_or(0)
            + last_number("Incoming calls created").unwrap_or(0),
    })
}

/// Lines `date \t time \t epoch \t S|R \t call-id \t CSeq:N METHOD \t first line`.
pub(crate) fn parse_short_messages(text: &str) -> Vec<TracedMessage> {
    text.lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            let [direction, call_id, cseq, first_line] =
                fields.get(fields.len().checked_sub(4)?..)?
            else {
                return None;
            };
            let direction = match *direction {
                "S" => Direction::Sent,
                "R" => Direction::Received,
                _ => return None,
            };
            Some(TracedMessage {
                direction,
                call_id: call_id.to_string(),
                cseq: cseq.trim_start_matches("CSeq:").trim().to_string(),
                first_line: first_line.trim().to_string(),
            })
        })
        .collect()
}

/// Blocks of `-trace_msg`: a dashed line with a time, `UDP message sent (N bytes):` or
/// `TCP message received [N] bytes :`, a blank line, the message.
pub(crate) fn parse_message_log(text: &str) -> Vec<(Direction, SipMessage)> {
    text.split("\n-----------------------------------------------")
        .filter_map(|block| {
            let mut lines = block.trim_start_matches('-').splitn(3, '\n');
            let _time = lines.next()?;
            let what = lines.next()?;
            let direction = if what.contains("message sent") {
                Direction::Sent
            } else if what.contains("message received") {
                Direction::Received
            } else {
                return None;
            };
            let message = lines.next()?.trim_start_matches(['\r', '\n']).trim_end();
            let mut message = SipMessage::parse(message.as_bytes()).ok()?;
            message.bytes.extend_from_slice(b"\r\n\r\n");
            Some((direction, message))
        })
        .collect()
}

/// Call-IDs of the lines `EVENT <call-id>`.
pub(crate) fn logged_calls(lines: &[String], event: &str) -> BTreeSet<String> {
    lines
        .iter()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            (words.next() == Some(event)).then(|| words.next().unwrap_or("").to_string())
        })
        .collect()
}

#[cfg(test)]
#[path = "sipp_outcome_tests.rs"]
mod tests;
