//! The integration test binary: the real `loganon` binary, driven through its external contract.
//! One binary (rather than one per file) so the suite links once.
//!
//! Index:
//! - `authoring`: `--report`, `--dry-run`, `rules check`, `bench`, `diff`
//! - `cli`: the contract: tag, retention, IP modes, bytes, rules, errors, streaming, `rules test`
//! - `formats`: golden files per format, field rules, the shared real logs' structure, JSON
//!   round trips
//! - `secrets`: every secret kind of the default rules and its look-alikes, byte for byte; the
//!   opt-in phone and IBAN detectors
//! - `serve`: the TCP sidecar over raw sockets: framing, shutdown drain, outputs, backpressure,
//!   metrics, UDP, a 50-client load test, and rsyslog as a real client

mod authoring;
mod cli;
mod formats;
mod secrets;
mod serve;
mod util;
