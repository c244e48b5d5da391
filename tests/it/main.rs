//! The integration test binary: the real `loganon` binary, driven through its external contract.
//! One binary (rather than one per file) so the suite links once.
//!
//! Index:
//! - `authoring`: `--report`, `--dry-run`, `rules check`, `bench`
//! - `cli`: the contract: tag, retention, IP modes, bytes, rules, errors, streaming, `rules test`
//! - `formats`: golden files per format, field rules, the shared real logs' structure, JSON
//!   round trips

mod authoring;
mod cli;
mod formats;
mod util;
