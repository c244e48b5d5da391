//! loganon: a streaming log anonymizer.
//!
//! It reads server logs line by line, pseudonymizes (keyed HMAC) or truncates IP addresses,
//! redacts emails, payment cards and whatever the rules name, and tags every line with the
//! instant downstream storage must delete it. The per-line core is synchronous and works on
//! bytes; the library never reads the command line or the clock on its own.
//!
//! # Layout
//! - [`cli`]: clap definitions only.
//! - [`config`]: arguments validated into a runnable [`config::Config`].
//! - [`rules`]: rule files: on-disk model, loading with `path:line` errors, inline examples.
//! - [`framing`]: bytes to batches of lines, with the line length limit.
//! - [`format`](mod@format): per-format event times and JSON structure.
//! - [`redact`]: the engine: one detector per file, span merge, render (the replacement texts in
//!   `redact::replace`).
//! - [`anonymize`]: IP truncation and keyed pseudonyms.
//! - [`retention`]: expiry from event time and carried categories.
//! - [`process`]: one line through format, redaction and tagging (JSON lines member by member in
//!   `process::json_line`).
//! - [`pipeline`]: reader -> workers -> ordered writer.
//! - [`heap`]: freed memory handed back to the system after long lines.
//! - [`progress`]: `--progress`: bytes read, rate and time left while a run goes on.
//! - [`pipes`]: larger pipe buffers on standard input and output, for fewer waits on either side.
//! - [`bench`](mod@bench): `loganon bench`: throughput and per-rule cost of a ruleset.
//! - [`diff`]: `loganon diff`: the lines a rule change would alter.
//! - [`manual`]: `loganon man` and `loganon completions`, generated from [`cli`].
//! - [`report`]: `--report` findings as JSON lines, without the values.
//! - [`serve`]: the TCP/UDP sidecar (`loganon serve`); the only module that uses tokio.
//! - [`shutdown`]: the filter's graceful stop on SIGTERM/SIGINT (Apache's piped loggers).
//! - [`time`]: timestamp parsing and printing without allocation.
//! - [`byteset`]: sets of bytes as lookup tables, for the loops that test byte by byte.

pub mod anonymize;
pub mod bench;
pub mod byteset;
pub mod cli;
pub mod config;
pub mod diff;
pub mod format;
pub mod framing;
pub mod heap;
pub mod manual;
pub mod pipeline;
pub mod pipes;
pub mod process;
pub mod progress;
pub mod redact;
pub mod report;
pub mod retention;
pub mod rules;
pub mod serve;
pub mod shutdown;
pub mod time;
