//! The integration test binary: the real `loganon` binary, driven through its external contract.
//! One binary (rather than one per file) so the suite links once.
//!
//! Index:
//! - `authoring`: `--report`, `--dry-run`, `rules check`, `bench`, `diff`
//! - `cli`: the contract: tag, retention, IP modes, bytes, rules, errors, streaming, `rules test`
//! - `formats`: golden files per format, field rules, the shared real logs' structure, JSON
//!   round trips
//! - `integrations`: the recipes of docs/integrations.md run against real Apache, nginx,
//!   rsyslog, syslog-ng, logrotate and systemd-analyze; the filter's stop on SIGTERM; man page
//!   and completions
//! - `policies`: the policy packs in `rules/policies/`
//! - `pseudonyms`: key rotation by event-time period, format-preserving address pseudonyms
//! - `secrets`: every secret kind of the default rules and its look-alikes, byte for byte; the
//!   opt-in phone and IBAN detectors
//! - `serve`: the TCP sidecar over raw sockets: framing, shutdown drain, outputs, backpressure,
//!   metrics, UDP, a 50-client load test

mod authoring;
mod cli;
mod formats;
mod integrations;
mod policies;
mod pseudonyms;
mod secrets;
mod serve;
mod util;
